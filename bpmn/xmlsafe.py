"""Hardened XML loading: no DTDs or entities, no network, a size limit, source lines kept."""

from __future__ import annotations

import codecs
import re
from typing import Any

from lxml import etree

from .errors import ModelInvalid, Problem

MAX_BYTES = 5 * 1024 * 1024
"""Default size limit of one uploaded file, in bytes (5 MiB)."""

_DECLARATION = re.compile(rb"<!(DOCTYPE|ENTITY)", re.IGNORECASE)


def _parser() -> etree.XMLParser:
    # A fresh parser per call: lxml parsers are not thread-safe.
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=False,
    )


def _as_utf8(data: bytes) -> bytes:
    """Bytes in which a declaration can be searched for, whatever the file's encoding."""
    for bom, name in ((codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16")):
        if data.startswith(bom):
            return data.decode(name, errors="replace").encode("utf-8")
    if data[:4] in (b"<\x00?\x00", b"\x00<\x00?"):
        return data.decode("utf-16-le" if data[0] == 0x3C else "utf-16-be", errors="replace").encode()
    return data


def load_xml(file: str, data: bytes, *, max_bytes: int = MAX_BYTES) -> etree._Element:
    """Parse one uploaded file into an lxml element tree, or raise ModelInvalid naming file and line.

    A DOCTYPE or ENTITY declaration is rejected outright (entity expansion and external entities
    are the classic XML attacks, and BPMN never needs them); lxml keeps `sourceline` on every element.
    """
    if len(data) > max_bytes:
        raise ModelInvalid([Problem(file, None, None,
                                    f"the file is {len(data):,} bytes; the limit is {max_bytes:,} bytes")])
    if not data.strip():
        raise ModelInvalid([Problem(file, None, None, "the file is empty")])
    text = _as_utf8(data)
    match = _DECLARATION.search(text)
    if match is not None:
        line = text.count(b"\n", 0, match.start()) + 1
        kind = match.group(1).decode().upper()
        raise ModelInvalid([Problem(file, line, None,
                                    f"the file contains a <!{kind}> declaration; Baton does not accept "
                                    "DTDs or entity declarations in models")])
    try:
        root = etree.fromstring(data, parser=_parser())
    except etree.XMLSyntaxError as exc:
        where = exc.lineno if exc.lineno else None
        message = exc.msg if getattr(exc, "msg", None) else str(exc)
        problem = Problem(file, where, None, f"the file is not well-formed XML: {message}")
        raise ModelInvalid([problem]) from None
    docinfo: Any = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None:
        raise ModelInvalid([Problem(file, 1, None, "the file contains a DOCTYPE declaration; Baton does not "
                                    "accept DTDs in models")])
    return root


def local_name(element: etree._Element) -> str:
    """The tag without its namespace ('userTask' for '{...MODEL}userTask'); '' for comments and PIs."""
    tag = element.tag
    if not isinstance(tag, str):
        return ""
    return tag.rsplit("}", 1)[-1]


def line(element: etree._Element | None) -> int | None:
    """The source line of an element (lxml keeps it; its stubs do not say so)."""
    value = getattr(element, "sourceline", None)
    return value if isinstance(value, int) else None


def elements(node: etree._Element, path: str, namespaces: dict[str, str],
             **variables: str) -> list[etree._Element]:
    """The elements an XPath expression selects (anything else it returns is dropped)."""
    evaluate: Any = node.xpath
    found = evaluate(path, namespaces=namespaces, **variables)
    return [item for item in found if isinstance(item, etree._Element)] if isinstance(found, list) else []
