"""Hit policies, aggregations, literal and required decisions, evaluated straight from .dmn files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from bpmn import sandbox
from bpmn.dmn import Decision, DecisionFailed, decide, read_decisions
from bpmn.dmn.results import mapped
from tests.bpmn.helpers import FIXTURES


def decisions_in(path: Path) -> dict[str, Decision]:
    decisions, problems = read_decisions(path.name, etree.fromstring(path.read_bytes()))
    assert problems == []
    return {decision.id: decision for decision in decisions}


HIT_POLICIES = decisions_in(FIXTURES / "dmn_hit_policies.dmn")


def entries(decision_id: str, amount: Any,
            decisions: dict[str, Decision] = HIT_POLICIES) -> list[dict[str, Any]]:
    return decide(decisions, decision_id, {"amount": amount}, sandbox.evaluate).entries


def test_every_decision_of_a_file_is_read() -> None:
    assert sorted(HIT_POLICIES) == sorted([
        "unique_size", "unique_overlap", "first_match", "priority_level", "any_agree", "rule_order",
        "collect_plain", "collect_sum", "collect_min", "collect_max", "collect_count", "doubled_amount"])
    assert {d.dialect for d in HIT_POLICIES.values()} == {"feel"}


@pytest.mark.parametrize(("amount", "size"),
                         [(99, "small"), (100, "medium"), (999, "medium"), (1000, "large")])
def test_unique_is_the_default_hit_policy(amount: int, size: str) -> None:
    assert HIT_POLICIES["unique_size"].hit_policy == "UNIQUE"
    assert entries("unique_size", amount) == [{"size": size}]


def test_unique_with_one_match_gives_it() -> None:
    assert entries("unique_overlap", 70) == [{"result": "a"}]


def test_unique_with_two_matches_is_an_error_naming_the_decision_and_the_rules() -> None:
    with pytest.raises(DecisionFailed) as caught:
        entries("unique_overlap", 10)
    message = str(caught.value)
    assert message.startswith("decision 'unique_overlap': hit policy UNIQUE")
    assert "rules 1 (unique_overlap_rule1) and 2 (unique_overlap_rule2)" in message
    assert "Amount = 10" in message
    assert caught.value.rule_ids == ("unique_overlap_rule1", "unique_overlap_rule2")


@pytest.mark.parametrize(("amount", "result"), [(5, "first"), (500, "second"), (5000, "other")])
def test_first_takes_the_first_matching_rule(amount: int, result: str) -> None:
    assert entries("first_match", amount) == [{"result": result}]


@pytest.mark.parametrize(("amount", "level"), [(20, "low"), (60, "medium"), (200, "high")])
def test_priority_follows_the_order_of_the_output_values(amount: int, level: str) -> None:
    assert entries("priority_level", amount) == [{"result": level}]


def test_priority_with_no_match_gives_nothing() -> None:
    assert entries("priority_level", 1) == []


def test_any_gives_the_result_all_matching_rules_agree_on() -> None:
    assert entries("any_agree", 25) == [{"result": "yes"}]


def test_any_with_disagreeing_rules_is_an_error() -> None:
    with pytest.raises(DecisionFailed, match=r"hit policy ANY, but rules 1 .*, 2 .* and 3 .* different"):
        entries("any_agree", 35)


def test_rule_order_gives_every_match_in_rule_order() -> None:
    assert entries("rule_order", 25) == [{"result": "a"}, {"result": "b"}, {"result": "c"}]
    assert entries("rule_order", 15) == [{"result": "a"}, {"result": "c"}]


def test_collect_gives_every_match() -> None:
    assert entries("collect_plain", 500) == [{"fee": 5}, {"fee": 10}]
    assert entries("collect_plain", -1) == []


@pytest.mark.parametrize(
    ("decision_id", "amount", "expected"),
    [
        ("collect_sum", 5000, [{"fee": 35}]),
        ("collect_sum", 500, [{"fee": 15}]),
        ("collect_min", 5000, [{"fee": 5}]),
        ("collect_max", 5000, [{"fee": 20}]),
        ("collect_count", 5000, [{"fee": 3}]),
        ("collect_count", -1, [{"fee": 0}]),  # COUNT of nothing is 0
        ("collect_sum", -1, []),  # SUM, MIN, MAX of nothing give no result (as in Camunda)
        ("collect_max", -1, []),
    ],
)
def test_collect_aggregations(decision_id: str, amount: int, expected: list[dict[str, int]]) -> None:
    assert entries(decision_id, amount) == expected


def test_a_literal_expression_decision() -> None:
    assert entries("doubled_amount", 21) == [{"doubled": 42}]


def test_input_values_are_converted_to_the_type_ref() -> None:
    assert entries("unique_size", "150") == [{"size": "medium"}]  # integer input from form text
    with pytest.raises(DecisionFailed, match=r"input 'Amount': 'lots' is not of type integer"):
        entries("unique_size", "lots")


def test_a_missing_input_variable_is_an_error_naming_decision_and_input() -> None:
    with pytest.raises(DecisionFailed) as caught:
        decide(HIT_POLICIES, "unique_size", {}, sandbox.evaluate)
    assert str(caught.value) == "decision 'unique_size': input 'Amount' (amount): no variable 'amount' is set"


REQUIRED = decisions_in(FIXTURES / "dmn_required_decisions.dmn")


@pytest.mark.parametrize(
    ("amount", "member", "rate", "saving"),
    [
        (2000, True, 0.1, 200.0),  # band "high"; perks: a list of two (COLLECT hands over a list)
        (2000, False, 0.05, 100.0),  # one perk
        (10, True, 0.0, None),  # an empty output entry is left out of the result
    ],
)
def test_required_decisions_feed_the_requiring_one(amount: int, member: bool, rate: float,
                                                   saving: float | None) -> None:
    variables = {"order": {"amount": amount}, "member": member}
    [entry] = decide(REQUIRED, "discount", variables, sandbox.evaluate).entries
    assert entry.get("rate") == rate
    assert entry.get("saving") == saving


def test_map_decision_result_single_entry_refuses_many_results() -> None:
    result = decide(HIT_POLICIES, "rule_order", {"amount": 25}, sandbox.evaluate)
    with pytest.raises(DecisionFailed, match="singleEntry needs at most one result, the decision gave 3"):
        mapped(result, "singleEntry")
    assert mapped(result, "collectEntries") == ["a", "b", "c"]
    assert mapped(result, "resultList") == [{"result": "a"}, {"result": "b"}, {"result": "c"}]


def test_map_decision_result_collect_entries_refuses_several_outputs() -> None:
    result = decide(REQUIRED, "discount", {"order": {"amount": 2000}, "member": True}, sandbox.evaluate)
    assert mapped(result, "singleResult") == {"rate": 0.1, "saving": 200.0}
    with pytest.raises(DecisionFailed, match="collectEntries needs results with one output"):
        mapped(result, "collectEntries")
