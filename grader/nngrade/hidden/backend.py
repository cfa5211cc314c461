"""What the hidden tests need from whatever runs the student's code: the `Backend` protocol.

Two backends implement it with the same methods and the same results: the
sandbox (`nngrade.sandbox.Sandbox`, batch grading: student code confined in
a worker process) and `nngrade.hidden.inprocess.InProcessBackend` (inside an
nbgrader kernel, where the student's code already runs). The grader calls
only the methods below, on either, without asking which one it has.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any, Protocol

from nngrade.records import CallResult

__all__ = ["Backend"]


class Backend(Protocol):
    """Where student code runs; every result is a `CallResult` of plain data."""

    @property
    def protections(self) -> Mapping[str, bool]:
        """Which confinements are in force (results.json lists the missing ones)."""
        ...

    def load(self, sources: Mapping[str, str], modules: Iterable[str] | None = None, *,
             seed: int = 0) -> dict[str, str]:
        """Start a submission; ``{module: "ok" | why it did not import}`` for ``modules``."""
        ...

    def run_batch(self, requests: Iterable[Mapping[str, Any]],
                  on_result: Callable[[int, CallResult], None] | None = None,
                  ) -> list[CallResult]:
        """Results of a prefix of ``requests``, in order: the first one that fails ends it.

        ``on_result(i, result)``, if given, may be called with each result as
        soon as it is known (in order), so the caller works while the rest run.
        """
        ...

    def encode_request(self, request: Mapping[str, Any]) -> bytes:
        """``request`` (without its timeout) exactly as the code under test will receive it."""
        ...

    def end(self) -> None:
        """Done with this submission (cleanup may overlap the caller's work)."""
        ...
