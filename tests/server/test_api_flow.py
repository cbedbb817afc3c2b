"""The foundation flow through the API: start, task lists, claim, validation, completion, finish."""

from __future__ import annotations

from typing import Any

ADMIN = "admin@test.example"
CLERK, CLERK2, BOSS, OUTSIDER = (
    "clerk@test.example",
    "clerk2@test.example",
    "boss@test.example",
    "out@test.example",
)


def _setup(api: Any) -> None:
    api.user(CLERK, groups=("clerks",))
    api.user(CLERK2, groups=("Clerks",))  # group names match case-insensitively
    api.user(BOSS, groups=("managers",))
    api.user(OUTSIDER, groups=("other",))
    assert api.deploy(ADMIN, "expense.bpmn").status_code == 201


def test_expense_claim_runs_to_completion_with_every_rule_enforced(api: Any) -> None:
    _setup(api)
    started = api.start("expense_claim", CLERK, business_key="EXP-1")
    assert started.status_code == 201, started.get_json()
    instance = started.get_json()
    assert instance["status"] == "running" and instance["business_key"] == "EXP-1"
    assert instance["version"] == 1 and instance["process_id"] == "expense_claim"
    assert [t["element_id"] for t in instance["open_tasks"]] == ["enter"]
    iid = instance["id"]

    # The task is offered to the clerks group, with its generated form and documentation.
    [task] = api.tasks(CLERK2, instance_id=iid)
    assert task["candidate_groups"] == ["clerks"] and task["assignee"] is None
    assert [f["id"] for f in task["form"]["fields"]] == ["amount", "purpose"]
    assert task["form"]["fields"][0]["type"] == "long" and task["form"]["fields"][0]["required"] is True
    assert task["documentation"] == "Type in the amount and what it was for."
    assert api.tasks(OUTSIDER, instance_id=iid) == []
    assert api.tasks(BOSS, instance_id=iid) == []

    # Ownership: an outsider may not complete it; the first claim wins, the second gets 409.
    assert api.complete(task["id"], OUTSIDER, {"amount": 5, "purpose": "x"}).status_code == 403
    claimed = api.claim(task["id"], CLERK)
    assert claimed.status_code == 200 and claimed.get_json()["assignee"] == CLERK
    second = api.claim(task["id"], CLERK2)
    assert second.status_code == 409 and second.get_json()["error"] == "task_claimed"
    assert api.complete(task["id"], CLERK2, {"amount": 5, "purpose": "x"}).status_code == 403
    assert [t["id"] for t in api.tasks(CLERK, mine=1)] == [task["id"]]

    # Validation names every bad field; nothing changes.
    invalid = api.complete(task["id"], CLERK, {"amount": 0})
    assert invalid.status_code == 422
    assert set(invalid.get_json()["fields"]) == {"amount", "purpose"}
    assert invalid.get_json()["error"] == "invalid_input"

    done = api.complete(task["id"], CLERK, {"amount": 21, "purpose": "train"})
    assert done.status_code == 200, done.get_json()
    assert done.get_json()["data"]["amount"] == 21
    again = api.complete(task["id"], CLERK, {"amount": 21, "purpose": "train"})
    assert again.status_code == 409 and again.get_json()["error"] == "task_not_open"

    # The approval goes to the managers lane, then the gateway and the script task run.
    [approve] = api.tasks(BOSS, instance_id=iid)
    assert approve["element_id"] == "approve" and approve["lane"] == "managers"
    assert approve["candidate_groups"] == ["managers"]
    finished = api.complete(approve["id"], BOSS, {"approved": True})
    assert finished.status_code == 200
    body = finished.get_json()
    assert body["status"] == "completed" and body["ended_at"] and body["open_tasks"] == []
    assert body["data"]["booked"] == 42

    # The starter follows every task of their case; the other clerk only the one offered to them.
    completed = api.tasks(CLERK, instance_id=iid, state="completed")
    assert [(t["element_id"], t["completed_by"]) for t in completed] == [("enter", CLERK), ("approve", BOSS)]
    assert [t["element_id"] for t in api.tasks(CLERK2, instance_id=iid, state="all")] == ["enter"]
    assert api.call("GET", f"/api/v1/instances/{iid}", CLERK).get_json()["status"] == "completed"


