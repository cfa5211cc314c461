"""nbgrader is an optional extra: import it only when a bridge command runs, and say how to get it.

`import nngrade` (and `nngrade check`, which students run all evening) must
never pay for importing nbgrader, nor fail without it, so every function of
the bridge that needs nbgrader calls `require_nbgrader()` first.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import click

INSTALL_HINT = "pip install 'nngrade[nbgrader]'"

__all__ = ["INSTALL_HINT", "NbgraderMissing", "require_nbgrader", "tools_on_path"]


class NbgraderMissing(click.ClickException):
    """nbgrader (or nbformat, which it brings) cannot be imported."""


def require_nbgrader() -> None:
    """Import nbgrader and nbformat, or raise `NbgraderMissing` with the install command."""
    try:
        import nbformat  # noqa: F401
        import nbgrader  # noqa: F401
    except ImportError as exc:
        raise NbgraderMissing(
            f"this command needs nbgrader, which is not installed ({exc}).\n"
            f"Install it with: {INSTALL_HINT}"
        ) from exc
    tools_on_path()


def tools_on_path() -> None:
    """Put this interpreter's scripts folder on PATH if nbgrader's ``alembic`` is not found.

    nbgrader's `Gradebook` runs the ``alembic`` command to stamp a new
    database; it lives next to this Python, which, in a virtualenv that was
    not activated (``.venv/bin/nngrade ...``), is not on PATH.
    """
    scripts = Path(sys.executable).parent
    if shutil.which("alembic") is None and (scripts / "alembic").exists():
        os.environ["PATH"] = f"{scripts}{os.pathsep}{os.environ.get('PATH', '')}"
