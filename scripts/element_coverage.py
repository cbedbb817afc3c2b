"""Write docs/element-coverage.md: which BPMN/DMN elements and extensions the passing tests run, per dialect.

Input: the JSON tests/coverage_plugin.py writes when BATON_ELEMENT_COVERAGE is set (`make
coverage-table` does both steps). Each model a passing test deployed is walked with lxml; every
element, extension element and extension attribute becomes a feature row ("bpmn:boundaryEvent
(message, non-interrupting)", "camunda:formField (type=enum)", "dmn:decisionTable
(hitPolicy=COLLECT, aggregation=SUM)"), with a status per dialect from the strongest evidence:

- runs: a passing test deployed a model with it and the element it belongs to completed (for DMN:
  the decision was evaluated);
- deploys with warning: the deployment named the element in a warning that mentions the feature;
- deploys, never completes: deployed in a passing test, but its element never completed;
- rejected at deploy: only seen in deployments that failed naming its element (the tests passed,
  so the rejection was expected);
- not covered: on the checklist below, or in a model file of tests/, but in no passing test.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bpmn.dmn.reader import dialect_of  # noqa: E402  (the engine's own DMN dialect rule)

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
CAMUNDA_NS = "http://camunda.org/schema/1.0/bpmn"
CAMUNDA_DMN_NS = "http://camunda.org/schema/1.0/dmn"
SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"
DMN_NAMESPACES = {
    "http://www.omg.org/spec/DMN/20151101/dmn.xsd", "http://www.omg.org/spec/DMN/20180521/MODEL/",
    "https://www.omg.org/spec/DMN/20191111/MODEL/", "https://www.omg.org/spec/DMN/20230324/MODEL/",
}
PREFIXES = {BPMN_NS: "bpmn", CAMUNDA_NS: "camunda", CAMUNDA_DMN_NS: "camunda", SPIFF_NS: "spiffworkflow"}
DIAGRAM_NAMESPACES = ("http://www.omg.org/spec/BPMN/20100524/DI", "http://www.omg.org/spec/DD/",
                      "http://www.omg.org/spec/DMN/20180521/DI/", "https://www.omg.org/spec/DMN/20191111/DMNDI/",
                      "http://bpmn.io/schema/", "http://www.omg.org/spec/DMN/20180521/DC/",
                      "http://camunda.org/schema/modeler/")  # diagram layout and modeler metadata

DIALECTS = ("Camunda 7", "SpiffArena", "plain BPMN")
GROUPS = ("BPMN elements", "Camunda 7 extensions", "SpiffArena extensions", "DMN", "Other extensions")

FLOW_NODES = {
    "startEvent", "endEvent", "intermediateCatchEvent", "intermediateThrowEvent", "boundaryEvent",
    "task", "userTask", "manualTask", "scriptTask", "serviceTask", "sendTask", "receiveTask",
    "businessRuleTask", "callActivity", "subProcess", "transaction", "adHocSubProcess",
    "exclusiveGateway", "parallelGateway", "inclusiveGateway", "eventBasedGateway", "complexGateway",
}
EVENTS = {"startEvent", "endEvent", "intermediateCatchEvent", "intermediateThrowEvent", "boundaryEvent"}
SKIPPED = {"definitions", "extensionElements", "incoming", "outgoing", "flowNodeRef", "sourceRef",
           "targetRef", "text", "script", "timeDate", "timeDuration", "timeCycle", "inputEntry",
           "outputEntry", "rule"}
VALUED_ATTRIBUTES = {"type", "mapDecisionResult", "calledElementBinding", "decisionRefBinding", "event"}

STATUS_ORDER = ("runs", "warned", "deploys", "rejected")


# -- Features of one model -------------------------------------------------------------------------


@dataclass(frozen=True)
class Occurrence:
    """One place a feature appears: which element completions count as it running, which ids name it."""

    group: str
    feature: str
    on: str  # the BPMN/DMN element kind it sits on
    anchors: frozenset[str]
    ids: frozenset[str]
    token: str  # "prefix:name" that a warning or problem must mention to be about this feature
    own: bool  # the occurrence is the anchor element itself


@dataclass
class Model:
    kind: str  # "bpmn" or "dmn"
    dialect: str
    occurrences: list[Occurrence]


def _local(element: etree._Element) -> str:
    return etree.QName(element).localname


def _ns(element: etree._Element) -> str:
    return etree.QName(element).namespace or ""


def _norm(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


def _prefix(uri: str, element: etree._Element) -> str:
    if uri in PREFIXES:
        return PREFIXES[uri]
    for prefix, value in (element.nsmap or {}).items():
        if value == uri and prefix:
            return str(prefix)
    return uri.rstrip("/").rsplit("/", 1)[-1] or uri


def _group(prefix: str) -> str:
    return {"bpmn": GROUPS[0], "camunda": GROUPS[1], "spiffworkflow": GROUPS[2], "dmn": GROUPS[3]}.get(
        prefix, GROUPS[4])


def bpmn_dialect(root: etree._Element) -> str:
    """SpiffArena when the spiffworkflow namespace is used or declared, Camunda 7 for camunda, else plain."""
    used = {_ns(e) for e in root.iter() if isinstance(e.tag, str)}
    used |= {etree.QName(a).namespace for e in root.iter() if isinstance(e.tag, str) for a in e.attrib}
    declared = set((root.nsmap or {}).values())
    for uris in (used, declared):
        if SPIFF_NS in uris:
            return "SpiffArena"
        if CAMUNDA_NS in uris:
            return "Camunda 7"
    exporter = (root.get("exporter") or "").lower()
    if "camunda" in exporter:
        return "Camunda 7"
    return "SpiffArena" if "spiff" in exporter else "plain BPMN"


def _event_label(event: etree._Element) -> str:
    kinds = [_local(child).removesuffix("EventDefinition") for child in event
             if isinstance(child.tag, str) and _local(child).endswith("EventDefinition")]
    label = "none" if not kinds else kinds[0] if len(kinds) == 1 else "multiple"
    name = _local(event)
    parent = event.getparent()
    if name == "boundaryEvent":
        label += ", non-interrupting" if event.get("cancelActivity") == "false" else ", interrupting"
    elif name == "startEvent" and parent is not None and parent.get("triggeredByEvent") == "true":
        interrupting = event.get("isInterrupting") != "false"
        label += ", in event subprocess, " + ("interrupting" if interrupting else "non-interrupting")
    return label


def _bpmn_feature(element: etree._Element) -> str | None:
    """The row of a BPMN-namespace element, or None for structure that says nothing about support."""
    name = _local(element)
    if name in SKIPPED or (name.endswith("EventDefinition") and name != "timerEventDefinition"):
        return None
    if name in EVENTS:
        return f"bpmn:{name} ({_event_label(element)})"
    if name == "timerEventDefinition":
        event = element.getparent()
        kinds = [_local(c) for c in element if isinstance(c.tag, str)] or ["no value"]
        return f"bpmn:timerEventDefinition ({kinds[0]}, on {_local(event) if event is not None else '?'})"
    if name == "subProcess":
        return "bpmn:subProcess (event subprocess)" if element.get("triggeredByEvent") == "true" \
            else "bpmn:subProcess (embedded)"
    if name == "multiInstanceLoopCharacteristics":
        return "bpmn:multiInstanceLoopCharacteristics (" + (
            "sequential)" if element.get("isSequential") == "true" else "parallel)")
    if name == "scriptTask":
        return f"bpmn:scriptTask ({(element.get('scriptFormat') or 'no scriptFormat').lower()})"
    if name == "businessRuleTask":
        if element.get(f"{{{CAMUNDA_NS}}}decisionRef"):
            return "bpmn:businessRuleTask (camunda:decisionRef)"
        if element.find(f".//{{{SPIFF_NS}}}calledDecisionId") is not None:
            return "bpmn:businessRuleTask (spiffworkflow:calledDecisionId)"
        return "bpmn:businessRuleTask (no decision)"
    if name == "sequenceFlow":
        return "bpmn:sequenceFlow (conditional)" if element.find(f"{{{BPMN_NS}}}conditionExpression") \
            is not None else "bpmn:sequenceFlow"
    return f"bpmn:{name}"


def _extension_feature(prefix: str, element: etree._Element) -> str:
    name = _local(element)
    feature = f"{prefix}:{name}"
    if name == "formField":
        feature += f" (type={element.get('type') or 'none'})"
    elif name in ("inputParameter", "outputParameter"):
        kinds = [_local(c) for c in element if isinstance(c.tag, str)]
        feature += f" ({kinds[0] if kinds else 'text'})"
    elif name in ("executionListener", "taskListener"):
        how = next((a for a in ("class", "expression", "delegateExpression") if element.get(a)), None)
        how = how or ("script" if element.find(f"{{{CAMUNDA_NS}}}script") is not None else "none")
        feature += f" (event={element.get('event') or 'none'}, {how})"
    elif name in ("in", "out") and prefix == "camunda":
        feature += " (variables=all)" if element.get("variables") == "all" else \
            " (businessKey)" if element.get("businessKey") else " (source)"
    elif (name == "property" and prefix == "spiffworkflow") or name == "constraint":
        feature += f" (name={element.get('name') or 'none'})"
    return feature


class _Index:
    """Which flow nodes (BPMN) or decisions (DMN) an element of one file belongs to."""

    def __init__(self, root: etree._Element, is_node: set[str], container: str) -> None:
        self.nodes: dict[etree._Element, str | None] = {}
        self.containers: dict[str, set[str]] = defaultdict(set)
        self.referrers: dict[str, set[str]] = defaultdict(set)
        self.all_nodes: set[str] = set()
        self._walk(root, None, None, is_node, container)
        for element, node in self.nodes.items():
            if node is not None:
                for token in _tokens(element):
                    self.referrers[token].add(node)

    def _walk(self, element: etree._Element, node: str | None, holder: str | None, is_node: set[str],
              container: str) -> None:
        if not isinstance(element.tag, str):
            return
        if _local(element) == container and element.get("id"):
            holder = element.get("id")
        if _local(element) in is_node and element.get("id"):
            node = element.get("id")
            self.all_nodes.add(node or "")
            if holder:
                self.containers[holder].add(node or "")
        self.nodes[element] = node
        for child in element:
            self._walk(child, node, holder, is_node, container)

    def anchors(self, element: etree._Element) -> frozenset[str]:
        node = self.nodes.get(element)
        if node is not None:
            return frozenset({node})
        own = {str(e.get("id")) for e in element.iter() if isinstance(e.tag, str) and e.get("id")}
        out = {t for e in element.iter() if isinstance(e.tag, str) for t in _tokens(e)}
        found: set[str] = set(out & self.all_nodes)
        for key in own:
            found |= self.referrers.get(str(key), set())
        for holder in (own | out) & set(self.containers):
            found |= self.containers[holder]
        if not found:
            holder_ids = [str(a.get("id")) for a in element.iterancestors() if a.get("id") in self.containers]
            found = set(self.containers[holder_ids[0]]) if holder_ids else set(self.all_nodes)
        return frozenset(found)


def _tokens(element: etree._Element) -> Iterator[str]:
    for value in element.attrib.values():
        for token in str(value).split():
            yield token.lstrip("#")
    if element.text and element.text.strip() and len(element.text) < 200:
        yield from (token.lstrip("#") for token in element.text.split())


def _ids_up_to(element: etree._Element, anchors: frozenset[str]) -> frozenset[str]:
    ids = set()
    for item in (element, *element.iterancestors()):
        if item.get("id"):
            ids.add(item.get("id") or "")
            if item.get("id") in anchors:
                break
    return frozenset(ids)


def analyse(xml: bytes) -> Model | None:
    """The features of one BPMN or DMN file; None when it is neither (or does not parse)."""
    try:
        root = etree.fromstring(xml, etree.XMLParser(resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError:
        return None
    if _ns(root) == BPMN_NS:
        kind, dialect = "bpmn", bpmn_dialect(root)
        index = _Index(root, FLOW_NODES, "process")
    elif _ns(root) in DMN_NAMESPACES:
        kind = "dmn"
        dialect = "Camunda 7" if dialect_of(root)[0] == "feel" else "SpiffArena"
        index = _Index(root, {"decision"}, "definitions")
    else:
        return None
    occurrences = []
    for element in root.iter():
        if not isinstance(element.tag, str) or _ns(element).startswith(DIAGRAM_NAMESPACES):
            continue
        attributes = [(str(a), str(v)) for a, v in element.attrib.items() if _extension_attribute(str(a))]
        uri = _ns(element)
        if uri == BPMN_NS:
            feature = _bpmn_feature(element)
        elif uri in DMN_NAMESPACES:
            feature = _dmn_feature(element)
        else:
            feature = _extension_feature(_prefix(uri, element), element)
        if not feature and not attributes:
            continue
        anchors = index.anchors(element)
        own = element.get("id") in anchors
        ids = _ids_up_to(element, anchors)
        host = next((e for e in (element, *element.iterancestors()) if _ns(e) in (BPMN_NS, *DMN_NAMESPACES)
                     and _local(e) not in ("extensionElements",)), element)
        on = _local(host)
        if feature:
            prefix = feature.split(":")[0]
            occurrences.append(Occurrence(_group(prefix), feature, on, anchors, ids,
                                          f"{prefix}:{_local(element)}", own))
        for attribute, value in attributes:
            attr_uri = etree.QName(attribute).namespace or ""
            prefix, name = _prefix(attr_uri, element), etree.QName(attribute).localname
            label = f"{prefix}:{name}" + (f"={value}" if name in VALUED_ATTRIBUTES else "")
            occurrences.append(Occurrence(_group(prefix), label, _local(element), anchors, ids,
                                          f"{prefix}:{name}", own=False))
    return Model(kind, dialect, occurrences)


def _extension_attribute(attribute: str) -> bool:
    """Attributes in a namespace of their own (camunda:, spiffworkflow:, a vendor's), not layout or XSI."""
    uri = etree.QName(attribute).namespace
    return bool(uri) and uri not in (BPMN_NS, *DMN_NAMESPACES) and not (uri or "").startswith(
        ("http://www.w3.org/", *DIAGRAM_NAMESPACES))


def _dmn_feature(element: etree._Element) -> str | None:
    name = _local(element)
    if name in SKIPPED:
        return None
    if name == "decisionTable":
        policy = element.get("hitPolicy") or "UNIQUE"
        aggregation = element.get("aggregation")
        more = f", aggregation={aggregation}" if aggregation else ""
        return f"dmn:decisionTable (hitPolicy={policy}{more})"
    if name in ("inputExpression", "output") and element.get("typeRef"):
        return f"dmn:{name} (typeRef={element.get('typeRef')})"
    if name == "input":
        return None
    return f"dmn:{name}"


# -- Evidence from the tests ----------------------------------------------------------------------


@dataclass
class Row:
    """One feature: per dialect, the tests behind each kind of evidence."""

    group: str
    feature: str
    on: set[str] = field(default_factory=set)
    evidence: dict[str, dict[str, set[str]]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(set)))
    messages: dict[str, str] = field(default_factory=dict)  # "warned"/"rejected" -> an example message
    seen_in: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))  # dialect -> tests/ files
    expected: set[str] = field(default_factory=set)  # dialects whose checklist names it

    def status(self, dialect: str) -> str:
        """The strongest evidence; "not covered" when expected there, "—" when nothing says it applies."""
        kinds = self.evidence.get(dialect, {})
        found = next((kind for kind in STATUS_ORDER if kinds.get(kind)), None)
        if found:
            return found
        return "not covered" if dialect in self.expected or self.seen_in.get(dialect) else "—"


