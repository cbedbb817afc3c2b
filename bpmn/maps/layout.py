"""A left-to-right diagram for a process graph: lanes as stacked bands, columns, orthogonal edges.

Columns come from the longest path over the flows that go forward in reading order, so a loop
back never pushes a node to the right. Each lane has as many rows as its most crowded column; a
node takes the row of its predecessor in the same lane when that is free. Between columns run
free vertical channels and along the top and bottom of each row free horizontal corridors; an
edge takes the first of a few orthogonal routes that crosses no shape, and the channel-corridor
route, which can cross none, is always the last one tried.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field

from .graph import Graph, Node

SIZES = {
    "userTask": (100, 80),
    "exclusiveGateway": (50, 50),
    "parallelGateway": (50, 50),
    "startEvent": (36, 36),
    "endEvent": (36, 36),
}
ROW_HEIGHT = 140
CORRIDOR = 55  # distance from a row's centre line to its free corridors; nodes reach at most 40
GAP = 60  # between columns: the vertical channel runs in its middle
POOL_LABEL = 30
LEFT_PAD = 50
ORIGIN = (160, 80)

Point = tuple[int, int]


@dataclass(frozen=True)
class Box:
    x: int
    y: int
    w: int
    h: int

    @property
    def right(self) -> int:
        return self.x + self.w

    @property
    def bottom(self) -> int:
        return self.y + self.h

    @property
    def cx(self) -> int:
        return self.x + self.w // 2

    @property
    def cy(self) -> int:
        return self.y + self.h // 2

    def overlaps(self, other: Box) -> bool:
        return (
            self.x < other.right and other.x < self.right and self.y < other.bottom and other.y < self.bottom
        )

    def contains(self, other: Box) -> bool:
        return (
            self.x <= other.x
            and self.y <= other.y
            and other.right <= self.right
            and other.bottom <= self.bottom
        )

    def crossed_by(self, a: Point, b: Point, margin: int = 4) -> bool:
        """Whether the axis-parallel segment a-b passes through this box (grown by margin)."""
        x0, x1 = sorted((a[0], b[0]))
        y0, y1 = sorted((a[1], b[1]))
        return (
            x0 < self.right + margin
            and self.x - margin < x1
            and y0 < self.bottom + margin
            and self.y - margin < y1
        )


@dataclass
class Layout:
    pool: Box
    lanes: dict[str, Box] = field(default_factory=dict)
    shapes: dict[str, Box] = field(default_factory=dict)
    edges: dict[str, list[Point]] = field(default_factory=dict)
    labels: dict[str, Box] = field(default_factory=dict)


def _columns(graph: Graph) -> dict[str, int]:
    column: dict[str, int] = {}
    forward: dict[str, list[str]] = {}
    for flow in graph.flows:
        if graph.nodes[flow.target].order > graph.nodes[flow.source].order:
            forward.setdefault(flow.target, []).append(flow.source)
    for node in sorted(graph.nodes.values(), key=lambda n: n.order):
        column[node.id] = max((column[p] + 1 for p in forward.get(node.id, []) if p in column), default=0)
    return column


def _rows(graph: Graph, column: dict[str, int]) -> dict[str, int]:
    preds: dict[str, list[Node]] = {}
    for flow in graph.flows:
        preds.setdefault(flow.target, []).append(graph.nodes[flow.source])
    row: dict[str, int] = {}
    taken: dict[tuple[str, int], set[int]] = {}
    for node in sorted(graph.nodes.values(), key=lambda n: (column[n.id], n.order)):
        used = taken.setdefault((node.lane, column[node.id]), set())
        same_lane = [p for p in preds.get(node.id, []) if p.lane == node.lane and p.id in row]
        wanted = row[same_lane[0].id] if same_lane else 0
        if wanted in used:
            wanted = next(r for r in range(len(used) + 1) if r not in used)
        used.add(wanted)
        row[node.id] = wanted
    return row


def layout(graph: Graph) -> Layout:
    """Place lanes, shapes and edges; integer coordinates, ready for BPMN DI."""
    column, row = _columns(graph), {}
    row = _rows(graph, column)
    widths: dict[int, int] = {}
    for node in graph.nodes.values():
        widths[column[node.id]] = max(widths.get(column[node.id], 0), SIZES[node.kind][0])
    lane_x = ORIGIN[0] + POOL_LABEL
    lefts: dict[int, int] = {}
    x = lane_x + LEFT_PAD
    for index in range(max(widths) + 1):
        lefts[index] = x
        x += widths.get(index, 0) + GAP
    content_right = x - GAP + LEFT_PAD
    lanes: dict[str, Box] = {}
    y = ORIGIN[1]
    for lane in graph.lanes:
        rows = 1 + max((row[n.id] for n in graph.nodes.values() if n.lane == lane), default=0)
        lanes[lane] = Box(lane_x, y, content_right - lane_x, rows * ROW_HEIGHT)
        y += rows * ROW_HEIGHT
    result = Layout(pool=Box(ORIGIN[0], ORIGIN[1], content_right - ORIGIN[0], y - ORIGIN[1]), lanes=lanes)
    for node in graph.nodes.values():
        w, h = SIZES[node.kind]
        cx = lefts[column[node.id]] + widths[column[node.id]] // 2
        cy = lanes[node.lane].y + row[node.id] * ROW_HEIGHT + ROW_HEIGHT // 2
        result.shapes[node.id] = Box(cx - w // 2, cy - h // 2, w, h)
        if node.name and node.kind != "userTask":
            width = min(7 * len(node.name) + 6, 160)
            above = node.kind.endswith("Gateway")
            result.labels[node.id] = Box(
                cx - width // 2, cy - h // 2 - 22 if above else cy + h // 2 + 6, width, 14
            )
    router = _Router(result.shapes, column, lefts, widths)
    for flow in graph.flows:
        points = router.route(
            flow.source, flow.target, graph.nodes[flow.target].order <= graph.nodes[flow.source].order
        )
        result.edges[flow.id] = points
        if flow.name:
            result.labels[flow.id] = _flow_label(points, flow.name)
    return result


def _flow_label(points: list[Point], name: str) -> Box:
    """Above the first segment that heads right (after the first bend), else beside the first bend."""
    width = min(7 * len(name) + 6, 160)
    for index in range(len(points) - 1):
        if (
            points[index][1] == points[index + 1][1]
            and points[index + 1][0] > points[index][0]
            and (index > 0 or len(points) == 2)
        ):
            return Box(points[index][0] + 5, points[index][1] - 20, width, 14)
    bend = points[1] if len(points) > 2 else points[0]
    return Box(bend[0] + 5, bend[1] + 2, width, 14)


def _simplify(points: list[Point]) -> list[Point]:
    kept: list[Point] = []
    for point in points:
        if kept and kept[-1] == point:
            continue
        if len(kept) >= 2 and (
            kept[-2][0] == kept[-1][0] == point[0] or kept[-2][1] == kept[-1][1] == point[1]
        ):
            kept[-1] = point
            continue
        kept.append(point)
    return kept


class _Router:
    def __init__(
        self, shapes: dict[str, Box], column: dict[str, int], lefts: dict[int, int], widths: dict[int, int]
    ) -> None:
        self.shapes, self.column, self.lefts, self.widths = shapes, column, lefts, widths

    def _after(self, index: int) -> int:
        return self.lefts[index] + self.widths[index] + GAP // 2

    def _before(self, index: int) -> int:
        return self.lefts[index] - GAP // 2

    def route(self, source: str, target: str, back: bool) -> list[Point]:
        s, t = self.shapes[source], self.shapes[target]
        others = [box for key, box in self.shapes.items() if key not in (source, target)]
        candidates = [_simplify(c) for c in self._candidates(source, target, s, t, back)]
        for points in candidates:
            if not any(box.crossed_by(a, b) for a, b in itertools.pairwise(points) for box in others):
                return points
        return candidates[-1]

    def _candidates(self, source: str, target: str, s: Box, t: Box, back: bool) -> Iterator[list[Point]]:
        a, b = self._after(self.column[source]), self._before(self.column[target])
        corridors = [s.cy + CORRIDOR, t.cy + CORRIDOR, s.cy - CORRIDOR, t.cy - CORRIDOR]
        gateway = s.w == s.h == 50
        if not back:
            if s.cy == t.cy:
                yield [(s.right, s.cy), (t.x, t.cy)]
            elif gateway:
                yield [(s.cx, s.y if t.cy < s.cy else s.bottom), (s.cx, t.cy), (t.x, t.cy)]
            yield [(s.right, s.cy), (a, s.cy), (a, t.cy), (t.x, t.cy)]
            yield [(s.right, s.cy), (b, s.cy), (b, t.cy), (t.x, t.cy)]
        else:
            below = s.cy + CORRIDOR
            entry = (t.cx, t.bottom) if t.cy < below else (t.cx, t.y)
            yield [(s.cx, s.bottom), (s.cx, below), (t.cx, below), entry]
        for corridor in corridors:
            yield [(s.right, s.cy), (a, s.cy), (a, corridor), (b, corridor), (b, t.cy), (t.x, t.cy)]
