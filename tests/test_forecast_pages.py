"""The forecast page (/forecasts/), its run page and button, and the overview's forecast
overlay: access, numbers equal to the stored rows, accuracy against numpy, empty states."""

import csv
import io
import re
from datetime import UTC, datetime, time, timedelta
from unittest import mock

import numpy as np
import pytest
from django.urls import reverse

from core.jobs import JobStatus
from core.localtime import at_local, local_today, monday_of
from forecasting import accuracy, dashboards
from forecasting.models import (
    BacktestScore,
    Forecast,
    ForecastDay,
    ForecastRun,
    QueueForecastSetting,
    QueueGroup,
    SpecialDay,
    Trigger,
)
from kpis.models import ContactDay, ContactInterval
from tests.factories import QueueFactory

pytestmark = pytest.mark.django_db

CLOCKS = (time(9), time(9, 15), time(10, 30))


@pytest.fixture
def queues(team_a, team_b):
    billing, sales = QueueFactory(name="Billing"), QueueFactory(name="Sales")
    team_a.queues.add(billing)
    team_b.queues.add(sales)
    return billing, sales


@pytest.fixture
def week():
    return monday_of(local_today()) + timedelta(days=7)


def _store_week(queue, week, base=100.0, run=None):
    """Next week's forecast: three intervals a day that add up to the day's forecast
    (10 + n, 20.5 and base - 30.5 make base + n)."""
    for n in range(7):
        day = week + timedelta(days=n)
        parts = (10.0 + n, 20.5, base - 30.5)
        for clock, contacts in zip(CLOCKS, parts, strict=True):
            Forecast.objects.create(queue=queue, start=at_local(day, clock).astimezone(UTC),
                                    contacts=contacts, aht_seconds=240.0,
                                    method="holt_winters", run=run)  # fmt: skip
        ForecastDay.objects.create(queue=queue, day=day, contacts=base + n, lower=base * 0.8,
                                   upper=base * 1.2 + n, aht_seconds=240.0,
                                   method="holt_winters", run=run)  # fmt: skip


@pytest.fixture
def stored(queues, week, manager):
    billing, sales = queues
    run = ForecastRun.objects.create(trigger=Trigger.BUTTON, start=week, weeks=6,
                                     requested_by=manager, status=JobStatus.DONE,
                                     summary=[{"queue": "Billing", "method": "holt_winters",
                                               "note": ""},
                                              {"queue": "Sales", "method": "seasonal_naive",
                                               "note": "Only 20 days of history: seasonal naive."}])  # fmt: skip
    _store_week(billing, week, 100.0, run)
    _store_week(sales, week, 50.0, run)
    for queue in (billing, sales):
        for method, wape in (("seasonal_naive", 0.3), ("weighted_average", 0.2),
                             ("holt_winters", 0.1)):  # fmt: skip
            for grain, factor in (("interval", 1.0), ("day", 0.5)):
                BacktestScore.objects.create(run=run, queue=queue, method=method, grain=grain,
                                             wape=wape * factor, bias=-0.02, origins=4,
                                             actual=1000, chosen=method == "holt_winters")  # fmt: skip
        QueueForecastSetting.objects.create(queue=queue, chosen_method="holt_winters")
    return run


def _cells(html: str, table_id: str) -> list[list[str]]:
    table = re.search(rf'<table[^>]*id="{table_id}".*?</table>', html, re.S).group(0)
    rows = re.findall(r"<tr.*?</tr>", table, re.S)
    return [
        [
            re.sub(r"<[^>]+>", "", cell).strip()
            for cell in re.findall(r"<t[hd][^>]*>.*?</t[hd]>", row, re.S)
        ]
        for row in rows
    ]


# -- access --------------------------------------------------------------------------------


def test_anonymous_is_sent_to_log_in(client):
    response = client.get(reverse("forecast"))
    assert response.status_code == 302
    assert reverse("login") in response["Location"]


def test_an_agent_is_refused(client, agent_a, queues):
    client.force_login(agent_a.user)
    assert client.get(reverse("forecast")).status_code == 403


