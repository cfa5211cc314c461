"""Grade every mutant under every seed, in worker processes that a broken mutant cannot take down.

The work is split into units of (module, seed). A unit runs in its own
``python -m nngrade.audit.run`` process with one `SuiteGrader` over that
module's hidden tests only (every other module of the mutant is the
solution's, which the baseline shows scores full marks) on the in-process
`SourceBackend`: the mutants are trusted code made from solutions/, so the
sandbox's cost buys nothing here. Replays stay on, so that tests a mutant
does not touch are settled from the solution's recorded answers.

With ``fail_fast`` (what ``nngrade audit`` does) a mutant's verdict is all
that is wanted: the worker grades the unchanged module once in full (which
primes the replays and times every test), then runs each mutant's tests one
at a time, cheapest first, and stops at the first failure. A killed mutant
then costs its cheapest failing test instead of the whole suite (the
20,000-node chain, the training runs); a survivor still runs every test.
Its ``lost`` and ``failed`` then cover the tests that ran, not the whole
suite. The calls also reach the mutant in another order than in a grading's
side-by-side batches; that can matter only to a mutant that keeps state from
one call to the next (``--full`` keeps the order a grading uses).

The worker prints one JSON line per graded mutant. If it dies or hangs
(past ``unit_timeout`` without a line), the mutant it was on is recorded as
``crashed`` and the unit restarts after it: one bad mutant never stops the
audit.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nngrade.audit.mutants import Mutant

__all__ = ["Outcome", "grade_mutants"]

MEMORY_BYTES = 2 * 1024**3  # a mutant that allocates without bound gets MemoryError
MARK = "@nngrade-audit "  # prefixes the worker's result lines; anything else is ignored


@dataclass
class Outcome:
    """A mutant's verdicts: seed -> "killed" / "survived" / "crashed", and the points lost."""

    mutant: Mutant
    verdicts: dict[int, str] = field(default_factory=dict)
    lost: dict[int, float] = field(default_factory=dict)
    failed_tests: dict[int, list[str]] = field(default_factory=dict)

    @property
    def status(self) -> str:
        """killed, survived, flaky (survived under some seeds only) or crashed."""
        kinds = set(self.verdicts.values())
        if "crashed" in kinds:
            return "crashed"
        if kinds == {"killed"}:
            return "killed"
        if kinds == {"survived"}:
            return "survived"
        return "flaky"


def _unit_job(module: str, seed: int, base: Mapping[str, str], mutants: Sequence[Mutant],
              call_timeout: float, fail_fast: bool) -> dict[str, Any]:
    return {"module": module, "seed": seed, "base": dict(base), "call_timeout": call_timeout,
            "fail_fast": fail_fast, "mutants": [[m.id, m.source] for m in mutants]}


