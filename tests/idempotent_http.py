"""A real local HTTP server for connector tests that honours the Idempotency-Key header.

The first request with a key is applied (its "effect" counted) and its response kept; any later
request with the same key gets that response again without a second effect, and a request whose
key is still being handled waits for the first one's answer, as a payment API does.

Routes: any method on any path answers JSON describing the request, unless `plan(path, ...)` queued
statuses for that path (served in order, then 200s). `delay(path, seconds)` slows a path down.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


def free_port() -> int:
    """A TCP port on 127.0.0.1 nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Seen:
    """One request as the server received it."""

    method: str
    path: str
    headers: dict[str, str]
    body: Any
    at: float  # time.monotonic() on arrival


@dataclass
class _Answer:
    done: threading.Event = field(default_factory=threading.Event)
    status: int = 0
    body: bytes = b""


class IdempotentServer:
    """Start with `start()`, stop with `stop()`; `url` is its base URL."""

    def __init__(self) -> None:
        self.requests: list[Seen] = []
        self.effects: dict[str, int] = defaultdict(int)  # path -> times applied
        self._plans: dict[str, deque[int]] = defaultdict(deque)
        self._delays: dict[str, float] = {}
        self._answers: dict[str, _Answer] = {}
        self._lock = threading.Lock()
        self.entered = threading.Event()  # set when a request starts being handled
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> IdempotentServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def plan(self, path: str, *statuses: int) -> None:
        """Answer the next requests to `path` with these statuses (a failure has an error body)."""
        self._plans[path].extend(statuses)

    def delay(self, path: str, seconds: float) -> None:
        self._delays[path] = seconds

    def effect_count(self, path: str) -> int:
        return self.effects[path]

    def seen(self, path: str) -> list[Seen]:
        """The requests that reached `path` (query string aside), in order."""
        return [r for r in list(self.requests) if r.path.split("?")[0] == path]

    def _respond(self, method: str, path: str, headers: dict[str, str], body: Any) -> tuple[int, bytes]:
        with self._lock:
            planned = self._plans[path].popleft() if self._plans[path] else 200
        self.entered.set()
        delay = self._delays.get(path, 0.0)
        if delay:
            threading.Event().wait(delay)
        if planned >= 400:
            return planned, json.dumps({"error": f"planned {planned}"}).encode()
        with self._lock:
            self.effects[path] += 1
            count = self.effects[path]
        answer = {"method": method, "path": path, "received": body, "effect": count, "state": "accepted",
                  "items": ["first", "second"], "key": headers.get("idempotency-key")}
        return 200, json.dumps(answer).encode()

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        raw = handler.rfile.read(length) if length else b""
        try:
            body: Any = json.loads(raw) if raw else None
        except ValueError:
            body = raw.decode(errors="replace")
        headers = {k.lower(): v for k, v in handler.headers.items()}
        path = handler.path.split("?")[0]
        self.requests.append(Seen(handler.command, handler.path, headers, body, time.monotonic()))
        key = headers.get("idempotency-key")
        first = False
        if key:
            with self._lock:
                answer = self._answers.get(key)
                if answer is None:
                    answer = self._answers[key] = _Answer()
                    first = True
            if not first:
                answer.done.wait(60)
                return self._send(handler, answer.status, answer.body)
        status, payload = self._respond(handler.command, path, headers, body)
        if key:
            if status >= 500 or status in (408, 429):  # failures are not kept: a retry runs again
                with self._lock:
                    self._answers.pop(key, None)
            answer.status, answer.body = status, payload
            answer.done.set()
        self._send(handler, status, payload)

    @staticmethod
    def _send(handler: BaseHTTPRequestHandler, status: int, payload: bytes) -> None:
        try:
            handler.send_response(status)
            handler.send_header("Content-Type", "application/json")
            handler.send_header("Content-Length", str(len(payload)))
            handler.end_headers()
            handler.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):  # the caller gave up (timeout, killed)
            pass

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def _any(self) -> None:
                server._handle(self)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _any

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler
