"""Element coverage evidence: which models each passing test deployed, and which of their elements ran.

Active only when BATON_ELEMENT_COVERAGE names a JSON file to write (`make coverage-table` sets it);
otherwise it installs nothing and a test run pays nothing. When active it wraps, for the session:

- `bpmn.parse_bundle`, the one entry point every deployment, draft check and engine test goes
  through: the files given (by SHA-256 of their bytes), and whether the bundle deployed or was
  rejected, with the element ids its problems and warnings name;
- `bpmn.dmn.read_decisions`, which DMN tests also call directly: the DMN file and its problems;
- SpiffWorkflow's `TaskSpec._on_complete`: the BPMN element ids of the tasks that completed;
- the DMN evaluation (`_Evaluation.run`): the decision ids evaluated without failure.

Evidence is kept for a test only when its setup, call and teardown all passed. At the end of the
session the JSON holds every test's evidence and each model once (its repository path when the
bytes are those of a file in the repository, else its text). scripts/element_coverage.py turns it
into docs/element-coverage.md.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import sys
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pytest

ENV = "BATON_ELEMENT_COVERAGE"
ROOT = Path(__file__).resolve().parent.parent
_MODEL_SUFFIXES = (".bpmn", ".dmn", ".xml")


class Recorder:
    """The evidence of the running test, and that of every test that passed so far."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.current: dict[str, Any] | None = None
        self.failed = False
        self.tests: dict[str, dict[str, Any]] = {}
        self.models: dict[str, dict[str, str]] = {}

    def start(self) -> None:
        with self.lock:
            self.current = {"parses": [], "completed": set(), "decided": set()}
            self.failed = False

    def finish(self, nodeid: str) -> None:
        with self.lock:
            evidence, self.current = self.current, None
            if evidence is None or self.failed or (not evidence["parses"] and not evidence["decided"]):
                return
            self.tests[nodeid] = {"parses": evidence["parses"], "completed": sorted(evidence["completed"]),
                                  "decided": sorted(evidence["decided"])}

    def model(self, name: str, data: bytes) -> str:
        """Keep the model (also outside tests: module-level DMN reads) and return its digest."""
        digest = hashlib.sha256(data).hexdigest()
        with self.lock:
            self.models.setdefault(digest, {"name": name, "xml": data.decode("utf-8", "replace")})
        return digest

    def parse(self, files: list[dict[str, str]], outcome: str, problems: Iterable[Any]) -> None:
        named = [{"element_id": p.element_id, "severity": p.severity, "message": p.message}
                 for p in problems if getattr(p, "element_id", None)]
        with self.lock:
            if self.current is not None:
                self.current["parses"].append({"files": files, "outcome": outcome, "problems": named})

    def add(self, key: str, value: str | None) -> None:
        if not value:
            return
        with self.lock:
            if self.current is not None:
                self.current[key].add(value)

    def dump(self, path: Path) -> None:
        """Write the JSON; models whose bytes equal a repository file are named by its path."""
        by_digest = {}
        for suffix in ("bpmn", "dmn"):
            for file in ROOT.glob(f"tests/**/*.{suffix}"):
                by_digest[hashlib.sha256(file.read_bytes()).hexdigest()] = file.relative_to(ROOT).as_posix()
        models = {}
        for digest, model in self.models.items():
            if digest in by_digest:
                models[digest] = {"name": model["name"], "path": by_digest[digest]}
            else:
                models[digest] = model
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({"version": 1, "tests": self.tests, "models": models}, indent=1))


RECORDER = Recorder()
_inside = threading.local()  # .depth: how many parse_bundle calls this thread is in


def _replace(original: Callable[..., Any], wrapper: Callable[..., Any]) -> None:
    """Point every loaded module's name for `original` at `wrapper` (later imports find it too)."""
    for module in list(sys.modules.values()):
        try:
            names = [name for name, value in vars(module).items() if value is original]
        except TypeError:
            continue
        for name in names:
            setattr(module, name, wrapper)


def _install() -> None:
    from SpiffWorkflow.specs.base import TaskSpec

    import bpmn
    from bpmn import bundle
    from bpmn.dmn import evaluate, reader

    original_parse = bundle.parse_bundle

    @functools.wraps(original_parse)
    def parse_bundle(files: Any, *args: Any, **kwargs: Any) -> Any:
        recorded = [{"name": name, "digest": RECORDER.model(name, data)} for name, data in files.items()
                    if name.lower().endswith(_MODEL_SUFFIXES) and isinstance(data, bytes)]
        _inside.depth = getattr(_inside, "depth", 0) + 1
        try:
            result = original_parse(files, *args, **kwargs)
        except bpmn.ModelInvalid as invalid:
            RECORDER.parse(recorded, "rejected", invalid.problems)
            raise
        finally:
            _inside.depth -= 1
        RECORDER.parse(recorded, "deployed", result.warnings)
        return result

    original_read = reader.read_decisions

    @functools.wraps(original_read)
    def read_decisions(file: str, root: Any) -> Any:
        from lxml import etree

        decisions, problems = original_read(file, root)
        if not getattr(_inside, "depth", 0):  # parse_bundle records its own files, as given
            digest = RECORDER.model(file or "decisions.dmn", etree.tostring(root.getroottree()))
            errors = any(problem.severity == "error" for problem in problems)
            RECORDER.parse([{"name": file, "digest": digest}], "rejected" if errors else "deployed", problems)
        return decisions, problems

    original_run = evaluate._Evaluation.run

    def run(self: Any, decision_id: str, *args: Any) -> Any:
        result = original_run(self, decision_id, *args)
        RECORDER.add("decided", decision_id)
        return result

    original_complete = TaskSpec._on_complete

    def on_complete(self: Any, my_task: Any) -> Any:
        RECORDER.add("completed", getattr(self, "bpmn_id", None))
        return original_complete(self, my_task)

    _replace(original_parse, parse_bundle)
    _replace(original_read, read_decisions)
    evaluate._Evaluation.run = run  # type: ignore[method-assign,assignment]
    TaskSpec._on_complete = on_complete


_active = False


def pytest_configure(config: pytest.Config) -> None:
    global _active
    if os.environ.get(ENV) and not _active:
        _install()
        _active = True


def pytest_runtest_logstart(nodeid: str, location: Any) -> None:
    if _active:
        RECORDER.start()


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if _active and not report.passed:
        RECORDER.failed = True


def pytest_runtest_logfinish(nodeid: str, location: Any) -> None:
    if _active:
        RECORDER.finish(nodeid)


def pytest_sessionfinish(session: pytest.Session) -> None:
    if _active:
        RECORDER.dump(Path(os.environ[ENV]))
