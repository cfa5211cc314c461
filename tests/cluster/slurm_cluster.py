"""A real one-node Slurm cluster, started from nothing in a temporary folder, for the tests.

Debian's ``slurm-wlm`` and ``munge`` (installed by scripts/install-slurm.sh,
which ``make test`` runs) provide the daemons; everything else is ours and
lives in one temporary folder: a munge key and munged's socket, a
slurm.conf for one node (this machine, with the CPUs and memory ``slurmd
-C`` reports), the controller's state, slurmd's spool, logs and pid files.
The ports are free ones picked at start, so the cluster never meets a
system-wide Slurm or a second test session on the same machine. Clients
reach it through ``SLURM_CONF`` (see `SlurmCluster.env`).

The configuration is the smallest real one (slurm.conf(5), version 22.05):
no accounting, no cgroups (``proctrack/linuxproc``, ``task/none``), the
``cons_tres`` selector, ``JobRequeue=1``; ``AuthInfo``'s ``cred_expire`` is
lowered from 120 to 5 seconds because it is also how long a requeued job
waits before it may start again.

The daemons run as root (slurmd launches each job as its submitting user),
so the cluster needs root; `start_cluster` says why it cannot start instead
of failing obscurely.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

__all__ = ["DAEMONS", "SlurmCluster", "cannot_run_reason", "start_cluster"]

DAEMONS = ("munged", "slurmctld", "slurmd")
CLIENTS = ("sbatch", "squeue", "sinfo", "scontrol", "scancel")
REPO = Path(__file__).resolve().parents[2]
T = TypeVar("T")


def _which_all(names: Sequence[str]) -> list[str]:
    return [n for n in names if shutil.which(n) is None]


def cannot_run_reason(install: bool = True) -> str | None:
    """Why a cluster cannot start here (None if it can); installs the packages first if allowed."""
    if os.geteuid() != 0:
        return "the one-node Slurm cluster needs root: slurmd starts each job as its user"
    missing = _which_all(DAEMONS + CLIENTS + ("mungekey",))
    if missing and install:
        subprocess.run(["sh", str(REPO / "scripts" / "install-slurm.sh")], check=False,
                       capture_output=True, timeout=900)
        missing = _which_all(DAEMONS + CLIENTS + ("mungekey",))
    if missing:
        return (f"Slurm and munge are not installed ({', '.join(missing)} missing) and "
                "scripts/install-slurm.sh could not install them (it needs apt-get, root and "
                "access to Debian's package archive): `apt-get install slurm-wlm munge`")
    return None


def _free_ports(count: int) -> list[int]:
    sockets, ports = [], []
    for _ in range(count):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.bind(("127.0.0.1", 0))
        sockets.append(s)
        ports.append(s.getsockname()[1])
    for s in sockets:
        s.close()
    return ports


def _node_line(host: str) -> str:
    """``NodeName=... CPUs=... RealMemory=...`` for this machine, from ``slurmd -C``."""
    done = subprocess.run(["slurmd", "-C"], capture_output=True, text=True, timeout=60,
                          check=True)
    line = next(ln for ln in done.stdout.splitlines() if ln.startswith("NodeName="))
    fields = [f for f in line.split() if not f.startswith("NodeName=")]
    return f"NodeName={host} NodeAddr=127.0.0.1 NodeHostname={host} {' '.join(fields)}"


def slurm_conf(root: Path, host: str, ctld_port: int, slurmd_port: int) -> str:
    """The slurm.conf of a one-node cluster whose every file lives under ``root``."""
    return "\n".join([
        "# A one-node Slurm cluster for nngrade's tests (tests/cluster/slurm_cluster.py).",
        "ClusterName=nngradetest",
        f"SlurmctldHost={host}(127.0.0.1)",
        f"SlurmctldPort={ctld_port}",
        f"SlurmdPort={slurmd_port}",
        "SlurmUser=root",
        "SlurmdUser=root",
        "AuthType=auth/munge",
        "CredType=cred/munge",
        f"AuthInfo=socket={root}/munge/munge.socket,cred_expire=5",
        f"StateSaveLocation={root}/state",
        f"SlurmdSpoolDir={root}/spool",
        f"SlurmctldPidFile={root}/run/slurmctld.pid",
        f"SlurmdPidFile={root}/run/slurmd.pid",
        f"SlurmctldLogFile={root}/log/slurmctld.log",
        f"SlurmdLogFile={root}/log/slurmd.log",
        "SlurmctldDebug=info",
        "SlurmdDebug=info",
        "MailProg=/bin/true",
        "MpiDefault=none",
        "ProctrackType=proctrack/linuxproc",
        "TaskPlugin=task/none",
        "SelectType=select/cons_tres",
        "SelectTypeParameters=CR_Core",
        "AccountingStorageType=accounting_storage/none",
        "JobAcctGatherType=jobacct_gather/none",
        "JobCompType=jobcomp/none",
        "JobRequeue=1",
        "ReturnToService=2",
        _node_line(host) + " State=UNKNOWN",
        f"PartitionName=test Nodes={host} Default=YES MaxTime=INFINITE State=UP",
        "",
    ])


def _wait(check: Callable[[], T | None], timeout: float, what: str,
          interval: float = 0.25) -> T:
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(interval)


@dataclass
class SlurmCluster:
    """A running one-node cluster: its folder, its slurm.conf and its daemons."""

    root: Path
    host: str
    procs: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    @property
    def conf(self) -> Path:
        return self.root / "slurm.conf"

    @property
    def env(self) -> dict[str, str]:
        """The environment a Slurm client needs to reach this cluster."""
        return {**os.environ, "SLURM_CONF": str(self.conf)}

    def run(self, *argv: str, check: bool = True,
            timeout: float = 60) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(list(argv), env=self.env, capture_output=True, text=True,
                              timeout=timeout, check=False)
        if check and done.returncode != 0:
            raise AssertionError(f"{' '.join(argv)} failed ({done.returncode}): "
                                 f"{done.stderr.strip() or done.stdout.strip()}\n{self.logs()}")
        return done

    def sbatch(self, *args: str) -> str:
        out = self.run("sbatch", "--parsable", *args).stdout.strip()
        return out.split(";")[0]

    def job(self, job: str) -> dict[str, str]:
        """``scontrol show job``'s fields of one job or array task ({} once Slurm forgot it)."""
        done = self.run("scontrol", "--oneliner", "show", "job", job, check=False)
        if done.returncode != 0 or not done.stdout.strip():
            return {}
        line = done.stdout.strip().splitlines()[0]
        return dict(tok.split("=", 1) for tok in line.split() if "=" in tok)

    def state(self, job: str) -> str:
        return self.job(job).get("JobState", "")

    def wait_state(self, job: str, states: set[str], timeout: float = 120) -> dict[str, str]:
        def reached() -> dict[str, str] | None:
            fields = self.job(job)
            return fields if fields.get("JobState") in states else None
        try:
            return _wait(reached, timeout, f"job {job} to reach {sorted(states)}")
        except TimeoutError as exc:
            raise AssertionError(f"{exc}; it is {self.job(job)}\n{self.logs()}") from None

    def queue(self) -> list[str]:
        done = self.run("squeue", "--noheader", "--array", "--format=%i %T %r", check=False)
        return [ln.strip() for ln in done.stdout.splitlines() if ln.strip()]

    def wait_idle(self, timeout: float = 120) -> None:
        """Until no job is queued or running."""
        _wait(lambda: not self.queue(), timeout, "the queue to empty")

    def logs(self, lines: int = 30) -> str:
        parts = []
        for path in sorted((self.root / "log").glob("*.log")):
            tail = path.read_text(errors="replace").splitlines()[-lines:]
            parts.append(f"--- {path.name}\n" + "\n".join(tail))
        return "\n".join(parts)

    def stop(self) -> None:
        """Cancel every job, stop the daemons (SIGTERM, then SIGKILL), remove the folder."""
        if "slurmctld" in self.procs and self.procs["slurmctld"].poll() is None:
            self.run("scancel", "--full", "--signal=KILL", "--user=root", check=False)
            self.run("scancel", "--user=root", check=False)
            try:
                self.wait_idle(timeout=30)
            except TimeoutError:
                pass
        for name in ("slurmd", "slurmctld", "munged"):
            proc = self.procs.get(name)
            if proc is None or proc.poll() is not None:
                continue
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)
        shutil.rmtree(self.root, ignore_errors=True)


