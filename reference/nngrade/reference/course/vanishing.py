"""The vanishing gradient: dC/dw through the lecture's chain, by the engine.

y = w1*x with w1 = 1, then ``depth`` times y = w*f(w*y) with a fresh
weight w = 1, and C = (Y - y)**2. The engine backpropagates through the whole
chain; nothing here knows f'. ``chain_gradient`` is dC/dw1, the gradient that
reaches the very first weight; ``layer_gradients`` is the lecture's per-layer
picture, dC/dw for w1 and for every layer's own w.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from nngrade.reference.engine import Tensor

__all__ = ["chain_gradient", "layer_gradients", "ACTIVATIONS"]

ACTIVATIONS = {"sigmoid": Tensor.sigmoid, "tanh": Tensor.tanh, "relu": Tensor.relu}


def _activation(name: str) -> Callable[[Tensor], Tensor]:
    try:
        return ACTIVATIONS[name]
    except (KeyError, TypeError):
        raise ValueError(f"activation must be one of {sorted(ACTIVATIONS)}, got {name!r}") from None


def _chain(depth: int, activation: str, x: float, Y: float) -> list[Tensor]:  # noqa: N803
    """Build the chain and backpropagate C; the weights w1, w_1, ..., w_depth, with .grad set."""
    f = _activation(activation)
    weights = [Tensor(1.0, requires_grad=True) for _ in range(int(depth) + 1)]
    y = weights[0] * x
    for w in weights[1:]:  # each layer's own weight, used twice: y = w * f(w * y)
        y = w * f(w * y)
    cost = (Y - y) ** 2
    cost.backward()
    return weights


def chain_gradient(
    depth: int, activation: str = "sigmoid", x: float = 1.0, Y: float = 1.0  # noqa: N803
) -> float:
    """dC/dw1 as a float, for activation "sigmoid", "tanh" or "relu" (anything else: ValueError)."""
    w1 = _chain(depth, activation, x, Y)[0]
    return float(w1.grad) if w1.grad is not None else 0.0


def layer_gradients(
    depth: int, activation: str = "sigmoid", x: float = 1.0, Y: float = 1.0  # noqa: N803
) -> np.ndarray:
    """dC/dw for w1, then for each layer's w in the order they enter the chain: depth + 1 floats.

    Entry 0 is chain_gradient; a layer's weight enters twice (w * f(w * y)), so its
    gradient sums both uses, which the engine does by itself.
    """
    weights = _chain(depth, activation, x, Y)
    return np.array([float(w.grad) if w.grad is not None else 0.0 for w in weights])
