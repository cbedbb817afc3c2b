"""Camunda's expressions: the JUEL subset modellers write in `${...}`, parsed by lark and evaluated.

Method and function calls are refused, except the built-ins juel_builtins.py documents
(`dateTime().plusWeeks(1).toDate()`, `now()`, `execution.getVariable('x')`).
"""

from __future__ import annotations

import difflib
import functools
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from lark import Lark, Token, Tree
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from bpmn import juel_builtins
from bpmn.errors import ExpressionError
from bpmn.juel_values import (
    JuelFailure,
    arithmetic,
    equals,
    is_empty,
    negate,
    order,
    property_of,
    to_boolean,
    to_text,
)

Evaluator = Callable[[Mapping[str, Any]], Any]

_PARSER = Lark(
    Path(__file__).with_name("juel.lark").read_text(encoding="utf-8"), parser="lalr", propagate_positions=True
)
_ESCAPE = re.compile(r"\\(.)")


def is_juel(text: str) -> bool:
    """True when `text` holds a `${...}` or `#{...}` expression (Camunda), False for plain Python."""
    return isinstance(text, str) and ("${" in text or "#{" in text)


def evaluate(expression: str, data: Mapping[str, Any]) -> Any:
    """Evaluate `expression` ("${a > 1}", or text with embedded parts, "Hello ${name}") over `data`."""
    return compile(expression)(data)


def compile(expression: str) -> Evaluator:  # the module's verb, like re.compile
    """Parse once (cached) into a function of the variables; raises ExpressionError on a syntax error."""
    return _compile(expression)


@functools.lru_cache(maxsize=1024)
def _compile(expression: str) -> Evaluator:
    pieces: list[Evaluator | str] = []
    for text, offset, is_expression in _split(expression):
        pieces.append(_parse(expression, text, offset) if is_expression else text)

    def run(data: Mapping[str, Any]) -> Any:
        try:
            if len(pieces) == 1 and not isinstance(pieces[0], str):
                return pieces[0](data)  # a lone ${...} keeps its type
            return "".join(p if isinstance(p, str) else to_text(p(data)) for p in pieces)
        except JuelFailure as failure:
            raise ExpressionError(expression, str(failure)) from None
        except (TypeError, ValueError, ArithmeticError) as error:
            raise ExpressionError(expression, f"{type(error).__name__}: {error}") from None

    return run


def _split(expression: str) -> list[tuple[str, int, bool]]:
    """Cut text into literal parts and `${...}` parts (with their offsets), honouring quotes inside."""
    parts: list[tuple[str, int, bool]] = []
    literal: list[str] = []
    i = 0
    while i < len(expression):
        char = expression[i]
        if char == "\\" and expression.startswith(("${", "#{"), i + 1):
            literal.append(expression[i + 1 : i + 3])
            i += 3
            continue
        if char in "$#" and expression.startswith("{", i + 1):
            end = _closing_brace(expression, i + 2)
            if end < 0:
                raise ExpressionError(expression, f"'{char}{{' at position {i + 1} is never closed with '}}'")
            if literal:
                parts.append(("".join(literal), 0, False))
                literal = []
            parts.append((expression[i + 2 : end], i + 2, True))
            i = end + 1
            continue
        literal.append(char)
        i += 1
    if literal or not parts:
        parts.append(("".join(literal), 0, False))
    return parts


def _closing_brace(text: str, start: int) -> int:
    quote = ""
    depth = 0
    i = start
    while i < len(text):
        char = text[i]
        if quote:
            if char == "\\":
                i += 1
            elif char == quote:
                quote = ""
        elif char in "'\"":
            quote = char
        elif char == "{":
            depth += 1
        elif char == "}":
            if depth == 0:
                return i
            depth -= 1
        i += 1
    return -1


def _parse(expression: str, text: str, offset: int) -> Evaluator:
    if not text.strip():
        raise ExpressionError(expression, f"empty expression at position {offset - 1}")
    try:
        tree = _PARSER.parse(text)
    except UnexpectedInput as error:
        raise ExpressionError(expression, _syntax_message(error, text, offset)) from None
    try:
        return _build(tree, offset)
    except JuelFailure as failure:
        raise ExpressionError(expression, str(failure)) from None


def _syntax_message(error: UnexpectedInput, text: str, offset: int) -> str:
    index = error.pos_in_stream or 0
    position = offset + index + 1
    at_end = isinstance(error, UnexpectedToken) and error.token.type == "$END"
    if isinstance(error, UnexpectedEOF) or at_end:
        return f"the expression ends too early (after {text.strip()!r})"
    if isinstance(error, UnexpectedCharacters):
        return f"unexpected character {text[index]!r} at position {position}"
    token = error.token if isinstance(error, UnexpectedToken) else "?"
    return f"unexpected {str(token)!r} at position {position}"


