"""The grading processes of ``nngrade grade -j N``: a pool that no submission can stop.

Each grading process collects the hidden suites once, starts one sandbox
(pinned beside it to a CPU of its own, when there are enough), and then
grades submission after submission from a shared queue with one
`nngrade.hidden.grader.SuiteGrader`, sending back each results document as
JSON. `grade_in_pool` yields the documents in the main process as they
arrive.

A grading process that dies or hangs (past the submission's time limit plus
two minutes) costs only the submission it held: it is retried once in a
fresh process, then recorded as ungradeable with the reason. Grading
processes that cannot even start (a broken suite, no sandbox) stop the
batch with a `GraderError`: that is the grader's fault, not a student's.
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
import time
import traceback
from collections.abc import Generator, Sequence
from pathlib import Path
from typing import Any, cast

from nngrade.grade.errors import GraderError
from nngrade.grade.options import BatchOptions, sandbox_limits
from nngrade.records import Submission
from nngrade.rubric import Rubric, load_rubric
from nngrade.scoring import ungradeable_results

__all__ = ["grade_in_pool", "settle_heap"]

_STARTED_GRACE = 120.0  # seconds past the submission limit before a process counts as hung


def grade_in_pool(submissions: Sequence[Submission], *, seed: int, rubric: Rubric,
                  options: BatchOptions) -> Generator[dict[str, Any], None, None]:
    """Grade ``submissions`` in ``options.jobs`` processes; yield each results document."""
    if not submissions:
        return
    ctx = mp.get_context("fork") if sys.platform.startswith("linux") else mp.get_context("spawn")
    tasks, replies = ctx.Queue(), ctx.Queue()
    limits = sandbox_limits(options)
    rubric_path = str(rubric.path)
    pending = {submission.student: submission for submission in submissions}
    attempts: dict[str, int] = {}
    done: set[str] = set()
    for submission in submissions:
        tasks.put(submission)
    n_proc = max(1, min(options.jobs, len(submissions)))
    cpus = os.cpu_count() or 1
    procs: dict[int, Any] = {}
    holding: dict[int, tuple[str, float]] = {}  # pid -> (student, claimed at)
    hard_limit = options.submission_timeout + _STARTED_GRACE
    fatal: list[str] = []
    started = itertools.count()

    def start() -> None:
        cpu = next(started) % cpus if n_proc <= cpus else None
        process = ctx.Process(target=_grading_process, daemon=True,
                              args=(tasks, replies, seed, limits, rubric_path, cpu,
                                    options.replay))
        process.start()
        assert process.pid is not None
        procs[process.pid] = process

    def lost(pid: int, why: str) -> dict[str, Any] | None:
        """A grading process died or hung holding a submission: retry it once, then give up."""
        student, _ = holding.pop(pid, (None, 0.0))
        procs.pop(pid, None)
        result = None
        if student is not None and student not in done:
            attempts[student] = attempts.get(student, 0) + 1
            if attempts[student] < 2:
                tasks.put(pending[student])
            else:
                done.add(student)
                result = ungradeable_results(
                    pending[student], seed, f"the grader failed on this submission twice ({why})",
                    rubric)
        if len(done) < len(submissions):
            start()
        return result

    try:
        for _ in range(n_proc):
            start()
        while len(done) < len(submissions):
            try:
                message = replies.get(timeout=0.5)
            except queue.Empty:
                message = None
            if message is not None:
                kind, pid = message[0], message[1]
                if kind == "claim":
                    holding[pid] = (message[2], time.monotonic())
                elif kind == "done":
                    holding.pop(pid, None)
                    if message[2] not in done:
                        done.add(message[2])
                        yield json.loads(message[3])
                elif kind == "fatal":
                    fatal.append(message[2])
                continue
            now = time.monotonic()
            for pid, process in list(procs.items()):
                result = None
                if not process.is_alive():
                    process.join()
                    if len(fatal) >= 2 and not holding.get(pid):
                        raise GraderError("the grading processes could not start:\n" + fatal[-1])
                    result = lost(pid, f"grading process exited with code {process.exitcode}")
                elif pid in holding and now - holding[pid][1] > hard_limit:
                    process.kill()
                    process.join()
                    result = lost(pid, f"no verdict after {hard_limit:.0f} s")
                if result is not None:
                    yield result
    finally:
        for _ in procs:
            tasks.put(None)
        for process in procs.values():
            process.join(timeout=10)
            if process.is_alive():
                process.kill()


def _grading_process(tasks: Any, replies: Any, seed: int, limits: dict[str, float],
                     rubric_path: str, cpu: int | None, replay: bool) -> None:
    """One grading process: the suites, a sandbox and a grader, until told to stop (None)."""
    from nngrade.hidden.grader import SuiteGrader
    from nngrade.hidden.suite import collect
    from nngrade.sandbox import Limits, Sandbox

    pid = os.getpid()
    try:
        rubric = load_rubric(Path(rubric_path))
        tests = collect()
        # A worker beside its grader on one CPU: the two take turns, with warm caches.
        with Sandbox(Limits(**cast("dict[str, Any]", limits)), cpu=cpu) as box:
            grader = SuiteGrader(box, tests, seed=seed, rubric=rubric, limits=limits,
                                 replay=replay)
            settle_heap()
            with open(os.devnull, "w") as quiet, contextlib.redirect_stdout(quiet):
                for submission in iter(tasks.get, None):
                    replies.put(("claim", pid, submission.student))
                    results = grader.grade(submission)
                    replies.put(("done", pid, submission.student, json.dumps(results)))
    except BaseException:
        replies.put(("fatal", pid, traceback.format_exc()))
        raise
    replies.put(("exit", pid))


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
