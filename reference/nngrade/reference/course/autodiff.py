"""A scalar computational graph: ``Variable`` nodes and reverse-mode ``get_gradients``.

Each operation creates a node holding its value and, for each input (its
"child"), the local derivative of the value with respect to that child. The
local derivatives are computed by the Tensor engine on one-element tensors,
so even this scalar graph takes no derivative from a hand-copied formula.
``get_gradients`` then walks the graph once in reverse topological order:
linear time, however many paths the graph has.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Iterable

import numpy as np

from nngrade.reference.engine import Tensor

__all__ = ["Variable", "exp", "log", "sigmoid", "get_gradients"]

_creation = itertools.count()

Number = float | int


class Variable:
    """A scalar node: ``value`` (float) and ``local_gradients`` ((child, d value/d child), ...).

    Hashes and compares by identity (two nodes holding equal values are still
    different nodes), so gradients can be kept in a dict keyed by node.
    """

    __slots__ = ("value", "local_gradients", "_id")

    def __init__(
        self, value: Number, local_gradients: Iterable[tuple[Variable, float]] = ()
    ) -> None:
        self.value = float(value)
        self.local_gradients = tuple(local_gradients)
        self._id = next(_creation)  # children exist first: creation order is topological

    def __repr__(self) -> str:
        return f"Variable({self.value!r})"

    def __add__(self, other: Variable | Number) -> Variable:
        return _node(lambda a, b: a + b, self, other)

    def __radd__(self, other: Number) -> Variable:
        return _node(lambda a, b: a + b, other, self)

    def __mul__(self, other: Variable | Number) -> Variable:
        return _node(lambda a, b: a * b, self, other)

    def __rmul__(self, other: Number) -> Variable:
        return _node(lambda a, b: a * b, other, self)

    def __sub__(self, other: Variable | Number) -> Variable:
        return _node(lambda a, b: a - b, self, other)

    def __rsub__(self, other: Number) -> Variable:
        return _node(lambda a, b: a - b, other, self)

    def __neg__(self) -> Variable:
        return _node(lambda a: -a, self)

    def __truediv__(self, other: Variable | Number) -> Variable:
        if _lift(other).value == 0.0:
            raise ZeroDivisionError("Variable division by zero")
        return _node(lambda a, b: a / b, self, other)

    def __rtruediv__(self, other: Number) -> Variable:
        if self.value == 0.0:
            raise ZeroDivisionError("Variable division by zero")
        return _node(lambda a, b: a / b, other, self)


def _lift(x: Variable | Number) -> Variable:
    """A Variable stays itself; a plain number becomes a constant leaf."""
    return x if isinstance(x, Variable) else Variable(x)


def _node(op: Callable[..., Tensor], *inputs: Variable | Number) -> Variable:
    """A new node for op(*inputs): its value and local derivatives from one engine backward pass.

    Arithmetic follows Python floats: an overflow gives inf quietly (numpy's
    warnings are silenced), division by zero and log outside its domain raise
    (checked by the callers), and so does exp of a too large value, like
    ``math.exp``.
    """
    children = [_lift(x) for x in inputs]
    leaves = [Tensor(c.value, requires_grad=True) for c in children]
    with np.errstate(all="ignore"):
        out = op(*leaves)
        out.backward()
    return Variable(
        out.item(), tuple((c, leaf.grad.item()) for c, leaf in zip(children, leaves, strict=True))
    )


def exp(v: Variable | Number) -> Variable:
    out = _node(Tensor.exp, v)
    if math.isinf(out.value) and math.isfinite(_lift(v).value):
        raise OverflowError("math range error: exp of a Variable")
    return out


def log(v: Variable | Number) -> Variable:
    if _lift(v).value <= 0.0:
        raise ValueError("log of a non-positive Variable")
    return _node(Tensor.log, v)


def sigmoid(v: Variable | Number) -> Variable:
    """σ(v) as one node (the lecture's σ(w*x + b) at (1, 0, 0) gives df/dw = df/db = 0.25)."""
    return _node(Tensor.sigmoid, v)


def get_gradients(v: Variable) -> dict[Variable, float]:
    """dv / d node for ``v`` itself (1.0) and every node ``v`` depends on.

    Nodes are gathered with an explicit stack and visited newest first (a
    node is always created after its children, so that is a reverse
    topological order): when a node is reached, every node that uses it has
    already added its share, so its gradient is complete and is passed on
    once. Linear time and no recursion limit.
    """
    seen = {v}
    stack = [v]
    while stack:
        for child, _ in stack.pop().local_gradients:
            if child not in seen:
                seen.add(child)
                stack.append(child)
    gradients = dict.fromkeys(seen, 0.0)
    gradients[v] = 1.0
    for node in sorted(seen, key=lambda n: n._id, reverse=True):
        g = gradients[node]
        for child, local in node.local_gradients:
            gradients[child] += g * local
    return gradients
