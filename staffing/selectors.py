"""Reads for staffing: the numbers behind a plan, from the center's own data.

- `patience`: each queue's customer patience estimated from its abandonment history
  (the day rollups), beside the override of its staffing setting;
- `team_shrinkage`: each team's shrinkage measured from its schedules, beside the
  configured one and which one the plan uses;
- `queue_settings`: everything the Erlang engine needs for a queue on a day (target,
  answer time, occupancy cap, patience, concurrency, real-time or deferred);
- `scheduled_agents`: the agents the schedules put on a set of queues per 15-minute
  local interval, counting only productive time of agents with the skill;
- `requirement`: the agents the stored forecast needs per queue and interval, under
  Erlang C and Erlang A, and the heads to schedule after shrinkage.

SQL sums and fetches; numpy lays the results on the grid of local 15-minute intervals
(forecasting.history.interval_grid: every interval of the local days, DST included, a
23-hour day has 92 and a 25-hour day 100) and does the numerics.
"""

import math
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta

import numpy as np
from django.conf import settings
from django.db.models import (
    BooleanField,
    Count,
    DateTimeField,
    Exists,
    ExpressionWrapper,
    F,
    FloatField,
    OuterRef,
    Q,
    Sum,
    Value,
)
from django.db.models.functions import Ceil, Coalesce, Greatest, Least
from django.utils import timezone

from agents.models import Agent, Team
from core.localtime import local_days, local_today, monday_of, zone
from forecasting.history import INTERVAL_SECONDS, interval_grid
from forecasting.models import Forecast
from interactions.models import Queue
from interactions.outcomes import Seconds
from kpis.definitions import REAL_TIME_CHANNELS
from kpis.models import ContactDay, StateInterval, Target
from scheduling.models import ActivityKind, Shift, ShiftActivity, TimeOff, TimeOffStatus
from staffing import erlang
from staffing.models import (
    DEFAULT_MAX_OCCUPANCY,
    DEFAULT_SHRINKAGE,
    DEFAULT_TARGET_SERVICE_LEVEL,
    QueueStaffing,
    ShrinkageSource,
    TeamStaffing,
)

# Scheduled activities that take an agent off contacts (everything but work).
OFF_CONTACT_KINDS = (
    ActivityKind.BREAK,
    ActivityKind.LUNCH,
    ActivityKind.MEETING,
    ActivityKind.TRAINING,
)
# Patience is estimated from this many weeks of history before today.
PATIENCE_WEEKS = 8
# A queue nobody abandoned (or without history) is planned as customers who do not give
# up: the longest patience the engine takes, with which Erlang A agrees with Erlang C,
# the cautious plan, until the queue has abandonment history.
FALLBACK_PATIENCE_SECONDS = 86_400.0
MIN_PATIENCE_SECONDS = 1.0
# Shrinkage is measured over this many full weeks before the current one.
SHRINKAGE_WEEKS = 4


def paid_day_hours() -> float:
    """The paid hours a day of time off counts for (time off is entered as whole local
    days; a shorter time off counts its own length)."""
    return float(getattr(settings, "STAFFING_PAID_DAY_HOURS", 8))


def _bounds(first_day: date, last_day: date) -> tuple[datetime, datetime]:
    return local_days(first_day, (last_day - first_day).days + 1)


def _ids(objects) -> list[int]:
    return [getattr(item, "pk", item) for item in objects]


# Patience ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Patience:
    """A queue's patience: `estimated_seconds` from its history (None when no contact
    abandoned), `override_seconds` from its staffing setting (None when not set), and
    what the estimate rests on."""

    estimated_seconds: float | None
    override_seconds: float | None
    abandoned: int
    waited_seconds: float

    @property
    def source(self) -> str:
        """Where the patience a plan uses comes from: "override" (it wins), else
        "estimated", else "fallback" (no abandonment yet)."""
        if self.override_seconds is not None:
            return "override"
        return "estimated" if self.estimated_seconds is not None else "fallback"

    @property
    def seconds(self) -> float:
        """The patience a plan uses: the override, else the estimate, else
        FALLBACK_PATIENCE_SECONDS."""
        return {
            "override": self.override_seconds,
            "estimated": self.estimated_seconds,
            "fallback": FALLBACK_PATIENCE_SECONDS,
        }[self.source]


