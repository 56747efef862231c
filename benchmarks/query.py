"""Query latency at the database and through the resolvers, on generated events.

At the database, each timed statement is the SQL the resolvers build
(graphql_api.queries) for a viewer. It runs as the API's reader role inside
the transaction the API opens, read-only and with audit.tenant_ids set for
row-level security, and only the statement itself is timed. Through the
resolvers, Ariadne executes a GraphQL document in-process with the API's
own schema, context and connection, so the time includes parsing,
validation, the tenant check, the transaction's round trips, cursors and
serialization. Read auditing is off (no AUDIT_BUS_NAME).
"""

from __future__ import annotations

import json
import os
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from local_database import AuditDatabase

from audit_common.times import format_utc
from benchmarks.query_data import (
    ACTIONS,
    TARGETS_PER_TYPE,
    TENANTS,
    USERS_PER_TENANT,
    DataSet,
    tenant_id,
)
from benchmarks.stats import Latency

PAGE_SIZE = 50
DEEP_PAGE = 100
WINDOW = timedelta(days=30)
# Page 100 needs 5,000 rows in the window, which small tenants have only over the
# longest window the API allows.
DEEP_WINDOW = timedelta(days=93)
VIEWER_HIDDEN_ACTIONS = ("audit_log.viewed",)
# The fields a typical client selects; `original` is null for viewers anyway.
NODE_PATHS = (
    "eventId",
    "occurredAt",
    "action",
    "outcome",
    "actor",
    "actor/type",
    "actor/id",
    "actor/name",
    "target",
    "target/type",
    "target/id",
    "target/name",
)
PREFIXES = ("user.", "user.role.", "invoice.", "object.", "ticket.escalated", "mfa.", "api_key.")
CURSOR_SECRET = "benchmark-cursor-secret-0123456789abcdef"  # noqa: S105 - a throwaway key

PAGE_QUERY = """
query Page($filter: AuditEventFilter!, $first: Int!, $after: String) {
  auditEvents(filter: $filter, first: $first, after: $after) {
    edges {
      cursor
      node {
        eventId occurredAt action outcome
        actor { type id name }
        target { type id name }
      }
    }
    pageInfo { hasNextPage endCursor }
  }
}
"""
COUNT_QUERY = """
query Counts($filter: AuditEventFilter!) {
  auditEventCounts(filter: $filter, groupBy: DAY) { key count }
}
"""

KINDS = (
    ("first page", "first_page"),
    ("page 100 by cursor", "deep_page"),
    ("page 100 by OFFSET", "offset_page"),
    ("actor filter", "actor"),
    ("action prefix", "action_prefix"),
    ("target filter", "target"),
    ("counts by day, 30 days", "counts"),
)


@dataclass
class Sample:
    """One drawn query: tenant, window and filter, as the API's filter argument."""

    tenant: str
    start: datetime
    end: datetime
    extra: dict[str, Any] = field(default_factory=dict)

    def event_filter(self) -> Any:
        from graphql_api.filters import EventFilter

        return EventFilter(
            tenant_id=self.tenant,
            start=self.start,
            end=self.end,
            actor_ids=tuple(self.extra.get("actorIds", ())),
            target_ids=tuple(self.extra.get("targetIds", ())),
            action_prefix=self.extra.get("actionPrefix"),
        )

    def variables(self) -> dict[str, Any]:
        return {
            "tenantId": self.tenant,
            "from": format_utc(self.start),
            "to": format_utc(self.end),
            **self.extra,
        }


@dataclass
class Timings:
    database: dict[str, list[float]] = field(default_factory=dict)
    resolver: dict[str, list[float]] = field(default_factory=dict)
    deep_first: list[float] = field(default_factory=list)

    def add(self, level: str, kind: str, seconds: float) -> None:
        getattr(self, level).setdefault(kind, []).append(seconds)

    def latency(self, level: str, kind: str) -> Latency | None:
        values = getattr(self, level).get(kind)
        return Latency.of(values) if values else None


@dataclass
class QueryResult:
    data: DataSet
    populations: dict[str, Timings]
    plans: list[tuple[str, dict[str, Any]]]
    deep_skipped: int


