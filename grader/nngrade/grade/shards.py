"""Shards of one class: ``nngrade grade --shard K/N`` grades only the students of shard K.

Any engine that can start N commands (a Slurm job array, a CI matrix, a
loop in a shell) can grade a class this way; nngrade schedules nothing.

- **Which students.** A student belongs to shard ``stable_shard(id, N)``:
  a SHA-256 of the id, so every machine, Python and rerun agrees, and
  students spread evenly whatever their names look like.
- **One exam for all.** The first shard to start writes ``OUT/run.json``,
  the plan (seed, grader version, rubric and its hash, the options that
  change a grade or a report, N), under a file lock; every later shard
  reads it and grades with it. A shard whose command line sets a different
  value refuses, naming it, instead of silently grading another exam.
- **Only its own files.** A shard writes its students' folders and, when it
  has finished, ``OUT/.shards/K-of-N.json`` (who it graded, with which
  seed, version and rubric); never gradebook.csv or index.html, which
  ``nngrade merge`` (`nngrade.grade.merge`) writes once every shard is in.
- **Rerun resumes.** A shard that dies leaves complete results only (each
  written atomically as it arrives); rerun, it skips them by the resume
  key, as ``nngrade grade`` always does.

Student ids never start with a dot (`nngrade.intake.unpack.student_id`), so
``.shards`` can never be a student's folder.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from nngrade.atomic import write_atomic
from nngrade.grade.errors import GraderError
from nngrade.grade.options import BatchOptions
from nngrade.rubric import Rubric
from nngrade.version import __version__

__all__ = ["PLANNED_OPTIONS", "SHARDS_DIR", "Shard", "adopt_plan", "read_plan",
           "read_shard_record", "shard_record_path", "stable_shard", "write_plan",
           "write_shard_record"]

SHARDS_DIR = ".shards"
# The options every shard must share: they change a verdict, a score or what a report says.
PLANNED_OPTIONS = ("call_timeout", "submission_timeout", "memory_mb", "lang", "reports",
                   "replay", "deadline", "limits")


@dataclass(frozen=True)
class Shard:
    """Shard ``k`` of ``n`` (1 <= k <= n)."""

    k: int
    n: int

    @classmethod
    def parse(cls, text: str) -> Shard:
        """``"2/4"`` -> Shard(2, 4); a ValueError that says what is wrong otherwise."""
        parts = text.strip().split("/")
        if len(parts) != 2 or not all(p.strip().isdigit() for p in parts):
            raise ValueError(f"{text!r} is not K/N (e.g. 2/4: shard 2 of 4)")
        k, n = int(parts[0]), int(parts[1])
        if n < 1 or not 1 <= k <= n:
            raise ValueError(f"{text!r}: K must be between 1 and N (shards are numbered 1..N)")
        return cls(k, n)

    def holds(self, student: str) -> bool:
        return stable_shard(student, self.n) == self.k

    def __str__(self) -> str:
        return f"{self.k}/{self.n}"


def stable_shard(student: str, n: int) -> int:
    """The shard (1..n) of a student id, the same everywhere and always."""
    digest = hashlib.sha256(student.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % n + 1


def _jsonable(value: Any) -> Any:
    if isinstance(value, (Path, datetime)):
        return str(value)
    return value


def planned_options(options: BatchOptions) -> dict[str, Any]:
    """The options of ``PLANNED_OPTIONS``, as run.json records them."""
    return {name: _jsonable(getattr(options, name)) for name in PLANNED_OPTIONS}


def read_plan(out: Path) -> dict[str, Any] | None:
    """``OUT/run.json`` when it is a shard plan (it names its number of shards), else None."""
    try:
        data = json.loads((Path(out) / "run.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("shards"), int):
        return None
    return data


def _previous_seed(out: Path) -> int | None:
    try:
        return int(json.loads((Path(out) / "run.json").read_text(encoding="utf-8"))["seed"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _plan_document(*, n: int, seed: int, rubric: Rubric, options: BatchOptions,
                   source: Path) -> dict[str, Any]:
    return {
        "shards": n,
        "seed": seed,
        "grader_version": __version__,
        "rubric_sha256": rubric.sha256,
        "rubric": str(Path(rubric.path).resolve()) if options.rubric_path else None,
        "submissions": str(Path(source).resolve()),
        "planned_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "options": planned_options(options),
    }


@contextlib.contextmanager
def _locked(out: Path) -> Iterator[None]:
    """An exclusive lock on ``OUT/.shards/lock`` (fcntl: released when the process dies)."""
    folder = Path(out) / SHARDS_DIR
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / "lock", "a+") as fh:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


def write_plan(out: Path, *, n: int, seed: int | None, rubric: Rubric, options: BatchOptions,
               source: Path) -> dict[str, Any]:
    """Write a new plan for ``n`` shards (a planning step such as ``nngrade slurm``)."""
    with _locked(out):
        if seed is None:
            seed = _previous_seed(out)
        plan = _plan_document(n=n, seed=seed if seed is not None else secrets.randbelow(2**31),
                              rubric=rubric, options=options, source=source)
        write_atomic(Path(out) / "run.json", json.dumps(plan, indent=2) + "\n")
    return plan


def adopt_plan(out: Path, shard: Shard, *, options: BatchOptions, source: Path,
               explicit: frozenset[str],
               load_rubric: Callable[[Path | None], Rubric]) -> tuple[dict[str, Any], Rubric]:
    """The plan this shard grades with (OUT/run.json's, or a new one if it is the first) and
    its rubric.

    ``explicit`` names the options the command line set (``seed``,
    ``rubric_path`` and `PLANNED_OPTIONS`); one that differs from the plan
    stops the shard with a `GraderError` naming it. The others are taken
    from the plan (the rubric too), and ``options`` is updated in place.
    """
    with _locked(out):
        plan = read_plan(out)
        if plan is not None and plan.get("rubric") and "rubric_path" not in explicit:
            options.rubric_path = Path(plan["rubric"])
        rubric = load_rubric(options.rubric_path)
        if plan is None:  # the first shard: the plan is ours
            seed = options.seed if options.seed is not None else _previous_seed(out)
            plan = _plan_document(
                n=shard.n, seed=seed if seed is not None else secrets.randbelow(2**31),
                rubric=rubric, options=options, source=source)
            write_atomic(Path(out) / "run.json", json.dumps(plan, indent=2) + "\n")
    problems = _disagreements(plan, shard, rubric, options, explicit)
    source_now = str(Path(source).resolve())
    if plan.get("submissions") not in (None, source_now):
        problems.append(f"it grades the hand-ins in {plan['submissions']}, not {source_now}")
    if problems:
        raise GraderError(
            f"shard {shard} cannot join the run planned in {Path(out) / 'run.json'}: "
            + "; ".join(problems) + ". Give the plan's values (or none), or grade into a new "
            "--out folder.")
    _take_plan(plan, options)
    return plan, rubric


def _disagreements(plan: dict[str, Any], shard: Shard, rubric: Rubric, options: BatchOptions,
                   explicit: frozenset[str]) -> list[str]:
    problems = []
    if plan["shards"] != shard.n:
        problems.append(f"it was planned for {plan['shards']} shards, not {shard.n}")
    if plan.get("grader_version") != __version__:
        problems.append(f"it is graded with nngrade {plan.get('grader_version')}, "
                        f"this is {__version__}")
    if "seed" in explicit and options.seed != plan["seed"]:
        problems.append(f"its seed is {plan['seed']}, not {options.seed}")
    if plan.get("rubric_sha256") != rubric.sha256:
        where = plan.get("rubric") or "the default rubric"
        problems.append(f"its rubric ({where}, sha256 {str(plan.get('rubric_sha256'))[:12]}) "
                        f"differs from this one ({rubric.path}, sha256 {rubric.sha256[:12]})")
    ours = planned_options(options)
    for name in PLANNED_OPTIONS:
        if name in explicit and plan["options"].get(name) != ours[name]:
            flag = "--" + name.replace("_", "-")
            problems.append(f"{flag} is {plan['options'].get(name)!r} there, not {ours[name]!r}")
    return problems


def _take_plan(plan: dict[str, Any], options: BatchOptions) -> None:
    planned = plan["options"]
    options.seed = int(plan["seed"])
    for name in ("call_timeout", "submission_timeout"):
        setattr(options, name, float(planned[name]))
    options.memory_mb = int(planned["memory_mb"])
    options.lang = str(planned["lang"])
    options.reports = bool(planned["reports"])
    options.replay = bool(planned["replay"])
    options.limits = dict(planned.get("limits") or {})
    deadline = planned.get("deadline")
    options.deadline = datetime.fromisoformat(deadline) if deadline else None


def shard_record_path(out: Path, k: int, n: int) -> Path:
    return Path(out) / SHARDS_DIR / f"{k}-of-{n}.json"


def write_shard_record(out: Path, shard: Shard, *, plan: dict[str, Any], students: list[str],
                       graded: int, reused: int, seconds: float) -> None:
    """``OUT/.shards/K-of-N.json``: this shard is in, with whom and with which exam."""
    write_atomic(shard_record_path(out, shard.k, shard.n), json.dumps({
        "shard": shard.k,
        "shards": shard.n,
        "seed": plan["seed"],
        "grader_version": __version__,
        "rubric_sha256": plan["rubric_sha256"],
        "students": sorted(students),
        "graded": graded,
        "reused": reused,
        "seconds": round(seconds, 3),
        "host": os.uname().nodename,
        "finished": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }, indent=2) + "\n")


def read_shard_record(out: Path, k: int, n: int) -> dict[str, Any] | None:
    try:
        data = json.loads(shard_record_path(out, k, n).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None
