from django.urls import path

from staffing import proposal_views, views

urlpatterns = [
    path("staffing/", views.coverage_page, name="staffing-coverage"),
    path("staffing/what-if/", views.whatif_page, name="staffing-whatif"),
    path("staffing/what-if/curve/", views.whatif_curve, name="staffing-whatif-curve"),
    path("staffing/proposals/", proposal_views.proposal_list, name="staffing-proposals"),
    path("staffing/proposals/new/", proposal_views.proposal_new, name="staffing-proposal-new"),
    path("staffing/proposals/<int:pk>/", proposal_views.proposal_detail, name="staffing-proposal"),
    path(
        "staffing/proposals/<int:pk>/apply/",
        proposal_views.proposal_apply,
        name="staffing-proposal-apply",
    ),
    path(
        "staffing/proposals/<int:pk>/reject/",
        proposal_views.proposal_reject,
        name="staffing-proposal-reject",
    ),
    path(
        "staffing/proposed-shifts/<int:pk>/",
        proposal_views.proposed_shift_edit,
        name="staffing-proposed-shift",
    ),
]
