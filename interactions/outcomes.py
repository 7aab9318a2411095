"""Which contacts count where: every outcome rule of spec/kpis.md, written once.

Each rule is a Django condition on `Interaction`. The KPI rollup aggregates with these
same conditions (kpis.rollup), the live wallboard sums with them, and the drill-down
lists filter with them, so a tile and the contacts listed behind it cannot disagree.
"""

from datetime import timedelta

from django.conf import settings
from django.db.models import Count, Exists, F, FloatField, Func, Max, OuterRef, Q, Sum, Value
from django.db.models.functions import Coalesce
from django.db.models.lookups import LessThan, LessThanOrEqual

from interactions.models import Direction, Interaction


class Seconds(Func):
    """Seconds from one datetime column to another, as a float, in SQL."""

    arity = 2
    output_field = FloatField()

    def as_sql(self, compiler, connection, **extra):
        # SQLite stores datetimes as text: julianday() turns them into days.
        template = "round((julianday(%(end)s) - julianday(%(start)s)) * 86400.0, 3)"
        return self._as_seconds(compiler, connection, template)

    def as_postgresql(self, compiler, connection, **extra):
        template = "EXTRACT(EPOCH FROM (%(end)s - %(start)s))::double precision"
        return self._as_seconds(compiler, connection, template)

    def _as_seconds(self, compiler, connection, template):
        (start_sql, start_params), (end_sql, end_params) = (
            compiler.compile(expression) for expression in self.get_source_expressions()
        )
        # Both templates name the end first: its parameters come first.
        return template % {"start": start_sql, "end": end_sql}, (*end_params, *start_params)


def repeat_window() -> timedelta:
    """How long after a contact the same customer's next contact still makes it a repeat."""
    return timedelta(days=getattr(settings, "KPI_REPEAT_WINDOW_DAYS", 7))


WAIT_TO_ANSWER = Seconds(F("arrived_at"), F("answered_at"))
WAIT_TO_END = Seconds(F("arrived_at"), F("ended_at"))

INBOUND = Q(direction=Direction.INBOUND)
ANSWERED = INBOUND & Q(answered_at__isnull=False)
UNANSWERED_ENDED = INBOUND & Q(answered_at__isnull=True, ended_at__isnull=False)
ABANDONED = UNANSWERED_ENDED & Q(callback_requested=False)
# T and S belong to the queue: a contact of another channel in it uses the queue's values.
SHORT_ABANDONED = ABANDONED & Q(LessThan(WAIT_TO_END, F("queue__short_abandon_seconds")))
CALLBACK = UNANSWERED_ENDED & Q(callback_requested=True)
ANSWERED_IN_SL = ANSWERED & Q(LessThanOrEqual(WAIT_TO_ANSWER, F("queue__service_level_seconds")))
# The contacts service level is a share of: answered, plus abandoned ones that waited at
# least S (a caller who hung up at once is left out). Callbacks and open contacts are not.
SL_COUNTED = ANSWERED | (ABANDONED & ~SHORT_ABANDONED)
HANDLED = ANSWERED & Q(ended_at__isnull=False)
TRANSFERRED = HANDLED & Q(transferred=True)
FCR_ELIGIBLE = HANDLED & (Q(resolved__isnull=False) | ~Q(customer=""))
CSAT_ANSWERED = INBOUND & Q(csat__isnull=False)
CSAT_POSITIVE = INBOUND & Q(csat__gte=4)
NPS_ANSWERED = INBOUND & Q(nps__isnull=False)
PROMOTER = INBOUND & Q(nps__gte=9)
DETRACTOR = INBOUND & Q(nps__lte=6)
OUTBOUND = Q(direction=Direction.OUTBOUND)
OUTBOUND_HANDLED = OUTBOUND & Q(ended_at__isnull=False)
OPEN = Q(ended_at__isnull=True)


def repeated(window: timedelta | None = None) -> Exists:
    """Another inbound contact of the same customer arrived after this one, at most the
    repeat window later (any source, queue, channel or outcome)."""
    window = window if window is not None else repeat_window()
    later = Interaction.objects.filter(
        customer=OuterRef("customer"),
        direction=Direction.INBOUND,
        arrived_at__gt=OuterRef("arrived_at"),
        arrived_at__lte=OuterRef("arrived_at") + window,
    ).exclude(pk=OuterRef("pk"))
    return Exists(later)


