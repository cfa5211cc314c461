"""benchmarks/bench_engine.py runs (a smoke test: a few steps, no timing claims)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "bench_engine.py"


def test_benchmark_script_quick_run() -> None:
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "--quick", "--repeats", "1", "--threads", "1"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert "two-layer" in result.stdout and "xor" in result.stdout
    assert "engine / hand-written: median" in result.stdout
