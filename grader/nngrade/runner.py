"""Run the hidden pytest suites against submission after submission in one pytest session.

Starting pytest costs a few hundred milliseconds; grading a submission must
cost a few tens. So a grading process starts one pytest session, which
collects the suites once, and `GradingPlugin.pytest_runtestloop` then runs
every collected item once per submission it is handed (pytest's own
``runtestprotocol`` supports re-running an item, as pytest-rerunfailures
does). The `student` fixture of ``grader/suites/conftest.py`` forwards calls
to the current submission through a backend: the sandbox in batch grading, or
the caller's own namespace inside an nbgrader kernel.

Verdicts are made here, in the grading process, on plain data only.
"""

from __future__ import annotations

import copy
import functools
import gc
import os
import time
import traceback
import zlib
from collections.abc import Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import greenlet
import numpy as np
import pytest

from nngrade.contract import MODULES
from nngrade.feedback import Feedback, LazyText, describe_call
from nngrade.replay import Node, Replays, Verdict, answer_key
from nngrade.rubric import Rubric, load_rubric

SUITES_DIR = Path(__file__).parent / "suites"

__all__ = [
    "SUITES_DIR",
    "Backend",
    "Outcome",
    "StudentModule",
    "SubmissionJob",
    "GradingPlugin",
    "TestRecord",
    "grade_in_process",
    "run_session",
]


# ------------------------------------------------------------------ data


@dataclass
class SubmissionJob:
    """One submission as data: sources read by `nngrade.unpack`, never imported here."""

    student: str
    sources: dict[str, str]
    content_sha256: str = ""
    error: str | None = None  # set when the submission could not be read at all
    warnings: list[str] = field(default_factory=list)
    source: dict[str, Any] = field(default_factory=dict)


@dataclass
class Outcome:
    """What one call into student code gave, normalised from the backend's result."""

    status: str  # ok, raised, not_implemented, timeout, crashed, missing_module, ...
    value: Any = None
    error: str = ""
    error_type: str = ""
    output: str = ""
    seconds: float = 0.0
    warnings: tuple[str, ...] = ()
    limit: str | None = None

    @property
    def ok(self) -> bool:
        return self.status == "ok"


@dataclass
class TestRecord:
    """One hidden test's verdict for one submission."""

    nodeid: str
    title: str
    module: str
    name: str
    weight: float
    passed: bool
    feedback: dict[str, Any]
    output: str
    seconds: float


class Backend(Protocol):
    """Where student code runs: `nngrade.sandbox.Sandbox`, or in-process for nbgrader kernels."""

    protections: Mapping[str, bool]

    def load(self, sources: Mapping[str, str], modules: Iterable[str] | None = None, *,
             seed: int = 0) -> dict[str, str]: ...

    def call(self, module: str, name: str, args: tuple, kwargs: dict,
             timeout: float | None = None) -> Any: ...

    def drive(self, driver: str, params: dict, timeout: float | None = None) -> Any: ...


def _normalise(result: Any) -> Outcome:
    """Turn a backend's CallResult into an `Outcome` (tolerant of the fields a backend has)."""
    error = getattr(result, "error", None) or ""
    error_type = getattr(result, "error_type", None) or ""
    if not error_type and error.strip():
        # The sandbox's error text is the student's traceback: the exception's
        # type heads its last line ("ValueError: label 5 out of range").
        last = error.strip().splitlines()[-1]
        head = last.split(":", 1)[0].strip()
        error_type = head.rsplit(".", 1)[-1] if head.replace(".", "").isidentifier() else ""
    return Outcome(
        status=result.status,
        value=getattr(result, "value", None),
        error=error,
        error_type=error_type,
        output=getattr(result, "output", "") or "",
        seconds=float(getattr(result, "seconds", 0.0) or 0.0),
        warnings=tuple(getattr(result, "warnings", ()) or ()),
        limit=getattr(result, "limit", None),
    )


# ------------------------------------------------------------------ the student proxy

