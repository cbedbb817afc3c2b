"""Read the decisions of a .dmn file (every one of them), pick its cell dialect, and check every cell.

The dialect is decided per file:
1. An `expressionLanguage` or `typeLanguage` attribute on <definitions> that names Python
   (`python`) or FEEL (a URI or word containing `feel`; Camunda's `juel` counts as FEEL) decides;
   else an `expressionLanguage` on any element of the file does (Python first, when both occur:
   spiff-example-cli writes `expressionLanguage="python"` on input expressions). This is strict.
2. Otherwise a file that shows Camunda's hand — it binds a prefix to Camunda's DMN namespace
   (`xmlns:camunda="http://camunda.org/schema/1.0/dmn"`), its `exporter` names Camunda, or it sets
   `modeler:executionPlatform` — is read as FEEL; any other file as Python (SpiffArena writes no
   marker, and SpiffWorkflow has always read cells as Python). The `namespace` attribute of
   <definitions> says nothing: dmn-js writes Camunda's there for every file.
3. When rule 2 picked a dialect in which some cell does not parse but every cell parses in the
   other one, the file is read in the other dialect and a warning says so (FEEL refuses Python's
   `True`/`False`/`None`, so a Camunda-exported file of Python cells still reads as Python).
Problems name the file, the line of the cell's <text>, the rule id, the cell id, and the rule.
"""

from __future__ import annotations

from lxml import etree

from ..errors import Problem
from ..xmlsafe import line
from . import cells
from .errors import CellSyntaxError
from .model import AGGREGATIONS, HIT_POLICIES, Cell, Decision, Dialect, InputClause, OutputClause, Rule

CAMUNDA_DMN_NS = "http://camunda.org/schema/1.0/dmn"
_LANGUAGE_ATTRIBUTES = ("expressionLanguage", "typeLanguage")
_ABBREVIATIONS: dict[str, tuple[str, str | None]] = {
    "U": ("UNIQUE", None), "A": ("ANY", None), "P": ("PRIORITY", None), "F": ("FIRST", None),
    "R": ("RULE ORDER", None), "O": ("OUTPUT ORDER", None), "C": ("COLLECT", None),
    "C+": ("COLLECT", "SUM"), "C<": ("COLLECT", "MIN"), "C>": ("COLLECT", "MAX"), "C#": ("COLLECT", "COUNT"),
}
_NAMES = {"feel": "FEEL", "python": "Python"}
_MODELER_PLATFORM = "{http://camunda.org/schema/modeler/1.0}executionPlatform"


def _local(element: etree._Element) -> str:
    return etree.QName(element).localname if isinstance(element.tag, str) else ""


def _children(element: etree._Element, name: str) -> list[etree._Element]:
    return [child for child in element if _local(child) == name]


def _text(element: etree._Element | None) -> str:
    """The <text> of an expression element ("" when there is none)."""
    if element is None:
        return ""
    texts = _children(element, "text")
    return (texts[0].text or "").strip() if texts else ""


def _text_line(element: etree._Element) -> int | None:
    texts = _children(element, "text")
    return line(texts[0] if texts else element)


def _language(value: str | None) -> Dialect | None:
    lowered = (value or "").lower()
    if "python" in lowered:
        return "python"
    if "feel" in lowered or "juel" in lowered:
        return "feel"
    return None


def dialect_of(root: etree._Element) -> tuple[Dialect, str, bool]:
    """The cell dialect of a DMN file, why, and whether the file says so explicitly."""
    for attribute in _LANGUAGE_ATTRIBUTES:
        said = _language(root.get(attribute))
        if said:
            return said, f'<definitions {attribute}="{root.get(attribute)}">', True
    named = {_language(element.get("expressionLanguage")) for element in root.iter()
             if isinstance(element.tag, str)} - {None}
    if "python" in named:
        return "python", 'expressionLanguage="python" in the file', True
    if "feel" in named:
        return "feel", "a FEEL expressionLanguage in the file", True
    if any(prefix and uri == CAMUNDA_DMN_NS for prefix, uri in root.nsmap.items()):
        return "feel", "it declares the camunda: namespace of Camunda Modeler", False
    if "camunda" in (root.get("exporter") or "").lower():
        return "feel", f"it was exported by {root.get('exporter')}", False
    if root.get(_MODELER_PLATFORM):
        return "feel", f"it targets {root.get(_MODELER_PLATFORM)}", False
    return "python", "it carries no FEEL or Camunda marker (SpiffArena)", False


