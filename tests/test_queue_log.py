"""The Asterisk queue_log reader: calls, transfers, agent states, and never a line twice."""

import os
import threading
import time
from datetime import UTC, datetime

import pytest
from django.core.management import call_command

from agents.models import AgentStateEvent
from interactions import queue_log
from interactions.models import Interaction, MissedOffer, QueueLogCursor

pytestmark = pytest.mark.django_db

T0 = 1772442000  # 2026-03-02 09:00:00 UTC


def at(seconds):
    return datetime.fromtimestamp(T0 + seconds, tz=UTC)


LOG = [
    f"{T0 - 60}|NONE|support|SIP/1001|ADDMEMBER|",
    f"{T0 - 50}|NONE|sales|SIP/1001|ADDMEMBER|",
    f"{T0 - 40}|NONE|support|SIP/1002|ADDMEMBER|",
    # call 1: answered after 12 s by 1001, 200 s of talk
    f"{T0}|1000.1|support|NONE|ENTERQUEUE||+15550001|1",
    f"{T0 + 5}|1000.1|support|SIP/1002|RINGNOANSWER|5000",
    f"{T0 + 12}|1000.1|support|SIP/1001|CONNECT|12|1000.2|7",
    f"{T0 + 212}|1000.1|support|SIP/1001|COMPLETECALLER|12|200|1",
    # call 2: abandoned after 30 s, caller id hidden
    f"{T0 + 20}|1000.3|support|NONE|ENTERQUEUE||anonymous|2",
    f"{T0 + 50}|1000.3|support|NONE|ABANDON|1|2|30",
    # call 3: answered, transferred to sales, answered there (old single-data-field layout)
    f"{T0 + 30}|1000.4|support|NONE|ENTERQUEUE||+15550002|1",
    f"{T0 + 33}|1000.4|support|SIP/1002|CONNECT|3|1000.5|1",
    f"{T0 + 93}|1000.4|support|SIP/1002|TRANSFER|600|from-internal|3|60",
    f"{T0 + 94}|1000.4|sales|NONE|ENTERQUEUE||+15550002|1",
    f"{T0 + 99}|1000.4|sales|SIP/1001|CONNECT|5|1000.6|2",
    f"{T0 + 399}|1000.4|sales|SIP/1001|COMPLETEAGENT|5|300|1",
    # agent 1002 goes to lunch while idle, comes back, leaves
    f"{T0 + 400}|NONE|support|SIP/1002|PAUSE|Lunch",
    f"{T0 + 2200}|NONE|support|SIP/1002|UNPAUSE|",
    f"{T0 + 2300}|NONE|support|SIP/1002|REMOVEMEMBER|",
    # noise
    f"{T0 + 2400}|NONE|NONE|NONE|QUEUESTART|",
    "this is not a queue_log line",
    "yesterday|1000.9|support|NONE|ENTERQUEUE||x|1",
]


def write(path, lines, mode="w"):
    with open(path, mode, encoding="utf-8") as out:
        out.write("".join(f"{line}\n" for line in lines))


def test_a_log_becomes_contacts_states_and_missed_offers(tmp_path):
    path = tmp_path / "queue_log"
    write(path, LOG)
    report = queue_log.read_file(str(path))

    assert report.lines == len(LOG)
    assert report.contacts.created == 4 and report.contacts.rejected == 0
    calls = {c.external_id: c for c in Interaction.objects.select_related("queue", "agent")}
    assert set(calls) == {"1000.1", "1000.3", "1000.4", "1000.4-2"}
    first = calls["1000.1"]
    assert (first.source, first.queue.name, first.agent.login, first.customer) == (
        "asterisk",
        "support",
        "SIP/1001",
        "+15550001",
    )
    assert (first.arrived_at, first.answered_at, first.ended_at) == (at(0), at(12), at(212))
    assert first.talk_seconds == 200 and not first.transferred
    abandoned = calls["1000.3"]
    assert abandoned.answered_at is None and abandoned.ended_at == at(50)
    assert abandoned.customer == ""  # an anonymous caller is no customer
    leg1, leg2 = calls["1000.4"], calls["1000.4-2"]
    assert leg1.transferred and leg1.talk_seconds == 60 and leg1.ended_at == at(93)
    assert (leg2.queue.name, leg2.agent.login, leg2.talk_seconds) == ("sales", "SIP/1001", 300)

    offer = MissedOffer.objects.get()
    assert (offer.agent.login, offer.queue.name, offer.at, offer.ring_seconds) == (
        "SIP/1002",
        "support",
        at(5),
        5.0,
    )

    states = [
        (e.at, e.state)
        for e in AgentStateEvent.objects.filter(agent__login="SIP/1002").order_by("at")
    ]
    assert states == [
        (at(-40), "available"),
        (at(33), "on_contact"),
        (at(93), "available"),
        (at(400), "lunch"),
        (at(2200), "available"),
        (at(2300), "offline"),
    ]
    assert report.unknown_events == {"QUEUESTART": 1}
    assert [number for number, _reason in report.malformed] == [20, 21]
    assert "Unix epoch" in report.malformed[1][1]


