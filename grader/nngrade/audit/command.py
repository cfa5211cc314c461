"""``nngrade audit``: mutate a solution set, grade every mutant under several seeds, report holes.

    nngrade audit                      # solutions/ of this checkout, seeds 1-6
    nngrade audit FOLDER --seeds 1-3 --operators comparison,constant --html audit.html

Exit status: 0 when no mutant that is not recorded as equivalent scores full
marks under any seed and none crashed the grader, 1 otherwise (so CI can
gate on it), 2 for bad input.
"""

from __future__ import annotations

import ast
import json
import sys
import time
from pathlib import Path

import click

from nngrade.audit.mutants import OPERATORS, Mutant, mutants_of
from nngrade.audit.report import EQUIVALENT_FILE, AuditReport, load_equivalent
from nngrade.audit.run import grade_mutants
from nngrade.contract import MODULES

__all__ = ["audit_command", "parse_seeds", "read_solution_set", "run_audit"]

DEFAULT_FOLDER = Path(__file__).resolve().parents[3] / "solutions"


def parse_seeds(text: str) -> list[int]:
    """``"1-6"``, ``"1,3,9"`` or a mix (``"1-3,7"``) as a list of seeds."""
    seeds: list[int] = []
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        if "-" in part:
            lo, hi = (int(v) for v in part.split("-", 1))
            if hi < lo:
                raise ValueError(f"empty seed range {part!r}")
            seeds.extend(range(lo, hi + 1))
        else:
            seeds.append(int(part))
    if not seeds:
        raise ValueError("no seeds given")
    return list(dict.fromkeys(seeds))


def _defined(source: str) -> set[str]:
    """The contract-style names a module's text defines (``f``, ``Class``, ``Class.method``)."""
    names: set[str] = set()
    for node in ast.parse(source).body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            names.add(node.name)
        elif isinstance(node, ast.ClassDef):
            names.add(node.name)
            names.update(f"{node.name}.{item.name}" for item in node.body
                         if isinstance(item, ast.FunctionDef))
    return names


def read_solution_set(folder: Path) -> tuple[dict[str, str], list[str], dict[str, str]]:
    """(sources of the contract modules found, missing contract names, modules that cannot be
    read or parsed -> why). A module under ``exercises/`` counts as a submission's would."""
    base = folder / "exercises" if (folder / "exercises").is_dir() else folder
    sources: dict[str, str] = {}
    missing: list[str] = []
    broken: dict[str, str] = {}
    for module, names in MODULES.items():
        path = base / f"{module}.py"
        if not path.is_file():
            missing.extend(f"{module}.{n}" for n in names)
            continue
        try:
            text = path.read_text(encoding="utf-8")
            defined = _defined(text)
        except (OSError, UnicodeDecodeError, SyntaxError) as exc:
            broken[module] = f"cannot be read: {type(exc).__name__}: {exc}"
            continue
        sources[module] = text
        missing.extend(f"{module}.{n}" for n in names if n not in defined)
    return sources, missing, broken


def run_audit(folder: Path, seeds: list[int], *, operators: list[str] | None = None,
              modules: list[str] | None = None, jobs: int = 2, call_timeout: float = 2.0,
              limit: int | None = None, progress: bool = False,
              fail_fast: bool = True) -> AuditReport:
    """Audit ``folder``'s modules: baseline first (a module that does not score full marks
    under every seed is not audited, its mutants would prove nothing), then every mutant.

    ``fail_fast`` (the default) stops a mutant's grading at its first failed test: the
    verdicts are the same, a killed mutant's lost points and failed tests are a lower bound.
    """
    started = time.perf_counter()
    sources, missing, skipped = read_solution_set(folder)
    chosen = [m for m in sources if modules is None or m in modules]
    baseline = [Mutant(m, "<baseline>", "baseline", 0, 0, 0, "", "", sources[m]) for m in chosen]
    mutants = [mu for m in chosen for mu in mutants_of(m, sources[m], operators)]
    if limit is not None:
        mutants = mutants[:limit]

    def show(done: int, total: int) -> None:
        if progress and (done % 100 == 0 or done == total):
            click.echo(f"  {done}/{total} gradings", err=True)

    # The baseline (each module unchanged) is graded in the same worker processes, first.
    graded = grade_mutants(sources, baseline + mutants, seeds, jobs=jobs,
                           call_timeout=call_timeout, fail_fast=fail_fast, progress=show)
    for outcome in graded[:len(baseline)]:
        if outcome.status != "survived":  # the unchanged module must keep every point
            failed = sorted({t for ts in outcome.failed_tests.values() for t in ts})
            skipped[outcome.mutant.module] = \
                "the unchanged module does not score full marks: " + "; ".join(failed[:3])
    audited = [m for m in chosen if m not in skipped]
    outcomes = [o for o in graded[len(baseline):] if o.mutant.module in audited]
    originals = {m: ast.unparse(ast.parse(sources[m])) for m in audited}
    return AuditReport(outcomes, originals, seeds, load_equivalent(EQUIVALENT_FILE), missing,
                       skipped, time.perf_counter() - started)