def _run_unit(job: dict[str, Any], unit_timeout: float,
              on_line: Callable[[dict[str, Any]], None]) -> None:
    """Run one unit's mutants in worker processes, restarting after any that kills the worker."""
    pending = list(job["mutants"])
    while pending:
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as fh:
            json.dump({**job, "mutants": pending}, fh)
            path = fh.name
        done = 0
        proc = subprocess.Popen([sys.executable, "-m", "nngrade.audit.run", path],
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        assert proc.stdout is not None
        # A watchdog: no result line for unit_timeout seconds (a mutant stuck where SIGALRM
        # cannot reach, inside numpy's C code) kills the worker; its mutant is "crashed".
        watchdog = threading.Timer(unit_timeout, proc.kill)
        watchdog.start()
        try:
            for line in proc.stdout:
                if not line.startswith(MARK):
                    continue
                on_line(json.loads(line[len(MARK):]))
                done += 1
                watchdog.cancel()
                watchdog = threading.Timer(unit_timeout, proc.kill)
                watchdog.start()
            proc.wait()
        finally:
            watchdog.cancel()
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            os.unlink(path)
        if done < len(pending):
            mutant_id = pending[done][0]
            on_line({"id": mutant_id, "seed": job["seed"], "verdict": "crashed", "lost": 0.0,
                     "failed": []})
            done += 1
        pending = pending[done:]


def grade_mutants(base: Mapping[str, str], mutants: Sequence[Mutant], seeds: Iterable[int], *,
                  jobs: int = 2, call_timeout: float = 2.0, unit_timeout: float = 120.0,
                  fail_fast: bool = False,
                  progress: Callable[[int, int], None] | None = None) -> list[Outcome]:
    """Grade each of ``mutants`` (of the solution set ``base``) under each of ``seeds``.

    ``fail_fast``: stop each mutant's grading at its first failed test (the
    verdict is the same; ``lost`` and ``failed_tests`` cover only the tests run).
    """
    seeds = list(seeds)
    outcomes = {m.id: Outcome(m) for m in mutants}
    by_module: dict[str, list[Mutant]] = {}
    for m in mutants:
        by_module.setdefault(m.module, []).append(m)
    units = [_unit_job(module, seed, base, ms, call_timeout, fail_fast)
             for module, ms in by_module.items() for seed in seeds]
    total, count = len(mutants) * len(seeds), [0]

    def on_line(line: dict[str, Any]) -> None:
        outcome = outcomes[line["id"]]
        outcome.verdicts[line["seed"]] = line["verdict"]
        outcome.lost[line["seed"]] = line["lost"]
        outcome.failed_tests[line["seed"]] = line["failed"]
        count[0] += 1
        if progress is not None:
            progress(count[0], total)

    # Threads only wait on worker processes; the biggest units first keep both cores busy.
    units.sort(key=lambda u: -len(u["mutants"]))
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        for future in [pool.submit(_run_unit, u, unit_timeout, on_line) for u in units]:
            future.result()
    return [outcomes[m.id] for m in mutants]


def _worker(path: str) -> None:
    """Grade a unit's mutants, one JSON line each (run as ``python -m nngrade.audit.run``)."""
    from nngrade.hidden.grader import SuiteGrader
    from nngrade.hidden.inprocess import SourceBackend
    from nngrade.hidden.suite import collect
    from nngrade.records import Submission
    from nngrade.rubric import load_rubric

    try:
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_BYTES, MEMORY_BYTES))
    except (ValueError, OSError):  # pragma: no cover - a platform without the limit
        pass
    # Results go to the real stdout; what mutants print goes to stderr (discarded).
    results_out = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    job = json.loads(Path(path).read_text())
    module, seed = job["module"], int(job["seed"])
    grader = SuiteGrader(SourceBackend(timeout=float(job["call_timeout"])),
                         collect(modules=[module]), seed=seed, rubric=load_rubric())
    order: list[int] = []
    points: dict[int, float] = {}
    if job.get("fail_fast"):
        # The unchanged module in full: each test's cost and points, and the replays primed.
        results = grader.grade(Submission("solution", dict(job["base"])))
        assert len(results["tests"]) == len(grader.tests)
        points = {i: float(t["max_score"]) for i, t in enumerate(results["tests"])}
        order = sorted(range(len(grader.tests)),
                       key=lambda i: float(results["tests"][i]["extra_data"].get("seconds") or 0))
    for mutant_id, source in job["mutants"]:
        submission = Submission("mutant", {**job["base"], module: source})
        if job.get("fail_fast"):
            failed_at = _first_failure(grader, submission, order)
            tests = [(r.module, f"{r.module}.{r.name}: {r.title}", points[i], r.passed)
                     for i, r in failed_at]
        else:
            results = grader.grade(submission)
            tests = [(t["tags"][0], t["name"], t["max_score"] - t["score"],
                      t["status"] == "passed") for t in results["tests"]]
        mine = [t for t in tests if t[0] == module]
        lost = sum(t[2] for t in mine if not t[3])
        failed = [t[1] for t in mine if not t[3]]
        verdict = "killed" if failed else "survived"
        results_out.write(MARK + json.dumps({"id": mutant_id, "seed": seed, "verdict": verdict,
                                             "lost": round(lost, 4), "failed": failed}) + "\n")
        results_out.flush()


def _first_failure(grader: Any, submission: Any, order: Sequence[int]) -> list[tuple[int, Any]]:
    """Grade ``submission`` one test at a time in ``order`` up to its first failed test.

    The same steps as `SuiteGrader.grade` (load, calls, replays, records),
    with one test per side-by-side run: in process a batch saves no round
    trip, and stopping early needs each verdict before the next test starts.
    Returns (test index, `TestRecord`) of every test run.
    """
    from nngrade.hidden.calls import SubmissionCalls
    from nngrade.hidden.side_by_side import run_side_by_side

    for state in (grader._replayed, grader._failures, grader._leaves):
        state.clear()
    statuses = grader.backend.load(submission.sources, submission.modules, seed=grader.seed)
    calls = SubmissionCalls(grader.backend, statuses, grader.limits)
    ran: list[tuple[int, Any]] = []
    try:
        for index in order:
            def one(_position: int, i: int = index) -> bool:
                return bool(grader.run_test(i, calls))

            [(failed, seconds)] = run_side_by_side([grader.tests[index].nodeid], one, calls)
            record = grader._record(index, failed, seconds)
            ran.append((index, record))
            if not record.passed:
                break
    finally:
        grader.backend.end()
    return ran


if __name__ == "__main__":
    _worker(sys.argv[1])
