"""The grading processes of ``nngrade grade -j N``: a pool that no submission can stop.

Each grading process collects the hidden suites once, starts one sandbox
(pinned beside it to a CPU of its own, when there are enough), and then
grades the submissions it is sent, one after another, with one
`nngrade.hidden.grader.SuiteGrader`, sending back each results document as
JSON. `grade_in_pool` yields the documents in the main process as they
arrive.

Each process has a queue of work and a pipe for its results of its own, and
the main process decides who grades what (two submissions in flight per
process, so a process never waits for the next one while the main process
writes a report). So the main process always knows which submission a
process was grading, and a process that dies, however abruptly, can neither
lose a submission nor leave a lock behind that stops the others. It costs
only the submission it was grading: that one is retried once in a fresh
process, then recorded as ungradeable with the reason; one that hangs past
the submission's time limit plus two minutes is killed and counts the same.
Grading processes that cannot even start (a broken suite, no sandbox) stop
the batch with a `GraderError`: that is the grader's fault, not a student's.
"""

from __future__ import annotations

import contextlib
import gc
import itertools
import json
import multiprocessing as mp
import os
import queue
import sys
import threading
import time
import traceback
from collections import deque
from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from nngrade.grade.errors import GraderError
from nngrade.grade.options import BatchOptions, sandbox_limits
from nngrade.records import Submission
from nngrade.rubric import Rubric, load_rubric
from nngrade.scoring import ungradeable_results

if TYPE_CHECKING:
    from nngrade.sandbox.zygote import Zygote

__all__ = ["early_grading_process", "grade_in_pool", "settle_heap"]

_HANG_GRACE = 120.0  # seconds past the submission limit before a process counts as hung
_IN_FLIGHT = 2  # submissions sent ahead to each process


@dataclass
class _Worker:
    """The main process's view of one grading process."""

    process: Any
    tasks: Any  # its own multiprocessing queue (sending never blocks the main process)
    conn: Connection  # the end of its pipe the results come from
    sent: deque[str] = field(default_factory=deque)  # in order; the first is being graded
    since: float = field(default_factory=time.monotonic)  # when the first began
    ready: bool = False  # it started (suites collected, sandbox up)
    fatal: str = ""  # the traceback it sent before dying, if any


