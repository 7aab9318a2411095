"""Every path stores the same contacts the same way, and concurrent clients never collide."""

import csv
import io
import threading

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
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
