"""The closing table: the machine, every figure, the targets with PASS or MISS (measured, not asserted)."""

from __future__ import annotations

import os
import platform
import sqlite3
from dataclasses import dataclass, field

from perfkit.stats import Run
from perfkit.tasklist import ListTiming

# The targets.
MIN_COMPLETIONS_PER_S = 200.0
MAX_COMPLETION_P95_MS = 10.0
MAX_LIST_P95_MS = 5.0


def load_average() -> str:
    try:
        return "{:.2f} {:.2f} {:.2f}".format(*os.getloadavg())
    except OSError:
        return "n/a"


def machine(load_at_start: str) -> list[tuple[str, str]]:
    model = "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:
        cpus = os.cpu_count() or 0
    return [
        ("machine", f"{platform.machine()}, {cpus} CPUs (nproc), {model}"),
        ("python", f"{platform.python_implementation()} {platform.python_version()}, "
                   f"SQLite {sqlite3.sqlite_version}"),
        ("load average", f"{load_at_start} at the start, {load_average()} at the end (1/5/15 min; "
                         "other work on the machine skews every figure)"),
    ]


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


@dataclass
class Report:
    """Figures collected during the run, printed together at the end."""

    runs: list[Run] = field(default_factory=list)
    lists: list[ListTiming] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    checks: list[tuple[str, str, str]] = field(default_factory=list)
    load_at_start: str = field(default_factory=load_average)

    def run_table(self) -> list[str]:
        head = f"  {'loop':<34} {'inst':>5} {'compl':>6} {'inst/s':>8} {'compl/s':>8} " \
               f"{'mean':>7} {'p50':>7} {'p95':>7} {'p99':>7}  (ms)"
        lines = [head]
        for r in self.runs:
            lines.append(
                f"  {r.label:<34} {r.instances:>5} {r.completions:>6} {r.instances_per_s:>8.1f} "
                f"{r.completions_per_s:>8.1f} {r.ms('mean'):>7.2f} {r.ms('p50'):>7.2f} {r.ms('p95'):>7.2f} "
                f"{r.ms('p99'):>7.2f}"
            )
        return lines

    def list_table(self) -> list[str]:
        lines = [f"  {'task list (GET /api/v1/tasks?state=open&limit=50)':<58} {'X-Total':>8} {'rows':>5} "
                 f"{'p50':>7} {'p95':>7} {'max':>7}  (ms)"]
        for t in self.lists:
            lines.append(f"  {t.label:<58} {t.total:>8} {t.rows:>5} {t.ms(50):>7.2f} {t.ms(95):>7.2f} "
                         f"{t.ms(100):>7.2f}")
        return lines

    def check(self, what: str, figure: str, ok: bool) -> None:
        self.checks.append((what, figure, verdict(ok)))

    def render(self) -> str:
        width = 100
        out = ["", "=" * width, "Baton foundation benchmark", "=" * width]
        out += [f"  {k:<13} {v}" for k, v in machine(self.load_at_start)]
        out += [f"  {n}" for n in self.notes]
        out += ["", *self.run_table()]
        if self.lists:
            out += ["", *self.list_table()]
        out += ["", "  Targets (issue #2, 'Speed'):"]
        out += [f"  [{v}] {what:<62} {figure}" for what, figure, v in self.checks]
        out.append("=" * width)
        return "\n".join(out)
