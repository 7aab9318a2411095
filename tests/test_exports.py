"""Every table's CSV export: the rows and columns its page shows, to whom the page shows
them, written by the one writer (core.exports)."""

import csv
import io
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

import pytest
from django.http import StreamingHttpResponse
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from agents import services as agent_services
from agents.models import AgentStateEvent
from core.exports import csv_filename, csv_response, requested
from core.localtime import monday_of
from kpis import rollup
from kpis.models import Alert, AlertRule
from scheduling import services
from scheduling.services import Span
from tests.factories import (
    AgentFactory,
    AgentSkillFactory,
    InteractionFactory,
    QueueFactory,
    SkillFactory,
    TimeOffFactory,
)

pytestmark = pytest.mark.django_db

MONDAY = date(2026, 3, 2)


def csv_rows(response) -> list[list[str]]:
    """A CSV download's rows, once it is checked to be one: streamed, UTF-8 with a BOM."""
    assert response.status_code == 200
    assert isinstance(response, StreamingHttpResponse)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="')
    body = b"".join(response.streaming_content)
    assert body.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def iso(moment) -> str:
    """A moment as the writer writes it: local time, to the second, with its offset."""
    return timezone.localtime(moment).isoformat(timespec="seconds")


def at(clock, day=MONDAY):
    hour, minute = map(int, clock.split(":"))
    return datetime.combine(day, time(hour, minute), tzinfo=UTC)


# --- the writer -------------------------------------------------------------------------


class Named:
    """A model instance or anything else written as its text."""

    def __str__(self):
        return "@SUM(A1:A9)"


def test_writer_neutralises_formulas_and_writes_empty_cells_iso_dates_and_a_bom(settings):
    settings.TIME_ZONE = "Europe/Paris"
    response = csv_response(
        "x.csv",
        ["name", "=header"],
        [
            ['=HYPERLINK("http://evil.example","x")', None],
            ["+1", "-2"],
            ["@me", "\tTab"],
            ["\rreturn", "plain, with comma"],
            [-5, 2.5],
            [Decimal("1.50"), True],
            [date(2026, 3, 2), datetime(2026, 3, 2, 9, 0, 0, 123456, tzinfo=UTC)],
            [Named(), "Zoë"],
        ],
    )
    assert response["Content-Disposition"] == 'attachment; filename="x.csv"'
    assert csv_rows(response) == [
        ["name", "'=header"],
        ['\'=HYPERLINK("http://evil.example","x")', ""],
        ["'+1", "'-2"],
        ["'@me", "'\tTab"],
        ["'\rreturn", "plain, with comma"],
        ["-5", "2.5"],  # numbers stay numbers, negative ones too
        ["1.50", "true"],
        ["2026-03-02", "2026-03-02T10:00:00+01:00"],  # local time, to the second
        ["'@SUM(A1:A9)", "Zoë"],
    ]


def test_file_names_and_the_export_parameter(settings):
    settings.TIME_ZONE = "Europe/Paris"
    assert csv_filename("Team A", "roster", date(2026, 3, 2), None, "") == (
        "team-a-roster-2026-03-02.csv"
    )
    moment = datetime(2026, 3, 2, 9, 5, 30, tzinfo=UTC)
    assert csv_filename("wallboard", moment) == "wallboard-2026-03-02-1005.csv"
    assert csv_filename('=evil"/../name') == "evilname.csv"
    factory = RequestFactory()
    assert requested(factory.get("/?export=roster"), "roster")
    assert not requested(factory.get("/?export=teams"), "roster")
    assert not requested(factory.get("/"), "roster")
    assert not requested(factory.post("/?export=roster"), "roster")  # a form post stays one


# --- people: teams, roster, history -------------------------------------------------------


