"""One error handler: JSON for the API, a page for people, never a traceback."""

from __future__ import annotations

import logging

from flask import Flask, Response, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from server.errors import BatonError

log = logging.getLogger(__name__)


def wants_json() -> bool:
    if request.path.startswith("/api/"):
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return (
        best == "application/json" and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]
    )


def _answer(
    status: int, code: str, message: str, extra: dict[str, object] | None = None
) -> tuple[Response | str, int]:
    if wants_json():
        return jsonify({"error": code, "message": message, **(extra or {})}), status
    return render_template("error.html", status=status, code=code, message=message, extra=extra or {}), status


def init_app(app: Flask) -> None:
    @app.errorhandler(BatonError)
    def _baton(exc: BatonError) -> tuple[Response | str, int]:
        return _answer(exc.status, exc.code, exc.message, exc.extra)

    @app.errorhandler(CSRFError)
    def _csrf(exc: CSRFError) -> tuple[Response | str, int]:
        return _answer(
            400, "csrf_failed", "The form expired or was sent from elsewhere; reload the page and try again."
        )

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException) -> tuple[Response | str, int]:
        code = (exc.name or "error").lower().replace(" ", "_")
        status = exc.code or 500
        if status == 413:
            return _answer(413, "too_large", "The upload is too large.")
        return _answer(status, code, exc.description or exc.name)

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> tuple[Response | str, int]:
        log.exception("unexpected error on %s %s", request.method, request.path)
        return _answer(500, "internal_error", "Something went wrong on our side; it has been logged.")