def test_a_supervisor_sees_only_the_queues_their_teams_serve(client, supervisor_a, stored):
    QueueGroup.objects.create(name="Everything").queues.add(*stored_queues())
    QueueGroup.objects.create(name="Billing only").queues.add(stored_queues()[0])
    client.force_login(supervisor_a)
    response = client.get(reverse("forecast"))
    html = response.content.decode()
    assert response.status_code == 200
    assert 'value="queue:Billing"' in html and 'value="queue:Sales"' not in html
    assert 'value="group:Billing only"' in html and 'value="group:Everything"' not in html
    # Another team's queue or group, asked for by name, is not shown.
    response = client.get(reverse("forecast") + "?queue=Sales")
    assert response.context["errors"] == ["No queue 'Sales' to show: showing the first queue."]
    assert response.context["selection"].name == "Billing"
    response = client.get(reverse("forecast") + "?group=Everything")
    assert response.context["selection"].name == "Billing"
    # No button for a supervisor, and posting it is refused.
    assert 'id="forecast-now"' not in html
    assert client.post(reverse("forecast-now")).status_code == 403


def stored_queues():
    from interactions.models import Queue

    return list(Queue.objects.order_by("name"))


def test_the_nav_links_the_page_for_managers_and_supervisors(
    client, manager, supervisor_a, agent_a
):
    for user in (manager, supervisor_a):
        client.force_login(user)
        assert f'href="{reverse("forecast")}"' in client.get(reverse("overview")).content.decode()
    client.force_login(agent_a.user)
    assert f'href="{reverse("forecast")}"' not in client.get(reverse("home")).content.decode()


# -- the numbers ---------------------------------------------------------------------------


def test_the_week_table_and_the_csv_are_the_stored_rows(client, manager, stored, week):
    client.force_login(manager)
    response = client.get(reverse("forecast") + "?queue=Billing")
    assert response.status_code == 200
    rows = _cells(response.content.decode(), "week-table")
    header, body, total = rows[0], rows[1:-1], rows[-1]
    assert header[1] == (week).strftime("%a %-d %b")
    assert [row[0] for row in body] == ["09:00", "09:15", "10:30"]
    stored_days = dict(
        ForecastDay.objects.filter(queue__name="Billing").values_list("day", "contacts")
    )
    # Each day's total is the stored day forecast, and each cell the stored interval.
    for n in range(7):
        day = week + timedelta(days=n)
        assert total[1 + n] == f"{stored_days[day]:.1f}"
        for row, clock in zip(body, CLOCKS, strict=True):
            value = Forecast.objects.get(queue__name="Billing", start=at_local(day, clock)).contacts
            assert row[1 + n] == f"{value:.1f}"
    assert total[-1] == f"{sum(stored_days[week + timedelta(days=n)] for n in range(7)):.1f}"

    export = client.get(reverse("forecast") + "?queue=Billing&export=week")
    assert export["Content-Type"].startswith("text/csv")
    lines = list(csv.reader(io.StringIO(b"".join(export.streaming_content).decode("utf-8-sig"))))
    assert lines[0][0] == "interval" and lines[0][1] == f"Mon {week.isoformat()}"
    assert [line[0] for line in lines[1:]] == ["09:00", "09:15", "10:30", "Total"]
    for line, row in zip(lines[1:], body + [total], strict=True):
        assert [f"{float(value):.1f}" for value in line[1:]] == row[1:]


def test_a_group_sums_its_queues(client, manager, stored, week):
    QueueGroup.objects.create(name="Both").queues.add(*stored_queues())
    client.force_login(manager)
    response = client.get(reverse("forecast") + "?group=Both")
    data = response.context["data"]
    assert data["table"]["totals"] == pytest.approx([150.0 + 2 * n for n in range(7)])
    days = response.context["data"]["daily_chart"]["data"]
    forecast = next(trace for trace in days if trace["name"] == "Forecast")
    upper = next(trace for trace in days if trace["name"] == "80 % interval")
    assert forecast["y"] == pytest.approx([150.0 + 2 * n for n in range(7)])
    assert upper["y"] == pytest.approx([120.0 + n + 60.0 + n for n in range(7)])  # summed bounds
    assert len(data["methods"]) == 2


def test_the_daily_chart_holds_history_forecast_band_and_special_days(
    client, manager, stored, week
):
    billing = stored_queues()[0]
    yesterday = local_today() - timedelta(days=1)
    ContactDay.objects.create(day=yesterday, queue=billing, channel="voice", offered=70)
    ContactDay.objects.create(day=yesterday, queue=billing, channel="chat", offered=5)
    holiday = SpecialDay.objects.create(date=week + timedelta(days=2), kind="closed",
                                        reason="Founders' day")  # fmt: skip
    client.force_login(manager)
    figure = client.get(reverse("forecast") + "?queue=Billing").context["data"]["daily_chart"]
    traces = {trace["name"]: trace for trace in figure["data"]}
    assert set(traces) >= {"Actual offered", "Forecast", "80 % interval", "Special day"}
    assert traces["Actual offered"]["x"] == [yesterday.isoformat()]
    assert traces["Actual offered"]["y"] == [75]
    assert traces["80 % interval"]["fill"] == "tonexty"
    assert traces["Special day"]["text"] == ["Founders' day"]
    assert traces["Special day"]["x"] == [holiday.date.isoformat()]
    assert len(figure["layout"]["shapes"]) == 1