def patience_period(today: date | None = None) -> tuple[date, date]:
    """The days patience is estimated over: the PATIENCE_WEEKS weeks before today. Not
    the weeks before the day planned for, so that an interval gets the same patience
    (and agents) whether it is read in a day, a week or a proposal's range."""
    today = today or local_today()
    return today - timedelta(weeks=PATIENCE_WEEKS), today - timedelta(days=1)


def patience(queues, first_day: date, last_day: date) -> dict[int, Patience]:
    """Each queue's patience over the local days first_day..last_day (inclusive), by
    queue id: every queue asked for has an entry.

    For exponential patience the maximum-likelihood mean is the time all offered
    contacts spent waiting (answered: until answered; abandoned: until they hung up)
    over the number that abandoned (spec/staffing.md). Summed from the day rollups
    (kpis.ContactDay: wait_answered_sum + wait_abandoned_sum, abandoned), one query;
    the overrides are a second. The estimate is clipped to 1..86,400 s, the engine's
    range."""
    ids = _ids(queues)
    sums = {
        row["queue_id"]: row
        for row in ContactDay.objects.filter(queue_id__in=ids, day__range=(first_day, last_day))
        .values("queue_id")
        .annotate(
            waited=Coalesce(Sum("wait_answered_sum"), 0.0)
            + Coalesce(Sum("wait_abandoned_sum"), 0.0),
            gave_up=Coalesce(Sum("abandoned"), 0),
        )
        .order_by()
    }
    overrides = dict(
        QueueStaffing.objects.filter(queue_id__in=ids).values_list("queue_id", "patience_seconds")
    )
    result = {}
    for queue_id in ids:
        row = sums.get(queue_id, {"waited": 0.0, "gave_up": 0})
        estimated = None
        if row["gave_up"]:
            mean = row["waited"] / row["gave_up"]
            estimated = min(max(mean, MIN_PATIENCE_SECONDS), FALLBACK_PATIENCE_SECONDS)
        result[queue_id] = Patience(
            estimated_seconds=estimated,
            override_seconds=overrides.get(queue_id),
            abandoned=row["gave_up"],
            waited_seconds=row["waited"],
        )
    return result


# Shrinkage -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Shrinkage:
    """A team's shrinkage over a period. Hours are paid hours in the period:

    - `shift_hours`: scheduled shifts (clipped to the period);
    - `time_off_hours`: approved time off (a whole day counts `paid_day_hours()`);
    - `paid_hours` = shift_hours + time_off_hours;
    - `break_hours` (break and lunch), `meeting_hours` (meeting and training): the
      activities of the shifts;
    - `absence_hours`: shifts over by now in which the agent never logged in (no staffed
      time in the state rollups), less their breaks and meetings (counted above);
    - `lost_hours` = time_off + break + meeting + absence;
    - `measured` = lost / paid (None without paid hours), `configured` the team's
      setting (TeamStaffing, else 0.30), `plan_with` "configured" or "measured", and
      `used`: the one the plan uses (the configured one when measured is asked for but
      nothing was measured)."""

    shift_hours: float
    time_off_hours: float
    break_hours: float
    meeting_hours: float
    absence_hours: float
    configured: float
    plan_with: str

    @property
    def paid_hours(self) -> float:
        return self.shift_hours + self.time_off_hours

    @property
    def lost_hours(self) -> float:
        return self.time_off_hours + self.break_hours + self.meeting_hours + self.absence_hours

    @property
    def measured(self) -> float | None:
        return self.lost_hours / self.paid_hours if self.paid_hours > 0 else None

    @property
    def used(self) -> float:
        if self.plan_with == ShrinkageSource.MEASURED and self.measured is not None:
            return min(self.measured, 0.95)
        return self.configured


def shrinkage_period(today: date | None = None) -> tuple[date, date]:
    """The default period shrinkage is measured over: the last SHRINKAGE_WEEKS full
    weeks (Monday to Sunday) before the current one."""
    monday = monday_of(today or local_today())
    return monday - timedelta(weeks=SHRINKAGE_WEEKS), monday - timedelta(days=1)