def grade_in_pool(submissions: Sequence[Submission], *, seed: int, rubric: Rubric,
                  options: BatchOptions,
                  meanwhile: Callable[[], None] | None = None,
                  shared_replays: Path | None = None,
                  adopt: Callable[[], tuple[Any, Any, Any] | None] | None = None,
                  ) -> Generator[dict[str, Any], None, None]:
    """Grade ``submissions`` in ``options.jobs`` processes; yield each results document.

    ``meanwhile`` runs in this process once a grading process is ready to grade
    (what writing the results will need, prepared while they work); its
    failure is left for the writing to meet. With ``shared_replays`` (OUT),
    the processes start from the replay trees earlier processes of the run
    left there and leave theirs (`nngrade.hidden.replay_store`). ``adopt`` gives a
    grading process started already (`nngrade.grade.early.take`), or None: the first
    one needed is taken from it.
    """
    if not submissions:
        return
    ctx = mp.get_context("fork") if sys.platform.startswith("linux") else mp.get_context("spawn")
    limits = sandbox_limits(options)
    by_student = {submission.student: submission for submission in submissions}
    todo: deque[str] = deque(by_student)
    attempts: dict[str, int] = {}
    done: set[str] = set()
    n_proc = max(1, min(options.jobs, len(submissions)))
    cpus = os.cpu_count() or 1
    started = itertools.count()
    hard_limit = options.submission_timeout + _HANG_GRACE
    workers: list[_Worker] = []
    start_failures: list[str] = []
    extra: dict[str, Any] = {}  # keyword arguments of `_grading_process` beyond the usual
    replay = options.replay
    if shared_replays is not None:
        extra["shared_replays"] = str(shared_replays)
    elif len(submissions) == 1:
        # One hand-in: tuning the collector would cost, not save, and no later submission
        # can replay what recording its verdicts would cost (the verdicts are the same).
        extra["settle"] = False
        replay = False

    def start() -> None:
        # One hand-in alone: unpinned, so the sandbox starts on another CPU while the
        # grading process imports the grader (`_grading_process`).
        cpu = next(started) % cpus if n_proc <= cpus and len(submissions) > 1 else None
        adopted = adopt() if adopt is not None else None  # started before the options
        if adopted is not None:
            process, tasks, ours = adopted
            tasks.put(("settings", {"seed": seed, "limits": limits,
                                    "rubric_path": str(rubric.path), "cpu": cpu,
                                    "replay": replay, **extra}))
            workers.append(_Worker(process, tasks, ours))
            return
        tasks = ctx.Queue()
        ours, theirs = ctx.Pipe(duplex=False)
        process = ctx.Process(target=_grading_process, daemon=True,
                              args=(tasks, theirs, seed, limits, str(rubric.path), cpu,
                                    replay),
                              kwargs=extra)
        process.start()
        theirs.close()
        workers.append(_Worker(process, tasks, ours))

    def feed(worker: _Worker) -> None:
        while todo and len(worker.sent) < _IN_FLIGHT:
            student = todo.popleft()
            worker.tasks.put(by_student[student])
            if not worker.sent:
                worker.since = time.monotonic()
            worker.sent.append(student)

    def lost(worker: _Worker, why: str) -> dict[str, Any] | None:
        """A grading process died or hung: retry what it was grading once, then give up."""
        workers.remove(worker)
        worker.conn.close()
        worker.tasks.cancel_join_thread()  # what it did not read goes with it
        result = None
        if not worker.ready:  # it never started: nothing it held was its fault
            start_failures.append(worker.fatal or why)
            if len(start_failures) >= 2:
                raise GraderError("the grading processes could not start:\n"
                                  + start_failures[-1])
            todo.extendleft(reversed(worker.sent))
        elif worker.sent:
            current, *waiting = worker.sent
            todo.extendleft(reversed(waiting))
            attempts[current] = attempts.get(current, 0) + 1
            if attempts[current] < 2:
                todo.appendleft(current)
            else:
                done.add(current)
                result = ungradeable_results(
                    by_student[current], seed,
                    f"the grader failed on this submission twice ({why})", rubric)
        if len(done) < len(submissions):
            start()
        return result

    try:
        for _ in range(n_proc):
            start()
        while len(done) < len(submissions):
            for worker in workers:
                feed(worker)
            pipes = {w.conn: w for w in workers}
            ends = {w.process.sentinel: w for w in workers}  # ready when the process ends
            for ready in wait([*pipes, *ends], timeout=0.5):
                worker = pipes[ready] if ready in pipes else ends[ready]
                if worker not in workers:
                    continue  # already handled through its other handle
                message: Any = None
                if ready in pipes:
                    with contextlib.suppress(EOFError, OSError):
                        message = worker.conn.recv()
                if message is None:
                    worker.process.join()
                    result = lost(worker, f"grading process exited with code "
                                          f"{worker.process.exitcode}")
                elif message[0] == "ready":
                    worker.ready = True
                    worker.since = time.monotonic()
                    if meanwhile is not None:
                        # Once a process grades, not before: until then it, its sandbox
                        # and this process would share the CPUs three ways, and the grading
                        # would start later. Grading, a process and its worker take turns.
                        prepare, meanwhile = meanwhile, None
                        with contextlib.suppress(Exception):
                            prepare()
                    continue
                elif message[0] == "fatal":
                    worker.fatal = message[1]
                    continue
                else:  # ("done", student, results as JSON)
                    student = worker.sent.popleft()
                    worker.since = time.monotonic()
                    assert student == message[1], (student, message[1])
                    done.add(student)
                    result = json.loads(message[2])
                if result is not None:
                    yield result
            now = time.monotonic()
            for worker in list(workers):
                if worker.sent and worker.ready and now - worker.since > hard_limit:
                    worker.process.kill()
                    worker.process.join()
                    result = lost(worker, f"no verdict after {hard_limit:.0f} s")
                    if result is not None:
                        yield result
    finally:
        for worker in workers:
            worker.tasks.put(None)
        for worker in workers:
            worker.process.join(timeout=10)
            if worker.process.is_alive():
                worker.process.kill()
                worker.process.join()
                worker.tasks.cancel_join_thread()
            worker.conn.close()


def _grading_process(tasks: Any, conn: Connection, seed: int, limits: dict[str, float],
                     rubric_path: str, cpu: int | None, replay: bool,
                     shared_replays: str | None = None, settle: bool = True) -> None:
    """One grading process: the suites, a sandbox and a grader, until sent None."""
    parent = os.getppid()  # first thing: the process that forked this one
    _run_grading(tasks, conn, _Settings(seed, limits, rubric_path, cpu, replay,
                                        shared_replays, settle), parent)


def early_grading_process(tasks: Any, conn: Connection, zygote: Zygote, parent: int) -> None:
    """A grading process forked before its command read the options (`nngrade.grade.early`).

    It does what needs no option first, beside the command's own start (its
    sandbox, launched with the default limits before this module was
    imported, imports numpy; this process imports the grader and recalls the
    suites), then waits for the run's settings, the first thing on
    ``tasks`` once `grade_in_pool` adopts it (None: the run has no use for
    it). It stops by itself when ``parent``, the command, is gone.
    """
    _run_grading(tasks, conn, None, parent, zygote)


@dataclass(frozen=True)
class _Settings:
    """What a grading process needs from its run: the arguments of `_grading_process`."""

    seed: int
    limits: dict[str, float]
    rubric_path: str
    cpu: int | None
    replay: bool
    shared_replays: str | None = None
    settle: bool = True


def _next_task(tasks: Any, parent: int) -> Any:
    """The next thing on ``tasks``; None once ``parent`` is gone (killed, say: nobody would
    read what this process graded, and it would wait for the next task forever)."""
    while True:
        try:
            return tasks.get(timeout=1.0)
        except queue.Empty:
            if os.getppid() != parent:
                return None


