"""What the sandbox costs, as ratios to plain-process reference workloads of the same run.

    .venv/bin/python benchmarks/bench_sandbox.py [--calls 150] [--submissions 40] [--jobs 2]
    .venv/bin/python benchmarks/bench_sandbox.py --against DIR [--rounds 5]   # before / after

Measures, with the sample class's complete submission (``examples/submissions/ada``):

- ``zygote start``: ``Sandbox.start()`` (bubblewrap + Python + numpy + drivers);
- ``load 8 modules``: ``Sandbox.load()`` of the 8 contract modules (kill the
  previous child, fork a new one, confine it, import the sources from memory);
- ``call sigmoid(4)``, ``call no-op``: one ``Sandbox.call`` round trip each;
- ``batch, per call``: the same calls pipelined as one ``Sandbox.run_batch``;
- ``call, grader CPU`` and ``batch, grader CPU per call``: the CPU time of the
  grading process alone (``time.process_time``) for the same work: its
  Python, the wire format and its system calls, which the machine's load
  moves much less than wall times;
- ``-j N submission``: load + ``--calls`` small calls (one at a time, or as one
  batch), in ``--jobs`` processes at once, each with its own sandbox pinned to
  its own CPU: wall time per submission in one process.

This machine's speed changes several-fold within minutes, so every figure is
timed in pairs with a reference workload, one right after the other in the
same process, and the median of the per-pair ratios is the figure that counts:
starts and loads against ``python start`` (a plain ``python -c "import
numpy"``), calls against ``pipe round trip`` (a JSON frame echoed by a plain,
unconfined Python subprocess over two pipes: the floor of any worker call),
each ``-j`` submission against ``--calls`` such round trips to an echo process
of its own grading process, CPU figures against the grader's CPU per round trip.

``--against DIR`` compares two versions of the code in one run: ``DIR`` holds
an earlier tree (``git archive COMMIT | tar -x -C DIR``), imported through
``PYTHONPATH``, which comes before the editable install. The measurements run
in ``--rounds`` pairs of subprocesses, alternating which version goes first,
and the table gives each version's median ratio to the reference and
after / before. Only the public API of the sandbox is used, so any commit
since ``run_batch`` exists can be the "before".
"""

from __future__ import annotations

import argparse
import functools
import inspect
import json
import multiprocessing as mp
import os
import statistics
import struct
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from nngrade.sandbox import Limits, Sandbox

SAMPLE = Path(__file__).resolve().parent.parent / "examples" / "submissions" / "ada"
NOOP = {"noop": "def f(x):\n    return x\n"}
HEADER = struct.Struct(">I")

# A plain worker: reads a length-prefixed JSON frame, parses it, answers it.
ECHO = """
import json, os, struct
H = struct.Struct(">I")
def read(n):
    b = b""
    while len(b) < n:
        c = os.read(0, n - len(b))
        if not c:
            raise SystemExit
        b += c
    return b
while True:
    (n,) = H.unpack(read(4))
    body = json.dumps({"status": "ok", "value": json.loads(read(n))["args"]}).encode()
    os.write(1, H.pack(len(body)) + body)
"""

# name -> (seconds, reference seconds, median of the paired ratios, the reference's name)
Figures = dict[str, tuple[float, float, float, str]]


def sources() -> dict[str, str]:
    return {p.stem: p.read_text(encoding="utf-8") for p in sorted(SAMPLE.glob("*.py"))}


def _median(samples: Sequence[float]) -> float:
    return statistics.median(samples)


def _timed(fn: Callable[[], Any]) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def _per_call(fn: Callable[[], Any], calls: int, clock: Callable[[], float] = time.perf_counter
              ) -> float:
    """Seconds per call of ``fn``, over ``calls`` calls in a row (``clock``: wall by default,
    ``time.process_time`` for this process's CPU)."""
    t0 = clock()
    for _ in range(calls):
        fn()
    return (clock() - t0) / calls


def paired(
    name: str, figure: Callable[[], float], reference: Callable[[], float], repeats: int
) -> tuple[float, float, float, str]:
    """``figure`` and ``reference`` timed one after the other, ``repeats`` times.

    The ratio is taken per pair, then the median: a pair sees the same moment of
    the machine, so the ratio moves far less than either time does.
    """
    pairs = [(figure(), reference()) for _ in range(repeats)]
    return (
        _median([f for f, _ in pairs]),
        _median([r for _, r in pairs]),
        _median([f / r for f, r in pairs]),
        name,
    )


# ------------------------------------------------------------------ references


