"""Summaries of repeated timings."""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass


def percentile(values: Sequence[float], fraction: float) -> float:
    """Return the nearest-rank percentile: the smallest value with `fraction` of all at or below."""
    if not values:
        raise ValueError("percentile of no values")
    ordered = sorted(values)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


@dataclass(frozen=True)
class Latency:
    """Percentiles of a sample of durations, in milliseconds."""

    samples: int
    p50: float
    p95: float
    p99: float
    maximum: float

    @classmethod
    def of(cls, seconds: Sequence[float]) -> Latency:
        millis = [value * 1000 for value in seconds]
        return cls(
            samples=len(millis),
            p50=percentile(millis, 0.50),
            p95=percentile(millis, 0.95),
            p99=percentile(millis, 0.99),
            maximum=max(millis),
        )


def median(values: Sequence[float]) -> float:
    return statistics.median(values)