def _start(cluster: SlurmCluster, name: str, argv: list[str]) -> None:
    log = (cluster.root / "log" / f"{name}.out").open("wb")
    cluster.procs[name] = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log,
                                           stderr=subprocess.STDOUT, start_new_session=True)
    log.close()


def start_cluster() -> SlurmCluster:
    """Start munged, slurmctld and slurmd for a one-node cluster; return once the node is idle.

    The folder is made with mode 0755 outside pytest's private temporary
    tree: munged refuses a socket in a directory not everyone can traverse.
    """
    root = Path(tempfile.mkdtemp(prefix="nngrade-slurm-"))
    root.chmod(0o755)
    host = socket.gethostname().split(".")[0]
    cluster = SlurmCluster(root=root, host=host)
    try:
        for sub in ("munge", "state", "spool", "log", "run"):
            (root / sub).mkdir(mode=0o755)
        key = root / "munge" / "munge.key"
        subprocess.run(["mungekey", "--create", f"--keyfile={key}"], check=True,
                       capture_output=True, timeout=60)
        key.chmod(0o400)
        _start(cluster, "munged", [
            "munged", "--foreground", f"--socket={root}/munge/munge.socket",
            f"--key-file={key}", f"--log-file={root}/log/munged.log",
            f"--pid-file={root}/run/munged.pid", f"--seed-file={root}/munge/seed"])
        _wait(lambda: (root / "munge" / "munge.socket").exists(), 30, "munged's socket")
        ctld_port, slurmd_port = _free_ports(2)
        cluster.conf.write_text(slurm_conf(root, host, ctld_port, slurmd_port))
        _start(cluster, "slurmctld", ["slurmctld", "-D", "-i", "-f", str(cluster.conf)])
        _start(cluster, "slurmd", ["slurmd", "-D", "-f", str(cluster.conf)])

        def node_idle() -> bool:
            for name, proc in cluster.procs.items():
                if proc.poll() is not None:
                    raise RuntimeError(f"{name} exited with status {proc.returncode}")
            done = cluster.run("sinfo", "--noheader", "--format=%T", check=False)
            return done.returncode == 0 and done.stdout.strip() == "idle"

        _wait(node_idle, 90, "the node to be idle in sinfo")
    except BaseException as exc:
        details = cluster.logs()
        for out in sorted((root / "log").glob("*.out")):
            details += f"\n--- {out.name}\n" + out.read_text(errors="replace")[-2000:]
        cluster.stop()
        raise RuntimeError(f"the one-node Slurm cluster did not start: {exc}\n{details}") from exc
    return cluster
