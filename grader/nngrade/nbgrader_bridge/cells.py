"""The names and nbgrader metadata of the cells nngrade puts in a notebook, in one place.

Export writes these cells, `grade_course` finds them again in students'
notebooks and in nbgrader's gradebook, so the naming rule must live in a
single module. nbgrader allows ``[a-zA-Z0-9_-]`` in a ``grade_id`` (its
metadata schema v3), so ``Variable.__add__`` becomes ``Variable-__add__``;
no contract name holds a ``-``, so the mapping can be reversed exactly.
"""

from __future__ import annotations

from typing import Any

from nngrade.contract import MODULES

SCHEMA_VERSION = 3  # nbgrader's cell metadata schema (nbgrader.nbgraderformat.v3)

__all__ = [
    "answer_id",
    "answer_metadata",
    "check_cell_id",
    "check_cell_metadata",
    "contract_name_of_test",
    "is_grade",
    "is_locked",
    "is_solution",
    "grade_cell_id",
    "grade_cell_metadata",
]


def answer_id(name: str) -> str:
    """grade_id of the answer cell that defines top-level ``name`` (a function or class)."""
    return f"answer_{name}"


def grade_cell_id(name: str) -> str:
    """grade_id of the autograder test cell for contract name ``name``."""
    return "test_" + name.replace(".", "-")


def check_cell_id(module: str) -> str:
    """grade_id of the read-only cell that runs ``module``'s public checks."""
    return f"public_checks_{module}"


def contract_name_of_test(module: str, grade_id: str) -> str | None:
    """The contract name behind a test cell's grade_id; None for a cell nngrade did not write."""
    return {grade_cell_id(name): name for name in MODULES.get(module, ())}.get(grade_id)


def _metadata(grade_id: str, *, grade: bool, solution: bool, locked: bool,
              points: float | None = None) -> dict[str, Any]:
    """nbgrader's cell metadata (schema v3), the one place its keys are spelled."""
    meta: dict[str, Any] = {"grade": grade, "grade_id": grade_id, "locked": locked,
                            "schema_version": SCHEMA_VERSION, "solution": solution,
                            "task": False}
    if points is not None:
        meta["points"] = float(points)
    return meta


def answer_metadata(grade_id: str) -> dict[str, Any]:
    """An "Autograded answer" cell: the student edits it; its tests live in other cells."""
    return _metadata(grade_id, grade=False, solution=True, locked=False)


def grade_cell_metadata(grade_id: str, points: float) -> dict[str, Any]:
    """An "Autograder tests" cell: read-only, worth ``points``, partial credit from its output."""
    return _metadata(grade_id, grade=True, solution=False, locked=True, points=points)


def check_cell_metadata(grade_id: str) -> dict[str, Any]:
    """A "Read-only" cell: the student runs it but cannot edit it; it is worth nothing."""
    return _metadata(grade_id, grade=False, solution=False, locked=True)


def _nbgrader(cell: Any) -> dict[str, Any]:
    return cell.get("metadata", {}).get("nbgrader", {}) or {}


def is_grade(cell: Any) -> bool:
    return bool(_nbgrader(cell).get("grade", False))


def is_solution(cell: Any) -> bool:
    return bool(_nbgrader(cell).get("solution", False))


def is_locked(cell: Any) -> bool:
    """nbgrader's rule: a grade cell that is not a solution cell is locked, whatever its flag."""
    meta = _nbgrader(cell)
    if meta.get("solution", False):
        return False
    return bool(meta.get("grade", False) or meta.get("locked", False))
