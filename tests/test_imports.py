"""Contact files: the native CSV, the real bank export, the command and the upload page."""

import io
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse

from interactions import imports
from interactions.models import ImportJob, Interaction
from tests.test_exports import csv_rows

pytestmark = pytest.mark.django_db

BANK_FILE = Path(__file__).resolve().parents[2] / "shared/data/anonymous-bank/calls-1999-02.tsv"

HEADER = "external_id,channel,queue,agent,arrived_at,answered_at,ended_at,talk_seconds,csat\n"
GOOD = "c1,voice,Billing,A-1,2026-03-02T09:00:00Z,2026-03-02T09:00:10Z,2026-03-02T09:05:00Z,280,5\n"


def run(text: str, **kwargs):
    return imports.import_contacts(io.BytesIO(text.encode()), **kwargs)


def test_good_rows_are_stored_and_bad_rows_named_by_line():
    summary = run(
        HEADER
        + GOOD
        + "c2,fax,Billing,,2026-03-02T09:00:00Z,,,0,\n"
        + "c3,chat,Chat,,2026-03-02T10:00:00Z,,,,\n"
        + "c4,voice,Billing,,2026-03-02T11:00:00Z,2026-03-02T10:00:00Z,,,\n"
    )
    assert (summary.lines, summary.created, summary.rejected) == (4, 2, 2)
    assert [(line, reason.split(":")[0]) for line, _id, reason in summary.rejected_lines] == [
        (3, "channel"),
        (5, "answered_at"),
    ]
    assert summary.rejected_lines[0][1] == "c2"
    stored = Interaction.objects.get(external_id="c1")
    assert (stored.source, stored.csat, stored.agent.login) == ("csv", 5, "A-1")


def test_importing_the_same_file_twice_updates_and_duplicates_nothing():
    run(HEADER + GOOD)
    summary = run(HEADER + GOOD)
    assert (summary.created, summary.updated) == (0, 1)
    assert Interaction.objects.count() == 1


def test_line_numbers_follow_quoted_cells_over_several_lines():
    header = "external_id,channel,queue,topic,arrived_at\n"
    summary = run(
        header
        + 'a,voice,Billing,"two\nlines",2026-03-02T09:00:00Z\n'
        + "b,voice,Billing,x,not-a-time\n"
    )
    assert summary.rejected_lines[0][0] == 4


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty"),
        ("external_id,channel\n", "Missing column(s): arrived_at"),
        ("external_id,channel,arrived_at\n", "no rows"),
        (b"\xff\xfe\x00garbage".decode("latin-1"), "Missing column"),
    ],
)
def test_unreadable_files_say_why_and_store_nothing(text, message):
    with pytest.raises(
        imports.ImportFileError, match=message.replace("(", r"\(").replace(")", r"\)")
    ):
        run(text)
    assert not Interaction.objects.exists()


def test_non_utf8_file_is_refused():
    with pytest.raises(imports.ImportFileError, match="UTF-8"):
        imports.import_contacts(
            io.BytesIO(HEADER.encode() + b"c1,voice,B\xe9,,2026-03-02T09:00:00Z\n")
        )


def test_extra_columns_are_reported_and_short_rows_rejected():
    summary = run(
        "external_id,channel,queue,arrived_at,colour\n"
        "c1,voice,Billing,2026-03-02T09:00:00Z,red\n"
        "c2,voice,Billing,2026-03-02T09:00:00Z,red,extra\n"
    )
    assert summary.warnings == ["Column(s) ignored: colour."]
    assert summary.created == 1 and summary.rejected_lines[0][0] == 3


def test_dry_run_checks_everything_and_keeps_nothing():
    summary = run(HEADER + GOOD + "c2,voice,,,2026-03-02T09:00:00Z,,,,\n", dry_run=True)
    assert (summary.created, summary.rejected) == (1, 1)
    assert not Interaction.objects.exists()


def test_batches_cover_a_file_larger_than_one_batch(monkeypatch):
    monkeypatch.setattr(imports, "IMPORT_BATCH", 7)
    seen = []
    rows = "".join(f"c{n},voice,Billing,,2026-03-02T09:{n % 60:02d}:00Z,,,,\n" for n in range(50))
    summary = imports.import_contacts(
        io.BytesIO((HEADER + rows).encode()),
        progress=lambda s, done, total: seen.append(s.created),
    )
    assert summary.created == 50 and Interaction.objects.count() == 50
    assert seen[:3] == [7, 14, 21] and seen[-1] == 50


