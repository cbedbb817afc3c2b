"""Structure in depth, in both dialects: inclusive gateways, multi-instance and standard loops,
Camunda's async flags, expression delegates, initiator, call activity business key and list/map
inputs, DMN OUTPUT ORDER and DRD elements, and the constructs Baton rejects at deploy by element."""

from __future__ import annotations

from typing import Any

import pytest
from lxml import etree
from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import LoopTask
from SpiffWorkflow.util.task import TaskState

from bpmn import Instance, java_delegates, parse_bundle, sandbox
from bpmn.dmn import decide, read_decisions
from tests.bpmn.helpers import FIXTURES, bundle_of, fixture_files
from tests.bpmn.test_parse_bundle import rejected

DIALECTS = ("camunda", "spiff")


def path(instance: Instance) -> list[str]:
    """The elements completed so far, in order (a loop's iterations each once, not the loop itself)."""
    workflow = instance.workflow
    tasks = [*workflow.get_tasks(state=TaskState.COMPLETED)]
    tasks.sort(key=lambda task: task.last_state_change)
    return [task.task_spec.bpmn_id for task in tasks
            if task.task_spec.bpmn_id and not isinstance(task.task_spec, LoopTask)]


def open_tasks(instance: Instance) -> list[str]:
    return sorted(task.element_id for task in instance.human_tasks())


def complete(instance: Instance, element_id: str, data: dict[str, Any] | None = None) -> Instance:
    """Complete the (first) open task of `element_id`, after a dump and load as the server does."""
    task = next(task for task in instance.human_tasks() if task.element_id == element_id)
    instance = Instance.load(instance.definition, instance.dump())
    instance.complete(task.id, data or {})
    return instance


# -- Inclusive gateways ------------------------------------------------------------------------------


def inclusive(dialect: str, **data: Any) -> Instance:
    definition = bundle_of(f"inclusive_gateway_{dialect}.bpmn").definition(f"inclusive_{dialect}")
    return Instance.start(definition, {"needs_packing": False, "amount": 5, "gift": False,
                                       "disputed": False, **data})


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize(("data", "taken"), [
    ({"needs_packing": True}, ["Pack"]),
    ({"needs_packing": True, "amount": 500}, ["Invoice", "Pack"]),
    ({"needs_packing": True, "amount": 500, "gift": True}, ["Gift_wrap", "Invoice", "Pack"]),
])
def test_an_inclusive_split_takes_every_true_branch_and_its_join_waits_for_all_of_them(
        dialect: str, data: dict[str, Any], taken: list[str]) -> None:
    instance = inclusive(dialect, **data)
    assert open_tasks(instance) == taken
    for done, element_id in enumerate(taken, start=1):
        instance = complete(instance, element_id, {f"done_{element_id}": True})
        # the join waits until every branch taken has arrived, and for no other
        assert open_tasks(instance) == (taken[done:] or ["Ship"])
    instance = complete(instance, "Ship")
    assert instance.status == "completed"
    assert path(instance)[-3:] == ["Join", "Ship", "Shipped"]
    assert "Nothing_to_do" not in path(instance)
    assert {f"done_{element_id}" for element_id in taken} <= set(instance.data)  # every branch's data merged


@pytest.mark.parametrize("dialect", DIALECTS)
def test_an_inclusive_split_with_no_true_condition_takes_the_default_flow(dialect: str) -> None:
    instance = inclusive(dialect)
    assert open_tasks(instance) == ["Ship"]
    assert path(instance) == ["Order_placed", "Split", "Nothing_to_do", "Join"]
    assert instance.data["note"] == "nothing"


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize("first", ["Pack", "Invoice"])
def test_an_inclusive_join_stops_waiting_for_a_branch_that_ends_elsewhere(dialect: str, first: str) -> None:
    instance = inclusive(dialect, needs_packing=True, amount=500)
    second = "Invoice" if first == "Pack" else "Pack"
    instance = complete(instance, first, {"disputed": True} if first == "Invoice" else {})
    assert open_tasks(instance) == [second]  # the join still waits: the other branch may arrive
    instance = complete(instance, second, {"disputed": True} if second == "Invoice" else {})
    assert open_tasks(instance) == ["Ship"]  # the disputed invoice ended its branch: nothing left to wait for
    assert "Disputed" in path(instance)


# -- Multi-instance ----------------------------------------------------------------------------------


