"""Each benchmark section: run it, then write its block of the report."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks import report
from benchmarks.cluster import bench_database, server_version, settings_line
from benchmarks.machine import Machine, describe_machine
from benchmarks.stats import median

INGEST_TARGET_RATIO = 0.6


@dataclass
class Run:
    """One invocation of the benchmarks: where to write, and what ran."""

    command: str
    label: str
    output: Path
    work_dir: Path
    profile: bool
    machine: Machine | None = field(default=None)

    def say(self, message: str) -> None:
        print(message, flush=True)

    def describe(self, database: Any) -> Machine:
        if self.machine is None:
            self.machine = describe_machine(server_version(database))
        return self.machine

    def write(
        self,
        section: str,
        heading: str,
        body: str,
        elapsed: float,
        machine: Machine | None = None,
    ) -> None:
        """Write one section's block; `machine` describes a section without PostgreSQL."""
        described = machine or self.machine
        assert described is not None
        header = "\n".join(
            [
                f"Command: `{self.command}` ({self.label} size; this section took {elapsed:.0f} s)",
                "",
                *described.lines(),
                *([] if machine else [settings_line()]),
            ]
        )
        report.write_block(self.output, self.label, section, heading, f"{header}\n\n{body}")
        self.say(f"bench: wrote the {section} results ({self.label}) to {self.output}")


# -- ingest -------------------------------------------------------------------------


def run_ingest(run: Run, plan: Any) -> None:
    from benchmarks.ingest import profile_subscriber
    from benchmarks.ingest import run_ingest as measure

    started = time.monotonic()
    with bench_database() as (cluster, database):
        run.describe(database)
        log_path = run.work_dir / "ingest-subscriber.log"
        result = measure(cluster, database, list(plan.batches), plan.repeats, log_path, run.say)
        if run.profile:
            profile = profile_subscriber(database, max(plan.batches), log_path)
            path = run.work_dir / f"profile-ingest-{max(plan.batches)}.txt"
            path.write_text(profile.getvalue(), encoding="utf-8")
            run.say(f"bench: wrote {path}")
    rows = []
    for batch in result.batches:
        ratios = batch.ratios
        rows.append(
            [
                report.count(batch.size),
                f"{batch.body_bytes:.0f}",
                report.count(batch.rate(batch.copy_seconds)),
                report.count(batch.rate(batch.subscriber_seconds)),
                f"{median(ratios):.2f} ({min(ratios):.2f} to {max(ratios):.2f})",
                report.count(batch.rate(batch.redelivery_seconds)),
                f"{median(batch.parse_seconds) * 1e6 / batch.size:.0f}",
            ]
        )
    body = "\n\n".join(
        [
            f"Medians of {result.repeats} repetitions; events per second (higher is better). "
            "The ratio is subscriber events/s over COPY events/s, computed per repetition "
            f"(median, then min to max); the target is {INGEST_TARGET_RATIO} or better at "
            "10,000.",
            report.table(
                [
                    "batch",
                    "body bytes (mean)",
                    "COPY ceiling ev/s",
                    "subscriber ev/s",
                    "subscriber / COPY",
                    "re-delivery ev/s",
                    "parsing µs/event",
                ],
                rows,
            ),
        ]
    )
    run.write("ingest", "## Ingest", body, time.monotonic() - started)


# -- query ----------------------------------------------------------------------------

FIRST_PAGE_TARGET_MS = 20.0
DEEP_PAGE_TARGET_RATIO = 1.5


def run_query(run: Run, plan: Any) -> None:
    from benchmarks import query, query_data

    started = time.monotonic()
    with bench_database() as (_, database):
        run.describe(database)
        data = query_data.generate(database, plan.events, run.say)
        run.say(
            f"query: {data.events:,} events, {data.table_bytes / 2**30:.1f} GiB, "
            f"in {data.seconds:.0f} s"
        )
        query.check_cursor_walk(database, data)
        plans = query.explain_plans(database, data)
        populations, skipped = query.measure(
            database, data, plan.query_samples, plan.count_samples, run.say
        )
    body = "\n\n".join(
        [
            _data_paragraph(data, skipped),
            _targets_paragraph(populations),
            *(_latency_table(name, timings) for name, timings in populations.items()),
            _deep_page_table(populations),
            _plans_table(plans),
        ]
    )
    run.write("query", "## Query", body, time.monotonic() - started)


