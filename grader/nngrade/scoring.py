"""Turn one submission's test verdicts into a score and a results.json document.

Points come from the rubric: a contract name's points are split over its
hidden tests by weight, so partial credit falls out of having several tests
per name. The document follows Gradescope's results.json schema, with
nngrade's own details under ``"nngrade"``. A submission that could not be
graded at all gets the same document with zero points and the reason
(`ungradeable_results`).
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from nngrade.contract import MODULES
from nngrade.folder_names import student_folder
from nngrade.records import Submission, TestRecord
from nngrade.rubric import Rubric
from nngrade.version import __version__

__all__ = ["build_results", "module_status", "ungradeable_results"]


def module_status(status: str | None) -> tuple[str, str]:
    """(status, message) of a module from the backend's load answer."""
    if status is None or status == "missing":
        return "missing", "file not found in the submission"
    if status == "ok":
        return "ok", ""
    return "import_error", status


def _round(x: float) -> float:
    return round(x + 0.0, 4)


def build_results(
    submission: Submission,
    records: Sequence[TestRecord],
    statuses: Mapping[str, str],
    *,
    rubric: Rubric,
    seed: int,
    protections: Mapping[str, bool],
    limits_hit: list[dict[str, str]],
    timing: dict[str, float],
    execution_time: float,
) -> dict[str, Any]:
    """The results.json document of one graded submission."""
    weights: dict[tuple[str, str], float] = defaultdict(float)
    for r in records:
        weights[(r.module, r.name)] += r.weight

    tests = []
    module_scores: dict[str, list[float]] = {m: [0.0, 0.0] for m in MODULES}
    for r in records:
        points = rubric.of(r.module, r.name)
        share = weights[(r.module, r.name)]
        max_score = points * r.weight / share if share else 0.0
        score = max_score if r.passed else 0.0
        module_scores[r.module][0] += score
        module_scores[r.module][1] += max_score
        tests.append({
            "name": f"{r.module}.{r.name}: {r.title}",
            "score": _round(score),
            "max_score": _round(max_score),
            "status": "passed" if r.passed else "failed",
            "output": r.output,
            "tags": [r.module, r.name],
            "extra_data": r.feedback,
        })

    # Names the suites do not test still count towards the maximum (and score nothing),
    # so a trimmed suite can never inflate a percentage.
    for module, names in rubric.points.items():
        for name, points in names.items():
            if (module, name) not in weights and points > 0:
                module_scores[module][1] += points

    modules = {}
    for module in MODULES:
        if submission.error is not None:
            status, message = "ungraded", submission.error
        else:
            status, message = module_status(statuses.get(module, "missing"))
        got, out_of = module_scores[module]
        modules[module] = {"score": _round(got), "max_score": _round(out_of),
                           "status": status, "message": message}

    total = _round(sum(s for s, _ in module_scores.values()))
    max_total = _round(sum(m for _, m in module_scores.values()))
    missing = sorted(k for k, v in protections.items() if not v)
    summary = _summary(submission, total, max_total, modules)
    return {
        "score": total,
        "max_score": max_total,
        "execution_time": round(execution_time, 4),
        "output": summary,
        "visibility": "visible",
        "tests": tests,
        "nngrade": {
            "student": submission.student,
            "folder": student_folder(submission.student),
            "grader_version": __version__,
            "seed": seed,
            "content_sha256": submission.content_sha256,
            "rubric_sha256": rubric.sha256,
            "graded_at": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "modules": modules,
            "protections": dict(protections),
            "missing_protections": missing,
            "limits_hit": limits_hit,
            "warnings": list(submission.warnings),
            "source": dict(submission.origin),
            "timing": timing,
            "error": submission.error,
        },
    }


def ungradeable_results(submission: Submission, seed: int, reason: str,
                        rubric: Rubric) -> dict[str, Any]:
    """The results document of a submission that could not be graded: zero, and why."""
    failed = dataclasses.replace(submission, sources={}, error=reason)
    return build_results(failed, [], {}, rubric=rubric, seed=seed, protections={},
                         limits_hit=[], timing={}, execution_time=0.0)


def _summary(submission: Submission, total: float, max_total: float,
             modules: Mapping[str, Mapping[str, Any]]) -> str:
    if submission.error is not None:
        return f"This submission could not be graded: {submission.error}"
    lines = [f"Score: {total:g} / {max_total:g}"]
    for module, info in modules.items():
        if info["status"] == "missing":
            lines.append(f"{module}.py: missing (0 points for this module)")
        elif info["status"] == "import_error":
            lines.append(f"{module}.py: could not be imported: {info['message']}")
    return "\n".join(lines)
