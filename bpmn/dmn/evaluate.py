"""Evaluate a decision over variables: required decisions first, then the rules, then the hit policy.

Hit policies follow DMN 1.3 and Camunda 7: UNIQUE (two matching rules is an error naming both),
FIRST, PRIORITY and OUTPUT ORDER (by the order of the output columns' output values), ANY (every
matching rule must give the same outputs), RULE ORDER, COLLECT, and COLLECT with SUM, MIN, MAX
or COUNT over its one output (no match: COUNT gives 0, the others no result).
A required decision's result is visible to the requiring one the way Camunda hands it over: one
result (not from COLLECT / RULE ORDER) as its output variables, several as a list per output.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..errors import BpmnError
from . import cells
from .cells import PythonEvaluator
from .errors import DecisionFailed, DmnError
from .feel_values import coerce
from .model import Decision, Rule

Entry = dict[str, Any]


@dataclass(frozen=True)
class DecisionResult:
    """What a decision gave: one dict of output name -> value per result, and the rules that matched."""

    decision: Decision
    entries: list[Entry]
    rule_ids: tuple[str, ...] = field(default=())


def decide(decisions: Mapping[str, Decision], decision_id: str, variables: Mapping[str, Any],
           python: PythonEvaluator) -> DecisionResult:
    """Evaluate `decision_id` (and what it requires) over `variables`; DecisionFailed says why it cannot."""
    return _Evaluation(decisions, python).run(decision_id, variables, ())


def as_variables(result: DecisionResult) -> dict[str, Any]:
    """A required decision's result as variables of the decision requiring it (Camunda's rule)."""
    if not result.entries:
        return {}
    if len(result.entries) == 1 and not result.decision.returns_many:
        return dict(result.entries[0])
    keys = dict.fromkeys(key for entry in result.entries for key in entry)
    return {key: [entry[key] for entry in result.entries if key in entry] for key in keys}


class _Evaluation:
    def __init__(self, decisions: Mapping[str, Decision], python: PythonEvaluator) -> None:
        self.decisions = decisions
        self.python = python
        self.done: dict[str, DecisionResult] = {}

    def run(self, decision_id: str, variables: Mapping[str, Any], path: tuple[str, ...]) -> DecisionResult:
        if decision_id in self.done:
            return self.done[decision_id]
        decision = self.decisions.get(decision_id)
        if decision is None:
            raise DecisionFailed(path[-1] if path else decision_id, f"requires decision '{decision_id}', "
                                 "which is not in this deployment")
        if decision_id in path:
            raise DecisionFailed(decision_id, f"requires itself ({' -> '.join((*path, decision_id))})")
        scope = dict(variables)
        silent = []  # required decisions that gave no result: their outputs are missing from the scope
        for required in decision.required:
            given = self.run(required, variables, (*path, decision_id))
            scope.update(as_variables(given))
            if not given.entries:
                silent.append(given.decision)
        try:
            literal = decision.expression is not None
            result = self.literal(decision, scope) if literal else self.table(decision, scope)
        except DecisionFailed as failure:
            for quiet in silent:
                names = [clause.key for clause in quiet.outputs] or [quiet.variable]
                if any(f"'{name}'" in failure.message for name in names):
                    failure.message += f" (the required decision {quiet.title} gave no result)"
                    failure.args = (f"decision '{failure.decision_id}': {failure.message}",)
            raise
        self.done[decision_id] = result
        return result

    def literal(self, decision: Decision, scope: Mapping[str, Any]) -> DecisionResult:
        value = self.value(decision, None, decision.expression or "", scope, "the literal expression")
        typed = self.typed(decision, None, value, decision.type_ref, "the result")
        return DecisionResult(decision, [{decision.variable: typed}])

    def value(self, decision: Decision, rule: Rule | None, text: str, scope: Mapping[str, Any],
              where: str) -> Any:
        try:
            return cells.expression_value(decision.dialect, text, scope, self.python)
        except BpmnError as error:
            raise _failure(decision, rule, f"{where} ({text})", error) from None

    def typed(self, decision: Decision, rule: Rule | None, value: Any, type_ref: str, where: str) -> Any:
        if decision.dialect != "feel":
            return value  # SpiffWorkflow never converted Python cells; neither does Baton
        try:
            return coerce(value, type_ref)
        except DmnError as error:
            raise _failure(decision, rule, where, error) from None

    def table(self, decision: Decision, scope: Mapping[str, Any]) -> DecisionResult:
        values = []
        for clause in decision.inputs:
            where = f"input '{clause.title}'"
            raw = self.value(decision, None, clause.expression, scope, where)
            values.append(self.typed(decision, None, raw, clause.type_ref, where))
        matched = [rule for rule in decision.rules if self.matches(decision, rule, values, scope)]
        policy = decision.hit_policy
        if policy == "UNIQUE" and len(matched) > 1:
            raise DecisionFailed(decision.id, f"hit policy UNIQUE, but {_rules(decision, matched)} all match "
                                 f"({_inputs(decision, values)}); only one may", tuple(r.id for r in matched))
        if policy == "FIRST":
            matched = matched[:1]
        entries = [self.outputs(decision, rule, scope) for rule in matched]
        if policy == "ANY" and any(entry != entries[0] for entry in entries):
            raise DecisionFailed(decision.id, f"hit policy ANY, but {_rules(decision, matched)} match with "
                                 "different outputs", tuple(r.id for r in matched))
        if policy in ("PRIORITY", "OUTPUT ORDER"):
            order = sorted(range(len(entries)), key=lambda index: _priority(decision, entries[index]))
            matched, entries = [matched[i] for i in order], [entries[i] for i in order]
        if policy in ("PRIORITY", "ANY"):
            matched, entries = matched[:1], entries[:1]
        if decision.aggregation:
            entries = _aggregate(decision, entries, matched)
        return DecisionResult(decision, entries, tuple(rule.id for rule in matched))

    def matches(self, decision: Decision, rule: Rule, values: list[Any], scope: Mapping[str, Any]) -> bool:
        for cell, clause, value in zip(rule.inputs, decision.inputs, values, strict=True):
            try:
                if not cells.matches(decision.dialect, cell.text, value, scope, self.python, clause.variable):
                    return False
            except BpmnError as error:
                raise _failure(decision, rule, f"input '{clause.title}' ({cell.text})", error) from None
        return True

    def outputs(self, decision: Decision, rule: Rule, scope: Mapping[str, Any]) -> Entry:
        entry: Entry = {}
        for cell, clause in zip(rule.outputs, decision.outputs, strict=True):
            if decision.dialect == "feel" and not cell.text.strip():
                continue  # Camunda leaves an empty output entry out of the result
            where = f"output '{clause.key}'"
            value = self.value(decision, rule, cell.text, scope, where)
            entry[clause.key] = self.typed(decision, rule, value, clause.type_ref, where)
        return entry


def _failure(decision: Decision, rule: Rule | None, where: str, error: BaseException) -> DecisionFailed:
    message = getattr(error, "message", None) or str(error)
    if rule is None:
        return DecisionFailed(decision.id, f"{where}: {message}")
    number = decision.rules.index(rule) + 1
    return DecisionFailed(decision.id, f"rule {number} ({rule.id}), {where}: {message}", (rule.id,))


def _rules(decision: Decision, rules: list[Rule]) -> str:
    named = [f"{decision.rules.index(rule) + 1} ({rule.id})" for rule in rules]
    if len(named) == 1:
        return f"rule {named[0]}"
    return "rules " + ", ".join(named[:-1]) + " and " + named[-1]


def _inputs(decision: Decision, values: list[Any]) -> str:
    pairs = zip(decision.inputs, values, strict=True)
    return ", ".join(f"{clause.title} = {value!r}" for clause, value in pairs)


def _priority(decision: Decision, entry: Entry) -> tuple[int, ...]:
    key = []
    for clause in decision.outputs:
        if clause.values:
            value = entry.get(clause.key)
            key.append(clause.values.index(value) if value in clause.values else len(clause.values))
    return tuple(key)


def _aggregate(decision: Decision, entries: list[Entry], matched: list[Rule]) -> list[Entry]:
    [clause] = decision.outputs
    values = [entry[clause.key] for entry in entries if entry.get(clause.key) is not None]
    if decision.aggregation == "COUNT":
        return [{clause.key: len(values)}]
    if not values:
        return []
    numbers = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values)
    if decision.aggregation == "SUM" and not numbers:
        raise DecisionFailed(decision.id, f"COLLECT SUM needs numbers, {_rules(decision, matched)} gave "
                             f"{values!r}", tuple(r.id for r in matched))
    try:
        total: Any = sum(values) if decision.aggregation == "SUM" else (
            min(values) if decision.aggregation == "MIN" else max(values))
    except TypeError:
        raise DecisionFailed(decision.id, f"COLLECT {decision.aggregation} cannot compare {values!r}",
                             tuple(r.id for r in matched)) from None
    return [{clause.key: total}]
