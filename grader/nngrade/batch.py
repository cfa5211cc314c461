"""`nngrade grade`: a whole class, in parallel, resumable, and never stopped by one bad submission.

The path of a batch:

1. `nngrade.unpack` (or `nngrade.inbox` for a `nngrade submit` inbox) reads
   every submission into memory as data.
2. Submissions already graded with the same content, grader version, seed
   and rubric are skipped (an interrupted batch resumes where it stopped).
3. ``jobs`` grading processes each run one pytest session (`nngrade.runner`)
   with one sandbox, pulling submissions from a shared queue.
4. This process writes each ``DIR/<student>/results.json`` (and report) the
   moment it arrives, atomically, then the gradebook, the class summary and
   ``run.json``.

A grading process that dies or hangs costs only the submission it held: it
is retried once in a fresh process, then recorded as ungradeable with the
reason. The exit status is non-zero only when the grader itself could not
run.
"""

from __future__ import annotations

import csv
import io
import json
import multiprocessing as mp
import os
import queue
import secrets
import sys
import time
import traceback
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import click

from nngrade.contract import MODULES
from nngrade.rubric import Rubric, RubricError, load_rubric
from nngrade.runner import SubmissionJob
from nngrade.version import __version__

__all__ = ["BatchOptions", "GraderError", "grade_command", "grade_directory", "grade_jobs"]


class GraderError(click.ClickException):
    """The grader itself cannot run (not a student's fault); exit status 2."""

    exit_code = 2


@dataclass
class BatchOptions:
    """Everything an instructor can set for one batch."""

    jobs: int = 2
    seed: int | None = None
    force: bool = False
    call_timeout: float = 2.0
    submission_timeout: float = 300.0
    memory_mb: int = 1024
    lang: str = "en"
    reports: bool = True
    progress: bool = False
    rubric_path: Path | None = None
    deadline: datetime | None = None
    limits: dict[str, float] = field(default_factory=dict)
    replay: bool = True  # reuse a test's verdict for identical answers (nngrade.replay)


# ------------------------------------------------------------------ reading submissions


def read_submissions(path: Path, deadline: datetime | None = None) -> list[SubmissionJob]:
    """Every submission under ``path`` (a folder of folders/zips, or an inbox) as a job."""
    from nngrade import inbox, unpack

    if not path.exists():
        raise GraderError(f"{path} does not exist: give the folder that holds the submissions.")
    if not path.is_dir():
        raise GraderError(f"{path} is not a folder: give the folder that holds the submissions.")
    if inbox.is_inbox(path):
        jobs = []
        for entry in inbox.select_from_inbox(path, deadline):
            sub = unpack.read_submission(entry.archive, student=entry.student)
            job = _job_from(sub)
            job.source.update({
                "path": str(entry.archive),
                "archive_sha256": entry.sha256,
                "submitted_at": entry.submitted_at.isoformat(),
                "late": bool(entry.late),
                "archives_in_inbox": entry.all_archives,
            })
            jobs.append(job)
        return _unique_ids(jobs)
    return _unique_ids([_job_from(sub) for sub in unpack.discover(path)])


def _job_from(sub: Any) -> SubmissionJob:
    return SubmissionJob(
        student=sub.student,
        sources=dict(sub.files),
        content_sha256=sub.sha256,
        error=sub.error,
        warnings=list(sub.warnings),
        source={"path": str(getattr(sub, "path", "")), "late": False},
    )


def _unique_ids(jobs: list[SubmissionJob]) -> list[SubmissionJob]:
    """Two entries for one student id (``alice/`` and ``alice.zip``) must not share a report."""
    seen: dict[str, int] = {}
    for job in sorted(jobs, key=lambda j: j.student):
        n = seen.get(job.student, 0)
        seen[job.student] = n + 1
        if n:
            original = job.student
            job.student = f"{original}~{n + 1}"
            job.warnings.append(f"another submission is also named {original!r}; "
                                f"this one is reported as {job.student!r}")
    return sorted(jobs, key=lambda j: j.student)


# ------------------------------------------------------------------ the grading processes


def _grading_process(tasks: Any, results: Any, seed: int, limits: dict[str, float],
                     rubric_path: str | None, cpu: int | None = None,
                     replay: bool = True) -> None:
    """One grading process: a sandbox and a pytest session that grades jobs until told to stop."""
    from nngrade.runner import GradingPlugin, run_session
    from nngrade.sandbox import Limits, Sandbox

    rubric = load_rubric(Path(rubric_path) if rubric_path else None)
    pid = os.getpid()

    def next_jobs() -> Iterator[SubmissionJob]:
        while True:
            job = tasks.get()
            if job is None:
                return
            results.put(("claim", pid, job.student))
            yield job

    def emit(job: SubmissionJob, result: dict[str, Any]) -> None:
        results.put(("done", pid, job.student, json.dumps(result)))

    sandboxes: list[Any] = []

    def backend() -> Any:
        box = Sandbox(Limits(**limits), cpu=cpu)  # a worker beside its grader: warm caches
        box.__enter__()
        sandboxes.append(box)
        return box

    try:
        plugin = GradingPlugin(backend, next_jobs(), emit, seed=seed, limits=limits,
                               rubric=rubric, settle_heap=True, replay=replay)
        run_session(plugin)
    except BaseException:
        results.put(("fatal", pid, traceback.format_exc()))
        raise
    finally:
        for box in sandboxes:
            box.__exit__(None, None, None)
    results.put(("exit", pid))


