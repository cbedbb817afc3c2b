"""Configuration from the environment, with safe defaults for a single machine."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent

# Defaults, each with its unit.
DEFAULT_STEP_BUDGET = 1_000  # engine steps per change before a model is judged to loop (see bpmn.stepping)
DEFAULT_PAGE_LIMIT = 100  # rows per list page
MAX_PAGE_LIMIT = 1000  # rows
# A task list counts the caller's tasks exactly up to this many; beyond it X-Total-Count is left
# out (as GitLab does above 10,000) unless the caller asks for ?count=exact: an exact count reads
# every entry of the visibility index (~7 ms per 100,000 on SQLite), paging needs none of them.
TASK_COUNT_CAP = 1000
MAX_UPLOAD_BYTES = 16 * 1024 * 1024  # whole request
MAX_MODEL_BYTES = 5 * 1024 * 1024  # one .bpmn/.dmn file
LOCK_RETRIES = 20  # optimistic-lock retries before a change gives up
DEFAULT_LIVE_INSTANCES = 64  # workflows a process keeps in memory for their next change (server/live.py)


def instance_dir() -> Path:
    """Where Baton keeps its local state (SQLite, secret key, embedded Redis): BATON_INSTANCE_DIR."""
    return Path(os.environ.get("BATON_INSTANCE_DIR") or ROOT / "instance").resolve()


def _secret_key(folder: Path) -> str:
    """SECRET_KEY from the environment, else generated once into the instance folder."""
    if os.environ.get("SECRET_KEY"):
        return os.environ["SECRET_KEY"]
    path = folder / "secret_key"
    if path.exists():
        return path.read_text().strip()
    folder.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(key)
    return key


def from_environment(overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """The app's config: DATABASE_URL, REDIS_URL, SECRET_KEY, BATON_BASE_URL, then overrides."""
    overrides = overrides or {}
    folder = Path(overrides.get("INSTANCE_DIR") or instance_dir())
    folder.mkdir(parents=True, exist_ok=True)
    database_url = os.environ.get("DATABASE_URL") or f"sqlite:///{folder / 'baton.sqlite3'}"
    if database_url.startswith("postgres://"):
        database_url = "postgresql://" + database_url[len("postgres://") :]
    if database_url.startswith("postgresql://"):
        database_url = "postgresql+psycopg://" + database_url[len("postgresql://") :]
    config: dict[str, Any] = {
        "INSTANCE_DIR": str(folder),
        "SQLALCHEMY_DATABASE_URI": database_url,
        "REDIS_URL": os.environ.get("REDIS_URL") or None,
        "SECRET_KEY": overrides.get("SECRET_KEY") or _secret_key(folder),
        "BATON_BASE_URL": (os.environ.get("BATON_BASE_URL") or "").rstrip("/") or None,
        "SMTP_URL": os.environ.get("SMTP_URL") or None,
        "MAIL_FROM": os.environ.get("MAIL_FROM") or "Baton <baton@localhost>",
        "BATON_STEP_BUDGET": int(os.environ.get("BATON_STEP_BUDGET") or DEFAULT_STEP_BUDGET),
        "BATON_LIVE_INSTANCES": int(os.environ.get("BATON_LIVE_INSTANCES") or DEFAULT_LIVE_INSTANCES),
        "MAX_CONTENT_LENGTH": MAX_UPLOAD_BYTES,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "WTF_CSRF_TIME_LIMIT": None,
    }
    config.update(overrides)
    if "DATABASE_URL" in overrides:
        config["SQLALCHEMY_DATABASE_URI"] = overrides["DATABASE_URL"]
    return config
