"""Push many events through the local pipeline under injected faults, then account for each one.

    make soak                                       # a million events, as below
    python scripts/soak.py --events 1000000 --queue memory --batch-size 100 \
        --max-backlog 20000 --drain-timeout 1800    # the run in docs/reliability.md
    python scripts/soak.py --events 3000            # through moto and poller processes

It starts its own PostgreSQL cluster and moto server on free ports of 127.0.0.1, and
subscriber processes fed by scripts/poller.py, as `make demo` does. Then it:

* publishes generated application events, each with an eventId and an occurredAt,
  and republishes a share of them (a publisher's retry: same detail, new envelope),
  keeping the queue's backlog bounded. A share (``--via-bus``) goes through the bus
  with PutEvents. The rest goes straight to the queue as the envelope EventBridge
  delivers, because moto 5.2.5 spends about 40 ms of CPU on each PutEvents entry
  (it builds a JSONPath parser for every target). The subscriber receives the same bodies;
* the queue's backlog stays small (``--max-backlog``) because moto's SQS walks every
  message of the queue on each send and receive;
* mixes in poison messages, each of a kind that must be rejected with a known reason:
  some go through the bus (EventBridge accepts any JSON object), some straight to the
  queue (bodies that EventBridge could never produce);
* makes about ``--fault-rate`` of the subscriber's INSERT statements fail with a
  transient error, from a trigger that the harness adds to its own database: a
  serialization failure, a cancelled statement, a terminated connection, or an outage
  of a few seconds that fails every write until it ends (so that SQS redelivers).

Once the queue is empty it checks, from the database and the queues alone:

* published = stored + duplicates + rejected + dlq;
* stored = the distinct valid events, duplicates = the republished ones, and the
  rejections by reason = the poison messages by kind;
* no (tenant, event id) is stored twice;
* every stored event's detail, source and detail-type equal what was published
  (jsonb equality), and its columns match its detail.

It prints the figures and exits non-zero if any check fails.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import random
import re
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pg8000.native
from local_database import AuditDatabase, prepare_database
from localaws import LocalAws, Resources, count_messages, dummy_aws_environment, provision
from localpg import LocalPostgres, free_port
from memory_queue import MemoryQueue
from poller import SqsPoller
from publish import Entry, put_events
from sample_events import generate_application_events

logger = logging.getLogger("soak")

ROOT = Path(__file__).resolve().parent.parent
OUTPUT_DIR = ROOT / ".local" / "soak"
# Keep every generated event: they fall within the last 30 days anyway.
PLACEHOLDERS = {"retentionInterval": "5000 days"}
ACCOUNT_TENANTS = {"123456789012": "acme-corp"}
CHUNK = 500
MEMORY_QUEUE_URL = "memory://audit-ingest"
MEMORY_QUEUE_ARN = "arn:aws:sqs:us-east-1:123456789012:audit-ingest"
# Queue bodies sent between two checks of the backlog.
SLICE = 20

# The fault injector: a statement trigger on audit.events that fails a share of the
# subscriber's INSERT statements. Sequences count the faults, because a sequence
# keeps its value when the transaction that advanced it rolls back.
FAULT_SQL = """
CREATE SCHEMA soak;
CREATE TABLE soak.settings (fault_rate float8 NOT NULL, outage_ms integer NOT NULL);
CREATE SEQUENCE soak.serialization_failures;
CREATE SEQUENCE soak.cancelled_statements;
CREATE SEQUENCE soak.terminated_connections;
CREATE SEQUENCE soak.outages;
CREATE SEQUENCE soak.failed_during_outage;
-- Epoch milliseconds at which the current outage ends.
CREATE SEQUENCE soak.outage_until MINVALUE 0 START 0;

CREATE FUNCTION soak.inject_fault() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    now_ms bigint := (extract(epoch FROM clock_timestamp()) * 1000)::bigint;
    rate float8;
    outage integer;
    draw float8;
