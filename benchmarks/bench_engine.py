"""Benchmark: the lecture's training loops on the reference engine and its neighbours.

    python benchmarks/bench_engine.py [--repeats 5] [--threads both|1|default] [--quick]
                                      [--without torch,micrograd] [--no-trim]
                                      [--baseline OTHER_CHECKOUT/reference]

Two workloads from the lecture, each trained from the same initial weights:

* the two-layer ReLU network: x 64x1000, w1 1000x100, w2 100x10, float64,
  loss sum((y_pred - y)**2), 1000 steps of lr 1e-6. BLAS-bound: the engine
  must add almost nothing (target <= 1.10x the hand-written numpy);
* the XOR network: 2-10-1 sigmoid, no biases, 10,000 full-batch epochs of
  lr 0.5. Every array is tiny, so this measures per-operation overhead
  (target <= 2.5x).

Each is trained by every implementation that is available, one row each:

* ``numpy``: hand-written forward and backward passes, as the lecture writes
  them. The reference workload: every other row is a ratio to it.
* ``plain``: the engine used plainly, as the lecture's loop is written:
  ``loss.backward()``, ``w.data -= lr * w.grad``, ``w.grad = None``.
* ``sgd``: the engine with ``nn.SGD`` (``opt.step()``, ``opt.zero_grad()``).
* ``torch``: PyTorch's CPU autograd, the same plain loop, if installed.
* ``micrograd``: Karpathy's scalar engine, if installed. A ``Value`` per
  number, so only on the XOR network, for a fiftieth of the epochs; its
  ratio is per epoch. Its ``Value`` has no sigmoid: one is added the way
  micrograd writes its own operations (forward and local backward together).
* with ``--baseline DIR`` (the ``reference/`` folder of another checkout,
  say a git worktree of main), the plain and nn.SGD loops again on that
  engine, in the same run: a change to the engine, measured side by side.

Every implementation runs in a process of its own (this script started with
``--worker``), so that one's allocator state cannot help or hurt another's:
whether malloc hands memory back to the system and page-faults it in again
decides a factor of two on the two-layer network, and it depends on
everything the process allocated before. The parent drives them in turns,
in small chunks of training (the order rotates every round), so that all
see the same machine load; a first chunk each, before the rounds, is not
counted (first calls, first touches of memory). The headline figure of a row is the median over
all rounds of (its time per step / numpy's time per step in the same
round), which a load spike from another process moves far less than a ratio
of totals (also printed, per repeat). Each worker reports its minor page
faults per step, the symptom of the allocator problem.

BLAS threads are set per worker through the environment (OPENBLAS_NUM_THREADS,
OMP_NUM_THREADS, MKL_NUM_THREADS, before numpy or torch is imported), once
with one thread and once with the default. ``--no-trim`` runs every worker
with glibc's trimming off (MALLOC_TRIM_THRESHOLD_, MALLOC_MMAP_THRESHOLD_), so
that nobody page-faults: the computation alone, compared. The final losses
of the rows that train in full must agree with numpy's to 1e-5 (relative, or
1e-9 absolute for a loss near zero); a row that does not is marked.
"""

from __future__ import annotations

import argparse
import ctypes
import math
import os
import platform
import resource
import signal
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

WORKLOADS = ("two-layer", "xor")
ROWS = ("numpy", "plain", "sgd", "torch", "micrograd")
BASELINE_ROWS = ("plain@baseline", "sgd@baseline")  # with --baseline, after "sgd"
LABELS = {
    "numpy": "numpy, hand-written (reference)",
    "plain": "engine, plain Tensor loop",
    "sgd": "engine, nn.SGD loop",
    "plain@baseline": "baseline engine, plain loop",
    "sgd@baseline": "baseline engine, nn.SGD loop",
    "torch": "PyTorch autograd",
    "micrograd": "micrograd (scalar Values)",
}
TARGETS = {
    ("two-layer", "plain"): 1.10,
    ("two-layer", "sgd"): 1.10,
    ("xor", "plain"): 2.5,
    ("xor", "sgd"): 2.5,
}
OPTIONAL = {"torch": "torch", "micrograd": "micrograd"}  # row -> module that must import
MICROGRAD_SHARE = 50  # micrograd trains 1/50 of the epochs (a chunk of 200 epochs: 4)
NOT_RUN = {
    ("two-layer", "micrograd"): "not run: one Value per number is ~13 million Values a step",
}
LOSS_RTOL, LOSS_ATOL = 1e-5, 1e-9
NO_TRIM = {"MALLOC_TRIM_THRESHOLD_": str(64 << 20), "MALLOC_MMAP_THRESHOLD_": str(4 << 20)}


