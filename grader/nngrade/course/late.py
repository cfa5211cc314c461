"""What handing in late costs: a course's late policy and the deduction it gives one attempt.

The policy is the one most courses write in their syllabus, and the one
Canvas applies with its own "late submission deduction": a percentage of
the assignment's points for every day (or started day) past the due date,
after a short grace period, up to a cap; past an optional last day nothing
is accepted and the attempt scores zero. The deduction is taken from the
points the work earned and never goes below zero.

A deadline moved by an extension moves everything with it: the grace
period, the per-day count and the last day are measured from the
student's own due date.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

__all__ = ["LateOutcome", "LatePolicy", "apply_late_policy"]

DAY = dt.timedelta(days=1)


@dataclass(frozen=True)
class LatePolicy:
    """``percent_per_day`` of the points per day late, at most ``max_percent`` in all.

    ``grace_minutes`` after the due date count as on time. ``per_started_day``
    counts a day as soon as it starts (10 minutes late is one day), the
    usual rule; otherwise lateness is counted in fractions of a day.
    ``accept_days``: an attempt more than this many days late is not
    accepted (None: always accepted).
    """

    percent_per_day: float = 0.0
    max_percent: float = 100.0
    grace_minutes: float = 0.0
    per_started_day: bool = True
    accept_days: float | None = None

    def describe(self) -> str:
        """One line for people, e.g. ``10% per started day, at most 50%; 15 min grace``."""
        if self.percent_per_day <= 0:
            text = "no deduction for lateness"
        else:
            unit = "started day" if self.per_started_day else "day"
            text = f"{self.percent_per_day:g}% per {unit} late, at most {self.max_percent:g}%"
        if self.grace_minutes:
            text += f"; {self.grace_minutes:g} min grace"
        if self.accept_days is not None:
            text += f"; not accepted more than {self.accept_days:g} days late"
        return text


@dataclass(frozen=True)
class LateOutcome:
    """The lateness of one attempt and what it costs.

    ``late_seconds`` is None when the time of receipt is unknown (an LMS
    download that does not say when): nothing is deducted then, and
    ``late`` is whatever the LMS said.
    """

    late: bool
    late_seconds: float | None
    days_charged: float
    penalty_percent: float
    accepted: bool

    def penalty_points(self, earned: float, points: float) -> float:
        """Points deducted from ``earned`` (a percentage of ``points``, never below zero)."""
        if not self.accepted:
            return earned
        return min(earned, points * self.penalty_percent / 100.0)


def apply_late_policy(policy: LatePolicy, due: dt.datetime, received: dt.datetime | None,
                      *, reported_late: bool = False) -> LateOutcome:
    """How late ``received`` is against ``due`` under ``policy`` (both timezone-aware)."""
    if received is None:
        return LateOutcome(reported_late, None, 0.0, 0.0, True)
    seconds = (received - due).total_seconds()
    grace = policy.grace_minutes * 60.0
    if seconds <= grace:
        return LateOutcome(False, max(seconds, 0.0), 0.0, 0.0, True)
    days = seconds / DAY.total_seconds()
    accepted = policy.accept_days is None or days <= policy.accept_days
    charged_from = (seconds - grace) / DAY.total_seconds()
    charged = math.ceil(charged_from - 1e-9) if policy.per_started_day else charged_from
    percent = min(policy.max_percent, max(0.0, policy.percent_per_day * charged))
    return LateOutcome(True, seconds, float(charged), percent, accepted)