_STATUS_MESSAGES = {
    "not_implemented": "`{name}` is not implemented yet (it raises NotImplementedError).",
    "missing_module": "{module}.py is missing from the submission, so `{name}` cannot be graded.",
    "missing_name": "{module}.py defines no `{name}`.",
    "import_error": "{module}.py could not be imported, so `{name}` cannot be graded: {error}",
    "raised": "The call raised {error}",
    "timeout": "The call did not finish in time: {error}",
    "crashed": "The call crashed the worker process: {error}",
    "bad_result": "The call returned something that cannot be graded: {error}",
    "limit": "A resource limit was hit: {error}",
}


def _call_text(name: str, args: tuple, kwargs: dict) -> str:
    return describe_call(name, args, kwargs) if args or kwargs else f"{name}()"


class StudentModule:
    """A student's module as the hidden tests see it: attribute calls go to the backend.

    ``student.sigmoid(z)`` returns plain data or raises `Feedback` that says
    why nothing usable came back. ``student.outcome(...)`` returns the raw
    `Outcome` for tests that expect an exception (e.g. ValueError).
    """

    def __init__(self, context: _Context, module: str, timeout: float | None = None,
                 tape: _Tape | None = None,
                 last: list[tuple[str, tuple, dict] | None] | None = None) -> None:
        self._context = context
        self._module = module
        self._timeout = timeout
        self._tape = tape  # set when the test's calls are recorded for `nngrade.replay`
        # The latest call, shared with the `with_timeout` views of the same module.
        self._last = last if last is not None else [None]

    @property
    def last_call(self) -> LazyText:
        """``name(args...)`` of the latest call; rendered only if feedback needs the text."""
        last = self._last[0]
        return LazyText(None if last is None else functools.partial(_call_text, *last))

    def with_timeout(self, seconds: float) -> StudentModule:
        """The same module with a longer per-call time limit (e.g. for train_xor)."""
        return StudentModule(self._context, self._module, seconds, self._tape, self._last)

    def outcome(self, name: str, args: tuple = (), kwargs: dict | None = None) -> Outcome:
        kwargs = dict(kwargs or {})
        self._last[0] = (name, args, kwargs)
        return self._ask(_Request("call", self._module, name, args, kwargs, timeout=self._timeout))

    def drive(self, driver: str, params: dict, *, name: str = "") -> Any:
        """Run a trusted scenario driver (``nngrade.worker.drivers``) on the student's code."""
        self._last[0] = (name or driver, (), {})
        out = self._ask(_Request("drive", self._module, driver, params=params,
                                 timeout=self._timeout))
        return self.value_of(out, name or driver)

    def _ask(self, request: _Request) -> Outcome:
        if self._tape is not None:
            return self._tape.ask(request)
        return self._context.ask(request)

    def value_of(self, out: Outcome, name: str) -> Any:
        if out.ok:
            return out.value
        template = _STATUS_MESSAGES.get(out.status, "The call failed ({status}): {error}")
        message = template.format(name=name, module=self._module, error=out.error.strip()
                                  or out.status, status=out.status)
        raise Feedback(message, kind=out.status, call=self.last_call)

    def __getattr__(self, name: str) -> Callable[..., Any]:
        if name.startswith("_"):
            raise AttributeError(name)

        def call(*args: Any, **kwargs: Any) -> Any:
            return self.value_of(self.outcome(name, args, kwargs), name)

        return call


@dataclass
class _Request:
    """A call (or driver run) a hidden test is waiting on, to go out with the next batch."""

    op: str  # "call" or "drive"
    module: str
    name: str  # the function's name, or the driver's
    args: tuple = ()
    kwargs: dict = field(default_factory=dict)
    params: dict = field(default_factory=dict)
    timeout: float | None = None
    test: str = ""
    body: bytes | None = None  # the request already encoded (`Backend.encode_request`)
    encoded_only: bool = False  # made from a replay step: no arguments, only ``body``

    @property
    def key(self) -> tuple[str, str]:
        return (self.module, self.name if self.op == "call" else f"driver:{self.name}")

    @property
    def step(self) -> tuple[str, str, str, float | None, bytes | None]:
        """What identifies the call in a replay tree: exactly what the worker would get."""
        return (self.op, self.module, self.name, self.timeout, self.body)

    @classmethod
    def from_step(cls, step: tuple[str, str, str, float | None, bytes | None]) -> _Request:
        op, module, name, timeout, body = step
        if body is None:
            raise ValueError("a replay step must hold the encoded call")
        return cls(op, module, name, timeout=timeout, body=body, encoded_only=True)


