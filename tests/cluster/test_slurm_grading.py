"""``nngrade slurm --submit`` on the real one-node cluster grades the sample class like a plain run.

Four array tasks running ``nngrade grade --shard K/4`` and the merge job
running ``nngrade merge``, against ``nngrade grade`` on the same class with
the same seed: every student's results.json (but for timing and measured
durations) and the gradebook are identical, also when a task is killed
midway and requeued, and when a shard never ran, the merge refuses naming
it, and ``nngrade slurm rerun`` completes the run.

Nothing here is a stand-in: the jobs run this nngrade's own commands. To
kill a task midway the test waits until its shard has written the first of
its two students, stops that shard's processes (SIGSTOP, so it cannot grade
the second one) and kills them; to keep the merge waiting meanwhile it
holds the other pending tasks with ``scontrol hold``.
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
from run_comparison import comparable
from slurm_cluster import SlurmCluster

from nngrade.grade.shards import stable_shard

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "examples" / "submissions"
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
         "--seed", str(SEED), "--no-reports", "--submit", *extra],
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


def _assert_same_as_plain(out: Path, plain: Path) -> None:
    for student in STUDENTS:
        ours = json.loads((out / student / "results.json").read_text())
        theirs = json.loads((plain / student / "results.json").read_text())
        assert comparable(ours, keep_path=False) == comparable(theirs, keep_path=False), student
    with (out / "gradebook.csv").open() as a, (plain / "gradebook.csv").open() as b:
        assert list(csv.reader(a)) == list(csv.reader(b))


def _shard_pids(out: Path, shard: str) -> list[int]:
    """The processes of ``nngrade grade ... --out OUT --shard K/N`` (the command and its
    forked grading processes, which share its command line)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().decode("utf-8", "replace").split("\0")
        except OSError:
            continue
        if "--shard" in argv and "--out" in argv and "grade" in argv \
                and argv[argv.index("--shard") + 1] == shard \
                and argv[argv.index("--out") + 1] == str(out):
            pids.append(int(entry.name))
    return pids


def _wait_for(check: Any, timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"{what} did not happen within {timeout:g} s")


def test_four_shards_and_a_merge_equal_a_plain_run_with_a_task_killed_and_requeued(
        slurm_cluster: SlurmCluster, plain_run: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    env = slurm_cluster.env
    submitted = _submit(out, env, "--max-running", "2")
    assert "Submitted array job" in submitted.stdout
    rounds = json.loads((out / "slurm" / "jobs.json").read_text())["rounds"]
    assert len(rounds) == 1 and rounds[0]["shards"] == [1, 2, 3, 4]
    array, merge = rounds[0]["array_job"], rounds[0]["merge_job"]
    # Tasks 1 and 2 run (--max-running 2); 3 and 4 wait, held, so the merge waits too.
    slurm_cluster.run("scontrol", "hold", f"{array}_3", f"{array}_4")

    # Shard 2 grades dara, then gus (students by stable hash: both in shard 2 of 4).
    assert stable_shard("dara", 4) == stable_shard("gus", 4) == 2
    first_half = "dara"
    _wait_for(lambda: (out / first_half / "results.json").is_file(), 300,
              "shard 2's first result")
    pids = _shard_pids(out, "2/4")
    assert pids, "shard 2's processes not found"
    for pid in pids:
        os.kill(pid, signal.SIGSTOP)
    assert not (out / "gus" / "results.json").exists(), "shard 2 finished before it was stopped"
    graded_before = json.loads((out / first_half / "results.json").read_text())
    status = _status(out, env)
    assert _states(status)["2"] == "running"
    assert _states(status)["merge"] == "pending"
    assert status["merge"]["detail"] == "Dependency"
    for pid in pids:
        os.kill(pid, signal.SIGKILL)
    slurm_cluster.wait_state(f"{array}_2", {"FAILED"})
    status = _status(out, env)
    assert _states(status)["2"] == "failed"
    assert "exit status 137" in status["shards"][1]["detail"]
    assert not (out / ".shards" / "2-of-4.json").exists()  # nngrade's own record: not in

    slurm_cluster.run("scontrol", "requeue", f"{array}_2")
    status = _status(out, env)
    assert _states(status)["2"] in {"pending", "running"}
    slurm_cluster.run("scontrol", "release", f"{array}_3", f"{array}_4")
    slurm_cluster.wait_state(merge, {"COMPLETED"}, timeout=600)

    status = _status(out, env)
    assert set(_states(status).values()) == {"done"}
    assert status["students_with_results"] == len(STUDENTS) and status["gradebook"]
    record = json.loads((out / "slurm" / "shards" / "2.json").read_text())
    assert record["exit"] == 0 and record["restarts"] == 1
    assert slurm_cluster.job(f"{array}_2")["Restarts"] == "1"
    # The requeued task resumed: the student it had graded was not graded again.
    assert json.loads((out / first_half / "results.json").read_text()) == graded_before
    shard_2 = json.loads((out / ".shards" / "2-of-4.json").read_text())
    assert shard_2["students"] == ["dara", "gus"]
    assert (shard_2["graded"], shard_2["reused"]) == (1, 1)
    _assert_same_as_plain(out, plain_run)
    text = subprocess.run([NNGRADE, "slurm", "status", str(out)], env=env, text=True,
                          capture_output=True, check=True).stdout
    assert "4 shards: 4 done" in text and "All done" in text


def test_a_shard_that_never_ran_fails_the_merge_and_rerun_completes_the_run(
        slurm_cluster: SlurmCluster, plain_run: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    env = slurm_cluster.env
    _submit(out, env, "--max-running", "1")
    first = json.loads((out / "slurm" / "jobs.json").read_text())["rounds"][0]
    slurm_cluster.run("scancel", f"{first['array_job']}_3")  # still pending: one at a time
    slurm_cluster.wait_state(first["merge_job"], {"FAILED"}, timeout=600)

    status = _status(out, env)
    states = _states(status)
    # Cancelled before it ran, it left no record; Slurm (without accounting) may have
    # forgotten it by now: "failed" (CANCELLED) while it remembers, else "unknown".
    assert states.pop("3") in {"failed", "unknown"}
    assert states == {"1": "done", "2": "done", "4": "done", "merge": "failed"}
    assert not (out / "gradebook.csv").exists()
    merge_log = (out / "slurm" / "logs" / f"merge-{first['merge_job']}.err").read_text()
    assert "merge refused: shard(s) 3 of 4 have not finished" in merge_log
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