def _data_paragraph(data: Any, skipped: int) -> str:
    from benchmarks import query

    return (
        f"{data.events:,} events generated inside PostgreSQL in {data.seconds:.0f} s "
        f"(benchmarks/query_data.py), from {data.start:%Y-%m-%d} to {data.end:%Y-%m-%d}. "
        "They belong to 100 tenants (the largest has about 15%, the smallest about 0.2%) and "
        "fill six monthly "
        f"partitions of the {data.partitions} that pg_partman keeps (retention, future months "
        f"and the default partition), {data.table_bytes / 2**30:.1f} GiB with indexes. "
        "Each sample draws a tenant, "
        f"a window of {query.WINDOW.days} days ending in the last 60 days of data, and "
        "filter values: an actor id (most users are rare), an action prefix, a target id "
        "(a few events each). Page 100 uses "
        f"{query.DEEP_WINDOW.days}-day windows, so that small tenants have 5,000 rows; "
        f"{skipped} draws with fewer were skipped. Pages hold {query.PAGE_SIZE} events and "
        "the query asks for one more, as the resolver does. Latencies in milliseconds."
    )


def _verdict(met: bool) -> str:
    return "met" if met else "missed"


def _targets_paragraph(populations: dict[str, Any]) -> str:
    lines = []
    for name, timings in populations.items():
        first = timings.latency("database", "first_page")
        deep = timings.latency("database", "deep_page")
        deep_first = report_latency(timings.deep_first)
        if first is None or deep is None or deep_first is None:
            continue
        median_ratio = deep.p50 / deep_first.p50
        tail_ratio = deep.p99 / deep_first.p99
        within = max(median_ratio, tail_ratio) <= DEEP_PAGE_TARGET_RATIO
        lines.append(
            f"- {name}: first page p99 at the database {report.ms(first.p99)} ms, target "
            f"under {FIRST_PAGE_TARGET_MS:.0f} ms: {_verdict(first.p99 < FIRST_PAGE_TARGET_MS)}. "
            f"Page 100 by cursor takes {median_ratio:.2f} times page 1 of the same windows at "
            f"p50 ({report.ms(deep.p50)} against {report.ms(deep_first.p50)} ms) and "
            f"{tail_ratio:.2f} times at p99 ({report.ms(deep.p99)} against "
            f"{report.ms(deep_first.p99)} ms), target at most {DEEP_PAGE_TARGET_RATIO} times: "
            f"{_verdict(within)}."
        )
    return "Targets:\n\n" + "\n".join(lines)


def report_latency(seconds: list[float]) -> Any:
    from benchmarks.stats import Latency

    return Latency.of(seconds) if seconds else None


def _latency_table(population: str, timings: Any) -> str:
    from benchmarks import query

    rows = []
    for label, kind in query.KINDS:
        database = timings.latency("database", kind)
        resolver = timings.latency("resolver", kind)
        cells = [label, str(database.samples if database else 0)]
        for latency in (database, resolver):
            if latency is None:
                cells += ["n/a", "n/a", "n/a"]
            else:
                cells += [report.ms(latency.p50), report.ms(latency.p95), report.ms(latency.p99)]
        rows.append(cells)
    header = [
        "query",
        "samples",
        "db p50",
        "db p95",
        "db p99",
        "resolver p50",
        "resolver p95",
        "resolver p99",
    ]
    return f"{population.capitalize()}:\n\n" + report.table(header, rows)


def _deep_page_table(populations: dict[str, Any]) -> str:
    rows = []
    for name, timings in populations.items():
        first = report_latency(timings.deep_first)
        deep = timings.latency("database", "deep_page")
        offset = timings.latency("database", "offset_page")
        if first is None or deep is None or offset is None:
            continue
        rows.append(
            [
                name,
                report.ms(first.p50),
                report.ms(deep.p50),
                report.ms(offset.p50),
                f"{deep.p50 / first.p50:.2f}",
                f"{offset.p50 / first.p50:.1f}",
            ]
        )
    return (
        "Page 100 against page 1 of the same samples, at the database (p50 in ms, and "
        "ratios to page 1):\n\n"
        + report.table(
            [
                "population",
                "page 1",
                "page 100 by cursor",
                "page 100 by OFFSET",
                "cursor / page 1",
                "OFFSET / page 1",
            ],
            rows,
        )
    )