class _Context:
    """The submission being graded right now, and the timers of its calls.

    When ``scheduler`` is set (the greenlet running the hidden tests side by
    side), a test's call does not go to the backend at once: the test waits
    while the scheduler sends the calls of every waiting test in one batch.
    """

    def __init__(self, backend: Backend, job: SubmissionJob, statuses: Mapping[str, str],
                 limits: Mapping[str, float]) -> None:
        self.scheduler: greenlet.greenlet | None = None
        self.backend = backend
        self.job = job
        self.statuses = dict(statuses)
        self.limits = limits
        self.call_seconds = 0.0
        self.output_parts: list[str] = []
        self.limits_hit: list[dict[str, str]] = []
        self.current_test = ""
        self.deadline = time.monotonic() + limits.get("submission_seconds", 300.0)
        self.timed_out: set[tuple[str, str]] = set()
        self._encode_request = getattr(backend, "encode_request", None)  # looked up once

    def _short_circuit(self, module: str) -> Outcome | None:
        status = self.statuses.get(module, "missing")
        if status == "ok":
            if time.monotonic() > self.deadline:
                return Outcome("timeout", error="the submission used up its total time "
                               f"({self.limits.get('submission_seconds', 300.0):g} s)")
            return None
        if status == "missing":
            return Outcome("missing_module")
        return Outcome("import_error", error=status)

    # A function that already ran out of time once in this submission is most
    # likely stuck in a loop; its later calls get this many seconds instead of
    # the full limit, so one endless loop cannot eat the submission's budget.
    REPEAT_TIMEOUT = 0.5

    def _timeout_for(self, key: tuple[str, str], timeout: float | None) -> float | None:
        if key in self.timed_out:
            return self.REPEAT_TIMEOUT if timeout is None else min(timeout, self.REPEAT_TIMEOUT)
        return timeout

    def _record(self, out: Outcome, key: tuple[str, str] | None = None) -> Outcome:
        if out.status == "timeout" and key is not None:
            self.timed_out.add(key)
        self.call_seconds += out.seconds
        if out.output:
            self.output_parts.append(out.output)
        if out.status in ("timeout", "crashed", "limit"):
            self.limits_hit.append({"test": self.current_test, "limit": out.status,
                                    "detail": out.error.strip()[:200]})
        return out

    def _wait(self, request: _Request) -> Outcome | None:
        """In a side-by-side run: hand ``request`` to the scheduler and wait for its outcome."""
        if self.scheduler is None or greenlet.getcurrent() is self.scheduler:
            return None
        request.test = self.current_test
        return self.scheduler.switch(request)

    def ask(self, request: _Request) -> Outcome:
        """The outcome of one call or driver run of the current test."""
        early = self._short_circuit(request.module)
        if early is not None:
            return early
        waited = self._wait(request)
        if waited is not None:
            return waited
        if request.encoded_only:
            raise RuntimeError("a call kept only encoded can go out in a side-by-side batch only")
        key = request.key
        timeout = self._timeout_for(key, request.timeout)
        t0 = time.perf_counter()
        if request.op == "call":
            result = self.backend.call(request.module, request.name, request.args,
                                       request.kwargs, timeout=timeout)
        else:
            result = self.backend.drive(request.name, request.params, timeout=timeout)
        out = _normalise(result)
        out.seconds = out.seconds or (time.perf_counter() - t0)
        return self._record(out, key)

    def encode(self, request: _Request) -> None:
        """Encode ``request`` now, if the backend can (a replay tree keeps the encoded step)."""
        if self._encode_request is not None and request.body is None:
            request.body = self._encode_request(self._message(request))

    @staticmethod
    def _message(request: _Request) -> dict[str, Any]:
        if request.op == "call":
            return {"op": "call", "module": request.module, "name": request.name,
                    "args": request.args, "kwargs": request.kwargs}
        return {"op": "drive", "driver": request.name, "params": request.params}

    def run_batch(self, requests: list[_Request]) -> list[Outcome]:
        """The outcomes of ``requests``, sent to the backend in as few batches as possible.

        A batch stops at the first call that fails (its worker is replaced);
        the rest go again, each with the limit it has now: a function that
        just hung gets `REPEAT_TIMEOUT`, as it would one call at a time.
        """
        outcomes: list[Outcome | None] = [None] * len(requests)
        todo = list(range(len(requests)))
        while todo:
            sendable = []
            for i in todo:
                early = self._short_circuit(requests[i].module)
                if early is not None:
                    outcomes[i] = early
                else:
                    sendable.append(i)
            if not sendable:
                break
            batch = []
            for i in sendable:
                r = requests[i]
                message = {"body": r.body} if r.body is not None else self._message(r)
                message["timeout"] = self._timeout_for(r.key, r.timeout)
                batch.append(message)
            results = self.backend.run_batch(batch)
            if not results:
                break
            for i, result in zip(sendable, results, strict=False):  # a prefix came back
                self.current_test = requests[i].test
                outcomes[i] = self._record(_normalise(result), requests[i].key)
            todo = sendable[len(results):]
        return [out if out is not None else Outcome("crashed", error="not run")
                for out in outcomes]


