"""One step from its text: `Finance approval (Finance, 2 days): approve or reject; if rejected go to 2`."""

from __future__ import annotations

import re

from .columns import Column
from .durations import parse_duration
from .errors import MapProblem
from .inputs import parse_inputs, split_top_level
from .model import Step
from .routing import parse_routing

_SPLIT = re.compile(r":|;|->|→|=>|\s[\u2014\u2013]\s")  # em and en dashes
_OWNER_PREFIX = re.compile(r"^(?:owner|role|team|lane|by|done\s+by|who)\s*[:=]?\s*", re.IGNORECASE)
_TIMEISH = re.compile(r"\d\s*(?:[dhmw]\b|day|hour|hr|week|wk|min|month|year|business|working)", re.IGNORECASE)
_SLA_HINT = "write the SLA as a duration such as `2 days`, `4h` or `P2D`"


def _outside_parentheses(text: str, pattern: re.Pattern[str]) -> int | None:
    depth = 0
    for index, char in enumerate(text):
        if char in "([":
            depth += 1
        elif char in ")]" and depth:
            depth -= 1
        elif depth == 0 and pattern.match(text, index):
            return index
    return None


def clean(text: str) -> str:
    """Markdown emphasis and code marks off, whitespace collapsed."""
    text = re.sub(r"(\*\*|__|`)", "", text)
    text = re.sub(r"(?<!\w)[*_](\S.*?\S|\S)[*_](?!\w)", r"\1", text)
    return " ".join(text.split())


def step_from_text(key: str, text: str, line: int, problems: list[MapProblem]) -> Step:
    """A step from the text after its number; the name is what comes before `(`, `:` or `;`."""
    text = clean(text)
    cut = _outside_parentheses(text, _SPLIT)
    head, rest = (text, "") if cut is None else (text[:cut], text[cut:].lstrip(":;").strip())
    if rest.startswith(("->", "→", "=>")):
        rest = "then " + re.sub(r"^(?:->|→|=>)\s*", "", rest)
    head = head.strip()
    details = ""
    match = re.fullmatch(r"(?P<name>.*\S)\s*\((?P<details>[^()]*)\)\s*\.?", head)
    if match:
        head, details = match["name"], match["details"]
    name = head.strip(" .-")
    if not name:
        problems.append(
            MapProblem(
                line, f"step {key} has no name", f"write it as `{key}. Name of the step (Owner, 2 days)`"
            )
        )
        name = f"Step {key}"
    step = Step(key=key, name=name, line=line)
    if details:
        _details(step, details, line, problems)
    if rest:
        apply(step, "next", rest, line, problems, routing_column=False)
    return step


def _details(step: Step, details: str, line: int, problems: list[MapProblem]) -> None:
    """`(Finance, 2 days)`: the owner and the SLA, in either order."""
    for part in split_top_level(details, ",;"):
        duration = parse_duration(part)
        owner = _OWNER_PREFIX.sub("", part).strip()
        if duration is not None and step.sla is None:
            _set_sla(step, duration)
        elif _TIMEISH.search(part) and duration is None and step.sla is None:
            problems.append(
                MapProblem(line, f"step {step.key}: '{part}' looks like an SLA but is unclear", _SLA_HINT)
            )
        elif not step.owner and owner:
            step.owner, step.owner_line = owner, line
        else:
            problems.append(
                MapProblem(
                    line,
                    f"step {step.key}: '{part}' in the brackets is neither the owner nor the SLA; ignored",
                    "put the owner and the SLA in the brackets, e.g. `(Finance, 2 days)`, "
                    "and notes after a colon",
                )
            )


def _set_sla(step: Step, duration: tuple[str, bool]) -> None:
    step.sla, step.sla_working = duration


def apply(
    step: Step,
    kind: Column,
    value: str,
    line: int,
    problems: list[MapProblem],
    *,
    routing_column: bool = True,
) -> None:
    """Set one attribute of a step from a table cell or a `key: value` line."""
    value = clean(value)
    if not value:
        return
    if kind == "owner":
        owners = split_top_level(value, ",;/")
        if len(owners) > 1 or " and " in value.lower():
            problems.append(
                MapProblem(
                    line,
                    f"step {step.key} has more than one owner ('{value}'); "
                    f"it goes to the lane of '{owners[0]}'",
                    "give each step one owner; split the step if two teams do it",
                )
            )
        step.owner, step.owner_line = _OWNER_PREFIX.sub("", owners[0]).strip(), line
    elif kind == "sla":
        duration = parse_duration(value)
        if duration is None:
            problems.append(
                MapProblem(
                    line,
                    f"step {step.key}: the SLA '{value}' is unclear; the step has no due date",
                    _SLA_HINT,
                )
            )
        else:
            _set_sla(step, duration)
    elif kind in ("inputs", "documents"):
        step.inputs.extend(
            parse_inputs(value, line, problems, "document" if kind == "documents" else "string")
        )
    elif kind == "next":
        routing = parse_routing(value, line, problems, routing_column=routing_column)
        step.outcomes.extend(o for o in routing.outcomes if o not in step.outcomes)
        step.routes.extend(routing.routes)
        step.notes.extend(routing.notes)
    elif kind == "notes":
        step.notes.append(value)