BEGIN
    IF now_ms < (SELECT last_value FROM soak.outage_until) THEN
        PERFORM nextval('soak.failed_during_outage');
        RAISE EXCEPTION 'injected fault: database unavailable' USING ERRCODE = '57P03';
    END IF;
    SELECT fault_rate, outage_ms INTO rate, outage FROM soak.settings;
    draw := random();
    IF draw >= rate THEN
        RETURN NULL;
    END IF;
    draw := draw / rate;
    IF draw < 0.3 THEN
        PERFORM nextval('soak.serialization_failures');
        RAISE EXCEPTION 'injected fault: serialization failure' USING ERRCODE = '40001';
    ELSIF draw < 0.6 THEN
        PERFORM nextval('soak.cancelled_statements');
        RAISE EXCEPTION 'injected fault: statement cancelled' USING ERRCODE = '57014';
    ELSIF draw < 0.9 THEN
        PERFORM nextval('soak.terminated_connections');
        -- The backend ends at its next interrupt check: during the sleep at the latest.
        PERFORM pg_terminate_backend(pg_backend_pid());
        PERFORM pg_sleep(10);
        RETURN NULL;
    ELSE
        PERFORM nextval('soak.outages');
        PERFORM setval('soak.outage_until', now_ms + outage);
        RAISE EXCEPTION 'injected fault: database unavailable' USING ERRCODE = '57P03';
    END IF;
END
$$;

CREATE TRIGGER soak_inject_fault BEFORE INSERT ON audit.events
    FOR EACH STATEMENT EXECUTE FUNCTION soak.inject_fault();

