"""Reading Asterisk's queue_log: contacts, agent states and missed offers.

Asterisk (and FreePBX, VICIdial, Issabel) writes one line per queue event,
`epoch|callid|queue|agent|event|data1|...|data5`; older versions write the data as one
field joined with `|`, which splits the same way. The events of one callid become one
contact record (a new one, `<callid>-2`, `-3`..., each time the call enters a queue again
after a transfer); membership, pause and call events become agent states; RINGNOANSWER
is a missed offer. See ../shared/spec/contacts.md and docs/imports.md.

The reader remembers per file how far it got and which calls are still open, in the same
transaction as what it stored, so a rerun, a crash or a rotated file never counts a line
twice.
"""

import os
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from django.db import transaction

from agents.models import Agent
from interactions import services
from interactions.models import MissedOffer, Queue, QueueLogCursor

DEFAULT_SOURCE = "asterisk"
# Lines per transaction: each batch stores its contacts, states and the new offset at once.
LINE_BATCH = 5000
# A call with no event for this long is given up: its record stays as last sent.
OPEN_CALL_TTL_SECONDS = 24 * 3600
HIDDEN_CALLER_IDS = {"", "anonymous", "unknown", "restricted", "private"}
PAUSE_STATES = {"lunch", "meeting", "training", "after_contact_work"}
END_UNANSWERED = {"ABANDON", "EXITWITHTIMEOUT", "EXITWITHKEY", "EXITEMPTY"}
END_ANSWERED = {"COMPLETEAGENT", "COMPLETECALLER"}
TRANSFERS = {"TRANSFER", "BLINDTRANSFER", "ATTENDEDTRANSFER"}
JOIN = {"ADDMEMBER", "AGENTLOGIN"}
LEAVE = {"REMOVEMEMBER", "AGENTLOGOFF"}
PAUSES = {"PAUSE", "PAUSEALL"}
UNPAUSES = {"UNPAUSE", "UNPAUSEALL"}
KNOWN = (
    {"ENTERQUEUE", "CONNECT", "RINGNOANSWER"}
    | END_UNANSWERED
    | END_ANSWERED
    | TRANSFERS
    | JOIN
    | LEAVE
    | PAUSES
    | UNPAUSES
)


@dataclass
class ReadReport:
    lines: int = 0
    events: Counter = field(default_factory=Counter)
    unknown_events: Counter = field(default_factory=Counter)
    malformed: list[tuple[int, str]] = field(default_factory=list)
    contacts: services.IngestReport = field(default_factory=services.IngestReport)
    agent_events: services.IngestReport = field(default_factory=services.IngestReport)
    missed_offers: int = 0

    def summary(self) -> dict:
        return {
            "lines": self.lines,
            "contacts_created": self.contacts.created,
            "contacts_updated": self.contacts.updated,
            "contacts_rejected": self.contacts.rejected,
            "agent_events": self.agent_events.created + self.agent_events.updated,
            "missed_offers": self.missed_offers,
            "unknown_events": dict(self.unknown_events),
            "malformed_lines": len(self.malformed),
        }


def _number(value: str, default: float = 0.0) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return default
    return number if number >= 0 else default


