"""The script sandbox: what scripts may do, what they may not, and the step and time budget."""

from __future__ import annotations

import sys
import threading
import time
from datetime import datetime
from types import FrameType
from typing import Any

import pytest

from bpmn import sandbox
from bpmn.errors import ScriptError
from bpmn.sandbox import Budget


def test_a_script_reads_and_writes_variables() -> None:
    result = sandbox.execute("total = amount * 2\nlabel = f'total {total}'", {"amount": 21})
    assert result == {"amount": 21, "total": 42, "label": "total 42"}


def test_deleted_variables_disappear_and_sandbox_names_do_not_leak() -> None:
    result = sandbox.execute("del scratch\nprint('hi')\nx = 1\nshown = printed", {"scratch": 1, "keep": 2})
    assert result == {"keep": 2, "x": 1, "shown": "hi\n"}


def test_variables_starting_with_underscore_pass_through_untouched() -> None:
    assert sandbox.execute("x = 1", {"_internal": 5}) == {"_internal": 5, "x": 1}


def test_the_callers_mapping_is_not_changed() -> None:
    data = {"a": [1]}
    sandbox.execute("a = a + [2]\nb = 1", data)
    assert data == {"a": [1]}


def test_harmless_builtins_work() -> None:
    script = """
numbers = sorted([3, 1, 2], reverse=True)
pairs = list(zip(numbers, range(3)))
total = sum(n for n in numbers if n > 1)
biggest = max(numbers)
names = {str(i): i for i, _ in enumerate(numbers)}
flags = [any(numbers), all(numbers), isinstance(total, int), len(numbers)]
rounded = round(abs(-2.567), 1)
mapped = list(map(lambda n: n * 10, filter(lambda n: n != 2, reversed(numbers))))
later = (datetime(2024, 1, 1) + timedelta(days=1)).date().isoformat()
today_type = date(2024, 2, 29).year
ok = True
try:
    int("x")
except ValueError:
    ok = False
"""
    result = sandbox.execute(script, {})
    assert result["numbers"] == [3, 2, 1]
    assert result["pairs"] == [(3, 0), (2, 1), (1, 2)]
    assert result["total"] == 5
    assert result["biggest"] == 3
    assert result["names"] == {"0": 0, "1": 1, "2": 2}
    assert result["flags"] == [True, True, True, 3]
    assert result["rounded"] == 2.6
    assert result["mapped"] == [10, 30]
    assert result["later"] == "2024-01-02"
    assert result["today_type"] == 2024
    assert result["ok"] is False


def test_evaluate_a_python_expression() -> None:
    assert sandbox.evaluate("amount > 100 and not urgent", {"amount": 150, "urgent": False}) is True
    assert sandbox.evaluate("  'PT1S'  ", {}) == "PT1S"
    assert sandbox.evaluate("[x * 2 for x in items]", {"items": [1, 2]}) == [2, 4]
    assert isinstance(sandbox.evaluate("datetime.now()", {}), datetime)


ESCAPES = [
    ("import os", "imports are not allowed"),
    ("from os import path", "imports are not allowed"),
    ("__import__('os')", 'invalid variable name because it starts with "_"'),
    ("x = ().__class__.__bases__[0].__subclasses__()", 'starts with "_"'),
    ("x = getattr(1, '__class__')", "name 'getattr' is not defined"),
    ("x = open('/etc/passwd').read()", "name 'open' is not defined"),
    ("x = eval('1 + 1')", "Eval calls are not allowed"),
    ("exec('x = 1')", "Exec calls are not allowed"),
    ("x = compile('1', 'f', 'eval')", "name 'compile' is not defined"),
    ("x = globals()", "name 'globals' is not defined"),
    ("x = vars()", "name 'vars' is not defined"),
    ("x = type(1)", "name 'type' is not defined"),
    ("x = '{0.__class__}'.format(1)", "str.format() is not allowed"),
    ("f = 'x'.format_map\nx = f({})", "str.format() is not allowed"),
    ("x = str.format('{0.__class__}', 1)", "str.format() is not allowed"),
    ("x = ValueError.mro()", "'mro' is not allowed"),
    ("x = (i for i in [1]).gi_frame", '"gi_frame" is a restricted name'),
    ("x = _secret", 'starts with "_"'),
    ("class A:\n    pass", "class definitions are not allowed"),
    ("with x:\n    pass", "'with' statements are not allowed"),
    ("d = datetime.now()\nd.year = 1", "attribute-less object"),
    ("x = BaseException", "name 'BaseException' is not defined"),
    ("x = 10 ** 10 ** 10", "would be too large"),
    ("x = 'a' * 10 ** 9", "would be too large"),
    ("x = [0] * 10 ** 9", "would be too large"),
    ("x = 1 << 10 ** 9", "would be too large"),
    ("x = 'a'.ljust(10 ** 9)", "would be too large"),
    ("x = list(range(10 ** 9))", "range() of more than"),
    ("x = 2\nfor i in range(40):\n    x = x * x", "would be too large"),
    ("s = 'ab'\nfor i in range(40):\n    s += s", "would be too large"),
]


@pytest.mark.parametrize(("script", "fragment"), ESCAPES)
def test_escapes_are_blocked(script: str, fragment: str) -> None:
    with pytest.raises(ScriptError) as caught:
        sandbox.execute(script, {"x": 1})
    assert fragment in caught.value.message


