"""The Baton worker: jobs run inside the app, in queue order, on schedule; SIGTERM stops it cleanly."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import redis
import rq
from flask import Flask

from server.redis_conn import get_queue
from server.worker import run_worker

ROOT = Path(__file__).resolve().parents[2]

APP_MODULE = """
from flask import Flask
from server.worker import worker_command
app = Flask("worker_app")
app.config.update(REDIS_URL={url!r}, INSTANCE_DIR={instance!r})
app.cli.add_command(worker_command)
"""


def bare_app(tmp_path: Path, redis_url: str, **config: Any) -> Flask:
    """A Flask app with only what the worker reads."""
    app = Flask("baton_test", instance_path=str(tmp_path))
    app.config.update({"INSTANCE_DIR": str(tmp_path), "REDIS_URL": redis_url, **config})
    return app


def test_a_job_runs_inside_an_app_context_of_the_app(
    tmp_path: Path, redis_url: str, redis_client: redis.Redis[bytes]
) -> None:
    app = bare_app(tmp_path, redis_url, MARK="baton-mark")
    job = get_queue(app).enqueue("flask.templating.render_template_string", "{{ config.MARK }}")
    run_worker(app, burst=True)
    job.refresh()
    assert job.get_status() == "finished", job.latest_result()
    assert job.return_value() == "baton-mark"


def test_queues_are_taken_most_urgent_first(
    tmp_path: Path, redis_url: str, redis_client: redis.Redis[bytes]
) -> None:
    app = bare_app(tmp_path, redis_url)
    low = get_queue(app, "low").enqueue("time.time")
    default = get_queue(app, "default").enqueue("time.time")
    high = get_queue(app, "high").enqueue("time.time")
    run_worker(app, burst=True)
    finished = [j.return_value() for j in (high, default, low)]
    assert all(isinstance(t, float) for t in finished)
    assert finished == sorted(finished)


def test_a_job_scheduled_for_later_runs_only_once_due(
    tmp_path: Path, redis_url: str, redis_client: redis.Redis[bytes]
) -> None:
    app = bare_app(tmp_path, redis_url)
    job = get_queue(app).enqueue_in(timedelta(seconds=1), "operator.add", 2, 3)
    run_worker(app, burst=True)
    assert job.get_status(refresh=True) == "scheduled"
    time.sleep(2.1)  # RQ stores due times in whole seconds
    run_worker(app, burst=True)
    assert job.get_status(refresh=True) == "finished"
    assert job.return_value() == 5


def test_run_worker_gives_back_the_callers_signal_handlers(
    tmp_path: Path, redis_url: str, redis_client: redis.Redis[bytes]
) -> None:
    before = signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)
    run_worker(bare_app(tmp_path, redis_url), burst=True)
    assert (signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)) == before


def test_worker_command_works_until_sigterm_then_leaves(
    tmp_path: Path, redis_url: str, redis_client: redis.Redis[bytes]
) -> None:
    (tmp_path / "worker_app.py").write_text(APP_MODULE.format(url=redis_url, instance=str(tmp_path)))
    log = tmp_path / "worker.log"
    with open(log, "w") as out:
        proc = subprocess.Popen([sys.executable, "-m", "flask", "--app", "worker_app", "worker"],
                                cwd=tmp_path, stdout=out, stderr=subprocess.STDOUT,
                                env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)})
    try:
        deadline = time.monotonic() + 30
        while not rq.Worker.all(connection=redis_client):
            assert proc.poll() is None, log.read_text()
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.1)
        app = bare_app(tmp_path, redis_url)
        job = get_queue(app).enqueue("operator.mul", 6, 7)
        while job.get_status(refresh=True) != "finished":
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.05)
        assert job.return_value() == 42
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(10) == 0, log.read_text()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    text = log.read_text()
    assert "Worker on queues high, default, low" in text
    assert "Traceback" not in text
    assert rq.Worker.all(connection=redis_client) == []


def test_worker_command_says_plainly_when_redis_is_unreachable(tmp_path: Path) -> None:
    (tmp_path / "worker_app.py").write_text(APP_MODULE.format(url="redis://127.0.0.1:1/0",
                                                              instance=str(tmp_path)))
    out = subprocess.run([sys.executable, "-m", "flask", "--app", "worker_app", "worker"], cwd=tmp_path,
                         capture_output=True, text=True, timeout=60,
                         env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)})
    assert out.returncode == 1
    assert "cannot reach Redis at redis://127.0.0.1:1/0" in out.stderr
    assert "Traceback" not in out.stderr + out.stdout


def test_worker_command_with_burst_runs_what_is_queued_then_leaves(
    tmp_path: Path, redis_url: str, redis_client: redis.Redis[bytes]
) -> None:
    (tmp_path / "worker_app.py").write_text(APP_MODULE.format(url=redis_url, instance=str(tmp_path)))
    app = bare_app(tmp_path, redis_url)
    jobs = [get_queue(app).enqueue("operator.mul", n, 7) for n in (1, 2, 3)]
    out = subprocess.run([sys.executable, "-m", "flask", "--app", "worker_app", "worker", "--burst"],
                         cwd=tmp_path, capture_output=True, text=True, timeout=60,
                         env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)})
    assert out.returncode == 0, out.stderr
    assert [job.return_value(refresh=True) for job in jobs] == [7, 14, 21]
    assert "Traceback" not in out.stderr + out.stdout
    assert rq.Worker.all(connection=redis_client) == []
