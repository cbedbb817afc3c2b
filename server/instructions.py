"""A task's instructions for the person doing it (SpiffArena's instructionsForEndUser) as safe HTML.

The engine renders the instructions' Jinja with the task data when the task opens (bpmn.spiff_forms)
and the task row keeps the resulting Markdown; here it becomes HTML. Raw HTML in the Markdown (from
the model or from a data value) is shown as text, and links to javascript: and the like are dropped.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

from markdown_it import MarkdownIt
from markupsafe import Markup

import forms

# "js-default": CommonMark with tables and strikethrough, raw HTML off (escaped), links validated.
_markdown = MarkdownIt("js-default")


@dataclass(frozen=True)
class Instructions:
    """The Markdown a task shows, its HTML, and why the template could not be rendered (if it failed)."""

    markdown: str
    html: Markup
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"instructions": self.markdown, "instructions_html": str(self.html),
                "instructions_error": self.error}


@functools.lru_cache(maxsize=512)
def to_html(markdown: str) -> Markup:
    """Markdown as HTML that is safe to put in a page."""
    return Markup(_markdown.render(markdown))  # markdown-it escapes raw HTML (html=False)


def of_form(form: list[dict[str, Any]] | None) -> Instructions | None:
    """The instructions stored with a task's form, or None when the task has none."""
    record = forms.spiffarena_record(form or [])
    if record is None:
        return None
    markdown = str(record.get("instructions") or "")
    error = record.get("instructions_error")
    if not markdown.strip() and not error:
        return None
    return Instructions(markdown, to_html(markdown) if not error else Markup(""),
                        str(error) if error else None)