class _Tape:
    """One test's calls while it runs itself, for its tree in `nngrade.replay.Replays`.

    ``handed`` are the answers this submission already gave to the test's
    first calls (sent while the tree was walked): the test gets them back
    for those calls, which must be the very calls recorded (else the test is
    not deterministic and is never replayed again). Every later call goes to
    the worker, and the tree grows by its step and its answer. ``node`` is
    where the test's verdict goes when it ends (None: not recorded).
    """

    def __init__(self, ctx: _Context, replays: Replays, nodeid: str, root: Node,
                 handed: list[tuple[Outcome, Hashable]]) -> None:
        self.ctx = ctx
        self.replays = replays
        self.nodeid = nodeid
        self.node: Node | None = root
        self.handed = handed

    def ask(self, request: _Request) -> Outcome:
        ctx, node = self.ctx, self.node
        ctx.encode(request)
        step = request.step
        if self.handed:
            if node is not None and node.step == step:
                out, key = self.handed.pop(0)
                self.node = self.replays.grow(node, key)
                return out
            # Not the call it made before with the same answers: a test that is not
            # deterministic. It is graded live from here, and never replayed again.
            self._give_up()
        out = ctx.ask(request)
        if node is not None and self.node is node:
            if node.step is None and node.verdict is None:
                self.replays.set_step(node, step)
            if node.step == step:
                self.node = self.replays.grow(node, answer_key(out))
            else:
                self._give_up()
        return out

    def leaf(self) -> Node | None:
        """Where the finished test's verdict goes: a node that ends the calls, or None."""
        node = self.node
        if self.handed:  # it made fewer calls than before after the same answers
            self._give_up()
            return None
        if node is None:
            return None
        if node.step is not None or node.branches or node.verdict is not None:
            self._give_up()  # it made more calls, or fewer, after the same answers
            return None
        return node

    def _give_up(self) -> None:
        self.handed.clear()
        self.node = None
        self.replays.turn_off(self.nodeid)


# ------------------------------------------------------------------ the plugin

@dataclass(frozen=True)
class _ItemInfo:
    """A collected hidden test, as the grading loop needs it for every submission."""

    nodeid: str
    module: str
    name: str
    weight: float
    title: str
    direct_args: tuple[tuple[str, str, Any], ...] | None


CONTEXT_KEY = pytest.StashKey[_Context]()
SEED_KEY = pytest.StashKey[int]()


