"""The hidden half of a test cell: grade the notebook's own namespace, return one name's points.

Runs inside the student's kernel during ``nbgrader autograde`` (and when the
instructor runs a source notebook). nbgrader turns a test cell's output into
points (``nbgrader.utils.determine_grade``): an error or anything on stderr
gives 0, a number gives that many points. So this function

* never raises and never writes to stderr (Python warnings from student
  code, pytest's chatter and even C-level writes to fd 2 are swallowed while
  grading): a failure prints an explanation and scores 0;
* returns a float no larger than the cell's points, which the cell shows as
  its result;
* prints the student-facing explanation of each failed check on stdout, which
  nbgrader keeps in the graded notebook and in feedback.

The module's suite runs once per notebook: the first test cell grades the
whole module, later cells reuse the result while the namespace's functions
are the same objects.

This is nbgrader's trust model (student code and grader share a process); for
a confined grade, use ``nngrade grade --nbgrader``.
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
import warnings
from collections.abc import Iterator, Mapping
from typing import Any

__all__ = ["cell_points", "explain", "hidden_score", "score_of"]

_cache: dict[tuple[Any, ...], dict[str, Any]] = {}


def score_of(results: Mapping[str, Any], module: str, name: str) -> tuple[float, float, list[dict]]:
    """Sum the score and max_score of the tests tagged ``[module, name]`` in a results dict."""
    tests = [t for t in results.get("tests", []) if list(t.get("tags", []))[:2] == [module, name]]
    score = sum(float(t.get("score", 0.0)) for t in tests)
    max_score = sum(float(t.get("max_score", 0.0)) for t in tests)
    return score, max_score, tests


def cell_points(score: float, max_score: float, points: float) -> float:
    """A name's score in a test cell worth ``points``: the fraction it earned of its tests.

    Equal to ``score`` while the rubric is the one the notebooks were exported
    with; if the instructor has changed the rubric since, the cell keeps its
    own points (nbgrader refuses more than a cell is worth).
    """
    if max_score <= 0 or points <= 0:
        return 0.0
    fraction = min(max(score / max_score, 0.0), 1.0)
    return round(fraction * float(points), 6)


def _fingerprint(namespace: Mapping[str, Any]) -> tuple[tuple[str, int], ...]:
    """Changes when the student re-runs a cell: new function and class objects, new ids."""
    return tuple(
        sorted(
            (key, id(value))
            for key, value in namespace.items()
            if not key.startswith("_") and (callable(value) or isinstance(value, type))
        )
    )


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """Nothing reaches stdout or stderr, not even writes to file descriptor 2 from C code."""
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    saved = devnull = None
    try:
        saved = os.dup(2)
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 2)
    except OSError:
        saved = None
    try:
        with (
            warnings.catch_warnings(),
            contextlib.redirect_stdout(io.StringIO()),
            contextlib.redirect_stderr(io.StringIO()),
        ):
            warnings.simplefilter("ignore")
            yield
    finally:
        if saved is not None:
            os.dup2(saved, 2)
            os.close(saved)
        if devnull is not None:
            os.close(devnull)


def _grade(namespace: Mapping[str, Any], module: str, seed: int) -> dict[str, Any]:
    key = (module, seed, _fingerprint(namespace))
    if key not in _cache:
        from nngrade.hidden.inprocess import grade_in_process

        with _quiet():
            results = grade_in_process({module: dict(namespace)}, seed=seed, modules=[module])
        _cache.clear()  # one notebook, one module: keep only the newest
        _cache[key] = results
    return _cache[key]


def explain(name: str, score: float, points: float, tests: list[dict]) -> str:
    lines = [f"{name}: {score:g} / {points:g} points"]
    for test in tests:
        full = float(test.get("score", 0)) >= float(test.get("max_score", 0))
        lines.append(f"  [{'ok' if full else 'FAILED'}] {test.get('name', '')}")
        if not full and test.get("output"):
            lines.extend("      " + line for line in str(test["output"]).splitlines())
    return "\n".join(lines)


def hidden_score(
    namespace: Mapping[str, Any], module: str, name: str, *, points: float, seed: int
) -> float:
    """Points that nngrade's hidden checks give contract name ``module.name`` in ``namespace``."""
    try:
        results = _grade(namespace, module, seed)
        score, max_score, tests = score_of(results, module, name)
    except BaseException as exc:  # noqa: BLE001 - the cell must show 0, not a traceback
        if isinstance(exc, KeyboardInterrupt):
            raise
        print(
            f"{name}: 0 / {points:g} points: the autograder could not run "
            f"({type(exc).__name__}: {exc})"
        )
        return 0.0
    if not tests:
        print(f"{name}: 0 / {points:g} points: no hidden check ran for {module}.{name}")
        return 0.0
    score = cell_points(score, max_score, points)
    print(explain(name, score, points, tests))
    return score
