"""The ``nbgrader_config.py`` that export writes next to ``source/``.

nbgrader reads it from the directory its commands run in. Only what nngrade's
notebooks need is set; everything else (exchange, JupyterHub) stays the
instructor's business and keeps nbgrader's defaults.
"""

from __future__ import annotations

__all__ = ["CELL_TIMEOUT", "config_text"]

# One test cell runs a whole module's hidden suite in the kernel (a few
# seconds for backprop's train_xor); a student's infinite loop must still end.
CELL_TIMEOUT = 120


def config_text(course_id: str) -> str:
    """Source of nbgrader_config.py for the course ``course_id``."""
    return f'''\
"""nbgrader configuration, written by `nngrade nbgrader export`. Edit freely."""

from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor
from nbgrader.preprocessors import ClearHiddenTests, GetGrades

c = get_config()  # noqa: F821 (nbgrader provides get_config)

c.CourseDirectory.course_id = {course_id!r}

# autograde runs each student notebook in a fresh kernel. Each test cell may run
# a module's hidden checks (seconds); a runaway student cell is stopped here.
c.Execute.timeout = {CELL_TIMEOUT}  # seconds per cell; Execute is nbgrader's ExecutePreprocessor
c.ExecutePreprocessor.timeout = {CELL_TIMEOUT}
c.Execute.startup_timeout = 60  # seconds for the kernel to start
c.Execute.interrupt_on_timeout = True

# A student who prints in a loop must not produce a gigabyte notebook.
c.LimitOutput.max_lines = 500
c.LimitOutput.max_traceback = 50

# nbgrader restores hidden tests into the graded notebooks and, by design,
# shows them in feedback (jupyter/nbgrader#917). Feedback here keeps the test
# cells' output (score and nngrade's explanation) and drops their hidden source.
c.GenerateFeedback.preprocessors = [GetGrades, ClearHiddenTests, CSSHTMLHeaderPreprocessor]

# Where release_assignment / collect exchange files (nbgrader's default shown).
# c.Exchange.root = "/srv/nbgrader/exchange"
'''