class GradingPlugin:
    """Grades each job of ``jobs`` with every collected hidden test; hands results to ``emit``."""

    def __init__(
        self,
        backend_factory: Callable[[], Backend],
        jobs: Iterable[SubmissionJob],
        emit: Callable[[SubmissionJob, dict[str, Any]], None],
        *,
        seed: int,
        limits: Mapping[str, float] | None = None,
        modules: list[str] | None = None,
        rubric: Rubric | None = None,
        force_protocol: bool = False,
        side_by_side: bool = True,
        settle_heap: bool = False,
        replay: bool = True,
    ) -> None:
        self.force_protocol = force_protocol
        self.side_by_side = side_by_side
        # Tests answered exactly as before reuse their verdict (side by side only).
        self.replays: Replays | None = Replays() if replay else None
        self._replayed: dict[str, Verdict] = {}  # this submission's reused verdicts
        self._leaves: dict[str, Node] = {}  # where this submission's new verdicts go
        self.settle_heap = settle_heap  # a grading process of its own (see _settle_heap)
        self.rubric = rubric or load_rubric()
        self._backend_factory = backend_factory
        self.backend: Backend | None = None
        self.jobs = jobs
        self.emit = emit
        self.seed = seed
        self.limits = dict(limits or {})
        self.modules = modules
        self._exc: dict[str, BaseException] = {}
        self._infos: dict[pytest.Item, _ItemInfo] = {}  # items live as long as the session
        self.collection_error: str | None = None

    # -- session set-up

    def pytest_configure(self, config: pytest.Config) -> None:
        config.stash[SEED_KEY] = self.seed

    def pytest_collection_modifyitems(self, session: pytest.Session, config: pytest.Config,
                                      items: list[pytest.Item]) -> None:
        keep = []
        for item in items:
            marker = item.get_closest_marker("contract")
            if marker is None:
                raise pytest.UsageError(f"hidden test {item.nodeid} has no contract marker")
            if self.modules is None or marker.args[0] in self.modules:
                keep.append(item)
        items[:] = keep

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            self.collection_error = str(report.longrepr)

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo) -> Any:
        if call.excinfo is not None and call.when in ("setup", "call"):
            self._exc.setdefault(item.nodeid, call.excinfo.value)
        yield

    # -- the loop

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtestloop(self, session: pytest.Session) -> bool:
        if self.collection_error:
            raise session.Failed(f"the hidden suites failed to collect:\n{self.collection_error}")
        from _pytest.runner import runtestprotocol

        if self.backend is None:
            self.backend = self._backend_factory()
        if not (self.side_by_side and hasattr(self.backend, "encode_request")):
            self.replays = None  # a replay tree keeps calls as the backend encodes them
        items = session.items
        if self.settle_heap:
            _settle_heap()
        for job in self.jobs:
            started = time.perf_counter()
            statuses: dict[str, str] = {}
            load_seconds = 0.0
            if job.error is None:
                t0 = time.perf_counter()
                # Import the contract's modules now (a student's helper files only when
                # imported); seed the worker's global random state for reproducibility.
                present = [m for m in MODULES if m in job.sources]
                statuses = self.backend.load(job.sources, present, seed=self.seed)
                load_seconds = time.perf_counter() - t0
            ctx = _Context(self.backend, job, statuses, self.limits)
            session.config.stash[CONTEXT_KEY] = ctx
            side_by_side = self.side_by_side and hasattr(self.backend, "run_batch")
            # Side by side, a test's arguments are made when it runs (a replayed test needs none).
            plans = [(item, None if self._info(item).direct_args is None
                      else {} if side_by_side else self._direct_funcargs(item, ctx))
                     for item in items]
            verdicts: dict[int, tuple[bool, float]] = {}
            if side_by_side:
                verdicts = self._run_side_by_side(plans, ctx)
            # Tests that need pytest's own protocol (other fixtures) run one by one, after.
            rest = [i for i in range(len(plans)) if i not in verdicts]
            for k, index in enumerate(rest):
                item, funcargs = plans[index]
                nextitem = plans[rest[k + 1]][0] if k + 1 < len(rest) else None
                ctx.current_test = item.nodeid
                t0 = time.perf_counter()
                if funcargs is not None:
                    failed = self._run_direct(item, funcargs)
                else:
                    reports = runtestprotocol(item, log=False, nextitem=nextitem)
                    failed = any(r.failed for r in reports)
                verdicts[index] = (failed, time.perf_counter() - t0)
            replayed = len(self._replayed)
            records = [self._record(item, *verdicts[index], ctx)
                       for index, (item, _funcargs) in enumerate(plans)]
            end = getattr(self.backend, "end", None)
            if end is not None:
                end()  # the worker cleans up while the results are written
            timing = {
                "worker_start": round(load_seconds, 4),
                "student_calls": round(ctx.call_seconds, 4),
                "reference_and_checks": round(
                    max(0.0, time.perf_counter() - started - load_seconds - ctx.call_seconds), 4),
                # Tests whose verdict was reused: this submission answered them exactly as
                # an earlier one did (`nngrade.replay`); their calls still ran.
                "tests_replayed": replayed,
            }
            from nngrade.scoring import build_results

            results = build_results(
                job,
                records,
                statuses,
                rubric=self.rubric,
                seed=self.seed,
                protections=dict(getattr(self.backend, "protections", {}) or {}),
                limits_hit=ctx.limits_hit,
                timing=timing,
                execution_time=time.perf_counter() - started,
            )
            self.emit(job, results)
        return True

    # pytest's full runtestprotocol costs about 1 ms a test (hooks, fixture
    # requests, reports); a class of hundreds times a hundred tests makes that
    # the grader's main cost. Tests that ask only for the per-submission
    # fixtures `student` and `rng` (and parametrize arguments) are therefore
    # called directly; any other fixture sends the test through pytest's
    # protocol. tests/test_runner.py checks both paths give the same verdicts.
    _DIRECT_FIXTURES = frozenset({"student", "rng", "request"})

    def _info(self, item: pytest.Item) -> _ItemInfo:
        """What the loop needs of ``item``, read once per session (markers are slow to walk)."""
        info = self._infos.get(item)
        if info is None:
            marker = item.get_closest_marker("contract")
            assert marker is not None
            doc = (getattr(getattr(item, "obj", None), "__doc__", None) or "").strip().splitlines()
            title = doc[0] if doc else item.name.replace("test_", "").replace("_", " ")
            info = _ItemInfo(item.nodeid, marker.args[0], marker.args[1],
                             float(marker.kwargs.get("weight", 1.0)), title,
                             self._direct_args(item))
            self._infos[item] = info
        return info

    def _direct_args(self, item: pytest.Item) -> tuple[tuple[str, str, Any], ...] | None:
        """The test function's arguments as (name, "param" | "student" | "rng", value), or
        None when the test needs pytest's protocol."""
        if self.force_protocol or not isinstance(item, pytest.Function):
            return None
        params = dict(getattr(getattr(item, "callspec", None), "params", {}) or {})
        wanted = set(item.fixturenames) - set(params)
        if not wanted <= self._DIRECT_FIXTURES or "request" in item._fixtureinfo.argnames:
            return None
        args = []
        for name in item._fixtureinfo.argnames:  # the test function's own arguments
            if name in params:
                args.append((name, "param", params[name]))
            elif name in ("student", "rng"):
                args.append((name, name, None))
        return tuple(args)

    def _direct_funcargs(self, item: pytest.Item, ctx: _Context,
                         tape: _Tape | None = None) -> dict[str, Any] | None:
        info = self._info(item)
        if info.direct_args is None:
            return None
        funcargs: dict[str, Any] = {}
        for name, kind, value in info.direct_args:
            if kind == "param":
                funcargs[name] = value
            elif kind == "student":
                funcargs[name] = StudentModule(ctx, info.module, tape=tape)
            else:
                funcargs[name] = seeded_rng(self.seed, info.nodeid)
        return funcargs

    def _run_side_by_side(self, plans: list[tuple[pytest.Item, dict[str, Any] | None]],
                          ctx: _Context) -> dict[int, tuple[bool, float]]:
        """Run the directly callable tests side by side, each in its own greenlet.

        Every test runs until it calls the student's code, then waits; the
        calls of all waiting tests go to the sandbox as one pipelined batch
        (`_Context.run_batch`), and each test resumes with its outcome. A
        submission then costs a few round trips to the worker instead of one
        per call, the main cost of grading once the checks themselves are cheap.

        The order is fixed (tests start in collection order, every batch lists
        its calls in that order), so a submission's calls reach its worker in
        the same order on every run: same seed, same score. Returns
        ``{index: (failed, seconds)}``; seconds are the test's own share.
        """
        ctx.scheduler = greenlet.getcurrent()
        verdicts: dict[int, tuple[bool, float]] = {}
        spent: dict[int, float] = {}
        waiting: list[tuple[int, greenlet.greenlet, _Request]] = []

        def resume(index: int, test: greenlet.greenlet, outcome: Outcome | None) -> None:
            ctx.current_test = self._info(plans[index][0]).nodeid
            t0 = time.perf_counter()
            got = test.switch() if outcome is None else test.switch(outcome)
            spent[index] = spent.get(index, 0.0) + time.perf_counter() - t0
            if test.dead:
                verdicts[index] = (bool(got), spent[index])
            else:
                waiting.append((index, test, got))

        try:
            for index, (item, funcargs) in enumerate(plans):
                if funcargs is not None:
                    run = functools.partial(self._run_taped, item, ctx)
                    resume(index, greenlet.greenlet(run), None)
            while waiting:
                batch, waiting = waiting, []
                outcomes = ctx.run_batch([request for _, _, request in batch])
                for (index, test, _request), outcome in zip(batch, outcomes, strict=True):
                    spent[index] = spent.get(index, 0.0) + outcome.seconds
                    resume(index, test, outcome)
        finally:
            ctx.scheduler = None
        return verdicts

    def _run_taped(self, item: pytest.Function, ctx: _Context) -> bool:
        """Replay the test's tree while this submission answers as recorded; else run the test.

        Walking the tree sends each recorded call to the worker; an answer
        that leads to a verdict settles the test without running it. At the
        first new answer the test runs, with the answers so far handed back
        (`_Tape`). True when the test failed.
        """
        info = self._info(item)
        root = self.replays.root(info.nodeid) if self.replays is not None else None
        if root is None:
            if self.replays is not None:
                self.replays.stats["ran"] += 1
            return self._run_direct(item, self._direct_funcargs(item, ctx) or {})
        handed: list[tuple[Outcome, Hashable]] = []
        node: Node | None = root
        while node is not None and node.verdict is None and node.step is not None:
            out = ctx.ask(_Request.from_step(node.step))
            key = answer_key(out)
            handed.append((out, key))
            node = node.branches.get(key)
        if node is not None and node.verdict is not None:
            self.replays.stats["replayed"] += 1
            self._replayed[info.nodeid] = node.verdict
            return not node.verdict.passed
        self.replays.stats["ran"] += 1
        tape = _Tape(ctx, self.replays, info.nodeid, root, handed)
        failed = self._run_direct(item, self._direct_funcargs(item, ctx, tape) or {})
        leaf = tape.leaf()
        if leaf is not None:
            self._leaves[info.nodeid] = leaf
        return failed

    def _run_direct(self, item: pytest.Function, funcargs: dict[str, Any]) -> bool:
        """Call the test function; True when it failed (its exception is kept for feedback)."""
        try:
            item.obj(**funcargs)
        except (KeyboardInterrupt, SystemExit):
            raise
        except BaseException as exc:  # noqa: BLE001 - any failure is a verdict
            self._exc[self._info(item).nodeid] = exc
            return True
        return False

    def _record(self, item: pytest.Item, failed: bool, seconds: float,
                ctx: _Context) -> TestRecord:
        info = self._info(item)
        module, name, weight, title_text = info.module, info.name, info.weight, info.title
        replayed = self._replayed.pop(info.nodeid, None)
        if replayed is not None:
            # Feedback holds strings and dicts of strings: this copy leaves the kept one alone.
            fb = {k: dict(v) if isinstance(v, dict) else v for k, v in replayed.feedback.items()}
            fb["seconds"] = round(seconds, 4)
            return TestRecord(info.nodeid, title_text, module, name, weight, replayed.passed,
                              fb, replayed.output, seconds)
        record = self._fresh_record(info, failed, seconds)
        leaf = self._leaves.pop(info.nodeid, None)
        # A hidden test that broke may have met something passing (memory): never kept.
        if leaf is not None and self.replays is not None and \
                record.feedback.get("kind") != "grader_error":
            kept = {k: copy.deepcopy(v) for k, v in record.feedback.items() if k != "seconds"}
            self.replays.set_verdict(leaf, Verdict(record.passed, kept, record.output))
        return record

    def _fresh_record(self, info: _ItemInfo, failed: bool, seconds: float) -> TestRecord:
        module, name, weight, title_text = info.module, info.name, info.weight, info.title
        exc = self._exc.pop(info.nodeid, None)
        if not failed:
            return TestRecord(info.nodeid, title_text, module, name, weight, True,
                              {"kind": "passed", "seconds": round(seconds, 4)}, "", seconds)
        if isinstance(exc, Feedback):
            fb = exc.as_dict()
            output = exc.render()
        elif isinstance(exc, AssertionError):
            # A plain assert in a hidden test: its text may quote the test's source.
            fb = {"kind": "mismatch", "message": "A hidden check on the result failed."}
            output = fb["message"]
        else:
            # The hidden test itself broke: a grader bug, never the student's fault alone.
            detail = "".join(traceback.format_exception_only(type(exc), exc)).strip() \
                if exc else "unknown error"
            fb = {"kind": "grader_error",
                  "message": "The grader could not check this test (an internal error); "
                             "your instructor has been told.",
                  "internal": detail[:500]}
            output = fb["message"]
        fb["seconds"] = round(seconds, 4)
        return TestRecord(info.nodeid, title_text, module, name, weight, False, fb, output,
                          seconds)