Rows = dict[tuple[str, str], Row]


def _mentions(message: str, token: str) -> bool:
    """Whether a problem's message is about `token`: "camunda:in" as such, or a long name in any spelling.

    "data store reference" mentions bpmn:dataStoreReference; a short name like "in" counts only
    with its prefix, or every message would be about camunda:in.
    """
    name = token.split(":", 1)[-1]
    if re.search(rf"(?<![\w:]){re.escape(token)}(?![\w-])", message, re.IGNORECASE):
        return True
    return len(name) >= 6 and _norm(name) in _norm(message)


def _column(row_group: str, model_dialect: str) -> str:
    """Extension features count under their namespace's dialect, whatever file they sit in."""
    if row_group == GROUPS[1]:
        return "Camunda 7"
    if row_group == GROUPS[2]:
        return "SpiffArena"
    return model_dialect


def collect(data: Mapping[str, object], models: Mapping[str, Model | None]) -> Rows:
    """The rows, from the plugin's JSON (`tests`) and the analysed models by digest."""
    rows: dict[tuple[str, str], Row] = {}

    def row(occurrence: Occurrence) -> Row:
        key = (occurrence.group, occurrence.feature)
        if key not in rows:
            rows[key] = Row(occurrence.group, occurrence.feature)
        rows[key].on.add(occurrence.on)
        return rows[key]

    tests = data.get("tests", {})
    assert isinstance(tests, dict)
    decisions_in = defaultdict(set)  # decision id -> digests of DMN models defining it
    for digest, model in models.items():
        if model and model.kind == "dmn":
            for occurrence in model.occurrences:
                for anchor in occurrence.anchors:
                    decisions_in[anchor].add(digest)
    for test, evidence in tests.items():
        completed, decided = set(evidence.get("completed", ())), set(evidence.get("decided", ()))
        explained: set[str] = set()
        for parse in evidence.get("parses", ()):
            rejected = parse["outcome"] == "rejected"
            named = defaultdict(list)
            for problem in parse.get("problems", ()):
                named[problem["element_id"]].append(problem)
            for file in parse["files"]:
                model = models.get(file["digest"])
                if model is None:
                    continue
                done = decided if model.kind == "dmn" else completed
                if model.kind == "dmn":
                    explained |= {a for o in model.occurrences for a in o.anchors} & decided
                for occurrence in model.occurrences:
                    about = [p for i in occurrence.ids for p in named.get(i, ())]
                    kind, message = None, ""
                    if rejected:
                        errors = [p for p in about if p["severity"] == "error"
                                  and (occurrence.own or _mentions(p["message"], occurrence.token))]
                        if errors:
                            kind, message = "rejected", errors[0]["message"]
                    else:
                        warned = [p for p in about if _mentions(p["message"], occurrence.token)]
                        if warned:
                            kind, message = "warned", warned[0]["message"]
                        elif occurrence.anchors & done:
                            kind = "runs"
                        else:
                            kind = "deploys"
                    if kind:
                        target = row(occurrence)
                        target.evidence[_column(occurrence.group, model.dialect)][kind].add(test)
                        if message:
                            target.messages.setdefault(kind, message)
        for decision in decided - explained:  # decided over decisions read outside the test (module level)
            for digest in decisions_in.get(decision, ()):
                model = models[digest]
                assert model is not None
                for occurrence in model.occurrences:
                    if decision in occurrence.anchors:
                        row(occurrence).evidence[_column(occurrence.group, model.dialect)]["runs"].add(test)
    return rows