@pytest.mark.parametrize("dialect", DIALECTS)
def test_loop_cardinality_runs_parallel_and_sequential_instances(dialect: str) -> None:
    definition = bundle_of(f"multi_instance_{dialect}.bpmn").definition(f"mi_cardinality_{dialect}")
    instance = Instance.start(definition, {"copies": 3, "stamps": 0})
    assert open_tasks(instance) == ["Sign", "Sign", "Sign"]  # parallel: all at once
    for _ in range(3):
        instance = complete(instance, "Sign")
    assert instance.status == "completed"
    assert instance.data["stamps"] == 3  # sequential: each instance saw the one before
    assert path(instance) == ["Begin", "Sign", "Sign", "Sign", "Stamp", "Stamp", "Stamp", "Finish"]


@pytest.mark.parametrize("dialect", DIALECTS)
def test_a_completion_condition_ends_a_parallel_multi_instance_at_a_quorum(dialect: str) -> None:
    definition = bundle_of(f"multi_instance_{dialect}.bpmn").definition(f"mi_quorum_{dialect}")
    instance = Instance.start(definition, {"reviewers": ["ann", "ben", "cy"], "approvers": ["dee"]})
    if dialect == "camunda":
        assert [t.assignee for t in instance.human_tasks()] == ["ann", "ben", "cy"]
    instance = complete(instance, "Review", {"verdict": "fine"})
    assert open_tasks(instance) == ["Review", "Review"]
    instance = complete(instance, "Review", {"verdict": "fine"})
    # two of three (Camunda: ${nrOfCompletedInstances >= 2}; SpiffArena: len(verdicts) >= 2): the third goes
    assert open_tasks(instance) == ["Approve"]
    assert instance.status == "running"
    assert "reviewer" not in instance.data  # the element variable stays inside its instance


@pytest.mark.parametrize("dialect", DIALECTS)
def test_a_completion_condition_ends_a_sequential_multi_instance_at_the_first_rejection(dialect: str) -> None:
    definition = bundle_of(f"multi_instance_{dialect}.bpmn").definition(f"mi_quorum_{dialect}")
    instance = Instance.start(definition, {"reviewers": ["ann"], "approvers": ["dee", "eve", "fay"]})
    instance = complete(instance, "Review", {"verdict": "fine"})
    seen = []
    for approved in (True, False):
        [task] = instance.human_tasks()
        seen.append(task.assignee)
        instance = complete(instance, "Approve", {"approved": approved})
    assert instance.status == "completed"  # fay is never asked
    assert path(instance).count("Approve") == 2
    assert instance.data["approved"] is False
    assert "approver" not in instance.data
    if dialect == "camunda":
        assert seen == ["dee", "eve"]


def test_camunda_loop_counters_are_in_scope_of_the_completion_condition() -> None:
    files = fixture_files("multi_instance_camunda.bpmn")
    text = files["multi_instance_camunda.bpmn"].replace(
        b"${nrOfCompletedInstances &gt;= 2}",
        b"${nrOfInstances == 3 &amp;&amp; nrOfActiveInstances == 1 &amp;&amp; loopCounter == 1}")
    definition = parse_bundle({"mi.bpmn": text}).definition("mi_quorum_camunda")
    instance = Instance.start(definition, {"reviewers": ["ann", "ben", "cy"], "approvers": ["dee"]})
    tasks = instance.human_tasks()
    instance.complete(tasks[0].id, {})  # loopCounter 0: goes on
    assert open_tasks(instance) == ["Review", "Review"]
    instance.complete(tasks[1].id, {})  # loopCounter 1, one still active: done
    assert open_tasks(instance) == ["Approve"]


def test_a_completion_condition_that_fails_puts_the_multi_instance_activity_in_error() -> None:
    files = fixture_files("multi_instance_camunda.bpmn")
    text = files["multi_instance_camunda.bpmn"].replace(b"${nrOfCompletedInstances &gt;= 2}",
                                                        b"${quorum &gt;= 2}")
    definition = parse_bundle({"mi.bpmn": text}).definition("mi_quorum_camunda")
    instance = Instance.start(definition, {"reviewers": ["ann", "ben"], "approvers": ["dee"]})
    instance = complete(instance, "Review")
    assert instance.status == "error"  # not silently stuck on a completed instance
    [failure] = instance.failures()
    assert failure.element_id == "Review"
    assert "quorum" in failure.message


