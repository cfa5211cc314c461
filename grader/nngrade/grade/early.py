"""The first grading process of ``nngrade grade``, forked before the command reads its options.

Why: graded from a cold start, one hand-in used to wait for the command's
own start (click, the pipeline's imports, reading the folder: 0.1-0.15 s)
before its grading process was forked, and only then did that process
launch its sandbox and import numpy, the grader and the suites. None of
that depends on the options but the sandbox's limits, and the default
limits launch the same sandbox as almost every run's. So the console
script (`nngrade.console`) calls `start` first thing: a process is forked
that launches its sandbox and imports and recalls everything
(`nngrade.grade.pool.early_grading_process`) while the command starts;
the pool then `take`s it as its first grading process and sends it the
run's settings (seed, limits, rubric), and it grades exactly as a process
the pool forks itself (a zygote launched with other limits than the run's
is launched again, `Zygote.adopt_limits`).

A run with no use for it (nothing left to grade, a usage error) leaves it:
`discard`, registered with atexit, tells it to stop when the command
exits, and it stops by itself if the command dies without saying so (it
watches its parent). Student code never runs in it before it is adopted.
"""

from __future__ import annotations

import atexit
import os
import sys
from typing import Any

__all__ = ["discard", "start", "take"]

# (process, tasks queue, results pipe's reading end) of the process not yet taken
_waiting: tuple[Any, Any, Any] | None = None


def start() -> bool:
    """Fork the early grading process (Linux, where the pool forks too); True if it was."""
    global _waiting
    if _waiting is not None or not sys.platform.startswith("linux"):
        return False
    import multiprocessing as mp

    ctx = mp.get_context("fork")
    tasks = ctx.Queue()
    ours, theirs = ctx.Pipe(duplex=False)
    # Its parent is named now: read in the child, the command might already be gone.
    process = ctx.Process(target=_early_process, args=(tasks, theirs, os.getpid()), daemon=True,
                          name="nngrade-grading-early")
    process.start()
    theirs.close()
    _waiting = (process, tasks, ours)
    atexit.register(discard)
    return True


def take() -> tuple[Any, Any, Any] | None:
    """The early process, its task queue and its results pipe, once; None if there is none
    (not started, taken already, or it died: the pool then forks its own)."""
    global _waiting
    waiting, _waiting = _waiting, None
    if waiting is None:
        return None
    if not waiting[0].is_alive():
        _stop(waiting)
        return None
    return waiting


def discard() -> None:
    """Stop the early process if nobody took it (the command is done without it)."""
    global _waiting
    waiting, _waiting = _waiting, None
    if waiting is not None:
        _stop(waiting)


def _stop(waiting: tuple[Any, Any, Any]) -> None:
    process, tasks, conn = waiting
    if process.is_alive():
        tasks.put(None)
        process.join(timeout=5)
        if process.is_alive():
            process.kill()
            process.join()
    tasks.close()
    tasks.cancel_join_thread()
    conn.close()


def _early_process(tasks: Any, conn: Any, parent: int) -> None:
    """Launch the sandbox before anything else is imported, then become a grading process."""
    from nngrade.sandbox.api import Limits
    from nngrade.sandbox.zygote import Zygote

    zygote = Zygote(Limits(), {})
    try:
        zygote.launch()
        from nngrade.grade.pool import early_grading_process
    except BaseException:
        zygote.stop()
        raise
    early_grading_process(tasks, conn, zygote, parent)
