"""Signal start events: the server starts instances where a signal arrives, the data delivered."""

from __future__ import annotations

import pytest

from bpmn import BpmnError, Instance, signal_starts
from tests.bpmn.helpers import bundle_of

BUNDLE = bundle_of("signal_start.bpmn")


def test_signal_start_events_are_listed_by_signal_name() -> None:
    assert signal_starts(BUNDLE.definition("starts_by_signal").spec) == {"alarm": "alarm_raised"}
    assert signal_starts(BUNDLE.definition("raises_alarm").spec) == {}


def test_an_instance_starts_at_its_signal_start_event_with_the_signal_data() -> None:
    inst = Instance.start(BUNDLE.definition("starts_by_signal"), {"level": 3}, start_event="alarm_raised")
    assert [t.name for t in inst.human_tasks()] == ["Respond to the alarm"]
    assert inst.data == {"level": 3}


def test_a_start_event_that_is_not_one_fails() -> None:
    with pytest.raises(BpmnError):
        Instance.start(BUNDLE.definition("starts_by_signal"), {}, start_event="respond")


def test_a_signal_end_event_is_thrown_for_the_server_to_route() -> None:
    inst = Instance.start(BUNDLE.definition("raises_alarm"), {})
    [task] = inst.human_tasks()
    inst.complete(task.id, {})
    assert [(t.kind, t.name) for t in inst.take_thrown()] == [("signal", "alarm")]
