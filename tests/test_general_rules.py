"""The contract's general rules, on both implementations: solutions/ and the reference.

The second edition of the contract tightened what it had left open: returned dtypes
(0/1 as integers or floats, never bool; masks bool; float64 for float64 inputs),
0-d results where a float is asked for, no input modified, EarlyStopping before its
first call, chain_gradient's ValueError for any other activation (also one that is
not a string), and get_gradients on a chain of 20,000 nodes.
"""

from __future__ import annotations

import importlib
import importlib.util
import math
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

SOLUTIONS = Path(__file__).resolve().parents[1] / "solutions"


def _solution(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"_rules_{name}", SOLUTIONS / f"{name}.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(params=["solutions", "reference"])
def impl(request: pytest.FixtureRequest):
    """A loader of the named module from one of the two implementations."""
    if request.param == "solutions":
        return _solution
    return lambda name: importlib.import_module(f"nngrade.reference.course.{name}")


def test_zero_one_results_are_numbers_not_bool(impl) -> None:
    perceptron, activations = impl("perceptron"), impl("activations")
    x = np.array([-1.0, 0.0, 2.0])
    a, b = np.array([0, 0, 1, 1]), np.array([0, 1, 0, 1])
    for got in (perceptron.step(x), perceptron.perceptron(np.ones((3, 2)), np.ones(2), 1.5),
                perceptron.and_gate(a, b), perceptron.or_gate(a, b),
                perceptron.nand_gate(a, b), perceptron.xor(a, b)):
        assert np.asarray(got).dtype.kind in "iuf", np.asarray(got).dtype
    assert perceptron.step(0.0) == 0
    prime = activations.relu_prime(x)
    assert prime.dtype == np.float64 and list(prime) == [0.0, 0.0, 1.0]


def test_float64_in_float64_out(impl) -> None:
    activations, losses = impl("activations"), impl("losses")
    z = np.linspace(-3, 3, 7)
    for name in ("sigmoid", "tanh", "relu", "sigmoid_prime", "tanh_prime", "relu_prime"):
        assert getattr(activations, name)(z).dtype == np.float64, name
    assert losses.softmax(z).dtype == np.float64
    assert losses.one_hot(np.array([0, 2]), 3).dtype.kind == "f"


def test_a_float_result_is_a_float_or_0d(impl) -> None:
    losses, vanishing, gd = impl("losses"), impl("vanishing"), impl("gradient_descent")
    results = [losses.mse(np.ones(3), np.zeros(3)),
               losses.cross_entropy(np.array([0.2, 0.8]), np.array([0.0, 1.0])),
               vanishing.chain_gradient(3),
               gd.gradient_check(lambda v: float(np.sum(v**2)), lambda v: 2 * v, np.ones(2))]
    for got in results:
        assert isinstance(got, float) or np.ndim(got) == 0


def test_masks_are_boolean_and_inputs_are_left_alone(impl) -> None:
    reg, gd, of = impl("regularization"), impl("gradient_descent"), impl("overfitting")
    x = np.arange(12.0).reshape(3, 4)
    before = x.copy()
    for training in (True, False):
        out, mask = reg.dropout(x, 0.5, np.random.default_rng(0), training=training)
        assert mask.dtype == bool and out.dtype == np.float64
    gd.numerical_gradient(lambda v: float(np.sum(v**2)), x)
    gd.gradient_descent(lambda v: v, x, 0.1, 3)
    gd.gradient_check(lambda v: float(np.sum(v**2)), lambda v: 2 * v, x)
    assert np.array_equal(x, before)
    xs, ys = np.linspace(-1, 1, 6), np.linspace(0, 1, 6)
    kept = (xs.copy(), ys.copy())
    of.fit_polynomial(xs, ys, 3, 0.1)
    of.early_stopping_fit(xs, ys, xs, ys, 2, 0.3, 20, 2)
    assert np.array_equal(xs, kept[0]) and np.array_equal(ys, kept[1])


def test_early_stopping_before_its_first_call_and_with_nan(impl) -> None:
    stopper = impl("regularization").EarlyStopping(2)
    assert stopper.best_loss == math.inf and stopper.best_epoch is None
    assert not stopper.step(float("nan"))
    assert stopper.best_epoch is None  # a nan loss is never an improvement
    stopper.step(1.0)
    assert stopper.best_loss == 1.0 and stopper.best_epoch == 1


@pytest.mark.parametrize("activation", ["softplus", "", None, ["relu"], 3])
def test_any_other_activation_raises_value_error(impl, activation: object) -> None:
    vanishing = impl("vanishing")
    with pytest.raises(ValueError):
        vanishing.chain_gradient(3, activation)
    with pytest.raises(ValueError):
        vanishing.layer_gradients(3, activation)


def test_get_gradients_on_a_chain_of_20000_nodes(impl) -> None:
    autodiff = impl("autodiff")
    x = autodiff.Variable(1.5)
    y = x
    for _ in range(20_000):
        y = y * 1.0
    assert autodiff.get_gradients(y)[x] == pytest.approx(1.0)
