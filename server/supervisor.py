"""`flask up`: Baton on one machine (Redis, schema, admin, demo, web server, worker), stopped together."""

from __future__ import annotations

import errno
import http.client
import importlib.util
import os
import socket
import sys
import time
from typing import TextIO

import click
from flask import Flask, current_app
from flask.cli import ScriptInfo, with_appcontext

from server.processes import GRACE_S, POLL_S, StopFlag, Supervisor, die_with_parent, stop_on_signals
from server.redis_conn import (
    EmbeddedRedis,
    EmbeddedRedisError,
    answers,
    ensure_embedded,
    instance_folder,
    redact,
)

READY_TIMEOUT_S = 90.0  # for the web server to answer its first request
WEB_WORKERS = 2  # gunicorn processes
WEB_THREADS = 4  # threads per gunicorn process


class SupervisorError(Exception):
    """An expected reason why Baton cannot start; the message tells the user what to do."""


def check_port_free(host: str, port: int) -> None:
    """Raise SupervisorError, said plainly, when `host:port` cannot be listened on."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise SupervisorError(f"cannot listen on {host!r}: {exc.strerror}; pass --host") from None
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(address)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise SupervisorError(
                    f"port {port} on {host} is in use by another program: stop it, or pass --port"
                ) from None
            raise SupervisorError(f"cannot listen on {host}:{port}: {exc.strerror}; pass --host") from None


def _connect_host(host: str) -> str:
    """The address to reach a server bound to `host` from this machine."""
    return "127.0.0.1" if host in ("", "0.0.0.0", "::") else host


def answers_http(host: str, port: int) -> bool:
    """Whether the web server at host:port took a request to GET / and answered it in any way.

    Any status counts (the app is loaded and serving); so does a dropped connection after the
    request was accepted. A refused or timed-out connection does not.
    """
    conn = http.client.HTTPConnection(_connect_host(host), port, timeout=5)
    try:
        conn.request("GET", "/")
        conn.getresponse().read()
        return True
    except (http.client.RemoteDisconnected, ConnectionResetError):
        return True
    except (OSError, http.client.HTTPException):
        return False
    finally:
        conn.close()


def _gunicorn_extra_flags() -> list[str]:
    """Flags that only some gunicorn versions know: no control socket in ~/.gunicorn (one per user,
    so two Batons on one machine would fight over it)."""
    import gunicorn.config

    known = {setting.name for setting in gunicorn.config.KNOWN_SETTINGS}
    return ["--no-control-socket"] if "control_socket_disable" in known else []


def web_command(app_target: str, host: str, port: int) -> list[str]:
    """gunicorn (threaded workers) serving the app, or Flask's threaded server where it is missing."""
    if importlib.util.find_spec("gunicorn") is None:
        return [sys.executable, "-m", "flask", "--app", app_target, "run", "--host", host,
                "--port", str(port), "--no-reload", "--with-threads"]
    bind = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    wsgi = app_target if ":" in app_target else f"{app_target}:app"
    return [sys.executable, "-m", "gunicorn", "--bind", bind, "--workers", str(WEB_WORKERS),
            "--worker-class", "gthread", "--threads", str(WEB_THREADS),
            "--graceful-timeout", str(int(GRACE_S) - 2), *_gunicorn_extra_flags(), wsgi]


def worker_argv(app_target: str) -> list[str]:
    """One Baton worker (RQ with the scheduler) as a child process."""
    return [sys.executable, "-m", "flask", "--app", app_target, "worker"]


def prepare(app: Flask) -> tuple[str, str] | None:
    """Create or upgrade the schema, make the admin on first start, load the demo process.

    Returns the admin's (email, password) when it was just created, else None.
    """
    from sqlalchemy.exc import OperationalError

    from server import bootstrap, db_setup

    try:
        db_setup.upgrade(app)
        login = bootstrap.ensure_admin(app)
        bootstrap.load_demo(app)
    except OperationalError as exc:
        raise SupervisorError(f"cannot use the database: {exc.orig}") from None
    return login


