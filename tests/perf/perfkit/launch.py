"""Start Baton as an operator would, in a temporary folder, and stop everything it started."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
_HERE = Path(sys.executable).parent
BIN = _HERE if (_HERE / "flask").exists() else ROOT / ".venv" / "bin"  # flask and gunicorn of this venv


class LaunchFailed(Exception):
    """Baton (or its Redis) did not start; the message says which step and why."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_for_port(port: int, proc: subprocess.Popen[bytes], seconds: float, log: Path) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise LaunchFailed(f"{proc.args[0]} exited with {proc.returncode}: {_tail(log)}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.1)
    raise LaunchFailed(f"nothing answered on port {port} within {seconds:.0f} s: {_tail(log)}")


def _tail(path: Path, chars: int = 600) -> str:
    try:
        return path.read_text(errors="replace")[-chars:].strip()
    except OSError:
        return "(no log)"


class Baton:
    """Redis (when redis-server is on PATH), a fresh SQLite database, users, tokens, gunicorn."""

    def __init__(self, keep: bool = False) -> None:
        self.keep = keep
        self.folder = Path(tempfile.mkdtemp(prefix="baton-bench-"))
        self.procs: list[subprocess.Popen[bytes]] = []
        self.db_path = self.folder / "baton.sqlite3"
        self.port = free_port()
        self.env = dict(os.environ)
        self.env.update(
            DATABASE_URL=f"sqlite:///{self.db_path}",
            SECRET_KEY=uuid.uuid4().hex,
            BATON_INSTANCE_DIR=str(self.folder),
            BATON_BASE_URL=f"http://127.0.0.1:{self.port}",
            FLASK_DEBUG="0",
        )
        self.env.pop("REDIS_URL", None)
        self.redis_note = "no redis-server on PATH: no Redis (the benchmark needs no worker)"
        self.server_cmd: list[str] = []
        self.tokens: dict[str, str] = {}

    # --- processes ---------------------------------------------------------------------------
    def _spawn(self, cmd: list[str], log_name: str) -> tuple[subprocess.Popen[bytes], Path]:
        log = self.folder / log_name
        with open(log, "wb") as out:
            proc = subprocess.Popen(cmd, cwd=ROOT, env=self.env, stdout=out, stderr=subprocess.STDOUT,
                                    start_new_session=True)
        self.procs.append(proc)
        return proc, log

    def start_redis(self) -> None:
        exe = shutil.which("redis-server")
        if not exe:
            return
        port = free_port()
        proc, log = self._spawn([exe, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                                 "--appendonly", "no", "--dir", str(self.folder)], "redis.log")
        _wait_for_port(port, proc, 10, log)
        self.env["REDIS_URL"] = f"redis://127.0.0.1:{port}/0"
        self.redis_note = f"redis-server on port {port} (no worker started: the benchmark needs none)"

    def cli(self, *args: str) -> str:
        cmd = [str(BIN / "flask"), "--app", "wsgi", *args]
        r = subprocess.run(cmd, cwd=ROOT, env=self.env, capture_output=True, text=True, timeout=300)
        if r.returncode != 0:
            said = (r.stderr or r.stdout)[-600:]
            raise LaunchFailed(f"`flask --app wsgi {' '.join(args[:2])}` failed: {said}")
        return r.stdout

    def user(self, email: str, roles: tuple[str, ...], groups: tuple[str, ...] = ()) -> str:
        args = ["create-user", email, "--password", "pw-" + uuid.uuid4().hex[:16]]
        for role in roles:
            args += ["--role", role]
        for group in groups:
            args += ["--group", group]
        self.cli(*args)
        lines = self.cli("create-token", email).strip().splitlines()
        if not lines:
            raise LaunchFailed(f"create-token {email} printed nothing")
        self.tokens[email] = lines[-1].strip()
        return self.tokens[email]

    def start_web(self, workers: int = 2, threads: int = 4, worker_class: str = "sync") -> None:
        """gunicorn as the README's scale-out section runs it: sync workers (one request at a time
        each, so an idle process takes the next request); `gthread` as `make run` starts it."""
        self.server_cmd = [str(BIN / "gunicorn"), "-b", f"127.0.0.1:{self.port}", "-w", str(workers),
                           "-k", worker_class]
        if worker_class == "gthread":
            self.server_cmd += ["--threads", str(threads)]
        self.server_cmd.append("wsgi:app")
        proc, log = self._spawn(self.server_cmd, "web.log")
        _wait_for_port(self.port, proc, 60, log)
        self.web_log = log

    def stop(self) -> None:
        """Stop every process started here (each leads its own session), then remove the folder."""
        for proc in reversed(self.procs):
            if proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + 10
        for proc in self.procs:
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=5)
        self.procs.clear()
        if not self.keep:
            shutil.rmtree(self.folder, ignore_errors=True)
