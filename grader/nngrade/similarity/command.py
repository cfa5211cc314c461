"""``nngrade similarity``: which hand-ins to look at side by side, after the deadline.

Reads a folder of hand-ins or an ``nngrade submit`` inbox exactly as
``nngrade grade`` does, compares every pair per module locally (nothing
leaves the machine, unlike MOSS), and writes ``DIR/similarity.html`` and
``DIR/similarity.csv``. It reads student code as text and never runs it;
it writes nothing else and never touches a grade. The exit status is
non-zero only when the command itself cannot run (a wrong path, no given
code), never because pairs were flagged.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click
from click.core import ParameterSource

from nngrade.contract import module_names
from nngrade.similarity.compare import Settings

__all__ = ["similarity_command"]


class Fraction(click.ParamType):
    """A share as ``0.9`` or ``90%``."""

    name = "fraction"

    def convert(self, value: object, param: click.Parameter | None,
                ctx: click.Context | None) -> float:
        from nngrade.similarity.texts import Texts

        text = str(value).strip()
        try:
            number = float(text[:-1]) / 100 if text.endswith("%") else float(text)
        except ValueError:
            number = -1.0
        if not 0 <= number <= 1:
            lang = (ctx.params.get("lang") if ctx else None) or "en"
            self.fail(Texts(lang)("cli_bad_threshold", value=text), param, ctx)
        return number


@click.command("similarity")
@click.argument("submissions", type=click.Path(path_type=Path), required=False)
@click.option("--out", "-o", type=click.Path(path_type=Path), default=None,
              help="Folder for similarity.html and similarity.csv (created if needed; with "
                   "--assignment A, default: the course's OUT/A/similarity).")
@click.option("--assignment", "-a", default=None, metavar="A",
              help="Compare the attempts that assignment A of the course grades (nngrade.toml: "
                   "inbox and downloads, due dates, extensions), in A's modules only; "
                   "SUBMISSIONS is not needed.")
@click.option("--course-file", type=click.Path(path_type=Path), default=None,
              help="With --assignment: the course file or its folder (default: the nearest "
                   "nngrade.toml).")
@click.option("--threshold", type=Fraction(), default=str(Settings.threshold), show_default=True,
              help="Flag pairs scoring at least this (0-1 or a percentage).")
@click.option("--module", "modules", multiple=True, metavar="MODULE",
              help="Compare only this module (repeatable; default: every module of the "
                   "contract). Use it for an assignment made of some modules.")
@click.option("--deadline", type=click.DateTime(["%Y-%m-%d", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M",
                                                 "%Y-%m-%dT%H:%M:%S"]),
              default=None, help="For an inbox: compare each student's newest archive "
                                 "before this time, as nngrade grade grades it.")
@click.option("--lang", type=click.Choice(["en", "zh"]), default="en", show_default=True,
              help="Language of the report.")
@click.option("--course", type=click.Path(path_type=Path, file_okay=False, exists=True),
              default=None, help="The course repository whose exercises/ stubs and docs/*.md "
                                 "code blocks students were given (default: the checkout "
                                 "nngrade runs from, else the current folder).")
@click.option("--given", "given_paths", multiple=True,
              type=click.Path(path_type=Path, exists=True),
              help="More code every student was given or shown, e.g. the lecture's programs: "
                   ".py, .ipynb or .md files, or folders of them (repeatable).")
@click.option("--no-given", is_flag=True,
              help="Compare without any given code (for hand-ins of another course).")
@click.option("--max-share", type=Fraction(), default=str(Settings.max_share), show_default=True,
              help="Code found in more than this share of the hand-ins counts as common.")
@click.option("--min-tokens", type=click.IntRange(1), default=Settings.min_tokens,
              show_default=True,
              help="Shared uncommon tokens needed for a full score (about six lines).")
@click.option("--top", type=click.IntRange(0), default=Settings.top, show_default=True,
              help="Pairs listed per module with a side-by-side view, at least.")
def similarity_command(submissions: Path | None, out: Path | None, assignment: str | None,
                       course_file: Path | None, threshold: float, modules: tuple[str, ...],
                       deadline: dt.datetime | None, lang: str, course: Path | None,
                       given_paths: tuple[Path, ...], no_given: bool, max_share: float,
                       min_tokens: int, top: int) -> None:
    """Compare every pair of hand-ins in SUBMISSIONS_OR_INBOX, module by module.

    Writes DIR/similarity.html (pairs ranked per module, side by side with the
    matching code highlighted, groups that share one source) and
    DIR/similarity.csv. A high score is a reason to look, not proof; it
    never changes a grade. Code given to the class (the stubs, the handouts'
    code, --given files) and code written the same way by many students are
    not counted.
    """
    if assignment is None:
        if course_file is not None:
            raise click.UsageError("--course-file goes with --assignment A")
        if submissions is None or out is None:
            raise click.UsageError("give SUBMISSIONS_OR_INBOX and --out DIR (or --assignment A)")
        _compare(submissions, out, threshold, modules, deadline, lang, course, given_paths,
                 no_given, max_share, min_tokens, top, shown=str(submissions))
        return
    if submissions is not None or deadline is not None:
        raise click.UsageError("--assignment A takes the hand-ins and their deadlines from the "
                               "course file: give neither SUBMISSIONS nor --deadline")
    from nngrade.similarity.assignment import staged_assignment

    explicit_lang = click.get_current_context().get_parameter_source("lang") \
        is ParameterSource.COMMANDLINE
    with staged_assignment(assignment, course_file) as staged:
        for problem in staged.problems:
            click.echo(f"warning: {problem}", err=True)
        _compare(staged.folder, out or staged.out, threshold, modules or tuple(staged.modules),
                 None, lang if explicit_lang else staged.language, course, given_paths,
                 no_given, max_share, min_tokens, top,
                 shown=staged.shown)


def _compare(submissions: Path, out: Path, threshold: float, modules: tuple[str, ...],
             deadline: dt.datetime | None, lang: str, course: Path | None,
             given_paths: tuple[Path, ...], no_given: bool, max_share: float,
             min_tokens: int, top: int, shown: str) -> None:
    """The comparison of every pair of hand-ins in ``submissions``, written to ``out``.

    ``shown`` names the hand-ins to the user: for an assignment, ``submissions``
    is a temporary staging folder whose path would mean nothing to them.
    """
    from nngrade.similarity.analysis import analyse
    from nngrade.similarity.given import GivenCode, GivenCodeError, find_course, load_given
    from nngrade.similarity.intake import IntakeError, read_hand_ins
    from nngrade.similarity.report import write_report
    from nngrade.similarity.texts import Texts

    t = Texts(lang)
    known = module_names()
    for module in modules:
        if module.removesuffix(".py") not in known:
            raise click.BadParameter(t("cli_unknown_module", module=module,
                                       known=", ".join(known)), param_hint="--module")
    wanted = [m.removesuffix(".py") for m in modules] or None
    if max_share <= 0:
        raise click.BadParameter(t("cli_bad_share"), param_hint="--max-share")
    settings = Settings(threshold=threshold, max_share=max_share, min_tokens=min_tokens, top=top)
    try:
        hand_ins = read_hand_ins(submissions, deadline)
    except IntakeError as exc:
        raise click.ClickException(str(exc)) from exc
    if not hand_ins:
        raise click.ClickException(t("cli_no_hand_ins", path=shown))
    click.echo(t("cli_read", count=len(hand_ins), path=shown))
    if no_given:
        import numpy as np

        given = GivenCode((), np.zeros(0, dtype=np.uint64))
    else:
        if course is not None and not (course / "exercises").is_dir():
            raise click.ClickException(t("cli_course_without_exercises", path=course))
        root = find_course(course)
        if root is None and not given_paths:
            raise click.ClickException(t("cli_no_given"))
        try:
            given = load_given(root, given_paths, settings.k)
        except GivenCodeError as exc:
            raise click.ClickException(str(exc)) from exc
    analysis = analyse(hand_ins, given, settings, wanted)
    for compared in analysis.modules:
        result = compared.result
        if not result.documents:
            continue
        click.echo(t("cli_module", module=f"{result.module}.py", hand_ins=len(result.documents),
                     flagged=len(result.flagged),
                     top=f"{result.pairs[0].score:.2f}" if result.pairs else "0"))
    html_path, csv_path = write_report(analysis, out, lang)
    click.echo(t("cli_written", html=html_path, csv=csv_path))
