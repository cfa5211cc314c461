"""Where one grading process spends a submission: serial, steady state, optionally profiled.

    python benchmarks/profile_grading.py [--students 60] [--profile]

Grades ``--students`` copies of the six sample students without an endless
loop (as bench_grade.py makes them) in this very process: one sandbox (pinned
to CPU 0, as a grading process pins its own) and one pytest session, exactly
the code `nngrade grade` runs in each grading process. Prints the steady
per-submission time (after the first twelve, which fill the per-process
caches), the mean of each results.json's timing breakdown, and the worker's
CPU per child (user and system, reported by the zygote). ``--profile`` adds
cProfile's view of the grading process (the worker is another process).
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

from nngrade.batch import BatchOptions, _sandbox_limits, read_submissions  # noqa: E402
from nngrade.runner import GradingPlugin, run_session  # noqa: E402
from nngrade.sandbox import Limits, Sandbox  # noqa: E402

WARM_UP = 12


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=60)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--no-settle-heap", action="store_true",
                        help="leave the garbage collector as it is (to compare)")
    args = parser.parse_args()
    if args.students <= WARM_UP + 1:
        parser.error(f"--students must be more than {WARM_UP + 1}")

    with tempfile.TemporaryDirectory() as tmp:
        make_class(Path(tmp), args.students, LOOPING)
        jobs = read_submissions(Path(tmp))
    limits = _sandbox_limits(BatchOptions())
    boxes: list[Sandbox] = []
    done: list[tuple[float, dict]] = []

    def backend() -> Sandbox:
        box = Sandbox(Limits(**limits), cpu=0)
        box.start()
        boxes.append(box)
        return box

    plugin = GradingPlugin(backend, jobs, lambda _job, res: done.append((time.perf_counter(), res)),
                           seed=1, limits=limits, settle_heap=not args.no_settle_heap)
    profile = cProfile.Profile() if args.profile else None
    try:
        if profile:
            profile.enable()
        run_session(plugin)
        if profile:
            profile.disable()
    finally:
        for box in boxes:
            box.close()
    steady = done[WARM_UP:]
    per_submission = (steady[-1][0] - done[WARM_UP - 1][0]) / len(steady)
    print(f"steady: {1000 * per_submission:.1f} ms per submission "
          f"({len(steady)} after {WARM_UP} to warm up)")
    for key in ("worker_start", "student_calls", "reference_and_checks"):
        mean = statistics.fmean(res["nngrade"]["timing"][key] for _, res in steady)
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
