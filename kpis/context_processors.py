from django.utils.functional import SimpleLazyObject

from core import roles
from kpis import rerolls
from kpis.alerts import visible_alerts


def open_alerts(request):
    """How many open alerts the user should look at, for the banner and the navigation
    on every page: one count, only for the roles that may open the Alerts page."""
    user = request.user
    if not (roles.is_manager(user) or roles.is_supervisor(user)):
        return {"open_alert_count": 0}
    return {"open_alert_count": visible_alerts(user).filter(closed_at__isnull=True).count()}


def rollup_jobs(request):
    """Re-rolls of past days under way (or failed), for the banner on every page: one
    query, made only when a page shows the banner (the admin's pages do not)."""
    if not request.user.is_authenticated:
        return {"rollup_jobs": []}
    return {"rollup_jobs": SimpleLazyObject(rerolls.banner_jobs)}