# -- Standard loops ----------------------------------------------------------------------------------


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize(("pending", "handled"), [(0, 0), (2, 2)])
def test_standard_loops_repeat_while_their_condition_holds(dialect: str, pending: int, handled: int) -> None:
    definition = bundle_of(f"standard_loop_{dialect}.bpmn").definition(f"standard_loop_{dialect}")
    instance = Instance.start(definition, {"count": 0, "limit": 3, "pending": pending, "handled": 0,
                                           "capped": 0})
    assert instance.data["count"] == 3  # tested after: ran, then repeated while count < limit
    assert instance.data["handled"] == handled  # testBefore: not even once when nothing is pending
    assert instance.data["capped"] == 4  # loopMaximum stops an always-true condition
    for round_ in (1, 2, 3):
        assert open_tasks(instance) == ["Revise"]
        instance = complete(instance, "Revise", {"accepted": round_ == 3})
    assert instance.status == "completed"
    steps = path(instance)
    assert (steps.count("Count"), steps.count("Skip_when_done"), steps.count("Capped"),
            steps.count("Revise")) == (3, handled, 4, 3)
    assert steps[-1] == "Finish"


# -- Camunda 7 extensions ----------------------------------------------------------------------------


def test_async_flags_initiator_expression_delegate_list_inputs_and_call_with_business_key_run() -> None:
    files = fixture_files("camunda_async_and_friends.bpmn")
    bundle = parse_bundle(files)
    assert bundle.warnings == []
    definition = bundle.definition("camunda_async")
    assert definition.initiator == "starter"
    assert bundle.definition("handle_request").initiator is None
    # the server puts the starter's e-mail in the variable camunda:initiator names
    instance = Instance.start(definition, {"starter": "ann@example.org", "topic": "refund"})
    # camunda:expression is Java code: a parked service task the server binds by the expression text
    [service] = instance.service_tasks()
    assert (service.implementation, service.connector) == ("expression", "${archive.store(execution)}")
    [delegate] = java_delegates(files)
    assert (delegate.kind, delegate.name, delegate.element_id, delegate.line) == (
        "expression", "${archive.store(execution)}", "Archive", 6)
    instance = Instance.load(definition, instance.dump())
    assert instance.complete_service(service.task_id, {"archived": True})
    [check] = instance.human_tasks()
    assert check.assignee == "ann@example.org"
    instance = complete(instance, "Check")
    assert instance.status == "completed"
    data = instance.data
    assert data["checked"] == ["identity", "refund"]  # camunda:list, an item evaluated
    assert data["reply_to"] == "ann@example.org"  # camunda:map entry read back
    assert "checklist" not in data and "contact" not in data  # inputs are local to the task
    # variables="all" in and out: the called process saw every variable, and gave its own back
    assert data["answer"] == "refund for ann@example.org: 2 checks"
    assert path(instance) == ["Requested", "Archive", "Check", "Note", "Handle_start", "Answer", "Handle_end",
                              "Handle", "Done"]


# -- DMN ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize(("amount", "offers"), [
    (5, []), (50, ["bronze"]), (500, ["silver", "bronze"]), (5000, ["gold", "silver", "bronze"])])
def test_output_order_gives_every_match_in_the_order_of_the_output_values(
        dialect: str, amount: int, offers: list[str]) -> None:
    name = f"dmn_output_order_{dialect}.dmn"
    decisions, problems = read_decisions(name, etree.fromstring((FIXTURES / name).read_bytes()))
    [decision] = decisions
    cells = "feel" if dialect == "camunda" else "python"
    assert (decision.hit_policy, decision.dialect) == ("OUTPUT ORDER", cells)
    # input data, the knowledge source and the authority requirement document the DRD; the unused BKM warns
    assert [(p.line, p.element_id, p.severity) for p in problems] == [(37, "rounding", "warning")]
    assert "no decision invokes it" in problems[0].message
    result = decide({decision.id: decision}, "offers", {"amount": amount}, sandbox.evaluate)
    assert [entry["offer"] for entry in result.entries] == offers


def test_a_decision_invoking_a_business_knowledge_model_is_rejected_by_element() -> None:
    name = "dmn_invoked_knowledge_model.dmn"
    _, problems = read_decisions(name, etree.fromstring((FIXTURES / name).read_bytes()))
    [problem] = [p for p in problems if p.severity == "error"]
    assert (problem.file, problem.line, problem.element_id) == (name, 4, "fee")
    assert "invokes business knowledge model 'rounding' (Rounding rules)" in problem.message


