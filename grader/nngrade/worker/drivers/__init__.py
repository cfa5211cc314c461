"""Drivers: trusted scenarios that run inside the worker against the student's modules.

A single ``call`` cannot test a class (``Variable``, ``EarlyStopping``): the
objects it builds cannot cross the wire, and the grader must never hold an
object of the student's. A driver runs the whole scenario in the worker (build
a graph from a tape, feed a sequence of losses...) and returns plain data.

Write a driver as a function in any module of this package::

    from nngrade.worker.drivers import driver, member

    @driver("early_stopping")
    def early_stopping(modules, params):
        cls = member(modules["regularization"], "EarlyStopping")
        ...
        return {"stops": stops, "best_epoch": es.best_epoch}

``modules`` maps module names to the student's loaded modules; looking up a
missing or broken module raises ``Unavailable`` and the call gets status
``missing_module`` / ``import_error``; ``member`` does the same for a missing
name (``missing_name``). Every module of this package is imported when the
zygote starts (``load_all``), before any student code, so drivers should do
their imports at module level: the ``nngrade`` package is hidden from
``sys.modules`` before student code runs.

The return value is encoded like any call result: objects of the student's
become ``Opaque``, so return the plain numbers you want checked.
Trust (issue 13): a driver shares its process with the student's code, which
can reach and rewrite it (``gc.get_objects()``, ``sys._getframe().f_back`` and
its ``f_globals``/``f_locals``, ``inspect.stack()``; ``sys.modules`` no longer
holds ``nngrade``). So a driver only *reports* plain observations, every
verdict is decided by the hidden suite in the grader, and a report is worth
something only when forging it costs the honest work: a value of a computation
on data the grader drew. Attack tests: tests/test_tamper.py and
tests/test_tamper_vectors.py (gc, sys.modules, frames, inspect against every
driver below).

The audit, driver by driver: what it reports, where the verdict is decided (always
the hidden suite, in the grader), and why a forged report gains nothing.

- ``numerical_gradient_mutation`` (gradient_descent): x after the call and the
  result, compared with the grader's own x and the reference in
  test_gradient_descent. f is coupled (``quadratic`` with ``k``): an x left
  changed halfway through the call corrupts the returned gradient too.
- ``gradient_check_mutation`` (gradient_descent): the same; the wrong gradient's
  error depends on x, so a moved x changes the returned error too.
- ``variable_identity`` (autodiff): ``==``/hash facts and two gradients, compared in
  test_autodiff; then a drawn graph whose leaves share one value, graded by its
  gradients (``variable_graph``).
- ``variable_graph`` (autodiff): values, types, a graph dump and gradients; the walk
  that turns the dump into partials runs in the grader (``nngrade.hidden.graphs``).
  Drawn tapes: values, local derivatives and gradients must be computed.
- ``exponential_paths`` (autodiff): probe counts, values, gradients; comparisons in
  test_autodiff. The 80-layer graph is drawn: its path counts need a correct,
  linear walk. The probe's threshold is applied here, but only to stop early: it
  can only fail a hand-in, and a blinded probe leaves the walk to the time limit.
- ``xor_net`` (autodiff_programs): values, types, graph dumps, walked and compared
  in the grader; drawn weights.
- ``early_stopping`` (regularization): the trace of step/best_loss/best_epoch,
  compared with the reference's trace on drawn losses.
- ``script`` (generic, no suite uses it): one value per step of the student's objects.

Left open, and asserted as such by tests/test_tamper_vectors.py (``RESIDUAL``):
a report that the student's code could equally make true by the honest fix
cannot be told from a forgery: ``get_gradients`` called twice on one graph
(a forgery calls it once; the fix, resetting state, is as cheap), the deep
chain (dy/dx = factor**n has a closed form), and the plain facts about types
(``is_variable``, ``value_is_float``). No check from inside the process can
close them; a check from outside would need the student's objects outside it.

Imports only the standard library and numpy (and this package).
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Mapping
from types import ModuleType
from typing import Any

__all__ = ["DRIVERS", "Unavailable", "driver", "load_all", "member"]

Driver = Callable[[Mapping[str, ModuleType], dict[str, Any]], Any]
DRIVERS: dict[str, Driver] = {}


class Unavailable(Exception):  # noqa: N818 - it is a status, not an error of the driver's
    """A student's module or name that a driver needs is missing or failed to import."""

    def __init__(self, status: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def driver(name: str) -> Callable[[Driver], Driver]:
    """Register ``fn(modules, params)`` as the driver ``name`` (``Sandbox.drive(name, ...)``)."""

    def register(fn: Driver) -> Driver:
        if name in DRIVERS and DRIVERS[name] is not fn:
            raise ValueError(f"driver {name!r} registered twice")
        DRIVERS[name] = fn
        return fn

    return register


def member(module: ModuleType, name: str) -> Any:
    """``module.name``, or ``Unavailable("missing_name")`` if the student did not define it."""
    try:
        return getattr(module, name)
    except AttributeError:
        label = getattr(module, "__name__", "?")
        raise Unavailable("missing_name", f"{label}.py does not define {name}") from None


def load_all() -> dict[str, Driver]:
    """Import every module of this package, so that every ``@driver`` is registered."""
    for info in pkgutil.iter_modules(__path__, prefix=f"{__name__}."):
        importlib.import_module(info.name)
    return DRIVERS
