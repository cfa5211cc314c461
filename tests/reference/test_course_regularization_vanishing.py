"""Answer key, regularization.py and vanishing.py."""

from __future__ import annotations

import math

import numpy as np
import pytest

from nngrade.reference.course import regularization as reg
from nngrade.reference.course import vanishing as van
from nngrade.reference.gradcheck import numerical_gradient


def test_dropout_mask_semantics_and_inverted_scaling() -> None:
    x = np.arange(1.0, 2001.0).reshape(40, 50)
    out, mask = reg.dropout(x, 0.3, np.random.default_rng(5))
    expected_mask = np.random.default_rng(5).random(x.shape) >= 0.3
    np.testing.assert_array_equal(mask, expected_mask)
    assert mask.dtype == bool and mask.shape == x.shape
    np.testing.assert_allclose(out, np.where(mask, x / 0.7, 0.0))
    assert abs(mask.mean() - 0.7) < 0.03


def test_dropout_is_the_identity_when_not_training_or_p_zero() -> None:
    x = np.array([[1.0, -2.0], [3.0, 4.0]])
    rng = np.random.default_rng(0)
    for out, mask in (reg.dropout(x, 0.5, rng, training=False), reg.dropout(x, 0.0, rng)):
        np.testing.assert_array_equal(out, x)
        assert mask.dtype == bool and mask.all()
        assert out is not x
    assert rng.random() == np.random.default_rng(0).random()  # nothing was drawn


@pytest.mark.parametrize("p", [-0.01, 1.0, 2.0])
def test_dropout_rejects_p_outside_0_1(p: float) -> None:
    with pytest.raises(ValueError):
        reg.dropout(np.ones(3), p, np.random.default_rng(0))
    with pytest.raises(ValueError):
        reg.dropout(np.ones(3), p, np.random.default_rng(0), training=False)
    with pytest.raises(ValueError):
        reg.dropout_backward(np.ones(3), np.ones(3, bool), p)


def test_dropout_backward_matches_central_differences_of_the_forward() -> None:
    x = np.random.default_rng(1).normal(size=(3, 4))
    _, mask = reg.dropout(x, 0.4, np.random.default_rng(2))
    grad_out = np.random.default_rng(3).normal(size=x.shape)

    def loss(v: np.ndarray) -> float:
        return float(np.sum(np.where(mask, v / 0.6, 0.0) * grad_out))

    got = reg.dropout_backward(grad_out, mask, 0.4)
    np.testing.assert_allclose(got, numerical_gradient(loss, x), rtol=1e-7)
    np.testing.assert_allclose(got, grad_out * mask / 0.6)
    np.testing.assert_array_equal(
        reg.dropout_backward(grad_out, np.ones(x.shape, bool), 0.0), grad_out
    )


def test_early_stopping_patience_and_best() -> None:
    stopper = reg.EarlyStopping(patience=2)
    assert stopper.best_loss == math.inf and stopper.best_epoch is None
    decisions = [stopper.step(v) for v in [1.0, 0.8, 0.9, 0.85, 0.7, 0.7, 0.75]]
    assert decisions == [False, False, False, True, False, False, True]
    assert stopper.best_loss == 0.7 and stopper.best_epoch == 4


def test_early_stopping_min_delta() -> None:
    stopper = reg.EarlyStopping(patience=1, min_delta=0.1)
    assert stopper.step(1.0) is False
    assert stopper.step(0.95) is True  # improved, but not by more than 0.1
    assert stopper.best_loss == 1.0 and stopper.best_epoch == 0
    assert stopper.step(0.5) is False
    assert stopper.best_epoch == 2


def test_rotate_multiples_of_90_are_exact() -> None:
    square = np.arange(16).reshape(4, 4)
    for k in range(-4, 5):
        np.testing.assert_array_equal(reg.rotate(square, 90 * k), np.rot90(square, k))
    wide = np.arange(12).reshape(3, 4)
    np.testing.assert_array_equal(reg.rotate(wide, 180), wide[::-1, ::-1])
    np.testing.assert_array_equal(reg.rotate(wide, 0), wide)
    np.testing.assert_array_equal(reg.rotate(wide, 360.0), wide)


def test_rotate_is_counter_clockwise_as_displayed() -> None:
    image = np.zeros((5, 5), dtype=int)
    image[2, 4] = 1  # right of the centre
    rotated = reg.rotate(image, 90)
    assert rotated[0, 2] == 1 and rotated.sum() == 1  # now above the centre


def test_rotate_off_grid_fills_zero_outside_and_keeps_dtype() -> None:
    image = np.ones((5, 5), dtype=np.uint8)
    out = reg.rotate(image, 45)
    assert out.shape == image.shape and out.dtype == np.uint8
    assert out[2, 2] == 1
    assert out[0, 0] == 0 and out[0, 4] == 0 and out[4, 0] == 0 and out[4, 4] == 0
    assert out.sum() < image.sum()


def _chain_cost(w1: float, depth: int, f, x: float, Y: float) -> float:
    y = w1 * x
    for _ in range(depth):
        y = 1.0 * f(1.0 * y)
    return (Y - y) ** 2


FUNCS = {
    "sigmoid": lambda z: 1 / (1 + math.exp(-z)),
    "tanh": math.tanh,
    "relu": lambda z: max(z, 0.0),
}


@pytest.mark.parametrize("activation", list(FUNCS))
@pytest.mark.parametrize("depth", [0, 1, 2, 5, 12])
@pytest.mark.parametrize(("x", "Y"), [(1.0, 1.0), (0.7, 2.0), (-0.5, 0.25)])
def test_chain_gradient_matches_central_differences(
    activation: str, depth: int, x: float, Y: float
) -> None:
    got = van.chain_gradient(depth, activation, x=x, Y=Y)
    assert isinstance(got, float)
    h = 1e-6
    f = FUNCS[activation]
    numeric = (_chain_cost(1 + h, depth, f, x, Y) - _chain_cost(1 - h, depth, f, x, Y)) / (2 * h)
    assert got == pytest.approx(numeric, rel=1e-5, abs=1e-9)  # numeric: ~1e-10 rounding


def test_sigmoid_gradient_vanishes_relu_does_not() -> None:
    sig = [abs(van.chain_gradient(d)) for d in range(1, 11)]
    assert all(b < 0.3 * a for a, b in zip(sig, sig[1:], strict=False))  # each layer: <= 1/4
    assert sig[-1] < 1e-6
    assert van.chain_gradient(50, "relu", x=1.0, Y=2.0) == pytest.approx(-2.0)
    assert van.chain_gradient(0) == 0.0  # y = x = Y: no error, no gradient


def test_chain_gradient_rejects_unknown_activations() -> None:
    with pytest.raises(ValueError):
        van.chain_gradient(3, "softplus")
