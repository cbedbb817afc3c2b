"""The map syntax: step lines, inputs, SLAs, decisions, parallel sections, tables and their headers."""

from __future__ import annotations

import pytest

from bpmn.maps import convert
from bpmn.maps.columns import column_kind
from bpmn.maps.durations import parse_duration
from bpmn.maps.routing import parse_routing
from bpmn.maps.text import read_text
from tests.bpmn.maps.helpers import deployed, diagram, drive, layout_faults


@pytest.mark.parametrize(
    ("written", "iso", "working"),
    [
        ("2 days", "P2D", False),
        ("4h", "PT4H", False),
        ("P2D", "P2D", False),
        ("PT30M", "PT30M", False),
        ("within 3 days", "P3D", False),
        ("1.5 days", "P1DT12H", False),
        ("1 week", "P7D", False),
        ("an hour", "PT1H", False),
        ("SLA: 2d", "P2D", False),
        ("5 business days", "P5D", True),
        ("2 working days", "P2D", True),
        ("P1M", "P1M", False),
    ],
)
def test_durations_people_write(written: str, iso: str, working: bool) -> None:
    assert parse_duration(written) == (iso, working)


@pytest.mark.parametrize("written", ["soon", "0 days", "two days", "P", "-P1D", "ASAP"])
def test_unclear_durations_are_none(written: str) -> None:
    assert parse_duration(written) is None


@pytest.mark.parametrize(
    ("header", "kind"),
    [
        ("Step", "step"),
        ("Task name", "step"),
        ("Activity", "step"),
        ("#", "key"),
        ("Step #", "key"),
        ("Owner", "owner"),
        ("Role", "owner"),
        ("Team", "owner"),
        ("Lane", "owner"),
        ("Responsible team", "owner"),
        ("Step owner", "owner"),
        ("Inputs", "inputs"),
        ("Fields", "inputs"),
        ("Inputs (fields and documents)", "inputs"),
        ("Documents", "documents"),
        ("Documents required", "documents"),
        ("SLA", "sla"),
        ("Due", "sla"),
        ("Duration", "sla"),
        ("Next step", "next"),
        ("Next step / decision", "next"),
        ("Decision", "next"),
        ("Goes to", "next"),
        ("Notes", "notes"),
        ("Colour", None),
    ],
)
def test_table_headers_match_flexibly(header: str, kind: str | None) -> None:
    assert column_kind(header) == kind


def test_routing_phrases() -> None:
    problems: list = []
    routing = parse_routing("approve or reject; if rejected go back to 2", 4, problems)
    assert routing.outcomes == ["approve", "reject"]
    assert [(r.outcome, r.target) for r in routing.routes] == [("rejected", "2")]
    routing = parse_routing("approved -> 5; rejected -> 2, otherwise back to step 1", 4, problems)
    assert [(r.outcome, r.target) for r in routing.routes] == [
        ("approved", "5"),
        ("rejected", "2"),
        ("*", "1"),
    ]
    routing = parse_routing("if approved go to 5, if rejected return to step 2", 4, problems)
    assert [(r.outcome, r.target) for r in routing.routes] == [("approved", "5"), ("rejected", "2")]
    assert [(r.outcome, r.target) for r in parse_routing("yes: 5; no: end", 1, problems).routes] == [
        ("yes", "5"),
        ("no", "end"),
    ]
    assert parse_routing("Pay the vendor, then file the invoice", 1, problems).notes == [
        "Pay the vendor, then file the invoice"
    ]
    assert problems == []


def test_a_step_line_gives_name_owner_sla_and_decision() -> None:
    problems: list = []
    [step], _ = read_text(
        "4. Finance approval (Finance, 2 days): approve or reject; if rejected go back to 2", problems
    )
    assert (step.key, step.name, step.owner, step.sla) == ("4", "Finance approval", "Finance", "P2D")
    assert step.outcomes == ["approve", "reject"] and step.routes[0].target == "2"
    assert problems == []


@pytest.mark.parametrize(
    "line",
    [
        "4. Finance approval (Finance, 2 days)",
        "4) Finance approval (2 days, Finance)",
        "Step 4: Finance approval (owner: Finance, SLA 2 days)",
        "**4.** Finance approval (Finance, 2 days)",
        "  4. Finance approval (Finance, within 2 days).",
    ],
)
def test_step_line_variants(line: str) -> None:
    problems: list = []
    [step], _ = read_text(line, problems)
    assert (step.key, step.name, step.owner, step.sla) == ("4", "Finance approval", "Finance", "P2D")
    assert problems == []


