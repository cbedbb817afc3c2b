"""List endpoints: limit/offset paging and the X-Total-Count header."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from flask import Response, jsonify, request
from sqlalchemy import Select

from server.access import count
from server.config import DEFAULT_PAGE_LIMIT, MAX_PAGE_LIMIT
from server.db import db
from server.errors import BadRequest


def page_args() -> tuple[int, int]:
    try:
        limit = int(request.args.get("limit", DEFAULT_PAGE_LIMIT))
        offset = int(request.args.get("offset", 0))
    except ValueError as exc:
        raise BadRequest("limit and offset must be whole numbers.") from exc
    if limit < 1 or offset < 0:
        raise BadRequest("limit must be at least 1 and offset at least 0.")
    return min(limit, MAX_PAGE_LIMIT), offset


def next_page_url(limit: int, offset: int) -> str:
    """This request's URL at the next page (same filters)."""
    args = request.args.to_dict(flat=False)
    args.update(limit=[str(limit)], offset=[str(offset + limit)])
    return request.base_url + "?" + urlencode(args, doseq=True)


def paged(query: Select[Any], render: Callable[[Any], dict[str, Any]]) -> Response:
    limit, offset = page_args()
    rows = db.session.scalars(query.limit(limit).offset(offset)).all()
    total = count(query)
    response = jsonify([render(r) for r in rows])
    response.headers["X-Total-Count"] = str(total)
    if offset + limit < total:
        response.headers["Link"] = f'<{next_page_url(limit, offset)}>; rel="next"'
    return response
