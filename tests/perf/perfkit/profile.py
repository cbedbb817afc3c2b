"""Where a completion's time goes: wall-clock per part, SQL statements, then cProfile, in process.

Runs the start-and-complete loop through Flask's test client against the benchmark's database (no
HTTP server, no network), so the figures are Baton's own costs: ORM, SQL, engine, JSON.
"""

from __future__ import annotations

import cProfile
import functools
import importlib
import io
import logging
import os
import pstats
import re
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from typing import Any

from perfkit.model import PROCESS_ID, form_data

# (module, attribute, what it is); "Class.method" patches a method, "a|b" tries a then b (the server
# is young and renames). Timed only inside a completion.
PARTS = (
    ("server.people", "user_for_token", "bearer token -> user"),
    ("server.runtime", "_task_to_complete|_task", "read the task (+ instance, starter, state)"),
    ("server.owners", "may_complete", "permission check"),
    ("server.runtime", "validate_submission", "form validation"),
    ("server.runtime", "_lock|lock", "versioned UPDATE (takes SQLite's write lock)"),
    ("server.runtime", "_load|load_workflow", "SELECT state + engine load"),
    ("bpmn.instance", "Instance.load", "  engine: Instance.load (deserialize)"),
    ("bpmn.instance", "Instance.complete", "engine: Instance.complete (run to next wait)"),
    ("server.projection", "sync", "task projection sync"),
    ("bpmn.instance", "Instance.human_tasks", "  engine: human_tasks()"),
    ("server.runtime", "_save|save", "save: dump + UPDATE + audit"),
    ("bpmn.instance", "Instance.dump", "  engine: Instance.dump (serialize)"),
    ("server.audit", "append", "  audit events (hash chain + INSERT)"),
    ("server.runtime", "_retrying|retrying", "the transaction incl. COMMIT"),
    ("server.runtime", "_fresh", "re-read the instance after COMMIT"),
    ("server.api.tasks", "instance_json", "response JSON: instance + open tasks"),
)


def _shape(sql: str) -> str:
    """A statement reduced to its verb and table, e.g. 'UPDATE instances'."""
    sql = " ".join(sql.split())
    verb = sql.split(" ", 1)[0].upper()
    if verb == "SELECT":
        t = re.search(r"\bFROM\s+(\w+)", sql, re.I)
        return f"SELECT {t.group(1) if t else '?'}"
    t = re.match(r"(?:INSERT INTO|UPDATE|DELETE FROM)\s+(\w+)", sql, re.I)
    return f"{verb} {t.group(1) if t else '?'}"


class Timers:
    """Wall-clock wrappers around named functions, counted only while `on` is set."""

    def __init__(self) -> None:
        self.on = False
        self.spent: defaultdict[str, float] = defaultdict(float)
        self.undo: list[Callable[[], None]] = []

    def wrap(self, module_name: str, names: str) -> bool:
        """Wrap the first of the '|'-separated names that exists; False when none does."""
        key = f"{module_name}.{names}"
        return any(self._wrap(module_name, attr, key) for attr in names.split("|"))

    def _wrap(self, module_name: str, attr: str, key: str) -> bool:
        owner: Any = importlib.import_module(module_name)
        if "." in attr:
            cls_name, attr = attr.split(".")
            owner = getattr(owner, cls_name)
        raw = owner.__dict__.get(attr) if isinstance(owner, type) else getattr(owner, attr, None)
        if raw is None:
            return False
        is_cm = isinstance(raw, classmethod)
        fn = raw.__func__ if is_cm else raw

        timed = self.timed(fn, key)
        setattr(owner, attr, classmethod(timed) if is_cm else timed)
        self.undo.append(lambda: setattr(owner, attr, raw))
        return True

    def timed(self, fn: Callable[..., Any], key: str) -> Callable[..., Any]:
        @functools.wraps(fn)
        def timed(*args: Any, **kwargs: Any) -> Any:
            if not self.on:
                return fn(*args, **kwargs)
            t0 = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                self.spent[key] += time.perf_counter() - t0

        return timed

    def restore(self) -> None:
        for undo in reversed(self.undo):
            undo()


