"""External participants: identities for outside e-mail addresses, and the signed links that open one case.

`sync_external` runs inside every `runtime.save` (it is in runtime.SIDE_TABLES). For each task the
change opened that is assigned to an e-mail address no user has (`camunda:assignee="${vendor_email}"`)
or offered to `external:someone@example.com`, it creates an external user (no password; flask-login
never loads one, so internal pages stay closed) and e-mails them a participant link to that case.

A link's token is an itsdangerous signature over the `external_links` row id and its nonce; the row
decides whether it still works (expires_at, revoked_at), so a link can be revoked and reissued.
"""

from __future__ import annotations

import os
import re
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import current_app
from itsdangerous import BadSignature, TimestampSigner, URLSafeTimedSerializer
from sqlalchemy import select

import bpmn
from server import notifications, runtime
from server.audit import PendingEvent
from server.clock import to_utc_naive, utcnow
from server.db import db
from server.errors import BatonError, Conflict, InvalidInput, NotFound
from server.models import ExternalLink, Instance, Task, User
from server.models.external import LINK_KINDS
from server.owners import EXTERNAL_PREFIX, plain_user
from server.runtime import Change

DEFAULT_DAYS = 14
SALT = "baton.external-link"
SESSION_KEY = "baton_external_link"
"""The session key holding the id of the link a visitor opened (never flask-login's user id)."""
_EMAIL = re.compile(r"[^@\s<>\"']+@[^@\s<>\"']+\.[^@\s<>\"']+")


class LinkRefused(BatonError):
    """A link that does not open anything (any more): tampered, expired or revoked."""

    status = 403
    code = "link_invalid"


class LinkGone(LinkRefused):
    status = 410
    code = "link_expired"


def looks_like_email(text: str | None) -> bool:
    return bool(text) and _EMAIL.fullmatch(str(text).strip()) is not None


def link_days() -> float:
    """How long a new link works (BATON_EXTERNAL_LINK_DAYS, config or environment; default 14)."""
    setting = current_app.config.get("BATON_EXTERNAL_LINK_DAYS") or os.environ.get("BATON_EXTERNAL_LINK_DAYS")
    return float(setting or DEFAULT_DAYS)


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def token_for(link: ExternalLink) -> str:
    """The link's signed token: always the same one for a link (signed as of its creation, not of
    now), so the address a person was e-mailed and the one the API answered are one address."""
    at = int(to_utc_naive(link.created_at).replace(tzinfo=UTC).timestamp())
    serializer = URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=SALT, signer=_SignedAt,
                                        signer_kwargs={"at": at})
    return serializer.dumps({"l": link.id, "n": link.nonce})


