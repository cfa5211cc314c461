"""The two batch scripts of a Slurm grading run, as text.

``grade.sbatch`` is one job array over the shards: task K runs the grade
command for shard K of N (``SLURM_ARRAY_TASK_ID`` is K, so the array is
``1-N``), then records its exit status in ``OUT/slurm/shards/K.json``.
``merge.sbatch`` runs the merge command once; `nngrade.slurm.jobs` submits
it with ``--dependency=afterany:<array job>``, so it starts once every task
has ended, however it ended (a merge that finds a shard missing names it
and fails; ``nngrade slurm rerun`` submits the missing shards and a new
merge).

Every path and argument goes through `shlex.quote`: a submissions folder
named ``a b; rm -rf ~`` is a folder name, never shell code. The records are
written by the script itself, not by Slurm, so ``nngrade slurm status``
works on clusters without accounting and long after Slurm has forgotten
the jobs. A task killed by Slurm (time limit, ``scancel``, node failure)
writes no record; its ``K.running`` file and Slurm's own state tell.
"""

from __future__ import annotations

import datetime as dt
import shlex

from nngrade.slurm.plan import SlurmPlan, format_minutes
from nngrade.version import __version__

__all__ = ["GRADE_SCRIPT", "MERGE_SCRIPT", "PROTECTED_OPTIONS", "render_grade_script",
           "render_merge_script", "sbatch_option_name"]

GRADE_SCRIPT = "grade.sbatch"
MERGE_SCRIPT = "merge.sbatch"

# Options nngrade slurm sets itself and a user must not override: the scripts and
# `nngrade slurm status` rely on them (task ids, where logs and records go).
PROTECTED_OPTIONS = frozenset({"array", "output", "error", "chdir", "open-mode", "parsable"})

_SHORT = {"p": "partition", "t": "time", "c": "cpus-per-task", "J": "job-name", "o": "output",
          "e": "error", "a": "array", "D": "chdir", "A": "account", "q": "qos", "d": "dependency",
          "N": "nodes", "n": "ntasks"}

_NOW = "$(date -u +%Y-%m-%dT%H:%M:%SZ)"


def sbatch_option_name(option: str) -> str:
    """``--mem=8G`` -> ``mem``; ``-p gpu`` -> ``partition``; anything else: its text."""
    text = option.strip()
    if text.startswith("--"):
        return text[2:].split("=", 1)[0].split(" ", 1)[0]
    if text.startswith("-") and len(text) > 1:
        return _SHORT.get(text[1], text[1:].split(" ", 1)[0])
    return text


def _q(text: str) -> str:
    return shlex.quote(text)


def _comment(text: str) -> str:
    """Text safe inside a ``#`` comment line: a newline in a folder name must not end it."""
    return "".join(ch if ch.isprintable() else "?" for ch in text)


def _header(plan: SlurmPlan, what: str) -> list[str]:
    when = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return [
        "#!/bin/bash",
        f"# nngrade on Slurm: {what}",
        f"# Written by `nngrade slurm` (nngrade {__version__}) on {when} for",
        f"#   submissions: {_comment(plan.submissions)}",
        f"#   results:     {_comment(plan.out)}",
        f"#   {plan.shards} shards, seed {plan.grade.seed}. See OUT/slurm/plan.json; "
        "`nngrade slurm status OUT` reports progress.",
    ]


def _directives(plan: SlurmPlan, ours: list[tuple[str, str | None]]) -> list[str]:
    """``#SBATCH`` lines: ours, except where the user's --sbatch-option sets the same option."""
    theirs = {sbatch_option_name(o) for o in plan.sbatch_options}
    lines = []
    for name, value in ours:
        if name in theirs and name not in PROTECTED_OPTIONS:
            continue
        lines.append(f"#SBATCH --{name}" + ("" if value is None else f"={value}"))
    lines += [f"#SBATCH {option.strip()}" for option in plan.sbatch_options]
    return lines


