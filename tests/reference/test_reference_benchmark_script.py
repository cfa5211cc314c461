"""benchmarks/bench_engine.py runs, with a row for every implementation (a smoke test, no timing).

The script is run in its tiny ``--quick`` mode only: it checks that every
row is there with a ratio, or says why not, never how fast anything is.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "benchmarks" / "bench_engine.py"


def run_quick(*extra: str) -> str:
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "--quick", "--repeats", "1", "--threads", "1", *extra],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def row(stdout: str, workload: str, label: str) -> str:
    """The line of ``label`` in ``workload``'s table."""
    table = stdout.split("XOR net")[1 if workload == "xor" else 0]
    return next(line for line in table.splitlines() if line.strip().startswith(label))


def load_script(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_engine", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "bench_engine", module)  # dataclasses look it up there
    spec.loader.exec_module(module)
    return module


def test_quick_run_has_a_ratio_for_every_engine_row_and_says_why_other_rows_are_missing() -> None:
    # The baseline is this checkout's own engine: what is checked is that its rows run.
    stdout = run_quick("--without", "torch,micrograd", "--baseline", str(ROOT / "reference"))
    engine_rows = (
        "numpy, hand-written",
        "engine, plain Tensor loop",
        "engine, nn.SGD loop",
        "baseline engine, plain loop",
        "baseline engine, nn.SGD loop",
    )
    for workload in ("two-layer", "xor"):
        for label in engine_rows:
            line = row(stdout, workload, label)
            assert "x " in line and "LOSS DIFFERS" not in line, line
        assert "left out (--without)" in row(stdout, workload, "PyTorch autograd")
    assert "not run" in row(stdout, "two-layer", "micrograd")
    assert "left out (--without)" in row(stdout, "xor", "micrograd")
    assert "summary" in stdout and "target <= 1.10x" in stdout


def test_libraries_that_are_not_installed_get_a_row_that_says_so(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    bench = load_script(monkeypatch)
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *a: None if name in ("torch", "micrograd") else real(name, *a),
    )
    rows, missing = bench.available_rows(set())
    assert rows == ["numpy", "plain", "sgd"]
    assert missing == {
        "torch": "not installed (pip install torch)",
        "micrograd": "not installed (pip install micrograd)",
    }


@pytest.mark.parametrize(
    ("option", "message"),
    [
        (["--without", "numpy"], "--without takes torch, micrograd"),
        (["--baseline", "/nonexistent"], "no nngrade/reference/engine.py under it"),
    ],
)
def test_bad_options_are_refused_with_a_reason(option: list[str], message: str) -> None:
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "--quick", *option],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2 and message in result.stderr
