"""The hidden suites inside an nbgrader kernel: a backend that calls student code in this process.

Inside an nbgrader notebook the student's code already runs in the kernel,
so there is nothing to confine, and nothing here confines anything: this is
never used for grades that count (``nngrade grade`` uses the sandbox). It
lets the same hidden suites grade the kernel's code the same way:
`InProcessBackend` has the sandbox's methods (`load`, `run_batch`,
`encode_request`, `call`, `drive`, `end`, `protections`) and gives the same
`CallResult`s. Arguments and results go through the sandbox's wire format
(`nngrade.worker.protocol`), so student code gets fresh copies exactly as
in the worker, and tests see exactly the plain data they would see from the
sandbox; a call that runs too long is stopped with the worker's own
`CallTimeout` (SIGALRM, main thread only).
"""

from __future__ import annotations

import contextlib
import signal
import sys
import threading
import time
import types
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

from nngrade.records import CallResult, Submission
from nngrade.rubric import Rubric, load_rubric

__all__ = ["InProcessBackend", "grade_in_process"]


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


def _alarm(_signum: int, _frame: Any) -> None:
    from nngrade.worker.child import CallTimeout

    raise CallTimeout


def _materialize(encoded: Any) -> Any:
    """Encoded arguments as the worker decodes them: fresh copies, `Rng`/`Fn` made real."""
    import numpy as np

    from nngrade.worker import functions
    from nngrade.worker.protocol import decode_value

    return decode_value(
        encoded,
        make_rng=lambda seed: np.random.default_rng(tuple(seed) if isinstance(seed, list)
                                                    else seed),
        make_fn=functions.make,
    )


def _roundtrip(value: Any) -> Any:
    """A result as the grader would get it from the sandbox: plain data only."""
    from nngrade.worker.protocol import decode_value, encode_value

    return decode_value(encode_value(value))


def _call_message(module: str, name: str, args: Iterable[Any],
                  kwargs: Mapping[str, Any] | None) -> dict[str, Any]:
    from nngrade.worker.protocol import encode_args

    enc_args, enc_kwargs = encode_args(tuple(args), dict(kwargs or {}))
    return {"op": "call", "module": module, "name": name, "args": enc_args, "kwargs": enc_kwargs}


def _drive_message(driver: str, params: Mapping[str, Any] | None) -> dict[str, Any]:
    from nngrade.worker.protocol import encode_value

    return {"op": "drive", "driver": driver,
            "params": encode_value(dict(params or {}), strict=True)}


