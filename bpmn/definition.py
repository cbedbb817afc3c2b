"""Definition: the parsed spec of one process and the specs it calls, serialized once per deployment."""

from __future__ import annotations

from typing import Any

from SpiffWorkflow.bpmn.specs.mixins.events.start_event import StartEvent

from .errors import BpmnError
from .event_subprocesses import listen_from_the_start
from .serialization import spec_from_dict, spec_to_dict

DEFINITION_FORMAT = "baton-definition-1"


class Definition:
    """What an instance needs to run: the process spec and every subprocess / called process spec.

    Parsed specs are immutable while instances run, so one Definition serves every instance of a
    deployment; the server keeps them in memory and stores `to_dict()` once per deployment.
    """

    __slots__ = ("external", "spec", "subprocess_specs")

    def __init__(self, spec: Any, subprocess_specs: dict[str, Any],
                 external: frozenset[str] = frozenset()) -> None:
        self.spec = spec
        self.subprocess_specs = subprocess_specs
        # Processes its call activities call from OTHER deployments (bpmn/called.py): the server
        # binds their latest version when an instance starts (see `rebind`).
        self.external = external
        for each in (spec, *subprocess_specs.values()):
            listen_from_the_start(each)  # event subprocesses listen while their scope runs

    def rebind(self, called: dict[str, Definition]) -> Definition:
        """This definition with the processes of other deployments it calls replaced by `called`
        (process id -> that process's Definition, e.g. its latest deployed version)."""
        specs = dict(self.subprocess_specs)
        for process_id, definition in called.items():
            if process_id in self.external:
                specs[process_id] = definition.spec
                # what that version calls in turn (a process id names one process in Baton)
                specs.update((name, sub) for name, sub in definition.subprocess_specs.items()
                             if name != self.process_id)
        rebound = object.__new__(Definition)  # the specs are prepared already (listen_from_the_start)
        rebound.spec, rebound.subprocess_specs, rebound.external = self.spec, specs, self.external
        return rebound

    @property
    def process_id(self) -> str:
        name: str = self.spec.name
        return name

    @property
    def initiator(self) -> str | None:
        """The variable a start event's `camunda:initiator` names, to hold the e-mail of the person who
        starts the instance (Camunda sets it to the starter's id); None when the process names none."""
        for spec in self.spec.task_specs.values():
            if isinstance(spec, StartEvent):
                name = ((getattr(spec, "extensions", None) or {}).get("baton") or {}).get("initiator")
                if name:
                    return str(name)
        return None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able dict of the specs (store it once per deployment)."""
        return {
            "format": DEFINITION_FORMAT,
            "process_id": self.process_id,
            "spec": spec_to_dict(self.spec),
            "subprocess_specs": {name: spec_to_dict(spec) for name, spec in self.subprocess_specs.items()},
            "external": sorted(self.external),
        }

    @classmethod
    def from_dict(cls, dct: dict[str, Any]) -> Definition:
        """Rebuild from `to_dict()` output; `dct` is left untouched."""
        if dct.get("format") != DEFINITION_FORMAT:
            raise BpmnError(f"not a Baton definition (format {dct.get('format')!r})")
        return cls(
            spec_from_dict(dct["spec"]),
            {name: spec_from_dict(spec) for name, spec in dct["subprocess_specs"].items()},
            frozenset(dct.get("external", ())),
        )

    def __repr__(self) -> str:
        return f"Definition({self.process_id!r}, {len(self.subprocess_specs)} subprocess specs)"
