"""Build the process graph of a map: resolve where each step goes, add gateways, events and lanes."""

from __future__ import annotations

import re

from .decisions import decision_of
from .errors import MapInvalid, MapProblem
from .graph import Graph, Node, check_reachable, merge_incoming
from .model import Block, Parallel, Step, slug
from .routing import END_WORDS, NEXT_WORDS, START_WORDS

UNASSIGNED = "Unassigned"
MAX_STEPS = 300


class _Builder:
    def __init__(self, blocks: list[Block], problems: list[MapProblem]) -> None:
        self.blocks = blocks
        self.problems = problems
        self.graph = Graph()
        self.entries: list[str] = []
        self.keys: dict[str, tuple[int, Step | None]] = {}
        self.names: dict[str, tuple[int, Step | None]] = {}
        self.owners: dict[str, str] = {}
        self.end: str | None = None

    def lane(self, step: Step) -> str:
        owner = " ".join(step.owner.split())
        if not owner:
            self.problems.append(
                MapProblem(
                    step.line,
                    f"step {step.key} ({step.name}) has no owner; it goes to "
                    f"the lane '{UNASSIGNED}' and anyone may do it",
                    f"write the owner in brackets: `{step.key}. {step.name} (Team)`",
                )
            )
            owner = UNASSIGNED
        lane = self.owners.setdefault(owner.lower(), owner)
        if lane not in self.graph.lanes:
            self.graph.lanes.append(lane)
        return lane

    def index(self) -> None:
        for position, block in enumerate(self.blocks):
            steps = (
                [(block, None)]
                if isinstance(block, Step)
                else [(branch, branch) for branch in block.branches]
            )
            if isinstance(block, Parallel):
                self._remember(block.key, block.line, position, None)
            for step, branch in steps:
                self._remember(step.key, step.line, position, branch)
                self.names.setdefault(step.name.lower(), (position, branch))

    def _remember(self, key: str, line: int, position: int, branch: Step | None) -> None:
        if key.lower() in self.keys:
            self.problems.append(
                MapProblem(
                    line,
                    f"the step number {key} is used twice; going to {key} goes to the first one",
                    "give every step its own number",
                )
            )
            return
        self.keys[key.lower()] = (position, branch)

    def resolve(self, target: str, position: int, step: Step, line: int | None) -> str | None:
        """The node a route goes to; None for the end of the process."""
        text = target.strip().lower()
        following = self.entries[position + 1] if position + 1 < len(self.entries) else None
        if text in END_WORDS:
            return None
        if text in NEXT_WORDS:
            return following
        if text in START_WORDS:
            return self.entries[0]
        found = self.keys.get(re.sub(r"^(?:step\s*|#\s*)", "", text)) or self.names.get(text)
        if found is None:
            matches = {v for name, v in self.names.items() if name.startswith(text) and len(text) >= 4}
            found = matches.pop() if len(matches) == 1 else None
        if found is None:
            self.problems.append(
                MapProblem(
                    line,
                    f"step {step.key} goes to '{target}', which is no step number or name; it continues "
                    f"to {'the next step' if following else 'the end'} instead",
                    "go to a step by its number (`go back to 2`) or to `end`",
                )
            )
            return following
        index, branch = found
        if branch is not None:
            parallel = self.blocks[index]
            self.problems.append(
                MapProblem(
                    line,
                    f"step {step.key} goes to {branch.key}, one step of the parallel section {parallel.key}; "
                    f"it goes to the start of the whole section instead",
                    f"go to the section (`go back to {parallel.key}`), "
                    f"or take {branch.key} out of the section",
                )
            )
        return self.entries[index]

    def end_node(self, name: str, lane: str, order: float) -> str:
        if not name:
            if self.end is None:
                last = len(self.blocks) * 10 + 20
                self.end = self.graph.add(Node("EndEvent_done", "endEvent", "Done", lane, last)).id
            return self.end
        return self.graph.add(
            Node(f"EndEvent_{slug(name, fallback='end')}", "endEvent", name, lane, order)
        ).id

    def task(self, step: Step, order: float) -> Node:
        node = Node(
            f"Task_{slug(step.name, fallback='step')}", "userTask", step.name, self.lane(step), order, step
        )
        return self.graph.add(node)


def _prepare(blocks: list[Block], problems: list[MapProblem]) -> list[Block]:
    kept: list[Block] = []
    for block in blocks:
        if isinstance(block, Parallel) and not block.branches:
            problems.append(
                MapProblem(
                    block.line,
                    "this parallel section has no steps under it; ignored",
                    "list the steps that run in parallel under it, indented",
                )
            )
        elif isinstance(block, Parallel) and len(block.branches) == 1:
            problems.append(
                MapProblem(
                    block.line,
                    "this parallel section has one step; it is an ordinary step",
                    "list two or more steps under `In parallel:`",
                )
            )
            kept.append(block.branches[0])
        else:
            kept.append(block)
    return kept


