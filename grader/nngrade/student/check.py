"""``nngrade check``: run the public checks on a student's modules; report each function.

A student runs this dozens of times an evening, so it is quick (the slow
train_xor run waits for ``--slow``), quiet when things pass (one line per
module), and specific when they do not: the call, what came back, what was
expected, and the classic mistake when the wrong value is a known one.
Every check runs under a time limit with the student's output captured,
and nothing a student's code raises (not even ``sys.exit()``) stops the
others from running or ends in a traceback.

It speaks English or Chinese (``--lang``, the course's ``nngrade.toml``,
the locale: `nngrade.language`); every sentence is a message by id
(`nngrade.messages`), and text from the student's own code (an exception,
a stub's TODO, what it printed) is quoted as it is, marked ``> ``.
"""

from __future__ import annotations

import io
import os
import sys
import time
import warnings
from collections.abc import Sequence
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import click

from nngrade.contract import MODULES
from nngrade.feedback import Feedback
from nngrade.language import choose_language
from nngrade.messages import Message, msg, render
from nngrade.student.checks import Check, checks_for
from nngrade.student.config import course_settings, find_config
from nngrade.student.errors import StudentError, StudentUsageError
from nngrade.student.loading import (
    TimeLimit,
    find_folder,
    student_frame,
    student_location,
    student_modules,
    time_limit,
)
from nngrade.student.localized import LocalizedCommand
from nngrade.student.titles import check_title
from nngrade.textlayout import display_width

__all__ = ["Outcome", "check_command", "run_check", "run_checks"]

PASSED, FAILED, TODO = "passed", "failed", "not implemented yet"
_COLOURS = {PASSED: "green", FAILED: "red", TODO: "yellow"}
_TAGS = {PASSED: "check.tag_ok", FAILED: "check.tag_fail", TODO: "check.tag_todo"}


@dataclass
class Outcome:
    """How one check went: ``status`` is PASSED, FAILED or TODO; ``feedback`` says why."""

    check: Check
    status: str
    feedback: Feedback | None = None
    output: str = ""
    seconds: float = 0.0
    timed_out: bool = False

    def detail_in(self, lang: str) -> str:
        """The explanation in ``lang``: the failure's sentence, then its labelled fields."""
        return self.feedback.render(lang) if self.feedback is not None else ""

    @property
    def detail(self) -> str:
        """The explanation in English."""
        return self.detail_in("en")


def _todo(check: Check, error: NotImplementedError, folder: Path) -> Feedback:
    """"Not implemented yet": of this function, or of another one it waits for."""
    frame = student_frame(error.__traceback__, folder)
    own = check.name.split(".")[-1]
    waits = frame is not None and frame.name not in (own, "__init__", "<module>") and \
        not check.name.startswith(f"{frame.name}.")
    text = msg("check.todo_waits", name=check.name, other=frame.name) if waits and frame \
        else msg("check.todo", name=check.name)
    hint = str(error).strip()
    return Feedback(text, kind="not_implemented", quoted=hint,
                    where=student_location(error.__traceback__, folder))


def run_check(check: Check, module: ModuleType, folder: Path, timeout: float | None) -> Outcome:
    """Run one check against ``module``, whatever the student's code does."""
    limit = max(timeout, check.seconds or 0) if timeout else None
    captured = io.StringIO()
    start = time.perf_counter()
    status, feedback, timed_out = PASSED, None, False
    try:
        with (
            time_limit(limit),
            redirect_stdout(captured),
            redirect_stderr(captured),
            warnings.catch_warnings(),
        ):
            warnings.simplefilter("ignore")  # checks that care about warnings record their own
            check.run(module)
    except Feedback as failure:
        status, feedback = FAILED, failure
    except NotImplementedError as error:
        status, feedback = TODO, _todo(check, error, folder)
    except TimeLimit:
        status, timed_out = FAILED, True
        feedback = Feedback(msg("check.took_longer", name=check.name, seconds=f"{limit:g}"),
                            kind="timeout")
    except KeyboardInterrupt:
        raise
    except BaseException as error:  # anything from student code, SystemExit included
        where = student_location(error.__traceback__, folder)
        quoted = f"{type(error).__name__}: {error}".rstrip(": ")
        if where:
            feedback = Feedback(msg("status.raised", name=check.name,
                                    error_type=type(error).__name__),
                                kind="raised", quoted=quoted, where=where)
        else:  # no frame of the student's: the check's own code choked on the result
            feedback = Feedback(msg("check.unusable_result", name=check.name,
                                    error_type=type(error).__name__),
                                kind="bad_result", quoted=quoted)
        status = FAILED
    if feedback is not None and captured.getvalue().strip() and not feedback.printed:
        feedback = feedback.replace(printed="\n".join(captured.getvalue().strip()
                                                      .splitlines()[-10:]))
    return Outcome(check, status, feedback, captured.getvalue(), time.perf_counter() - start,
                   timed_out)


