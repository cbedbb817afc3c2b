"""Decisions and next steps as people write them: `approve or reject; if rejected go back to 2`."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .errors import MapProblem
from .model import Route

END_WORDS = {
    "end",
    "the end",
    "end of process",
    "finish",
    "finished",
    "done",
    "stop",
    "close",
    "closed",
    "exit",
    "complete",
    "completion",
}
START_WORDS = {"start", "the start", "beginning", "the beginning", "the first step"}
NEXT_WORDS = {"next", "next step", "the next step", "continue", "proceed", "go on"}
ELSE_WORDS = {"otherwise", "else", "other", "any other", "anything else", "all other", "default"}
DECISION_WORDS = {
    "approve",
    "approved",
    "reject",
    "rejected",
    "accept",
    "accepted",
    "decline",
    "declined",
    "deny",
    "denied",
    "yes",
    "no",
    "ok",
    "not ok",
    "pass",
    "passed",
    "fail",
    "failed",
    "valid",
    "invalid",
    "complete",
    "incomplete",
    "go",
    "no go",
    "sign",
    "signed",
    "escalate",
    "escalated",
    "hold",
    "on hold",
    "return",
    "returned",
    "request changes",
    "changes requested",
    "rework",
    "cancel",
    "cancelled",
    "confirm",
    "confirmed",
    "clear",
    "cleared",
    "flag",
    "flagged",
    "high",
    "low",
    "medium",
    "compliant",
    "non-compliant",
}
_ARROW = re.compile(
    r"\s*(?:->|→|=>|⇒|-->)\s*"
    r"|(?:^|\s+|,\s*)(?:then\s+)?(?:(?:go(?:es)?|send\s+(?:it\s+)?|loop(?:s)?|jump(?:s)?|move(?:s)?|return(?:s)?"
    r"|skip(?:s)?|continue(?:s)?|proceed(?:s)?|pass(?:es)?\s+it|hand(?:s)?\s+(?:it\s+)?)"
    r"(?:\s+back|\s+on|\s+forward|\s+ahead)?\s+(?:to|with|at)|back\s+to|then)\s+",
    re.IGNORECASE,
)
_TARGET = re.compile(r"^(?:step\s*|no\.?\s*|#\s*)?(\d+[a-z]?)\.?$", re.IGNORECASE)
_DECIDE = re.compile(
    r"^(?:decide|decision|decides|choose|chooses|outcomes?|options?|result)\b\s*(?:is|:|-)?\s*", re.IGNORECASE
)


@dataclass
class Routing:
    """What a step's decision / next text says: declared outcomes, routes, and plain description."""

    outcomes: list[str] = field(default_factory=list)
    routes: list[Route] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def is_target(text: str) -> bool:
    """A step number (`5`, `step 3a`, `#2`) or the end/start of the process."""
    cleaned = clean_target(text).lower()
    return (
        bool(_TARGET.match(cleaned))
        or cleaned in END_WORDS
        or cleaned in START_WORDS
        or cleaned in NEXT_WORDS
    )


def clean_target(text: str) -> str:
    cleaned = text.strip().strip(".!*_`'\"").strip()
    return re.sub(r"^(?:the\s+)?(?:step\s+)", "", cleaned, flags=re.IGNORECASE).strip() or cleaned


def _outcome(text: str) -> str | None:
    """The outcome on the left of an arrow: `if rejected` -> `rejected`; empty -> None (always)."""
    cleaned = re.sub(
        r"^(?:if|when|on|once|after|for|in case(?: of)?|where)\s+(?:it\s+is\s+|it's\s+)?",
        "",
        text.strip(" ,.:").strip(),
        flags=re.IGNORECASE,
    )
    cleaned = re.sub(r"\s*,?\s*(?:then)?$", "", cleaned, flags=re.IGNORECASE).strip(" ,.:'\"`*_")
    if cleaned.lower() in ("", "then", "next", "always", "afterwards", "after that", "and"):
        return None
    if cleaned.lower() in ELSE_WORDS:
        return "*"
    return cleaned


def outcome_list(text: str) -> list[str]:
    """`approve or reject`, `yes/no`, `approve, reject or hold` -> the alternatives, as written."""
    pieces = re.split(r"\s*(?:,|/|\||\bor\b)\s*", text.strip(" .:"), flags=re.IGNORECASE)
    return [p.strip(" .'\"`*_") for p in pieces if p.strip(" .'\"`*_")]


def _is_decision_list(options: list[str], explicit: bool) -> bool:
    if len(options) < 2 or len(options) > 6 or any(len(o.split()) > 4 for o in options):
        return False
    return explicit or all(o.lower() in DECISION_WORDS for o in options)


def _clauses(text: str) -> list[str]:
    clauses: list[str] = []
    for part in re.split(r"[;\n]+", text):
        # "if approved go to 5, if rejected go back to 2": a comma before if/otherwise starts a clause.
        clauses.extend(re.split(r",\s*(?=(?:if|when|otherwise|else|or\s+if)\b)", part, flags=re.IGNORECASE))
    return [clause.strip() for clause in clauses if clause.strip(" .")]


def parse_routing(
    text: str, line: int | None, problems: list[MapProblem], *, routing_column: bool = False
) -> Routing:
    """Read decision and next-step text. `routing_column`: the text is known to be about routing
    (a table's next/decision column), so what is not understood is a problem, not a description."""
    result = Routing()
    for clause in _clauses(text):
        _clause(clause, line, result, problems, routing_column)
    return result


def _clause(
    clause: str, line: int | None, result: Routing, problems: list[MapProblem], routing_column: bool
) -> None:
    arrow = _ARROW.search(clause)
    bare_then = arrow is not None and arrow[0].strip(" ,").lower() == "then"
    if arrow and clause[arrow.end() :].strip() and (not bare_then or is_target(clause[arrow.end() :])):
        outcome, target = _outcome(clause[: arrow.start()]), clean_target(clause[arrow.end() :])
        result.routes.append(Route(outcome, target, line))
        return
    if ":" in clause:
        left, _, right = clause.partition(":")
        if is_target(right) and left.strip():
            result.routes.append(Route(_outcome(left), clean_target(right), line))
            return
    if is_target(clause):
        result.routes.append(Route(None, clean_target(clause), line))
        return
    decide = _DECIDE.match(clause)
    options = outcome_list(clause[decide.end() :] if decide else clause)
    if _is_decision_list(options, explicit=bool(decide) or routing_column):
        result.outcomes.extend(o for o in options if o not in result.outcomes)
        return
    if routing_column and len(clause.split()) <= 4 and not decide:
        # a bare step name in a next-step column: resolved (or reported) against the step names
        result.routes.append(Route(None, clean_target(clause), line))
        return
    if len(options) >= 2 and len(options) <= 6 and all(len(o.split()) <= 3 for o in options):
        problems.append(
            MapProblem(
                line,
                f"'{clause}' is read as a description, not as a decision",
                f"if it is a decision, write `decision: {' or '.join(options)}` and say where each outcome "
                f"goes, e.g. `if {options[-1]} go back to 2`",
            )
        )
    result.notes.append(clause)


def same_outcome(a: str, b: str) -> bool:
    """`approve` and `approved`, `reject` and `Rejected`: the same outcome written two ways."""
    x, y = _stem(a), _stem(b)
    return x == y or (len(x) >= 3 and len(y) >= 3 and (x.startswith(y) or y.startswith(x)))


def _stem(text: str) -> str:
    word = " ".join(text.lower().split())
    for suffix in ("ied", "ed", "d", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)] + ("y" if suffix == "ied" else "")
    return word
