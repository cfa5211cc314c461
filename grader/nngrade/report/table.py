"""The class table ``nngrade grade`` prints when a batch finishes.

A glance, not the gradebook (that is ``gradebook.csv`` and ``index.html``):
one line per student with the total and a short column per module, a flag
for late and ungraded submissions, and the mean and median. Plain ASCII
layout (no colour, no box drawing) so it survives logs, CI and Windows
terminals; instructors read it in English.
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence
from typing import Any

from nngrade.contract import MODULES
from nngrade.report.model import fmt_points, grading_problem, student_id
from nngrade.report.summary import MODULE_ABBREVIATIONS

__all__ = ["format_class_table"]

_NAME_WIDTH = 20
_FLAGS = {"error": "NOT GRADED", "zero": "import error", "empty": "empty"}


def _module_cell(results: Mapping[str, Any], module: str) -> str:
    info = ((results.get("nngrade") or {}).get("modules") or {}).get(module)
    if not isinstance(info, Mapping):
        return "-"
    status = info.get("status")
    if status == "missing":
        return "miss"
    if status == "import_error":
        return "imp!"
    return fmt_points(float(info.get("score") or 0.0))


def _short(name: str) -> str:
    return name if len(name) <= _NAME_WIDTH else name[: _NAME_WIDTH - 1] + "~"


def format_class_table(all_results: list[dict]) -> str:
    """A short text table of the class, sorted by student, ending with mean and median."""
    modules = list(MODULES)
    header = ["student", "score", *(MODULE_ABBREVIATIONS.get(m, m[:4]) for m in modules), "flags"]
    rows: list[list[str]] = []
    counted: list[float] = []
    max_scores: set[float] = set()
    late = ungraded = 0
    for results in sorted(all_results, key=student_id):
        problem = grading_problem(results)
        source = (results.get("nngrade") or {}).get("source") or {}
        flags = []
        if isinstance(source, Mapping) and source.get("late"):
            flags.append("late")
            late += 1
        if problem:
            flags.append(_FLAGS[problem[0]])
        score = float(results.get("score") or 0.0)
        max_score = float(results.get("max_score") or 0.0)
        if problem and problem[0] == "error":
            ungraded += 1
            total = "-"
            cells = ["-"] * len(modules)
        else:
            counted.append(score)
            max_scores.add(max_score)
            total = f"{fmt_points(score)}/{fmt_points(max_score)}"
            cells = [_module_cell(results, m) for m in modules]
        rows.append([_short(student_id(results)), total, *cells, ", ".join(flags)])

    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    right = set(range(1, len(header) - 1))  # numbers right-aligned

    def line(cells: Sequence[str]) -> str:
        parts = [c.rjust(w) if i in right else c.ljust(w)
                 for i, (c, w) in enumerate(zip(cells, widths, strict=True))]
        return "  ".join(parts).rstrip()

    out = [line(header), line(["-" * w for w in widths])]
    out += [line(r) for r in rows]
    out.append("")
    if counted:
        of = f" of {fmt_points(max(max_scores))}" if max_scores else ""
        stats = (f"{len(counted)} graded: mean {fmt_points(statistics.fmean(counted))}, "
                 f"median {fmt_points(statistics.median(counted))}{of}")
    else:
        stats = "no submission could be graded"
    extras = []
    if late:
        extras.append(f"{late} late")
    if ungraded:
        extras.append(f"{ungraded} not graded (see index.html)")
    out.append(stats + ("; " + ", ".join(extras) if extras else ""))
    return "\n".join(out)