@pytest.mark.parametrize(
    "script",
    [
        "while True: pass",
        "while 1: continue",
        "while True:\n    pass",
        "while True: x",
        "while True:\n    x = 1",
        "x = 0\nwhile x >= 0:\n    x += 1",
        "for _ in iter(int, 1): pass",
        "x = [0 for _ in iter(int, 1)]",
        "def f():\n    while True:\n        y = 1\nf()",
        "try:\n    while True:\n        x = 1\nexcept Exception:\n    x = 2\nwhile True:\n    x = 3",
        "try:\n    while True:\n        x = 1\nexcept BaseException:\n    x = 2",
        "try:\n    while True:\n        x = 1\nfinally:\n    x = 2",
        "try:\n    while True:\n        x = 1\nexcept:\n    x = 2",
    ],
)
def test_endless_scripts_are_stopped_within_a_second(script: str) -> None:
    started = time.monotonic()
    with pytest.raises(ScriptError) as caught:
        sandbox.execute(script, {"x": 0, "iter": iter, "int": int})
    assert time.monotonic() - started < 1.5
    message = caught.value.message
    assert "steps" in message or "seconds" in message or "never ends" in message or "not allowed" in message
    assert caught.value.line is not None


def test_the_step_budget_counts_lines() -> None:
    script = "x = 0\nfor i in range(100):\n    x += i\n"
    assert sandbox.execute(script, {}, Budget(max_steps=300))["x"] == 4950
    with pytest.raises(ScriptError, match="more than 150 steps") as caught:
        sandbox.execute(script, {}, Budget(max_steps=150))
    assert caught.value.line in (2, 3)


def test_the_time_budget_stops_slow_scripts() -> None:
    started = time.monotonic()
    with pytest.raises(ScriptError, match=r"more than 0.2 seconds"):
        sandbox.execute("while True:\n    x = 1", {}, Budget(max_steps=10**12, max_seconds=0.2))
    assert 0.15 < time.monotonic() - started < 1.0


def test_budget_applies_to_expressions_too() -> None:
    with pytest.raises(ScriptError, match="steps"):
        sandbox.evaluate("[x for x in range(10000)]", {}, Budget(max_steps=100))


def test_runtime_errors_report_the_script_line() -> None:
    with pytest.raises(ScriptError) as caught:
        sandbox.execute("a = 1\nb = 2\nc = a / (b - 2)\n", {})
    assert caught.value.line == 3
    assert caught.value.message == "ZeroDivisionError: division by zero"


def test_errors_inside_functions_report_the_failing_line() -> None:
    with pytest.raises(ScriptError) as caught:
        sandbox.execute("def f(v):\n    return v['missing']\n\nx = f({})", {})
    assert caught.value.line == 2
    assert "KeyError" in caught.value.message


def test_name_errors_suggest_the_close_variable() -> None:
    with pytest.raises(ScriptError) as caught:
        sandbox.execute("x = 1\ntotal = amout * 2", {"amount": 1, "other": 2})
    assert caught.value.line == 2
    assert "name 'amout' is not defined (did you mean 'amount'?)" in caught.value.message


def test_name_errors_suggest_builtins_too() -> None:
    with pytest.raises(ScriptError, match=r"did you mean 'sorted'"):
        sandbox.execute("x = sortd([2, 1])", {})


def test_name_errors_list_the_variables_when_nothing_is_close() -> None:
    with pytest.raises(ScriptError, match=r"\(variables available: amount, other\)"):
        sandbox.execute("x = zzz", {"amount": 1, "other": 2})


@pytest.mark.parametrize(
    ("script", "line"),
    [("x = 1\ny = (\n", 2), ("x = 1\n\nimport os", 3), ("x = 1\ny = __class__", 2), ("x = = 1", 1)],
)
def test_compile_errors_are_script_errors_with_a_line(script: str, line: int) -> None:
    with pytest.raises(ScriptError) as caught:
        sandbox.execute(script, {})
    assert caught.value.line == line
    assert not isinstance(caught.value, SyntaxError)


def test_compiled_code_is_cached_per_source() -> None:
    first = sandbox.compile_source("x = 1", "exec")
    assert sandbox.compile_source("x = 1", "exec") is first
    assert sandbox.compile_source("x = 2", "exec") is not first


def test_the_previous_trace_function_is_restored_and_still_sees_other_code() -> None:
    seen: list[str] = []

    def recorder(frame: FrameType, event: str, arg: Any) -> None:
        seen.append(frame.f_code.co_name)

    before = sys.gettrace()
    sys.settrace(recorder)
    try:
        sandbox.execute("x = 1 + 1", {})
        with pytest.raises(ScriptError):
            sandbox.execute("while True:\n    x = 1", {}, Budget(max_steps=10))
        after = sys.gettrace()
    finally:
        sys.settrace(before)
    assert after is recorder
    assert "_binop" in seen  # the guard's frame went to the previous tracer
    assert "<module>" not in seen  # the script's own frames did not


def test_budgets_are_per_thread() -> None:
    results: dict[str, str] = {}

    def spin(name: str, seconds: float) -> None:
        try:
            sandbox.execute("while True:\n    x = 1", {}, Budget(max_steps=10**12, max_seconds=seconds))
        except ScriptError as error:
            results[name] = error.message

    threads = [threading.Thread(target=spin, args=(f"t{i}", 0.1 * (i + 1))) for i in range(3)]
    for thread in threads:
        thread.start()
    assert sandbox.execute("y = 2", {}) == {"y": 2}
    for thread in threads:
        thread.join(timeout=5)
    assert results == {
        "t0": "the script ran more than 0.1 seconds; does it loop forever?",
        "t1": "the script ran more than 0.2 seconds; does it loop forever?",
        "t2": "the script ran more than 0.3 seconds; does it loop forever?",
    }
