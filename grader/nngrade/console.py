"""The ``nngrade`` console script: the click group, after one head start for ``nngrade grade``.

`nngrade grade` forks its first grading process before anything else is
imported (`nngrade.grade.early` says why); every other command, and a
``grade`` that asks for help or grades elsewhere (Dask, nbgrader), goes
straight to `nngrade.cli`. Only the words of the command line are looked
at here: click parses them afterwards as always.
"""

from __future__ import annotations

import sys

__all__ = ["main", "starts_early"]

# options of `nngrade grade` that grade in no local pool, or grade nothing
_NO_POOL = ("--help", "--cluster", "--nbgrader")


def starts_early(argv: list[str]) -> bool:
    """Whether this command line grades in a local pool, so a head start pays."""
    return argv[:1] == ["grade"] and not any(
        word == option or word.startswith(option + "=") for word in argv[1:]
        for option in _NO_POOL)


def main() -> None:
    """Run the ``nngrade`` command line (the entry point of the console script)."""
    if starts_early(sys.argv[1:]):
        from nngrade.grade import early

        early.start()
    from nngrade.cli import main as cli

    cli()
