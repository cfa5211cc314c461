"""The numbers of pictures the hidden suites compute for a failed test (the report draws them).

Most pictures are read off a wrong value and the expected one
(`nngrade.feedback.figure_data`). A decision boundary is not a value the
student returned: it is what the student's returned weights do on the
whole square, so it is computed here, in the grading process, by trusted
code from those weights (never by running the student's code again). Only
a failed test pays for it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

__all__ = ["GRID", "XOR_POINTS", "fit_figure", "regions_figure", "square_grid"]

GRID = 21  # points per side of [0, 1]^2
XOR_POINTS = [[0.0, 0.0, 0], [0.0, 1.0, 1], [1.0, 0.0, 1], [1.0, 1.0, 0]]


def square_grid(n: int = GRID) -> tuple[np.ndarray, np.ndarray]:
    """Inputs (x1, x2) over [0, 1]^2, shape (n*n,) each, row by row from x2 = 1 down to 0."""
    x1, x2 = np.meshgrid(np.linspace(0.0, 1.0, n), np.linspace(1.0, 0.0, n))
    return x1.ravel(), x2.ravel()


def _outputs(predict: Callable[[np.ndarray, np.ndarray], np.ndarray], n: int) -> list[list[Any]]:
    x1, x2 = square_grid(n)
    with np.errstate(all="ignore"):
        out = np.asarray(predict(x1, x2), dtype=float).reshape(n, n)
    return [[round(float(v), 3) if np.isfinite(v) else None for v in row] for row in out]


def regions_figure(got: Callable[[np.ndarray, np.ndarray], np.ndarray],
                   expected: Callable[[np.ndarray, np.ndarray], np.ndarray],
                   n: int = GRID) -> dict[str, Any]:
    """A ``regions`` figure: each network's output over the square, and the four XOR points."""
    return {"kind": "regions", "got": _outputs(got, n), "expected": _outputs(expected, n),
            "points": XOR_POINTS}


FIT_POINTS = 61  # points along x of a drawn polynomial


def fit_figure(x: np.ndarray, y: np.ndarray, got: Any, expected: np.ndarray,
               features: Callable[[np.ndarray, int], np.ndarray]) -> dict[str, Any] | None:
    """A ``fit`` figure: the student's and the reference's polynomials over the data's range,
    with the data points (the lecture's under/overfitting picture). ``features`` is the
    reference's polynomial_features; ``got`` the weights the student returned."""
    w = np.asarray(got, dtype=float) if np.ndim(got) == 1 else None
    if w is None or w.shape != np.shape(expected) or len(x) == 0:
        return None
    grid = np.linspace(float(np.min(x)), float(np.max(x)), FIT_POINTS)
    degree = len(expected) - 1
    with np.errstate(all="ignore"):
        mine, theirs = features(grid, degree) @ w, features(grid, degree) @ expected

    def plain(values: np.ndarray) -> list[Any]:
        return [float(f"{v:.5g}") if np.isfinite(v) else None for v in values.tolist()]

    return {"kind": "fit", "x": [round(float(grid[0]), 6), round(float(grid[-1]), 6)],
            "got": plain(mine), "expected": plain(theirs),
            "points": [[round(float(a), 6), round(float(b), 6)] for a, b in zip(x, y, strict=True)]}
