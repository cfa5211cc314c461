"""Grades that depend on the code alone (issue 12): seed-proof suites and named wrong code.

Two promises an instructor must be able to defend:

- the same hand-in gets the same points under every seed (the sample class,
  graded in-process under several seeds, scores identically);
- each wrong implementation the issue names loses points under every seed
  (each is a one-point edit of solutions/, graded as a whole submission by
  the audit's machinery, `nngrade.audit.run`, in worker processes: student
  code never runs in the test session).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from nngrade.audit.mutants import Mutant
from nngrade.audit.run import grade_mutants

ROOT = Path(__file__).resolve().parents[1]
SOLUTIONS = ROOT / "solutions"
SEEDS = (1, 2, 3)

BASE = {p.stem: p.read_text(encoding="utf-8") for p in sorted(SOLUTIONS.glob("*.py"))}

RECURSIVE_TOPOLOGICAL_ORDER = '''def _topological_order(variable):
    order, visited = [], set()

    def visit(node):
        if node in visited:
            return
        visited.add(node)
        for child, _ in node.local_gradients:
            visit(child)
        order.append(node)

    visit(variable)
    return order

'''

# (module, what the edit is, old text, new text): each scored 100 under some seed before, or
# passed every public check; each must now lose points under every seed (the hidden suite)
# and fail some public check (`nngrade check` warns first).
NAMED: list[tuple[str, str, str, str]] = [
    ("losses", "mse_mean_over_all_entries",
     "return float(np.sum((y - y_pred) ** 2) / (2 * len(y)))",
     "return float(np.mean((y - y_pred) ** 2) / 2)"),
    ("losses", "one_hot_lets_num_classes_through",
     "(labels >= num_classes)", "(labels > num_classes)"),
    ("losses", "one_hot_lets_minus_one_through", "(labels < 0)", "(labels < -1)"),
    ("perceptron", "step_from_sign", "return (np.asarray(x) > 0).astype(int)",
     "return (np.sign(x) + 1) / 2"),
    ("perceptron", "step_returns_bool", "return (np.asarray(x) > 0).astype(int)",
     "return np.asarray(x) > 0"),
    ("activations", "relu_prime_returns_bool", "return (np.asarray(z) > 0).astype(float)",
     "return np.asarray(z) > 0"),
    ("activations", "relu_prime_returns_int", "return (np.asarray(z) > 0).astype(float)",
     "return (np.asarray(z) > 0).astype(int)"),
    ("backprop", "train_xor_lr_ignored_on_w2", "w2 -= lr * grad_w2", "w2 -= grad_w2"),
    ("backprop", "train_xor_epochs_minus_one", "    for _ in range(epochs):\n        grad_w1",
     "    for _ in range(epochs - 1):\n        grad_w1"),
    ("backprop", "relu_mask_at_zero", "grad_h = grad_a * (h > 0)", "grad_h = grad_a * (h >= 0)"),
    ("backprop", "xor_grads_elementwise_product", "delta1 = (delta2 @ w2.T)",
     "delta1 = (delta2 * w2.T)"),
    ("regularization", "dropout_divides_by_p", "return x * mask / (1.0 - p), mask",
     "return x * mask / p, mask"),
    ("regularization", "dropout_returns_x_plus_one", "return x * mask / (1.0 - p), mask",
     "return x + 1, mask"),
    ("regularization", "dropout_draws_from_np_random", "mask = rng.random(x.shape) >= p",
     "mask = np.random.random(x.shape) >= p"),
    ("regularization", "early_stopping_best_epoch_starts_at_zero",
     "self.best_epoch = None", "self.best_epoch = 0"),
    ("regularization", "early_stopping_best_loss_starts_finite",
     "self.best_loss = math.inf", "self.best_loss = 1e300"),
    ("gradient_descent", "numerical_gradient_leaves_entries_shifted",
     "        x[i] = old\n        grad[i]", "        grad[i]"),
    ("gradient_descent", "numerical_gradient_forward_difference",
     "grad[i] = (f_plus - f_minus) / (2 * h)", "grad[i] = (f_plus - f(np.array(x))) / h"),
    ("backprop", "train_xor_default_epochs_off_by_one", "hidden=10, epochs=20000,",
     "hidden=10, epochs=20001,"),
    ("autodiff", "train_xor_autodiff_default_epochs_off_by_one", "(epochs=20000, lr=0.1,",
     "(epochs=19999, lr=0.1,"),
    ("vanishing", "unknown_activation_raises_key_error",
     "    if not isinstance(name, str) or name not in activations:\n", "    if False:\n"),
]


def _named_mutant(module: str, why: str, old: str, new: str) -> Mutant:
    source = BASE[module]
    assert source.count(old) == 1, f"{why}: the edit must match solutions/{module}.py once"
    return Mutant(module, why, "named", 0, 0, 0, old, new, source.replace(old, new))


def _recursive_get_gradients() -> Mutant:
    source = BASE["autodiff"]
    start = source.index("def _topological_order(")
    end = source.index("\ndef ", start + 1) + 1
    return Mutant("autodiff", "get_gradients_recursive", "named", 0, 0, 0,
                  "iterative _topological_order", "recursive _topological_order",
                  source[:start] + RECURSIVE_TOPOLOGICAL_ORDER + source[end:])


@pytest.fixture(scope="module")
def named_outcomes() -> dict[str, object]:
    mutants = [_named_mutant(*row) for row in NAMED] + [_recursive_get_gradients()]
    outcomes = grade_mutants(BASE, mutants, SEEDS, jobs=2, call_timeout=2.0)
    return {o.mutant.function: o for o in outcomes}


@pytest.mark.parametrize("why", [row[1] for row in NAMED] + ["get_gradients_recursive"])
def test_named_wrong_code_loses_points_under_every_seed(named_outcomes: dict, why: str) -> None:
    outcome = named_outcomes[why]
    assert outcome.verdicts == dict.fromkeys(SEEDS, "killed"), (why, outcome.verdicts)
    assert all(lost > 0 for lost in outcome.lost.values()), (why, outcome.lost)


def test_the_recursive_walk_fails_the_deep_chain_test(named_outcomes: dict) -> None:
    """A RecursionError is that test's failure (not a crash, not a grader error)."""
    outcome = named_outcomes["get_gradients_recursive"]
    for seed in SEEDS:
        assert any("chain of 20,000" in name for name in outcome.failed_tests[seed])