def _clipped_seconds(begin: datetime, end: datetime, start="start", finish="end"):
    """Seconds of [start, finish) inside [begin, end), in SQL."""
    return Seconds(
        Greatest(F(start), Value(begin, output_field=DateTimeField())),
        Least(F(finish), Value(end, output_field=DateTimeField())),
    )


def _never_logged_in(now: datetime, shift: str = "") -> ExpressionWrapper:
    """The shift (at the path `shift`) is over and its agent has no staffed second in
    it (kpis.StateInterval): an unplanned absence. An interval that starts before the
    shift but reaches into it counts as logged in."""
    staffed = StateInterval.objects.filter(
        agent_id=OuterRef(f"{shift}agent_id"),
        interval_start__gt=OuterRef(f"{shift}start") - timedelta(seconds=INTERVAL_SECONDS),
        interval_start__lt=OuterRef(f"{shift}end"),
        staffed_seconds__gt=0,
    )
    return ExpressionWrapper(
        Q(**{f"{shift}end__lte": now}) & ~Exists(staffed), output_field=BooleanField()
    )


def team_shrinkage(teams, first_day: date, last_day: date) -> dict[int, Shrinkage]:
    """Each team's shrinkage measured from its schedules over the local days
    first_day..last_day (inclusive), by team id: every team asked for has an entry.

    Shifts and their activities count for the team they are planned for (Shift.team),
    time off for the agent's team. Four grouped queries (shifts by absence, activities
    by kind and absence, time off, settings); nothing is summed in Python but the few
    group rows."""
    ids = _ids(teams)
    begin, end = _bounds(first_day, last_day)
    now = timezone.now()
    shift_sums = (
        Shift.objects.filter(team_id__in=ids, start__lt=end, end__gt=begin)
        .annotate(absent=_never_logged_in(now))
        .values("team_id", "absent")
        .annotate(seconds=Sum(_clipped_seconds(begin, end)))
        .order_by()
    )
    activity_sums = (
        ShiftActivity.objects.filter(
            shift__team_id__in=ids, kind__in=OFF_CONTACT_KINDS, start__lt=end, end__gt=begin
        )
        .annotate(absent=_never_logged_in(now, "shift__"))
        .values("shift__team_id", "kind", "absent")
        .annotate(seconds=Sum(_clipped_seconds(begin, end)))
        .order_by()
    )
    # A time off counts its length inside the period, at most a paid day per local day
    # it touches (a whole day off is a paid day, not 24 hours).
    day_seconds = paid_day_hours() * 3600
    off_seconds = _clipped_seconds(begin, end)
    time_off_sums = (
        TimeOff.objects.filter(
            status=TimeOffStatus.APPROVED, agent__team_id__in=ids, start__lt=end, end__gt=begin
        )
        .annotate(
            paid=Least(
                off_seconds,
                Ceil(off_seconds / Value(86_400.0)) * Value(day_seconds),
                output_field=FloatField(),
            )
        )
        .values("agent__team_id")
        .annotate(seconds=Sum("paid"))
        .order_by()
    )
    configured = {
        team_id: (value, plan_with)
        for team_id, value, plan_with in TeamStaffing.objects.filter(team_id__in=ids).values_list(
            "team_id", "shrinkage", "plan_with"
        )
    }

    hours = {
        team_id: dict.fromkeys(("shift", "off", "break", "meeting", "absence"), 0.0)
        for team_id in ids
    }
    for row in shift_sums:
        hours[row["team_id"]]["shift"] += row["seconds"] / 3600
        if row["absent"]:
            hours[row["team_id"]]["absence"] += row["seconds"] / 3600
    for row in activity_sums:
        part = "break" if row["kind"] in (ActivityKind.BREAK, ActivityKind.LUNCH) else "meeting"
        hours[row["shift__team_id"]][part] += row["seconds"] / 3600
        if row["absent"]:  # already lost as a break or meeting: not twice
            hours[row["shift__team_id"]]["absence"] -= row["seconds"] / 3600
    for row in time_off_sums:
        hours[row["agent__team_id"]]["off"] += row["seconds"] / 3600
    return {
        team_id: Shrinkage(
            shift_hours=part["shift"],
            time_off_hours=part["off"],
            break_hours=part["break"],
            meeting_hours=part["meeting"],
            absence_hours=max(part["absence"], 0.0),
            configured=configured.get(team_id, (DEFAULT_SHRINKAGE, None))[0],
            plan_with=configured.get(team_id, (None, ShrinkageSource.CONFIGURED))[1],
        )
        for team_id, part in hours.items()
    }


