"""Read a map written as plain text or Markdown: numbered steps, nested inputs, parallel sections."""

from __future__ import annotations

import re
import string
from dataclasses import dataclass

from .columns import column_kind
from .errors import MapProblem
from .inputs import is_type_spec, looks_like_input, parse_input
from .model import Block, InputType, Parallel, Step, group_lettered
from .steps import apply, clean, step_from_text
from .tables import steps_from_rows

_HEADING = re.compile(r"^\s{0,3}(?:#{1,6}(?:\s|$)|[=\-*_]{3,}\s*$)")
_NUMBERED = re.compile(
    r"^(?P<indent>\s*)(?:\*\*)?(?:step\s+)?(?P<num>\d{1,3})(?P<letter>[a-z])?(?:\*\*)?"
    r"(?:[.):]|\s+[-\u2013\u2014])(?:\*\*)?\s+(?P<text>\S.*)$",
    re.IGNORECASE,
)
_BULLET = re.compile(r"^(?P<indent>\s*)[-*+•▪◦‣]\s+(?:\[[ xX]\]\s+)?(?P<text>\S.*)$")
_PARALLEL = re.compile(
    r"\b(?:in\s+parallel|at\s+the\s+same\s+time|simultaneously|concurrently|parallel)\b", re.IGNORECASE
)
_KEY_VALUE = re.compile(r"^(?P<key>[A-Za-z][\w /#&-]{0,30}?)\s*:\s*(?P<value>.*)$")
_ROUTING = re.compile(
    r"^(?:if|when|otherwise|else|then|go(?:es)?\s+to|back\s+to|->|→|=>)\b|->|→|=>", re.IGNORECASE
)


def is_parallel_header(text: str) -> bool:
    text = clean(text)
    return bool(_PARALLEL.search(text)) and (text.endswith(":") or len(text.split()) <= 4)


@dataclass
class _Open:
    """The step that nested lines belong to, and where an `Inputs:` list under it started."""

    step: Step
    indent: int
    inputs_indent: int | None = None
    inputs_type: InputType = "string"