class Runner(Protocol):
    loss: float

    def run(self, steps: int) -> None: ...


# --------------------------------------------------------------------------- workloads


def two_layer_data(seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {
        "x": rng.normal(size=(64, 1000)),
        "y": rng.normal(size=(64, 10)),
        "w1": rng.normal(size=(1000, 100)),
        "w2": rng.normal(size=(100, 10)),
    }


def xor_data(seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {
        "x": np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float),
        "y": np.array([[0], [1], [1], [0]], dtype=float),
        "w1": rng.normal(size=(2, 10)),
        "w2": rng.normal(size=(10, 1)),
    }


DATA = {"two-layer": two_layer_data, "xor": xor_data}
LR = {"two-layer": 1e-6, "xor": 0.5}


class NumpyTwoLayer:
    """The lecture's numpy network, forward and backward written out by hand."""

    def __init__(self, d: dict[str, np.ndarray], lr: float) -> None:
        self.x, self.y, self.lr = d["x"], d["y"], lr
        self.w1, self.w2 = d["w1"].copy(), d["w2"].copy()
        self.loss = float("nan")

    def run(self, steps: int) -> None:
        x, y, w1, w2, lr = self.x, self.y, self.w1, self.w2, self.lr
        for _ in range(steps):
            h = x.dot(w1)
            h_relu = np.maximum(h, 0)
            y_pred = h_relu.dot(w2)
            loss = np.square(y_pred - y).sum()
            grad_y_pred = 2.0 * (y_pred - y)
            grad_w2 = h_relu.T.dot(grad_y_pred)
            grad_h_relu = grad_y_pred.dot(w2.T)
            grad_h = grad_h_relu.copy()
            grad_h[h < 0] = 0
            grad_w1 = x.T.dot(grad_h)
            w1 -= lr * grad_w1
            w2 -= lr * grad_w2
        self.loss = float(loss)


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-z))


class NumpyXor:
    """The lecture's XOR network with hand-derived deltas."""

    def __init__(self, d: dict[str, np.ndarray], lr: float) -> None:
        self.x, self.y, self.lr = d["x"], d["y"], lr
        self.w1, self.w2 = d["w1"].copy(), d["w2"].copy()
        self.loss = float("nan")

    def run(self, epochs: int) -> None:
        x, y, w1, w2, lr = self.x, self.y, self.w1, self.w2, self.lr
        for _ in range(epochs):
            a1 = _sigmoid(x @ w1)
            a2 = _sigmoid(a1 @ w2)
            loss = 0.5 * np.sum((a2 - y) ** 2)
            delta2 = (a2 - y) * a2 * (1 - a2)
            grad_w2 = a1.T @ delta2
            delta1 = (delta2 @ w2.T) * a1 * (1 - a1)
            grad_w1 = x.T @ delta1
            w1 -= lr * grad_w1
            w2 -= lr * grad_w2
        self.loss = float(loss)


class EngineNet:
    """Both networks on the reference engine, trained by the plain loop or by ``nn.SGD``."""

    def __init__(self, d: dict[str, np.ndarray], lr: float, workload: str, use_sgd: bool) -> None:
        from nngrade.reference.engine import Tensor  # noqa: PLC0415 - only in engine workers
        from nngrade.reference.nn import SGD  # noqa: PLC0415

        self.x, self.y, self.lr = d["x"], d["y"], lr
        self.w1 = Tensor(d["w1"].copy(), requires_grad=True)
        self.w2 = Tensor(d["w2"].copy(), requires_grad=True)
        self.opt = SGD([self.w1, self.w2], lr=lr) if use_sgd else None
        self.forward = self._xor if workload == "xor" else self._two_layer
        self.loss = float("nan")

    def _two_layer(self) -> Any:
        y_pred = (self.x @ self.w1).relu() @ self.w2
        return ((y_pred - self.y) ** 2).sum()

    def _xor(self) -> Any:
        a2 = ((self.x @ self.w1).sigmoid() @ self.w2).sigmoid()
        return 0.5 * ((a2 - self.y) ** 2).sum()

    def run(self, steps: int) -> None:
        w1: Any = self.w1  # Any: .grad is known to be set after backward
        w2: Any = self.w2
        lr, opt, forward = self.lr, self.opt, self.forward
        if opt is None:  # the lecture's loop, written directly against Tensor
            for _ in range(steps):
                loss = forward()
                loss.backward()
                w1.data -= lr * w1.grad
                w2.data -= lr * w2.grad
                w1.grad = None
                w2.grad = None
        else:
            for _ in range(steps):
                loss = forward()
                loss.backward()
                opt.step()
                opt.zero_grad()
        self.loss = loss.item()


