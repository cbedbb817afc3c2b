"""Real `flask --app wsgi worker` processes for the benchmarks, on one database and one Redis."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[3]


class WorkerPool:
    """Starts workers with the benchmark's environment and waits until each has registered."""

    def __init__(self, folder: Path, db_url: str, redis_url: str) -> None:
        self.folder = folder
        self.db_url = db_url
        self.redis_url = redis_url
        self.workers: list[subprocess.Popen[bytes]] = []

    def start(self, count: int) -> None:
        import redis
        import rq

        env = {**os.environ, "DATABASE_URL": self.db_url, "REDIS_URL": self.redis_url,
               "BATON_INSTANCE_DIR": str(self.folder / "instance"), "SECRET_KEY": "bench"}
        connection = redis.Redis.from_url(self.redis_url)
        for _ in range(count):
            out = open(self.folder / f"worker-{len(self.workers)}.log", "wb")  # noqa: SIM115
            self.workers.append(subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "worker"],
                                                 cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT))
        while len(rq.Worker.all(connection=connection)) < count:
            time.sleep(0.05)

    def stop(self) -> None:
        for proc in self.workers:
            proc.terminate()
        for proc in self.workers:
            proc.wait(30)
        self.workers = []


def prepare_baton(folder: Path, admin: str) -> tuple[Any, Any, str]:
    """A Baton in `folder` for a benchmark: its own Redis, a migrated SQLite database and an admin.

    Returns (app, redis handle, database URL).
    """
    from server import create_app, db_setup, people
    from server.db import db
    from tests.conftest import start_test_redis

    redis_server = start_test_redis(folder / "redis")
    db_url = f"sqlite:///{folder / 'baton.sqlite3'}"
    app = create_app({"DATABASE_URL": db_url, "REDIS_URL": redis_server.url,
                      "INSTANCE_DIR": str(folder / "instance"), "SECRET_KEY": "bench"})
    db_setup.upgrade(app)
    with app.app_context():
        people.save_user(admin, password="bench-password", roles=("admin",))
        db.session.commit()
    return app, redis_server, db_url