def test_teams_export_is_the_teams_table_for_whom_it_is_shown(
    client, manager, supervisor_a, supervisor_b, team_a, team_b, agent_a, agent_b
):
    now = timezone.now()
    services.shift_create(
        agent=agent_a, start=now - timedelta(hours=1), end=now + timedelta(hours=2)
    )
    url = reverse("team-list") + "?export=teams"
    client.force_login(manager)
    rows = csv_rows(client.get(url))
    shown = client.get(reverse("team-list")).context["teams"]
    assert rows[0] == ["team", "supervisors", "active_agents", "on_shift"]
    assert [row[0] for row in rows[1:]] == [team.name for team in shown]
    assert rows[1:] == [["Team A", "sup-a", "1", "1"], ["Team B", "sup-b", "1", "0"]]
    client.force_login(supervisor_a)
    assert csv_rows(client.get(url))[1:] == [["Team A", "sup-a", "1", "1"]]
    client.force_login(agent_a.user)
    assert client.get(url).status_code == 404
    client.force_login(manager)
    assert "export=teams" in client.get(reverse("team-list")).content.decode()


def test_roster_export_is_the_roster_table(client, manager, supervisor_b, team_a, agent_a):
    now = timezone.now().replace(microsecond=0)
    AgentSkillFactory(agent=agent_a, skill=SkillFactory(name="billing"), proficiency=4)
    start = services.at_local(monday_of(timezone.localdate()), time(8))
    services.shift_create(agent=agent_a, start=start, end=start + timedelta(hours=7, minutes=30))
    AgentStateEvent.objects.create(agent=agent_a, state="break", at=now - timedelta(minutes=5))
    sneaky = AgentFactory(team=team_a, login="=cmd|x", display_name='=HYPERLINK("x")',
                          active=False)  # fmt: skip
    url = reverse("team-roster", args=[team_a.pk])
    client.force_login(manager)
    page = client.get(url)
    assert [agent.pk for agent in page.context["agents"]] == [agent_a.pk, sneaky.pk]
    assert "export=roster" in page.content.decode()
    assert csv_rows(client.get(url + "?export=roster")) == [
        ["agent", "login", "skills", "state", "state_since", "hours_this_week", "active"],
        ["Ana A", "A-1", "billing 4", "break", iso(now - timedelta(minutes=5)), "7.5", "true"],
        ['\'=HYPERLINK("x")', "'=cmd|x", "", "offline", "", "", "false"],
    ]
    client.force_login(supervisor_b)
    assert client.get(url + "?export=roster").status_code == 404


def test_history_export_is_the_history_tab(client, supervisor_a, agent_a, agent_b):
    agent_services.agent_set_active(agent=agent_a, active=False, by=supervisor_a)
    url = reverse("agent-history", args=[agent_a.pk])
    client.force_login(agent_a.user)  # an agent reads their own
    entries = client.get(url).context["entries"]
    rows = csv_rows(client.get(url + "?export=history"))
    assert rows[0] == ["when", "who", "subject", "action", "reason", "changes"]
    assert [row[:5] for row in rows[1:]] == [
        [iso(entry.when), entry.who, entry.subject, entry.action, entry.reason] for entry in entries
    ]
    assert rows[1][1:] == ["sup-a", "Agent", "changed", "marked inactive", "active: True → False"]
    assert rows[-1][1:4] == ["system", "Agent", "created"]
    assert "login: A-1" in rows[-1][5]
    client.force_login(agent_b.user)
    assert client.get(url + "?export=history").status_code == 404


# --- schedules --------------------------------------------------------------------------


def test_agent_schedule_export_is_their_two_weeks(client, supervisor_b, agent_a, agent_b):
    services.shift_create(agent=agent_a, start=at("08:00"), end=at("16:00"), note="=cover",
                          spans=[Span("break", at("10:00"), at("10:15"))])  # fmt: skip
    later = at("09:00", MONDAY + timedelta(days=15))  # outside the two weeks shown
    services.shift_create(agent=agent_a, start=later, end=later + timedelta(hours=6))
    url = reverse("agent-schedule", args=[agent_a.pk]) + f"?week={MONDAY}"
    client.force_login(agent_a.user)
    page = client.get(url)
    assert len(page.context["shifts"]) == 1 and "export=agent-shifts" in page.content.decode()
    assert csv_rows(client.get(url + "&export=agent-shifts")) == [
        ["date", "start", "end", "activities", "note", "hours"],
        ["2026-03-02", "08:00", "16:00", "break 10:00-10:15", "'=cover", "8.0"],
    ]
    client.force_login(agent_b.user)
    assert client.get(url + "&export=agent-shifts").status_code == 404
    client.force_login(supervisor_b)
    assert client.get(url + "&export=agent-shifts").status_code == 404


