"""Every mistake the hidden suites can charge, the public checks can name first (issue 12).

A student should meet a named mistake in ``nngrade check`` before the grade
charges it. The hidden suites and the public checks name mistakes by the
codes of ``nngrade.mistakes``; this test reads every code that appears in
their source (any string literal that is a code: ``Mistake("code", ...)``,
``mistake="code"``, ``with_mistake("code")``, tables of codes) and fails
when a hidden suite can raise a code that no public check can. The shared
comparison helpers of ``nngrade.feedback`` (used by both sides) count for
both. The planted-mistake tests (test_public_checks*.py) show that the
public checks do name them; this one keeps the list complete.
"""

from __future__ import annotations

import ast
from pathlib import Path

from nngrade.mistakes import CODES

GRADER = Path(__file__).resolve().parents[1] / "grader" / "nngrade"
SUITES = sorted((GRADER / "suites").glob("test_*.py"))
PUBLIC = GRADER / "student" / "checks.py"
SHARED = GRADER / "feedback.py"


def codes_in(path: Path) -> set[str]:
    """The mistake codes written as string literals in ``path``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {node.value for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str)
            and node.value in CODES}


def test_no_mistake_code_is_built_at_run_time() -> None:
    """A code made by an f-string, a concatenation or a format call would escape the scan
    below; codes held in variables are fine, they come from literals in tables."""
    def built(value: ast.AST) -> bool:
        if isinstance(value, ast.IfExp):
            return built(value.body) or built(value.orelse)
        return isinstance(value, (ast.JoinedStr, ast.BinOp)) or (
            isinstance(value, ast.Call) and getattr(value.func, "attr", None) == "format")

    for path in [*SUITES, PUBLIC]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
            if name in ("Mistake", "with_mistake") and node.args:
                assert not built(node.args[0]), f"{path.name}:{node.lineno}: a built code"
            for kw in node.keywords:
                if kw.arg == "mistake":
                    assert not built(kw.value), f"{path.name}:{node.lineno}: a built code"


def test_every_code_the_hidden_suites_can_charge_a_public_check_can_name() -> None:
    hidden = set().union(*(codes_in(p) for p in SUITES))
    public = codes_in(PUBLIC) | codes_in(SHARED)
    assert len(hidden) > 50, "the scan must find the suites' codes"
    assert sorted(hidden - public) == [], \
        "hidden-only mistake codes: add a public check (grader/nngrade/student/checks.py) " \
        "that names each on a case of its own"


def test_the_scan_sees_a_hidden_only_code(tmp_path: Path) -> None:
    """The scan itself: a suite that names a code no public check names is caught."""
    suite = tmp_path / "test_new.py"
    suite.write_text('raise Feedback("x", mistake="layer_gradients_one_use")\n'
                     'Mistake("rotate_clockwise", 1)\n', encoding="utf-8")
    assert codes_in(suite) == {"layer_gradients_one_use", "rotate_clockwise"}
