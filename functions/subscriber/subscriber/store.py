"""Settle a batch of deliveries in PostgreSQL: store, count as duplicate, or reject.

The write path for one batch, in one transaction:

1. COPY the new events into a session-local staging table.
2. INSERT ... SELECT into audit.events with ON CONFLICT DO NOTHING, so a
   redelivered event is stored once (key: tenant, event id, occurred_at).
3. Only if some rows were not inserted, ask audit.classify_staged_events
   which keys already held the same content (a duplicate) and which held
   different content (a conflicting duplicate, kept as a rejection).
4. Record duplicates and rejections through their functions.

The writer role can insert events and call those functions, nothing else.
If PostgreSQL rejects a row that parsing accepted, the batch is split in
halves until the row is isolated and rejected, so one bad event never
fails the others.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import datetime

import pg8000.native
from aws_lambda_powertools import Logger

from audit_common.database import (
    ConnectionHolder,
    describe,
    error_code,
    sqlstate,
)
from subscriber.config import SERVICE_NAME
from subscriber.model import AuditEvent, Delivery, Outcome, Reason, Rejection, Settled

logger = Logger(service=SERVICE_NAME, child=True)

# (column, type) in COPY order; every column of audit.events except ingested_at.
EVENT_COLUMNS = (
    ("tenant_id", "text"),
    ("event_id", "text"),
    ("occurred_at", "timestamptz"),
    ("source", "text"),
    ("detail_type", "text"),
    ("action", "text"),
    ("outcome", "text"),
    ("actor_type", "text"),
    ("actor_id", "text"),
    ("actor_name", "text"),
    ("actor_ip", "text"),
    ("actor_user_agent", "text"),
    ("target_type", "text"),
    ("target_id", "text"),
    ("target_name", "text"),
    ("changes", "jsonb"),
    ("context", "jsonb"),
    ("metadata", "jsonb"),
    ("original", "jsonb"),
    ("content_sha256", "bytea"),
)
_COLUMN_LIST = ", ".join(name for name, _ in EVENT_COLUMNS)

CREATE_STAGING_SQL = (
    "CREATE TEMPORARY TABLE IF NOT EXISTS event_staging (ordinal integer NOT NULL, "
    + ", ".join(f"{name} {type_}" for name, type_ in EVENT_COLUMNS)
    + ") ON COMMIT DELETE ROWS"
)
COPY_SQL = f"COPY pg_temp.event_staging (ordinal, {_COLUMN_LIST}) FROM STDIN"
# No conflict target: naming one needs SELECT on its columns, which the
# writer role lacks. The primary key is the only unique constraint.
# Events older than the retention cutoff would be deleted by the next
# maintenance run; they are left out here and rejected after classification.
# Application events keep changes, context and metadata exactly as their
# jsonb original holds them (Python would turn large numbers into floats);
# for AWS events the staged values are the ones the normaliser built.
_FROM_DETAIL = "CASE WHEN starts_with(source, 'aws.') THEN {0} ELSE original->'detail'->'{0}' END"
_SELECT_LIST = ", ".join(
    _FROM_DETAIL.format(name) if name in ("changes", "context", "metadata") else name
    for name, _ in EVENT_COLUMNS
)
INSERT_SQL = (
    f"INSERT INTO audit.events ({_COLUMN_LIST}) "
    f"SELECT {_SELECT_LIST} FROM pg_temp.event_staging "
    "WHERE occurred_at >= coalesce((SELECT audit.retention_cutoff()), '-infinity') "
    "ON CONFLICT DO NOTHING"
)
CLASSIFY_SQL = """
SELECT ordinal, status
FROM audit.classify_staged_events(
    (SELECT array_agg(ordinal ORDER BY ordinal) FROM pg_temp.event_staging),
    (SELECT array_agg(tenant_id ORDER BY ordinal) FROM pg_temp.event_staging),
    (SELECT array_agg(event_id ORDER BY ordinal) FROM pg_temp.event_staging),
    (SELECT array_agg(occurred_at ORDER BY ordinal) FROM pg_temp.event_staging),
    (SELECT array_agg(content_sha256 ORDER BY ordinal) FROM pg_temp.event_staging)
)
WHERE status <> 'stored'
"""
RECORD_DUPLICATES_SQL = "SELECT audit.record_duplicate_deliveries(CAST(:deliveries AS jsonb))"
RECORD_REJECTIONS_SQL = "SELECT audit.record_rejected_events(CAST(:rejections AS jsonb))"

# SQLSTATE classes where PostgreSQL rejected a value: data exceptions,
# integrity constraint violations, program limits (an index row or nesting
# depth too large).
DATA_ERROR_CLASSES = ("22", "23", "54")

# COPY's text format: backslash, tab, newline and carriage return are escaped (_copy_text).
_COPY_NULL = "\\N"
_COPY_CHUNK_BYTES = 1 << 20


class _StagingConnection(ConnectionHolder):
    def on_open(self, connection: pg8000.native.Connection) -> None:
        connection.run(CREATE_STAGING_SQL)


def storable_text(text: str) -> str:
    """Make any Python string storable as PostgreSQL text (no NUL, no lone surrogate)."""
    if "\x00" in text:
        text = text.replace("\x00", "\\u0000")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    return text


def _copy_text(value: str | None) -> str:
    if value is None:
        return _COPY_NULL
    # str.replace scans in C and returns the string unchanged when nothing matches.
    # str.translate with a mapping looks up every character in a dictionary, which made
    # this the subscriber's slowest step (about 55 µs per 1 KB event).
    return (
        value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    )


def _copy_row(ordinal: int, event: AuditEvent) -> str:
    fields = (
        str(ordinal),
        _copy_text(event.tenant_id),
        _copy_text(event.event_id),
        event.occurred_at.isoformat(),
        _copy_text(event.source),
        _copy_text(event.detail_type),
        _copy_text(event.action),
        event.outcome,
        event.actor_type,
        _copy_text(event.actor_id),
        _copy_text(event.actor_name),
        _copy_text(event.actor_ip),
        _copy_text(event.actor_user_agent),
        _copy_text(event.target_type),
        _copy_text(event.target_id),
        _copy_text(event.target_name),
        _copy_text(event.changes_json),
        _copy_text(event.context_json),
        _copy_text(event.metadata_json),
        _copy_text(event.original_json),
        "\\\\x" + event.content_sha256.hex(),
    )
    return "\t".join(fields) + "\n"


def _copy_chunks(rows: list[str]) -> list[bytes]:
    """Encode COPY rows into chunks of about 1 MiB, one CopyData message each."""
    chunks: list[bytes] = []
    pending: list[str] = []
    size = 0
    for row in rows:
        pending.append(row)
        size += len(row)
        if size >= _COPY_CHUNK_BYTES:
            chunks.append("".join(pending).encode("utf-8"))
            pending, size = [], 0
    if pending:
        chunks.append("".join(pending).encode("utf-8"))
    return chunks


def _conflict(event: AuditEvent) -> Rejection:
    return Rejection(
        Reason.CONFLICTING_DUPLICATE,
        f"another event with tenant {event.tenant_id!r}, event id {event.event_id!r} and "
        f"time {event.occurred_at.isoformat()} is already stored with different content; "
        "the stored event is kept. Event ids must be unique per tenant and time.",
        event.tenant_id,
        event.event_id,
        event.source,
    )


def _expired(event: AuditEvent) -> Rejection:
    return Rejection(
        Reason.OUTSIDE_RETENTION,
        f"occurred at {event.occurred_at.isoformat()}, before the database's retention "
        "cutoff, so the next partition maintenance would delete it; not stored",
        event.tenant_id,
        event.event_id,
        event.source,
    )


def _repeat_fate(
    event: AuditEvent, first: AuditEvent, first_fate: Rejection | Outcome
) -> Rejection | Outcome:
    """Decide what becomes of an event whose key came earlier in the same batch."""
    if isinstance(first_fate, Rejection):
        if first_fate.reason is Reason.OUTSIDE_RETENTION:
            return _expired(event)
        if event.content_sha256 == first.content_sha256:
            # Same content as a rejected event: rejected for the same reason.
            return Rejection(
                first_fate.reason, first_fate.message, event.tenant_id, event.event_id, event.source
            )
        return _conflict(event)
    if event.content_sha256 == first.content_sha256:
        return Outcome.DUPLICATE
    return _conflict(event)


def _database_rejection(event: AuditEvent, error: BaseException) -> Rejection:
    return Rejection(
        Reason.DATABASE_REJECTED,
        f"PostgreSQL rejected the event: {describe(error)}",
        event.tenant_id,
        event.event_id,
        event.source,
    )


class EventStore:
    """Writes batches through one reused connection."""

    def __init__(self, connect: Callable[[bool], pg8000.native.Connection]) -> None:
        """Take a function that opens a connection (see database.connector)."""
        self._connection = _StagingConnection(connect)

    def close(self) -> None:
        """Close the connection; the next write opens a new one."""
        self._connection.discard()

    def write(self, deliveries: Sequence[Delivery]) -> list[Settled]:
        """Settle every delivery and return what became of it, in order.

        Raises TransientDatabaseError when the database could not be used
        (after the reconnects of ConnectionHolder.call); then nothing of the
        batch was committed, and SQS should redeliver it.
        """
        batch = list(deliveries)
        return self._connection.call(lambda connection: self._settle(connection, batch))

    def _settle(
        self, connection: pg8000.native.Connection, deliveries: list[Delivery]
    ) -> list[Settled]:
        try:
            return self._settle_in_transaction(connection, deliveries)
        except pg8000.native.DatabaseError as error:
            code = sqlstate(error) or ""
            if code[:2] not in DATA_ERROR_CLASSES:
                raise
            events = [
                i
                for i, delivery in enumerate(deliveries)
                if isinstance(delivery.parsed, AuditEvent)
            ]
            if not events:
                raise
            if len(events) == 1:
                index = events[0]
                bad = deliveries[index]
                logger.warning(
                    "PostgreSQL rejected one event; keeping it as rejected",
                    extra={"message_id": bad.message_id, "error": error_code(error)},
                )
                rejected = Delivery(bad.message_id, bad.body, _database_rejection(bad.event, error))
                return self._settle_in_transaction(
                    connection, [*deliveries[:index], rejected, *deliveries[index + 1 :]]
                )
            middle = len(deliveries) // 2
            logger.info(
                "PostgreSQL rejected a row; splitting the batch to isolate it",
                extra={"batch_size": len(deliveries), "error": error_code(error)},
            )
            return self._settle(connection, deliveries[:middle]) + self._settle(
                connection, deliveries[middle:]
            )

    def _settle_in_transaction(
        self, connection: pg8000.native.Connection, deliveries: list[Delivery]
    ) -> list[Settled]:
        # What became of each delivery, by index: an Outcome, or the Rejection.
        fate: dict[int, Rejection | Outcome] = {}
        staged: list[int] = []
        # (index, index of the first delivery in this batch with the same key)
        repeats: list[tuple[int, int]] = []
        first_with_key: dict[tuple[str, str, datetime], int] = {}

        for index, delivery in enumerate(deliveries):
            parsed = delivery.parsed
            if isinstance(parsed, Rejection):
                fate[index] = parsed
                continue
            first = first_with_key.setdefault(parsed.key, index)
            if first == index:
                staged.append(index)
            else:
                repeats.append((index, first))

        connection.run("BEGIN")
        try:
            if staged:
                rows = [_copy_row(index, deliveries[index].event) for index in staged]
                connection.run(COPY_SQL, stream=_copy_chunks(rows))
                connection.run(INSERT_SQL)
                for index in staged:
                    fate[index] = Outcome.STORED
                if connection.row_count != len(staged):
                    fate.update(self._classify(connection, deliveries))
            # A repeat within the batch shares its first's fate once that is known.
            for index, first in repeats:
                fate[index] = _repeat_fate(
                    deliveries[index].event, deliveries[first].event, fate[first]
                )
            duplicates = [i for i, result in fate.items() if result is Outcome.DUPLICATE]
            rejections = [(i, r) for i, r in fate.items() if isinstance(r, Rejection)]
            if duplicates:
                self._record_duplicates(connection, [deliveries[i] for i in duplicates])
            if rejections:
                self._record_rejections(connection, [(deliveries[i], r) for i, r in rejections])
            connection.run("COMMIT")
        except BaseException:
            self._rollback(connection)
            raise

        return [
            Settled(Outcome.REJECTED, result) if isinstance(result, Rejection) else Settled(result)
            for result in (fate[index] for index in range(len(deliveries)))
        ]

    @staticmethod
    def _classify(
        connection: pg8000.native.Connection, deliveries: list[Delivery]
    ) -> dict[int, Rejection | Outcome]:
        """Return the fate of each staged event the INSERT skipped, by index."""
        fate: dict[int, Rejection | Outcome] = {}
        for ordinal, status in connection.run(CLASSIFY_SQL):
            event = deliveries[ordinal].event
            if status == "duplicate":
                fate[ordinal] = Outcome.DUPLICATE
            elif status == "conflict":
                fate[ordinal] = _conflict(event)
            elif status == "expired":
                fate[ordinal] = _expired(event)
            else:
                raise RuntimeError(f"event at ordinal {ordinal} is {status} after the insert")
        return fate

    def _rollback(self, connection: pg8000.native.Connection) -> None:
        try:
            connection.run("ROLLBACK")
        except Exception as error:  # noqa: BLE001 - the connection is unusable; drop it
            logger.warning(
                "rollback failed; dropping the connection", extra={"error": describe(error)}
            )
            self._connection.discard(error)

    @staticmethod
    def _record_duplicates(
        connection: pg8000.native.Connection, deliveries: list[Delivery]
    ) -> None:
        rows = [
            {
                "tenant_id": delivery.event.tenant_id,
                "event_id": delivery.event.event_id,
                "occurred_at": delivery.event.occurred_at.isoformat(),
                "message_id": delivery.message_id,
            }
            for delivery in deliveries
        ]
        connection.run(RECORD_DUPLICATES_SQL, deliveries=json.dumps(rows, ensure_ascii=False))

    @staticmethod
    def _record_rejections(
        connection: pg8000.native.Connection, rejected: list[tuple[Delivery, Rejection]]
    ) -> None:
        rows = [
            {
                "reason": rejection.reason.value,
                "message": storable_text(rejection.message),
                "raw_body": storable_text(delivery.body),
                "tenant_id": _optional_text(rejection.tenant_id),
                "event_id": _optional_text(rejection.event_id),
                "source": _optional_text(rejection.source),
                "message_id": delivery.message_id,
            }
            for delivery, rejection in rejected
        ]
        connection.run(RECORD_REJECTIONS_SQL, rejections=json.dumps(rows, ensure_ascii=False))


def _optional_text(value: str | None) -> str | None:
    return None if value is None else storable_text(value)
