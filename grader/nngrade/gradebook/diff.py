"""What a regrade changed: whose score moved, by how much, and in which tests.

For every student and assignment with more than one grading, the current
grading is compared with the one before it (or, with ``since``, with the
grading that was current at that moment). Tests are matched by name (the
n-th test of a name with the n-th, should a suite repeat one); a test that
appears or disappears is listed as such. Only pairs whose score or tests
changed are reported, largest move first.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import select

from nngrade.gradebook.database import Gradebook
from nngrade.gradebook.models import GradedTest, GradingRow

__all__ = ["GradingDiff", "TestChange", "diff_gradings", "gradebook_diff"]


@dataclass(frozen=True)
class TestChange:
    name: str
    old_score: float | None  # None: the test is new
    new_score: float | None  # None: the test is gone
    old_status: str
    new_status: str

    @property
    def delta(self) -> float:
        return (self.new_score or 0.0) - (self.old_score or 0.0)


@dataclass
class GradingDiff:
    student: str
    assignment: str
    old: GradingRow
    new: GradingRow
    tests: list[TestChange] = field(default_factory=list)

    @property
    def delta(self) -> float:
        return round(self.new.score_after_late - self.old.score_after_late, 4)


def _keyed(tests: list[GradedTest]) -> dict[tuple[str, int], GradedTest]:
    seen: Counter[str] = Counter()
    out = {}
    for t in tests:
        out[(t.name, seen[t.name])] = t
        seen[t.name] += 1
    return out


def diff_gradings(old: GradingRow, new: GradingRow, old_tests: list[GradedTest],
                  new_tests: list[GradedTest]) -> GradingDiff:
    result = GradingDiff(new.student, new.assignment, old, new)
    before, after = _keyed(old_tests), _keyed(new_tests)
    order = list(after) + [k for k in before if k not in after]
    for key in order:
        a, b = before.get(key), after.get(key)
        if a is not None and b is not None and a.score == b.score and a.status == b.status:
            continue
        result.tests.append(TestChange(key[0], a.score if a else None, b.score if b else None,
                                       a.status if a else "", b.status if b else ""))
    return result


def gradebook_diff(gb: Gradebook, *, assignment: str | None = None, student: str | None = None,
                   since: dt.datetime | None = None) -> list[GradingDiff]:
    """The changes of the latest grading of every (student, assignment) (see the module doc)."""
    with gb.reading() as session:
        query = select(GradingRow).order_by(GradingRow.id)
        if assignment is not None:
            query = query.where(GradingRow.assignment == assignment)
        if student is not None:
            query = query.where(GradingRow.student == student)
        by_pair: dict[tuple[str, str], list[GradingRow]] = {}
        for row in session.scalars(query):
            by_pair.setdefault((row.student, row.assignment), []).append(row)
        pairs = []
        for rows in by_pair.values():
            new = rows[-1]
            if since is None:
                old = rows[-2] if len(rows) > 1 else None
            else:
                earlier = [r for r in rows if r.recorded_at <= since]
                old = earlier[-1] if earlier else None
            if old is not None and old.id != new.id:
                pairs.append((old, new))
        ids = [g.id for pair in pairs for g in pair]
        tests: dict[int, list[GradedTest]] = {}
        for t in session.scalars(select(GradedTest).where(GradedTest.grading_id.in_(ids))
                                 .order_by(GradedTest.grading_id, GradedTest.position)):
            tests.setdefault(t.grading_id, []).append(t)
    diffs = [diff_gradings(old, new, tests.get(old.id, []), tests.get(new.id, []))
             for old, new in pairs]
    changed = [d for d in diffs if d.delta != 0 or d.tests
               or d.old.score_before_late != d.new.score_before_late]
    return sorted(changed, key=lambda d: (-abs(d.delta), d.assignment, d.student))
