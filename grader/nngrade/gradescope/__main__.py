"""``python -m nngrade.gradescope ROOT``: what ``run_autograder`` runs for every submission.

The grading process is forked first thing (`nngrade.grade.early`), before
even the autograder's own imports: its sandbox and its imports start while
this process reads the settings and copies the hand-in, and the pool adopts
it. Then `nngrade.gradescope.autograder` grades, as ``python -m
nngrade.gradescope.autograder ROOT`` would.
"""

from __future__ import annotations

import contextlib
import sys


def _main() -> None:
    if sys.argv[1:2] != ["--self-check"]:
        from nngrade.grade import early

        with contextlib.suppress(Exception):  # a failure to fork costs only the head start
            early.start()
    from nngrade.console import leave
    from nngrade.gradescope.autograder import main  # after the head start

    leave(main())


if __name__ == "__main__":
    _main()