def test_the_backtest_table_and_the_method_in_use(client, manager, admin_user, stored):
    QueueForecastSetting.objects.filter(queue__name="Sales").update(pinned_method="seasonal_naive")
    client.force_login(admin_user)
    html = client.get(reverse("forecast") + "?queue=Billing").content.decode()
    assert "Holt-Winters" in html and "chosen</span> by the backtest" in html
    assert "/admin/forecasting/queueforecastsetting/" in html
    entry = client.get(reverse("forecast") + "?queue=Billing").context["data"]["methods"][0]
    assert [(row["method"], row["interval_wape"], row["day_wape"]) for row in entry["rows"]] == [
        ("seasonal_naive", pytest.approx(30.0), pytest.approx(15.0)),
        ("weighted_average", pytest.approx(20.0), pytest.approx(10.0)),
        ("holt_winters", pytest.approx(10.0), pytest.approx(5.0)),
    ]
    assert [row["chosen"] for row in entry["rows"]] == [False, False, True]
    sales = client.get(reverse("forecast") + "?queue=Sales")
    assert "pinned</span> in the admin" in sales.content.decode()
    assert sales.context["data"]["methods"][0]["rows"][0]["pinned"] is True
    client.force_login(manager)  # not an admin: no admin link
    assert "/admin/forecasting/" not in client.get(reverse("forecast")).content.decode()


def test_the_last_run_and_its_note(client, manager, stored):
    client.force_login(manager)
    html = client.get(reverse("forecast") + "?queue=Sales").content.decode()
    assert "Forecast now" in html and "by manager" in html
    assert "Only 20 days of history" in html
    assert "Only 20 days" not in client.get(reverse("forecast") + "?queue=Billing").content.decode()


# -- accuracy ------------------------------------------------------------------------------


def _numpy(pairs):
    f, a = (np.array(values, dtype=float) for values in zip(*pairs, strict=True))
    return np.abs(f - a).sum() / a.sum(), (f - a).sum() / a.sum()


def test_accuracy_equals_numpy_on_a_small_case(client, manager, queues, team_a, team_b):
    billing, _ = queues
    today = local_today()
    days = [today - timedelta(days=3), today - timedelta(days=2)]
    # (forecast, [actual rows over teams and channels]) per interval of each day
    cases = {
        days[0]: [(10.0, [6, 5]), (20.0, [14]), (0.0, [3]), (5.0, [])],
        days[1]: [(12.0, [12]), (18.5, [10, 7]), (4.0, [0]), (0.0, [])],
    }
    intervals = []
    for day, values in cases.items():
        for k, (forecast, actuals) in enumerate(values):
            start = at_local(day, time(9)) + timedelta(minutes=15 * k)
            Forecast.objects.create(queue=billing, start=start, contacts=forecast,
                                    method="weighted_average")  # fmt: skip
            for n, offered in enumerate(actuals):
                ContactInterval.objects.create(interval_start=start, queue=billing,
                                               team=(team_a, team_b)[n], channel="voice",
                                               offered=offered)  # fmt: skip
            intervals.append((day, forecast, sum(actuals)))
    day_forecast = {days[0]: 33.0, days[1]: 36.0}
    for day, contacts in day_forecast.items():
        ForecastDay.objects.create(queue=billing, day=day, contacts=contacts, lower=0, upper=99,
                                   method="weighted_average")  # fmt: skip
        actual = sum(a for d, _f, a in intervals if d == day)
        ContactDay.objects.create(day=day, queue=billing, team=team_a, channel="voice",
                                  offered=actual - 2)  # fmt: skip
        ContactDay.objects.create(day=day, queue=billing, team=team_b, channel="chat", offered=2)

    [result] = accuracy.accuracy([billing], today - timedelta(days=56), today - timedelta(days=1))
    wape, bias = _numpy([(f, a) for _d, f, a in intervals])
    assert result["interval"]["wape"] == pytest.approx(wape)
    assert result["interval"]["bias"] == pytest.approx(bias)
    day_pairs = [(day_forecast[day], sum(a for d, _f, a in intervals if d == day)) for day in days]
    wape, bias = _numpy(day_pairs)
    assert result["day"]["wape"] == pytest.approx(wape)
    assert result["day"]["bias"] == pytest.approx(bias)
    for row, day in zip(result["days"], days, strict=True):
        per_day = _numpy([(f, a) for d, f, a in intervals if d == day])
        assert row["interval_wape"] == pytest.approx(per_day[0])
        assert row["interval_bias"] == pytest.approx(per_day[1])
        assert row["actual"] == sum(a for d, _f, a in intervals if d == day)
    # The engine's own definition agrees.
    from forecasting import methods

    expected = methods.accuracy(np.array([f for _d, f, _a in intervals]),
                                np.array([a for _d, _f, a in intervals]))  # fmt: skip
    assert result["interval"]["wape"] == pytest.approx(expected[0])

    client.force_login(manager)
    response = client.get(reverse("forecast") + "?queue=Billing")
    [shown] = response.context["data"]["accuracy_table"]
    assert shown["total"]["interval_wape"] == pytest.approx(100 * result["interval"]["wape"])
    html = response.content.decode()
    total_row = _cells(html, "accuracy-table")[1]
    assert total_row[4] == f"{100 * result['interval']['wape']:.1f} %"
    assert total_row[6] == f"{100 * result['day']['wape']:.1f} %"


