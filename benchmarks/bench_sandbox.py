"""What the sandbox costs, as ratios to plain-process reference workloads of the same run.

    .venv/bin/python benchmarks/bench_sandbox.py [--calls 150] [--submissions 40] [--jobs 2]
    .venv/bin/python benchmarks/bench_sandbox.py --against DIR [--rounds 5]   # before / after

Measures, with the sample class's complete submission (``examples/submissions/ada``):

- ``zygote start``: ``Sandbox.start()`` (bubblewrap + Python + numpy + drivers);
- ``load 8 modules``: ``Sandbox.load()`` of the 8 contract modules (kill the
  previous child, fork a new one, confine it, import the sources from memory);
- ``call sigmoid(4)``, ``call no-op``: one ``Sandbox.call`` round trip each;
- ``batch, per call``: the same calls pipelined as one ``Sandbox.run_batch``;
- ``-j N submission``: load + ``--calls`` small calls (one at a time, or as one
  batch), in ``--jobs`` processes at once, each with its own sandbox pinned to
  its own CPU: wall time per submission in one process.

This machine's speed changes several-fold within minutes, so every figure is
printed next to a reference workload timed in the same process, and the ratio
is the figure that counts: starts and loads against ``python start`` (a plain
``python -c "import numpy"``), calls against ``pipe round trip`` (a JSON frame
echoed by a plain, unconfined Python subprocess over two pipes: the floor of
any worker call).

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

Figures = dict[str, tuple[float, float, str]]  # name -> (seconds, reference seconds, reference)


def sources() -> dict[str, str]:
    return {p.stem: p.read_text(encoding="utf-8") for p in sorted(SAMPLE.glob("*.py"))}


def _median(samples: Sequence[float]) -> float:
    return statistics.median(samples)


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

    def close(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        self.proc.wait()


def time_round_trips(calls: int, repeats: int = 5) -> float:
    """Median seconds per round trip to a plain echo subprocess."""
    echo = Echo()
    try:
        echo.round_trip()
        return _median([_per_call(echo.round_trip, calls) for _ in range(repeats)])
    finally:
        echo.close()


def time_python_start(repeats: int = 3) -> float:
    """Median seconds to start a plain Python that imports numpy."""
    samples = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-I", "-c", "import numpy"], check=True)
        samples.append(time.perf_counter() - t0)
    return _median(samples)


def _per_call(fn: Callable[[], Any], calls: int) -> float:
    t0 = time.perf_counter()
    for _ in range(calls):
        fn()
    return (time.perf_counter() - t0) / calls


# ------------------------------------------------------------------ the sandbox


def single(calls: int) -> Figures:
    files = sources()
    z = np.linspace(-3, 3, 4)
    figures: Figures = {}
    starts = []
    for _ in range(3):
        box = Sandbox(Limits())
        t0 = time.perf_counter()
        box.start()
        starts.append(time.perf_counter() - t0)
        box.close()
    start_ref = time_python_start()
    figures["zygote start"] = (_median(starts), start_ref, "python start")
    with Sandbox(Limits()) as box:
        print(f"# mode {box.mode}; protections missing: {box.missing_protections or 'none'}",
              file=sys.stderr)
        loads = []
        for _ in range(15):
            t0 = time.perf_counter()
            status = box.load({**files, **NOOP})
            loads.append(time.perf_counter() - t0)
        assert all(v == "ok" for v in status.values()), status
        figures["load 8 modules"] = (_median(loads), start_ref, "python start")
        trip = time_round_trips(calls)
        for label, module, name, args in (
            ("call sigmoid(4)", "activations", "sigmoid", (z,)),
            ("call no-op", "noop", "f", (1,)),
        ):
            def one(module: str = module, name: str = name, args: tuple = args) -> None:
                assert box.call(module, name, args).ok

            times = [_per_call(one, calls) for _ in range(5)]
            figures[label] = (_median(times), trip, "pipe round trip")
        batch = [{"op": "call", "module": "activations", "name": "sigmoid", "args": (z,)}] * calls
        times = []
        for _ in range(5):
            t0 = time.perf_counter()
            results = box.run_batch(batch)
            times.append((time.perf_counter() - t0) / calls)
            assert len(results) == calls and all(r.ok for r in results)
        figures["batch, per call"] = (_median(times), trip, "pipe round trip")
    return figures


def _worker(args: tuple[int, int, int, bool]) -> tuple[list[float], float]:
    index, submissions, calls, batched = args
    files = sources()
    z = np.linspace(-3, 3, 4)
    batch = [{"op": "call", "module": "activations", "name": "sigmoid", "args": (z,)}] * calls
    per_submission = []
    trips = [time_round_trips(calls, repeats=3)]
    with Sandbox(Limits(), cpu=index) as box:
        box.load(files)
        for _ in range(submissions):
            t0 = time.perf_counter()
            box.load(files)
            if batched:
                assert all(r.ok for r in box.run_batch(batch))
            else:
                for _ in range(calls):
                    box.call("activations", "sigmoid", (z,))
            box.end()
            per_submission.append(time.perf_counter() - t0)
    trips.append(time_round_trips(calls, repeats=3))
    return per_submission, _median(trips)


def parallel(jobs: int, submissions: int, calls: int, batched: bool) -> Figures:
    ctx = mp.get_context("fork")
    with ctx.Pool(jobs) as pool:
        results = pool.map(_worker, [(i, submissions, calls, batched) for i in range(jobs)])
    each = [t for times, _ in results for t in times]
    trip = _median([trip for _, trip in results])
    how = "1 batch" if batched else f"{calls} calls"
    return {f"-j {jobs} load + {how}": (_median(each), trip, "pipe round trip")}


def measure(opts: argparse.Namespace) -> Figures:
    figures = single(opts.calls)
    for batched in (False, True):
        figures.update(parallel(opts.jobs, opts.submissions, opts.calls, batched))
    return figures


# ------------------------------------------------------------------ reporting


def show(figures: Figures) -> None:
    for name, (seconds, ref, ref_name) in figures.items():
        print(f"{name:28s}{seconds * 1000:9.2f} ms  {seconds / ref:7.2f}x {ref_name}"
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
    print(f"\nmedians over {opts.rounds} rounds; x ref = the figure / its reference, same process")
    print(f"{'':28s}{'before':>10s}{'x ref':>8s}{'after':>10s}{'x ref':>8s}  after / before")
    for name in runs["after"][0]:
        cells = []
        for version in ("before", "after"):
            ms = _median([r[name][0] for r in runs[version]]) * 1000
            ratio = _median([r[name][0] / r[name][1] for r in runs[version]])
            cells.append((ms, ratio))
        (b_ms, b_x), (a_ms, a_x) = cells
        print(f"{name:28s}{b_ms:8.2f}ms{b_x:7.2f}x{a_ms:8.2f}ms{a_x:7.2f}x  {a_x / b_x:6.2f}")


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
        print(json.dumps({"code": code, "figures": measure(opts)}))
        return
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs; {code}")
    show(measure(opts))
    print(f"load average {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
