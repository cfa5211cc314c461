"""Benchmark: grade 200 full-course submissions with -j 2, as a ratio to the naive harness.

The class is made from the bundled sample class (examples/submissions),
each student copied under new ids with a comment that changes the content
hash, so every copy is really graded (no resume short-cut). Each grader
runs exactly as an instructor runs it, ``nngrade grade SUBS --out OUT -j 2
--force --seed S`` in a process of its own (start-up included), so the same
script measures any checkout: ``--grader NAME=PYTHON`` names the Python of
another checkout's environment (e.g. main before a change) to grade the same
class in the same run.

The machine's speed changes several-fold within minutes, so absolute times
do not compare between runs; what compares is a ratio to a reference
workload measured in the same run. The reference is the naive harness a TA
would write: one plain ``pytest`` process per submission over the same
hidden suites, third-party plugins off, no sandbox, the student's modules
imported in-process by a tiny conftest (benchmarks/naive_conftest.py), the
same number of submissions at a time (``--jobs``). Each round runs the
harness and every grader, in an order that changes from round to round;
the headline is each grader's median over rounds of (its time per
submission / the harness's time per submission in that round). The
standing goal is at most 1/10.

    python benchmarks/bench_grade.py [--students 200] [--jobs 2] [--rounds 3]
        [--naive-students 12] [--grader main=/path/to/main/.venv/bin/python]

The ratio is measured on the six sample students without an endless loop
(the naive harness has no sandbox to survive fay's and gus's). With
``--classes both`` (the default) the whole sample class, whose fay and gus
hang in endless loops (each loop costs its call time limit, wall time the
grader can only wait out), is graded once more per grader, without ratio.

The copies of a student answer every call alike, so most of their tests
reuse the verdict of the first copy graded (replays; their code still
runs). Two options price the case where that helps less or not at all:
``--distinct`` makes every copy answer differently (each copy's functions
scale their float results by 1 + k * 2**-50, k the copy's number: no two
copies agree to the last bit, though their Variable classes still do), and
``--no-replay`` turns the reuse off (`nngrade grade --no-replay`).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "examples" / "submissions"
SUITES = ROOT / "grader" / "nngrade" / "suites"
NAIVE_CONFTEST = Path(__file__).resolve().parent / "naive_conftest.py"

LOOPING = ("fay", "gus")  # students whose code never returns from some calls
CALL_SECONDS = 2.0  # nngrade grade's default --call-timeout, for the harness too

# Appended to every module of a copy with --distinct: the module's own functions
# scale their float results by a factor of their own, so no two copies answer alike.
NUDGE = """
def _nudged(function, factor):
    def nudged(*args, **kwargs):
        result = function(*args, **kwargs)
        if type(result) is float or getattr(result, "dtype", None) == "float64":
            return result * factor
        return result
    return nudged
for _name, _value in list(globals().items()):
    if (callable(_value) and not isinstance(_value, type) and not _name.startswith("_")
            and getattr(_value, "__module__", None) == __name__):
        globals()[_name] = _nudged(_value, 1.0 + COPY * 2.0 ** -50)
"""


def make_class(dest: Path, n: int, exclude: tuple[str, ...] = (), distinct: bool = False) -> int:
    """Copy the sample class (less ``exclude``) into ``dest`` until it holds ``n`` submissions."""
    samples = sorted(p for p in SAMPLE.iterdir()
                     if not p.name.startswith(".") and p.stem not in exclude)
    for i in range(n):
        src = samples[i % len(samples)]
        sid = f"s{i:04d}_{src.stem}"
        tail = f"\n# copy {i}\n" + (NUDGE.replace("COPY", str(i + 1)) if distinct else "")
        if src.suffix == ".zip":
            with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dest / f"{sid}.zip", "w") as zout:
                for info in zin.infolist():
                    data = zin.read(info)
                    if info.filename.endswith(".py"):
                        data += tail.encode()
                    zout.writestr(info, data)
        else:
            shutil.copytree(src, dest / sid)
            for py in (dest / sid).rglob("*.py"):
                with py.open("a", encoding="utf-8") as fh:
                    fh.write(tail)
    return n


def unpacked(subs: Path, dest: Path, count: int) -> list[Path]:
    """The first ``count`` submissions of ``subs`` as flat folders of module files (what a TA
    has after unzipping; not timed)."""
    from nngrade.intake import read_submission

    folders = []
    for entry in sorted(subs.iterdir())[:count]:
        submission = read_submission(entry)
        folder = dest / submission.student
        folder.mkdir(parents=True)
        for module, source in submission.sources.items():
            (folder / f"{module}.py").write_text(source, encoding="utf-8")
        folders.append(folder)
    return folders


def naive_suites(dest: Path) -> Path:
    """The hidden suites copied next to the naive harness's conftest."""
    dest.mkdir(parents=True)
    for path in SUITES.glob("test_*.py"):
        shutil.copy(path, dest / path.name)
    shutil.copy(SUITES / "grading.ini", dest / "grading.ini")
    shutil.copy(NAIVE_CONFTEST, dest / "conftest.py")
    return dest


