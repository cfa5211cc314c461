"""nbgrader integration, both ways.

1. nngrade as the source of an nbgrader assignment: ``nngrade nbgrader
   export COURSE_DIR`` writes source notebooks whose hidden test cells run
   nngrade's checks inside nbgrader's kernel (`nngrade.nbgrader_bridge.export`).
2. nngrade as nbgrader's autograder: ``nngrade grade --nbgrader COURSE_DIR
   ASSIGNMENT`` calls `grade_course`, which grades the notebooks' answer
   cells in nngrade's sandbox and fills nbgrader's gradebook and
   ``autograded/`` folders (`nngrade.nbgrader_bridge.grade`).

nbgrader is an optional extra (``pip install 'nngrade[nbgrader]'``): nothing
here imports it until a function needs it.
"""

from __future__ import annotations

from nngrade.nbgrader_bridge.cli import nbgrader_group
from nngrade.nbgrader_bridge.export import export_course
from nngrade.nbgrader_bridge.grade import grade_course

__all__ = ["export_course", "grade_course", "nbgrader_group"]
