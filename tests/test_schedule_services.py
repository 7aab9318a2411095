"""Schedule services: the rules, copies, templates, CSV import, time off, history."""

from datetime import UTC, date, datetime, time, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.test import override_settings

from scheduling import services
from scheduling.models import Shift, ShiftActivity, ShiftTemplate, ShiftTemplateActivity, TimeOff
from scheduling.services import Span
from tests.factories import AgentFactory

pytestmark = pytest.mark.django_db

DAY = date(2026, 3, 2)  # a Monday


def at(clock: str, day: date = DAY) -> datetime:
    hour, minute = map(int, clock.split(":"))
    return datetime.combine(day, time(hour, minute), tzinfo=UTC)


def kinds(shift):
    return [(a.kind, f"{a.start:%H:%M}", f"{a.end:%H:%M}") for a in shift.activities.all()]


def test_shift_create_fills_work_around_breaks(agent_a, supervisor_a):
    shift = services.shift_create(
        agent=agent_a, start=at("08:00"), end=at("16:30"),
        spans=[Span("lunch", at("12:00"), at("12:30")), Span("break", at("10:00"), at("10:15"))],
        by=supervisor_a,
    )  # fmt: skip
    assert kinds(shift) == [
        ("work", "08:00", "10:00"), ("break", "10:00", "10:15"), ("work", "10:15", "12:00"),
        ("lunch", "12:00", "12:30"), ("work", "12:30", "16:30"),
    ]  # fmt: skip
    assert shift.team == agent_a.team
    assert sum((a.end - a.start).total_seconds() for a in shift.activities.all()) == 8.5 * 3600
    record = shift.history.get()
    assert (record.history_type, record.history_user) == ("+", supervisor_a)


@pytest.mark.parametrize(
    ("start", "end", "spans", "message"),
    [
        ("09:00", "17:00", [], "overlaps the shift Mon 2 Mar 08:00–16:00"),
        ("16:00", "18:00", [Span("break", at("18:00"), at("18:15"))], "outside the shift"),
        ("16:00", "20:00", [Span("break", at("17:00"), at("17:30")),
                            Span("lunch", at("17:15"), at("17:45"))], "overlap at 17:15"),
        ("17:00", "16:00", [], "must end after it starts"),
        ("00:00", "23:00", [], "longer than 16 hours"),
    ],
)  # fmt: skip
def test_shift_rules_refuse_and_save_nothing(agent_a, start, end, spans, message):
    services.shift_create(agent=agent_a, start=at("08:00"), end=at("16:00"))
    before = (Shift.objects.count(), ShiftActivity.objects.count())
    with pytest.raises(ValidationError) as error:
        services.shift_create(agent=agent_a, start=at(start), end=at(end), spans=spans)
    assert any(message in text for text in error.value.messages), error.value.messages
    assert (Shift.objects.count(), ShiftActivity.objects.count()) == before


def test_no_shift_on_approved_time_off_and_no_approval_over_a_shift(agent_a, supervisor_a):
    requested = services.time_off_create(agent=agent_a, start=at("00:00"),
                                         end=at("00:00", DAY + timedelta(days=1)), by=agent_a.user)  # fmt: skip
    shift = services.shift_create(
        agent=agent_a, start=at("08:00"), end=at("16:00")
    )  # requested only
    with pytest.raises(ValidationError, match="lies on this time off"):
        services.time_off_decide(time_off=requested, status="approved", by=supervisor_a)
    requested.refresh_from_db()
    assert requested.status == "requested"
    services.shift_delete(shift=shift, by=supervisor_a)
    services.time_off_decide(time_off=requested, status="approved", by=supervisor_a)
    with pytest.raises(ValidationError, match="falls on approved time off"):
        services.shift_create(agent=agent_a, start=at("08:00"), end=at("16:00"))
    assert not Shift.objects.exists()
    assert [r.status for r in TimeOff.history.order_by("history_id")] == ["requested", "approved"]


def test_move_keeps_breaks_in_place_within_the_shift_and_records_before_and_after(
    agent_a, supervisor_a
):
    shift = services.shift_create(agent=agent_a, start=at("08:00"), end=at("16:00"),
                                  spans=[Span("lunch", at("12:00"), at("12:30"))])  # fmt: skip
    services.shift_move(shift=shift, start=at("10:00", DAY + timedelta(days=1)), by=supervisor_a)
    shift.refresh_from_db()
    assert (shift.start, shift.end) == (
        at("10:00", date(2026, 3, 3)),
        at("18:00", date(2026, 3, 3)),
    )
    assert kinds(shift)[1] == ("lunch", "14:00", "14:30")
    newest, previous = shift.history.order_by("-history_id")[:2]
    changes = {c.field: (c.old, c.new) for c in newest.diff_against(previous).changes}
    assert changes["start"] == (at("08:00"), at("10:00", date(2026, 3, 3)))
    assert newest.history_user == supervisor_a