class InProcessBackend:
    """Calls functions of already-executed namespaces (module name -> dict or module).

    ``timeout`` is the default per-call limit in seconds (the sandbox's default
    is 5 s); it is enforced with SIGALRM when called from the main thread, and
    not at all otherwise.
    """

    protections: Mapping[str, bool] = {"sandbox": False}

    def __init__(self, namespaces: Mapping[str, Mapping[str, Any] | types.ModuleType],
                 timeout: float | None = 5.0) -> None:
        self._namespaces: dict[str, Mapping[str, Any]] = {
            name: (vars(ns) if isinstance(ns, types.ModuleType) else ns)
            for name, ns in namespaces.items()
        }
        self._timeout = timeout

    def load(self, sources: Mapping[str, str], modules: Iterable[str] | None = None, *,
             seed: int = 0) -> dict[str, str]:
        """The namespaces are the submission: every one of them is "ok"."""
        return {name: "ok" for name in self._namespaces}

    def call(self, module: str, name: str, args: Iterable[Any] = (),
             kwargs: Mapping[str, Any] | None = None, timeout: float | None = None) -> CallResult:
        """Call ``module.name(*args, **kwargs)`` in this process."""
        return self._run_message(_call_message(module, name, args, kwargs), timeout)

    def drive(self, driver: str, params: Mapping[str, Any] | None = None,
              timeout: float | None = None) -> CallResult:
        """Run the trusted driver ``driver`` (``nngrade.worker.drivers``) on the namespaces."""
        return self._run_message(_drive_message(driver, params), timeout)

    def run_batch(self, requests: Iterable[Mapping[str, Any]],
                  on_result: Callable[[int, CallResult], None] | None = None,
                  ) -> list[CallResult]:
        """Calls and drives one after another; a call that runs out of time ends the batch,
        as in the sandbox (the caller sends the rest again, with the limits it has then).
        ``on_result`` is the caller's business once the batch is done (nothing runs beside
        this process's own calls to overlap with)."""
        from nngrade.worker.protocol import loads_payload

        results = []
        for request in requests:
            if "body" in request:
                message = loads_payload(request["body"])
            elif request.get("op") == "call":
                message = _call_message(request["module"], request["name"],
                                        request.get("args", ()), request.get("kwargs"))
            else:
                message = _drive_message(request["driver"], request.get("params"))
            result = self._run_message(message, request.get("timeout"))
            results.append(result)
            if result.status == "timeout":
                break
        return results

    def encode_request(self, request: Mapping[str, Any]) -> bytes:
        """``request`` (without its timeout) as the sandbox encodes it: equal bytes, equal calls."""
        from nngrade.worker.protocol import encode_body

        if request.get("op") == "call":
            message = _call_message(request["module"], request["name"],
                                    request.get("args", ()), request.get("kwargs"))
        elif request.get("op") == "drive":
            message = _drive_message(request["driver"], request.get("params"))
        else:
            raise ValueError(f"unknown request op {request.get('op')!r}")
        return encode_body(message)

    def end(self) -> None:
        """Nothing to clean up: the namespaces belong to the kernel."""

    def _run_message(self, message: Mapping[str, Any], timeout: float | None) -> CallResult:
        """Run one encoded call or drive, its arguments decoded afresh as in the worker."""
        if message["op"] == "call":
            namespace = self._namespaces.get(message["module"])
            if namespace is None:
                return CallResult("missing_module")
            func = namespace.get(message["name"])
            if func is None:
                return CallResult("missing_name",
                                  error=f"{message['module']} defines no {message['name']}")
            args, kwargs = _materialize(message["args"]), _materialize(message["kwargs"])
            return self._run(lambda: func(*args, **kwargs), timeout)
        from nngrade.worker.drivers import DRIVERS, load_all

        if message["driver"] not in DRIVERS:
            load_all()
        run = DRIVERS[message["driver"]]
        modules = _Modules(self._namespaces)
        params = _materialize(message["params"])
        return self._run(lambda: run(modules, params), timeout)

    def _run(self, thunk: Callable[[], Any], timeout: float | None) -> CallResult:
        seconds = timeout if timeout is not None else self._timeout
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            status, value, error, error_type, elapsed = self._guarded(thunk, seconds)
        from nngrade.worker.protocol import short_text

        notes: list[str] = []
        for item in caught[:20]:  # worded as the worker words them
            note = f"{item.category.__name__}: {short_text(str(item.message), 300)}"
            if note not in notes:
                notes.append(note)
        return CallResult(status, value, error, seconds=elapsed, warnings=tuple(notes),
                          error_type=error_type)

    def _guarded(self, thunk: Callable[[], Any],
                 seconds: float | None) -> tuple[str, Any, str, str, float]:
        """(status, value, error, error_type, seconds) of one call into student code."""
        from nngrade.worker.child import CallTimeout
        from nngrade.worker.drivers import Unavailable
        from nngrade.worker.protocol import ProtocolError

        use_alarm = bool(seconds) and threading.current_thread() is threading.main_thread()
        t0 = time.perf_counter()
        previous = signal.signal(signal.SIGALRM, _alarm) if use_alarm else None
        try:
            try:
                if use_alarm and seconds:
                    signal.setitimer(signal.ITIMER_REAL, seconds)
                try:
                    value = _roundtrip(thunk())
                finally:
                    if use_alarm:
                        signal.setitimer(signal.ITIMER_REAL, 0)
            finally:
                if use_alarm:
                    signal.signal(signal.SIGALRM, previous)
        except CallTimeout:
            return ("timeout", None, f"the call did not finish within {seconds:g} s", "",
                    time.perf_counter() - t0)
        except Unavailable as exc:
            return exc.status, None, exc.message, "", time.perf_counter() - t0
        except ProtocolError as exc:
            return "bad_result", None, str(exc), "", time.perf_counter() - t0
        except NotImplementedError as exc:
            return ("not_implemented", None, str(exc), type(exc).__name__,
                    time.perf_counter() - t0)
        except Exception as exc:  # student code: anything may come out
            return ("raised", None, f"{type(exc).__name__}: {exc}", type(exc).__name__,
                    time.perf_counter() - t0)
        return "ok", value, "", "", time.perf_counter() - t0


