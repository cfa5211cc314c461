"""The vanishing gradient: dC/dw1 through the lecture's chain, by the engine.

y = w1*x with w1 = 1, then ``depth`` times y = w*f(w*y) with a fresh
constant weight w = 1, and C = (Y - y)**2. The engine backpropagates through
the whole chain; nothing here knows f'.
"""

from __future__ import annotations

from nngrade.reference.engine import Tensor

__all__ = ["chain_gradient", "ACTIVATIONS"]

ACTIVATIONS = {"sigmoid": Tensor.sigmoid, "tanh": Tensor.tanh, "relu": Tensor.relu}


def chain_gradient(
    depth: int, activation: str = "sigmoid", x: float = 1.0, Y: float = 1.0
) -> float:
    """dC/dw1 as a float, for activation "sigmoid", "tanh" or "relu" (anything else: ValueError)."""
    try:
        f = ACTIVATIONS[activation]
    except (KeyError, TypeError):
        raise ValueError(
            f"activation must be one of {sorted(ACTIVATIONS)}, got {activation!r}"
        ) from None
    w1 = Tensor(1.0, requires_grad=True)
    y = w1 * x
    for _ in range(depth):
        w = 1.0
        y = w * f(w * y)
    cost = (Y - y) ** 2
    cost.backward()
    return float(w1.grad)
