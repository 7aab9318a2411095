"""The KPI engine against hand-made contacts, with the spec's numbers written out."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from interactions.models import Queue
from kpis import rollup
from kpis.models import ContactDay, ContactInterval
from kpis.selectors import SeriesRequest, kpi_series
from tests.factories import AgentFactory, CostEntryFactory, InteractionFactory

pytestmark = pytest.mark.django_db

DAY = date(2026, 3, 2)
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def contact(wait=None, *, answered=True, ended=True, talk=0, hold=0, wrap=0, at=T0, **fields):
    """A voice contact in queue Billing (T=20 s, S=5 s) waiting `wait` seconds."""
    queue = Queue.objects.get_or_create(name="Billing", defaults={"channel": "voice"})[0]
    answered_at = at + timedelta(seconds=wait) if answered and wait is not None else None
    if ended is True:
        ended_at = (answered_at or at + timedelta(seconds=wait or 0)) + timedelta(
            seconds=talk + hold
        )
    else:
        ended_at = None
    fields.setdefault("queue", queue)
    return InteractionFactory(
        arrived_at=at,
        answered_at=answered_at,
        ended_at=ended_at,
        talk_seconds=talk,
        hold_seconds=hold,
        wrap_seconds=wrap,
        **fields,
    )


def total(user, day=DAY, **kwargs):
    rollup.roll_up_days([day])
    [row] = kpi_series(user, SeriesRequest(start=day, end=day, **kwargs))
    return row


def test_queue_kpis_follow_the_spec_to_the_second(manager):
    contact(20, talk=100, hold=10, wrap=30, transferred=True)  # answered at exactly T
    contact(21, talk=200, wrap=20)  # one second too late
    contact(4, answered=False)  # short abandon: wait < S
    contact(5, answered=False)  # wait = S is a real abandon
    contact(60, answered=False, callback_requested=True)  # callback: no abandon, no wait
    contact(None, answered=False, ended=False)  # still waiting: offered only
    contact(10, ended=False)  # answered, still talking: not handled

    row = total(manager)
    k, c = row["kpis"], row["components"]
    assert (c["offered"], c["answered"], c["answered_in_sl"]) == (7, 3, 2)
    assert (c["abandoned"], c["short_abandoned"], c["callbacks"], c["handled"]) == (2, 1, 1, 2)
    assert k["service_level"] == pytest.approx(100 * 2 / (3 + 2 - 1))
    assert k["asa"] == pytest.approx((20 + 21 + 10) / 3)
    assert k["max_wait"] == pytest.approx(21)
    assert k["abandonment_rate"] == pytest.approx(100 * 2 / 7)
    assert k["aht"] == pytest.approx((100 + 10 + 30 + 200 + 20) / 2)
    assert k["transfer_rate"] == pytest.approx(50)
    assert k["fcr"] is None and k["csat"] is None and k["occupancy"] is None


def test_an_empty_period_has_zero_counts_and_null_ratios(manager):
    row = total(manager)
    assert row["kpis"]["offered"] == 0 and row["components"]["handled"] == 0
    assert row["kpis"]["service_level"] is None and row["kpis"]["max_wait"] is None


def test_first_contact_resolution_looks_forward_seven_days(manager):
    week = timedelta(days=7)
    contact(10, customer="A", resolved=True)
    contact(10, customer="A", at=T0 + week, answered=False, ended=False)  # exactly 7 days: repeat
    contact(10, customer="B")
    contact(10, customer="B", at=T0 + week + timedelta(seconds=1))  # a second later: none
    contact(10, customer="C", resolved=False)  # unresolved by the source
    contact(10, customer="", resolved=None)  # nobody to follow: not eligible
    contact(10, customer="D")
    contact(10, customer="D", at=T0 + timedelta(days=2), direction="outbound", queue=None)

    row = total(manager)
    assert (row["components"]["fcr_eligible"], row["components"]["fcr_resolved"]) == (4, 2)
    assert row["kpis"]["fcr"] == pytest.approx(50)


def test_a_repeat_arriving_later_rerolls_the_first_contacts_day(manager):
    contact(10, customer="A")
    assert rollup.roll_up_changes() == 1
    assert kpi_series(manager, SeriesRequest(start=DAY, end=DAY))[0]["kpis"]["fcr"] == 100
    contact(10, customer="A", at=T0 + timedelta(days=3))  # the customer calls again
    # That day, the first contact's day, and today (time moved on since the last run).
    today = timezone.localdate()
    assert rollup.roll_up_changes() == len({DAY, DAY + timedelta(days=3), today})
    assert kpi_series(manager, SeriesRequest(start=DAY, end=DAY))[0]["kpis"]["fcr"] == 0
    rollup.roll_up_changes()  # nothing new: the same numbers
    assert kpi_series(manager, SeriesRequest(start=DAY, end=DAY))[0]["kpis"]["fcr"] == 0


def test_surveys_count_for_inbound_contacts_whatever_their_outcome(manager):
    contact(10, csat=5, nps=10)
    contact(10, csat=4, nps=9)
    contact(3, answered=False, csat=1, nps=0)  # abandoned, still counts
    contact(None, answered=False, ended=False, csat=3, nps=7)  # open, still counts
    contact(10, csat=5, nps=10, direction="outbound", queue=None)  # outbound: never
    k = total(manager)["kpis"]
    assert k["csat"] == pytest.approx(100 * 2 / 4)
    assert k["nps"] == pytest.approx(100 * (2 - 1) / 4)


def test_outbound_counts_only_as_outbound_handled(manager):
    contact(10, direction="outbound", queue=None, talk=50)
    contact(None, answered=False, direction="outbound", queue=None)  # ended, never answered
    contact(10, ended=False, direction="outbound", queue=None)  # still going
    row = total(manager)
    assert row["components"]["outbound_handled"] == 2
    assert row["components"]["offered"] == row["components"]["handled"] == 0


def test_a_contact_one_second_before_local_midnight_on_a_dst_day(manager, settings):
    settings.TIME_ZONE = "America/New_York"
    # 2026-03-08 is 23 hours long in New York; 23:59:59 local is 03:59:59 UTC next day.
    late = datetime(2026, 3, 9, 3, 59, 59, tzinfo=UTC)
    contact(10, at=late)
    contact(10, at=late + timedelta(seconds=1))  # midnight: the next day
    dst_day = date(2026, 3, 8)
    rollup.roll_up_days([dst_day, dst_day + timedelta(days=1)])
    rows = kpi_series(
        manager, SeriesRequest(start=dst_day, end=dst_day + timedelta(days=1), granularity="day")
    )
    assert [row["kpis"]["offered"] for row in rows] == [1, 1]
    assert [row["period_start"].isoformat() for row in rows] == [
        "2026-03-08T00:00:00-05:00",
        "2026-03-09T00:00:00-04:00",
    ]
    intervals = kpi_series(
        manager, SeriesRequest(start=dst_day, end=dst_day, granularity="interval")
    )
    hours = kpi_series(manager, SeriesRequest(start=dst_day, end=dst_day, granularity="hour"))
    assert (len(intervals), len(hours)) == (92, 23)
    assert intervals[-1]["kpis"]["offered"] == 1 and hours[-1]["kpis"]["offered"] == 1


def test_the_hour_table_holds_local_hours_and_adds_up_to_the_day_on_a_dst_day(manager, settings):
    from kpis.models import ContactDay, ContactHour

    settings.TIME_ZONE = "America/New_York"
    dst_day = date(2026, 3, 8)  # 02:00 EST became 03:00 EDT at 07:00 UTC
    contact(10, at=datetime(2026, 3, 8, 6, 59, tzinfo=UTC))  # 01:59 EST
    contact(10, at=datetime(2026, 3, 8, 7, 0, tzinfo=UTC))  # 03:00 EDT
    contact(10, at=datetime(2026, 3, 9, 3, 59, 59, tzinfo=UTC))  # 23:59:59 EDT
    contact(10, at=datetime(2026, 3, 8, 5, 30, tzinfo=UTC))  # 00:30 EST
    rollup.roll_up_days([dst_day])
    hours = dict(ContactHour.objects.filter(day=dst_day).values_list("hour", "offered"))
    assert hours == {0: 1, 1: 1, 3: 1, 23: 1}
    day_total = ContactDay.objects.get(day=dst_day).offered
    assert sum(hours.values()) == day_total == 4


def test_cost_per_contact_prorates_entries_across_a_month_boundary(manager):
    CostEntryFactory(
        amount=Decimal("3100.00"), start_date=date(2026, 3, 1), end_date=date(2026, 3, 31)
    )
    CostEntryFactory(
        amount=Decimal("280.00"), start_date=date(2026, 2, 16), end_date=date(2026, 3, 15)
    )
    contact(10, talk=60)
    contact(10, talk=60)
    rollup.roll_up_days([DAY])
    [row] = kpi_series(manager, SeriesRequest(start=date(2026, 2, 28), end=date(2026, 3, 2)))
    # March entry: 2 of 31 days -> 200; Feb-Mar entry: 3 of 28 days -> 30.
    assert row["components"]["period_cost"] == pytest.approx(230)
    assert row["kpis"]["cost_per_contact"] == pytest.approx(115)
    interval_rows = kpi_series(manager, SeriesRequest(start=DAY, end=DAY, granularity="hour"))
    assert all(r["kpis"]["cost_per_contact"] is None for r in interval_rows)


def test_rolling_up_twice_gives_the_same_rows(manager):
    contact(10, talk=60, customer="A")
    contact(30, answered=False)
    rollup.roll_up_days([DAY])
    first = list(ContactInterval.objects.values().order_by("interval_start", "channel"))
    rollup.roll_up_days([DAY])
    again = list(ContactInterval.objects.values().order_by("interval_start", "channel"))
    strip = lambda rows: [{k: v for k, v in row.items() if k != "id"} for row in rows]  # noqa: E731
    assert strip(first) == strip(again)
    assert ContactDay.objects.count() == 1


def test_group_by_queue_team_agent_and_channel_and_supervisor_scope(
    manager, supervisor_a, team_a, team_b
):
    north, south = AgentFactory(team=team_a, login="n1"), AgentFactory(team=team_b, login="s1")
    contact(10, agent=north, team=team_a)
    contact(10, agent=north, team=team_a, channel="chat")
    contact(10, agent=south, team=team_b)
    rollup.roll_up_days([DAY])
    by = lambda user, group, kpi="answered", **kw: {  # noqa: E731
        tuple(r["group"].values())[0]: r["kpis"][kpi]
        for r in kpi_series(user, SeriesRequest(start=DAY, end=DAY, group_by=group, **kw))
    }
    assert by(manager, "team") == {"Team A": 2, "Team B": 1}
    assert by(manager, "agent") == {"n1": 2, "s1": 1}
    assert by(manager, "channel", "offered") == {"chat": 1, "voice": 2}
    assert by(manager, "queue", "offered") == {"Billing": 3}
    assert by(supervisor_a, "team") == {"Team A": 2}
    assert by(manager, "agent", channels=("voice",)) == {"n1": 1, "s1": 1}
    # Offered belongs to queues: a team's or an agent's is not applicable, never partial.
    assert by(manager, "team", "offered") == {"Team A": None, "Team B": None}
    assert by(manager, "agent", "service_level") == {"n1": None, "s1": None}


def _states(agent, *events):
    from agents.models import AgentStateEvent

    for clock, state in events:
        hour, minute = map(int, clock.split(":"))
        AgentStateEvent.objects.create(
            agent=agent, state=state, at=T0.replace(hour=hour, minute=minute)
        )


def test_occupancy_utilization_adherence_from_states_spanning_intervals(manager, team_a):
    from scheduling.models import Shift, ShiftActivity

    agent = AgentFactory(team=team_a, login="a1")
    _states(agent, ("09:00", "available"), ("09:10", "on_contact"), ("09:20", "after_contact_work"),
            ("09:25", "available"), ("09:40", "break"), ("10:00", "offline"))  # fmt: skip
    shift = Shift.objects.create(agent=agent, start=T0, end=T0 + timedelta(hours=1))
    ShiftActivity.objects.create(shift=shift, kind="work", start=T0, end=T0 + timedelta(minutes=45))
    ShiftActivity.objects.create(shift=shift, kind="break", start=T0 + timedelta(minutes=45),
                                 end=T0 + timedelta(hours=1))  # fmt: skip
    contact(5, talk=300, agent=agent, team=team_a)

    row = total(manager)
    c, k = row["components"], row["kpis"]
    assert (c["staffed_seconds"], c["available_seconds"], c["on_contact_seconds"]) == (
        3600,
        1500,
        600,
    )
    assert (c["acw_seconds"], c["break_seconds"], c["other_seconds"]) == (300, 1200, 0)
    assert (c["scheduled_seconds"], c["adherent_seconds"]) == (3600, 3300)
    assert k["occupancy"] == pytest.approx(100 * 900 / 2400)
    assert k["utilization"] == pytest.approx(25)
    assert k["adherence"] == pytest.approx(100 * 3300 / 3600)
    assert k["contacts_per_hour"] == pytest.approx(1)
    intervals = kpi_series(manager, SeriesRequest(start=DAY, end=DAY, granularity="interval"))
    by_start = {r["period_start"].strftime("%H:%M"): r["components"] for r in intervals}
    assert by_start["09:30"]["adherent_seconds"] == 600  # a break taken during work time
    assert by_start["09:45"]["break_seconds"] == 900
    team = kpi_series(manager, SeriesRequest(start=DAY, end=DAY, group_by="team"))
    assert team[0]["group"] == {"team": "Team A"} and team[0]["kpis"]["occupancy"] == k["occupancy"]
    by_queue = kpi_series(manager, SeriesRequest(start=DAY, end=DAY, group_by="queue"))
    assert by_queue[0]["kpis"]["occupancy"] is None  # states belong to agents, not queues


def test_a_forgotten_logout_counts_at_most_the_cap(manager, settings):
    settings.KPI_STATE_CAP_HOURS = 12
    _states(AgentFactory(), ("09:00", "available"))
    assert total(manager)["components"]["staffed_seconds"] == 12 * 3600


def test_day_tables_hold_the_sums_of_the_interval_tables(manager, team_a):
    from django.db.models import Sum

    from kpis.models import AgentDay, StateInterval

    agent = AgentFactory(team=team_a)
    for minute in range(0, 600, 37):
        contact(minute % 50, talk=100, agent=agent, team=team_a, at=T0 + timedelta(minutes=minute),
                customer=f"c{minute % 3}", csat=1 + minute % 5)  # fmt: skip
    _states(agent, ("09:00", "available"), ("11:00", "break"), ("12:00", "offline"))
    rollup.roll_up_days([DAY])
    names = ["offered", "answered", "handled", "talk_sum", "fcr_resolved", "csat_positive"]
    intervals = ContactInterval.objects.aggregate(**{n: Sum(n) for n in names})
    assert ContactDay.objects.aggregate(**{n: Sum(n) for n in names}) == intervals
    assert AgentDay.objects.aggregate(**{n: Sum(n) for n in names}) == intervals
    # The states' row (no channel) beside the contacts' row per channel.
    states = AgentDay.objects.get(channel="")
    assert states.handled == 0 and set(AgentDay.objects.values_list("channel", flat=True)) == {
        "", "voice"}  # fmt: skip
    assert states.staffed_seconds == StateInterval.objects.aggregate(
        s=Sum("staffed_seconds"))["s"] == 3 * 3600  # fmt: skip


def test_moving_an_agent_leaves_past_hours_with_the_old_team(manager, team_a, team_b):
    from interactions import services as ingest

    agent = AgentFactory(team=team_a, login="mover")
    ingest.ingest_agent_events([{"agent": "mover", "state": "available", "at": "2026-03-02T09:00:00Z"},
                                {"agent": "mover", "state": "offline", "at": "2026-03-02T10:00:00Z"}])  # fmt: skip
    agent.team = team_b
    agent.save()
    rollup.roll_up_days([DAY])  # a later re-roll, after the move
    rows = kpi_series(manager, SeriesRequest(start=DAY, end=DAY, group_by="team"))
    assert {r["group"]["team"]: r["components"]["staffed_seconds"] for r in rows} == {
        "Team A": 3600
    }
