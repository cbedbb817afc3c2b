"""Baton's web application: the factory that wires configuration, database, auth, API and pages."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask

from server import config as config_module
from server.config import ROOT


def create_app(overrides: dict[str, Any] | None = None) -> Flask:
    """Build the app; nothing connects to the database or Redis until it is used."""
    settings = config_module.from_environment(overrides)
    app = Flask(
        __name__,
        instance_path=settings["INSTANCE_DIR"],
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    app.config.update(settings)
    from server.db import db, engine_options
    from server.fastjson import column_text

    app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {})
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {
        "json_serializer": column_text,
        **engine_options(app.config["SQLALCHEMY_DATABASE_URI"]),
        **app.config["SQLALCHEMY_ENGINE_OPTIONS"],
    }
    db.init_app(app)
    from server.fastjson import JSONProvider

    app.json = JSONProvider(app)
    app.json.sort_keys = False  # as written: "id" first (and no sort per answer)

    from server import auth, errorpages

    auth.init_app(app)
    errorpages.init_app(app)

    from server.api import api

    app.register_blueprint(api)
    auth.csrf.exempt(api)

    from server.web import web

    app.register_blueprint(web)

    from server.web import external as external_portal

    external_portal.init_app(app)

    from server import (
        external,  # noqa: F401  (registers the external participants side table)
        message_routing,  # noqa: F401  (registers the route outbox side table and handler)
        messages,  # noqa: F401  (registers the message subscriptions side table)
        services,  # noqa: F401  (registers the service-call side table and retry handler)
        sla,  # noqa: F401  (registers the SLA ladder side table and step handler)
        steps,  # noqa: F401  (registers the engine-steps audit event)
        timer_sync,  # noqa: F401  (registers the timers side table and handlers)
        watchers,  # noqa: F401  (registers the side table that tells a case's watchers)
    )
    from server.cli import init_app as init_cli

    init_cli(app)
    if not app.debug:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("spiff").setLevel(logging.WARNING)  # else a log line per engine task state change
    return app