-- One row per valid event published, to compare stored events against.
CREATE TABLE soak.expected (
    tenant_id   text        NOT NULL,
    event_id    text        NOT NULL,
    occurred_at timestamptz NOT NULL,
    source      text        NOT NULL,
    detail_type text        NOT NULL,
    detail      jsonb       NOT NULL,
    PRIMARY KEY (tenant_id, occurred_at, event_id)
);
"""

FAULT_KINDS = (
    "serialization_failures",
    "cancelled_statements",
    "terminated_connections",
    "outages",
    "failed_during_outage",
)

# Poison message kinds: how each is sent, and the rejection reason it must get.
POISON_KINDS = {
    "unknown_outcome": ("bus", "schema_violation"),
    "missing_actor": ("bus", "schema_violation"),
    "nul_character": ("bus", "unsupported_character"),
    "impossible_date": ("bus", "invalid_timestamp"),
    "deep_nesting": ("bus", "too_deeply_nested"),
    "truncated_json": ("queue", "invalid_json"),
    "json_array": ("queue", "invalid_envelope"),
    "unknown_aws_event": ("queue", "unsupported_event_type"),
}


@dataclass
class SoakSettings:
    events: int
    fault_rate: float
    poison_rate: float
    republish_rate: float
    pollers: int
    batch_size: int
    max_backlog: int
    outage_ms: int
    seed: int
    publishers: int
    via_bus: float
    queue: str


@dataclass
class Outgoing:
    """One chunk: PutEvents entries, queue bodies, and rows for soak.expected."""

    entries: list[Entry] = field(default_factory=list)
    bodies: list[str] = field(default_factory=list)
    expected: list[tuple[Any, ...]] = field(default_factory=list)


@dataclass
class Published:
    """Counts of the messages the harness sent, by category."""

    valid: int = 0
    republished: int = 0
    poison: Counter[str] = field(default_factory=Counter)

    @property
    def total(self) -> int:
        return self.valid + self.republished + sum(self.poison.values())


@dataclass
class Figures:
    """Final counts from the database and the queues, and the failed checks."""

    published: int
    redelivered: int
    stored: int
    duplicates: int
    rejected: int
    dlq: int
    rejected_by_reason: dict[str, int]
    duplicate_keys: int
    missing_events: int
    unexpected_events: int
    altered_events: int
    faults: dict[str, int]
    poller_totals: dict[str, int]
    failures: list[str]
    seconds: dict[str, float]


def _poison(kind: str, number: int, detail: dict[str, Any]) -> tuple[str, Any]:
    """Return (how to send it, the detail or body) for one poison message."""
    poisoned = json.loads(json.dumps(detail))
    poisoned["eventId"] = f"poison-{number}"
    if kind == "unknown_outcome":
        poisoned["outcome"] = "maybe"
    elif kind == "missing_actor":
        del poisoned["actor"]
    elif kind == "nul_character":
        poisoned["actor"]["name"] = f"nul\x00{number}"
    elif kind == "impossible_date":
        poisoned["occurredAt"] = "2026-02-30T12:00:00Z"
    elif kind == "deep_nesting":
        nested: Any = {"number": number}
        for _ in range(150):
            nested = {"n": nested}
        poisoned["metadata"] = nested
    elif kind == "truncated_json":
        return "queue", json.dumps({"version": "0", "id": f"p{number}", "detail": poisoned})[:-7]
    elif kind == "json_array":
        return "queue", json.dumps([number, poisoned])
    elif kind == "unknown_aws_event":
        envelope = {
            "version": "0",
            "id": f"poison-{number}",
            "detail-type": "EC2 Instance State-change Notification",
            "source": "aws.ec2",
            "account": "123456789012",
            "time": "2026-11-30T10:00:00Z",
            "region": "us-east-1",
            "resources": [],
            "detail": {"instance-id": f"i-{number:017x}", "state": "running"},
        }
        return "queue", json.dumps(envelope)
    return "bus", poisoned


class Soak:
    def __init__(self, settings: SoakSettings) -> None:
        self.settings = settings
        self.rng = random.Random(settings.seed)
        self.cluster: LocalPostgres | None = None
        self.database: AuditDatabase | None = None
        self.aws: LocalAws | None = None
        self.resources: Resources | None = None
        self.pollers: list[subprocess.Popen[bytes]] = []
        self.memory: MemoryQueue | None = None
        self.memory_pollers: list[tuple[SqsPoller, threading.Thread]] = []
        self._stop_polling = threading.Event()
        self.published = Published()
        self.seconds: dict[str, float] = {}
        self._local = threading.local()

    # -- lifecycle --------------------------------------------------------------------

    def start(self) -> None:
        OUTPUT_DIR.mkdir(parents=True, exist_ok=True)
        os.environ.update(dummy_aws_environment())
        self.cluster = LocalPostgres()
        self.cluster.start()
        self.database = prepare_database(self.cluster, placeholders=PLACEHOLDERS)
        with self.database.connect_as(self.database.superuser) as connection:
            connection.run(FAULT_SQL)
            connection.run(
                "INSERT INTO soak.settings VALUES (:rate, :outage)",
                rate=self.settings.fault_rate,
                outage=self.settings.outage_ms,
            )
        if self.settings.queue == "memory":
            self.memory = MemoryQueue(visibility_timeout_seconds=30, max_receive_count=5)
            self._start_memory_poller()
            logger.info(
                "PostgreSQL on 127.0.0.1:%d, an in-memory queue, one subscriber thread; logs in %s",
                self.cluster.port,
                OUTPUT_DIR,
            )
            return
        self.aws = LocalAws(free_port(), log_path=OUTPUT_DIR / "moto.log")
        self.resources = provision(self.aws.start())
        for number in range(self.settings.pollers):
            self.pollers.append(self._start_poller(number))
        logger.info(
            "PostgreSQL on 127.0.0.1:%d, moto on %s, %d subscriber processes, logs in %s",
            self.cluster.port,
            self.aws.endpoint_url,
            len(self.pollers),
            OUTPUT_DIR,
        )

    def _subscriber_environment(self) -> dict[str, str]:
        assert self.database
        database = self.database
        return {
            "DB_HOST": database.host,
            "DB_PORT": str(database.port),
            "DB_NAME": database.name,
            "DB_USER": database.writer.user,
            "DB_PASSWORD": database.writer.password,
            "DB_SSLMODE": "disable",
            "AWS_ACCOUNT_TENANTS": json.dumps(ACCOUNT_TENANTS),
            "POWERTOOLS_SERVICE_NAME": "audit-subscriber",
            "POWERTOOLS_METRICS_NAMESPACE": "AuditLog",
            # One log line per rejection and per reconnect is enough for a million events.
            "POWERTOOLS_LOG_LEVEL": "WARNING",
        }

    def _start_memory_poller(self) -> None:
        """Run the subscriber's handler in a thread of this process, fed from the memory queue.

        One thread only: the handler keeps one database connection per process, as a
        Lambda execution environment does.
        """
        os.environ.update(self._subscriber_environment())
        from subscriber import handler

        log = (OUTPUT_DIR / "subscriber-0.log").open("w")
        # Powertools prints the metrics of each batch to standard output: keep them in the log.
        sys.stdout = log
        for log_handler in logging.getLogger("audit-subscriber").handlers:
            if isinstance(log_handler, logging.StreamHandler):
                log_handler.setStream(log)
        poller = SqsPoller(
            self.memory,
            MEMORY_QUEUE_URL,
            MEMORY_QUEUE_ARN,
            handler.lambda_handler,
            batch_size=self.settings.batch_size,
            batching_window_seconds=1 if self.settings.batch_size > 10 else 0,
            wait_time_seconds=1,
        )
        self.memory_pollers.append((poller, poller.start(self._stop_polling)))

    def _start_poller(self, number: int) -> subprocess.Popen[bytes]:
        assert self.resources and self.aws
        python_path = [ROOT / "functions" / "common", ROOT / "functions" / "subscriber"]
        environment = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join(str(path) for path in [*python_path, ROOT / "scripts"]),
            **self._subscriber_environment(),
        }
        log = (OUTPUT_DIR / f"subscriber-{number}.log").open("wb")
        try:
            return subprocess.Popen(
                [
                    sys.executable, str(ROOT / "scripts" / "poller.py"),
                    "--queue-url", self.resources.queue_url,
                    "--queue-arn", self.resources.queue_arn,
                    "--handler", "subscriber.handler:lambda_handler",
                    "--batch-size", str(self.settings.batch_size),
                    # Lambda needs a batching window for batches above 10 messages.
                    "--batching-window", "1" if self.settings.batch_size > 10 else "0",
                    "--endpoint-url", self.aws.endpoint_url or "",
                ],
                env=environment,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip
        finally:
            log.close()

    def stop_pollers(self) -> dict[str, int]:
        """Stop the subscribers and add up the totals of their pollers."""
        totals: Counter[str] = Counter()
        self._stop_polling.set()
        for poller, thread in self.memory_pollers:
            thread.join(timeout=60)
            totals.update(asdict(poller.stats()))
        self.memory_pollers = []
        for process in self.pollers:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for number, process in enumerate(self.pollers):
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                logger.warning("subscriber process %d ignored SIGTERM; killing it", process.pid)
                process.kill()
                process.wait()
            text = (OUTPUT_DIR / f"subscriber-{number}.log").read_text(errors="replace")
            match = re.search(r"Poller totals: (.*)", text)
            if match:
                for name, value in re.findall(r"(\w+)=(\d+)", match.group(1)):
                    totals[name] += int(value)
        self.pollers = []
        return dict(totals)

    def stop(self) -> None:
        if self.pollers or self.memory_pollers:
            self.stop_pollers()
        if self.aws is not None:
            self.aws.stop()
        if self.cluster is not None:
            self.cluster.stop()

    # -- publishing -------------------------------------------------------------------

    @property
    def queue_url(self) -> str:
        return self.resources.queue_url if self.resources else MEMORY_QUEUE_URL

    def _sqs(self) -> Any:
        """Return an SQS client for the queue: the memory queue, or a new boto3 client."""
        if self.memory is not None:
            return self.memory
        assert self.aws
        return self.aws.client("sqs")

    def _clients(self) -> tuple[Any, Any]:
        """Return this thread's events and SQS clients (boto3 clients are not shared)."""
        if self.memory is not None:
            return None, self.memory
        assert self.aws
        if not hasattr(self._local, "events"):
            self._local.events = self.aws.client("events")
            self._local.sqs = self.aws.client("sqs")
        return self._local.events, self._local.sqs

    def _route(self, source: str, detail_type: str, detail: Any, out: Outgoing) -> None:
        """Send a detail through the bus, or its EventBridge envelope straight to the queue."""
        if self.memory is None and self.rng.random() < self.settings.via_bus:
            out.entries.append(Entry(source, detail_type, detail))
            return
        envelope = {
            "version": "0",
            "id": str(uuid.UUID(int=self.rng.getrandbits(128), version=4)),
            "detail-type": detail_type,
            "source": source,
            "account": "123456789012",
            "time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "region": "us-east-1",
            "resources": [],
            "detail": detail,
        }
        out.bodies.append(json.dumps(envelope, ensure_ascii=False))

    def _chunks(self) -> Iterator[Outgoing]:
        """Yield the messages to send and the events to expect, CHUNK events at a time."""
        settings = self.settings
        now = datetime.now(UTC)
        republish_later: list[tuple[str, str, dict[str, Any]]] = []
        number = 0
        for chunk_index, start in enumerate(range(0, settings.events, CHUNK)):
            count = min(CHUNK, settings.events - start)
            events = generate_application_events(
                count, seed=settings.seed * 100_003 + chunk_index, now=now
            )
            out = Outgoing()
            # A publisher's retry: the same detail in a new envelope, a little later.
            for source, detail_type, detail in republish_later:
                self._route(source, detail_type, detail, out)
            self.published.republished += len(republish_later)
            republish_later = []
            for event in events:
                number += 1
                detail = event.detail
                # Every soak event carries its own key, so the check can find it.
                detail["eventId"] = f"soak-{settings.seed}-{number}"
                detail.setdefault("occurredAt", now.isoformat())
                draw = self.rng.random()
                if draw < settings.poison_rate:
                    kind = self.rng.choice(sorted(POISON_KINDS))
                    route, payload = _poison(kind, number, detail)
                    self.published.poison[kind] += 1
                    if route == "bus":
                        self._route(event.source, event.detail_type, payload, out)
                    else:
                        out.bodies.append(payload)
                    continue
                self._route(event.source, event.detail_type, detail, out)
                self.published.valid += 1
                out.expected.append(
                    (
                        detail["tenantId"],
                        detail["eventId"],
                        detail["occurredAt"],
                        event.source,
                        event.detail_type,
                        json.dumps(detail, ensure_ascii=False),
                    )
                )
                if draw < settings.poison_rate + settings.republish_rate:
                    republish_later.append((event.source, event.detail_type, detail))
            self.rng.shuffle(out.bodies)
            yield out
        if republish_later:
            out = Outgoing()
            for source, detail_type, detail in republish_later:
                self._route(source, detail_type, detail, out)
            self.published.republished += len(republish_later)
            yield out

    def _send(self, entries: list[Entry], bodies: list[str]) -> None:
        events, sqs = self._clients()
        if entries:
            assert self.resources
            put_events(events, self.resources.bus_name, entries)
        for start in range(0, len(bodies), 10):
            batch = bodies[start : start + 10]
            response = sqs.send_message_batch(
                QueueUrl=self.queue_url,
                Entries=[{"Id": str(i), "MessageBody": body} for i, body in enumerate(batch)],
            )
            if response.get("Failed"):
                raise RuntimeError(f"SendMessageBatch failed: {response['Failed']}")

    def publish(self) -> None:
        """Publish every chunk, waiting while the queue's backlog is over max_backlog."""
        assert self.database
        sqs = self._sqs()
        started = time.monotonic()
        last_report = started
        published = 0
        with (
            self.database.connect_as(self.database.superuser) as connection,
            ThreadPoolExecutor(self.settings.publishers) as pool,
        ):
            for out in self._chunks():
                if out.expected:
                    _copy_expected(connection, out.expected)
                futures = [pool.submit(self._send, out.entries, [])]
                # Small slices, so that the backlog check runs between them.
                for start in range(0, len(out.bodies), SLICE):
                    while count_messages(sqs, self.queue_url) > self.settings.max_backlog:
                        self._check_pollers()
                        time.sleep(0.05)
                    futures.append(pool.submit(self._send, [], out.bodies[start : start + SLICE]))
                for future in futures:
                    future.result()
                published += len(out.entries) + len(out.bodies)
                if time.monotonic() - last_report > 30:
                    last_report = time.monotonic()
                    elapsed = last_report - started
                    logger.info(
                        "published %d messages in %.0f s (%.0f/s)",
                        published,
                        elapsed,
                        published / elapsed,
                    )
        self.seconds["publish"] = time.monotonic() - started

    def _check_pollers(self) -> None:
        for _, thread in self.memory_pollers:
            if not thread.is_alive():
                raise RuntimeError(f"the subscriber thread stopped; see {OUTPUT_DIR}")
        for process in self.pollers:
            if process.poll() is not None:
                raise RuntimeError(
                    f"subscriber process {process.pid} exited with code {process.returncode}; "
                    f"see {OUTPUT_DIR}"
                )

    def wait_until_drained(self, timeout_seconds: float) -> None:
        """Wait until the queue is empty (visible, in flight and delayed), 5 checks in a row."""
        sqs = self._sqs()
        started = time.monotonic()
        quiet = 0
        while quiet < 5:
            self._check_pollers()
            if time.monotonic() - started > timeout_seconds:
                raise TimeoutError(
                    f"timed out: the queue still contains {count_messages(sqs, self.queue_url)} "
                    f"messages after {timeout_seconds:.0f} s"
                )
            quiet = quiet + 1 if count_messages(sqs, self.queue_url) == 0 else 0
            time.sleep(1)
        self.seconds["drain"] = time.monotonic() - started

    # -- checking -----------------------------------------------------------------------

    def check(self, poller_totals: dict[str, int]) -> Figures:
        assert self.database
        with self.database.connect_as(self.database.superuser) as connection:

            def scalar(sql: str) -> int:
                return int(connection.run(sql)[0][0])

            stored = scalar("SELECT count(*) FROM audit.events")
            duplicates = scalar(
                "SELECT coalesce(sum(seen_count), 0) FROM audit.duplicate_deliveries"
            )
            by_reason = {
                reason: int(count)
                for reason, count in connection.run(
                    "SELECT reason, sum(seen_count) FROM audit.rejected_events GROUP BY reason"
                )
            }
            duplicate_keys = scalar(
                "SELECT count(*) FROM (SELECT tenant_id, event_id FROM audit.events"
                " GROUP BY tenant_id, event_id HAVING count(*) > 1) AS repeated"
            )
            missing = scalar(
                "SELECT count(*) FROM soak.expected AS e WHERE NOT EXISTS (SELECT FROM"
                " audit.events AS s WHERE (s.tenant_id, s.occurred_at, s.event_id)"
                " = (e.tenant_id, e.occurred_at, e.event_id))"
            )
            unexpected = scalar(
                "SELECT count(*) FROM audit.events AS s WHERE NOT EXISTS (SELECT FROM"
                " soak.expected AS e WHERE (s.tenant_id, s.occurred_at, s.event_id)"
                " = (e.tenant_id, e.occurred_at, e.event_id))"
            )
            altered = scalar(ALTERED_SQL)
            faults = {
                kind: scalar(
                    f"SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM soak.{kind}"
                )
                for kind in FAULT_KINDS
            }
        if self.memory is not None:
            dlq = len(self.memory.dead_letters)
        else:
            assert self.aws and self.resources
            dlq = count_messages(self.aws.client("sqs"), self.resources.dlq_url)
        rejected = sum(by_reason.values())
        published = self.published
        expected_reasons: Counter[str] = Counter()
        for kind, count in published.poison.items():
            expected_reasons[POISON_KINDS[kind][1]] += count

        # Receives that neither a first delivery nor a retry after a failure explains:
        # SQS (and moto) may hand one message to two consumers at once. The second
        # consumer counts the event as a duplicate, or the rejection a second time.
        # A message in the DLQ failed once more than it was received again.
        received = poller_totals.get("received", 0)
        redelivered = received - published.total - poller_totals.get("failed", 0) + dlq

        failures = []
        if published.total + redelivered != stored + duplicates + rejected + dlq:
            failures.append(
                f"published {published.total} + redelivered {redelivered} != stored {stored}"
                f" + duplicates {duplicates} + rejected {rejected} + dlq {dlq}"
            )
        if stored != published.valid:
            failures.append(f"stored {stored}, expected {published.valid} distinct valid events")
        if redelivered == 0 and duplicates != published.republished:
            failures.append(f"duplicates {duplicates}, expected {published.republished}")
        if redelivered == 0 and by_reason != dict(expected_reasons):
            failures.append(f"rejections by reason {by_reason}, expected {dict(expected_reasons)}")
        if redelivered and (
            duplicates < published.republished
            or any(by_reason.get(reason, 0) < count for reason, count in expected_reasons.items())
            or set(by_reason) != set(expected_reasons)
        ):
            failures.append(
                f"duplicates {duplicates} and rejections {by_reason}: fewer than the "
                f"{published.republished} republished and the poison {dict(expected_reasons)}"
            )
        for name, value in (
            ("keys stored twice", duplicate_keys),
            ("published events not stored", missing),
            ("stored events never published", unexpected),
            ("stored events with altered content", altered),
            ("messages in the DLQ", dlq),
        ):
            if value:
                failures.append(f"{value} {name}")
        return Figures(
            published=published.total,
            redelivered=redelivered,
            stored=stored,
            duplicates=duplicates,
            rejected=rejected,
            dlq=dlq,
            rejected_by_reason=by_reason,
            duplicate_keys=duplicate_keys,
            missing_events=missing,
            unexpected_events=unexpected,
            altered_events=altered,
            faults=faults,
            poller_totals=poller_totals,
            failures=failures,
            seconds={name: round(value, 1) for name, value in self.seconds.items()},
        )


