"""First start on a new machine: an admin account, and a demo process to try Baton with."""

from __future__ import annotations

import logging
import secrets
from pathlib import Path

from flask import Flask
from sqlalchemy import select

from server import deploying, people
from server.db import db
from server.errors import InvalidModel
from server.models import ProcessVersion, User, UserRole

DEMO_DIR = Path(__file__).resolve().parent / "demo"
ADMIN_EMAIL = "admin@baton.local"
DEMO_GROUPS = ("requesters", "approvers", "purchasing")
log = logging.getLogger(__name__)


def ensure_admin(app: Flask) -> tuple[str, str] | None:
    """Create the first admin when no admin exists; returns (email, password) only then."""
    with app.app_context():
        has_admin = db.session.scalar(select(UserRole.user_id).where(UserRole.role == "admin").limit(1))
        if has_admin is not None:
            return None
        password = secrets.token_urlsafe(12)
        people.save_user(
            ADMIN_EMAIL, password=password, name="Administrator", roles=["admin"], groups=list(DEMO_GROUPS)
        )
        db.session.commit()
        return ADMIN_EMAIL, password


def load_demo(app: Flask) -> None:
    """Deploy the demo processes once (a redeploy of unchanged files would be a no-op anyway)."""
    with app.app_context():
        files = {p.name: p.read_bytes() for p in sorted(DEMO_DIR.glob("*.bpmn"))}
        if db.session.scalar(select(ProcessVersion.id).limit(1)) is not None:
            return
        admin = db.session.scalar(select(User).join(UserRole).where(UserRole.role == "admin").limit(1))
        if admin is None:
            return
        try:
            deploying.deploy(files, admin)
        except InvalidModel as exc:  # a broken demo must not stop Baton from starting
            log.error("demo process not deployed: %s", exc.message)
