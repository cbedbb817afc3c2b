"""The map as read, before it becomes BPMN: steps with owner, inputs, SLA and routes; parallel sections."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Literal, TypeAlias

InputType: TypeAlias = Literal["string", "long", "boolean", "date", "enum", "document"]


@dataclass
class Input:
    """A field or document a step needs; `document` becomes a string field marked as a document."""

    name: str
    type: InputType = "string"
    options: tuple[str, ...] = ()
    required: bool = True
    line: int | None = None


@dataclass
class Route:
    """Where a step goes: for one outcome (None: whatever the outcome; "*": any other outcome)."""

    outcome: str | None
    target: str
    line: int | None = None


@dataclass
class Step:
    """One step of the map, as written on its line (and the lines nested under it)."""

    key: str
    name: str
    line: int
    owner: str = ""
    owner_line: int | None = None
    inputs: list[Input] = field(default_factory=list)
    sla: str | None = None
    sla_working: bool = False  # the SLA counts working time (Mon-Fri 09:00-17:00), not calendar time
    outcomes: list[str] = field(default_factory=list)
    routes: list[Route] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass
class Parallel:
    """Steps that run at the same time; the section continues once all of them are done."""

    key: str
    line: int
    branches: list[Step] = field(default_factory=list)


Block: TypeAlias = Step | Parallel


def slug(text: str, *, fallback: str = "x") -> str:
    """A lower-case identifier safe as an XML id and a JUEL variable: `Signed contract` -> signed_contract."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    cleaned = re.sub(r"[^a-z0-9]+", "_", ascii_text.lower()).strip("_")
    if not cleaned:
        cleaned = fallback
    if cleaned[0].isdigit():
        cleaned = f"{fallback}_{cleaned}"
    return cleaned[:48].rstrip("_")


def group_lettered(blocks: list[Block]) -> list[Block]:
    """Consecutive steps numbered 3a, 3b, ... become one parallel section with key 3."""
    grouped: list[Block] = []
    for block in blocks:
        match = re.fullmatch(r"(\d+)([a-z])", block.key) if isinstance(block, Step) else None
        previous = grouped[-1] if grouped else None
        if match and isinstance(block, Step):
            base = match[1]
            if (
                isinstance(previous, Parallel)
                and previous.key == base
                and previous.branches
                and re.fullmatch(rf"{base}[a-z]", previous.branches[-1].key)
            ):
                previous.branches.append(block)
                continue
            if isinstance(previous, Step) and re.fullmatch(rf"{base}[a-z]", previous.key):
                grouped[-1] = Parallel(key=base, line=previous.line, branches=[previous, block])
                continue
        grouped.append(block)
    return grouped
