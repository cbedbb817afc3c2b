"""Server-rendered pages: usable without JavaScript, reachable from the navigation bar."""

from __future__ import annotations

from flask import Blueprint

web = Blueprint("web", __name__)

# The page modules register their routes on `web` when imported.
import server.web.assets  # noqa: E402
import server.web.audit  # noqa: E402
import server.web.case_links  # noqa: E402
import server.web.catalog  # noqa: E402
import server.web.deploy  # noqa: E402
import server.web.groups  # noqa: E402
import server.web.heatmap  # noqa: E402
import server.web.incidents  # noqa: E402
import server.web.instances  # noqa: E402
import server.web.layout  # noqa: E402
import server.web.maps  # noqa: E402
import server.web.migration  # noqa: E402
import server.web.modeller  # noqa: E402
import server.web.notifications  # noqa: E402
import server.web.ownership  # noqa: E402
import server.web.portal  # noqa: E402
import server.web.session  # noqa: E402
import server.web.sla  # noqa: E402
import server.web.tasks  # noqa: E402
import server.web.tokens  # noqa: E402
import server.web.users  # noqa: E402
import server.web.work  # noqa: E402,F401