def run_checks(
    folder: Path, modules: Sequence[str], slow: bool = False, timeout: float | None = 5.0
) -> tuple[dict[str, list[Outcome]], dict[str, Feedback]]:
    """Run the public checks of ``modules`` on ``folder``: outcomes per module, import problems."""
    outcomes: dict[str, list[Outcome]] = {}
    with student_modules(folder, timeout) as loaded:
        for name in modules:
            module = loaded.load(name)
            if module is None:
                continue
            results: list[Outcome] = []
            timed_out: set[str] = set()
            for check in checks_for(name, slow):
                if check.name in timed_out:
                    # One endless loop is enough to wait for: skip the function's other checks.
                    results.append(Outcome(check, FAILED, Feedback(
                        msg("check.skipped", name=check.name), kind="timeout")))
                    continue
                results.append(run_check(check, module, loaded.folder, timeout))
                if results[-1].timed_out:
                    timed_out.add(check.name)
            outcomes[name] = results
        return outcomes, dict(loaded.problems)


def _function_status(outcomes: list[Outcome]) -> str:
    statuses = {o.status for o in outcomes}
    return FAILED if FAILED in statuses else TODO if TODO in statuses else PASSED


def _indent(text: str, prefix: str = "    ") -> str:
    return "\n".join(prefix + line if line else line for line in text.splitlines())


def _resolve_modules(names: Sequence[str], lang: str) -> list[str]:
    chosen = []
    for raw in names:
        name = raw.removesuffix(".py")
        if name not in MODULES:
            raise StudentUsageError(msg("check.unknown_module", name=raw,
                                        choices=list(MODULES)), lang)
        if name not in chosen:
            chosen.append(name)
    return chosen or list(MODULES)


def language_of(option: str | None, *folders: Path) -> str:
    """The language to speak for a student working in ``folders`` (see `nngrade.language`)."""
    early = choose_language(option, None, os.environ)  # for an unreadable course file
    settings = course_settings(find_config(*folders), early)
    return choose_language(option, settings.get("lang"), os.environ)


LANG_OPTION = click.option(
    "--lang",
    type=click.Choice(["en", "zh"]),
    default=None,
    help="Language of the output: en or zh (default: the course's nngrade.toml, else your "
    "locale).",
)


@click.command("check", cls=LocalizedCommand)
@click.argument("modules", nargs=-1, metavar="[MODULE]...")
@click.option(
    "--path",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=".",
    help="Folder holding your modules, or holding an exercises/ folder with them. "
    "Default: ./exercises, or the current folder if the modules are here.",
)
@click.option("-v", "--verbose", is_flag=True, help="Show every check, not only the failures.")
@click.option("--slow", is_flag=True, help="Also run slow checks (train_xor's full training run).")
@click.option(
    "--timeout",
    type=click.FloatRange(min=0),
    default=5.0,
    show_default=True,
    metavar="SECONDS",
    help="Seconds each check may take (0: no limit).",
)
@LANG_OPTION
def check_command(
    modules: tuple[str, ...], path: Path, verbose: bool, slow: bool, timeout: float,
    lang: str | None,
) -> None:
    """Run the public checks on your exercise modules (all of them, or the MODULEs named).

    Each function is reported as passed, failed (with what was called, what
    came back and what was expected) or not implemented yet. The public
    checks are the lecture's examples; the hidden grader tests much more.
    """
    language = language_of(lang, path, Path.cwd())
    chosen = _resolve_modules(modules, language)
    folder = find_folder(path)
    if folder is None:
        raise StudentError(msg("check.no_modules", files=[f"{m}.py" for m in MODULES],
                               path=str(path.resolve()), sub=str(path.resolve() / "exercises")),
                           language)
    started = time.perf_counter()
    outcomes, problems = run_checks(folder, chosen, slow, timeout or None)
    elapsed = time.perf_counter() - started
    colour = False if os.environ.get("NO_COLOR") else None
    report = Report(language, colour, verbose)
    all_ok = report.modules(chosen, outcomes, problems)
    report.summary(chosen, outcomes, problems, slow, elapsed, folder)
    sys.exit(0 if all_ok else 1)


