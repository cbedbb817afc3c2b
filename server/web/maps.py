"""Map -> Model page: paste or upload a process map, preview its BPMN, refine it in the modeller or deploy.

Nothing generated is kept between requests and no client-sent XML is trusted: each action posts the
map itself back (its text, or an uploaded .xlsx workbook as base64 in a hidden field) and converts it
again on the server.
"""

from __future__ import annotations

import base64
import binascii
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from bpmn.maps import FORMATS, MAX_MAP_BYTES, Conversion, MapError, MapFormat, MapInvalid, MapProblem, convert
from bpmn.maps import heading as map_heading
from bpmn.maps.tables import decode, xlsx_rows
from server import auth, deploying, drafts
from server.api.maps import EXTENSIONS
from server.db import db
from server.errors import BadRequest, InvalidModel
from server.models import User
from server.web import web

MAP_ROLES = ("admin", "analyst")
AUTO = "auto"  # the format picker's default: from the file's extension, Markdown for pasted text
FORMAT_LABELS: dict[str, str] = {
    AUTO: "Automatic",
    "markdown": "Markdown (numbered list)",
    "text": "Plain text (numbered list)",
    "csv": "CSV table",
    "tsv": "TSV table (copied from a spreadsheet)",
    "xlsx": "Excel workbook (.xlsx)",
}
ACCEPT = ",".join(sorted({".md", ".txt", ".csv", ".tsv", ".xlsx", *EXTENSIONS}))


@dataclass
class MapInput:
    """The map as the analyst sent it: its text (or a workbook), the format picked, the process name."""

    text: str = ""
    format: str = AUTO
    process_name: str = ""
    file_name: str = ""
    workbook: bytes = b""

    @property
    def map_format(self) -> MapFormat:
        """The format the converter reads: the one picked, else the file's, else Markdown."""
        if self.format in FORMATS:
            return self.format
        if self.workbook:
            return "xlsx"
        extension = os.path.splitext(self.file_name)[1].lower()
        return EXTENSIONS.get(extension, "markdown")

    @property
    def data(self) -> str | bytes:
        return self.workbook if self.workbook else self.text

    @property
    def name(self) -> str:
        """The process name: as typed, else the map's first heading, else the uploaded file's name."""
        stem = os.path.splitext(self.file_name)[0].replace("_", " ").replace("-", " ").strip()
        return " ".join(self.process_name.split()) or map_heading(self.data, self.map_format) or stem

    @property
    def workbook_b64(self) -> str:
        return base64.b64encode(self.workbook).decode("ascii")


@dataclass
class PageState:
    """Everything the page shows after a POST: the result, or what stopped it."""

    map: MapInput = field(default_factory=MapInput)
    conversion: Conversion | None = None
    problems: list[MapProblem] = field(default_factory=list)
    deploy_problems: list[dict[str, Any]] = field(default_factory=list)
    error: str = ""
    error_field: str = ""


def _analyst() -> User:
    return auth.require_role(*MAP_ROLES)


def _picked_format() -> str:
    value = request.form.get("format") or AUTO
    if value != AUTO and value not in FORMATS:
        raise BadRequest(f"Pick a format: {', '.join(FORMATS)}.", field="format")
    return value


def _upload_input(picked: str, process_name: str) -> MapInput | None:
    """The uploaded file, if one was chosen: text formats land in the text box, workbooks stay bytes."""
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return None
    name = os.path.basename(upload.filename.replace("\\", "/"))
    content = upload.read(MAX_MAP_BYTES + 1)
    found = MapInput(format=picked, process_name=process_name, file_name=name)
    if picked == AUTO and os.path.splitext(name)[1].lower() not in EXTENSIONS:
        raise BadRequest(
            f"{name}: choose a .md, .txt, .csv, .tsv or .xlsx file, or pick its format.", field="file"
        )
    if found.map_format == "xlsx":
        found.workbook = content
    else:
        found.text = decode(content)
        found.format = found.map_format  # the text box now holds it: say how to read it next time
    return found


def read_input() -> MapInput:
    """The map of this POST: an uploaded file, else the text box (and a workbook carried from before)."""
    picked, process_name = _picked_format(), request.form.get("process_name", "")
    uploaded = _upload_input(picked, process_name)
    if uploaded is not None:
        return uploaded
    carried = request.form.get("workbook", "")
    try:
        workbook = base64.b64decode(carried, validate=True) if carried else b""
    except (binascii.Error, ValueError):
        raise BadRequest("The carried workbook is damaged; upload the file again.", field="file") from None
    found = MapInput(
        text=request.form.get("text", ""),
        format=picked,
        process_name=process_name,
        file_name=os.path.basename(request.form.get("file_name", "")),
        workbook=workbook,
    )
    if not found.workbook and not found.text.strip():
        raise BadRequest("Paste a map into the text box, or choose a file.", field="text")
    return found


