"""The process graph of a map: events, user tasks, gateways and flows, each node in its owner's lane."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Literal, TypeAlias

from .decisions import Decision
from .errors import MapProblem
from .model import Step

NodeKind: TypeAlias = Literal["startEvent", "endEvent", "userTask", "exclusiveGateway", "parallelGateway"]


@dataclass
class Node:
    """A flow node; `order` is its place in reading order (a flow to a lower order loops back)."""

    id: str
    kind: NodeKind
    name: str
    lane: str
    order: float
    step: Step | None = None
    decision: Decision | None = None


@dataclass
class Flow:
    id: str
    source: str
    target: str
    name: str = ""
    condition: str | None = None


@dataclass
class Graph:
    nodes: dict[str, Node] = field(default_factory=dict)
    flows: list[Flow] = field(default_factory=list)
    lanes: list[str] = field(default_factory=list)
    decision_ids: set[str] = field(default_factory=set)

    def add(self, node: Node) -> Node:
        node.id = _unique_id(node.id, self.nodes)
        self.nodes[node.id] = node
        return node

    def connect(self, source: str, target: str, name: str = "", condition: str | None = None) -> None:
        self.flows.append(Flow(f"Flow_{len(self.flows) + 1}", source, target, name, condition))


def _unique_id(candidate: str, taken: dict[str, Node]) -> str:
    name, count = candidate, 2
    while name in taken:
        name, count = f"{candidate}_{count}", count + 1
    return name


def merge_incoming(graph: Graph) -> None:
    """A task or parallel split reached by several flows gets an exclusive gateway in front of it."""
    incoming: dict[str, list[Flow]] = {}
    for flow in graph.flows:
        incoming.setdefault(flow.target, []).append(flow)
    for target, flows in incoming.items():
        node = graph.nodes[target]
        if len(flows) < 2 or node.kind == "endEvent" or node.id.endswith("_join"):
            continue
        merge = graph.add(
            Node(
                f"Gateway_merge_{node.id.removeprefix('Task_').removeprefix('Gateway_')}",
                "exclusiveGateway",
                "",
                node.lane,
                node.order - 1,
            )
        )
        for flow in flows:
            flow.target = merge.id
        graph.connect(merge.id, node.id)


def check_reachable(graph: Graph, problems: list[MapProblem]) -> None:
    """Warn about steps nothing leads to, and about a process that can never reach an end."""
    outgoing: dict[str, list[str]] = {}
    for flow in graph.flows:
        outgoing.setdefault(flow.source, []).append(flow.target)
    seen, queue = {"StartEvent_1"}, deque(["StartEvent_1"])
    while queue:
        for target in outgoing.get(queue.popleft(), []):
            if target not in seen:
                seen.add(target)
                queue.append(target)
    for node in graph.nodes.values():
        if node.step is not None and node.id not in seen:
            problems.append(
                MapProblem(
                    node.step.line,
                    f"step {node.step.key} ({node.step.name}) is never reached: no step goes to it",
                    "route an outcome of an earlier step to it, or remove it",
                )
            )
    if not any(graph.nodes[n].kind == "endEvent" for n in seen):
        problems.append(
            MapProblem(
                None,
                "the process can never finish: every path loops back",
                "let at least one outcome go on to a later step or to `end`",
            )
        )
