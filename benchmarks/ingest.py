"""Ingest: the subscriber's handler on SQS batches, against psql's \\copy of the same rows.

Each repetition, for each batch size, runs three things on an emptied
audit.events, in alternating order so that drift in the machine's load
falls on both sides:

* the COPY ceiling: psql's \\copy of the rows the subscriber would store,
  straight into the partitioned table (timed by psql's \\timing);
* the subscriber: lambda_handler on the SQS event, in this process, with a
  warm connection (staging COPY, INSERT ... ON CONFLICT DO NOTHING);
* a re-delivery: the same SQS event again, so every event is a duplicate.

The ceiling runs as the table owner: PostgreSQL rejects COPY FROM into a
table with row-level security for a role subject to it, such as the writer.
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import os
import re
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from local_database import AuditDatabase
from localpg import LocalPostgres

from benchmarks.cluster import psql
from benchmarks.envelopes import envelope_bodies, sqs_event
from benchmarks.stats import median

COPY_COLUMNS = (
    "tenant_id",
    "event_id",
    "occurred_at",
    "source",
    "detail_type",
    "action",
    "outcome",
    "actor_type",
    "actor_id",
    "actor_name",
    "actor_ip",
    "actor_user_agent",
    "target_type",
    "target_id",
    "target_name",
    "changes",
    "context",
    "metadata",
    "original",
    "content_sha256",
)
_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
_TIMING = re.compile(r"^Time: ([0-9.]+) ms", re.MULTILINE)


@dataclass
class BatchResult:
    size: int
    body_bytes: float
    copy_seconds: list[float] = field(default_factory=list)
    subscriber_seconds: list[float] = field(default_factory=list)
    redelivery_seconds: list[float] = field(default_factory=list)
    parse_seconds: list[float] = field(default_factory=list)

    @property
    def ratios(self) -> list[float]:
        """Subscriber events/s over COPY events/s, per repetition."""
        return [
            copy / subscriber
            for copy, subscriber in zip(self.copy_seconds, self.subscriber_seconds, strict=True)
        ]

    def rate(self, seconds: list[float]) -> float:
        return self.size / median(seconds)


@dataclass
class IngestResult:
    repeats: int
    batches: list[BatchResult]


class LambdaContext:
    function_name = "audit-subscriber"
    function_version = "$LATEST"
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:audit-subscriber"
    memory_limit_in_mb = 1024
    aws_request_id = "00000000-0000-4000-8000-000000000000"
    log_group_name = "/aws/lambda/audit-subscriber"
    log_stream_name = "bench"

    def get_remaining_time_in_millis(self) -> int:
        return 900_000


def _copy_text(value: str | None) -> str:
    return "\\N" if value is None else value.translate(_ESCAPES)


def _json_or_none(value: Any) -> str | None:
    return None if value is None else json.dumps(value, ensure_ascii=False)


def ceiling_rows(bodies: list[str], settings: Any) -> str:
    """Return the COPY text of the rows the subscriber stores for these bodies."""
    from subscriber.envelope import parse_message
    from subscriber.model import AuditEvent

    lines = []
    for body in bodies:
        event = parse_message(body, settings)
        if not isinstance(event, AuditEvent):
            raise RuntimeError(f"a generated event was rejected: {event.reason}: {event.message}")
        detail = json.loads(body)["detail"]
        fields = [
            event.tenant_id,
            event.event_id,
            event.occurred_at.isoformat(),
            event.source,
            event.detail_type,
            event.action,
            event.outcome,
            event.actor_type,
            event.actor_id,
            event.actor_name,
            event.actor_ip,
            event.actor_user_agent,
            event.target_type,
            event.target_id,
            event.target_name,
            _json_or_none(detail.get("changes")),
            _json_or_none(detail.get("context")),
            _json_or_none(detail.get("metadata")),
            event.original_json,
        ]
        encoded = [_copy_text(value) for value in fields]
        encoded.append("\\\\x" + event.content_sha256.hex())
        lines.append("\t".join(encoded) + "\n")
    return "".join(lines)


def subscriber_environment(database: AuditDatabase) -> dict[str, str]:
    return {
        **database.environment(database.writer),
        "POWERTOOLS_SERVICE_NAME": "audit-subscriber",
        "POWERTOOLS_METRICS_NAMESPACE": "AuditLog",
    }


class Subscriber:
    """The subscriber's handler in this process, its log lines and metrics sent to a file."""

    def __init__(self, database: AuditDatabase, log_path: Path) -> None:
        os.environ.update(subscriber_environment(database))
        from subscriber import handler

        self.handler = handler
        handler.settings.cache_clear()
        handler.store.cache_clear()
        self.log = log_path.open("a", encoding="utf-8")
        self._replaced: list[tuple[logging.StreamHandler, Any]] = []
        for log_handler in logging.getLogger("audit-subscriber").handlers:
            if isinstance(log_handler, logging.StreamHandler):
                self._replaced.append((log_handler, log_handler.setStream(self.log)))

    def invoke(self, event: dict[str, Any]) -> float:
        """Run the handler once; return its wall time in seconds."""
        with contextlib.redirect_stdout(self.log):
            started = time.perf_counter()
            response = self.handler.lambda_handler(event, LambdaContext())
            elapsed = time.perf_counter() - started
        failures = response.get("batchItemFailures")
        if failures:
            raise RuntimeError(
                f"the subscriber failed {len(failures)} records; see {self.log.name}"
            )
        return elapsed

    def parse_only(self, bodies: list[str]) -> float:
        """Time parsing alone (no database), to split the handler's time."""
        from subscriber.envelope import parse_message

        settings = self.handler.settings()
        started = time.perf_counter()
        for body in bodies:
            parse_message(body, settings)
        return time.perf_counter() - started

    def close(self) -> None:
        self.handler.store().close()
        self.handler.settings.cache_clear()
        self.handler.store.cache_clear()
        for log_handler, stream in self._replaced:
            log_handler.setStream(stream)
        self.log.close()