def _plans_table(plans: list[tuple[str, Any]]) -> str:
    rows = [
        [
            label,
            summary.shape(),
            ", ".join(summary.indexes) or "none",
            f"{summary.partitions_scanned} of {summary.partitions_total}",
            report.count(summary.rows_read),
            report.count(summary.buffers),
            report.ms(summary.execution_ms),
        ]
        for label, summary in plans
    ]
    return (
        "Plans for the largest tenant, from EXPLAIN (ANALYZE, BUFFERS) as the reader role; "
        "rows read counts the rows the scans returned or filtered out, buffers the shared "
        "blocks hit or read:\n\n"
        + report.table(
            [
                "query",
                "plan nodes",
                "indexes",
                "partitions scanned",
                "rows read",
                "buffers",
                "execution ms",
            ],
            rows,
        )
    )


# -- cold start -----------------------------------------------------------------------


def run_cold_start(run: Run, plan: Any) -> None:
    from benchmarks.cold_start import run_cold_starts

    started = time.monotonic()
    # Cold starts use no database, so this section's block names none.
    machine = describe_machine("PostgreSQL not used")
    results = run_cold_starts(plan.cold_runs, run.say, run.work_dir if run.profile else None)
    rows = []
    for result in results:
        target = result.function.target_ms
        rows.append(
            [
                result.function.name,
                report.ms(result.bytecode_median),
                report.ms(result.source_median),
                report.ms(median(result.process_ms)),
                f"under {target:.0f}: {_verdict(result.bytecode_median < target)} "
                f"(without bytecode: {_verdict(result.source_median < target)})",
                f"{result.installed_bytes / 2**20:.1f}",
                f"{result.zip_bytes / 2**20:.1f}",
                f"{result.source_zip_bytes / 2**20:.1f}",
            ]
        )
    body = "\n\n".join(
        [
            f"Median of {plan.cold_runs} fresh processes per function, in milliseconds: the "
            "import of the handler module and its once-per-container work (settings; for the "
            "GraphQL API also the schema, the cursor key and the connection holder), timed "
            "inside the process. Each zip is built by scripts/package_functions.py and "
            "unpacked. As deployed, the zip's .pyc files are loaded; without bytecode, the "
            "same zip built with --no-bytecode, every module is compiled at each cold start "
            "because /var/task is read-only. The process column is the whole interpreter run "
            "as deployed, start-up included. Unpacked MiB is the deployed zip's content.",
            report.table(
                [
                    "function",
                    "as deployed",
                    "without bytecode",
                    "process",
                    "target ms",
                    "unpacked MiB",
                    "zip MiB",
                    "zip without bytecode MiB",
                ],
                rows,
            ),
        ]
    )
    run.write("cold-start", "## Cold start", body, time.monotonic() - started, machine)


# -- end to end -----------------------------------------------------------------------


def run_end_to_end(run: Run, plan: Any) -> None:
    from benchmarks.end_to_end import run_end_to_end as measure
    from benchmarks.stats import Latency

    started = time.monotonic()
    if run.machine is None:
        run.machine = describe_machine("PostgreSQL 15 of scripts/localpg.py")
    result = measure(plan.e2e_samples, run.say)
    rows = []
    for label, values in (
        ("PutEvents call", result.put_seconds),
        ("PutEvents to stored", result.stored_seconds),
        ("PutEvents to returned by the API", result.returned_seconds),
    ):
        latency = Latency.of(values)
        rows.append(
            [label, report.ms(latency.p50), report.ms(latency.p95), report.ms(latency.maximum)]
        )
    body = "\n\n".join(
        [
            f"{plan.e2e_samples} events published one at a time on the local stack "
            "(scripts/stack.py's LocalService on free ports: moto, the subscriber behind "
            "scripts/poller.py with batches of up to 10 and no batching window, the GraphQL "
            "server behind the JWT authorizer). The benchmark polls the database every 5 ms "
            "until the event is stored, then reads it through the API over HTTP; in "
            "milliseconds from the start of the PutEvents call.",
            report.table(["step", "p50", "p95", "max"], rows),
        ]
    )
    run.write("end-to-end", "## End to end", body, time.monotonic() - started)


RUNNERS: dict[str, Callable[[Run, Any], None]] = {
    "ingest": run_ingest,
    "query": run_query,
    "cold-start": run_cold_start,
    "end-to-end": run_end_to_end,
}