def _sandbox_limits(options: BatchOptions) -> dict[str, float]:
    limits = {
        "call_seconds": options.call_timeout,
        "submission_seconds": options.submission_timeout,
        "memory_bytes": options.memory_mb * 1024 * 1024,
    }
    limits.update(options.limits)
    return limits


def grade_jobs(jobs: Sequence[SubmissionJob], *, seed: int, options: BatchOptions,
               on_result: Any = None) -> dict[str, dict[str, Any]]:
    """Grade ``jobs`` in ``options.jobs`` processes; returns student -> results document."""
    ctx = mp.get_context("fork" if sys.platform.startswith("linux") else "spawn")
    tasks, results = ctx.Queue(), ctx.Queue()
    limits = _sandbox_limits(options)
    rubric_path = str(options.rubric_path) if options.rubric_path else None
    pending = {job.student: job for job in jobs}
    attempts: dict[str, int] = {}
    done: dict[str, dict[str, Any]] = {}
    for job in jobs:
        tasks.put(job)
    n_proc = max(1, min(options.jobs, len(jobs)))
    procs: dict[int, Any] = {}
    holding: dict[int, tuple[str, float]] = {}  # pid -> (student, claimed at)
    hard_limit = options.submission_timeout + 120.0

    started = [0]
    cpus = os.cpu_count() or 1

    def start() -> None:
        cpu = started[0] % cpus if n_proc <= cpus else None
        started[0] += 1
        p = ctx.Process(target=_grading_process,
                        args=(tasks, results, seed, limits, rubric_path, cpu, options.replay),
                        daemon=True)
        p.start()
        procs[p.pid] = p

    def lost(pid: int, why: str) -> None:
        """A grading process died or hung holding a submission: retry once, then record why."""
        student, _ = holding.pop(pid, (None, 0.0))
        procs.pop(pid, None)
        if student is not None and student not in done:
            attempts[student] = attempts.get(student, 0) + 1
            if attempts[student] < 2:
                tasks.put(pending[student])
            else:
                done[student] = ungradeable(pending[student], seed,
                                            f"the grader failed on this submission twice ({why})")
                if on_result:
                    on_result(done[student])
        if len(done) < len(jobs):
            start()

    for _ in range(n_proc):
        start()
    fatal: list[str] = []
    while len(done) < len(jobs):
        try:
            msg = results.get(timeout=0.5)
        except queue.Empty:
            msg = None
        if msg is not None:
            kind, pid = msg[0], msg[1]
            if kind == "claim":
                holding[pid] = (msg[2], time.monotonic())
            elif kind == "done":
                holding.pop(pid, None)
                student = msg[2]
                if student not in done:
                    done[student] = json.loads(msg[3])
                    if on_result:
                        on_result(done[student])
            elif kind == "fatal":
                fatal.append(msg[2])
            continue
        now = time.monotonic()
        for pid, p in list(procs.items()):
            if not p.is_alive():
                p.join()
                if fatal and not holding.get(pid) and len(fatal) >= 2:
                    raise GraderError("the grading processes could not start:\n" + fatal[-1])
                lost(pid, f"grading process exited with code {p.exitcode}")
            elif pid in holding and now - holding[pid][1] > hard_limit:
                p.kill()
                p.join()
                lost(pid, f"no verdict after {hard_limit:.0f} s")
    for _ in procs:
        tasks.put(None)
    for p in procs.values():
        p.join(timeout=10)
        if p.is_alive():
            p.kill()
    return done


def ungradeable(job: SubmissionJob, seed: int, reason: str,
                rubric: Rubric | None = None) -> dict[str, Any]:
    """The results document of a submission that could not be graded: zero, and why."""
    from nngrade.scoring import build_results

    job = SubmissionJob(job.student, {}, job.content_sha256, reason, job.warnings, job.source)
    return build_results(job, [], {}, rubric=rubric or load_rubric(), seed=seed,
                         protections={}, limits_hit=[], timing={}, execution_time=0.0)


# ------------------------------------------------------------------ writing results