# Settings ------------------------------------------------------------------------------


@dataclass(frozen=True)
class QueueSettings:
    """What the engine needs for one queue on a day, each with where it came from.

    - `target_service_level` 0-1: the queue's staffing setting, else the service level
      Target in force for the queue that day, else the center's (kpis' targets are
      percentages: divided by 100), else 0.8; `target_source` "setting", "queue
      target", "center target" or "default";
    - `answer_seconds`: the queue's threshold T (Queue.service_level_seconds), for
      deferred channels the response target;
    - `max_occupancy` 0-1 (setting, else 0.85); `concurrency` (setting, else 1);
    - `patience`: the Patience of patience_period() (the PATIENCE_WEEKS weeks before
      today, whatever the day), and `patience_seconds` the one Erlang A uses
      (Patience.seconds: the override, else the estimate, else
      FALLBACK_PATIENCE_SECONDS; `patience_source` Patience.source);
    - `real_time`: voice and chat (Erlang C and A); e-mail, SMS and social are deferred
      work (erlang.deferred_agents)."""

    queue: Queue
    target_service_level: float
    target_source: str
    answer_seconds: float
    max_occupancy: float
    concurrency: int
    patience: Patience
    real_time: bool

    @property
    def patience_seconds(self) -> float:
        return self.patience.seconds

    @property
    def patience_source(self) -> str:
        return self.patience.source


def _service_level_targets(
    ids: list[int], first_day: date, days: int
) -> tuple[dict[int, list], list]:
    """The service-level target (percent, None where none) in force on each of `days`
    local days from first_day: per queue, and the center's; by the rule of
    kpis.selectors.targets_for (the queue's own before the center's; the latest valid
    from among those in force). One query for all the queues and days; the loop is over
    the few target rows, each laid on the days it is in force."""
    by_queue, center = {}, [None] * days
    rows = (
        Target.objects.in_force(first_day, first_day + timedelta(days=days - 1))
        .filter(kpi="service_level")
        .filter(Q(scope="center") | Q(scope="queue", queue_id__in=ids))
        .order_by("valid_from", "pk")  # the latest last: it wins
        .values_list("scope", "queue_id", "value", "valid_from", "due_by")
    )
    for scope, queue_id, value, valid_from, due_by in rows:
        low = max((valid_from - first_day).days, 0)
        high = days if due_by is None else min((due_by - first_day).days + 1, days)
        values = center if scope == "center" else by_queue.setdefault(queue_id, [None] * days)
        values[low:high] = [value] * (high - low)
    return by_queue, center


def _target(row, queue_target, center_target) -> tuple[float, str]:
    """A queue's target (0-1) on a day and where it comes from."""
    if row is not None and row.target_service_level is not None:
        target, source = row.target_service_level, "setting"
    elif queue_target is not None:
        target, source = queue_target / 100, "queue target"
    elif center_target is not None:
        target, source = center_target / 100, "center target"
    else:
        target, source = DEFAULT_TARGET_SERVICE_LEVEL, "default"
    # A target of 100 % is never reached by a finite number of agents (the engine's
    # range is below 1); 0 % would need none.
    return min(max(target, 0.01), 0.999), source