def test_team_week_export_is_the_grid(client, supervisor_a, supervisor_b, team_a, agent_a):
    tuesday = MONDAY + timedelta(days=1)
    services.shift_create(agent=agent_a, start=at("08:00", tuesday), end=at("16:00", tuesday),
                          note="cover", spans=[Span("lunch", at("12:00", tuesday),
                                                    at("12:30", tuesday))])  # fmt: skip
    TimeOffFactory(agent=agent_a, start=at("00:00", MONDAY + timedelta(days=3)),
                   end=at("00:00", MONDAY + timedelta(days=4)))  # fmt: skip
    TimeOffFactory(agent=agent_a, start=at("00:00", MONDAY + timedelta(days=4)),
                   end=at("00:00", MONDAY + timedelta(days=5)), status="requested")  # fmt: skip
    idle = AgentFactory(team=team_a, display_name="Zed Idle")
    url = reverse("team-schedule", args=[team_a.pk]) + f"?week={MONDAY}"
    client.force_login(supervisor_a)
    page = client.get(url)
    assert [row["agent"].pk for row in page.context["grid"]["rows"]] == [agent_a.pk, idle.pk]
    assert "export=schedule" in page.content.decode()
    days = [str(MONDAY + timedelta(days=n)) for n in range(7)]
    assert csv_rows(client.get(url + "&export=schedule")) == [
        ["agent", *days, "hours"],
        ["Ana A", "", "08:00–16:00 · lunch 12:00-12:30 · cover", "", "Time off",
         "Time off (requested)", "", "", "8.0"],
        ["Zed Idle", "", "", "", "", "", "", "", "0"],
    ]  # fmt: skip
    client.force_login(supervisor_b)
    assert client.get(url + "&export=schedule").status_code == 404


# --- live: adherence, wallboard, alerts ---------------------------------------------------


def test_adherence_export_is_the_adherence_table(client, supervisor_a, supervisor_b, team_a,
                                                 agent_a):  # fmt: skip
    now = timezone.now().replace(second=0, microsecond=0)
    start = now - timedelta(hours=2)
    services.shift_create(agent=agent_a, start=start, end=start + timedelta(hours=8),
                          spans=[Span("break", now - timedelta(minutes=30),
                                      now - timedelta(minutes=15))])  # fmt: skip
    AgentStateEvent.objects.create(agent=agent_a, state="break", at=now - timedelta(minutes=31))
    off = AgentFactory(team=team_a, display_name="Olga Off")
    url = reverse("team-adherence", args=[team_a.pk])
    client.force_login(supervisor_a)
    page = client.get(url)
    assert [row["agent"].pk for row in page.context["rows"]] == [agent_a.pk, off.pk]
    assert "export=adherence" in page.content.decode()
    rows = csv_rows(client.get(url + "?export=adherence"))
    assert rows[0] == ["agent", "status", "out_since", "scheduled", "scheduled_start",
                       "scheduled_end", "state", "state_since", "adherence_today"]  # fmt: skip
    assert rows[1][:3] == ["Ana A", "out", iso(now - timedelta(minutes=15))]
    assert rows[1][3] == "work" and rows[1][6:8] == ["break", iso(now - timedelta(minutes=31))]
    assert rows[2] == ["Olga Off", "off", "", "", "", "", "offline", "", ""]
    assert len(rows) == 3
    client.force_login(supervisor_b)
    assert client.get(url + "?export=adherence").status_code == 404


@pytest.fixture
def live_floor(team_a, team_b):
    now = timezone.now().replace(microsecond=0)
    billing, sales = QueueFactory(name="Billing"), QueueFactory(name="Sales")
    team_a.queues.add(billing)
    team_b.queues.add(sales)
    ana = AgentFactory(team=team_a, login="ana", display_name="Ana")
    ben = AgentFactory(team=team_b, login="ben", display_name="+Ben")
    for seconds, queue in ((30, billing), (95, billing), (10, sales)):
        InteractionFactory(queue=queue, arrived_at=now - timedelta(seconds=seconds),
                           answered_at=None, ended_at=None)  # fmt: skip
    AgentStateEvent.objects.create(agent=ana, state="on_contact", at=now - timedelta(minutes=3))
    AgentStateEvent.objects.create(agent=ben, state="break", at=now - timedelta(minutes=12))
    return now