# A stored event is altered when its detail, source or detail-type differ from what was
# published, or when a column differs from the detail it was taken from.
ALTERED_SQL = """
SELECT count(*)
FROM audit.events AS s
JOIN soak.expected AS e
  ON (s.tenant_id, s.occurred_at, s.event_id) = (e.tenant_id, e.occurred_at, e.event_id)
WHERE s.original->'detail' IS DISTINCT FROM e.detail
   OR s.source IS DISTINCT FROM e.source
   OR s.detail_type IS DISTINCT FROM e.detail_type
   OR s.original->>'source' IS DISTINCT FROM e.source
   OR s.action IS DISTINCT FROM e.detail->>'action'
   OR s.outcome IS DISTINCT FROM coalesce(e.detail->>'outcome', 'success')
   OR s.actor_type IS DISTINCT FROM e.detail->'actor'->>'type'
   OR s.actor_id IS DISTINCT FROM e.detail->'actor'->>'id'
   OR s.actor_name IS DISTINCT FROM e.detail->'actor'->>'name'
   OR s.actor_ip IS DISTINCT FROM e.detail->'actor'->>'ip'
   OR s.actor_user_agent IS DISTINCT FROM e.detail->'actor'->>'userAgent'
   OR s.target_type IS DISTINCT FROM e.detail->'target'->>'type'
   OR s.target_id IS DISTINCT FROM e.detail->'target'->>'id'
   OR s.target_name IS DISTINCT FROM e.detail->'target'->>'name'
   OR s.changes IS DISTINCT FROM e.detail->'changes'
   OR s.context IS DISTINCT FROM e.detail->'context'
   OR s.metadata IS DISTINCT FROM e.detail->'metadata'
"""

