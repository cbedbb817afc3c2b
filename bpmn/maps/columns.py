"""What a table header or a `key: value` bullet is about: step, owner, inputs, SLA, next step, notes."""

from __future__ import annotations

import re
from typing import Literal, TypeAlias

Column: TypeAlias = Literal["key", "step", "owner", "inputs", "documents", "sla", "next", "notes"]

# Checked in this order: "next step" is about routing and "step owner" about the owner, not the step.
_SYNONYMS: tuple[tuple[Column, tuple[str, ...]], ...] = (
    (
        "next",
        (
            "next",
            "next step",
            "next steps",
            "decision",
            "decisions",
            "goes to",
            "go to",
            "then",
            "routing",
            "route",
            "routes",
            "outcome",
            "outcomes",
            "transition",
            "transitions",
            "successor",
            "followed by",
            "branch",
            "branches",
            "flow",
        ),
    ),
    (
        "owner",
        (
            "owner",
            "owners",
            "role",
            "roles",
            "team",
            "teams",
            "lane",
            "lanes",
            "who",
            "responsible",
            "assignee",
            "assigned to",
            "actor",
            "department",
            "performer",
            "group",
            "swimlane",
            "done by",
            "by",
            "raci",
        ),
    ),
    (
        "inputs",
        (
            "inputs",
            "input",
            "fields",
            "field",
            "data",
            "information",
            "info",
            "form",
            "needs",
            "form fields",
            "data needed",
        ),
    ),
    (
        "documents",
        (
            "documents",
            "document",
            "docs",
            "attachments",
            "attachment",
            "files",
            "file",
            "evidence",
            "uploads",
        ),
    ),
    (
        "sla",
        (
            "sla",
            "slas",
            "due",
            "due in",
            "duration",
            "deadline",
            "time",
            "timing",
            "target time",
            "turnaround",
            "lead time",
            "time limit",
            "within",
            "tat",
        ),
    ),
    (
        "notes",
        ("notes", "note", "description", "details", "instructions", "comment", "comments", "how", "what"),
    ),
    (
        "key",
        (
            "#",
            "step #",
            "no",
            "nr",
            "num",
            "number",
            "id",
            "step no",
            "step number",
            "step id",
            "seq",
            "sequence",
            "order",
            "ref",
        ),
    ),
    (
        "step",
        (
            "step",
            "steps",
            "task",
            "tasks",
            "activity",
            "activities",
            "name",
            "action",
            "step name",
            "task name",
            "activity name",
            "process step",
            "what happens",
        ),
    ),
)
_WORDS = {kind: set(words) for kind, words in _SYNONYMS}


def normalise(header: str) -> str:
    text = header.strip().lower().replace("_", " ")
    text = re.sub(r"[^a-z0-9#/ ]+", " ", text)
    return " ".join(text.split())


def column_kind(header: str) -> Column | None:
    """The kind of a header, matched on the whole header first, then on its words."""
    text = normalise(header)
    if not text:
        return None
    for kind, words in _SYNONYMS:
        if text in words:
            return kind
    tokens = text.replace("/", " ").split()
    for kind, words in _SYNONYMS:
        if kind in ("key", "step"):
            continue
        if any(token in words for token in tokens) or any(" " in w and w in text for w in words):
            return kind
    if any(token in _WORDS["step"] for token in tokens):
        return "step"
    if any(token in _WORDS["key"] for token in tokens):
        return "key"
    return None