def grade_in_process(namespaces: Mapping[str, Any], *, seed: int,
                     modules: list[str] | None = None, rubric: Rubric | None = None,
                     student: str = "in-process") -> dict[str, Any]:
    """Grade code that already runs in this process (an nbgrader kernel) with the hidden suites.

    ``namespaces`` maps contract module names to dicts or modules holding the
    student's definitions; ``modules`` limits grading to those modules'
    tests. Only for nbgrader's own autograding, where the student's code is
    in the kernel anyway: nothing here is confined.
    """
    from nngrade.hidden.grader import SuiteGrader
    from nngrade.hidden.suite import collect

    grader = SuiteGrader(InProcessBackend(namespaces), collect(modules=modules), seed=seed,
                         rubric=rubric or load_rubric(), replay=False)
    return grader.grade(Submission(student, {name: "" for name in namespaces}))


class SourceBackend(InProcessBackend):
    """The in-process backend over source texts: each `load` imports them as fresh modules.

    Nothing here is confined: only for trusted code (solutions/, the sample
    class in tests, benchmarks). The modules are imported through the worker's
    own finder (`nngrade.worker.loader.SubmissionFinder`), so every import form
    the contract allows between a submission's modules works as in the
    sandbox: ``from losses import mse``, ``from .losses import mse``, ``from
    exercises.losses import mse``, ``from exercises import losses``. (Executing
    each text into a bare dict, as this did before, failed all four: no
    module of the submission could see another.) The finder goes first on
    ``sys.meta_path``, so that a folder ``exercises/`` in the working
    directory cannot answer for the submission, and it stays there, with
    the modules in ``sys.modules``, until `end` or the next `load`: a function
    may import a sibling when it is called. A name of Python's or numpy's own
    is refused as the sandbox refuses it. A module whose code raises is
    reported as an import error, as the sandbox would.
    """

    def __init__(self, timeout: float | None = 5.0) -> None:
        super().__init__({}, timeout=timeout)
        self._finder: Any = None
        self._owned: set[str] = set()
        self._saved: dict[str, types.ModuleType] = {}

    def load(self, sources: Mapping[str, str], modules: Iterable[str] | None = None, *,
             seed: int = 0) -> dict[str, str]:
        import importlib

        from nngrade.worker import wording
        from nngrade.worker.loader import PACKAGE, SubmissionFinder, shadowed_names

        self.end()
        self._namespaces = {}
        shadowed = shadowed_names(name for name in sources if name != PACKAGE)
        served = {str(k): str(v) for k, v in sources.items() if k not in shadowed}
        self._owned = {*served, PACKAGE, *(f"{PACKAGE}.{name}" for name in served)}
        self._saved = {name: sys.modules.pop(name) for name in self._owned
                       if name in sys.modules}
        self._finder = SubmissionFinder(served, {}, lambda _event, _module: None)
        sys.meta_path.insert(0, self._finder)
        importlib.invalidate_caches()
        statuses: dict[str, str] = {}
        for name in sources:
            if name in shadowed:
                statuses[name] = wording.shadowed(name)
                continue
            try:
                module = importlib.import_module(name)
            except Exception as exc:  # noqa: BLE001 - reported like an import error
                statuses[name] = f"{type(exc).__name__}: {exc}"
                continue
            self._namespaces[name] = vars(module)
            statuses[name] = "ok"
        return statuses

    def end(self) -> None:
        """Take the submission's finder and modules out of this process; restore what they hid."""
        if self._finder is not None:
            with contextlib.suppress(ValueError):
                sys.meta_path.remove(self._finder)
            self._finder = None
        for name in list(sys.modules):
            if name in self._owned or name.startswith(tuple(f"{n}." for n in self._owned)):
                del sys.modules[name]
        sys.modules.update(self._saved)
        self._owned, self._saved = set(), {}
