"""When each inbox archive reached the inbox, by the receiving side's clock.

``nngrade submit`` runs on the student's machine, so the time in its manifest
(and in the archive's name) is the student's clock: wrong by hours on some
laptops, and anything at all if the student edits it. The receiving side is
the file system that holds the inbox: when ``nngrade submit`` links an
archive under its final name the server's clock sets the file's change time
(``st_ctime``), which no user can set back. `stamp_inbox` (``nngrade receive
INBOX``, run on the inbox's machine while it collects hand-ins, e.g. from
cron every few minutes and once at the deadline) writes that time, bounded by
the moment it runs, into an append-only ledger beside the archives
(`LEDGER`), once per archive; copying the inbox later changes change times
but not the ledger. ``nngrade grade --deadline`` then judges each archive by
its recorded receipt, and by its manifest only where no receipt was recorded
(`nngrade.intake.inbox`). The ledger should be writable by the instructor
only (the inbox itself must be add-only for students anyway).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from pathlib import Path

import click

__all__ = ["LEDGER", "file_sha256", "read_ledger", "receive_command", "stamp_inbox"]

LEDGER = ".nngrade-received.jsonl"
Key = tuple[str, str, str]  # student folder, archive name, archive SHA-256


def file_sha256(path: Path) -> str:
    """An archive's SHA-256, the way the inbox, the receipts and the gradebook key it."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_ledger(inbox: Path) -> dict[Key, dt.datetime]:
    """Every recorded receipt (the first one of an archive wins); unreadable lines skipped."""
    found: dict[Key, dt.datetime] = {}
    try:
        lines = (Path(inbox) / LEDGER).read_text(encoding="utf-8").splitlines()
    except OSError:
        return found
    for line in lines:
        try:
            row = json.loads(line)
            key = (str(row["student"]), str(row["archive"]), str(row["sha256"]))
            when = dt.datetime.fromisoformat(str(row["received_at"]).replace("Z", "+00:00"))
        except (ValueError, KeyError, TypeError):
            continue
        if when.tzinfo is not None:
            found.setdefault(key, when.astimezone(dt.timezone.utc))
    return found


def stamp_inbox(inbox: Path, now: dt.datetime | None = None) -> int:
    """Record the receipt time of every archive not recorded yet; how many were recorded."""
    inbox = Path(inbox)
    now = (now or dt.datetime.now(dt.timezone.utc)).astimezone(dt.timezone.utc)
    known = read_ledger(inbox)
    rows = []
    for folder in sorted(p for p in inbox.iterdir() if p.is_dir() and not p.name.startswith(".")):
        for archive in sorted(folder.glob("*.zip")):
            if archive.name.startswith(".") or archive.is_symlink() or not archive.is_file():
                continue
            key = (folder.name, archive.name, file_sha256(archive))
            if key in known:
                continue
            changed = dt.datetime.fromtimestamp(archive.stat().st_ctime, dt.timezone.utc)
            received = min(changed, now)
            rows.append(json.dumps({"student": key[0], "archive": key[1], "sha256": key[2],
                                    "received_at": received.isoformat()}) + "\n")
    if rows:
        fd = os.open(inbox / LEDGER, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        try:
            os.write(fd, "".join(rows).encode("utf-8"))
            os.fsync(fd)
        finally:
            os.close(fd)
    return len(rows)


@click.command("receive")
@click.argument("inbox", type=click.Path(exists=True, file_okay=False, path_type=Path))
def receive_command(inbox: Path) -> None:
    """Record when each archive reached INBOX, by this machine's clock (run it where the inbox
    lives, while hand-ins arrive and at the deadline); ``grade --deadline`` uses these times."""
    count = stamp_inbox(inbox)
    click.echo(f"{count} new archive(s) recorded in {inbox / LEDGER}")
