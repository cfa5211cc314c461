"""The command line that starts the worker: a module of its own, without numpy.

The grader launches the sandbox first thing in a grading process, before it
imports numpy (`nngrade.sandbox.launch`), so this text cannot live in
``nngrade.worker.main``, which imports numpy for the zygote.
"""

from __future__ import annotations

__all__ = ["BOOTSTRAP"]

# argv: CONFIG_JSON LIB_DIR SITE_DIR DIAG_FD. The grader's log fd becomes
# stderr first thing, so that even a failing import is reported.
BOOTSTRAP = (
    "import os, sys; d = int(sys.argv[4]); d >= 0 and os.dup2(d, 2); "
    "sys.path[:0] = sys.argv[2:4]; "
    "from nngrade.worker.main import zygote_main; zygote_main(sys.argv[1])"
)
