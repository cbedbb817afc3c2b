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
        """The registered name `name` stands for (itself, or what it is an alias of), else None."""
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


HTTP_METHODS = ("Get", "Post", "Put", "Patch", "Delete", "Head")
"""SpiffArena names its http operators `http/<Method>Request` (and `...RequestV2`)."""


def default_registry() -> Registry:
    """A registry with the built-in connectors under Baton's names and the ones modellers write.

    `http` (Camunda Modeler's `http-connector`; SpiffArena's `http/GetRequest`, ...), `email`
    (`mail-send`, the camunda-bpm-mail connector id), and `echo` for checking a model's wiring.
    """
    from connectors import email, http  # here: both modules import this one

    registry = Registry()
    registry.register("echo", _echo)
    registry.register("http", http.call, "http-connector")
    registry.register("email", email.call, "mail-send", "mail", "smtp/SendEmail")
    for method in HTTP_METHODS:
        registry.register(f"http/{method}Request", http.for_method(method.upper()), f"http/{method}RequestV2")
    return registry


def _echo(params: Mapping[str, Any], context: CallContext) -> dict[str, Any]:
    """Return the parameters as the result: a connector to check a model's wiring with."""
    return dict(params)