def map_lines(state: PageState) -> list[dict[str, Any]]:
    """The map as numbered lines (rows for a workbook), each with the warnings or problems on it."""
    notes: dict[int, list[MapProblem]] = {}
    for problem in (state.conversion.warnings if state.conversion else []) + state.problems:
        if problem.line:
            notes.setdefault(problem.line, []).append(problem)
    if state.map.workbook:
        try:
            rows: Sequence[tuple[int, list[str]]] = xlsx_rows(state.map.workbook)
        except MapError:
            rows = []
        numbered = [(number, "  |  ".join(cells)) for number, cells in rows]
    else:
        numbered = list(enumerate(state.map.text.splitlines(), start=1))
    return [{"number": n, "text": text, "notes": notes.get(n, [])} for n, text in numbered]


def render(state: PageState, status: int = 200) -> tuple[str, int]:
    return render_template(
        "map.html",
        state=state,
        map=state.map,
        lines=map_lines(state) if state.conversion or state.problems else [],
        formats=FORMAT_LABELS,
        accept=ACCEPT,
    ), status


@dataclass(frozen=True)
class Converted:
    """A map of this POST and the model converted from it."""

    map: MapInput
    conversion: Conversion


def _converted() -> Converted | tuple[str, int]:
    """Convert this POST's map; the re-rendered page (400 or 422) when it cannot be."""
    try:
        found = read_input()
    except BadRequest as exc:
        kept = MapInput(
            text=request.form.get("text", ""),
            format=request.form.get("format", AUTO),
            process_name=request.form.get("process_name", ""),
        )
        field_name = str(exc.extra.get("field", "text"))
        return render(PageState(kept, error=exc.message, error_field=field_name), 400)
    try:
        return Converted(found, convert(found.data, format=found.map_format, process_name=found.name))
    except MapInvalid as exc:
        return render(PageState(found, problems=exc.problems), 422)


@web.get("/maps")
def maps() -> tuple[str, int]:
    """The empty form: paste a map or choose a file."""
    _analyst()
    return render(PageState())


@web.post("/maps")
def preview_map() -> tuple[str, int]:
    """Convert the map and show the diagram, its warnings by line, and what to do next."""
    _analyst()
    result = _converted()
    if not isinstance(result, Converted):
        return result
    found, conversion = result.map, result.conversion
    return render(PageState(found, conversion))


@web.post("/maps/model")
def map_to_model() -> Response | tuple[str, int]:
    """A new draft holding the generated model, opened in the modeller."""
    user = _analyst()
    result = _converted()
    if not isinstance(result, Converted):
        return result
    found, conversion = result.map, result.conversion
    row = drafts.create(user, name=found.name, xml=conversion.bpmn)
    db.session.commit()
    flash(f"Created a draft from the map; refine it, then deploy. {_warned(conversion)}".strip(), "success")
    return redirect(url_for("web.modeller", model_id=row.id))


@web.post("/maps/deploy")
def deploy_map() -> Response | tuple[str, int]:
    """Deploy the generated model as it is; the deployment page, or every problem on this page."""
    user = _analyst()
    result = _converted()
    if not isinstance(result, Converted):
        return result
    found, conversion = result.map, result.conversion
    try:
        deployed = deploying.deploy({f"{conversion.process_id}.bpmn": conversion.bpmn.encode()}, user)
    except (InvalidModel, BadRequest) as exc:
        db.session.rollback()
        problems = exc.problems if isinstance(exc, InvalidModel) else [
            {"file": "", "line": None, "element_id": None, "message": exc.message}
        ]
        flash(f"Nothing was deployed: the generated model has {len(problems)} problem(s).", "error")
        return render(PageState(found, conversion, deploy_problems=problems), 422)
    names = ", ".join(f"{p.display_name} (version {p.version})" for p in deployed.processes)
    if deployed.unchanged:
        flash(f"This model is already deployed: {names}. Nothing changed.", "info")
    else:
        flash(f"Deployed {names}.", "success")
    return redirect(url_for("web.deployment", deployment_id=deployed.deployment.id))


@web.post("/maps/bpmn")
def map_bpmn() -> Response | tuple[str, int]:
    """The generated model as a .bpmn download (works without JavaScript)."""
    _analyst()
    result = _converted()
    if not isinstance(result, Converted):
        return result
    conversion = result.conversion
    return Response(
        conversion.bpmn,
        mimetype="application/xml",
        headers={"Content-Disposition": f'attachment; filename="{conversion.process_id}.bpmn"'},
    )


def _warned(conversion: Conversion) -> str:
    count = len(conversion.warnings)
    if not count:
        return ""
    return f"The map had {count} unclear line{'s' if count != 1 else ''}; check the generated steps."
