"""``nngrade gradescope``: build the autograder bundle, and try it locally as Gradescope runs it."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import tempfile
from pathlib import Path

import click

from nngrade.folder_names import student_folder
from nngrade.gradescope.settings import VISIBILITIES, GradescopeSettings, SettingsError

__all__ = ["gradescope_group"]

_VISIBILITY = click.Choice(list(VISIBILITIES))


@click.group("gradescope")
def gradescope_group() -> None:
    """Grade on Gradescope: `build` the autograder zip, `test` it locally first."""


def _visibility_overrides(items: tuple[str, ...]) -> dict[str, str]:
    from nngrade.contract import MODULES

    overrides = {}
    for item in items:
        key, sep, value = item.partition("=")
        module, _, name = key.strip().partition(".")
        if not sep or module not in MODULES or (name and name not in MODULES[module]):
            raise click.BadParameter(
                f"{item!r}: give MODULE=VISIBILITY or MODULE.NAME=VISIBILITY with a contract "
                "name (e.g. activations=visible, losses.mse=hidden)", param_hint="--visibility")
        if value.strip() not in VISIBILITIES:
            raise click.BadParameter(f"{item!r}: the visibility must be one of "
                                     f"{', '.join(VISIBILITIES)}", param_hint="--visibility")
        overrides[key.strip()] = value.strip()
    return overrides


@gradescope_group.command("build")
@click.option("--out", "-o", type=click.Path(path_type=Path, dir_okay=False),
              default=Path("autograder.zip"), show_default=True, help="The zip to write.")
@click.option("--lang", type=click.Choice(["en", "zh"]), default="en", show_default=True,
              help="Language of everything students read on Gradescope.")
@click.option("--test-visibility", type=_VISIBILITY, default="after_due_date",
              show_default=True, help="When students see each hidden test's result.")
@click.option("--check-visibility", type=_VISIBILITY, default="visible", show_default=True,
              help="When students see which of their files import (no points).")
@click.option("--visibility", "overrides", multiple=True, metavar="MODULE[.NAME]=VISIBILITY",
              help="Another visibility for a module's or a contract name's tests (repeatable).")
@click.option("--stdout-visibility", type=_VISIBILITY, default="hidden", show_default=True,
              help="When students see the autograder's stdout (the instructor's log).")
@click.option("--seed", type=int, default=None,
              help="Seed of the hidden tests (default: a new one, fixed in the bundle).")
@click.option("--call-timeout", type=click.FloatRange(0.1, 600), default=4.0,
              show_default=True, help="Seconds per call (Gradescope gives half a CPU).")
@click.option("--submission-timeout", type=click.FloatRange(1, 2400), default=300.0,
              show_default=True, help="Seconds for all of one submission's calls.")
@click.option("--memory-mb", type=click.IntRange(128, 65536), default=384, show_default=True,
              help="Memory limit of the student's worker (the container has 768 MB).")
@click.option("--rubric", "rubric_path", type=click.Path(path_type=Path, exists=True,
              dir_okay=False), default=None, help="A rubric.toml instead of the default.")
def build_command(out: Path, lang: str, test_visibility: str, check_visibility: str,
                  overrides: tuple[str, ...], stdout_visibility: str, seed: int | None,
                  call_timeout: float, submission_timeout: float, memory_mb: int,
                  rubric_path: Path | None) -> None:
    """Write Gradescope's autograder zip: setup.sh, run_autograder, nngrade, rubric, settings."""
    from nngrade.gradescope.bundle import build_bundle
    from nngrade.rubric import RubricError

    try:
        settings = GradescopeSettings.new(
            seed=seed, lang=lang, test_visibility=test_visibility,
            check_visibility=check_visibility, stdout_visibility=stdout_visibility,
            call_timeout=call_timeout, submission_timeout=submission_timeout,
            memory_mb=memory_mb, visibility=_visibility_overrides(overrides))
        path = build_bundle(out, settings, rubric_path)
    except (SettingsError, RubricError, OSError) as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Wrote {path}: seed {settings.seed}, language {lang}, hidden tests "
               f"{test_visibility}. Try it with `nngrade gradescope test SUBMISSIONS --bundle "
               f"{path}`, then upload it on Gradescope (Configure Autograder).")


