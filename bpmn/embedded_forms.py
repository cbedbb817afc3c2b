"""Forms Baton cannot show (Camunda's `camunda:formKey`, `camunda:formRef`) replaced by generated ones.

An embedded form (`embedded:app:forms/x.html`), an external one, or a Camunda Form (`formRef`)
lives outside the deployed files: Baton cannot render it. Such a user task or start event gets a
generated form instead, and the deployment says so in a warning naming the element:

- if the element has `camunda:formData`, that is its form;
- else its fields are the variables the model reads that nothing in the model writes, given to
  the form that must have asked for them:
  1. a variable tested on the flows right after a user task (directly, or through the gateway
     that follows it) is that task's decision: `${approved}` after "Approve invoice";
  2. any other one goes to the start form when the start event's form was replaced;
  3. otherwise to the nearest replaced-form user task before the element that reads it (the
     variables a called process hands back through `camunda:out` are read at its end events).
  "Reads" are `${...}` in conditions, assignment and due-date attributes and input mappings, DMN
  input expressions of the decisions a business rule task calls (required decisions included),
  and `camunda:in` sources of call activities; "writes" are form fields, result variables,
  output mappings, `camunda:out` targets and the `camunda:in` targets a called process receives.
- a variable used as a whole condition (`${x}`, `${!x}`) is a checkbox; a DMN input takes its
  `typeRef` (integers are `long`; decimals are text, which the decision reads as a number) and its
  `inputValues` as choices; the rest are text. No generated field is required.
- with no such variable the form is empty: the task is confirmed with one button.

The generated fields are written into the XML as `camunda:formData` before SpiffWorkflow parses it,
so they are served and validated like any other form.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field

from lxml import etree

from .errors import Problem
from .metadata import BPMN_NS, CAMUNDA_NS, form_fields
from .xmlsafe import line, local_name

_DMN_TYPES = {"string": "string", "boolean": "boolean", "integer": "long", "long": "long", "int": "long",
              "date": "date"}  # a double is a text field: Camunda forms have no decimal type, and the
# decision reads the text as a number (its typeRef)
_KEYWORDS = {"true", "false", "null", "empty", "not", "and", "or", "eq", "ne", "lt", "gt", "le", "ge",
             "div", "mod", "instanceof", "execution", "task", "dateTime", "now"}
_STRING = re.compile(r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"")
_NAME = re.compile(r"(?<![.\w])([A-Za-z_]\w*)(?!\w|\s*\()")
_BARE = re.compile(r"^\s*[$#]\{\s*(?:!|not\s+)?\s*([A-Za-z_]\w*)\s*\}\s*$")
_EXPRESSION = re.compile(r"[$#]\{(.*?)\}", re.S)
_ASSIGNMENT = ("assignee", "candidateUsers", "candidateGroups", "dueDate", "followUpDate", "priority")
_FLOW_TAGS = ("userTask", "manualTask", "task", "serviceTask", "sendTask", "receiveTask", "scriptTask",
              "businessRuleTask", "callActivity", "subProcess", "transaction", "startEvent", "endEvent",
              "intermediateCatchEvent", "intermediateThrowEvent", "boundaryEvent", "exclusiveGateway",
              "inclusiveGateway", "parallelGateway", "eventBasedGateway", "complexGateway")


def _q(name: str) -> str:
    return f"{{{BPMN_NS}}}{name}"


def _c(name: str) -> str:
    return f"{{{CAMUNDA_NS}}}{name}"


def expression_names(text: str) -> set[str]:
    """The variable names a `${...}` text reads (method names, literals and keywords left out)."""
    names: set[str] = set()
    for inner in _EXPRESSION.findall(text or ""):
        names.update(n for n in _NAME.findall(_STRING.sub("''", inner)) if n not in _KEYWORDS)
    return names


@dataclass
class _Input:
    name: str
    label: str
    type: str
    choices: tuple[str, ...] = ()


@dataclass
class _Decisions:
    """The input columns of every DMN decision of the deployment, by decision id."""

    inputs: dict[str, list[_Input]] = field(default_factory=dict)
    requires: dict[str, list[str]] = field(default_factory=dict)
    outputs: dict[str, set[str]] = field(default_factory=dict)

    def read_by(self, decision_id: str) -> list[_Input]:
        """The inputs of a decision and of those it requires, less what the required ones decide."""
        found: dict[str, _Input] = {}
        todo, seen = [decision_id], set()
        while todo:
            current = todo.pop()
            if current in seen:
                continue
            seen.add(current)
            for column in self.inputs.get(current, []):
                found.setdefault(column.name, column)
            todo.extend(self.requires.get(current, []))
        decided = {name for required in seen - {decision_id}
                   for name in {required, *self.outputs.get(required, ())}}
        return [column for name, column in found.items() if name not in decided]


def _dmn_decisions(dmn: Iterable[etree._Element]) -> _Decisions:
    decisions = _Decisions()
    for root in dmn:
        for decision in root.iter():
            if not isinstance(decision.tag, str) or local_name(decision) != "decision":
                continue
            decision_id = str(decision.get("id") or "")
            columns = []
            for column in decision.iter():
                if not isinstance(column.tag, str) or local_name(column) != "input":
                    continue
                expression = next((c for c in column if isinstance(c.tag, str)
                                   and local_name(c) == "inputExpression"), None)
                if expression is None:
                    continue
                text = "".join(str(t) for c in expression if isinstance(c.tag, str)
                               for t in c.itertext()).strip()
                if not re.fullmatch(r"[A-Za-z_]\w*", text):
                    continue
                values = next((c for c in column
                               if isinstance(c.tag, str) and local_name(c) == "inputValues"), None)
                listed = "".join(map(str, values.itertext())) if values is not None else ""
                choices = tuple(_STRING.findall(listed))
                columns.append(_Input(text, str(column.get("label") or ""),
                                      _DMN_TYPES.get(str(expression.get("typeRef") or "").lower(), "string"),
                                      tuple(c[1:-1] for c in choices)))
            decisions.inputs[decision_id] = columns
            decisions.outputs[decision_id] = {
                str(o.get("name")) for o in decision.iter()
                if isinstance(o.tag, str) and local_name(o) == "output" and o.get("name")}
            decisions.requires[decision_id] = [
                str(ref.get("href") or "").lstrip("#") for ref in decision.iter()
                if isinstance(ref.tag, str) and local_name(ref) == "requiredDecision"]
    return decisions


@dataclass
class _Process:
    """One process's graph and the variables its elements read and write."""

    file: str
    node: etree._Element
    nodes: dict[str, etree._Element] = field(default_factory=dict)
    incoming: dict[str, list[str]] = field(default_factory=dict)
    outgoing: dict[str, list[str]] = field(default_factory=dict)
    reads: list[tuple[str, str]] = field(default_factory=list)  # (reader element id, variable)
    decides: list[tuple[str, str]] = field(default_factory=list)  # (user task id, variable)
    writes: set[str] = field(default_factory=set)

    def replaced(self, element_id: str) -> bool:
        node = self.nodes.get(element_id)
        return node is not None and _form_reference(node) is not None


