from django.urls import path

from quality import calibration_views, views

urlpatterns = [
    path("quality/", views.quality_home, name="quality"),
    path("quality/mine/", views.my_evaluations, name="quality-mine"),
    path("quality/contacts/<int:contact_pk>/evaluate/", views.evaluate, name="quality-evaluate"),
    path("quality/evaluations/<int:pk>/", views.evaluation_detail, name="quality-evaluation"),
    path(
        "quality/evaluations/<int:pk>/edit/", views.evaluation_edit, name="quality-evaluation-edit"
    ),  # fmt: skip
    path(
        "quality/evaluations/<int:pk>/acknowledge/",
        views.evaluation_acknowledge,
        name="quality-acknowledge",
    ),  # fmt: skip
    path(
        "quality/evaluations/<int:pk>/dispute/", views.evaluation_dispute, name="quality-dispute"
    ),  # fmt: skip
    path("quality/evaluations/<int:pk>/resolve/", views.dispute_resolve, name="quality-resolve"),
    path("quality/samples/new/", views.sample_new, name="quality-sample-new"),
    path("quality/samples/<int:pk>/", views.sample_detail, name="quality-sample"),
    path("quality/calibrations/", calibration_views.calibration_list, name="calibration-list"),
    path("quality/calibrations/new/", calibration_views.calibration_new, name="calibration-new"),
    path(
        "quality/calibrations/<int:pk>/",
        calibration_views.calibration_detail,
        name="calibration-detail",
    ),  # fmt: skip
    path(
        "quality/calibrations/<int:pk>/close/",
        calibration_views.calibration_close,
        name="calibration-close",
    ),  # fmt: skip
]