@click.command("audit")
@click.argument("folder", required=False, type=click.Path(path_type=Path, file_okay=False))
@click.option("--seeds", default="1-6", show_default=True, help="Seeds to grade under: 1-6, 1,4,9.")
@click.option("--operators", default=None,
              help=f"Mutation operators, comma-separated (default all: {', '.join(OPERATORS)}).")
@click.option("--modules", default=None, help="Only these modules, comma-separated.")
@click.option("--jobs", "-j", default=2, show_default=True, help="Grading processes at once.")
@click.option("--call-timeout", default=2.0, show_default=True,
              help="Seconds a mutant's call may take.")
@click.option("--full", is_flag=True,
              help="Grade every mutant's tests in full (slower; every failed test and all "
                   "points lost), not only up to its first failed test.")
@click.option("--html", "html_path", type=click.Path(path_type=Path, dir_okay=False),
              help="Also write the report as an HTML page.")
@click.option("--json", "json_path", type=click.Path(path_type=Path, dir_okay=False),
              help="Also write every mutant's verdicts as JSON.")
def audit_command(folder: Path | None, seeds: str, operators: str | None, modules: str | None,
                  jobs: int, call_timeout: float, full: bool, html_path: Path | None,
                  json_path: Path | None) -> None:
    """How strong are the hidden suites? Grade single-point mutants of a solution set.

    FOLDER holds the contract's modules (default: solutions/ of this checkout).
    A mutant that still scores full marks under some seed is a hole in the
    hidden suites, unless it is recorded as equivalent in
    grader/nngrade/audit/equivalent.toml with its reason.
    """
    folder = folder or DEFAULT_FOLDER
    try:
        seed_list = parse_seeds(seeds)
        ops = None if operators is None else [o.strip() for o in operators.split(",") if o.strip()]
        if ops is not None and set(ops) - set(OPERATORS):
            raise ValueError(f"unknown operators: {', '.join(sorted(set(ops) - set(OPERATORS)))}")
        mods = None if modules is None else [m.strip() for m in modules.split(",") if m.strip()]
        if mods is not None and set(mods) - set(MODULES):
            raise ValueError(f"unknown modules: {', '.join(sorted(set(mods) - set(MODULES)))}")
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    if not folder.is_dir():
        raise click.UsageError(f"{folder} is not a folder")
    report = run_audit(folder, seed_list, operators=ops, modules=mods, jobs=jobs,
                       call_timeout=call_timeout, progress=True, fail_fast=not full)
    if not report.outcomes and not report.originals:
        click.echo(report.text(), nl=False)
        click.echo(f"nngrade audit: nothing to audit in {folder}", err=True)
        sys.exit(2)
    click.echo(report.text(), nl=False)
    if html_path is not None:
        html_path.write_text(report.html(), encoding="utf-8")
    if json_path is not None:
        json_path.write_text(json.dumps(report.as_json(), indent=1), encoding="utf-8")
    total = report.total()
    sys.exit(1 if total.get("survived") or total.get("flaky") or total.get("crashed") else 0)
