"""Fixtures for the server: an app on a fresh database (SQLite, and PostgreSQL when configured),
people with roles and groups, an API client with bearer tokens, and a page client with CSRF."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def app(db_url: str, redis_url: str, tmp_path: Path) -> Iterator[Flask]:
    """The Baton app on an empty database brought to the newest schema by the migrations, and the
    suite's Redis server (jobs it enqueues run only where a test starts a worker)."""
    from server import create_app, db_setup
    from server.db import db

    app = create_app(
        {
            "DATABASE_URL": db_url,
            "REDIS_URL": redis_url,
            "INSTANCE_DIR": str(tmp_path / "instance"),
            "SECRET_KEY": "test-secret",
            "TESTING": True,
            "BATON_PASSWORD_HASH": "pbkdf2:sha256:1000",
        }
    )
    db_setup.upgrade(app)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


class Api:
    """Calls the JSON API as a given user, with that user's bearer token."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.client = app.test_client()
        self.tokens: dict[str, str] = {}

    def user(
        self,
        email: str,
        roles: tuple[str, ...] = ("participant",),
        groups: tuple[str, ...] = (),
        password: str = "password-123",
        **extra: Any,
    ) -> str:
        from server import people
        from server.db import db

        with self.app.app_context():
            user, _ = people.save_user(email, password=password, roles=roles, groups=groups, **extra)
            _, plain = people.create_token(user)
            db.session.commit()
        self.tokens[email] = plain
        return plain

    def call(self, method: str, path: str, as_user: str, json: Any = None, **kwargs: Any) -> Any:
        headers = {"Authorization": f"Bearer {self.tokens[as_user]}"}
        return self.client.open(path, method=method, json=json, headers=headers, **kwargs)

    def deploy(self, as_user: str, *names: str, files: dict[str, bytes] | None = None) -> Any:
        payload = files or {n: (FIXTURES / n).read_bytes() for n in names}
        from io import BytesIO

        data = {"files": [(BytesIO(content), name) for name, content in payload.items()]}
        return self.call(
            "POST", "/api/v1/deployments", as_user, data=data, content_type="multipart/form-data"
        )

    def start(self, process_id: str, as_user: str, data: dict[str, Any] | None = None, **extra: Any) -> Any:
        return self.call(
            "POST", f"/api/v1/processes/{process_id}/instances", as_user, json={"data": data or {}, **extra}
        )

    def tasks(self, as_user: str, **params: Any) -> list[dict[str, Any]]:
        response = self.call("GET", "/api/v1/tasks", as_user, query_string=params)
        assert response.status_code == 200, response.get_json()
        return response.get_json()  # type: ignore[no-any-return]

    def complete(self, task_id: str, as_user: str, data: dict[str, Any]) -> Any:
        return self.call("POST", f"/api/v1/tasks/{task_id}/complete", as_user, json={"data": data})

    def claim(self, task_id: str, as_user: str) -> Any:
        return self.call("POST", f"/api/v1/tasks/{task_id}/claim", as_user)


@pytest.fixture
def api(app: Flask) -> Api:
    """An API client; `api.user(...)` creates people, then call as any of them."""
    api = Api(app)
    api.user("admin@test.example", roles=("admin",))
    return api


class Browser:
    """A signed-in page client that sends the CSRF token of the page it last saw, like a browser."""

    CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')

    def __init__(self, client: FlaskClient) -> None:
        self.client = client
        self.last_html = ""

    def get(self, path: str, **kwargs: Any) -> Any:
        response = self.client.get(path, **kwargs)
        self.last_html = response.get_data(as_text=True)
        return response

    def csrf(self) -> str:
        match = self.CSRF.search(self.last_html)
        assert match, "the page has no CSRF token"
        return match.group(1)

    def post(self, path: str, data: dict[str, Any] | None = None, **kwargs: Any) -> Any:
        payload = {"csrf_token": self.csrf(), **(data or {})}
        response = self.client.post(path, data=payload, **kwargs)
        self.last_html = response.get_data(as_text=True)
        return response

    def login(self, email: str, password: str = "password-123") -> Any:
        self.get("/login")
        return self.post("/login", {"email": email, "password": password}, follow_redirects=True)


@pytest.fixture
def browser(app: Flask) -> Browser:
    return Browser(app.test_client())
