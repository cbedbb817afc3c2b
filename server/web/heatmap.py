"""The process version page: the version's heatmap (diagram coloured by time or passes, the worst
bottlenecks and every element's figures as tables) for analysts, admins and auditors."""

from __future__ import annotations

from flask import render_template, request

from server import access, auth, heatmap
from server.api.heatmap import ROLES
from server.web import web


def duration_text(seconds: float | None) -> str:
    """A duration for people: '0 s', '45 s', '20 min', '2 h 30 min', '3 d 4 h'; '—' for none."""
    if seconds is None:
        return "—"
    if seconds < 1:
        return "0 s" if seconds == 0 else "< 1 s"
    if seconds < 60:
        return f"{seconds:.0f} s"
    minutes = round(seconds / 60)
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h" if hours else f"{days} d"


web.add_app_template_filter(duration_text, "duration")


@web.get("/processes/<process_id>/versions/<int:number>")
def process_version(process_id: str, number: int) -> str:
    user = auth.require_role(*ROLES)
    version = heatmap.find_version(process_id, number)
    figures = heatmap.heatmap(version, heatmap.limit_arg(request.args.get("limit")))
    return render_template(
        "process_version.html",
        version=version,
        figures=figures,
        may_start=version.startable and access.can_start(user, version),
        max_limit=heatmap.MAX_LIMIT,
    )


def kind_text(kind: str) -> str:
    """A BPMN element type in words: 'exclusiveGateway' -> 'exclusive gateway'."""
    words, current = [], ""
    for char in kind:
        if char.isupper() and current:
            words.append(current)
            current = ""
        current += char.lower()
    return " ".join([*words, current]) if current else " ".join(words)


web.add_app_template_filter(kind_text, "element_kind")