class _Reader:
    def __init__(self, problems: list[MapProblem], numbered: bool) -> None:
        self.problems = problems
        self.numbered = numbered
        self.blocks: list[Block] = []
        self.documentation: list[str] = []
        self.open: _Open | None = None
        self.parallel: Parallel | None = None
        self.parallel_indent = 0
        self.after_blank = False

    def _next_key(self) -> str:
        numbers = [int(m[1]) for b in self.blocks if (m := re.match(r"(\d+)", b.key))]
        return str(max(numbers, default=0) + 1)

    def _open_parallel(self, key: str | None, indent: int, line: int) -> None:
        self.parallel = Parallel(key=key or self._next_key(), line=line)
        self.parallel_indent = indent
        self.blocks.append(self.parallel)
        self.open = None

    def _branch(self, number: str | None, letter: str | None, text: str, indent: int, line: int) -> None:
        assert self.parallel is not None
        key = (
            f"{number}{letter}"
            if number and letter
            else f"{self.parallel.key}{string.ascii_lowercase[min(len(self.parallel.branches), 25)]}"
        )
        step = step_from_text(key, text, line, self.problems)
        self.parallel.branches.append(step)
        self.open = _Open(step, indent)

    def _step(self, key: str, text: str, indent: int, line: int) -> None:
        self.parallel = None
        step = step_from_text(key, text, line, self.problems)
        self.blocks.append(step)
        self.open = _Open(step, indent)

    def line(self, raw: str, number: int) -> None:
        if not raw.strip():
            self.after_blank = True
            return
        blank_before, self.after_blank = self.after_blank, False
        if _HEADING.match(raw):
            self.open, self.parallel = None, None
            return
        indent = len(raw) - len(raw.lstrip())
        numbered, bullet = _NUMBERED.match(raw), _BULLET.match(raw)
        if numbered:
            self._numbered(numbered, indent, number)
        elif bullet:
            self._bullet(bullet["text"], indent, number)
        else:
            self._prose(raw.strip(), indent, number, blank_before)

    def _numbered(self, match: re.Match[str], indent: int, line: int) -> None:
        text = match["text"]
        if (
            self.open
            and self.open.inputs_indent is not None
            and indent > self.open.inputs_indent
            and not is_parallel_header(text)
        ):
            self._attribute(self.open, text, indent, line)
        elif is_parallel_header(text) and (self.parallel is None or indent <= self.parallel_indent):
            self._open_parallel(match["num"], indent, line)
        elif (
            self.parallel is not None
            and indent > self.parallel_indent
            and (
                self.open is None
                or self.open.step not in self.parallel.branches
                or indent <= self.open.indent
            )
        ):
            self._branch(match["num"], match["letter"], text, indent, line)
        elif self.open and indent > self.open.indent:
            self._attribute(self.open, text, indent, line)
        else:
            self._step(match["num"] + (match["letter"] or "").lower(), text, indent, line)

    def _bullet(self, text: str, indent: int, line: int) -> None:
        if is_parallel_header(text) and (self.open is None or indent <= self.open.indent):
            self._open_parallel(None, indent, line)
        elif (
            self.parallel is not None
            and indent >= self.parallel_indent
            and (
                self.open is None
                or self.open.step not in self.parallel.branches
                or indent <= self.open.indent
            )
        ):
            self._branch(None, None, text, indent, line)
        elif self.open and indent > self.open.indent:
            self._attribute(self.open, text, indent, line)
        elif not self.numbered and (self.open is None or indent <= self.open.indent):
            self._step(self._next_key(), text, indent, line)
        elif self.open:
            self._attribute(self.open, text, indent, line)
        elif self.blocks:
            self._unclear(text, line)
        else:
            self.documentation.append(clean(text))

    def _prose(self, text: str, indent: int, line: int, blank_before: bool) -> None:
        if is_parallel_header(text) and (self.open is None or indent <= self.open.indent):
            self._open_parallel(None, indent, line)
            return
        if self.open and (indent > self.open.indent or not blank_before):
            self.open.step.notes.append(clean(text))
            return
        self.open = None
        if self.parallel is not None and indent <= self.parallel_indent:
            self.parallel = None
        if re.match(r"(?:step\s*)?\d{1,3}[a-z]?\s+\S", text, re.IGNORECASE) and not re.match(r"\d{4}", text):
            self._unclear(text, line)  # "4 Finance approval": a step without its full stop?
        elif not self.blocks:
            self.documentation.append(clean(text))

    def _unclear(self, text: str, line: int) -> None:
        self.problems.append(
            MapProblem(
                line,
                f"'{clean(text)[:60]}' is not read as a step, nor as part of one; ignored",
                "number each step (`4. Name (Owner, 2 days)`) and indent its inputs under it",
            )
        )

    def _attribute(self, open_: _Open, text: str, indent: int, line: int) -> None:
        """A line nested under a step: an input, a `key: value`, a route, or a note."""
        step, text = open_.step, clean(text)
        if open_.inputs_indent is not None and indent > open_.inputs_indent:
            field = parse_input(text, line, self.problems, open_.inputs_type)
            if field is not None:
                step.inputs.append(field)
            return
        open_.inputs_indent = None
        key_value = _KEY_VALUE.match(text)
        kind = column_kind(key_value["key"]) if key_value else None
        if key_value and kind in ("inputs", "documents") and not key_value["value"].strip():
            open_.inputs_indent, open_.inputs_type = indent, ("document" if kind == "documents" else "string")
        elif key_value and kind is not None and kind not in ("step", "key"):
            apply(step, kind, key_value["value"], line, self.problems)
        elif _ROUTING.search(text):
            apply(step, "next", text, line, self.problems, routing_column=False)
        elif looks_like_input(text) or (key_value and is_type_spec(key_value["value"])):
            field = parse_input(text, line, self.problems)
            if field is not None:
                step.inputs.append(field)
        else:
            step.notes.append(text)
            self.problems.append(
                MapProblem(
                    line,
                    f"'{text[:60]}' is read as a note on step {step.key}, not as an input",
                    "if it is an input, write it as `- name (type)`, e.g. `- signed contract (document)`",
                )
            )


def read_text(text: str, problems: list[MapProblem]) -> tuple[list[Block], str]:
    """The blocks of a text or Markdown map, and the prose before its first step (documentation)."""
    lines = text.expandtabs(4).splitlines()
    numbered = any(_NUMBERED.match(raw) for raw in lines)
    reader = _Reader(problems, numbered)
    table: list[tuple[int, list[str]]] = []
    for number, raw in enumerate(lines, start=1):
        if raw.strip().startswith("|"):
            cells = [clean(cell) for cell in raw.strip().strip("|").split("|")]
            if not all(re.fullmatch(r":?-{2,}:?", cell.strip()) for cell in cells):
                table.append((number, cells))
            continue
        if table:
            reader.blocks.extend(steps_from_rows(table, problems))
            table = []
        reader.line(raw, number)
    if table:
        reader.blocks.extend(steps_from_rows(table, problems))
    return group_lettered(reader.blocks), "\n".join(reader.documentation)