def _await_settings(tasks: Any, parent: int) -> _Settings | None:
    """The settings `grade_in_pool` sends an adopted process; None if it is not wanted."""
    message = _next_task(tasks, parent)
    return None if message is None else _Settings(**message[1])


def _run_grading(tasks: Any, conn: Connection, settings: _Settings | None, parent: int,
                 zygote: Zygote | None = None) -> None:
    """The suites, a sandbox and a grader, then every submission on ``tasks`` until None.

    ``settings`` None: an early process (`early_grading_process`), which reads them
    from ``tasks`` once everything that needs none is done.
    """
    from nngrade.sandbox.api import Limits
    from nngrade.sandbox.zygote import Zygote

    outbox = _Outbox(conn)
    try:
        # A worker beside its grader on one CPU: the two take turns, with warm caches.
        # The sandbox is launched first, before this process imports numpy (the zygote
        # needs neither): its worker imports numpy while this process imports numpy, the
        # grader and the suites.
        with contextlib.ExitStack() as stack:
            if zygote is None:
                assert settings is not None
                zygote = Zygote(Limits(**cast("dict[str, Any]", settings.limits)), {})
            stack.callback(zygote.stop)  # also when the suites do not collect
            if not zygote.launched:  # an early process's was launched before its imports
                zygote.launch()
            from nngrade.hidden.grader import SuiteGrader
            from nngrade.hidden.suite import collect
            from nngrade.sandbox import Sandbox

            tests = collect()
            if settings is None:
                settings = _await_settings(tasks, parent)
                if settings is None:
                    return
                zygote.adopt_limits(Limits(**cast("dict[str, Any]", settings.limits)))
            box = Sandbox(zygote.limits, cpu=settings.cpu, zygote=zygote)
            stack.callback(box.close)
            rubric = load_rubric(Path(settings.rubric_path))
            box.start()
            grader = SuiteGrader(box, tests, seed=settings.seed, rubric=rubric,
                                 limits=settings.limits, replay=settings.replay)
            shared = _SharedReplays(settings.shared_replays, grader, settings.seed, rubric,
                                    settings.limits)
            if settings.settle:
                settle_heap()
            outbox.put(("ready",))
            with open(os.devnull, "w") as quiet, contextlib.redirect_stdout(quiet):
                while (submission := _next_task(tasks, parent)) is not None:
                    results = grader.grade(submission)
                    outbox.put(("done", submission.student, json.dumps(results)))
            shared.save()
    except BaseException as exc:
        if _is_suite_error(exc):  # the instructor's suites: their problems, no traceback
            outbox.put(("fatal", str(exc)))
            return
        outbox.put(("fatal", traceback.format_exc()))
        raise
    finally:
        outbox.close(parent)


def _is_suite_error(exc: BaseException) -> bool:
    """A `nngrade.hidden.suite.SuiteError` (imported by then, if it was raised)."""
    suite = sys.modules.get("nngrade.hidden.suite")
    return suite is not None and isinstance(exc, suite.SuiteError)


class _SharedReplays:
    """A grading process's replay trees, from and back to OUT when its run shares them."""

    def __init__(self, out: str | None, grader: Any, seed: int, rubric: Rubric,
                 limits: dict[str, float]) -> None:
        self.replays = grader.replays
        self.out = Path(out) if out and self.replays is not None else None
        self.loaded: list[Path] = []
        if self.out is None:
            return
        from nngrade.hidden.replay_store import load_replays, store_key
        from nngrade.hidden.suite import SUITES_DIR

        self.key = store_key(seed=seed, rubric_sha256=rubric.sha256, limits=limits,
                             suites=SUITES_DIR.glob("*.py"))
        self.loaded = load_replays(self.out, self.key, self.replays)

    def save(self) -> None:
        """Leave the trees for the next process; a failure costs the next one time only."""
        if self.out is None:
            return
        from nngrade.hidden.replay_store import save_replays

        with contextlib.suppress(Exception):
            save_replays(self.out, self.key, self.replays, self.loaded)


class _Outbox:
    """A grading process's end of its result pipe, written by a thread of its own.

    A results document is larger than a pipe holds: sent directly, it would
    keep the process from grading its next submission until the main process,
    perhaps busy writing a report, has read it all.
    """

    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._send_all, daemon=True)
        self._thread.start()

    def put(self, message: tuple[Any, ...]) -> None:
        self._queue.put(message)

    def close(self, parent: int) -> None:
        """Send what is queued, then stop; at once if ``parent``, the reader, is gone (this
        process holds the pipe's other end too, so a send to nobody blocks, not fails)."""
        self._queue.put(None)
        while self._thread.is_alive():
            self._thread.join(timeout=1.0)
            if os.getppid() != parent:
                return  # what is left goes with this process

    def _send_all(self) -> None:
        for message in iter(self._queue.get, None):
            try:
                self._conn.send(message)
            except OSError:  # the main process is gone: nobody to tell
                return


def settle_heap() -> None:
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
