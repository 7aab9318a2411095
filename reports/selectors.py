"""Reads: who may receive which report, whom a user may subscribe, the subscriptions a
page lists, and which subscription is due when (in the center's time zone)."""

import calendar
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet

from agents.access import visible_agents, visible_teams
from agents.models import Agent
from core.roles import ROLES, is_agent, is_manager, is_supervisor
from reports import params as report_params
from reports.models import LAST_DAY, Frequency, ReportSubscription


def access_problem(user, kind: str, query: str) -> str:
    """Why `user` may not receive this report now ("" when they may): checked when a
    subscription is made and again before every send."""
    if not user.is_active:
        return "the recipient's account is inactive"
    try:
        wanted = report_params.parse(kind, query)
    except ValidationError as error:
        return f"the filters are no longer valid ({error.messages[0]})"
    if kind == "agent":
        if not visible_agents(user).filter(login=wanted.agent).exists():
            return f"the recipient may not see agent {wanted.agent}"
        return ""
    if not (is_manager(user) or is_supervisor(user)):
        return "the recipient is no longer a manager or supervisor"
    names = set(wanted.teams)
    if names and visible_teams(user).filter(name__in=names).count() != len(names):
        return "the recipient no longer supervises every team of this report"
    return ""


def subscribe_problem(actor, recipient, kind: str, query: str) -> str:
    """Why `actor` may not subscribe `recipient` to this report ("" when they may)."""
    if is_manager(actor):
        allowed = True
    elif is_supervisor(actor):
        allowed = recipient == actor or (
            subscribable_users(actor).filter(pk=recipient.pk).exists()
            and not access_problem(actor, kind, query)
            and _names_teams(kind, query)
        )
    else:
        allowed = is_agent(actor) and recipient == actor and kind == "agent"
    if not allowed:
        return "You may not subscribe this person to this report."
    problem = access_problem(recipient, kind, query)
    return f"Not possible: {problem}." if problem else ""


def _names_teams(kind: str, query: str) -> bool:
    """A report for someone else names its teams or agent, so it stays within the
    subscriber's teams whoever receives it."""
    wanted = report_params.parse(kind, query)
    return bool(wanted.teams or wanted.agent)


def subscribable_users(actor) -> QuerySet:
    """Whom `actor` may subscribe: a manager any active staff user (anyone with a role),
    a supervisor themselves and the people of their teams, an agent themselves."""
    users = get_user_model().objects.filter(is_active=True)
    if is_manager(actor):
        return users.filter(
            Q(groups__name__in=ROLES) | Q(is_staff=True) | Q(is_superuser=True)
        ).distinct()
    if is_supervisor(actor):
        teams = visible_teams(actor)
        return users.filter(
            Q(pk=actor.pk) | Q(agent__team__in=teams) | Q(supervised_teams__in=teams)
        ).distinct()
    return users.filter(pk=actor.pk)


def subscriptions_for(user) -> QuerySet[ReportSubscription]:
    """The subscriptions the Reports page lists: a manager all, anyone else those they
    receive or made."""
    rows = ReportSubscription.objects.select_related("recipient", "created_by")
    if is_manager(user):
        return rows
    return rows.filter(Q(recipient=user) | Q(created_by=user))


def own_agent_login(user) -> str:
    agent = Agent.objects.filter(user=user).only("login").first()
    return agent.login if agent else ""


# -- when a subscription is due --------------------------------------------------------


def local_moment(day: date, at: time, zone: ZoneInfo) -> datetime:
    """`at` on local `day` as an aware datetime; a time that does not exist that day (the
    spring-forward gap) moves to the first valid minute after it, an ambiguous one (the
    autumn hour that comes twice) is its first occurrence."""
    naive = datetime.combine(day, at)
    for minute in range(0, 24 * 60):
        candidate = (naive + timedelta(minutes=minute)).replace(tzinfo=zone)
        back = candidate.astimezone(UTC).astimezone(zone)
        if back.replace(tzinfo=None) == candidate.replace(tzinfo=None):
            # In UTC: an aware time in the repeated hour never equals one of another zone.
            return candidate.astimezone(UTC)
    raise ValueError(f"No valid local time after {naive} in {zone}")


def goes_on(subscription: ReportSubscription, day: date) -> bool:
    if subscription.frequency == Frequency.WEEKLY:
        return day.weekday() == subscription.weekday
    if subscription.frequency == Frequency.MONTHLY:
        if subscription.month_day == LAST_DAY:
            return day.day == calendar.monthrange(day.year, day.month)[1]
        return day.day == subscription.month_day
    return True


def period_of(frequency: str, day: date) -> tuple[date, date]:
    """The period a report sent on local `day` covers: yesterday, the last full week
    (Monday to Sunday) or the last full month."""
    if frequency == Frequency.WEEKLY:
        monday = day - timedelta(days=day.weekday() + 7)
        return monday, monday + timedelta(days=6)
    if frequency == Frequency.MONTHLY:
        last = day.replace(day=1) - timedelta(days=1)
        return last.replace(day=1), last
    return day - timedelta(days=1), day - timedelta(days=1)


def due_occurrence(subscription, now: datetime, zone: ZoneInfo) -> tuple[date, datetime] | None:
    """The latest local day whose send moment has come (today's or, missed by a stopped
    beat, yesterday's, within a day), after the subscription was made; None if none."""
    today = now.astimezone(zone).date()
    for day in (today, today - timedelta(days=1)):
        if not goes_on(subscription, day):
            continue
        moment = local_moment(day, subscription.send_time, zone)
        if subscription.created_at <= moment <= now and now - moment < timedelta(days=1):
            return day, moment
    return None


def center_zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)