# ------------------------------------------------------------------ the sample class

SESSION = r"""
import json, sys
from nngrade.hidden.grader import SuiteGrader
from nngrade.hidden.inprocess import SourceBackend
from nngrade.hidden.suite import collect
from nngrade.intake.unpack import discover
from nngrade.records import Submission
from nngrade.rubric import load_rubric

# gus, the cheat, is graded only in the sandbox (test_batch): unconfined, it ends this process.
subs = [s for s in discover(sys.argv[1]) if s.student != "gus"]
tests = collect()
out = {}
for seed in json.loads(sys.argv[2]):
    grader = SuiteGrader(SourceBackend(timeout=2.0), tests, seed=seed, rubric=load_rubric())
    for sub in subs:
        r = grader.grade(Submission(sub.student, sub.sources))
        out.setdefault(sub.student, {})[seed] = {
            "score": r["score"],
            "failed": sorted(t["name"] for t in r["tests"] if t["status"] != "passed")}
json.dump(out, sys.stdout)
"""


def test_sample_class_scores_do_not_depend_on_the_seed() -> None:
    seeds = [1, 2, 5]
    proc = subprocess.run([sys.executable, "-c", SESSION, str(ROOT / "examples" / "submissions"),
                           json.dumps(seeds)], capture_output=True, text=True, timeout=600,
                          check=True)
    results = json.loads(proc.stdout)
    assert len(results) == 7
    for student, by_seed in results.items():
        scores = {seed: round(v["score"], 4) for seed, v in by_seed.items()}
        assert len(set(scores.values())) == 1, (student, scores)
        failed = {seed: tuple(v["failed"]) for seed, v in by_seed.items()}
        assert len(set(failed.values())) == 1, (student, failed)


def test_every_named_edit_is_a_real_change() -> None:
    for module, why, old, new in NAMED:
        assert old != new and re.search(re.escape(old), BASE[module]), why


# ------------------------------------------------------------------ public checks warn first

@pytest.mark.parametrize(("module", "why", "old", "new"), NAMED, ids=[row[1] for row in NAMED])
def test_each_named_wrong_code_fails_a_public_check(tmp_path: Path, module: str, why: str,
                                                    old: str, new: str) -> None:
    """`nngrade check` warns before the grade does: some public check of the module fails."""
    from nngrade.student.check import FAILED, run_checks

    (tmp_path / f"{module}.py").write_text(_named_mutant(module, why, old, new).source,
                                           encoding="utf-8")
    outcomes, problems = run_checks(tmp_path, [module], slow=True)
    assert not problems
    failed = [o.check.title for o in outcomes[module] if o.status == FAILED]
    assert failed, f"{why}: every public check of {module} passes"


def test_the_recursive_walk_fails_a_public_check(tmp_path: Path) -> None:
    from nngrade.student.check import FAILED, run_checks

    (tmp_path / "autodiff.py").write_text(_recursive_get_gradients().source, encoding="utf-8")
    outcomes, _ = run_checks(tmp_path, ["autodiff"])
    assert any(o.status == FAILED and "20000" in o.check.title for o in outcomes["autodiff"])


# ------------------------------------------------------------------ one requirement, three places


def test_the_deep_chain_is_the_same_in_handout_public_check_and_hidden_suite() -> None:
    """The handout (both languages), `nngrade check` and the hidden suite ask for one length."""
    import ast as _ast

    from nngrade.student.checks import CHECKS

    nodes = 20_000
    for handout in ("handout.md", "handout.zh.md"):
        assert f"{nodes:,} " in (ROOT / "docs" / handout).read_text(encoding="utf-8"), handout
    titles = [c.title for c in CHECKS if (c.module, c.name) == ("autodiff", "get_gradients")]
    assert any(f"{nodes} nodes" in t for t in titles), titles
    # The suite's constant, read from its source (the suites are never imported here).
    tree = _ast.parse((ROOT / "grader/nngrade/suites/test_autodiff.py").read_text("utf-8"))
    constants = {t.id: n.value for n in tree.body if isinstance(n, _ast.Assign)
                 for t in n.targets if isinstance(t, _ast.Name)}
    assert _ast.literal_eval(constants["CHAIN_NODES"]) == nodes
