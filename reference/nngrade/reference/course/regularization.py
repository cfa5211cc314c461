"""Overfitting remedies: inverted dropout (forward and backward), early stopping, rotation.

Dropout is the engine's ``nn.dropout``; its backward is the engine's gradient
of that forward pass with the same mask.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike

from nngrade.reference import nn
from nngrade.reference.engine import Tensor

__all__ = ["dropout", "dropout_backward", "EarlyStopping", "rotate"]


def _check_p(p: float) -> None:
    if not 0.0 <= p < 1.0:
        raise ValueError(f"dropout probability p must lie in [0, 1), got {p!r}")


def dropout(
    x: ArrayLike, p: float, rng: np.random.Generator, training: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    """(out, mask): keep each entry with probability 1 - p (mask = rng.random(x.shape) >= p),
    scale kept entries by 1/(1 - p). Not training, or p == 0: out equals x, mask all True, and
    rng is not drawn from.
    """
    _check_p(p)
    x = np.asarray(x, dtype=float)
    if not training or p == 0:
        return x.copy(), np.ones(x.shape, dtype=bool)
    mask = rng.random(x.shape) >= p
    return nn.dropout(Tensor(x), p, mask).data, mask


def dropout_backward(grad_out: ArrayLike, mask: ArrayLike, p: float) -> np.ndarray:
    """d loss / d x given d loss / d out, by backpropagating through the engine's dropout."""
    _check_p(p)
    mask = np.asarray(mask, dtype=bool)
    x = Tensor(np.zeros(mask.shape), requires_grad=True)  # dropout is linear: x's value is moot
    nn.dropout(x, p, mask).backward(np.asarray(grad_out, dtype=float))
    assert x.grad is not None  # x asked for a gradient
    return x.grad


class EarlyStopping:
    """Stop when the validation loss has not improved by more than ``min_delta`` for
    ``patience`` calls in a row.

    ``best_loss`` is the best loss so far (inf before any call) and
    ``best_epoch`` the 0-based index of the call that brought it (None before).
    """

    def __init__(self, patience: int, min_delta: float = 0.0) -> None:
        self.patience = patience
        self.min_delta = min_delta
        self.best_loss = math.inf
        self.best_epoch: int | None = None
        self.epoch = -1
        self.bad_epochs = 0

    def step(self, val_loss: float) -> bool:
        """Record one validation loss; True once ``patience`` calls in a row did not improve."""
        self.epoch += 1
        # written as the handout hints it, so float edge cases round the same way
        if val_loss < self.best_loss - self.min_delta:
            self.best_loss = val_loss
            self.best_epoch = self.epoch
            self.bad_epochs = 0
            return False
        self.bad_epochs += 1
        return self.bad_epochs >= self.patience


def rotate(image: ArrayLike, degrees: float) -> np.ndarray:
    """Rotate a 2-D array counter-clockwise (as displayed) about ((H-1)/2, (W-1)/2), same shape.

    Nearest-neighbour: each output pixel takes the input pixel nearest to
    where it came from (rounding half to even), 0 where that is outside.
    Multiples of 90 degrees use exact cos/sin, and square images there are
    exactly ``np.rot90``.
    """
    image = np.asarray(image)
    height, width = image.shape
    quarter_turns, rest = divmod(float(degrees), 90.0)
    if rest == 0.0:
        k = int(quarter_turns) % 4
        if height == width:
            return np.rot90(image, k).copy()
        cos, sin = ((1.0, 0.0), (0.0, 1.0), (-1.0, 0.0), (0.0, -1.0))[k]
    else:
        theta = math.radians(degrees)
        cos, sin = math.cos(theta), math.sin(theta)
    cy, cx = (height - 1) / 2.0, (width - 1) / 2.0
    # Output pixel -> source pixel: rotate back by -theta, in (right, up) coordinates.
    rows, cols = np.indices((height, width), dtype=float)
    right, up = cols - cx, cy - rows
    src_right = cos * right + sin * up
    src_up = -sin * right + cos * up
    src_rows = np.rint(cy - src_up).astype(np.intp)
    src_cols = np.rint(cx + src_right).astype(np.intp)
    inside = (src_rows >= 0) & (src_rows < height) & (src_cols >= 0) & (src_cols < width)
    out = np.zeros_like(image)
    out[inside] = image[src_rows[inside], src_cols[inside]]
    return out
