from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.routers import SimpleRouter

from agents.api import AgentViewSet, TeamViewSet
from contactcenter.views import healthz, not_found
from core.auth import LoginView
from core.filters import bad_request
from forecasting.api import ForecastsView
from interactions.api import AgentEventsView, ContactsView, QueueViewSet, SurveysView
from kpis.api import KpisView, LiveView, TargetStatusView
from scheduling.api import SchedulesView
from staffing.api import StaffingView
from staffing.calculate import CalculateView

router = SimpleRouter(trailing_slash=True)
router.register("queues", QueueViewSet, basename="queue")
router.register("teams", TeamViewSet, basename="team")
router.register("agents", AgentViewSet, basename="agent")

api_v1 = [
    path("contacts/", ContactsView.as_view(), name="contacts"),
    path("surveys/", SurveysView.as_view(), name="surveys"),
    path("agent-events/", AgentEventsView.as_view(), name="agent-events"),
    path("kpis/", KpisView.as_view(), name="kpis"),
    path("live/", LiveView.as_view(), name="live"),
    path("targets/status/", TargetStatusView.as_view(), name="target-status"),
    path("schedules/", SchedulesView.as_view(), name="schedules"),
    path("forecasts/", ForecastsView.as_view(), name="forecasts"),
    path("staffing/calculate/", CalculateView.as_view(), name="staffing-calculate"),
    path("staffing/", StaffingView.as_view(), name="staffing"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api:schema"), name="docs"),
    *router.urls,
]

urlpatterns = [
    path("", include("kpis.urls")),
    path("", include("interactions.urls")),
    path("", include("agents.urls")),
    path("", include("scheduling.urls")),
    path("", include("forecasting.urls")),
    path("", include("staffing.urls")),
    path("", include("quality.urls")),
    path("", include("reports.urls")),
    path("login/", LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("api/v1/", include((api_v1, "api"))),
    path("healthz", healthz, name="healthz"),
]

handler404 = not_found
handler400 = bad_request

admin.site.site_header = "contactcenter administration"
admin.site.site_title = "contactcenter admin"
admin.site.index_title = "Configuration"
