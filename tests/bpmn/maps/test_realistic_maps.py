"""Realistic maps convert to models that deploy and run to completion through each of their branches."""

from __future__ import annotations

import io
from collections import Counter
from datetime import datetime, timedelta

import pytest
from openpyxl import Workbook

from bpmn import sla
from bpmn.maps import Conversion, convert
from tests.bpmn.maps.helpers import convert_fixture, deployed, diagram, drive, ended_at, layout_faults

VENDOR_STEPS = [
    "Request new vendor",
    "Collect vendor documents",
    "Risk assessment",
    "Legal review",
    "Onboarding sign-off",
    "Set up vendor in ERP",
    "Confirm onboarding to vendor",
]
VENDOR_ROWS = [
    ["Vendor onboarding map (v3, owned by Procurement operations)"],
    [],
    ["Step #", "Step", "Owner", "Fields", "Documents", "SLA", "Next step / decision"],
    [
        1,
        "Request new vendor",
        "Procurement",
        "vendor name (text), vendor country (text), expected annual spend (number)",
        "W-9 or VAT certificate",
        "1 day",
        None,
    ],
    [
        2,
        "Collect vendor documents",
        "Procurement",
        "insurance expiry (date)",
        "signed NDA, bank letter",
        "3 days",
        None,
    ],
    [
        "3a",
        "Risk assessment",
        "Risk",
        "sanctions screening done (yes/no)",
        None,
        "3 days",
        "decision: low, medium or high",
    ],
    [
        "3b",
        "Legal review",
        "Legal",
        "contract type (one of: standard, custom)",
        None,
        "5 business days",
        None,
    ],
    [
        4,
        "Onboarding sign-off",
        "Procurement",
        None,
        None,
        "1 day",
        "approve or reject; if rejected go back to 2; if withdrawn go to end",
    ],
    [
        5,
        "Set up vendor in ERP",
        "Accounts Payable",
        "vendor number (number), payment terms (one of: net 30, net 60)",
        None,
        "2 days",
        None,
    ],
    [6, "Confirm onboarding to vendor", "Procurement", None, None, "4h", None],
]


def vendor_xlsx() -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Map"
    for row in VENDOR_ROWS:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


@pytest.fixture(params=["markdown", "xlsx"])
def vendor(request: pytest.FixtureRequest) -> Conversion:
    if request.param == "markdown":
        conversion = convert_fixture("vendor_onboarding.md", "markdown", "Vendor onboarding")
    else:
        conversion = convert(vendor_xlsx(), format="xlsx", process_name="Vendor onboarding")
    assert conversion.warnings == []
    return conversion


def test_vendor_onboarding_has_a_lane_per_team_and_a_task_per_step(vendor: Conversion) -> None:
    assert vendor.process_id == "vendor_onboarding"
    d = diagram(vendor.bpmn)
    assert list(d.lane_names.values()) == ["Procurement", "Risk", "Legal", "Accounts Payable"]
    tasks = [n for n, kind in d.nodes.items() if kind == "userTask"]
    assert len(tasks) == len(VENDOR_STEPS)
    assert Counter(d.nodes.values())["parallelGateway"] == 2
    assert layout_faults(vendor.bpmn) == []


def test_vendor_onboarding_approved_runs_every_step_once(vendor: Conversion) -> None:
    run = drive(deployed(vendor), {"onboarding_sign_off_decision": ["approve"]})
    assert sorted(run.visited) == sorted(VENDOR_STEPS)
    assert run.visited[:2] == VENDOR_STEPS[:2] and run.visited[-3:] == VENDOR_STEPS[-3:]
    assert run.instance.status == "completed"
    assert ended_at(run) == "EndEvent_done"
    data = run.instance.data
    assert data["risk_assessment_decision"] == "low" and data["contract_type"] == "standard"
    assert data["vendor_number"] == 1200 and data["insurance_expiry"] == "2025-01-31"


def test_vendor_onboarding_rejected_goes_back_to_collecting_documents(vendor: Conversion) -> None:
    run = drive(
        deployed(vendor),
        {
            "onboarding_sign_off_decision": ["reject", "approve"],
            "risk_assessment_decision": ["high", "medium"],
        },
    )
    counts = Counter(run.visited)
    assert counts["Request new vendor"] == 1
    assert counts["Collect vendor documents"] == counts["Risk assessment"] == counts["Legal review"] == 2
    assert run.instance.status == "completed" and ended_at(run) == "EndEvent_done"


def test_a_value_changed_in_a_looped_parallel_branch_survives_the_join(vendor: Conversion) -> None:
    run = drive(
        deployed(vendor),
        {
            "onboarding_sign_off_decision": ["reject", "approve"],
            "risk_assessment_decision": ["high", "medium"],
        },
    )
    assert run.instance.data["risk_assessment_decision"] == "medium"


def test_vendor_onboarding_withdrawn_ends_early(vendor: Conversion) -> None:
    run = drive(deployed(vendor), {"onboarding_sign_off_decision": ["withdrawn"]})
    assert run.visited[-1] == "Onboarding sign-off" and "Set up vendor in ERP" not in run.visited
    assert run.instance.status == "completed" and ended_at(run) == "EndEvent_withdrawn"


