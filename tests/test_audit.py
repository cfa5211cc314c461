"""`nngrade audit`: the mutants it makes, bad input, crashes, and the suites' quality gate.

The gate at the end is the project's own: a fixed subset of operators
(boundary flips, dtype changes, axes, removed transposes, returned inputs)
applied to solutions/ and graded under two seeds; no mutant may keep full
marks under any seed unless grader/nngrade/audit/equivalent.toml records why
it is the same program. The whole audit (every operator, seeds 1-6) is a
benchmark (BENCHMARKS.md), too slow for the test suite.
"""

from __future__ import annotations

import ast
import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from nngrade.audit.command import audit_command, parse_seeds, read_solution_set, run_audit
from nngrade.audit.mutants import OPERATORS, Mutant, mutants_of
from nngrade.audit.report import AuditReport, Equivalent, changed_line, load_equivalent
from nngrade.audit.run import Outcome, grade_mutants
from nngrade.contract import MODULES

ROOT = Path(__file__).resolve().parents[1]
SOLUTIONS = ROOT / "solutions"

SMALL = '''
import numpy as np

def f(x, w):
    """A docstring with 1 + 2 in it is never mutated."""
    y = x @ w.T
    if y.sum(axis=0) > 1:
        return np.asarray(y).astype(float)
    return -y + 2
'''


def test_each_operator_makes_the_expected_kind_of_mutant() -> None:
    mutants = mutants_of("m", SMALL)
    by_op: dict[str, list[Mutant]] = {}
    for m in mutants:
        by_op.setdefault(m.operator, []).append(m)
        compile(m.source, "<mutant>", "exec")
        assert m.source != ast.unparse(ast.parse(SMALL))
    changes = {op: {(m.before, m.after) for m in ms} for op, ms in by_op.items()}
    assert ("x @ w.T", "x * w.T") in changes["arithmetic"]
    assert ("y.sum(axis=0) > 1", "y.sum(axis=0) >= 1") in changes["comparison"]
    assert ("1", "2") in changes["constant"] and ("2", "1") in changes["constant"]
    assert ("w.T", "w") in changes["transpose"]
    assert ("np.asarray(y).astype(float)", "np.asarray(y).astype(int)") in changes["dtype"]
    assert ("y.sum(axis=0)", "y.sum()") in changes["axis"]
    assert ("y.sum(axis=0)", "y.sum(axis=1)") in changes["axis"]
    assert ("-y + 2", "-y") in changes["dropped_term"]
    assert ("x @ w.T", "w.T @ x") in changes["swapped_arguments"]
    assert ("return -y + 2", "return x") in changes["returned_input"]
    assert all("1 + 2 in it" in m.source for m in mutants)  # the docstring is left alone
    assert len({m.id for m in mutants}) == len(mutants)  # ids are unique...
    assert [m.id for m in mutants_of("m", SMALL)] == [m.id for m in mutants]  # ...and stable


def test_operators_can_be_chosen_and_unknown_ones_are_refused() -> None:
    assert {m.operator for m in mutants_of("m", SMALL, ["comparison"])} == {"comparison"}
    with pytest.raises(ValueError, match="nope"):
        mutants_of("m", SMALL, ["nope"])
    assert set(OPERATORS) >= {"arithmetic", "comparison", "constant", "axis", "dropped_term",
                              "swapped_arguments", "transpose", "returned_input", "dtype"}


def test_every_solution_module_gives_many_mutants() -> None:
    counts = {p.stem: len(mutants_of(p.stem, p.read_text(encoding="utf-8")))
              for p in SOLUTIONS.glob("*.py")}
    assert set(counts) == set(MODULES)
    assert all(n >= 20 for n in counts.values()), counts
    assert sum(counts.values()) >= 800


@pytest.mark.parametrize(("text", "seeds"), [("1-6", [1, 2, 3, 4, 5, 6]), ("3", [3]),
                                             ("1-2,7, 9", [1, 2, 7, 9]), ("2,2", [2])])
def test_seeds_parse(text: str, seeds: list[int]) -> None:
    assert parse_seeds(text) == seeds


@pytest.mark.parametrize("text", ["", "3-1", "a"])
def test_bad_seeds_are_refused(text: str) -> None:
    with pytest.raises(ValueError):
        parse_seeds(text)


def test_an_incomplete_folder_names_what_is_missing(tmp_path: Path) -> None:
    for name in ("losses", "perceptron"):
        shutil.copy(SOLUTIONS / f"{name}.py", tmp_path / f"{name}.py")
    text = (SOLUTIONS / "activations.py").read_text(encoding="utf-8")
    (tmp_path / "activations.py").write_text(text.replace("def tanh_prime(", "def _tp("),
                                             encoding="utf-8")
    (tmp_path / "vanishing.py").write_text("def broken(:\n", encoding="utf-8")
    sources, missing, broken = read_solution_set(tmp_path)
    assert set(sources) == {"losses", "perceptron", "activations"}
    assert "activations.tanh_prime" in missing and "autodiff.get_gradients" in missing
    assert "losses.mse" not in missing
    assert "vanishing" in broken