def build_graph(blocks: list[Block], problems: list[MapProblem]) -> Graph:
    """Events, tasks, gateways and flows for the blocks; problems gets what was unclear."""
    blocks = _prepare(blocks, problems)
    count = sum(len(b.branches) if isinstance(b, Parallel) else 1 for b in blocks)
    if count == 0:
        raise MapInvalid(
            [
                *problems,
                MapProblem(
                    None,
                    "no steps were found in the map",
                    "write each step on its own numbered line: `1. Submit request (Requester, 1 day)`",
                ),
            ]
        )
    if count > MAX_STEPS:
        raise MapInvalid(
            [
                MapProblem(
                    None,
                    f"the map has {count} steps; Baton converts at most {MAX_STEPS}",
                    "split the map into several processes",
                )
            ]
        )
    builder = _Builder(blocks, problems)
    builder.index()
    graph = builder.graph
    nodes: list[list[Node]] = []
    for position, block in enumerate(blocks):
        base = position * 10 + 10
        if isinstance(block, Step):
            nodes.append([builder.task(block, base)])
            builder.entries.append(nodes[-1][0].id)
            continue
        tasks = [builder.task(branch, base + 3) for branch in block.branches]
        split = graph.add(Node(f"Gateway_{block.key}_split", "parallelGateway", "", tasks[0].lane, base + 1))
        join = graph.add(Node(f"Gateway_{block.key}_join", "parallelGateway", "", tasks[0].lane, base + 7))
        nodes.append([split, *tasks, join])
        builder.entries.append(split.id)
    first = nodes[0][0]
    start = graph.add(Node("StartEvent_1", "startEvent", "Start", first.lane, 0))
    graph.connect(start.id, first.id)
    for position, block in enumerate(blocks):
        if isinstance(block, Step):
            _wire_step(builder, position, nodes[position][0])
        else:
            _wire_parallel(builder, position, block, nodes[position])
    merge_incoming(graph)
    check_reachable(graph, problems)
    return graph


def _wire_step(builder: _Builder, position: int, task: Node) -> None:
    step = task.step
    assert step is not None
    graph = builder.graph
    decision, fallback = decision_of(step, graph.decision_ids, builder.problems)
    task.decision = decision
    if decision is None:
        target = builder.resolve(fallback, position, step, step.line)
        graph.connect(task.id, target or builder.end_node("", task.lane, task.order + 6))
        return
    # "<end>": an outcome that ends the process (its own end event); "<done>": the normal end.
    groups: dict[str, list[int]] = {}
    for index, option in enumerate(decision.options):
        resolved = builder.resolve(option.target, position, step, option.line)
        explicit_end = option.target.strip().lower() in END_WORDS
        groups.setdefault(resolved or (f"<end>{index}" if explicit_end else "<done>"), []).append(index)
    if len(groups) == 1:
        [target] = groups
        graph.connect(
            task.id, target if not target.startswith("<") else builder.end_node("", task.lane, task.order + 6)
        )
        return
    gateway = graph.add(
        Node(
            f"Gateway_{slug(step.name, fallback='step')}",
            "exclusiveGateway",
            f"{step.name}?",
            task.lane,
            task.order + 4,
        )
    )
    graph.connect(task.id, gateway.id)
    for target, indexes in groups.items():
        options = [decision.options[i] for i in indexes]
        name = " or ".join(option.name for option in options)
        to = (
            target
            if not target.startswith("<")
            else builder.end_node(name if target.startswith("<end>") else "", task.lane, task.order + 6)
        )
        graph.connect(gateway.id, to, name, decision.condition([o.id for o in options]))


def _wire_parallel(builder: _Builder, position: int, block: Parallel, nodes: list[Node]) -> None:
    split, tasks, join = nodes[0], nodes[1:-1], nodes[-1]
    graph = builder.graph
    for task in tasks:
        step = task.step
        assert step is not None
        task.decision, _ = decision_of(step, graph.decision_ids, builder.problems, in_parallel=True)
        away = [r for r in step.routes if r.target.strip().lower() not in ("next", "")]
        if away:
            builder.problems.append(
                MapProblem(
                    away[0].line,
                    f"step {step.key} runs in parallel with others and cannot go elsewhere "
                    f"('{away[0].target}'); it continues after the parallel section",
                    f"record the outcome in step {step.key} and decide in a step after the parallel section",
                )
            )
        graph.connect(split.id, task.id)
        graph.connect(task.id, join.id)
    following = builder.entries[position + 1] if position + 1 < len(builder.entries) else None
    graph.connect(join.id, following or builder.end_node("", join.lane, join.order + 1))