def profile_completions(env: dict[str, str], token: str, instances: int, top: int = 22) -> str:
    """Time and profile `instances` instances' completions in process; returns a printable report."""
    for key in ("DATABASE_URL", "SECRET_KEY", "BATON_INSTANCE_DIR", "REDIS_URL"):
        if env.get(key):
            os.environ[key] = env[key]
    from sqlalchemy import event

    from server import create_app
    from server.db import db

    app = create_app()
    log_file = open(os.path.join(env["BATON_INSTANCE_DIR"], "profile.log"), "w")  # noqa: SIM115
    for handler in logging.getLogger().handlers:  # the server's logging, kept, but not on our terminal
        if isinstance(handler, logging.StreamHandler):
            handler.setStream(log_file)
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    timers = Timers()
    statements: Counter[str] = Counter()

    def run(n: int, first_no: int, measure: list[float]) -> None:
        for no in range(first_no, first_no + n):
            resp = client.post(f"/api/v1/processes/{PROCESS_ID}/instances", json={"data": {"no": no}},
                               headers=headers)
            if resp.status_code != 201:
                raise RuntimeError(f"start -> {resp.status_code}: {resp.get_data(as_text=True)[:300]}")
            inst: Any = resp.get_json()
            while inst["open_tasks"]:
                task = inst["open_tasks"][0]
                timers.on = True
                t0 = time.perf_counter()
                resp = client.post(f"/api/v1/tasks/{task['id']}/complete",
                                   json={"data": form_data(task["element_id"], no)}, headers=headers)
                measure.append(time.perf_counter() - t0)
                timers.on = False
                if resp.status_code != 200:
                    raise RuntimeError(f"complete -> {resp.status_code}: {resp.get_data(as_text=True)[:300]}")
                inst = resp.get_json()

    with app.app_context():
        engine = db.engine

    def on_execute(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if timers.on:
            statements[_shape(statement)] += 1

    out = io.StringIO()
    event.listen(engine, "before_cursor_execute", on_execute)
    try:
        run(3, 900_000, [])  # warm: definition cache, compiled SQL
        bare: list[float] = []
        run(instances, 905_000, bare)
        statements.clear()
        found = {f"{m}.{a}" for m, a, _ in PARTS if timers.wrap(m, a)}
        view = app.view_functions["api.complete"]
        app.view_functions["api.complete"] = timers.timed(view, "view")
        timed: list[float] = []
        run(instances, 910_000, timed)
        shapes = sorted(statements.items(), key=lambda kv: -kv[1])
        timers.restore()
        app.view_functions["api.complete"] = view
    finally:
        event.remove(engine, "before_cursor_execute", on_execute)
    n = len(timed)
    out.write(f"In process (Flask test client, no HTTP): {len(bare)} completions, mean "
              f"{sum(bare) / len(bare) * 1000:.2f} ms, p50 {sorted(bare)[len(bare) // 2] * 1000:.2f} ms\n")
    out.write(f"\nWall clock per completion, by part ({n} completions, timers on):\n")
    out.write(f"  {sum(timed) / n * 1000:7.3f} ms  the whole request through the test client\n")
    out.write(f"  {timers.spent['view'] / n * 1000:7.3f} ms  the view (auth in, Flask/WSGI out)\n")
    for module_name, attr, what in PARTS:
        key = f"{module_name}.{attr}"
        figure = f"{timers.spent[key] / n * 1000:7.3f} ms" if key in found else "  (absent) "
        out.write(f"  {figure}  {what}  [{key}]\n")
    out.write(f"\nSQL statements per completion: {sum(statements.values()) / n:.1f}\n")
    for shape, count in shapes:
        out.write(f"  {count / n:5.2f}  {shape}\n")

    profiler = cProfile.Profile()
    profiler.enable()
    run(max(5, instances // 2), 920_000, [])
    profiler.disable()
    log_file.close()
    for order in ("tottime", "cumulative"):
        s = io.StringIO()
        pstats.Stats(profiler, stream=s).strip_dirs().sort_stats(order).print_stats(top)
        text = s.getvalue()
        start = text.find("   ncalls")
        out.write(f"\ncProfile, top {top} by {order} (starts included):\n{text[start:].rstrip()}\n")
    return out.getvalue()
