"""The perceptron and the XOR problem: step, one perceptron, the logic gates, XOR in two layers.

No gradients here: a perceptron is a thresholded weighted sum. The gate
weights are chosen by hand (any weights that separate the truth table do),
and XOR, which no single perceptron computes, is AND(NAND(a, b), OR(a, b)).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

__all__ = ["step", "perceptron", "and_gate", "or_gate", "nand_gate", "xor"]


def step(x: ArrayLike) -> np.ndarray:
    """1 where x > 0, else 0 (so step(0) == 0), as integers shaped like x."""
    return (np.asarray(x) > 0).astype(int)


def perceptron(x: ArrayLike, w: ArrayLike, threshold: float) -> np.ndarray:
    """``step(x @ w - threshold)``: x is (d,) or (n, d), w is (d,); a scalar or an (n,) array."""
    return step(np.asarray(x, dtype=float) @ np.asarray(w, dtype=float) - threshold)


def _gate(a: ArrayLike, b: ArrayLike, w: tuple[float, float], threshold: float) -> np.ndarray:
    """One perceptron applied elementwise to broadcast 0/1 inputs a and b."""
    x = np.stack(np.broadcast_arrays(np.asarray(a), np.asarray(b)), axis=-1)
    return perceptron(x, w, threshold)


def and_gate(a: ArrayLike, b: ArrayLike) -> np.ndarray:
    """1 only where a and b are both 1: the sum a + b must clear 1.5."""
    return _gate(a, b, (1.0, 1.0), 1.5)


def or_gate(a: ArrayLike, b: ArrayLike) -> np.ndarray:
    """1 where a or b is 1: the sum a + b must clear 0.5."""
    return _gate(a, b, (1.0, 1.0), 0.5)


def nand_gate(a: ArrayLike, b: ArrayLike) -> np.ndarray:
    """0 only where a and b are both 1: -a - b must clear -1.5."""
    return _gate(a, b, (-1.0, -1.0), -1.5)


def xor(a: ArrayLike, b: ArrayLike) -> np.ndarray:
    """XOR from two layers of perceptrons: "at least one" (OR) and "not both" (NAND), ANDed."""
    return and_gate(nand_gate(a, b), or_gate(a, b))
