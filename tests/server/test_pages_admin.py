"""The admin pages (users, groups) and the API token page, through the Flask test client."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from flask import Flask

from tests.server.pages_helpers import make_user, text

if TYPE_CHECKING:
    from tests.server.conftest import Api, Browser

ADMIN = "admin@test.example"


def _user(app: Flask, email: str) -> dict[str, object]:
    from server import people

    with app.app_context():
        user = people.find_user(email)
        assert user is not None
        return {
            "id": user.id,
            "roles": sorted(user.roles),
            "groups": sorted(m.group.name for m in user.memberships),
            "leads": sorted(m.group.name for m in user.memberships if m.is_lead),
            "manager": user.manager.email if user.manager else None,
            "active": user.active,
        }


def test_admin_creates_a_user_with_roles_groups_and_manager(app: Flask, api: Api, browser: Browser) -> None:
    browser.login(ADMIN)
    browser.get("/admin/users/new")
    response = browser.post(
        "/admin/users/new",
        {
            "email": "New.Person@Test.example",
            "name": "New Person",
            "password": "long-enough-1",
            "roles": ["participant", "analyst"],
            "groups": "clerks, Buyers",
            "lead_of": "buyers",
            "manager": ADMIN,
            "active": "on",
        },
        follow_redirects=True,
    )
    assert response.status_code == 200
    assert "Created new.person@test.example" in browser.last_html
    assert _user(app, "new.person@test.example") == {
        "id": _user(app, "new.person@test.example")["id"],
        "roles": ["analyst", "participant"],
        "groups": ["Buyers", "clerks"],
        "leads": ["Buyers"],
        "manager": ADMIN,
        "active": True,
    }
    browser.post("/logout")
    assert "Welcome, New Person" in browser.login("new.person@test.example", "long-enough-1").get_data(
        as_text=True
    )


def test_user_form_errors_are_per_field_and_keep_input(app: Flask, api: Api, browser: Browser) -> None:
    browser.login(ADMIN)
    browser.get("/admin/users/new")
    response = browser.post(
        "/admin/users/new",
        {
            "email": "short@test.example",
            "name": "Shorty",
            "password": "short",
            "roles": ["participant"],
            "groups": "clerks",
            "manager": "",
        },
    )
    assert response.status_code == 422
    page = browser.last_html
    assert 'id="password-error"' in page and "8 characters" in page
    assert 'value="short@test.example"' in page and 'value="Shorty"' in page and 'value="clerks"' in page
    response = browser.post(
        "/admin/users/new",
        {
            "email": "x@test.example",
            "password": "long-enough-1",
            "roles": ["participant"],
            "manager": "ghost@test.example",
        },
    )
    assert response.status_code == 422
    assert 'id="manager-error"' in browser.last_html and "ghost@test.example" in browser.last_html
    assert browser.get("/admin/users").status_code == 200
    assert "x@test.example" not in browser.last_html


def test_admin_edits_roles_and_deactivates(app: Flask, api: Api, browser: Browser) -> None:
    make_user(app, "pat@test.example", roles=("participant",), groups=("clerks",))
    uid = _user(app, "pat@test.example")["id"]
    browser.login(ADMIN)
    browser.get(f"/admin/users/{uid}")
    assert 'value="clerks"' in browser.last_html
    browser.post(
        f"/admin/users/{uid}",
        {"name": "Pat", "roles": ["auditor"], "groups": "", "lead_of": "", "manager": ""},
        follow_redirects=True,
    )
    assert "Saved pat@test.example" in browser.last_html
    saved = _user(app, "pat@test.example")
    assert saved["roles"] == ["auditor"] and saved["groups"] == [] and saved["active"] is False
    browser.post("/logout")
    browser.get("/login")
    assert (
        browser.post("/login", {"email": "pat@test.example", "password": "password-123"}).status_code == 401
    )


def test_admin_cannot_remove_their_own_admin_role(app: Flask, api: Api, browser: Browser) -> None:
    uid = _user(app, ADMIN)["id"]
    browser.login(ADMIN)
    browser.get(f"/admin/users/{uid}")
    response = browser.post(f"/admin/users/{uid}", {"roles": ["participant"], "active": "on"})
    assert response.status_code == 422
    assert "your own admin role" in browser.last_html
    assert _user(app, ADMIN)["roles"] == ["admin"]


def test_groups_members_and_leads(app: Flask, api: Api, browser: Browser) -> None:
    make_user(app, "m1@test.example")
    browser.login(ADMIN)
    browser.get("/admin/groups")
    response = browser.post("/admin/groups", {"name": "Approvers"}, follow_redirects=True)
    assert response.status_code == 200 and "Approvers" in browser.last_html
    group_url = re.search(r'action="(/admin/groups/\d+)/members"', browser.last_html)
    assert group_url
    browser.post(
        group_url.group(1) + "/members", {"email": "m1@test.example", "lead": "on"}, follow_redirects=True
    )
    assert _user(app, "m1@test.example")["leads"] == ["Approvers"]
    uid = _user(app, "m1@test.example")["id"]
    browser.post(f"{group_url.group(1)}/members/{uid}", {"action": "member"}, follow_redirects=True)
    assert _user(app, "m1@test.example")["leads"] == []
    assert _user(app, "m1@test.example")["groups"] == ["Approvers"]
    browser.post(f"{group_url.group(1)}/members/{uid}", {"action": "remove"}, follow_redirects=True)
    assert _user(app, "m1@test.example")["groups"] == []
    browser.post(group_url.group(1) + "/members", {"email": "ghost@test.example"}, follow_redirects=True)
    assert "There is no user “ghost@test.example”" in browser.last_html
    browser.get("/admin/groups")
    response = browser.post("/admin/groups", {"name": "  "})
    assert response.status_code == 422 and "needs a name" in browser.last_html


def test_token_is_shown_once_and_can_be_revoked(app: Flask, api: Api, browser: Browser) -> None:
    make_user(app, "pat@test.example")
    browser.login("pat@test.example")
    browser.get("/tokens")
    assert "No tokens yet." in browser.last_html
    response = browser.post("/tokens", {"name": "nightly export"})
    assert response.status_code == 201
    token = re.search(r'id="new-token" type="text" readonly value="(bt_[^"]+)"', browser.last_html)
    assert token, "the new token is not shown"
    plain = token.group(1)
    other = app.test_client()  # no session cookie: the token alone signs in
    me = other.get("/api/v1/me", headers={"Authorization": f"Bearer {plain}"})
    assert me.status_code == 200 and me.get_json()["email"] == "pat@test.example"

    browser.get("/tokens")
    assert plain not in browser.last_html and "nightly export" in browser.last_html
    revoke = re.search(r'action="(/tokens/\d+/revoke)"', browser.last_html)
    assert revoke
    browser.post(revoke.group(1), follow_redirects=True)
    assert "is revoked" in browser.last_html
    assert other.get("/api/v1/me", headers={"Authorization": f"Bearer {plain}"}).status_code == 401


def test_tokens_are_private_except_to_admins(app: Flask, api: Api, browser: Browser) -> None:
    make_user(app, "pat@test.example")
    make_user(app, "sam@test.example")
    api.user("sam@test.example")  # gives sam a token
    browser.login("pat@test.example")
    browser.get("/tokens")
    assert "sam@test.example" not in browser.last_html
    from server.db import db
    from server.models import ApiToken

    with app.app_context():
        sams = db.session.query(ApiToken).join(ApiToken.user).filter_by(email="sam@test.example").one().id
    assert browser.post(f"/tokens/{sams}/revoke").status_code == 404
    browser.post("/logout")
    browser.login(ADMIN)
    browser.get("/tokens")
    assert "sam@test.example" in text(browser.last_html)
    browser.post(f"/tokens/{sams}/revoke", follow_redirects=True)
    assert "is revoked" in browser.last_html