@dataclass
class Report:
    """What ``nngrade check`` prints, in one language."""

    lang: str
    colour: bool | None
    verbose: bool

    def say(self, message: Message) -> str:
        return render(message, self.lang)

    def echo(self, text: str, **style: object) -> None:
        click.echo(click.style(text, **style) if style else text,  # type: ignore[arg-type]
                   color=self.colour)

    def modules(
        self,
        chosen: list[str],
        outcomes: dict[str, list[Outcome]],
        problems: dict[str, Feedback],
    ) -> bool:
        """One line per module, then details of what did not pass (of everything with -v)."""
        width = max(len(m) for m in chosen) + 2
        all_ok = True
        for module in chosen:
            label = module.ljust(width)
            if module in problems:
                all_ok = False
                first, _, rest = problems[module].render(self.lang).partition("\n")
                self.echo(f"{label}{first}", fg="red")
                if rest:
                    self.echo(_indent(rest))
                continue
            by_name = {
                name: [o for o in outcomes[module] if o.check.name == name]
                for name in MODULES[module]
            }
            status = {name: _function_status(o) for name, o in by_name.items() if o}
            passed = sum(s == PASSED for s in status.values())
            parts = [click.style(self.say(msg("check.passed_count", passed=passed,
                                              total=len(status))),
                                 fg="green" if passed else None)]
            for kind, key in ((FAILED, "check.failed_names"), (TODO, "check.todo_names")):
                names = [n for n, s in status.items() if s == kind]
                if names:
                    all_ok = False
                    parts.append(click.style(self.say(msg(key, names=names)), fg=_COLOURS[kind]))
            self.echo(label + "   ".join(parts))
            for name, results in by_name.items():
                self.details(module, name, results)
        return all_ok

    def details(self, module: str, name: str, results: list[Outcome]) -> None:
        """The failures of one function (and, with -v, its passes and TODO hints)."""
        shown: set[str] = set()
        tags = {status: self.say(msg(key)) for status, key in _TAGS.items()}
        tag_width = max(display_width(t) for t in tags.values())
        for outcome in results:
            if outcome.status != FAILED and not self.verbose:
                continue  # the module line lists TODOs already; -v shows the stubs' hints
            tag = tags[outcome.status]
            tag += " " * (tag_width - display_width(tag))
            title = check_title(outcome.check, self.lang)
            self.echo(f"  {click.style(tag, fg=_COLOURS[outcome.status], bold=True)} "
                      f"{module}.{name}: {title}")
            detail = outcome.detail_in(self.lang)
            if detail and detail in shown:
                self.echo("      " + self.say(msg("check.same_as_above")))
            elif detail:
                shown.add(detail)
                self.echo(_indent(detail, "      "))

    def summary(
        self,
        chosen: list[str],
        outcomes: dict[str, list[Outcome]],
        problems: dict[str, Feedback],
        slow: bool,
        elapsed: float,
        folder: Path,
    ) -> None:
        counts = {PASSED: 0, FAILED: 0, TODO: 0}
        for module, results in outcomes.items():
            for name in MODULES[module]:
                mine = [o for o in results if o.check.name == name]
                if mine:
                    counts[_function_status(mine)] += 1
        unchecked = sum(len(MODULES[m]) for m in problems)
        total = sum(counts.values()) + unchecked
        skipped = 0 if slow else sum(1 for m in outcomes for c in checks_for(m, True) if c.slow)
        note = self.say(msg("check.slow_skipped", count=skipped)) if skipped else ""
        where = f"[{folder}, {elapsed:.2f} s]"
        if counts[PASSED] == total:
            self.echo(self.say(msg("check.all_pass", count=total, note=note)) + " " + where,
                      fg="green")
            return
        pieces = [self.say(msg("check.some_pass", passed=counts[PASSED], total=total))]
        if counts[FAILED]:
            pieces.append(self.say(msg("check.count_failed", count=counts[FAILED])))
        if counts[TODO]:
            pieces.append(self.say(msg("check.count_todo", count=counts[TODO])))
        if unchecked:
            pieces.append(self.say(msg("check.count_unloaded", count=unchecked)))
        sentence = self.say(msg("clause_separator")).join(pieces)
        self.echo(self.say(msg("check.summary", counts=sentence, note=note)) + " " + where,
                  bold=True)
        if counts[TODO] and not counts[FAILED]:
            self.echo(self.say(msg("check.todo_tip")))
