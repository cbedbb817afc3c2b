"""The built front-end bundles (static/dist, made by `make install` with Node.js) as seen by templates."""

from __future__ import annotations

from pathlib import Path

from flask import current_app

from server.web import web


@web.app_template_global()
def frontend_built(entry: str) -> bool:
    """Whether static/dist/<entry>.js exists (a Python-only install has none, and pages say so)."""
    folder = current_app.static_folder
    return folder is not None and (Path(folder) / "dist" / f"{entry}.js").is_file()
