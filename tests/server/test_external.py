"""External participants: a task assigned to an outside address opens one case, by a signed link, to them."""

from __future__ import annotations

import re
from datetime import timedelta
from io import BytesIO
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.server.conftest import Api, Browser

VENDOR = "quotes@vendor.example"
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def start_quote(api: Api, vendor: str = VENDOR) -> dict[str, Any]:
    response = api.start("vendor_quote", "buyer@test.example", {"vendor_email": vendor})
    assert response.status_code == 201, response.get_json()
    return response.get_json()  # type: ignore[no-any-return]


@pytest.fixture
def quotes(api: Api) -> Api:
    api.user("buyer@test.example", roles=("participant",), groups=("buyers",))
    assert api.deploy("admin@test.example", "external_vendor_quote.bpmn").status_code == 201
    return api


def link_path(app: Flask, email: str, instance_id: int) -> str:
    """The link e-mailed to a person about a case (read from the notification row the mail is made of)."""
    from sqlalchemy import select

    from server.db import db
    from server.models import Notification, User

    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == email))
        assert user is not None
        rows = list(db.session.scalars(select(Notification).where(
            Notification.user_id == user.id, Notification.instance_id == instance_id
        ).order_by(Notification.id)))
        assert rows, f"nobody e-mailed {email}"
        link = rows[-1].link
    assert link is not None and link.startswith("/x/")
    return link


def portal(client: FlaskClient, path: str) -> Browser:
    visitor = Browser(client)
    response = visitor.get(path, follow_redirects=True)
    assert response.status_code == 200, response.get_data(as_text=True)
    return visitor


def set_link(app: Flask, link_id: int, **values: Any) -> None:
    from server.db import db
    from server.models import ExternalLink

    with app.app_context():
        link = db.session.get(ExternalLink, link_id)
        assert link is not None
        for key, value in values.items():
            setattr(link, key, value)
        db.session.commit()


def only_link_id(app: Flask) -> int:
    from sqlalchemy import select

    from server.db import db
    from server.models import ExternalLink

    with app.app_context():
        ids = list(db.session.scalars(select(ExternalLink.id)))
    assert len(ids) == 1
    return ids[0]


def test_the_whole_external_journey(app: Flask, quotes: Api) -> None:
    from sqlalchemy import select

    from server.db import db
    from server.models import Event, ExternalLink, Instance, Notification, User

    case = start_quote(quotes)
    other = start_quote(quotes, "someone-else@vendor.example")

    with app.app_context():
        vendor = db.session.scalar(select(User).where(User.email == VENDOR))
        assert vendor is not None and vendor.is_external and vendor.password_hash is None
        link = db.session.scalar(select(ExternalLink).where(ExternalLink.user_id == vendor.id))
        assert link is not None and link.kind == "participant" and link.instance_id == case["id"]
        days = (link.expires_at - link.created_at).days
        assert days == 14
        mail = db.session.scalar(select(Notification).where(Notification.user_id == vendor.id))
        assert mail is not None and "Send the signed quote" in mail.title
        assert mail.email_status == "pending"

    visitor = portal(app.test_client(), link_path(app, VENDOR, case["id"]))
    page = visitor.last_html
    assert "Send the signed quote" in page and "Upload your signed quote" in page
    assert 'enctype="multipart/form-data"' in page and 'type="file"' in page
    assert "Review the quote" not in page  # not a step yet
    assert "buyer@test.example" not in page  # internal people stay unnamed
    task_id = re.search(r'/x/case/tasks/([0-9a-f-]+)"', page)
    assert task_id

    # a required document is missing: refused, the form comes back with the message
    refused = visitor.post(f"/x/case/tasks/{task_id[1]}", {"amount": "1200"},
                           content_type="multipart/form-data")
    assert refused.status_code == 422 and "Upload a file." in visitor.last_html

    done = visitor.post(f"/x/case/tasks/{task_id[1]}",
                        {"amount": "1200", "quote": (BytesIO(PDF), "quote.pdf")},
                        content_type="multipart/form-data", follow_redirects=True)
    assert done.status_code == 200 and "is done" in visitor.last_html
    assert "quote.pdf" in visitor.last_html  # the case's documents

    with app.app_context():
        row = db.session.get(Instance, case["id"])
        assert row is not None and row.data["amount"] == 1200 and isinstance(row.data["quote"], int)
        events = list(db.session.scalars(select(Event).where(Event.instance_id == case["id"])
                                         .order_by(Event.seq)))
        by_vendor = [e.kind for e in events if e.actor == VENDOR]
        assert by_vendor == ["document_uploaded", "task_completed"]
    review = [t for t in quotes.tasks("buyer@test.example") if t["instance_id"] == case["id"]]
    assert [t["name"] for t in review] == ["Review the quote"]
    document_id = row.data["quote"]
    download = visitor.get(f"/x/case/documents/{document_id}")
    assert download.status_code == 200 and download.data == PDF
    assert "attachment" in download.headers["Content-Disposition"]

    # nothing else is reachable with the link's session
    other_task = quotes.tasks("admin@test.example", instance_id=other["id"])[0]["id"]
    assert visitor.client.get(f"/x/case/documents/{document_id + 1000}").status_code == 404
    visitor.get("/x/case")
    assert visitor.post(f"/x/case/tasks/{other_task}", {}).status_code in (403, 404)
    for internal in (f"/instances/{case['id']}", f"/tasks/{other_task}", "/", f"/documents/{document_id}"):
        refused_page = visitor.client.get(internal)
        assert refused_page.status_code == 302 and "/login" in refused_page.headers["Location"], internal
    assert visitor.client.get(f"/api/v1/instances/{case['id']}").status_code == 401
    assert visitor.client.get("/api/v1/tasks").status_code == 401


