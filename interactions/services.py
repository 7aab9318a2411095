"""Ingest: the one way contacts, surveys and agent states get into the database.

The API, the CSV import, the queue_log reader and the format adapters all call these
functions, so the rules of ../shared/spec/contacts.md hold the same on every path:
per-record validation, upsert by (source, external_id), unknown queues and agents
created and reported, the team captured at ingest, survey answers never erased, and
`updated_at` stamped so the KPI rollups find what changed.
"""

from dataclasses import dataclass, field
from itertools import islice

from django.db import connection, transaction
from django.utils import timezone

from agents.models import Agent, AgentStateEvent
from interactions import records, staging
from interactions.models import (
    CHANNEL_THRESHOLDS,
    Channel,
    ImportJob,
    Interaction,
    Queue,
    Survey,
)

# Rows per INSERT ... ON CONFLICT statement: big enough to amortise the round trip,
# small enough to stay far below SQLite's limit on bound parameters (21 fields a row).
UPSERT_BATCH = 500
# Keys per `IN (...)` lookup of existing rows.
LOOKUP_BATCH = 1000

CREATED, UPDATED, REJECTED = "created", "updated", "rejected"
# A record whose key comes again later in the same batch: the later one is stored (the
# last wins) and counted; this one is neither created nor updated.
DUPLICATE = "duplicate"


@dataclass
class RecordResult:
    index: int
    status: str
    external_id: str | None = None
    errors: dict[str, list[str]] | None = None

    def as_dict(self) -> dict:
        result = {"index": self.index, "external_id": self.external_id, "status": self.status}
        if self.errors:
            result["errors"] = self.errors
        return result


@dataclass
class IngestReport:
    results: list[RecordResult] = field(default_factory=list)
    queues_created: list[str] = field(default_factory=list)
    agents_created: list[str] = field(default_factory=list)
    answered_without_agent: int = 0

    def count(self, status: str) -> int:
        return sum(1 for result in self.results if result.status == status)

    @property
    def created(self) -> int:
        return self.count(CREATED)

    @property
    def updated(self) -> int:
        return self.count(UPDATED)

    @property
    def rejected(self) -> int:
        return self.count(REJECTED)

    def merge(self, other: "IngestReport", offset: int = 0) -> None:
        """Add a later batch's report; its indexes are shifted by `offset`."""
        for result in other.results:
            result.index += offset
        self.results.extend(other.results)
        self.queues_created.extend(other.queues_created)
        self.agents_created.extend(other.agents_created)
        self.answered_without_agent += other.answered_without_agent

    def summary(self) -> dict:
        return {
            "created": self.created,
            "updated": self.updated,
            "rejected": self.rejected,
            "queues_created": self.queues_created,
            "agents_created": self.agents_created,
            "answered_without_agent": self.answered_without_agent,
        }


def _chunks(items, size):
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


def _queues_by_name(wanted: dict[str, str], report: IngestReport) -> dict[str, Queue]:
    """The queues named in a batch; unknown names are created with their channel's defaults."""
    queues = {queue.name: queue for queue in Queue.objects.filter(name__in=list(wanted))}
    missing = sorted(set(wanted) - set(queues))
    if missing:
        new = []
        for name in missing:
            service_level, short_abandon = CHANNEL_THRESHOLDS[Channel(wanted[name])]
            new.append(
                Queue(
                    name=name,
                    channel=wanted[name],
                    service_level_seconds=service_level,
                    short_abandon_seconds=short_abandon,
                )
            )
        # Another batch may create the same queue at the same moment: let it win.
        Queue.objects.bulk_create(new, ignore_conflicts=True)
        queues.update({queue.name: queue for queue in Queue.objects.filter(name__in=missing)})
        report.queues_created.extend(missing)
    return queues


def _agents_by_login(logins: set[str], report: IngestReport) -> dict[str, tuple[int, int | None]]:
    """(agent id, team id) per login; unknown logins become inactive agents without a user."""
    agents = dict(_agent_rows(logins))
    missing = sorted(logins - set(agents))
    if missing:
        Agent.objects.bulk_create(
            [Agent(login=login, active=False) for login in missing], ignore_conflicts=True
        )
        agents.update(_agent_rows(missing))
        report.agents_created.extend(missing)
    return agents


def _agent_rows(logins):
    for chunk in _chunks(sorted(logins), LOOKUP_BATCH):
        for login, agent_id, team_id in Agent.objects.filter(login__in=chunk).values_list(
            "login", "id", "team_id"
        ):
            yield login, (agent_id, team_id)


