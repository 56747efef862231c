"""Each benchmark section: run it, then write its block of the report."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks import report
from benchmarks.cluster import bench_database, server_version
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

    def write(self, section: str, heading: str, body: str, elapsed: float) -> None:
        assert self.machine is not None
        header = "\n".join(
            [
                f"Command: `{self.command}` ({self.label} size; this section took {elapsed:.0f} s)",
                "",
                *self.machine.lines(),
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


RUNNERS: dict[str, Callable[[Run, Any], None]] = {
    "ingest": run_ingest,
}
