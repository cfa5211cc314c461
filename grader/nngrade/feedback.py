"""Verdicts that teach: compare a student's value with the reference and say why it differs.

Hidden tests never show their source to students, so everything a student
learns from a failed test comes from the `Feedback` raised here: what was
called, what came back, what was expected, and, when the wrong value matches
a classic mistake of the lecture, the mistake's name.

All checks run in the grading process on plain data that came out of the
sandbox (numpy arrays, numbers, lists, `Opaque` descriptions), never on an
object of the student's, so a hostile ``__eq__`` or a patched ``np.allclose``
cannot reach them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from nngrade.mistakes import MISTAKES

__all__ = [
    "Feedback",
    "LazyText",
    "Mistake",
    "describe",
    "driver_facts",
    "expect_close",
    "expect_equal",
    "expect_true",
    "expect_value_error",
    "expect_no_warnings",
    "expect_raises_value_error",
]


@dataclass(frozen=True)
class Mistake:
    """A classic wrong answer: if the student's value matches ``value``, name ``code``.

    ``value`` is what the wrong formula would have returned for the same call
    (computed by the test), or a predicate over the student's value.
    """

    code: str
    value: Any

    def matches(self, got: Any, rtol: float, atol: float) -> bool:
        if callable(self.value):
            try:
                return bool(self.value(got))
            except Exception:
                return False
        return _close(got, self.value, rtol, atol)


# Mistakes to try on a failed check, or a function that computes them (only then).
Mistakes = Sequence[Mistake] | Callable[[], Sequence[Mistake]]


class Feedback(AssertionError):
    """A failed check, carrying what the student needs to fix it (never the test's source)."""

    def __init__(
        self,
        message: str,
        *,
        kind: str = "mismatch",
        call: object = None,
        got: Any = None,
        expected: Any = None,
        mistake: str | None = None,
        show_values: bool = True,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.kind = kind
        self.call = str(call) if call else None
        self.got = describe(got) if show_values and got is not None else None
        self.expected = describe(expected) if show_values and expected is not None else None
        self.mistake = mistake

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"kind": self.kind, "message": self.message}
        if self.call:
            data["call"] = self.call
        if self.got is not None:
            data["got"] = self.got
        if self.expected is not None:
            data["expected"] = self.expected
        if self.mistake:
            data["mistake"] = {"code": self.mistake, "message": MISTAKES.get(self.mistake, "")}
        return data

    def render(self) -> str:
        """The plain-text output shown in results.json's ``output``."""
        lines = [self.message]
        if self.call:
            lines.append(f"Called:   {self.call}")
        if self.got is not None:
            lines.append(f"Got:      {self.got}")
        if self.expected is not None:
            lines.append(f"Expected: {self.expected}")
        if self.mistake:
            lines.append(f"Likely mistake: {MISTAKES.get(self.mistake, self.mistake)}")
        return "\n".join(lines)


# ---------------------------------------------------------------- describing


class LazyText:
    """Text made on first use (a call, a graph), for checks to carry around.

    Every check is handed what it checks, but only a failing one shows it:
    rendering arrays or graphs for each of a class's thousands of passing
    checks would cost more than the checks. ``make=None`` is the empty text.
    """

    __slots__ = ("_make", "_text")

    def __init__(self, make: Callable[[], str] | None) -> None:
        self._make = make
        self._text: str | None = None

    def __str__(self) -> str:
        if self._text is None:
            self._text = self._make() if self._make is not None else ""
        return self._text

    def __format__(self, spec: str) -> str:
        return format(str(self), spec)

    def __bool__(self) -> bool:
        return self._make is not None

    def __eq__(self, other: object) -> bool:
        return str(self) == str(other)

    def __hash__(self) -> int:
        return hash(str(self))


_MAX_ITEMS = 8


def describe(value: Any, limit: int = 240) -> str:
    """A short, readable rendering of a value for feedback (inputs shortened)."""
    text = _describe(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _describe(value: Any) -> str:
    if isinstance(value, np.ndarray):
        flat = value.ravel()
        with np.printoptions(precision=4, suppress=True, threshold=_MAX_ITEMS, edgeitems=3):
            body = np.array2string(flat[: _MAX_ITEMS * 4] if flat.size > _MAX_ITEMS * 4 else flat)
        if value.ndim == 0:
            return f"array({value.item()!r}, dtype={value.dtype})"
        shape = "x".join(str(s) for s in value.shape)
        return f"array(shape={shape}, dtype={value.dtype}, values={body})"
    if isinstance(value, (np.generic,)) and not isinstance(value, np.ndarray):
        value = value.item()
    if isinstance(value, float):
        return repr(round(value, 10)) if np.isfinite(value) else repr(value)
    if isinstance(value, (list, tuple)):
        inner = ", ".join(_describe(v) for v in value[:_MAX_ITEMS])
        more = ", ..." if len(value) > _MAX_ITEMS else ""
        return f"({inner}{more})" if isinstance(value, tuple) else f"[{inner}{more}]"
    if isinstance(value, dict):
        inner = ", ".join(f"{k!r}: {_describe(v)}" for k, v in list(value.items())[:_MAX_ITEMS])
        return "{" + inner + "}"
    return repr(value)


def describe_call(name: str, args: Sequence[Any], kwargs: Mapping[str, Any]) -> str:
    """``name(arg, ..., key=value)`` with each argument shortened."""
    parts = [describe(a, 80) for a in args] + [f"{k}={describe(v, 80)}" for k, v in kwargs.items()]
    return f"{name}({', '.join(parts)})"


# ---------------------------------------------------------------- checking


def _as_array(value: Any) -> np.ndarray | None:
    """Plain numeric data as an ndarray, or None for anything that is not numeric."""
    if isinstance(value, (bool, int, float, np.number, np.bool_)):
        return np.asarray(value)
    if isinstance(value, np.ndarray) and value.dtype.kind in "biuf":
        return value
    if isinstance(value, (list, tuple)):
        try:
            arr = np.asarray(value, dtype=float)
        except (TypeError, ValueError):
            return None
        return arr
    return None


def _close(got: Any, expected: Any, rtol: float, atol: float) -> bool:
    """np.allclose's rule (|g - e| <= atol + rtol |e|, nan never close, equal infs close),
    without its Python-level overhead: this runs for every check of every student."""
    g, e = _as_array(got), _as_array(expected)
    if g is None or e is None or g.shape != e.shape:
        return False
    g = g.astype(float, copy=False)
    e = e.astype(float, copy=False)
    with np.errstate(all="ignore"):
        ok = np.abs(g - e) <= atol + rtol * np.abs(e)
        if not ok.all():
            ok |= (g == e)  # equal infinities
            return bool(ok.all())
    return True


def _kind_name(value: Any) -> str:
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape}"
    return f"a {type(value).__name__}"


def expect_close(
    got: Any,
    expected: Any,
    *,
    call: object = None,
    rtol: float = 1e-6,
    atol: float = 1e-8,
    mistakes: Mistakes = (),
    what: str = "value",
    allow_scalar_as_array: bool = True,
) -> None:
    """Fail with teaching feedback unless ``got`` equals ``expected`` within tolerance.

    Checks, in order: numeric type, shape, finiteness, closeness; on a
    mismatch, each of ``mistakes`` is tried so the feedback can name it.
    ``mistakes`` may be a function returning them: what a wrong formula
    would give often costs more than the check, and is needed only when the
    check fails.
    """
    if _plainly_close(got, expected, rtol, atol):
        return
    exp = _as_array(expected)
    assert exp is not None, "expected value must be numeric"
    g = _as_array(got)
    if g is None:
        raise Feedback(
            f"The {what} should be numeric ({_kind_name(expected)}), but it is {_kind_name(got)}.",
            kind="bad_result",
            call=call,
            got=got,
            expected=expected,
        )
    if g.shape != exp.shape and not (allow_scalar_as_array and g.size == 1 and exp.size == 1):
        raise Feedback(
            f"The {what} has shape {g.shape}, expected shape {exp.shape}.",
            call=call,
            got=got,
            expected=expected,
            mistake=_first_mistake(got, mistakes, rtol, atol),
        )
    g = g.reshape(exp.shape)
    if np.all(np.isfinite(exp)) and not np.all(np.isfinite(g.astype(float))):
        raise Feedback(
            f"The {what} contains nan or inf where the answer is finite.",
            call=call,
            got=got,
            expected=expected,
            mistake=_first_mistake(got, mistakes, rtol, atol) or "overflow",
        )
    if not _close(g, exp, rtol, atol):
        with np.errstate(all="ignore"):
            diff = np.abs(g.astype(float) - exp.astype(float))
        known = ~np.isnan(diff)  # nan - nan, inf - inf: no distance to report there
        worst = float(diff[known].max()) if known.any() else float("nan")
        where = ""
        if diff.size > 1 and known.any():
            index = np.unravel_index(int(np.argmax(np.where(known, diff, -np.inf))), diff.shape)
            where = f" at index {tuple(int(i) for i in index)}"
        raise Feedback(
            f"The {what} is not what the reference computes "
            f"(largest difference {worst:.3g}{where}).",
            call=call,
            got=got,
            expected=expected,
            mistake=_first_mistake(got, mistakes, rtol, atol),
        )


def _plainly_close(got: Any, expected: Any, rtol: float, atol: float) -> bool:
    """The common case, decided cheaply: two floats, or two float arrays of one shape, close.

    True only where `expect_close` would pass (its shape, finiteness and
    closeness checks all hold: a nan or inf in either side is never
    "plainly" close, ``|g - e| <= atol + rtol |e|`` fails for it); anything
    else, a failure included, goes the long way that explains it. Hidden
    tests make hundreds of passing checks per submission, so this matters.
    """
    kind = type(got)
    if kind is float and type(expected) is float:
        return abs(got - expected) <= atol + rtol * abs(expected)  # False for nan and inf
    if kind is np.ndarray and type(expected) is np.ndarray and got.shape == expected.shape \
            and got.dtype.kind == "f" and expected.dtype.char == "d":  # computed in float64
        with np.errstate(all="ignore"):
            return bool((np.abs(got - expected) <= atol + rtol * np.abs(expected)).all())
    return False


def expect_equal(got: Any, expected: Any, *, call: object = None, what: str = "value",
                 mistakes: Mistakes = ()) -> None:
    """Exact equality for integer, boolean and 0/1 results (gates, step, masks)."""
    expect_close(got, expected, call=call, rtol=0.0, atol=0.0, mistakes=mistakes, what=what)


def expect_true(condition: bool, message: str, *, call: object = None, got: Any = None,
                expected: Any = None, mistake: str | None = None) -> None:
    """Fail with ``message`` unless a property of the student's result holds."""
    if not condition:
        raise Feedback(message, call=call, got=got, expected=expected, mistake=mistake)


def expect_raises_value_error(outcome: Any, *, call: object, mistake: str | None = None) -> None:
    """``outcome`` is a `nngrade.records.CallResult`: the call must have raised ValueError."""
    if outcome.status == "raised" and outcome.error_type == "ValueError":
        return
    if outcome.status not in ("ok", "raised"):
        raise Feedback(
            f"Expected ValueError, but the call ended with {outcome.status.replace('_', ' ')}"
            + (f": {outcome.error.strip().splitlines()[-1]}" if outcome.error.strip() else "."),
            kind=outcome.status, call=call,
        )
    if outcome.status == "raised":
        raise Feedback(
            f"Expected ValueError, but the call raised {outcome.error_type}.",
            call=call, mistake=mistake,
        )
    raise Feedback(
        "Expected the call to raise ValueError, but it returned normally.",
        call=call, got=outcome.value, mistake=mistake,
    )


def expect_value_error(student: Any, name: str, args: tuple = (),
                       mistake: str | None = None) -> None:
    """Call ``student.<name>(*args)``: it must raise ValueError.

    A call that is not implemented, timed out or crashed gets that feedback,
    not "returned normally".
    """
    outcome = student.outcome(name, args)
    if outcome.status not in ("ok", "raised"):
        student.value_of(outcome, name)  # raises the Feedback for not_implemented, timeout...
    expect_raises_value_error(outcome, call=student.last_call, mistake=mistake)


def driver_facts(got: Any, call: object, keys: tuple[str, ...] = (),
                 lists: Mapping[str, int] | None = None) -> dict[str, Any]:
    """A scenario driver's dict, checked for shape before anything is read from it.

    The student's code runs beside the trusted driver in the worker, so a
    tampered reply must become feedback, never an error of the grader's.
    """
    lists = lists or {}
    readable = isinstance(got, dict) and (set(keys) | set(lists)) <= set(got) and all(
        isinstance(got[key], list) and len(got[key]) == length for key, length in lists.items())
    if not readable:
        raise Feedback("The scenario's result could not be read (was the grader's code "
                       "tampered with?).", kind="bad_result", call=call)
    return got


def expect_no_warnings(outcome: Any, *, call: object, mistake: str | None = "overflow") -> None:
    """The call must not have made numpy (or anything) warn, e.g. about overflow in exp."""
    if outcome.warnings:
        raise Feedback(
            "The values are right, but computing them raised a warning: "
            + "; ".join(outcome.warnings[:3]),
            call=call, mistake=mistake,
        )


def _first_mistake(got: Any, mistakes: Mistakes, rtol: float, atol: float) -> str | None:
    for m in (mistakes() if callable(mistakes) else mistakes):
        if m.matches(got, max(rtol, 1e-6), max(atol, 1e-8)):
            return m.code
    return None


Predicate = Callable[[Any], bool]
