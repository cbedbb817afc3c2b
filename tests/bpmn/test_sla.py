"""SLA settings: where they come from, how ladders read, what a plan dates, what deploy rejects."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from bpmn import Instance, ModelInvalid
from bpmn.errors import SlaInvalid
from bpmn.sla import camunda_date_expression, ladder, moment, parse_steps, plan, settings_for
from tests.bpmn.helpers import bundle_of

OPENED = datetime(2025, 3, 10, 9, 0)  # a Monday


def test_task_property_beats_lane_default_beats_process_default() -> None:
    process = {"sla.due": "P2D", "sla.due.Legal": "PT4H", "sla.nudge": "PT0S"}
    assert settings_for({}, process, "Sales") == {"due": "P2D", "nudge": "PT0S"}
    assert settings_for({}, process, "Legal")["due"] == "PT4H"
    assert settings_for({"sla.due": "PT1H"}, process, "Legal")["due"] == "PT1H"
    assert settings_for({"sla.due": "PT1H"}, process, "Legal", due_date="P5D")["due"] == "P5D"
    assert settings_for({}, {}, None, follow_up_date=" P1D ") == {"followUp": "P1D"}


@pytest.mark.parametrize(
    ("expression", "duration"),
    [("${dateTime().plusDays(2).toDate()}", "P2D"), ("${dateTime().plusWeeks(1).toDate()}", "P7D"),
     ("${ dateTime().plusMonths(1).plusHours(4).toDate() }", "P1MT4H"), ("${dueDate}", None)],
)
def test_camundas_joda_due_dates_read_as_durations(expression: str, duration: str | None) -> None:
    assert camunda_date_expression(expression) == duration


def test_ladder_steps_read_offsets_and_targets() -> None:
    steps = ladder({"nudge": "-PT4H, PT0S", "escalate": "PT2H -> leads, P1D -> Manager",
                    "reassign": "-> group:Sales Backup"})
    assert [s.describe() for s in steps] == [
        "nudge PT4H before due", "nudge at due", "reassign at due to group:Sales Backup",
        "escalate PT2H after due to leads", "escalate P1D after due to manager",
    ]
    assert parse_steps("escalate", "PT1H -> leads:legal")[0].target == "leads:legal"
    assert parse_steps("reassign", "P1D -> user:dana@example.com")[0].to_dict() == {
        "action": "reassign", "offset": "P1D", "target": "user:dana@example.com"}


@pytest.mark.parametrize(
    ("action", "text", "words"),
    [("escalate", "PT2H", "say where to escalate to"), ("escalate", "PT2H -> the boss", "cannot escalate"),
     ("reassign", "P1D -> leads", "cannot reassign to 'leads'"), ("nudge", "PT1H -> leads", "only the time"),
     ("nudge", "soon", "ISO 8601 duration"), ("escalate", "PT1H -> group:", "cannot escalate")],
)
def test_unreadable_ladder_steps_say_what_to_write(action: str, text: str, words: str) -> None:
    with pytest.raises(SlaInvalid) as caught:
        parse_steps(action, text)  # type: ignore[arg-type]
    assert caught.value.key == f"sla.{action}"
    assert words in str(caught.value)


def test_plan_dates_the_due_date_the_risk_point_and_each_step() -> None:
    result = plan({"due": "PT4H", "followUp": "PT1H", "nudge": "-PT1H, PT0S", "escalate": "PT2H -> leads"},
                  OPENED)
    assert result.due_at == OPENED + timedelta(hours=4)
    assert result.follow_up_at == OPENED + timedelta(hours=1)
    assert result.at_risk_at == OPENED + timedelta(hours=3)
    assert [(s.action, at) for s, at in result.steps] == [
        ("nudge", OPENED + timedelta(hours=3)), ("nudge", OPENED + timedelta(hours=4)),
        ("escalate", OPENED + timedelta(hours=6)),
    ]


def test_plan_drops_nudges_before_the_task_opened_but_escalates_a_late_task_at_once() -> None:
    result = plan({"due": "PT30M", "nudge": "-PT1H", "escalate": "-PT2H -> manager"}, OPENED)
    assert [(s.action, at) for s, at in result.steps] == [("escalate", OPENED)]


def test_plan_without_a_due_date_has_no_steps() -> None:
    result = plan({"nudge": "PT0S"}, OPENED)
    assert (result.due_at, result.at_risk_at, result.steps) == (None, None, ())


def test_plan_counts_working_time_on_the_process_calendar() -> None:
    friday_4pm_utc = datetime(2025, 3, 7, 16, 0)
    result = plan({"due": "PT2H", "calendar": "Mon-Fri 09:00-17:00 UTC", "nudge": "-PT30M"}, friday_4pm_utc)
    assert result.due_at == datetime(2025, 3, 10, 10, 0)
    assert result.steps[0][1] == datetime(2025, 3, 10, 9, 30)


@pytest.mark.parametrize(
    ("text", "calendar", "expected"),
    [("2025-03-12T15:00:00Z", None, datetime(2025, 3, 12, 15)),
     ("2025-03-12T15:00:00+01:00", None, datetime(2025, 3, 12, 14)),
     ("2025-03-12T15:00:00", "Europe/Berlin", datetime(2025, 3, 12, 14)),
     ("2025-03-12", None, datetime(2025, 3, 13, 0)),
     ("2025-03-12", "Mon-Fri 09:00-17:00 Europe/Berlin", datetime(2025, 3, 12, 16))],
)
def test_absolute_due_dates(text: str, calendar: str | None, expected: datetime) -> None:
    from bpmn.calendar import parse_calendar

    assert moment(text, OPENED, parse_calendar(calendar) if calendar else None) == expected


def test_a_due_date_before_the_task_opens_is_refused() -> None:
    with pytest.raises(SlaInvalid, match="before the task opens"):
        moment("-P1D", OPENED, None)


def test_running_tasks_carry_their_evaluated_sla_settings() -> None:
    bundle = bundle_of("sla_ladder.bpmn")
    inst = Instance.start(bundle.definition("contract_review"), {"deadline": date(2030, 1, 31)})
    (draft,) = inst.human_tasks()
    assert draft.due_date == "PT1H" and draft.follow_up_date == "PT30M"
    assert draft.sla == {"due": "PT1H", "followUp": "PT30M", "nudge": "-PT15M, PT0S",
                         "escalate": "PT2H -> leads", "reassign": "PT1H -> group:sales-backup"}
    inst.complete(draft.id, {})
    (review,) = inst.human_tasks()
    assert review.lane == "Legal" and review.sla == {"due": "PT4H", "escalate": "PT2H -> leads"}
    inst.complete(review.id, {})
    (sign,) = inst.human_tasks()
    assert sign.sla["due"] == "2030-01-31"
    assert moment(sign.sla["due"], OPENED, None) == datetime(2030, 2, 1)


def test_a_due_date_expression_that_fails_is_a_problem_on_the_task_not_a_crash() -> None:
    bundle = bundle_of("sla_ladder.bpmn")
    inst = Instance.start(bundle.definition("contract_review"), {})
    for _ in range(2):
        inst.complete(inst.human_tasks()[0].id, {})
    (sign,) = inst.human_tasks()
    assert "due" not in sign.sla
    assert any("SLA setting due" in p for p in sign.problems)


def test_deploy_reports_every_unreadable_sla_setting_with_its_element() -> None:
    with pytest.raises(ModelInvalid) as caught:
        bundle_of("sla_unreadable_ladder.bpmn")
    found = [(p.element_id, p.message) for p in caught.value.problems]

    def reported(element_id: str, text: str) -> bool:
        return any(e == element_id and text in message for e, message in found)

    assert reported("Approve", "sla.calendar = 'Mon-Fri 09:00-17:00 Mars/Olympus': 'Mars/Olympus' is not")
    assert reported("Approve", "sla.due = 'two days': not a duration")
    assert reported("Approve", "sla.escalate = 'PT2H -> the boss': cannot escalate to 'the boss'")
    assert reported("Ship", "sla.due = '': the ladder counts from the due date")
    assert all(p.line for p in caught.value.problems)
