"""Service-task connectors: plain functions of (params, context) that call the systems of record."""

from __future__ import annotations

from connectors.errors import ConnectorError, ConnectorsError, UnknownConnector
from connectors.registry import CallContext, Connector, Registry, default_registry

__all__ = [
    "CallContext",
    "Connector",
    "ConnectorError",
    "ConnectorsError",
    "Registry",
    "UnknownConnector",
    "default_registry",
]
