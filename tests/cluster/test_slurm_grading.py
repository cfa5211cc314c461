"""``nngrade slurm --submit`` on the real one-node cluster grades the sample class like a plain run.

Four array tasks and the merge job, against ``nngrade grade`` on the same
class with the same seed: every student's results.json (but for timing and
where the copy was read from) and the gradebook are identical, also when a
task is killed midway and requeued, and when a shard fails, the merge
refuses, and ``nngrade slurm rerun`` completes the run.

``nngrade grade --shard`` and ``nngrade merge`` do not exist yet, so the
jobs run tests/cluster/stand_in.py through ``--grade-command`` and
``--merge-command``: real grading by ``nngrade grade`` on each shard's
students, a merge that refuses when a student is missing. Once the real
commands exist, dropping those two options makes this the end-to-end test.
"""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from slurm_cluster import SlurmCluster

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "examples" / "submissions"
STAND_IN = Path(__file__).resolve().parent / "stand_in.py"
NNGRADE = str(Path(sys.executable).parent / "nngrade")
SEED = 20261204
STUDENTS = sorted(p.stem if p.is_file() else p.name for p in SAMPLE.iterdir())


@pytest.fixture(scope="module")
def plain_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("plain")
    subprocess.run([NNGRADE, "grade", str(SAMPLE), "--out", str(out), "--seed", str(SEED),
                    "-j", "2", "--no-reports"], check=True, capture_output=True, timeout=600)
    return out


def _submit(out: Path, env: dict[str, str], *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [NNGRADE, "slurm", str(SAMPLE), "--out", str(out), "--shards", "4", "-j", "1",
         "--seed", str(SEED), "--no-reports",
         "--grade-command", f"{sys.executable} {STAND_IN} grade",
         "--merge-command", f"{sys.executable} {STAND_IN} merge", "--submit", *extra],
        env=env, capture_output=True, text=True, timeout=120, check=True)


def _status(out: Path, env: dict[str, str]) -> dict[str, Any]:
    done = subprocess.run([NNGRADE, "slurm", "status", str(out), "--json"], env=env,
                          capture_output=True, text=True, timeout=120, check=True)
    data: dict[str, Any] = json.loads(done.stdout)
    return data


def _states(status: dict[str, Any]) -> dict[str, str]:
    return {s["name"]: s["state"] for s in [*status["shards"], status["merge"]]}


def _wait_file(path: Path, timeout: float = 300) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.is_file() and path.read_text().strip():
            return path.read_text()
        time.sleep(0.2)
    raise AssertionError(f"{path} did not appear within {timeout:g} s")


def _comparable(results: dict[str, Any]) -> dict[str, Any]:
    """results.json without what legitimately differs between runs: times, the copy's path."""
    doc = json.loads(json.dumps(results))
    doc.pop("execution_time", None)
    info = doc["nngrade"]
    for key in ("graded_at", "timing"):
        info.pop(key, None)
    info.get("source", {}).pop("path", None)
    for test in doc["tests"]:
        test.get("extra_data", {}).pop("seconds", None)
    return doc


def _assert_same_as_plain(out: Path, plain: Path) -> None:
    for student in STUDENTS:
        ours = json.loads((out / student / "results.json").read_text())
        theirs = json.loads((plain / student / "results.json").read_text())
        assert _comparable(ours) == _comparable(theirs), student
    with (out / "gradebook.csv").open() as a, (plain / "gradebook.csv").open() as b:
        assert list(csv.reader(a)) == list(csv.reader(b))


