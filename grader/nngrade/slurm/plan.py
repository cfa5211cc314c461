"""The numbers of a Slurm grading run: shards, CPUs, memory, time limit, and one seed for all.

Every shard must grade with the same seed, rubric and options, or the
merged gradebook would mix two different exams. The plan fixes them once,
when the scripts are written: the seed is the one given, else the one
``OUT/run.json`` already holds (a rerun of an earlier run), else a new one,
and it is written into the batch script itself, so no shard ever draws its
own.

The time limit is a worst case, not a guess: a shard holds at most
``students_per_shard`` submissions (an upper bound for a stable hash that
spreads students evenly, see `students_per_shard`), ``jobs`` of them are
graded at once, and none may take longer than the submission timeout.
A limit that is too short would kill a healthy shard; one that is long only
costs queue priority, and ``--time`` overrides it.
"""

from __future__ import annotations

import json
import math
import secrets
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

__all__ = [
    "GradeSettings",
    "SlurmPlan",
    "count_submissions",
    "format_minutes",
    "memory_per_task_mb",
    "parse_time",
    "plan_seed",
    "sbatch_path_problem",
    "students_per_shard",
    "time_limit_minutes",
]

STARTUP_MINUTES = 10  # interpreter, imports, sandbox start and the shard's own bookkeeping
GRADER_PROCESS_MB = 384  # one grading process: pytest, numpy, the suites, the reference engine
MERGE_MINUTES = 30
MAX_ARRAY_SIZE = 1001  # Slurm's default MaxArraySize: indexes 0..1000


@dataclass(frozen=True)
class GradeSettings:
    """What every shard passes to ``nngrade grade`` (the same for all of them)."""

    seed: int
    jobs: int = 2
    call_timeout: float = 2.0
    submission_timeout: float = 300.0
    memory_mb: int = 1024
    lang: str = "en"
    rubric: str | None = None
    deadline: str | None = None
    reports: bool = True
    replay: bool = True

    def argv(self) -> list[str]:
        """The ``nngrade grade`` options after ``SUBMISSIONS --out OUT --shard K/N``."""
        args = ["-j", str(self.jobs), "--seed", str(self.seed),
                "--call-timeout", f"{self.call_timeout:g}",
                "--submission-timeout", f"{self.submission_timeout:g}",
                "--memory-mb", str(self.memory_mb), "--lang", self.lang]
        if self.rubric:
            args += ["--rubric", self.rubric]
        if self.deadline:
            args += ["--deadline", self.deadline]
        if not self.reports:
            args.append("--no-reports")
        if not self.replay:
            args.append("--no-replay")
        return args


@dataclass(frozen=True)
class SlurmPlan:
    """Everything the two batch scripts say; saved as ``OUT/slurm/plan.json``."""

    submissions: str  # absolute paths: the jobs run in another process, maybe on another node
    out: str
    shards: int
    students: int
    grade: GradeSettings
    grade_command: tuple[str, ...]
    merge_command: tuple[str, ...]
    time_minutes: int
    memory_mb: int
    merge_minutes: int = MERGE_MINUTES
    max_running: int | None = None
    partition: str | None = None
    job_name: str = "nngrade"
    sbatch_options: tuple[str, ...] = field(default_factory=tuple)

    @property
    def slurm_dir(self) -> Path:
        return Path(self.out) / "slurm"

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2) + "\n"

    @classmethod
    def from_json(cls, text: str) -> SlurmPlan:
        data: dict[str, Any] = json.loads(text)
        data["grade"] = GradeSettings(**data["grade"])
        for key in ("grade_command", "merge_command", "sbatch_options"):
            data[key] = tuple(data.get(key) or ())
        return cls(**data)


def sbatch_path_problem(path: str) -> str | None:
    """Why ``path`` cannot appear in an ``#SBATCH`` line, or None.

    sbatch reads ``--output`` and ``--chdir`` unquoted and expands ``%``
    patterns (``%A``, ``%a``, ``%j``) in file names, so the results folder
    must be free of whitespace, quotes, ``%`` and control characters.
    """
    bad = sorted({ch for ch in path if ch.isspace() or ch in "%'\"\\" or not ch.isprintable()})
    if bad:
        shown = ", ".join(repr(ch) for ch in bad)
        return (f"the results folder {path!r} contains {shown}, which Slurm's #SBATCH lines "
                "cannot hold; choose a folder whose path has none of them")
    return None


