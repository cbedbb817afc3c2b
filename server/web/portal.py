"""The people around a case on its page: watch / unwatch, comments; the `at` filter of the progress view."""

from __future__ import annotations

from datetime import datetime

from flask import flash, redirect, request, url_for
from markupsafe import Markup
from werkzeug.wrappers import Response

from server import auth, comments, watchers
from server.errors import BadRequest
from server.web import web
from server.web.instances import visible_instance


@web.app_template_filter("at")
def at_filter(value: str | None) -> Markup:
    """An ISO time of the progress JSON as 'YYYY-MM-DD HH:MM UTC' (static/js/progress.js writes the same)."""
    if not value:
        return Markup("")
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return Markup("{}").format(value)
    return Markup('<time datetime="{}">{}</time>').format(value, moment.strftime("%Y-%m-%d %H:%M UTC"))


@web.post("/instances/<int:instance_id>/watch")
def watch_instance(instance_id: int) -> Response:
    user = auth.user()
    row = visible_instance(instance_id, user)
    if request.form.get("watch") == "0":
        watchers.unwatch(user, row)
        flash("You no longer follow this case.", "success")
    else:
        watchers.watch(user, row)
        flash("You follow this case now: you hear when its steps complete.", "success")
    return redirect(url_for("web.instance", instance_id=instance_id))


@web.post("/instances/<int:instance_id>/comments")
def comment_instance(instance_id: int) -> Response:
    user = auth.user()
    row = visible_instance(instance_id, user)
    try:
        comment = comments.add(row, user, request.form.get("body", ""))
    except BadRequest as exc:
        flash(exc.message, "error")
        return redirect(url_for("web.instance", instance_id=instance_id) + "#comments")
    told = f" {', '.join(comment.mentions)} will be told." if comment.mentions else ""
    flash(f"Comment posted.{told}", "success")
    return redirect(url_for("web.instance", instance_id=instance_id) + f"#comment-{comment.id}")
