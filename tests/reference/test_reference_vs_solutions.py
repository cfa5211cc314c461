"""The answer key and solutions/ are independent implementations: they must agree.

Each solution module is loaded by path (as the grader does), fed the same
random inputs as the reference, and compared. Skipped where a solution file
does not exist yet.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

from nngrade.reference.course import activations, backprop, losses, regularization, vanishing

SOLUTIONS = Path(__file__).resolve().parents[2] / "solutions"


def solution(name: str) -> ModuleType:
    path = SOLUTIONS / f"{name}.py"
    if not path.exists():
        pytest.skip(f"no solutions/{name}.py")
    spec = importlib.util.spec_from_file_location(f"_solution_{name}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(
    "name", ["sigmoid", "tanh", "relu", "sigmoid_prime", "tanh_prime", "relu_prime"]
)
def test_activations_agree(name: str) -> None:
    z = np.concatenate([np.random.default_rng(0).normal(size=200) * 20, [0.0, -1e4, 1e4]])
    np.testing.assert_allclose(
        getattr(activations, name)(z),
        getattr(solution("activations"), name)(z),
        rtol=1e-12,
        atol=1e-15,  # where sigma(z) ~ 1, both lose ~1e-16 to rounding in 1 - sigma
    )


def test_backprop_agrees() -> None:
    sol = solution("backprop")
    rng = np.random.default_rng(1)
    x, y, w1, w2 = (
        rng.normal(size=(7, 5)),
        rng.normal(size=(7, 2)),
        rng.normal(size=(5, 4)),
        rng.normal(size=(4, 2)),
    )
    for ours, theirs in zip(
        backprop.backward(x, y, w1, w2), sol.backward(x, y, w1, w2), strict=True
    ):
        np.testing.assert_allclose(ours, theirs, rtol=1e-12)
    w1, w2 = rng.normal(size=(2, 6)), rng.normal(size=(6, 1))
    for ours, theirs in zip(
        backprop.xor_grads(backprop.XOR_X, backprop.XOR_Y, w1, w2),
        sol.xor_grads(backprop.XOR_X, backprop.XOR_Y, w1, w2),
        strict=True,
    ):
        np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-15)


def test_losses_agree() -> None:
    sol = solution("losses")
    rng = np.random.default_rng(2)
    probs = losses.softmax(rng.normal(size=(5, 4)) * 3)
    targets = losses.one_hot(rng.integers(0, 4, 5), 4)
    np.testing.assert_allclose(probs, sol.softmax(probs * 0 + np.log(probs)), rtol=1e-12)
    assert losses.cross_entropy(probs, targets) == pytest.approx(
        sol.cross_entropy(probs, targets), rel=1e-12
    )
    assert losses.mse(probs, targets) == pytest.approx(sol.mse(probs, targets), rel=1e-12)


def test_regularization_agrees() -> None:
    sol = solution("regularization")
    x = np.random.default_rng(3).normal(size=(6, 7))
    ours, theirs = (
        regularization.dropout(x, 0.3, np.random.default_rng(9)),
        sol.dropout(x, 0.3, np.random.default_rng(9)),
    )
    np.testing.assert_array_equal(ours[1], theirs[1])
    np.testing.assert_allclose(ours[0], theirs[0])
    rng = np.random.default_rng(4)
    for _ in range(200):
        image = rng.integers(0, 9, rng.integers(1, 8, 2))
        degrees = float(rng.choice([90.0, 180.0, -270.0, rng.uniform(-360, 360)]))
        np.testing.assert_array_equal(
            regularization.rotate(image, degrees), sol.rotate(image, degrees)
        )


@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "relu"])
def test_vanishing_agrees(activation: str) -> None:
    sol = solution("vanishing")
    for depth in (0, 1, 4, 20):
        assert vanishing.chain_gradient(depth, activation, 0.8, 1.5) == pytest.approx(
            sol.chain_gradient(depth, activation, 0.8, 1.5), rel=1e-9, abs=1e-300
        )