def _existing_contacts(keys: list[tuple[str, str]]) -> dict[tuple[str, str], dict]:
    by_source: dict[str, list[str]] = {}
    for source, external_id in keys:
        by_source.setdefault(source, []).append(external_id)
    existing = {}
    for source, external_ids in by_source.items():
        for chunk in _chunks(external_ids, LOOKUP_BATCH):
            rows = Interaction.objects.filter(source=source, external_id__in=chunk).values(
                "external_id", "agent_id", "team_id", "csat", "nps"
            )
            existing.update({(source, row["external_id"]): row for row in rows})
    return existing


def _checked_contact(raw, default_source, only_source):
    values, errors = records.parse_contact(raw, default_source=default_source)
    return values, _only_source(values, errors, only_source)


def _only_source(values, errors, only_source):
    if not errors and only_source is not None and values["source"] != only_source:
        return {"source": [records.MESSAGES["only_source"].format(only_source=only_source)]}
    return errors


def _name_of(raw, values, name_field):
    """A record's name, even when rejected, as long as its name at least is text."""
    raw_name = raw.get(name_field) if isinstance(raw, dict) else None
    return values.get(name_field) or (raw_name if isinstance(raw_name, str) else None)


def _validated(raw_records, parse, report, *, name_field, only_source=None) -> dict[int, dict]:
    """Parse each record, report the rejected ones, return the valid values by index."""
    valid = {}
    for index, raw in enumerate(raw_records):
        values, errors = parse(raw)
        errors = _only_source(values, errors, only_source)
        result = RecordResult(
            index=index, status=REJECTED, external_id=_name_of(raw, values, name_field)
        )
        report.results.append(result)
        if errors:
            result.errors = errors
        else:
            valid[index] = values
    return valid


def ingest_contacts(raw_records, *, default_source: str, only_source: str | None = None):
    """Validate and upsert a batch of contact records; report per record.

    `only_source`, when set, is the one source the caller may write (an API client
    writes only its own system's records). On PostgreSQL the batch goes through a
    staging table and SQL (interactions/staging.py); elsewhere each record is parsed here.
    Both give the same results, record for record.
    """
    ingest = _ingest_staged if connection.vendor == "postgresql" else _ingest_parsed
    return ingest(raw_records, default_source=default_source, only_source=only_source)


def _ingest_parsed(raw_records, *, default_source: str, only_source: str | None):
    """ingest_contacts on SQLite: each record parsed here, then one upsert per batch."""
    report = IngestReport()
    checked = _validated(
        raw_records,
        lambda raw: records.parse_contact(raw, default_source=default_source),
        report,
        name_field="external_id",
        only_source=only_source,
    )
    key_of = {index: (values["source"], values["external_id"]) for index, values in checked.items()}
    # The last record per key wins.
    valid = {key_of[index]: (index, values) for index, values in checked.items()}
    if valid:
        with transaction.atomic():
            inserted = _upsert_contacts(valid, report)
        # Counted from what the database did: a key sent twice in one batch is one row,
        # reported by its last record; the earlier ones say they were superseded.
        for key, (index, _values) in valid.items():
            report.results[index].status = CREATED if inserted[key] else UPDATED
        _mark_duplicates(report, key_of, valid)
    return report


def _ingest_staged(raw_records, *, default_source: str, only_source: str | None):
    """ingest_contacts on PostgreSQL: COPY, the rules in SQL, one upsert (staging.py)."""
    raw_records = list(raw_records)
    report = IngestReport()
    rows = []
    for index, raw in enumerate(raw_records):
        report.results.append(RecordResult(index=index, status=REJECTED))
        row = staging.text_row(raw)
        if row is not None:
            rows.append((index, False, row))
            continue
        # Not text SQL can judge: judged here, as on the Python path.
        values, errors = _checked_contact(raw, default_source, only_source)
        result = report.results[index]
        result.external_id = _name_of(raw, values, "external_id")
        if errors:
            result.errors = errors
        else:
            rows.append((index, True, staging.clean_row(values)))
    if not rows:
        return report
    latest = timezone.now() + records.future_horizon()
    with transaction.atomic(), connection.cursor() as cursor:
        staging.copy_rows(cursor, rows)
        rejected = staging.problems(
            cursor, default_source=default_source, only_source=only_source, latest=latest
        )
        if rejected:
            staged = {index: row for index, _checked, row in rows}
            for index, codes in rejected:
                result, raw = report.results[index], raw_records[index]
                result.errors = staging.errors(codes, raw, staged[index], only_source)
                external_id = raw.get("external_id")
                external_id = external_id if isinstance(external_id, str) else None
                if "external_id" not in result.errors:  # then named as stored: stripped
                    external_id = staged[index][staging.FIELDS.index("external_id")]
                result.external_id = external_id
        new_queues, new_agents = staging.unknown_names(cursor)
        if new_queues:
            _queues_by_name(staging.unknown_queues(cursor, default_source=default_source), report)
        if new_agents:
            _agents_by_login(staging.unknown_agents(cursor, default_source=default_source), report)
        stored = staging.upsert(cursor, default_source=default_source, now=timezone.now())
    for index, external_id, last, created, without_agent in stored:
        result = report.results[index]
        result.external_id = external_id
        if not last:
            result.status = DUPLICATE
            continue
        result.status = CREATED if created else UPDATED
        report.answered_without_agent += without_agent
    return report


