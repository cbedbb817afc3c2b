"""Inputs as people write them: `amount (number)`, `signed contract (document)`, `tier (one of a, b)`."""

from __future__ import annotations

import re

from .errors import MapProblem
from .model import Input, InputType

TYPE_WORDS: dict[str, InputType] = {}
_TYPE_TABLE: tuple[tuple[tuple[str, ...], InputType], ...] = (
    (
        (
            "text",
            "string",
            "short text",
            "free text",
            "long text",
            "textarea",
            "paragraph",
            "name",
            "email",
            "e-mail",
            "phone",
            "comment",
            "comments",
            "note",
            "notes",
            "address",
            "url",
            "link",
        ),
        "string",
    ),
    (
        (
            "number",
            "integer",
            "int",
            "long",
            "whole number",
            "count",
            "quantity",
            "amount",
            "money",
            "currency",
            "price",
            "eur",
            "usd",
            "gbp",
            "numeric",
            "digits",
        ),
        "long",
    ),
    (
        (
            "yes/no",
            "yes or no",
            "boolean",
            "bool",
            "checkbox",
            "check box",
            "tick",
            "tickbox",
            "flag",
            "true/false",
            "confirmation",
        ),
        "boolean",
    ),
    (("date", "day", "deadline", "due date", "birthday"), "date"),
    (
        (
            "document",
            "doc",
            "docs",
            "file",
            "attachment",
            "upload",
            "pdf",
            "scan",
            "image",
            "photo",
            "picture",
            "signed document",
            "form",
            "certificate",
            "spreadsheet",
        ),
        "document",
    ),
)
for _words, _type in _TYPE_TABLE:
    for _word in _words:
        TYPE_WORDS[_word] = _type
# Written types Baton's forms cannot hold exactly: what they become, and why.
_APPROXIMATE: dict[str, tuple[InputType, str]] = {
    "decimal": ("long", "Baton's forms hold whole numbers; a decimal becomes a whole number field"),
    "float": ("long", "Baton's forms hold whole numbers; a decimal becomes a whole number field"),
    "percentage": ("long", "Baton's forms hold whole numbers; a percentage becomes a whole number field"),
    "datetime": ("date", "Baton's forms hold dates without a time; a date-time becomes a date field"),
    "time": ("string", "Baton's forms have no time field; a time becomes a text field"),
}
_CHOICE = re.compile(r"^(?:one\s+of|choice|choose|select|pick|options?|either)\s*[:\-]?\s*(?P<rest>.+)$")
_TYPES_HINT = "text, number, yes/no, date, document, or one of a, b, c"


def split_top_level(text: str, separators: str = ",;\n") -> list[str]:
    """Split on separators outside parentheses and brackets."""
    parts: list[str] = []
    depth, current = 0, list[str]()
    for char in text:
        if char in "([":
            depth += 1
        elif char in ")]" and depth:
            depth -= 1
        if char in separators and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return [part.strip() for part in parts if part.strip()]


def _options(text: str) -> tuple[str, ...]:
    pieces = re.split(r"\s*(?:,|/|\||\bor\b)\s*", text)
    return tuple(dict.fromkeys(piece.strip(" .'\"") for piece in pieces if piece.strip(" .'\"")))


def parse_input(
    text: str, line: int | None, problems: list[MapProblem], default_type: InputType = "string"
) -> Input | None:
    """One input: a name with an optional `(type, optional)` spec; None (and a problem) if no name."""
    text = text.strip().strip("*_`").strip()
    match = re.fullmatch(r"(?P<name>.*?)\s*\((?P<spec>[^()]*)\)\s*\.?", text)
    if not match:
        match = re.fullmatch(r"(?P<name>[^:]+?)\s*:\s*(?P<spec>[^:]+)", text)
        if match and not is_type_spec(match["spec"]):
            match = None
    name = (match["name"] if match else text).strip(" -:.")
    if not name:
        problems.append(
            MapProblem(
                line,
                f"the input '{text}' has no name",
                "write the input as `- name (type)`, e.g. `- amount (number)`",
            )
        )
        return None
    field = Input(name=name, type=default_type, line=line)
    if match:
        _apply_spec(field, match["spec"], line, problems)
    return field


def is_type_spec(spec: str) -> bool:
    words = [w.strip().lower() for w in split_top_level(spec, ",;")]
    return bool(words) and all(
        w in TYPE_WORDS or w in _APPROXIMATE or w in ("optional", "required") or _CHOICE.match(w)
        for w in words
    )


def _apply_spec(field: Input, spec: str, line: int | None, problems: list[MapProblem]) -> None:
    choice = _CHOICE.match(spec.strip().lower())
    if choice:
        field.type, field.options = "enum", _options(spec.strip()[len(spec.strip()) - len(choice["rest"]) :])
        return
    parts = [part.strip() for part in split_top_level(spec, ",;")]
    typed = False
    for part in parts:
        lowered = part.lower()
        if lowered in ("optional", "not required", "if any", "if applicable"):
            field.required = False
        elif lowered in ("required", "mandatory", "must"):
            field.required = True
        elif lowered in TYPE_WORDS and not typed:
            field.type, typed = TYPE_WORDS[lowered], True
        elif lowered in _APPROXIMATE and not typed:
            field.type, typed = _APPROXIMATE[lowered][0], True
            problems.append(
                MapProblem(
                    line,
                    f"input '{field.name}': {_APPROXIMATE[lowered][1]}",
                    "check the field in the modeller if it needs another type",
                )
            )
        elif "/" in part and not typed and len(_options(part)) > 1:
            field.type, field.options, typed = "enum", _options(part), True
        else:
            problems.append(
                MapProblem(
                    line,
                    f"input '{field.name}': '{part}' is not a type Baton knows; it becomes a text field",
                    f"use one of: {_TYPES_HINT}",
                )
            )
    if field.type == "boolean":
        field.required = False  # a required checkbox could never be left unticked


def parse_inputs(
    text: str, line: int | None, problems: list[MapProblem], default_type: InputType = "string"
) -> list[Input]:
    """A cell or bullet listing several inputs, separated by commas, semicolons or new lines."""
    found = []
    for part in split_top_level(text):
        parsed = parse_input(part, line, problems, default_type)
        if parsed is not None:
            found.append(parsed)
    return found


def looks_like_input(text: str) -> bool:
    """A short name, maybe with a `(type)`: what a bullet of inputs looks like (not a sentence)."""
    stripped = text.strip().strip("*_`")
    if re.fullmatch(r"[^()]+\([^()]*\)\.?", stripped):
        return True
    return len(stripped.split()) <= 5 and not re.search(r"[.!?]$", stripped) and ":" not in stripped
