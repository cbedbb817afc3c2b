"""Event subprocesses: interrupting ones cancel their scope's work, non-interrupting ones run alongside."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bpmn import Definition, Instance, ModelInvalid, ThrownMessage
from tests.bpmn.helpers import bundle_of

BUNDLE = bundle_of("event_subprocesses.bpmn")


def _definition(process_id: str) -> Definition:
    # Through the stored form, as the server keeps it: the interrupting flag must survive it.
    return Definition.from_dict(BUNDLE.definition(process_id).to_dict())


def _start(process_id: str, data: dict[str, object] | None = None) -> Instance:
    return Instance.start(_definition(process_id), data or {})


def _reloaded(inst: Instance) -> Instance:
    return Instance.load(inst.definition, inst.dump())


def _open(inst: Instance) -> list[str]:
    return sorted(t.name for t in inst.human_tasks())


def _waits(inst: Instance) -> list[str]:
    return sorted(w.element_id for w in inst.waiting())


def _complete(inst: Instance, name: str, data: dict[str, object] | None = None) -> None:
    task = next(t for t in inst.human_tasks() if t.name == name)
    inst.complete(task.id, data or {})


def test_event_subprocesses_listen_while_the_process_runs() -> None:
    inst = _start("esp_message")
    assert _open(inst) == ["Work"]
    assert _waits(inst) == ["m_cancel_start", "m_note_start"]


def test_an_interrupting_message_cancels_the_work_and_the_other_listeners() -> None:
    inst = _reloaded(_start("esp_message", {"order": 7}))
    assert inst.deliver_message("cancel_order", {"reason": "changed mind"}) is True
    assert _open(inst) == ["Refund"]
    assert _waits(inst) == []  # the note listener was cancelled with the rest of the scope
    assert inst.deliver_message("note_added", {}) is False
    inst = _reloaded(inst)
    _complete(inst, "Refund")
    assert inst.status == "completed"
    assert inst.data["reason"] == "changed mind" and inst.data["order"] == 7


def test_a_non_interrupting_message_runs_alongside_and_fires_again() -> None:
    inst = _start("esp_message")
    assert inst.deliver_message("note_added", {"note": "first"}) is True
    inst = _reloaded(inst)
    assert inst.deliver_message("note_added", {"note": "second"}) is True
    assert _open(inst) == ["Read note", "Read note", "Work"]
    assert _waits(inst) == ["m_cancel_start", "m_note_start"]  # still listening for more
    _complete(inst, "Work")
    assert inst.status == "running"  # the process waits for the notes being read
    _complete(inst, "Read note")
    _complete(inst, "Read note")
    assert inst.status == "completed"
    assert _waits(inst) == []


def test_the_process_ends_with_its_main_flow_and_cancels_listeners() -> None:
    inst = _start("esp_message")
    _complete(inst, "Work")
    assert inst.status == "completed"
    assert _waits(inst) == []
    assert inst.deliver_message("cancel_order", {}) is False


def test_an_interrupting_timer_cancels_the_work() -> None:
    inst = _start("esp_timer")
    begun = datetime.now(UTC)
    inst.fire_due_timers(begun + timedelta(hours=2, seconds=5))
    assert _open(inst) == ["Escalated"]
    assert _waits(inst) == []
    _complete(inst, "Escalated")
    assert inst.status == "completed"


def test_a_non_interrupting_timer_cycle_repeats_without_stopping_the_work() -> None:
    inst = _start("esp_timer")
    begun = datetime.now(UTC)
    inst.fire_due_timers(begun + timedelta(minutes=31))
    inst = _reloaded(inst)
    assert _open(inst) == ["Work"]
    assert "t_remind_start" in _waits(inst)  # one occurrence of two left
    inst.fire_due_timers(begun + timedelta(minutes=61))
    assert _open(inst) == ["Work"]
    assert _waits(inst) == ["t_deadline_start"]
    _complete(inst, "Work")
    assert inst.status == "completed"
    assert inst.data["reminded"] is True


def test_a_signal_the_instance_throws_interrupts_its_own_scope() -> None:
    inst = _start("esp_signal")
    _complete(inst, "Decide to stop")
    assert _open(inst) == []  # "Work" and "After the throw" were cancelled
    assert inst.status == "completed"
    assert inst.data["stopped"] is True
    # a signal is a broadcast: caught inside, it still goes out to other instances
    assert [t.name for t in inst.take_thrown()] == ["stop_all"]


def test_a_non_interrupting_signal_from_outside_fires_each_time() -> None:
    inst = _start("esp_signal")
    assert inst.deliver_signal("ping") is True
    assert inst.deliver_signal("ping") is True
    assert _open(inst) == ["Answer the ping", "Answer the ping", "Decide to stop", "Work"]


def test_an_error_end_event_starts_the_error_event_subprocess() -> None:
    inst = _start("esp_error")
    _complete(inst, "Check")
    assert _open(inst) == ["Clean up"]  # "Work" was cancelled
    _complete(inst, "Clean up")
    assert inst.status == "completed"


def test_a_non_interrupting_escalation_leaves_the_work_running() -> None:
    inst = _start("esp_escalation")
    assert _open(inst) == ["Work"]  # the escalation event subprocess waits; it did not start
    _complete(inst, "Work")
    assert _open(inst) == ["Finish", "Tell the manager"]
    _complete(inst, "Finish")
    assert inst.status == "running"
    _complete(inst, "Tell the manager")
    assert inst.status == "completed"


def test_an_event_subprocess_in_an_embedded_subprocess_interrupts_only_that_subprocess() -> None:
    inst = _start("esp_nested")
    assert inst.deliver_message("inner_stop", {}) is True
    assert _open(inst) == ["After"]
    _complete(inst, "After")
    assert inst.status == "completed"
    assert inst.data["inner_stopped"] is True


def test_event_subprocesses_without_a_trigger_or_with_a_non_interrupting_error_are_rejected() -> None:
    with pytest.raises(ModelInvalid) as caught:
        bundle_of("event_subprocess_without_trigger.bpmn")
    found = {(p.file, p.line, p.element_id) for p in caught.value.problems}
    assert ("event_subprocess_without_trigger.bpmn", 12, "plain_start") in found
    assert ("event_subprocess_without_trigger.bpmn", 17, "error_start") in found


def test_a_signal_reaches_the_catch_events_of_the_instance_that_throws_it() -> None:
    inst = Instance.start(bundle_of("signal_to_itself.bpmn").definition("signal_to_itself"), {})
    assert _open(inst) == ["Prepare", "Review"]
    _complete(inst, "Prepare", {"prepared": True})
    assert _open(inst) == ["Go on"]  # the catch event and the boundary event of "Review" caught it
    assert inst.take_thrown() == [ThrownMessage("ready", None, kind="signal")]
    _complete(inst, "Go on")
    assert inst.status == "completed"


def test_a_service_error_no_boundary_catches_starts_the_error_event_subprocess() -> None:
    inst = Instance.start(bundle_of("service_error_event_subprocess.bpmn")
                          .definition("service_error_event_subprocess"), {})
    [parked] = inst.service_tasks()
    assert _open(inst) == ["Pack"]
    assert inst.throw_service_error(parked.task_id, "DOWN", "no answer") is True
    assert _open(inst) == ["Call the supplier"]  # "Pack" was cancelled, and so was the service task
    assert inst.service_tasks() == []
    _complete(inst, "Call the supplier")
    assert inst.status == "completed"
