"""Benchmark: grade a class of 200 full-course submissions with -j 2.

The class is made from the bundled sample class (examples/submissions),
each student copied 25 times under new ids with a comment that changes the
content hash, so every copy is really graded (no resume short-cut).

Targets (issue 4): at most 50 ms of wall time per submission on average,
peak memory of the grader under 500 MB. Prints the per-submission cost and
where it goes (worker start, student calls, reference and checks, writing
reports).

    python benchmarks/bench_grade.py [--students 200] [--jobs 2]

Two classes are graded in the same run: the whole sample class, whose fay
and gus hang in endless loops (each loop costs its call time limit, wall
time the grader can only wait out), and the six students without a loop.

The copies of a student answer every call alike, so most of their tests
reuse the verdict of the first copy graded (`nngrade.replay`; their code
still runs). Two options price the case where that helps less or not at
all: ``--distinct`` makes every copy answer differently (each copy's
functions scale their float results by 1 + k * 2**-50, k the copy's number:
no two copies agree to the last bit, though their Variable classes still
do), and ``--no-replay`` turns the reuse off (`nngrade grade --no-replay`).

    python benchmarks/bench_grade.py --classes without-loops [--distinct] [--no-replay]
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import statistics
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "examples" / "submissions"


LOOPING = ("fay", "gus")  # students whose code never returns from some calls


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


def calibration_ms() -> float:
    """A fixed pure-Python workload (3 million additions), to compare the machine's speed
    between runs: these machines are shared, and the same code runs 1.5x slower at times."""
    started = time.perf_counter()
    total = 0
    for i in range(3_000_000):
        total += i
    return round(1000 * (time.perf_counter() - started), 1)


def cpu_times() -> list[int] | None:
    """The machine's CPU counters (/proc/stat), to tell how much the hypervisor took."""
    try:
        with open("/proc/stat") as fh:
            return [int(x) for x in fh.readline().split()[1:]]
    except OSError:
        return None


def steal_percent(before: list[int] | None, after: list[int] | None) -> float | None:
    """Share of CPU time stolen by the hypervisor between two `cpu_times` (field 8)."""
    if not before or not after or len(before) < 8:
        return None
    delta = [b - a for a, b in zip(before, after, strict=False)]
    total = sum(delta[:8])
    return round(100 * delta[7] / total, 1) if total else None


def _cpu(usage: resource.struct_rusage) -> float:
    return usage.ru_utime + usage.ru_stime


def grade_class(n: int, jobs: int, seed: int, exclude: tuple[str, ...], *,
                distinct: bool = False, replay: bool = True) -> dict:
    """Grade one generated class; the per-submission figures of the run."""
    from nngrade.batch import BatchOptions, grade_directory
    from nngrade.report import write_class_summary, write_student_report

    with tempfile.TemporaryDirectory() as tmp:
        subs, out = Path(tmp) / "subs", Path(tmp) / "out"
        subs.mkdir()
        make_class(subs, n, exclude, distinct)
        t0, cpu0 = time.perf_counter(), cpu_times()
        main0 = resource.getrusage(resource.RUSAGE_SELF)
        kids0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        # What `nngrade grade SUBS --out OUT -j JOBS --force` does: results.json, an HTML
        # report per student (written by the main process as results arrive), the
        # gradebook and the class summary.
        results = grade_directory(subs, out, jobs=jobs, seed=seed, force=True,
                                  options=BatchOptions(replay=replay))
        wall, cpu1 = time.perf_counter() - t0, cpu_times()
        main1 = resource.getrusage(resource.RUSAGE_SELF)
        kids1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        # For the breakdown only: the reports again, alone, to price them.
        t0 = time.perf_counter()
        for res in results:
            write_student_report(res, out / res["nngrade"]["student"] / "report.html")
        write_class_summary(results, out)
        report_seconds = (time.perf_counter() - t0) / n
    timing = [r["nngrade"].get("timing", {}) for r in results if r["nngrade"].get("timing")]

    def mean_ms(key: str) -> float:
        values = [t.get(key, 0.0) for t in timing]
        return round(1000 * statistics.fmean(values), 1) if values else 0.0

    return {
        "submissions": n,
        "wall_seconds": round(wall, 2),
        "wall_ms_per_submission": round(1000 * wall / n, 1),
        "per_submission_ms": {
            "worker_start_and_load": mean_ms("worker_start"),
            "student_calls": mean_ms("student_calls"),
            "reference_and_checks": mean_ms("reference_and_checks"),
            "writing_reports": round(1000 * report_seconds, 1),
        },
        # CPU time (user + system) per submission: the main process (collecting results,
        # writing reports) and every process below it (grading processes, sandboxes).
        "cpu_ms_per_submission": {
            "main": round(1000 * (_cpu(main1) - _cpu(main0)) / n, 1),
            "grading_and_sandboxes": round(1000 * (_cpu(kids1) - _cpu(kids0)) / n, 1),
        },
        "mean_score": round(statistics.fmean(r["score"] for r in results), 2),
        # CPU time the hypervisor gave to other machines during the run: on a shared host
        # every figure above is that much slower than on a machine of one's own.
        "cpu_steal_percent": steal_percent(cpu0, cpu1),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=200)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--classes", choices=["both", "without-loops", "whole"], default="both")
    parser.add_argument("--distinct", action="store_true",
                        help="every copy answers differently (see above)")
    parser.add_argument("--no-replay", action="store_true",
                        help="no reuse of verdicts: every test runs for every copy")
    args = parser.parse_args()
    how = {"distinct": args.distinct, "replay": not args.no_replay}

    figures: dict = {"jobs": args.jobs, "target_ms_per_submission": 50, "target_peak_mb": 500,
                     **how, "calibration_ms_before": calibration_ms()}
    if args.classes in ("both", "without-loops"):
        figures["without_endless_loops"] = grade_class(args.students, args.jobs, args.seed,
                                                       LOOPING, **how)
    if args.classes in ("both", "whole"):
        figures["whole_sample_class"] = grade_class(args.students, args.jobs, args.seed, (),
                                                    **how)
    figures.update({
        "calibration_ms_after": calibration_ms(),
        "peak_rss_main_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "peak_rss_largest_child_mb": round(
            resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1),
    })
    print(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
