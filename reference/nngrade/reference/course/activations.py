"""Activations and their derivatives; each derivative is the engine's gradient, not a formula.

For an elementwise f, the gradient of sum(f(z)) with respect to z is f'(z)
entry by entry, so one backward pass through the engine gives the whole
derivative array. Values are the engine's too, which keeps sigmoid finite
and warning-free for any |z| (see ``Tensor.sigmoid``).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from nngrade.reference.engine import ArrayLike, Tensor

__all__ = ["sigmoid", "tanh", "relu", "sigmoid_prime", "tanh_prime", "relu_prime"]

Activation = Callable[[Tensor], Tensor]


def _value(f: Activation, z: ArrayLike) -> np.ndarray:
    """f(z) elementwise, as a float array shaped like z."""
    return f(Tensor(z)).data


def _derivative(f: Activation, z: ArrayLike) -> np.ndarray:
    """f'(z) elementwise, by backpropagating ones through f with the engine."""
    t = Tensor(np.array(z, dtype=float), requires_grad=True)
    out = f(t)
    out.backward(np.ones(out.shape))
    assert t.grad is not None  # t asked for a gradient
    return t.grad


def sigmoid(z: ArrayLike) -> np.ndarray:
    return _value(Tensor.sigmoid, z)


def tanh(z: ArrayLike) -> np.ndarray:
    return _value(Tensor.tanh, z)


def relu(z: ArrayLike) -> np.ndarray:
    return _value(Tensor.relu, z)


def sigmoid_prime(z: ArrayLike) -> np.ndarray:
    """dσ/dz at the pre-activation z (largest at z = 0: 0.25)."""
    return _derivative(Tensor.sigmoid, z)


def tanh_prime(z: ArrayLike) -> np.ndarray:
    return _derivative(Tensor.tanh, z)


def relu_prime(z: ArrayLike) -> np.ndarray:
    """1 where z > 0, else 0: the engine's ReLU sends no gradient back at z == 0."""
    return _derivative(Tensor.relu, z)
