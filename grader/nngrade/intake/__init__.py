"""Intake: folders, zips and inboxes read into `nngrade.records.Submission`, the grader's input.

The first stage of the path a submission takes (intake -> sandbox -> hidden
suites -> scoring -> reports). Hand-ins are read as data, member by member,
never extracted or imported: the threat model of each reader is in its
module (`unpack` for folders and zips, `inbox` for ``nngrade submit``
inboxes). `read_submissions` is the entry point ``nngrade grade`` uses.
"""

from __future__ import annotations

from nngrade.intake.submissions import IntakeError, read_submissions
from nngrade.intake.unpack import content_sha256, discover, read_submission, student_id

__all__ = [
    "IntakeError",
    "content_sha256",
    "discover",
    "read_submission",
    "read_submissions",
    "student_id",
]
