"""E-mail for notifications, sent by a worker: over SMTP (SMTP_URL), else written as .eml files.

SMTP_URL looks like `smtp://user:password@host:587?starttls=1` (or `smtps://host:465` for TLS from
the start). Without it, each message is written to `<instance>/mail/<id>.eml` and the log says so,
so a fresh machine loses nothing and a developer can open the messages in any mail program.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from datetime import UTC
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from flask import current_app
from sqlalchemy import update

from server.clock import utcnow
from server.db import db
from server.models import Notification, User
from server.redis_conn import instance_folder

log = logging.getLogger(__name__)

SMTP_TIMEOUT_S = 20
TRUTHY = ("1", "true", "yes", "on")


class MailError(Exception):
    """SMTP_URL cannot be read."""


def message_for(row: Notification, user: User) -> EmailMessage:
    """The e-mail for one notification: its title as the subject, its body and a link to Baton."""
    message = EmailMessage()
    message["Subject"] = f"[Baton] {row.title}"
    message["From"] = current_app.config.get("MAIL_FROM") or "Baton <baton@localhost>"
    message["To"] = user.email
    message["Date"] = format_datetime(row.created_at.replace(tzinfo=UTC), usegmt=True)
    message["Message-ID"] = make_msgid(idstring=f"notification-{row.id}", domain="baton.local")
    lines = [f"Hello {user.display_name},", "", row.title]
    if row.body:
        lines += ["", row.body]
    base = current_app.config.get("BATON_BASE_URL")
    if row.link:
        lines += ["", f"Open it in Baton: {base}{row.link}" if base else f"In Baton: {row.link}"]
    lines += ["", "-- ", "Baton. You get this because a process waits on you or your team."]
    message.set_content("\n".join(lines))
    return message


def smtp_send(url: str, message: EmailMessage) -> None:
    """Send one message through the SMTP server named by `url`."""
    parts = urlsplit(url)
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise MailError("SMTP_URL must look like smtp://user:password@host:587?starttls=1")
    options = {k: v[-1] for k, v in parse_qs(parts.query).items()}
    port = parts.port or (465 if parts.scheme == "smtps" else 25)
    context = ssl.create_default_context()
    client: smtplib.SMTP
    if parts.scheme == "smtps":
        client = smtplib.SMTP_SSL(parts.hostname, port, timeout=SMTP_TIMEOUT_S, context=context)
    else:
        client = smtplib.SMTP(parts.hostname, port, timeout=SMTP_TIMEOUT_S)
    with client:
        if parts.scheme == "smtp" and options.get("starttls", "").lower() in TRUTHY:
            client.starttls(context=context)
        if parts.username:
            client.login(unquote(parts.username), unquote(parts.password or ""))
        client.send_message(message)


def write_eml(message: EmailMessage, notification_id: int) -> Path:
    """Write the message to <instance>/mail/notification-<id>.eml (no SMTP server configured)."""
    folder = instance_folder(current_app) / "mail"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"notification-{notification_id}.eml"
    path.write_bytes(bytes(message))
    return path


def send_notification(notification_id: int) -> str:
    """RQ job: e-mail one notification once. Raises on a failed send, so RQ retries it later.

    Returns what happened: "sent", "written" (.eml file), "skipped" (already done) or "failed"
    (the last retry failed; the row says why).
    """
    row = db.session.get(Notification, notification_id)
    if row is None or row.email_status != "pending":
        return "skipped"
    user = db.session.get(User, row.user_id)
    if user is None or not user.active:
        _finish(row, "skipped", None)
        return "skipped"
    message = message_for(row, user)
    url = current_app.config.get("SMTP_URL")
    attempts = row.email_attempts + 1
    try:
        if url:
            smtp_send(str(url), message)
            outcome = "sent"
        else:
            path = write_eml(message, row.id)
            log.info("SMTP_URL is not set: wrote the mail for notification %s to %s", row.id, path)
            outcome = "written"
    except (OSError, smtplib.SMTPException, MailError) as exc:
        retries_left = _retries_left()
        status = "pending" if retries_left else "failed"
        _finish(row, status, f"{type(exc).__name__}: {exc}", attempts, sent=False)
        log.warning("mail for notification %s failed (attempt %s%s): %s", row.id, attempts,
                    "; RQ retries it" if retries_left else "; giving up", exc)
        if retries_left:
            raise
        return "failed"
    _finish(row, "sent", None, attempts, sent=True)
    return outcome


def _retries_left() -> bool:
    from rq import get_current_job

    job = get_current_job()
    return bool(job is not None and job.retries_left)


def _finish(row: Notification, status: str, error: str | None, attempts: int | None = None,
            *, sent: bool = False) -> None:
    values: dict[str, object] = {"email_status": status, "email_error": error}
    if attempts is not None:
        values["email_attempts"] = attempts
    if sent:
        values["emailed_at"] = utcnow()
    db.session.execute(update(Notification).where(Notification.id == row.id).values(**values)
                       .execution_options(synchronize_session=False))
    db.session.commit()