def render_grade_script(plan: SlurmPlan) -> str:
    """``grade.sbatch``: the job array, one task per shard."""
    logs = f"{plan.slurm_dir}/logs"
    array = f"1-{plan.shards}" + (f"%{plan.max_running}" if plan.max_running else "")
    ours: list[tuple[str, str | None]] = [
        ("job-name", f"{plan.job_name}-grade"),
        ("array", array),
        ("ntasks", "1"),
        ("cpus-per-task", str(plan.grade.jobs)),
        ("mem", f"{plan.memory_mb}M"),
        ("time", format_minutes(plan.time_minutes)),
        ("requeue", None),
        ("open-mode", "append"),
        ("chdir", plan.out),
        ("output", f"{logs}/grade-%A_%a.out"),
        ("error", f"{logs}/grade-%A_%a.err"),
    ]
    if plan.partition:
        ours.append(("partition", plan.partition))
    command = " ".join(_q(part) for part in plan.grade_command)
    grade_args = " ".join(_q(arg) for arg in plan.grade.argv())
    state = f"{plan.slurm_dir}/shards"
    lines = [
        *_header(plan, f"grade shard K of {plan.shards} in array task K"),
        *_directives(plan, ours),
        "",
        "set -u",
        f"shards={plan.shards}",
        'shard="${SLURM_ARRAY_TASK_ID:?run this script as a Slurm job array: sbatch '
        f'{GRADE_SCRIPT}}}"',
        f"state={_q(state)}",
        'mkdir -p "$state"',
        'rm -f "$state/$shard.json"',
        f'started="{_NOW}"',
        "printf '{\"shard\": %d, \"state\": \"running\", \"job\": \"%s_%s\", "
        "\"restarts\": %d, \"host\": \"%s\", \"started\": \"%s\"}\\n' "
        '"$shard" "${SLURM_ARRAY_JOB_ID:-}" "$shard" "${SLURM_RESTART_COUNT:-0}" '
        '"$(hostname)" "$started" > "$state/$shard.running"',
        'echo "nngrade shard $shard/$shards: job ${SLURM_ARRAY_JOB_ID:-}_$shard, '
        'restart ${SLURM_RESTART_COUNT:-0}, on $(hostname) at $started"',
        "",
        f'{command} {_q(plan.submissions)} --out {_q(plan.out)} --shard "$shard/$shards" '
        f"{grade_args}",
        "status=$?",
        "",
        "printf '{\"shard\": %d, \"state\": \"ended\", \"exit\": %d, \"job\": \"%s_%s\", "
        "\"restarts\": %d, \"host\": \"%s\", \"started\": \"%s\", \"finished\": \"%s\"}\\n' "
        '"$shard" "$status" "${SLURM_ARRAY_JOB_ID:-}" "$shard" "${SLURM_RESTART_COUNT:-0}" '
        f'"$(hostname)" "$started" "{_NOW}" > "$state/.$shard.json.tmp"',
        'mv -f "$state/.$shard.json.tmp" "$state/$shard.json"',
        'rm -f "$state/$shard.running"',
        'echo "nngrade shard $shard/$shards: exit status $status"',
        'exit "$status"',
        "",
    ]
    return "\n".join(lines)


def render_merge_script(plan: SlurmPlan) -> str:
    """``merge.sbatch``: the gradebook and class summary, once all shards have ended."""
    logs = f"{plan.slurm_dir}/logs"
    ours: list[tuple[str, str | None]] = [
        ("job-name", f"{plan.job_name}-merge"),
        ("ntasks", "1"),
        ("cpus-per-task", "1"),
        ("mem", "2048M"),
        ("time", format_minutes(plan.merge_minutes)),
        ("open-mode", "append"),
        ("chdir", plan.out),
        ("output", f"{logs}/merge-%j.out"),
        ("error", f"{logs}/merge-%j.err"),
    ]
    if plan.partition:
        ours.append(("partition", plan.partition))
    command = " ".join(_q(part) for part in plan.merge_command)
    state = f"{plan.slurm_dir}/shards"
    lines = [
        *_header(plan, "merge the shards into the gradebook and class summary"),
        *_directives(plan, ours),
        "",
        "set -u",
        f"state={_q(state)}",
        'mkdir -p "$state"',
        'rm -f "$state/merge.json"',
        f'started="{_NOW}"',
        f"{command} {_q(plan.out)}",
        "status=$?",
        "printf '{\"state\": \"ended\", \"exit\": %d, \"job\": \"%s\", \"started\": \"%s\", "
        "\"finished\": \"%s\"}\\n' "
        f'"$status" "${{SLURM_JOB_ID:-}}" "$started" "{_NOW}" > "$state/.merge.json.tmp"',
        'mv -f "$state/.merge.json.tmp" "$state/merge.json"',
        'echo "nngrade merge: exit status $status"',
        'exit "$status"',
        "",
    ]
    return "\n".join(lines)