def _mark_duplicates(report: IngestReport, key_of: dict, valid: dict) -> None:
    """Earlier records of a key that comes again later in the batch: not counted."""
    for index, key in key_of.items():
        last = valid[key][0]
        if index != last:
            report.results[index].status = DUPLICATE


def _upsert_contacts(valid, report: IngestReport):
    """SQLite's upsert. Its resend rules (survey answers never erased, the team kept while
    the agent stays) are staging._upsert_sql's `kept` on PostgreSQL: change both; the
    path-equivalence tests (tests/test_ingest_paths.py) run the two side by side."""
    wanted_queues = {}
    for _index, values in valid.values():
        if values["queue"]:
            wanted_queues.setdefault(values["queue"], values["channel"])
    queues = _queues_by_name(wanted_queues, report)
    agents = _agents_by_login({v["agent"] for _i, v in valid.values() if v["agent"]}, report)
    existing = _existing_contacts(list(valid))

    now = timezone.now()
    rows = []
    # Sorted keys: concurrent batches lock rows in the same order and cannot deadlock.
    for key in sorted(valid):
        _index, values = valid[key]
        before = existing.get(key)
        agent_id, team_id = agents.get(values["agent"], (None, None))
        if before and before["agent_id"] == agent_id:
            team_id = before["team_id"]  # the team stays the one captured at first ingest
        if values["answered_at"] and agent_id is None:
            report.answered_without_agent += 1
        rows.append(
            {
                "source": values["source"],
                "external_id": values["external_id"],
                "channel": values["channel"],
                "direction": values["direction"],
                "queue_id": queues[values["queue"]].pk if values["queue"] else None,
                "agent_id": agent_id,
                "team_id": team_id,
                "customer": values["customer"],
                "arrived_at": values["arrived_at"],
                "answered_at": values["answered_at"],
                "ended_at": values["ended_at"],
                "talk_seconds": values["talk_seconds"],
                "hold_seconds": values["hold_seconds"],
                "wrap_seconds": values["wrap_seconds"],
                "transferred": values["transferred"],
                "resolved": values["resolved"],
                "callback_requested": values["callback_requested"],
                "topic": values["topic"],
                # A resend adds or replaces survey answers but never erases them.
                "csat": values["csat"]
                if values["csat"] is not None
                else (before or {}).get("csat"),
                "nps": values["nps"] if values["nps"] is not None else (before or {}).get("nps"),
                "recording_url": values["recording_url"],
                "transcript": values["transcript"],
                "created_at": now,
                "updated_at": now,
            }
        )
    return _upsert_rows(rows, existing)


def _upsert_rows(rows: list[dict], existing) -> dict[tuple[str, str], bool]:
    """INSERT ... ON CONFLICT (source, external_id) DO UPDATE, in batches, on SQLite;
    whether each key was inserted (True) or updated (False).

    The keys read before it, in the same transaction, say which existed: SQLite's
    IMMEDIATE transactions serialise writers, so nobody inserts in between. (PostgreSQL
    takes the staged path, where the database says it: staging.upsert.)
    """
    Interaction.objects.bulk_create(
        [Interaction(**row) for row in rows],
        batch_size=UPSERT_BATCH,
        update_conflicts=True,
        unique_fields=["source", "external_id"],
        update_fields=staging.CONTACT_UPDATE_FIELDS,
    )
    return {
        (row["source"], row["external_id"]): (row["source"], row["external_id"]) not in existing
        for row in rows
    }


