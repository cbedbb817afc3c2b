"""convert(): a process map (text, Markdown, CSV, TSV or .xlsx) to a deployable BPMN model."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal, TypeAlias

from ..bundle import parse_bundle
from ..errors import ModelInvalid
from .builder import build_graph
from .errors import MapInvalid, MapProblem
from .layout import layout
from .model import Block, slug
from .tables import decode, delimited_rows, steps_from_rows, xlsx_rows
from .text import read_text
from .writer import write

MapFormat: TypeAlias = Literal["markdown", "text", "csv", "tsv", "xlsx"]
FORMATS: tuple[MapFormat, ...] = ("markdown", "text", "csv", "tsv", "xlsx")
MAX_MAP_BYTES = 2 * 1024 * 1024


@dataclass(frozen=True)
class Conversion:
    """The generated model, the id of its process, and what was unclear in the map."""

    bpmn: str
    process_id: str
    warnings: list[MapProblem] = field(default_factory=list)

    def to_dict(self) -> dict[str, object]:
        return {
            "bpmn": self.bpmn,
            "process_id": self.process_id,
            "warnings": [problem.to_dict() for problem in self.warnings],
        }


def process_id_for(name: str) -> str:
    """A process id from its name: `Vendor onboarding` -> `vendor_onboarding`."""
    return slug(name, fallback="process")


def _blocks(data: str | bytes, format: MapFormat, problems: list[MapProblem]) -> tuple[list[Block], str]:
    if format == "xlsx":
        if isinstance(data, str):
            raise MapInvalid(
                [
                    MapProblem(
                        None,
                        "an .xlsx map must be sent as a file, not as text",
                        "upload the workbook, or export the sheet as CSV",
                    )
                ]
            )
        return steps_from_rows(xlsx_rows(data), problems), ""
    text = decode(data)
    if format in ("csv", "tsv"):
        return steps_from_rows(delimited_rows(text, "\t" if format == "tsv" else None), problems), ""
    return read_text(text, problems)


def heading(data: str | bytes, format: MapFormat) -> str:
    """The first Markdown heading of a text map (empty for tables): the process name by default."""
    if format in ("markdown", "text"):
        for line in decode(data).splitlines():
            match = re.match(r"^\s{0,3}#{1,6}\s+(.+?)\s*#*\s*$", line)
            if match:
                return match[1]
    return ""


def convert(data: str | bytes, *, format: MapFormat, process_name: str = "") -> Conversion:
    """Convert a map to BPMN; raise MapInvalid when no model can be built from it.

    `process_name` names the pool and the process (its id is derived from it); without one, the
    first Markdown heading is used. Everything unclear that did not stop the conversion comes back
    as `warnings`, each with its line and a suggestion.
    """
    if format not in FORMATS:
        raise MapInvalid(
            [MapProblem(None, f"unknown map format '{format}'", f"use one of {', '.join(FORMATS)}")]
        )
    if len(data) > MAX_MAP_BYTES:
        raise MapInvalid(
            [
                MapProblem(
                    None,
                    f"the map is larger than {MAX_MAP_BYTES // 1024 // 1024} MiB",
                    "split it into several processes",
                )
            ]
        )
    problems: list[MapProblem] = []
    blocks, documentation = _blocks(data, format, problems)
    name = " ".join(process_name.split()) or heading(data, format) or "Process"
    graph = build_graph(blocks, problems)
    process_id = process_id_for(name)
    xml = write(graph, layout(graph), process_id, name, documentation)
    try:
        parse_bundle({f"{process_id}.bpmn": xml.encode()})
    except ModelInvalid as exc:  # a converter bug: say so plainly rather than hand out a broken model
        raise MapInvalid(
            [
                *problems,
                *(
                    MapProblem(
                        None,
                        f"the generated model does not parse: {p.message}",
                        "report this map to the Baton maintainers",
                    )
                    for p in exc.problems
                ),
            ]
        ) from None
    return Conversion(bpmn=xml, process_id=process_id, warnings=_sorted(problems))


def _sorted(problems: list[MapProblem]) -> list[MapProblem]:
    unique = list(dict.fromkeys(problems))
    return sorted(unique, key=lambda p: (p.line is None, p.line or 0))
