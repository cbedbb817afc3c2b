"""`flask up`: children in their own groups, watched, stopped together; and real runs of Baton."""

from __future__ import annotations

import io
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import psutil
import pytest
import redis
import rq

from server.processes import StopFlag, Supervisor
from server.redis_conn import free_port
from server.supervisor import SupervisorError, answers_http, check_port_free, web_command

ROOT = Path(__file__).resolve().parents[2]
PY = sys.executable

needs_app = pytest.mark.skipif(not (ROOT / "wsgi.py").exists(), reason="wsgi.py is not there yet")


def gone(processes: list[psutil.Process]) -> list[psutil.Process]:
    """The processes of `processes` still running (zombies count as gone)."""
    alive = []
    for p in processes:
        try:
            if p.is_running() and p.status() != psutil.STATUS_ZOMBIE:
                alive.append(p)
        except psutil.NoSuchProcess:
            pass
    return alive


# -- The supervisor's process handling, with small real processes --------------------------------


def test_stop_all_ends_every_process_of_every_group_even_one_ignoring_sigterm() -> None:
    sup = Supervisor(out=io.StringIO())
    forking = "import subprocess, time; subprocess.Popen(['sleep', '60']); time.sleep(60)"
    stubborn = "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(60)"
    sup.spawn("forking", [PY, "-c", forking])
    sup.spawn("stubborn", [PY, "-c", stubborn])
    time.sleep(0.5)
    leaders = [psutil.Process(child.pid) for child in sup.children.values()]
    processes = leaders + [p for leader in leaders for p in leader.children(recursive=True)]
    assert len(processes) == 3
    assert {os.getpgid(p.pid) for p in processes} == {p.pid for p in leaders}
    started = time.monotonic()
    sup.stop_all(grace=1.0)
    assert time.monotonic() - started < 3
    assert gone(processes) == []


def test_watch_names_the_child_that_exits_and_its_code() -> None:
    sup = Supervisor(out=io.StringIO())
    sup.spawn("sleeper", [PY, "-c", "import time; time.sleep(60)"])
    sup.spawn("crasher", [PY, "-c", "import sys; sys.exit(3)"])
    try:
        assert sup.watch(StopFlag()) == ("crasher", 3)
    finally:
        sup.stop_all()
    assert sup.children["sleeper"].returncode is not None


def test_watch_returns_when_a_stop_signal_came() -> None:
    sup = Supervisor(out=io.StringIO())
    sup.spawn("sleeper", [PY, "-c", "import time; time.sleep(60)"])
    try:
        assert sup.watch(StopFlag(signum=signal.SIGINT)) is None
    finally:
        sup.stop_all()


def test_a_port_in_use_is_said_plainly() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        with pytest.raises(SupervisorError, match=f"port {port} on 127.0.0.1 is in use"):
            check_port_free("127.0.0.1", port)
    check_port_free("127.0.0.1", port)


def test_the_web_server_is_gunicorn_with_threaded_workers() -> None:
    argv = web_command("wsgi", "127.0.0.1", 8123)
    assert argv[1:3] == ["-m", "gunicorn"]
    assert argv[-1] == "wsgi:app"
    assert argv[argv.index("--bind") + 1] == "127.0.0.1:8123"
    assert argv[argv.index("--worker-class") + 1] == "gthread"


# -- A real run: `flask --app wsgi up` on a free port with its own instance folder ----------------


class Run:
    """One `flask --app wsgi up` in a process of its own, its output in a file."""

    def __init__(self, instance: Path, port: int, log: Path) -> None:
        env = {k: v for k, v in os.environ.items()
               if k not in ("REDIS_URL", "DATABASE_URL", "SECRET_KEY", "BATON_BASE_URL", "FLASK_APP")}
        env.update(BATON_INSTANCE_DIR=str(instance), FLASK_DEBUG="0")
        self.env, self.log, self.port = env, log, port
        with open(log, "w") as out:
            self.proc = subprocess.Popen([PY, "-m", "flask", "--app", "wsgi", "up", "--port", str(port)],
                                         cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL, start_new_session=True)

    @property
    def output(self) -> str:
        """Everything printed so far."""
        return self.log.read_text(errors="replace")

    def wait_for(self, pattern: str, timeout: float = 120) -> re.Match[str]:
        """Wait until the output matches `pattern`; fail with the output if it exits or times out."""
        deadline = time.monotonic() + timeout
        while True:
            found = re.search(pattern, self.output)
            if found:
                return found
            assert self.proc.poll() is None, f"up exited ({self.proc.returncode}):\n{self.output[-3000:]}"
            assert time.monotonic() < deadline, f"no {pattern!r} in:\n{self.output[-3000:]}"
            time.sleep(0.2)

    def descendants(self) -> list[psutil.Process]:
        """Every process started under the supervisor."""
        return psutil.Process(self.proc.pid).children(recursive=True)

    def kill(self) -> None:
        """Last resort at the end of a test: nothing may outlive it."""
        if self.proc.poll() is None:
            for p in self.descendants():
                p.kill()
            self.proc.kill()
            self.proc.wait()