class TorchNet:
    """Both networks on PyTorch's CPU autograd, the same plain loop."""

    def __init__(self, d: dict[str, np.ndarray], lr: float, workload: str) -> None:
        import torch  # noqa: PLC0415 - optional, only in its own worker

        self.torch = torch
        self.workload, self.lr = workload, lr
        self.x, self.y = torch.from_numpy(d["x"]), torch.from_numpy(d["y"])
        self.w1 = torch.tensor(d["w1"], requires_grad=True)
        self.w2 = torch.tensor(d["w2"], requires_grad=True)
        self.loss = float("nan")

    def run(self, steps: int) -> None:
        torch, x, y, lr = self.torch, self.x, self.y, self.lr
        w1: Any = self.w1  # Any: .grad is known to be set after backward
        w2: Any = self.w2
        for _ in range(steps):
            if self.workload == "xor":
                a2 = torch.sigmoid(torch.sigmoid(x @ w1) @ w2)
                loss = 0.5 * ((a2 - y) ** 2).sum()
            else:
                loss = (((x @ w1).clamp(min=0) @ w2 - y) ** 2).sum()
            loss.backward()
            with torch.no_grad():
                w1 -= lr * w1.grad
                w2 -= lr * w2.grad
            w1.grad = None
            w2.grad = None
        self.loss = loss.item()


class MicrogradXor:
    """The XOR network on micrograd's scalar ``Value``: a Value per weight, input and activation."""

    def __init__(self, d: dict[str, np.ndarray], lr: float) -> None:
        from micrograd.engine import Value  # noqa: PLC0415 - optional, only in its own worker

        self.Value = Value
        self.x, self.y, self.lr = d["x"].tolist(), d["y"].ravel().tolist(), lr
        self.w1 = [[Value(float(v)) for v in row] for row in d["w1"]]
        self.w2 = [Value(float(v)) for v in d["w2"].ravel()]
        self.params = [w for row in self.w1 for w in row] + self.w2
        self.loss = float("nan")

    def sigmoid(self, v: Any) -> Any:
        """micrograd's pattern for an operation: the value, and beside it the local backward."""
        z = v.data
        s = 1.0 / (1.0 + math.exp(-z)) if z >= 0 else math.exp(z) / (1.0 + math.exp(z))
        out = self.Value(s, (v,), "sigmoid")

        def _backward() -> None:
            v.grad += s * (1.0 - s) * out.grad

        out._backward = _backward
        return out

    def run(self, epochs: int) -> None:
        hidden_units = range(len(self.w2))
        for _ in range(epochs):
            loss = self.Value(0.0)
            for xs, target in zip(self.x, self.y, strict=True):
                hidden = [
                    self.sigmoid(sum((self.w1[i][j] * xs[i] for i in range(2)), self.Value(0.0)))
                    for j in hidden_units
                ]
                pairs = zip(hidden, self.w2, strict=True)
                out = self.sigmoid(sum((h * w for h, w in pairs), self.Value(0.0)))
                loss = loss + 0.5 * (out - target) ** 2
            for p in self.params:
                p.grad = 0.0
            loss.backward()
            for p in self.params:
                p.data -= self.lr * p.grad
        self.loss = loss.data


def make_runner(workload: str, row: str) -> Runner:
    """A fresh implementation ``row`` of ``workload``, from the shared initial weights."""
    d, lr = DATA[workload](), LR[workload]
    row = row.split("@")[0]  # a baseline row runs the same loop on another engine
    if row == "numpy":
        return NumpyXor(d, lr) if workload == "xor" else NumpyTwoLayer(d, lr)
    if row in ("plain", "sgd"):
        return EngineNet(d, lr, workload, use_sgd=row == "sgd")
    if row == "torch":
        return TorchNet(d, lr, workload)
    if row == "micrograd" and workload == "xor":
        return MicrogradXor(d, lr)
    raise ValueError(f"no implementation {row!r} of {workload!r}")


