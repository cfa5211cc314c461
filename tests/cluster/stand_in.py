"""Stand-ins for ``nngrade grade --shard K/N`` and ``nngrade merge``, for the Slurm tests.

Until those two exist, ``nngrade slurm --grade-command/--merge-command``
runs this script instead. It grades for real, with nngrade's own ``grade``
command, only the sharding is simulated:

``stand_in.py grade SUBMISSIONS --out OUT --shard K/N OPTIONS...``
    copies the hand-ins of shard K (every N-th in name order) into
    ``OUT/.stand-in/``, runs ``nngrade grade`` on that copy with OPTIONS
    (seed and all) into the shard's own folder ``OUT/.stand-in/out-K`` and
    copies each student's files from there into ``OUT/<student>/`` (a shard
    writes only its students' results); the first half first, then the
    rest, so a task killed between the two halves has graded some students,
    and a rerun resumes in ``out-K``.
``stand_in.py merge OUT``
    fails, naming them, if a student has no results.json (what ``nngrade
    merge`` will refuse); else runs ``nngrade grade SUBMISSIONS --out OUT``
    with the plan's seed, which regrades nothing (every result is current)
    and writes the gradebook and class summary.

Test hooks, from the environment the job inherits from sbatch:
``STAND_IN_HOLD=K`` makes shard K, on its first attempt, write its pid to
``OUT/.stand-in/hold-K.pid`` after the first half and sleep until killed;
``STAND_IN_GATE=PATH`` makes every other shard wait for PATH to exist;
``STAND_IN_FAIL_ONCE=K`` makes shard K fail (exit 3) the first time it runs.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

NNGRADE = [str(Path(sys.executable).parent / "nngrade")]


def _entries(submissions: Path) -> list[Path]:
    return sorted((p for p in submissions.iterdir()
                   if not p.name.startswith(".") and not p.is_symlink()
                   and (p.is_dir() or p.suffix.lower() == ".zip")), key=lambda p: p.name)


def _student(entry: Path) -> str:
    return entry.stem if entry.is_file() else entry.name


def _grade(folder: Path, out: Path, options: list[str]) -> None:
    subprocess.run([*NNGRADE, "grade", str(folder), "--out", str(out), *options], check=True)


def _publish(shard_out: Path, out: Path, students: list[str]) -> None:
    """Each student's files from the shard's folder into OUT, one atomic rename per file."""
    for student in students:
        target = out / student
        target.mkdir(parents=True, exist_ok=True)
        for path in (shard_out / student).iterdir():
            tmp = target / f".{path.name}.{os.getpid()}.tmp"
            shutil.copy2(path, tmp)
            os.replace(tmp, target / path.name)


def grade(argv: list[str]) -> int:
    submissions = Path(argv[0])
    out = Path(argv[argv.index("--out") + 1])
    k, n = (int(x) for x in argv[argv.index("--shard") + 1].split("/"))
    options = argv[argv.index("--shard") + 2:]
    mine = [e for i, e in enumerate(_entries(submissions)) if i % n == k - 1]
    work = out / ".stand-in"
    work.mkdir(parents=True, exist_ok=True)
    first_time = os.environ.get("SLURM_RESTART_COUNT", "0") == "0"

    if os.environ.get("STAND_IN_FAIL_ONCE") == str(k):
        marker = work / f"failed-once-{k}"
        if not marker.exists():
            marker.write_text("failed on purpose\n")
            print(f"shard {k}: failing on purpose (first run)", file=sys.stderr)
            return 3
    gate = os.environ.get("STAND_IN_GATE")
    if gate and os.environ.get("STAND_IN_HOLD") != str(k):
        deadline = time.monotonic() + 600
        while not Path(gate).exists() and time.monotonic() < deadline:
            time.sleep(0.2)

    halves = [mine[: len(mine) // 2], mine[len(mine) // 2:]]
    for h, half in enumerate(halves):
        if not half:
            continue
        folder = work / f"shard-{k}-part-{h}"
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir()
        for entry in half:
            if entry.is_dir():
                shutil.copytree(entry, folder / entry.name)
            else:
                shutil.copy2(entry, folder / entry.name)
        _grade(folder, work / f"out-{k}", options)
        _publish(work / f"out-{k}", out, [_student(e) for e in half])
        if h == 0 and first_time and os.environ.get("STAND_IN_HOLD") == str(k):
            (work / f"hold-{k}.pid").write_text(f"{os.getpid()}\n")
            time.sleep(600)  # until the test kills this process
    print(f"shard {k}/{n}: graded {', '.join(_student(e) for e in mine)}")
    return 0


def merge(argv: list[str]) -> int:
    out = Path(argv[0])
    plan = json.loads((out / "slurm" / "plan.json").read_text())
    submissions = Path(plan["submissions"])
    missing = [_student(e) for e in _entries(submissions)
               if not (out / _student(e) / "results.json").is_file()]
    if missing:
        print(f"merge refused: no results for {', '.join(missing)}", file=sys.stderr)
        return 1
    grade = plan["grade"]
    options = ["-j", "1", "--seed", str(grade["seed"]), "--call-timeout",
               str(grade["call_timeout"]), "--submission-timeout",
               str(grade["submission_timeout"]), "--memory-mb", str(grade["memory_mb"])]
    if not grade["reports"]:
        options.append("--no-reports")
    _grade(submissions, out, options)
    return 0


if __name__ == "__main__":
    command, rest = sys.argv[1], sys.argv[2:]
    sys.exit(grade(rest) if command == "grade" else merge(rest))