def _input_clause(element: etree._Element) -> InputClause:
    expressions = _children(element, "inputExpression")
    expression = expressions[0] if expressions else None
    return InputClause(
        id=element.get("id") or "", label=element.get("label") or "",
        expression=_text(expression),
        type_ref=(expression.get("typeRef") or "") if expression is not None else "",
        variable=element.get(f"{{{CAMUNDA_DMN_NS}}}inputVariable") or "cellInput",
        line=line(element))


def _rule(element: etree._Element) -> Rule:
    def cells_of(name: str) -> tuple[Cell, ...]:
        return tuple(Cell(entry.get("id") or "", _text(entry), _text_line(entry))
                     for entry in _children(element, name))

    descriptions = _children(element, "description")
    return Rule(id=element.get("id") or "", inputs=cells_of("inputEntry"), outputs=cells_of("outputEntry"),
                description=(descriptions[0].text or "").strip() if descriptions else "",
                line=line(element))


def _required(element: etree._Element) -> tuple[str, ...]:
    found = []
    for requirement in _children(element, "informationRequirement"):
        for required in _children(requirement, "requiredDecision"):
            href = required.get("href") or ""
            found.append(href.split("#")[-1])
    return tuple(found)


class _FileReader:
    """Reads one file's decisions in one dialect, collecting a Problem per bad element or cell."""

    def __init__(self, file: str, dialect: Dialect, reason: str) -> None:
        self.file = file
        self.dialect = dialect
        self.reason = reason
        self.problems: list[Problem] = []

    def problem(self, line: int | None, element_id: str | None, message: str) -> None:
        self.problems.append(Problem(self.file, line, element_id, message))

    def check(self, cell: Cell, where: str, rule_id: str, *, test: bool) -> None:
        try:
            if test:
                cells.check_input_entry(self.dialect, cell.text)
            else:
                cells.check_expression(self.dialect, cell.text)
        except CellSyntaxError as error:
            language = _NAMES[self.dialect]
            self.problem(cell.line, rule_id or cell.id,
                         f"{where} (cell {cell.id}) {cell.text!r}: {error.message} "
                         f"(this file is read as {language} because {self.reason})")

    def decision(self, element: etree._Element) -> Decision | None:
        decision_id = element.get("id") or ""
        base = Decision(id=decision_id, name=element.get("name") or "", file=self.file, dialect=self.dialect,
                        required=_required(element), line=line(element))
        tables = _children(element, "decisionTable")
        literals = _children(element, "literalExpression")
        if literals and not tables:
            variables = _children(element, "variable")
            text = Cell(literals[0].get("id") or "", _text(literals[0]), _text_line(literals[0]))
            self.check(text, f"decision {decision_id}: literal expression", decision_id, test=False)
            variable = (variables[0].get("name") if variables else None) or decision_id
            type_ref = (variables[0].get("typeRef") if variables else None) or ""
            literal = {"expression": text.text, "variable": variable, "type_ref": type_ref}
            return Decision(**{**vars(base), **literal})
        if len(tables) != 1:
            self.problem(line(element), decision_id,
                         "this decision has no decision table or literal expression Baton can run")
            return None
        return self.table(base, tables[0])

    def table(self, base: Decision, table: etree._Element) -> Decision:
        policy = " ".join((table.get("hitPolicy") or "UNIQUE").upper().replace("_", " ").split())
        aggregation = (table.get("aggregation") or "").upper() or None
        if policy in _ABBREVIATIONS:  # the DMN spec's one-letter forms: U, F, C+, ...
            policy, aggregation = _ABBREVIATIONS[policy][0], _ABBREVIATIONS[policy][1] or aggregation
        if policy not in HIT_POLICIES:
            self.problem(line(table), base.id, f"unknown hit policy {policy!r} "
                         f"(Baton knows {', '.join(HIT_POLICIES)})")
        if aggregation and (policy != "COLLECT" or aggregation not in AGGREGATIONS):
            self.problem(line(table), base.id,
                         f"aggregation {aggregation} is only for COLLECT, as one of "
                         f"{', '.join(AGGREGATIONS)}")
        inputs = tuple(_input_clause(node) for node in _children(table, "input"))
        outputs = tuple(self.output(node, base.id) for node in _children(table, "output"))
        for clause in inputs:
            where = f"input '{clause.title}' (input expression)"
            self.check(Cell(clause.id, clause.expression, clause.line), where, clause.id, test=False)
        rules = tuple(_rule(node) for node in _children(table, "rule"))
        for number, rule in enumerate(rules, start=1):
            self.rule(rule, number, inputs, outputs)
        if aggregation and len(outputs) != 1:
            self.problem(line(table), base.id, f"COLLECT {aggregation} needs exactly one output column")
        if policy in ("PRIORITY", "OUTPUT ORDER") and not any(clause.values for clause in outputs):
            self.problem(line(table), base.id, f"hit policy {policy} orders results by the output values "
                         "of the output columns: give at least one output its list of values")
        return Decision(**{**vars(base), "hit_policy": policy, "aggregation": aggregation,
                           "inputs": inputs, "outputs": outputs, "rules": rules})

    def output(self, element: etree._Element, decision_id: str) -> OutputClause:
        values: tuple[object, ...] = ()
        for allowed in _children(element, "outputValues"):
            try:
                values = cells.literal_list(self.dialect, _text(allowed))
            except CellSyntaxError as error:
                self.problem(line(allowed), element.get("id") or decision_id, f"output values: {error}")
        return OutputClause(id=element.get("id") or "", name=element.get("name") or "",
                            label=element.get("label") or "", type_ref=element.get("typeRef") or "",
                            values=values)

    def rule(self, rule: Rule, number: int, inputs: tuple[InputClause, ...],
             outputs: tuple[OutputClause, ...]) -> None:
        if len(rule.inputs) != len(inputs) or len(rule.outputs) != len(outputs):
            self.problem(rule.line, rule.id, f"rule {number} has {len(rule.inputs)} input and "
                         f"{len(rule.outputs)} output entries; the table has {len(inputs)} inputs and "
                         f"{len(outputs)} outputs")
            return
        for cell, clause in zip(rule.inputs, inputs, strict=True):
            self.check(cell, f"rule {number}, input '{clause.title}'", rule.id, test=True)
        for cell, output in zip(rule.outputs, outputs, strict=True):
            self.check(cell, f"rule {number}, output '{output.key}'", rule.id, test=False)


