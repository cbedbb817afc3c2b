"""Sandboxed Python for scripts and expressions: RestrictedPython plus a step and wall-clock budget."""

from __future__ import annotations

import ast
import difflib
import functools
import re
import sys
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from time import monotonic
from types import CodeType, FrameType, TracebackType
from typing import Any, Literal

from RestrictedPython.compile import compile_restricted_eval, compile_restricted_exec
from RestrictedPython.transformer import RestrictingNodeTransformer

from bpmn.errors import ScriptError
from bpmn.sandbox_guards import INJECTED_NAMES, sandbox_globals

SCRIPT_FILENAME = "<script>"
_LINE_PREFIX = re.compile(r"^Line (\d+|None): (?:SyntaxError: )?")

TraceFunction = Callable[[FrameType, str, Any], Any]


@dataclass(frozen=True)
class Budget:
    """How much one script or expression may do: executed lines and seconds of wall-clock time."""

    max_steps: int = 1_000_000
    max_seconds: float = 1.0


DEFAULT_BUDGET = Budget()


class _BudgetExceeded(BaseException):
    """Raised from the trace function; a BaseException so that `except Exception:` cannot swallow it."""


_GUARDED_OPERATORS: dict[type[ast.operator], str] = {
    ast.Add: "+", ast.Mult: "*", ast.Pow: "**", ast.LShift: "<<",
}


class _Policy(RestrictingNodeTransformer):
    """RestrictedPython's policy, plus the rules that keep the step budget unescapable."""

    def visit_Import(self, node: ast.Import) -> ast.AST:
        self.error(node, "imports are not allowed in scripts (datetime, date and timedelta are built in)")
        return node

    def visit_ImportFrom(self, node: ast.ImportFrom) -> ast.AST:
        self.error(node, "imports are not allowed in scripts (datetime, date and timedelta are built in)")
        return node

    def visit_Try(self, node: ast.Try) -> Any:
        if node.finalbody:
            self.error(node, "'try ... finally' is not allowed in scripts")
        for handler in node.handlers:
            if handler.type is None:
                self.error(handler, "a bare 'except:' is not allowed in scripts: write 'except Exception:'")
        return super().visit_Try(node)

    def visit_While(self, node: ast.While) -> Any:
        # CPython emits no line event for a one-line loop that jumps onto itself: reject those here
        idle = all(
            isinstance(s, (ast.Pass, ast.Continue))
            or (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant))
            for s in node.body
        )
        if idle and isinstance(node.test, ast.Constant) and node.test.value:
            self.error(node, "this 'while' loop does nothing and never ends")
        return super().visit_While(node)

    def visit_BinOp(self, node: ast.BinOp) -> Any:
        visited = super().visit_BinOp(node)
        symbol = _GUARDED_OPERATORS.get(type(node.op))
        if symbol is None or not isinstance(visited, ast.BinOp):
            return visited
        arguments: list[ast.expr] = [ast.Constant(symbol), visited.left, visited.right]
        call = ast.Call(func=ast.Name("_binop_", ast.Load()), args=arguments, keywords=[])
        return ast.fix_missing_locations(ast.copy_location(call, visited))

    def visit_ClassDef(self, node: ast.ClassDef) -> ast.AST:
        self.error(node, "class definitions are not allowed in scripts")
        return node

    def visit_With(self, node: ast.With) -> ast.AST:
        self.error(node, "'with' statements are not allowed in scripts")
        return node


class _Tracer:
    """Counts the lines the script's own frames run and stops them past the budget."""

    __slots__ = ("deadline", "exceeded", "max_seconds", "max_steps", "previous", "steps")

    def __init__(self, budget: Budget, previous: Any) -> None:
        self.steps = 0
        self.max_steps = budget.max_steps
        self.max_seconds = budget.max_seconds
        self.deadline = monotonic() + budget.max_seconds
        self.previous = previous
        self.exceeded: str | None = None

    def global_trace(self, frame: FrameType, event: str, arg: Any) -> TraceFunction | None:
        if frame.f_code.co_filename == SCRIPT_FILENAME:
            return self.local_trace
        if self.previous is not None:  # keep coverage and debuggers working for everything else
            result: TraceFunction | None = self.previous(frame, event, arg)
            return result
        return None

    def local_trace(self, frame: FrameType, event: str, arg: Any) -> TraceFunction:
        if event == "line":
            self.steps += 1
            if self.steps > self.max_steps:
                self.exceeded = f"the script ran more than {self.max_steps} steps"
            elif not self.steps & 63 and monotonic() > self.deadline:
                self.exceeded = f"the script ran more than {self.max_seconds:g} seconds"
            if self.exceeded:
                raise _BudgetExceeded(frame.f_lineno)
        return self.local_trace