def count_submissions(path: Path) -> int:
    """How many hand-ins ``nngrade grade`` will find: sub-folders and .zip files (an inbox's
    student folders count once each). Hidden entries are not hand-ins."""
    count = 0
    for entry in Path(path).iterdir():
        if entry.name.startswith(".") or entry.is_symlink():
            continue
        if entry.is_dir() or (entry.is_file() and entry.suffix.lower() == ".zip"):
            count += 1
    return count


def students_per_shard(students: int, shards: int) -> int:
    """An upper bound on one shard's students when a stable hash spreads them evenly.

    The count in one shard is binomial (``students`` draws with probability
    ``1/shards``); mean plus four standard deviations is exceeded about
    once in 30,000 shards, and it never exceeds the whole class.
    """
    if students <= 0:
        return 0
    p = 1.0 / shards
    mean = students * p
    bound = math.ceil(mean + 4.0 * math.sqrt(students * p * (1.0 - p))) if shards > 1 else students
    return max(1, min(students, bound))


def time_limit_minutes(students: int, shards: int, jobs: int, submission_timeout: float) -> int:
    """The worst case of one shard: every submission uses its whole timeout, ``jobs`` at a time."""
    rounds = math.ceil(students_per_shard(students, shards) / max(1, jobs))
    return STARTUP_MINUTES + math.ceil(rounds * submission_timeout / 60.0)


def memory_per_task_mb(jobs: int, memory_mb: int) -> int:
    """A task's ``--mem``: each grading process plus the worker limit it enforces."""
    return 512 + jobs * (GRADER_PROCESS_MB + memory_mb)


def parse_time(text: str) -> int:
    """Minutes from a Slurm time (``90``, ``1:30:00``, ``2-00:00``...), rounded up.

    The accepted forms are sbatch's: minutes, minutes:seconds,
    hours:minutes:seconds, days-hours, days-hours:minutes,
    days-hours:minutes:seconds.
    """
    raw = text.strip()
    try:
        days = 0
        rest = raw
        if "-" in raw:
            day_text, rest = raw.split("-", 1)
            days = int(day_text)
            parts = [int(p) for p in rest.split(":")]
            hours, minutes, seconds = (parts + [0, 0, 0])[:3]
        else:
            parts = [int(p) for p in rest.split(":")]
            if len(parts) == 1:
                hours, minutes, seconds = 0, parts[0], 0
            elif len(parts) == 2:
                hours, minutes, seconds = 0, parts[0], parts[1]
            elif len(parts) == 3:
                hours, minutes, seconds = parts
            else:
                raise ValueError(raw)
    except ValueError:
        raise ValueError(
            f"{text!r} is not a Slurm time: use minutes, minutes:seconds, "
            "hours:minutes:seconds, days-hours, days-hours:minutes or days-hours:minutes:seconds"
        ) from None
    if min(days, hours, minutes, seconds) < 0:
        raise ValueError(f"{text!r}: a time limit cannot be negative")
    total = ((days * 24 + hours) * 60 + minutes) * 60 + seconds
    if total <= 0:
        raise ValueError(f"{text!r}: give a time limit above zero")
    return math.ceil(total / 60)


def format_minutes(minutes: int) -> str:
    """sbatch's days-hours:minutes:seconds (``0-01:30:00``)."""
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    return f"{days}-{hours:02d}:{mins:02d}:00"


def plan_seed(out: Path, seed: int | None) -> int:
    """The seed all shards use: the one given, else the one ``OUT/run.json`` holds, else new."""
    if seed is not None:
        return seed
    try:
        return int(json.loads((Path(out) / "run.json").read_text(encoding="utf-8"))["seed"])
    except (OSError, ValueError, KeyError, TypeError):
        return secrets.randbelow(2**31)
