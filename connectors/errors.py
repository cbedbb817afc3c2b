"""Errors of the connectors package."""

from __future__ import annotations

from typing import Any


class ConnectorsError(Exception):
    """Base of every error the connectors package raises on purpose."""


class ConnectorError(ConnectorsError):
    """A call failed. `retryable` says whether trying again can help (a timeout can; a 400 cannot).

    `code` names the failure so a model's error boundary event can catch it (errorCode), and
    `details` carries what an operator needs to see in the incident (status, body excerpt, ...).
    """

    def __init__(
        self,
        message: str,
        *,
        retryable: bool,
        code: str = "connector_error",
        details: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.retryable = retryable
        self.code = code
        self.details = details or {}


class UnknownConnector(ConnectorsError):
    """No connector is registered under that name."""

    def __init__(self, name: str, known: list[str]) -> None:
        self.name = name
        super().__init__(f"no connector named {name!r}; known: {', '.join(known) or 'none'}")
