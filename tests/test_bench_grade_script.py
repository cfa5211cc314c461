"""benchmarks/bench_grade.py runs (a smoke test: six students, no timing claims).

The benchmark drives ``nngrade grade`` as a command and the naive harness
(benchmarks/naive_conftest.py) through plain pytest; both must keep working
as the grader changes, and must agree on what passed.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_grade.py"


def test_benchmark_script_quick_run() -> None:
    done = subprocess.run([sys.executable, str(SCRIPT), "--quick"], capture_output=True,
                          text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    figures = json.loads(done.stdout)
    (round_,) = figures["rounds"]
    assert round_["naive"]["submissions"] == 2
    assert round_["this checkout"]["submissions"] == 6
    assert round_["this checkout"]["ratio_to_naive"] > 0
    assert figures["naive_agrees"].startswith("2/2 ")
