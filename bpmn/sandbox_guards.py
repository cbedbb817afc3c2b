"""The names a sandboxed script sees: guarded builtins and the hooks RestrictedPython's code calls."""

from __future__ import annotations

import operator
from collections.abc import Callable
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

from RestrictedPython.Guards import (
    full_write_guard,
    guarded_iter_unpack_sequence,
    guarded_unpack_sequence,
    safe_builtins,
    safer_getattr,
)
from RestrictedPython.PrintCollector import PrintCollector

# Limits on single operations that run in C, where the line budget cannot see them.
MAX_SEQUENCE = 10_000_000
MAX_INT_BITS = 100_000
MAX_RANGE = 10_000_000

_UNSAFE_BUILTINS = {
    "__build_class__", "BaseException", "KeyboardInterrupt", "SystemExit", "GeneratorExit",
    "setattr", "delattr", "pow", "id", "hash",
}
_DENIED_ATTRIBUTES = {"mro", "format", "format_map", "with_traceback"}
_PADDING = {"ljust", "rjust", "center", "zfill", "expandtabs"}


_SAFER_GETATTR: Callable[[Any, str, Any], Any] = safer_getattr


def _getattr(obj: Any, name: str, default: Any = None) -> Any:
    if name in _DENIED_ATTRIBUTES:
        if name.startswith("format"):
            raise NotImplementedError("format")
        raise AttributeError(f"{name!r} is not allowed in scripts")
    value = _SAFER_GETATTR(obj, name, default)
    if name in _PADDING and isinstance(obj, str):
        return _bounded(value)
    return value


def _bounded(method: Callable[..., Any]) -> Callable[..., Any]:
    """str.ljust(10**10) and friends allocate in C: cap their width."""

    def call(*args: Any, **kwargs: Any) -> Any:
        if args and isinstance(args[0], int) and args[0] > MAX_SEQUENCE:
            raise MemoryError(f"a text of {args[0]} characters would be too large")
        return method(*args, **kwargs)

    return call


def _getitem(obj: Any, key: Any) -> Any:
    return obj[key]


def _apply(func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    return func(*args, **kwargs)


_SEQUENCES = (str, bytes, list, tuple)


def _too_big(op: str, left: Any, right: Any) -> bool:
    op = op.rstrip("=")
    both_int = isinstance(left, int) and isinstance(right, int)
    if op == "*":
        if both_int:
            return bool(left.bit_length() + right.bit_length() > MAX_INT_BITS)
        if isinstance(left, _SEQUENCES) and isinstance(right, int):
            return len(left) * right > MAX_SEQUENCE
        if isinstance(right, _SEQUENCES) and isinstance(left, int):
            return len(right) * left > MAX_SEQUENCE
    elif op == "+" and isinstance(left, _SEQUENCES) and isinstance(right, _SEQUENCES):
        return len(left) + len(right) > MAX_SEQUENCE
    elif op == "**" and both_int:
        return bool(abs(left) > 1 and left.bit_length() * right > MAX_INT_BITS)
    elif op == "<<" and both_int:
        return bool(left != 0 and left.bit_length() + right > MAX_INT_BITS)
    return False


_INPLACE: dict[str, Callable[[Any, Any], Any]] = {
    "+=": operator.iadd, "-=": operator.isub, "*=": operator.imul, "/=": operator.itruediv,
    "//=": operator.ifloordiv, "%=": operator.imod, "**=": operator.ipow, "<<=": operator.ilshift,
    ">>=": operator.irshift, "&=": operator.iand, "|=": operator.ior, "^=": operator.ixor,
    "@=": operator.imatmul,
}
_BINARY: dict[str, Callable[[Any, Any], Any]] = {
    "+": operator.add, "*": operator.mul, "**": operator.pow, "<<": operator.lshift,
}
_GROWING = frozenset(["*", "**", "<<", "*=", "**=", "<<="])
_SMALL = frozenset([int, float, bool])


def _inplacevar(op: str, left: Any, right: Any) -> Any:
    # the common case (counting, summing) stays one Python call: tracing makes each call costly
    if (type(left) not in _SMALL or op in _GROWING) and _too_big(op, left, right):
        raise MemoryError(f"the result of {op.rstrip('=')!r} would be too large")
    return _INPLACE[op](left, right)


def _binop(op: str, left: Any, right: Any) -> Any:
    if (type(left) not in _SMALL or op in _GROWING) and _too_big(op, left, right):
        raise MemoryError(f"the result of {op!r} would be too large")
    return _BINARY[op](left, right)


def _range(*args: int) -> range:
    result = range(*args)
    if len(result) > MAX_RANGE:
        raise MemoryError(f"range() of more than {MAX_RANGE} numbers is not allowed in scripts")
    return result


def _make_builtins() -> dict[str, Any]:
    allowed = {k: v for k, v in safe_builtins.items() if k not in _UNSAFE_BUILTINS}
    allowed.update(
        len=len, range=_range, min=min, max=max, sum=sum, sorted=sorted, abs=abs, round=round,
        int=int, float=float, str=str, bool=bool, list=list, dict=dict, set=set, tuple=tuple,
        enumerate=enumerate, zip=zip, any=any, all=all, isinstance=isinstance, map=map,
        filter=filter, reversed=reversed, datetime=datetime, date=date, timedelta=timedelta,
        timezone=timezone, Decimal=Decimal, frozenset=frozenset,
    )
    return allowed


_GUARDS: dict[str, Any] = {
    "__builtins__": _make_builtins(),
    "__name__": "script",
    "_getattr_": _getattr,
    "_getitem_": _getitem,
    "_getiter_": iter,
    "_iter_unpack_sequence_": guarded_iter_unpack_sequence,
    "_unpack_sequence_": guarded_unpack_sequence,
    "_write_": full_write_guard,
    "_inplacevar_": _inplacevar,
    "_print_": PrintCollector,
    "_apply_": _apply,
    "_binop_": _binop,
}
INJECTED_NAMES = frozenset([*_GUARDS, "_print"])


def sandbox_globals() -> dict[str, Any]:
    """A fresh global namespace holding the guards RestrictedPython's compiled code calls."""
    return dict(_GUARDS)
