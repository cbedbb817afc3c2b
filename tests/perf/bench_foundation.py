"""Benchmark of the foundation: task completions over the HTTP API vs. bare SpiffWorkflow, and the task list.

Starts Baton as an operator would (temporary folder, SQLite, its own Redis, `flask --app wsgi init-db`,
users and tokens from the CLI, gunicorn), deploys a generated 10-user-task process, drives N instances
with one client and then two client processes at once, runs the bare SpiffWorkflow loop on the same
model, fills the database with open tasks and times the task list. Prints a table with the machine,
every figure and the issue's targets (PASS/MISS). Exit status 0 unless the run itself failed.

    .venv/bin/python tests/perf/bench_foundation.py [--instances 200] [--tasklist-rows 100000] [--profile]
"""

from __future__ import annotations

import argparse
import multiprocessing
import queue
import shlex
import signal
import sys
import time
import traceback
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))  # perfkit
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the project (bpmn, server)

from perfkit.bare import bare_spiff, engine_layer
from perfkit.client import Client, client_process, drive
from perfkit.launch import Baton
from perfkit.model import GROUP, PROCESS_ID, sequential_user_tasks
from perfkit.report import MAX_COMPLETION_P95_MS, MAX_LIST_P95_MS, MIN_COMPLETIONS_PER_S, Report
from perfkit.seed import analyze, group_name, seed_open_tasks
from perfkit.stats import Run, merge
from perfkit.tasklist import PATH, time_task_list

ADMIN = "admin@bench.test"
CLIENTS = ("client-1@bench.test", "client-2@bench.test")
LIST_ONE = "lister-one@bench.test"  # in one of the many groups (~rows/groups tasks)
LIST_ALL = "lister-all@bench.test"  # in the group that holds every task
SHARED_GROUP = "everyone"
WARMUP_INSTANCES = 5


