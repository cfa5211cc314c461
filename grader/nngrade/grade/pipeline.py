"""``nngrade grade``, top to bottom: a folder of hand-ins in, results, reports and a gradebook out.

    read the submissions           nngrade.intake
    skip what is graded already    the resume key (nngrade.grade.output); its report is
                                   rendered again only if the run's --lang asks for another
    grade the rest in the pool     nngrade.grade.pool -> nngrade.hidden (sandbox, suites, scoring)
    write each result as it comes  DIR/<student>/results.json and report.html
    then the class                 gradebook.csv, index.html, run.json

A submission that cannot be read gets zero points and the reason, written
at once; one that breaks the grading process is retried once, then the
same. Nothing a student hands in stops the batch: the command fails
(`GraderError`) only when the grader itself cannot run.
"""

from __future__ import annotations

import contextlib
import secrets
import sys
import time
from collections.abc import Callable, Generator, Iterator
from pathlib import Path
from typing import Any

import click

from nngrade.grade import early
from nngrade.grade.errors import GraderError
from nngrade.grade.options import BatchOptions
from nngrade.grade.output import OutputFolder
from nngrade.grade.pool import grade_in_pool
from nngrade.grade.shards import Shard, adopt_plan, write_shard_record
from nngrade.intake import IntakeError, read_submissions
from nngrade.records import Submission
from nngrade.rubric import Rubric, RubricError, load_rubric
from nngrade.scoring import ungradeable_results

__all__ = ["grade_class", "grade_directory"]


def grade_class(source: Path, out: Path, options: BatchOptions, *, shard: Shard | None = None,
                explicit: frozenset[str] = frozenset()) -> list[dict[str, Any]]:
    """Grade every submission under ``source`` into ``out``; the results documents, by student.

    With ``shard``, only that shard's students, with the plan in ``out/run.json``
    (`nngrade.grade.shards`; ``explicit`` names the options the command line
    set), and no gradebook or class summary: ``nngrade merge`` writes those.
    """
    folder = OutputFolder.create(out)
    if shard is None:
        with folder.locked():
            return _grade_locked(source, folder, options, None, explicit)
    # Shards of one run write into one folder at once: each holds a lock of its own and
    # leaves the other shards' half-written files alone.
    with folder.locked(f".nngrade-grade-shard-{shard.k}-of-{shard.n}.lock", clear=False):
        return _grade_locked(source, folder, options, shard, explicit)


def _grade_locked(source: Path, folder: OutputFolder, options: BatchOptions,
                  shard: Shard | None, explicit: frozenset[str]) -> list[dict[str, Any]]:
    out = folder.path
    plan: dict[str, Any] | None = None
    if shard is not None:
        plan, rubric = adopt_plan(out, shard, options=options, source=source,
                                  explicit=explicit, load_rubric=_rubric)
        seed = int(plan["seed"])
    else:
        rubric = _rubric(options.rubric_path)
        seed = _seed(options.seed, folder)
        folder.start_run(seed=seed, rubric=rubric, source=source, options=options)
    submissions = _read(source, options, shard)

    results: dict[str, dict[str, Any]] = {}
    todo: list[Submission] = []
    ungradeable = 0
    for submission in submissions:
        if submission.error is not None:
            ungradeable += 1  # unreadable: zero, with the reason, written now
            results[submission.student] = ungradeable_results(submission, seed, submission.error,
                                                              rubric)
            folder.write_student(results[submission.student], options)
        elif not options.force and (before := folder.graded_before(submission, seed, rubric)):
            results[submission.student] = before
            folder.refresh_report(before, options)  # follows --lang, or a report left unwritten
        else:
            todo.append(submission)

    started = time.perf_counter()
    with _progress(len(todo), options.progress) as advance, \
            contextlib.closing(_grade(todo, seed, rubric, options,
                                      out if shard is not None else None)) as graded:
        for result in graded:
            folder.write_student(result, options)
            results[result["nngrade"]["student"]] = result
            advance()

    everyone = [results[student] for student in sorted(results)]
    if shard is not None and plan is not None:
        write_shard_record(out, shard, plan=plan, students=sorted(results), graded=len(todo),
                           reused=len(everyone) - len(todo),
                           seconds=time.perf_counter() - started)
        return everyone
    folder.write_gradebook(everyone)
    if options.reports:
        folder.write_class_summary(everyone, options.lang)
    folder.write_run(seed=seed, rubric=rubric, source=source, graded=len(todo),
                     reused=len(everyone) - len(todo) - ungradeable,
                     ungradeable=ungradeable, seconds=time.perf_counter() - started,
                     options=options)
    return everyone


def _grade(todo: list[Submission], seed: int, rubric: Rubric, options: BatchOptions,
           shared_replays: Path | None = None) -> Generator[dict[str, Any], None, None]:
    """The results of ``todo``: from the local pool, or from Dask workers with ``--cluster``.

    ``shared_replays``: the OUT of a sharded run, whose shards pass on their replay trees.
    """
    if options.cluster:
        from nngrade.grade.dask_cluster import grade_on_dask

        return grade_on_dask(todo, seed=seed, rubric=rubric, options=options,
                             address=options.cluster)
    return grade_in_pool(todo, seed=seed, rubric=rubric, options=options,
                         meanwhile=_prepare_reports(options) if options.reports else None,
                         shared_replays=shared_replays, adopt=early.take)


def _prepare_reports(options: BatchOptions) -> Callable[[], None]:
    """Import and compile the report pages while the grading processes start and grade."""
    def prepare() -> None:
        from nngrade.report.render import prepare

        prepare(options.lang)
    return prepare


def grade_directory(submissions: Path, out: Path, *, jobs: int = 2, seed: int | None = None,
                    force: bool = False,
                    options: BatchOptions | None = None) -> list[dict[str, Any]]:
    """`grade_class` with the most used options as arguments (they win over ``options``)."""
    options = options or BatchOptions()
    options.jobs, options.force = jobs, force
    if seed is not None:
        options.seed = seed
    return grade_class(Path(submissions), Path(out), options)


def _rubric(path: Path | None) -> Rubric:
    try:
        return load_rubric(path)
    except (OSError, RubricError) as exc:
        raise GraderError(f"cannot use the rubric: {exc}") from exc


def _seed(given: int | None, folder: OutputFolder) -> int:
    """The seed given, else the one the folder's last run recorded, else a new one."""
    if given is not None:
        return given
    recorded = folder.recorded_seed()
    return recorded if recorded is not None else secrets.randbelow(2**31)


def _read(source: Path, options: BatchOptions, shard: Shard | None) -> list[Submission]:
    try:
        return read_submissions(source, options.deadline,
                                keep=shard.holds if shard is not None else None)
    except IntakeError as exc:
        raise GraderError(str(exc)) from exc


@contextlib.contextmanager
def _progress(total: int, show: bool) -> Iterator[Callable[[], None]]:
    """A progress bar on stderr when asked for (a terminal), as a function that advances it."""
    if not (show and total):
        yield lambda: None
        return
    with click.progressbar(length=total, label="grading", file=sys.stderr) as bar:
        yield lambda: bar.update(1)
