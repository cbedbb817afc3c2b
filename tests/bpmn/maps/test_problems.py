"""Unclear maps: warnings name the line and a fix; maps no model can be built from raise MapInvalid."""

from __future__ import annotations

import pytest

from bpmn.maps import MapInvalid, MapProblem, convert
from tests.bpmn.maps.helpers import deployed, diagram, drive, layout_faults


def warnings_of(text: str, format: str = "markdown") -> list[MapProblem]:
    conversion = convert(text, format=format, process_name="Checked")  # type: ignore[arg-type]
    deployed(conversion)  # whatever was unclear, the model still deploys
    assert layout_faults(conversion.bpmn) == []
    return conversion.warnings


def invalid(data: str | bytes, format: str = "markdown") -> list[MapProblem]:
    with pytest.raises(MapInvalid) as caught:
        convert(data, format=format, process_name="Checked")  # type: ignore[arg-type]
    assert all(p.message and p.suggestion for p in caught.value.problems)
    return caught.value.problems


def test_a_map_without_steps_is_invalid_and_says_how_to_write_one() -> None:
    problems = invalid("# Vendor onboarding\n\nWe onboard vendors carefully.\n")
    assert [p.line for p in problems] == [None]
    assert "no steps" in problems[0].message and "1. Submit request" in problems[0].suggestion


def test_a_step_without_its_full_stop_is_reported_on_its_line() -> None:
    problems = invalid("# Map\n\n1 Submit request (Staff)\n2 Approve (Finance)\n")
    assert [p.line for p in problems] == [3, 4, None]
    assert "not read as a step" in problems[0].message and "4. Name" in problems[0].suggestion


def test_an_unclear_sla_is_a_warning_on_its_line() -> None:
    [problem] = warnings_of("1. Submit (Staff, 1 day)\n\n2. Review (Finance, 2 dayz)\n")
    assert problem.line == 3 and "'2 dayz'" in problem.message and "P2D" in problem.suggestion


def test_a_route_to_an_unknown_step_continues_and_says_so() -> None:
    text = "1. Submit (Staff)\n2. Approve (Boss): approved -> 3; rejected -> step 9\n3. Pay (Finance)\n"
    [problem] = warnings_of(text)
    assert problem.line == 2 and "'9'" in problem.message and "go back to 2" in problem.suggestion


def test_a_step_without_owner_goes_to_an_unassigned_lane() -> None:
    text = "1. Submit (Staff)\n2. File the paperwork\n"
    [problem] = warnings_of(text)
    assert problem.line == 2 and "no owner" in problem.message
    assert (
        "Unassigned" in diagram(convert(text, format="markdown", process_name="x").bpmn).lane_names.values()
    )


def test_a_sentence_under_a_step_is_a_note_not_an_input() -> None:
    text = (
        "1. Submit (Staff)\n   - amount (number)\n   - Please make sure both parties signed the contract.\n"
    )
    [problem] = warnings_of(text)
    assert problem.line == 3 and "note on step 1" in problem.message and "(type)" in problem.suggestion


def test_an_unknown_input_type_becomes_text() -> None:
    [problem] = warnings_of("1. Submit (Staff)\n   - favourite colour (colour)\n")
    assert problem.line == 2 and "'colour'" in problem.message and "yes/no" in problem.suggestion


def test_alternatives_that_are_no_decision_are_a_description_with_a_warning() -> None:
    [problem] = warnings_of("1. Submit (Staff)\n2. Check (Finance): the contract or the quote\n")
    assert problem.line == 2 and "description" in problem.message and "decision:" in problem.suggestion


def test_outcomes_without_routes_continue_and_say_so() -> None:
    [problem] = warnings_of("1. Submit (Staff)\n2. Approve (Boss): approve or reject\n3. Pay (Finance)\n")
    assert problem.line == 2 and "does not say where" in problem.message


def test_a_parallel_step_cannot_route_away() -> None:
    text = (
        "1. Submit (Staff)\n2. In parallel:\n   - Risk (Risk): if rejected go to end\n"
        "   - Legal (Legal)\n3. Pay (AP)\n"
    )
    [problem] = warnings_of(text)
    assert problem.line == 3 and "parallel" in problem.message
    run = drive(deployed(convert(text, format="markdown", process_name="p")), {"risk_rejected": [True]})
    assert run.visited[-1] == "Pay"


def test_going_to_one_step_of_a_parallel_section_goes_to_the_section() -> None:
    text = (
        "1. Submit (Staff)\n2a. Risk (Risk)\n2b. Legal (Legal)\n"
        "3. Decide (Boss): approved -> end; rejected -> 2b\n"
    )
    [problem] = warnings_of(text)
    assert problem.line == 4 and "2b" in problem.message and "go back to 2" in problem.suggestion


def test_a_step_number_used_twice() -> None:
    [problem] = warnings_of("1. Submit (Staff)\n2. Check (Boss)\n2. Pay (AP)\n")
    assert problem.line == 3 and "used twice" in problem.message


def test_two_unconditional_next_steps() -> None:
    [problem] = warnings_of("1. Submit (Staff): -> 2; -> 3\n2. Check (Boss)\n3. Pay (AP)\n")
    assert problem.line == 1 and "parallel section" in problem.suggestion


def test_a_process_that_can_never_finish() -> None:
    problems = warnings_of("1. Submit (Staff): -> 2\n2. Check (Boss): -> 1\n")
    assert [(p.line, "never finish" in p.message) for p in problems] == [(None, True)]


def test_a_table_without_header_row_is_invalid() -> None:
    problems = invalid("\n1,Submit,Staff\n2,Approve,Finance\n", "csv")
    assert [p.line for p in problems] == [2, None]
    assert "header row" in problems[0].message and "Step, Owner" in problems[0].suggestion


def test_table_problems_name_the_line_the_row_starts_on() -> None:
    csv = (
        "Step,Owner,Inputs,SLA,Next\n"
        'Submit,Staff,"amount (number),\nreason (text)",1 day,\n'
        "Approve,Finance,,2 dayz,approved -> 3; rejected -> 7\n"
        "Pay,AP,,,\n"
    )
    problems = warnings_of(csv, "csv")
    assert [p.line for p in problems] == [4, 4]
    assert "2 dayz" in problems[0].message and "'7'" in problems[1].message


def test_an_unused_column_and_a_row_without_step_are_reported() -> None:
    problems = warnings_of("Step\tOwner\tColour\nSubmit\tStaff\tred\n\tFinance\t\n", "tsv")
    assert [(p.line, p.message.split(";")[0]) for p in problems] == [
        (1, "the column 'Colour' is not used"),
        (3, "this row has no step name"),
    ]


def test_a_broken_workbook_is_invalid() -> None:
    [problem] = invalid(b"PK\x03\x04 not really a zip", "xlsx")
    assert "not a readable .xlsx" in problem.message
    [problem] = invalid("Step,Owner", "xlsx")
    assert "as a file" in problem.message


def test_an_unknown_format_is_invalid() -> None:
    [problem] = invalid("1. Step (Owner)", "docx")
    assert "unknown map format" in problem.message


def test_a_huge_map_is_invalid() -> None:
    [problem] = invalid("1. Step (Owner)\n" + "x" * (3 * 1024 * 1024))
    assert "larger than" in problem.message