def test_a_candidate_marked_external_gets_a_link_and_may_complete(app: Flask, api: Api) -> None:
    assert api.deploy("admin@test.example", "external_candidate_user.bpmn").status_code == 201
    case = api.start("external_candidate", "admin@test.example").get_json()
    visitor = portal(app.test_client(), link_path(app, "helper@outside.example", case["id"]))
    task = re.search(r'/x/case/tasks/([0-9a-f-]+)"', visitor.last_html)
    assert task and "Confirm the date" in visitor.last_html
    visitor.post(f"/x/case/tasks/{task[1]}", {}, follow_redirects=True)
    status = api.call("GET", f"/api/v1/instances/{case['id']}", "admin@test.example").get_json()
    assert status["status"] == "completed"


def test_a_known_user_as_assignee_gets_no_external_link(app: Flask, quotes: Api) -> None:
    from sqlalchemy import func, select

    from server.db import db
    from server.models import ExternalLink

    quotes.user("inside@test.example")
    start_quote(quotes, "inside@test.example")
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ExternalLink)) == 0


@pytest.mark.parametrize(
    ("change", "status", "words"),
    [
        ({"expires_at_days": -1}, 410, "expired"),
        ({"revoked": True}, 410, "withdrawn"),
    ],
)
def test_expired_and_revoked_links_say_so(app: Flask, quotes: Api, change: dict[str, Any], status: int,
                                          words: str) -> None:
    from server.clock import utcnow

    case = start_quote(quotes)
    path = link_path(app, VENDOR, case["id"])
    visitor = portal(app.test_client(), path)  # works first; then changes under an open session
    if "expires_at_days" in change:
        set_link(app, only_link_id(app), expires_at=utcnow() + timedelta(days=change["expires_at_days"]))
    else:
        set_link(app, only_link_id(app), revoked_at=utcnow())
    for response in (visitor.client.get("/x/case"), visitor.client.get(path)):
        assert response.status_code == status
        text = response.get_data(as_text=True)
        assert words in text and "Traceback" not in text


def test_a_tampered_token_is_refused(app: Flask, quotes: Api) -> None:
    case = start_quote(quotes)
    path = link_path(app, VENDOR, case["id"])
    body, signature = path.rsplit(".", 1)
    tampered = body + "." + ("A" if signature[0] != "A" else "B") + signature[1:]
    for bad in (tampered, "/x/not-a-token", path[:-5]):
        response = app.test_client().get(bad)
        assert response.status_code == 403
        assert "not valid" in response.get_data(as_text=True)
    assert app.test_client().get("/x/case").status_code == 403  # no link opened in this session


def test_a_forged_token_for_another_link_id_is_refused(app: Flask, quotes: Api) -> None:
    from itsdangerous import URLSafeTimedSerializer

    case = start_quote(quotes)
    link_id = only_link_id(app)
    signer = URLSafeTimedSerializer("another-secret", salt="baton.external-link")
    forged = signer.dumps({"l": link_id, "n": "x"})
    assert app.test_client().get(f"/x/{forged}").status_code == 403
    with app.app_context():
        from server.external import _serializer

        wrong_nonce = _serializer().dumps({"l": link_id, "n": "0" * 32})
    assert app.test_client().get(f"/x/{wrong_nonce}").status_code == 403
    assert case["id"]