# --------------------------------------------------------------------------- the worker side


def blas_threads() -> str:
    """How many threads this process's OpenBLAS uses, found through ctypes ("?" if not found)."""
    try:
        with open("/proc/self/maps") as maps:
            paths = sorted({line.split()[-1] for line in maps if "openblas" in line.lower()})
    except OSError:
        return "?"
    for path in paths:
        lib = ctypes.CDLL(path)
        for prefix, suffix in (("scipy_", "64_"), ("scipy_", ""), ("", "64_"), ("", "")):
            getter = getattr(lib, f"{prefix}openblas_get_num_threads{suffix}", None)
            if getter is not None:
                getter.restype = ctypes.c_int
                return str(getter())
    return "?"


def worker(workload: str, row: str) -> int:
    """Serve one implementation on stdin/stdout: ``run N`` -> "seconds faults", ``loss``.

    Prints a first line describing itself (library version, BLAS threads).
    """
    runner = make_runner(workload, row)
    if row == "torch":
        import torch  # noqa: PLC0415

        about = f"torch {torch.__version__}, {torch.get_num_threads()} intra-op threads"
    elif row == "micrograd":
        from importlib.metadata import version  # noqa: PLC0415

        about = f"micrograd {version('micrograd')}"
    else:
        about = f"numpy {np.__version__}, {blas_threads()} BLAS threads"
        if row != "numpy":
            from nngrade.reference import engine  # noqa: PLC0415

            about += f", {engine.__file__}"
    print(about, flush=True)
    for line in sys.stdin:
        command = line.split()
        if command[0] == "run":
            faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
            start = time.perf_counter()
            runner.run(int(command[1]))
            seconds = time.perf_counter() - start
            faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt - faults
            print(f"{seconds!r} {faults}", flush=True)
        elif command[0] == "loss":
            print(repr(runner.loss), flush=True)
    return 0


# --------------------------------------------------------------------------- the driving side


THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


class Worker:
    """One implementation in its own process, stopped (SIGSTOP) whenever it is not its turn.

    Stopped, because an idle process's BLAS or OpenMP threads spin for a while
    after their last task, and would take the cores from the one being timed.
    """

    def __init__(self, workload: str, row: str, env: dict[str, str]) -> None:
        self.process = subprocess.Popen(
            [sys.executable, os.path.abspath(__file__), "--worker", workload, row],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env={**os.environ, **env},
        )
        self.about = self._read()
        self._signal(signal.SIGSTOP)

    def _signal(self, which: signal.Signals) -> None:
        if self.process.poll() is None:
            os.kill(self.process.pid, which)

    def _read(self) -> str:
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError(f"a benchmark worker died (exit status {self.process.wait()})")
        return line.strip()

    def ask(self, command: str) -> str:
        assert self.process.stdin is not None
        self._signal(signal.SIGCONT)
        try:
            self.process.stdin.write(command + "\n")
            self.process.stdin.flush()
            return self._read()
        finally:
            self._signal(signal.SIGSTOP)

    def run(self, steps: int) -> tuple[float, int]:
        seconds, faults = self.ask(f"run {steps}").split()
        return float(seconds), int(faults)

    def close(self) -> None:
        assert self.process.stdin is not None
        self._signal(signal.SIGCONT)
        self.process.stdin.close()
        self.process.wait()


@dataclass
class RowResult:
    """What one row measured over all repeats."""

    steps_per_chunk: int
    about: str = ""
    chunk_ratios: list[float] = field(default_factory=list)  # per step, to numpy's same round
    total_ratios: list[float] = field(default_factory=list)  # per repeat, per step
    seconds_per_step: list[float] = field(default_factory=list)  # per repeat
    faults_per_step: list[float] = field(default_factory=list)  # per repeat
    final_loss: float = float("nan")


