"""Answers and saved states written by orjson mean exactly what the standard library wrote."""

from __future__ import annotations

import dataclasses
import json
import uuid
from datetime import UTC, date, datetime
from decimal import Decimal

from flask import Flask
from flask.json.provider import DefaultJSONProvider

from server import fastjson


@dataclasses.dataclass
class Point:
    x: int
    label: str


VALUES = {
    "text": "Zürich — “quoted” \u2028 <b>&</b>",
    "when": datetime(2026, 11, 26, 8, 30, tzinfo=UTC),
    "day": date(2026, 11, 26),
    "amount": Decimal("12.50"),
    "id": uuid.UUID("12345678-1234-5678-1234-567812345678"),
    "point": Point(3, "p"),
    "numbers": [1, 2.5, 1e100, -0.0, True, None],
    "nested": {"tuple": (1, 2), 7: "seven"},
    "huge": 2**70,
}


def test_an_answer_means_what_flasks_own_json_wrote(app: Flask) -> None:
    assert isinstance(app.json, fastjson.JSONProvider)
    standard = DefaultJSONProvider(app)
    standard.sort_keys = False
    without_huge = {k: v for k, v in VALUES.items() if k != "huge"}
    with app.app_context():
        fast = app.json.dumps(without_huge, separators=(",", ":"))
        assert json.loads(fast) == json.loads(standard.dumps(without_huge))
        assert list(json.loads(fast)) == list(without_huge)  # keys in written order
        # beyond 64 bits orjson refuses: the standard library writes it, exactly
        assert json.loads(app.json.dumps(VALUES, separators=(",", ":")))["huge"] == 2**70
        # what is not JSON at all still fails as before
        try:
            app.json.dumps({"f": object()})
        except TypeError:
            pass
        else:
            raise AssertionError("an object that is not JSON was written")


def test_indented_or_tuned_answers_are_flasks_own(app: Flask) -> None:
    standard = DefaultJSONProvider(app)
    standard.sort_keys = False
    value = {"b": [1, 2], "a": "x"}
    with app.app_context():
        for kwargs in ({"indent": 2}, {"separators": (", ", ": ")}):
            assert app.json.dumps(value, **kwargs) == standard.dumps(value, **kwargs)


def test_answers_over_the_api_are_json(app: Flask) -> None:
    client = app.test_client()
    response = client.get("/api/v1/processes")
    assert response.status_code == 401 and response.is_json
    assert response.get_json()["error"]


def test_a_saved_state_reads_back_as_it_was(app: Flask) -> None:
    state = {"tasks": {"a": {"data": {"n": 1, "big": 2**70, "t": "é", "f": 0.1, "nested": [1, {"k": None}]}}},
             "root": "a"}
    assert json.loads(fastjson.state_text(state)) == state
    small = {"x": [1, 2, 3], "y": "ü"}
    assert fastjson.state_text(small) == json.dumps(small, separators=(",", ":"), ensure_ascii=False)


def test_a_json_column_stores_what_the_standard_library_stored() -> None:
    for value in (VALUES, [VALUES["when"], VALUES["point"]], "plain", None, {"n": 2**80}):
        assert json.loads(fastjson.column_text(value)) == json.loads(json.dumps(value, default=str))


def test_audit_salts_are_fresh_and_as_long_as_before() -> None:
    from server.audit import SALT_BYTES, new_salts

    salts = new_salts(6) + new_salts(6)
    assert len(set(salts)) == 12
    assert all(len(s) == 2 * SALT_BYTES and int(s, 16) >= 0 for s in salts)
