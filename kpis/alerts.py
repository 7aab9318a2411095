"""Alert rules, checked every minute: an alert opens once, stays open while its condition
holds, and closes by itself when it clears."""

import statistics
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q, Sum
from django.utils import timezone

from agents import access
from agents.models import Agent
from interactions.models import Queue
from kpis import definitions, live, services
from kpis.models import Alert, AlertKind, AlertRule, ContactInterval, Target

ANOMALY_WEEKS = 4  # same weekday-interval in this many past weeks


def _rule_queues(rule: AlertRule):
    queues = Queue.objects.filter(active=True)
    if rule.queue_id:
        queues = queues.filter(pk=rule.queue_id)
    if rule.team_id:
        queues = queues.filter(teams=rule.team_id)
    return list(queues.order_by("name"))


def _interval_start(moment: datetime) -> datetime:
    return moment.replace(minute=moment.minute - moment.minute % 15, second=0, microsecond=0)


def breaches(rule: AlertRule, now: datetime) -> dict[str, dict]:
    """What breaches the rule now: subject -> {value, message, queue, agent}."""
    found = {}
    queues = _rule_queues(rule)
    if rule.kind in (AlertKind.WAITING_ABOVE, AlertKind.LONGEST_WAIT_ABOVE):
        numbers = live.waiting_by_queue([queue.pk for queue in queues], now)
        for queue in queues:
            waiting, longest = numbers.get(queue.pk, (0, 0))
            value = waiting if rule.kind == AlertKind.WAITING_ABOVE else longest
            if value > rule.threshold:
                unit = (
                    "contacts waiting" if rule.kind == AlertKind.WAITING_ABOVE else "s longest wait"
                )
                found[queue.name] = {"value": value, "queue": queue,
                                     "message": f"{queue.name}: {value:.0f} {unit} (limit {rule.threshold:g})"}  # fmt: skip
    elif rule.kind == AlertKind.SERVICE_LEVEL_BELOW_TARGET:
        target = _service_level_target(rule, now)
        if target is not None:
            start = live.local_midnight(timezone.localdate(now))
            components = services.contact_components_between(start, now, [q.pk for q in queues])
            value = definitions.BY_KEY["service_level"].compute(components)
            if value is not None and value < target:
                subject = (
                    rule.queue.name
                    if rule.queue_id
                    else (rule.team.name if rule.team_id else "center")
                )
                found[subject] = {"value": value, "queue": rule.queue,
                                  "message": f"Service level today {value:.1f} % below its target {target:g} %"}  # fmt: skip
    elif rule.kind == AlertKind.ABANDONMENT_ABOVE:
        for queue in queues:
            components = services.contact_components_between(
                now - timedelta(minutes=30), now, [queue.pk]
            )
            value = definitions.BY_KEY["abandonment_rate"].compute(components)
            if value is not None and value > rule.threshold:
                found[queue.name] = {"value": value, "queue": queue,
                                     "message": f"{queue.name}: {value:.1f} % abandoned in the last 30 minutes"}  # fmt: skip
    elif rule.kind == AlertKind.VOLUME_ANOMALY:
        found.update(_volume_anomalies(rule, queues, now))
    elif rule.kind == AlertKind.AGENT_STATE_LONGER:
        found.update(_long_states(rule, now))
    return found


def _service_level_target(rule, now):
    targets = Target.objects.filter(
        kpi="service_level", valid_from__lte=timezone.localdate(now)
    ).filter(Q(due_by__isnull=True) | Q(due_by__gte=timezone.localdate(now)))
    if rule.queue_id:
        targets = targets.filter(scope="queue", queue=rule.queue_id)
    elif rule.team_id:
        targets = targets.filter(scope="team", team=rule.team_id)
    else:
        targets = targets.filter(scope="center")
    target = targets.order_by("-valid_from").first()
    return target.value if target else None


