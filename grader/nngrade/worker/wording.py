"""How the worker words what went wrong in a student's code: every text a reply carries.

Mirror of ``nngrade.sandbox.wording``, which words what the grader saw from
outside (a killed child, a deadline, a malformed reply). Texts here reach the
student's report as a ``CallResult.error`` or a module's load status.

Threat model: the exception being described is the student's. Its
``__str__``, its class's metaclass and its traceback's frames are theirs, and
any of them may raise (``SystemExit`` included), loop, or return something
huge. Only the student's own frames are shown (the worker's and numpy's are
no business of theirs, and reading their source lines would cost more than
the call), every text is cut to size, and a description that fails becomes a
short placeholder instead of an error in the worker.

Imports only the standard library and this package.
"""

from __future__ import annotations

import traceback
from collections.abc import Collection

from nngrade.worker.protocol import type_name

__all__ = [
    "CALL_TIMEOUT",
    "call_timeout",
    "classify",
    "describe",
    "import_timeout",
    "internal_error",
    "missing_name",
    "no_module",
    "not_a_function",
    "shadowed",
]

_SHOWN_FRAMES = 8


def describe(exc: BaseException, student_files: Collection[str], cap: int) -> str:
    """``exc`` as a traceback of the student's own frames, cut to ``cap`` characters."""
    try:
        # Only the student's frames are looked up: reading the source lines of the
        # worker's and numpy's frames cost more than the call that raised.
        own = ((frame, line) for frame, line in traceback.walk_tb(exc.__traceback__)
               if frame.f_code.co_filename in student_files)
        frames = traceback.StackSummary.extract(own)
        lines = traceback.format_list(frames[-_SHOWN_FRAMES:])
        if len(frames) > _SHOWN_FRAMES:
            lines.insert(0, f"  ... {len(frames) - _SHOWN_FRAMES} more frames ...\n")
        try:
            last = "".join(traceback.format_exception_only(type(exc), exc)).strip()
        except BaseException:  # noqa: BLE001 - a hostile __str__
            last = f"{type_name(exc)}: <the exception's message could not be shown>"
        if isinstance(exc, SystemExit):
            last += "  (the code called sys.exit())"
        text = "".join(lines) + last
    except BaseException:  # noqa: BLE001
        text = f"{type_name(exc)} (its details could not be shown)"
    if len(text) > cap:
        half = cap // 2
        text = text[:half] + "\n[...]\n" + text[-half:]
    return text


def classify(exc: BaseException) -> tuple[str, str, str | None]:
    """(status, error_type, limit) of an exception the student's code raised."""
    kind = type_name(exc).rsplit(".", 1)[-1][:100]
    if isinstance(exc, NotImplementedError):
        return "not_implemented", kind, None
    if isinstance(exc, MemoryError):
        return "raised", kind, "memory_bytes"
    return "raised", kind, None


# The soft timer went off outside the student's call (while decoding its arguments).
CALL_TIMEOUT = "the call did not finish in time"


def internal_error(exc: BaseException) -> str:
    """A failure of the worker's own code (an unknown driver, a malformed request)."""
    try:
        return f"{type(exc).__name__}: {exc}"[:2000]
    except BaseException:  # noqa: BLE001 - whatever it is, the worker must answer
        return f"{type_name(exc)} (its details could not be shown)"


def call_timeout(seconds: float) -> str:
    return f"the call did not finish within {seconds:g} s"


def import_timeout(module: str, seconds: float) -> str:
    return f"importing {module}.py did not finish within {seconds:g} s"


def shadowed(module: str) -> str:
    return (
        f"{module}.py has the name of a module of Python or numpy, so it cannot be "
        f"imported as your module; rename it"
    )


def no_module(module: str) -> str:
    return f"the submission has no {module}.py"


def missing_name(module: str, name: str) -> str:
    return f"{module}.py does not define {name}"


def not_a_function(module: str, name: str, value_type: str) -> str:
    return f"{module}.{name} is a {value_type}, not a function"
