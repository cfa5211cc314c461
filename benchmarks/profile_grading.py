"""Where one grading process spends a submission: serial, steady state, optionally profiled.

    python benchmarks/profile_grading.py [--students 60] [--profile] [--no-replay]

Grades ``--students`` copies of the six sample students without an endless
loop (as bench_grade.py makes them) in this very process: one sandbox (pinned
to CPU 0, as a grading process pins its own) and one `SuiteGrader`, exactly
the code `nngrade grade` runs in each grading process. Prints the steady
per-submission time and this process's CPU per submission (after the first
twelve, which fill the per-process caches), the mean of each results.json's
timing breakdown, and the worker's CPU per child (user and system, reported
by the zygote). ``--profile`` adds cProfile's view of the grading process
(the worker is another process).
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_grade import LOOPING, make_class  # noqa: E402

from nngrade.grade.options import BatchOptions, sandbox_limits  # noqa: E402
from nngrade.grade.pool import settle_heap  # noqa: E402
from nngrade.hidden.grader import SuiteGrader  # noqa: E402
from nngrade.hidden.suite import collect  # noqa: E402
from nngrade.intake import read_submissions  # noqa: E402
from nngrade.rubric import load_rubric  # noqa: E402
from nngrade.sandbox import Limits, Sandbox  # noqa: E402

WARM_UP = 12


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=60)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--no-replay", action="store_true", help="every test runs every time")
    parser.add_argument("--no-settle-heap", action="store_true",
                        help="leave the garbage collector as it is (to compare)")
    args = parser.parse_args()
    if args.students <= WARM_UP + 1:
        parser.error(f"--students must be more than {WARM_UP + 1}")

    with tempfile.TemporaryDirectory() as tmp:
        make_class(Path(tmp), args.students, LOOPING)
        submissions = read_submissions(Path(tmp))
    limits = sandbox_limits(BatchOptions())
    done: list[tuple[float, float, dict]] = []
    profile = cProfile.Profile() if args.profile else None
    with Sandbox(Limits(**limits), cpu=0) as box:
        grader = SuiteGrader(box, collect(), seed=1, rubric=load_rubric(), limits=limits,
                             replay=not args.no_replay)
        if not args.no_settle_heap:
            settle_heap()
        if profile:
            profile.enable()
        for submission in submissions:
            results = grader.grade(submission)
            done.append((time.perf_counter(), time.process_time(), results))
        if profile:
            profile.disable()
        boxes = [box]
    steady = done[WARM_UP:]
    per_submission = (steady[-1][0] - done[WARM_UP - 1][0]) / len(steady)
    cpu_per_submission = (steady[-1][1] - done[WARM_UP - 1][1]) / len(steady)
    print(f"steady: {1000 * per_submission:.1f} ms per submission "
          f"({len(steady)} after {WARM_UP} to warm up); this process's CPU "
          f"{1000 * cpu_per_submission:.1f} ms per submission (the worker's not included)")
    for key in ("worker_start", "student_calls", "reference_and_checks"):
        mean = statistics.fmean(res["nngrade"]["timing"][key] for _, _, res in steady)
        print(f"  {key}: {1000 * mean:.1f} ms")
    reaped = sum(box.stats["children_reaped"] for box in boxes)
    if reaped:
        cpu = sum(box.stats["worker_cpu_seconds"] for box in boxes)
        print(f"worker CPU per child: {1000 * cpu / reaped:.1f} ms ({reaped} children)")
    if profile:
        stats = pstats.Stats(profile)
        stats.sort_stats("tottime").print_stats(30)
    return 0


if __name__ == "__main__":
    sys.exit(main())
