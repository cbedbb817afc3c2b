"""The email connector against a real SMTP server (aiosmtpd): what arrives, and which refusals retry."""

from __future__ import annotations

import email
from collections.abc import Iterator
from email.message import Message
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from connectors import CallContext, ConnectorError, default_registry
from connectors.email import call
from tests.idempotent_http import free_port


class Inbox:
    """An aiosmtpd handler keeping what it received; `refuse` maps a recipient to an SMTP reply."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], Message]] = []
        self.refuse: dict[str, str] = {}

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append((list(envelope.rcpt_tos), email.message_from_bytes(envelope.content)))
        return "250 Message accepted"


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, dict[str, Any]]]:
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, {"host": "127.0.0.1", "port": port, "from": "baton@test.example"}
    finally:
        controller.stop()


def test_text_and_html_mail_reaches_every_recipient(smtp: tuple[Inbox, dict[str, Any]]) -> None:
    inbox, settings = smtp
    result = call({"to": "a@test.example, b@test.example", "cc": ["c@test.example"], "bcc": "d@test.example",
                   "subject": "Order 7 shipped", "text": "Plain words", "html": "<p>Rich words</p>"},
                  CallContext("baton-1-abc", settings=settings))
    assert result["accepted"] == ["a@test.example", "b@test.example", "c@test.example", "d@test.example"]
    assert result["message_id"] == "<baton-1-abc@baton>"
    recipients, message = inbox.messages[0]
    assert sorted(recipients) == ["a@test.example", "b@test.example", "c@test.example", "d@test.example"]
    assert message["Subject"] == "Order 7 shipped" and message["From"] == "baton@test.example"
    assert message["Cc"] == "c@test.example" and "Bcc" not in message
    assert message["Message-ID"] == "<baton-1-abc@baton>"
    parts = {part.get_content_type(): part.get_payload(decode=True).decode() for part in message.walk()
             if not part.is_multipart()}
    assert parts["text/plain"].strip() == "Plain words"
    assert parts["text/html"].strip() == "<p>Rich words</p>"


def test_mail_send_is_the_email_connector(smtp: tuple[Inbox, dict[str, Any]]) -> None:
    inbox, settings = smtp
    default_registry().call("mail-send", {"to": "a@test.example", "text": "hi", "from": "me@test.example"},
                            CallContext("k", settings=settings))
    assert inbox.messages[0][1]["From"] == "me@test.example"


@pytest.mark.parametrize(("reply", "retryable"), [("550 No such user", False), ("451 Try again later", True)])
def test_refused_recipients_retry_only_on_a_temporary_reply(
    smtp: tuple[Inbox, dict[str, Any]], reply: str, retryable: bool
) -> None:
    inbox, settings = smtp
    inbox.refuse["gone@test.example"] = reply
    with pytest.raises(ConnectorError) as info:
        call({"to": "gone@test.example", "text": "x"}, CallContext("k", settings=settings))
    assert info.value.retryable is retryable
    assert inbox.messages == []


def test_no_smtp_server_configured_cannot_be_retried() -> None:
    with pytest.raises(ConnectorError) as info:
        call({"to": "a@test.example"}, CallContext("k"))
    assert info.value.code == "NOT_CONFIGURED" and not info.value.retryable


def test_an_unreachable_smtp_server_can_be_retried() -> None:
    settings = {"host": "127.0.0.1", "port": free_port(), "from": "x@test.example"}
    with pytest.raises(ConnectorError) as info:
        call({"to": "a@test.example"}, CallContext("k", settings=settings, timeout=2))
    assert info.value.retryable and info.value.code == "SMTP_CONNECTION"
