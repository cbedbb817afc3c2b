"""Helpers for the engine-layer tests: fixture and corpus files by name, bundles parsed from them."""

from __future__ import annotations

import re
from pathlib import Path

from bpmn import Bundle, parse_bundle

FIXTURES = Path(__file__).parent / "fixtures"
CORPUS = Path(__file__).parent / "corpus"


def fixture_files(*names: str) -> dict[str, bytes]:
    return {name: (FIXTURES / name).read_bytes() for name in names}


def bundle_of(*names: str) -> Bundle:
    return parse_bundle(fixture_files(*names))


def _needs() -> dict[str, list[str]]:
    """The sibling files each main model needs, from MANIFEST.md ("needs (copied): a, b")."""
    needs = {}
    for block in (CORPUS / "MANIFEST.md").read_text().split("## `")[1:]:
        path = block.split("`")[0]
        match = re.search(r"needs \(copied\): (.*)", block)
        needs[path] = [name.strip() for name in match.group(1).split(",")] if match else []
    return needs


NEEDS = _needs()


CORPUS_FORMS = Path(__file__).parent / "corpus_forms"
_FORM_FILE = re.compile(rb'name="form(?:Json|Ui)SchemaFilename" value="([^"]+)"')


def corpus_files(path: str, *, with_forms: bool = True) -> dict[str, bytes]:
    """A corpus model and the files it needs, keyed by file name as an upload would be.

    The JSON Schema forms its SpiffArena tasks name come from tests/bpmn/corpus_forms (see its README).
    """
    main = CORPUS / path
    files = {main.name: main.read_bytes()}
    for name in NEEDS.get(path, []):
        files[name] = (main.parent / name).read_bytes()
    if with_forms:
        for content in list(files.values()):
            for match in _FORM_FILE.finditer(content):
                name = match.group(1).decode()
                files[name] = (CORPUS_FORMS / name).read_bytes()
    return files
