"""What a supervisor monitors: a contact's recording address and its transcript come in
through the API (one or a batch), the CSV import and the OpenAPI schema, are refused
with the field named when bad, and show on the contact's page: a player for the
recording, the transcript as escaped text, for those who may see the contact only."""

import csv
import io
import re
from datetime import date

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import IntegrityError, transaction
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from demo import transcripts
from interactions import imports, queue_log
from interactions.models import Channel, Interaction
from tests.factories import AgentFactory, InteractionFactory, QueueFactory, UserFactory
from tests.test_queue_log import LOG, write

pytestmark = pytest.mark.django_db

RECORDING = "https://recordings.example.com/c1.mp3"
TRANSCRIPT = "[00:00] Agent: Hello, this is Ana.\n[00:04] Customer: Hi!\n\n    indented line"


def record(external_id="c1", **fields):
    return {
        "external_id": external_id,
        "channel": "voice",
        "queue": "Billing",
        "arrived_at": "2026-03-02T09:00:00+00:00",
        "answered_at": "2026-03-02T09:00:12+00:00",
        "ended_at": "2026-03-02T09:04:00+00:00",
        "talk_seconds": 200,
        **fields,
    }


@pytest.fixture
def pbx():
    user = UserFactory(username="pbx")
    user.user_permissions.add(Permission.objects.get(codename="add_interaction"))
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


# -- the API ------------------------------------------------------------------------------


def test_api_stores_a_recording_and_a_transcript_and_returns_them(pbx, client, manager):
    response = pbx.post(
        "/api/v1/contacts/",
        record(recording_url=RECORDING, transcript=TRANSCRIPT),
        format="json",
    )
    assert response.status_code == 200, response.json()
    stored = Interaction.objects.get(external_id="c1")
    assert (stored.recording_url, stored.transcript) == (RECORDING, TRANSCRIPT)
    client.force_login(manager)
    listed = client.get("/api/v1/contacts/").json()["results"][0]
    assert (listed["recording_url"], listed["transcript"]) == (RECORDING, TRANSCRIPT)


def test_api_batch_keeps_the_good_records_and_names_the_bad_field(pbx, settings):
    settings.CONTACT_TRANSCRIPT_MAX_CHARS = 50
    batch = [
        record("good", recording_url="http://pbx.example.org/rec/1.wav", transcript="x" * 50),
        record("js", recording_url="javascript:alert(1)"),
        record("data", recording_url="data:audio/mp3;base64,AAAA"),
        record("ftp", recording_url="ftp://pbx.example.org/1.wav"),
        record("broken", recording_url="https://"),
        record("number", recording_url=42),
        record("long", transcript="y" * 51),
    ]
    response = pbx.post("/api/v1/contacts/", batch, format="json")
    assert response.status_code == 207
    body = response.json()
    assert (body["created"], body["rejected"]) == (1, 6)
    errors = {result["external_id"]: result.get("errors") for result in body["results"]}
    assert errors["good"] is None
    for name, scheme in (("js", "javascript"), ("data", "data"), ("ftp", "ftp")):
        assert list(errors[name]) == ["recording_url"]
        assert f"got a {scheme}: address" in errors[name]["recording_url"][0]
    assert "Not a valid web address" in errors["broken"]["recording_url"][0]
    assert list(errors["number"]) == ["recording_url"]
    assert errors["long"] == {"transcript": ["At most 50 characters (got 51)."]}
    assert list(Interaction.objects.values_list("external_id", flat=True)) == ["good"]


def test_a_resend_is_the_whole_record_so_leaving_them_out_clears_them(pbx):
    """As `topic` and `customer` (spec: a resend is the whole record): a source can
    withdraw a transcript; only survey answers, which have their own path, are kept."""
    pbx.post(
        "/api/v1/contacts/",
        record(recording_url=RECORDING, transcript=TRANSCRIPT, csat=4),
        format="json",
    )
    again = pbx.post("/api/v1/contacts/", record(), format="json").json()
    assert again["updated"] == 1
    stored = Interaction.objects.get(external_id="c1")
    assert (stored.recording_url, stored.transcript, stored.csat) == ("", "", 4)
    pbx.post("/api/v1/contacts/", record(transcript="Later, the full text."), format="json")
    assert Interaction.objects.get(external_id="c1").transcript == "Later, the full text."


def test_the_schema_lists_both_fields_in_and_out(client, manager):
    client.force_login(manager)
    schema = client.get("/api/v1/schema/", {"format": "json"}).json()["components"]["schemas"]
    sent = schema["ContactIn"]["properties"]
    url = sent["recording_url"]
    assert {"type": "string", "format": "uri", "maxLength": 2048} in url["oneOf"]
    assert "https://" in url["description"]
    assert sent["transcript"]["type"] == "string"
    assert sent["transcript"]["maxLength"] == 100_000
    assert {"recording_url", "transcript"} <= set(schema["Contact"]["properties"])


# -- every other way in -------------------------------------------------------------------


def test_csv_import_reads_both_columns_and_rejects_a_bad_line_by_its_column(settings):
    settings.CONTACT_TRANSCRIPT_MAX_CHARS = 200
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(
        ["external_id", "channel", "queue", "arrived_at", "recording_url", "transcript"]
    )
    at = "2026-03-02T09:00:00Z"
    writer.writerow(["c1", "voice", "Billing", at, RECORDING, TRANSCRIPT])
    writer.writerow(["c2", "voice", "Billing", at, "javascript:alert(document.cookie)", ""])
    writer.writerow(["c3", "chat", "Chat", at, "", "z" * 201])
    writer.writerow(["c4", "chat", "Chat", at, "", ""])
    summary = imports.import_contacts(io.BytesIO(text.getvalue().encode()))
    assert (summary.created, summary.rejected) == (2, 2)
    # The transcript of c1 runs over four lines of the file: c2 starts on line 6.
    assert summary.rejected_lines == [
        (
            6,
            "c2",
            "recording_url: Only http:// and https:// addresses are accepted "
            "(got a javascript: address).",
        ),  # fmt: skip
        (7, "c3", "transcript: At most 200 characters (got 201)."),
    ]
    stored = Interaction.objects.get(external_id="c1")
    assert (stored.recording_url, stored.transcript) == (RECORDING, TRANSCRIPT)
    assert Interaction.objects.get(external_id="c4").transcript == ""


