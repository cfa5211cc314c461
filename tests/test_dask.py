"""``nngrade grade --cluster``: grading on Dask workers equals grading in the local pool.

A 2-worker LocalCluster grades four sample students into the same
results.json documents and gradebook as ``-j 2``; a worker killed while the
class is being graded costs a retry of its chunk, and every student is
graded exactly once, with the same results.
"""

from __future__ import annotations

import csv
import json
import os
import signal
from pathlib import Path
from typing import Any

import pytest
from run_comparison import comparable
from sample_class import copy_sample_class

distributed = pytest.importorskip("distributed", reason="the Dask tests need nngrade[dask] "
                                  "(dask[distributed]), which the test extra installs")

from nngrade.grade.dask_cluster import chunk_size, grade_on_dask, parse_cluster  # noqa: E402
from nngrade.grade.options import BatchOptions  # noqa: E402
from nngrade.grade.pipeline import grade_class  # noqa: E402
from nngrade.intake import read_submissions  # noqa: E402
from nngrade.rubric import load_rubric  # noqa: E402

CLASS = ("ada", "ben", "chen", "dara")
SEED = 11


def _options(**changes: Any) -> BatchOptions:
    options = BatchOptions(jobs=2, seed=SEED, call_timeout=2.0, submission_timeout=120.0,
                           reports=False)
    for name, value in changes.items():
        setattr(options, name, value)
    return options


@pytest.fixture(scope="module")
def klass(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return copy_sample_class(tmp_path_factory.mktemp("class") / "class", CLASS)


@pytest.fixture(scope="module")
def local_run(klass: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("local") / "out"
    grade_class(klass, out, _options())
    return out


def test_cluster_addresses_and_chunks() -> None:
    assert parse_cluster("local:2") == ("local", 2)
    assert parse_cluster("tcp://10.0.0.5:8786") == ("remote", "tcp://10.0.0.5:8786")
    for bad in ("local:0", "local:x", "10.0.0.5"):
        with pytest.raises(ValueError):
            parse_cluster(bad)
    assert chunk_size(4, 2) == 1
    assert chunk_size(1000, 2) == 50  # never more than 50 a task
    assert chunk_size(100, 2) == 13  # about four tasks per worker


def test_a_two_worker_local_cluster_grades_as_the_local_pool(klass: Path, local_run: Path,
                                                             tmp_path: Path) -> None:
    out = tmp_path / "out"
    grade_class(klass, out, _options(cluster="local:2"))
    for student in CLASS:
        ours = json.loads((out / student / "results.json").read_text())
        theirs = json.loads((local_run / student / "results.json").read_text())
        assert comparable(ours) == comparable(theirs), student
    with (out / "gradebook.csv").open() as a, (local_run / "gradebook.csv").open() as b:
        assert list(csv.reader(a)) == list(csv.reader(b))
    run = json.loads((out / "run.json").read_text())
    assert run["options"]["cluster"] == "local:2"


def test_a_worker_killed_mid_run_costs_a_retry_never_a_result(klass: Path, local_run: Path
                                                              ) -> None:
    submissions = read_submissions(klass)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        pids = client.run(os.getpid)  # worker address -> its process
        seen: list[str] = []
        killed: list[str] = []
        for result in grade_on_dask(submissions, seed=SEED, rubric=load_rubric(),
                                    options=_options(), address=cluster.scheduler_address):
            seen.append(result["nngrade"]["student"])
            if not killed:  # kill a worker that holds a chunk it has not finished
                busy = [w for w, keys in client.processing().items() if keys and w in pids]
                assert busy, "no worker was grading: nothing to kill mid-run"
                os.kill(pids[busy[0]], signal.SIGKILL)
                killed.append(busy[0])
            theirs = json.loads((local_run / seen[-1] / "results.json").read_text())
            assert comparable(result) == comparable(theirs), seen[-1]
        assert killed and killed[0] not in client.run(os.getpid)  # it died; a new one came
    assert sorted(seen) == sorted(CLASS)  # every student once, the killed chunk's too
