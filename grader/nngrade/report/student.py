"""The per-student HTML report: one self-contained page a student reads after grading.

What the student sees first is the total, one bar per module and where the
most points can be won back; then each module's failed tests, each with its
verdict, what was called, what came back, what was expected and the named
classic mistake; passed tests are folded away. The page is a single file
with inline CSS and no script, so it opens from a mail attachment or a
shared drive with no network. It shows only what results.json holds: the
hidden tests' source is never in it.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from nngrade.report.i18n import normalize_lang
from nngrade.report.model import note_text, student_view
from nngrade.report.render import render, stylesheet, write_atomic
from nngrade.version import __version__

__all__ = ["render_student_report", "write_student_report"]


def render_student_report(results: Mapping[str, Any], lang: str = "en") -> str:
    """The report page of one results.json document, as HTML text."""
    lang = normalize_lang(lang)
    view = student_view(results, lang)
    problem_text = ""
    if view.problem is not None and view.problem[0] == "error":
        problem_text = note_text(view.problem[1], lang)
    return render(
        "student.html",
        lang,
        v=view,
        problem_text=problem_text,
        version=__version__,
        stylesheet=stylesheet(),
    )


def write_student_report(results: dict, path: Path, lang: str = "en") -> None:
    """Write the report of one graded submission to ``path`` (parents are created).

    ``lang`` is ``"en"`` or ``"zh"``; an unknown language raises ValueError
    before anything is written.
    """
    write_atomic(Path(path), render_student_report(results, lang))
