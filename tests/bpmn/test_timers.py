"""Timers in the engine layer: expressions as Camunda and SpiffArena write them, UTC dates, cron,
every kind of timer event, and firing exactly when the caller's clock says they are due."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from SpiffWorkflow.bpmn.specs.event_definitions import timer as spiff_timer
from SpiffWorkflow.util.task import TaskState

import bpmn
from bpmn.timer_values import TimerValueError, cron_for_croniter, cron_next, parse_cycle
from tests.bpmn.helpers import bundle_of

MONDAY = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def start(name: str, data: dict[str, Any] | None = None) -> bpmn.Instance:
    bundle = bundle_of(name)
    return bpmn.Instance.start(bundle.definition(bundle.processes[0].id), data or {})


def timer_wait(instance: bpmn.Instance) -> bpmn.Wait:
    waits = [w for w in instance.waiting() if w.kind == "timer"]
    assert len(waits) == 1, waits
    return waits[0]


def human(instance: bpmn.Instance) -> list[str]:
    return sorted(task.element_id for task in instance.human_tasks())


def completed(instance: bpmn.Instance, element_id: str) -> int:
    # (not get_tasks(state=...): that does not look below a task in another state)
    return sum(1 for task in instance.workflow.get_tasks()
               if task.task_spec.bpmn_id == element_id and task.has_state(TaskState.COMPLETED))


def reload(instance: bpmn.Instance) -> bpmn.Instance:
    return bpmn.Instance.load(instance.definition, instance.dump())


@pytest.mark.parametrize(("fixture", "data", "seconds"), [
    ("timer_catch_bare_duration.bpmn", {}, 300),  # Camunda Modeler: PT5M written bare
    ("timer_catch_python_duration.bpmn", {"minutes": 3}, 180),  # SpiffArena: a Python expression
    ("timer_catch_juel_variable.bpmn", {"wait": "PT2M"}, 120),  # ${wait}
])
def test_a_duration_fires_at_its_due_time_and_not_a_microsecond_before(
    fixture: str, data: dict[str, Any], seconds: int
) -> None:
    before = datetime.now(UTC)
    instance = start(fixture, data)
    due = timer_wait(instance).due_at
    assert due is not None
    assert before + timedelta(seconds=seconds) <= due <= datetime.now(UTC) + timedelta(seconds=seconds)
    instance.fire_due_timers(due - timedelta(microseconds=1))
    assert human(instance) == [] and timer_wait(instance).due_at == due
    instance = reload(instance)
    instance.fire_due_timers(due)
    assert human(instance) == ["Review"]
    assert instance.waiting() == []


def test_a_date_without_offset_is_utc_whatever_the_server_zone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(spiff_timer, "LOCALTZ", timezone(timedelta(hours=9)))  # a server in Tokyo
    instance = start("timer_catch_naive_date.bpmn")
    assert timer_wait(instance).due_at == datetime(2030, 1, 1, 9, 0, tzinfo=UTC)
    instance.fire_due_timers(datetime(2030, 1, 1, 8, 59, 59))
    assert human(instance) == []
    instance.fire_due_timers(datetime(2030, 1, 1, 9, 0))  # naive = UTC here too
    assert human(instance) == ["Review"]


def test_a_date_from_a_variable() -> None:
    instance = start("timer_catch_date_variable.bpmn", {"when": "2030-05-01T10:00:00+02:00"})
    assert timer_wait(instance).due_at == datetime(2030, 5, 1, 8, 0, tzinfo=UTC)


def test_a_timer_expression_that_gives_no_duration_puts_the_instance_in_error() -> None:
    instance = start("timer_catch_juel_variable.bpmn", {"wait": "soon"})
    assert instance.status == "error"
    assert "soon" in instance.failures()[0].message


def test_an_interrupting_boundary_timer_cancels_the_task_and_takes_its_path() -> None:
    instance = start("timer_boundary_interrupting.bpmn", {"reminders": 0})
    due = timer_wait(instance).due_at
    assert due is not None and human(instance) == ["Approve"]
    instance.fire_due_timers(due)
    assert human(instance) == []
    assert completed(instance, "Remind") == 1
    assert instance.status == "completed"


def test_a_non_interrupting_cycle_runs_its_branch_n_times_then_stops() -> None:
    instance = start("timer_boundary_cycle_non_interrupting.bpmn", {"reminders": 0})
    first = timer_wait(instance).due_at
    assert first is not None
    for round_ in range(1, 4):
        due = timer_wait(instance).due_at
        assert due == first + timedelta(minutes=round_ - 1)
        instance.fire_due_timers(due - timedelta(seconds=1))
        assert completed(instance, "Remind") == round_ - 1
        instance = reload(instance)
        instance.fire_due_timers(due)
        assert completed(instance, "Remind") == round_
        assert human(instance) == ["Approve"]
    assert [w for w in instance.waiting() if w.kind == "timer"] == []
    instance.fire_due_timers(first + timedelta(hours=1))
    assert completed(instance, "Remind") == 3


def test_a_cycle_that_fell_behind_fires_once_and_resumes_its_schedule() -> None:
    instance = start("timer_boundary_cycle_non_interrupting.bpmn", {"reminders": 0})
    first = timer_wait(instance).due_at
    assert first is not None
    instance.fire_due_timers(first + timedelta(seconds=150))  # 2.5 intervals late
    assert completed(instance, "Remind") == 1
    assert timer_wait(instance).due_at == first + timedelta(minutes=3)


def test_a_quartz_cron_cycle_fires_on_weekdays_at_nine_utc() -> None:
    instance = start("timer_boundary_cron.bpmn", {"reminders": 0})
    due = timer_wait(instance).due_at
    assert due is not None and due.weekday() < 5 and (due.hour, due.minute, due.second) == (9, 0, 0)
    friday = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
    instance.fire_due_timers(friday - timedelta(days=(friday - due).days))  # fire the first one on time
    instance = reload(instance)
    # Fridays' occurrence is followed by Monday's
    value = instance.workflow.get_tasks(state=TaskState.WAITING)
    boundary = next(t for t in value if t.task_spec.bpmn_id == "Deadline")
    boundary.internal_data["event_value"]["next"] = friday.isoformat()
    instance.fire_due_timers(friday)
    assert timer_wait(instance).due_at == datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


def test_an_event_based_gateway_takes_the_timer_path_when_nothing_else_came() -> None:
    instance = start("timer_event_gateway.bpmn")
    due = timer_wait(instance).due_at
    assert due is not None
    assert {w.kind for w in instance.waiting()} == {"timer", "message"}
    instance.fire_due_timers(due)
    assert human(instance) == ["Chase"]
    assert instance.waiting() == []


def test_timers_survive_a_definition_and_state_round_trip() -> None:
    bundle = bundle_of("timer_boundary_cron.bpmn")
    definition = bpmn.Definition.from_dict(bundle.definition("timer_boundary_cron").to_dict())
    instance = bpmn.Instance.start(definition, {"reminders": 0})
    due = timer_wait(instance).due_at
    assert due is not None
    instance = bpmn.Instance.load(definition, instance.dump())
    instance.fire_due_timers(due)
    assert completed(instance, "Remind") == 1
    assert timer_wait(instance).due_at is not None


# -- timer start events -------------------------------------------------------------------------


def test_process_info_lists_timer_start_events_with_their_kind() -> None:
    starts = {name: bundle_of(name).processes[0].timer_starts for name in (
        "timer_start_cycle.bpmn", "timer_start_date.bpmn", "timer_start_cron.bpmn")}
    assert [(s.element_id, s.kind) for s in starts["timer_start_cycle.bpmn"]] == [("Schedule", "cycle")]
    assert [s.kind for s in starts["timer_start_date.bpmn"]] == ["date"]
    assert [s.kind for s in starts["timer_start_cron.bpmn"]] == ["cycle"]
    assert bundle_of("timer_start_cycle.bpmn").processes[0].startable_by_hand  # it has a none start too
    assert not bundle_of("timer_start_date.bpmn").processes[0].startable_by_hand


def test_start_schedules_dates_cycles_and_cron() -> None:
    def first_and_next(name: str, at: datetime) -> tuple[datetime, datetime | None]:
        start_event = bundle_of(name).processes[0].timer_starts[0]
        first = bpmn.first_start(start_event, at)
        return first, bpmn.next_start(start_event, first, 1, first)

    assert first_and_next("timer_start_date.bpmn", MONDAY) == (datetime(2027, 1, 1, 9, tzinfo=UTC), None)
    late = datetime(2027, 6, 1, tzinfo=UTC)
    assert first_and_next("timer_start_date.bpmn", late) == (late, None)  # a past date: at once
    assert first_and_next("timer_start_cycle.bpmn", MONDAY) == (
        MONDAY + timedelta(hours=1), MONDAY + timedelta(hours=2))
    assert first_and_next("timer_start_cron.bpmn", MONDAY) == (  # Quartz 2-6 = Monday to Friday, 09:30
        datetime(2026, 11, 24, 9, 30, tzinfo=UTC), datetime(2026, 11, 25, 9, 30, tzinfo=UTC))
    assert first_and_next("timer_start_repeat_from_date.bpmn", MONDAY) == (
        datetime(2027, 1, 1, tzinfo=UTC), datetime(2027, 1, 2, tzinfo=UTC))
    start_event = bundle_of("timer_start_cycle.bpmn").processes[0].timer_starts[0]
    assert bpmn.next_start(start_event, MONDAY, 3, MONDAY) is None  # R3: done after three


def test_an_instance_started_by_its_timer_begins_at_the_timer_start_event() -> None:
    bundle = bundle_of("timer_start_cycle.bpmn")
    definition = bundle.definition("timer_start_cycle")
    by_timer = bpmn.Instance.start(definition, {}, start_event="Schedule")
    assert human(by_timer) == ["Report"] and by_timer.waiting() == []
    assert completed(by_timer, "Schedule") == 1 and completed(by_timer, "ByHand") == 0
    by_hand = bpmn.Instance.start(definition, {})
    assert human(by_hand) == ["Report"] and by_hand.waiting() == []  # the server runs the schedule
    assert completed(by_hand, "Schedule") == 0 and completed(by_hand, "ByHand") == 1
    with pytest.raises(bpmn.BpmnError):
        bpmn.Instance.start(definition, {}, start_event="ByHand")


# -- values -------------------------------------------------------------------------------------


@pytest.mark.parametrize(("cron", "translated"), [
    ("0 0 9 ? * MON-FRI", ("0 0 9 * * MON-FRI", True)),
    ("0 30 9 ? * 2-6", ("0 30 9 * * 1-5", True)),
    ("0 0/15 * * * ? *", ("0 0/15 * * * *", True)),
    ("*/5 * * * *", ("*/5 * * * *", False)),
])
def test_quartz_and_classic_cron_are_translated(cron: str, translated: tuple[str, bool]) -> None:
    assert cron_for_croniter(cron) == translated


def test_cron_next_is_strictly_after_and_bad_cron_is_refused() -> None:
    nine = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
    assert cron_next("0 0 9 ? * MON-FRI", nine) == nine + timedelta(days=1)
    with pytest.raises(TimerValueError):
        cron_next("0 0 25 ? * MON-FRI", nine)
    with pytest.raises(TimerValueError):
        cron_next("0 0 9 ? * MON-FRI 2030", nine)


def test_repeating_intervals() -> None:
    cycle = parse_cycle("R2/P1D/2027-01-05T00:00:00Z", MONDAY)
    assert (cycle.cycles, cycle.first, cycle.seconds) == (2, datetime(2027, 1, 4, tzinfo=UTC), 86400)
    assert parse_cycle("R/PT10S", MONDAY).cycles == -1
    with pytest.raises(TimerValueError):
        parse_cycle("every day", MONDAY)


def test_a_timer_start_event_that_gives_no_schedule_is_refused_at_deployment() -> None:
    with pytest.raises(bpmn.ModelInvalid) as caught:
        bundle_of("timer_start_needs_a_variable.bpmn")
    [problem] = caught.value.problems
    assert problem.element_id == "Schedule" and problem.line is not None
    assert "firstMonday" in problem.message