# -- What should be there: a checklist, and the model files of tests/ ------------------------------


def _events() -> Iterator[str]:
    for kind in ("none", "message", "timer", "signal", "conditional"):
        yield f"bpmn:startEvent ({kind})"
    for kind in ("message", "timer", "signal", "error", "escalation", "conditional", "compensate"):
        for interrupting in ("interrupting", "non-interrupting"):
            if kind in ("error", "compensate") and interrupting == "non-interrupting":
                continue
            yield f"bpmn:startEvent ({kind}, in event subprocess, {interrupting})"
    for kind in ("message", "timer", "signal", "conditional", "link"):
        yield f"bpmn:intermediateCatchEvent ({kind})"
    for kind in ("none", "message", "signal", "escalation", "link", "compensate"):
        yield f"bpmn:intermediateThrowEvent ({kind})"
    for kind in ("message", "timer", "signal", "error", "escalation", "conditional", "compensate", "cancel"):
        yield f"bpmn:boundaryEvent ({kind}, interrupting)"
        if kind not in ("error", "compensate", "cancel"):
            yield f"bpmn:boundaryEvent ({kind}, non-interrupting)"
    for kind in ("none", "message", "signal", "error", "escalation", "terminate", "compensate", "cancel"):
        yield f"bpmn:endEvent ({kind})"
    for value in ("timeDate", "timeDuration", "timeCycle"):
        for event in ("startEvent", "intermediateCatchEvent", "boundaryEvent"):
            yield f"bpmn:timerEventDefinition ({value}, on {event})"


