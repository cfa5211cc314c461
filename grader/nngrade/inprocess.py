"""A backend that calls student code in this very process: only for nbgrader kernels.

Inside an nbgrader notebook the student's code already runs in the kernel,
so there is nothing to confine; this backend lets the same hidden suites
grade it there. Results still go through the sandbox's wire format, so tests
see exactly the plain data they would see from the sandbox.
"""

from __future__ import annotations

import signal
import threading
import time
import types
import warnings
from collections.abc import Callable, Iterator, Mapping
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
    warnings: tuple[str, ...] = ()


class _Namespace:
    """A module-like view of a namespace dict, for drivers (``getattr(module, name)``)."""

    def __init__(self, name: str, namespace: Mapping[str, Any]) -> None:
        self.__name__ = name
        self._namespace = namespace

    def __getattr__(self, name: str) -> Any:
        try:
            return self._namespace[name]
        except KeyError:
            raise AttributeError(name) from None


class _Modules(Mapping[str, Any]):
    """What drivers see as ``modules``; a missing module raises ``Unavailable`` as in the worker."""

    def __init__(self, namespaces: Mapping[str, Mapping[str, Any]]) -> None:
        self._namespaces = namespaces

    def __getitem__(self, name: str) -> Any:
        from nngrade.worker.drivers import Unavailable

        if name not in self._namespaces:
            raise Unavailable("missing_module", f"the submission has no {name}.py")
        return _Namespace(name, self._namespaces[name])

    def __iter__(self) -> Iterator[str]:
        return iter(self._namespaces)

    def __len__(self) -> int:
        return len(self._namespaces)


class _CallTimeout(BaseException):  # noqa: N818 - raised into student code by SIGALRM
    pass


def _alarm(_signum: int, _frame: Any) -> None:
    raise _CallTimeout


def _materialize(value: Any) -> Any:
    """Arguments as the worker sees them: fresh copies, `Rng`/`Fn` turned into the real things."""
    import numpy as np

    from nngrade.worker import functions
    from nngrade.worker.protocol import decode_value, encode_value

    return decode_value(
        encode_value(value, strict=True),
        make_rng=lambda seed: np.random.default_rng(tuple(seed) if isinstance(seed, list)
                                                    else seed),
        make_fn=functions.make,
    )


def _roundtrip(value: Any) -> Any:
    """A result as the grader would get it from the sandbox: plain data only."""
    from nngrade.worker.protocol import decode_value, encode_value

    return decode_value(encode_value(value))


class InProcessBackend:
    """Calls functions of already-executed namespaces (module name -> dict or module).

    ``timeout`` is the default per-call limit in seconds (the sandbox's default
    is 5 s); it is enforced with SIGALRM when called from the main thread, and
    not at all otherwise.
    """

    protections: Mapping[str, bool] = {"sandbox": False}

    def __init__(self, namespaces: Mapping[str, Mapping[str, Any] | types.ModuleType],
                 timeout: float | None = 5.0) -> None:
        self._namespaces = {
            name: (vars(ns) if isinstance(ns, types.ModuleType) else ns)
            for name, ns in namespaces.items()
        }
        self._timeout = timeout

    def load(self, sources: Mapping[str, str], modules: Any = None, *,
             seed: int = 0) -> dict[str, str]:
        return {name: "ok" for name in self._namespaces}

    def call(self, module: str, name: str, args: tuple, kwargs: dict,
             timeout: float | None = None) -> _Result:
        namespace = self._namespaces.get(module)
        if namespace is None:
            return _Result("missing_module")
        func = namespace.get(name)
        if func is None:
            return _Result("missing_name", error=f"{module} defines no {name}")
        args, kwargs = _materialize(tuple(args)), _materialize(dict(kwargs))
        return self._run(lambda: func(*args, **kwargs), timeout)

    def drive(self, driver: str, params: dict, timeout: float | None = None) -> _Result:
        from nngrade.worker.drivers import DRIVERS, load_all

        if driver not in DRIVERS:
            load_all()
        run = DRIVERS[driver]
        modules = _Modules(self._namespaces)
        params = _materialize(dict(params))
        return self._run(lambda: run(modules, params), timeout)

    def _run(self, thunk: Callable[[], Any], timeout: float | None) -> _Result:
        seconds = timeout if timeout is not None else self._timeout
        use_alarm = bool(seconds) and threading.current_thread() is threading.main_thread()
        t0 = time.perf_counter()
        previous = signal.signal(signal.SIGALRM, _alarm) if use_alarm else None
        return self._guarded(thunk, seconds, use_alarm, previous, t0)

    def _guarded(self, thunk: Callable[[], Any], seconds: float | None, use_alarm: bool,
                 previous: Any, t0: float) -> _Result:
        """Run student code, recording its warnings as the worker does."""
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            result = self._outcome(thunk, seconds, use_alarm, previous, t0)
        notes: list[str] = []
        for item in caught[:20]:
            note = f"{item.category.__name__}: {str(item.message)[:300]}"
            if note not in notes:
                notes.append(note)
        result.warnings = tuple(notes)
        return result

    def _outcome(self, thunk: Callable[[], Any], seconds: float | None, use_alarm: bool,
                 previous: Any, t0: float) -> _Result:
        from nngrade.worker.drivers import Unavailable
        from nngrade.worker.protocol import ProtocolError

        try:
            try:
                if use_alarm:
                    signal.setitimer(signal.ITIMER_REAL, seconds)
                try:
                    value = _roundtrip(thunk())
                finally:
                    if use_alarm:
                        signal.setitimer(signal.ITIMER_REAL, 0)
            finally:
                if use_alarm:
                    signal.signal(signal.SIGALRM, previous)
        except _CallTimeout:
            return _Result("timeout", error=f"the call did not finish within {seconds:g} s",
                           seconds=time.perf_counter() - t0)
        except Unavailable as exc:
            return _Result(exc.status, error=exc.message, seconds=time.perf_counter() - t0)
        except ProtocolError as exc:
            return _Result("bad_result", error=str(exc), seconds=time.perf_counter() - t0)
        except NotImplementedError as exc:
            return _Result("not_implemented", error=str(exc), seconds=time.perf_counter() - t0)
        except Exception as exc:  # student code: anything may come out
            return _Result("raised", error=f"{type(exc).__name__}: {exc}",
                           error_type=type(exc).__name__, seconds=time.perf_counter() - t0)
        return _Result("ok", value, seconds=time.perf_counter() - t0)
