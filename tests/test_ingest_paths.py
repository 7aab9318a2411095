"""Every path stores the same contacts the same way, and concurrent clients never collide."""

import csv
import io
import threading
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import Permission
from django.db import connection, transaction
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from interactions import imports, queue_log, services
from interactions.models import Interaction
from interactions.records import CONTACT_FIELDS
from tests.factories import UserFactory
from tests.test_queue_log import LOG, write

# Every field of the contract but the source (each path writes its own), by name.
COMPARED = [
    *(name for name in CONTACT_FIELDS if name not in ("source", "queue", "agent")),
    "queue__name",
    "agent__login",
]


def state(source):
    return list(
        Interaction.objects.filter(source=source).order_by("external_id").values_list(*COMPARED)
    )


def api_client(username):
    user = UserFactory(username=username)
    user.user_permissions.add(Permission.objects.get(codename="add_interaction"))
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


@pytest.mark.django_db
def test_api_csv_and_queue_log_load_the_same_contacts_identically(tmp_path):
    path = tmp_path / "queue_log"
    write(path, LOG)
    queue_log.read_file(str(path), source="from-log")
    # The same contacts as a system would send them through the API and as a CSV file.
    records = [
        {
            key: (value.isoformat() if hasattr(value, "isoformat") else value)
            for key, value in row.items()
            if value not in (None, "")
        }
        for row in Interaction.objects.filter(source="from-log").values(
            "external_id",
            "channel",
            "direction",
            "customer",
            "arrived_at",
            "answered_at",
            "ended_at",
            "talk_seconds",
            "transferred",
        )
    ]
    for record, (queue, agent) in zip(
        records,
        Interaction.objects.filter(source="from-log").values_list("queue__name", "agent__login"),
        strict=True,
    ):
        record["queue"] = queue
        if agent:
            record["agent"] = agent

    response = api_client("from-api").post("/api/v1/contacts/", records, format="json")
    assert response.status_code == 200, response.json()

    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=sorted({key for record in records for key in record}))
    writer.writeheader()
    writer.writerows(records)
    summary = imports.import_contacts(io.BytesIO(out.getvalue().encode()), source="from-csv")
    assert summary.created == len(records) == 4

    assert state("from-log") == state("from-api") == state("from-csv")
    assert len(state("from-log")) == 4


@pytest.mark.django_db(transaction=True)
def test_two_clients_sending_overlapping_batches_at_once_create_no_duplicates():
    if connection.vendor != "postgresql":
        pytest.skip("SQLite runs one writer at a time; the race is a PostgreSQL question")
    first = [
        {
            "external_id": f"k{n}",
            "channel": "voice",
            "queue": f"Q{n % 3}",
            "agent": f"a{n % 5}",
            "arrived_at": "2026-03-02T09:00:00Z",
            "ended_at": "2026-03-02T09:01:00Z",
        }
        for n in range(0, 600)
    ]
    second = [dict(record, topic="second") for record in first[300:]] + [
        dict(first[0], external_id=f"k{n}") for n in range(600, 900)
    ]
    start = threading.Barrier(2)
    failures = []

    def send(batch):
        try:
            start.wait()
            report = services.ingest_contacts(batch, default_source="pbx")
            assert report.rejected == 0, report.summary()
        except Exception as error:  # noqa: BLE001 (reported to the test below)
            failures.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=send, args=(batch,)) for batch in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert Interaction.objects.count() == 900
    assert Interaction.objects.values("source", "external_id").distinct().count() == 900
    assert sorted(Interaction.objects.values_list("queue__name", flat=True).distinct()) == [
        "Q0",
        "Q1",
        "Q2",
    ]


def _base(n, **fields):
    record = {
        "external_id": f"case-{n}",
        "channel": "voice",
        "queue": "Billing",
        "agent": "A-1",
        "arrived_at": "2026-03-02T09:00:00+01:00",
        "answered_at": "2026-03-02T09:00:15+01:00",
        "ended_at": "2026-03-02T09:05:15+01:00",
        "talk_seconds": "240",
    }
    record.update(fields)
    return {key: value for key, value in record.items() if value is not ...}


def _soon(**delta):
    return (timezone.now() + timedelta(**delta)).replace(microsecond=0)


