"""Benchmark: an nbgrader course of 50 students graded both ways, per-submission seconds and ratio.

The course is exported from solutions/ (every module by default), released
with ``nbgrader generate_assignment``, and filled with the sample class
(examples/submissions, or students made from solutions/ and exercises/ when
it is absent), each student copied under new ids until there are
``--students``. Then, on two identical copies of the course:

* way 1: ``nbgrader autograde ASSIGNMENT`` (a kernel per notebook, in turn);
* way 2: ``nngrade grade --nbgrader COURSE ASSIGNMENT -j JOBS`` (sandbox,
  one pytest session per process, gradebook written through nbgrader.api).

Both are timed as the instructor would run them, command start to exit, and
their gradebooks are compared student by student. Both run a frozen copy of
nngrade's code taken at the start, so edits to the working tree during the
run (way 1 takes tens of minutes) cannot make them grade differently.

    python benchmarks/bench_nbgrader.py [--students 50] [--jobs 2] [--module M ...]
"""

from __future__ import annotations

import argparse
import datetime
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "examples" / "submissions"
BIN = Path(sys.executable).parent
ASSIGNMENT = "bench"
SEED = 7


def sample_class() -> dict[str, dict[str, str]]:
    """Student -> module sources of the sample class."""
    from nngrade.nbgrader_bridge.sample import read_modules

    entries = (
        sorted(p for p in SAMPLE.iterdir() if not p.name.startswith(".")) if SAMPLE.is_dir() else []
    )
    if entries:
        return {(p.stem if p.is_file() else p.name): read_modules(p) for p in entries}
    return {
        "solutions": read_modules(ROOT / "solutions"),
        "exercises": read_modules(ROOT / "exercises"),
    }


def snapshot(dest: Path) -> Path:
    """A frozen copy of nngrade's code (grader/nngrade with reference/nngrade/reference inside).

    Way 1 takes tens of minutes; on a tree where the hidden suites are being
    edited, the two ways would otherwise grade with different suites. Both
    commands (and nbgrader's kernels, which inherit the environment) import
    this copy through PYTHONPATH, which comes before the editable install.
    """
    skip = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(ROOT / "grader" / "nngrade", dest / "nngrade", ignore=skip)
    shutil.copytree(ROOT / "reference" / "nngrade" / "reference", dest / "nngrade" / "reference",
                    ignore=skip)
    return dest


def run(args: list[str], cwd: Path, code: Path | None = None) -> float:
    """Seconds the command took; fails loudly if it did."""
    env = dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}")
    if code is not None:
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(code), env.get("PYTHONPATH")) if p)
    t0 = time.perf_counter()
    done = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - t0
    if done.returncode != 0:
        sys.exit(f"{' '.join(args)} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    return seconds


def totals(course: Path) -> dict[str, float]:
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", "bench") as gb:
        return {s.student.id: float(s.score) for s in gb.assignment_submissions(ASSIGNMENT)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=50)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument(
        "--module",
        action="append",
        dest="modules",
        help="export only this module (repeatable; default: all)",
    )
    parser.add_argument("--keep", type=Path, help="build the course here and keep it")
    args = parser.parse_args()

    from nngrade.nbgrader_bridge.export import export_course
    from nngrade.nbgrader_bridge.sample import place_submission

    with tempfile.TemporaryDirectory() as tmp:
        base = args.keep or Path(tmp)
        course, way2 = base / "course", base / "course-way2"
        for old in (course, way2, base / "code"):
            shutil.rmtree(old, ignore_errors=True)
        result = export_course(
            course, ASSIGNMENT, modules=args.modules, seed=SEED, course_id="bench"
        )
        modules = [p.stem for p in result.notebooks]
        run([str(BIN / "nbgrader"), "generate_assignment", ASSIGNMENT], course)
        samples = sample_class()
        names = sorted(samples)
        stamp = datetime.datetime(2026, 11, 27, 9, 0, tzinfo=datetime.timezone.utc)
        for i in range(args.students):
            src = names[i % len(names)]
            place_submission(course, ASSIGNMENT, f"s{i:04d}_{src}", samples[src], stamp)
        shutil.copytree(course, way2)

        code = snapshot(base / "code")
        way1_seconds = run([str(BIN / "nbgrader"), "autograde", ASSIGNMENT], course, code)
        way2_seconds = run(
            [
                str(BIN / "nngrade"),
                "grade",
                "--nbgrader",
                str(way2),
                ASSIGNMENT,
                "-j",
                str(args.jobs),
                "--force",
            ],
            way2,
            code,
        )
        way1, way2_totals = totals(course), totals(way2)

    n = args.students
    differ = sorted(s for s in way1 if abs(way1[s] - way2_totals.get(s, -1.0)) > 1e-6)
    per1, per2 = way1_seconds / n, way2_seconds / n
    print(
        f"{n} students x {len(modules)} notebooks ({', '.join(modules)}), "
        f"sample class of {len(names)}; {os.cpu_count()} CPUs"
    )
    print(
        f"way 1  nbgrader autograde:                {way1_seconds:8.1f} s  "
        f"{per1:7.3f} s per submission"
    )
    print(
        f"way 2  nngrade grade --nbgrader -j {args.jobs}:     {way2_seconds:8.1f} s  "
        f"{per2:7.3f} s per submission"
    )
    print(f"ratio  (way 1 / way 2):                   {per1 / per2:8.1f}x")
    print(
        f"same total score both ways: {n - len(differ)}/{n} students"
        + (f"; differ: {', '.join(differ[:5])}" if differ else "")
    )
    return 1 if differ else 0


if __name__ == "__main__":
    raise SystemExit(main())
