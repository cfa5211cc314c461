"""Submitting the batch scripts with sbatch, and ``OUT/slurm/jobs.json``, the record of it.

A run is submitted in rounds. The first round is the whole array and its
merge job; each ``nngrade slurm rerun`` adds a round holding only the shards
that failed and a new merge job that waits for them (and for any shard of
an earlier round still running). ``jobs.json`` lists every round, so
``nngrade slurm status`` knows, for each shard, which Slurm job holds its
latest attempt.

sbatch runs with the caller's environment (``SLURM_CONF`` included), as
any Slurm user expects; its arguments are a list, never a shell line.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

__all__ = ["JOBS_FILE", "Round", "SlurmError", "array_spec", "load_rounds", "sbatch",
           "save_rounds", "submit_round"]

JOBS_FILE = "jobs.json"


class SlurmError(RuntimeError):
    """A Slurm command failed or is not installed; the message says what to do."""


@dataclass
class Round:
    """One submission: an array job over some shards, and the merge job that waits for it."""

    array_job: str
    shards: list[int]
    merge_job: str | None
    submitted_at: str
    depends_on: list[str] = field(default_factory=list)


def load_rounds(slurm_dir: Path) -> list[Round]:
    path = Path(slurm_dir) / JOBS_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return []
    except (OSError, ValueError) as exc:
        raise SlurmError(f"cannot read {path}: {exc}") from exc
    return [Round(**r) for r in data.get("rounds", [])]


def save_rounds(slurm_dir: Path, rounds: Sequence[Round]) -> None:
    path = Path(slurm_dir) / JOBS_FILE
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps({"rounds": [asdict(r) for r in rounds]}, indent=2) + "\n",
                   encoding="utf-8")
    os.replace(tmp, path)


def array_spec(shards: Sequence[int], max_running: int | None) -> str:
    """``--array`` for these task ids: consecutive ones as ranges (``1-3,7``), then ``%M``."""
    ranges: list[tuple[int, int]] = []
    for k in sorted(set(shards)):
        if ranges and k == ranges[-1][1] + 1:
            ranges[-1] = (ranges[-1][0], k)
        else:
            ranges.append((k, k))
    parts = [f"{a}-{b}" if b != a else str(a) for a, b in ranges]
    return ",".join(parts) + (f"%{max_running}" if max_running else "")


def sbatch(args: Sequence[str], *, cwd: Path | None = None) -> str:
    """Run ``sbatch --parsable ARGS`` and return the job id it printed."""
    exe = shutil.which("sbatch")
    if exe is None:
        raise SlurmError("sbatch is not on PATH: run this on a Slurm login node (or load the "
                         "cluster's slurm module), or submit the written scripts by hand")
    try:
        done = subprocess.run([exe, "--parsable", *args], cwd=cwd, capture_output=True,
                              text=True, timeout=120, check=False)
    except subprocess.TimeoutExpired as exc:
        raise SlurmError("sbatch did not answer within 2 minutes: is slurmctld up? "
                         "(try `sinfo`)") from exc
    if done.returncode != 0:
        why = (done.stderr or done.stdout).strip() or f"exit status {done.returncode}"
        raise SlurmError(f"sbatch {' '.join(args)} failed: {why}")
    job = done.stdout.strip().splitlines()[-1].split(";")[0].strip() if done.stdout.strip() else ""
    if not job:
        raise SlurmError(f"sbatch {' '.join(args)} printed no job id")
    return job


def submit_round(slurm_dir: Path, grade_script: Path, merge_script: Path, shards: Sequence[int],
                 max_running: int | None, also_wait_for: Sequence[str] = ()) -> Round:
    """Submit ``shards`` of the array and a merge job after them (and ``also_wait_for``).

    The round is added to ``jobs.json`` as soon as the array is accepted,
    so a merge job that sbatch then refuses never hides a running array.
    """
    array_job = sbatch([f"--array={array_spec(shards, max_running)}", str(grade_script)],
                       cwd=slurm_dir)
    now = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    this = Round(array_job=array_job, shards=sorted(set(shards)), merge_job=None,
                 submitted_at=now, depends_on=list(also_wait_for))
    rounds = [*load_rounds(slurm_dir), this]
    save_rounds(slurm_dir, rounds)
    waits = ":".join([array_job, *also_wait_for])
    try:
        this.merge_job = sbatch([f"--dependency=afterany:{waits}", str(merge_script)],
                                cwd=slurm_dir)
    except SlurmError as exc:
        raise SlurmError(f"the array job {array_job} is submitted, but the merge job is not: "
                         f"{exc}. Submit it by hand once the cause is fixed: "
                         f"sbatch --dependency=afterany:{waits} {merge_script}") from exc
    save_rounds(slurm_dir, rounds)
    return this
