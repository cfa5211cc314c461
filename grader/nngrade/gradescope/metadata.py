"""Lateness from Gradescope's ``/autograder/submission_metadata.json``.

The file gives the submission's time (``created_at``) and the assignment's
``due_date`` and ``late_due_date``, as ISO 8601 times with an offset. A
submission after the due date is late; nngrade records by how much and
says so on the student's page, and leaves any penalty to Gradescope's own
late-submission settings (it knows the course's policy; nngrade does not).

The file is Gradescope's, not the student's, but it is read defensively
all the same: a missing or odd field means "not known", never a crash.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["Lateness", "read_lateness"]


@dataclass(frozen=True)
class Lateness:
    submission_id: str | None
    submitted_at: dt.datetime | None
    due_date: dt.datetime | None
    late_due_date: dt.datetime | None

    @property
    def late(self) -> bool:
        return bool(self.submitted_at and self.due_date and self.submitted_at > self.due_date)

    @property
    def after_late_due_date(self) -> bool:
        return bool(self.late and self.late_due_date and self.submitted_at
                    and self.submitted_at > self.late_due_date)

    @property
    def seconds_late(self) -> float:
        if not self.late or self.submitted_at is None or self.due_date is None:
            return 0.0
        return (self.submitted_at - self.due_date).total_seconds()

    def as_source(self) -> dict[str, Any]:
        """What goes into ``extra_data.nngrade.source`` (nngrade's own ``late`` flag included)."""
        def iso(value: dt.datetime | None) -> str | None:
            return value.isoformat() if value else None
        return {
            "late": self.late,
            "seconds_late": round(self.seconds_late, 1),
            "submitted_at": iso(self.submitted_at),
            "due_date": iso(self.due_date),
            "late_due_date": iso(self.late_due_date),
            "after_late_due_date": self.after_late_due_date,
            "gradescope_submission_id": self.submission_id,
        }


def _time(value: Any) -> dt.datetime | None:
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        parsed = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.timezone.utc)
    return parsed


def read_lateness(path: Path) -> Lateness:
    """The lateness of the submission described by ``path`` (all unknown if it is unreadable)."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        data = {}
    if not isinstance(data, dict):
        data = {}
    raw = data.get("assignment")
    assignment: dict[str, Any] = raw if isinstance(raw, dict) else {}
    sid = data.get("id")
    return Lateness(
        submission_id=str(sid) if isinstance(sid, (int, str)) and str(sid).strip() else None,
        submitted_at=_time(data.get("created_at")),
        due_date=_time(assignment.get("due_date")),
        late_due_date=_time(assignment.get("late_due_date")),
    )
