"""The connector registry resolves names and aliases, and says what it knows when it does not."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from connectors import CallContext, ConnectorError, Registry, UnknownConnector, default_registry


def _double(params: Mapping[str, Any], context: CallContext) -> dict[str, Any]:
    if "n" not in params:
        raise ConnectorError("missing n", retryable=False, code="bad_params")
    return {"n": params["n"] * 2, "key": context.idempotency_key}


def test_registered_connector_is_called_with_params_and_context() -> None:
    registry = Registry()
    registry.register("double", _double, "double-topic")
    assert registry.call("double", {"n": 4}, CallContext("k1")) == {"n": 8, "key": "k1"}
    assert registry.call("double-topic", {"n": 1}, CallContext("k2")) == {"n": 2, "key": "k2"}


def test_alias_must_point_at_a_known_connector() -> None:
    registry = Registry()
    registry.register("double", _double)
    registry.alias("org.example.DoubleDelegate", "double")
    assert registry.resolve("org.example.DoubleDelegate") == "double"
    with pytest.raises(UnknownConnector):
        registry.alias("x", "nope")


def test_unknown_connector_names_the_known_ones() -> None:
    with pytest.raises(UnknownConnector, match="known: echo"):
        default_registry().get("http-connector-typo")


def test_connector_error_says_whether_retry_helps() -> None:
    registry = Registry()
    registry.register("double", _double)
    with pytest.raises(ConnectorError) as info:
        registry.call("double", {}, CallContext("k"))
    assert info.value.retryable is False and info.value.code == "bad_params"