def _when(text: str | None, what: str) -> dt.datetime | None:
    if text is None:
        return None
    try:
        value = dt.datetime.fromisoformat(text)
    except ValueError:
        raise click.BadParameter(f"{text!r} is not a date and time (2026-12-01T23:59+08:00)",
                                 param_hint=what) from None
    return value if value.tzinfo else value.astimezone()


@gradescope_group.command("test")
@click.argument("submissions", type=click.Path(path_type=Path, exists=True))
@click.option("--bundle", type=click.Path(path_type=Path, exists=True, dir_okay=False),
              default=None, help="The autograder zip (default: build one with default settings).")
@click.option("--out", "-o", type=click.Path(path_type=Path), default=None,
              help="Keep each results.json and stdout here, as OUT/<student>/.")
@click.option("--root", type=click.Path(path_type=Path, file_okay=False), default=None,
              help="The folder standing in for /autograder (default: a temporary one).")
@click.option("--due", default=None, help="The assignment's due date (ISO 8601).")
@click.option("--submitted-at", default=None, help="Submission time (default: now).")
@click.option("--sandbox", type=click.Choice(["auto", "none"]), default="auto",
              show_default=True,
              help="`none` runs as in a container that blocks namespaces (Docker's default).")
def test_command(submissions: Path, bundle: Path | None, out: Path | None, root: Path | None,
                 due: str | None, submitted_at: str | None, sandbox: str) -> None:
    """Run the bundle's setup.sh and run_autograder on SUBMISSIONS as Gradescope would.

    SUBMISSIONS is one hand-in, or a folder of them (each graded in its own
    run, like separate Gradescope submissions). Exits non-zero if a
    results.json breaks Gradescope's specification or the grader failed.
    """
    from nngrade.gradescope.local import (
        CONTAINER_MB,
        default_root,
        install_bundle,
        local_env,
        run_submission,
        submissions_in,
    )

    due_at = _when(due, "--due")
    when = _when(submitted_at, "--submitted-at") or dt.datetime.now(dt.timezone.utc)
    own_root = root is None
    work = Path(tempfile.mkdtemp(prefix="nngrade-gradescope-test-"))
    root = (root or default_root()).resolve()
    try:
        if bundle is None:
            from nngrade.gradescope.bundle import build_bundle

            bundle = build_bundle(work / "autograder.zip", GradescopeSettings.new())
        env = {**local_env(None if sandbox == "auto" else sandbox),
               "NNGRADE_AUTOGRADER_ROOT": str(root)}
        click.echo(f"Installing {bundle} into {root} (setup.sh)...")
        try:
            setup = install_bundle(bundle, root, env)
        except (RuntimeError, ValueError) as exc:
            raise click.ClickException(str(exc)) from exc
        click.echo(setup.strip().splitlines()[-1] if setup.strip() else "setup.sh done")
        failures = 0
        for number, (student, hand_in) in enumerate(submissions_in(submissions), start=1):
            run = run_submission(root, number, student, hand_in, env, when, due_at)
            score = "-" if run.results is None else f"{run.results.get('score', 0):g}"
            verdict = "ok" if not run.problems else "; ".join(run.problems)
            fits = "" if run.peak_mb <= CONTAINER_MB else f" (over {CONTAINER_MB} MB!)"
            click.echo(f"{student:24} score {score:>8}  {run.seconds:5.2f} s  "
                       f"peak {run.peak_mb:6.1f} MB{fits}  {verdict}")
            failures += bool(run.problems) or run.peak_mb > CONTAINER_MB
            if out is not None:
                folder = out / student_folder(student)
                folder.mkdir(parents=True, exist_ok=True)
                (folder / "stdout").write_text(run.stdout, encoding="utf-8")
                if run.results is not None:
                    (folder / "results.json").write_text(
                        json.dumps(run.results, ensure_ascii=False, indent=1) + "\n",
                        encoding="utf-8")
        if failures:
            raise click.ClickException(f"{failures} run(s) did not produce a valid "
                                       "results.json within the container's limits")
    finally:
        shutil.rmtree(work, ignore_errors=True)
        if own_root:
            shutil.rmtree(root, ignore_errors=True)
