"""What every page shares: the sign-in gate, the navigation bar, template filters and paging."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import current_app, request
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import Select

from server import access
from server.auth import login_manager
from server.clock import iso, utcnow
from server.config import TASK_COUNT_CAP
from server.db import db
from server.web import web
from server.web.describe import owner

PUBLIC_ENDPOINTS = {"web.login"}
PAGE_SIZE = 25  # rows per list page


@dataclass(frozen=True)
class NavItem:
    """One entry of the navigation bar; `area` is the module whose pages it leads to."""

    label: str
    endpoint: str
    area: str


@web.before_request
def _require_sign_in() -> Any:
    """Every page but the login page needs a signed-in user; others go to the login page."""
    if request.endpoint not in PUBLIC_ENDPOINTS and not current_user.is_authenticated:
        return login_manager.unauthorized()
    return None


def nav_items() -> list[NavItem]:
    """The navigation bar for the signed-in user's roles."""
    if not current_user.is_authenticated:
        return []
    user = current_user
    items = [
        NavItem("My work", "web.work", "work"),
        NavItem("Processes", "web.processes", "catalog"),
        NavItem("Instances", "web.instances", "instances"),
    ]
    if access.can_deploy(user):
        items.append(NavItem("Deploy", "web.deploy", "deploy"))
        items.append(NavItem("Models", "web.models", "modeller"))
    if user.sees_everything:
        items.append(NavItem("SLA", "web.sla_page", "sla"))
    if user.is_admin:
        items.append(NavItem("Incidents", "web.incidents", "incidents"))
        items.append(NavItem("Admin", "web.users", "admin"))
    return items


def current_area() -> str:
    """The nav area of this request: the page module's name (users and groups are both Admin)."""
    endpoint = request.endpoint or ""
    view = current_app.view_functions.get(endpoint) if endpoint.startswith("web.") else None
    module = (getattr(view, "__module__", "") or "").rsplit(".", 1)[-1]
    if module == "tokens" and current_user.is_authenticated and current_user.is_admin:
        return "admin"  # admins reach tokens through the Admin tabs
    return {"users": "admin", "groups": "admin", "tasks": "work", "maps": "modeller"}.get(module, module)


@web.app_context_processor
def _layout() -> dict[str, Any]:
    return {"nav_items": nav_items, "current_area": current_area, "owner_of": owner}


# --- template filters ------------------------------------------------------------------------


def _span(seconds: float) -> str:
    minutes = seconds / 60
    if minutes < 1:
        return "less than a minute"
    if minutes < 60:
        return f"{int(minutes)} min"
    hours = minutes / 60
    if hours < 24:
        return f"{int(hours)} h"
    days = hours / 24
    if days < 60:
        return f"{int(days)} d"
    return f"{int(days // 30)} mo"


def ago_text(value: datetime | None, now: datetime | None = None) -> str:
    """'3 min ago', '2 h ago', 'just now' for a naive UTC datetime."""
    if value is None:
        return ""
    seconds = ((now or utcnow()) - value).total_seconds()
    if seconds < 60:
        return "just now"
    return f"{_span(seconds)} ago"


def due_text(value: datetime | None, now: datetime | None = None) -> str:
    """'in 3 h' or 'overdue by 2 d'."""
    if value is None:
        return ""
    seconds = (value - (now or utcnow())).total_seconds()
    return f"in {_span(seconds)}" if seconds >= 0 else f"overdue by {_span(-seconds)}"


@web.app_template_filter("total")
def total(n: int) -> str:
    """A count from access.count_upto: "1,234", or "1,000+" past the cap."""
    return f"{TASK_COUNT_CAP:,}+" if n > TASK_COUNT_CAP else f"{n:,}"


@web.app_template_filter("ago")
def ago_filter(value: datetime | None) -> Markup:
    """A <time> element: relative text, the exact UTC time as its tooltip."""
    if value is None:
        return Markup("")
    exact = value.strftime("%Y-%m-%d %H:%M UTC")
    return Markup('<time datetime="{}" title="{}">{}</time>').format(iso(value), exact, ago_text(value))


@web.app_template_filter("due")
def due_filter(value: datetime | None) -> Markup:
    if value is None:
        return Markup("")
    overdue = value < utcnow()
    css = "due due--overdue" if overdue else "due"
    exact = value.strftime("%Y-%m-%d %H:%M UTC")
    return Markup('<time class="{}" datetime="{}" title="{}">{}</time>').format(
        css, iso(value), exact, due_text(value)
    )


@web.app_template_filter("when")
def when_filter(value: datetime | None) -> Markup:
    """An exact time, 'YYYY-MM-DD HH:MM UTC', as a <time> element."""
    if value is None:
        return Markup("")
    return Markup('<time datetime="{}">{}</time>').format(iso(value), value.strftime("%Y-%m-%d %H:%M UTC"))


@web.app_template_filter("shown")
def shown_filter(value: Any) -> str:
    """A variable's value as text for a person (escaped by the template, never raw HTML)."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, default=str)


# --- paging ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Page:
    """One page of a list: its rows and where it sits among the others."""

    rows: list[Any]
    number: int
    size: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.size))

    @property
    def first_row(self) -> int:
        return 0 if self.total == 0 else (self.number - 1) * self.size + 1

    @property
    def last_row(self) -> int:
        return min(self.total, self.number * self.size)


def paginate(query: Select[Any], size: int = PAGE_SIZE) -> Page:
    """The page named by ?page= (1 when absent or nonsense)."""
    try:
        number = max(1, int(request.args.get("page", 1)))
    except ValueError:
        number = 1
    total = access.count(query)
    number = min(number, max(1, math.ceil(total / size)))
    rows = list(db.session.scalars(query.limit(size).offset((number - 1) * size)).unique())
    return Page(rows, number, size, total)
