from agents import access
from kpis.alerts import visible_alerts


def open_alerts(request):
    """How many alerts the user should look at, for the banner on every page."""
    user = request.user
    if not (access.is_manager(user) or access.is_supervisor(user)):
        return {"open_alert_count": 0}
    return {"open_alert_count": visible_alerts(user).filter(closed_at__isnull=True).count()}