def _atomic_write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def _csv_safe(value: Any) -> Any:
    """Spreadsheet programs run cells that start with = + - @ as formulas: quote them."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def write_gradebook(all_results: Sequence[dict[str, Any]], path: Path) -> None:
    """``gradebook.csv``: student, total, max, one column per module, late, status."""
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(["student", "total", "max", *MODULES, "late", "status", "content_sha256"])
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
    _atomic_write(path, buf.getvalue())


def _cache_key(res: dict[str, Any]) -> tuple[Any, ...]:
    info = res.get("nngrade", {})
    return (info.get("content_sha256"), info.get("grader_version"), info.get("seed"),
            info.get("rubric_sha256"), json.dumps(info.get("source", {}).get("late")))


def _previous(out: Path, job: SubmissionJob) -> dict[str, Any] | None:
    path = out / job.student / "results.json"
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _results_text(res: dict[str, Any]) -> str:
    """results.json's text: compact, as tools read it (json's C encoder; ``indent`` would send
    every document through the pure-Python one, a fifth of the main process's time)."""
    return json.dumps(res, ensure_ascii=False) + "\n"


def _write_student(out: Path, res: dict[str, Any], options: BatchOptions) -> None:
    student_dir = out / res["nngrade"]["student"]
    _atomic_write(student_dir / "results.json", _results_text(res))
    if options.reports:
        try:
            from nngrade.report import write_student_report

            write_student_report(res, student_dir / "report.html", lang=options.lang)
        except Exception as exc:  # a report bug must not lose the grade
            res["nngrade"].setdefault("warnings", []).append(f"report not written: {exc}")
            _atomic_write(student_dir / "results.json", _results_text(res))


def grade_directory(submissions: Path, out: Path, *, jobs: int = 2, seed: int | None = None,
                    force: bool = False, options: BatchOptions | None = None) -> list[dict]:
    """Grade every submission under ``submissions`` into ``out``; returns the results documents."""
    options = options or BatchOptions()
    options.jobs, options.force = jobs, force
    if seed is not None:
        options.seed = seed
    return _grade(Path(submissions), Path(out), options)


def _grade(submissions: Path, out: Path, options: BatchOptions) -> list[dict[str, Any]]:
    try:
        rubric = load_rubric(options.rubric_path)
    except (OSError, RubricError) as exc:
        raise GraderError(f"cannot use the rubric: {exc}") from exc
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise GraderError(f"cannot create the output folder {out}: {exc}") from exc
    run_file = out / "run.json"
    seed = options.seed
    if seed is None:
        try:
            seed = int(json.loads(run_file.read_text())["seed"])
        except (OSError, ValueError, KeyError, TypeError):
            seed = secrets.randbelow(2**31)
    jobs = read_submissions(submissions, options.deadline)

    by_student: dict[str, dict[str, Any]] = {}
    todo: list[SubmissionJob] = []
    for job in jobs:
        if job.error is not None:  # unreadable: zero, with the reason, written now
            by_student[job.student] = ungradeable(job, seed, job.error, rubric)
            _write_student(out, by_student[job.student], options)
            continue
        previous = None if options.force else _previous(out, job)
        wanted = (job.content_sha256, __version__, seed, rubric.sha256,
                  json.dumps(job.source.get("late")))
        if previous is not None and _cache_key(previous) == wanted:
            by_student[job.student] = previous
        else:
            todo.append(job)

    started = time.perf_counter()
    bar = click.progressbar(length=len(todo), label="grading", file=sys.stderr) \
        if options.progress and todo else None

    def on_result(res: dict[str, Any]) -> None:
        _write_student(out, res, options)
        by_student[res["nngrade"]["student"]] = res
        if bar is not None:
            bar.update(1)

    if todo:
        if bar is not None:
            bar.__enter__()
        try:
            grade_jobs(todo, seed=seed, options=options, on_result=on_result)
        finally:
            if bar is not None:
                bar.__exit__(None, None, None)
    elapsed = time.perf_counter() - started
    all_results = [by_student[s] for s in sorted(by_student)]
    write_gradebook(all_results, out / "gradebook.csv")
    if options.reports:
        try:
            from nngrade.report import write_class_summary

            write_class_summary(all_results, out, lang=options.lang)
        except Exception as exc:  # the grades are written; a summary bug must not lose them
            click.echo(f"warning: class summary not written: {exc}", err=True)
    _atomic_write(run_file, json.dumps({
        "seed": seed,
        "grader_version": __version__,
        "rubric_sha256": rubric.sha256,
        "submissions": str(submissions),
        "graded": len(todo),
        "reused": len(all_results) - len(todo),
        "seconds": round(elapsed, 3),
        "options": {k: (str(v) if isinstance(v, (Path, datetime)) else v)
                    for k, v in asdict(options).items()},
    }, indent=2))
    return all_results


# ------------------------------------------------------------------ the command


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
    started = time.perf_counter()
    all_results = _grade(submissions, out, options)
    elapsed = time.perf_counter() - started
    click.echo(_class_table(all_results))
    click.echo(f"\n{len(all_results)} submissions in {elapsed:.1f} s. "
               f"Reports: {out / 'index.html'}; gradebook: {out / 'gradebook.csv'}")
