"""The hidden suites of the rest of the lecture, graded in-process under several seeds.

gradient_check, train_neuron, xor_net, train_xor_autodiff, overfitting.py and
layer_gradients: solutions/ pass every test, fresh stubs get "not implemented",
and each classic mistake (planted in a copy of the solution module) loses points on
its own name with the mistake named, under every seed: the distinguishing cases are
placed deterministically, so no seed lets a known wrong answer through.

One grading session per seed, in a subprocess (pytest re-imports the suites'
conftest, so one session per process is safest), with the in-process backend.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
SEEDS = (1, 2, 3)
NEW_NAMES = {
    "gradient_descent": {"gradient_check"},
    "autodiff": {"train_neuron", "xor_net", "train_xor_autodiff"},
    "overfitting": {"polynomial_features", "fit_polynomial", "train_test_errors",
                    "early_stopping_fit"},
    "vanishing": {"layer_gradients"},
}

SESSION = r"""
import json, sys
from nngrade.hidden.grader import SuiteGrader
from nngrade.hidden.inprocess import SourceBackend
from nngrade.hidden.suite import collect
from nngrade.records import Submission
from nngrade.rubric import load_rubric

jobs = json.load(open(sys.argv[1]))
grader = SuiteGrader(SourceBackend(timeout=2.0), collect(), seed=int(sys.argv[3]),
                     rubric=load_rubric())
