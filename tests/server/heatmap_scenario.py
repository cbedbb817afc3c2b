"""A known history for heatmap tests: instances of heatmap_routes.bpmn run under a frozen clock.

Route "A" waits for a review that takes 10, 20 and 60 minutes in three instances and is still open
in a fourth; any other route waits on a one-hour timer that fires after 2 and 3 hours in two
instances, still waits in a third and is cancelled (the instance is) in a fourth.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from flask import Flask
from sqlalchemy import select

if TYPE_CHECKING:
    from tests.server.conftest import Api

ADMIN = "admin@test.example"
REVIEWER = "rita@test.example"
PROCESS = "heatmap_routes"
REVIEW_MINUTES = (10, 20, 60)
TIMER_HOURS = (2, 3)


@dataclass
class Scenario:
    t0: datetime
    instances: dict[str, int] = field(default_factory=dict)  # label -> instance id


def _now(app: Flask) -> datetime:
    from server.clock import utcnow

    return utcnow().replace(microsecond=0)


def _fire_timer(app: Flask, instance_id: int) -> None:
    from server import timers
    from server.db import db
    from server.models import Timer

    with app.app_context():
        timer_id = db.session.scalar(select(Timer.id).where(
            Timer.instance_id == instance_id, Timer.kind == "bpmn", Timer.status == "pending"))
        assert timer_id is not None, f"instance {instance_id} has no pending timer"
        assert timers.fire(timer_id) == "fired"  # what the worker's job does
        db.session.remove()


def run_routes(app: Flask, api: Api) -> Scenario:
    """Deploy heatmap_routes.bpmn and run the eight instances described above; returns their ids."""
    from server.clock import frozen

    api.user(REVIEWER, groups=("reviewers",))
    assert api.deploy(ADMIN, "heatmap_routes.bpmn").status_code == 201
    scenario = Scenario(t0=_now(app))

    def at(seconds: float) -> frozen:  # type: ignore[valid-type]
        return frozen(scenario.t0 + timedelta(seconds=seconds))

    def start(label: str, route: str, offset: float) -> int:
        with at(offset):
            response = api.start(PROCESS, ADMIN, {"route": route})
        assert response.status_code == 201, response.get_json()
        scenario.instances[label] = response.get_json()["id"]
        return int(scenario.instances[label])

    for n, minutes in enumerate(REVIEW_MINUTES, start=1):
        iid = start(f"A{n}", "A", offset=60 * n)
        [task] = api.tasks(REVIEWER, instance_id=iid)
        with at(60 * n + 60 * minutes):
            assert api.complete(task["id"], REVIEWER, {}).status_code == 200
    start("A-open", "A", offset=30)
    for n, hours in enumerate(TIMER_HOURS, start=1):
        iid = start(f"B{n}", "B", offset=120 * n)
        with at(120 * n + 3600 * hours):
            _fire_timer(app, iid)
    start("B-waiting", "B", offset=90)
    cancelled = start("B-cancelled", "B", offset=100)
    with at(400):
        assert api.call("POST", f"/api/v1/instances/{cancelled}/cancel", ADMIN).status_code == 200
    return scenario