def test_a_mutant_that_kills_its_worker_is_reported_and_the_rest_still_graded() -> None:
    base = {p.stem: p.read_text(encoding="utf-8") for p in SOLUTIONS.glob("*.py")}
    source = base["perceptron"]
    crash = Mutant("perceptron", "step", "test", 1, 0, 0, "-", "os._exit(3)",
                   "import os\nos._exit(3)\n" + source)
    wrong = Mutant("perceptron", "step", "test", 2, 0, 0, "> 0", ">= 0",
                   source.replace("return (np.asarray(x) > 0)", "return (np.asarray(x) >= 0)"))
    same = Mutant("perceptron", "step", "test", 3, 0, 0, "", "", source)
    chatty = Mutant("perceptron", "step", "test", 4, 0, 0, "", "print", source.replace(
        "def step(x):", "def step(x):\n    print('{not json', flush=True)", 1))
    hang = Mutant("perceptron", "step", "test", 5, 0, 0, "", "while True", "while True:\n"
                  "    pass\n" + source)  # at import: no call time limit reaches it
    outcomes = grade_mutants(base, [crash, wrong, hang, same, chatty], [1], jobs=1,
                             call_timeout=1.0, unit_timeout=15.0)
    assert [o.status for o in outcomes] == ["crashed", "killed", "crashed", "survived",
                                            "survived"]
    assert outcomes[1].lost[1] > 0 and outcomes[2].lost[1] == 0


def test_failing_fast_gives_the_same_verdicts_as_grading_in_full() -> None:
    """nngrade audit stops a mutant at its first failed test: same verdict, lost a lower bound."""
    base = {p.stem: p.read_text(encoding="utf-8") for p in SOLUTIONS.glob("*.py")}
    mutants = mutants_of("losses", base["losses"])[::4]
    full = grade_mutants(base, mutants, [1], jobs=1, fail_fast=False)
    fast = grade_mutants(base, mutants, [1], jobs=1, fail_fast=True)
    assert [o.status for o in fast] == [o.status for o in full]
    assert {o.status for o in fast} == {"killed", "survived"} or \
        {o.status for o in fast} == {"killed"}
    for quick, whole in zip(fast, full, strict=True):
        assert 0 <= quick.lost[1] <= whole.lost[1] + 1e-9
        assert set(quick.failed_tests[1]) <= set(whole.failed_tests[1])
        assert (quick.status == "killed") == (len(quick.failed_tests[1]) == 1)


def test_an_equivalent_entry_with_a_line_covers_that_line_only() -> None:
    """``1 -> 2`` may be made in several places of one function; ``line`` names the one."""
    source = "def f(x):\n    a = x.reshape(-1)\n    return a[1]\n"
    mutants = [m for m in mutants_of("m", source, ["constant"])
               if (m.before, m.after) == ("1", "2")]
    assert len(mutants) == 2
    original = ast.unparse(ast.parse(source))
    entry = Equivalent("m.f", "1", "2", "reshape(-2) is reshape(-1)", "a = x.reshape(-2)")
    report = AuditReport([Outcome(m, {1: "survived"}) for m in mutants], {"m": original}, [1],
                         [entry])
    assert sorted(report.status(o) for o in report.outcomes) == ["equivalent", "survived"]
    assert [changed_line(original, m.source) for m in mutants] == \
        ["a = x.reshape(-2)", "return a[2]"]


def test_the_reviewed_equivalent_list_is_well_formed() -> None:
    entries = load_equivalent()
    for e in entries:
        module, _, name = e.function.partition(".")
        assert module in MODULES and name and e.before != e.after and len(e.reason) > 20


# ------------------------------------------------------------------ the quality gate

GATE_OPERATORS = ["comparison", "dtype", "transpose", "boolean"]


@pytest.fixture(scope="module")
def gate_report():
    return run_audit(SOLUTIONS, [1, 2], operators=GATE_OPERATORS, jobs=2, call_timeout=2.0)


def test_the_gate_audits_every_module(gate_report) -> None:
    assert not gate_report.missing and not gate_report.skipped
    assert set(gate_report.originals) == set(MODULES)
    assert len(gate_report.outcomes) >= 90


def test_no_gate_mutant_keeps_full_marks_under_any_seed(gate_report) -> None:
    holes = [f"{o.mutant.id}: {o.mutant.describe()} {o.verdicts}" for o in gate_report.holes()]
    assert holes == []
    crashed = [o.mutant.id for o in gate_report.outcomes if o.status == "crashed"]
    assert crashed == []


def test_the_cli_writes_text_html_and_json(tmp_path: Path) -> None:
    folder = tmp_path / "sol"
    folder.mkdir()
    shutil.copy(SOLUTIONS / "perceptron.py", folder / "perceptron.py")
    result = CliRunner().invoke(audit_command, [
        str(folder), "--seeds", "1", "--operators", "comparison", "--jobs", "1",
        "--html", str(tmp_path / "a.html"), "--json", str(tmp_path / "a.json")])
    assert "missing (not audited): activations.sigmoid" in result.output
    assert "perceptron.step" in result.output
    assert result.exit_code == 0, result.output
    data = json.loads((tmp_path / "a.json").read_text())
    assert data["total"].get("killed", 0) >= 2 and data["seeds"] == [1]
    assert "<table>" in (tmp_path / "a.html").read_text()


def test_the_cli_refuses_bad_options(tmp_path: Path) -> None:
    runner = CliRunner()
    assert runner.invoke(audit_command, [str(SOLUTIONS), "--seeds", "x"]).exit_code == 2
    assert runner.invoke(audit_command, [str(SOLUTIONS), "--operators", "nope"]).exit_code == 2
    assert runner.invoke(audit_command, [str(SOLUTIONS), "--modules", "nope"]).exit_code == 2
    empty = tmp_path / "empty"
    empty.mkdir()
    assert runner.invoke(audit_command, [str(empty), "--seeds", "1"]).exit_code == 2
