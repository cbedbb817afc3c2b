"""FEEL for Camunda DMN cells: unary tests (`< 10`, `[1..5[`, `"a","b"`, `not(...)`, `-`) and expressions.

The subset (grammar in feel.lark): number, string ("..."), true/false/null literals; names and
paths (`invoice.amount`); `+ - * / **`; `= != < <= > >=`; `and`, `or`, `between`, `if then else`;
`?` (the input value, in input entries); functions date, time, date and time, duration, now, today,
string, number, abs, floor, ceiling, decimal, min, max, sum, count, upper, lower. Unary tests are
`-` (any), comparisons, ranges with open or closed ends, comma lists of them, `not(...)`, and any
expression (equal to the input; a condition using `?` or `cellInput` must be true).
Names are identifiers: FEEL names with spaces are not supported. A name no variable holds is an
error, not null (as in Camunda). Numbers are int or float; a condition on null or on values of
different kinds does not match.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from lark import Lark, Token, Tree
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from . import feel_values as values
from .errors import CellSyntaxError, FeelFailure


class Context:
    """What a cell sees: the variables and, in an input entry, the input value (`?`, `cellInput`)."""

    __slots__ = ("input", "input_name", "variables")

    def __init__(self, variables: Mapping[str, Any], input: Any = None,
                 input_name: str = "cellInput") -> None:
        self.variables = variables
        self.input = input
        self.input_name = input_name


Node = Callable[[Context], Any]
Test = Callable[[Context], bool]

_PARSER = Lark(Path(__file__).with_name("feel.lark").read_text(encoding="utf-8"), parser="lalr",
               start=["tests", "expression"], propagate_positions=True)
_PYTHON_CONSTANTS = {"True": "true", "False": "false", "None": "null"}  # a sign of Python cells, not names
_ESCAPES = re.compile(r"\\(.)")
_ESCAPED = {"n": "\n", "t": "\t", "r": "\r"}


@functools.lru_cache(maxsize=4096)
def compile_tests(text: str) -> Test:
    """An input entry (simple unary tests) as a function of the context; CellSyntaxError if bad."""
    if not text.strip():
        return lambda ctx: True  # an empty cell matches anything, like "-"
    return _Builder(text, tests=True).tests(_parse(text, "tests"))


@functools.lru_cache(maxsize=4096)
def compile_expression(text: str) -> Node:
    """An input expression or output entry as a function of the context."""
    return _Builder(text, tests=False).node(_parse(text, "expression"))


def _parse(text: str, start: str) -> Tree[Token]:
    try:
        return _PARSER.parse(text, start=start)
    except UnexpectedInput as error:
        raise CellSyntaxError(text, _syntax_message(error, text)) from None


def _syntax_message(error: UnexpectedInput, text: str) -> str:
    index = error.pos_in_stream or 0
    at_end = isinstance(error, UnexpectedToken) and error.token.type == "$END"
    if isinstance(error, UnexpectedEOF) or at_end:
        return "FEEL: the cell ends too early"
    if isinstance(error, UnexpectedCharacters):
        char = text[index]
        hint = " (FEEL strings use double quotes)" if char == "'" else ""
        return f"FEEL: unexpected character {char!r} at position {index + 1}{hint}"
    token = error.token if isinstance(error, UnexpectedToken) else "?"
    return f"FEEL: unexpected {str(token)!r} at position {index + 1}"


def _uses_input(tree: Tree[Token] | Token) -> bool:
    if isinstance(tree, Token):
        return False
    return tree.data == "input" or any(_uses_input(kid) for kid in tree.children)


class _Builder:
    """Turns a parse tree into nested closures: parsed once per cell text, evaluated many times."""

    def __init__(self, text: str, *, tests: bool) -> None:
        self.text = text
        self.in_tests = tests

    def fail(self, message: str) -> CellSyntaxError:
        return CellSyntaxError(self.text, f"FEEL: {message}")

    def tests(self, tree: Tree[Token]) -> Test:
        if tree.data == "any":
            return lambda ctx: True
        if tree.data == "negated":
            inner = self.tests(_tree(tree.children[0]))
            return lambda ctx: not inner(ctx)
        parts = [self.test(_tree(kid)) for kid in tree.children]
        if len(parts) == 1:
            return parts[0]
        return lambda ctx: any(part(ctx) for part in parts)

    def test(self, tree: Tree[Token]) -> Test:
        if tree.data == "interval":
            return self.interval(tree)
        if tree.data == "compare_test":
            operator, endpoint = str(_first_token(tree.children[0])), self.node(tree.children[1])
            return lambda ctx: values.compare(operator, ctx.input, endpoint(ctx)) is True
        expression = self.node(_tree(tree.children[0]))
        if _uses_input(tree):
            return lambda ctx: expression(ctx) is True

        def equal(ctx: Context) -> bool:
            value = expression(ctx)
            if isinstance(value, bool) and not isinstance(ctx.input, bool):
                return value  # a condition such as `cellInput > 2` (as Camunda's FEEL engine reads it)
            if isinstance(value, (list, tuple)):
                return any(values.equals(ctx.input, item) for item in value)
            return values.equals(ctx.input, value)

        return equal

    def interval(self, tree: Tree[Token]) -> Test:
        opening, low_tree, _, high_tree, closing = tree.children
        low, high = self.node(low_tree), self.node(high_tree)
        low_op = ">=" if str(opening) == "[" else ">"
        high_op = "<=" if str(closing) == "]" else "<"

        def within(ctx: Context) -> bool:
            return (values.compare(low_op, ctx.input, low(ctx)) is True
                    and values.compare(high_op, ctx.input, high(ctx)) is True)

        return within

    def node(self, tree: Tree[Token] | Token) -> Node:
        node = _tree(tree)
        kind, kids = node.data, node.children
        if kind == "number":
            literal = str(kids[0])
            number: int | float = float(literal) if "." in literal else int(literal)
            return lambda ctx: number
        if kind == "string":
            text = _ESCAPES.sub(lambda m: _ESCAPED.get(m.group(1), m.group(1)), str(kids[0])[1:-1])
            return lambda ctx: text
        if kind in ("true", "false", "null"):
            constant = {"true": True, "false": False, "null": None}[kind]
            return lambda ctx: constant
        if kind == "input":
            if not self.in_tests:
                raise self.fail("'?' (the input value) can only be used in input entries")
            return lambda ctx: ctx.input
        if kind == "variable":
            name = str(kids[0])
            if name in _PYTHON_CONSTANTS:
                raise self.fail(f"{name} is Python; FEEL writes {_PYTHON_CONSTANTS[name]}")
            return _variable(name)
        if kind == "path":
            base, name = self.node(kids[0]), str(kids[1])
            return lambda ctx: _member(base(ctx), name)
        if kind == "call":
            return self.call(node)
        if kind == "negate":
            operand = self.node(kids[0])
            return lambda ctx: values.negate(operand(ctx))
        if kind == "if_":
            test, then, other = (self.node(kid) for kid in kids)
            return lambda ctx: then(ctx) if values.truth(test(ctx)) is True else other(ctx)
        if kind in ("and_", "or_"):
            return _logic(kind, self.node(kids[0]), self.node(kids[1]))
        if kind == "between":
            subject, low, high = (self.node(kid) for kid in kids)
            return lambda ctx: _between(subject(ctx), low(ctx), high(ctx))
        if kind in ("compare", "arith"):
            left, right = self.node(kids[0]), self.node(kids[2])
            operator = str(_first_token(kids[1]))
            if kind == "compare":
                return lambda ctx: values.compare(operator, left(ctx), right(ctx))
            return lambda ctx: values.arithmetic(operator, left(ctx), right(ctx))
        raise self.fail(f"unsupported expression part {kind!r}")  # pragma: no cover

    def call(self, tree: Tree[Token]) -> Node:
        name = " ".join(str(_first_token(tree.children[0])).split())
        args = [self.node(kid) for kid in tree.children[1:] if kid is not None]
        if name not in values.FUNCTIONS:
            known = ", ".join(sorted(values.FUNCTIONS))
            raise self.fail(f"unknown function {name}() (Baton knows {known})")
        _, least, most = values.FUNCTIONS[name]
        if len(args) < least or (most >= 0 and len(args) > most):
            upper = "" if most == least else "+" if most < 0 else f"-{most}"
            raise self.fail(f"{name}() takes {least}{upper} argument(s), not {len(args)}")
        return lambda ctx: values.call(name, [arg(ctx) for arg in args])


def _tree(node: Tree[Token] | Token | None) -> Tree[Token]:
    assert isinstance(node, Tree)
    return node


def _first_token(node: Tree[Token] | Token | None) -> Token:
    if isinstance(node, Tree):
        return _first_token(node.children[0])
    assert isinstance(node, Token)
    return node


def _variable(name: str) -> Node:
    def lookup(ctx: Context) -> Any:
        if name in ctx.variables:
            return ctx.variables[name]
        if name == ctx.input_name:
            return ctx.input
        raise FeelFailure(f"no variable '{name}' is set")

    return lookup


def _member(base: Any, name: str) -> Any:
    if base is None:
        return None
    if isinstance(base, Mapping):
        return base.get(name)
    raise FeelFailure(f"{base!r} has no member '{name}'")


def _logic(kind: str, left: Node, right: Node) -> Node:
    def run(ctx: Context) -> bool | None:
        a, b = values.truth(left(ctx)), values.truth(right(ctx))
        decisive = kind == "or_"  # true decides an `or`, false an `and`
        if a is decisive or b is decisive:
            return decisive
        return None if a is None or b is None else not decisive

    return run


def _between(subject: Any, low: Any, high: Any) -> bool | None:
    above, below = values.compare(">=", subject, low), values.compare("<=", subject, high)
    if above is None or below is None:
        return None
    return above and below
