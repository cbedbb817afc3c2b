"""Property: any well-formed map, as Markdown or CSV, gives a model that deploys, lays out and runs."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import forms
from bpmn import Instance
from bpmn.maps import convert
from tests.bpmn.maps.helpers import deployed, layout_faults, sample_value

OWNERS = ["Sales", "Finance", "Legal", "IT", "Accounts Payable"]
SLAS = ["", "2 days", "4h", "P1D", "3 business days", "30 min"]
INPUTS = [
    "amount (number)",
    "contract (document)",
    "start date (date)",
    "urgent (yes/no)",
    "reason (text)",
    "tier (one of: gold, silver)",
]
OUTCOMES = ["approved", "rejected", "on hold"]


@dataclass
class GenStep:
    name: str
    owner: str
    sla: str
    inputs: list[str]
    outcomes: list[str] = field(default_factory=list)
    routes: dict[str, str] = field(default_factory=dict)  # outcome -> "end" or a block number


@st.composite
def maps(draw: st.DrawFn) -> list[list[GenStep]]:
    """Blocks of steps (one step, or two or three in parallel); decisions only outside parallel ones."""
    count = draw(st.integers(1, 7))
    blocks: list[list[GenStep]] = []
    for number in range(1, count + 1):
        width = draw(st.sampled_from([1, 1, 1, 2, 3])) if 1 < number < count else 1
        block = []
        for branch in range(width):
            step = GenStep(
                f"Task {number}{'abc'[branch] if width > 1 else ''}",
                draw(st.sampled_from(OWNERS)),
                draw(st.sampled_from(SLAS)),
                draw(st.lists(st.sampled_from(INPUTS), max_size=2, unique=True)),
            )
            if width == 1 and draw(st.booleans()):
                step.outcomes = draw(st.sampled_from([OUTCOMES[:2], OUTCOMES]))
                forward = draw(st.sampled_from(["next", "end", *map(str, range(number + 1, count + 1))]))
                if forward != "next":
                    step.routes[step.outcomes[0]] = forward
                for outcome in step.outcomes[1:]:
                    step.routes[outcome] = draw(st.sampled_from(["end", *map(str, range(1, count + 1))]))
            block.append(step)
        blocks.append(block)
    return blocks


def _key(number: int, block: list[GenStep], branch: int) -> str:
    return f"{number}{'abc'[branch]}" if len(block) > 1 else str(number)


def _decision(step: GenStep) -> str:
    if not step.outcomes:
        return ""
    routes = "; ".join(f"{outcome} -> {target}" for outcome, target in step.routes.items())
    return f"decision: {' or '.join(step.outcomes)}" + (f"; {routes}" if routes else "")


def as_markdown(blocks: list[list[GenStep]]) -> str:
    lines = ["# Generated map", "", "Some prose before the steps.", ""]
    for number, block in enumerate(blocks, start=1):
        for branch, step in enumerate(block):
            details = ", ".join(part for part in (step.owner, step.sla) if part)
            decision = _decision(step)
            lines.append(
                f"{_key(number, block, branch)}. {step.name} ({details})"
                + (f": {decision}" if decision else "")
            )
            lines.extend(f"   - {item}" for item in step.inputs)
    return "\n".join(lines) + "\n"


def as_csv(blocks: list[list[GenStep]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["#", "Activity", "Role", "Fields", "Due", "Goes to"])
    for number, block in enumerate(blocks, start=1):
        for branch, step in enumerate(block):
            writer.writerow(
                [
                    _key(number, block, branch),
                    step.name,
                    step.owner,
                    "; ".join(step.inputs),
                    step.sla,
                    _decision(step),
                ]
            )
    return buffer.getvalue()


def run_forward(blocks: list[list[GenStep]], xml_process: Instance, first_choice: int) -> list[str]:
    """Complete tasks: the first visit of a decision takes `first_choice`, later ones go forward."""
    steps = {step.name: step for block in blocks for step in block}
    seen: set[str] = set()
    visited = []
    while tasks := xml_process.human_tasks():
        assert len(visited) < 300, visited
        task = tasks[0]
        step = steps[task.name]
        values = {f["id"]: sample_value(f) for f in task.form_fields}
        if step.outcomes:
            field = next(f for f in task.form_fields if f["id"].endswith("_decision"))
            index = first_choice % len(step.outcomes) if task.name not in seen else 0
            values[field["id"]] = field["values"][index]["id"]
        seen.add(task.name)
        visited.append(task.name)
        xml_process.complete(task.id, forms.validate(forms.form_from_fields(task.form_fields), values))
    assert xml_process.failures() == []
    assert xml_process.status == "completed"
    return visited


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(blocks=maps(), markdown=st.booleans(), first_choice=st.integers(0, 2))
def test_well_formed_maps_deploy_lay_out_and_run(
    blocks: list[list[GenStep]], markdown: bool, first_choice: int
) -> None:
    text = as_markdown(blocks) if markdown else as_csv(blocks)
    conversion = convert(text, format="markdown" if markdown else "csv", process_name="Generated map")
    assert all("never reached" in w.message for w in conversion.warnings), conversion.warnings
    assert layout_faults(conversion.bpmn) == []
    bundle = deployed(conversion)
    instance = Instance.start(bundle.definition(conversion.process_id), {})
    visited = run_forward(blocks, instance, first_choice)
    assert visited[0] == blocks[0][0].name
