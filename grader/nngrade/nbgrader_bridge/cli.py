"""``nngrade nbgrader``: the command group of the nbgrader bridge.

Grading an nbgrader course is not here: it is ``nngrade grade --nbgrader
COURSE_DIR ASSIGNMENT``, one grading command for both kinds of course, which
calls `nngrade.nbgrader_bridge.grade_course`.
"""

from __future__ import annotations

import click

from nngrade.nbgrader_bridge.export import export_command
from nngrade.nbgrader_bridge.sample import import_command

__all__ = ["nbgrader_group"]


@click.group("nbgrader")
def nbgrader_group() -> None:
    """Use nngrade with an nbgrader course (needs: pip install 'nngrade[nbgrader]')."""


nbgrader_group.add_command(export_command)
nbgrader_group.add_command(import_command)