def fcr_resolved(window: timedelta | None = None) -> Q:
    """Eligible, not marked unresolved, and (when the customer is known) no repeat."""
    return FCR_ELIGIBLE & ~Q(resolved=False) & (Q(customer="") | ~Q(repeated(window)))


def rules(window: timedelta | None = None) -> dict[str, Q]:
    """Every named outcome: the components' conditions and the drill-down's sets."""
    return {
        "offered": INBOUND,
        "answered": ANSWERED,
        "answered_in_sl": ANSWERED_IN_SL,
        "sl_counted": SL_COUNTED,
        "abandoned": ABANDONED,
        "short_abandoned": SHORT_ABANDONED,
        "callback": CALLBACK,
        "handled": HANDLED,
        "transferred": TRANSFERRED,
        "fcr_eligible": FCR_ELIGIBLE,
        "fcr_resolved": fcr_resolved(window),
        "csat_answered": CSAT_ANSWERED,
        "csat_positive": CSAT_POSITIVE,
        "nps_answered": NPS_ANSWERED,
        "promoter": PROMOTER,
        "detractor": DETRACTOR,
        "outbound": OUTBOUND,
        "outbound_handled": OUTBOUND_HANDLED,
        "open": OPEN,
    }


# What each outcome is called where a person picks it (the drill-down's filter).
LABELS = {
    "offered": "Offered (inbound)",
    "answered": "Answered",
    "answered_in_sl": "Answered within the service level",
    "sl_counted": "Counted in service level",
    "abandoned": "Abandoned",
    "short_abandoned": "Short abandons",
    "callback": "Callback requested",
    "handled": "Handled",
    "transferred": "Transferred",
    "fcr_eligible": "FCR-eligible",
    "fcr_resolved": "Resolved first time",
    "csat_answered": "With a CSAT answer",
    "csat_positive": "CSAT 4-5",
    "nps_answered": "With an NPS answer",
    "promoter": "Promoters (NPS 9-10)",
    "detractor": "Detractors (NPS 0-6)",
    "outbound": "Outbound",
    "outbound_handled": "Outbound, ended",
    "open": "Still open",
}


def _count(rule: Q):
    return Count("pk", filter=rule)


def _total(rule: Q, value):
    return Coalesce(Sum(value, filter=rule), Value(0.0), output_field=FloatField())


def component_aggregates(window: timedelta | None = None, within: Q | None = None) -> dict:
    """Each contact component of spec/kpis.md as an aggregate over contacts, in the
    registry's order (kpis.definitions.CONTACT_COMPONENTS); `within` narrows every one to
    a part of the contacts (so several parts sum in one query)."""
    rule = rules(window)
    if within is not None:
        rule = {name: condition & within for name, condition in rule.items()}
    return {
        "offered": _count(rule["offered"]),
        "answered": _count(rule["answered"]),
        "answered_in_sl": _count(rule["answered_in_sl"]),
        "abandoned": _count(rule["abandoned"]),
        "short_abandoned": _count(rule["short_abandoned"]),
        "callbacks": _count(rule["callback"]),
        "wait_answered_sum": _total(rule["answered"], WAIT_TO_ANSWER),
        "wait_abandoned_sum": _total(rule["abandoned"], WAIT_TO_END),
        "wait_max": Max(WAIT_TO_ANSWER, filter=rule["answered"]),
        "handled": _count(rule["handled"]),
        "talk_sum": _total(rule["handled"], "talk_seconds"),
        "hold_sum": _total(rule["handled"], "hold_seconds"),
        "wrap_sum": _total(rule["handled"], "wrap_seconds"),
        "transferred": _count(rule["transferred"]),
        "fcr_eligible": _count(rule["fcr_eligible"]),
        "fcr_resolved": _count(rule["fcr_resolved"]),
        "csat_responses": _count(rule["csat_answered"]),
        "csat_positive": _count(rule["csat_positive"]),
        "nps_responses": _count(rule["nps_answered"]),
        "promoters": _count(rule["promoter"]),
        "detractors": _count(rule["detractor"]),
        "outbound_handled": _count(rule["outbound_handled"]),
    }
