"""Issue 13 item 6: nothing is lost under faults.

- ``kill -9`` of ``nngrade grade`` mid-batch, then the same command again, gives the
  outputs of an uninterrupted run, with no half-written file left behind;
- a second ``nngrade grade`` on the same OUT refuses at once with a clear message
  (the first one's lock), instead of interleaving its files with the first's;
- a full disk or an unwritable OUT ends with a clear error naming the file, and the
  results written before are intact.
"""

from __future__ import annotations

import csv
import errno
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from nngrade.grade import output
from nngrade.grade.command import grade_command
from nngrade.grade.errors import GraderError
from nngrade.grade.options import BatchOptions
from nngrade.grade.output import OutputFolder
from nngrade.grade.pipeline import grade_directory

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "examples" / "submissions"
FAST = BatchOptions(call_timeout=2.0, submission_timeout=60.0)


def _class(tmp_path: Path) -> Path:
    subs = tmp_path / "subs"
    for name in ("ada", "ben", "dara", "eli"):
        shutil.copytree(SAMPLE / name, subs / name)
    return subs


def _grade_cli(subs: Path, out: Path) -> list[str]:
    return [sys.executable, "-c", "from nngrade.cli import main; main()", "grade", str(subs),
            "--out", str(out),
            "--seed", "5", "-j", "1", "--call-timeout", "2"]


def _outcome(out: Path) -> dict[str, object]:
    """What a run leaves that must not depend on being interrupted."""
    found: dict[str, object] = {}
    for path in sorted(out.rglob("*")):
        rel = path.relative_to(out).as_posix()
        assert not (path.name.startswith(".") and path.name.endswith(".tmp")), rel
        if path.name == "results.json":
            doc = json.loads(path.read_text(encoding="utf-8"))
            found[rel] = (doc["score"], [(t["name"], t["status"], t["score"])
                                         for t in doc["tests"]])
        elif path.name == "gradebook.csv":
            found[rel] = list(csv.reader(path.open(encoding="utf-8")))
        elif path.name == "report.html":
            found[rel] = True
    return found


def test_kill_9_then_rerun_equals_an_uninterrupted_run(tmp_path: Path) -> None:
    subs = _class(tmp_path)
    whole, killed = tmp_path / "whole", tmp_path / "killed"
    subprocess.run(_grade_cli(subs, whole), check=True, capture_output=True, timeout=300)
    assert len(list(whole.glob("*/results.json"))) == 4
    proc = subprocess.Popen(_grade_cli(subs, killed), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not any(killed.glob("*/results.json")):
        time.sleep(0.02)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert (killed / "run.json").is_file()  # the seed survived the crash
    assert not (killed / "gradebook.csv").exists()  # the kill came mid-batch
    # what a write cut short by the kill leaves: a temporary file beside its target
    (killed / "ada").mkdir(exist_ok=True)
    (killed / "ada" / ".results.json.k2j3h4.tmp").write_text('{"score": 10')
    again = subprocess.run(_grade_cli(subs, killed), capture_output=True, timeout=300,
                           text=True)
    assert again.returncode == 0, again.stderr
    assert _outcome(killed) == _outcome(whole)


def test_a_second_run_on_the_same_folder_refuses(tmp_path: Path) -> None:
    subs = tmp_path / "subs"
    shutil.copytree(SAMPLE / "ben", subs / "ben")
    out = tmp_path / "out"
    OutputFolder.create(out)
    holder = subprocess.Popen(  # a run in progress, in another process
        [sys.executable, "-c", "import sys, time; from pathlib import Path\n"
         "from nngrade.grade.output import OutputFolder\n"
         "with OutputFolder(Path(sys.argv[1])).locked():\n"
         "    print('locked', flush=True); time.sleep(120)", str(out)],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        with pytest.raises(GraderError, match="another nngrade grade is writing"):
            grade_directory(subs, out, jobs=1, seed=1, options=FAST)
        result = CliRunner().invoke(grade_command, [str(subs), "--out", str(out),
                                                    "--seed", "1"])
        assert result.exit_code == 2 and "another nngrade grade" in result.output
        assert not (out / "ben").exists()  # nothing of the second run was written
    finally:
        holder.kill()
        holder.wait()
    # once the first run is over, the folder is free again
    assert grade_directory(subs, out, jobs=1, seed=1, options=FAST)[0]["score"] == 0


@pytest.mark.parametrize("error", [errno.ENOSPC, errno.EROFS, errno.EACCES])
def test_a_full_or_read_only_folder_ends_clearly(tmp_path: Path, error: int,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    subs = tmp_path / "subs"
    shutil.copytree(SAMPLE / "ada", subs / "ada")
    shutil.copytree(SAMPLE / "ben", subs / "ben")
    out = tmp_path / "out"
    grade_directory(subs, out, jobs=1, seed=1, options=FAST)
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}

    def full(path: Path, text: str) -> None:
        raise OSError(error, os.strerror(error))

    monkeypatch.setattr(output, "write_atomic", full)
    with pytest.raises(GraderError) as failed:
        grade_directory(subs, out, jobs=1, seed=1, force=True, options=FAST)
    assert os.strerror(error) in str(failed.value) and "run.json" in str(failed.value)
    assert "unchanged" in str(failed.value)
    after = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert {p: b for p, b in after.items() if p.name != output.LOCK_FILE} == \
        {p: b for p, b in before.items() if p.name != output.LOCK_FILE}
