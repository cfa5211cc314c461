"""The visible "check your work" cell of an exported notebook: ``nngrade check`` in the kernel.

A student on the nbgrader path has no terminal folder of modules to run
``nngrade check`` on: the answers live in notebook cells. Every exported
notebook therefore carries one read-only cell, after the answers and before
the hidden autograder tests, that runs the same public checks (the lecture's
own examples, `nngrade.student.checks`) on the functions the notebook has
defined, and prints the same report as ``nngrade check`` does, in English or
Chinese.

Threat model: this is the student's own kernel and the student's own
feedback; it grades nothing. It must simply never get in the way: it never
raises and never writes to stderr (nbgrader would take an error in any cell
as a reason to look at the notebook by hand), a check that loops stops at
its time limit, and anything the student's code raises becomes a line of
the report.
"""

from __future__ import annotations

import os
import types
from collections.abc import Mapping
from pathlib import Path
from typing import Any

__all__ = ["PUBLIC_CALL", "public_checks", "public_cell_source"]

PUBLIC_CALL = "_nngrade_public_checks"


def public_cell_source(module: str, lang: str | None) -> str:
    """The cell's source: one import, one call (``lang=None``: the student's locale decides)."""
    return (
        f"from nngrade.nbgrader_bridge.publiccell import public_checks as {PUBLIC_CALL}\n"
        f"{PUBLIC_CALL}(globals(), {module!r}, lang={lang!r})"
    )


def _as_module(namespace: Mapping[str, Any], module: str) -> types.ModuleType:
    """The notebook's definitions seen as the module the checks expect."""
    m = types.ModuleType(module)
    m.__dict__.update({k: v for k, v in namespace.items() if not k.startswith("__")})
    return m


def public_checks(namespace: Mapping[str, Any], module: str, *, lang: str | None = None,
                  timeout: float = 5.0) -> bool:
    """Run ``module``'s public checks on the notebook's ``namespace``; print the report.

    Returns True when every function passes. Never raises (but for
    KeyboardInterrupt, so the student can stop it).
    """
    try:
        from nngrade.language import choose_language
        from nngrade.student.check import Report, run_check
        from nngrade.student.checks import checks_for

        language = choose_language(lang, None, os.environ)
        student = _as_module(namespace, module)
        folder = Path.cwd()
        outcomes = [run_check(check, student, folder, timeout) for check in checks_for(module)]
        report = Report(language, colour=False, verbose=False)
        return report.modules([module], {module: outcomes}, {})
    except KeyboardInterrupt:
        raise
    except BaseException as exc:  # noqa: BLE001 - a check cell must never show a traceback
        print(f"nngrade: the public checks could not run ({type(exc).__name__}: {exc})")
        return False
