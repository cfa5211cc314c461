"""The ``nngrade`` console script: the click group, after one head start for ``nngrade grade``.

`nngrade grade` forks its first grading process before anything else is
imported (`nngrade.grade.early` says why); every other command, and a
``grade`` that asks for help or grades elsewhere (Dask, nbgrader), goes
straight to `nngrade.cli`. Only the words of the command line are looked
at here: click parses them afterwards as always.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import sys
from typing import NoReturn

__all__ = ["leave", "main", "starts_early"]

# options of `nngrade grade` that grade in no local pool, or grade nothing
_NO_POOL = ("--help", "--cluster", "--nbgrader")


def starts_early(argv: list[str]) -> bool:
    """Whether this command line grades in a local pool, so a head start pays."""
    return argv[:1] == ["grade"] and not any(
        word == option or word.startswith(option + "=") for word in argv[1:]
        for option in _NO_POOL)


def main() -> None:
    """Run the ``nngrade`` command line (the entry point of the console script)."""
    if not starts_early(sys.argv[1:]):
        from nngrade.cli import main as cli

        cli()
        return
    from nngrade.grade import early

    early.start()
    from nngrade.cli import main as cli

    try:
        cli()
    except SystemExit as done:
        leave(done.code)
    leave(0)


def leave(status: object) -> NoReturn:
    """Exit as ``sys.exit(status)`` would, without the interpreter's teardown.

    Once `nngrade grade` (or run_autograder) returns, everything it writes is
    written (atomically, and closed); tearing down every module a grading
    imported (numpy, jinja2, the suites) would only add a few hundredths of a
    second to a cold hand-in. The atexit handlers still run (the early grading process,
    multiprocessing's own) and the standard streams are flushed.
    """
    if status is None:
        code = 0
    elif isinstance(status, int):
        code = status
    else:  # sys.exit("message"): printed, status 1
        print(status, file=sys.stderr)
        code = 1
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):  # a closed pipe: nothing left to tell
            stream.flush()
    os._exit(code)