class Reader:
    """The reader role's connection, with the API's transaction around each statement."""

    def __init__(self, database: AuditDatabase) -> None:
        import pg8000.native

        self.connection = pg8000.native.Connection(
            database.reader.user,
            host=database.host,
            port=database.port,
            database=database.name,
            password=database.reader.password,
        )

    def timed(self, tenant: str, sql: str, params: dict[str, Any]) -> tuple[float, list[list]]:
        """Run one statement in the API's transaction; return its time and rows."""
        self.connection.run("BEGIN READ ONLY")
        try:
            self.connection.run(
                "SELECT set_config('audit.tenant_ids', CAST(:tenants AS text), true)",
                tenants=json.dumps([tenant]),
            )
            started = time.perf_counter()
            rows = self.connection.run(sql, **params)
            elapsed = time.perf_counter() - started
        finally:
            self.connection.run("COMMIT")
        return elapsed, rows

    def close(self) -> None:
        self.connection.close()


def _statements() -> Any:
    from graphql_api import queries

    return queries


def page_sql(sample: Sample, after: Any = None, offset: int = 0) -> tuple[str, dict[str, Any]]:
    queries = _statements()
    columns = queries.columns_for(NODE_PATHS)
    statement = queries.page_statement(
        sample.event_filter(), after, PAGE_SIZE + 1, columns, VIEWER_HIDDEN_ACTIONS
    )
    if not offset:
        return statement.sql, statement.params
    return f"{statement.sql} OFFSET CAST(:offset AS integer)", statement.params | {"offset": offset}


def count_sql(sample: Sample) -> tuple[str, dict[str, Any]]:
    statement = _statements().count_statement(
        sample.event_filter(), "day", 1000, VIEWER_HIDDEN_ACTIONS
    )
    return statement.sql, statement.params


class Resolvers:
    """The API's schema and resolvers in this process, as the reader role."""

    def __init__(self, database: AuditDatabase) -> None:
        os.environ.update(
            {
                **database.environment(database.reader),
                "ENVIRONMENT": "dev",
                "CURSOR_SECRET": CURSOR_SECRET,
            }
        )
        os.environ.pop("AUDIT_BUS_NAME", None)
        from ariadne import graphql_sync

        from graphql_api import context
        from graphql_api.caller import Caller
        from graphql_api.schema import schema

        context.reset()
        self._graphql = graphql_sync
        self._context = context
        self._caller = Caller
        self._schema = schema

    def execute(self, tenant: str, query: str, variables: dict[str, Any]) -> tuple[float, Any]:
        caller = self._caller(subject="bench", tenants=frozenset({tenant}), role="viewer")
        started = time.perf_counter()
        request = self._context.request_context(caller)
        success, result = self._graphql(
            self._schema, {"query": query, "variables": variables}, context_value=request
        )
        elapsed = time.perf_counter() - started
        if not success or result.get("errors"):
            raise RuntimeError(f"the GraphQL query failed: {result.get('errors')}")
        return elapsed, result["data"]

    def cursor_for(self, sample: Sample, position: tuple[datetime, str]) -> str:
        """Return the cursor the API would give for a page ending at `position`."""
        from graphql_api.cursor import Position, encode_cursor

        binding = f"{sample.event_filter().fingerprint()}/{','.join(VIEWER_HIDDEN_ACTIONS)}"
        return encode_cursor(Position(*position), binding, self._context.cursor_key())

    def close(self) -> None:
        self._context.reset()


