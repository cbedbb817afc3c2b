"""A small Baton cluster for timer tests: an app on a SQLite file, real `flask --app wsgi worker`
processes on it and the suite's Redis, and helpers to deploy, start and watch instances."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import psutil
import redis
import rq
from flask import Flask
from sqlalchemy import func, select

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).parent / "fixtures"
ADMIN = "admin@test.example"


def new_app(folder: Path, redis_url: str, **config: Any) -> tuple[Flask, str]:
    """An app on a fresh SQLite file in `folder`, migrated, with the admin; and its database URL."""
    from server import create_app, db_setup, people
    from server.db import db

    db_url = f"sqlite:///{folder / 'baton.sqlite3'}"
    app = create_app({"DATABASE_URL": db_url, "REDIS_URL": redis_url,
                      "INSTANCE_DIR": str(folder / "instance"), "SECRET_KEY": "test-secret",
                      "TESTING": True, "BATON_PASSWORD_HASH": "pbkdf2:sha256:1000", **config})
    db_setup.upgrade(app)
    with app.app_context():
        people.save_user(ADMIN, password="password-123", roles=("admin",))
        db.session.commit()
    return app, db_url


class Cluster:
    """The app (in this process) and the worker processes the test starts on its database."""

    def __init__(self, app: Flask, db_url: str, redis_url: str, folder: Path) -> None:
        self.app = app
        self.db_url = db_url
        self.redis_url = redis_url
        self.folder = folder
        self.redis: redis.Redis[bytes] = redis.Redis.from_url(redis_url)
        self.workers: list[subprocess.Popen[bytes]] = []
        self.logs: list[Path] = []

    # -- workers ---------------------------------------------------------------------------------

    def env(self, **extra: str) -> dict[str, str]:
        return {**os.environ, "DATABASE_URL": self.db_url, "REDIS_URL": self.redis_url,
                "BATON_INSTANCE_DIR": str(self.folder / "instance"), "SECRET_KEY": "test-secret",
                "PYTHONUNBUFFERED": "1", "BATON_TIMER_FIRING_LEASE_S": "2", **extra}

    def start_workers(self, count: int = 1, **extra: str) -> list[subprocess.Popen[bytes]]:
        """Start `count` workers and wait until each has registered with Redis."""
        before = len(rq.Worker.all(connection=self.redis))
        started = []
        for _ in range(count):
            log = self.folder / f"worker-{len(self.logs)}.log"
            self.logs.append(log)
            with open(log, "wb") as out:
                proc = subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "worker"], cwd=ROOT,
                                        env=self.env(**extra), stdout=out, stderr=subprocess.STDOUT)
            self.workers.append(proc)
            started.append(proc)
        self.wait_for(lambda: len(rq.Worker.all(connection=self.redis)) >= before + count, 30,
                      "workers to start")
        return started

    def kill(self, proc: subprocess.Popen[bytes], sig: int = signal.SIGKILL) -> None:
        """Stop a worker; a SIGKILL takes its forked RQ scheduler too, as a machine crash would."""
        children = psutil.Process(proc.pid).children(recursive=True) if sig == signal.SIGKILL else []
        proc.send_signal(sig)
        for child in children:
            with contextlib.suppress(psutil.NoSuchProcess):
                child.kill()
        proc.wait(15)
        self.workers.remove(proc)
        if sig == signal.SIGKILL:  # a killed worker never deregisters itself
            for worker in rq.Worker.all(connection=self.redis):
                if worker.pid == proc.pid:
                    worker.register_death()

    def stop_workers(self) -> None:
        for proc in list(self.workers):
            self.kill(proc, signal.SIGTERM)

    def worker_running(self, timer_id: int) -> subprocess.Popen[bytes] | None:
        """The worker process whose current job fires `timer_id`, if any."""
        from rq.job import Job

        pids = {proc.pid: proc for proc in self.workers}
        for worker in rq.Worker.all(connection=self.redis):
            job_id = worker.get_current_job_id()
            if not job_id or worker.pid not in pids or not Job.exists(job_id, connection=self.redis):
                continue
            if Job.fetch(job_id, connection=self.redis).args == (timer_id,):
                return pids[worker.pid]
        return None

    def log_text(self) -> str:
        tails = [f"--- {p.name}\n{p.read_text(errors='replace')[-3000:]}" for p in self.logs if p.exists()]
        return "\n".join(tails)

    def wait_for(self, condition: Callable[[], Any], timeout: float, what: str) -> Any:
        deadline = time.monotonic() + timeout
        while True:
            result = condition()
            if result:
                return result
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {what}\n{self.log_text()}")
            time.sleep(0.05)

    # -- the app ---------------------------------------------------------------------------------

    def deploy(self, *names: str, files: dict[str, bytes] | None = None) -> list[Any]:
        from server import deploying
        from server.db import db
        from server.models import User

        payload = files or {name: (FIXTURES / name).read_bytes() for name in names}
        with self.app.app_context():
            admin = db.session.scalar(select(User).where(User.email == ADMIN))
            deployed = deploying.deploy(payload, admin)
            return [pv.id for pv in deployed.processes]

    def start(self, process_id: str, variables: dict[str, Any] | None = None) -> int:
        from server import deploying, runtime
        from server.db import db
        from server.models import User

        with self.app.app_context():
            admin = db.session.scalar(select(User).where(User.email == ADMIN))
            version = deploying.latest_version(process_id)
            assert version is not None
            row = runtime.start_instance(version, admin, dict(variables or {}))
            return int(row.id)

    def query(self, fn: Callable[[], Any]) -> Any:
        from server.db import db

        with self.app.app_context():
            try:
                return fn()
            finally:
                db.session.remove()

    def timers(self, **where: Any) -> list[Any]:
        from server.db import db
        from server.models import Timer

        def run() -> list[Any]:
            query = select(Timer).order_by(Timer.id)
            for key, value in where.items():
                query = query.where(getattr(Timer, key) == value)
            rows = db.session.scalars(query).all()
            db.session.expunge_all()
            return list(rows)

        return list(self.query(run))

    def events(self, instance_id: int, kind: str) -> list[Any]:
        from server.db import db
        from server.models import Event

        def run() -> list[Any]:
            query = select(Event).where(Event.instance_id == instance_id, Event.kind == kind)
            rows = db.session.scalars(query.order_by(Event.seq)).all()
            db.session.expunge_all()
            return list(rows)

        return list(self.query(run))

    def open_tasks(self, instance_id: int, element_id: str | None = None) -> list[Any]:
        from server.db import db
        from server.models import Task

        def run() -> list[Any]:
            query = select(Task).where(Task.instance_id == instance_id, Task.state == "open")
            if element_id:
                query = query.where(Task.element_id == element_id)
            rows = db.session.scalars(query).all()
            db.session.expunge_all()
            return list(rows)

        return list(self.query(run))

    def instance_count(self, process_id: str) -> int:
        from server.db import db
        from server.models import Instance

        return int(self.query(lambda: db.session.scalar(
            select(func.count(Instance.id)).where(Instance.process_id == process_id))))

    def instance(self, instance_id: int) -> Any:
        from server.db import db
        from server.models import Instance

        def run() -> Any:
            row = db.session.get(Instance, instance_id)
            db.session.expunge_all()
            return row

        return self.query(run)


def lateness(timer: Any) -> float:
    """Seconds between a fired timer's due time and its claim."""
    fired: datetime = timer.fired_at
    return (fired - timer.due_at).total_seconds()