def test_copy_week_then_again_changes_nothing_and_conflicts_stop_it(agent_a, supervisor_a):
    other = AgentFactory(team=agent_a.team)
    for offset in range(5):
        day = DAY + timedelta(days=offset)
        services.shift_create(agent=agent_a, start=at("08:00", day), end=at("16:00", day),
                              spans=[Span("break", at("10:00", day), at("10:15", day))])  # fmt: skip
    services.shift_create(agent=other, start=at("12:00"), end=at("20:00"))
    agents = [agent_a, other]
    result = services.schedule_copy(agents=agents, first_day=DAY, days=7,
                                    to_day=DAY + timedelta(days=7), by=supervisor_a)  # fmt: skip
    assert (len(result.created), result.already_there) == (6, 0)
    copied = Shift.objects.get(agent=agent_a, start=at("08:00", date(2026, 3, 13)))
    assert kinds(copied)[1] == ("break", "10:00", "10:15")
    assert copied.history.get().history_change_reason == "copied from the week of 02 Mar"
    again = services.schedule_copy(agents=agents, first_day=DAY, days=7,
                                   to_day=DAY + timedelta(days=7))  # fmt: skip
    assert (len(again.created), again.already_there) == (0, 6)
    # A clash on one target day stops the whole copy of the next day.
    services.shift_create(agent=other, start=at("06:00", DAY + timedelta(days=8)),
                          end=at("13:00", DAY + timedelta(days=8)))  # fmt: skip
    before = Shift.objects.count()
    with pytest.raises(ValidationError, match="overlaps the shift"):
        services.schedule_copy(agents=agents, first_day=DAY + timedelta(days=7), days=1,
                               to_day=DAY + timedelta(days=8))  # fmt: skip
    assert Shift.objects.count() == before


@override_settings(TIME_ZONE="Europe/Berlin")
def test_copy_across_a_dst_change_keeps_the_wall_clock(agent_a):
    week = date(2026, 10, 19)  # Berlin leaves summer time on Sunday 25 October
    start = services.at_local(week, time(8))
    services.shift_create(agent=agent_a, start=start, end=start + timedelta(hours=8))
    services.schedule_copy(
        agents=[agent_a], first_day=week, days=7, to_day=week + timedelta(days=7)
    )
    copied = Shift.objects.order_by("start").last()
    assert services.local(copied.start).time() == time(8)
    assert copied.start - start == timedelta(days=7, hours=1)


def test_template_applies_to_several_agents_all_or_nothing(agent_a, supervisor_a):
    template = ShiftTemplate.objects.create(name="Early", start_time=time(7), minutes=510)
    ShiftTemplateActivity.objects.create(template=template, kind="lunch", offset_minutes=240,
                                         minutes=30)  # fmt: skip
    other = AgentFactory(team=agent_a.team)
    days = [DAY, DAY + timedelta(days=1)]
    shifts = services.template_apply(template=template, agents=[agent_a, other], days=days,
                                     by=supervisor_a)  # fmt: skip
    assert len(shifts) == 4
    assert kinds(Shift.objects.filter(agent=other).first())[1] == ("lunch", "11:00", "11:30")
    third = AgentFactory(team=agent_a.team)
    services.shift_create(agent=third, start=at("14:00", days[1]), end=at("20:00", days[1]))
    with pytest.raises(ValidationError) as error:
        services.template_apply(
            template=template, agents=[third], days=days + [DAY + timedelta(days=2)]
        )
    assert len(error.value.messages) == 1
    assert Shift.objects.filter(agent=third).count() == 1


CSV = """agent,date,start,end,activities,note
A-1,2026-03-02,08:00,16:30,break 10:00-10:15; lunch 12:00-12:30,
A-1,2026-03-03,22:00,06:00,break 02:00-02:15,night
nobody,2026-03-02,08:00,16:00,,
A-1,2026-03-04,8 o'clock,16:00,,
A-1,2026-03-05,08:00,16:00,nap 10:00-10:15,
A-1,2026-03-02,15:00,20:00,,
"""


def test_csv_import_keeps_good_rows_reports_bad_ones_and_reimports_idempotently(
    agent_a, supervisor_a
):
    report = services.schedule_import(data=CSV.encode(), agents=[agent_a], by=supervisor_a)
    statuses = [(row.line, row.status) for row in report.rows]
    assert statuses == [(2, "created"), (3, "created"), (4, "rejected"), (5, "rejected"),
                        (6, "rejected"), (7, "rejected")]  # fmt: skip
    errors = {row.line: " ".join(row.errors) for row in report.rows}
    assert "No agent 'nobody'" in errors[4]
    assert "not a time like 08:30" in errors[5]
    assert "'nap' is not one of" in errors[6]
    assert "overlaps the shift" in errors[7]
    night = Shift.objects.get(note="night")
    assert (night.end - night.start) == timedelta(hours=8)
    assert kinds(night)[1] == ("break", "02:00", "02:15")
    again = services.schedule_import(data=CSV.encode(), agents=[agent_a], by=supervisor_a)
    assert [row.status for row in again.rows][:2] == ["updated", "updated"]
    assert Shift.objects.count() == 2
    assert services.schedule_import(data=b"who,when\nx,y\n", agents=[agent_a]).errors == [
        "Missing column(s): agent, date, start, end. "
        "Expected: agent, date, start, end, activities, note."
    ]


@pytest.mark.django_db(transaction=True)
def test_concurrent_writes_for_one_agent_check_their_rules_one_after_the_other():
    import threading

    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("SQLite runs one writer at a time; the race is a PostgreSQL question")
    agent = AgentFactory(login="race")
    barrier, refused, saved = threading.Barrier(4), [], []

    def plan(hour):
        try:
            barrier.wait()
            saved.append(services.shift_create(agent=agent, start=at(f"{hour:02d}:00"),
                                               end=at(f"{hour + 6:02d}:00")))  # fmt: skip
        except ValidationError as error:
            refused.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=plan, args=(hour,)) for hour in (8, 9, 10, 11)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # Any two of these overlap: exactly one is saved, whichever came first.
    assert (len(saved), len(refused), Shift.objects.filter(agent=agent).count()) == (1, 3, 1)