_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_expected(connection: pg8000.native.Connection, rows: list[tuple[Any, ...]]) -> None:
    text = "".join(
        "\t".join(str(value).translate(_COPY_ESCAPES) for value in row) + "\n" for row in rows
    )
    connection.run("COPY soak.expected FROM STDIN", stream=[text.encode("utf-8")])


def _report(settings: SoakSettings, figures: Figures) -> None:
    reasons = " ".join(
        f"{name}={count}" for name, count in sorted(figures.rejected_by_reason.items())
    )
    faults = " ".join(f"{name}={count}" for name, count in figures.faults.items())
    pollers = " ".join(f"{name}={count}" for name, count in sorted(figures.poller_totals.items()))
    # The subscriber's metrics take over standard output when it runs in this process.
    out = sys.__stdout__
    print(
        f"soak: published={figures.published} stored={figures.stored}"
        f" duplicates={figures.duplicates} rejected={figures.rejected} dlq={figures.dlq}"
        f" (redelivered while in flight: {figures.redelivered})\n"
        f"soak: rejected by reason: {reasons or 'none'}\n"
        f"soak: injected faults: {faults}\n"
        f"soak: subscriber pollers: {pollers}\n"
        f"soak: keys stored twice={figures.duplicate_keys} not stored={figures.missing_events}"
        f" never published={figures.unexpected_events} altered={figures.altered_events}\n"
        f"soak: seconds: {figures.seconds}",
        file=out,
        flush=True,
    )
    result = {"settings": asdict(settings), "figures": asdict(figures)}
    (OUTPUT_DIR / "report.json").write_text(json.dumps(result, indent=2) + "\n")
    if figures.failures:
        for failure in figures.failures:
            print(f"soak: FAILED: {failure}", file=out, flush=True)
    else:
        print("soak: every published event is accounted for", file=out, flush=True)