class Sampler:
    """Draws tenants, windows and filter values, reproducibly."""

    def __init__(self, data: DataSet, seed: int) -> None:
        self.data = data
        self.random = random.Random(seed)

    def window(self, length: timedelta) -> tuple[datetime, datetime]:
        # Windows end within the last 60 days of data, so they span one or two partitions.
        latest = self.data.end
        earliest_end = max(self.data.start + length, latest - timedelta(days=60))
        span = (latest - earliest_end).total_seconds()
        end = earliest_end + timedelta(seconds=self.random.uniform(0, span))
        return end - length, end

    def tenant(self, population: str) -> str:
        if population == "largest tenant":
            return tenant_id(1)
        return tenant_id(self.random.randint(1, TENANTS))

    def sample(self, population: str, kind: str) -> Sample:
        tenant = self.tenant(population)
        start, end = self.window(DEEP_WINDOW if kind == "deep_page" else WINDOW)
        extra: dict[str, Any] = {}
        if kind == "actor":
            extra["actorIds"] = [f"user-{self.random.randrange(USERS_PER_TENANT):05d}"]
        elif kind == "action_prefix":
            extra["actionPrefix"] = self.random.choice(PREFIXES)
        elif kind == "target":
            _, _, target_type = self.random.choice(ACTIONS)
            extra["targetIds"] = [f"{target_type}-{self.random.randrange(TARGETS_PER_TYPE):06d}"]
        return Sample(tenant, start, end, extra)


def _walk_to_deep_page(reader: Reader, sample: Sample) -> tuple[datetime, str] | None:
    """Follow keyset pages to the end of page 99; return its last key, or None if too short."""
    position = None
    for _ in range(DEEP_PAGE - 1):
        sql, params = page_sql(sample, position)
        _, rows = reader.timed(sample.tenant, sql, params)
        if len(rows) <= PAGE_SIZE:
            return None
        last = rows[PAGE_SIZE - 1]
        from graphql_api.cursor import Position

        position = Position(last[0], last[1])
    assert position is not None
    return position.occurred_at, position.event_id


def measure(
    database: AuditDatabase,
    data: DataSet,
    samples: int,
    count_samples: int,
    say: Callable[[str], None],
) -> tuple[dict[str, Timings], int]:
    reader = Reader(database)
    resolvers = Resolvers(database)
    sampler = Sampler(data, seed=2026)
    populations: dict[str, Timings] = {}
    skipped = 0
    try:
        # Warm up the connections, the plan cache of the catalog and the schema.
        for kind in ("first_page", "counts"):
            _run_one(reader, resolvers, sampler.sample("any tenant", kind), kind, Timings())
        for population in ("any tenant", "largest tenant"):
            timings = Timings()
            for kind in ("first_page", "actor", "action_prefix", "target", "counts", "deep_page"):
                wanted = count_samples if kind == "counts" else samples
                taken = 0
                attempts = 0
                started = time.monotonic()
                while taken < wanted and attempts < wanted * 5:
                    attempts += 1
                    if _run_one(reader, resolvers, sampler.sample(population, kind), kind, timings):
                        taken += 1
                    else:
                        skipped += 1
                say(
                    f"query: {population}, {kind}: {taken} samples in "
                    f"{time.monotonic() - started:.0f} s"
                )
            populations[population] = timings
    finally:
        reader.close()
        resolvers.close()
    return populations, skipped


def _run_one(
    reader: Reader, resolvers: Resolvers, sample: Sample, kind: str, timings: Timings
) -> bool:
    """Time one drawn query at both levels; return False if the tenant has too few rows."""
    variables = {"filter": sample.variables(), "first": PAGE_SIZE}
    if kind == "counts":
        sql, params = count_sql(sample)
        timings.add("database", kind, reader.timed(sample.tenant, sql, params)[0])
        timings.add(
            "resolver",
            kind,
            resolvers.execute(sample.tenant, COUNT_QUERY, {"filter": sample.variables()})[0],
        )
        return True
    if kind != "deep_page":
        sql, params = page_sql(sample)
        timings.add("database", kind, reader.timed(sample.tenant, sql, params)[0])
        timings.add("resolver", kind, resolvers.execute(sample.tenant, PAGE_QUERY, variables)[0])
        return True
    position = _walk_to_deep_page(reader, sample)
    if position is None:
        return False
    from graphql_api.cursor import Position

    sql, params = page_sql(sample, Position(*position))
    timings.add("database", "deep_page", reader.timed(sample.tenant, sql, params)[0])
    sql, params = page_sql(sample, offset=(DEEP_PAGE - 1) * PAGE_SIZE)
    timings.add("database", "offset_page", reader.timed(sample.tenant, sql, params)[0])
    sql, params = page_sql(sample)
    timings.deep_first.append(reader.timed(sample.tenant, sql, params)[0])
    cursor = resolvers.cursor_for(sample, position)
    seconds, _ = resolvers.execute(sample.tenant, PAGE_QUERY, variables | {"after": cursor})
    timings.add("resolver", "deep_page", seconds)
    return True


