"""Numerical derivatives, gradient descent and the gradient check that ties them to backprop."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import ArrayLike

from nngrade.reference import gradcheck

__all__ = ["numerical_gradient", "gradient_descent", "gradient_check"]


def numerical_gradient(
    f: Callable[[np.ndarray], float], x: ArrayLike, h: float = 1e-5
) -> np.ndarray:
    """Central differences (f(x+h) - f(x-h)) / 2h for every entry of x; x itself is left unchanged.

    The gradient checker's own routine: it perturbs a private copy.
    """
    return gradcheck.numerical_gradient(f, np.asarray(x, dtype=float), h)


def gradient_descent(
    grad: Callable[[np.ndarray], ArrayLike], x0: ArrayLike, lr: float, steps: int
) -> np.ndarray:
    """Repeat x <- x - lr * grad(x) ``steps`` times from x0 and return x (x0 is not modified)."""
    x = np.array(x0, dtype=float)
    for _ in range(steps):
        x = x - lr * np.asarray(grad(x), dtype=float)
    return x


def gradient_check(
    f: Callable[[np.ndarray], float],
    grad_f: Callable[[np.ndarray], ArrayLike],
    x: ArrayLike,
    h: float = 1e-5,
) -> float:
    """The largest relative error between grad_f(x) and central differences of f at x.

    Entry by entry |g - n| / max(|g| + |n|, 1e-12), then the maximum (0.0
    for an empty x, and where both gradients are zero the entry's error is
    0 / 1e-12 = 0). Both functions get private copies: x is left unchanged.
    """
    x = np.array(x, dtype=float)
    analytic = np.asarray(grad_f(x.copy()), dtype=float)
    numeric = numerical_gradient(f, x, h)
    if analytic.shape != numeric.shape:
        raise ValueError(
            f"grad_f(x) has shape {analytic.shape}, but x has shape {numeric.shape}"
        )
    error = np.abs(analytic - numeric) / np.maximum(np.abs(analytic) + np.abs(numeric), 1e-12)
    return float(error.max(initial=0.0))