def calibration_ms() -> float:
    """A fixed pure-Python workload (3 million additions), to compare the machine's speed
    between runs: these machines are shared, and the same code runs 1.5x slower at times."""
    started = time.perf_counter()
    total = 0
    for i in range(3_000_000):
        total += i
    return round(1000 * (time.perf_counter() - started), 1)


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_naive(folders: list[Path], suites: Path, jobs: int, seed: int) -> dict[str, Any]:
    """One plain pytest process per submission, ``jobs`` at a time; per-submission figures."""
    env = {**os.environ, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1", "NAIVE_SEED": str(seed),
           "NAIVE_CALL_SECONDS": str(CALL_SECONDS)}
    env.pop("PYTHONPATH", None)

    def one(folder: Path) -> int:
        report = folder.with_suffix(".xml")
        subprocess.run(
            [sys.executable, "-m", "pytest", str(suites), "-c", str(suites / "grading.ini"),
             "--rootdir", str(suites), "-q", "-p", "no:cacheprovider",
             f"--junitxml={report}"],
            env={**env, "NAIVE_SUBMISSION": str(folder)}, cwd=suites,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False, timeout=900)
        return _passed_in(report)

    cpu0, t0 = _children_cpu(), time.perf_counter()
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        passed = list(pool.map(one, folders))
    wall, cpu = time.perf_counter() - t0, _children_cpu() - cpu0
    return {"submissions": len(folders),
            "wall_ms_per_submission": round(1000 * wall / len(folders), 1),
            "cpu_ms_per_submission": round(1000 * cpu / len(folders), 1),
            "passed": dict(zip((f.name for f in folders), passed, strict=True))}


def _passed_in(report: Path) -> int:
    import xml.etree.ElementTree as ElementTree

    try:
        cases = ElementTree.parse(report).getroot().iter("testcase")
    except (OSError, ElementTree.ParseError):
        return -1
    return sum(1 for case in cases if not list(case))  # no failure, error or skipped child


