"""A step's decision: the outcomes it offers, the form field that records one, and where each goes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from .errors import MapProblem
from .model import Route, Step, slug
from .routing import same_outcome


@dataclass
class Option:
    """One outcome: its id in the form field, the name a person sees, and the target as written."""

    id: str
    name: str
    target: str
    line: int | None = None


@dataclass
class Decision:
    """The field a person fills in to decide, and the options; `type` is enum or boolean."""

    field_id: str
    label: str
    type: Literal["enum", "boolean"]
    options: list[Option] = field(default_factory=list)

    def condition(self, option_ids: list[str]) -> str:
        """The JUEL condition that one of these options was chosen: `${x == 'a' || x == 'b'}`."""
        if self.type == "boolean":
            return "${" + " || ".join(f"{self.field_id} == {i}" for i in option_ids) + "}"
        return "${" + " || ".join(f"{self.field_id} == '{i}'" for i in option_ids) + "}"


def _capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]


def _outcomes(step: Step, problems: list[MapProblem]) -> list[str]:
    outcomes = list(step.outcomes)
    for route in step.routes:
        if route.outcome in (None, "*"):
            continue
        if not any(same_outcome(route.outcome, known) for known in outcomes):
            outcomes.append(route.outcome)
    return outcomes


def _single(routes: list[Route], what: str, step: Step, problems: list[MapProblem]) -> Route | None:
    if len(routes) > 1:
        targets = " and ".join(route.target for route in routes)
        problems.append(
            MapProblem(
                routes[1].line,
                f"step {step.key} goes to {targets} {what}; only {routes[0].target} is used",
                "if these steps happen at the same time, write them as a parallel section "
                "(3a, 3b or `In parallel:`)",
            )
        )
    return routes[0] if routes else None


def decision_of(
    step: Step, taken: set[str], problems: list[MapProblem], *, in_parallel: bool = False
) -> tuple[Decision | None, str]:
    """The step's decision (None if it has none) and where it goes when nothing decides (as written).

    A step in a parallel section only records its outcome: it cannot route, so it is not told to.
    """
    plain = _single([r for r in step.routes if r.outcome is None], "without a condition", step, problems)
    others = _single([r for r in step.routes if r.outcome == "*"], "for 'otherwise'", step, problems)
    fallback = plain.target if plain else "next"
    outcomes = _outcomes(step, problems)
    if not outcomes:
        if others is not None:
            problems.append(
                MapProblem(
                    others.line,
                    f"step {step.key} says 'otherwise' but names no outcome",
                    "name the outcomes, e.g. `approve or reject; if rejected go back to 2`",
                )
            )
        return None, fallback
    rest = others.target if others else fallback
    routed = [r for r in step.routes if r.outcome not in (None, "*")]
    if not routed and others is None and not in_parallel:
        problems.append(
            MapProblem(
                step.line,
                f"step {step.key} offers {' or '.join(outcomes)} but does not say where each goes; "
                f"every outcome continues to {'the next step' if fallback == 'next' else fallback}",
                f"say where an outcome goes, e.g. `if {outcomes[-1]} go back to 1` "
                f"or `{outcomes[-1]} -> end`",
            )
        )

    def target(outcome: str) -> tuple[str, int | None]:
        for route in routed:
            if route.outcome is not None and same_outcome(route.outcome, outcome):
                return route.target, route.line
        return rest, step.line

    base = slug(step.name, fallback="step")
    if len(outcomes) == 1:
        field_id = _unique(f"{base}_{slug(outcomes[0], fallback='outcome')}", taken)
        to, line = target(outcomes[0])
        return Decision(
            field_id,
            f"{_capitalised(outcomes[0])}?",
            "boolean",
            [
                Option("true", _capitalised(outcomes[0]), to, line),
                Option("false", f"Not {outcomes[0]}", rest, step.line),
            ],
        ), fallback
    field_id = _unique(f"{base}_decision", taken)
    options: list[Option] = []
    used: set[str] = set()
    for outcome in outcomes:
        to, line = target(outcome)
        options.append(
            Option(_unique(slug(outcome, fallback="option"), used), _capitalised(outcome), to, line)
        )
    return Decision(field_id, "Decision", "enum", options), fallback


def _unique(candidate: str, taken: set[str]) -> str:
    name, count = candidate, 2
    while name in taken:
        name, count = f"{candidate}_{count}", count + 1
    taken.add(name)
    return name
