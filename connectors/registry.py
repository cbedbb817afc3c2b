"""The connector registry: names (as models write them) to plain functions."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from connectors.errors import UnknownConnector


@dataclass(frozen=True)
class CallContext:
    """What a connector may know about the call besides its parameters."""

    idempotency_key: str
    instance_id: int | None = None
    element_id: str | None = None
    attempt: int = 1
    timeout: float = 30.0  # seconds
    settings: Mapping[str, Any] = field(default_factory=dict)


class Connector(Protocol):
    """A connector: parameters in, result variables out, or ConnectorError."""

    def __call__(self, params: Mapping[str, Any], context: CallContext) -> dict[str, Any]: ...


class Registry:
    """Connectors by name; aliases let a model's name (a topic, a connectorId) point at one."""

    def __init__(self) -> None:
        self._connectors: dict[str, Connector] = {}
        self._aliases: dict[str, str] = {}

    def register(self, name: str, connector: Connector, *aliases: str) -> None:
        self._connectors[name] = connector
        for alias in aliases:
            self._aliases[alias] = name

    def alias(self, alias: str, name: str) -> None:
        """Bind another name (e.g. a Java class or external-task topic) to a registered connector."""
        self.get(name)
        self._aliases[alias] = name

    def resolve(self, name: str) -> str | None:
        if name in self._connectors:
            return name
        return self._aliases.get(name)

    def get(self, name: str) -> Connector:
        resolved = self.resolve(name)
        if resolved is None:
            raise UnknownConnector(name, self.names())
        return self._connectors[resolved]

    def names(self) -> list[str]:
        return sorted(self._connectors)

    def call(self, name: str, params: Mapping[str, Any], context: CallContext) -> dict[str, Any]:
        return self.get(name)(params, context)


def default_registry() -> Registry:
    """A registry with the built-in connectors (none yet besides `echo`, for wiring checks)."""
    registry = Registry()
    registry.register("echo", _echo)
    return registry


def _echo(params: Mapping[str, Any], context: CallContext) -> dict[str, Any]:
    """Return the parameters as the result: a connector to check a model's wiring with."""
    return dict(params)
