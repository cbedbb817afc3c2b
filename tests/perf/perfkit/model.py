"""The benchmark's process: N sequential user tasks, each with a one-field Camunda form."""

from __future__ import annotations

PROCESS_ID = "bench_sequential"
GROUP = "bench"

_HEAD = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="Defs_bench"
    targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:process id="{pid}" name="Benchmark: {n} user tasks" isExecutable="true">
    <bpmn:startEvent id="StartEvent_1"><bpmn:outgoing>Flow_0</bpmn:outgoing></bpmn:startEvent>
"""

_TASK = """    <bpmn:sequenceFlow id="Flow_{prev}" sourceRef="{src}" targetRef="Task_{i}" />
    <bpmn:userTask id="Task_{i}" name="Step {i}" camunda:candidateGroups="{group}">
      <bpmn:extensionElements>
        <camunda:formData>
          <camunda:formField id="value_{i}" label="Value {i}" type="long" />
        </camunda:formData>
      </bpmn:extensionElements>
      <bpmn:incoming>Flow_{prev}</bpmn:incoming><bpmn:outgoing>Flow_{i}</bpmn:outgoing>
    </bpmn:userTask>
"""

_TAIL = """    <bpmn:sequenceFlow id="Flow_{n}" sourceRef="Task_{n}" targetRef="EndEvent_1" />
    <bpmn:endEvent id="EndEvent_1"><bpmn:incoming>Flow_{n}</bpmn:incoming></bpmn:endEvent>
  </bpmn:process>
</bpmn:definitions>
"""


def sequential_user_tasks(n: int = 10, process_id: str = PROCESS_ID, group: str = GROUP) -> bytes:
    """BPMN XML of start -> Task_1 -> ... -> Task_n -> end; task i has one long field `value_i`."""
    parts = [_HEAD.format(pid=process_id, n=n)]
    for i in range(1, n + 1):
        src = "StartEvent_1" if i == 1 else f"Task_{i - 1}"
        parts.append(_TASK.format(i=i, prev=i - 1, src=src, group=group))
    parts.append(_TAIL.format(n=n))
    return "".join(parts).encode()


def form_data(element_id: str, instance_no: int) -> dict[str, int]:
    """The values a client submits for task `Task_i` (its one form field)."""
    return {"value_" + element_id.rsplit("_", 1)[-1]: instance_no}
