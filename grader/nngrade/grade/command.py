"""The ``nngrade grade`` command: options in, `nngrade.grade.pipeline` run, the class table out."""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import click

from nngrade.grade.options import BatchOptions
from nngrade.grade.pipeline import grade_class

__all__ = ["grade_command"]


def _class_table(all_results: Sequence[dict[str, Any]]) -> str:
    try:
        from nngrade.report import format_class_table

        return format_class_table(list(all_results))
    except Exception:  # fall back to a plain table
        lines = [f"{'student':24} {'score':>12}"]
        for res in all_results:
            lines.append(f"{res['nngrade']['student'][:24]:24} "
                         f"{res['score']:>6g} / {res['max_score']:<4g}")
        return "\n".join(lines)


@click.command("grade")
@click.argument("submissions", type=click.Path(path_type=Path), required=False)
@click.option("--out", "-o", type=click.Path(path_type=Path), default=None,
              help="Folder for results.json, reports, gradebook.csv and index.html.")
@click.option("--jobs", "-j", type=click.IntRange(1, 64), default=2, show_default=True,
              help="Submissions graded in parallel (one sandbox each).")
@click.option("--seed", type=int, default=None,
              help="Seed of the hidden tests' random inputs (default: reuse DIR/run.json's, "
                   "else a new one, recorded).")
@click.option("--call-timeout", type=click.FloatRange(0.1), default=2.0, show_default=True,
              help="Seconds one call into student code may take.")
@click.option("--submission-timeout", type=click.FloatRange(1), default=300.0,
              show_default=True, help="Seconds all of one submission's calls may take.")
@click.option("--memory-mb", type=click.IntRange(128), default=1024, show_default=True,
              help="Memory limit of a student's worker process.")
@click.option("--force", is_flag=True, help="Regrade submissions that are already graded.")
@click.option("--deadline", type=click.DateTime(["%Y-%m-%d", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M",
                                                 "%Y-%m-%dT%H:%M:%S"]),
              default=None, help="For an inbox: grade the newest submission before this time.")
@click.option("--lang", type=click.Choice(["en", "zh"]), default="en", show_default=True,
              help="Language of the HTML reports.")
@click.option("--rubric", "rubric_path", type=click.Path(path_type=Path, exists=True,
              dir_okay=False), default=None, help="A rubric.toml to use instead of the default.")
@click.option("--no-reports", is_flag=True, help="Write results.json and the gradebook only.")
@click.option("--no-replay", is_flag=True,
              help="Run every hidden test in full for every submission. By default a test "
                   "that a submission answers exactly as an earlier one did reuses that "
                   "verdict (student code still runs): the same verdicts, in less time.")
@click.option("--nbgrader", "nbgrader", nargs=2, type=str, default=None,
              metavar="COURSE_DIR ASSIGNMENT",
              help="Grade an nbgrader course's submitted notebooks into its gradebook.")
def grade_command(submissions: Path | None, out: Path | None, jobs: int, seed: int | None,
                  call_timeout: float, submission_timeout: float, memory_mb: int, force: bool,
                  deadline: datetime | None, lang: str, rubric_path: Path | None,
                  no_reports: bool, no_replay: bool, nbgrader: tuple[str, str] | None) -> None:
    """Grade every submission in SUBMISSIONS (folders or .zip files named by student id).

    Writes DIR/<student>/results.json (Gradescope's schema) and report.html,
    DIR/gradebook.csv and DIR/index.html, and prints a class table. Already
    graded submissions with unchanged content are skipped; use --force to
    regrade. The exit status is non-zero only if the grader itself failed.
    """
    options = BatchOptions(jobs=jobs, seed=seed, force=force, call_timeout=call_timeout,
                           submission_timeout=submission_timeout, memory_mb=memory_mb,
                           lang=lang, reports=not no_reports, progress=sys.stderr.isatty(),
                           rubric_path=rubric_path, deadline=deadline, replay=not no_replay)
    if nbgrader:
        from nngrade.nbgrader_bridge import grade_course

        course, assignment = nbgrader
        results = grade_course(Path(course), assignment, out, jobs, seed, force,
                               options=options)
        click.echo(_class_table(results))
        return
    if submissions is None:
        raise click.UsageError("give the SUBMISSIONS folder (or --nbgrader COURSE_DIR ASSIGNMENT)")
    if out is None:
        raise click.UsageError("give --out DIR, the folder for the results")
    started, wall = time.perf_counter(), time.time()
    all_results = grade_class(submissions, out, options)
    elapsed = time.perf_counter() - started
    click.echo(_class_table(all_results))
    summary = out / "index.html"
    try:  # name the class summary only if this run wrote it (its failure was reported above)
        fresh = options.reports and summary.stat().st_mtime >= wall - 1
    except OSError:
        fresh = False
    reports = f"Reports: {summary}" if fresh else "No class summary was written"
    click.echo(f"\n{len(all_results)} submissions in {elapsed:.1f} s. "
               f"{reports}; gradebook: {out / 'gradebook.csv'}")
