"""The notifications page and the bell: list, open (marks read), mark read, mark all read."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.wrappers import Response

from server import auth, notifications
from server.db import db
from server.errors import NotFound
from server.web import web
from server.web.layout import paginate


@web.app_template_global("unread_notifications")
def unread_notifications() -> int:
    """The bell's count for the signed-in user (one indexed COUNT, only where the bell is drawn)."""
    if not current_user.is_authenticated:
        return 0
    try:
        return notifications.unread_count(current_user)
    except SQLAlchemyError:  # an error page for a broken database must still render
        return 0


@web.get("/notifications")
def notifications_page() -> str:
    user = auth.user()
    unread_only = request.args.get("unread") == "1"
    page = paginate(notifications.for_user(user, unread_only=unread_only))
    return render_template("notifications.html", page=page, unread_only=unread_only,
                           unread=notifications.unread_count(user))


@web.get("/notifications/<int:notification_id>/open")
def open_notification(notification_id: int) -> Response:
    """Follow a notification's link, marking it read on the way."""
    user = auth.user()
    row = notifications.mark_read(user, notification_id)
    if row is None:
        raise NotFound("This notification does not exist, or it is not yours.")
    db.session.commit()
    link = row.link or ""
    if not link.startswith("/") or link.startswith("//"):  # only Baton's own pages
        link = url_for("web.notifications_page")
    return redirect(link)


@web.post("/notifications/<int:notification_id>/read")
def read_notification(notification_id: int) -> Response:
    user = auth.user()
    if notifications.mark_read(user, notification_id) is None:
        raise NotFound("This notification does not exist, or it is not yours.")
    db.session.commit()
    return redirect(url_for("web.notifications_page"))


@web.post("/notifications/read-all")
def read_all_notifications() -> Response:
    user = auth.user()
    count = notifications.mark_all_read(user)
    db.session.commit()
    flash(f"Marked {count} notification{'s' if count != 1 else ''} read." if count else "Nothing was unread.",
          "success")
    return redirect(url_for("web.notifications_page"))
