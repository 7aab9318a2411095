"""Alert rules, checked every minute: an alert opens once, stays open while its condition
holds, and closes by itself when it clears."""

import math
import statistics
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, Subquery, Sum
from django.utils import timezone

from agents import access
from agents.models import Agent
from core import roles
from core.localtime import local_days, local_midnight, local_today
from core.localtime import zone as local_zone
from interactions.models import Queue
from kpis import definitions, live, rollup
from kpis.durations import duration
from kpis.models import Alert, AlertKind, AlertRule, ContactInterval
from kpis.selectors import targets_for

ANOMALY_WEEKS = 4  # same local weekday-interval in this many past weeks
ANOMALY_MIN_WEEKS = 2  # past weeks with data needed before a queue's volume can be anomalous
# A drop alerts only where the interval usually has this many contacts: below it, an empty
# interval happens by chance (Poisson: P(0) = e^-mean, 4.5e-5 at 10).
ANOMALY_DROP_MIN_MEAN = 10


def _rule_queues(rule: AlertRule):
    queues = Queue.objects.filter(active=True)
    if rule.queue_id:
        queues = queues.filter(pk=rule.queue_id)
    if rule.team_id:
        queues = queues.filter(teams=rule.team_id)
    if rule.channel:
        queues = queues.filter(channel=rule.channel)
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
            if rule.kind == AlertKind.WAITING_ABOVE:
                value = waiting
                message = f"{queue.name}: {value:.0f} contacts waiting (limit {rule.threshold:g})"
            else:
                value = longest
                message = (
                    f"{queue.name}: the longest waiting contact has waited {duration(value)}"
                    f" (limit {duration(rule.threshold)})"
                )
            if value > rule.threshold:
                found[queue.name] = {"value": value, "queue": queue, "message": message}
    elif rule.kind == AlertKind.SERVICE_LEVEL_BELOW_TARGET:
        target = _service_level_target(rule, now)
        if target is not None:
            start = local_midnight(local_today(now))
            components = rollup.contact_components_between(start, now, [q.pk for q in queues])
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
            components = rollup.contact_components_between(
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
    """The rule's scope's service-level target in force today (selectors.targets_for)."""
    target = targets_for(local_today(now), queue=rule.queue, team=rule.team).get("service_level")
    return target.value if target else None


def _past_interval_starts(start: datetime) -> list[datetime | None]:
    """UTC starts of the same local weekday and clock time 1..ANOMALY_WEEKS weeks before.

    Across a DST change the same local time is a different UTC time, so each week is
    converted on its own. A clock time that a spring-forward day skipped is None (that
    week had no such interval); a repeated one (fall back) takes the current one's fold.
    """
    zone = local_zone()
    local = timezone.localtime(start, zone)
    wall = local.replace(tzinfo=None)
    starts = []
    for weeks in range(1, ANOMALY_WEEKS + 1):
        wall_then = wall - timedelta(weeks=weeks)
        then = wall_then.replace(tzinfo=zone, fold=local.fold)
        # A clock time the clocks jumped over does not survive a round trip through UTC.
        skipped = then.astimezone(UTC).astimezone(zone).replace(tzinfo=None) != wall_then
        starts.append(None if skipped else then.astimezone(UTC))
    return starts


def _weekly_volumes(queues, past: list[datetime | None]) -> dict[int, list[int]]:
    """Queue id -> contacts offered in the past intervals of the weeks that have data.

    A week "has data" when the queue has any rollup row that local day: before the queue
    existed, before history was loaded, or on a day it was closed throughout, there is
    nothing to compare with, which is not the same as 0 contacts. One query: a row per
    queue, two index lookups on (queue, interval_start) per week.
    """
    annotations = {}
    for week, then in enumerate(past):
        if then is None:
            continue
        day_start, day_end = local_days(local_today(then))
        rows = ContactInterval.objects.filter(queue=OuterRef("pk"))
        annotations[f"seen{week}"] = Exists(
            rows.filter(interval_start__gte=day_start, interval_start__lt=day_end)
        )
        annotations[f"offered{week}"] = Subquery(
            rows.filter(interval_start=then).values("queue").annotate(n=Sum("offered")).values("n")
        )
    if not annotations:
        return {}
    rows = (
        Queue.objects.filter(pk__in=[queue.pk for queue in queues])
        .annotate(**annotations)
        .values("pk", *annotations)
    )
    return {
        row["pk"]: [
            row[f"offered{week}"] or 0 for week in range(len(past)) if row.get(f"seen{week}")
        ]
        for row in rows
    }


def _volume_anomalies(rule, queues, now):
    """The interval that just ended against the same local weekday-interval of past weeks,
    in both directions: a spike, or a drop (a queue gone silent is the classic outage)."""
    end = _interval_start(now.astimezone(UTC))
    start = end - timedelta(minutes=15)
    history = _weekly_volumes(queues, _past_interval_starts(start))
    local_start, local_end = timezone.localtime(start), timezone.localtime(end)
    found = {}
    for queue in queues:
        weeks = history.get(queue.pk, [])
        if len(weeks) < ANOMALY_MIN_WEEKS:
            continue  # a new queue (or new history): too little to know what is usual
        mean = statistics.fmean(weeks)
        if mean == 0:
            continue  # closed at this time of the week: stray contacts are not an anomaly
        # Counts vary by about sqrt(mean) even when past weeks happened to agree (Poisson),
        # so flat history still has a spread and a jump or a silence still alerts.
        spread = max(statistics.pstdev(weeks), math.sqrt(mean), 1.0)
        high, low = mean + rule.threshold * spread, mean - rule.threshold * spread
        offered = rollup.contact_components_between(start, end, [queue.pk])["offered"]
        if offered > high:
            expected = f"at most {math.floor(high)} expected"
        elif offered < low and mean >= ANOMALY_DROP_MIN_MEAN:
            expected = f"at least {math.ceil(low)} expected"
        else:
            continue
        found[queue.name] = {"value": offered, "queue": queue,
                             "message": f"{queue.name}: {offered:.0f} contacts in "
                                        f"{local_start:%H:%M}-{local_end:%H:%M}, "
                                        f"usually {mean:.0f} ({expected})"}  # fmt: skip
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
    if roles.is_manager(user):
        return alerts
    return alerts.filter(
        Q(queue__in=Queue.objects.visible_to(user))
        | Q(agent__in=access.visible_agents(user))
        | Q(rule__team__in=access.visible_teams(user))
    ).distinct()


def acknowledge(user, alert_id) -> Alert:
    alert = visible_alerts(user).get(pk=alert_id)
    if alert.acknowledged_at is None:
        alert.acknowledged_at, alert.acknowledged_by = timezone.now(), user
        alert.save(update_fields=["acknowledged_at", "acknowledged_by"])
    return alert