def test_a_link_has_one_address_whenever_it_is_written(app: Flask, quotes: Api,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """The e-mailed address and the API's are the same, even a second apart; an address signed the
    way earlier versions did (as of the moment it was written) still opens the case."""
    import time

    from server import external
    from server.db import db
    from server.models import ExternalLink

    case = start_quote(quotes)
    mailed = link_path(app, VENDOR, case["id"])
    with app.app_context():
        link = db.session.get(ExternalLink, only_link_id(app))
        assert link is not None
        now = time.time()
        monkeypatch.setattr(time, "time", lambda: now + 3600)
        assert external.path_for(link) == mailed
        older_style = external._serializer().dumps({"l": link.id, "n": link.nonce})  # signed "now"
        monkeypatch.undo()
    assert older_style != mailed.removeprefix("/x/")
    assert app.test_client().get(f"/x/{older_style}").status_code == 302


def test_links_are_revoked_and_reissued_by_api_and_page(app: Flask, quotes: Api, browser: Browser) -> None:
    case = start_quote(quotes)
    first = link_path(app, VENDOR, case["id"])
    links = quotes.call("GET", f"/api/v1/instances/{case['id']}/links", "buyer@test.example")
    assert links.status_code == 200 and [x["state"] for x in links.get_json()] == ["active"]

    again = quotes.call("POST", f"/api/v1/instances/{case['id']}/links", "buyer@test.example",
                        json={"email": VENDOR, "kind": "participant"})
    assert again.status_code == 201, again.get_json()
    second = link_path(app, VENDOR, case["id"])
    assert second != first and again.get_json()["url"].endswith(second)
    assert app.test_client().get(first).status_code == 410  # the old one was revoked by the reissue
    assert app.test_client().get(second).status_code == 302

    revoked = quotes.call("POST", f"/api/v1/links/{again.get_json()['id']}/revoke", "buyer@test.example")
    assert revoked.status_code == 200 and revoked.get_json()["state"] == "revoked"
    assert app.test_client().get(second).status_code == 410

    # someone who cannot see the case cannot list or revoke its links
    quotes.user("stranger@test.example")
    hidden = quotes.call("GET", f"/api/v1/instances/{case['id']}/links", "stranger@test.example")
    assert hidden.status_code == 404

    # the case page: a status link for a stakeholder (read-only portal)
    browser.login("buyer@test.example")
    page = browser.get(f"/instances/{case['id']}")
    assert page.status_code == 200 and "Outside access" in browser.last_html
    sent = browser.post(f"/instances/{case['id']}/links", {"email": "boss@client.example", "kind": "status"},
                        follow_redirects=True)
    assert sent.status_code == 200 and "boss@client.example" in browser.last_html
    status_visitor = portal(app.test_client(), link_path(app, "boss@client.example", case["id"]))
    assert "Send the signed quote" in status_visitor.last_html
    assert "/x/case/tasks/" not in status_visitor.last_html and 'type="file"' not in status_visitor.last_html
    task_id = quotes.tasks("admin@test.example", instance_id=case["id"])[0]["id"]
    assert status_visitor.post(f"/x/case/tasks/{task_id}", {"amount": "1"}).status_code == 403


def test_link_endpoints_are_rate_limited(app: Flask, quotes: Api) -> None:
    app.config["BATON_EXTERNAL_OPEN_RATE_LIMIT"] = "3 per minute"
    client = app.test_client()
    codes = [client.get("/x/not-a-token").status_code for _ in range(5)]
    assert codes[:3] == [403, 403, 403] and codes[3:] == [429, 429]
    assert "Too many requests" in client.get("/x/not-a-token").get_data(as_text=True)


def test_the_whole_portal_is_rate_limited_and_nothing_else_is(app: Flask, api: Api) -> None:
    """The limiter's hooks run for the portal only (they cost every other request time)."""
    app.config["BATON_EXTERNAL_RATE_LIMIT"] = "2 per minute"
    client = app.test_client()
    codes = [client.get("/x/case").status_code for _ in range(4)]
    assert codes[2:] == [429, 429] and 429 not in codes[:2]
    api.user("plain@test.example")
    answers = [api.call("GET", "/api/v1/processes", "plain@test.example") for _ in range(4)]
    assert [a.status_code for a in answers] == [200] * 4


def test_an_sla_nudge_reaches_an_external_assignee_through_their_portal_link(app: Flask, api: Api) -> None:
    """Internal task pages are closed to outsiders, so their reminder carries their own link to the case."""
    from sqlalchemy import select, update

    from server import timers
    from server.clock import utcnow
    from server.db import db
    from server.models import Notification, Timer, User

    api.user("buyer@test.example", roles=("participant",), groups=("buyers",))
    assert api.deploy("admin@test.example", "external_nudged_by_sla.bpmn").status_code == 201
    started = api.start("vendor_quote_nudged", "buyer@test.example", {"vendor_email": VENDOR})
    assert started.status_code == 201, started.get_json()
    instance_id = started.get_json()["id"]
    with app.app_context():
        query = select(Timer).where(Timer.instance_id == instance_id, Timer.kind == "sla")
        [nudge] = db.session.scalars(query)
        db.session.execute(update(Timer).where(Timer.id == nudge.id).values(due_at=utcnow()))
        db.session.commit()
        assert timers.fire(nudge.id) != "early"
        vendor = db.session.scalar(select(User).where(User.email == VENDOR))
        assert vendor is not None
        reminders = list(db.session.scalars(select(Notification).where(
            Notification.user_id == vendor.id, Notification.kind == "nudge")))
    assert len(reminders) == 1
    assert reminders[0].link is not None and reminders[0].link.startswith("/x/")
    visitor = portal(app.test_client(), reminders[0].link)
    assert "Send the signed quote" in visitor.last_html
