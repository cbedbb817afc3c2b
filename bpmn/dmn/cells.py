"""Cells in either dialect: FEEL (Camunda) through feel.py, Python (SpiffArena) through the sandbox.

Python cells keep SpiffWorkflow's reading: an input entry that is an expression on its own is
compared with `==` (`"gold"`), one that is not is appended to the input (`< 100`, `in [1, 2]`),
and `?` stands for the input value (`? > 1 and ? < 5`); an empty output entry gives "".
"""

from __future__ import annotations

import ast
import functools
import re
from collections.abc import Callable, Mapping
from typing import Any

from .errors import CellSyntaxError
from .feel import Context, compile_expression, compile_tests
from .model import Dialect

PythonEvaluator = Callable[[str, Mapping[str, Any]], Any]
"""Evaluates a Python expression over variables (the sandbox); raises a BpmnError on failure."""

INPUT_NAME = "dmninputexpr"  # SpiffWorkflow's name for the input value in Python cells
_LITERAL = re.compile(r"""\s*("(?:\\.|[^"\\])*"|'(?:\\.|[^'\\])*'|[^,]+)""")  # one item of a comma list
_QUESTION_MARK = re.compile(r"(\?)(?=(?:[^'\"]|['\"][^'\"]*['\"])*$)")  # a ? outside quotes


def _python_syntax(text: str) -> str | None:
    try:
        ast.parse(text, mode="eval")
    except SyntaxError as error:
        return f"Python: {error.msg}" + (f" at position {error.offset}" if error.offset else "")
    return None


@functools.lru_cache(maxsize=4096)
def _python_test(text: str) -> tuple[str, bool]:
    """The expression to evaluate for a Python input entry, and whether its value is compared with ==."""
    if _QUESTION_MARK.search(text):
        return _QUESTION_MARK.sub(INPUT_NAME, text), False
    if _python_syntax(text) is None:
        return text, True
    return f"{INPUT_NAME} {text}", False


def _is_any(text: str) -> bool:
    return text.strip() in ("", "-")


def check_input_entry(dialect: Dialect, text: str) -> None:
    """Raise CellSyntaxError when an input entry does not parse in the dialect."""
    if dialect == "feel":
        compile_tests(text)
        return
    if _is_any(text):
        return
    expression, _ = _python_test(text.strip())
    message = _python_syntax(expression)
    if message:
        raise CellSyntaxError(text, message)


def check_expression(dialect: Dialect, text: str) -> None:
    """Raise CellSyntaxError when an input expression or output entry does not parse."""
    if dialect == "feel":
        if text.strip():
            compile_expression(text)
        return
    message = _python_syntax(text) if text.strip() else None
    if message:
        raise CellSyntaxError(text, message)


def expression_value(dialect: Dialect, text: str, variables: Mapping[str, Any],
                     python: PythonEvaluator) -> Any:
    """The value of an input expression or output entry; an empty cell is null (FEEL) or "" (Python)."""
    if not text.strip():
        return None if dialect == "feel" else ""
    if dialect == "feel":
        return compile_expression(text)(Context(variables))
    return python(text, variables)


def matches(dialect: Dialect, text: str, value: Any, variables: Mapping[str, Any], python: PythonEvaluator,
            input_name: str = "cellInput") -> bool:
    """Does the input entry `text` accept the input value?"""
    if dialect == "feel":
        return compile_tests(text)(Context(variables, value, input_name))
    if _is_any(text):
        return True
    expression, compare = _python_test(text.strip())
    if compare:
        return bool(value == python(expression, variables))
    return bool(python(expression, {**variables, INPUT_NAME: value}))


def literal_list(dialect: Dialect, text: str) -> tuple[Any, ...]:
    """The literals of an inputValues / outputValues cell (`"a","b"`), in order."""
    parts = [part.strip() for part in _LITERAL.findall(text)]
    found: list[Any] = []
    for part in parts:
        if not part:
            continue
        try:
            if dialect == "feel":
                found.append(compile_expression(part)(Context({})))
            else:
                found.append(ast.literal_eval(part))
        except Exception:  # not a literal: priority by this column cannot use it
            raise CellSyntaxError(text, f"{part!r} is not a literal value") from None
    return tuple(found)
