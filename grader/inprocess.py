"""A backend that calls student code in this very process: only for nbgrader kernels.

Inside an nbgrader notebook the student's code already runs in the kernel,
so there is nothing to confine; this backend lets the same hidden suites
grade it there. Results still go through the sandbox's wire format, so tests
see exactly the plain data they would see from the sandbox.
"""

from __future__ import annotations

import time
import types
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["InProcessBackend"]


@dataclass
class _Result:
    status: str
    value: Any = None
    error: str = ""
    error_type: str = ""
    output: str = ""
    seconds: float = 0.0


class InProcessBackend:
    """Calls functions of already-executed namespaces (module name -> dict or module)."""

    protections: Mapping[str, bool] = {"sandbox": False}

    def __init__(self, namespaces: Mapping[str, Mapping[str, Any] | types.ModuleType]) -> None:
        self._namespaces = {
            name: (vars(ns) if isinstance(ns, types.ModuleType) else ns)
            for name, ns in namespaces.items()
        }

    def load(self, sources: Mapping[str, str]) -> dict[str, str]:
        return {name: "ok" for name in self._namespaces}

    def call(self, module: str, name: str, args: tuple, kwargs: dict,
             timeout: float | None = None) -> _Result:
        namespace = self._namespaces.get(module)
        if namespace is None:
            return _Result("missing_module")
        func = namespace.get(name)
        if func is None:
            return _Result("missing_name", error=f"{module} defines no {name}")
        from nngrade.worker import protocol

        t0 = time.perf_counter()
        try:
            value = func(*protocol.materialize(args), **protocol.materialize(kwargs))
        except NotImplementedError as exc:
            return _Result("not_implemented", error=str(exc), seconds=time.perf_counter() - t0)
        except Exception as exc:  # student code: anything may come out
            return _Result("raised", error=f"{type(exc).__name__}: {exc}",
                           error_type=type(exc).__name__, seconds=time.perf_counter() - t0)
        return _Result("ok", protocol.roundtrip(value), seconds=time.perf_counter() - t0)

    def drive(self, driver: str, params: dict, timeout: float | None = None) -> _Result:
        from nngrade.worker import drivers, protocol

        t0 = time.perf_counter()
        try:
            value = drivers.run(driver, self._namespaces, params)
        except NotImplementedError as exc:
            return _Result("not_implemented", error=str(exc), seconds=time.perf_counter() - t0)
        except Exception as exc:
            return _Result("raised", error=f"{type(exc).__name__}: {exc}",
                           error_type=type(exc).__name__, seconds=time.perf_counter() - t0)
        return _Result("ok", protocol.roundtrip(value), seconds=time.perf_counter() - t0)
