"""The sandbox's vocabulary: the limits a grading run sets and what a call returns.

`CallResult` is defined in `nngrade.records` (one record type for every backend) and
re-exported here as part of the sandbox's public API.
"""

from __future__ import annotations

from dataclasses import dataclass

from nngrade.records import CallResult

__all__ = ["STATUSES", "CallResult", "Limits", "SandboxError"]

# Every CallResult.status. Only "ok" carries a value worth comparing.
STATUSES = (
    "ok",
    "raised",
    "not_implemented",
    "timeout",
    "crashed",
    "missing_module",
    "missing_name",
    "import_error",
    "bad_result",
)


class SandboxError(RuntimeError):
    """The sandbox itself cannot run (not a student's fault): the grader should stop."""


@dataclass(frozen=True)
class Limits:
    """What one submission may use. Defaults suit the course's exercises.

    Times are wall-clock seconds measured by the grader, except ``cpu_seconds``
    (RLIMIT_CPU of the worker child that serves a submission).
    """

    call_seconds: float = 5.0  # one call or drive
    import_seconds: float = 10.0  # one module's import
    submission_seconds: float = 60.0  # all imports and calls of one submission
    grace_seconds: float = 1.0  # after the soft in-worker timer, before the hard kill
    cpu_seconds: int = 60
    memory_bytes: int = 1 << 30  # RLIMIT_AS of the worker child
    file_bytes: int = 16 << 20  # RLIMIT_FSIZE: any one file, captured fd output included
    scratch_bytes: int = 64 << 20  # size of the tmpfs /tmp and /dev/shm (bubblewrap)
    open_files: int = 64
    processes: int = 32  # RLIMIT_NPROC (threads count; new processes are denied anyway)
    output_chars: int = 4096  # tail of a call's printed output kept in CallResult.output
    error_chars: int = 2000
    max_module_bytes: int = 1 << 20  # one source file
    scratch_files: int = 10_000  # files and directories in /tmp and /dev/shm (bubblewrap)
    max_frame_bytes: int = 16 << 20  # one reply frame from the worker
    max_elements: int = 1_000_000  # one array, either direction
    max_depth: int = 32  # nesting of lists / tuples / dicts in a value
    max_items: int = 1_000_000  # values in one reply
    start_seconds: float = 30.0  # starting the zygote (imports numpy)
    mode: str | None = None  # "bwrap", "none", or None: $NNGRADE_SANDBOX, else "auto"
