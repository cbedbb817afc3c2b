"""Hardened XML: declarations, syntax errors and the size limit become problems with file and line."""

from __future__ import annotations

import pytest

from bpmn import ModelInvalid, parse_bundle
from tests.bpmn.helpers import fixture_files

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
]>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL">&lol2;</definitions>
"""

EXTERNAL_ENTITY = b"""<?xml version="1.0"?>

<!ENTITY xxe SYSTEM "file:///etc/passwd">
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL">&xxe;</definitions>
"""


def problems_of(files: dict[str, bytes], **kwargs: int) -> list[tuple[str, int | None, str | None, str]]:
    with pytest.raises(ModelInvalid) as caught:
        parse_bundle(files, **kwargs)
    return [(p.file, p.line, p.element_id, p.message) for p in caught.value.problems]


def test_doctype_is_rejected_with_file_and_line() -> None:
    [(file, line, _, message)] = problems_of({"lolz.bpmn": BILLION_LAUGHS})
    assert (file, line) == ("lolz.bpmn", 2)
    assert "DOCTYPE" in message


def test_entity_declaration_is_rejected_with_its_line() -> None:
    [(file, line, _, message)] = problems_of({"xxe.bpmn": EXTERNAL_ENTITY})
    assert (file, line) == ("xxe.bpmn", 3)
    assert "ENTITY" in message


def test_utf16_file_cannot_hide_a_doctype() -> None:
    [(_, line, _, message)] = problems_of({"wide.bpmn": BILLION_LAUGHS.decode().encode("utf-16")})
    assert line == 2 and "DOCTYPE" in message


def test_syntax_error_names_file_and_line() -> None:
    broken = b'<?xml version="1.0"?>\n<definitions>\n  <process id="p">\n</definitions>\n'
    [(file, line, _, message)] = problems_of({"broken.bpmn": broken})
    assert (file, line) == ("broken.bpmn", 4)
    assert message.startswith("the file is not well-formed XML")


def test_size_limit_per_file() -> None:
    files = fixture_files("ten_user_tasks.bpmn")
    [(file, line, _, message)] = problems_of(files, max_bytes=1000)
    assert (file, line) == ("ten_user_tasks.bpmn", None)
    assert "limit is 1,000 bytes" in message


def test_problems_of_every_file_are_reported_together() -> None:
    files = {"a.bpmn": b"<definitions", "b.bpmn": BILLION_LAUGHS}
    assert [p[0] for p in problems_of(files)] == ["a.bpmn", "b.bpmn"]


def test_a_file_that_is_neither_bpmn_nor_dmn_is_a_problem() -> None:
    [(file, line, _, message)] = problems_of({"pom.xml": b"<project/>"})
    assert (file, line) == ("pom.xml", 1)
    assert "not a BPMN or DMN file" in message
