"""benchmarks/bench_one.py runs (a smoke test: one round, no timing claims)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_one.py"


def test_bench_one_measures_a_round_with_its_breakdown() -> None:
    done = subprocess.run([sys.executable, str(SCRIPT), "--rounds", "1", "--breakdown",
                           "--json"], capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    figures = json.loads(done.stdout)
    (round_,) = figures["rounds"]
    assert round_["score"] == 100  # ada, graded in full
    assert round_["grade"] > 0 and round_["reference"] > 0
    assert figures["ratio_median"] == round_["ratio"]
    parts = round_["breakdown"]
    assert {"interpreter", "imports_and_suites", "sandbox_start", "grading", "reports"} <= \
        set(parts)
    assert all(parts[k] > 0 for k in ("interpreter", "imports_and_suites", "sandbox_start",
                                      "grading", "grading_process_cpu", "reports"))
    assert len(parts["costliest_tests"]) == 4