class _SignedAt(TimestampSigner):
    """Signs with a given time instead of now (the token carries it; links expire by their row)."""

    def __init__(self, *args: Any, at: int = 0, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.at = at

    def get_timestamp(self) -> int:
        return self.at


def path_for(link: ExternalLink) -> str:
    return f"/x/{token_for(link)}"


def url_for_link(link: ExternalLink) -> str:
    """The full address to send (BATON_BASE_URL + /x/<token>; the path alone without a base URL)."""
    return (current_app.config.get("BATON_BASE_URL") or "") + path_for(link)


def state_of(link: ExternalLink, now: datetime | None = None) -> str:
    """active | expired | revoked"""
    if link.revoked_at is not None:
        return "revoked"
    return "expired" if link.expires_at <= (now or utcnow()) else "active"


def check(link: ExternalLink | None) -> ExternalLink:
    """The link if it still opens its case; else LinkGone (expired, revoked) or LinkRefused."""
    if link is None:
        raise LinkRefused("This link is not valid. Ask the person who sent it for a new one.")
    state = state_of(link)
    if state == "revoked":
        raise LinkGone("This link was withdrawn. Ask the person who sent it for a new one.", reason=state)
    if state == "expired":
        raise LinkGone("This link has expired. Ask the person who sent it for a new one.", reason=state)
    if not link.user.active:
        raise LinkRefused("This link is not valid any more. Ask the person who sent it for a new one.")
    return link


def resolve(token: str) -> ExternalLink:
    """The link a token names, checked (signature, nonce, expiry, revocation)."""
    try:
        payload = _serializer().loads(token)
        link = db.session.get(ExternalLink, int(payload["l"]))
        nonce = str(payload["n"])
    except (BadSignature, KeyError, TypeError, ValueError):
        link, nonce = None, ""
    if link is not None and not secrets.compare_digest(link.nonce, nonce):
        link = None
    return check(link)


def external_user(email: str) -> User:
    """The external user for an address, created (no password) when nobody has it."""
    address = email.strip().casefold()
    user = notifications.find_user(address)
    if user is None:
        user = User(email=address, name="", password_hash=None, is_external=True, active=True)
        db.session.add(user)
        db.session.flush()
    return user


def active_link(user: User, instance_id: int, kind: str) -> ExternalLink | None:
    query = select(ExternalLink).where(
        ExternalLink.user_id == user.id, ExternalLink.instance_id == instance_id, ExternalLink.kind == kind,
        ExternalLink.revoked_at.is_(None), ExternalLink.expires_at > utcnow(),
    )
    found: ExternalLink | None = db.session.scalars(query.order_by(ExternalLink.id.desc())).first()
    return found


def issue(change: Change, user: User, kind: str, actor: User | None = None) -> ExternalLink:
    """A new link to the change's case for an external user, audited in the change."""
    if kind not in LINK_KINDS:
        raise InvalidInput({"kind": f"Use one of {', '.join(LINK_KINDS)}."})
    link = ExternalLink(user_id=user.id, instance_id=change.row.id, kind=kind, nonce=secrets.token_hex(16),
                        created_at=change.now, expires_at=change.now + timedelta(days=link_days()))
    db.session.add(link)
    db.session.flush()
    link.user = user
    change.events.append(PendingEvent(
        "external_link_issued", actor=actor, actor_label=None if actor else "engine",
        data={"link_id": link.id, "email": user.email, "kind": kind,
              "expires_at": link.expires_at.isoformat()},
    ))
    return link


def send_link(change: Change, link: ExternalLink, task: Task | None = None) -> None:
    """E-mail the link to its person (a notification row; the worker sends it after commit)."""
    case = change.row.title
    until = link.expires_at.strftime("%d %B %Y")
    if link.kind == "status":
        title = f"Follow the progress of {case}"
        body = f"Open the link to see where {case} stands. The link works until {until}."
    else:
        title = f"{case}: “{task.name}” waits on you" if task else f"{case} needs your input"
        body = (f"Open the link to see the case and do what is needed from you. No account or password is "
                f"needed; the link works until {until}. Do not forward it: it opens the case for you.")
    notifications.notify([link.user], kind="assignment" if link.kind == "participant" else "info",
                         title=title, body=body, link=path_for(link), instance_id=change.row.id,
                         task_id=task.id if task else None, change=change)


def _outsiders(task: Task, human: bpmn.HumanTask | None) -> list[User]:
    """The external people a new task waits on (creating their identities)."""
    people: list[User] = []
    if task.assignee and looks_like_email(task.assignee):
        user = notifications.find_user(task.assignee) or external_user(task.assignee)
        if user.is_external:
            people.append(user)
    for name in human.candidate_users if human else ():
        address = plain_user(name)
        if name.strip().casefold().startswith(EXTERNAL_PREFIX) and looks_like_email(address):
            user = external_user(address)
            if user.is_external and user not in people:
                people.append(user)
    return people


def sync_external(change: Change, wf: bpmn.Instance) -> None:
    """For each task this change opened for outside people: identities, a link, an e-mail."""
    # Only a task with an assignee or an "external:" candidate can wait on someone outside.
    opened = [e.task_id for e in change.events
              if e.kind == "task_opened" and e.task_id and e.meta.get("outside", True)]
    if not opened:
        return
    humans = {human.id: human for human in wf.human_tasks()}
    for task_id in opened:
        task = db.session.get(Task, task_id)
        if task is None or task.state != "open":
            continue
        for user in _outsiders(task, humans.get(task_id)):
            if not user.active:
                continue
            link = active_link(user, change.row.id, "participant") or issue(change, user, "participant")
            send_link(change, link, task)


# --- revoking and reissuing (case page and API) ---------------------------------------------------


def links_of(instance_id: int) -> list[ExternalLink]:
    query = select(ExternalLink).where(ExternalLink.instance_id == instance_id)
    return list(db.session.scalars(query.order_by(ExternalLink.created_at.desc(), ExternalLink.id.desc())))


def revoke(link_id: int, actor: User) -> ExternalLink:
    """Withdraw a link (audited on its case); revoking twice changes nothing."""

    def attempt() -> None:
        link = db.session.get(ExternalLink, link_id, populate_existing=True)
        if link is None:
            raise NotFound(f"Link {link_id} does not exist.")
        if link.revoked_at is not None:
            return
        row = db.session.get(Instance, link.instance_id, populate_existing=True)
        assert row is not None
        change = Change(row=row)
        runtime.lock(row)
        link.revoked_at = change.now
        change.events.append(PendingEvent("external_link_revoked", actor=actor,
                                          data={"link_id": link.id, "email": link.user.email,
                                                "kind": link.kind}))
        runtime.save(change, None)

    runtime.retrying(attempt)
    db.session.expire_all()
    found = db.session.get(ExternalLink, link_id)
    assert found is not None
    return found


def reissue(instance: Instance, email: str, kind: str, actor: User) -> ExternalLink:
    """A fresh link for a person on a case (their older links of that kind are revoked), e-mailed to them."""
    if not looks_like_email(email):
        raise InvalidInput({"email": "Enter an e-mail address."})
    if kind not in LINK_KINDS:
        raise InvalidInput({"kind": f"Use one of {', '.join(LINK_KINDS)}."})

    def attempt() -> int:
        row = db.session.get(Instance, instance.id, populate_existing=True)
        assert row is not None
        change = Change(row=row)
        runtime.lock(row)
        user = external_user(email)
        if not user.is_external:
            raise Conflict(f"{user.email} has a Baton account; they see the case by signing in.")
        older = select(ExternalLink).where(
            ExternalLink.user_id == user.id, ExternalLink.instance_id == row.id, ExternalLink.kind == kind,
            ExternalLink.revoked_at.is_(None))
        for old in db.session.scalars(older):
            old.revoked_at = change.now
            change.events.append(PendingEvent("external_link_revoked", actor=actor,
                                              data={"link_id": old.id, "email": user.email, "kind": kind}))
        link = issue(change, user, kind, actor)
        send_link(change, link)
        runtime.save(change, None)
        return link.id

    link_id = runtime.retrying(attempt)
    found = db.session.get(ExternalLink, link_id)
    assert found is not None
    return found


def to_json(link: ExternalLink) -> dict[str, object]:
    return {"id": link.id, "instance_id": link.instance_id, "email": link.user.email, "kind": link.kind,
            "state": state_of(link), "created_at": link.created_at.isoformat(),
            "expires_at": link.expires_at.isoformat(),
            "revoked_at": link.revoked_at.isoformat() if link.revoked_at else None,
            "last_used_at": link.last_used_at.isoformat() if link.last_used_at else None}


def register() -> None:
    """Put the side table in runtime.SIDE_TABLES once (after the SLA ladders)."""
    if sync_external not in runtime.SIDE_TABLES:
        runtime.SIDE_TABLES.append(sync_external)


register()
