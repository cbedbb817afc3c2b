"""Errors the server raises on purpose; each maps to one HTTP status and a JSON or HTML answer."""

from __future__ import annotations

from typing import Any


class BatonError(Exception):
    """Base: `code` is the machine-readable error, `status` the HTTP status, `extra` more JSON."""

    status = 400
    code = "bad_request"

    def __init__(self, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.message = message
        self.extra = extra

    def to_dict(self) -> dict[str, Any]:
        return {"error": self.code, "message": self.message, **self.extra}


class BadRequest(BatonError):
    status = 400
    code = "bad_request"


class Unauthorized(BatonError):
    status = 401
    code = "unauthorized"


class Forbidden(BatonError):
    status = 403
    code = "forbidden"


class StartedByOtherProcesses(Forbidden):
    """A person started a process its model keeps out of the task list (isStartableInTasklist="false")."""

    code = "started_by_other_processes"


class NotFound(BatonError):
    status = 404
    code = "not_found"


class NoMatch(NotFound):
    """A message or signal that no instance waits for and no process starts with."""

    code = "no_match"


class Conflict(BatonError):
    status = 409
    code = "conflict"


class TaskNotOpen(Conflict):
    code = "task_not_open"


class TaskTaken(Conflict):
    code = "task_claimed"


class InvalidInput(BatonError):
    """A submission failed validation; `fields` maps each bad field to a message for a person."""

    status = 422
    code = "invalid_input"

    def __init__(self, fields: dict[str, str], message: str = "Some fields need attention.") -> None:
        super().__init__(message, fields=fields)
        self.fields = fields


class InvalidModel(BatonError):
    """A deployment was rejected; `problems` name file, line and element."""

    status = 422
    code = "invalid_model"

    def __init__(self, problems: list[dict[str, Any]]) -> None:
        first = problems[0] if problems else {}
        where = f"{first.get('file')}" + (f", line {first['line']}" if first.get("line") else "")
        super().__init__(
            f"The model has {len(problems)} problem(s); first: {where}: {first.get('message', '')}",
            problems=problems,
        )
        self.problems = problems


class Busy(BatonError):
    """The instance kept changing under us; the caller may simply try again."""

    status = 503
    code = "busy"
