"""The ``nngrade`` command line: one small click command per job, loaded on demand.

Commands live in the module that does their job (``nngrade check`` in
``nngrade.student.check``, ``nngrade grade`` in ``nngrade.grade.command``...). This
group only knows where to find them, so that ``nngrade check``, which a
student runs fifty times an evening, never pays for importing the grader.
"""

from __future__ import annotations

import importlib

import click

from nngrade.version import __version__

# command name -> "module:attribute" of a click command
COMMANDS: dict[str, str] = {
    "check": "nngrade.student.check:check_command",
    "submit": "nngrade.student.submit:submit_command",
    "stubs": "nngrade.stubs:stubs_command",
    "grade": "nngrade.grade.command:grade_command",
    "merge": "nngrade.grade.merge:merge_command",
    "receive": "nngrade.intake.receipts:receive_command",
    "release": "nngrade.release:release_command",
    "similarity": "nngrade.similarity.command:similarity_command",
    "nbgrader": "nngrade.nbgrader_bridge:nbgrader_group",
    "demo": "nngrade.reference.demo:demo_command",
    "course": "nngrade.course.cli:course_group",
    "gradebook": "nngrade.gradebook.cli:gradebook_group",
    "slurm": "nngrade.slurm.command:slurm_group",
    "gradescope": "nngrade.gradescope.command:gradescope_group",
    "audit": "nngrade.audit.command:audit_command",
}


class LazyGroup(click.Group):
    """A click group that imports a command's module only when that command runs."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if target is None:
            return None
        module_name, attr = target.split(":")
        module = importlib.import_module(module_name)
        return getattr(module, attr)


@click.group(cls=LazyGroup)
@click.version_option(__version__, prog_name="nngrade")
def main() -> None:
    """nngrade: neural-network exercises, public checks and a sandboxed autograder.

    Students: `nngrade check` while working, `nngrade submit` to hand in.
    Instructors: `nngrade grade SUBMISSIONS --out DIR` for a whole class.
    """
