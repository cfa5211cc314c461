"""How a hidden test's run becomes a `TestRecord`: passed, failed with feedback, or broken.

A hidden test reports a failure by raising `nngrade.feedback.Feedback`,
which carries what was called, what came back, what was expected and the
named mistake; that becomes the record's feedback and the text a student
reads. Anything else a test raises is never shown as it is, since its text
may quote the hidden test's source or the reference's internals:

- a plain ``assert`` that failed becomes a generic mismatch;
- any other exception means the hidden test itself broke (a grader bug,
  never the student's fault alone): ``kind`` ``grader_error``, with the
  exception kept under ``internal`` for the instructor.
"""

from __future__ import annotations

import traceback

from nngrade.feedback import Feedback
from nngrade.hidden.replay import Verdict
from nngrade.hidden.suite import HiddenTest
from nngrade.records import TestRecord

__all__ = ["record_of", "record_replayed"]


def record_of(test: HiddenTest, exc: BaseException | None, seconds: float) -> TestRecord:
    """The record of a test that ran: passed when ``exc`` is None, else why it failed."""
    if exc is None:
        return TestRecord(test.nodeid, test.title, test.module, test.name, test.weight, True,
                          {"kind": "passed", "seconds": round(seconds, 4)}, "", seconds)
    if isinstance(exc, Feedback):
        feedback = exc.as_dict()
        output = exc.render()
    elif isinstance(exc, AssertionError):
        feedback = {"kind": "mismatch", "message": "A hidden check on the result failed."}
        output = feedback["message"]
    else:
        detail = "".join(traceback.format_exception_only(type(exc), exc)).strip()
        feedback = {"kind": "grader_error",
                    "message": "The grader could not check this test (an internal error); "
                               "your instructor has been told.",
                    "internal": detail[:500]}
        output = feedback["message"]
    feedback["seconds"] = round(seconds, 4)
    return TestRecord(test.nodeid, test.title, test.module, test.name, test.weight, False,
                      feedback, output, seconds)


def record_replayed(test: HiddenTest, verdict: Verdict, seconds: float) -> TestRecord:
    """The record of a test settled by a replay: the verdict kept, this submission's time."""
    # Feedback holds strings and dicts of strings: this copy leaves the kept one alone.
    feedback = {k: dict(v) if isinstance(v, dict) else v for k, v in verdict.feedback.items()}
    feedback["seconds"] = round(seconds, 4)
    return TestRecord(test.nodeid, test.title, test.module, test.name, test.weight,
                      verdict.passed, feedback, verdict.output, seconds)
