"""The per-student HTML report: one self-contained page a student reads after grading.

What the student sees first is the total, one bar per module and where the
most points can be won back; then each module's failed tests, each with its
verdict, what was called, what came back, what was expected and the named
classic mistake; passed tests are folded away. The page is a single file
with inline CSS and no script, so it opens from a mail attachment or a
shared drive with no network. It shows only what results.json holds: the
hidden tests' source is never in it.

Every page carries a stamp (``<meta name="nngrade-report">``): a digest of
the results it shows, the language and the grader version. A rerun that
reuses a student's results compares stamps and renders the page again
whenever any of them changed (``--lang zh`` after an English run, an edited
results.json), so a report always matches its results.json and the run's
options, without regrading.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from nngrade.records import results_text
from nngrade.report.i18n import normalize_lang
from nngrade.report.model import note_text, student_view
from nngrade.report.render import render, stylesheet, write_atomic
from nngrade.version import __version__

__all__ = ["render_student_report", "report_is_current", "report_stamp", "write_student_report"]

_STAMP = re.compile(rb'<meta name="nngrade-report" content="([0-9a-f]+)">')
_HEAD_BYTES = 4096  # the stamp is in the page's head, before the inlined stylesheet


def report_stamp(results: Mapping[str, Any], lang: str, text: str | None = None) -> str:
    """What a report depends on, as a digest: the results' text, the language, the grader.

    ``text`` is `results_text` of ``results`` when the caller has it already
    (the grader just wrote it), so the digest costs no second encoding.
    """
    text = results_text(results) if text is None else text
    key = f"{__version__}\0{normalize_lang(lang)}\0{text}"
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]


def report_is_current(path: Path, results: Mapping[str, Any], lang: str,
                      text: str | None = None) -> bool:
    """Whether the page at ``path`` was rendered from exactly ``results`` in ``lang``."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(_HEAD_BYTES)
    except OSError:
        return False
    found = _STAMP.search(head)
    return found is not None and found.group(1).decode() == report_stamp(results, lang, text)


def render_student_report(results: Mapping[str, Any], lang: str = "en",
                          text: str | None = None) -> str:
    """The report page of one results.json document (``text``: its `results_text`)."""
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
        stamp=report_stamp(results, lang, text),
    )


def write_student_report(results: dict, path: Path, lang: str = "en",
                         text: str | None = None) -> None:
    """Write the report of one graded submission to ``path`` (parents are created).

    ``lang`` is ``"en"`` or ``"zh"``; an unknown language raises ValueError
    before anything is written. ``text`` is the results' `results_text`, if
    the caller has it.
    """
    write_atomic(Path(path), render_student_report(results, lang, text))
