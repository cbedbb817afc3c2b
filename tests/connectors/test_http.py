"""The http connector against a real local server: JSON in and out, the idempotency key, what retries."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from connectors import CallContext, ConnectorError, default_registry
from connectors.http import call
from tests.idempotent_http import IdempotentServer, free_port


@pytest.fixture
def server() -> Iterator[IdempotentServer]:
    running = IdempotentServer().start()
    yield running
    running.stop()


def test_json_body_goes_out_and_status_headers_and_json_come_back(server: IdempotentServer) -> None:
    result = call(
        {"url": f"{server.url}/orders/7", "method": "post", "headers": {"X-Order": 7},
         "payload": {"amount": 12.5, "tags": ["rush"]}},
        CallContext("key-1", timeout=5),
    )
    assert result["status"] == result["statusCode"] == 200
    assert result["headers"]["content-type"] == "application/json"
    assert result["body"]["received"] == {"amount": 12.5, "tags": ["rush"]}
    assert result["body"]["method"] == "POST"
    assert '"state": "accepted"' in result["response"]
    seen = server.requests[0]
    assert seen.headers["idempotency-key"] == "key-1"
    assert seen.headers["x-order"] == "7"
    assert seen.headers["content-type"] == "application/json"


def test_the_same_idempotency_key_has_its_effect_once(server: IdempotentServer) -> None:
    params = {"url": f"{server.url}/pay", "method": "POST", "json": {"cents": 100}}
    first = call(params, CallContext("pay-1"))
    again = call(params, CallContext("pay-1"))
    other = call(params, CallContext("pay-2"))
    assert first["body"] == again["body"]
    assert other["body"]["effect"] == 2
    assert server.effect_count("/pay") == 2


def test_query_text_payload_and_basic_auth(server: IdempotentServer) -> None:
    result = call({"url": f"{server.url}/search?x=1", "query": {"q": "a b"}, "method": "PUT",
                   "payload": "plain words", "basic_auth_username": "u", "basic_auth_password": "p"},
                  CallContext("k"))
    seen = server.requests[0]
    assert seen.path == "/search?x=1&q=a+b"
    assert seen.body == "plain words"
    assert seen.headers["authorization"] == "Basic dTpw"
    assert result["body"]["method"] == "PUT"


@pytest.mark.parametrize(("status", "retryable"), [(503, True), (500, True), (429, True), (404, False),
                                                    (400, False), (422, False)])
def test_server_errors_can_be_retried_client_errors_cannot(
    server: IdempotentServer, status: int, retryable: bool
) -> None:
    server.plan("/flaky", status)
    with pytest.raises(ConnectorError) as info:
        call({"url": f"{server.url}/flaky"}, CallContext("k"))
    assert info.value.retryable is retryable
    assert info.value.code == f"HTTP_{status}"
    assert info.value.details["status"] == status
    assert f"planned {status}" in info.value.message


def test_a_slow_server_times_out_and_can_be_retried(server: IdempotentServer) -> None:
    server.delay("/slow", 2.0)
    with pytest.raises(ConnectorError) as info:
        call({"url": f"{server.url}/slow", "timeout": 0.3}, CallContext("k", timeout=10))
    assert info.value.retryable and info.value.code == "TIMEOUT"
    assert "within 0.3 s" in info.value.message


def test_the_call_timeout_caps_the_models_timeout(server: IdempotentServer) -> None:
    server.delay("/slow", 2.0)
    with pytest.raises(ConnectorError, match=r"within 0\.2 s"):
        call({"url": f"{server.url}/slow", "timeout": 60}, CallContext("k", timeout=0.2))


def test_nobody_listening_can_be_retried() -> None:
    with pytest.raises(ConnectorError) as info:
        call({"url": f"http://127.0.0.1:{free_port()}/x"}, CallContext("k", timeout=2))
    assert info.value.retryable and info.value.code == "CONNECTION"


@pytest.mark.parametrize(("params", "field"), [
    ({}, "url"), ({"url": "ftp://example.org/x"}, "url"), ({"url": "http://x", "method": "BREW"}, "method"),
    ({"url": "http://x", "headers": [1, 2]}, "headers"), ({"url": "http://x", "timeout": "soon"}, "timeout"),
])
def test_bad_parameters_cannot_be_retried_and_name_the_parameter(params: dict[str, Any], field: str) -> None:
    with pytest.raises(ConnectorError) as info:
        call(params, CallContext("k"))
    assert not info.value.retryable and info.value.code == "BAD_PARAMS"
    assert info.value.details["parameter"] == field


def test_modeller_names_reach_the_http_connector(server: IdempotentServer) -> None:
    registry = default_registry()
    assert registry.resolve("http-connector") == "http"
    assert registry.resolve("mail-send") == "email"
    result = registry.call("http/PostRequestV2", {"url": f"{server.url}/spiff", "data": {"a": 1}},
                           CallContext("k"))
    assert result["body"]["method"] == "POST" and result["body"]["received"] == {"a": 1}