def _form_reference(node: etree._Element) -> str | None:
    if local_name(node) not in ("userTask", "startEvent"):
        return None
    return node.get(_c("formKey")) or node.get(_c("formRef"))


def _graph(file: str, process: etree._Element) -> _Process:
    found = _Process(file, process)
    for node in process.iter(*(_q(t) for t in _FLOW_TAGS)):
        if node.get("id"):
            found.nodes[str(node.get("id"))] = node
    for flow in process.iter(_q("sequenceFlow")):
        source, target = str(flow.get("sourceRef") or ""), str(flow.get("targetRef") or "")
        found.outgoing.setdefault(source, []).append(target)
        found.incoming.setdefault(target, []).append(source)
    return found


def _user_task_before(process: _Process, element_id: str) -> str | None:
    """The replaced-form user task whose decision the flows leaving `element_id` test, if any."""
    if process.replaced(element_id) and local_name(process.nodes[element_id]) == "userTask":
        return element_id
    node = process.nodes.get(element_id)
    if node is not None and local_name(node).endswith("Gateway"):
        sources = process.incoming.get(element_id, [])
        if len(sources) == 1 and process.replaced(sources[0]) and (
                local_name(process.nodes[sources[0]]) == "userTask"):
            return sources[0]
    return None


def _collect(process: _Process, decisions: _Decisions, booleans: set[str],
             choices: dict[str, _Input]) -> None:
    for flow in process.node.iter(_q("sequenceFlow")):
        condition = flow.find(_q("conditionExpression"))
        if condition is None or not (condition.text or "").strip():
            continue
        bare = _BARE.match(condition.text or "")
        if bare:
            booleans.add(bare.group(1))
        source = str(flow.get("sourceRef") or "")
        task = _user_task_before(process, source)
        for name in expression_names(condition.text or ""):
            (process.decides if task else process.reads).append((task or source, name))
    for element_id, node in process.nodes.items():
        for attribute in _ASSIGNMENT:
            for name in expression_names(node.get(_c(attribute)) or ""):
                process.reads.append((element_id, name))
        for param in node.iterfind(f"./{_q('extensionElements')}/{_c('inputOutput')}/{_c('inputParameter')}"):
            for name in expression_names("".join(map(str, param.itertext()))):
                process.reads.append((element_id, name))
        for param in node.iterfind(f"./{_q('extensionElements')}//{_c('outputParameter')}"):
            process.writes.add(str(param.get("name") or ""))
        for form_field in form_fields(node):
            process.writes.add(str(form_field["id"]))
        for attribute in ("resultVariable", "elementVariable"):
            if node.get(_c(attribute)):
                process.writes.add(str(node.get(_c(attribute))))
        if local_name(node) == "businessRuleTask" and node.get(_c("decisionRef")):
            for column in decisions.read_by(str(node.get(_c("decisionRef")))):
                process.reads.append((element_id, column.name))
                choices.setdefault(column.name, column)
        if local_name(node) == "callActivity":
            for mapping in node.iterfind(f"./{_q('extensionElements')}/{_c('in')}"):
                if mapping.get("source"):
                    process.reads.append((element_id, str(mapping.get("source"))))
                for name in expression_names(mapping.get("sourceExpression") or ""):
                    process.reads.append((element_id, name))
            for mapping in node.iterfind(f"./{_q('extensionElements')}/{_c('out')}"):
                if mapping.get("target"):
                    process.writes.add(str(mapping.get("target")))


