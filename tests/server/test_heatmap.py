"""The heatmap of a process version, from the audit events: exact counts, medians and 90th
percentiles for a known history, the engine_steps events behind them, and the API's rules."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from tests.server.conftest import Api, Browser
from tests.server.heatmap_scenario import ADMIN, PROCESS, REVIEWER, run_routes
from tests.server.pages_helpers import make_user, text

URL = f"/api/v1/processes/{PROCESS}/versions/1/heatmap"


def _by_id(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {e["id"]: e for e in body["elements"]}


def test_counts_medians_and_p90_match_the_known_history(app: Flask, api: Api) -> None:
    run_routes(app, api)
    response = api.call("GET", URL, ADMIN)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert (body["instances"], body["instances_total"], body["capped"]) == (8, 8, False)
    elements = _by_id(body)

    review = elements["review"]
    assert (review["name"], review["type"]) == ("Review request", "userTask")
    assert (review["count"], review["active"], review["cancelled"]) == (3, 1, 0)
    # 600, 1200 and 3600 s: median 1200; p90 at rank 1.8 -> 1200 + 0.8 * 2400.
    assert review["median_s"] == 1200 and review["p90_s"] == pytest.approx(3120)

    cool_off = elements["cool_off"]
    assert (cool_off["count"], cool_off["active"], cool_off["cancelled"]) == (2, 1, 1)
    # 7200 and 10800 s: median 9000; p90 at rank 0.9 -> 7200 + 0.9 * 3600.
    assert cool_off["median_s"] == 9000 and cool_off["p90_s"] == pytest.approx(10440)

    passes = {e: elements[e]["count"] for e in ("start", "prep", "route_gw", "merge", "done")}
    assert passes == {"start": 8, "prep": 8, "route_gw": 8, "merge": 5, "done": 5}
    for passed_at_once in ("start", "prep", "route_gw", "merge", "done"):
        assert elements[passed_at_once]["active"] == 0
        assert elements[passed_at_once]["median_s"] == 0 and elements[passed_at_once]["p90_s"] == 0

    flows = {f["id"]: f["count"] for f in body["flows"]}
    assert flows == {"f1": 8, "f2": 8, "to_review": 4, "to_wait": 4, "f3": 3, "f4": 2, "f5": 5}
    assert [b["id"] for b in body["bottlenecks"]] == ["cool_off", "review"]
    assert "<bpmn:process" in body["xml"]


def test_each_change_records_one_engine_steps_event_and_the_chain_verifies(app: Flask, api: Api) -> None:
    from server import audit
    from server.db import db
    from server.models import Event

    scenario = run_routes(app, api)
    with app.app_context():
        def steps_of(label: str) -> list[dict[str, Any]]:
            return [e.data for e in db.session.scalars(
                select(Event).where(Event.instance_id == scenario.instances[label],
                                    Event.kind == "engine_steps").order_by(Event.seq))]

        started, finished = steps_of("B1")
        assert [e["id"] for e in started["elements"]] == ["start", "prep", "route_gw"]
        [waiting] = started["reached"]
        assert waiting["id"] == "cool_off" and waiting["type"] == "IntermediateCatchEvent"
        assert started["flows"] == [["start", "prep"], ["prep", "route_gw"], ["route_gw", "cool_off"]]
        assert finished["elements"][0] == {"id": "cool_off", "type": "IntermediateCatchEvent",
                                           "task": waiting["task"]}
        assert [e["id"] for e in finished["elements"][1:]] == ["merge", "done"]

        # The user task is not repeated in engine_steps: its own events time it.
        review_change = steps_of("A1")[1]
        assert [e["id"] for e in review_change["elements"]] == ["merge", "done"]
        assert review_change["flows"] == [["review", "merge"], ["merge", "done"]]

        reached, cancelled = steps_of("B-cancelled")
        assert cancelled == {"left": [reached["reached"][0]["task"]]}

        for iid in scenario.instances.values():
            report = audit.verify(iid)
            assert report.intact, (iid, report)
            # Every change here happens at its own (frozen) time: one engine_steps row per change.
            steps_at = db.session.scalars(select(Event.at).where(
                Event.instance_id == iid, Event.kind == "engine_steps")).all()
            assert steps_at and len(steps_at) == len(set(steps_at))


def test_limit_reads_only_the_most_recent_instances(app: Flask, api: Api) -> None:
    run_routes(app, api)
    body = api.call("GET", URL, ADMIN, query_string={"limit": 2}).get_json()
    assert (body["instances"], body["instances_total"], body["capped"]) == (2, 8, True)
    # The two most recent are "B-waiting" and "B-cancelled": one active wait, one cancelled.
    cool_off = _by_id(body)["cool_off"]
    assert (cool_off["count"], cool_off["active"], cool_off["cancelled"]) == (0, 1, 1)
    assert cool_off["median_s"] is None and body["bottlenecks"] == []


@pytest.mark.parametrize("limit", ["0", "twenty", "20001"])
def test_a_bad_limit_says_what_to_send(app: Flask, api: Api, limit: str) -> None:
    response = api.call("GET", "/api/v1/processes/x/versions/1/heatmap", ADMIN, query_string={"limit": limit})
    assert response.status_code == 400
    assert response.get_json()["field"] == "limit" and "20000" in response.get_json()["message"]


def test_unknown_versions_and_participants_are_refused(app: Flask, api: Api) -> None:
    run_routes(app, api)
    missing = api.call("GET", f"/api/v1/processes/{PROCESS}/versions/7/heatmap", ADMIN)
    assert missing.status_code == 404 and "its versions are 1" in missing.get_json()["message"]
    assert api.call("GET", URL, REVIEWER).status_code == 403
    api.user("audrey@test.example", roles=("auditor",))
    assert api.call("GET", URL, "audrey@test.example").status_code == 200


def test_the_version_page_lists_the_bottlenecks_and_every_element_as_text(
        app: Flask, api: Api, browser: Browser) -> None:
    run_routes(app, api)
    make_user(app, "audrey@test.example", roles=("auditor",))
    browser.login("audrey@test.example")
    response = browser.get(f"/processes/{PROCESS}/versions/1")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    bottlenecks = text(html.split('id="bottlenecks"', 1)[1].split("</table>", 1)[0])
    assert bottlenecks.index("Cool off") < bottlenecks.index("Review request")
    assert "2 h 30 min" in bottlenecks and "2 h 54 min" in bottlenecks  # median and p90 of the timer
    assert "20 min" in bottlenecks and "52 min" in bottlenecks  # of the review
    every = text(html.split('id="element-figures"', 1)[1].split("</table>", 1)[0])
    assert "Route?" in every and "exclusive gateway" in every and "Prepare" in every
    assert "From all 8 instances of this version." in text(html)


def test_participants_do_not_see_the_version_page(app: Flask, api: Api, browser: Browser) -> None:
    run_routes(app, api)
    browser.login(REVIEWER)
    assert browser.get(f"/processes/{PROCESS}/versions/1").status_code == 403


@pytest.mark.parametrize(("seconds", "shown"), [
    (None, "—"), (0, "0 s"), (0.4, "< 1 s"), (45, "45 s"), (1200, "20 min"), (3600, "1 h"),
    (9000, "2 h 30 min"), (86400 * 3 + 3600 * 4, "3 d 4 h"), (86400, "1 d"),
])
def test_durations_read_as_people_say_them(seconds: float | None, shown: str) -> None:
    from server.web.heatmap import duration_text

    assert duration_text(seconds) == shown