def test_the_queue_log_reader_has_neither(tmp_path):
    path = tmp_path / "queue_log"
    write(path, LOG)
    queue_log.read_file(str(path), source="pbx")
    stored = Interaction.objects.filter(source="pbx")
    assert stored.exists()
    assert set(stored.values_list("recording_url", "transcript")) == {("", "")}


def test_the_model_and_the_database_refuse_what_ingest_refuses(settings):
    settings.CONTACT_TRANSCRIPT_MAX_CHARS = 10
    contact = InteractionFactory(recording_url="https://r.example.com/1.mp3")
    contact.full_clean()
    contact.recording_url, contact.transcript = "javascript:alert(1)", "t" * 11
    with pytest.raises(ValidationError) as refused:
        contact.full_clean()
    assert set(refused.value.message_dict) == {"recording_url", "transcript"}
    with pytest.raises(IntegrityError), transaction.atomic():
        Interaction.objects.filter(pk=contact.pk).update(recording_url="javascript:alert(1)")


# -- the contact's page -------------------------------------------------------------------


@pytest.fixture
def contacts(team_a, team_b, agent_a, agent_b):
    billing = QueueFactory(name="Billing")
    team_a.queues.add(billing)
    team_b.queues.add(QueueFactory(name="Sales"))
    other = AgentFactory(login="A-2", team=team_a)
    return {
        "own": InteractionFactory(
            external_id="own",
            queue=billing,
            agent=agent_a,
            team=team_a,
            recording_url=RECORDING,
            transcript='<script>alert("x")</script>\nCustomer: "Tom & Jerry"\n  two spaces',
        ),
        "colleague": InteractionFactory(
            external_id="colleague", queue=billing, agent=other, team=team_a
        ),
        "team_b": InteractionFactory(
            external_id="team-b",
            queue=team_b.queues.get(),
            agent=agent_b,
            team=team_b,
            transcript="Team B's call",
        ),
    }


def page(client, user, contact):
    client.force_login(user)
    return client.get(reverse("contact-detail", args=[contact.pk]))


def test_the_page_plays_the_recording_and_shows_the_transcript_as_text(
    client, supervisor_a, contacts
):
    response = page(client, supervisor_a, contacts["own"])
    assert response.status_code == 200
    html = response.content.decode()
    player = re.search(r"<audio [^>]*>", html).group(0)
    assert f'src="{RECORDING}"' in player
    assert "controls" in player and 'preload="none"' in player
    transcript = re.search(r'<pre class="transcript"[^>]*>(.*?)</pre>', html, re.S).group(1)
    assert transcript == (
        "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;\n"
        "Customer: &quot;Tom &amp; Jerry&quot;\n  two spaces"
    )
    assert "<script>alert" not in html


def test_a_contact_without_them_says_so(client, supervisor_a, contacts):
    html = page(client, supervisor_a, contacts["colleague"]).content.decode()
    assert "<audio" not in html and 'class="transcript"' not in html
    assert "No recording for this contact." in html and "No transcript for this contact." in html


def test_the_drill_down_links_each_row_to_its_page_without_reading_transcripts(
    client, supervisor_a, contacts
):
    client.force_login(supervisor_a)
    html = client.get(reverse("contact-list")).content.decode()
    assert reverse("contact-detail", args=[contacts["own"].pk]) in html
    assert "alert(" not in html  # no transcript (its script text) is read into the list


def test_only_those_who_may_see_the_contact_open_its_page(
    client, manager, supervisor_a, supervisor_b, agent_a, contacts
):
    assert page(client, manager, contacts["team_b"]).status_code == 200
    assert page(client, supervisor_b, contacts["team_b"]).status_code == 200
    assert page(client, supervisor_b, contacts["own"]).status_code == 404
    assert page(client, supervisor_a, contacts["team_b"]).status_code == 404
    assert page(client, agent_a.user, contacts["own"]).status_code == 200
    assert page(client, agent_a.user, contacts["colleague"]).status_code == 404
    assert page(client, agent_a.user, contacts["team_b"]).status_code == 404


# -- the demo -----------------------------------------------------------------------------


def test_seed_demo_gives_handled_contacts_transcripts_and_some_calls_recordings():
    call_command(
        "seed_demo", "--days", "2", "--agents", "8", "--seed", "3", "--end", str(date(2026, 3, 4))
    )
    handled = Interaction.objects.filter(answered_at__isnull=False, ended_at__isnull=False)
    assert handled.exists()
    assert not handled.filter(transcript="").exists()
    assert not Interaction.objects.filter(answered_at__isnull=True).exclude(transcript="").exists()
    recorded = Interaction.objects.exclude(recording_url="")
    assert set(recorded.values_list("channel", flat=True)) == {Channel.VOICE}
    calls = handled.filter(channel=Channel.VOICE).count()
    assert 0.4 * calls < recorded.count() < 0.8 * calls
    for contact in recorded[:20]:
        assert contact.recording_url == f"{transcripts.RECORDING_BASE}{contact.external_id}.mp3"
        contact.full_clean()
    email = handled.filter(channel=Channel.EMAIL).first()
    assert email.transcript.startswith("From: ") and email.topic.capitalize() in email.transcript
