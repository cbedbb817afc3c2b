"""The parsed form of a DMN decision (table or literal expression), serialized with the task spec."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

Dialect = Literal["feel", "python"]

HIT_POLICIES = ("UNIQUE", "FIRST", "PRIORITY", "ANY", "COLLECT", "RULE ORDER", "OUTPUT ORDER")
AGGREGATIONS = ("SUM", "MIN", "MAX", "COUNT")


@dataclass(frozen=True)
class Cell:
    """One input or output entry of a rule: its element id, its text and the line of that text."""

    id: str
    text: str
    line: int | None = None


@dataclass(frozen=True)
class InputClause:
    """A column of input: the expression giving the value its entries test."""

    id: str
    label: str
    expression: str
    type_ref: str = ""
    variable: str = "cellInput"  # camunda:inputVariable: the name entries may use for the value
    line: int | None = None

    @property
    def title(self) -> str:
        return self.label or self.expression or self.id


@dataclass(frozen=True)
class OutputClause:
    """A column of output; `values` are the allowed output values in priority order (PRIORITY)."""

    id: str
    name: str
    label: str = ""
    type_ref: str = ""
    values: tuple[Any, ...] = ()

    @property
    def key(self) -> str:
        """The variable name this output is stored under."""
        return self.name or self.label or self.id


@dataclass(frozen=True)
class Rule:
    id: str
    inputs: tuple[Cell, ...]
    outputs: tuple[Cell, ...]
    description: str = ""
    line: int | None = None


@dataclass(frozen=True)
class Decision:
    """A decision of a .dmn file: a decision table, or (when `expression` is set) a literal expression."""

    id: str
    name: str
    file: str
    dialect: Dialect
    hit_policy: str = "UNIQUE"
    aggregation: str | None = None
    inputs: tuple[InputClause, ...] = ()
    outputs: tuple[OutputClause, ...] = ()
    rules: tuple[Rule, ...] = ()
    required: tuple[str, ...] = ()
    expression: str | None = None
    variable: str = ""
    type_ref: str = ""
    line: int | None = None

    @property
    def returns_many(self) -> bool:
        """True when the result is a list of rule results (COLLECT without aggregation, RULE ORDER, ...)."""
        if self.expression is not None:
            return False
        return self.hit_policy in ("RULE ORDER", "OUTPUT ORDER") or (
            self.hit_policy == "COLLECT" and self.aggregation is None)

    @property
    def title(self) -> str:
        return f"'{self.name}' ({self.id})" if self.name and self.name != self.id else f"'{self.id}'"

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id, "name": self.name, "file": self.file, "dialect": self.dialect,
            "hit_policy": self.hit_policy, "aggregation": self.aggregation,
            "inputs": [vars(clause) for clause in self.inputs],
            "outputs": [{**vars(clause), "values": list(clause.values)} for clause in self.outputs],
            "rules": [{"id": rule.id, "description": rule.description, "line": rule.line,
                       "inputs": [vars(cell) for cell in rule.inputs],
                       "outputs": [vars(cell) for cell in rule.outputs]} for rule in self.rules],
            "required": list(self.required), "expression": self.expression, "variable": self.variable,
            "type_ref": self.type_ref, "line": self.line,
        }

    @classmethod
    def from_dict(cls, dct: dict[str, Any]) -> Decision:
        rules = tuple(
            Rule(id=rule["id"], description=rule["description"], line=rule["line"],
                 inputs=tuple(Cell(**cell) for cell in rule["inputs"]),
                 outputs=tuple(Cell(**cell) for cell in rule["outputs"]))
            for rule in dct["rules"])
        return cls(
            id=dct["id"], name=dct["name"], file=dct["file"], dialect=dct["dialect"],
            hit_policy=dct["hit_policy"], aggregation=dct["aggregation"],
            inputs=tuple(InputClause(**clause) for clause in dct["inputs"]),
            outputs=tuple(OutputClause(**{**clause, "values": tuple(clause["values"])})
                          for clause in dct["outputs"]),
            rules=rules, required=tuple(dct["required"]), expression=dct["expression"],
            variable=dct["variable"], type_ref=dct["type_ref"], line=dct["line"])