def test_the_backtest_trend_over_runs(client, manager, stored, week):
    billing = stored_queues()[0]
    older = ForecastRun.objects.create(trigger=Trigger.SCHEDULE, start=week, weeks=6,
                                       status=JobStatus.DONE)  # fmt: skip
    ForecastRun.objects.filter(pk=older.pk).update(created_at=stored.created_at - timedelta(days=1))
    BacktestScore.objects.create(run=older, queue=billing, method="holt_winters", grain="interval",
                                 wape=0.15, bias=0.0, origins=4, actual=900)  # fmt: skip
    client.force_login(manager)
    chart = client.get(reverse("forecast") + "?queue=Billing").context["data"]["backtest_chart"]
    holt = next(trace for trace in chart["data"] if trace["name"].startswith("Holt-Winters"))
    assert holt["y"] == pytest.approx([15.0, 10.0])  # oldest run first


# -- the button and the run page ------------------------------------------------------------


def test_the_button_queues_a_run_and_shows_its_page(
    client, manager, queues, django_capture_on_commit_callbacks
):
    client.force_login(manager)
    with mock.patch("forecasting.tasks.run_forecast.delay") as delay, \
            django_capture_on_commit_callbacks(execute=True):  # fmt: skip
        response = client.post(reverse("forecast-now"))
    run = ForecastRun.objects.get()
    assert run.trigger == Trigger.BUTTON and run.requested_by == manager
    delay.assert_called_once_with(run.pk)
    assert response.status_code == 302
    assert response["Location"] == reverse("forecast-run", args=[run.pk])
    page = client.get(response["Location"])
    html = page.content.decode()
    assert page.status_code == 200 and 'data-finished="false"' in html
    assert "js/job_progress.js" in html
    status = client.get(reverse("forecast-run-status", args=[run.pk])).json()
    assert status == {"status": "queued", "percent": 0, "finished": False, "queues_done": 0,
                      "queues_total": 0, "error": ""}  # fmt: skip
    assert client.get(reverse("forecast-now")).status_code == 405


def test_a_finished_run_shows_its_queues_and_a_failed_one_its_error(
    client, manager, stored, supervisor_a
):
    client.force_login(manager)
    html = client.get(reverse("forecast-run", args=[stored.pk])).content.decode()
    assert 'data-finished="true"' in html
    rows = _cells(html, "run-summary")
    assert [row[0] for row in rows[1:]] == ["Billing", "Sales"]
    assert "Only 20 days of history" in rows[2][3]
    # A supervisor reads the run of every queue, but only their queues' lines.
    client.force_login(supervisor_a)
    rows = _cells(
        client.get(reverse("forecast-run", args=[stored.pk])).content.decode(), "run-summary"
    )
    assert [row[0] for row in rows[1:]] == ["Billing"]
    sales_only = ForecastRun.objects.create(trigger=Trigger.COMMAND, start=stored.start, weeks=1,
                                            queue=stored_queues()[1], status=JobStatus.FAILED,
                                            error="History could not be read.")  # fmt: skip
    assert client.get(reverse("forecast-run", args=[sales_only.pk])).status_code == 404
    client.force_login(manager)
    html = client.get(reverse("forecast-run", args=[sales_only.pk])).content.decode()
    assert "History could not be read." in html