def measure(
    workload: str,
    rows: list[str],
    envs: dict[str, dict[str, str]],
    steps: int,
    chunks: int,
    repeats: int,
) -> dict[str, RowResult]:
    """Train every row ``steps`` steps a repeat, in ``chunks`` rotating rounds (see module doc).

    ``envs`` holds each row's environment variables (threads, allocator, engine).
    """
    per_chunk = steps // chunks
    share = {row: MICROGRAD_SHARE if row == "micrograd" else 1 for row in rows}
    results = {row: RowResult(max(per_chunk // share[row], 1)) for row in rows}
    for repeat in range(repeats):
        workers = {row: Worker(workload, row, envs[row]) for row in rows}  # fresh processes
        try:
            for row, w in workers.items():  # a first chunk, not counted: first-call costs
                w.run(results[row].steps_per_chunk)
            spent = {row: 0.0 for row in rows}
            faults = {row: 0 for row in rows}
            for c in range(chunks):
                turn = (c + repeat) % len(rows)
                seconds = {}
                for row in rows[turn:] + rows[:turn]:
                    seconds[row], f = workers[row].run(results[row].steps_per_chunk)
                    spent[row] += seconds[row]
                    faults[row] += f
                numpy_step = seconds["numpy"] / per_chunk
                for row in rows:
                    results[row].chunk_ratios.append(
                        seconds[row] / results[row].steps_per_chunk / numpy_step
                    )
            for row, w in workers.items():
                r = results[row]
                done = r.steps_per_chunk * chunks
                r.seconds_per_step.append(spent[row] / done)
                r.total_ratios.append((spent[row] / done) / (spent["numpy"] / steps))
                r.faults_per_step.append(faults[row] / done)
                r.final_loss = float(w.ask("loss"))
                r.about = w.about
        finally:
            for w in workers.values():
                w.close()
    return results


def all_rows(baseline: bool) -> list[str]:
    """Every row of the tables, in order."""
    if not baseline:
        return list(ROWS)
    at = ROWS.index("sgd") + 1
    return [*ROWS[:at], *BASELINE_ROWS, *ROWS[at:]]


def available_rows(without: set[str], baseline: bool = False) -> tuple[list[str], dict[str, str]]:
    """The rows that can run here, and for the others why not."""
    from importlib.util import find_spec  # noqa: PLC0415

    rows, missing = [], {}
    for row in all_rows(baseline):
        module = OPTIONAL.get(row)
        if row in without:
            missing[row] = "left out (--without)"
        elif module is not None and find_spec(module) is None:
            missing[row] = f"not installed (pip install {module})"
        else:
            rows.append(row)
    return rows, missing


def report(
    workload: str, results: dict[str, RowResult], missing: dict[str, str], order: list[str]
) -> list[tuple[str, str, float]]:
    """Print one workload's table; return (workload, row, median ratio) for the summary."""
    unit, scale, suffix = ("epoch", 1e6, "us") if workload == "xor" else ("step", 1e3, "ms")
    reference_loss = results["numpy"].final_loss
    summary = []
    print(
        f"    {'implementation':<32} {'time/' + unit:>13}  {'/ numpy':>8}  "
        f"{'faults/' + unit:>12}  final loss"
    )
    for row in order:
        label = LABELS[row]
        if (workload, row) in NOT_RUN:
            print(f"    {label:<32} {NOT_RUN[workload, row]}")
            continue
        if row in missing:
            print(f"    {label:<32} {missing[row]}")
            continue
        r = results[row]
        ratio = statistics.median(r.chunk_ratios)
        per = statistics.median(r.seconds_per_step) * scale
        faults = statistics.median(r.faults_per_step)
        loss_note = ""
        if row == "micrograd":
            loss_note = f" (after 1/{MICROGRAD_SHARE} of the {unit}s)"
        elif not math.isclose(r.final_loss, reference_loss, rel_tol=LOSS_RTOL, abs_tol=LOSS_ATOL):
            loss_note = "  LOSS DIFFERS FROM NUMPY'S"
        print(
            f"    {label:<32} {per:10.1f} {suffix}  {ratio:7.2f}x  {faults:12.1f}  "
            f"{r.final_loss:.6g}{loss_note}"
        )
        target = TARGETS.get((workload, row))
        totals = " ".join(f"{t:.2f}" for t in r.total_ratios)
        verdict = ""
        if target is not None:
            verdict = f"target <= {target:.2f}x: " + ("ok" if ratio <= target else "OVER TARGET")
        if row != "numpy":
            print(
                f"    {'':<32} median of {len(r.chunk_ratios)} rounds; totals per repeat "
                f"{totals}; {verdict or 'no target'}"
            )
            summary.append((workload, row, ratio))
    print(f"    ({'; '.join(f'{row}: {r.about}' for row, r in results.items())})")
    return summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", choices=["both", "1", "default"], default="both")
    parser.add_argument("--quick", action="store_true", help="a few steps only: a smoke test")
    parser.add_argument(
        "--without", default="", help="rows to leave out as if not installed: torch,micrograd"
    )
    parser.add_argument(
        "--no-trim", action="store_true", help="run every worker with glibc's trimming off"
    )
    parser.add_argument(
        "--baseline",
        metavar="DIR",
        help="another checkout's reference/ folder: its engine gets plain and nn.SGD rows too",
    )
    parser.add_argument("--worker", nargs=2, metavar=("WORKLOAD", "ROW"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        return worker(*args.worker)

    without = {name.strip() for name in args.without.split(",") if name.strip()}
    unknown = without - set(OPTIONAL)
    if unknown:
        parser.error(f"--without takes {', '.join(OPTIONAL)}; not {', '.join(sorted(unknown))}")
    steps = {"two-layer": 20, "xor": 200} if args.quick else {"two-layer": 1000, "xor": 10_000}
    chunks = {"two-layer": 2, "xor": 2} if args.quick else {"two-layer": 20, "xor": 50}
    baseline = os.path.abspath(args.baseline) if args.baseline else None
    if baseline and not os.path.isfile(os.path.join(baseline, "nngrade", "reference", "engine.py")):
        parser.error(f"--baseline {args.baseline}: no nngrade/reference/engine.py under it")
    rows, missing = available_rows(without, baseline is not None)
    print("training loops: the reference engine, PyTorch and micrograd against hand-written numpy")
    print(
        f"  python {platform.python_version()}, numpy {np.__version__}, "
        f"{platform.machine()} with {os.cpu_count()} CPUs"
    )
    prefixes = ("OPENBLAS", "OMP_", "MKL_", "MALLOC_")
    env = {k: v for k, v in os.environ.items() if k.startswith(prefixes)}
    print(f"  environment: {env or 'no OPENBLAS_/OMP_/MKL_/MALLOC_ variables'}")
    if args.no_trim:
        print(f"  --no-trim: every worker runs with {NO_TRIM}")
    if baseline:
        print(f"  --baseline: the baseline rows import nngrade.reference from {baseline}")
    if args.quick:
        print("  --quick: a smoke run, far too short for its figures to mean anything")
    print(
        f"  {args.repeats} repeats; each implementation in its own process, from the same "
        "initial weights, in turns (rotating order) of one chunk each"
    )
    summary: list[tuple[str, str, str, float]] = []
    choices: dict[str, list[int | None]] = {"both": [1, None], "1": [1], "default": [None]}
    settings = choices[args.threads]
    for threads in settings:
        label = "1 thread" if threads == 1 else "default threads"
        worker_env = dict(NO_TRIM) if args.no_trim else {}
        if threads is not None:
            worker_env.update({name: str(threads) for name in THREAD_VARIABLES})
        print("\n== " + ("1 BLAS thread" if threads == 1 else "default BLAS threads") + " ==")
        for workload in WORKLOADS:
            runnable = [row for row in rows if (workload, row) not in NOT_RUN]
            n, k = steps[workload], chunks[workload]
            if workload == "xor":
                print(f"  XOR net 2-10-1, sigmoid, no biases, full batch: {n} epochs, {k} chunks")
            else:
                print(f"  two-layer ReLU net 1000-100-10, 64 examples: {n} steps, {k} chunks")
            envs = {row: dict(worker_env) for row in runnable}
            for row in set(runnable) & set(BASELINE_ROWS):
                path = os.environ.get("PYTHONPATH")
                envs[row]["PYTHONPATH"] = os.pathsep.join(
                    [str(baseline), *([path] if path else [])]
                )
            results = measure(workload, runnable, envs, n, k, args.repeats)
            order = all_rows(baseline is not None)
            summary += [(label, *entry) for entry in report(workload, results, missing, order)]

    print("\nsummary (median time per step / numpy's, same rounds):")
    for label, workload, row, ratio in summary:
        target = TARGETS.get((workload, row))
        verdict = (
            ""
            if target is None
            else (f"(target <= {target:.2f}x) " + ("ok" if ratio <= target else "OVER TARGET"))
        )
        print(f"  {workload:<10} {LABELS[row]:<28} {label:<16} {ratio:7.2f}x  {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