def ingest_surveys(raw_records, *, default_source: str, only_source: str | None = None):
    """Attach surveys that arrive after their contacts, keyed by (source, external_id)."""
    report = IngestReport()
    valid = _validated(
        raw_records,
        lambda raw: records.parse_survey(raw, default_source=default_source),
        report,
        name_field="external_id",
        only_source=only_source,
    )
    if not valid:
        return report
    with transaction.atomic():
        keys = sorted({(v["source"], v["external_id"]) for v in valid.values()})
        contacts = {}
        for source in {source for source, _ in keys}:
            ids = [external_id for s, external_id in keys if s == source]
            for chunk in _chunks(ids, LOOKUP_BATCH):
                for contact in Interaction.objects.filter(source=source, external_id__in=chunk):
                    contacts[(source, contact.external_id)] = contact
        with_survey = set(
            Survey.objects.filter(interaction__in=list(contacts.values())).values_list(
                "interaction_id", flat=True
            )
        )
        surveys, changed = {}, {}
        now = timezone.now()
        for index, values in valid.items():
            contact = contacts.get((values["source"], values["external_id"]))
            result = report.results[index]
            if contact is None:
                result.errors = {
                    "external_id": ["No contact with this source and external_id (yet)."]
                }
                continue
            if contact.pk in surveys:  # the same contact again in this batch: the last wins
                report.results[surveys[contact.pk][0]].status = DUPLICATE
            result.status = UPDATED if contact.pk in with_survey else CREATED
            if values["csat"] is not None:
                contact.csat = values["csat"]
            if values["nps"] is not None:
                contact.nps = values["nps"]
            contact.updated_at = now
            changed[contact.pk] = contact
            surveys[contact.pk] = (
                index,
                Survey(
                    interaction=contact,
                    csat=contact.csat,
                    nps=contact.nps,
                    comment=values["comment"],
                    answered_at=values["answered_at"],
                    created_at=now,
                    updated_at=now,
                ),
            )
        Survey.objects.bulk_create(
            [surveys[pk][1] for pk in sorted(surveys)],
            update_conflicts=True,
            unique_fields=["interaction"],
            update_fields=["csat", "nps", "comment", "answered_at", "updated_at"],
        )
        Interaction.objects.bulk_update(
            [changed[pk] for pk in sorted(changed)], ["csat", "nps", "updated_at"]
        )
    return report


def ingest_agent_events(raw_records):
    """Store agent state changes; the same (agent, at) again replaces the state."""
    report = IngestReport()
    valid = _validated(raw_records, records.parse_agent_event, report, name_field="agent")
    if not valid:
        return report
    with transaction.atomic():
        agents = _agents_by_login({v["agent"] for v in valid.values()}, report)
        keys = {(agents[v["agent"]][0], v["at"]) for v in valid.values()}
        existing = set()
        for agent_id in {agent_id for agent_id, _ in keys}:
            moments = [at for a, at in keys if a == agent_id]
            for chunk in _chunks(moments, LOOKUP_BATCH):
                existing.update(
                    (agent_id, at)
                    for at in AgentStateEvent.objects.filter(
                        agent_id=agent_id, at__in=chunk
                    ).values_list("at", flat=True)
                )
        rows = {}
        for index, values in valid.items():
            key = (agents[values["agent"]][0], values["at"])
            agent_id, team_id = agents[values["agent"]]
            if key in rows:  # the same (agent, at) again in this batch: the last wins
                report.results[rows[key][0]].status = DUPLICATE
            rows[key] = (
                index,
                AgentStateEvent(
                    agent_id=agent_id, team_id=team_id, at=key[1], state=values["state"]
                ),
            )
            report.results[index].status = UPDATED if key in existing else CREATED
        AgentStateEvent.objects.bulk_create(
            [rows[key][1] for key in sorted(rows, key=lambda k: (k[0], k[1]))],
            batch_size=UPSERT_BATCH,
            update_conflicts=True,
            unique_fields=["agent", "at"],
            update_fields=["state", "team", "received_at"],
        )
    return report


def import_job_create(*, upload, format: str, source: str, dry_run: bool, by) -> ImportJob:
    """An uploaded contact file queued for the worker: the job row, and `run_import` sent
    once that row is committed (never for a transaction that rolls back)."""
    # tasks -> imports -> services: the task module is read when a job is created.
    from interactions.tasks import run_import

    with transaction.atomic():
        job = ImportJob.objects.create(
            file=upload,
            original_name=upload.name[:255],
            format=format,
            source=source,
            dry_run=dry_run,
            bytes_total=upload.size,
            created_by=by,
        )
        transaction.on_commit(lambda: run_import.delay(job.pk))
    return job