def _settings_over(
    queues, first_day: date, days: int, today: date | None = None
) -> tuple[dict[int, QueueSettings], dict]:
    """queue_settings of first_day, and each queue's (target 0-1, its source) on each of
    the `days` days (a list by queue id): four queries (queues, settings, targets,
    patience)."""
    queues = list(Queue.objects.filter(pk__in=_ids(queues)))
    ids = [queue.pk for queue in queues]
    rows = {row.queue_id: row for row in QueueStaffing.objects.filter(queue_id__in=ids)}
    by_queue, center = _service_level_targets(ids, first_day, days)
    patiences = patience(queues, *patience_period(today))
    result, daily = {}, {}
    for queue in queues:
        row = rows.get(queue.pk)
        queue_targets = by_queue.get(queue.pk, [None] * days)
        daily[queue.pk] = targets = [_target(row, queue_targets[n], center[n]) for n in range(days)]
        result[queue.pk] = QueueSettings(
            queue=queue,
            target_service_level=targets[0][0],
            target_source=targets[0][1],
            answer_seconds=float(queue.service_level_seconds),
            max_occupancy=(
                row.max_occupancy
                if row is not None and row.max_occupancy is not None
                else DEFAULT_MAX_OCCUPANCY
            ),
            concurrency=row.concurrency if row is not None else 1,
            patience=patiences[queue.pk],
            real_time=queue.channel in REAL_TIME_CHANNELS,
        )
    return result, daily


def queue_settings(queues, day: date, today: date | None = None) -> dict[int, QueueSettings]:
    """The staffing settings of each queue on the local `day`, by queue id, patience
    estimated as of `today` (default: the local today); four queries: queues, settings,
    targets, patience."""
    return _settings_over(queues, day, 1, today)[0]


# Scheduled agents ----------------------------------------------------------------------


def _eligible_agents(queues) -> Q:
    """Shifts of agents who can take these queues' contacts: agents with the required
    skill of one of them, and for a queue without one, the shifts of the teams serving
    it (agents.Team.queues). Subqueries, so an agent with two skills counts once."""
    queues = list(queues)
    skills = [queue.required_skill_id for queue in queues if queue.required_skill_id]
    open_queues = [queue.pk for queue in queues if not queue.required_skill_id]
    condition = Q(pk__in=[])
    if skills:
        condition |= Q(
            agent_id__in=Agent.objects.filter(agent_skills__skill_id__in=skills).values("pk")
        )
    if open_queues:
        condition |= Q(team_id__in=Team.objects.filter(queues__in=open_queues).values("pk"))
    return condition