# One field at a time, as a CSV cell (text) or a JSON value: the edges of every rule.
EDGES = {
    "external_id": ["", "  ", "x" * 128, "x" * 129, " padded ", "a\x00b", 42, None],
    "source": ["x" * 64, "x" * 65, " crm ", "", "pbx"],
    "channel": ["VOICE", " Chat ", "fax", "", "vo\u0130ce", "vo\u212aice", 3, ...],
    "direction": ["OUTBOUND", "sideways", "", " Inbound "],
    "queue": ["", "  ", "Q" * 255, "Q" * 256, " Sales ", ...],
    "agent": ["a\x00", "  A-2 ", "", True],
    "customer": ["\u00a0+1555\u2003", "c" * 256],
    "arrived_at": [
        "2026-03-02T09:00:00Z",
        "2026-03-02t09:00:00Z",
        "2026-03-02T09:00:00z",
        "2026-02-30T09:00:00Z",
        "2025-02-29T00:00Z",
        "2024-02-29T00:00Z",
        "0000-01-01T00:00:00Z",
        "1899-12-31T23:00:00+00:00",
        "1900-01-01T00:30:00+01:00",
        "2999-12-31T23:00:00-05:00",
        "3000-01-01T00:00Z",
        "2026-03-02",
        "2026-03-02T09:00:00",
        "2026-03-02 09:00:00.123456+05:30",
        "2026-03-02T09:00:00.1234567+05:30",
        " 2026-03-02T09:00:00Z\t",
        "2026-03-02T09:00:00+0100",
        "2026-03-02T09:00:00+24:00",
        "2026-03-02T09:00:00-23:59",
        "yesterday",
        "2026-13-01T00:00Z",
        "20260302T090000Z",
        12345,
        datetime(2026, 3, 2, 8, 0, tzinfo=UTC),
        datetime(2026, 3, 2, 8, 0),
        datetime(1905, 3, 2, 8, 0, tzinfo=ZoneInfo("Asia/Jerusalem")),
        ...,
    ],
    "answered_at": ["2026-03-02T08:59:00+01:00", "", None, "2026-03-02T09:10:00+01:00"],
    "ended_at": ["2026-03-02T09:00:10+01:00", "2026-03-02T08:00:00+01:00", ""],
    "talk_seconds": [
        " 1e3 ", "1e400", "-1e400", "1e-400", "-1e-400", "-0", "-1", "NaN", "-inf",
        "Infinity", "1_000", "0x10", "1e1000", "1000000000", "1000000000.0000001",
        "1000000001", "", "abc", ".5", "5.", "+7", 1e300, 5e-324, -0.0, True, 10**400,
        float("nan"), 12, 12.5,
    ],
    "hold_seconds": ["1E+02", "١٢"],
    "transferred": ["YES", " t ", "2", "maybe", 1, 0, 2, True, 1.0, "\u0130"],
    "resolved": ["", "no", "N", None, False],
    "callback_requested": ["y", "true\x00"],
    "topic": ["t" * 255, "t" * 256, " refund "],
    "csat": [
        "5", "6", "0", "-1", "--5", "+3", "\u0663", "4.0", 4.0, 4.5, "007", " 2 ",
        "99999999999999999999", True, 3, 7, -0.0,
    ],
    "nps": ["10", "11", 0, "-0"],
    "recording_url": ["https://rec.example/a.mp3", "javascript:alert(1)", "http://", " "],
    "transcript": ["hello\nworld", "x" * 100_001],
    "colour": ["red"],
}  # fmt: skip


def _expected(raw, default_source, only_source=None):
    """What every path must answer for one record: records' own verdict and values."""
    values, errors = services._checked_contact(raw, default_source, only_source)
    return values, errors, services._name_of(raw, values, "external_id")


def _stored(values):
    row = Interaction.objects.select_related("queue", "agent").get(
        source=values["source"], external_id=values["external_id"]
    )
    stored = {name: getattr(row, name) for name in CONTACT_FIELDS}
    stored["queue"] = row.queue.name if row.queue else ""
    stored["agent"] = row.agent.login if row.agent else ""
    return stored


@pytest.mark.parametrize("only_source", [None, "pbx"])
def test_every_path_judges_and_stores_each_record_as_the_contract_says(only_source, db):
    """On PostgreSQL the rules run in SQL (interactions/staging.py), on SQLite in Python:
    either way each record gets records.parse_contact's verdict, word for word, and a
    valid one is stored with its values."""
    batch = [_base(n, **{name: value}) for n, (name, value) in enumerate(
        (name, value) for name, values in EDGES.items() for value in values
    )]  # fmt: skip
    batch += [
        _base("far", arrived_at=_soon(days=400).isoformat(), answered_at=..., ended_at=...),
        _base("soon", arrived_at=_soon(hours=2).isoformat(), answered_at=..., ended_at=...),
        _base("many", channel="fax", csat="9", ended_at="2026-03-02T08:00:00+01:00", queue=""),
        _base("dup", topic="first"),
        _base("dup", topic="second"),
        "not an object",
    ]
    report = services.ingest_contacts(batch, default_source="pbx", only_source=only_source)
    assert len(report.results) == len(batch)
    stored = 0
    for raw, result in zip(batch, report.results, strict=True):
        values, errors, name = _expected(raw, "pbx", only_source)
        assert (result.external_id, result.errors or {}) == (name, errors), raw
        if errors:
            assert result.status == services.REJECTED, raw
            continue
        if raw.get("topic") == "first":
            assert result.status == services.DUPLICATE
            continue
        assert result.status == services.CREATED, raw
        assert _stored(values) == values, raw
        stored += 1
    assert Interaction.objects.count() == stored > 40
    assert report.created == stored


def test_the_staged_path_matches_the_parsed_path_on_postgresql(db):
    """Both paths side by side on one database: the same answers, the same rows."""
    if connection.vendor != "postgresql":
        pytest.skip("the staged path is PostgreSQL's")
    batch = [_base(n, **{name: value}) for n, (name, value) in enumerate(
        (name, value) for name, values in EDGES.items() for value in values
    )]  # fmt: skip
    # the earlier record of a key names a queue and an agent nobody else names: not created
    batch += [
        _base("dup", topic="first", queue="Only first", agent="only-first"),
        _base("dup", topic="second", queue="New", agent="X"),
        _base("dup2", channel="chat", queue="Newer"),
        _base("dup3", channel="email", queue="Newer"),
        _base("dup2", channel="sms", queue="Newer"),
    ]
    answers, rows = [], []
    for ingest in (services._ingest_staged, services._ingest_parsed):
        with transaction.atomic():
            # stored before: its survey answers stay, its team follows the new agent
            ingest([_base("kept", csat="4", nps="8")], default_source="pbx", only_source=None)
            report = ingest(
                [*batch, _base("kept", agent="A-2")], default_source="pbx", only_source=None
            )
            answers.append(([result.as_dict() for result in report.results], report.summary()))
            rows.append(
                list(
                    Interaction.objects.order_by("source", "external_id").values_list(
                        *COMPARED, "source", "team__name", "csat", "nps", "queue__channel"
                    )
                )
            )
            transaction.set_rollback(True)
    assert answers[0] == answers[1]
    assert rows[0] == rows[1]
