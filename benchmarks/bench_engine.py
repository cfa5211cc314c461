"""Benchmark: the reference engine against hand-written numpy backprop, the floor.

    python benchmarks/bench_engine.py [--repeats 5] [--threads both|1|default] [--quick]

Two workloads from the lecture, each trained from the same initial weights
by (a) hand-written numpy forward and backward passes, as the lecture writes
them, and (b) the reference engine (``Tensor`` + ``backward`` + ``SGD``):

* the two-layer ReLU network: x 64x1000, w1 1000x100, w2 100x10, float64,
  loss sum((y_pred - y)**2), 1000 steps of lr 1e-6. BLAS-bound: the engine
  must add almost nothing (target <= 1.10x);
* the XOR network: 2-10-1 sigmoid, no biases, 10,000 full-batch epochs of
  lr 0.5. Every array is tiny, so this measures per-operation overhead
  (target <= 2.5x).

Both implementations run in this one process, interleaved in small chunks
(which one goes first alternates), so that both see the same machine load.
The headline figure is the median over all chunks of engine time / hand time
for the same chunk of training, which a load spike from another process
moves far less than a ratio of totals (also printed, per repeat).
Everything runs once with one BLAS thread and once with the
default number, switched in-process through threadpoolctl if installed,
otherwise through OpenBLAS's own ``*_set_num_threads`` found with ctypes.
PyTorch and micrograd are timed too when importable (they are not
dependencies).
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable, Iterator

import numpy as np

from nngrade.reference.engine import Tensor
from nngrade.reference.nn import SGD

TARGETS = {"two-layer": 1.10, "xor": 2.5}


# --------------------------------------------------------------------------- BLAS threads


class BlasThreads:
    """Read and limit the number of BLAS threads of this process."""

    def __init__(self) -> None:
        self.how = "unavailable"
        self._get: Callable[[], int] | None = None
        self._set: Callable[[int], None] | None = None
        try:
            import threadpoolctl  # noqa: PLC0415 - optional

            controller = threadpoolctl.ThreadpoolController()
            blas = controller.select(user_api="blas")
            self._get = lambda: max(info["num_threads"] for info in blas.info())
            self._set = lambda n: blas.limit(limits=n)
            self.how = "threadpoolctl"
            self._threadpoolctl = controller
            return
        except ImportError:
            pass
        self._find_openblas()

    def _find_openblas(self) -> None:
        try:
            with open("/proc/self/maps") as maps:
                paths = sorted({line.split()[-1] for line in maps if "openblas" in line.lower()})
        except OSError:
            return
        for path in paths:
            lib = ctypes.CDLL(path)
            for prefix, suffix in (("scipy_", "64_"), ("scipy_", ""), ("", "64_"), ("", "")):
                setter = getattr(lib, f"{prefix}openblas_set_num_threads{suffix}", None)
                getter = getattr(lib, f"{prefix}openblas_get_num_threads{suffix}", None)
                if setter is not None and getter is not None:
                    getter.restype = ctypes.c_int
                    setter.argtypes = [ctypes.c_int]
                    self._get, self._set = getter, setter
                    self.how = f"ctypes {os.path.basename(path)} {setter.__name__}"
                    return

    def current(self) -> int | None:
        return self._get() if self._get else None

    @contextlib.contextmanager
    def limit(self, n: int | None) -> Iterator[None]:
        """Run the block with ``n`` BLAS threads (None: leave the default)."""
        if n is None or self._set is None:
            yield
            return
        if self.how == "threadpoolctl":
            import threadpoolctl  # noqa: PLC0415

            with threadpoolctl.threadpool_limits(limits=n, user_api="blas"):
                yield
            return
        before = self.current()
        self._set(n)
        try:
            yield
        finally:
            self._set(before)


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


class HandTwoLayer:
    """The lecture's numpy network, forward and backward written out by hand."""

    def __init__(self, d: dict[str, np.ndarray], lr: float = 1e-6) -> None:
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


class EngineTwoLayer:
    """The same network with the reference engine: forward only, backward by autodiff."""

    def __init__(self, d: dict[str, np.ndarray], lr: float = 1e-6) -> None:
        self.x, self.y = d["x"], d["y"]
        self.w1 = Tensor(d["w1"].copy(), requires_grad=True)
        self.w2 = Tensor(d["w2"].copy(), requires_grad=True)
        self.opt = SGD([self.w1, self.w2], lr=lr)
        self.loss = float("nan")

    def run(self, steps: int) -> None:
        x, y, w1, w2, opt = self.x, self.y, self.w1, self.w2, self.opt
        for _ in range(steps):
            y_pred = (x @ w1).relu() @ w2
            loss = ((y_pred - y) ** 2).sum()
            loss.backward()
            opt.step()
            opt.zero_grad()
        self.loss = loss.item()


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-z))


class HandXor:
    """The lecture's XOR network with hand-derived deltas."""

    def __init__(self, d: dict[str, np.ndarray], lr: float = 0.5) -> None:
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