class CallBook:
    """What the reader knows between lines: open calls and each agent's situation.

    Kept as plain JSON in the cursor; times are epoch seconds.
    """

    def __init__(self, state: dict):
        self.calls: dict[str, dict] = state.get("calls", {})
        self.agents: dict[str, dict] = state.get("agents", {})
        self.touched: dict[str, dict] = {}  # contact records to (re)send, by external id
        self.states: list[dict] = []  # agent state events to send, in order
        self.offers: list[tuple[str, str, float, float]] = []  # (agent, queue, at, ring s)

    def as_state(self, now: float) -> dict:
        # Calls silent for a day lost their end somewhere: forget them.
        self.calls = {
            callid: call
            for callid, call in self.calls.items()
            if now - call["last"] < OPEN_CALL_TTL_SECONDS
        }
        return {"calls": self.calls, "agents": self.agents}

    # -- contacts -------------------------------------------------------------------------
    def _emit(self, call: dict):
        record = {
            "external_id": call["external_id"],
            "channel": "voice",
            "queue": call["queue"],
            "customer": call["customer"],
            "arrived_at": _iso(call["arrived"]),
            "answered_at": _iso(call.get("answered")),
            "ended_at": _iso(call.get("ended")),
            "agent": call.get("agent") or "",
            "talk_seconds": call.get("talk", 0),
            "transferred": call.get("transferred", False),
        }
        self.touched[call["external_id"]] = record

    def enter(self, at, callid, queue, caller):
        previous = self.calls.get(callid)
        leg = previous["leg"] + 1 if previous else 1
        caller = (caller or "").strip()
        call = {
            "leg": leg,
            "external_id": callid if leg == 1 else f"{callid}-{leg}",
            "queue": queue,
            "customer": "" if caller.lower() in HIDDEN_CALLER_IDS else caller,
            "arrived": at,
            "last": at,
        }
        self.calls[callid] = call
        self._emit(call)

    def _open_call(self, callid):
        call = self.calls.get(callid)
        return call if call and "ended" not in call else None

    def connect(self, at, callid, agent, holdtime):
        call = self._open_call(callid)
        if call is None:
            return False
        # The queue's holdtime is the wait (the spec); CONNECT's own stamp if it has none.
        answered = call["arrived"] + holdtime if holdtime is not None else at
        call.update(answered=min(max(answered, call["arrived"]), at), agent=agent, last=at)
        self._emit(call)
        self._agent_on_call(agent, at, True)
        return True

    def end(self, at, callid, *, talk=None, transferred=False):
        call = self._open_call(callid)
        if call is None:
            return False
        call.update(ended=at, last=at, transferred=transferred)
        if "answered" in call:
            call["ended"] = max(at, call["answered"])
            call["talk"] = talk if talk is not None else call["ended"] - call["answered"]
            self._agent_on_call(call["agent"], at, False)
        self._emit(call)
        return True

    # -- agents ---------------------------------------------------------------------------
    def _agent(self, name):
        return self.agents.setdefault(name, {"queues": [], "pause": None, "on_call": False})

    def _state(self, name, at, state):
        self.states.append({"agent": name, "state": state, "at": _iso(at)})

    def _resting_state(self, agent):
        return agent["pause"] or "available"

    def _agent_on_call(self, name, at, on_call):
        if not name or name == "NONE":
            return
        agent = self._agent(name)
        agent["on_call"] = on_call
        self._state(name, at, "on_contact" if on_call else self._resting_state(agent))

    def join(self, at, name, queue):
        agent = self._agent(name)
        was_offline = not agent["queues"]
        if queue not in agent["queues"]:
            agent["queues"].append(queue)
        if was_offline:
            self._state(name, at, self._resting_state(agent))

    def leave(self, at, name, queue, everywhere):
        agent = self._agent(name)
        agent["queues"] = [] if everywhere else [q for q in agent["queues"] if q != queue]
        if not agent["queues"]:
            agent["pause"], agent["on_call"] = None, False
            self._state(name, at, "offline")

    def pause(self, at, name, reason):
        agent = self._agent(name)
        reason = (reason or "").strip().lower().replace(" ", "_")
        agent["pause"] = reason if reason in PAUSE_STATES else ("break" if not reason else "other")
        if not agent["on_call"]:
            self._state(name, at, agent["pause"])

    def unpause(self, at, name):
        agent = self._agent(name)
        agent["pause"] = None
        if not agent["on_call"]:
            self._state(name, at, "available")


def _iso(epoch: float | None) -> datetime | None:
    return None if epoch is None else datetime.fromtimestamp(epoch, tz=UTC)


def parse_line(text: str):
    """(epoch, callid, queue, agent, event, data) or raise ValueError with the reason."""
    parts = text.rstrip("\r\n").split("|")
    if len(parts) < 5:
        raise ValueError(f"expected at least 5 fields separated by '|', found {len(parts)}")
    try:
        epoch = float(parts[0])
    except ValueError:
        raise ValueError(f"the time {parts[0]!r} is not a Unix epoch") from None
    if not 0 < epoch < 32503680000:  # before the year 3000
        raise ValueError(f"the time {parts[0]!r} is out of range")
    event = parts[4].strip().upper()
    if not event:
        raise ValueError("no event name")
    data = parts[5:] + [""] * (5 - len(parts[5:]))
    return epoch, parts[1].strip(), parts[2].strip(), parts[3].strip(), event, data


def apply_event(book: CallBook, report: ReadReport, epoch, callid, queue, agent, event, data):
    report.events[event] += 1
    if event not in KNOWN:
        report.unknown_events[event] += 1
    elif event == "ENTERQUEUE":
        book.enter(epoch, callid, queue, data[1])
    elif event == "CONNECT":
        book.connect(epoch, callid, agent, _number(data[0], None))
    elif event in END_ANSWERED:
        book.end(epoch, callid, talk=_number(data[1], None))
    elif event in END_UNANSWERED:
        book.end(epoch, callid)
    elif event in TRANSFERS:
        talk = _number(data[3], None) if event != "ATTENDEDTRANSFER" else None
        book.end(epoch, callid, talk=talk, transferred=True)
    elif event == "RINGNOANSWER":
        book.offers.append((agent, queue, epoch, _number(data[0]) / 1000))
    elif event in JOIN:
        book.join(epoch, agent, queue)
    elif event in LEAVE:
        book.leave(epoch, agent, queue, everywhere=event == "AGENTLOGOFF")
    elif event in PAUSES:
        book.pause(epoch, agent, data[0])
    elif event in UNPAUSES:
        book.unpause(epoch, agent)


