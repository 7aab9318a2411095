"""Which local days to re-roll: change detection with a fill state per source.

Each raw source the rollups read has its own watermark on RollupState, its fill state
(after Zulip's analytics FillState): the moment up to which its changes have been rolled
up, on the column that source stamps when a row is stored or changed:

- contacts, by `Interaction.updated_at` (ingesting a survey stamps its contact too, so
  surveys ride on the contacts' watermark);
- agent states, by `AgentStateEvent.received_at`;
- schedules, by the history date of shifts and activities (deletions leave history too);
- evaluations, by `Evaluation.updated_at` (every save: the services, the admin) and the
  days quality.signals.evaluation_changed marked (MarkedDay: a deleted evaluation too),
  each re-rolling the evaluated contact's day.

Agent states and schedules name the agents and the time too: a run re-rolls only the
state intervals of each agent's span they changed (changed_spans), plus every agent's
from the last run's cut at the present to this one's; contacts and evaluations re-roll
their days.

A run reads each source's rows stamped after that source's own fill state and records
each fill state it rolled. The days, the deletes, the inserts and the new fill states are
one transaction (kpis.rollup.run), so a run that fails leaves every fill state where it
was and the next run does its work again: no "started" state is needed.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import F, Max, Min, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce, Least, TruncDate
from django.utils import timezone

from agents.models import AgentStateEvent
from core.localtime import local_today
from core.localtime import zone as local_zone
from interactions.models import Direction, Interaction
from interactions.outcomes import repeat_window
from kpis.models import MarkedDay
from kpis.rollup.states import state_cap
from quality.models import Evaluation
from scheduling.models import Shift, ShiftActivity

# An agent and a span of its time: (agent id, start, end).
Span = tuple[int, datetime, datetime]


def days_of(rows, moment="arrived_at") -> set[date]:
    """The local days of a moment of the given rows (a field or an expression; contacts'
    arrival by default), computed in the database."""
    return set(
        rows.annotate(day=TruncDate(moment, tzinfo=local_zone()))
        .values_list("day", flat=True)
        .order_by()  # the model's ordering would make DISTINCT one row per contact
        .distinct()
    )


def contact_changed_days(since: datetime | None, until: datetime) -> set[date]:
    """Local days whose contact numbers may have changed between two watermarks.

    The days of contacts (and their surveys) stored since `since`, plus, for each of
    them, the day of its customer's last inbound contact before it inside the repeat
    window (previous_contact_days): the only earlier contact whose first-contact
    resolution it can turn.
    """
    changed = Interaction.objects.filter(updated_at__lte=until)
    if since is not None:
        changed = changed.filter(updated_at__gt=since)
    return days_of(changed) | previous_contact_days(changed)


def previous_contact_days(changed) -> set[date]:
    """The local days of the last inbound contact of each changed contact's customer that
    arrived before it and inside the repeat window.

    A contact at t can turn a contact at s of the same customer into a repeat (or back)
    only when s is in [t - window, t) and no other inbound contact of the customer
    arrived in (s, t): that one would be a repeat of s already, whatever t does. So only
    the customer's last inbound contact before t can change (all those at that very
    moment: they share its day), and each changed contact costs one LIMIT 1 probe of the
    (customer, arrived_at) index, bounded by the window: the look-back follows the number
    of changes, never the customer's history (one withheld caller id on 200,000 contacts).
    Any direction counts on the changed side: a contact that stopped being inbound clears
    the repeat it made.
    """
    window = repeat_window()
    previous = (
        Interaction.objects.filter(
            customer=OuterRef("customer"),
            direction=Direction.INBOUND,
            arrived_at__lt=OuterRef("arrived_at"),
            arrived_at__gte=OuterRef("arrived_at") - window,
        )
        .order_by("-arrived_at")
        .values("arrived_at")[:1]
    )
    # No previous contact: NULL, dropped here (filtering on it would run the probe twice).
    days = days_of(changed.exclude(customer="").annotate(previous=Subquery(previous)), "previous")
    return days - {None}


def state_changed_spans(since: datetime | None, until: datetime) -> list[Span]:
    """Per agent, the span whose agent-state seconds may have changed between two
    watermarks: from its earliest changed event to the latest end of a changed event's
    state. An event changes its agent's seconds only from its own moment until its state
    ends (at the agent's next event, at most the cap later): before it nothing moves, and
    the state it cuts short (the previous one) would have ended no later."""
    states = AgentStateEvent.objects.filter(received_at__lte=until)
    if since is not None:
        states = states.filter(received_at__gt=since)
    following = AgentStateEvent.objects.filter(agent=OuterRef("agent"), at__gt=OuterRef("at"))
    capped = F("at") + state_cap()
    ends = Least(Coalesce(Subquery(following.order_by("at").values("at")[:1]), capped), capped)
    return list(
        states.order_by()
        .values("agent_id")
        .annotate(start=Min("at"), end=Max(ends))
        .values_list("agent_id", "start", "end")
    )


def state_changed_days(since: datetime | None, until: datetime) -> set[date]:
    """Local days whose agent-state seconds may have changed between two watermarks."""
    return days_of_spans(state_changed_spans(since, until))


def schedule_changed_spans(since: datetime | None, until: datetime) -> list[Span]:
    """The spans whose scheduled seconds may have changed between two watermarks: those
    of the shifts touched, every version of them, old and new.

    Every change to a shift or an activity (deletions too) leaves a history row; a shift
    moved elsewhere (or given to another agent) clears where it was. Activities lie
    inside their shift (scheduling.services), so the shift's versions cover theirs.
    """
    window = {"history_date__lte": until}
    if since is not None:
        window["history_date__gt"] = since
    # Subqueries, not id lists: on the first run every shift ever stored is "touched".
    changed_shifts = Shift.history.filter(**window).values("id")
    changed_activities = ShiftActivity.history.filter(**window).values("shift_id")
    touched = Q(id__in=changed_shifts) | Q(id__in=changed_activities)
    versions = (
        Shift.history.filter(touched),
        Shift.objects.filter(touched),  # shifts stored in bulk (the demo) have no history yet
    )
    return [span for rows in versions for span in rows.values_list("agent_id", "start", "end")]


def schedule_changed_days(since: datetime | None, until: datetime) -> set[date]:
    """Local days whose scheduled seconds may have changed between two watermarks."""
    return days_of_spans(schedule_changed_spans(since, until))


def days_of_spans(spans) -> set[date]:
    """The local days the spans (agent, start, end) reach into."""
    days = set()
    for _, start, end in spans:
        first, last = local_today(start), local_today(end - timedelta(microseconds=1))
        days |= {first + timedelta(days=n) for n in range((last - first).days + 1)}
    return days


def evaluation_changed_days(since: datetime | None, until: datetime) -> set[date]:
    """Local days whose quality components may have changed between two watermarks: the
    days of the contacts whose evaluations were saved, and the days marked by
    quality.signals.evaluation_changed (kpis.rollup.changes.on_evaluation_changed)."""
    saved = Evaluation.objects.filter(updated_at__lte=until)
    marked = MarkedDay.objects.filter(marked_at__lte=until)
    if since is not None:
        saved = saved.filter(updated_at__gt=since)
        marked = marked.filter(marked_at__gt=since)
    contacts = Interaction.objects.filter(pk__in=saved.values("contact_id"))
    return days_of(contacts) | set(marked.values_list("day", flat=True))


def on_evaluation_changed(sender, contacts, **kwargs) -> set[date]:
    """quality.signals.evaluation_changed: mark the evaluated contacts' local days, which
    the minute's incremental rollup re-rolls (evaluation_changed_days). A few days, no
    background job: the next run has the new numbers. Returns the days marked."""
    pks = [getattr(contact, "pk", contact) for contact in contacts]
    days = days_of(Interaction.objects.filter(pk__in=pks))
    now = timezone.now()
    MarkedDay.objects.bulk_create(
        [MarkedDay(day=day, marked_at=now) for day in days],
        update_conflicts=True,
        unique_fields=["day"],
        update_fields=["marked_at"],
    )
    return days


def elapsed_days(since: datetime | None, until: datetime) -> set[date]:
    """The local days time has moved through since the last run: their states and
    schedules were cut at the last run's present and go on to this one's."""
    if since is None:
        return set()
    first, last = local_today(since), local_today(until)
    return {first + timedelta(days=n) for n in range((last - first).days + 1)}


@dataclass(frozen=True)
class Source:
    """A raw source of the rollups and its fill state on RollupState."""

    name: str
    # The RollupState field holding how far this source's changes are rolled up.
    fill_state: str
    # Its changed days between two watermarks (on the source's own stamp column).
    changed: Callable[[datetime | None, datetime], set[date]]
    # Its rows are cut at the run's present, so the days time moved through change too.
    cut_at_present: bool = False
    # For the sources only the state intervals read (agent states, schedules): per agent,
    # the span changed between two watermarks (agent id, start, end). A run re-rolls the
    # state intervals of those agents over those spans only, and their days' agent rows.
    changed_spans: Callable[[datetime | None, datetime], list[Span]] | None = None

    def changed_days(self, since: datetime | None, until: datetime) -> set[date]:
        days = self.changed(since, until)
        return days | elapsed_days(since, until) if self.cut_at_present else days


CONTACTS = Source("contacts", "contacts_rolled_to", contact_changed_days)
AGENT_STATES = Source(
    "agent_states", "states_rolled_to", state_changed_days, True, state_changed_spans
)
SCHEDULES = Source(
    "schedules", "schedules_rolled_to", schedule_changed_days, True, schedule_changed_spans
)
EVALUATIONS = Source("evaluations", "evaluations_rolled_to", evaluation_changed_days)
SOURCES = (CONTACTS, AGENT_STATES, SCHEDULES, EVALUATIONS)


def changed_days(since: datetime | None, until: datetime, sources=SOURCES) -> set[date]:
    """Local days whose numbers may have changed between two watermarks, any source."""
    days = set()
    for source in sources:
        days |= source.changed_days(since, until)
    return days
