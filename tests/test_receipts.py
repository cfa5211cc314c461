"""Issue 13 item 6: an inbox archive's time of receipt is recorded by the receiving side,
and ``--deadline`` uses it rather than the student's clock."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

from click.testing import CliRunner

from nngrade.contract import module_names
from nngrade.intake import read_submissions
from nngrade.intake.inbox import select_from_inbox
from nngrade.intake.receipts import LEDGER, read_ledger, receive_command, stamp_inbox
from nngrade.student.submit import write_submission

REPO = Path(__file__).resolve().parents[1]
UTC = dt.timezone.utc


def _inbox(tmp_path: Path, claimed: dt.datetime) -> Path:
    box = tmp_path / "inbox"
    box.mkdir()
    modules = {m: REPO / "solutions" / f"{m}.py" for m in module_names()}
    write_submission(box, "mallory", modules, now=claimed)  # her laptop's clock says so
    return box


def test_the_deadline_uses_the_receipt_not_the_students_clock(tmp_path: Path) -> None:
    deadline = dt.datetime.now(UTC) - dt.timedelta(hours=1)  # it arrives after the deadline
    box = _inbox(tmp_path, claimed=deadline - dt.timedelta(days=1))
    (unstamped,) = select_from_inbox(box, deadline)
    assert not unstamped.late and unstamped.received_at is None  # only the manifest to go by
    assert stamp_inbox(box) == 1
    (entry,) = select_from_inbox(box, deadline)
    assert entry.late and entry.received_at is not None and entry.received_at > deadline
    assert entry.manifest_at == deadline - dt.timedelta(days=1)
    (sub,) = read_submissions(box, deadline)
    assert sub.late and sub.origin["received_at"] == entry.received_at.isoformat()
    assert sub.origin["manifest_at"] == entry.manifest_at.isoformat()


def test_receipts_are_recorded_once_and_survive_a_copy(tmp_path: Path) -> None:
    box = _inbox(tmp_path, claimed=dt.datetime(2026, 11, 27, 12, tzinfo=UTC))
    first = dt.datetime.now(UTC)
    assert stamp_inbox(box, now=first) == 1
    assert stamp_inbox(box, now=first + dt.timedelta(days=3)) == 0  # nothing new
    (when,) = read_ledger(box).values()
    assert when <= first
    copy = tmp_path / "copy"
    shutil.copytree(box, copy)  # new change times; the ledger keeps the receipt
    (entry,) = select_from_inbox(copy)
    assert entry.received_at == when


def test_a_receipt_is_bounded_by_when_it_was_recorded(tmp_path: Path) -> None:
    box = _inbox(tmp_path, claimed=dt.datetime(2026, 11, 27, 12, tzinfo=UTC))
    past = dt.datetime(2026, 11, 1, tzinfo=UTC)  # a clock behind the file's change time
    stamp_inbox(box, now=past)
    (when,) = read_ledger(box).values()
    assert when == past


def test_receive_command(tmp_path: Path) -> None:
    box = _inbox(tmp_path, claimed=dt.datetime(2026, 11, 27, 12, tzinfo=UTC))
    result = CliRunner().invoke(receive_command, [str(box)])
    assert result.exit_code == 0 and "1 new archive" in result.output
    assert (box / LEDGER).is_file()