def test_rejection_path_ends_without_booking(api: Any) -> None:
    _setup(api)
    iid = api.start("expense_claim", CLERK).get_json()["id"]
    [task] = api.tasks(CLERK, instance_id=iid)
    assert (
        api.complete(task["id"], CLERK, {"amount": 3, "purpose": "pens"}).status_code == 200
    )  # claims it too
    [approve] = api.tasks(BOSS, instance_id=iid)
    body = api.complete(approve["id"], BOSS, {"approved": False}).get_json()
    assert body["status"] == "completed" and "booked" not in body["data"]


def test_admin_may_complete_a_task_claimed_by_someone_else(api: Any) -> None:
    _setup(api)
    iid = api.start("expense_claim", CLERK).get_json()["id"]
    [task] = api.tasks(CLERK, instance_id=iid)
    api.claim(task["id"], CLERK)
    assert api.complete(task["id"], ADMIN, {"amount": 1, "purpose": "x"}).status_code == 200


def test_visibility_of_instances(api: Any) -> None:
    _setup(api)
    iid = api.start("expense_claim", CLERK).get_json()["id"]
    assert api.call("GET", f"/api/v1/instances/{iid}", CLERK2).status_code == 200  # a candidate of its task
    assert api.call("GET", f"/api/v1/instances/{iid}", OUTSIDER).status_code == 404
    api.user("aud@test.example", roles=("auditor",))
    assert api.call("GET", f"/api/v1/instances/{iid}", "aud@test.example").status_code == 200
    listed = api.call("GET", "/api/v1/instances", OUTSIDER)
    assert listed.get_json() == [] and listed.headers["X-Total-Count"] == "0"
    # Auditors see everything and change nothing.
    [task] = api.tasks("aud@test.example", instance_id=iid)
    assert api.complete(task["id"], "aud@test.example", {"amount": 1, "purpose": "x"}).status_code == 403
    assert api.start("expense_claim", "aud@test.example").status_code == 403


def test_instance_filters_and_paging(api: Any) -> None:
    _setup(api)
    ids = [api.start("expense_claim", CLERK, business_key=f"K{i}").get_json()["id"] for i in range(5)]
    page = api.call("GET", "/api/v1/instances?limit=2&offset=1", ADMIN)
    assert page.headers["X-Total-Count"] == "5"
    assert [i["id"] for i in page.get_json()] == sorted(ids, reverse=True)[1:3]
    by_key = api.call("GET", "/api/v1/instances?business_key=K3", ADMIN).get_json()
    assert [i["id"] for i in by_key] == [ids[3]]
    assert api.call("GET", "/api/v1/instances?status=completed", ADMIN).get_json() == []
    assert api.call("GET", "/api/v1/instances?status=bogus", ADMIN).status_code == 400
    tasks = api.call("GET", "/api/v1/tasks?limit=2", CLERK)
    assert tasks.headers["X-Total-Count"] == "5" and len(tasks.get_json()) == 2
    assert api.call("GET", "/api/v1/tasks?limit=5000", CLERK).status_code == 200
    assert api.call("GET", "/api/v1/tasks?limit=0", CLERK).status_code == 400


def test_cancel_is_for_admins_and_closes_open_tasks(api: Any) -> None:
    _setup(api)
    iid = api.start("expense_claim", CLERK).get_json()["id"]
    assert api.call("POST", f"/api/v1/instances/{iid}/cancel", CLERK).status_code == 403
    cancelled = api.call("POST", f"/api/v1/instances/{iid}/cancel", ADMIN)
    assert cancelled.status_code == 200
    body = cancelled.get_json()
    assert body["status"] == "cancelled" and body["open_tasks"] == [] and body["ended_at"]
    assert [t["state"] for t in api.tasks(ADMIN, instance_id=iid, state="all")] == ["cancelled"]
    assert api.call("POST", f"/api/v1/instances/{iid}/cancel", ADMIN).status_code == 409