def cmdlines(processes: list[psutil.Process]) -> str:
    """The command lines of `processes`, one per line."""
    return "\n".join(" ".join(p.cmdline()) for p in processes)


@needs_app
def test_up_starts_baton_and_ctrl_c_stops_every_process_it_started(tmp_path: Path) -> None:
    instance, port = tmp_path / "instance", free_port()
    run = Run(instance, port, tmp_path / "up.log")
    try:
        url = run.wait_for(r"Baton is running at (\S+)").group(1)
        assert url == f"http://127.0.0.1:{port}"
        email, password = run.wait_for(r"Admin login \(shown only once\): (\S+) / password: (\S+)").groups()
        assert "@" in email and len(password) >= 12

        children = run.descendants()
        lines = cmdlines(children)
        assert "redis-server" in lines and "gunicorn" in lines and " worker" in lines, lines
        redis_url = (instance / "redis.url").read_text().strip()
        assert redis_url.startswith("redis://:") and "@127.0.0.1:" in redis_url
        with redis.Redis.from_url(redis_url) as client:
            deadline = time.monotonic() + 30
            while not rq.Worker.all(connection=client):
                assert time.monotonic() < deadline, "the worker never registered on the embedded Redis"
                time.sleep(0.2)

        token = subprocess.run([PY, "-m", "flask", "--app", "wsgi", "create-token", email], cwd=ROOT,
                               env=run.env, capture_output=True, text=True, timeout=60, check=True)
        request = urllib.request.Request(f"{url}/api/v1/processes", headers={
            "Authorization": f"Bearer {token.stdout.strip().splitlines()[-1]}"})
        with urllib.request.urlopen(request, timeout=10) as response:
            processes = json.load(response)
        assert processes, "the demo process was not loaded"

        run.proc.send_signal(signal.SIGINT)
        assert run.proc.wait(20) == 0, run.output[-3000:]
        assert gone(children) == [], cmdlines(gone(children))
        assert not (instance / "redis.url").exists()
        assert "Traceback" not in run.output, run.output[-3000:]
    finally:
        run.kill()


@needs_app
def test_up_again_keeps_the_password_secret_and_a_dead_worker_stops_the_rest(tmp_path: Path) -> None:
    instance = tmp_path / "instance"
    first = Run(instance, free_port(), tmp_path / "first.log")
    try:
        first.wait_for(r"Baton is running at")
        first.proc.send_signal(signal.SIGTERM)
        assert first.proc.wait(20) == 0
    finally:
        first.kill()

    again = Run(instance, free_port(), tmp_path / "again.log")
    try:
        again.wait_for(r"Baton is running at")
        assert "Admin login" not in again.output
        children = again.descendants()
        worker = next(p for p in psutil.Process(again.proc.pid).children() if "worker" in p.cmdline())
        worker.kill()
        assert again.proc.wait(20) == 1
        assert re.search(r"The worker exited unexpectedly \(exit code -9\); stopping Baton", again.output)
        assert gone(children) == [], cmdlines(gone(children))
    finally:
        again.kill()


@needs_app
def test_up_killed_outright_leaves_no_process_behind(tmp_path: Path) -> None:
    run = Run(tmp_path / "instance", free_port(), tmp_path / "up.log")
    try:
        run.wait_for(r"Baton is running at")
        children = run.descendants()
        run.proc.kill()  # SIGKILL: no handler runs; the children learn it from the kernel
        run.proc.wait()
        deadline = time.monotonic() + 15
        while gone(children) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert gone(children) == [], cmdlines(gone(children))
    finally:
        run.kill()


@needs_app
def test_up_on_a_port_in_use_says_so_and_starts_nothing(tmp_path: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        run = Run(tmp_path / "instance", sock.getsockname()[1], tmp_path / "up.log")
        try:
            assert run.proc.wait(60) == 1
        finally:
            run.kill()
    assert f"port {run.port} on 127.0.0.1 is in use" in run.output
    assert "Traceback" not in run.output
    assert not (tmp_path / "instance" / "redis.url").exists()


FAILING_SERVER = """
import http.server, sys
class Failing(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_error(500)
    def log_message(self, *args):
        pass
http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), Failing).serve_forever()
"""


def test_the_readiness_probe_takes_any_answer_even_an_error_status() -> None:
    port = free_port()
    assert not answers_http("127.0.0.1", port)
    server = subprocess.Popen([PY, "-c", FAILING_SERVER, str(port)])
    try:
        deadline = time.monotonic() + 10
        while not answers_http("127.0.0.1", port):
            assert server.poll() is None and time.monotonic() < deadline
            time.sleep(0.1)
        with pytest.raises(urllib.error.HTTPError, match="500"):
            urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5)
    finally:
        server.terminate()
        server.wait()
    assert not answers_http("127.0.0.1", port)
