"""Put ``.py`` submissions into an nbgrader course, as if the students had worked in notebooks.

The sample class (``examples/submissions/``) and any class that handed in
module files can then be graded by nbgrader and by nngrade on the very same
code: this is how the end-to-end tests and the benchmark build their
courses, and how an instructor tries the bridge on the sample class before
the term starts. Needs the released notebooks (``nbgrader
generate_assignment`` first).
"""

from __future__ import annotations

import datetime
from pathlib import Path

import click

from nngrade.contract import MODULES
from nngrade.nbgrader_bridge.fill import fill_notebook
from nngrade.nbgrader_bridge.requirement import require_nbgrader

__all__ = ["import_command", "place_submission", "read_modules"]


def read_modules(submission: Path) -> dict[str, str]:
    """Contract module sources of one hand-in, read as ``nngrade grade`` reads it.

    `nngrade.intake.unpack` finds the modules at the top, under ``exercises/`` or in
    one wrapping folder, of a folder or a .zip. A student's own helper modules
    have no notebook to go to and are left out.
    """
    from nngrade.intake import read_submission

    return {m: src for m, src in read_submission(submission).sources.items() if m in MODULES}


def place_submission(
    course_dir: Path,
    assignment: str,
    student: str,
    modules: dict[str, str],
    timestamp: datetime.datetime | None = None,
) -> Path:
    """Write ``submitted/<student>/<assignment>/``: released notebooks filled with ``modules``.

    A released notebook whose module the student did not hand in is
    submitted untouched (all stubs), as a student who never opened it would.
    """
    require_nbgrader()
    import nbformat

    release = course_dir / "release" / assignment
    notebooks = sorted(release.glob("*.ipynb"))
    if not notebooks:
        raise click.ClickException(
            f"no released notebooks in {release}: run `nbgrader generate_assignment {assignment}`"
        )
    dest = course_dir / "submitted" / student / assignment
    dest.mkdir(parents=True, exist_ok=True)
    for path in notebooks:
        released = nbformat.read(str(path), as_version=4)
        nbformat.write(fill_notebook(released, modules.get(path.stem)), str(dest / path.name))
    stamp = timestamp or datetime.datetime.now(datetime.timezone.utc)
    (dest / "timestamp.txt").write_text(stamp.strftime("%Y-%m-%d %H:%M:%S.%f %Z"))
    return dest


@click.command("import")
@click.argument("submissions", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.argument("course_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.argument("assignment")
def import_command(submissions: Path, course_dir: Path, assignment: str) -> None:
    """Turn SUBMISSIONS (one folder or .zip of module files per student) into nbgrader submissions.

    Writes COURSE_DIR/submitted/<student>/ASSIGNMENT/*.ipynb from the released
    notebooks, filled with each student's code, with a timestamp.txt.
    """
    for entry in sorted(submissions.iterdir()):
        if entry.name.startswith(".") or not (entry.is_dir() or entry.suffix == ".zip"):
            continue
        from nngrade.intake import read_submission

        hand_in = read_submission(entry)
        modules = {m: src for m, src in hand_in.sources.items() if m in MODULES}
        dest = place_submission(course_dir, assignment, hand_in.student, modules)
        click.echo(f"wrote {dest}")
