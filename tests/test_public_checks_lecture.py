"""The public checks of the rest of the lecture catch its classic mistakes before the grade does.

Each case plants one mistake in a copy of solutions/ (the same families the hidden
suite names) and runs ``nngrade check``'s code path on it: the contract name's checks
must fail, and the failure must say why, naming the mistake by the hidden suite's code
where it is one.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from nngrade.messages import render
from nngrade.mistakes import CODES, mistake_message
from nngrade.student.check import FAILED, PASSED, run_checks

ROOT = Path(__file__).resolve().parents[1]
SOLUTIONS = ROOT / "solutions"

# (module, code in solutions/, the mistake, the contract name whose check must fail, and
#  why: the mistake's code, which the failure must name as the hidden suite does, or else
#  a phrase its text must contain)
MISTAKES = [
    ("gradient_descent", "np.maximum(np.abs(analytic) + np.abs(numeric), 1e-12)",
     "(np.abs(analytic) + np.abs(numeric))", "gradient_check", "gradient_check_zero_division"),
    ("gradient_descent", "    return float(np.max(error)) if error.size else 0.0",
     "    return float(np.mean(error)) if error.size else 0.0", "gradient_check",
     "gradient_check_mean_or_norm"),
    ("gradient_descent", "    numeric = numerical_gradient(f, x, h)\n    error",
     "    numeric = np.array([(f(x + h * e) - f(x)) / h for e in np.eye(x.size)])\n    error",
     "gradient_check", "gradient_check_one_sided"),
    ("gradient_descent", "np.maximum(np.abs(analytic) + np.abs(numeric), 1e-12)",
     "(np.abs(analytic) + np.abs(numeric) + 1e-12)", "gradient_check",
     "gradient_check_wrong_floor"),
    ("gradient_descent", "def gradient_check(f, grad_f, x, h=1e-5):",
     "def gradient_check(f, grad_f, x, h=1e-4):", "gradient_check",
     "gradient_check_wrong_default_h"),
    ("gradient_descent", "    return float(np.max(error)) if error.size else 0.0",
     "    return float(np.max(error)) if error.size else 1.0", "gradient_check",
     "An empty x has no entries"),
    # The codes that were hidden-only before the full audit, and its new charges.
    ("overfitting", "        if best_loss - val_curve[-1] > min_delta:",
     "        if best_loss - val_curve[-1] > 0:", "early_stopping_fit",
     "early_stopping_fit_ignores_min_delta"),
    ("overfitting", "        w = fit_polynomial(x_train, y_train, int(d), l2)",
     "        w = fit_polynomial(x_train, y_train, int(d))", "train_test_errors",
     "train_test_errors_ignores_l2"),
    ("overfitting", "        w = fit_polynomial(x_train, y_train, int(d), l2)",
     "        w = fit_polynomial(x_test, y_test, int(d), l2)", "train_test_errors",
     "train_test_errors_fit_on_test"),
    ("vanishing", "        grad *= w * f_prime(z) * w  # dy_k/dy_(k-1) = w f'(z_k) w",
     "        grad *= w * f_prime(f(z)) * w", "chain_gradient", "vanishing_wrong_derivative"),
    ("autodiff", "    gradients = defaultdict(float)",
     "    gradients = get_gradients.__dict__.setdefault('kept', defaultdict(float))",
     "get_gradients", "get_gradients_keeps_state"),
    ("autodiff", "        nodes = [Variable(v) for v in weights]\n        cost = Variable(0.0)\n"
     "        for x1, x2, target in XOR_CASES:\n"
     "            error = xor_net(nodes, x1, x2) - target\n"
     "            cost = cost + error * error\n        gradients = get_gradients(cost)\n"
     "        weights = [v - lr * gradients[node] for v, node in zip(weights, nodes, "
     "strict=True)]",
     "        for x1, x2, target in XOR_CASES:\n"
     "            nodes = [Variable(v) for v in weights]\n"
     "            error = xor_net(nodes, x1, x2) - target\n"
     "            gradients = get_gradients(error * error)\n"
     "            weights = [v - lr * gradients[node] for v, node in "
     "zip(weights, nodes, strict=True)]", "train_xor_autodiff",
     "xor_autodiff_per_case_updates"),
    ("backprop", "def train_xor(hidden=10, epochs=20000, lr=0.5, seed=0):",
     "def train_xor(hidden=10, epochs=20000, lr=0.5, seed=1):", "train_xor",
     "wrong_default_argument"),
    ("autodiff", "def train_xor_autodiff(epochs=20000, lr=0.1, seed=0):",
     "def train_xor_autodiff(epochs=20000, lr=0.2, seed=0):", "train_xor_autodiff",
     "wrong_default_argument"),
    ("overfitting", "                       min_delta=0.0):",
     "                       min_delta=1.0):", "early_stopping_fit", "wrong_default_argument"),
    ("regularization", "        self.calls_without_improvement = 0",
     "        self.calls_without_improvement = 1", "EarlyStopping", "early_stopping_off_by_one"),
    ("regularization", "(height - 1) / 2", "(height - 1) // 2", "rotate",
     "a half pixel for even sides"),
    ("autodiff", "        costs.append(cost.value)", "        costs.append(cost)", "train_neuron",
     "returned_variable_not_value"),
    ("autodiff", "        costs.append(cost.value)\n        gradients = get_gradients(cost)\n"
     "        w = w - lr * gradients[w_node]\n        b = b - lr * gradients[b_node]\n",
     "        gradients = get_gradients(cost)\n        w = w - lr * gradients[w_node]\n"
     "        b = b - lr * gradients[b_node]\n        costs.append(1.0)\n",
     "train_neuron", "before the update"),
    ("autodiff", "    return sigmoid(w[6] * h1 + w[7] * h2 + w[8])\n",
     "    return Variable(sigmoid(w[6] * h1 + w[7] * h2 + w[8]).value)\n", "xor_net",
     "xor_net_graph_lost"),
    ("autodiff", "        gradients = get_gradients(cost)\n        weights = [v - lr",
     "        gradients = get_gradients(cost / 4)\n        weights = [v - lr",
     "train_xor_autodiff", "xor_autodiff_cost_scaled"),
    ("overfitting", "    return x[:, None] ** np.arange(degree + 1)",
     "    return np.vander(x, degree + 1)", "polynomial_features",
     "polynomial_features_reversed"),
    ("overfitting", "    penalty[0, 0] = 0.0\n", "", "fit_polynomial",
     "fit_polynomial_penalises_bias"),
    ("overfitting", "    if l2 == 0:\n        return np.linalg.lstsq(features, y, rcond=None)[0]\n",
     "", "fit_polynomial", "fit_polynomial_not_min_norm"),
    ("overfitting", "            errors.append(float(residual @ residual / (2 * len(y))))",
     "            errors.append(float(residual @ residual / len(y)))", "train_test_errors",
     "mse_mean_not_half"),
    ("overfitting", "    return best_w, best_epoch, np.array(train_curve)",
     "    return w, best_epoch, np.array(train_curve)", "early_stopping_fit",
     "early_stopping_fit_last_weights"),
    ("overfitting", "        w = w - lr * features.T @ (features @ w - y) / m\n"
     "        residual, val_residual = features @ w - y, val_features @ w - y_val\n",
     "        residual, val_residual = features @ w - y, val_features @ w - y_val\n"
     "        w = w - lr * features.T @ (features @ w - y) / m\n",
     "early_stopping_fit", "early_stopping_fit_losses_before_step"),
    ("vanishing", "    return np.array([grad * x] + layers[::-1], dtype=float)",
     "    return np.array([grad * x] + layers, dtype=float)", "layer_gradients",
     "layer_gradients_reversed"),
    ("vanishing", "        layers.append(grad * (f(z) + w * f_prime(z) * y_in))",
     "        layers.append(grad * f(z))", "layer_gradients",
     "layer_gradients_one_use"),
]


def _plant(tmp_path: Path, module: str, old: str, new: str) -> Path:
    folder = tmp_path / "student"
    shutil.copytree(SOLUTIONS, folder)
    path = folder / f"{module}.py"
    source = path.read_text(encoding="utf-8")
    assert old in source, f"{old!r} not in solutions/{module}.py"
    path.write_text(source.replace(old, new, 1), encoding="utf-8")
    return folder


@pytest.mark.parametrize(("module", "old", "new", "name", "why"), MISTAKES,
                         ids=[f"{m[3]}-{i}" for i, m in enumerate(MISTAKES)])
def test_a_classic_mistake_fails_its_public_check_and_says_why(
        tmp_path: Path, module: str, old: str, new: str, name: str, why: str) -> None:
    folder = _plant(tmp_path, module, old, new)
    outcomes, problems = run_checks(folder, [module], timeout=10.0)
    assert not problems
    mine = [o for o in outcomes[module] if o.check.name == name]
    failed = [o for o in mine if o.status == FAILED]
    assert failed, [(o.check.title, o.status, o.detail) for o in mine]
    if why in CODES:
        assert any(o.feedback is not None and o.feedback.mistake == why for o in failed), \
            [o.detail for o in failed]
        assert any(render(mistake_message(why), "en") in o.detail for o in failed)
    else:
        assert any(why in o.detail for o in failed), [o.detail for o in failed]


def test_the_slow_check_trains_xor_with_the_lectures_defaults() -> None:
    outcomes, problems = run_checks(SOLUTIONS, ["autodiff"], slow=True, timeout=120.0)
    slow = [o for o in outcomes["autodiff"] if o.check.slow]
    assert not problems and slow and all(o.status == PASSED for o in slow), \
        [(o.check.title, o.detail) for o in slow]