def _by_section(rows):
    sections = {}
    for row in rows[1:]:
        sections.setdefault(row[0], []).append(row[1:])
    return sections


def test_wallboard_export_is_the_snapshot_with_its_filters(
    client, manager, supervisor_a, agent_a, live_floor
):
    url = reverse("wallboard")
    client.force_login(manager)
    page = client.get(url)
    assert "export=wallboard" in page.content.decode()
    rows = csv_rows(client.get(url + "?export=wallboard"))
    assert rows[0] == ["section", "name", "value", "waiting", "longest_wait_seconds", "state",
                       "seconds_in_state"]  # fmt: skip
    sections = _by_section(rows)
    assert list(sections) == ["today", "waiting", "agents"]  # the page's order
    today = page.context["live"]["today"]
    assert [row[:2] for row in sections["today"]] == [[name, "" if today[name] is None else str(today[name])]
                                                      for name in today]  # fmt: skip
    assert [row[:3] for row in sections["waiting"]] == [["Billing", "", "2"], ["Sales", "", "1"]]
    # The oldest waiting contact arrived 95 s (Billing) and 10 s (Sales) before the fixture's
    # now: the export's waits are those, plus only the seconds the test took to get here.
    assert 95 <= float(sections["waiting"][0][3]) < 95 + 30
    assert 10 <= float(sections["waiting"][1][3]) < 10 + 30
    in_state = {row[0]: row[5] for row in sections["agents"]}
    assert 3 * 60 <= float(in_state["Ana"]) < 3 * 60 + 30
    assert 12 * 60 <= float(in_state["'+Ben"]) < 12 * 60 + 30
    agents = {row[0]: row[4] for row in sections["agents"]}
    assert agents == {"Ana": "on_contact", "'+Ben": "break", "Ana A": "offline"}
    filtered = _by_section(csv_rows(client.get(url + "?team=Team+A&export=wallboard")))
    assert [row[0] for row in filtered["waiting"]] == ["Billing"]
    assert {row[0] for row in filtered["agents"]} == {"Ana", "Ana A"}
    client.force_login(supervisor_a)  # their team's queues and agents only
    mine = _by_section(csv_rows(client.get(url + "?export=wallboard")))
    assert [row[0] for row in mine["waiting"]] == ["Billing"]
    assert {row[0] for row in mine["agents"]} == {"Ana", "Ana A"}
    client.force_login(agent_a.user)
    assert client.get(url + "?export=wallboard").status_code == 404


def test_alert_exports_are_the_open_and_closed_tables(client, supervisor_a, agent_a, agent_b,
                                                      team_a, team_b):  # fmt: skip
    now = timezone.now().replace(microsecond=0)
    rule_a = AlertRule.objects.create(name="Long break", kind="agent_state_longer", threshold=15,
                                      team=team_a)  # fmt: skip
    rule_b = AlertRule.objects.create(name="B break", kind="agent_state_longer", threshold=15,
                                      team=team_b)  # fmt: skip
    acknowledged = Alert.objects.create(
        rule=rule_a, subject="A-1", agent=agent_a, message="=Ana A on break 20 min",
        opened_at=now - timedelta(minutes=5), acknowledged_at=now - timedelta(minutes=1),
        acknowledged_by=supervisor_a,
    )  # fmt: skip
    Alert.objects.create(rule=rule_a, subject="A-2", message="Waiting 4", opened_at=now)
    closed = Alert.objects.create(rule=rule_a, subject="A-1", agent=agent_a, message="Over",
                                  opened_at=now - timedelta(hours=2),
                                  closed_at=now - timedelta(hours=1))  # fmt: skip
    Alert.objects.create(rule=rule_b, subject="B-1", agent=agent_b, message="Ben on break",
                         opened_at=now)  # fmt: skip
    url = reverse("alerts")
    client.force_login(supervisor_a)
    page = client.get(url)
    assert len(page.context["open_alerts"]) == 2 and len(page.context["history"]) == 1
    html = page.content.decode()
    assert "export=open-alerts" in html and "export=alert-history" in html
    assert csv_rows(client.get(url + "?export=open-alerts")) == [
        ["opened_at", "rule", "message", "acknowledged_by", "acknowledged_at"],
        [iso(now), "Long break", "Waiting 4", "", ""],
        [iso(acknowledged.opened_at), "Long break", "'=Ana A on break 20 min", "sup-a",
         iso(acknowledged.acknowledged_at)],
    ]  # fmt: skip
    assert csv_rows(client.get(url + "?export=alert-history")) == [
        ["opened_at", "closed_at", "rule", "message"],
        [iso(closed.opened_at), iso(closed.closed_at), "Long break", "Over"],
    ]
    client.force_login(agent_a.user)
    assert client.get(url + "?export=open-alerts").status_code == 404