def _build(node: Tree[Token] | Token, offset: int) -> Evaluator:
    """Turn a parse tree into nested closures: parsed once, evaluated many times."""
    if isinstance(node, Token):  # pragma: no cover - every token is wrapped by an aliased rule
        raise JuelFailure(f"unexpected {node!s}")
    kind, kids = node.data, node.children
    if kind == "number":
        literal = str(kids[0])
        number: int | float = float(literal) if any(c in literal for c in ".eE") else int(literal)
        return lambda data: number
    if kind == "string":
        value = _ESCAPE.sub(r"\1", str(kids[0])[1:-1])
        return lambda data: value
    if kind in ("true", "false", "null"):
        constant = {"true": True, "false": False, "null": None}[kind]
        return lambda data: constant
    if kind == "variable":
        return _variable(str(kids[0]))
    if kind == "attribute":
        base, name = _build(kids[0], offset), str(kids[1])
        if name.startswith("_"):
            raise JuelFailure(f"property names starting with '_' are not allowed ({name!r})")
        return lambda data: property_of(base(data), name)
    if kind == "item":
        base, key = _build(kids[0], offset), _build(kids[1], offset)
        return lambda data: property_of(base(data), key(data))
    if kind == "call":
        built_in = _built_in(node, offset)
        if built_in is None:
            raise JuelFailure(_call_message(node, offset))
        return built_in
    if kind == "choice":
        test, then, other = (_build(k, offset) for k in kids)
        return lambda data: then(data) if to_boolean(test(data)) else other(data)
    if kind == "or_":
        left, right = _build(kids[0], offset), _build(kids[1], offset)
        return lambda data: to_boolean(left(data)) or to_boolean(right(data))
    if kind == "and_":
        left, right = _build(kids[0], offset), _build(kids[1], offset)
        return lambda data: to_boolean(left(data)) and to_boolean(right(data))
    if kind in ("compare", "arith"):
        left, right = _build(kids[0], offset), _build(kids[2], offset)
        operator = str(_token(kids[1]))
        if kind == "arith":
            return lambda data: arithmetic(operator, left(data), right(data))
        if operator in ("==", "eq", "!=", "ne"):
            negated = operator in ("!=", "ne")
            return lambda data: equals(left(data), right(data)) != negated
        return lambda data: order(operator, left(data), right(data))
    operand = _build(kids[0], offset)
    if kind == "negate":
        return lambda data: negate(operand(data))
    if kind == "not_":
        return lambda data: not to_boolean(operand(data))
    if kind == "empty":
        return lambda data: is_empty(operand(data))
    raise JuelFailure(f"unsupported expression part {kind!r}")  # pragma: no cover


def _token(node: Tree[Token] | Token) -> Token:
    if isinstance(node, Tree):
        first = node.children[0]
        assert isinstance(first, Token)
        return first
    return node


def _built_in(node: Tree[Token], offset: int) -> Evaluator | None:
    """A call Baton serves (dateTime(), now(), execution.getVariable(...)), or None; see juel_builtins."""
    callee = node.children[0]
    args = [_build(arg, offset) for arg in node.children[1:] if arg is not None]
    if isinstance(callee, Tree) and callee.data == "variable":
        return juel_builtins.function(str(callee.children[0]), args)
    if isinstance(callee, Tree) and callee.data == "attribute":
        base_tree, name = callee.children
        on_name = isinstance(base_tree, Tree) and base_tree.data == "variable"
        base_name = str(base_tree.children[0]) if isinstance(base_tree, Tree) and on_name else None
        if base_name == "execution":
            return juel_builtins.method(base_name, str(name), lambda data: None, args)
        return juel_builtins.method(base_name, str(name), _build(base_tree, offset), args)
    return None


def _call_message(node: Tree[Token], offset: int) -> str:
    innermost = node
    child: Tree[Token] | Token = node
    while isinstance(child, Tree) and child.children:  # a.b(1).c() names a.b() first: it runs first
        if child.data == "call" and (child is node or _built_in(child, offset) is None):
            innermost = child
        child = child.children[0]
    callee = innermost.children[0]
    name = "a method"
    if isinstance(callee, Tree) and callee.data in ("variable", "attribute"):
        name = f"{callee.children[-1]!s}()"
    column = getattr(innermost.meta, "column", None)
    where = f" (at position {offset + column})" if column else ""
    return (
        f"method calls such as {name} are not supported in expressions{where}; "
        "compute the value in a script task, or use a variable"
    )


def _variable(name: str) -> Evaluator:
    def lookup(data: Mapping[str, Any]) -> Any:
        try:
            return data[name]
        except KeyError:
            raise JuelFailure(_unknown(name, data)) from None

    return lookup


def _unknown(name: str, data: Mapping[str, Any]) -> str:
    known = sorted(str(k) for k in data if not str(k).startswith("_"))
    close = difflib.get_close_matches(name, known, n=3)
    hint = f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
    return f"unknown variable {name!r}{hint} (variables available: {', '.join(known[:20]) or 'none'})"
