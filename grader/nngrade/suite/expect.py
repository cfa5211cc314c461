"""Expectations for hidden tests: `nngrade.feedback`'s checks, with ``call=`` filled in.

Every failed check shows the student the call that gave the wrong value
(``sigmoid(z=array([...]))``). The suites used to hand that call to every
check, ``call=student.last_call``, a hundred times over; forgetting it gave a
failure with no call in it. Here the call defaults to the running test's
latest call into student code (`nngrade.hidden.student.latest_call`, one
per test even while tests wait side by side), which is what
``student.last_call`` at that point gives. Pass ``call=`` only to show
something else (a description of a whole scenario), or ``call=None`` to
show no call.

The checks themselves (and their tolerances, mistake matching, pictures)
are `nngrade.feedback`'s, shared with the public checks: this module only
supplies the call.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NoReturn

from nngrade import feedback
from nngrade.feedback import VALUE, Feedback, Mistakes
from nngrade.hidden.student import latest_call
from nngrade.messages import Message

__all__ = [
    "AUTO",
    "current_call",
    "driver_facts",
    "expect_close",
    "expect_declared_default",
    "expect_dtype",
    "expect_equal",
    "expect_no_warnings",
    "expect_raises_value_error",
    "expect_true",
    "expect_tuple",
    "expect_value_error",
    "fail",
    "failure",
]


class _Auto:
    """The default ``call``: the running test's latest call into student code."""

    def __repr__(self) -> str:
        return "AUTO"


AUTO: Any = _Auto()
_NOTHING: Any = feedback._NOTHING  # "no value given" (None is a value a student can return)


def current_call() -> feedback.LazyText:
    """The running test's latest call into student code, as a failure would show it.

    Keep it before making another call when a later check is about the
    earlier result (``call = current_call()``, then ``call=call``).
    """
    return latest_call()


def _call(call: object) -> object:
    return latest_call() if call is AUTO else call


def expect_close(got: Any, expected: Any, *, call: object = AUTO, rtol: float = 1e-6,
                 atol: float = 1e-8, mistakes: Mistakes = (), what: str | Message = VALUE,
                 allow_scalar_as_array: bool = True, hint: str | Message | None = None,
                 figure: str | None = None) -> None:
    """``got`` equals ``expected`` within tolerance: numeric type, shape, finiteness, values.

    On a mismatch each of ``mistakes`` (or what a function returning them
    gives, computed only then) is tried, so the feedback names the classic
    mistake the wrong value comes from.
    """
    feedback.expect_close(got, expected, call=_call(call), rtol=rtol, atol=atol,
                          mistakes=mistakes, what=what,
                          allow_scalar_as_array=allow_scalar_as_array, hint=hint, figure=figure)


def expect_equal(got: Any, expected: Any, *, call: object = AUTO, what: str | Message = VALUE,
                 mistakes: Mistakes = (), hint: str | Message | None = None,
                 figure: str | None = None) -> None:
    """Exact equality, for integer, boolean and 0/1 results (gates, step, masks, labels)."""
    feedback.expect_equal(got, expected, call=_call(call), what=what, mistakes=mistakes,
                          hint=hint, figure=figure)


def expect_true(condition: bool, message: str | Message, *, call: object = AUTO,
                got: Any = _NOTHING, expected: Any = _NOTHING, mistake: str | None = None,
                hint: str | Message | None = None) -> None:
    """A property of the result holds; else fail with ``message`` (a `msg`, en + zh)."""
    feedback.expect_true(condition, message, call=_call(call), got=got, expected=expected,
                         mistake=mistake, hint=hint)


def expect_dtype(got: Any, rule: str, *, call: object = AUTO, what: str | Message = VALUE,
                 mistake: str | None = "returned_wrong_dtype") -> None:
    """The contract's rule on returned dtypes: ``"float"``, ``"zero_one"`` or ``"mask"``.

    Check it after the values: a dtype alone never earns a point.
    """
    feedback.expect_dtype(got, rule, call=_call(call), what=what, mistake=mistake)


def expect_tuple(got: Any, count: int, names: str, *, call: object = AUTO) -> list[Any]:
    """A result that must be a tuple of ``count`` values (``names`` as the contract writes
    them, ``"out, mask"``), as a list: tuples cross the sandbox as lists."""
    return feedback.expect_tuple(got, count, names, call=_call(call))


def expect_no_warnings(outcome: Any, *, call: object = AUTO,
                       mistake: str | None = "overflow") -> None:
    """The call (a ``student.outcome(...)``) made no warning, e.g. overflow in exp."""
    feedback.expect_no_warnings(outcome, call=_call(call), mistake=mistake)


def expect_raises_value_error(outcome: Any, *, call: object = AUTO,
                              mistake: str | None = None) -> None:
    """The call (a ``student.outcome(...)``) raised ValueError, as the contract says."""
    feedback.expect_raises_value_error(outcome, call=_call(call), mistake=mistake)


def expect_value_error(student: Any, name: str, args: tuple = (),
                       mistake: str | None = None) -> None:
    """Call ``student.<name>(*args)``: it must raise ValueError (a timeout or a missing
    function gets its own feedback, not "returned normally")."""
    feedback.expect_value_error(student, name, args, mistake=mistake)


def expect_declared_default(declared: Mapping[str, Any], name: str, param: str,
                            contract: Any, *, call: object = AUTO, signature: str) -> None:
    """The default ``name`` declares for ``param`` (read by a driver) is the contract's, for
    defaults that behaviour shows only at a price no grader pays (``epochs=20000``)."""
    feedback.expect_declared_default(declared, name, param, contract, call=_call(call),
                                     signature=signature)


def driver_facts(got: Any, call: object = AUTO, keys: tuple[str, ...] = (),
                 lists: Mapping[str, int] | None = None) -> dict[str, Any]:
    """A scenario driver's dict (``student.drive(...)``), checked for its ``keys`` and the
    lengths of its ``lists`` before anything is read from it: the student's code ran beside
    the driver, so a tampered reply must become feedback, never a grader error."""
    return feedback.driver_facts(got, _call(call), keys, lists)


def failure(message: str | Message, *, call: object = AUTO, **details: Any) -> Feedback:
    """The `Feedback` that `fail` raises, for a test that adds to it (a picture, the input)
    before raising it."""
    return Feedback(message, call=_call(call), **details)


def fail(message: str | Message, *, call: object = AUTO, **details: Any) -> NoReturn:
    """Fail the test with ``message`` (a `msg`); ``details`` are `Feedback`'s (``got``,
    ``expected``, ``mistake``, ``kind``, ``hint``, ``quoted``, ``figure``...)."""
    raise failure(message, call=call, **details)
