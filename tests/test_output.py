"""The output folder of ``nngrade grade`` (`nngrade.grade.output`, `nngrade.atomic`).

End to end (resume on the sample class, the gradebook's rows) is in
tests/test_batch.py; here are the rules one at a time: when earlier
results still stand, that nothing half-written is ever left, and that a
report or summary that fails costs the grade nothing.
"""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path
from typing import Any

import pytest

from nngrade.atomic import write_atomic
from nngrade.grade.options import BatchOptions
from nngrade.grade.output import OutputFolder
from nngrade.records import Submission
from nngrade.rubric import load_rubric
from nngrade.scoring import ungradeable_results


def _results(student: str, *, seed: int = 4, late: bool = False,
             content: str = "abc") -> dict[str, Any]:
    submission = Submission(student, content_sha256=content, origin={"path": "x", "late": late})
    return ungradeable_results(submission, seed, "for the test", load_rubric())


@pytest.fixture
def folder(tmp_path: Path) -> OutputFolder:
    return OutputFolder.create(tmp_path / "out")


def test_earlier_results_stand_only_for_the_same_key(folder: OutputFolder) -> None:
    rubric = load_rubric()
    folder.write_student(_results("ann"), BatchOptions(reports=False))
    same = Submission("ann", content_sha256="abc", origin={"late": False})
    assert folder.graded_before(same, 4, rubric) is not None
    assert folder.graded_before(same, 5, rubric) is None  # another seed
    changed = Submission("ann", content_sha256="abd", origin={"late": False})
    assert folder.graded_before(changed, 4, rubric) is None
    late = Submission("ann", content_sha256="abc", origin={"late": True})
    assert folder.graded_before(late, 4, rubric) is None
    other_rubric = rubric.__class__(rubric.points, "0" * 64, rubric.path)
    assert folder.graded_before(same, 4, other_rubric) is None
    assert folder.graded_before(Submission("bob"), 4, rubric) is None  # never graded
    (folder.path / "ann" / "results.json").write_text("{not json")
    assert folder.graded_before(same, 4, rubric) is None


def test_the_seed_comes_back_from_run_json(folder: OutputFolder) -> None:
    assert folder.recorded_seed() is None
    folder.write_run(seed=77, rubric=load_rubric(), source=Path("subs"), graded=1, reused=0,
                     seconds=1.5, options=BatchOptions(deadline=None))
    assert folder.recorded_seed() == 77
    run = json.loads((folder.path / "run.json").read_text())
    assert run["options"]["rubric_path"] is None and run["submissions"] == "subs"


def test_a_report_that_fails_costs_the_grade_nothing(folder: OutputFolder,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    import nngrade.report

    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("template missing")

    monkeypatch.setattr(nngrade.report, "write_student_report", broken)
    results = _results("ann")
    folder.write_student(results, BatchOptions(reports=True))
    on_disk = json.loads((folder.path / "ann" / "results.json").read_text())
    assert on_disk["nngrade"]["warnings"] == ["report not written: template missing"]
    assert not (folder.path / "ann" / "report.html").exists()


def test_the_gradebook_quotes_what_a_spreadsheet_would_run(folder: OutputFolder) -> None:
    folder.write_gradebook([_results("=HYPERLINK(1)"), _results("ann", late=True)])
    rows = list(csv.DictReader((folder.path / "gradebook.csv").open()))
    assert [r["student"] for r in rows] == ["'=HYPERLINK(1)", "ann"]
    assert rows[1]["late"] == "yes" and rows[1]["status"] == "ungraded"


def test_an_atomic_write_leaves_the_old_file_or_the_new_one(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "deep" / "results.json"
    write_atomic(target, "old")
    assert target.read_text() == "old" and oct(target.stat().st_mode & 0o777) == "0o644"

    def full_disk(*args: Any) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", full_disk)
    with pytest.raises(OSError, match="No space"):
        write_atomic(target, "new")
    assert target.read_text() == "old"
    assert sorted(p.name for p in target.parent.iterdir()) == ["results.json"]  # no temp left


def test_a_reused_report_follows_the_runs_language(folder: OutputFolder) -> None:
    results = _results("ann")
    folder.write_student(results, BatchOptions(reports=True, lang="en"))
    page = folder.path / "ann" / "report.html"
    assert '<html lang="en">' in page.read_text()
    assert not folder.refresh_report(results, BatchOptions(lang="en")), "current: left alone"
    assert folder.refresh_report(results, BatchOptions(lang="zh"))
    assert '<html lang="zh-CN">' in page.read_text()
    assert not folder.refresh_report(results, BatchOptions(lang="zh"))
    assert not folder.refresh_report(results, BatchOptions(lang="en", reports=False))
    assert '<html lang="zh-CN">' in page.read_text(), "--no-reports leaves pages alone"


def test_a_report_always_matches_its_results(folder: OutputFolder) -> None:
    results = _results("ann")
    folder.write_student(results, BatchOptions(reports=True))
    edited = json.loads((folder.path / "ann" / "results.json").read_text())
    assert not folder.refresh_report(edited, BatchOptions()), "the same document read back"
    edited["score"] = 7.0  # an instructor's correction in results.json
    assert folder.refresh_report(edited, BatchOptions())
    (folder.path / "ann" / "report.html").unlink()
    assert folder.refresh_report(edited, BatchOptions()), "a missing page is written"
