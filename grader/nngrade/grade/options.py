"""What an instructor sets for one ``nngrade grade`` run, and the sandbox limits that follows."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

__all__ = ["BatchOptions", "sandbox_limits"]


@dataclass
class BatchOptions:
    """Everything an instructor can set for one batch (run.json records them)."""

    jobs: int = 2
    seed: int | None = None
    force: bool = False
    call_timeout: float = 2.0
    submission_timeout: float = 300.0
    memory_mb: int = 1024
    lang: str = "en"
    reports: bool = True
    progress: bool = False
    rubric_path: Path | None = None
    deadline: datetime | None = None
    limits: dict[str, float] = field(default_factory=dict)  # more `Limits` fields, by name
    replay: bool = True  # reuse a test's verdict for identical answers (nngrade.hidden.replay)
    cluster: str | None = None  # "local:N" or a Dask scheduler (nngrade.grade.dask_cluster)


def sandbox_limits(options: BatchOptions) -> dict[str, float]:
    """The `nngrade.sandbox.Limits` fields the options set (the hidden tests read them too)."""
    limits = {
        "call_seconds": options.call_timeout,
        "submission_seconds": options.submission_timeout,
        "memory_bytes": options.memory_mb * 1024 * 1024,
    }
    limits.update(options.limits)
    return limits
