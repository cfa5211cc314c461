"""Answer key for the rest of the lecture: gradient_check, the autodiff programs, overfitting.py
and layer_gradients.

The expected numbers here are the lecture's own where it has them (the neuron's
df/dw = df/db = 0.25, its first cost 0.25, the XOR outputs), and otherwise
properties a right answer must have: the engine's gradient vanishes at a fitted
w, a longer run continues a shorter one, entry 0 of layer_gradients is
chain_gradient.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from nngrade.reference.course import autodiff as ad
from nngrade.reference.course import gradient_descent as gd
from nngrade.reference.course import overfitting as of
from nngrade.reference.course import regularization as reg
from nngrade.reference.course import vanishing as van
from nngrade.reference.engine import Tensor
from nngrade.worker.functions import make

# ------------------------------------------------------------------ gradient_check


def test_gradient_check_is_tiny_for_a_right_gradient_and_large_for_a_wrong_one() -> None:
    x = np.random.default_rng(0).normal(size=(3, 2))
    f, grad = make("rosenbrock"), make("rosenbrock_grad")
    assert gd.gradient_check(f, grad, x) < 1e-6
    wrong = make("quadratic_grad")
    assert gd.gradient_check(f, wrong, x) > 0.1


def test_gradient_check_follows_the_contract_formula() -> None:
    x = np.array([0.3, -1.2, 2.0, 0.0])
    f, g = make("sin_sum", {"scale": 2.0}), make("quadratic_grad", {"a": 1.5, "c": 0.2})
    analytic, numeric = g(x), gd.numerical_gradient(f, x, 1e-3)
    want = np.max(np.abs(analytic - numeric) / np.maximum(np.abs(analytic) + np.abs(numeric),
                                                          1e-12))
    assert gd.gradient_check(f, g, x, 1e-3) == pytest.approx(want, rel=1e-12)


def test_gradient_check_of_two_zero_gradients_is_zero_and_x_is_kept() -> None:
    x = np.zeros(3)
    x_before = x.copy()
    zero_f, zero_grad = make("quadratic", {"a": 0.0}), make("quadratic_grad", {"a": 0.0})
    assert gd.gradient_check(zero_f, zero_grad, x) == 0.0
    np.testing.assert_array_equal(x, x_before)
    assert gd.gradient_check(zero_f, zero_grad, np.zeros(0)) == 0.0


# ------------------------------------------------------------------ the autodiff programs


def test_train_neuron_starts_at_the_lectures_numbers() -> None:
    costs, w, b = ad.train_neuron(steps=1, lr=1.0)
    assert costs == [0.25]  # y = sigmoid(0) = 0.5, C = (0.5 - 1)**2
    # dC/dw = 2 (y - Y) * df/dw = 2 * (-0.5) * 0.25 = -0.25, the same for b
    assert w == pytest.approx(0.25) and b == pytest.approx(0.25)


def test_train_neuron_costs_fall_and_are_recorded_before_each_update() -> None:
    costs, w, b = ad.train_neuron()
    assert len(costs) == 10 and all(isinstance(c, float) for c in costs)
    assert all(later < earlier for earlier, later in zip(costs, costs[1:], strict=False))
    shorter, w9, b9 = ad.train_neuron(steps=9)
    assert shorter == costs[:9]
    y = 1.0 / (1.0 + math.exp(-(w9 + b9)))
    assert costs[9] == pytest.approx((y - 1.0) ** 2, rel=1e-12)
    assert ad.train_neuron(steps=0) == ([], 0.0, 0.0)
    assert w == b  # x = 1: w and b always get the same gradient


def test_xor_net_is_the_lectures_network_and_its_graph_reaches_every_weight() -> None:
    rng = np.random.default_rng(3)
    values = rng.normal(size=9)
    weights = [ad.Variable(v) for v in values]
    for x1, x2, _ in ad.XOR_CASES:
        out = ad.xor_net(weights, x1, x2)

        def sig(z: float) -> float:
            return 1.0 / (1.0 + math.exp(-z))

        h1 = sig(x1 * values[0] + x2 * values[1] + values[2])
        h2 = sig(x1 * values[3] + x2 * values[4] + values[5])
        assert out.value == pytest.approx(sig(values[6] * h1 + values[7] * h2 + values[8]))
        grads = ad.get_gradients(out)
        numeric = gd.numerical_gradient(
            lambda v, x1=x1, x2=x2: ad.xor_net([ad.Variable(t) for t in v], x1, x2).value, values)
        np.testing.assert_allclose([grads[w] for w in weights], numeric, rtol=1e-6, atol=1e-9)


def test_train_xor_autodiff_continues_itself_and_matches_the_scalar_graph() -> None:
    two = ad.train_xor_autodiff(epochs=2, lr=0.7, seed=5)
    one = ad.train_xor_autodiff(epochs=1, lr=0.7, seed=5)
    assert ad.train_xor_autodiff(epochs=0, seed=5) == list(np.random.default_rng(5)
                                                            .standard_normal(9))
    # one more epoch by the scalar graph (the lecture's program) from `one`
    nodes = [ad.Variable(v) for v in one]
    cost = ad.Variable(0.0)
    for x1, x2, t in ad.XOR_CASES:
        err = ad.xor_net(nodes, x1, x2) - t
        cost = cost + err * err
    grads = ad.get_gradients(cost)
    by_hand = [v - 0.7 * grads[n] for v, n in zip(one, nodes, strict=True)]
    np.testing.assert_allclose(two, by_hand, rtol=1e-12, atol=1e-14)


def test_train_xor_autodiff_with_its_defaults_learns_xor() -> None:
    weights = ad.train_xor_autodiff()
    assert len(weights) == 9 and all(isinstance(w, float) for w in weights)
    outputs = ad.xor_outputs(weights)
    assert [round(o) for o in outputs] == [0, 1, 1, 0]
    assert max(abs(o - t) for o, (_, _, t) in zip(outputs, ad.XOR_CASES, strict=True)) < 0.1


# ------------------------------------------------------------------ overfitting


def test_polynomial_features_columns_are_powers_lowest_first() -> None:
    x = np.array([0.0, -0.5, 2.0])
    got = of.polynomial_features(x, 3)
    np.testing.assert_array_equal(got, [[1, 0, 0, 0], [1, -0.5, 0.25, -0.125], [1, 2, 4, 8]])
    assert got.dtype == np.float64
    assert of.polynomial_features(x, 0).shape == (3, 1)


def _engine_gradient(w: np.ndarray, x: np.ndarray, y: np.ndarray, degree: int,
                     l2: float) -> np.ndarray:
    t = Tensor(w.copy(), requires_grad=True)
    of.objective(t, x, y, degree, l2).backward()
    return t.grad


@pytest.mark.parametrize(("degree", "n", "l2"), [(1, 8, 0.0), (3, 10, 0.0), (5, 12, 0.1),
                                                 (9, 10, 0.0), (12, 20, 1e-3), (4, 6, 2.0)])
def test_fit_polynomial_is_where_the_engines_gradient_vanishes(degree: int, n: int,
                                                                l2: float) -> None:
    rng = np.random.default_rng(degree * 100 + n)
    x = np.sort(rng.uniform(-1, 1, n))
    y = 3.0 + np.sin(3 * x) + 0.1 * rng.normal(size=n)
    w = of.fit_polynomial(x, y, degree, l2)
    assert w.shape == (degree + 1,)
    scale = np.abs(of.polynomial_features(x, degree).T @ y).max() / n
    assert np.abs(_engine_gradient(w, x, y, degree, l2)).max() < 1e-8 * scale


def test_fit_polynomial_leaves_the_constant_unpenalised() -> None:
    x = np.linspace(-1, 1, 9)
    y = np.full(9, 5.0)
    w = of.fit_polynomial(x, y, 3, l2=10.0)
    np.testing.assert_allclose(w, [5.0, 0, 0, 0], atol=1e-12)


def test_fit_polynomial_gives_the_minimum_norm_interpolant_when_underdetermined() -> None:
    x = np.array([-0.8, 0.1, 0.7])
    y = np.array([1.0, -0.5, 2.0])
    w = of.fit_polynomial(x, y, 6)
    features = of.polynomial_features(x, 6)
    np.testing.assert_allclose(features @ w, y, atol=1e-12)
    np.testing.assert_allclose(w, np.linalg.pinv(features) @ y, rtol=1e-10)


def test_train_test_errors_draw_the_lectures_picture() -> None:
    rng = np.random.default_rng(1)
    x = np.linspace(-1, 1, 10)
    y = np.sin(3 * x) + 0.2 * rng.normal(size=10)
    x_test = np.linspace(-0.95, 0.95, 40)
    train, test = of.train_test_errors(x, y, x_test, np.sin(3 * x_test), [1, 3, 9])
    assert train.dtype == test.dtype == np.float64 and train.shape == test.shape == (3,)
    assert train[0] > train[1] > train[2] and train[2] < 1e-20  # degree 9 threads all 10 points
    assert test[1] < test[0] and test[1] < test[2]  # the middle degree generalises best
    w = of.fit_polynomial(x, y, 3)
    assert test[1] == pytest.approx(
        np.sum((of.polynomial_features(x_test, 3) @ w - np.sin(3 * x_test)) ** 2) / 80)


def _disagreeing_sets() -> tuple[np.ndarray, ...]:
    """Training targets 2x, validation targets x: the validation loss falls, then rises."""
    x = np.linspace(-1, 1, 8)
    x_val = np.linspace(-0.9, 0.9, 5)
    return x, 2 * x, x_val, x_val


def test_early_stopping_fit_keeps_the_best_epochs_weights() -> None:
    x, y, x_val, y_val = _disagreeing_sets()
    w, best, train, val = of.early_stopping_fit(x, y, x_val, y_val, 1, 0.3, 200, 4)
    assert isinstance(best, int) and len(train) == len(val) == best + 5
    assert best == int(np.argmin(val)) and val[-1] > val[best]
    assert np.all(np.diff(train) < 0)  # descent on the training loss
    # w is the weights after epoch `best`: replay the descent by hand
    features = of.polynomial_features(x, 1)
    v = np.zeros(2)
    for _ in range(best + 1):
        v = v - 0.3 * features.T @ (features @ v - y) / len(y)
    np.testing.assert_allclose(w, v, rtol=1e-12, atol=1e-14)
    # losses are recorded after each step: the first entry is not the loss at w = 0
    assert train[0] < np.sum(y**2) / (2 * len(y))


def test_early_stopping_fit_agrees_with_the_early_stopping_class() -> None:
    x, y, x_val, y_val = _disagreeing_sets()
    _, best, _, val = of.early_stopping_fit(x, y, x_val, y_val, 2, 0.2, 300, 3, min_delta=1e-3)
    stopper = reg.EarlyStopping(3, 1e-3)
    stops = [stopper.step(v) for v in val]
    assert stops[-1] and not any(stops[:-1]) and stopper.best_epoch == best


def test_early_stopping_fit_runs_to_max_epochs_when_validation_keeps_improving() -> None:
    x = np.linspace(-1, 1, 8)
    w, best, train, val = of.early_stopping_fit(x, 2 * x, x, 2 * x, 1, 0.3, 25, 3)
    assert len(val) == 25 and best == 24
    assert of.early_stopping_fit(x, 2 * x, x, 2 * x, 1, 0.3, 0, 3)[1] is None


# ------------------------------------------------------------------ layer_gradients


@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "relu"])
@pytest.mark.parametrize(("x", "target"), [(1.0, 1.0), (0.5, 2.0), (-1.2, 0.3)])
def test_layer_gradients_start_with_chain_gradient(activation: str, x: float,
                                                   target: float) -> None:
    for depth in (0, 1, 4, 9):
        got = van.layer_gradients(depth, activation, x, target)
        assert got.shape == (depth + 1,) and got.dtype == np.float64
        assert got[0] == pytest.approx(van.chain_gradient(depth, activation, x, target),
                                       rel=1e-12, abs=1e-300)


def test_layer_gradients_match_central_differences_of_the_cost() -> None:
    depth, x, target = 4, 0.7, 1.6

    def cost(weights: np.ndarray) -> float:
        y = weights[0] * x
        for w in weights[1:]:
            y = w * math.tanh(w * y)
        return (target - y) ** 2

    numeric = gd.numerical_gradient(cost, np.ones(depth + 1))
    np.testing.assert_allclose(van.layer_gradients(depth, "tanh", x, target), numeric,
                               rtol=1e-7)


def test_layer_gradients_vanish_towards_the_first_layers_with_the_sigmoid() -> None:
    got = np.abs(van.layer_gradients(6))
    assert np.all(np.diff(got) > 0)
    with pytest.raises(ValueError):
        van.layer_gradients(3, "softplus")
    with pytest.raises(ValueError):
        van.chain_gradient(3, ["relu"])  # type: ignore[arg-type]