def _cursor_for(path: str, handle) -> QueueLogCursor:
    stat = os.fstat(handle.fileno())
    first = handle.readline(256).decode("utf-8", "replace").rstrip("\r\n")
    handle.seek(0)
    cursor, _ = QueueLogCursor.objects.select_for_update().get_or_create(
        device=stat.st_dev, inode=stat.st_ino, head=first, defaults={"path": path}
    )
    if cursor.offset > stat.st_size:  # truncated in place: it is a new file
        cursor.offset, cursor.line_number, cursor.state = 0, 0, {}
    cursor.path = path
    return cursor


def read_file(path: str, *, source: str = DEFAULT_SOURCE, handle=None) -> ReadReport:
    """Read what is new in the file since the last run; return what was stored."""
    report = ReadReport()
    own_handle = handle is None
    handle = handle or open(path, "rb")  # noqa: SIM115 (closed below)
    try:
        while _read_batch(path, handle, source, report):
            pass
    finally:
        if own_handle:
            handle.close()
    return report


def _read_batch(path, handle, source, report) -> bool:
    """Read and store up to LINE_BATCH complete lines; False when none were left."""
    with transaction.atomic():
        handle.seek(0)
        cursor = _cursor_for(path, handle)
        handle.seek(cursor.offset)
        book = CallBook(cursor.state)
        offset, number, lines = cursor.offset, cursor.line_number, 0
        last_epoch = 0.0
        while lines < LINE_BATCH:
            raw = handle.readline()
            if not raw.endswith(b"\n"):
                break  # nothing more, or a line still being written: next time
            offset += len(raw)
            number += 1
            lines += 1
            try:
                epoch, callid, queue, agent, event, data = parse_line(raw.decode("utf-8"))
            except (ValueError, UnicodeDecodeError) as error:
                report.malformed.append((number, str(error)))
                continue
            last_epoch = max(last_epoch, epoch)
            apply_event(book, report, epoch, callid, queue, agent, event, data)
        if lines == 0:
            return False
        report.lines += lines
        _store(book, report, source)
        cursor.offset, cursor.line_number = offset, number
        cursor.state = book.as_state(last_epoch or time.time())
        cursor.save()
    return True


def _store(book: CallBook, report: ReadReport, source: str):
    if book.touched:
        report.contacts.merge(
            services.ingest_contacts(list(book.touched.values()), default_source=source)
        )
    if book.states:
        report.agent_events.merge(services.ingest_agent_events(book.states))
    if book.offers:
        logins = {agent for agent, *_ in book.offers if agent and agent != "NONE"}
        agents = dict(Agent.objects.filter(login__in=logins).values_list("login", "id"))
        for login in sorted(logins - set(agents)):
            agents[login] = Agent.objects.get_or_create(login=login, defaults={"active": False})[
                0
            ].id
        queues = dict(
            Queue.objects.filter(name__in={q for _a, q, *_ in book.offers}).values_list(
                "name", "id"
            )
        )
        offers = [
            MissedOffer(
                agent_id=agents[agent],
                queue_id=queues.get(queue),
                at=_iso(at),
                source=source,
                ring_seconds=ring,
            )
            for agent, queue, at, ring in book.offers
            if agent in agents
        ]
        MissedOffer.objects.bulk_create(offers, ignore_conflicts=True)
        report.missed_offers += len(offers)


def follow(
    path: str,
    *,
    source: str = DEFAULT_SOURCE,
    interval: float = 1.0,
    should_stop: Callable[[], bool] = lambda: False,
    on_read: Callable[[ReadReport], None] | None = None,
):
    """Keep reading a growing file, across rotations, until `should_stop()`."""
    handle = open(path, "rb")  # noqa: SIM115 (closed below)
    try:
        while not should_stop():
            report = read_file(path, source=source, handle=handle)
            if report.lines and on_read:
                on_read(report)
            try:
                rotated = os.stat(path).st_ino != os.fstat(handle.fileno()).st_ino
            except FileNotFoundError:
                rotated = False  # between the rename and the new file: wait
            if rotated:
                # Finish the old file's last lines, then carry on with the new one.
                report = read_file(path, source=source, handle=handle)
                if report.lines and on_read:
                    on_read(report)
                handle.close()
                handle = open(path, "rb")  # noqa: SIM115
                continue
            time.sleep(interval)
    finally:
        handle.close()
