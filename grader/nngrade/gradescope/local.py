"""``nngrade gradescope test``: Gradescope's ``/autograder`` reproduced in a folder, without Docker.

What Gradescope does, in the same order and the same layout, under a root
of our choosing (``NNGRADE_AUTOGRADER_ROOT``, which both scripts honour):

1. the bundle is unzipped into ``ROOT/source`` and ``run_autograder`` copied
   to ``ROOT/run_autograder``; ``setup.sh`` runs once (as Gradescope's image
   build does; pip's ``PIP_*`` variables pass through, so a wheelhouse can
   stand in for the network);
2. for each hand-in: ``ROOT/submission`` holds its files,
   ``ROOT/submission_metadata.json`` the times (``--due``,
   ``--submitted-at``), ``ROOT/results/`` is empty, and ``run_autograder``
   runs with ``ROOT`` as its working directory;
3. ``ROOT/results/results.json`` is checked against the specification
   (`nngrade.gradescope.spec`) and kept, with the run's stdout, as
   ``OUT/<student>/results.json`` and ``OUT/<student>/stdout``.

The root is made world-traversable (mode 0755, like ``/autograder``):
where namespaces are unavailable, student code runs as ``nobody`` and must
reach the interpreter and numpy inside it. Each run's wall time and the
peak memory of its whole process tree (grader, sandbox, student code;
sampled every 20 ms from /proc) are reported against Gradescope's default
container of 768 MB.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nngrade.gradescope.spec import problems

__all__ = ["CONTAINER_MB", "LocalRun", "install_bundle", "run_submission", "submissions_in"]

CONTAINER_MB = 768
_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


@dataclass
class LocalRun:
    student: str
    results: dict[str, Any] | None
    problems: list[str]
    seconds: float
    peak_mb: float
    stdout: str


class _TreeMemory:
    """Peak resident memory of a process and all its descendants, sampled from /proc."""

    def __init__(self, pid: int, interval: float = 0.02) -> None:
        self.pid = pid
        self.interval = interval
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def __enter__(self) -> _TreeMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _tree_bytes(self) -> int:
        children: dict[int, list[int]] = {}
        rss: dict[int, int] = {}
        for entry in os.scandir("/proc"):
            if not entry.name.isdigit():
                continue
            try:
                stat = Path(entry.path, "stat").read_text()
                statm = Path(entry.path, "statm").read_text().split()
            except OSError:
                continue
            ppid = int(stat[stat.rindex(")") + 2:].split()[1])
            children.setdefault(ppid, []).append(int(entry.name))
            rss[int(entry.name)] = int(statm[1]) * _PAGE
        total, stack = 0, [self.pid]
        while stack:
            pid = stack.pop()
            total += rss.get(pid, 0)
            stack.extend(children.get(pid, []))
        return total

    def _loop(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self._tree_bytes())
            self._stop.wait(self.interval)


def _safe_extract(bundle: Path, target: Path) -> None:
    with zipfile.ZipFile(bundle) as zf:
        for info in zf.infolist():
            name = Path(info.filename)
            if name.is_absolute() or ".." in name.parts:
                raise ValueError(f"{bundle}: refusing the member {info.filename!r}")
        zf.extractall(target)
        for info in zf.infolist():  # zipfile drops permission bits; the scripts need theirs
            mode = (info.external_attr >> 16) & 0o777
            if mode:
                (target / info.filename).chmod(mode)


def _closed_parent(root: Path) -> Path | None:
    """The first folder above ``root`` that other users cannot traverse, if any."""
    for parent in root.resolve().parents:
        if not parent.stat().st_mode & 0o001:
            return parent
    return None


def install_bundle(bundle: Path, root: Path, env: dict[str, str]) -> str:
    """Unzip the bundle into ROOT/source and run its setup.sh; return setup's output."""
    closed = _closed_parent(root)
    if closed is not None:
        raise ValueError(f"{closed} is closed to other users, but student code may run as "
                         f"`nobody` and must reach Python and numpy under {root}: choose a "
                         "root whose every parent folder is world-traversable (like /autograder)")
    root.mkdir(parents=True, exist_ok=True)
    root.chmod(0o755)
    source = root / "source"
    if source.exists():
        shutil.rmtree(source)
    source.mkdir()
    _safe_extract(bundle, source)
    for required in ("setup.sh", "run_autograder"):
        if not (source / required).is_file():
            raise ValueError(f"{bundle} has no {required} at its root")
    shutil.copy2(source / "run_autograder", root / "run_autograder")
    (root / "run_autograder").chmod(0o755)
    done = subprocess.run(["bash", str(source / "setup.sh")], cwd=source, env=env,
                          capture_output=True, text=True, timeout=1800, check=False)
    output = done.stdout + done.stderr
    if done.returncode != 0:
        raise RuntimeError(f"setup.sh failed (exit status {done.returncode}):\n{output}")
    return output


