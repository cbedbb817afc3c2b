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


def test_nothing_a_model_points_at_is_fetched() -> None:
    """No network: a schema location, an XInclude and an import that name a (real, local) HTTP
    server make it receive no request, and the model still deploys."""
    import http.server
    import threading

    asked: list[str] = []

    class Recorder(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            asked.append(self.path)
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"<x/>")

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    model = f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xi="http://www.w3.org/2001/XInclude"
    xsi:schemaLocation="http://www.omg.org/spec/BPMN/20100524/MODEL {base}/BPMN20.xsd"
    id="Defs_net" targetNamespace="http://baton.test/net">
  <bpmn:import importType="http://www.w3.org/2001/XMLSchema" location="{base}/types.xsd"
      namespace="http://baton.test/types"/>
  <bpmn:process id="net" isExecutable="true">
    <bpmn:documentation><xi:include href="{base}/doc.xml" parse="text"/></bpmn:documentation>
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:endEvent id="end"><bpmn:incoming>f1</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="end"/>
  </bpmn:process>
</bpmn:definitions>""".encode()
    try:
        bundle = parse_bundle({"net.bpmn": model})
    finally:
        server.shutdown()
        server.server_close()
    assert [p.id for p in bundle.processes] == ["net"]
    assert asked == []
