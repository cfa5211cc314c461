"""Issue 13 item 6: ``nngrade submit`` from several terminals at once keeps every attempt.

Six processes hand in at the same instant, with the same clock reading and the same
files, into an inbox that does not exist yet (so they also race to create the
student's folder and the inbox marker): six complete archives, each readable by
the grader, none replacing another.
"""

from __future__ import annotations

import subprocess
import sys
import time
import zipfile
from pathlib import Path

from nngrade.intake.inbox import select_from_inbox

REPO = Path(__file__).resolve().parents[1]
SUBMIT = """
import datetime as dt, sys, time
from pathlib import Path
from nngrade.contract import module_names
from nngrade.student.submit import write_submission
inbox, exercises, start = Path(sys.argv[1]), Path(sys.argv[2]), float(sys.argv[3])
modules = {m: exercises / f"{m}.py" for m in module_names()}
now = dt.datetime(2026, 11, 27, 23, 59, 59, 123456, tzinfo=dt.timezone.utc)
time.sleep(max(0.0, start - time.time()))
print(write_submission(inbox, "alice", modules, now=now).archive.name)
"""


def test_simultaneous_submits_all_survive(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    start = time.time() + 3.0
    procs = [subprocess.Popen([sys.executable, "-c", SUBMIT, str(inbox),
                               str(REPO / "solutions"), str(start)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(6)]
    names = []
    for proc in procs:
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err
        names.append(out.strip())
    assert len(set(names)) == 6
    archives = sorted((inbox / "alice").glob("*.zip"))
    assert sorted(a.name for a in archives) == sorted(names)
    for archive in archives:
        with zipfile.ZipFile(archive) as zf:
            assert zf.testzip() is None
    assert not [p for p in (inbox / "alice").iterdir() if p.name.startswith(".")]
    (entry,) = select_from_inbox(inbox)
    assert entry.all_archives == 6
