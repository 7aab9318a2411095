from django.urls import path

from staffing import views

urlpatterns = [
    path("staffing/", views.coverage_page, name="staffing-coverage"),
    path("staffing/what-if/", views.whatif_page, name="staffing-whatif"),
    path("staffing/what-if/curve/", views.whatif_curve, name="staffing-whatif-curve"),
]
