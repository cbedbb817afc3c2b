"""Helpers for the page tests: people, deployments and task lookups through the real app."""

from __future__ import annotations

import re
from io import BytesIO
from pathlib import Path
from typing import Any

from flask import Flask

FIXTURES = Path(__file__).parent / "fixtures"
DEMO = Path(__file__).resolve().parents[2] / "server" / "demo" / "purchase_request.bpmn"
PASSWORD = "password-123"


def make_user(
    app: Flask,
    email: str,
    roles: tuple[str, ...] = ("participant",),
    groups: tuple[str, ...] = (),
    **extra: Any,
) -> None:
    from server import people
    from server.db import db

    with app.app_context():
        people.save_user(email, password=PASSWORD, roles=roles, groups=groups, **extra)
        db.session.commit()


def upload(browser: Any, *paths: Path, follow: bool = True) -> Any:
    """Deploy files through the Deploy page, as a browser would."""
    browser.get("/deploy")
    files = [(BytesIO(p.read_bytes()), p.name) for p in paths]
    return browser.post(
        "/deploy", {"files": files}, content_type="multipart/form-data", follow_redirects=follow
    )


def open_tasks(app: Flask, instance_id: int | None = None) -> list[dict[str, Any]]:
    from sqlalchemy import select

    from server.db import db
    from server.models import Task

    with app.app_context():
        query = select(Task).where(Task.state == "open").order_by(Task.created_at, Task.id)
        if instance_id is not None:
            query = query.where(Task.instance_id == instance_id)
        return [
            {"id": t.id, "element_id": t.element_id, "instance_id": t.instance_id, "assignee": t.assignee}
            for t in db.session.scalars(query)
        ]


def instance_row(app: Flask, instance_id: int) -> dict[str, Any]:
    from server.db import db
    from server.models import Instance

    with app.app_context():
        row = db.session.get(Instance, instance_id)
        assert row is not None
        return {"status": row.status, "data": dict(row.data), "business_key": row.business_key}


def text(html: str) -> str:
    """The visible text of a page, whitespace collapsed (for asserting on sentences)."""
    without_tags = re.sub(r"<[^>]+>", " ", re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", html, flags=re.S))
    return re.sub(
        r"\s+", " ", without_tags.replace("&amp;", "&").replace("&#34;", '"').replace("&#39;", "'")
    ).strip()


def instance_id_from(location: str) -> int:
    match = re.search(r"/instances/(\d+)", location)
    assert match, location
    return int(match.group(1))
