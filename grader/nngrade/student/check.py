"""``nngrade check``: run the public checks on a student's modules; report each function.

A student runs this dozens of times an evening, so it is quick (the slow
train_xor run waits for ``--slow``), quiet when things pass (one line per
module), and specific when they do not: the call, what came back, what was
expected. Every check runs under a time limit with the student's output
captured, and nothing a student's code raises (not even ``sys.exit()``)
stops the others from running.
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
from nngrade.student.checks import Check, CheckFailed, MissingName, checks_for
from nngrade.student.loading import (
    TimeLimit,
    find_folder,
    student_location,
    student_modules,
    time_limit,
)

__all__ = ["Outcome", "check_command", "run_check", "run_checks"]

PASSED, FAILED, TODO = "passed", "failed", "not implemented yet"
_COLOURS = {PASSED: "green", FAILED: "red", TODO: "yellow"}
_TOOK_LONGER = "took longer than"


@dataclass
class Outcome:
    """How one check went: ``status`` is PASSED, FAILED or TODO; ``detail`` explains it."""

    check: Check
    status: str
    detail: str = ""
    output: str = ""
    seconds: float = 0.0


def _failure_text(failure: CheckFailed) -> str:
    lines = [
        f"called   {failure.call}",
        f"got      {failure.got}",
        f"expected {failure.expected}",
    ]
    if failure.note:
        lines.append(f"hint     {failure.note}")
    return "\n".join(lines)


def run_check(check: Check, module: ModuleType, folder: Path, timeout: float | None) -> Outcome:
    """Run one check against ``module``, whatever the student's code does."""
    limit = max(timeout, check.seconds or 0) if timeout else None
    captured = io.StringIO()
    start = time.perf_counter()
    status, detail = PASSED, ""
    try:
        with (
            time_limit(limit),
            redirect_stdout(captured),
            redirect_stderr(captured),
            warnings.catch_warnings(),
        ):
            warnings.simplefilter("ignore")  # checks that care about warnings record their own
            check.run(module)
    except CheckFailed as failure:
        status, detail = FAILED, _failure_text(failure)
    except MissingName as error:
        status, detail = FAILED, str(error)
    except NotImplementedError as error:
        where = student_location(error.__traceback__, folder)
        status, detail = TODO, f"{where}: {error}" if where else str(error)
    except TimeLimit:
        status, detail = FAILED, f"{_TOOK_LONGER} {limit:g} s (an endless loop?)"
    except KeyboardInterrupt:
        raise
    except BaseException as error:  # anything from student code, SystemExit included
        where = student_location(error.__traceback__, folder)
        message = f"raised {type(error).__name__}: {error}"
        status, detail = FAILED, f"{message}\nat       {where}" if where else message
    return Outcome(check, status, detail, captured.getvalue(), time.perf_counter() - start)


def run_checks(
    folder: Path, modules: Sequence[str], slow: bool = False, timeout: float | None = 5.0
) -> tuple[dict[str, list[Outcome]], dict[str, str]]:
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
                    results.append(Outcome(check, FAILED, "skipped: it took too long above"))
                    continue
                results.append(run_check(check, module, loaded.folder, timeout))
                if results[-1].detail.startswith(_TOOK_LONGER):
                    timed_out.add(check.name)
            outcomes[name] = results
        return outcomes, dict(loaded.problems)


def _function_status(outcomes: list[Outcome]) -> str:
    statuses = {o.status for o in outcomes}
    return FAILED if FAILED in statuses else TODO if TODO in statuses else PASSED


def _indent(text: str, prefix: str = "    ") -> str:
    return "\n".join(prefix + line if line else line for line in text.splitlines())


def _resolve_modules(names: Sequence[str]) -> list[str]:
    chosen = []
    for raw in names:
        name = raw.removesuffix(".py")
        if name not in MODULES:
            raise click.BadParameter(
                f"{raw!r} is not an exercise module; choose from {', '.join(MODULES)}",
                param_hint="MODULE",
            )
        if name not in chosen:
            chosen.append(name)
    return chosen or list(MODULES)


@click.command("check")
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
    help="Seconds each check may take (0: no limit).",
)
def check_command(
    modules: tuple[str, ...], path: Path, verbose: bool, slow: bool, timeout: float
) -> None:
    """Run the public checks on your exercise modules (all of them, or the MODULEs named).

    Each function is reported as passed, failed (with what was called, what
    came back and what was expected) or not implemented yet. The public
    checks are the lecture's examples; the hidden grader tests much more.
    """
    chosen = _resolve_modules(modules)
    folder = find_folder(path)
    if folder is None:
        raise click.ClickException(
            f"no exercise modules ({', '.join(f'{m}.py' for m in MODULES)}) in {path.resolve()} "
            f"or in {path.resolve() / 'exercises'}.\n"
            "Run `nngrade check` in the folder that holds exercises/, or pass --path DIR."
        )
    started = time.perf_counter()
    outcomes, problems = run_checks(folder, chosen, slow, timeout or None)
    elapsed = time.perf_counter() - started
    colour = False if os.environ.get("NO_COLOR") else None
    all_ok = _report(chosen, outcomes, problems, verbose, colour)
    _summary(chosen, outcomes, problems, slow, elapsed, folder, colour)
    sys.exit(0 if all_ok else 1)