def check_cursor_walk(reader_db: AuditDatabase, data: DataSet) -> None:
    """Check that walking the API's cursors reaches the page the benchmark times directly."""
    reader = Reader(reader_db)
    resolvers = Resolvers(reader_db)
    try:
        sampler = Sampler(data, seed=7)
        sample = sampler.sample("largest tenant", "deep_page")
        position = _walk_to_deep_page(reader, sample)
        if position is None:
            return
        variables: dict[str, Any] = {"filter": sample.variables(), "first": PAGE_SIZE}
        for _ in range(DEEP_PAGE - 1):
            _, data_page = resolvers.execute(sample.tenant, PAGE_QUERY, variables)
            variables["after"] = data_page["auditEvents"]["pageInfo"]["endCursor"]
        if variables["after"] != resolvers.cursor_for(sample, position):
            raise RuntimeError("the cursor of page 99 differs from the benchmark's position")
    finally:
        reader.close()
        resolvers.close()


@dataclass(frozen=True)
class PlanSummary:
    """The shape of one EXPLAIN (ANALYZE, BUFFERS) plan."""

    nodes: list[str]
    indexes: list[str]
    partitions_scanned: int
    partitions_total: int
    rows_read: int
    rows_returned: int
    buffers: int
    execution_ms: float
    planning_ms: float

    def shape(self) -> str:
        return " > ".join(self.nodes)


def summarise_plan(explained: dict[str, Any], partitions_total: int) -> PlanSummary:
    nodes: list[str] = []
    indexes: list[str] = []
    relations: set[str] = set()
    rows_read = 0

    def visit(node: dict[str, Any]) -> None:
        nonlocal rows_read
        name = node["Node Type"]
        if name not in nodes:
            nodes.append(name)
        if "Index Name" in node:
            # Partition indexes are named after their partition; keep the part after it.
            index = node["Index Name"]
            generic = index.split("_", 3)[-1] if index.startswith("events_p") else index
            if generic not in indexes:
                indexes.append(generic)
        if "Relation Name" in node:
            relations.add(node["Relation Name"])
            loops = node.get("Actual Loops", 1)
            rows_read += (
                node.get("Actual Rows", 0) + node.get("Rows Removed by Filter", 0)
            ) * loops
        for child in node.get("Plans", []):
            visit(child)

    plan = explained["Plan"]
    visit(plan)
    return PlanSummary(
        nodes=nodes,
        indexes=indexes,
        partitions_scanned=len(relations),
        partitions_total=partitions_total,
        rows_read=int(rows_read),
        rows_returned=int(plan.get("Actual Rows", 0)),
        buffers=int(plan.get("Shared Hit Blocks", 0) + plan.get("Shared Read Blocks", 0)),
        execution_ms=float(explained.get("Execution Time", 0)),
        planning_ms=float(explained.get("Planning Time", 0)),
    )


def explain_plans(database: AuditDatabase, data: DataSet) -> list[tuple[str, PlanSummary]]:
    """EXPLAIN ANALYZE each kind of query once for the largest tenant, as the reader role."""
    from graphql_api.cursor import Position

    reader = Reader(database)
    sampler = Sampler(data, seed=11)
    summaries = []
    try:
        for label, kind in KINDS:
            sample = sampler.sample("largest tenant", kind)
            if kind == "counts":
                sql, params = count_sql(sample)
            elif kind == "deep_page":
                position = _walk_to_deep_page(reader, sample)
                if position is None:
                    continue
                sql, params = page_sql(sample, Position(*position))
            elif kind == "offset_page":
                sample = sampler.sample("largest tenant", "deep_page")
                sql, params = page_sql(sample, offset=(DEEP_PAGE - 1) * PAGE_SIZE)
            else:
                sql, params = page_sql(sample)
            _, rows = reader.timed(
                sample.tenant, f"EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) {sql}", params
            )
            summaries.append((label, summarise_plan(rows[0][0][0], data.partitions)))
    finally:
        reader.close()
    return summaries