class Echo:
    """A plain Python subprocess answering frames over pipes: the round trip's floor."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-I", "-S", "-c", ECHO],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            bufsize=0,
        )
        self.body = json.dumps({"op": "call", "args": np.linspace(-3, 3, 4).tolist()}).encode()
        self.round_trip()

    def round_trip(self) -> None:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        os.write(self.proc.stdin.fileno(), HEADER.pack(len(self.body)) + self.body)
        fd = self.proc.stdout.fileno()
        head = b""
        while len(head) < 4:
            head += os.read(fd, 4 - len(head))
        (n,) = HEADER.unpack(head)
        body = b""
        while len(body) < n:
            body += os.read(fd, n - len(body))
        json.loads(body)

    def round_trips(self, calls: int) -> float:
        """Seconds per round trip, over ``calls`` of them."""
        return _per_call(self.round_trip, calls)

    def round_trips_cpu(self, calls: int) -> float:
        """This process's CPU seconds per round trip."""
        return _per_call(self.round_trip, calls, time.process_time)

    def close(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        self.proc.wait()


def python_start() -> float:
    """Seconds to start a plain Python that imports numpy."""
    return _timed(lambda: subprocess.run([sys.executable, "-I", "-c", "import numpy"],
                                         check=True))


# ------------------------------------------------------------------ the sandbox


def single(calls: int, echo: Echo) -> Figures:
    files = sources()
    z = np.linspace(-3, 3, 4)
    figures: Figures = {}

    def zygote_start() -> float:
        box = Sandbox(Limits())
        try:
            return _timed(box.start)
        finally:
            box.close()

    figures["zygote start"] = paired("python start", zygote_start, python_start, 3)
    with Sandbox(Limits()) as box:
        print(f"# mode {box.mode}; protections missing: {box.missing_protections or 'none'}",
              file=sys.stderr)
        status = box.load({**files, **NOOP})
        assert all(v == "ok" for v in status.values()), status
        figures["load 8 modules"] = paired(
            "python start", lambda: _timed(lambda: box.load({**files, **NOOP})), python_start, 9
        )
        trips = lambda: echo.round_trips(calls)  # noqa: E731
        for label, module, name, args in (
            ("call sigmoid(4)", "activations", "sigmoid", (z,)),
            ("call no-op", "noop", "f", (1,)),
        ):
            def one(module: str = module, name: str = name, args: tuple = args) -> None:
                assert box.call(module, name, args).ok

            figures[label] = paired(
                "pipe round trip", functools.partial(_per_call, one, calls), trips, 7
            )
        batch = [{"op": "call", "module": "activations", "name": "sigmoid", "args": (z,)}] * calls

        def run_batch() -> None:
            results = box.run_batch(batch)
            assert len(results) == calls and all(r.ok for r in results)

        figures["batch, per call"] = paired(
            "pipe round trip", lambda: _timed(run_batch) / calls, trips, 7
        )
        # The grader's own CPU per call (its Python, the wire format, its system calls):
        # what a grading process spends, whatever the worker and the machine do.
        trips_cpu = lambda: echo.round_trips_cpu(calls)  # noqa: E731
        sigmoid = functools.partial(box.call, "activations", "sigmoid", (z,))
        figures["call, grader CPU"] = paired(
            "pipe round trip, CPU", lambda: _per_call(sigmoid, calls, time.process_time),
            trips_cpu, 7)
        figures["batch, grader CPU per call"] = paired(
            "pipe round trip, CPU", lambda: _per_call(run_batch, 1, time.process_time) / calls,
            trips_cpu, 7)
    return figures


def _worker(args: tuple[int, int, int, bool]) -> tuple[float, float, float]:
    """One grading process: ``submissions`` times load + calls, each paired with
    ``calls`` round trips to its own echo process."""
    index, submissions, calls, batched = args
    files = sources()
    z = np.linspace(-3, 3, 4)
    batch = [{"op": "call", "module": "activations", "name": "sigmoid", "args": (z,)}] * calls
    echo = Echo()
    with Sandbox(Limits(), cpu=index) as box:
        box.load(files)

        def submission() -> float:
            t0 = time.perf_counter()
            box.load(files)
            if batched:
                assert all(r.ok for r in box.run_batch(batch))
            else:
                for _ in range(calls):
                    box.call("activations", "sigmoid", (z,))
            box.end()
            return time.perf_counter() - t0

        seconds, ref, ratio, _ = paired(
            "", submission, lambda: echo.round_trips(calls) * calls, submissions)
    echo.close()
    return seconds, ref, ratio


def parallel(jobs: int, submissions: int, calls: int, batched: bool) -> Figures:
    ctx = mp.get_context("fork")
    with ctx.Pool(jobs) as pool:
        results = pool.map(_worker, [(i, submissions, calls, batched) for i in range(jobs)])
    how = "1 batch" if batched else f"{calls} calls"
    return {f"-j {jobs} load + {how}": (
        _median([r[0] for r in results]),
        _median([r[1] for r in results]),
        _median([r[2] for r in results]),
        f"{calls} pipe round trips",
    )}


def measure(opts: argparse.Namespace) -> Figures:
    echo = Echo()
    try:
        figures = single(opts.calls, echo)
    finally:
        echo.close()
    for batched in (False, True):
        figures.update(parallel(opts.jobs, opts.submissions, opts.calls, batched))
    return figures


def python_calls(calls: int) -> dict[str, float]:
    """Python function calls the grader makes (cProfile's count), per sandbox call and per load.

    Unlike a time, the count does not move with the machine's load: it shows
    what the grader's side of a call costs in interpreted work, version by version.
    """
    import cProfile
    import pstats

    z = np.linspace(-3, 3, 4)
    files = sources()
    counts: dict[str, float] = {}
    with Sandbox(Limits()) as box:
        box.load(files)
        batch = [{"op": "call", "module": "activations", "name": "sigmoid", "args": (z,)}] * calls
        for label, per, work in (
            ("call", calls, lambda: [box.call("activations", "sigmoid", (z,))
                                     for _ in range(calls)]),
            ("batch, per call", calls, lambda: box.run_batch(batch)),
            ("load 8 modules", 1, lambda: box.load(files)),
        ):
            work()
            profile = cProfile.Profile()
            profile.enable()
            work()
            profile.disable()
            counts[label] = pstats.Stats(profile).total_calls / per  # type: ignore[attr-defined]
    return counts


# ------------------------------------------------------------------ reporting


def show(figures: Figures) -> None:
    print(f"{'':28s}{'median':>12s}  {'/ reference (median of pairs)':30s}")
    for name, (seconds, ref, ratio, ref_name) in figures.items():
        print(f"{name:28s}{seconds * 1000:9.2f} ms  {ratio:7.2f}x {ref_name}"
              f" ({ref * 1000:.3f} ms)")


def against(opts: argparse.Namespace) -> None:
    """Before (``--against DIR``) and after (this tree), alternating, in one run."""
    before = Path(opts.against).resolve()
    if not (before / "grader" / "nngrade" / "sandbox").is_dir():
        sys.exit(f"{before} holds no grader/nngrade/sandbox: give the root of a source tree")
    old_path = os.pathsep.join([str(before / "grader"), str(before / "reference")])
    argv = [sys.executable, __file__, "--json", "--calls", str(opts.calls),
            "--submissions", str(opts.submissions), "--jobs", str(opts.jobs)]
    runs: dict[str, list[Figures]] = {"before": [], "after": []}
    counts: dict[str, dict[str, float]] = {}
    for round_no in range(opts.rounds):
        order = ("before", "after") if round_no % 2 == 0 else ("after", "before")
        for version in order:
            env = dict(os.environ)
            env.pop("PYTHONPATH", None)
            if version == "before":
                env["PYTHONPATH"] = old_path
            done = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)
            if done.returncode != 0:
                sys.exit(f"the {version} run failed:\n{done.stdout[-2000:]}{done.stderr[-3000:]}")
            report = json.loads(done.stdout)
            print(f"round {round_no + 1} {version:6s} {report['code']}", flush=True)
            runs[version].append({k: tuple(v) for k, v in report["figures"].items()})
            counts[version] = report["python_calls"]
    print(f"\nmedians over {opts.rounds} rounds; x ref = the figure / its reference, paired in"
          f" one process; after / before = the x ref of the two runs of a round, median")
    print(f"{'':28s}{'before':>10s}{'x ref':>8s}{'after':>10s}{'x ref':>8s}  after / before"
          f"  (per round)")
    for name in runs["after"][0]:
        cells = []
        for version in ("before", "after"):
            ms = _median([r[name][0] for r in runs[version]]) * 1000
            ratio = _median([r[name][2] for r in runs[version]])
            cells.append((ms, ratio))
        (b_ms, b_x), (a_ms, a_x) = cells
        rounds = [a[name][2] / b[name][2] for a, b in zip(runs["after"], runs["before"],
                                                          strict=True)]
        spread = " ".join(f"{r:.2f}" for r in rounds)
        print(f"{name:28s}{b_ms:8.2f}ms{b_x:7.2f}x{a_ms:8.2f}ms{a_x:7.2f}x  {_median(rounds):6.2f}"
              f"          ({spread})")
    print("\nPython function calls in the grader (cProfile), independent of the machine's load")
    print(f"{'':28s}{'before':>10s}{'after':>10s}  after / before")
    for name, before_count in counts["before"].items():
        after = counts["after"][name]
        print(f"{name:28s}{before_count:10.1f}{after:10.1f}  {after / before_count:6.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--calls", type=int, default=150)
    parser.add_argument("--submissions", type=int, default=40)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--against", metavar="DIR", help="an earlier source tree to compare with")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--json", action="store_true", help=argparse.SUPPRESS)
    opts = parser.parse_args()
    if opts.against:
        print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
        against(opts)
        print(f"load average {os.getloadavg()[0]:.2f}")
        return
    code = inspect.getsourcefile(Sandbox) or "?"
    if opts.json:
        print(json.dumps({"code": code, "figures": measure(opts),
                          "python_calls": python_calls(opts.calls)}))
        return
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs; {code}")
    show(measure(opts))
    for name, count in python_calls(opts.calls).items():
        print(f"{name:28s}{count:9.1f} Python function calls in the grader")
    print(f"load average {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