def _settle_heap() -> None:
    """Tune the collector for a process that will grade submission after submission.

    What exists once the suites are collected (pytest, numpy, the reference,
    the suites) lives as long as the process: frozen, the collector no
    longer walks it on each full collection. A submission makes a few
    thousand short-lived objects per test, so collections start later too.
    Only the time spent collecting changes.
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(5000, 20, 20)


# ------------------------------------------------------------------ running a session


def pytest_args(suites_dir: Path = SUITES_DIR) -> list[str]:
    """Arguments for a quiet, isolated grading session (no project config, no stray plugins)."""
    return [
        str(suites_dir),
        "-c", str(suites_dir / "grading.ini"),
        "--rootdir", str(suites_dir),
        "--import-mode=importlib",
        "-p", "no:cacheprovider",
        "-p", "no:warnings",
        "-p", "no:logging",
        "-p", "no:stepwise",
        "-s",
        "-qq",
        "--no-header",
        "-o", "console_output_style=classic",
    ]


def run_session(plugin: GradingPlugin, suites_dir: Path = SUITES_DIR) -> int:
    """Run one grading pytest session in this process; returns pytest's exit code."""
    os.environ.setdefault("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    import contextlib
    import io

    sink = io.StringIO()
    with contextlib.redirect_stdout(sink):
        code = pytest.main(pytest_args(suites_dir), plugins=[plugin])
    if code not in (0, 1, 5) or plugin.collection_error:
        raise RuntimeError(f"the grading session failed (pytest exit {code}):\n"
                           f"{plugin.collection_error or sink.getvalue()[-4000:]}")
    return int(code)


_SEED_SEQUENCES: dict[tuple[int, str], np.random.SeedSequence] = {}


def seeded_rng(seed: int, nodeid: str) -> np.random.Generator:
    """The random inputs of one hidden test: a function of the run's seed and the test's id only.

    ``numpy.random.default_rng([seed, crc32(nodeid)])``, built from a kept
    SeedSequence: hashing the entropy costs more than many a test, and every
    submission of a batch asks for the same generators.
    """
    sequence = _SEED_SEQUENCES.get((seed, nodeid))
    if sequence is None:
        sequence = np.random.SeedSequence([seed, zlib.crc32(nodeid.encode())])
        _SEED_SEQUENCES[(seed, nodeid)] = sequence
    return np.random.Generator(np.random.PCG64(sequence))


def grade_in_process(namespaces: Mapping[str, Any], *, seed: int,
                     modules: list[str] | None = None, rubric: Rubric | None = None,
                     student: str = "in-process") -> dict[str, Any]:
    """Grade code that already runs in this process (an nbgrader kernel) with the hidden suites.

    ``namespaces`` maps contract module names to dicts or modules holding the
    student's definitions. Only for nbgrader's own autograding, where the
    student's code is in the kernel anyway: nothing here is confined.
    """
    from nngrade.inprocess import InProcessBackend

    collected: list[dict[str, Any]] = []
    job = SubmissionJob(student, {name: "" for name in namespaces})
    plugin = GradingPlugin(lambda: InProcessBackend(namespaces), [job],
                           lambda _job, res: collected.append(res), seed=seed,
                           modules=modules, rubric=rubric)
    run_session(plugin)
    return collected[0]
