"""The RQ worker that runs Baton's jobs (service tasks, timers), with RQ's scheduler on."""

from __future__ import annotations

import logging
import signal
from typing import Any

import click
import redis
import rq
from flask import Flask, current_app
from flask.cli import with_appcontext
from rq.job import Job

from server.redis_conn import QUEUES, EmbeddedRedisError, get_redis, redact, redis_url_for


class AppWorker(rq.SimpleWorker):
    """A SimpleWorker that runs each job inside a fresh app context of the Baton app.

    SimpleWorker runs jobs in this process: 5-10x the throughput of the fork-per-job Worker
    (see the RQ notes), and job timeouts still work because jobs run on the main thread, where
    SIGALRM is delivered. The cost: a job that crashes the interpreter takes the worker down with
    it, and the supervisor (or the operator's process manager) must restart it. Jobs are short and
    re-check their state under the instance lock, so a lost job is repaired by the reconciler.
    """

    def __init__(self, *args: Any, app: Flask, **kwargs: Any) -> None:
        """Take the app whose context each job runs in; other arguments go to SimpleWorker."""
        super().__init__(*args, **kwargs)
        self.app = app

    def execute_job(self, job: Job, queue: rq.Queue) -> None:
        """Run `job` with an app context pushed, torn down (database session closed) afterwards."""
        with self.app.app_context():
            super().execute_job(job, queue)


def make_worker(app: Flask) -> AppWorker:
    """A worker on Baton's queues (most urgent first) on the app's Redis."""
    connection = get_redis(app)
    queues = [rq.Queue(name, connection=connection) for name in QUEUES]
    return AppWorker(queues, connection=connection, app=app)


def run_worker(app: Flask, burst: bool = False) -> None:
    """Work Baton's queues until stopped (or, with `burst`, until they are empty).

    The scheduler runs alongside, so jobs enqueued for later (timers, retry backoffs) start on
    time, and so does the due-timer poller (server/timer_poller.py) unless `burst` is set.
    SIGTERM or Ctrl-C finishes the current job first (a second one stops at once). Logs go
    to stdout, errors to stderr.
    """
    from server.timer_poller import start_poller

    logging.getLogger("spiff").setLevel(logging.WARNING)  # else a log line per engine task state change
    worker = make_worker(app)
    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    poller = None if burst else start_poller(app)
    try:
        worker.work(burst=burst, with_scheduler=True, logging_level="INFO")
    finally:  # RQ leaves its own handlers installed; give the caller back its own
        if poller is not None:
            poller.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)


@click.command("worker", help="Run an RQ worker with the scheduler on Baton's queues.")
@click.option("--burst", is_flag=True, help="Quit once the queues are empty.")
@with_appcontext
def worker_command(burst: bool) -> None:
    """`flask --app wsgi worker [--burst]`."""
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    try:
        url = redis_url_for(app)
    except EmbeddedRedisError as exc:
        raise click.ClickException(str(exc)) from None
    try:
        get_redis(app).ping()
    except (redis.RedisError, OSError) as exc:
        raise click.ClickException(f"cannot reach Redis at {redact(url)}: {exc}") from None
    click.echo(f"Worker on queues {', '.join(QUEUES)} at {redact(url)}")
    run_worker(app, burst=burst)
