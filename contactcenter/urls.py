from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from contactcenter.views import healthz

urlpatterns = [
    path("", include("kpis.urls")),
    path(
        "login/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("healthz", healthz, name="healthz"),
]

admin.site.site_header = "contactcenter administration"
admin.site.site_title = "contactcenter admin"
admin.site.index_title = "Configuration"
