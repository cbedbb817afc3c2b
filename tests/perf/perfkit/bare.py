"""The same process without Baton: SpiffWorkflow alone, saving and loading around every completion."""

from __future__ import annotations

import time

from perfkit.model import PROCESS_ID, form_data
from perfkit.stats import Run


def bare_spiff(bpmn_xml: bytes, instances: int) -> Run:
    """CamundaParser + BpmnWorkflow; the workflow JSON (spec included) is the only state between steps.

    Per instance: create, run to the first task, serialize. Per task (timed): deserialize, complete
    the READY user task with its form data, run to the next wait, serialize.
    """
    from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
    from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
    from SpiffWorkflow.camunda.parser import CamundaParser
    from SpiffWorkflow.camunda.serializer import DEFAULT_CONFIG as CAMUNDA_CONFIG
    from SpiffWorkflow.util.task import TaskState

    parser = CamundaParser()
    parser.add_bpmn_str(bpmn_xml, "bench.bpmn")
    spec = parser.get_spec(PROCESS_ID)
    subprocesses = parser.get_subprocess_specs(PROCESS_ID)
    serializer = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(dict(CAMUNDA_CONFIG)))

    latencies: list[float] = []
    began = time.perf_counter()
    for no in range(instances):
        wf = BpmnWorkflow(spec, subprocesses)
        wf.do_engine_steps()
        saved = serializer.serialize_json(wf)
        while True:
            t0 = time.perf_counter()
            wf = serializer.deserialize_json(saved)
            ready = wf.get_tasks(state=TaskState.READY, manual=True)
            if not ready:
                break
            task = ready[0]
            task.set_data(**form_data(task.task_spec.bpmn_id, no))
            task.run()
            wf.do_engine_steps()
            saved = serializer.serialize_json(wf)
            latencies.append(time.perf_counter() - t0)
        if not wf.is_completed():
            raise RuntimeError(f"bare SpiffWorkflow instance {no} did not complete")
    return Run("bare SpiffWorkflow", instances, len(latencies), time.perf_counter() - began, latencies)


def engine_layer(bpmn_xml: bytes, instances: int) -> Run:
    """Baton's bpmn/ layer alone (the spec kept parsed, the instance dumped without it), no HTTP, no SQL."""
    import bpmn

    definition = bpmn.parse_bundle({"bench.bpmn": bpmn_xml}).definition(PROCESS_ID)
    latencies: list[float] = []
    began = time.perf_counter()
    for no in range(instances):
        state = bpmn.Instance.start(definition, {"no": no}).dump()
        while True:
            t0 = time.perf_counter()
            inst = bpmn.Instance.load(definition, state)
            ready = inst.human_tasks()
            if not ready:
                break
            inst.complete(ready[0].id, form_data(ready[0].element_id, no))
            state = inst.dump()
            latencies.append(time.perf_counter() - t0)
        if inst.status != "completed":
            raise RuntimeError(f"engine-layer instance {no} ended {inst.status!r}")
    return Run("bpmn/ engine layer", instances, len(latencies), time.perf_counter() - began, latencies)
