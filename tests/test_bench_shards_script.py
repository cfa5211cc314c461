"""benchmarks/bench_shards.py runs (a smoke test: one small round, no timing claims)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SCRIPT = REPO / "benchmarks" / "bench_shards.py"


def _bench(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(SCRIPT), "--students", "6", "--shards", "2",
                           "--jobs", "1", "--rounds", "1", *args],
                          capture_output=True, text=True, timeout=600, check=False)


def test_bench_shards_grades_a_round_with_another_checkout(tmp_path: Path) -> None:
    done = _bench("--checkout", str(REPO))
    assert done.returncode == 0, done.stderr[-3000:]
    summary = json.loads(done.stdout[done.stdout.index("{\n"):])
    (round_,) = summary["rounds"]
    assert summary["checkout"] == str(REPO)
    assert round_["same_gradebook"] and summary["all_gradebooks_identical"]
    assert len(round_["shard_and_merge_s"]) == 3  # 2 shards, then the merge
    assert len(round_["load_average"]) == 3


def test_bench_shards_refuses_a_checkout_it_would_not_measure(tmp_path: Path) -> None:
    done = _bench("--checkout", str(tmp_path))  # no nngrade there: this one would be used
    assert done.returncode != 0
    assert "nngrade is imported from" in done.stderr
