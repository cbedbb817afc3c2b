"""POST /api/v1/maps/convert: a process map (text, Markdown, CSV, TSV or .xlsx) in, BPMN out."""

from __future__ import annotations

import os
from typing import Any, cast

from flask import Response, jsonify, request

from bpmn.maps import FORMATS, MAX_MAP_BYTES, MapFormat, MapInvalid, convert, heading
from server import auth
from server.api import api
from server.api.body import json_body
from server.errors import BadRequest, BatonError

EXTENSIONS: dict[str, MapFormat] = {
    ".md": "markdown",
    ".markdown": "markdown",
    ".txt": "text",
    ".text": "text",
    ".csv": "csv",
    ".tsv": "tsv",
    ".tab": "tsv",
    ".xlsx": "xlsx",
}


class InvalidMap(BatonError):
    """No model can be built from the map; `problems` name the line and suggest a fix."""

    status = 422
    code = "invalid_map"

    def __init__(self, problems: list[dict[str, Any]]) -> None:
        first = problems[0] if problems else {}
        where = f"line {first['line']}: " if first.get("line") else ""
        super().__init__(f"The map cannot be converted; {where}{first.get('message', '')}", problems=problems)


def _format(value: Any, field: str) -> MapFormat:
    if value not in FORMATS:
        raise BadRequest(f"'{field}' must be one of {', '.join(FORMATS)}.", field=field)
    return cast(MapFormat, value)


def _from_upload() -> tuple[bytes, MapFormat, str]:
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise BadRequest("Send the map as multipart field 'file'.", field="file")
    name = os.path.basename(upload.filename.replace("\\", "/"))
    stem, extension = os.path.splitext(name)
    if request.form.get("format"):
        format = _format(request.form["format"], "format")
    elif extension.lower() in EXTENSIONS:
        format = EXTENSIONS[extension.lower()]
    else:
        raise BadRequest(
            f"{name}: send a .md, .txt, .csv, .tsv or .xlsx file, or say its 'format'.", field="file"
        )
    data = upload.read(MAX_MAP_BYTES + 1)
    name = (
        request.form.get("process_name") or heading(data, format) or stem.replace("_", " ").replace("-", " ")
    )
    return data, format, name


def _from_json() -> tuple[str, MapFormat, str]:
    payload = json_body()
    text, name = payload.get("text"), payload.get("process_name") or ""
    if not isinstance(text, str) or not text.strip():
        raise BadRequest(
            "'text' must be the map as a string (or upload it as multipart field 'file').", field="text"
        )
    if not isinstance(name, str):
        raise BadRequest("'process_name' must be a string.", field="process_name")
    return text, _format(payload.get("format") or "markdown", "format"), name


@api.post("/maps/convert")
def convert_map() -> Response:
    """Convert a map; 200 with the BPMN, its process id and warnings, or 422 with the problems."""
    auth.require_role("admin", "analyst")
    data, format, name = _from_upload() if request.files else _from_json()
    try:
        conversion = convert(data, format=format, process_name=name)
    except MapInvalid as exc:
        raise InvalidMap([problem.to_dict() for problem in exc.problems]) from None
    return jsonify(conversion.to_dict())
