"""The bundled sample class (examples/submissions), or some of its students, copied for a test.

Each student's hand-in is copied as it is (a folder or a zip), so a test grades
the same files `make demo` grades.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterable
from pathlib import Path

SAMPLE = Path(__file__).resolve().parents[1] / "examples" / "submissions"


def copy_sample_class(target: Path, students: Iterable[str]) -> Path:
    """``students``' hand-ins copied into ``target`` (created, with its parents)."""
    target.mkdir(parents=True, exist_ok=True)
    for student in students:
        source = next(p for p in SAMPLE.iterdir() if p.name in (student, f"{student}.zip"))
        (shutil.copytree if source.is_dir() else shutil.copy2)(source, target / source.name)
    return target
