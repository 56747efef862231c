"""Generate audit events inside PostgreSQL for the query benchmark.

The rows have the shape the subscriber stores: about 1 KB each, with an
`original` envelope, context and metadata. 100 tenants have skewed sizes:
tenant k gets a share of about 1 / (k ln 101), so tenant-001 has about
15% of the events and tenant-100 about 0.2%. Events are inserted in time
order, tenants interleaved, over the current month and the five before it
(six monthly partitions). Actors, targets and actions are skewed too, so
filters match from a handful to many thousands of rows.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from local_database import AuditDatabase
from sample_events import PEOPLE

TENANTS = 100
USERS_PER_TENANT = 5000
TARGETS_PER_TYPE = 100_000

# (action, source, target type), most frequent first; see ACTION_INDEX_SQL.
ACTIONS = (
    ("session.started", "com.example.identity", "session"),
    ("object.downloaded", "com.example.storage", "object"),
    ("invoice.created", "com.example.billing", "invoice"),
    ("user.updated", "com.example.identity", "user"),
    ("ticket.opened", "com.example.support", "ticket"),
    ("object.deleted", "com.example.storage", "object"),
    ("invoice.paid", "com.example.billing", "invoice"),
    ("user.created", "com.example.identity", "user"),
    ("bucket.created", "com.example.storage", "bucket"),
    ("user.role.granted", "com.example.identity", "user"),
    ("share_link.created", "com.example.storage", "share_link"),
    ("subscription.plan.changed", "com.example.billing", "subscription"),
    ("user.role.revoked", "com.example.identity", "user"),
    ("api_key.rotated", "com.example.identity", "api_key"),
    ("ticket.escalated", "com.example.support", "ticket"),
    ("mfa.disabled", "com.example.identity", "user"),
)
USER_AGENT = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0"


def tenant_id(number: int) -> str:
    return f"tenant-{number:03d}"


def _array(values: tuple[str, ...]) -> str:
    quoted = ", ".join("'" + value.replace("'", "''") + "'" for value in values)
    return f"ARRAY[{quoted}]"


# One statement per chunk of row numbers [:low, :high). The innermost query
# draws the random numbers (a subquery with volatile functions is evaluated
# per row), the middle one derives the columns, the outer one builds the JSON.
# ACTION_INDEX_SQL squares a uniform number, so the first actions are the most frequent.
ACTION_INDEX_SQL = "1 + floor(r_action * r_action * 16)::int"
INSERT_SQL = f"""
INSERT INTO audit.events (
    tenant_id, event_id, occurred_at, source, detail_type, action, outcome,
    actor_type, actor_id, actor_name, actor_ip, actor_user_agent,
    target_type, target_id, target_name, changes, context, metadata, original,
    content_sha256, ingested_at
)
SELECT tenant_id, event_id, occurred_at, source, 'Audit Event', action, outcome,
       actor_type, actor_id, actor_name, actor_ip, actor_user_agent,
       target_type, target_id, target_name, changes, context, metadata,
       jsonb_build_object(
           'version', '0', 'id', envelope_id, 'detail-type', 'Audit Event',
           'source', source, 'account', '123456789012',
           'time', to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
           'region', 'us-east-1', 'resources', '[]'::jsonb,
           'detail', jsonb_strip_nulls(jsonb_build_object(
               'tenantId', tenant_id, 'eventId', event_id,
               'occurredAt', to_char(occurred_at AT TIME ZONE 'UTC',
                                     'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
               'action', action, 'outcome', outcome,
               'actor', jsonb_strip_nulls(jsonb_build_object(
                   'type', actor_type, 'id', actor_id, 'name', actor_name,
                   'ip', actor_ip, 'userAgent', actor_user_agent)),
               'target', jsonb_build_object('type', target_type, 'id', target_id,
                                            'name', target_name),
               'changes', changes, 'context', context, 'metadata', metadata))),
       sha256(convert_to(tenant_id || event_id, 'UTF8')),
       occurred_at + interval '2 seconds'
FROM (
    SELECT format('tenant-%s', lpad(tenant_number::text, 3, '0')) AS tenant_id,
           md5(i::text)::uuid::text AS event_id,
           md5(i::text || 'envelope')::uuid::text AS envelope_id,
           occurred_at,
           (actions)[action_index] AS action,
           (sources)[action_index] AS source,
           (target_types)[action_index] AS target_type,
           format('%s-%s', (target_types)[action_index],
                  lpad(floor(r_target * {TARGETS_PER_TYPE})::text, 6, '0')) AS target_id,
           format('%s №%s', (target_types)[action_index], i) AS target_name,
           CASE WHEN r_outcome < 0.9 THEN 'success'
                WHEN r_outcome < 0.97 THEN 'failure' ELSE 'denied' END AS outcome,
           CASE WHEN is_service THEN 'service' ELSE 'user' END AS actor_type,
           CASE WHEN is_service THEN format('svc-%s', lpad(floor(r_actor * 100)::text, 3, '0'))
                ELSE format('user-%s', lpad(user_number::text, 5, '0')) END AS actor_id,
           CASE WHEN is_service THEN 'billing-worker'
                ELSE (people)[1 + user_number % {len(PEOPLE)}] END AS actor_name,
           CASE WHEN is_service THEN NULL
                ELSE format('198.51.100.%s', 1 + user_number % 254) END AS actor_ip,
           CASE WHEN is_service THEN NULL ELSE :user_agent END AS actor_user_agent,
           CASE WHEN (actions)[action_index] LIKE 'user.role.%'
                     OR (actions)[action_index] LIKE '%.changed'
                THEN jsonb_build_array(
                    jsonb_build_object('field', 'role', 'old', 'viewer', 'new', 'admin'),
                    jsonb_build_object('field', 'limits', 'old', jsonb_build_object('seats', 5),
                                       'new', jsonb_build_object('seats', 50)))
           END AS changes,
           jsonb_build_object(
               'requestId', md5(i::text || 'request')::uuid::text,
               'sessionId', format('sess-%s', lpad((i % 100000000)::text, 8, '0')),
               'productArea', split_part((sources)[action_index], '.', 3)) AS context,
           jsonb_build_object('schemaVersion', 1, 'sampleNumber', i,
                              'note', 'ملاحظة ✓') AS metadata
    FROM (
        SELECT i,
               -- Inverse of the continuous Zipf distribution over 1..100.
               floor(exp(r_tenant * ln({TENANTS} + 1)))::int AS tenant_number,
               CAST(:start AS timestamptz)
                   + (i + r_time) * CAST(:step_us AS double precision)
                     * interval '1 microsecond' AS occurred_at,
               {ACTION_INDEX_SQL} AS action_index,
               r_outcome, r_target, r_actor,
               r_kind < 0.25 AS is_service,
               -- Cubing makes a few users very active and most of them rare.
               floor(r_actor * r_actor * r_actor * {USERS_PER_TENANT})::int AS user_number,
               {_array(tuple(action for action, _, _ in ACTIONS))} AS actions,
               {_array(tuple(source for _, source, _ in ACTIONS))} AS sources,
               {_array(tuple(target for _, _, target in ACTIONS))} AS target_types,
               {_array(PEOPLE)} AS people
        FROM (
            SELECT i, random() AS r_tenant, random() AS r_time, random() AS r_action,
                   random() AS r_outcome, random() AS r_target, random() AS r_actor,
                   random() AS r_kind
            FROM generate_series(CAST(:low AS bigint), CAST(:high AS bigint) - 1) AS i
        ) AS draws
    ) AS numbers
) AS events
"""


@dataclass(frozen=True)
class DataSet:
    events: int
    start: datetime
    end: datetime
    seconds: float
    table_bytes: int
    partitions: int


def data_span(now: datetime) -> tuple[datetime, datetime]:
    """Return [first day of the month five months back, now): six monthly partitions."""
    month = now.month - 5
    year = now.year + (month - 1) // 12
    month = (month - 1) % 12 + 1
    return datetime(year, month, 1, tzinfo=UTC), now


def generate(
    database: AuditDatabase,
    events: int,
    say: Callable[[str], None],
    *,
    workers: int = 2,
    chunk: int = 250_000,
) -> DataSet:
    """Insert `events` rows as the table owner, then VACUUM ANALYZE; return what was made."""
    start, end = data_span(datetime.now(UTC))
    step_us = (end - start).total_seconds() * 1e6 / events
    chunks = [(low, min(low + chunk, events)) for low in range(0, events, chunk)]
    pending = list(reversed(chunks))
    lock = threading.Lock()
    errors: list[BaseException] = []
    done = [0]
    started = time.monotonic()

    def work(seed: float) -> None:
        try:
            with database.connect_as(database.superuser) as connection:
                connection.run("SELECT setseed(CAST(:seed AS double precision))", seed=seed)
                while True:
                    with lock:
                        if not pending or errors:
                            return
                        low, high = pending.pop()
                    connection.run(
                        INSERT_SQL,
                        low=low,
                        high=high,
                        start=start,
                        step_us=step_us,
                        user_agent=USER_AGENT,
                    )
                    with lock:
                        done[0] += high - low
                        say(
                            f"query: generated {done[0]:,} of {events:,} events "
                            f"({time.monotonic() - started:.0f} s)"
                        )
        except BaseException as error:  # noqa: BLE001 - re-raised by the caller
            with lock:
                errors.append(error)

    threads = [
        threading.Thread(target=work, args=(0.1 + 0.1 * number,)) for number in range(workers)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    say("query: VACUUM ANALYZE audit.events")
    with database.connect_as(database.superuser) as connection:
        connection.run("VACUUM (ANALYZE) audit.events")
        table_bytes = connection.run(
            "SELECT sum(pg_total_relation_size(inhrelid)) FROM pg_inherits"
            " WHERE inhparent = 'audit.events'::regclass"
        )[0][0]
        partitions = connection.run(
            "SELECT count(*) FROM pg_inherits WHERE inhparent = 'audit.events'::regclass"
        )[0][0]
    return DataSet(
        events=events,
        start=start,
        end=end,
        seconds=time.monotonic() - started,
        table_bytes=int(table_bytes),
        partitions=int(partitions),
    )
