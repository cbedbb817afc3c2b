"""Browser tests: Baton served on a free port from a thread, driven by Playwright and Debian's chromium.

No `playwright install`: the browser is the system's /usr/bin/chromium. Where it is missing the tests
skip with the command that installs it, except in CI (CI set), where a missing browser is a failure.
The front-end bundles must be built (`make install` with Node.js runs `npm ci` and the build).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from tests.server.conftest import Api, app  # noqa: F401  (the server fixtures, reused here)

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
FIXTURES = Path(__file__).parent / "fixtures"


def _need(condition: bool, message: str) -> None:
    """Skip on a developer machine; fail in CI, where a missing prerequisite is a broken setup."""
    if condition:
        return
    if os.environ.get("CI"):
        pytest.fail(message + " (CI is set, so this is a failure, not a skip)", pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    """A headless chromium (the system's), for the whole session."""
    _need(CHROMIUM.exists(), f"{CHROMIUM} is missing: install it with `apt-get install chromium`")
    _need((ROOT / "static" / "dist" / "modeller.js").exists(),
          "static/dist is not built: run `make install` (needs Node.js) or `npm ci && npm run build`")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def live_server(app: Flask) -> Iterator[str]:  # noqa: F811
    """The app served over HTTP on 127.0.0.1 and a free port, against the test's database."""
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(5)


@pytest.fixture
def api(app: Flask) -> Api:  # noqa: F811
    api = Api(app)
    api.user("admin@test.example", roles=("admin",))
    return api


@pytest.fixture
def page(chromium: Any, live_server: str) -> Iterator[Any]:
    """A fresh browser page (its own cookies) with a desktop-sized viewport."""
    context = chromium.new_context(viewport={"width": 1400, "height": 900}, base_url=live_server,
                                   accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.js_errors = errors
    try:
        yield page
    finally:
        context.close()


def sign_in(page: Any, email: str, password: str = "password-123") -> None:
    page.goto("/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", password)
    page.click("form button[type=submit]")
    page.wait_for_url(lambda url: "/login" not in url)


def screenshot(page: Any, name: str, selector: str | None = None) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / name
    if selector:
        page.locator(selector).screenshot(path=str(path))
    else:
        page.screenshot(path=str(path), full_page=True)
    return path