def test_vendor_onboarding_tasks_carry_group_due_date_ladder_and_form(vendor: Conversion) -> None:
    run = drive(deployed(vendor), {"onboarding_sign_off_decision": ["approve"]})
    tasks = {task.name: task for task in run.tasks}
    risk = tasks["Risk assessment"]
    assert risk.candidate_groups == ("Risk",) and risk.lane == "Risk"
    assert risk.due_date == "P3D"
    assert risk.properties == {"sla.nudge": "-PT18H", "sla.escalate": "PT0S -> leads"}
    legal_task = tasks["Legal review"]
    assert legal_task.due_date == "P5D"  # 5 business days: counted on the working calendar
    assert legal_task.properties["sla.calendar"] == "Mon-Fri 09:00-17:00"
    fields = {f["id"]: f for f in tasks["Collect vendor documents"].form_fields}
    assert fields["signed_nda"]["type"] == "string" and fields["signed_nda"]["properties"] == {
        "document": "true"
    }
    assert fields["insurance_expiry"]["type"] == "date"
    sign_off = {f["id"]: f for f in tasks["Onboarding sign-off"].form_fields}["onboarding_sign_off_decision"]
    assert sign_off["type"] == "enum"
    assert [v["id"] for v in sign_off["values"]] == ["approve", "reject", "withdrawn"]
    assert {"name": "required", "config": None} in sign_off["constraints"]
    legal = {f["id"]: f for f in tasks["Legal review"].form_fields}
    assert [v["name"] for v in legal["contract_type"]["values"]] == ["standard", "custom"]
    assert tasks["Set up vendor in ERP"].candidate_groups == ("Accounts Payable",)


def test_the_sla_ladder_is_one_baton_can_plan(vendor: Conversion) -> None:
    run = drive(deployed(vendor), {"onboarding_sign_off_decision": ["approve"]})
    opened = datetime(2025, 3, 7, 10, 0)  # a Friday
    plans = {}
    for task in run.tasks:
        settings = sla.settings_for(task.properties, {}, task.lane, task.due_date)
        assert sla.problems(settings) == []
        plans[task.name] = sla.plan(settings, opened)
    legal = plans["Legal review"]
    assert legal.due_at == datetime(2025, 3, 14, 10, 0)  # five working days later
    assert [(step.action, at) for step, at in legal.steps] == [
        ("nudge", datetime(2025, 3, 13, 10, 0)),
        ("escalate", datetime(2025, 3, 14, 10, 0)),
    ]
    confirm = plans["Confirm onboarding to vendor"]
    assert confirm.due_at == opened + timedelta(hours=4)
    assert [step.target for step, _ in confirm.steps] == [None, "leads"]


def test_employee_onboarding_loops_back_to_the_parallel_section_and_to_itself() -> None:
    conversion = convert_fixture("employee_onboarding.csv", "csv", "Employee onboarding")
    assert conversion.warnings == []
    assert layout_faults(conversion.bpmn) == []
    run = drive(
        deployed(conversion),
        {"first_day_check_in_decision": ["no", "yes"], "probation_review_decision": ["extended", "passed"]},
    )
    counts = Counter(run.visited)
    assert counts == Counter(
        {
            "Sign offer letter": 1,
            "Create employee record": 1,
            "Order laptop": 2,
            "Create accounts": 2,
            "Plan first week": 2,
            "First day check-in": 2,
            "Probation review": 2,
        }
    )
    assert run.instance.status == "completed" and ended_at(run) == "EndEvent_passed"
    assert run.tasks[-1].due_date == "P90D" and run.tasks[-1].candidate_groups == ("Hiring manager",)


def test_employee_onboarding_failed_probation_ends_at_its_own_end_event() -> None:
    conversion = convert_fixture("employee_onboarding.csv", "csv", "Employee onboarding")
    run = drive(
        deployed(conversion),
        {"first_day_check_in_decision": ["yes"], "probation_review_decision": ["failed"]},
    )
    assert ended_at(run) == "EndEvent_failed"
    assert "EndEvent_passed" in diagram(conversion.bpmn).nodes


@pytest.mark.parametrize(
    ("name", "format"), [("purchase_approval.md", "markdown"), ("purchase_approval.tsv", "tsv")]
)
@pytest.mark.parametrize(
    ("manager", "finance", "visited", "end"),
    [
        (["approve"], ["approved"], ["Submit", "Manager", "Finance", "Place order"], "EndEvent_done"),
        (
            ["reject", "approve"],
            ["approved"],
            ["Submit", "Manager", "Submit", "Manager", "Finance", "Place order"],
            "EndEvent_done",
        ),
        (
            ["approve", "approve"],
            ["rejected", "approved"],
            ["Submit", "Manager", "Finance", "Manager", "Finance", "Place order"],
            "EndEvent_done",
        ),
        (["approve"], ["cancelled"], ["Submit", "Manager", "Finance"], "EndEvent_cancelled"),
    ],
)
def test_purchase_approval_takes_each_branch(
    name: str, format: str, manager: list[str], finance: list[str], visited: list[str], end: str
) -> None:
    conversion = convert_fixture(name, format, "Purchase approval")  # type: ignore[arg-type]
    assert conversion.warnings == []
    assert layout_faults(conversion.bpmn) == []
    run = drive(
        deployed(conversion), {"manager_review_decision": manager, "finance_approval_decision": finance}
    )
    short = {"Submit purchase request": "Submit", "Manager review": "Manager", "Finance approval": "Finance"}
    assert [short.get(v, v) for v in run.visited] == visited
    assert run.instance.status == "completed" and ended_at(run) == end


def test_purchase_approval_from_markdown_and_tsv_are_the_same_model() -> None:
    markdown = diagram(convert_fixture("purchase_approval.md", "markdown", "Purchase approval").bpmn)
    tsv = diagram(convert_fixture("purchase_approval.tsv", "tsv", "Purchase approval").bpmn)
    assert markdown.nodes == tsv.nodes and markdown.flows == tsv.flows and markdown.lanes == tsv.lanes
