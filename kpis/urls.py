from django.urls import path

from kpis import views

urlpatterns = [
    path("", views.home, name="home"),
]