def _spans_on_grid(spans: np.ndarray, intervals: int) -> np.ndarray:
    """Seconds per grid interval of signed spans (rows of start, end, sign in seconds
    from the grid's first start), clipped to the grid: each span's first and last
    partial intervals through np.add.at, its full intervals through a running sum."""
    seconds = np.zeros(intervals + 1)
    if not len(spans):
        return seconds[:-1]
    total = intervals * INTERVAL_SECONDS
    start = np.clip(np.rint(spans[:, 0]), 0, total)
    end = np.clip(np.rint(spans[:, 1]), 0, total)
    sign = spans[:, 2]
    keep = end > start
    start, end, sign = start[keep], end[keep], sign[keep]
    first = (start // INTERVAL_SECONDS).astype(np.int64)
    last = (end // INTERVAL_SECONDS).astype(np.int64)
    same = first == last
    # The partial head (the whole span when it stays in one interval) and the tail.
    head = np.where(same, end, (first + 1) * INTERVAL_SECONDS) - start
    np.add.at(seconds, first, sign * head)
    np.add.at(seconds, last[~same], (sign * (end - last * INTERVAL_SECONDS))[~same])
    # The full intervals between: +900 from first + 1, -900 from last.
    full = np.zeros(intervals + 1)
    np.add.at(full, (first + 1)[~same], sign[~same] * INTERVAL_SECONDS)
    np.add.at(full, last[~same], -sign[~same] * INTERVAL_SECONDS)
    return (seconds + np.cumsum(full))[:-1]


def scheduled_agents(queues, first_day: date, days: int, team=None) -> np.ndarray:
    """Agents the schedules put on these queues (one queue, a queue group's, or a
    team's) in every 15-minute local interval of `days` local days from `first_day`, as
    a float array aligned with forecasting.history.interval_grid(first_day, days)
    (92, 96 or 100 intervals a day): productive seconds / 900, where productive is time
    on shift minus breaks, lunch, meetings and training and minus approved time off,
    of the agents with a queue's skill (_eligible_agents); with `team`, only the shifts
    planned for that team.

    One query fetches the signed spans (shifts +1, their off-contact activities -1,
    time off on a shift -1, and +1 for an activity on time off, not to take it twice);
    numpy lays them on the grid."""
    starts, _, _ = interval_grid(first_day, days)
    begin, end = local_days(first_day, days)
    shifts = Shift.objects.filter(_eligible_agents(queues), start__lt=end, end__gt=begin)
    if team is not None:
        shifts = shifts.filter(team_id=getattr(team, "pk", team))
    shift_ids = shifts.values("pk")
    origin = Value(begin, output_field=DateTimeField())

    def signed(rows, sign, start, finish):
        return (
            rows.annotate(s=Seconds(origin, start), e=Seconds(origin, finish), sign=Value(sign))
            .values_list("s", "e", "sign")
            .order_by()
        )

    activities = ShiftActivity.objects.filter(
        shift_id__in=shift_ids, kind__in=OFF_CONTACT_KINDS, start__lt=end, end__gt=begin
    )
    # Time off against a shift: one row per (shift, time off) that overlap, in SQL.
    off_shifts = Shift.objects.filter(pk__in=shift_ids).filter(
        agent__time_off__status=TimeOffStatus.APPROVED,
        agent__time_off__start__lt=F("end"),
        agent__time_off__end__gt=F("start"),
    )
    off_activities = activities.filter(
        shift__agent__time_off__status=TimeOffStatus.APPROVED,
        shift__agent__time_off__start__lt=F("end"),
        shift__agent__time_off__end__gt=F("start"),
    )
    union = signed(shifts, 1.0, F("start"), F("end")).union(
        signed(activities, -1.0, F("start"), F("end")),
        signed(
            off_shifts,
            -1.0,
            Greatest(F("start"), F("agent__time_off__start")),
            Least(F("end"), F("agent__time_off__end")),
        ),
        signed(
            off_activities,
            1.0,
            Greatest(F("start"), F("shift__agent__time_off__start")),
            Least(F("end"), F("shift__agent__time_off__end")),
        ),
        all=True,
    )
    spans = np.array(list(union), dtype=float).reshape(-1, 3)
    # The grid's intervals are 900 s apart from its first start (UTC epoch seconds).
    return _spans_on_grid(spans, len(starts)) / INTERVAL_SECONDS


# The requirement -----------------------------------------------------------------------


@dataclass
class QueueRequirement:
    """One queue's requirement per interval of the grid (numpy arrays of its length):
    `contacts` (forecast, 0 where none stored), `aht_seconds` (NaN where no contacts are
    expected), `target_service_level` (0-1, the one in force on each interval's day),
    `agents[model]` agents needed (Erlang C and Erlang A; for a deferred channel both
    are erlang.deferred_agents' float agents, the same under both models),
    `scheduled[model]` heads to schedule after `shrinkage` (erlang.scheduled), and the
    `settings` (those of the range's first day) and shrinkage used."""

    settings: QueueSettings
    shrinkage: float
    contacts: np.ndarray
    aht_seconds: np.ndarray
    target_service_level: np.ndarray
    agents: dict[str, np.ndarray]
    scheduled: dict[str, np.ndarray]

    @property
    def queue(self) -> Queue:
        return self.settings.queue


@dataclass
class Requirement:
    """The requirement of some queues over a range of local days: `starts` (UTC epoch
    seconds of every local 15-minute interval, interval_grid's), `local_starts` (the
    same as aware datetimes in the center's zone) and `queues` (QueueRequirement by
    queue id, in the queues' name order); `teams`: the Shrinkage of every team serving
    them, by team id (what plan_shrinkage weighed). `total()` is a queue group's: the sum of its
    queues' (agents are skill-specific, so a group's need is its queues' needs added)."""

    starts: np.ndarray
    queues: dict[int, QueueRequirement] = field(default_factory=dict)
    teams: dict[int, Shrinkage] = field(default_factory=dict)

    @property
    def local_starts(self) -> list[datetime]:
        center = zone()
        return [datetime.fromtimestamp(int(start), center) for start in self.starts]

    def total(self) -> dict:
        """The group's sums per interval: `contacts`, `aht_seconds` (weighted by
        contacts, NaN without contacts), `agents[model]` and `scheduled[model]`."""
        parts = list(self.queues.values())
        zeros = np.zeros(len(self.starts))
        contacts = sum((part.contacts for part in parts), zeros)
        work = sum(
            (np.where(part.contacts > 0, part.contacts * part.aht_seconds, 0.0) for part in parts),
            zeros,
        )
        with np.errstate(invalid="ignore", divide="ignore"):
            aht = np.where(contacts > 0, work / contacts, np.nan)
        return {
            "contacts": contacts,
            "aht_seconds": aht,
            "agents": {m: sum((p.agents[m] for p in parts), zeros) for m in erlang.MODELS},
            "scheduled": {m: sum((p.scheduled[m] for p in parts), zeros) for m in erlang.MODELS},
        }


def plan_shrinkage(queues, today: date | None = None) -> dict[int, float]:
    """The shrinkage the plan uses for each queue, by queue id: that of the teams
    serving it (Team.queues), each team's `Shrinkage.used` over the default period,
    weighted by the team's active agents; 0.30 for a queue no team serves. The one
    definition of the heads to schedule, on every page, API and proposal."""
    return _plan_shrinkage(queues, today)[0]


def _plan_shrinkage(queues, today: date | None = None) -> tuple[dict[int, float], dict]:
    """plan_shrinkage, and the Shrinkage of each serving team by team id."""
    ids = _ids(queues)
    teams = (
        Team.objects.filter(queues__in=ids)
        .annotate(heads=Count("agents", filter=Q(agents__active=True), distinct=True))
        .values_list("pk", "queues", "heads")
    )
    links = [(team_id, queue_id, heads) for team_id, queue_id, heads in teams if queue_id in ids]
    measured = team_shrinkage({team_id for team_id, _, _ in links}, *shrinkage_period(today))
    weights = {queue_id: [0.0, 0.0] for queue_id in ids}
    for team_id, queue_id, heads in links:
        weight = max(heads, 1)
        weights[queue_id][0] += weight * measured[team_id].used
        weights[queue_id][1] += weight
    per_queue = {
        queue_id: total / count if count else DEFAULT_SHRINKAGE
        for queue_id, (total, count) in weights.items()
    }
    return per_queue, measured


def forecast_arrays(
    queues, first_day: date, days: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The stored forecast on the grid of `days` local days from first_day: (starts,
    contacts[queue, interval], aht[queue, interval]) with queues in the given order;
    one query, its interval offsets computed in SQL and laid on the grid by numpy.

    The one reader of the stored forecast for staffing (coverage, API, what-if,
    proposals). An interval with contacts but no handle time (not what a forecast
    stores, but possible) takes the queue's mean of that local day, weighted by
    contacts: the same whatever range the day is read in; with none known that day no
    agents can be computed for it, so it counts no contacts. AHT is NaN where nothing
    is expected."""
    starts, day_index, _ = interval_grid(first_day, days)
    begin, end = local_days(first_day, days)
    ids = np.array([queue.pk for queue in queues], dtype=np.int64)
    order = np.argsort(ids)
    contacts = np.zeros((len(ids), len(starts)))
    aht = np.full((len(ids), len(starts)), np.nan)
    rows = (
        Forecast.objects.filter(queue_id__in=ids.tolist(), start__gte=begin, start__lt=end)
        .annotate(offset=Seconds(Value(begin, output_field=DateTimeField()), F("start")))
        .values_list("queue_id", "offset", "contacts", "aht_seconds")
    )
    stored = np.array(list(rows), dtype=float).reshape(-1, 4)  # a NULL AHT is NaN
    row = order[np.searchsorted(ids[order], stored[:, 0].astype(np.int64))]
    column = (np.rint(stored[:, 1]) // INTERVAL_SECONDS).astype(np.int64)
    contacts[row, column] = stored[:, 2]
    aht[row, column] = stored[:, 3]
    known = ~np.isnan(aht)
    work_by_day = np.zeros((days, len(ids)))
    known_by_day = np.zeros((days, len(ids)))
    np.add.at(work_by_day, day_index, np.where(known, contacts * aht, 0.0).T)
    np.add.at(known_by_day, day_index, np.where(known, contacts, 0.0).T)
    with np.errstate(invalid="ignore", divide="ignore"):
        day_mean = (work_by_day / known_by_day).T[:, day_index]
    missing = (contacts > 0) & ~known
    aht = np.where(missing, day_mean, aht)
    contacts = np.where((contacts > 0) & np.isnan(aht), 0.0, contacts)
    aht = np.where(contacts > 0, aht, np.nan)
    return starts, contacts, aht


def requirement(queues, first_day: date, days: int) -> Requirement:
    """Agents the stored forecast needs in every local 15-minute interval of `days`
    local days from `first_day`, per queue, under Erlang C and Erlang A (spec/staffing.md).

    Real-time queues (voice, chat) go through erlang.agents_needed with their settings
    (target in force on each interval's day, answer time, occupancy cap, concurrency,
    patience for Erlang A); deferred ones (e-mail, SMS, social) through
    erlang.deferred_agents against their response target, read with a lead-in of the
    days before so that work arriving then and due in the range counts. Nothing depends
    on the range but the intervals in it: an interval has the same numbers read in a
    day, a week or a proposal's range. Heads to schedule use plan_shrinkage's. The
    forecast is one query; the engine one call per model for all real-time queues."""
    queues = sorted(Queue.objects.filter(pk__in=_ids(queues)), key=lambda queue: queue.name)
    deferred = [queue.channel not in REAL_TIME_CHANNELS for queue in queues]
    lead_days = 0
    if any(deferred):
        longest = max(
            queue.service_level_seconds
            for queue, late in zip(queues, deferred, strict=True)
            if late
        )
        lead_days = math.ceil(longest / 86_400)
    read_from, read_days = first_day - timedelta(days=lead_days), days + lead_days
    settings_by_queue, daily_targets = _settings_over(queues, read_from, read_days)
    starts, contacts, aht = forecast_arrays(queues, read_from, read_days)
    _, day_index, _ = interval_grid(read_from, read_days)
    lead = int(np.count_nonzero(day_index < lead_days))
    targets = np.array(
        [[target for target, _ in daily_targets[queue.pk]] for queue in queues], dtype=float
    ).reshape(len(queues), read_days)[:, day_index]
    shrinkages, teams = _plan_shrinkage(queues)

    def column(name):
        return np.array(
            [[getattr(settings_by_queue[queue.pk], name)] for queue in queues], dtype=float
        )

    agents = {model: np.zeros(contacts.shape) for model in erlang.MODELS}
    live = ~np.array(deferred, dtype=bool)
    if live.any():
        for model in erlang.MODELS:
            agents[model][live] = erlang.agents_needed(
                model,
                contacts[live],
                aht[live],
                INTERVAL_SECONDS,
                targets[live],
                column("answer_seconds")[live],
                max_occupancy=column("max_occupancy")[live],
                patience_seconds=column("patience_seconds")[live] if model == "erlang_a" else None,
                concurrency=column("concurrency")[live],
            )
    if not live.all():
        work = erlang.deferred_agents(
            contacts[~live], aht[~live], INTERVAL_SECONDS, column("answer_seconds")[~live]
        )
        for model in erlang.MODELS:
            agents[model][~live] = work

    result = Requirement(starts=starts[lead:], teams=teams)
    for row, queue in enumerate(queues):
        queue_shrinkage = shrinkages[queue.pk]
        needed = {model: agents[model][row, lead:] for model in erlang.MODELS}
        target, source = daily_targets[queue.pk][lead_days]  # the range's first day
        result.queues[queue.pk] = QueueRequirement(
            settings=replace(
                settings_by_queue[queue.pk], target_service_level=target, target_source=source
            ),
            shrinkage=queue_shrinkage,
            contacts=contacts[row, lead:],
            aht_seconds=aht[row, lead:],
            target_service_level=targets[row, lead:],
            agents=needed,
            scheduled={
                model: erlang.scheduled(needed[model], queue_shrinkage).astype(float)
                for model in erlang.MODELS
            },
        )
    return result