@pytest.mark.skipif(not BANK_FILE.exists(), reason=f"the real bank data is not at {BANK_FILE}")
def test_the_real_bank_month_imports_with_the_readme_counts():
    with BANK_FILE.open("rb") as binary:
        summary = imports.import_contacts(binary, format_name="anonymous-bank")
    assert summary.lines == 33_344
    assert summary.created == 31_040
    assert summary.skipped == {"phantom": 278, "left in the voice menu": 1_972}
    assert summary.adjusted == 46
    assert summary.rejected == 54
    reasons = [reason for _line, _id, reason in summary.rejected_lines]
    assert sum("never recorded" in reason for reason in reasons) == 50
    assert sum("before the call entered the queue" in reason for reason in reasons) == 4
    assert all(line > 1 and external_id for line, external_id, _ in summary.rejected_lines)
    assert Interaction.objects.count() == 31_040
    assert set(Interaction.objects.values_list("source", flat=True).distinct()) == {
        "anonymous-bank"
    }
    # Line 2,639 queued at midnight just after a voice menu entry at 23:59:54.
    midnight = Interaction.objects.get(external_id=_external_id_on_line(2639))
    assert (
        midnight.arrived_at.astimezone(imports.AnonymousBankTsv.zone).strftime("%H:%M:%S")
        == "00:00:00"
    )
    assert midnight.answered_at > midnight.arrived_at


def _external_id_on_line(number: int) -> str:
    with BANK_FILE.open(encoding="utf-8") as lines:
        for index, line in enumerate(lines, start=1):
            if index == number:
                vru_line, call_id = line.split("\t")[:2]
                return f"{vru_line}-{call_id}"
    raise AssertionError(number)


def test_command_imports_and_writes_rejected_lines(tmp_path, capsys):
    source = tmp_path / "contacts.csv"
    source.write_text(HEADER + GOOD + "c2,voice,,,2026-03-02T09:00:00Z,,,,\n", encoding="utf-8")
    rejected = tmp_path / "rejected.csv"
    call_command("import_contacts", str(source), "--source", "crm", "--rejected-csv", str(rejected))
    out = capsys.readouterr().out
    assert "created 1, updated 0, rejected 1" in out and "line 3 (c2): queue" in out
    lines = rejected.read_text(encoding="utf-8-sig").splitlines()
    assert lines[0] == "line,external_id,reason" and lines[1].startswith("3,c2,queue:")
    assert Interaction.objects.get().source == "crm"


def test_command_dry_run_and_errors(tmp_path, capsys):
    source = tmp_path / "contacts.csv"
    source.write_text(HEADER + GOOD, encoding="utf-8")
    call_command("import_contacts", str(source), "--dry-run")
    assert "Dry run, nothing kept" in capsys.readouterr().out
    assert not Interaction.objects.exists()
    with pytest.raises(CommandError, match="Cannot open"):
        call_command("import_contacts", str(tmp_path / "missing.csv"))
    (tmp_path / "empty.csv").write_text("")
    with pytest.raises(CommandError, match="empty"):
        call_command("import_contacts", str(tmp_path / "empty.csv"))


def _upload(client, text, **fields):
    return client.post(
        reverse("import-list"),
        {"file": SimpleUploadedFile("contacts.csv", text.encode()), "format": "native", **fields},
    )


def test_manager_uploads_a_file_and_sees_the_result(client, manager):
    client.force_login(manager)
    response = _upload(client, HEADER + GOOD + "c2,voice,,,2026-03-02T09:00:00Z,,,,\n")
    job = ImportJob.objects.get()
    assert response.url == reverse("import-detail", args=[job.pk])
    assert job.status == "queued" and job.created_by == manager

    imports.run_import_job(job.pk)  # what the worker does; a real worker runs it below
    job.refresh_from_db()
    assert job.status == "done" and job.summary["created"] == 1 and job.percent == 100
    page = client.get(response.url).content.decode()
    assert "Rejected lines" in page and "queue: An inbound contact needs its queue." in page
    status = client.get(reverse("import-status", args=[job.pk])).json()
    assert status["finished"] and status["summary"]["rejected"] == 1
    download = client.get(reverse("import-rejected", args=[job.pk]))
    assert download["Content-Disposition"].endswith(f'rejected-lines-{job.pk}.csv"')
    assert csv_rows(download) == [
        ["line", "external_id", "reason"],
        ["3", "c2", "queue: An inbound contact needs its queue."],
    ]
    assert "contacts.csv" in client.get(reverse("import-list")).content.decode()


def test_a_broken_upload_fails_with_its_reason(client, manager):
    client.force_login(manager)
    assert "The submitted file is empty" in _upload(client, "").content.decode()
    _upload(client, "external_id,channel\n")
    job = ImportJob.objects.get()
    imports.run_import_job(job.pk)
    job.refresh_from_db()
    assert job.status == "failed" and "Missing column(s): arrived_at" in job.error
    page = client.get(reverse("import-detail", args=[job.pk])).content.decode()
    assert "Missing column(s): arrived_at" in page


def test_only_managers_import(client, supervisor_a, agent_a):
    for user in (supervisor_a, agent_a.user):
        client.force_login(user)
        assert client.get(reverse("import-list")).status_code == 403
        assert _upload(client, HEADER + GOOD).status_code == 403
    assert not ImportJob.objects.exists()
