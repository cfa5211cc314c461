"""The ``declared_defaults`` driver: the plain default values a student's function declares.

Some defaults cannot be seen by behaviour at a price a grader can pay: a
``train_xor`` whose ``epochs`` defaults to 20001 instead of the contract's
20000 differs from the right one only after a full default run (seconds of
the student's time, and more for the autodiff version). The declaration
itself is a fact of the code, so the grader asks for it.

Trust: this is a report from the student's process, so a rewritten driver can
forge it, but a forgery buys only what the honest fix (writing the contract's
default) costs the same; it is never the only evidence of a right answer.

Imports only the standard library (and this package).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import ModuleType
from typing import Any

from nngrade.worker.drivers import driver, member

__all__ = ["declared_defaults"]

_PLAIN = (bool, int, float, str, type(None))


def declared_defaults(fn: Any) -> dict[str, Any]:
    """``{parameter: default}`` for the defaults of ``fn`` that are plain values.

    Read from ``__defaults__``/``__kwdefaults__`` of a Python function, without
    calling it; defaults that are not plain values (objects, arrays) and
    callables that are not Python functions give nothing. Which of them count
    is the grader's business (`nngrade.feedback.expect_declared_default`).
    """
    code = getattr(fn, "__code__", None)
    if code is None or not hasattr(code, "co_varnames"):
        return {}
    positional = code.co_varnames[:code.co_argcount]
    defaults = getattr(fn, "__defaults__", None) or ()
    found = dict(zip(positional[len(positional) - len(defaults):], defaults, strict=True))
    found.update(getattr(fn, "__kwdefaults__", None) or {})
    return {name: value for name, value in found.items() if type(value) in _PLAIN}


@driver("declared_defaults")
def declared_defaults_driver(modules: Mapping[str, ModuleType],
                             params: dict[str, Any]) -> dict[str, Any]:
    """``params``: ``module`` and ``name`` of a top-level function of the student's."""
    return declared_defaults(member(modules[params["module"]], params["name"]))
