"""Time the task list one user sees: GET /api/v1/tasks?state=open&limit=50."""

from __future__ import annotations

import time
from dataclasses import dataclass

from perfkit.client import Client
from perfkit.stats import percentile

PATH = "/api/v1/tasks?state=open&limit=50"


@dataclass(frozen=True)
class ListTiming:
    """Latencies of repeated list requests and the total the server reported."""

    label: str
    total: str
    """X-Total-Count as sent, or "1000+" when the server left it out (over its count cap)."""
    rows: int
    latencies_s: list[float]

    def ms(self, p: float) -> float:
        return percentile(sorted(self.latencies_s), p) * 1000


def time_task_list(port: int, token: str, label: str, requests: int, warmup: int = 10,
                   path: str = PATH) -> ListTiming:
    client = Client(port, token)
    try:
        for _ in range(warmup):
            client.call("GET", path)
        latencies: list[float] = []
        rows: list[object] = []
        for _ in range(requests):
            t0 = time.perf_counter()
            rows = client.call("GET", path)
            latencies.append(time.perf_counter() - t0)
        assert client.last_headers is not None
        total = client.last_headers.get("X-Total-Count", "1000+")
        return ListTiming(label, total, len(rows), latencies)
    finally:
        client.close()
