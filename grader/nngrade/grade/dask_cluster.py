"""``nngrade grade --cluster local:N | tcp://SCHEDULER``: the grading processes on Dask workers.

The same grading as `nngrade.grade.pool`, with Dask deciding where it runs
(nngrade schedules nothing). The rules that make it safe:

- **Chunks, not submissions.** Dask's scheduler spends about a millisecond
  per task, so submissions travel in chunks (`chunk_size`: a few per
  worker, so a slow chunk does not leave the others idle at the end).
- **One grader per worker.** A worker process builds a
  `nngrade.hidden.grader.SuiteGrader` and its sandbox once (the suites
  collected, the sandbox started), keeps it for every chunk of the same
  run, and grades one submission after another, as a pool process does.
  Dask workers run tasks on threads: a lock keeps one chunk at a time on
  the grader, which is one sandbox.
- **Results as data.** A chunk returns its results documents as JSON text;
  the client writes them exactly as a local run does, so no shared file
  system is needed and results.json is the same.
- **A dead worker costs a retry of its chunk.** Dask reruns a task whose
  worker died (up to its ``allowed-failures``); a chunk that still fails is
  split and each submission retried alone, once, and only a submission that
  fails alone is recorded as ungradeable, with the reason. No student is
  graded twice into the results: the client keeps the first result of each.

Optional: ``pip install 'nngrade[dask]'``. A remote scheduler's workers
need this nngrade installed; the rubric travels with the tasks.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import os
import tempfile
import threading
from collections.abc import Generator, Sequence
from pathlib import Path
from typing import Any, cast

from nngrade.grade.errors import GraderError
from nngrade.grade.options import BatchOptions, sandbox_limits
from nngrade.records import Submission
from nngrade.rubric import Rubric
from nngrade.scoring import ungradeable_results

__all__ = ["chunk_size", "grade_chunk", "grade_on_dask", "parse_cluster"]

CHUNKS_PER_WORKER = 4
MAX_CHUNK = 50


def parse_cluster(text: str) -> tuple[str, int | str]:
    """``local:N`` -> ("local", N); a scheduler address (``tcp://host:8786``) -> ("remote", it)."""
    text = text.strip()
    if text.startswith("local:"):
        count = text.split(":", 1)[1]
        if not count.isdigit() or int(count) < 1:
            raise ValueError(f"{text!r}: give local:N with N >= 1 workers")
        return "local", int(count)
    if "://" in text:
        return "remote", text
    raise ValueError(f"{text!r} is neither local:N nor a scheduler address (tcp://HOST:PORT)")


def chunk_size(submissions: int, workers: int) -> int:
    """Submissions per task: a few tasks per worker, never more than ``MAX_CHUNK`` each."""
    return max(1, min(MAX_CHUNK, math.ceil(submissions / max(1, workers * CHUNKS_PER_WORKER))))


# ------------------------------------------------------------------ on a worker

_LOCK = threading.Lock()
_GRADER: dict[str, Any] = {}  # the grader of the current run, by the run's key


def _rubric_file(rubric_path: str, rubric_text: str, sha256: str) -> Path:
    """The rubric on this worker: its own path if it holds the same rubric, else a copy."""
    path = Path(rubric_path)
    with contextlib.suppress(OSError):
        if hashlib.sha256(path.read_bytes()).hexdigest() == sha256:
            return path
    copy = Path(tempfile.gettempdir()) / f"nngrade-rubric-{sha256[:16]}.toml"
    copy.write_text(rubric_text, encoding="utf-8")
    return copy


def _grader(key: str, seed: int, limits: dict[str, float], rubric_file: Path,
            replay: bool) -> Any:
    """This worker's grader for the run ``key`` (built once; an earlier run's is closed)."""
    if key in _GRADER:
        return _GRADER[key]["grader"]
    for old in list(_GRADER.values()):
        with contextlib.suppress(Exception):
            old["stack"].close()
    _GRADER.clear()
    from nngrade.grade.pool import settle_heap
    from nngrade.hidden.grader import SuiteGrader
    from nngrade.hidden.suite import collect
    from nngrade.rubric import load_rubric
    from nngrade.sandbox import Limits, Sandbox

    stack = contextlib.ExitStack()
    rubric = load_rubric(rubric_file)
    tests = collect()
    box = stack.enter_context(Sandbox(Limits(**cast("dict[str, Any]", limits))))
    grader = SuiteGrader(box, tests, seed=seed, rubric=rubric, limits=limits, replay=replay)
    settle_heap()
    _GRADER[key] = {"grader": grader, "stack": stack}
    return grader


def grade_chunk(submissions: list[Submission], seed: int, limits: dict[str, float],
                rubric_path: str, rubric_text: str, rubric_sha256: str,
                replay: bool) -> list[str]:
    """Grade ``submissions`` on this worker; their results documents as JSON text."""
    key = json.dumps([seed, sorted(limits.items()), rubric_sha256, replay, os.getpid()])
    with _LOCK:
        grader = _grader(key, seed, limits, _rubric_file(rubric_path, rubric_text,
                                                         rubric_sha256), replay)
        out = []
        with open(os.devnull, "w") as quiet, contextlib.redirect_stdout(quiet):
            for submission in submissions:
                out.append(json.dumps(grader.grade(submission)))
        return out


# ------------------------------------------------------------------ on the client


@contextlib.contextmanager
def _client(address: str) -> Generator[Any, None, None]:
    try:
        from distributed import Client, LocalCluster
    except ImportError as exc:
        raise GraderError("--cluster needs Dask: pip install 'nngrade[dask]'") from exc
    try:
        kind, where = parse_cluster(address)
    except ValueError as exc:
        raise GraderError(str(exc)) from exc
    if kind == "local":
        with LocalCluster(n_workers=int(where), threads_per_worker=1, processes=True,
                          dashboard_address=None) as cluster, Client(cluster) as client:
            yield client
    else:
        try:
            client = Client(str(where), timeout="30s")
        except OSError as exc:
            raise GraderError(f"cannot reach the Dask scheduler {where}: {exc}") from exc
        with client:
            yield client


def grade_on_dask(submissions: Sequence[Submission], *, seed: int, rubric: Rubric,
                  options: BatchOptions, address: str) -> Generator[dict[str, Any], None, None]:
    """Grade ``submissions`` in chunks on the Dask cluster at ``address``; yield each result."""
    if not submissions:
        return
    from distributed import as_completed

    limits = sandbox_limits(options)
    rubric_text = Path(rubric.path).read_text(encoding="utf-8")
    args = (seed, limits, str(rubric.path), rubric_text, rubric.sha256, options.replay)
    done: set[str] = set()
    with _client(address) as client:
        workers = max(1, len(client.scheduler_info().get("workers", {})))
        size = chunk_size(len(submissions), workers)
        chunks = [list(submissions[i:i + size]) for i in range(0, len(submissions), size)]
        futures = {client.submit(grade_chunk, chunk, *args, pure=False): (chunk, False)
                   for chunk in chunks}
        pending = as_completed(list(futures))
        for future in pending:
            chunk, alone = futures.pop(future)
            try:
                documents = future.result()
            except Exception as exc:  # the chunk's workers died (KilledWorker) or it raised
                if not alone:  # split: each submission retried alone, once
                    for submission in chunk:
                        if submission.student in done:
                            continue
                        retry = client.submit(grade_chunk, [submission], *args, pure=False)
                        futures[retry] = ([submission], True)
                        pending.add(retry)
                    continue
                submission = chunk[0]
                if submission.student not in done:
                    done.add(submission.student)
                    yield ungradeable_results(
                        submission, seed, f"the grader failed on this submission twice "
                        f"({type(exc).__name__}: {exc})", rubric)
                continue
            for text in documents:
                result = json.loads(text)
                student = result["nngrade"]["student"]
                if student not in done:
                    done.add(student)
                    yield result