def _volume_anomalies(rule, queues, now):
    """The interval that just ended against the same weekday-interval of past weeks."""
    end = _interval_start(now)
    start = end - timedelta(minutes=15)
    past = [start - timedelta(weeks=weeks) for weeks in range(1, ANOMALY_WEEKS + 1)]
    # Past weeks from the rollup, summed by queue and interval in one query.
    history = {
        (row["queue"], row["interval_start"]): row["offered"]
        for row in ContactInterval.objects.filter(queue__in=queues, interval_start__in=past)
        .values("queue", "interval_start")
        .annotate(offered=Sum("offered"))
        .order_by()
    }
    found = {}
    for queue in queues:
        weeks = [history.get((queue.pk, then), 0) for then in past]
        mean, spread = statistics.fmean(weeks), statistics.pstdev(weeks)
        if spread == 0:
            continue
        offered = services.contact_components_between(start, end, [queue.pk])["offered"]
        limit = mean + rule.threshold * spread
        if offered > limit:
            found[queue.name] = {"value": offered, "queue": queue,
                                 "message": f"{queue.name}: {offered} contacts in {start:%H:%M}-{end:%H:%M}, "
                                            f"usually {mean:.0f} (limit {limit:.0f})"}  # fmt: skip
    return found


def _long_states(rule, now):
    agents = Agent.objects.filter(active=True)
    if rule.team_id:
        agents = agents.filter(team=rule.team_id)
    found = {}
    for agent_id, login, _name, state, since in live.latest_states(agents, now):
        if state is None or since is None:
            continue
        if rule.state and state != rule.state:
            continue
        if not rule.state and state in ("offline", "available"):
            continue
        minutes = (now - since).total_seconds() / 60
        if minutes > rule.threshold:
            found[login] = {"value": minutes, "agent_id": agent_id,
                            "message": f"{login} in {state} for {minutes:.0f} minutes"}  # fmt: skip
    return found


def check_alerts(now: datetime | None = None) -> dict:
    """Open, keep or close every rule's alerts; e-mail the recipients of new ones."""
    now = now or timezone.now()
    opened = closed = 0
    for rule in AlertRule.objects.filter(active=True).select_related("queue", "team"):
        current = breaches(rule, now)
        with transaction.atomic():
            open_alerts = {
                a.subject: a for a in rule.alerts.select_for_update().filter(closed_at__isnull=True)
            }
            for subject, alert in open_alerts.items():
                if subject not in current:
                    alert.closed_at = now
                    alert.save(update_fields=["closed_at"])
                    closed += 1
            for subject, breach in current.items():
                if subject in open_alerts:
                    continue
                alert = Alert.objects.create(
                    rule=rule, subject=subject, message=breach["message"][:500], value=breach["value"],
                    queue=breach.get("queue"), agent_id=breach.get("agent_id"), opened_at=now,
                )  # fmt: skip
                opened += 1
                if rule.recipient_list:
                    transaction.on_commit(lambda alert=alert, rule=rule: _mail(alert, rule))
    return {"opened": opened, "closed": closed}


def _mail(alert: Alert, rule: AlertRule):
    send_mail(
        subject=f"[contactcenter] {rule.name}",
        message=f"{alert.message}\n\nOpened at {alert.opened_at:%Y-%m-%d %H:%M:%S %Z}.",
        from_email=settings.DEFAULT_FROM_EMAIL,
        recipient_list=rule.recipient_list,
        fail_silently=True,
    )


def visible_alerts(user):
    alerts = Alert.objects.select_related("rule", "queue", "agent", "acknowledged_by")
    if access.is_manager(user):
        return alerts
    return alerts.filter(
        Q(queue__in=access.visible_queues(user))
        | Q(agent__in=access.visible_agents(user))
        | Q(rule__team__in=access.visible_teams(user))
    ).distinct()


def acknowledge(user, alert_id) -> Alert:
    alert = visible_alerts(user).get(pk=alert_id)
    if alert.acknowledged_at is None:
        alert.acknowledged_at, alert.acknowledged_by = timezone.now(), user
        alert.save(update_fields=["acknowledged_at", "acknowledged_by"])
    return alert
