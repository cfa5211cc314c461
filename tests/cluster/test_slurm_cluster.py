"""The one-node Slurm cluster is real: job arrays, dependencies, and a killed task requeued.

These are the three Slurm behaviours ``nngrade slurm`` relies on, checked
with plain shell jobs before nngrade's own scripts use them.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

from slurm_cluster import SlurmCluster

ENDED = {"COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", "NODE_FAIL", "OUT_OF_MEMORY"}


def _script(path: Path, body: str) -> Path:
    path.write_text("#!/bin/bash\nset -eu\n" + body)
    path.chmod(0o755)
    return path


def _wait_for_file(path: Path, timeout: float = 60) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists() and path.read_text().strip():
            return path.read_text()
        time.sleep(0.1)
    raise AssertionError(f"{path} was not written within {timeout:g} s")


def test_node_is_this_machine(slurm_cluster: SlurmCluster) -> None:
    info = slurm_cluster.run("scontrol", "--oneliner", "show", "node").stdout
    fields = dict(tok.split("=", 1) for tok in info.split() if "=" in tok)
    assert fields["NodeName"] == slurm_cluster.host
    assert int(fields["CPUTot"]) == os.cpu_count()
    assert fields["State"].startswith("IDLE")


def test_array_of_four_then_a_job_that_waits_for_all_of_it(slurm_cluster: SlurmCluster,
                                                           tmp_path: Path) -> None:
    work = _script(tmp_path / "task.sh", f"""
sleep 2
task=$SLURM_ARRAY_TASK_ID
echo "$SLURM_ARRAY_JOB_ID $task $SLURM_ARRAY_TASK_COUNT" > {tmp_path}/task-$task
""")
    after = _script(tmp_path / "after.sh", f"""
ls {tmp_path} | grep -c '^task-' > {tmp_path}/after
""")
    array = slurm_cluster.sbatch("--array=1-4", f"--output={tmp_path}/%A_%a.out", str(work))
    merge = slurm_cluster.sbatch(f"--dependency=afterany:{array}",
                                 f"--output={tmp_path}/after.out", str(after))
    waiting = slurm_cluster.job(merge)
    assert waiting["JobState"] == "PENDING" and waiting["Reason"] == "Dependency"

    slurm_cluster.wait_state(merge, {"COMPLETED"})
    tasks = sorted((tmp_path / f"task-{k}").read_text().split() for k in range(1, 5))
    assert tasks == [[array, str(k), "4"] for k in range(1, 5)]
    assert (tmp_path / "after").read_text().strip() == "4"  # it ran after all four ended
    for k in range(1, 5):
        assert slurm_cluster.state(f"{array}_{k}") == "COMPLETED"


def test_a_task_killed_midway_is_requeued_and_completes(slurm_cluster: SlurmCluster,
                                                        tmp_path: Path) -> None:
    work = _script(tmp_path / "work.sh", f"""
attempt=${{SLURM_RESTART_COUNT:-0}}
echo "task $SLURM_ARRAY_TASK_ID attempt $attempt" >> {tmp_path}/log-$SLURM_ARRAY_TASK_ID
if [ "$SLURM_ARRAY_TASK_ID" = 2 ] && [ "$attempt" = 0 ]; then
    sleep 300 &
    echo $! > {tmp_path}/victim
    wait $!
fi
echo done > {tmp_path}/done-$SLURM_ARRAY_TASK_ID
""")
    array = slurm_cluster.sbatch("--array=1-2", "--requeue", f"--output={tmp_path}/%A_%a.out",
                                 str(work))
    victim = int(_wait_for_file(tmp_path / "victim"))
    assert slurm_cluster.state(f"{array}_2") == "RUNNING"
    os.kill(victim, signal.SIGKILL)  # the task's work dies midway; `set -e` fails the task
    failed = slurm_cluster.wait_state(f"{array}_2", {"FAILED"})
    assert not (tmp_path / "done-2").exists()
    assert failed["ExitCode"] != "0:0"

    slurm_cluster.run("scontrol", "requeue", f"{array}_2")
    assert slurm_cluster.state(f"{array}_2") in {"PENDING", "REQUEUED", "RUNNING", "COMPLETED"}
    done = slurm_cluster.wait_state(f"{array}_2", {"COMPLETED"})
    assert done["Restarts"] == "1"
    assert (tmp_path / "done-2").read_text().strip() == "done"
    assert (tmp_path / "log-2").read_text().splitlines() == ["task 2 attempt 0",
                                                             "task 2 attempt 1"]
    slurm_cluster.wait_state(f"{array}_1", {"COMPLETED"})
