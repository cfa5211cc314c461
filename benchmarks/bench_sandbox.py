"""What the sandbox costs: zygote start, a new submission, one call, a whole submission.

    .venv/bin/python benchmarks/bench_sandbox.py [--calls 150] [--submissions 40] [--jobs 2]

Measures, with the sample class's complete submission (``examples/submissions/ada``):

- ``zygote start``: ``Sandbox.start()`` (bubblewrap + Python + numpy + drivers);
- ``load 8 modules``: ``Sandbox.load()`` of the 8 contract modules (kill the
  previous child, fork a new one, confine it, import the sources from memory);
- ``call round trip``: ``sigmoid`` on a 4-element array, and a no-op call;
  then the same calls pipelined with ``call_many``;
- ``submission``: load + ``--calls`` small calls, in ``--jobs`` processes at
  once, each with its own sandbox, pinned to its own CPU or not: wall time
  per submission (the grading target is 50 ms at -j 2, of which this is the
  sandbox's share; the reference and the checks come on top).

Prints medians; the machine's load average is printed too, since other work
on a 2-core machine changes every number here.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import statistics
import time
from pathlib import Path

import numpy as np

from nngrade.intake import unpack
from nngrade.sandbox import Limits, Sandbox

SAMPLE = Path(__file__).resolve().parent.parent / "examples" / "submissions" / "ada"
NOOP = {"noop": "def f(x):\n    return x\n"}


def _median_ms(values: list[float]) -> str:
    return f"{statistics.median(values) * 1000:.2f} ms"


def single(calls: int) -> None:
    files = unpack.read_submission(SAMPLE).sources
    z = np.linspace(-3, 3, 4)
    starts = []
    for _ in range(3):
        box = Sandbox(Limits())
        t0 = time.perf_counter()
        box.start()
        starts.append(time.perf_counter() - t0)
        box.close()
    with Sandbox(Limits()) as box:
        print(f"mode {box.mode}; protections missing: {box.missing_protections or 'none'}")
        print(f"zygote start          {_median_ms(starts)}")
        loads = []
        for _ in range(15):
            t0 = time.perf_counter()
            status = box.load({**files, **NOOP})
            loads.append(time.perf_counter() - t0)
        assert all(v == "ok" for v in status.values()), status
        print(f"load 8 modules        {_median_ms(loads)}")
        for label, module, name, args in (
            ("call sigmoid(4)", "activations", "sigmoid", (z,)),
            ("call no-op", "noop", "f", (1,)),
        ):
            times = []
            for _ in range(5):
                t0 = time.perf_counter()
                for _ in range(calls):
                    assert box.call(module, name, args).ok
                times.append((time.perf_counter() - t0) / calls)
            print(f"{label:22s}{_median_ms(times)}")
        times = []
        for _ in range(5):
            t0 = time.perf_counter()
            assert all(r.ok for r in box.call_many([("activations", "sigmoid", (z,))] * calls))
            times.append((time.perf_counter() - t0) / calls)
        print(f"{'call_many, per call':22s}{_median_ms(times)}")


def _worker(args: tuple[int, int, int, bool, bool]) -> list[float]:
    index, submissions, calls, pin, batched = args
    files = unpack.read_submission(SAMPLE).sources
    z = np.linspace(-3, 3, 4)
    per_submission = []
    with Sandbox(Limits(), cpu=index if pin else None) as box:
        box.load(files)
        for _ in range(submissions):
            t0 = time.perf_counter()
            box.load(files)
            if batched:
                box.call_many([("activations", "sigmoid", (z,))] * calls)
            else:
                for _ in range(calls):
                    box.call("activations", "sigmoid", (z,))
            box.end()
            per_submission.append(time.perf_counter() - t0)
    return per_submission


def parallel(jobs: int, submissions: int, calls: int, pin: bool, batched: bool) -> None:
    ctx = mp.get_context("fork")
    t0 = time.perf_counter()
    with ctx.Pool(jobs) as pool:
        work = [(i, submissions, calls, pin, batched) for i in range(jobs)]
        results = pool.map(_worker, work)
    wall = time.perf_counter() - t0
    each = [t for r in results for t in r]
    how = "call_many" if batched else "calls"
    print(
        f"-j {jobs} {'pinned  ' if pin else 'unpinned'} load + {calls} {how}: "
        f"{_median_ms(each)} per submission in one process, "
        f"{wall / (jobs * submissions) * 1000:.1f} ms wall per submission overall "
        f"(incl. {jobs} zygote starts)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--calls", type=int, default=150)
    parser.add_argument("--submissions", type=int, default=40)
    parser.add_argument("--jobs", type=int, default=2)
    opts = parser.parse_args()
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    single(opts.calls)
    for pin, batched in ((False, False), (True, False), (True, True)):
        parallel(opts.jobs, opts.submissions, opts.calls, pin, batched)
    print(f"load average {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
