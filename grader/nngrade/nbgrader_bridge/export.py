"""``nngrade nbgrader export``: write an nbgrader course's source notebooks from ``solutions/``.

After this the instructor uses plain nbgrader (``generate_assignment``,
``release_assignment``, ``collect``, ``autograde``, ``generate_feedback``);
the test cells call nngrade's hidden checks inside the kernel, so nbgrader's
own autograde gives the points ``nngrade grade`` would.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from pathlib import Path

import click

from nngrade.contract import MODULES
from nngrade.nbgrader_bridge.config import config_text
from nngrade.nbgrader_bridge.notebook import build_source_notebook
from nngrade.nbgrader_bridge.requirement import require_nbgrader
from nngrade.nbgrader_bridge.split import split_module

DEFAULT_ASSIGNMENT = "nn-foundations"
DEFAULT_COURSE_ID = "nngrade"
# grader/nngrade/nbgrader_bridge/export.py -> the repository (or sdist) root, which holds solutions/
DEFAULT_SOLUTIONS = Path(__file__).resolve().parents[3] / "solutions"

__all__ = ["DEFAULT_ASSIGNMENT", "ExportResult", "default_seed", "export_command", "export_course"]


@dataclass
class ExportResult:
    notebooks: list[Path] = field(default_factory=list)
    config: Path | None = None
    config_written: bool = False
    seed: int = 0


def default_seed(assignment: str) -> int:
    """A seed fixed by the assignment's name, so every run grades with the same hidden inputs."""
    return zlib.crc32(assignment.encode("utf-8")) & 0x7FFFFFFF


def export_course(
    course_dir: Path,
    assignment: str = DEFAULT_ASSIGNMENT,
    *,
    modules: list[str] | None = None,
    solutions: Path = DEFAULT_SOLUTIONS,
    rubric: Path | None = None,
    seed: int | None = None,
    course_id: str = DEFAULT_COURSE_ID,
    force: bool = False,
    lang: str | None = None,
) -> ExportResult:
    """Write ``course_dir/source/<assignment>/<module>.ipynb`` and, if missing, nbgrader_config.py.

    ``modules`` defaults to every contract module that has a file in
    ``solutions``. Existing notebooks are kept unless ``force``; an existing
    nbgrader_config.py is never overwritten (it is the instructor's).
    ``lang`` fixes the language of the public-check cells (None: each
    student's locale, with the headings in both languages).
    """
    require_nbgrader()
    import nbformat

    from nngrade.rubric import load_rubric

    points = load_rubric(rubric).points
    chosen = list(modules) if modules else [m for m in MODULES if (solutions / f"{m}.py").is_file()]
    unknown = [m for m in chosen if m not in MODULES]
    if unknown:
        raise click.UsageError(f"not contract modules: {', '.join(unknown)}")
    missing = [m for m in chosen if not (solutions / f"{m}.py").is_file()]
    if missing or not chosen:
        raise click.ClickException(
            f"no solution module for {', '.join(missing) or 'any contract module'} in {solutions}"
        )
    target = course_dir / "source" / assignment
    existing = [target / f"{m}.ipynb" for m in chosen if (target / f"{m}.ipynb").exists()]
    if existing and not force:
        raise click.ClickException(
            "source notebooks already exist (use --force to overwrite): "
            + ", ".join(str(p) for p in existing)
        )
    result = ExportResult(seed=default_seed(assignment) if seed is None else seed)
    target.mkdir(parents=True, exist_ok=True)
    for module in chosen:
        source = (solutions / f"{module}.py").read_text(encoding="utf-8")
        nb = build_source_notebook(module, split_module(source), points[module], result.seed,
                                   lang)
        nbformat.validate(nb)
        path = target / f"{module}.ipynb"
        nbformat.write(nb, str(path))
        result.notebooks.append(path)
    result.config = course_dir / "nbgrader_config.py"
    if not result.config.exists():
        result.config.write_text(config_text(course_id), encoding="utf-8")
        result.config_written = True
    return result


@click.command("export")
@click.argument("course_dir", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--assignment",
    default=DEFAULT_ASSIGNMENT,
    show_default=True,
    help="nbgrader assignment name (the folder under source/).",
)
@click.option(
    "--module",
    "modules",
    multiple=True,
    type=click.Choice(list(MODULES)),
    help="Export only this module (repeatable); default: every module in --solutions.",
)
@click.option(
    "--solutions",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    default=DEFAULT_SOLUTIONS,
    show_default=True,
    help="Folder of complete modules.",
)
@click.option(
    "--rubric",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="Rubric TOML (default: nngrade's grader/rubric.toml).",
)
@click.option("--seed", type=int, help="Seed of the hidden inputs (default: from the name).")
@click.option(
    "--course-id",
    default=DEFAULT_COURSE_ID,
    show_default=True,
    help="nbgrader course id, written to a new nbgrader_config.py.",
)
@click.option("--force", is_flag=True, help="Overwrite existing source notebooks.")
@click.option(
    "--lang",
    type=click.Choice(["en", "zh"]),
    default=None,
    help="Language of the public-check cells (default: each student's locale).",
)
def export_command(
    course_dir: Path,
    assignment: str,
    modules: tuple[str, ...],
    solutions: Path,
    rubric: Path | None,
    seed: int | None,
    course_id: str,
    force: bool,
    lang: str | None,
) -> None:
    """Write nbgrader source notebooks for ASSIGNMENT into COURSE_DIR/source/, one per module.

    Then, in COURSE_DIR: nbgrader generate_assignment ASSIGNMENT, release,
    collect, nbgrader autograde ASSIGNMENT (or nngrade grade --nbgrader),
    nbgrader generate_feedback ASSIGNMENT.
    """
    result = export_course(
        course_dir,
        assignment,
        modules=list(modules),
        solutions=solutions,
        rubric=rubric,
        seed=seed,
        course_id=course_id,
        force=force,
        lang=lang,
    )
    for path in result.notebooks:
        click.echo(f"wrote {path}")
    if result.config_written:
        click.echo(f"wrote {result.config} (course id {course_id!r})")
    else:
        click.echo(f"kept existing {result.config}")
    click.echo(f"hidden checks seed: {result.seed}")
    click.echo(f"next: cd {course_dir} && nbgrader generate_assignment {assignment}")
