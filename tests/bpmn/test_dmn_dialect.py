"""Which dialect a DMN file's cells are read in (bpmn/dmn/reader.py states the rule), and Python cells."""

from __future__ import annotations

import pytest
from lxml import etree

from bpmn import sandbox
from bpmn.dmn import decide, read_decisions
from bpmn.errors import Problem
from tests.bpmn.helpers import CORPUS

DMN13 = "https://www.omg.org/spec/DMN/20191111/MODEL/"


def dmn(cell: str, *, definitions: str = "", input_language: str = "") -> bytes:
    language = f' expressionLanguage="{input_language}"' if input_language else ""
    return f"""<definitions xmlns="{DMN13}" id="d" namespace="http://baton.example/t" {definitions}>
  <decision id="pick" name="Pick">
    <decisionTable id="t">
      <input id="i" label="Amount">
        <inputExpression id="e" typeRef="integer"{language}><text>amount</text></inputExpression>
      </input>
      <output id="o" name="picked" typeRef="string" />
      <rule id="r1">
        <inputEntry id="c1"><text>{cell}</text></inputEntry>
        <outputEntry id="o1"><text>"yes"</text></outputEntry>
      </rule>
    </decisionTable>
  </decision>
</definitions>""".encode()


def read(data: bytes) -> tuple[str, list[Problem]]:
    decisions, problems = read_decisions("t.dmn", etree.fromstring(data))
    return (decisions[0].dialect if decisions else ""), problems


@pytest.mark.parametrize(
    ("definitions", "input_language", "dialect"),
    [
        ('expressionLanguage="https://www.omg.org/spec/DMN/20191111/FEEL/"', "", "feel"),
        ('expressionLanguage="python"', "", "python"),
        ("", "python", "python"),  # spiff-example-cli writes it on the input expression
        ("", "feel", "feel"),
        ("", "juel", "feel"),  # Camunda's JUEL input expressions: a Camunda file
        ('xmlns:camunda="http://camunda.org/schema/1.0/dmn"', "", "feel"),
        ('exporter="Camunda Modeler" exporterVersion="5.20.0"', "", "feel"),
        ('xmlns:modeler="http://camunda.org/schema/modeler/1.0" '
         'modeler:executionPlatform="Camunda Platform"', "", "feel"),
        ('exporter="Camunda Modeler" xmlns:camunda="http://camunda.org/schema/1.0/dmn"', "python", "python"),
        ("", "", "python"),  # no marker: SpiffArena, SpiffWorkflow's reading
    ],
)
def test_the_dialect_rule(definitions: str, input_language: str, dialect: str) -> None:
    assert read(dmn("&lt; 10", definitions=definitions, input_language=input_language)) == (dialect, [])


def test_a_marker_less_file_whose_cells_are_only_feel_is_read_as_feel_with_a_warning() -> None:
    dialect, [warning] = read(dmn("[1..10]"))
    assert dialect == "feel"
    assert warning.severity == "warning"
    assert "read as FEEL: the file looks like Python" in warning.message


def test_a_camunda_file_whose_cells_are_only_python_is_read_as_python_with_a_warning() -> None:
    dialect, [warning] = read(dmn("in ['a', 'b']", definitions='exporter="Camunda Modeler"'))
    assert (dialect, warning.severity) == ("python", "warning")


def test_python_constants_in_a_camunda_file_mean_python_cells() -> None:
    dialect, [warning] = read(dmn("True", definitions='exporter="Camunda Modeler"'))
    assert (dialect, warning.severity) == ("python", "warning")


@pytest.mark.parametrize(("written", "policy", "aggregation"),
                         [("F", "FIRST", None), ("C+", "COLLECT", "SUM"), ("C#", "COLLECT", "COUNT"),
                          ("RULE ORDER", "RULE ORDER", None)])
def test_hit_policy_abbreviations(written: str, policy: str, aggregation: str | None) -> None:
    data = dmn("-", definitions='expressionLanguage="feel"').replace(
        b'<decisionTable id="t">', f'<decisionTable id="t" hitPolicy="{written}">'.encode())
    [decision], problems = read_decisions("t.dmn", etree.fromstring(data))
    assert (decision.hit_policy, decision.aggregation, problems) == (policy, aggregation, [])


def test_an_explicit_language_is_strict() -> None:
    dialect, [problem] = read(dmn("'gold'", definitions='expressionLanguage="feel"'))
    assert (dialect, problem.severity, problem.element_id) == ("feel", "error", "r1")
    assert "FEEL strings use double quotes" in problem.message
    assert 'because <definitions expressionLanguage="feel">' in problem.message


def test_a_cell_bad_in_both_dialects_is_reported_in_the_files_dialect() -> None:
    _, [problem] = read(dmn("[1..", definitions='exporter="Camunda Modeler"'))
    assert "the cell ends too early (this file is read as FEEL because it was exported by" in problem.message


@pytest.mark.parametrize(
    ("cell", "amount", "matched"),
    [
        ("&lt; 10", 5, True),  # appended to the input
        ("&lt; 10", 50, False),
        ("? &gt; 1 and ? &lt; 9", 5, True),  # ? is the input
        ("5", 5, True),  # an expression on its own is compared with ==
        ("in [1, 2]", 2, True),
        ("-", 99, True),
    ],
)
def test_python_cells_keep_spiffworkflows_reading(cell: str, amount: int, matched: bool) -> None:
    decisions, problems = read_decisions("t.dmn", etree.fromstring(dmn(cell)))
    assert problems == []
    result = decide({d.id: d for d in decisions}, "pick", {"amount": amount}, sandbox.evaluate)
    assert result.entries == ([{"picked": "yes"}] if matched else [])


@pytest.mark.parametrize(("method", "cost"), [("standard", 5.0), ("overnight", 25.0)])
def test_spiff_example_cli_shipping_costs(method: str, cost: float) -> None:
    path = CORPUS / "spiff-example-cli/bpmn/tutorial/shipping_costs.dmn"
    decisions, problems = read_decisions(path.name, etree.fromstring(path.read_bytes()))
    assert (problems, decisions[0].dialect) == ([], "python")
    by_id = {d.id: d for d in decisions}
    result = decide(by_id, "shipping_costs", {"shipping_method": method}, sandbox.evaluate)
    assert result.entries == [{"shipping_cost": cost}]
