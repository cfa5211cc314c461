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