def _upstream_forms(process: _Process, starts: list[str]) -> list[str]:
    """The nearest replaced-form user tasks on the paths leading into `starts`."""
    found: list[str] = []
    queue = deque(source for start in starts for source in process.incoming.get(start, []))
    seen: set[str] = set()
    while queue:
        current = queue.popleft()
        if current in seen:
            continue
        seen.add(current)
        if process.replaced(current) and local_name(process.nodes[current]) == "userTask":
            found.append(current)
            continue
        queue.extend(process.incoming.get(current, []))
    return found


def _start_with_form(process: _Process) -> str | None:
    for element_id, node in process.nodes.items():
        top_level = node.getparent() is process.node
        if local_name(node) == "startEvent" and top_level and process.replaced(element_id):
            return element_id
    return None


def _label(name: str) -> str:
    words = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", name.replace("_", " ")).split()
    return " ".join(words).capitalize() if words else name


def _write_form(node: etree._Element, names: list[str], booleans: set[str],
                columns: dict[str, _Input]) -> None:
    extensions = node.find(_q("extensionElements"))
    if extensions is None:
        extensions = etree.Element(_q("extensionElements"))
        docs = node.findall(_q("documentation"))
        (docs[-1].addnext if docs else lambda e: node.insert(0, e))(extensions)
    form = etree.SubElement(extensions, _c("formData"))
    for name in names:
        column = columns.get(name)
        kind = "boolean" if name in booleans else (column.type if column else "string")
        if column and column.choices and kind == "string":
            kind = "enum"
        label = (column.label if column and column.label else _label(name))
        form_field = etree.SubElement(form, _c("formField"), id=name, label=label, type=kind)
        if kind == "enum" and column:
            for choice in column.choices:
                etree.SubElement(form_field, _c("value"), id=choice, name=choice)


def replace(bpmn: dict[str, etree._Element], dmn: dict[str, etree._Element]) -> list[Problem]:
    """Give every element whose form Baton cannot show a generated one; one warning per element."""
    decisions = _dmn_decisions(dmn.values())
    processes = {str(p.get("id")): _graph(file, p) for file, root in bpmn.items()
                 for p in root if isinstance(p.tag, str) and local_name(p) == "process"}
    if not any(_form_reference(n) for p in processes.values() for n in p.nodes.values()):
        return []
    booleans: set[str] = set()
    columns: dict[str, _Input] = {}
    for process in processes.values():
        _collect(process, decisions, booleans, columns)
    for process in processes.values():  # a called process: camunda:in gives, camunda:out reads at its end
        for node in process.nodes.values():
            called = processes.get(str(node.get("calledElement") or ""))
            if local_name(node) != "callActivity" or called is None:
                continue
            ends = [i for i, n in called.nodes.items() if local_name(n) == "endEvent"]
            for mapping in node.iterfind(f"./{_q('extensionElements')}/{_c('in')}"):
                called.writes.add(str(mapping.get("target") or mapping.get("source") or ""))
            for mapping in node.iterfind(f"./{_q('extensionElements')}/{_c('out')}"):
                if mapping.get("source"):
                    called.reads.extend((end, str(mapping.get("source"))) for end in ends)
    warnings = []
    for process in processes.values():
        fields: dict[str, list[str]] = {}
        start = _start_with_form(process)
        for task, name in process.decides:
            if name not in process.writes:
                fields.setdefault(task, []).append(name)
        decided = {name for _, name in process.decides}
        for reader, name in process.reads:
            if name in process.writes or name in decided:
                continue
            targets = [start] if start else _upstream_forms(process, [reader])
            for target in targets:
                fields.setdefault(target, []).append(name)
        for element_id, node in process.nodes.items():
            reference = _form_reference(node)
            if reference is None:
                continue
            kind = "camunda:formKey" if node.get(_c("formKey")) else "camunda:formRef"
            if form_fields(node):
                what = "its camunda:formData fields"
            else:
                names = list(dict.fromkeys(fields.get(element_id, [])))
                _write_form(node, names, booleans, columns)
                what = (f"a generated form ({', '.join(names)})" if names
                        else "a generated confirmation (the model reads no variable this form would set)")
            warnings.append(Problem(
                process.file, line(node), element_id,
                f"{kind} '{reference}' names a form outside the deployed files, which Baton cannot show; "
                f"Baton shows {what} instead (add camunda:formData to choose the fields)",
                severity="warning"))
    return warnings
