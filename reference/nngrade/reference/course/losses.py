"""Losses: one-hot targets, the lecture's MSE with 1/(2m), softmax and cross-entropy.

The values come from :mod:`nngrade.reference.nn`, the same losses the
reference networks train with.
"""

from __future__ import annotations

import numpy as np

from nngrade.reference import nn
from nngrade.reference.engine import ArrayLike, Tensor

__all__ = ["one_hot", "mse", "softmax", "cross_entropy"]


def one_hot(labels: ArrayLike, num_classes: int) -> np.ndarray:
    """(n,) integer labels to an (n, num_classes) float array; out of range: ValueError."""
    labels = np.asarray(labels)
    if labels.dtype.kind not in "iu":
        if labels.size and not np.all(np.equal(np.mod(labels, 1), 0)):
            raise ValueError(f"labels must be integers, got {labels!r}")
        labels = labels.astype(np.int64)
    if labels.size and (labels.min() < 0 or labels.max() >= num_classes):
        raise ValueError(f"labels must lie in [0, {num_classes}), got {labels!r}")
    out = np.zeros(labels.shape + (num_classes,))
    np.put_along_axis(out, labels[..., None], 1.0, axis=-1)
    return out


def mse(y_pred: ArrayLike, y: ArrayLike) -> float:
    """J = 1/(2m) * sum((y - y_pred)**2) with m = len(y), the number of examples."""
    return nn.mse_loss(Tensor(y_pred), np.asarray(y, dtype=float)).item()


def softmax(v: ArrayLike, axis: int = -1) -> np.ndarray:
    """exp(v) / sum(exp(v)) along ``axis``, shifted by the max first: stable for any size."""
    return Tensor(v).softmax(axis=axis).data


def cross_entropy(probs: ArrayLike, targets: ArrayLike) -> float:
    """Mean over rows of -sum(targets * ln(probs)); a 1-D input is one row (0 * ln 0 counts 0)."""
    return nn.cross_entropy(Tensor(probs), targets).item()
