"""The output folder of ``nngrade grade``: what it holds, how it is written, how a run resumes.

    DIR/<student>/results.json   Gradescope's schema plus nngrade's block
    DIR/<student>/report.html    the student's report
    DIR/gradebook.csv            one row per student
    DIR/index.html               the class summary
    DIR/run.json                 the seed and options of the run

Every file is written atomically (`nngrade.atomic.write_atomic`), each
student's the moment their result arrives, so an interrupted batch leaves
complete files only. A rerun reuses a student's results.json when it was
made from the same content, grader version, seed, rubric and lateness (the
resume key), and reads the seed back from run.json, so reruns grade alike.

Student ids name folders here; `nngrade.intake` has made them safe (no
separators, never ``.`` or ``..``). Gradebook cells that a spreadsheet would
run as formulas are quoted.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from dataclasses import asdict
from datetime import datetime
from pathlib import Path
from typing import Any

import click

from nngrade.atomic import write_atomic
from nngrade.contract import MODULES
from nngrade.grade.errors import GraderError
from nngrade.grade.options import BatchOptions
from nngrade.records import Submission, results_text
from nngrade.rubric import Rubric
from nngrade.version import __version__

__all__ = ["OutputFolder", "resume_key"]


def resume_key(content_sha256: str, seed: int, rubric_sha256: str, late: bool,
               grader_version: str = __version__) -> tuple[Any, ...]:
    """What must be unchanged for a submission's earlier results to stand."""
    return (content_sha256, grader_version, seed, rubric_sha256, json.dumps(late))


def _key_of(results: dict[str, Any]) -> tuple[Any, ...]:
    info = results.get("nngrade", {})
    return resume_key(info.get("content_sha256"), info.get("seed"), info.get("rubric_sha256"),
                      info.get("source", {}).get("late"), info.get("grader_version"))


def _csv_safe(value: Any) -> Any:
    """Spreadsheet programs run cells that start with = + - @ as formulas: quote them."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


class OutputFolder:
    """``DIR`` of ``nngrade grade --out DIR``."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    @classmethod
    def create(cls, path: Path) -> OutputFolder:
        try:
            Path(path).mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise GraderError(f"cannot create the output folder {path}: {exc}") from exc
        return cls(path)

    def recorded_seed(self) -> int | None:
        """The seed of the previous run into this folder, if it recorded one."""
        try:
            return int(json.loads((self.path / "run.json").read_text())["seed"])
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def graded_before(self, submission: Submission, seed: int,
                      rubric: Rubric) -> dict[str, Any] | None:
        """The results of an earlier run that still stand for ``submission``, else None."""
        try:
            path = self.path / submission.student / "results.json"
            previous = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        wanted = resume_key(submission.content_sha256, seed, rubric.sha256, submission.late)
        if not isinstance(previous, dict) or _key_of(previous) != wanted:
            return None
        return previous

    def write_student(self, results: dict[str, Any], options: BatchOptions) -> None:
        """``<student>/results.json`` and, unless turned off, ``<student>/report.html``."""
        folder = self.path / results["nngrade"]["student"]
        text = results_text(results)
        write_atomic(folder / "results.json", text)
        if options.reports:
            self._write_report(results, options, text)

    def refresh_report(self, results: dict[str, Any], options: BatchOptions) -> bool:
        """Render the report of reused ``results`` again if it does not show them as asked.

        A rerun without ``--force`` reuses the grades but follows the run's
        presentation options: a page from another language, another grader
        or other results (its stamp differs) is rendered again, nothing is
        regraded. True if the page was (re)written.
        """
        if not options.reports:
            return False
        from nngrade.report.student import report_is_current

        page = self.path / results["nngrade"]["student"] / "report.html"
        text = results_text(results)
        if report_is_current(page, results, options.lang, text):
            return False
        self._write_report(results, options, text)
        return True

    def _write_report(self, results: dict[str, Any], options: BatchOptions, text: str) -> None:
        folder = self.path / results["nngrade"]["student"]
        try:
            from nngrade.report import write_student_report

            write_student_report(results, folder / "report.html", lang=options.lang, text=text)
        except Exception as exc:  # a report bug must not lose the grade
            warnings = results["nngrade"].setdefault("warnings", [])
            if f"report not written: {exc}" in warnings:
                return  # said already (a rerun that reused these results)
            warnings.append(f"report not written: {exc}")
            write_atomic(folder / "results.json", results_text(results))

    def write_gradebook(self, all_results: Sequence[dict[str, Any]]) -> None:
        """``gradebook.csv``: student, total, max, one column per module, late, status."""
        buf = io.StringIO()
        writer = csv.writer(buf)
        writer.writerow(["student", "total", "max", *MODULES, "late", "status",
                         "content_sha256"])
        for res in sorted(all_results, key=lambda r: r["nngrade"]["student"]):
            info = res["nngrade"]
            modules = info.get("modules", {})
            writer.writerow([
                _csv_safe(info["student"]),
                res["score"],
                res["max_score"],
                *[modules.get(m, {}).get("score", 0.0) for m in MODULES],
                "yes" if info.get("source", {}).get("late") else "",
                "ungraded" if info.get("error") else "graded",
                info.get("content_sha256", ""),
            ])
        write_atomic(self.path / "gradebook.csv", buf.getvalue())

    def write_class_summary(self, all_results: Sequence[dict[str, Any]], lang: str) -> None:
        """``index.html``; a failure is reported and costs nothing else (the grades are written)."""
        try:
            from nngrade.report import write_class_summary

            write_class_summary(list(all_results), self.path, lang=lang)
        except Exception as exc:
            click.echo(f"warning: class summary not written: {exc}", err=True)

    def write_run(self, *, seed: int, rubric: Rubric, source: Path, graded: int, reused: int,
                  seconds: float, options: BatchOptions) -> None:
        """``run.json``: the seed (reused by the next run) and everything else that was set."""
        write_atomic(self.path / "run.json", json.dumps({
            "seed": seed,
            "grader_version": __version__,
            "rubric_sha256": rubric.sha256,
            "submissions": str(source),
            "graded": graded,
            "reused": reused,
            "seconds": round(seconds, 3),
            "options": {k: (str(v) if isinstance(v, (Path, datetime)) else v)
                        for k, v in asdict(options).items()},
        }, indent=2))