def _reset(database: AuditDatabase) -> None:
    with database.connect_as(database.superuser) as connection:
        connection.run("TRUNCATE audit.events, audit.duplicate_deliveries, audit.rejected_events")


def _counts(database: AuditDatabase) -> tuple[int, int, int]:
    with database.connect_as(database.superuser) as connection:
        stored = connection.run("SELECT count(*) FROM audit.events")[0][0]
        duplicates = connection.run(
            "SELECT coalesce(sum(seen_count), 0) FROM audit.duplicate_deliveries"
        )[0][0]
        rejected = connection.run("SELECT count(*) FROM audit.rejected_events")[0][0]
    return int(stored), int(duplicates), int(rejected)


def _copy_ceiling(cluster: LocalPostgres, database: AuditDatabase, path: Path) -> float:
    output = psql(
        cluster,
        database,
        ["\\timing on", f"\\copy audit.events ({', '.join(COPY_COLUMNS)}) FROM '{path}'"],
    )
    timings = _TIMING.findall(output)
    if len(timings) != 1:
        raise RuntimeError(f"psql printed no timing for \\copy: {output!r}")
    return float(timings[0]) / 1000


def run_ingest(
    cluster: LocalPostgres,
    database: AuditDatabase,
    sizes: list[int],
    repeats: int,
    log_path: Path,
    say: Any,
) -> IngestResult:
    subscriber = Subscriber(database, log_path)
    results = []
    try:
        # Warm up: import-time work, the connection and its staging table.
        warm = envelope_bodies(100, seed=1)
        subscriber.invoke(sqs_event(warm, seed=1))
        with tempfile.TemporaryDirectory(prefix="audit-bench-") as folder:
            for size in sizes:
                results.append(
                    _run_size(cluster, database, subscriber, size, repeats, Path(folder), say)
                )
    finally:
        subscriber.close()
        _reset(database)
    return IngestResult(repeats, results)


def _run_size(
    cluster: LocalPostgres,
    database: AuditDatabase,
    subscriber: Subscriber,
    size: int,
    repeats: int,
    folder: Path,
    say: Any,
) -> BatchResult:
    bodies = envelope_bodies(size, seed=size)
    event = sqs_event(bodies, seed=size)
    copy_file = folder / f"rows-{size}.copy"
    copy_file.write_text(ceiling_rows(bodies, subscriber.handler.settings()), encoding="utf-8")
    result = BatchResult(size, sum(len(body.encode("utf-8")) for body in bodies) / size)
    for repeat in range(repeats):
        copy_first = repeat % 2 == 0
        for step in ("copy", "subscriber") if copy_first else ("subscriber", "copy"):
            _reset(database)
            if step == "copy":
                result.copy_seconds.append(_copy_ceiling(cluster, database, copy_file))
                _expect(database, (size, 0, 0), "the COPY ceiling")
            else:
                result.subscriber_seconds.append(subscriber.invoke(event))
                _expect(database, (size, 0, 0), "the subscriber")
                result.redelivery_seconds.append(subscriber.invoke(event))
                _expect(database, (size, size, 0), "the re-delivery")
        result.parse_seconds.append(subscriber.parse_only(bodies))
        say(
            f"ingest {size}: copy {result.copy_seconds[-1]:.3f} s, subscriber "
            f"{result.subscriber_seconds[-1]:.3f} s, re-delivery "
            f"{result.redelivery_seconds[-1]:.3f} s, parsing {result.parse_seconds[-1]:.3f} s"
        )
    return result


def _expect(database: AuditDatabase, expected: tuple[int, int, int], what: str) -> None:
    found = _counts(database)
    if found != expected:
        raise RuntimeError(
            f"after {what}: stored, duplicates, rejected = {found}, expected {expected}"
        )


def profile_subscriber(database: AuditDatabase, size: int, log_path: Path) -> io.StringIO:
    """Return pyinstrument's text profile of one subscriber invocation on `size` new events."""
    from pyinstrument import Profiler

    subscriber = Subscriber(database, log_path)
    try:
        bodies = envelope_bodies(size, seed=size)
        event = sqs_event(bodies, seed=size)
        subscriber.invoke(sqs_event(envelope_bodies(100, seed=1), seed=1))
        _reset(database)
        profiler = Profiler(interval=0.0005)
        profiler.start()
        subscriber.invoke(event)
        profiler.stop()
        return io.StringIO(profiler.output_text(unicode=False, color=False, show_all=False))
    finally:
        subscriber.close()
        _reset(database)
