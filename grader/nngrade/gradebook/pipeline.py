"""Grading one assignment of the course into the gradebook: select, grade, record.

``grade_assignment(course, "a2", grade_fn)``:

1. selects the attempt of every roster student for the assignment
   (``nngrade.course.selection``: inbox and LMS downloads, due dates,
   extensions from the course file and the gradebook, late policy);
2. stages the selected hand-ins in a fresh folder, one ``<student>.zip``
   or ``<student>/`` each (the layout ``nngrade grade`` reads), and calls
   ``grade_fn(staged_folder, out_dir)``, which must leave
   ``out_dir/<student>/results.json`` for every hand-in (``nngrade grade
   STAGED --out OUT_DIR`` does; it resumes what is already graded);
3. records each student's results in the gradebook, one transaction per
   student, only where something changed (``nngrade.gradebook.record``);
4. rewrites each student's report.html (when the grader wrote one) with
   the hand-in's own time of receipt and lateness, which the grader could
   not know from the staged copy, and the override that stands, if any;
5. writes the course page, ``<course out>/index.html``.

The grader is called through ``grade_fn`` so that this module depends on
results.json documents only, never on how the grader works inside. A
student whose results are missing or unreadable after grading is
reported and left as it was in the gradebook; it never stops the others.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nngrade.course.attempts import Attempt
from nngrade.course.config import Course, Download
from nngrade.course.selection import Choice, Selection, select_attempts
from nngrade.folder_names import student_folder
from nngrade.gradebook.database import Gradebook, open_gradebook
from nngrade.gradebook.figures import assignment_figures
from nngrade.gradebook.record import Recorded, record_grading
from nngrade.gradebook.reports import override_block
from nngrade.gradebook.state import course_state, granted_extensions
from nngrade.rubric import Rubric, load_rubric

__all__ = ["GradeFn", "GradeRun", "grade_assignment", "stage_selection"]

GradeFn = Callable[[Path, Path], Any]
MAX_RESULTS_BYTES = 64 << 20


@dataclass
class GradeRun:
    """What one grading of an assignment did."""

    assignment: str
    selection: Selection
    recorded: list[Recorded] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    out_dir: Path | None = None

    @property
    def changed(self) -> list[Recorded]:
        return [r for r in self.recorded if r.changed]


def _stage_one(folder: Path, student: str, attempt: Attempt) -> None:
    if attempt.archive is not None:
        target = folder / f"{student}.zip"
        try:
            os.link(attempt.archive, target)
        except OSError:
            shutil.copyfile(attempt.archive, target)
        return
    zips = [f for f in attempt.files if f.parts[-1].lower().endswith(".zip")]
    code = [f for f in attempt.files if not f.parts[-1].lower().endswith(".zip")]
    if len(zips) == 1 and not code:
        (folder / f"{student}.zip").write_bytes(zips[0].data)
        return
    root = folder / student
    root.mkdir()
    for f in code:
        target = root.joinpath(*f.parts)
        if root not in target.parents:  # the parts were checked when read; check again here
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(f.data)


def stage_selection(selection: Selection, folder: Path) -> None:
    """Write every chosen attempt into ``folder`` as ``<student>.zip`` or ``<student>/``."""
    for student, choice in sorted(selection.chosen.items()):
        _stage_one(folder, student, choice.attempt)


def _read_results(path: Path) -> dict[str, Any] | str:
    try:
        if path.stat().st_size > MAX_RESULTS_BYTES:
            return f"{path} is larger than {MAX_RESULTS_BYTES >> 20} MB"
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return f"the grader wrote no {path}"
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        return f"{path} is not readable JSON ({exc})"
    if not isinstance(data, dict) or not isinstance(data.get("tests", []), list):
        return f"{path} is not a results.json document"
    return data


def _report_with_hand_in(path: Path, results: dict[str, Any], choice: Choice,
                         lang: str, override: dict[str, Any] | None = None) -> str | None:
    """Rewrite the student's report with the hand-in's own facts (time, lateness, source)
    and the override that stands, if any (`nngrade.gradebook.reports`).

    The grader saw a staged copy, so its report knows neither when the work
    arrived nor whether it was late; results.json is left exactly as the
    grader wrote it (its cache key must not change, or every rerun would
    regrade).
    """
    if not path.is_file():
        return None  # the grader ran without reports
    view = copy.deepcopy(results)
    info = view.get("nngrade")
    if not isinstance(info, dict):
        return None
    attempt = choice.attempt
    info["source"] = {
        "path": attempt.source_path, "archive_sha256": attempt.digest,
        "late": bool(choice.late.late),
        **({"submitted_at": attempt.received_at.astimezone(dt.timezone.utc).isoformat()}
           if attempt.received_at else {}),
    }
    if override is not None:
        info["override"] = override
    try:
        from nngrade.report import write_student_report

        write_student_report(view, path, lang=lang)
    except Exception as exc:  # the grade is recorded; a report bug must not lose it
        return f"report not rewritten ({exc})"
    return None


def grade_assignment(course: Course, assignment: str, grade_fn: GradeFn, *,
                     gradebook: Gradebook | None = None, reason: str | None = None,
                     by: str | None = None, out_dir: Path | None = None,
                     extra: Sequence[Download] = (), students: Iterable[str] | None = None,
                     rubric: Rubric | None = None, write_page: bool = True) -> GradeRun:
    """Select, grade and record ``assignment`` of ``course`` (see the module doc).

    ``students`` limits the run to some roster ids; ``reason`` is added to
    every grading this run records (e.g. "hidden test of mse fixed").
    """
    course.require_usable()
    target = course.assignment(assignment)
    rubric = rubric or load_rubric(course.rubric_path)
    own = gradebook is None
    gb = gradebook or open_gradebook(course.gradebook)
    try:
        selection = select_attempts(course, target, granted=granted_extensions(gb), extra=extra)
        if students is not None:
            keep = set(students)
            selection.chosen = {s: c for s, c in selection.chosen.items() if s in keep}
        out = Path(out_dir) if out_dir is not None else course.out_dir(target.name)
        run = GradeRun(target.name, selection, problems=list(selection.problems), out_dir=out)
        if not selection.chosen:
            run.problems.append(f"nothing to grade for {target.name}")
        else:
            out.mkdir(parents=True, exist_ok=True)
            course.out.mkdir(parents=True, exist_ok=True)
            with tempfile.TemporaryDirectory(prefix=f".staging-{target.name}-",
                                             dir=course.out) as staging:
                stage_selection(selection, Path(staging))
                grade_fn(Path(staging), out)
            reports: list[tuple[str, dict[str, Any], Choice]] = []
            for student, choice in sorted(selection.chosen.items()):
                results = _read_results(out / student_folder(student) / "results.json")
                if isinstance(results, str):
                    run.problems.append(f"{student}: {results}; not recorded")
                    continue
                info = results.get("nngrade")
                if isinstance(info, dict) and info.get("student") not in (None, student):
                    run.problems.append(f"{student}: the grader reported it as "
                                        f"{info.get('student')!r}; recorded as {student!r}")
                if isinstance(info, dict) and info.get("rubric_sha256") not in (None,
                                                                                rubric.sha256):
                    run.problems.append(f"{student}: graded with another rubric than the "
                                        f"course's ({rubric.path})")
                figures = assignment_figures(results, target, rubric, choice.late)
                run.recorded.append(record_grading(
                    gb, student=student, assignment=target, attempt=choice.attempt,
                    results=results, figures=figures, due=choice.due, reason=reason, by=by,
                    now=dt.datetime.now(dt.timezone.utc)))
                reports.append((student, results, choice))
            # After recording: an override shows beside the grader's new score.
            state = course_state(gb, course, [s for s, _, _ in reports]) if reports else None
            for student, results, choice in reports:
                cell = state.cell(student, target.name) if state is not None else None
                override = override_block(cell.override, cell.grading, course.timezone) \
                    if cell is not None else None
                problem = _report_with_hand_in(out / student_folder(student) / "report.html",
                                               results, choice, course.language, override)
                if problem:
                    run.problems.append(f"{student}: {problem}")
        if write_page:
            from nngrade.gradebook.page import write_course_page

            try:
                write_course_page(course, gb)
            except Exception as exc:  # the grades are recorded; a page bug must not lose them
                run.problems.append(f"course page not written: {exc}")
        return run
    finally:
        if own:
            gb.close()
