"""Run the benchmarks and write their results into docs/benchmarks.md.

    python -m benchmarks                       # small: a few minutes
    python -m benchmarks --size full           # 10 million events for the query benchmark
    python -m benchmarks --only ingest --repeats 9

`make bench` runs the first form and `make bench BENCH_SIZE=full` the second;
BENCH_ARGS passes further flags. Each section starts its own throwaway
PostgreSQL (and, for end-to-end, the local stack on free ports) and stops
it afterwards.
"""

from __future__ import annotations

import argparse
import shlex
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path

from benchmarks import sections
from benchmarks.machine import ROOT

SECTIONS = ("ingest", "query", "cold-start", "end-to-end")


@dataclass(frozen=True)
class Plan:
    """How much of each benchmark to run."""

    batches: tuple[int, ...]
    repeats: int
    events: int
    query_samples: int
    count_samples: int
    cold_runs: int
    e2e_samples: int


PLANS = {
    "small": Plan(
        batches=(1_000, 10_000),
        repeats=3,
        events=500_000,
        query_samples=100,
        count_samples=20,
        cold_runs=10,
        e2e_samples=20,
    ),
    "full": Plan(
        batches=(1_000, 10_000),
        repeats=7,
        events=10_000_000,
        query_samples=400,
        count_samples=60,
        cold_runs=10,
        e2e_samples=100,
    ),
}


def _positive_ints(text: str) -> tuple[int, ...]:
    values = tuple(int(part) for part in text.split(",") if part)
    if not values or min(values) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a comma-separated list of positive ints")
    return values


def parse_arguments(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks", description=__doc__.splitlines()[0]
    )
    parser.add_argument(
        "--size", choices=sorted(PLANS), default="small", help="preset sizes (default: small)"
    )
    parser.add_argument(
        "--only",
        type=lambda text: tuple(text.split(",")),
        default=SECTIONS,
        help=f"comma-separated sections to run, of {', '.join(SECTIONS)} (default: all)",
    )
    parser.add_argument("--batches", type=_positive_ints, help="ingest: SQS batch sizes")
    parser.add_argument("--repeats", type=int, help="ingest: repetitions per batch size")
    parser.add_argument("--events", type=int, help="query: events to generate")
    parser.add_argument("--query-samples", type=int, help="query: timed queries per kind")
    parser.add_argument("--count-samples", type=int, help="query: timed counts by day")
    parser.add_argument("--cold-runs", type=int, help="cold start: fresh processes per function")
    parser.add_argument("--e2e-samples", type=int, help="end to end: events published one by one")
    parser.add_argument(
        "--profile",
        action="store_true",
        help="also write pyinstrument profiles to .local/bench/ (needs pyinstrument)",
    )
    parser.add_argument(
        "--output",
        type=Path,
        default=ROOT / "docs" / "benchmarks.md",
        help="report to update (default: docs/benchmarks.md)",
    )
    args = parser.parse_args(argv)
    unknown = set(args.only) - set(SECTIONS)
    if unknown:
        parser.error(f"unknown section {', '.join(sorted(unknown))}; use {', '.join(SECTIONS)}")
    return args


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = parse_arguments(argv)
    plan = PLANS[args.size]
    overrides = {
        "batches": args.batches,
        "repeats": args.repeats,
        "events": args.events,
        "query_samples": args.query_samples,
        "count_samples": args.count_samples,
        "cold_runs": args.cold_runs,
        "e2e_samples": args.e2e_samples,
    }
    overrides = {name: value for name, value in overrides.items() if value is not None}
    # A run with changed sizes gets blocks of its own, so it never replaces a preset's.
    label = args.size if not overrides else "custom"
    plan = replace(plan, **overrides)
    command = "python -m benchmarks " + shlex.join(argv) if argv else "python -m benchmarks"
    run = sections.Run(
        command=command.strip(),
        label=label,
        output=args.output,
        work_dir=ROOT / ".local" / "bench",
        profile=args.profile,
    )
    run.work_dir.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    for section in SECTIONS:
        if section in args.only:
            sections.RUNNERS[section](run, plan)
    run.say(f"bench: done in {time.monotonic() - started:.0f} s; results in {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