def test_rerun_counts_nothing_twice_and_new_lines_continue_open_calls(tmp_path):
    path = tmp_path / "queue_log"
    write(path, LOG[:6])  # call 1 is answered, not yet ended
    queue_log.read_file(str(path))
    assert Interaction.objects.get().ended_at is None

    assert queue_log.read_file(str(path)).lines == 0
    write(path, LOG[6:7], mode="a")
    report = queue_log.read_file(str(path))
    assert report.lines == 1 and report.contacts.updated == 1
    call = Interaction.objects.get()
    assert call.ended_at == at(212) and call.talk_seconds == 200
    assert MissedOffer.objects.count() == 1


def test_a_half_written_line_waits_for_its_end(tmp_path):
    path = tmp_path / "queue_log"
    path.write_text(f"{LOG[3]}\n{T0 + 12}|1000.1|support|SIP/10", encoding="utf-8")
    assert queue_log.read_file(str(path)).lines == 1
    with open(path, "a", encoding="utf-8") as out:
        out.write("01|CONNECT|12|1000.2|7\n")
    assert queue_log.read_file(str(path)).lines == 1
    assert Interaction.objects.get().agent.login == "SIP/1001"


def test_a_rotated_file_is_never_read_twice(tmp_path):
    path = tmp_path / "queue_log"
    write(path, LOG[:4])
    queue_log.read_file(str(path))
    os.rename(path, tmp_path / "queue_log.1")  # logrotate
    write(tmp_path / "queue_log.1", LOG[4:7], mode="a")  # Asterisk wrote a little more first
    write(path, LOG[7:9])
    assert queue_log.read_file(str(tmp_path / "queue_log.1")).lines == 3
    assert queue_log.read_file(str(path)).lines == 2
    assert queue_log.read_file(str(tmp_path / "queue_log.1")).lines == 0
    assert Interaction.objects.count() == 2
    assert QueueLogCursor.objects.count() == 2


def test_a_truncated_file_is_read_again_from_the_start(tmp_path):
    path = tmp_path / "queue_log"
    write(path, LOG)
    queue_log.read_file(str(path))
    with open(path, "w", encoding="utf-8") as out:
        out.write(f"{LOG[0]}\n")  # same first line, much shorter: emptied and rewritten
    assert queue_log.read_file(str(path)).lines == 1


def test_follow_reads_lines_as_they_are_written(tmp_path):
    path = tmp_path / "queue_log"
    write(path, LOG[:3])
    seen = []

    def writer():
        for line in LOG[3:7]:
            time.sleep(0.05)
            write(path, [line], mode="a")

    thread = threading.Thread(target=writer)
    thread.start()
    deadline = time.monotonic() + 20
    queue_log.follow(
        str(path),
        interval=0.05,
        on_read=lambda report: seen.append(report.lines),
        should_stop=lambda: sum(seen) >= 7 or time.monotonic() > deadline,
    )
    thread.join()
    assert sum(seen) == 7
    assert Interaction.objects.get().ended_at == at(212)


def test_command_reports_what_it_read(tmp_path, capsys):
    path = tmp_path / "queue_log"
    write(path, LOG)
    call_command("import_queue_log", str(path), "--source", "pbx-east")
    out = capsys.readouterr().out
    assert f"{len(LOG)} new lines: contacts created 4" in out
    assert "skipped unknown event QUEUESTART: 1" in out and "line 20:" in out
    assert set(Interaction.objects.values_list("source", flat=True)) == {"pbx-east"}
