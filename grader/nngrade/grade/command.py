"""The ``nngrade grade`` command: options in, `nngrade.grade.pipeline` run, the class table out."""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import click
from click.core import ParameterSource

from nngrade.grade.options import BatchOptions
from nngrade.grade.pipeline import grade_class
from nngrade.grade.shards import Shard

__all__ = ["grade_command"]


def _class_table(all_results: Sequence[dict[str, Any]], lang: str = "en") -> str:
    try:
        from nngrade.report import format_class_table

        return format_class_table(list(all_results), lang=lang)
    except Exception:  # fall back to a plain table
        lines = [f"{'student':24} {'score':>12}"]
        for res in all_results:
            lines.append(f"{res['nngrade']['student'][:24]:24} "
                         f"{res['score']:>6g} / {res['max_score']:<4g}")
        return "\n".join(lines)


# command-line parameter -> BatchOptions field a shard's plan holds
_PLANNED_PARAMS = {"seed": "seed", "rubric_path": "rubric_path", "call_timeout": "call_timeout",
                   "submission_timeout": "submission_timeout", "memory_mb": "memory_mb",
                   "lang": "lang", "no_reports": "reports", "no_replay": "replay",
                   "deadline": "deadline"}


def _shard(text: str) -> Shard:
    try:
        return Shard.parse(text)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--shard") from exc


def _explicit(ctx: click.Context) -> frozenset[str]:
    """The planned options the command line set (a shard refuses to differ from the plan)."""
    return frozenset(field for param, field in _PLANNED_PARAMS.items()
                     if ctx.get_parameter_source(param) is ParameterSource.COMMANDLINE)


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
@click.option("--cluster", default=None, metavar="local:N|tcp://HOST:PORT",
              help="Grade on Dask workers instead of -j local processes: local:N starts N, "
                   "an address uses a running scheduler (needs nngrade[dask]).")
@click.option("--shard", "shard_text", default=None, metavar="K/N",
              help="Grade only shard K of N (students by a stable hash of their id), with the "
                   "seed and options of OUT/run.json (written by the first shard); then "
                   "`nngrade merge OUT` writes the gradebook once all N are in.")
@click.option("--assignment", "-a", "assignment", default=None, metavar="A",
              help="Grade assignment A of the course (nngrade.toml: its inbox or LMS "
                   "downloads, roster, due dates, rubric) into the semester gradebook; "
                   "SUBMISSIONS and --out are not needed.")
@click.option("--course", "--course-file", "course_path", type=click.Path(path_type=Path),
              default=None,
              help="With --assignment: the course file or its folder (default: the nearest "
                   "nngrade.toml).")
@click.option("--reason", default=None,
              help="With --assignment: why this (re)grade, kept with every grading recorded.")
@click.option("--student", "students", multiple=True, metavar="ID",
              help="With --assignment: only this roster student (repeatable).")
@click.option("--nbgrader", "nbgrader", nargs=2, type=str, default=None,
              metavar="COURSE_DIR ASSIGNMENT",
              help="Grade an nbgrader course's submitted notebooks into its gradebook.")
def grade_command(submissions: Path | None, out: Path | None, jobs: int, seed: int | None,
                  call_timeout: float, submission_timeout: float, memory_mb: int, force: bool,
                  deadline: datetime | None, lang: str, rubric_path: Path | None,
                  no_reports: bool, no_replay: bool, cluster: str | None,
                  shard_text: str | None,
                  assignment: str | None, course_path: Path | None, reason: str | None,
                  students: tuple[str, ...], nbgrader: tuple[str, str] | None) -> None:
    """Grade every submission in SUBMISSIONS (folders or .zip files named by student id).

    Writes DIR/<student>/results.json (Gradescope's schema) and report.html,
    DIR/gradebook.csv and DIR/index.html, and prints a class table. Already
    graded submissions with unchanged content are skipped; use --force to
    regrade. The exit status is non-zero only if the grader itself failed.
    """
    options = BatchOptions(jobs=jobs, seed=seed, force=force, call_timeout=call_timeout,
                           submission_timeout=submission_timeout, memory_mb=memory_mb,
                           lang=lang, reports=not no_reports, progress=sys.stderr.isatty(),
                           rubric_path=rubric_path, deadline=deadline, replay=not no_replay,
                           cluster=cluster)
    if nbgrader:
        from nngrade.nbgrader_bridge import grade_course

        course, assignment = nbgrader
        results = grade_course(Path(course), assignment, out, jobs, seed, force,
                               options=options)
        click.echo(_class_table(results, lang))
        return
    if assignment is not None:
        if submissions is not None or out is not None:
            raise click.UsageError("--assignment takes the hand-ins and the output folder from "
                                   "the course file: give neither SUBMISSIONS nor --out")
        from nngrade.grade.assignment import grade_course_assignment

        if shard_text is not None and seed is None:
            raise click.UsageError("--assignment with --shard needs --seed S: the shards share "
                                   "the gradebook, not a folder, so each must be given the seed")
        sys.exit(grade_course_assignment(
            assignment, course_path, options, reason=reason, students=students,
            shard=_shard(shard_text) if shard_text is not None else None))
    if course_path is not None or reason is not None or students:
        raise click.UsageError("--course, --reason and --student go with --assignment A")
    if submissions is None:
        raise click.UsageError("give the SUBMISSIONS folder (or --assignment A, or --nbgrader "
                               "COURSE_DIR ASSIGNMENT)")
    if out is None:
        raise click.UsageError("give --out DIR, the folder for the results")
    started, wall = time.perf_counter(), time.time()
    if shard_text is not None:
        shard = _shard(shard_text)
        all_results = grade_class(submissions, out, options, shard=shard,
                                  explicit=_explicit(click.get_current_context()))
        click.echo(_class_table(all_results, lang))
        click.echo(f"\nShard {shard}: {len(all_results)} submissions in "
                   f"{time.perf_counter() - started:.1f} s. When all {shard.n} shards are in: "
                   f"nngrade merge {out}")
        return
    all_results = grade_class(submissions, out, options)
    elapsed = time.perf_counter() - started
    click.echo(_class_table(all_results, lang))
    from nngrade.report.table import format_run_line

    summary = out / "index.html"
    try:  # name the class summary only if this run wrote it (its failure was reported above)
        fresh = options.reports and summary.stat().st_mtime >= wall - 1
    except OSError:
        fresh = False
    click.echo("\n" + format_run_line(len(all_results), elapsed, str(summary) if fresh else None,
                                      str(out / "gradebook.csv"), lang))