CHECKLIST: dict[str, list[str]] = {
    GROUPS[0]: [
        *_events(),
        "bpmn:task", "bpmn:userTask", "bpmn:manualTask", "bpmn:scriptTask (python)", "bpmn:serviceTask",
        "bpmn:sendTask", "bpmn:receiveTask", "bpmn:businessRuleTask (camunda:decisionRef)",
        "bpmn:businessRuleTask (spiffworkflow:calledDecisionId)", "bpmn:callActivity",
        "bpmn:subProcess (embedded)", "bpmn:subProcess (event subprocess)", "bpmn:transaction",
        "bpmn:adHocSubProcess", "bpmn:exclusiveGateway", "bpmn:parallelGateway", "bpmn:inclusiveGateway",
        "bpmn:eventBasedGateway", "bpmn:complexGateway", "bpmn:sequenceFlow (conditional)",
        "bpmn:multiInstanceLoopCharacteristics (sequential)",
        "bpmn:multiInstanceLoopCharacteristics (parallel)",
        "bpmn:loopCardinality", "bpmn:completionCondition", "bpmn:loopDataInputRef", "bpmn:inputDataItem",
        "bpmn:loopDataOutputRef", "bpmn:outputDataItem", "bpmn:standardLoopCharacteristics",
        "bpmn:dataObject", "bpmn:dataObjectReference", "bpmn:dataStore", "bpmn:dataStoreReference",
        "bpmn:dataInputAssociation", "bpmn:dataOutputAssociation", "bpmn:ioSpecification",
        "bpmn:laneSet", "bpmn:lane", "bpmn:collaboration", "bpmn:participant", "bpmn:messageFlow",
        "bpmn:message", "bpmn:signal", "bpmn:error", "bpmn:escalation", "bpmn:correlationKey",
        "bpmn:correlationProperty", "bpmn:correlationPropertyRetrievalExpression", "bpmn:documentation",
    ],
    GROUPS[1]: [
        "camunda:assignee", "camunda:candidateUsers", "camunda:candidateGroups", "camunda:dueDate",
        "camunda:followUpDate", "camunda:priority", "camunda:formKey", "camunda:formData",
        "camunda:formField (type=string)", "camunda:formField (type=long)",
        "camunda:formField (type=boolean)",
        "camunda:formField (type=date)", "camunda:formField (type=enum)", "camunda:validation",
        "camunda:properties", "camunda:property", "camunda:inputOutput", "camunda:inputParameter (text)",
        "camunda:inputParameter (script)", "camunda:inputParameter (list)", "camunda:inputParameter (map)",
        "camunda:outputParameter (text)", "camunda:class", "camunda:delegateExpression", "camunda:expression",
        "camunda:resultVariable", "camunda:type=external", "camunda:topic", "camunda:connector",
        "camunda:field", "camunda:executionListener (event=start, class)",
        "camunda:taskListener (event=create, class)", "camunda:in (source)", "camunda:in (variables=all)",
        "camunda:out (source)", "camunda:in (businessKey)",
        "camunda:calledElementBinding=latest", "camunda:decisionRef", "camunda:mapDecisionResult=singleEntry",
        "camunda:asyncBefore", "camunda:asyncAfter", "camunda:failedJobRetryTimeCycle", "camunda:collection",
        "camunda:elementVariable", "camunda:candidateStarterGroups", "camunda:candidateStarterUsers",
        "camunda:historyTimeToLive", "camunda:versionTag", "camunda:initiator", "camunda:errorCodeVariable",
        "camunda:errorMessageVariable",
    ],
    GROUPS[2]: [
        "spiffworkflow:properties", "spiffworkflow:property (name=formJsonSchemaFilename)",
        "spiffworkflow:property (name=formUiSchemaFilename)", "spiffworkflow:instructionsForEndUser",
        "spiffworkflow:preScript", "spiffworkflow:postScript", "spiffworkflow:calledDecisionId",
        "spiffworkflow:messageVariable", "spiffworkflow:messagePayload", "spiffworkflow:serviceTaskOperator",
        "spiffworkflow:parameters", "spiffworkflow:parameter", "spiffworkflow:unitTests",
        "spiffworkflow:allowGuest", "spiffworkflow:guestConfirmation",
    ],
    GROUPS[3]: [
        *(f"dmn:decisionTable (hitPolicy={p})" for p in ("UNIQUE", "FIRST", "PRIORITY", "ANY", "COLLECT",
                                                        "RULE ORDER", "OUTPUT ORDER")),
        *(f"dmn:decisionTable (hitPolicy=COLLECT, aggregation={a})" for a in ("SUM", "MIN", "MAX", "COUNT")),
        "dmn:literalExpression", "dmn:informationRequirement", "dmn:requiredDecision", "dmn:inputData",
        "dmn:knowledgeSource", "dmn:businessKnowledgeModel", "dmn:inputValues", "dmn:outputValues",
    ],
}


