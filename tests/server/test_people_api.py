"""People through the JSON API: admins manage users and groups; everyone lists, creates and revokes
their own API tokens (admins anyone's); bad input is a 400 naming the field, and changes nothing."""

from __future__ import annotations

from typing import Any

ADMIN = "admin@test.example"
CLERK = "clerk@test.example"
OTHER = "other@test.example"


def test_admin_creates_reads_lists_and_updates_users(api: Any) -> None:
    api.user(CLERK, groups=("clerks",))
    created = api.call("POST", "/api/v1/users", ADMIN, json={
        "email": "New.Person@Test.example", "password": "long-enough-1", "name": "New Person",
        "roles": ["participant", "analyst"], "groups": ["Clerks", "buyers"], "lead_of": ["buyers"],
        "manager": CLERK,
    })
    assert created.status_code == 201, created.get_json()
    person = created.get_json()
    assert person["email"] == "new.person@test.example" and person["name"] == "New Person"
    assert person["roles"] == ["analyst", "participant"]
    assert person["groups"] == ["buyers", "clerks"]  # "Clerks" is the existing group (case-insensitive)
    assert person["lead_of"] == ["buyers"] and person["manager"] == CLERK and person["active"] is True
    assert person["created_at"].endswith("Z")

    again = api.call("POST", "/api/v1/users", ADMIN, json={"email": "new.person@test.example"})
    assert again.status_code == 400 and again.get_json()["field"] == "email"

    assert api.call("GET", f"/api/v1/users/{person['id']}", ADMIN).get_json() == person
    listed = api.call("GET", "/api/v1/users", ADMIN)
    assert listed.headers["X-Total-Count"] == "3"
    assert [u["email"] for u in listed.get_json()] == sorted([ADMIN, CLERK, "new.person@test.example"])

    changed = api.call("PATCH", f"/api/v1/users/{person['id']}", ADMIN,
                       json={"roles": ["auditor"], "active": False})
    assert changed.status_code == 200
    assert changed.get_json()["roles"] == ["auditor"] and changed.get_json()["active"] is False
    assert changed.get_json()["groups"] == ["buyers", "clerks"]  # what the request left out stays
    assert api.call("GET", "/api/v1/users/999999", ADMIN).status_code == 404


def test_only_admins_manage_people_and_bad_input_changes_nothing(api: Any) -> None:
    api.user(CLERK, groups=("clerks",))
    for method, path in (("GET", "/api/v1/users"), ("POST", "/api/v1/users"), ("POST", "/api/v1/groups")):
        refused = api.call(method, path, CLERK, json={"email": "x@test.example", "name": "x"})
        assert refused.status_code == 403 and refused.get_json()["error"] == "forbidden", (method, path)

    not_a_list = api.call("POST", "/api/v1/users", ADMIN, json={"email": "y@test.example", "roles": "admin"})
    assert not_a_list.status_code == 400 and not_a_list.get_json()["field"] == "roles"
    short = api.call("POST", "/api/v1/users", ADMIN, json={"email": "y@test.example", "password": "short"})
    assert short.status_code == 400 and short.get_json()["field"] == "password"
    assert "8 characters" in short.get_json()["message"]
    emails = [u["email"] for u in api.call("GET", "/api/v1/users", ADMIN).get_json()]
    assert "y@test.example" not in emails  # nothing of the refused requests was kept


def test_groups_list_members_and_leads_and_names_match_case_insensitively(api: Any) -> None:
    api.user(CLERK, groups=("clerks",))
    made = api.call("POST", "/api/v1/groups", ADMIN, json={"name": "Buyers"})
    assert made.status_code == 201 and made.get_json()["name"] == "Buyers"
    same = api.call("POST", "/api/v1/groups", ADMIN, json={"name": "BUYERS"})
    assert same.get_json()["id"] == made.get_json()["id"]  # not a second group
    api.call("PATCH", f"/api/v1/users/{api.call('GET', '/api/v1/me', CLERK).get_json()['id']}", ADMIN,
             json={"groups": ["clerks", "buyers"], "lead_of": ["buyers"]})
    groups = {g["name"]: g for g in api.call("GET", "/api/v1/groups", CLERK).get_json()}
    assert set(groups) == {"Buyers", "clerks"}
    assert groups["Buyers"]["members"] == [CLERK] and groups["Buyers"]["leads"] == [CLERK]
    assert groups["clerks"]["leads"] == []


def test_tokens_are_listed_created_and_revoked_by_their_owner_or_an_admin(api: Any) -> None:
    api.user(CLERK)
    api.user(OTHER)
    made = api.call("POST", "/api/v1/tokens", CLERK, json={"name": "laptop"})
    assert made.status_code == 201
    token = made.get_json()
    assert token["name"] == "laptop" and token["user"] == CLERK and token["revoked_at"] is None
    assert token["token"].startswith(token["prefix"])  # the plain token, shown this once

    fresh = api.app.test_client()
    me = fresh.get("/api/v1/me", headers={"Authorization": f"Bearer {token['token']}"})
    assert me.status_code == 200 and me.get_json()["email"] == CLERK

    mine = api.call("GET", "/api/v1/tokens", CLERK).get_json()
    assert {t["user"] for t in mine} == {CLERK} and "token" not in mine[0]  # never shown again
    assert {t["user"] for t in api.call("GET", "/api/v1/tokens", ADMIN).get_json()} == {ADMIN, CLERK, OTHER}

    # Someone else's token: not found for a non-admin (nothing is revoked), revocable by an admin.
    other_id = api.call("GET", "/api/v1/tokens", OTHER).get_json()[0]["id"]
    assert api.call("DELETE", f"/api/v1/tokens/{other_id}", CLERK).status_code == 404
    assert api.call("GET", "/api/v1/me", OTHER).status_code == 200

    revoked = api.call("DELETE", f"/api/v1/tokens/{token['id']}", CLERK)
    assert revoked.status_code == 200 and revoked.get_json()["revoked_at"].endswith("Z")
    gone = fresh.get("/api/v1/me", headers={"Authorization": f"Bearer {token['token']}"})
    assert gone.status_code == 401 and gone.get_json()["error"]

    assert api.call("DELETE", f"/api/v1/tokens/{other_id}", ADMIN).status_code == 200
    assert api.call("GET", "/api/v1/me", OTHER).status_code == 401