class EngineXor:
    """The XOR network with the reference engine."""

    def __init__(self, d: dict[str, np.ndarray], lr: float = 0.5) -> None:
        self.x, self.y = d["x"], d["y"]
        self.w1 = Tensor(d["w1"].copy(), requires_grad=True)
        self.w2 = Tensor(d["w2"].copy(), requires_grad=True)
        self.opt = SGD([self.w1, self.w2], lr=lr)
        self.loss = float("nan")

    def run(self, epochs: int) -> None:
        x, y, w1, w2, opt = self.x, self.y, self.w1, self.w2, self.opt
        for _ in range(epochs):
            a2 = ((x @ w1).sigmoid() @ w2).sigmoid()
            loss = 0.5 * ((a2 - y) ** 2).sum()
            loss.backward()
            opt.step()
            opt.zero_grad()
        self.loss = loss.item()


def torch_runners() -> dict[str, type]:
    """PyTorch CPU autograd versions, if torch is importable."""
    try:
        import torch  # noqa: PLC0415 - optional
    except ImportError:
        return {}

    class TorchNet:
        def __init__(self, d: dict[str, np.ndarray], lr: float, kind: str) -> None:
            self.kind, self.lr = kind, lr
            self.x, self.y = torch.from_numpy(d["x"]), torch.from_numpy(d["y"])
            self.w1 = torch.tensor(d["w1"], requires_grad=True)
            self.w2 = torch.tensor(d["w2"], requires_grad=True)
            self.loss = float("nan")

        def run(self, n: int) -> None:
            x, y, w1, w2, lr = self.x, self.y, self.w1, self.w2, self.lr
            for _ in range(n):
                if self.kind == "xor":
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

    return {
        "two-layer": lambda d: TorchNet(d, 1e-6, "two-layer"),
        "xor": lambda d: TorchNet(d, 0.5, "xor"),
    }


def micrograd_xor() -> Callable | None:
    """micrograd's scalar engine on XOR, if micrograd is importable."""
    try:
        from micrograd.engine import Value  # noqa: PLC0415 - optional
    except ImportError:
        return None
    if not (hasattr(Value, "exp") or hasattr(Value, "tanh")):
        print("  (micrograd is installed but its Value has neither exp nor tanh: no sigmoid)")
        return None

    def sigmoid(v: Value) -> Value:
        if hasattr(v, "exp"):
            return 1 / (1 + (-v).exp())
        return 0.5 * ((v * 0.5).tanh() + 1)

    class MicrogradXor:
        def __init__(self, d: dict[str, np.ndarray], lr: float = 0.5) -> None:
            self.x, self.y, self.lr = d["x"].tolist(), d["y"].ravel().tolist(), lr
            self.w1 = [[Value(float(v)) for v in row] for row in d["w1"]]
            self.w2 = [Value(float(v)) for v in d["w2"].ravel()]
            self.params = [w for row in self.w1 for w in row] + self.w2
            self.loss = float("nan")

        def run(self, epochs: int) -> None:
            for _ in range(epochs):
                loss = 0
                for xs, target in zip(self.x, self.y, strict=True):
                    hidden = [
                        sigmoid(sum((self.w1[i][j] * xs[i] for i in range(2)), Value(0.0)))
                        for j in range(len(self.w2))
                    ]
                    pairs = zip(hidden, self.w2, strict=True)
                    out = sigmoid(sum((h * w for h, w in pairs), Value(0.0)))
                    loss = loss + 0.5 * (out - target) ** 2
                for p in self.params:
                    p.grad = 0.0
                loss.backward()
                for p in self.params:
                    p.data -= self.lr * p.grad
            self.loss = loss.data

    return MicrogradXor


# --------------------------------------------------------------------------- timing


def interleaved(
    runners: dict[str, Callable], data: dict[str, np.ndarray], total: int, chunks: int
) -> tuple[list[dict[str, float]], dict[str, float]]:
    """Train each runner ``total`` steps from the same data, in alternating chunks.

    Returns the seconds of every chunk for every runner, and the final losses.
    """
    live = {name: make(data) for name, make in runners.items()}
    names = list(live)
    per_chunk = total // chunks
    timings = []
    for c in range(chunks):
        seconds = {}
        for name in names if c % 2 == 0 else names[::-1]:
            start = time.perf_counter()
            live[name].run(per_chunk)
            seconds[name] = time.perf_counter() - start
        timings.append(seconds)
    return timings, {name: r.loss for name, r in live.items()}


def bench(
    name: str, runners: dict[str, Callable], data: dict, total: int, repeats: int, chunks: int
) -> dict:
    """Median chunk-by-chunk ratio engine/hand (robust to load from other processes),
    and per repeat the ratio of total times."""
    chunk_ratios: list[float] = []
    totals: list[dict[str, float]] = []
    for _ in range(repeats):
        timings, losses = interleaved(runners, data, total, chunks)
        chunk_ratios += [t["engine"] / t["hand-written"] for t in timings]
        totals.append({k: sum(t[k] for t in timings) for k in runners})
    return {
        "name": name,
        "median_seconds": {k: statistics.median(t[k] for t in totals) for k in runners},
        "losses": losses,
        "ratios": [t["engine"] / t["hand-written"] for t in totals],
        "median_ratio": statistics.median(chunk_ratios),
        "chunks": len(chunk_ratios),
    }


