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
    assert abs(summary["ratio_of_minimums"] - round_["ratio"]) < 0.01


def test_bench_shards_refuses_a_checkout_it_would_not_measure(tmp_path: Path) -> None:
    done = _bench("--checkout", str(tmp_path))  # no nngrade there: this one would be used
    assert done.returncode != 0
    assert "nngrade is imported from" in done.stderr


def test_shard_timeline_stamps_a_cold_shard_and_profiles_the_merge() -> None:
    done = subprocess.run([sys.executable, str(REPO / "benchmarks" / "shard_timeline.py"),
                           "--students", "6", "--shards", "2", "--show", "2", "--jobs", "1",
                           "--rounds", "1", "--top", "5"],
                          capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    lines = done.stdout.splitlines()
    assert lines[0].startswith("Shard 2/2 of 6 students")
    end = next(i for i, line in enumerate(lines) if line.startswith("Replay trees the run"))
    steps = [line.split(None, 1) for line in lines[1:end]]
    times = [float(at) for at, _ in steps]
    assert times == sorted(times) and len(steps) > 10
    assert "interpreter up" in steps[0][1] and "process gone" in steps[-1][1]
    assert any("replay trees loaded" in what for _, what in steps)
    assert json.loads(lines[end].split(":", 1)[1])["files"] >= 1
    assert any(line.startswith("nngrade merge, cold, under cProfile:") for line in lines)