def log(msg: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", flush=True)


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--instances", type=int, default=200, help="instances per client (default 200)")
    p.add_argument("--tasks", type=int, default=10, help="user tasks in the process (default 10)")
    p.add_argument("--tasklist-rows", type=int, default=100_000, help="open tasks to insert (0 skips)")
    p.add_argument("--groups", type=int, default=200, help="groups the open tasks are spread over")
    p.add_argument("--list-requests", type=int, default=200, help="timed task-list requests per user")
    p.add_argument("--server", choices=("sync", "gthread"), default="sync",
                   help="gunicorn worker class: sync (the README's scale-out command; default) or gthread "
                        "(--threads per process; `make run` starts it with 4)")
    p.add_argument("--web-workers", type=int, default=2, help="gunicorn worker processes (default 2)")
    p.add_argument("--threads", type=int, default=4, help="threads per gthread worker (default 4)")
    p.add_argument("--profile", action="store_true", help="also profile completions in process (cProfile)")
    p.add_argument("--keep", action="store_true", help="keep the temporary folder (database, logs)")
    return p.parse_args()


def two_clients(baton: Baton, instances: int) -> tuple[Run, list[Run]]:
    """Two client processes, each its own user and instances, released together by a barrier."""
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(len(CLIENTS))
    results = ctx.Queue()
    procs = [
        ctx.Process(target=client_process, args=(baton.port, baton.tokens[email], PROCESS_ID, instances,
                                                 (i + 1) * 1_000_000, WARMUP_INSTANCES, barrier, results))
        for i, email in enumerate(CLIENTS)
    ]
    for proc in procs:
        proc.start()
    answers: list[tuple[Any, ...]] = []
    try:
        while len(answers) < len(procs):
            try:
                answers.append(results.get(timeout=1))
            except queue.Empty:
                if not any(proc.is_alive() for proc in procs) and results.empty():
                    raise RuntimeError("a client process died without a result") from None
    finally:
        for proc in procs:
            proc.join(timeout=10 if len(answers) == len(procs) else 0.1)
            if proc.is_alive():
                proc.terminate()
                proc.join(timeout=5)
    errors = [a[1] for a in answers if a[0] == "error"]
    if errors:
        raise RuntimeError("a client failed: " + "; ".join(errors))
    runs = [Run(f"2 clients: client {i + 1}", a[3], a[4], a[2] - a[1], a[5]) for i, a in enumerate(answers)]
    wall = max(a[2] for a in answers) - min(a[1] for a in answers)
    return merge("2 clients: combined", runs, wall), runs


def benchmark(args: argparse.Namespace, baton: Baton, report: Report) -> None:
    xml = sequential_user_tasks(args.tasks)
    log("starting Baton in " + str(baton.folder))
    baton.start_redis()
    baton.cli("init-db")
    baton.user(ADMIN, ("admin",))
    for email in CLIENTS:
        baton.user(email, ("participant",), (GROUP,))
    baton.user(LIST_ONE, ("participant",), (group_name(7),))
    baton.user(LIST_ALL, ("participant",), (SHARED_GROUP,))
    baton.start_web(args.web_workers, threads=args.threads, worker_class=args.server)
    command = " ".join(shlex.quote(c) for c in baton.server_cmd)
    log("web server: " + command)
    report.notes += [
        f"server:       {command}",
        f"redis:        {baton.redis_note}",
        f"database:     SQLite (WAL) in {baton.folder}",
        f"process:      {args.tasks} sequential user tasks, one long field each, candidate group {GROUP!r}; "
        f"{args.instances} instances per client",
    ]

    admin = Client(baton.port, baton.tokens[ADMIN])
    deployed = admin.upload("/api/v1/deployments", {"bench.bpmn": xml})
    admin.close()
    log(f"deployed {[p['id'] for p in deployed['processes']]} (deployment {deployed['id']})")

    client = Client(baton.port, baton.tokens[CLIENTS[0]])
    drive(client, PROCESS_ID, WARMUP_INSTANCES, 10_000_000)
    log(f"1 client: {args.instances} instances ...")
    one = drive(client, PROCESS_ID, args.instances)
    client.close()
    one = Run("Baton HTTP, 1 client", one.instances, one.completions, one.wall_s, one.latencies_s)
    report.runs.append(one)
    log(f"  {one.completions_per_s:.1f} completions/s, p95 {one.ms('p95'):.2f} ms")

    log(f"2 clients (processes): {args.instances} instances each ...")
    combined, each = two_clients(baton, args.instances)
    report.runs += [*each, combined]
    log(f"  {combined.completions_per_s:.1f} completions/s combined, p95 {combined.ms('p95'):.2f} ms")

    log(f"bare SpiffWorkflow: {args.instances} instances ...")
    bare = bare_spiff(xml, args.instances)
    report.runs.append(bare)
    try:
        report.runs.append(engine_layer(xml, args.instances))
    except Exception as exc:  # the engine layer is informative only
        report.notes.append(f"engine layer loop not measured: {type(exc).__name__}: {exc}")

    report.check(f"1 client >= {MIN_COMPLETIONS_PER_S:.0f} completions/s",
                 f"{one.completions_per_s:.1f}/s", one.completions_per_s >= MIN_COMPLETIONS_PER_S)
    report.check(f"1 client completion p95 <= {MAX_COMPLETION_P95_MS:.0f} ms",
                 f"{one.ms('p95'):.2f} ms", one.ms("p95") <= MAX_COMPLETION_P95_MS)
    report.check("2 clients combined >= 1 client (completions/s)",
                 f"{combined.completions_per_s:.1f}/s vs {one.completions_per_s:.1f}/s",
                 combined.completions_per_s >= one.completions_per_s)
    report.notes.append(
        f"Baton/bare:   completions/s x{one.completions_per_s / bare.completions_per_s:.2f}, "
        f"p95 x{one.ms('p95') / bare.ms('p95'):.2f} (1 client vs bare SpiffWorkflow, spec in its JSON)"
    )

    if args.tasklist_rows > 0:
        log(f"inserting {args.tasklist_rows} open tasks over {args.groups} groups (+ one group with all) ...")
        took = seed_open_tasks(baton.env["DATABASE_URL"], args.tasklist_rows, args.groups, SHARED_GROUP)
        log(f"  inserted in {took:.1f} s")
        per = args.tasklist_rows // args.groups
        cases = [(LIST_ONE, f"user in 1 of {args.groups} groups (~{per} tasks)"),
                 (LIST_ALL, f"user in the group holding all {args.tasklist_rows}")]
        for email, label in cases:
            timing = time_task_list(baton.port, baton.tokens[email], label, args.list_requests)
            report.lists.append(timing)
            report.check(f"task list p95 <= {MAX_LIST_P95_MS:.0f} ms: {label}", f"{timing.ms(95):.2f} ms",
                         timing.ms(95) <= MAX_LIST_P95_MS)
            log(f"  {label}: p95 {timing.ms(95):.2f} ms, X-Total-Count {timing.total}")
        # Informative: the same list when the client insists on an exact total (?count=exact).
        report.lists.append(time_task_list(baton.port, baton.tokens[LIST_ALL], cases[1][1] + ", ?count=exact",
                                           max(20, args.list_requests // 5), path=PATH + "&count=exact"))
        analyze(baton.env["DATABASE_URL"])
        for email, label in cases:  # informative: what planner statistics would change
            report.lists.append(time_task_list(baton.port, baton.tokens[email], label + ", after ANALYZE",
                                               args.list_requests))

    if args.profile:
        from perfkit.profile import profile_completions

        log("profiling completions in process (Flask test client + cProfile) ...")
        print(profile_completions(baton.env, baton.tokens[CLIENTS[0]], min(args.instances, 50)), flush=True)


def main() -> int:
    args = parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # a kill still runs the cleanup below
    signal.signal(signal.SIGINT, signal.default_int_handler)  # Ctrl-C, even when started in background
    report = Report()
    baton = Baton(keep=args.keep)
    failed = False
    try:
        benchmark(args, baton, report)
    except KeyboardInterrupt:
        log("interrupted")
        failed = True
    except Exception:
        traceback.print_exc()
        web_log = baton.folder / "web.log"
        if web_log.exists():
            print("---- web server log (tail) ----\n" + web_log.read_text(errors="replace")[-3000:])
        failed = True
    finally:
        baton.stop()
        if args.keep:
            log(f"kept {baton.folder}")
    if report.runs:
        print(report.render(), flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