# --- numbers: the team's leaderboard, contacts --------------------------------------------


def test_team_leaderboard_export_is_the_board(client, supervisor_a, supervisor_b, team_a,
                                              settings):  # fmt: skip
    settings.LEADERBOARD_MIN_HANDLED = 2
    queue = QueueFactory(name="Billing")
    fast = AgentFactory(team=team_a, login="fast", display_name="Fay Fast")
    slow = AgentFactory(team=team_a, login="slow", display_name="=Sid Slow")
    few = AgentFactory(team=team_a, login="few", display_name="Few Few")
    start = datetime(2026, 3, 2, 9, tzinfo=UTC)
    for n, (agent, talk) in enumerate([(fast, 100), (fast, 100), (slow, 300), (slow, 300),
                                       (few, 50)]):  # fmt: skip
        arrived = start + timedelta(minutes=n)
        InteractionFactory(agent=agent, team=team_a, queue=queue, arrived_at=arrived,
                           answered_at=arrived + timedelta(seconds=10),
                           ended_at=arrived + timedelta(seconds=10 + talk), talk_seconds=talk,
                           hold_seconds=0, wrap_seconds=0)  # fmt: skip
    rollup.roll_up_days([MONDAY])
    url = (
        reverse("team-detail", args=[team_a.pk]) + "?period=custom&start=2026-03-01&end=2026-03-03"
    )
    client.force_login(supervisor_a)
    page = client.get(url + "&kpi=aht")
    board = page.context["data"]["leaderboard"]
    assert [row["login"] for row in board.rows] == ["fast", "slow", "few"]
    assert "export=leaderboard" in page.content.decode()
    rows = csv_rows(client.get(url + "&kpi=aht&export=leaderboard"))
    assert rows[0] == ["rank", "agent", "login", "team", "aht", "handled", "note"]
    assert [row[:4] for row in rows[1:]] == [
        ["1", "Fay Fast", "fast", "Team A"],
        ["2", "'=Sid Slow", "slow", "Team A"],
        ["", "Few Few", "few", "Team A"],
    ]
    assert [float(row[4]) for row in rows[1:]] == [row["value"] for row in board.rows]
    assert rows[3][5:] == ["1", "not ranked (fewer than 2 handled)"]
    client.force_login(supervisor_b)
    assert client.get(url + "&export=leaderboard").status_code == 404


def test_contacts_export_streams_the_contract_for_the_users_contacts(
    client, supervisor_a, team_a, team_b, agent_a, agent_b
):
    queue = QueueFactory(name="Billing")
    mine = InteractionFactory(agent=agent_a, team=team_a, queue=queue, customer="=1+1",
                              resolved=None)  # fmt: skip
    InteractionFactory(agent=agent_b, team=team_b, queue=queue)
    client.force_login(supervisor_a)
    page = client.get(reverse("contact-list"))
    assert "export=contacts" in page.content.decode()
    rows = csv_rows(client.get(reverse("contact-list") + "?export=contacts"))
    header = rows[0]
    assert header[:6] == ["external_id", "source", "channel", "direction", "queue", "agent"]
    assert header[-1] == "team" and len(rows) == 2  # team B's contact is not theirs
    row = dict(zip(header, rows[1], strict=True))
    assert (row["external_id"], row["queue"], row["agent"], row["team"]) == (
        mine.external_id,
        "Billing",
        "A-1",
        "Team A",
    )  # the agent's login: the file imports again
    assert row["customer"] == "'=1+1" and row["resolved"] == "" and row["transferred"] == "false"
    assert row["arrived_at"] == iso(mine.arrived_at)
    # The parameter the export had before every table's ?export=<table>.
    assert csv_rows(client.get(reverse("contact-list") + "?format=csv")) == rows
