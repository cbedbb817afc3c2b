"""Latency figures: mean and nearest-rank percentiles, in milliseconds."""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass


def percentile(sorted_values: list[float], p: float) -> float:
    """Nearest-rank percentile of an ascending list (p in 0..100)."""
    if not sorted_values:
        return float("nan")
    rank = max(1, math.ceil(p / 100 * len(sorted_values)))
    return sorted_values[rank - 1]


@dataclass(frozen=True)
class Run:
    """One measured loop: how many instances and completions, over what wall time, each latency."""

    label: str
    instances: int
    completions: int
    wall_s: float
    latencies_s: list[float]

    @property
    def instances_per_s(self) -> float:
        return self.instances / self.wall_s if self.wall_s else float("nan")

    @property
    def completions_per_s(self) -> float:
        """Completions over the whole wall time (starting the instances included)."""
        return self.completions / self.wall_s if self.wall_s else float("nan")

    def ms(self, what: str) -> float:
        values = sorted(self.latencies_s)
        if not values:
            return float("nan")
        if what == "mean":
            return statistics.fmean(values) * 1000
        return percentile(values, float(what[1:])) * 1000


def merge(label: str, runs: list[Run], wall_s: float) -> Run:
    """Several clients' runs as one, over the wall time they shared."""
    return Run(
        label,
        sum(r.instances for r in runs),
        sum(r.completions for r in runs),
        wall_s,
        [x for r in runs for x in r.latencies_s],
    )