def test_task_list_count_takes_each_way_and_every_way_agrees_with_the_exact_count(
    api: Any, monkeypatch: Any
) -> None:
    """The capped count has three ways on SQLite (over the cap; entries behind one principal only,
    counted without de-duplicating; entries behind several, de-duplicated) and one on PostgreSQL:
    each answers what ?count=exact does, and each is one statement."""
    from sqlalchemy import event

    from server import access
    from server.db import db

    _setup(api)
    api.user("both@test.example", groups=("clerks", "managers", "idle"))
    for i in range(3):
        assert api.start("expense_claim", CLERK, business_key=f"B{i}").status_code == 201

    def count(email: str) -> tuple[str | None, str]:
        capped = api.call("GET", "/api/v1/tasks?limit=1", email)
        exact = api.call("GET", "/api/v1/tasks?limit=1&count=exact", email)
        return capped.headers.get("X-Total-Count"), exact.headers["X-Total-Count"]

    # One principal with entries (g:clerks; u:both, g:idle and g:managers have none): no de-duplication.
    assert count("both@test.example") == ("3", "3")
    # Several principals with entries, no task behind two of them: the distinct count is their sum.
    moved = api.start("expense_claim", CLERK, business_key="B3").get_json()["open_tasks"][0]
    assert api.complete(moved["id"], CLERK, {"amount": 5, "purpose": "x"}).status_code == 200
    assert count("both@test.example") == ("4", "4")  # 3 under g:clerks, 1 under g:managers
    # A task behind two principals of one user counts once: the starter has an entry for each task of
    # their cases, so CLERK reaches the four "enter" tasks twice (u:clerk, g:clerks) and "approve" once.
    assert api.start("expense_claim", CLERK, business_key="B4").status_code == 201
    assert count(CLERK) == ("5", "5")
    assert count(CLERK2) == ("4", "4")
    # Exactly at the cap: still exact; over it: left out (?count=exact still counts).
    monkeypatch.setattr(access, "TASK_COUNT_CAP", 4)
    assert count(CLERK2) == ("4", "4")
    assert count(CLERK) == (None, "5")  # 9 entries
    assert count("both@test.example") == (None, "5")  # 5 entries, behind two groups

    statements: list[str] = []
    with api.app.app_context():
        engine = db.engine

    def seen(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if "task_access" in statement and "count" in statement.lower():
            statements.append(statement)

    event.listen(engine, "before_cursor_execute", seen)
    try:
        assert api.call("GET", "/api/v1/tasks?limit=1", CLERK).status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    assert len(statements) == 1


def test_start_with_unknown_process_or_bad_body(api: Any) -> None:
    _setup(api)
    assert api.start("nope", CLERK).status_code == 404
    bad = api.call("POST", "/api/v1/processes/expense_claim/instances", CLERK, json={"data": [1]})
    assert bad.status_code == 400 and bad.get_json()["error"] == "bad_request"


def test_task_list_counts_exactly_up_to_the_cap_then_pages_by_link(api: Any, monkeypatch: Any) -> None:
    """X-Total-Count is exact (a claimed task, offered to me AND my group, counts once) up to
    TASK_COUNT_CAP index entries; beyond it the header is left out unless ?count=exact, and the
    Link header leads to the next page either way."""
    from server import access

    _setup(api)
    for i in range(4):
        assert api.start("expense_claim", CLERK, business_key=f"K{i}").status_code == 201
    first = api.tasks(CLERK2)[0]
    assert api.claim(first["id"], CLERK2).status_code == 200  # now under u:clerk2 and g:clerks
    listed = api.call("GET", "/api/v1/tasks?limit=3", CLERK2)
    assert listed.headers["X-Total-Count"] == "4" and len(listed.get_json()) == 3
    assert 'offset=3' in listed.headers["Link"] and 'rel="next"' in listed.headers["Link"]
    last = api.call("GET", "/api/v1/tasks?limit=3&offset=3", CLERK2)
    assert len(last.get_json()) == 1 and "Link" not in last.headers

    monkeypatch.setattr(access, "TASK_COUNT_CAP", 3)  # 5 index entries for CLERK2 now exceed it
    capped = api.call("GET", "/api/v1/tasks?limit=2", CLERK2)
    assert "X-Total-Count" not in capped.headers and len(capped.get_json()) == 2
    assert "offset=2" in capped.headers["Link"]
    nxt = api.call("GET", capped.headers["Link"].split(">")[0].lstrip("<"), CLERK2)
    assert len(nxt.get_json()) == 2 and not {t["id"] for t in nxt.get_json()} & {
        t["id"] for t in capped.get_json()}
    exact = api.call("GET", "/api/v1/tasks?limit=2&count=exact", CLERK2)
    assert exact.headers["X-Total-Count"] == "4"
