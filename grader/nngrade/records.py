"""The records that cross the grader's boundaries, each defined once and imported by both sides.

A submission passes three boundaries on its way to a score, and each has one
record type:

- `Submission`: intake -> grading. One student's hand-in read into memory
  (`nngrade.intake`); the grading processes, scoring and the reports read it.
- `CallResult`: the student's code -> the hidden tests. What one call (or
  trusted driver run) gave, from whichever backend ran it: the sandbox
  (`nngrade.sandbox`) or, inside an nbgrader kernel, the in-process backend
  (`nngrade.hidden.inprocess`). Every backend fills every field itself,
  ``error_type`` included; nothing downstream parses error texts.
- `TestRecord`: the hidden tests -> scoring. One hidden test's verdict for
  one submission (`nngrade.hidden`), turned into points by `nngrade.scoring`.

This module imports nothing of nngrade but the contract (itself a leaf), so
any part of the grader can import it without a cycle. It never holds an
object of the student's: values in a `CallResult` are plain data that
crossed the wire format.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from nngrade.contract import module_names

__all__ = ["CallResult", "Submission", "TestRecord", "results_text"]


def results_text(results: Mapping[str, Any]) -> str:
    """results.json's text, the one way it is written: compact, by json's C encoder (``indent``
    would send every document through the pure-Python one, a fifth of the main process's
    time). A report's stamp is a digest of this text (`nngrade.report.student`)."""
    return json.dumps(results, ensure_ascii=False) + "\n"


@dataclass
class Submission:
    """One student's hand-in as data: module sources read into memory, never imported here.

    ``error`` set means nothing can be graded (an unreadable archive, an empty
    folder); ``warnings`` are what the student should know about how it was
    read (a skipped file, a renamed id). ``origin`` is where it came from, as
    results.json's ``nngrade.source`` block reports it: ``path``, and for an
    inbox ``archive_sha256``, ``submitted_at``, ``late``, ``archives_in_inbox``.
    """

    student: str
    sources: dict[str, str] = field(default_factory=dict)  # module name -> source text
    content_sha256: str = ""  # over module names and sources (`nngrade.intake.content_sha256`)
    error: str | None = None
    warnings: list[str] = field(default_factory=list)
    origin: dict[str, Any] = field(default_factory=dict)

    @property
    def late(self) -> bool:
        return bool(self.origin.get("late"))

    @property
    def modules(self) -> list[str]:
        """The contract's modules present, in lecture order (other sources are the student's
        helper modules, imported only when a module imports them)."""
        return [m for m in module_names() if m in self.sources]


@dataclass(frozen=True)
class CallResult:
    """What came back from one call into a student's code (or one trusted driver run).

    ``status`` is one of ``nngrade.sandbox.STATUSES``; ``value`` is plain data
    only (``numpy.ndarray`` of bool/int/uint/float, int, float, bool, str,
    None, list, tuple, dict with str keys, or ``Opaque``) and is meaningful
    only when ``status == "ok"``. ``error`` is the student's exception (their
    own frames only) or why the call failed; ``error_type`` the class name of
    the student's exception (``"KeyError"``) when status is ``raised`` or
    ``not_implemented``; ``output`` the tail of what the call printed;
    ``warnings`` the warnings it raised (``"RuntimeWarning: overflow
    encountered in exp"``); ``limit`` the name of the ``Limits`` field that
    was hit, if any (``"call_seconds"``, ``"submission_seconds"``,
    ``"memory_bytes"``, ``"cpu_seconds"``, ``"max_elements"``...);
    ``seconds`` the wall time the grader waited.
    """

    status: str
    value: Any = None
    error: str = ""
    output: str = ""
    seconds: float = 0.0
    warnings: tuple[str, ...] = ()
    limit: str | None = None
    error_type: str = ""

    @property
    def ok(self) -> bool:
        return self.status == "ok"


@dataclass
class TestRecord:
    """One hidden test's verdict for one submission, as scoring and results.json need it.

    ``feedback`` is results.json's ``extra_data`` of the test (``kind``,
    ``message``, ``call``, ``got``, ``expected``, ``mistake``, ``seconds``);
    ``output`` the text a student reads; ``weight`` the test's share of its
    contract name's points.
    """

    __test__ = False  # not a pytest test class, whatever its name

    nodeid: str
    title: str
    module: str
    name: str
    weight: float
    passed: bool
    feedback: dict[str, Any]
    output: str
    seconds: float