def _fraction(text: str) -> float:
    value = float(text)
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError(f"{text} is not a fraction between 0 and 1")
    return value


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text} is not a positive integer")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=_positive, default=20_000, help="events to publish")
    parser.add_argument(
        "--fault-rate",
        type=_fraction,
        default=0.01,
        help="share of the subscriber's INSERT statements that fail (default 0.01)",
    )
    parser.add_argument(
        "--poison-rate", type=_fraction, default=0.001, help="share of poison messages"
    )
    parser.add_argument(
        "--republish-rate", type=_fraction, default=0.005, help="share of events published twice"
    )
    parser.add_argument("--pollers", type=_positive, default=2, help="subscriber processes")
    parser.add_argument("--batch-size", type=_positive, default=10, help="messages per batch")
    parser.add_argument("--publishers", type=_positive, default=2, help="threads calling PutEvents")
    parser.add_argument(
        "--max-backlog",
        type=_positive,
        default=40,
        help="messages the queue may hold before publishing pauses",
    )
    parser.add_argument(
        "--outage-ms", type=_positive, default=3000, help="length of an injected outage"
    )
    parser.add_argument(
        "--via-bus",
        type=_fraction,
        default=0.005,
        help="share of messages published with PutEvents instead of sent to the queue",
    )
    parser.add_argument(
        "--queue",
        choices=["moto", "memory"],
        default="moto",
        help="moto: the emulator and subscriber processes, as make demo runs them; "
        "memory: an in-memory SQS queue and one subscriber thread, for runs of a million",
    )
    parser.add_argument("--seed", type=int, default=2026, help="random seed")
    parser.add_argument(
        "--drain-timeout", type=float, default=600, help="seconds to wait for the queue to empty"
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    settings = SoakSettings(
        events=args.events,
        fault_rate=args.fault_rate,
        poison_rate=args.poison_rate,
        republish_rate=args.republish_rate,
        pollers=args.pollers,
        batch_size=args.batch_size,
        max_backlog=args.max_backlog,
        outage_ms=args.outage_ms,
        seed=args.seed,
        publishers=args.publishers,
        via_bus=args.via_bus,
        queue=args.queue,
    )
    soak = Soak(settings)
    started = time.monotonic()
    try:
        soak.start()
        soak.publish()
        soak.wait_until_drained(args.drain_timeout)
        totals = soak.stop_pollers()
        soak.seconds["total"] = time.monotonic() - started
        figures = soak.check(totals)
    except KeyboardInterrupt:
        print("soak: interrupted; everything it started is stopped", flush=True)
        return 130
    finally:
        soak.stop()
    _report(settings, figures)
    return 1 if figures.failures else 0


if __name__ == "__main__":
    sys.exit(main())