def test_a_run_whose_worker_stopped_ends_failed(client, manager, queues):
    from django.utils import timezone

    run = ForecastRun.objects.create(trigger=Trigger.BUTTON, start=local_today(), weeks=1,
                                     status=JobStatus.RUNNING,
                                     started_at=timezone.now() - timedelta(hours=2),
                                     heartbeat_at=timezone.now() - timedelta(hours=2))  # fmt: skip
    client.force_login(manager)
    status = client.get(reverse("forecast-run-status", args=[run.pk])).json()
    assert status["finished"] is True and "worker stopped" in status["error"]


# -- empty states ---------------------------------------------------------------------------


def test_no_queue_to_show(client, manager, supervisor_a):
    client.force_login(manager)
    html = client.get(reverse("forecast")).content.decode()
    assert 'id="no-queues"' in html and "No queue exists yet" in html
    client.force_login(supervisor_a)
    assert "Your teams serve no queue" in client.get(reverse("forecast")).content.decode()


def test_no_forecast_yet(client, manager, supervisor_a, queues):
    client.force_login(manager)
    html = client.get(reverse("forecast")).content.decode()
    assert 'id="no-forecast"' in html and "Run a forecast" in html
    assert "No forecast has been run" in html and 'id="no-accuracy"' in html
    client.force_login(supervisor_a)
    html = client.get(reverse("forecast")).content.decode()
    assert 'id="no-forecast"' in html and "Run a forecast" not in html


def test_a_week_without_forecast_and_a_bad_week(client, manager, stored, week):
    client.force_login(manager)
    later = week + timedelta(weeks=10)
    html = client.get(reverse("forecast") + f"?queue=Billing&week={later}").content.decode()
    assert 'id="no-week-forecast"' in html
    response = client.get(reverse("forecast") + "?week=soon")
    assert response.context["week"] == week
    assert "should read YYYY-MM-DD" in response.content.decode()


# -- the overview's overlay -----------------------------------------------------------------


def _overview_forecast(client, query):
    figure = client.get(reverse("overview") + query).context["data"]["intraday"]
    return next((trace for trace in figure["data"] if trace["name"] == "Forecast"), None)


def test_the_overview_draws_the_days_forecast_beside_the_actuals(
    client, manager, supervisor_b, team_a, queues
):
    billing, sales = queues
    today = local_today()
    for queue, contacts in ((billing, 4.0), (sales, 1.5)):
        Forecast.objects.create(queue=queue, start=at_local(today, time(9)), contacts=contacts,
                                method="holt_winters")  # fmt: skip
        Forecast.objects.create(queue=queue, start=at_local(today, time(9, 15)),
                                contacts=contacts, method="holt_winters")  # fmt: skip
    client.force_login(manager)
    figure = client.get(reverse("overview") + "?period=today").context["data"]["intraday"]
    bars = figure["data"][0]
    trace = next(trace for trace in figure["data"] if trace["name"] == "Forecast")
    assert trace["x"] == bars["x"] and trace["yaxis"] == bars["yaxis"]  # same axis, same unit
    nine = trace["x"].index(at_local(today, time(9)).isoformat())
    assert trace["y"][nine] == 5.5 and trace["y"][nine + 1] == 5.5 and sum(trace["y"]) == 11.0
    hour = _overview_forecast(client, "?period=today&grain=hour")
    assert hour["y"][hour["x"].index(at_local(today, time(9)).isoformat())] == 11.0
    assert sum(_overview_forecast(client, "?period=today&queue=Sales")["y"]) == 3.0
    assert sum(_overview_forecast(client, "?period=today&team=Team A")["y"]) == 8.0
    assert _overview_forecast(client, "?period=today&channel=chat") is None
    client.force_login(supervisor_b)  # their team serves Sales
    assert sum(_overview_forecast(client, "?period=today")["y"]) == 3.0


def test_the_overview_without_forecasts_has_no_overlay(client, manager, queues):
    client.force_login(manager)
    response = client.get(reverse("overview") + "?period=today")
    assert response.status_code == 200
    assert _overview_forecast(client, "?period=today") is None


def test_a_team_serving_no_queue_gets_no_overlay(client, manager, queues):
    from tests.factories import TeamFactory

    TeamFactory(name="Lonely")
    Forecast.objects.create(queue=queues[0], start=datetime.now(UTC), contacts=3,
                            method="holt_winters")  # fmt: skip
    client.force_login(manager)
    assert _overview_forecast(client, "?period=today&team=Lonely") is None


def test_no_queue_selects_nothing():
    assert dashboards.select({}, [], []) is None
