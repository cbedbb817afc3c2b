"""The `email` connector: one message over SMTP (smtplib), text and/or HTML, to/cc/bcc.

Parameters (camunda-bpm-mail's `mail-send` names): `to`, `cc`, `bcc` (a comma list or a list),
`from`, `subject`, `text`, `html`. Settings (`context.settings`, from the server's configuration):
`host` (required), `port` (25; 465 with `ssl`), `user`, `password`, `starttls` (bool), `ssl`
(bool), `from` (the sender when the model names none).

SMTP has no idempotency key; the message carries one as its Message-ID (`<key@baton>`), so a
retried send can be recognised as the same message. Refusals with a 5xx reply cannot be retried;
4xx replies, timeouts and connection errors can.
"""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Iterable, Mapping
from email.message import EmailMessage
from email.utils import formatdate
from typing import Any

from connectors.errors import ConnectorError
from connectors.registry import CallContext

DEFAULT_PORT = 25
DEFAULT_SSL_PORT = 465


def call(params: Mapping[str, Any], context: CallContext) -> dict[str, Any]:
    """Send the message the parameters describe with the SMTP server the settings name."""
    settings = context.settings
    host = str(settings.get("host") or "").strip()
    if not host:
        raise ConnectorError(
            "no SMTP server is configured for the email connector: set its `host` in "
            "BATON_CONNECTOR_SETTINGS (or SMTP_URL)", retryable=False, code="NOT_CONFIGURED",
        )
    message = _message(params, settings, context)
    recipients = [address for key in ("to", "cc", "bcc") for address in _addresses(params.get(key))]
    use_ssl = _flag(settings.get("ssl"))
    port = int(settings.get("port") or (DEFAULT_SSL_PORT if use_ssl else DEFAULT_PORT))
    try:
        smtp: smtplib.SMTP = (
            smtplib.SMTP_SSL(host, port, timeout=context.timeout, context=ssl.create_default_context())
            if use_ssl else smtplib.SMTP(host, port, timeout=context.timeout)
        )
        with smtp:
            if _flag(settings.get("starttls")) and not use_ssl:
                smtp.starttls(context=ssl.create_default_context())
            if settings.get("user"):
                smtp.login(str(settings["user"]), str(settings.get("password") or ""))
            refused = smtp.send_message(message, to_addrs=recipients)
    except smtplib.SMTPAuthenticationError as error:
        raise ConnectorError(f"the SMTP server {host} refused the login: {_reply(error)}", retryable=False,
                             code="SMTP_AUTH", details={"host": host}) from None
    except smtplib.SMTPRecipientsRefused as error:
        replies = {str(addr): _reply_text(reply) for addr, reply in error.recipients.items()}
        codes = [reply[0] for reply in error.recipients.values()]
        raise ConnectorError(f"the SMTP server {host} refused every recipient: {replies}",
                             retryable=all(400 <= code < 500 for code in codes), code="SMTP_RECIPIENTS",
                             details={"host": host, "refused": replies}) from None
    except smtplib.SMTPResponseException as error:
        raise ConnectorError(f"the SMTP server {host} answered {_reply(error)}",
                             retryable=400 <= error.smtp_code < 500, code=f"SMTP_{error.smtp_code}",
                             details={"host": host}) from None
    except (smtplib.SMTPException, OSError) as error:  # timeouts, refused connections, dropped sessions
        raise ConnectorError(f"cannot send through the SMTP server {host}:{port}: {error}", retryable=True,
                             code="SMTP_CONNECTION", details={"host": host, "port": port}) from None
    return {
        "message_id": message["Message-ID"],
        "accepted": [r for r in recipients if r not in refused],
        "refused": {str(addr): _reply_text(reply) for addr, reply in refused.items()},
    }


def _message(params: Mapping[str, Any], settings: Mapping[str, Any], context: CallContext) -> EmailMessage:
    to = _addresses(params.get("to"))
    if not to:
        raise ConnectorError("the email connector needs a `to` parameter", retryable=False,
                             code="BAD_PARAMS", details={"parameter": "to"})
    sender = str(params.get("from") or settings.get("from") or settings.get("user") or "").strip()
    if not sender:
        raise ConnectorError("the email needs a sender: a `from` parameter or the `from` setting",
                             retryable=False, code="BAD_PARAMS", details={"parameter": "from"})
    text, html = params.get("text"), params.get("html")
    message = EmailMessage()
    message["From"] = sender
    message["To"] = ", ".join(to)
    cc = _addresses(params.get("cc"))
    if cc:
        message["Cc"] = ", ".join(cc)
    message["Subject"] = str(params.get("subject") or "")
    message["Date"] = formatdate(localtime=False, usegmt=True)
    message["Message-ID"] = f"<{context.idempotency_key}@baton>"
    message.set_content(str(text) if text is not None else "")
    if html is not None:
        message.add_alternative(str(html), subtype="html")
    return message


def _addresses(raw: Any) -> list[str]:
    if raw is None:
        return []
    items: Iterable[Any] = raw.split(",") if isinstance(raw, str) else raw
    return [str(item).strip() for item in items if str(item).strip()]


def _flag(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "on")
    return bool(value)


def _reply_text(reply: Any) -> str:
    if isinstance(reply, tuple) and len(reply) == 2:
        code, text = reply
        return f"{code} {text.decode(errors='replace') if isinstance(text, bytes) else text}"
    return str(reply)


def _reply(error: smtplib.SMTPResponseException) -> str:
    return _reply_text((error.smtp_code, error.smtp_error))
