"""The lecture's two networks, with every gradient computed by the engine.

Two-layer ReLU network: h = x @ w1, a = relu(h), y_pred = a @ w2,
loss = sum((y_pred - y)**2). XOR network: a1 = sigmoid(x @ w1),
a2 = sigmoid(a1 @ w2), no biases, loss 1/2 * sum((a2 - y)**2).
"""

from __future__ import annotations

import numpy as np

from nngrade.reference.engine import ArrayLike, Tensor

__all__ = ["forward", "backward", "xor_grads", "train_xor", "XOR_X", "XOR_Y", "xor_loss"]

XOR_X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
XOR_Y = np.array([[0], [1], [1], [0]], dtype=float)


def _two_layer(x: ArrayLike, w1: Tensor, w2: Tensor) -> tuple[Tensor, Tensor, Tensor]:
    h = Tensor(x) @ w1
    a = h.relu()
    return h, a, a @ w2


def forward(
    x: ArrayLike, w1: ArrayLike, w2: ArrayLike
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(h, a, y_pred) of the two-layer network."""
    h, a, y_pred = _two_layer(x, Tensor(w1), Tensor(w2))
    return h.data, a.data, y_pred.data


def backward(
    x: ArrayLike, y: ArrayLike, w1: ArrayLike, w2: ArrayLike
) -> tuple[float, np.ndarray, np.ndarray]:
    """(loss, dloss/dw1, dloss/dw2) for loss = sum((y_pred - y)**2), by the engine."""
    w1_t = Tensor(np.array(w1, dtype=float), requires_grad=True)
    w2_t = Tensor(np.array(w2, dtype=float), requires_grad=True)
    _, _, y_pred = _two_layer(x, w1_t, w2_t)
    loss = ((y_pred - np.asarray(y, dtype=float)) ** 2).sum()
    loss.backward()
    return loss.item(), _grad(w1_t), _grad(w2_t)


def _grad(w: Tensor) -> np.ndarray:
    """A weight's gradient; zeros when the loss does not depend on it (an empty batch)."""
    return w.grad if w.grad is not None else np.zeros(w.shape)


def xor_loss(x: ArrayLike, y: ArrayLike, w1: Tensor, w2: Tensor) -> Tensor:
    """1/2 * sum((a2 - y)**2) of the XOR network (a Tensor, ready for backward)."""
    a2 = ((Tensor(x) @ w1).sigmoid() @ w2).sigmoid()
    return 0.5 * ((a2 - y) ** 2).sum()


def xor_grads(
    x: ArrayLike, y: ArrayLike, w1: ArrayLike, w2: ArrayLike
) -> tuple[np.ndarray, np.ndarray]:
    """(dL/dw1, dL/dw2) of the XOR network's loss, by the engine."""
    w1_t = Tensor(np.array(w1, dtype=float), requires_grad=True)
    w2_t = Tensor(np.array(w2, dtype=float), requires_grad=True)
    xor_loss(x, np.asarray(y, dtype=float), w1_t, w2_t).backward()
    return _grad(w1_t), _grad(w2_t)


def _predict(w1: np.ndarray, w2: np.ndarray) -> np.ndarray:
    return ((Tensor(XOR_X) @ w1).sigmoid() @ w2).sigmoid().data


def train_xor(
    hidden: int = 10, epochs: int = 20000, lr: float = 0.5, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Full-batch gradient descent on XOR; returns (w1, w2) shaped (2, hidden) and (hidden, 1).

    The weights start as standard normal draws from ``default_rng(seed)``, w1
    first: they must differ, or identical hidden units get identical
    gradients and stay identical. Each epoch is exactly one step
    w <- w - lr * dL/dw on the four examples, with the gradient from the
    engine, so ``epochs=e`` continues the trajectory of ``epochs=e-1``.
    Without biases the input (0, 0) reaches every hidden unit as 0, so the
    net relies on enough hidden units with varied weights; with the default
    arguments it learns XOR for every seed tried (0..39, and widths 4 to 20).
    """
    rng = np.random.default_rng(seed)
    w1 = Tensor(rng.normal(size=(2, hidden)), requires_grad=True)
    w2 = Tensor(rng.normal(size=(hidden, 1)), requires_grad=True)
    for _ in range(epochs):
        xor_loss(XOR_X, XOR_Y, w1, w2).backward()
        assert w1.grad is not None and w2.grad is not None
        w1.data -= lr * w1.grad
        w2.data -= lr * w2.grad
        w1.grad = w2.grad = None
    return w1.data, w2.data