@pytest.mark.parametrize(("written", "amount", "expected"), [
    ("U", 50, [{"n": 1}]), ("F", 500, [{"n": 1}]), ("A", 5, []), ("P", 500, [{"n": 2}]),
    ("R", 500, [{"n": 1}, {"n": 2}]), ("O", 500, [{"n": 2}, {"n": 1}]), ("C", 500, [{"n": 1}, {"n": 2}]),
    ("C+", 500, [{"n": 3}]), ("C<", 500, [{"n": 1}]), ("C>", 500, [{"n": 2}]), ("C#", 500, [{"n": 2}]),
])
def test_hit_policy_short_forms_evaluate(written: str, amount: int, expected: list[dict[str, int]]) -> None:
    table = f"""<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/"
      xmlns:camunda="http://camunda.org/schema/1.0/dmn" id="d" namespace="http://baton.example/t">
  <decision id="pick" name="Pick">
    <decisionTable id="t" hitPolicy="{written.replace("<", "&lt;").replace(">", "&gt;")}">
      <input id="i" label="Amount">
        <inputExpression id="e" typeRef="integer"><text>amount</text></inputExpression>
      </input>
      <output id="o" name="n" typeRef="integer"><outputValues id="v"><text>2,1</text></outputValues></output>
      <rule id="r1">
        <inputEntry id="c1"><text>&gt;= 10</text></inputEntry>
        <outputEntry id="o1"><text>1</text></outputEntry>
      </rule>
      <rule id="r2">
        <inputEntry id="c2"><text>&gt;= 100</text></inputEntry>
        <outputEntry id="o2"><text>2</text></outputEntry>
      </rule>
    </decisionTable>
  </decision>
</definitions>"""
    [decision], problems = read_decisions("t.dmn", etree.fromstring(table.encode()))
    assert problems == []
    assert decide({"pick": decision}, "pick", {"amount": amount}, sandbox.evaluate).entries == expected


# -- Transactions ------------------------------------------------------------------------------------


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize(("value", "ends"), [
    ("", ["Cancelled", "Book", "Cancel_caught", "Cancel_noted", "Cancel_end"]),
    ("x", ["Use_booking", "Booked", "Book", "Done"])])
def test_a_transaction_cancel_end_event_leaves_by_the_cancel_boundary_event(
        dialect: str, value: str, ends: list[str]) -> None:
    definition = bundle_of(f"transaction_{dialect}.bpmn").definition(f"transaction_{dialect}")
    instance = Instance.start(definition, {})
    instance = complete(instance, "Collect", {"value": value})
    assert instance.status == "completed"
    steps = path(instance)
    assert steps[-len(ends):] == ends
    assert ("Cancel_noted" in steps) == (value == "")
    assert ("Use_booking" in steps) == (value != "")


# -- Rejected at deploy ------------------------------------------------------------------------------


@pytest.mark.parametrize("dialect", DIALECTS)
def test_constructs_baton_does_not_run_are_rejected_with_file_line_and_element(dialect: str) -> None:
    name = f"unexecuted_structure_{dialect}.bpmn"
    problems: dict[tuple[str | None, int | None], str] = {}
    for problem in rejected(name):
        assert problem.file == name
        key = (problem.element_id, problem.line)
        problems[key] = f"{problems.get(key, '')} {problem.message}"
    expected = {
        ("When_stock_low", 4): "is a conditional event", ("Wait_for_approval", 10): "is a conditional event",
        ("Order_cancelled", 17): "is a conditional event", ("Order_slow", 22): "is a conditional event",
        ("Price_changed", 50): "is a conditional event", ("Recalled", 59): "is a conditional event",
        ("Options", 28): "complex gateways", ("Jump_to_end", 30): "is a link event",
        ("Landing", 33): "is a link event", ("Prepare", 37): "ad-hoc subprocesses",
        ("Undo_all", 42): "is a compensate event", ("Compensated", 46): "is a compensate event",
        ("Undo_requested", 68): "is a compensate event",
    }
    for key, words in expected.items():
        assert words in problems[key], key
    assert "Baton does not do" in problems[("Wait_for_approval", 10)]  # says why, and what to draw instead
