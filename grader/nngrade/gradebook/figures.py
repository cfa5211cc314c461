"""An assignment's score from a results.json document: its points, before and after lateness.

The grader scores a whole submission; an assignment is a part of the
contract. For modules given whole, the module totals of
``nngrade.modules`` are used; for single contract names, the tests tagged
``[module, name]`` are added up. The maximum is the rubric's points for
those names (the grader splits a name's points over its tests), so a
submission that could not be graded still has the right maximum. When the
course gives the assignment its own ``points``, the score is scaled to it.

The results document is the grader's output, but it is read as data from
a folder anyone with access could edit: every number is checked (a
non-number or a non-finite one counts as zero) and nothing in it can
raise.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from nngrade.course.config import Assignment
from nngrade.course.late import LateOutcome
from nngrade.rubric import Rubric

__all__ = ["Figures", "assignment_figures", "assignment_points", "number", "test_tags"]


@dataclass(frozen=True)
class Figures:
    status: str  # graded | ungradeable | not_accepted
    raw_score: float  # points of the grader's rubric earned in this assignment's part
    raw_max: float
    points: float  # what the assignment is worth
    score_before_late: float
    late: LateOutcome
    penalty_points: float
    score_after_late: float


def number(value: Any) -> float:
    """A finite float, or 0.0 for anything else."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return 0.0
    value = float(value)
    return value if math.isfinite(value) else 0.0


def _round(x: float) -> float:
    return round(x + 0.0, 4)


def test_tags(test: Any) -> tuple[str, str]:
    """(module, contract name) of a results.json test entry; ("", "") if it has none."""
    if not isinstance(test, Mapping):
        return "", ""
    tags = test.get("tags")
    if isinstance(tags, list) and len(tags) >= 2 and all(isinstance(t, str) for t in tags[:2]):
        return tags[0], tags[1]
    return "", ""


def assignment_points(assignment: Assignment, rubric: Rubric) -> float:
    """What ``assignment`` is worth: its own points, else the rubric's for its names."""
    if assignment.points is not None:
        return assignment.points
    return _round(sum(rubric.points.get(m, {}).get(n, 0.0) for m, n in assignment.names))


def raw_scores(results: Mapping[str, Any], assignment: Assignment,
               rubric: Rubric) -> tuple[float, float]:
    """(earned, maximum) in rubric points for the part of the contract ``assignment`` grades."""
    info = results.get("nngrade") if isinstance(results.get("nngrade"), Mapping) else {}
    assert isinstance(info, Mapping)
    modules = info.get("modules") if isinstance(info.get("modules"), Mapping) else {}
    assert isinstance(modules, Mapping)
    earned = 0.0
    maximum = 0.0
    whole = set(assignment.whole_modules)
    for module in assignment.whole_modules:
        block = modules.get(module) if isinstance(modules.get(module), Mapping) else {}
        assert isinstance(block, Mapping)
        rubric_max = rubric.module_total(module)
        earned += min(number(block.get("score")), rubric_max)
        maximum += rubric_max
    wanted = {(m, n) for m, n in assignment.names if m not in whole}
    for test in results.get("tests") or []:
        if test_tags(test) in wanted and isinstance(test, Mapping):
            earned += max(0.0, number(test.get("score")))
    maximum += sum(rubric.points.get(m, {}).get(n, 0.0) for m, n in wanted)
    return _round(min(earned, maximum)), _round(maximum)


def assignment_figures(results: Mapping[str, Any], assignment: Assignment, rubric: Rubric,
                       late: LateOutcome) -> Figures:
    """Every number the gradebook keeps for one graded attempt."""
    raw, raw_max = raw_scores(results, assignment, rubric)
    points = assignment_points(assignment, rubric)
    before = _round(raw / raw_max * points) if raw_max > 0 else 0.0
    info = results.get("nngrade") if isinstance(results.get("nngrade"), Mapping) else {}
    assert isinstance(info, Mapping)
    if not late.accepted:
        status = "not_accepted"
    elif info.get("error"):
        status = "ungradeable"
    else:
        status = "graded"
    penalty = _round(late.penalty_points(before, points))
    return Figures(status, raw, raw_max, points, before, late, penalty,
                   _round(max(0.0, before - penalty)))