def run_grader(python: str, subs: Path, out: Path, jobs: int, seed: int,
               replay: bool) -> dict[str, Any]:
    """``nngrade grade SUBS --out OUT -j JOBS --force --seed SEED`` with ``python``."""
    shutil.rmtree(out, ignore_errors=True)
    command = [python, "-c", "from nngrade.cli import main; main()", "grade", str(subs),
               "--out", str(out), "-j", str(jobs), "--force", "--seed", str(seed),
               "--call-timeout", str(CALL_SECONDS)] + ([] if replay else ["--no-replay"])
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    cpu0, t0 = _children_cpu(), time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False,
                          timeout=3600)
    wall, cpu = time.perf_counter() - t0, _children_cpu() - cpu0
    if done.returncode != 0:
        raise SystemExit(f"{python}: nngrade grade failed:\n{done.stderr[-3000:]}")
    results = [json.loads(p.read_text()) for p in sorted(out.glob("*/results.json"))]
    n = len(results)
    timing = [r["nngrade"].get("timing", {}) for r in results]

    def mean_ms(key: str) -> float:
        values = [t.get(key, 0.0) for t in timing if t]
        return round(1000 * statistics.fmean(values), 1) if values else 0.0

    return {
        "submissions": n,
        "wall_seconds": round(wall, 2),
        "wall_ms_per_submission": round(1000 * wall / n, 1),
        "cpu_ms_per_submission": round(1000 * cpu / n, 1),
        "per_submission_ms_in_a_grading_process": {
            "worker_start_and_load": mean_ms("worker_start"),
            "student_calls": mean_ms("student_calls"),
            "reference_and_checks": mean_ms("reference_and_checks"),
        },
        "mean_score": round(statistics.fmean(r["score"] for r in results), 2),
        "passed": {r["nngrade"]["student"]: sum(t["status"] == "passed" for t in r["tests"])
                   for r in results},
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=200)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--naive-students", type=int, default=12,
                        help="submissions the naive harness grades per round")
    parser.add_argument("--grader", action="append", default=[], metavar="NAME=PYTHON",
                        help="also time the nngrade of another environment (repeatable)")
    parser.add_argument("--classes", choices=["both", "without-loops"], default="both")
    parser.add_argument("--distinct", action="store_true",
                        help="every copy answers differently (see above)")
    parser.add_argument("--no-replay", action="store_true",
                        help="no reuse of verdicts: every test runs for every copy")
    parser.add_argument("--quick", action="store_true",
                        help="a smoke run: 6 students, 2 for the harness, one round")
    args = parser.parse_args()
    if args.quick:
        args.students, args.naive_students, args.rounds, args.classes = 6, 2, 1, "without-loops"
    graders = {"this checkout": sys.executable}
    for spec in args.grader:
        name, _, python = spec.partition("=")
        graders[name] = python

    figures: dict[str, Any] = {
        "jobs": args.jobs, "students": args.students, "distinct": args.distinct,
        "replay": not args.no_replay, "graders": graders,
        "calibration_ms_before": calibration_ms(), "rounds": []}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        subs = work / "subs"
        subs.mkdir()
        make_class(subs, args.students, LOOPING, args.distinct)
        folders = unpacked(subs, work / "naive", args.naive_students * args.rounds)
        suites = naive_suites(work / "suites")
        names = list(graders)
        for index in range(args.rounds):
            round_: dict[str, Any] = {"calibration_ms": calibration_ms()}
            part = folders[index * args.naive_students:(index + 1) * args.naive_students]
            # The order changes from round to round (the harness first, then last; the
            # graders rotated), so a machine getting slower favours nobody.
            shift = index % len(names)
            steps = ["naive", *names[shift:], *names[:shift]]
            for step in steps if index % 2 == 0 else [*steps[1:], steps[0]]:
                if step == "naive":
                    round_["naive"] = run_naive(part, suites, args.jobs, args.seed)
                else:
                    round_[step] = run_grader(graders[step], subs, work / "out", args.jobs,
                                              args.seed, not args.no_replay)
            for name in names:
                round_[name]["ratio_to_naive"] = round(
                    round_[name]["wall_ms_per_submission"]
                    / round_["naive"]["wall_ms_per_submission"], 4)
            figures["rounds"].append(round_)
        figures["naive_agrees"] = _agreement(figures["rounds"])
        for round_ in figures["rounds"]:
            for entry in round_.values():
                if isinstance(entry, dict):
                    entry.pop("passed", None)
        figures["ratio_to_naive_median"] = {
            name: statistics.median(r[name]["ratio_to_naive"] for r in figures["rounds"])
            for name in graders}
        if args.classes == "both":
            whole = work / "whole"
            whole.mkdir()
            make_class(whole, args.students, (), args.distinct)
            figures["whole_sample_class"] = {}
            for name, python in graders.items():
                graded = run_grader(python, whole, work / "out", args.jobs, args.seed,
                                    not args.no_replay)
                graded.pop("passed", None)
                figures["whole_sample_class"][name] = graded
    figures.update({
        "calibration_ms_after": calibration_ms(),
        "peak_rss_largest_child_mb": round(
            resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1),
    })
    print(json.dumps(figures, indent=2))
    return 0


def _agreement(rounds: list[dict[str, Any]]) -> str:
    """Whether the harness passed as many tests as each grader for every submission it graded
    (a sanity check that both ran the same suites on the same code)."""
    same = total = 0
    for round_ in rounds:
        naive = round_["naive"]["passed"]
        for name, entry in round_.items():
            if name in ("naive", "calibration_ms"):
                continue
            for student, passed in naive.items():
                total += 1
                same += entry["passed"].get(student) == passed
    return f"{same}/{total} submission gradings passed the same number of tests"


if __name__ == "__main__":
    sys.exit(main())