def _parse_errors(errors: Sequence[str]) -> ScriptError:
    line: int | None = None
    messages = []
    for error in errors:
        match = _LINE_PREFIX.match(error)
        if match:
            if line is None and match.group(1) != "None":
                line = int(match.group(1))
            error = error[match.end():]
        messages.append(error.rstrip("."))
    return ScriptError("; ".join(messages), line)


@functools.lru_cache(maxsize=1024)
def compile_source(source: str, mode: Literal["exec", "eval"]) -> CodeType:
    """Compile a script (mode "exec") or an expression (mode "eval"); ScriptError says what is wrong."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SyntaxWarning)
        if mode == "exec":
            result = compile_restricted_exec(source, SCRIPT_FILENAME, policy=_Policy)
        else:
            result = compile_restricted_eval(source.strip(), SCRIPT_FILENAME, policy=_Policy)
    if result.errors or result.code is None:
        raise _parse_errors(result.errors or ["the script could not be compiled"])
    return result.code


def _script_line(tb: TracebackType | None) -> int | None:
    line = None
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == SCRIPT_FILENAME:
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


def _hint(error: NameError, names: Mapping[str, Any]) -> str:
    builtins = names.get("__builtins__", {})
    candidates = [n for n in [*names, *builtins] if not n.startswith("_")]
    close = difflib.get_close_matches(error.name or "", candidates, n=3) if error.name else []
    if close:
        return " (did you mean " + " or ".join(repr(c) for c in close) + "?)"
    variables = sorted(n for n in names if not n.startswith("_") and n not in INJECTED_NAMES)
    return f" (variables available: {', '.join(variables[:20]) or 'none'})"


def _describe(error: Exception, names: Mapping[str, Any]) -> str:
    if isinstance(error, NameError) and not isinstance(error, UnboundLocalError):
        return f"{error}{_hint(error, names)}"
    if isinstance(error, NotImplementedError) and "format" in str(error):
        return "str.format() is not allowed in scripts: use an f-string or the % operator"
    return f"{type(error).__name__}: {error}"


def _run(code: CodeType, namespace: dict[str, Any], budget: Budget, mode: str) -> Any:
    previous = sys.gettrace()
    tracer = _Tracer(budget, previous)
    sys.settrace(tracer.global_trace)
    try:
        if mode == "exec":
            exec(code, namespace)
            return None
        return eval(code, namespace)
    except _BudgetExceeded as stop:
        raise ScriptError(_budget_message(tracer), stop.args[0]) from None
    except Exception as error:
        if tracer.exceeded:  # a handler tried to name BaseException and failed: still the budget
            raise ScriptError(_budget_message(tracer), _script_line(error.__traceback__)) from None
        raise ScriptError(_describe(error, namespace), _script_line(error.__traceback__)) from error
    finally:
        sys.settrace(previous)  # sys.settrace is per thread: request threads do not disturb each other


def _budget_message(tracer: _Tracer) -> str:
    return f"{tracer.exceeded}; does it loop forever?"


def execute(source: str, variables: Mapping[str, Any], budget: Budget = DEFAULT_BUDGET) -> dict[str, Any]:
    """Run a script over `variables`; returns every variable it leaves behind (the sandbox's own removed)."""
    code = compile_source(source, "exec")
    namespace = sandbox_globals()
    namespace.update(variables)
    _run(code, namespace, budget, "exec")
    return {
        name: value
        for name, value in namespace.items()
        if name in variables or (name not in INJECTED_NAMES and not name.startswith("_"))
    }


def evaluate(expression: str, variables: Mapping[str, Any], budget: Budget = DEFAULT_BUDGET) -> Any:
    """Evaluate one Python expression over `variables` in the sandbox."""
    code = compile_source(expression, "eval")
    namespace = sandbox_globals()
    namespace.update(variables)
    return _run(code, namespace, budget, "eval")