def test_four_shards_and_a_merge_equal_a_plain_run_with_a_task_killed_and_requeued(
        slurm_cluster: SlurmCluster, plain_run: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    gate = tmp_path / "gate"
    env = {**slurm_cluster.env, "STAND_IN_HOLD": "2", "STAND_IN_GATE": str(gate)}
    submitted = _submit(out, env, "--max-running", "2")
    assert "Submitted array job" in submitted.stdout
    rounds = json.loads((out / "slurm" / "jobs.json").read_text())["rounds"]
    assert len(rounds) == 1 and rounds[0]["shards"] == [1, 2, 3, 4]
    array, merge = rounds[0]["array_job"], rounds[0]["merge_job"]

    # Shard 2 has graded the first of its two students and holds: kill it there.
    pid = int(_wait_file(out / ".stand-in" / "hold-2.pid"))
    first_half = STUDENTS[1]  # shard 2 of 4 holds students 1 and 5 in name order
    graded_before = json.loads((out / first_half / "results.json").read_text())
    status = _status(out, env)
    assert _states(status)["2"] == "running"
    assert _states(status)["merge"] == "pending"
    assert status["merge"]["detail"] == "Dependency"
    os.kill(pid, signal.SIGKILL)
    slurm_cluster.wait_state(f"{array}_2", {"FAILED"})
    status = _status(out, env)
    assert _states(status)["2"] == "failed"
    assert "exit status 137" in status["shards"][1]["detail"]

    slurm_cluster.run("scontrol", "requeue", f"{array}_2")
    status = _status(out, env)
    assert _states(status)["2"] in {"pending", "running"}
    gate.touch()
    slurm_cluster.wait_state(merge, {"COMPLETED"}, timeout=600)

    status = _status(out, env)
    assert set(_states(status).values()) == {"done"}
    assert status["students_with_results"] == len(STUDENTS) and status["gradebook"]
    record = json.loads((out / "slurm" / "shards" / "2.json").read_text())
    assert record["exit"] == 0 and record["restarts"] == 1
    assert slurm_cluster.job(f"{array}_2")["Restarts"] == "1"
    # The requeued task resumed: the student it had graded was not graded again.
    assert json.loads((out / first_half / "results.json").read_text()) == graded_before
    _assert_same_as_plain(out, plain_run)
    text = subprocess.run([NNGRADE, "slurm", "status", str(out)], env=env, text=True,
                          capture_output=True, check=True).stdout
    assert "4 shards: 4 done" in text and "All done" in text


def test_a_failed_shard_fails_the_merge_and_rerun_completes_the_run(
        slurm_cluster: SlurmCluster, plain_run: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    env = {**slurm_cluster.env, "STAND_IN_FAIL_ONCE": "3"}
    _submit(out, env)
    first = json.loads((out / "slurm" / "jobs.json").read_text())["rounds"][0]
    slurm_cluster.wait_state(first["merge_job"], {"FAILED"}, timeout=600)

    status = _status(out, env)
    assert _states(status) == {"1": "done", "2": "done", "3": "failed", "4": "done",
                               "merge": "failed"}
    assert "exit status 3" in status["shards"][2]["detail"]
    assert not (out / "gradebook.csv").exists()
    merge_log = (out / "slurm" / "logs" / f"merge-{first['merge_job']}.err").read_text()
    assert "merge refused: no results for" in merge_log
    text = subprocess.run([NNGRADE, "slurm", "status", str(out)], env=env, text=True,
                          capture_output=True, check=True).stdout
    assert "shard(s) 3 did not finish" in text and "nngrade slurm rerun" in text

    rerun = subprocess.run([NNGRADE, "slurm", "rerun", str(out)], env=env, text=True,
                           capture_output=True, check=True)
    assert "Submitted shard(s) 3" in rerun.stdout
    rounds = json.loads((out / "slurm" / "jobs.json").read_text())["rounds"]
    assert len(rounds) == 2 and rounds[1]["shards"] == [3]
    slurm_cluster.wait_state(rounds[1]["merge_job"], {"COMPLETED"}, timeout=600)

    status = _status(out, env)
    assert set(_states(status).values()) == {"done"}
    assert status["shards"][2]["job"] == f"{rounds[1]['array_job']}_3"
    _assert_same_as_plain(out, plain_run)
    again = subprocess.run([NNGRADE, "slurm", "rerun", str(out)], env=env, text=True,
                           capture_output=True, check=True)
    assert "Nothing to rerun" in again.stdout
