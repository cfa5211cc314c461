"""The ``script`` driver: build an object of a student's class and run steps on it.

This covers the stateful exercises whose objects cannot cross the wire, with
no course-specific code: a suite sends a script such as ::

    {"module": "regularization",
     "steps": [{"call": "EarlyStopping", "args": [2], "as": "es"},
               {"method": "step", "on": "es", "args": [1.0]},
               {"method": "step", "on": "es", "args": [1.2]},
               {"get": "best_loss", "on": "es"}]}

and gets back one value per step (objects of the student's as ``Opaque``).
A step is one of:

- ``{"call": NAME, "args": [...], "kwargs": {...}, "as": VAR}``: call the
  module's top-level ``NAME``; the result is kept as ``VAR`` if ``as`` is given;
- ``{"method": NAME, "on": VAR, "args": [...], "kwargs": {...}, "as": VAR2}``;
- ``{"get": ATTR, "on": VAR}``: read an attribute.

An argument ``{"var": VAR}`` inside ``args`` or ``kwargs`` (top level only)
stands for an object kept earlier. An exception stops the script and is the
result of the whole drive, like an exception in a plain call.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import ModuleType
from typing import Any

from nngrade.worker.drivers import Unavailable, driver, member


def _resolve(value: Any, env: dict[str, Any]) -> Any:
    if isinstance(value, dict) and set(value) == {"var"}:
        try:
            return env[value["var"]]
        except KeyError:
            raise ValueError(f"script refers to unknown variable {value['var']!r}") from None
    return value


@driver("script")
def script(modules: Mapping[str, ModuleType], params: dict[str, Any]) -> list[Any]:
    """Run ``params["steps"]`` against ``modules[params["module"]]``; one result per step."""
    module = modules[params["module"]]
    env: dict[str, Any] = {}
    results: list[Any] = []
    for step in params["steps"]:
        args = [_resolve(a, env) for a in step.get("args", ())]
        kwargs = {k: _resolve(v, env) for k, v in step.get("kwargs", {}).items()}
        if "call" in step:
            value = member(module, step["call"])(*args, **kwargs)
        elif "method" in step:
            target = env[step["on"]]
            try:
                method = getattr(target, step["method"])
            except AttributeError:
                raise Unavailable(
                    "missing_name", f"{type(target).__name__} has no method {step['method']}"
                ) from None
            value = method(*args, **kwargs)
        elif "get" in step:
            target = env[step["on"]]
            try:
                value = getattr(target, step["get"])
            except AttributeError:
                raise Unavailable(
                    "missing_name", f"{type(target).__name__} has no attribute {step['get']}"
                ) from None
        else:
            raise ValueError(f"unknown script step {sorted(step)}")
        if "as" in step:
            env[step["as"]] = value
        results.append(value)
    return results
