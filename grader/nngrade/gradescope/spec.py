"""A check of a results.json against Gradescope's "Autograder Specifications".

The fields, their types and their allowed values, as the specification
lists them (autograder_samples docs/specs.md): top level ``score``,
``execution_time``, ``output``, ``output_format``, ``test_output_format``,
``test_name_format``, ``visibility``, ``stdout_visibility``,
``extra_data``, ``tests``, ``leaderboard``; per test ``score``,
``max_score``, ``status``, ``name``, ``name_format``, ``number``,
``output``, ``output_format``, ``tags``, ``visibility``, ``extra_data``.
A score is required at the top level or on every test. Gradescope rejects
malformed JSON outright, so NaN and infinity (which Python's json writes
by default) count as errors too.

`problems` returns every deviation as a sentence; an empty list means the
document follows the specification. ``nngrade gradescope test`` and the
tests run it on every results.json the autograder writes.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

__all__ = ["FORMATS", "STATUSES", "VISIBILITIES", "problems"]

VISIBILITIES = frozenset({"hidden", "after_due_date", "after_published", "visible"})
FORMATS = frozenset({"text", "html", "simple_format", "md", "ansi"})
STATUSES = frozenset({"passed", "failed"})

_TOP = {
    "score": "number", "execution_time": "number", "output": "string",
    "output_format": "format", "test_output_format": "format", "test_name_format": "format",
    "visibility": "visibility", "stdout_visibility": "visibility", "extra_data": "object",
    "tests": "array", "leaderboard": "array",
}
_TEST = {
    "score": "number", "max_score": "number", "status": "status", "name": "string",
    "name_format": "format", "number": "string", "output": "string", "output_format": "format",
    "tags": "tags", "visibility": "visibility", "extra_data": "object",
}


def _kind_problem(where: str, kind: str, value: Any) -> str | None:
    if kind == "number":
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return f"{where} must be a number, not {type(value).__name__}"
        if not math.isfinite(value):
            return f"{where} must be a finite number, not {value}"
        return None
    if kind == "string":
        return None if isinstance(value, str) else f"{where} must be a string"
    if kind == "object":
        return None if isinstance(value, Mapping) else f"{where} must be an object"
    if kind == "array":
        return None if isinstance(value, list) else f"{where} must be an array"
    if kind == "tags":
        ok = isinstance(value, list) and all(isinstance(t, str) for t in value)
        return None if ok else f"{where} must be an array of strings"
    allowed = {"format": FORMATS, "visibility": VISIBILITIES, "status": STATUSES}[kind]
    if value not in allowed:
        return f"{where} is {value!r}; allowed: {', '.join(sorted(allowed))}"
    return None


def problems(document: Any) -> list[str]:
    """Every way ``document`` (a parsed results.json) deviates from the specification."""
    found: list[str] = []
    if not isinstance(document, Mapping):
        return ["results.json must hold a JSON object"]
    try:
        json.dumps(document, allow_nan=False)
    except (TypeError, ValueError) as exc:
        found.append(f"not valid JSON: {exc}")
    for key, value in document.items():
        if key not in _TOP:
            found.append(f"unknown top-level field {key!r}")
            continue
        problem = _kind_problem(key, _TOP[key], value)
        if problem:
            found.append(problem)
    raw_tests = document.get("tests")
    tests: list[Any] = raw_tests if isinstance(raw_tests, list) else []
    for i, test in enumerate(tests):
        if not isinstance(test, Mapping):
            found.append(f"tests[{i}] must be an object")
            continue
        for key, value in test.items():
            if key not in _TEST:
                found.append(f"tests[{i}]: unknown field {key!r}")
                continue
            problem = _kind_problem(f"tests[{i}].{key}", _TEST[key], value)
            if problem:
                found.append(problem)
        if "max_score" in test and "score" not in test:
            found.append(f"tests[{i}] has a max_score but no score")
    if "score" not in document:
        unscored = [i for i, t in enumerate(tests) if isinstance(t, Mapping) and "score" not in t]
        if not tests or unscored:
            found.append("a top-level score is required unless every test has one")
    board = document.get("leaderboard")
    for i, entry in enumerate(board if isinstance(board, list) else []):
        if not isinstance(entry, Mapping) or "name" not in entry or "value" not in entry:
            found.append(f"leaderboard[{i}] needs a name and a value")
    return found
