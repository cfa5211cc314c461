"""The one error ``nngrade grade`` stops for: the grader itself cannot run.

Nothing a student hands in raises it (a bad submission gets zero points and
a reason in its results.json); a missing folder, an invalid rubric, an
output folder that cannot be written or grading processes that cannot start
do. Its message says what to fix; the exit status is 2.
"""

from __future__ import annotations

import click

__all__ = ["GraderError"]


class GraderError(click.ClickException):
    """The grader itself cannot run (not a student's fault); exit status 2."""

    exit_code = 2