def submissions_in(path: Path) -> Iterator[tuple[str, Path]]:
    """(student, hand-in) pairs: PATH itself if it is one hand-in, else each entry of PATH."""
    path = Path(path)
    if path.is_file() or any(path.glob("*.py")) or (path / "exercises").is_dir():
        yield (path.stem if path.is_file() else path.name), path
        return
    for entry in sorted(path.iterdir()):
        if entry.name.startswith(".") or entry.is_symlink():
            continue
        if entry.is_dir() or entry.suffix.lower() == ".zip":
            yield (entry.stem if entry.is_file() else entry.name), entry


def _metadata(number: int, student: str, submitted_at: dt.datetime,
              due: dt.datetime | None) -> dict[str, Any]:
    return {
        "id": number,
        "created_at": submitted_at.isoformat(),
        "assignment": {"due_date": due.isoformat() if due else None, "late_due_date": None,
                       "group_size": None, "group_submission": False, "id": 1,
                       "course_id": 1, "release_date": None, "title": "nngrade local test",
                       "total_points": "100.0"},
        "submission_method": "upload",
        "users": [{"email": f"{student}@example.edu", "id": number, "name": student}],
        "previous_submissions": [],
    }


def run_submission(root: Path, number: int, student: str, hand_in: Path, env: dict[str, str],
                   submitted_at: dt.datetime, due: dt.datetime | None) -> LocalRun:
    """One Gradescope run of ``run_autograder`` on one hand-in."""
    submission = root / "submission"
    results_dir = root / "results"
    for folder in (submission, results_dir):
        if folder.exists():
            shutil.rmtree(folder)
    if hand_in.is_dir():
        shutil.copytree(hand_in, submission, symlinks=True)
    else:
        submission.mkdir()
        shutil.copy2(hand_in, submission / hand_in.name)
    results_dir.mkdir()
    (root / "submission_metadata.json").write_text(
        json.dumps(_metadata(number, student, submitted_at, due), indent=1))
    started = time.perf_counter()
    proc = subprocess.Popen([str(root / "run_autograder")], cwd=root, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL, text=True)
    with _TreeMemory(proc.pid) as memory:
        stdout, _ = proc.communicate(timeout=3600)
    seconds = time.perf_counter() - started
    try:
        document = json.loads((results_dir / "results.json").read_text(encoding="utf-8"))
        found = problems(document)
    except (OSError, ValueError) as exc:
        document, found = None, [f"no readable results.json: {exc}"]
    if document is not None and document.get("extra_data", {}).get("nngrade_error"):
        found.append(f"the grader failed: {document['extra_data']['nngrade_error']}")
    return LocalRun(student, document, found, seconds, memory.peak / 2**20, stdout)


def local_env(sandbox: str | None) -> dict[str, str]:
    """The environment of setup.sh and run_autograder: ours, with this Python for the venv."""
    env = {**os.environ, "NNGRADE_PYTHON": sys.executable}
    if sandbox:
        env["NNGRADE_SANDBOX"] = sandbox
    return env


def default_root() -> Path:
    return Path(tempfile.mkdtemp(prefix="nngrade-autograder-"))
