"""``nngrade slurm``: write, submit, watch and rerun a class's grading on a Slurm cluster.

``nngrade slurm SUBMISSIONS --out OUT`` writes the batch scripts (and with
``--submit`` submits them); ``nngrade slurm status OUT`` and ``nngrade
slurm rerun OUT`` work on what was written. The first word is a
subcommand only when it names one; anything else is the default ``plan``
command's SUBMISSIONS (write ``./status`` for a folder called ``status``).
"""

from __future__ import annotations

import math
import shlex
import shutil
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import click

from nngrade.slurm.jobs import SlurmError, load_rounds, save_rounds, sbatch, submit_round
from nngrade.slurm.plan import (
    MAX_ARRAY_SIZE,
    GradeSettings,
    SlurmPlan,
    count_submissions,
    format_minutes,
    memory_per_task_mb,
    parse_time,
    plan_seed,
    sbatch_path_problem,
    students_per_shard,
    time_limit_minutes,
)
from nngrade.slurm.scripts import (
    GRADE_SCRIPT,
    MERGE_SCRIPT,
    PROTECTED_OPTIONS,
    render_grade_script,
    render_merge_script,
    sbatch_option_name,
)
from nngrade.slurm.status import collect_status, format_status

__all__ = ["slurm_group"]

PLAN_FILE = "plan.json"
# `nngrade grade --deadline`'s formats: a shard must never receive one it refuses
DEADLINE_FORMATS = ["%Y-%m-%d", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"]
STUDENTS_PER_SHARD = 250  # the default shard size: a few minutes of grading, a cheap array task


class _DefaultGroup(click.Group):
    """A group whose first argument is the ``plan`` command's unless it names a subcommand."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ("--help", "-h"):
            args = ["plan", *args]
        return super().parse_args(ctx, args)


@click.group("slurm", cls=_DefaultGroup)
def slurm_group() -> None:
    """Grade a class on a Slurm cluster: one job-array task per shard, then a merge job.

    \b
    nngrade slurm SUBMISSIONS --out OUT [--shards N] [--submit]   write (and submit) the jobs
    nngrade slurm status OUT                                      shards done/running/failed
    nngrade slurm rerun OUT                                       submit failed shards again
    nngrade slurm cancel OUT                                      scancel the run's jobs

    OUT must be on a file system the compute nodes share. See docs/cluster.md.
    """


def _nngrade_command(subcommand: str) -> tuple[str, ...]:
    """The absolute command that runs this very nngrade on a compute node."""
    script = Path(sys.executable).parent / "nngrade"
    if script.is_file():
        return (str(script), subcommand)
    found = shutil.which("nngrade")
    if found:
        return (str(Path(found).resolve()), subcommand)
    return (sys.executable, "-c", "from nngrade.console import main; main()", subcommand)


def _check_default_commands(grade_command: str | None, merge_command: str | None) -> None:
    """The default commands need `nngrade grade --shard` and `nngrade merge`: say so if absent."""
    from nngrade.cli import COMMANDS

    if "merge" not in COMMANDS and (grade_command is None or merge_command is None):
        raise click.ClickException(
            "this nngrade has no `nngrade merge` (nor `nngrade grade --shard`) yet, so the "
            "default commands of the jobs would fail. Give your own with --grade-command and "
            "--merge-command, or update nngrade.")


def _split_command(text: str | None, default: tuple[str, ...], what: str) -> tuple[str, ...]:
    if text is None:
        return default
    try:
        parts = tuple(shlex.split(text))
    except ValueError as exc:
        raise click.BadParameter(f"cannot read {what} {text!r}: {exc}") from exc
    if not parts:
        raise click.BadParameter(f"{what} is empty")
    return parts


def _check_sbatch_options(options: tuple[str, ...]) -> None:
    for option in options:
        if not option.strip().startswith("-") or any(not ch.isprintable() for ch in option):
            raise click.BadParameter(f"{option!r} is not an sbatch option (e.g. --account=cs101)",
                                     param_hint="--sbatch-option")
        name = sbatch_option_name(option)
        if name in PROTECTED_OPTIONS:
            raise click.BadParameter(
                f"{option!r}: nngrade slurm sets --{name} itself (use --shards and "
                "--max-running for the array)", param_hint="--sbatch-option")


def _load_plan(out: Path) -> SlurmPlan:
    path = out / "slurm" / PLAN_FILE
    try:
        return SlurmPlan.from_json(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise click.ClickException(
            f"{path} does not exist: write the jobs first with "
            f"`nngrade slurm SUBMISSIONS --out {out}`") from None
    except (OSError, ValueError, TypeError, KeyError) as exc:
        raise click.ClickException(f"cannot read {path}: {exc}") from exc


def _set_aside_previous_run(slurm_dir: Path, plan: SlurmPlan | None) -> None:
    """A new plan for OUT: refuse while jobs of the last one still run, else move its records."""
    rounds = load_rounds(slurm_dir)
    if not rounds:
        return
    if plan is not None:
        status = collect_status(plan)
        live = [s for s in [*status.shards, status.merge] if s.state in ("running", "pending")]
        if live:
            names = ", ".join(f"{s.name} ({s.job})" for s in live)
            raise click.ClickException(
                f"jobs of the previous run in {slurm_dir.parent} are still queued or running: "
                f"{names}. Wait for them (`nngrade slurm status {slurm_dir.parent}`), or cancel "
                "them with scancel, then write the new jobs.")
    stamp = time.strftime("%Y%m%dT%H%M%S")
    previous = slurm_dir / f"previous-{stamp}"
    previous.mkdir(parents=True, exist_ok=True)
    for name in ("jobs.json", "shards", PLAN_FILE):
        if (slurm_dir / name).exists():
            (slurm_dir / name).rename(previous / name)


def _write_run_plan(plan: SlurmPlan, rubric_path: Path | None,
                    deadline: datetime | None) -> None:
    """OUT/run.json, the plan every ``nngrade grade --shard`` of the array grades with.

    Written here, before any task starts, so that a plan left in OUT by an
    earlier run (another N, another seed) is replaced rather than refused by
    every shard; the tasks pass the same values on their command lines.
    """
    from nngrade.grade.options import BatchOptions
    from nngrade.grade.shards import write_plan
    from nngrade.rubric import RubricError, load_rubric

    settings = plan.grade
    try:
        rubric = load_rubric(rubric_path.resolve() if rubric_path else None)
    except (OSError, RubricError) as exc:
        raise click.ClickException(f"cannot use the rubric: {exc}") from exc
    options = BatchOptions(jobs=settings.jobs, seed=settings.seed,
                           call_timeout=settings.call_timeout,
                           submission_timeout=settings.submission_timeout,
                           memory_mb=settings.memory_mb, lang=settings.lang,
                           reports=settings.reports, replay=settings.replay,
                           rubric_path=rubric_path.resolve() if rubric_path else None,
                           deadline=deadline)
    write_plan(Path(plan.out), n=plan.shards, seed=settings.seed, rubric=rubric,
               options=options, source=Path(plan.submissions))


@slurm_group.command("plan")
@click.argument("submissions", type=click.Path(path_type=Path, exists=True, file_okay=False))
@click.option("--out", "-o", type=click.Path(path_type=Path), required=True,
              help="Results folder, on a file system every compute node sees.")
@click.option("--shards", type=click.IntRange(1, MAX_ARRAY_SIZE - 1), default=None,
              help=f"Array tasks (default: one per {STUDENTS_PER_SHARD} submissions).")
@click.option("--max-running", type=click.IntRange(1), default=None,
              help="At most this many tasks at once (sbatch --array=...%M).")
@click.option("--partition", "-p", default=None, help="Slurm partition.")
@click.option("--time", "time_limit", default=None,
              help="Time limit of one task (sbatch --time; default: the worst case from "
                   "--submission-timeout).")
@click.option("--jobs", "-j", type=click.IntRange(1, 64), default=2, show_default=True,
              help="Grading processes per task; also its --cpus-per-task.")
@click.option("--seed", type=int, default=None,
              help="Seed of the hidden tests (default: OUT/run.json's, else a new one); "
                   "written into the script, so every shard uses it.")
@click.option("--call-timeout", type=click.FloatRange(0.1), default=2.0, show_default=True)
@click.option("--submission-timeout", type=click.FloatRange(1), default=300.0,
              show_default=True)
@click.option("--memory-mb", type=click.IntRange(128), default=1024, show_default=True,
              help="Memory limit of a student's worker process.")
@click.option("--lang", type=click.Choice(["en", "zh"]), default="en", show_default=True)
@click.option("--rubric", "rubric_path", type=click.Path(path_type=Path, exists=True,
              dir_okay=False), default=None)
@click.option("--deadline", type=click.DateTime(DEADLINE_FORMATS), default=None,
              help="For an inbox, as for `nngrade grade`.")
@click.option("--no-reports", is_flag=True)
@click.option("--no-replay", is_flag=True)
@click.option("--sbatch-option", "sbatch_options", multiple=True,
              help="An extra #SBATCH option, e.g. --sbatch-option=--account=cs101 "
                   "(repeatable; replaces nngrade's own value of the same option).")
@click.option("--job-name", default="nngrade", show_default=True)
@click.option("--grade-command", default=None,
              help="The command a task runs for its shard (default: this nngrade's "
                   "`nngrade grade`); SUBMISSIONS --out OUT --shard K/N and the options follow.")
@click.option("--merge-command", default=None,
              help="The command of the merge job (default: `nngrade merge`); OUT follows.")
@click.option("--submit", is_flag=True, help="Submit with sbatch (array, then the merge job).")
def plan_command(submissions: Path, out: Path, shards: int | None, max_running: int | None,
                 partition: str | None, time_limit: str | None, jobs: int, seed: int | None,
                 call_timeout: float, submission_timeout: float, memory_mb: int, lang: str,
                 rubric_path: Path | None, deadline: datetime | None, no_reports: bool,
                 no_replay: bool, sbatch_options: tuple[str, ...], job_name: str,
                 grade_command: str | None, merge_command: str | None, submit: bool) -> None:
    """Write the batch scripts that grade SUBMISSIONS into OUT (and submit them with --submit)."""
    submissions = submissions.resolve()
    out = out.resolve()
    problem = sbatch_path_problem(str(out))
    if problem:
        raise click.BadParameter(problem, param_hint="--out")
    _check_sbatch_options(sbatch_options)
    _check_default_commands(grade_command, merge_command)
    students = count_submissions(submissions)
    if students == 0:
        raise click.ClickException(f"{submissions} holds no submissions (folders or .zip files "
                                   "named by student id)")
    shards = shards or min(MAX_ARRAY_SIZE - 1, max(1, math.ceil(students / STUDENTS_PER_SHARD)))
    try:
        minutes = parse_time(time_limit) if time_limit else time_limit_minutes(
            students, shards, jobs, submission_timeout)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--time") from exc

    slurm_dir = out / "slurm"
    previous = _load_plan(out) if (slurm_dir / PLAN_FILE).is_file() else None
    _set_aside_previous_run(slurm_dir, previous)
    plan = SlurmPlan(
        submissions=str(submissions), out=str(out), shards=shards, students=students,
        grade=GradeSettings(seed=plan_seed(out, seed), jobs=jobs, call_timeout=call_timeout,
                            submission_timeout=submission_timeout, memory_mb=memory_mb,
                            lang=lang, rubric=str(rubric_path.resolve()) if rubric_path else None,
                            deadline=deadline.strftime("%Y-%m-%dT%H:%M:%S") if deadline else None,
                            reports=not no_reports, replay=not no_replay),
        grade_command=_split_command(grade_command, _nngrade_command("grade"), "--grade-command"),
        merge_command=_split_command(merge_command, _nngrade_command("merge"), "--merge-command"),
        time_minutes=minutes, memory_mb=memory_per_task_mb(jobs, memory_mb),
        max_running=max_running, partition=partition, job_name=job_name,
        sbatch_options=tuple(o.strip() for o in sbatch_options),
    )
    for sub in ("logs", "shards"):
        (slurm_dir / sub).mkdir(parents=True, exist_ok=True)
    _write_run_plan(plan, rubric_path, deadline)
    grade_path, merge_path = slurm_dir / GRADE_SCRIPT, slurm_dir / MERGE_SCRIPT
    grade_path.write_text(render_grade_script(plan), encoding="utf-8")
    merge_path.write_text(render_merge_script(plan), encoding="utf-8")
    (slurm_dir / PLAN_FILE).write_text(plan.to_json(), encoding="utf-8")
    for path in (grade_path, merge_path):
        path.chmod(0o755)

    per_shard = students_per_shard(students, shards)
    click.echo(f"Wrote {grade_path}: {shards} array task(s) over {students} submissions "
               f"(at most {per_shard} per shard), {jobs} CPUs and {plan.memory_mb} MB each, "
               f"time limit {format_minutes(minutes)}"
               + (f", {max_running} at a time" if max_running else "") + ".")
    click.echo(f"Wrote {merge_path}: `{' '.join(plan.merge_command)} {out}` once every task "
               f"has ended. Seed {plan.grade.seed} for every shard.")
    if not time_limit:
        click.echo(f"The time limit is the worst case (every submission using its "
                   f"{submission_timeout:g} s timeout); --time sets another.")
    if not submit:
        click.echo("Submit with --submit, or by hand:\n"
                   f"  cd {shlex.quote(str(slurm_dir))} && jid=$(sbatch --parsable {GRADE_SCRIPT})"
                   f" && sbatch --dependency=afterany:${{jid%%;*}} {MERGE_SCRIPT}")
        return
    try:
        this = submit_round(slurm_dir, grade_path, merge_path, range(1, shards + 1), max_running)
    except SlurmError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Submitted array job {this.array_job} ({shards} tasks) and merge job "
               f"{this.merge_job}. Follow with `nngrade slurm status {out}`.")


@slurm_group.command("status")
@click.argument("out", type=click.Path(path_type=Path, exists=True, file_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print the status as JSON.")
def status_command(out: Path, as_json: bool) -> None:
    """Show which shards of OUT are done, running, pending or failed, and what to do next."""
    plan = _load_plan(out.resolve())
    try:
        status = collect_status(plan)
    except SlurmError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(status.to_json() if as_json else format_status(status))


@slurm_group.command("rerun")
@click.argument("out", type=click.Path(path_type=Path, exists=True, file_okay=False))
@click.option("--shard", "only", type=click.IntRange(1), multiple=True,
              help="Rerun this shard (repeatable; default: every failed one).")
@click.option("--max-running", type=click.IntRange(1), default=None)
def rerun_command(out: Path, only: tuple[int, ...], max_running: int | None) -> None:
    """Submit the failed shards of OUT again, and a new merge job after them.

    A rerun shard resumes: the students it graded before are skipped. A shard
    that is still pending or running is never submitted twice.
    """
    out = out.resolve()
    plan = _load_plan(out)
    slurm_dir = plan.slurm_dir
    status = collect_status(plan)
    by_name = {int(s.name): s for s in status.shards}
    live = {k for k, s in by_name.items() if s.state in ("running", "pending")}
    if only:
        unknown = sorted(k for k in only if k not in by_name)
        if unknown:
            raise click.BadParameter(f"this run has shards 1..{plan.shards}, not {unknown}",
                                     param_hint="--shard")
        busy = sorted(k for k in only if k in live)
        if busy:
            raise click.ClickException(f"shard(s) {busy} are still pending or running; "
                                       "wait for them or scancel them first")
        todo = sorted(set(only))
    else:
        todo = sorted(k for k, s in by_name.items()
                      if s.state in ("failed", "unknown", "not submitted"))
    rounds = load_rounds(slurm_dir)
    waits = sorted({r.array_job for r in rounds for k in r.shards if k in live})
    try:
        if todo:
            this = submit_round(slurm_dir, slurm_dir / GRADE_SCRIPT, slurm_dir / MERGE_SCRIPT,
                                todo, max_running or plan.max_running, also_wait_for=waits)
            click.echo(f"Submitted shard(s) {', '.join(map(str, todo))} as array job "
                       f"{this.array_job}, and merge job {this.merge_job} after them.")
            return
        if status.merge.state in ("failed", "unknown", "not submitted"):
            args = [f"--dependency=afterany:{':'.join(waits)}"] if waits else []
            merge_job = sbatch([*args, str(slurm_dir / MERGE_SCRIPT)], cwd=slurm_dir)
            if rounds:
                rounds[-1].merge_job = merge_job
                save_rounds(slurm_dir, rounds)
            click.echo(f"No shard to rerun; submitted merge job {merge_job}.")
            return
    except SlurmError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo("Nothing to rerun: no shard failed and the merge did not fail. "
               f"`nngrade slurm status {out}` shows where things stand.")


@slurm_group.command("cancel")
@click.argument("out", type=click.Path(path_type=Path, exists=True, file_okay=False))
def cancel_command(out: Path) -> None:
    """Cancel every job of OUT's run (all rounds: arrays and merge jobs) with scancel.

    Results already written stay; a later `nngrade slurm rerun OUT` resumes.
    """
    out = out.resolve()
    _load_plan(out)
    rounds = load_rounds(out / "slurm")
    jobs = sorted({r.array_job for r in rounds} | {r.merge_job for r in rounds if r.merge_job})
    if not jobs:
        click.echo("No job of this run was submitted.")
        return
    exe = shutil.which("scancel")
    if exe is None:
        raise click.ClickException("scancel is not on PATH: run this on a Slurm login node")
    done = subprocess.run([exe, *jobs], capture_output=True, text=True, timeout=120, check=False)
    if done.returncode != 0:
        raise click.ClickException(f"scancel {' '.join(jobs)} failed: "
                                   f"{(done.stderr or done.stdout).strip()}")
    click.echo(f"Cancelled job(s) {', '.join(jobs)} (those still queued or running).")