def _echo(text: str, colour: bool | None, **style: object) -> None:
    click.echo(click.style(text, **style) if style else text, color=colour)  # type: ignore[arg-type]


def _report(
    chosen: list[str],
    outcomes: dict[str, list[Outcome]],
    problems: dict[str, str],
    verbose: bool,
    colour: bool | None,
) -> bool:
    """One line per module, then details of what did not pass (of everything with -v)."""
    width = max(len(m) for m in chosen) + 2
    all_ok = True
    for module in chosen:
        label = module.ljust(width)
        if module in problems:
            all_ok = False
            first, _, rest = problems[module].partition("\n")
            _echo(f"{label}{first}", colour, fg="red")
            if rest:
                _echo(rest, colour)
            continue
        by_name = {
            name: [o for o in outcomes[module] if o.check.name == name] for name in MODULES[module]
        }
        status = {name: _function_status(o) for name, o in by_name.items() if o}
        passed = sum(s == PASSED for s in status.values())
        parts = [click.style(f"{passed}/{len(status)} passed", fg="green" if passed else None)]
        for kind in (FAILED, TODO):
            names = [n for n, s in status.items() if s == kind]
            if names:
                all_ok = False
                parts.append(click.style(f"{kind}: {', '.join(names)}", fg=_COLOURS[kind]))
        _echo(label + "   ".join(parts), colour)
        for name, results in by_name.items():
            _details(module, name, results, verbose, colour)
    return all_ok


def _details(
    module: str, name: str, results: list[Outcome], verbose: bool, colour: bool | None
) -> None:
    """The failures of one function (and, with -v, its passes and TODO hints)."""
    shown: set[str] = set()
    for outcome in results:
        if outcome.status != FAILED and not verbose:
            continue  # the module line lists TODOs already; -v shows the stubs' hints
        tag = {PASSED: "ok  ", FAILED: "FAIL", TODO: "TODO"}[outcome.status]
        _echo(
            f"  {click.style(tag, fg=_COLOURS[outcome.status], bold=True)} "
            f"{module}.{name}: {outcome.check.title}",
            colour,
        )
        if outcome.detail in shown:
            _echo("      (the same as above)", colour)
        elif outcome.detail:
            shown.add(outcome.detail)
            _echo(_indent(outcome.detail, "      "), colour)
        if outcome.output.strip() and (verbose or outcome.status == FAILED):
            tail = outcome.output.strip().splitlines()[-10:]
            _echo(_indent("printed  " + "\n         ".join(tail), "      "), colour)


def _summary(
    chosen: list[str],
    outcomes: dict[str, list[Outcome]],
    problems: dict[str, str],
    slow: bool,
    elapsed: float,
    folder: Path,
    colour: bool | None,
) -> None:
    counts = {PASSED: 0, FAILED: 0, TODO: 0}
    for module, results in outcomes.items():
        for name in MODULES[module]:
            mine = [o for o in results if o.check.name == name]
            if mine:
                counts[_function_status(mine)] += 1
    unchecked = sum(len(MODULES[m]) for m in problems)
    total = sum(counts.values()) + unchecked
    skipped = 0 if slow else sum(1 for m in outcomes for c in _all_checks(m) if c.slow)
    note = f" ({skipped} slow check skipped: --slow runs it)" if skipped else ""
    where = f"{folder}, {elapsed:.2f} s"
    if counts[PASSED] == total:
        _echo(f"All {total} functions pass the public checks{note}. [{where}]", colour, fg="green")
        return
    pieces = [f"{counts[PASSED]}/{total} functions pass"]
    if counts[FAILED]:
        pieces.append(f"{counts[FAILED]} failed")
    if counts[TODO]:
        pieces.append(f"{counts[TODO]} not implemented yet")
    if unchecked:
        pieces.append(f"{unchecked} in modules that did not load")
    _echo(", ".join(pieces) + f"{note}. [{where}]", colour, bold=True)
    if counts[TODO] and not counts[FAILED]:
        _echo("`nngrade check -v MODULE` shows each TODO's hint.", colour)


def _all_checks(module: str) -> list[Check]:
    return checks_for(module, slow=True)