def add_universe(rows: dict[tuple[str, str], Row], files: Mapping[str, Model | None]) -> None:
    """Rows for the checklist and for every feature of a model file in tests/, covered or not."""
    for group, features in CHECKLIST.items():
        for feature in features:
            rows.setdefault((group, feature), Row(group, feature)).expected.update(_dialects(group)[:2])
    for path, model in files.items():
        if model is None:
            continue
        for occurrence in model.occurrences:
            key = (occurrence.group, occurrence.feature)
            rows.setdefault(key, Row(*key)).seen_in[_column(occurrence.group, model.dialect)].add(path)
            rows[key].on.add(occurrence.on)


def _dialects(group: str) -> tuple[str, ...]:
    """The status columns of a group: its namespace's dialect for extensions, else every dialect."""
    special = {GROUPS[1]: ("Camunda 7",), GROUPS[2]: ("SpiffArena",), GROUPS[3]: ("Camunda 7", "SpiffArena")}
    return special.get(group, DIALECTS)


# -- The document ---------------------------------------------------------------------------------


def _short(test: str) -> str:
    path, _, name = test.partition("::")
    return f"{path.rsplit('/', 1)[-1]}::{name}"


def _cell(row: Row, dialect: str) -> str:
    status = row.status(dialect)
    kinds = row.evidence.get(dialect, {})
    if status in ("not covered", "—"):
        return status
    count = len(kinds[status])
    text = {"runs": "runs", "warned": "deploys with warning", "deploys": "deploys, never completes",
            "rejected": "rejected at deploy"}[status]
    return f"{text} ({count})"