results = {n: grader.grade(Submission(n, s)) for n, s in jobs.items()}
json.dump(results, open(sys.argv[2], "w"))
"""


def _student_version(module: str) -> str:
    text = (ROOT / "solutions" / f"{module}.py").read_text(encoding="utf-8")
    return "".join(line for line in text.splitlines(keepends=True)
                   if not re.match(r"\s*### (BEGIN|END) SOLUTION|\s*### HINT", line))


def _planted(module: str, *edits: tuple[str, str]) -> dict[str, str]:
    source = _student_version(module)
    for old, new in edits:
        assert old in source, f"{old!r} not in solutions/{module}.py"
        source = source.replace(old, new, 1)
    return {module: source}


GC_ERROR = ("    error = np.abs(analytic - numeric) / np.maximum(np.abs(analytic) + "
            "np.abs(numeric), 1e-12)")
NEURON_STEP = ("        w = w - lr * gradients[w_node]\n        b = b - lr * gradients[b_node]")
XOR_EPOCH = ("        nodes = [Variable(v) for v in weights]\n        cost = Variable(0.0)\n"
             "        for x1, x2, target in XOR_CASES:\n"
             "            error = xor_net(nodes, x1, x2) - target\n"
             "            cost = cost + error * error\n        gradients = get_gradients(cost)\n"
             "        weights = [v - lr * gradients[node] for v, node in zip(weights, nodes, "
             "strict=True)]")
ES_STEP = ("        w = w - lr * features.T @ (features @ w - y) / m\n"
           "        residual, val_residual = features @ w - y, val_features @ w - y_val\n")
LAYER = "        layers.append(grad * (f(z) + w * f_prime(z) * y_in))"

# job -> (the contract name that must lose points, the mistake it must be told, the module)
BUGGY: dict[str, tuple[str, str | None, dict[str, str]]] = {
    "gc_one_sided": ("gradient_check", "gradient_check_one_sided", _planted(
        "gradient_descent", ("    numeric = numerical_gradient(f, x, h)\n",
                             "    numeric = np.array([(f(x + h * e.reshape(x.shape)) - f(x)) / h"
                             " for e in np.eye(x.size)]).reshape(x.shape)\n"))),
    "gc_absolute": ("gradient_check", "gradient_check_not_relative", _planted(
        "gradient_descent", (GC_ERROR, "    error = np.abs(analytic - numeric)"))),
    "gc_over_g": ("gradient_check", "gradient_check_wrong_denominator", _planted(
        "gradient_descent", ("np.abs(analytic) + np.abs(numeric), 1e-12)",
                             "np.abs(analytic), 1e-12)"))),
    "gc_mean": ("gradient_check", "gradient_check_mean_or_norm", _planted(
        "gradient_descent", ("    return float(np.max(error))",
                             "    return float(np.mean(error))"))),
    "gc_nan": ("gradient_check", "gradient_check_zero_division", _planted(
        "gradient_descent", ("np.maximum(np.abs(analytic) + np.abs(numeric), 1e-12)",
                             "(np.abs(analytic) + np.abs(numeric))"))),
    "gc_h": ("gradient_check", "gradient_check_ignores_h", _planted(
        "gradient_descent", ("    numeric = numerical_gradient(f, x, h)\n",
                             "    numeric = numerical_gradient(f, x)\n"))),
    "gc_floor_added": ("gradient_check", "gradient_check_wrong_floor", _planted(
        "gradient_descent", ("np.maximum(np.abs(analytic) + np.abs(numeric), 1e-12)",
                             "(np.abs(analytic) + np.abs(numeric) + 1e-12)"))),
    "gc_default_h": ("gradient_check", "gradient_check_wrong_default_h", _planted(
        "gradient_descent", ("def gradient_check(f, grad_f, x, h=1e-5):",
                             "def gradient_check(f, grad_f, x, h=1e-4):"))),
    # An empty x must give 0.0 (no entry, both gradients zero everywhere); nothing to name.
    "gc_empty": ("gradient_check", None, _planted(
        "gradient_descent", ("    return float(np.max(error)) if error.size else 0.0",
                             "    return float(np.max(error))"))),
    "gc_mutates": ("gradient_check", "gradient_check_mutates_input", _planted(
        "gradient_descent", ("    x = np.array(x, dtype=float)\n    analytic",
                             "    x = np.asarray(x, dtype=float)\n    x += 0.5\n    analytic"))),
    "neuron_after": ("train_neuron", "train_neuron_cost_after_update", _planted(
        "autodiff", ("        costs.append(cost.value)\n        gradients = get_gradients(cost)\n"
                     + NEURON_STEP + "\n",
                     "        gradients = get_gradients(cost)\n" + NEURON_STEP + "\n"
                     "        after = sigmoid(Variable(w) * x + Variable(b)) - target\n"
                     "        costs.append((after * after).value)\n"))),
    "neuron_lr": ("train_neuron", "lr_ignored", _planted(
        "autodiff", (NEURON_STEP, NEURON_STEP.replace("lr *", "0.1 *")))),
    "neuron_variables": ("train_neuron", "returned_variable_not_value", _planted(
        "autodiff", ("        costs.append(cost.value)", "        costs.append(cost)"))),
    "xor_net_output": ("xor_net", "xor_net_output_sigmoid_missing", _planted(
        "autodiff", ("    return sigmoid(w[6] * h1 + w[7] * h2 + w[8])\n",
                     "    return w[6] * h1 + w[7] * h2 + w[8]\n"))),
    "xor_net_floats": ("xor_net", "xor_net_graph_lost", _planted(
        "autodiff", ("    return sigmoid(w[6] * h1 + w[7] * h2 + w[8])\n",
                     "    return Variable(sigmoid(w[6] * h1 + w[7] * h2 + w[8]).value)\n"))),
    "xor_mean": ("train_xor_autodiff", "xor_autodiff_cost_scaled", _planted(
        "autodiff", ("        gradients = get_gradients(cost)\n        weights",
                     "        gradients = get_gradients(cost / 4)\n        weights"))),
    "xor_per_case": ("train_xor_autodiff", "xor_autodiff_per_case_updates", _planted(
        "autodiff", (XOR_EPOCH,
                     "        for x1, x2, target in XOR_CASES:\n"
                     "            nodes = [Variable(v) for v in weights]\n"
                     "            error = xor_net(nodes, x1, x2) - target\n"
                     "            gradients = get_gradients(error * error)\n"
                     "            weights = [v - lr * gradients[node] for v, node in "
                     "zip(weights, nodes, strict=True)]"))),
    "xor_start": ("train_xor_autodiff", "xor_autodiff_wrong_start", _planted(
        "autodiff", ("for v in np.random.default_rng(seed).standard_normal(9)",
                     "for v in np.random.RandomState(seed).randn(9)"))),
    "features_vander": ("polynomial_features", "polynomial_features_reversed", _planted(
        "overfitting", ("    return x[:, None] ** np.arange(degree + 1)",
                        "    return np.vander(x, degree + 1)"))),
    "fit_bias": ("fit_polynomial", "fit_polynomial_penalises_bias", _planted(
        "overfitting", ("    penalty[0, 0] = 0.0\n", ""))),
    "fit_scale": ("fit_polynomial", "fit_polynomial_l2_scale", _planted(
        "overfitting", ("features.T @ features / m + l2 * penalty, features.T @ y / m",
                        "features.T @ features + l2 * penalty, features.T @ y"))),
    "fit_solve": ("fit_polynomial", "fit_polynomial_not_min_norm", _planted(
        "overfitting", ("    if l2 == 0:\n"
                        "        return np.linalg.lstsq(features, y, rcond=None)[0]\n", ""))),
    "errors_swapped": ("train_test_errors", "train_test_errors_swapped", _planted(
        "overfitting", ("    return np.array(train_err), np.array(test_err)",
                        "    return np.array(test_err), np.array(train_err)"))),
    "errors_m": ("train_test_errors", "train_test_errors_wrong_m", _planted(
        "overfitting", ("residual @ residual / (2 * len(y))",
                        "residual @ residual / (2 * len(y_train))"))),
    "stop_last": ("early_stopping_fit", "early_stopping_fit_last_weights", _planted(
        "overfitting", ("    return best_w, best_epoch,", "    return w, best_epoch,"))),
    "stop_before": ("early_stopping_fit", "early_stopping_fit_losses_before_step", _planted(
        "overfitting", (ES_STEP, "        residual, val_residual = features @ w - y, "
                        "val_features @ w - y_val\n"
                        "        w = w - lr * features.T @ (features @ w - y) / m\n"))),
    "stop_delta": ("early_stopping_fit", "early_stopping_fit_ignores_min_delta", _planted(
        "overfitting", ("        if best_loss - val_curve[-1] > min_delta:",
                        "        if best_loss - val_curve[-1] > 0:"))),
    "layers_reversed": ("layer_gradients", "layer_gradients_reversed", _planted(
        "vanishing", ("[grad * x] + layers[::-1]", "[grad * x] + layers"))),
    "layers_one_use": ("layer_gradients", "layer_gradients_one_use", _planted(
        "vanishing", (LAYER, "        layers.append(grad * f(z))"))),
}


def _folder(name: str) -> dict[str, str]:
    return {m: (ROOT / name / f"{m}.py").read_text(encoding="utf-8") for m in NEW_NAMES}


def _grade(tmp: Path, jobs: dict[str, dict[str, str]], seed: int) -> dict[str, Any]:
    (tmp / "jobs.json").write_text(json.dumps(jobs))
    proc = subprocess.run(
        [sys.executable, "-c", SESSION, str(tmp / "jobs.json"), str(tmp / "results.json"),
         str(seed)], capture_output=True, text=True, timeout=900, cwd=tmp)
    assert proc.returncode == 0, proc.stderr[-4000:]
    return json.loads((tmp / "results.json").read_text())


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> dict[int, dict[str, Any]]:
    jobs = {"solutions": _folder("solutions"), "exercises": _folder("exercises"),
            **{name: files for name, (_, _, files) in BUGGY.items()}}
    return {seed: _grade(tmp_path_factory.mktemp(f"seed{seed}"), jobs, seed) for seed in SEEDS}


def _new_tests(results: dict[str, Any]) -> list[dict[str, Any]]:
    return [t for t in results["tests"] if t["tags"][1] in NEW_NAMES.get(t["tags"][0], ())]


def _describe(tests: list[dict[str, Any]]) -> str:
    return "\n".join(f"{t['name']}: {t['extra_data'].get('kind')} "
                     f"{(t['extra_data'].get('mistake') or {}).get('code', '')} "
                     f"{t['extra_data'].get('message', '')[:200]} "
                     f"{t['extra_data'].get('internal', '')}" for t in tests)


@pytest.mark.parametrize("seed", SEEDS)
def test_solutions_pass_every_new_test(graded, seed):
    tests = _new_tests(graded[seed]["solutions"])
    assert len(tests) == 25
    failed = [t for t in tests if t["status"] != "passed"]
    assert failed == [], _describe(failed)


def test_stubs_are_not_implemented(graded):
    tests = _new_tests(graded[SEEDS[0]]["exercises"])
    kinds = {t["extra_data"]["kind"] for t in tests}
    assert kinds == {"not_implemented"}, _describe(tests)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("job", sorted(BUGGY))
def test_a_classic_mistake_loses_points_and_is_named_under_every_seed(graded, seed, job):
    name, code, _ = BUGGY[job]
    tests = [t for t in _new_tests(graded[seed][job]) if t["tags"][1] == name]
    failed = [t for t in tests if t["status"] != "passed"]
    assert failed, f"{job} passes every test of {name} with seed {seed}"
    named = {(t["extra_data"].get("mistake") or {}).get("code") for t in failed}
    assert code in named, _describe(failed)


def test_no_new_test_breaks_on_any_submission(graded):
    broken = [(seed, job, t["name"], t["extra_data"].get("internal"))
              for seed, results in graded.items() for job, res in results.items()
              for t in _new_tests(res) if t["extra_data"].get("kind") == "grader_error"]
    assert broken == []


def test_the_default_xor_run_is_judged_without_running_20000_epochs(graded):
    """The plain-descent path: the student's calls for the default run stay cheap."""
    test = next(t for t in _new_tests(graded[SEEDS[0]]["solutions"])
                if t["tags"][1] == "train_xor_autodiff" and "defaults" in t["name"])
    assert test["status"] == "passed"
    assert "continued by the reference" not in test["output"]  # passed: no call text shown
    timing = graded[SEEDS[0]]["solutions"]["nngrade"]["timing"]
    assert timing["student_calls"] < 2.0, timing