def up(app: Flask, host: str, port: int, *, app_target: str = "wsgi", out: TextIO | None = None) -> int:
    """Run Baton until Ctrl-C or SIGTERM (returns 0) or until a child dies (returns 1).

    Starts an embedded Redis when REDIS_URL is unset, prepares the database, then the web server
    and one worker, each in its own process group; prints the admin's login once and the URL.
    Raises SupervisorError for expected failures (port in use, database unreachable).
    """
    sup = Supervisor(out=out or sys.stdout)
    check_port_free(host, port)
    env = dict(os.environ, BATON_INSTANCE_DIR=str(instance_folder(app)), PYTHONUNBUFFERED="1")
    redis_server: EmbeddedRedis | None = None
    login: tuple[str, str] | None = None
    with stop_on_signals() as stop:
        try:
            if not app.config.get("REDIS_URL"):
                try:
                    url, redis_server = ensure_embedded(instance_folder(app), preexec_fn=die_with_parent())
                except EmbeddedRedisError as exc:
                    raise SupervisorError(f"{exc}; or set REDIS_URL to a Redis server") from None
                app.config["REDIS_URL"] = env["REDIS_URL"] = url
                sup.say("Redis: embedded server on 127.0.0.1" + (" (reused)" if redis_server is None else ""))
            elif not answers(str(app.config["REDIS_URL"]), timeout=2):
                raise SupervisorError(f"cannot reach Redis at {redact(str(app.config['REDIS_URL']))}")
            login = prepare(app)
            if stop:
                return 0
            sup.spawn("web server", web_command(app_target, host, port), env)
            sup.spawn("worker", worker_argv(app_target), env)
            gone = _wait_ready(sup, stop, host, port)
            if gone is None and not stop:
                _announce(sup, app, host, port, login)
                login = None
                gone = sup.watch(stop)
            if gone is not None:
                name, code = gone
                sup.say(f"The {name} exited unexpectedly (exit code {code}); stopping Baton.")
                return 1
            sup.say("Stopping Baton...")
            return 0
        finally:
            if login is not None:  # never lose the only sight of the admin's password
                sup.say(f"Admin login (shown only once): {login[0]} / password: {login[1]}")
            sup.stop_all()
            if redis_server is not None:
                redis_server.stop()
            if sup.children:
                sup.say("Baton stopped.")


def _wait_ready(sup: Supervisor, stop: StopFlag, host: str, port: int) -> tuple[str, int] | None:
    """Wait until the web server answers; return a child that exited meanwhile."""
    deadline = time.monotonic() + READY_TIMEOUT_S
    while not stop:
        gone = sup.exited()
        if gone:
            return gone
        if answers_http(host, port):
            return None
        if time.monotonic() > deadline:
            raise SupervisorError(f"the web server did not answer on port {port} in {READY_TIMEOUT_S:.0f} s")
        time.sleep(POLL_S)
    return None


def _announce(sup: Supervisor, app: Flask, host: str, port: int, login: tuple[str, str] | None) -> None:
    """Print the admin's login (first start only) and the URL."""
    if login is not None:
        sup.say(f"Admin login (shown only once): {login[0]} / password: {login[1]}")
    base = app.config.get("BATON_BASE_URL") or f"http://{_connect_host(host)}:{port}"
    sup.say(f"Baton is running at {base}  (Ctrl-C stops it)")


@click.command("up", help="Start Baton on this machine: Redis, web server and a worker. Ctrl-C stops all.")
@click.option("--host", default="127.0.0.1", show_default=True, envvar="BATON_HOST",
              help="Address to serve on (0.0.0.0: every interface).")
@click.option("--port", default=8000, show_default=True, envvar="BATON_PORT", type=int,
              help="Port to serve on.")
@with_appcontext
def up_command(host: str, port: int) -> None:
    """`flask --app wsgi up`: the README's first command."""
    ctx = click.get_current_context()
    info = ctx.find_object(ScriptInfo)
    app_target = (info.app_import_path if info else None) or "wsgi"
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    try:
        code = up(app, host, port, app_target=app_target)
    except SupervisorError as exc:
        raise click.ClickException(str(exc)) from None
    ctx.exit(code)