def _examples(row: Row, dialects: Iterable[str]) -> str:
    for kind in STATUS_ORDER:
        tests = sorted({t for d in dialects for t in row.evidence.get(d, {}).get(kind, set())})
        if tests:
            shown = ", ".join(f"`{_short(t)}`" for t in tests[:3])
            more = f" +{len(tests) - 3}" if len(tests) > 3 else ""
            note = f" — “{_escape(row.messages[kind][:140])}”" if kind in row.messages else ""
            return shown + more + note
    seen = sorted({path for d in dialects for path in row.seen_in.get(d, ())})
    if seen:
        more = f" +{len(seen) - 1}" if len(seen) > 1 else ""
        return f"in no passing test; in `{seen[0]}`{more}"
    return "in no passing test nor model file (checklist)"


def _escape(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def table(rows: Mapping[tuple[str, str], Row], group: str) -> list[str]:
    """The Markdown table of one group: a status column per dialect where the group has dialects."""
    dialects = _dialects(group)
    dmn = group == GROUPS[3]
    headers = {"Camunda 7": "Camunda 7" + (" (FEEL)" if dmn else ""),
               "SpiffArena": "SpiffArena" + (" (Python)" if dmn else ""), "plain BPMN": "plain BPMN"}
    chosen = sorted((r for r in rows.values() if r.group == group), key=lambda r: r.feature.lower())
    lines = ["| Feature | On | " + " | ".join(headers[d] for d in dialects) + " | Tests (a few) |",
             "|---|---|" + "---|" * len(dialects) + "---|"]
    for row in chosen:
        on = ", ".join(sorted(row.on)[:4]) + (" …" if len(row.on) > 4 else "")
        cells = " | ".join(_cell(row, d) for d in dialects)
        lines.append(f"| `{_escape(row.feature)}` | {on} | {cells} | {_examples(row, dialects)} |")
    return lines


def not_covered(rows: Mapping[tuple[str, str], Row]) -> dict[str, list[str]]:
    """Per dialect, the features that no passing test runs or deploys (rejections do not count)."""
    missing: dict[str, list[str]] = {d: [] for d in DIALECTS}
    for row in sorted(rows.values(), key=lambda r: r.feature.lower()):
        for dialect in _dialects(row.group):
            if row.status(dialect) in ("not covered", "rejected"):
                missing[dialect].append(row.feature + (" (rejected at deploy)" if row.status(dialect)
                                                       == "rejected" else ""))
    return missing


INTRO = """# BPMN and DMN element coverage, per dialect

Generated by `make coverage-table` from the tests themselves; do not edit by hand. The target runs
`tests/bpmn` and `tests/server` with `BATON_ELEMENT_COVERAGE` set, so `tests/coverage_plugin.py`
records, for every test that passes, the models it deployed (through `bpmn.parse_bundle`, or DMN
read by `bpmn.dmn.read_decisions`), whether the deployment was rejected and which element ids its
problems and warnings name, the BPMN elements whose tasks completed and the decisions evaluated.
`scripts/element_coverage.py` then walks each model with lxml and writes this page.

Dialect: a BPMN file using or declaring the `spiffworkflow` namespace is SpiffArena, one with the
`camunda` namespace Camunda 7, any other plain BPMN; a DMN file is Camunda 7 when Baton reads its
cells as FEEL, SpiffArena when as Python. Extension rows count under their namespace's dialect.

Status, strongest evidence first (the number is how many passing tests give it):

- **runs**: deployed, and the element it belongs to completed in the test (an extension counts
  with its element; a message, lane or flow with the elements that refer to it; DMN: the decision
  was evaluated);
- **deploys with warning**: the deployment warned about it on its element (the message is quoted);
- **deploys, never completes**: deployed in a passing test, but its element never completed there;
- **rejected at deploy**: only in deployments that failed naming its element, in tests that pass
  (so the rejection is what they expect);
- **not covered**: on the checklist in the script (Camunda 7 and SpiffArena), or in a model file
  of that dialect under `tests/`, but in no passing test;
- **—**: not on the checklist, in no model file of that dialect and no test: nothing to say.

"Runs" is per element, not per value: a timer row that runs says a timer of that kind fired in
some test, not that every expression form of it works; an extension that runs sat on an element
that completed with no warning about it, and whether its value was honoured is the test's business.
Completions in worker processes that a test starts are not seen (those in the test's process are).
"""


def never_runs(rows: Mapping[tuple[str, str], Row]) -> dict[str, list[str]]:
    """Features that run in no dialect, by their best status: what the engine (or its tests) still lack."""
    found: dict[str, list[str]] = {"not covered": [], "rejected": [], "deploys": [], "warned": []}
    for row in sorted(rows.values(), key=lambda r: r.feature.lower()):
        statuses = {row.status(d) for d in _dialects(row.group)} - {"—"}
        if "runs" in statuses or not statuses:
            continue
        best = next((kind for kind in ("warned", "deploys", "rejected") if kind in statuses), "not covered")
        found[best].append(row.feature)
    return found


def _listed(features: list[str]) -> str:
    return ", ".join(f"`{f}`" for f in features) or "none"


def render(rows: Mapping[tuple[str, str], Row], summary: Mapping[str, int]) -> str:
    lines = [INTRO, f"Source: {summary['tests']} passing tests with evidence, {summary['models']} distinct "
             "models deployed or read.", "", "## What runs in no dialect", ""]
    titles = {"not covered": "In no passing test at all", "rejected": "Rejected at deploy, by design",
              "deploys": "Deployed, but never completes in a test",
              "warned": "Deployed with a warning only (accepted, not run)"}
    for kind, features in never_runs(rows).items():
        lines.append(f"- **{titles[kind]}** ({len(features)}): {_listed(features)}")
    lines += ["", "## Not covered per dialect", "",
              "Including what runs in another dialect only (a standard BPMN element tested with plain or",
              "Camunda models, say, and with no SpiffArena model).", ""]
    for dialect, features in not_covered(rows).items():
        lines.append(f"- **{dialect}** ({len(features)}): {_listed(features)}")
    lines.append("")
    for group in GROUPS:
        if any(r.group == group for r in rows.values()):
            lines += [f"## {group}", "", *table(rows, group), ""]
    return "\n".join(lines)


def load_models(data: Mapping[str, object], root: Path) -> dict[str, Model | None]:
    models = data.get("models", {})
    assert isinstance(models, dict)
    analysed: dict[str, Model | None] = {}
    for digest, entry in models.items():
        xml = (root / entry["path"]).read_bytes() if "path" in entry else entry["xml"].encode()
        analysed[digest] = analyse(xml)
    return analysed


def build(data: Mapping[str, object], root: Path, universe: Iterable[Path]) -> tuple[Rows, str]:
    """Rows and the Markdown page from the plugin's JSON; `universe` lists the model files of tests/."""
    models = load_models(data, root)
    rows = collect(data, models)
    add_universe(rows, {path.relative_to(root).as_posix(): analyse(path.read_bytes()) for path in universe})
    tests = data.get("tests", {})
    assert isinstance(tests, dict)
    return rows, render(rows, {"tests": len(tests), "models": len(models)})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("evidence", type=Path, help="the JSON BATON_ELEMENT_COVERAGE named")
    parser.add_argument("--output", type=Path, default=ROOT / "docs" / "element-coverage.md")
    args = parser.parse_args(argv)
    data = json.loads(args.evidence.read_text())
    universe = sorted(p for suffix in ("bpmn", "dmn") for p in (ROOT / "tests").glob(f"**/*.{suffix}"))
    rows, page = build(data, ROOT, universe)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(page)
    missing = not_covered(rows)
    print(f"wrote {args.output} ({len(rows)} features; not covered: "
          + ", ".join(f"{d} {len(f)}" for d, f in missing.items()) + ")")
    return 0


if __name__ == "__main__":
    sys.exit(main())