def report(result: dict, total: int, unit: str, extra: dict[str, float] | None = None) -> None:
    hand = result["median_seconds"]["hand-written"]
    for impl, sec in result["median_seconds"].items():
        per = sec / total * (1e6 if unit == "epoch" else 1e3)
        per_unit = f"{per:8.1f} {'us' if unit == 'epoch' else 'ms'}/{unit}"
        print(
            f"    {impl:<14} {sec:8.3f} s  {per_unit}  {sec / hand:6.2f}x"
            f"   final loss {result['losses'][impl]:.6g}"
        )
    for impl, ratio in (extra or {}).items():
        print(f"    {impl:<14} {'':>8}    {'':>14}  {ratio:6.2f}x   (fewer steps, scaled)")
    target = TARGETS[result["name"]]
    verdict = "within target" if result["median_ratio"] <= target else "OVER TARGET"
    ratios = " ".join(f"{r:.2f}" for r in result["ratios"])
    print(
        f"    engine / hand-written: median {result['median_ratio']:.2f}x over "
        f"{result['chunks']} paired chunks; target <= {target:.2f}x: {verdict}"
    )
    print(f"    (ratio of total times, per repeat: {ratios})")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", choices=["both", "1", "default"], default="both")
    parser.add_argument("--quick", action="store_true", help="a few steps only: a smoke test")
    args = parser.parse_args(argv)

    steps, epochs = (20, 200) if args.quick else (1000, 10_000)
    chunks = (2, 2) if args.quick else (20, 50)  # 50 steps, 200 epochs a chunk
    blas = BlasThreads()
    print("nngrade reference engine vs hand-written numpy backprop")
    print(
        f"  python {platform.python_version()}, numpy {np.__version__}, "
        f"{platform.machine()} with {os.cpu_count()} CPUs"
    )
    print(f"  BLAS thread control: {blas.how}; default BLAS threads: {blas.current()}")
    prefixes = ("OPENBLAS", "OMP_", "MKL_", "MALLOC_")
    env = {k: v for k, v in os.environ.items() if k.startswith(prefixes)}
    print(f"  environment: {env or 'no OPENBLAS_/OMP_/MKL_/MALLOC_ variables'}")
    print(
        f"  {args.repeats} repeats; each trains every implementation from the same initial "
        f"weights, interleaved in {chunks[0]} (two-layer) and {chunks[1]} (XOR) chunks, "
        "alternating which goes first"
    )

    torch_impl = torch_runners()
    micrograd = micrograd_xor()
    settings = {"both": [1, None], "1": [1], "default": [None]}[args.threads]
    summary = []
    for threads in settings:
        label = "1 BLAS thread" if threads == 1 else f"default BLAS threads ({blas.current()})"
        with blas.limit(threads):
            if threads == 1 and blas.how == "unavailable":
                label = "1 BLAS thread requested, but no way to set it: default threads"
            print(f"\n== {label} ==")
            if torch_impl:
                import torch  # noqa: PLC0415

                torch.set_num_threads(threads or os.cpu_count() or 1)

            runners = {"hand-written": HandTwoLayer, "engine": EngineTwoLayer}
            if torch_impl:
                runners["torch"] = torch_impl["two-layer"]
            print(f"  two-layer ReLU net: x 64x1000, w1 1000x100, w2 100x10, {steps} steps")
            r = bench("two-layer", runners, two_layer_data(), steps, args.repeats, chunks[0])
            report(r, steps, "step")
            summary.append((label, "two-layer", r["median_ratio"]))

            runners = {"hand-written": HandXor, "engine": EngineXor}
            if torch_impl:
                runners["torch"] = torch_impl["xor"]
            print(f"  XOR net 2-10-1, sigmoid, no biases, full batch, {epochs} epochs")
            r = bench("xor", runners, xor_data(), epochs, args.repeats, chunks[1])
            extra = {}
            if micrograd is not None:
                few = max(epochs // 50, 1)
                timings, _ = interleaved(
                    {"hand-written": HandXor, "micrograd": micrograd}, xor_data(), few, 1
                )
                extra["micrograd"] = timings[0]["micrograd"] / timings[0]["hand-written"]
            report(r, epochs, "epoch", extra)
            summary.append((label, "xor", r["median_ratio"]))

    print("\nsummary (median engine / hand-written):")
    for label, name, ratio in summary:
        ok = "ok" if ratio <= TARGETS[name] else "OVER TARGET"
        print(f"  {name:<10} {label:<40} {ratio:5.2f}x  (target <= {TARGETS[name]:.2f}x) {ok}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
