"""Fixtures of the cluster tests: a real one-node Slurm for the whole session.

The cluster (tests/cluster/slurm_cluster.py) starts at the first test that
asks for it and stops after the session. Where it cannot start because
Slurm cannot be installed or the tests do not run as root, those tests are
skipped with that reason; a cluster that is installed but fails to start is
a failure, with the daemons' logs.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
for folder in (HERE, HERE.parent):  # slurm_cluster here; run_comparison beside the other tests
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))

from slurm_cluster import SlurmCluster, cannot_run_reason, start_cluster  # noqa: E402


@pytest.fixture(scope="session")
def slurm_cluster() -> Iterator[SlurmCluster]:
    reason = cannot_run_reason()
    if reason:
        pytest.skip(reason)
    cluster = start_cluster()
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture
def slurm_env(slurm_cluster: SlurmCluster, monkeypatch: pytest.MonkeyPatch) -> SlurmCluster:
    """The cluster, with ``SLURM_CONF`` set in this process (for code that runs sbatch)."""
    monkeypatch.setenv("SLURM_CONF", str(slurm_cluster.conf))
    return slurm_cluster