def _read(file: str, root: etree._Element, dialect: Dialect,
          reason: str) -> tuple[list[Decision], list[Problem]]:
    reader = _FileReader(file, dialect, reason)
    decisions = []
    for element in _children(root, "decision"):
        decision = reader.decision(element)
        if decision is not None:
            decisions.append(decision)
    return decisions, reader.problems


def read_decisions(file: str, root: etree._Element) -> tuple[list[Decision], list[Problem]]:
    """Every decision of a DMN document, and the problems (errors and warnings) found on the way."""
    decisions, problems = _read_cells(file, root)
    return decisions, [*problems, *_knowledge_models(file, root)]


def _read_cells(file: str, root: etree._Element) -> tuple[list[Decision], list[Problem]]:
    dialect, reason, explicit = dialect_of(root)
    decisions, problems = _read(file, root, dialect, reason)
    if problems and not explicit:
        other: Dialect = "python" if dialect == "feel" else "feel"
        other_decisions, other_problems = _read(file, root, other, "its cells only parse in that dialect")
        if not other_problems:
            warning = Problem(file, line(root), root.get("id"),
                              f"the cells of this file are read as {_NAMES[other]}: the file looks like "
                              f"{_NAMES[dialect]} ({reason}), but its cells only parse as {_NAMES[other]}; "
                              "say which with expressionLanguage on <definitions>", severity="warning")
            return other_decisions, [warning]
    if not decisions and not problems:
        problems.append(Problem(file, line(root), root.get("id"), "this DMN file contains no decision"))
    return decisions, problems


def _knowledge_models(file: str, root: etree._Element) -> list[Problem]:
    """Business knowledge models: a decision that invokes one is rejected, an unused one is documentation.

    Baton evaluates decision tables and literal expressions only; a decision calling a BKM would
    fail on the unknown function when it runs, so the deployment says so first. Input data,
    knowledge sources and authority requirements only document a DRD: they change no result.
    """
    models = {node.get("id") or "": node for node in _children(root, "businessKnowledgeModel")}
    invoked: set[str] = set()
    problems = []
    for decision in _children(root, "decision"):
        for requirement in _children(decision, "knowledgeRequirement"):
            for required in _children(requirement, "requiredKnowledge"):
                ref = (required.get("href") or "").lstrip("#")
                invoked.add(ref)
                name = models[ref].get("name") if ref in models else None
                problems.append(Problem(
                    file, line(requirement), decision.get("id"),
                    f"decision {decision.get('id')!r} invokes business knowledge model {ref!r}"
                    f"{f' ({name})' if name else ''}; Baton does not evaluate business knowledge models: "
                    "write its logic into the decision's table or literal expression"))
    for model_id, node in models.items():
        if model_id not in invoked:
            problems.append(Problem(
                file, line(node), model_id,
                f"business knowledge model {model_id!r} is documentation: no decision invokes it, and "
                "Baton does not evaluate business knowledge models", severity="warning"))
    return problems
