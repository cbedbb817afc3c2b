"""An API client on one keep-alive connection, and the start-and-complete loop it times."""

from __future__ import annotations

import contextlib
import http.client
import json
import time
import uuid
from typing import Any

from perfkit.model import form_data
from perfkit.stats import Run


class ApiError(Exception):
    """The API answered with an unexpected status."""


class Client:
    """Bearer-token JSON requests over one persistent HTTP/1.1 connection."""

    def __init__(self, port: int, token: str) -> None:
        self.port = port
        self.headers = {"Authorization": f"Bearer {token}", "Accept": "application/json",
                        "Content-Type": "application/json"}
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.last_headers: http.client.HTTPMessage | None = None

    def call(self, method: str, path: str, body: Any = None, expect: tuple[int, ...] = (200, 201)) -> Any:
        raw = None if body is None else json.dumps(body).encode()
        self.conn.request(method, path, body=raw, headers=self.headers)
        resp = self.conn.getresponse()
        data = resp.read()
        self.last_headers = resp.headers
        if resp.status not in expect:
            raise ApiError(f"{method} {path} -> {resp.status}: {data[:400].decode(errors='replace')}")
        if resp.will_close:
            self.conn.close()  # http.client reconnects on the next request
        return json.loads(data) if data else None

    def upload(self, path: str, files: dict[str, bytes]) -> Any:
        boundary = uuid.uuid4().hex
        body = b"".join(
            f'--{boundary}\r\nContent-Disposition: form-data; name="files"; filename="{name}"\r\n'
            f"Content-Type: application/xml\r\n\r\n".encode() + content + b"\r\n"
            for name, content in files.items()
        ) + f"--{boundary}--\r\n".encode()
        headers = {**self.headers, "Content-Type": f"multipart/form-data; boundary={boundary}"}
        self.conn.request("POST", path, body=body, headers=headers)
        resp = self.conn.getresponse()
        data = resp.read()
        if resp.status not in (200, 201):
            raise ApiError(f"POST {path} -> {resp.status}: {data[:600].decode(errors='replace')}")
        return json.loads(data)

    def close(self) -> None:
        self.conn.close()


def drive(client: Client, process_id: str, instances: int, first_no: int = 0) -> Run:
    """Start `instances` instances and complete each one's tasks in turn, timing every completion."""
    latencies: list[float] = []
    completions = 0
    began = time.perf_counter()
    for no in range(first_no, first_no + instances):
        inst = client.call("POST", f"/api/v1/processes/{process_id}/instances", {"data": {"no": no}})
        while inst["open_tasks"]:
            task = inst["open_tasks"][0]
            body = {"data": form_data(task["element_id"], no)}
            t0 = time.perf_counter()
            inst = client.call("POST", f"/api/v1/tasks/{task['id']}/complete", body)
            latencies.append(time.perf_counter() - t0)
            completions += 1
        if inst["status"] != "completed":
            raise ApiError(f"instance {inst['id']} ended {inst['status']!r}: {inst.get('error')}")
    return Run("", instances, completions, time.perf_counter() - began, latencies)


def client_process(port: int, token: str, process_id: str, instances: int, first_no: int, warmup: int,
                   barrier: Any, results: Any) -> None:
    """One client of the concurrent run, in its own OS process (so the client's GIL is its own)."""
    try:
        client = Client(port, token)
        drive(client, process_id, warmup, first_no + instances)
        barrier.wait(timeout=120)
        began = time.perf_counter()
        run = drive(client, process_id, instances, first_no)
        ended = time.perf_counter()
        client.close()
        results.put(("ok", began, ended, run.instances, run.completions, run.latencies_s))
    except BaseException as exc:  # reported to the parent, which fails the run
        with contextlib.suppress(Exception):
            barrier.abort()
        results.put(("error", f"{type(exc).__name__}: {exc}"))