def test_nested_inputs_and_key_value_lines() -> None:
    text = """1. Request new vendor
   - owner: Procurement
   - SLA: 1 day
   - vendor name
   - annual spend (number)
   - start date (date)
   - tax exempt (yes/no)
   - tier (one of: gold, silver, bronze)
   - notes (text, optional)
   - Documents:
     - W-9 form
     - bank letter (document, optional)
   - budget: number
"""
    problems: list = []
    [step], _ = read_text(text, problems)
    assert step.owner == "Procurement" and step.sla == "P1D"
    assert [(i.name, i.type, i.required) for i in step.inputs] == [
        ("vendor name", "string", True),
        ("annual spend", "long", True),
        ("start date", "date", True),
        ("tax exempt", "boolean", False),
        ("tier", "enum", True),
        ("notes", "string", False),
        ("W-9 form", "document", True),
        ("bank letter", "document", False),
        ("budget", "long", True),
    ]
    assert step.inputs[4].options == ("gold", "silver", "bronze")
    assert problems == []


def test_parallel_sections_three_ways() -> None:
    header = """1. Start request (Requester)
"""
    nested = (
        header
        + """2. In parallel:
   - Risk check (Risk, 3 days)
   - Legal review (Legal, 5 days)
3. Sign off (Requester)
"""
    )
    plain = (
        header
        + """
In parallel:
- Risk check (Risk, 3 days)
- Legal review (Legal, 5 days)

3. Sign off (Requester)
"""
    )
    lettered = (
        header
        + """2a. Risk check (Risk, 3 days)
2b. Legal review (Legal, 5 days)
3. Sign off (Requester)
"""
    )
    for text in (nested, plain, lettered):
        problems: list = []
        blocks, _ = read_text(text, problems)
        assert [type(b).__name__ for b in blocks] == ["Step", "Parallel", "Step"], text
        assert [s.name for s in blocks[1].branches] == ["Risk check", "Legal review"]  # type: ignore[union-attr]
        assert [s.key for s in blocks[1].branches] == ["2a", "2b"]  # type: ignore[union-attr]
        assert problems == []
        conversion = convert(text, format="markdown", process_name="Parallel")
        run = drive(deployed(conversion))
        assert sorted(run.visited) == ["Legal review", "Risk check", "Sign off", "Start request"]


def test_headings_prose_and_blank_lines_around_the_steps() -> None:
    text = """# Expense claim

Staff claim back what they spent. This map was agreed with Finance in 2024.

## Steps

1. Submit claim (Staff, 1 day)

   Attach every receipt.
   - amount (number)

2. Approve claim (Finance, 2 days): approve or reject; if rejected -> 1

---
Questions: finance@example.com
"""
    conversion = convert(text, format="markdown", process_name="")
    assert conversion.process_id == "expense_claim" and conversion.warnings == []
    d = diagram(conversion.bpmn)
    documentation = d.root.find(".//{*}process/{*}documentation")
    assert documentation is not None and documentation.text.startswith("Staff claim back")
    task = d.root.find(".//{*}userTask[@name='Submit claim']/{*}documentation")
    assert task is not None and task.text == "Attach every receipt."


def test_bullets_without_numbers_are_steps() -> None:
    text = """Onboarding checklist
- Prepare desk (Facilities, 2 days)
  - desk number (number)
- Issue badge (Security, 1 day)
"""
    conversion = convert(text, format="text", process_name="Checklist")
    run = drive(deployed(conversion))
    assert run.visited == ["Prepare desk", "Issue badge"]


def test_a_markdown_table_is_read_as_a_table() -> None:
    text = """# Purchase

| Step | Owner | Inputs | SLA | Next |
|------|-------|--------|-----|------|
| Request | Staff | amount (number) | 1 day | |
| Approve | Finance | | 4h | approved -> 3; rejected -> 1 |
| Order | Procurement | | 2 days | |
"""
    conversion = convert(text, format="markdown", process_name="Purchase")
    assert conversion.warnings == []
    run = drive(deployed(conversion), {"approve_decision": ["rejected", "approved"]})
    assert run.visited == ["Request", "Approve", "Request", "Approve", "Order"]


def test_a_route_by_step_name_and_to_the_start() -> None:
    text = """1. Draft contract (Legal)
2. Review contract (Counterparty): accepted -> Sign contract; changes requested -> start
3. Negotiate (Legal)
4. Sign contract (Legal)
"""
    conversion = convert(text, format="markdown", process_name="Contract")
    assert [w.line for w in conversion.warnings] == [3]  # Negotiate is never reached
    assert layout_faults(conversion.bpmn) == []
    run = drive(deployed(conversion), {"review_contract_decision": ["changes_requested", "accepted"]})
    assert run.visited == [
        "Draft contract",
        "Review contract",
        "Draft contract",
        "Review contract",
        "Sign contract",
    ]


def test_one_outcome_gives_a_yes_no_field() -> None:
    text = """1. Prepare report (Analyst, 1 day)
2. Check report (Lead, 4h): if incomplete go back to 1
3. Publish (Analyst)
"""
    conversion = convert(text, format="markdown", process_name="Report")
    assert conversion.warnings == []
    run = drive(deployed(conversion), {"check_report_incomplete": [True, False]})
    assert run.visited == ["Prepare report", "Check report", "Prepare report", "Check report", "Publish"]
    field = next(f for f in run.tasks[1].form_fields if f["id"] == "check_report_incomplete")
    assert field["type"] == "boolean" and field["label"] == "Incomplete?"
