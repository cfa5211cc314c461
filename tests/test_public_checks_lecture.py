"""The public checks of the rest of the lecture catch its classic mistakes before the grade does.

Each case plants one mistake in a copy of solutions/ (the same families the hidden
suite names) and runs ``nngrade check``'s code path on it: the contract name's checks
must fail, the others of the module must still pass, and the failure must say why.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from nngrade.student.check import FAILED, PASSED, run_checks

ROOT = Path(__file__).resolve().parents[1]
SOLUTIONS = ROOT / "solutions"

# (module, code in solutions/, the mistake, the contract name whose check must fail,
#  a phrase the failure's note or values must contain)
MISTAKES = [
    ("gradient_descent", "np.maximum(np.abs(analytic) + np.abs(numeric), 1e-12)",
     "(np.abs(analytic) + np.abs(numeric))", "gradient_check", "0/0"),
    ("gradient_descent", "    return float(np.max(error)) if error.size else 0.0",
     "    return float(np.mean(error)) if error.size else 0.0", "gradient_check", "not a mean"),
    ("gradient_descent", "    numeric = numerical_gradient(f, x, h)\n    error",
     "    numeric = np.array([(f(x + h * e) - f(x)) / h for e in np.eye(x.size)])\n    error",
     "gradient_check", "one-sided"),
    ("autodiff", "        costs.append(cost.value)", "        costs.append(cost)", "train_neuron",
     "C.value"),
    ("autodiff", "        costs.append(cost.value)\n        gradients = get_gradients(cost)\n"
     "        w = w - lr * gradients[w_node]\n        b = b - lr * gradients[b_node]\n",
     "        gradients = get_gradients(cost)\n        w = w - lr * gradients[w_node]\n"
     "        b = b - lr * gradients[b_node]\n        costs.append(1.0)\n",
     "train_neuron", "before the update"),
    ("autodiff", "    return sigmoid(w[6] * h1 + w[7] * h2 + w[8])\n",
     "    return Variable(sigmoid(w[6] * h1 + w[7] * h2 + w[8]).value)\n", "xor_net",
     "every weight is in its graph"),
    ("autodiff", "        gradients = get_gradients(cost)\n        weights = [v - lr",
     "        gradients = get_gradients(cost / 4)\n        weights = [v - lr",
     "train_xor_autodiff", "every w_j"),
    ("overfitting", "    return x[:, None] ** np.arange(degree + 1)",
     "    return np.vander(x, degree + 1)", "polynomial_features", "np.vander"),
    ("overfitting", "    penalty[0, 0] = 0.0\n", "", "fit_polynomial", "penalised"),
    ("overfitting", "    if l2 == 0:\n        return np.linalg.lstsq(features, y, rcond=None)[0]\n",
     "", "fit_polynomial", "np.linalg.lstsq"),
    ("overfitting", "            errors.append(float(residual @ residual / (2 * len(y))))",
     "            errors.append(float(residual @ residual / len(y)))", "train_test_errors",
     "(2 * 3)"),
    ("overfitting", "    return best_w, best_epoch, np.array(train_curve)",
     "    return w, best_epoch, np.array(train_curve)", "early_stopping_fit",
     "not the last ones"),
    ("overfitting", "        w = w - lr * features.T @ (features @ w - y) / m\n"
     "        residual, val_residual = features @ w - y, val_features @ w - y_val\n",
     "        residual, val_residual = features @ w - y, val_features @ w - y_val\n"
     "        w = w - lr * features.T @ (features @ w - y) / m\n",
     "early_stopping_fit", "before it"),
    ("vanishing", "    return np.array([grad * x] + layers[::-1], dtype=float)",
     "    return np.array([grad * x] + layers, dtype=float)", "layer_gradients", "w1 first"),
    ("vanishing", "        layers.append(grad * (f(z) + w * f_prime(z) * y_in))",
     "        layers.append(grad * f(z))", "layer_gradients", "used twice"),
]


def _plant(tmp_path: Path, module: str, old: str, new: str) -> Path:
    folder = tmp_path / "student"
    shutil.copytree(SOLUTIONS, folder)
    path = folder / f"{module}.py"
    source = path.read_text(encoding="utf-8")
    assert old in source, f"{old!r} not in solutions/{module}.py"
    path.write_text(source.replace(old, new, 1), encoding="utf-8")
    return folder


@pytest.mark.parametrize(("module", "old", "new", "name", "phrase"), MISTAKES,
                         ids=[f"{m[3]}-{i}" for i, m in enumerate(MISTAKES)])
def test_a_classic_mistake_fails_its_public_check_and_says_why(
        tmp_path: Path, module: str, old: str, new: str, name: str, phrase: str) -> None:
    folder = _plant(tmp_path, module, old, new)
    outcomes, problems = run_checks(folder, [module], timeout=10.0)
    assert not problems
    mine = [o for o in outcomes[module] if o.check.name == name]
    failed = [o for o in mine if o.status == FAILED]
    assert failed, [(o.check.title, o.status, o.detail) for o in mine]
    assert any(phrase in o.detail for o in failed), [o.detail for o in failed]


def test_the_slow_check_trains_xor_with_the_lectures_defaults() -> None:
    outcomes, problems = run_checks(SOLUTIONS, ["autodiff"], slow=True, timeout=120.0)
    slow = [o for o in outcomes["autodiff"] if o.check.slow]
    assert not problems and slow and all(o.status == PASSED for o in slow), \
        [(o.check.title, o.detail) for o in slow]
