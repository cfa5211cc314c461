"""A scalar computational graph: ``Variable`` nodes and reverse-mode ``get_gradients``.

Each operation creates a node holding its value and, for each input (its
"child"), the local derivative of the value with respect to that child. The
local derivatives are computed by the Tensor engine on one-element tensors,
so even this scalar graph takes no derivative from a hand-copied formula.
``get_gradients`` then walks the graph once in reverse topological order:
linear time, however many paths the graph has.

The lecture's own programs on ``Variable`` follow: the single neuron trained
for a few steps (``train_neuron``), the 2-2-1 XOR network with nine weights
(``xor_net``) and its training (``train_xor_autodiff``). The first two run on
this module's scalar graph, exactly as a student's do; the XOR training,
20,000 epochs, runs the same network on the engine's tensors (all four cases
at once), which is the same arithmetic up to the order of the sums and a
hundred times faster.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Iterable

import numpy as np

from nngrade.reference.engine import Tensor, no_grad

__all__ = [
    "Variable",
    "exp",
    "log",
    "sigmoid",
    "get_gradients",
    "train_neuron",
    "xor_net",
    "train_xor_autodiff",
    "XOR_CASES",
    "xor_cost",
    "xor_descent",
    "xor_outputs",
]

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
        out.item(), tuple((c, _gradient(leaf)) for c, leaf in zip(children, leaves, strict=True))
    )


def _gradient(leaf: Tensor) -> float:
    """A one-element leaf's gradient after backward (0.0 if the output did not depend on it)."""
    return 0.0 if leaf.grad is None else float(leaf.grad.item())


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


# ---------------------------------------------------------------- the lecture's programs


def train_neuron(steps: int = 10, lr: float = 0.1) -> tuple[list[float], float, float]:
    """The lecture's single neuron y = sigmoid(w*x + b) with x = 1, Y = 1, from w = b = 0.

    Each step records C = (y - Y)*(y - Y) before the update, then
    w <- w - lr * dC/dw and b <- b - lr * dC/db with both derivatives from
    one ``get_gradients(C)``. Returns (costs, w, b) as plain floats.
    """
    x, target = 1.0, 1.0
    w, b = 0.0, 0.0
    costs: list[float] = []
    for _ in range(steps):
        w_node, b_node = Variable(w), Variable(b)
        y = sigmoid(w_node * x + b_node)
        cost = (y - target) * (y - target)
        costs.append(cost.value)
        gradients = get_gradients(cost)
        w = w - lr * gradients[w_node]
        b = b - lr * gradients[b_node]
    return costs, w, b


def xor_net(w: list[Variable], x1: float, x2: float) -> Variable:
    """The lecture's 2-2-1 network, sigmoid everywhere, nine weights w[0..8]:
    h1 = sigmoid(x1*w[0] + x2*w[1] + w[2]), h2 = sigmoid(x1*w[3] + x2*w[4] + w[5]),
    output sigmoid(w[6]*h1 + w[7]*h2 + w[8]).
    """
    h1 = sigmoid(x1 * w[0] + x2 * w[1] + w[2])
    h2 = sigmoid(x1 * w[3] + x2 * w[4] + w[5])
    return sigmoid(w[6] * h1 + w[7] * h2 + w[8])


# (x1, x2, target): the XOR truth table the network is trained on.
XOR_CASES = ((0.0, 0.0, 0.0), (0.0, 1.0, 1.0), (1.0, 0.0, 1.0), (1.0, 1.0, 0.0))
_XOR_INPUTS = np.array([case[:2] for case in XOR_CASES])
_XOR_TARGETS = np.array([case[2] for case in XOR_CASES])


# Where the nine weights sit in the matrix form of the network: h = sigmoid(x @ W1 + b1),
# output = sigmoid(h @ W2 + b2) with W1 = [[w0, w3], [w1, w4]], b1 = [w2, w5], W2 = [w6, w7].
_W1 = np.array([[0, 3], [1, 4]])
_B1 = np.array([2, 5])
_W2 = np.array([6, 7])


def _xor_cost(w: Tensor) -> Tensor:
    """sum over the four cases of (xor_net(w, x1, x2) - t)**2, on the engine, cases at once.

    The same network as xor_net in matrix form: a dozen engine operations per epoch
    instead of one per scalar node, which is what makes 20,000 epochs affordable.
    """
    hidden = (Tensor(_XOR_INPUTS) @ w[_W1] + w[_B1]).sigmoid()
    out = (hidden @ w[_W2] + w[8]).sigmoid()
    return ((out - _XOR_TARGETS) ** 2).sum()


def train_xor_autodiff(epochs: int = 20000, lr: float = 0.1, seed: int = 0) -> list[float]:
    """Full-batch gradient descent on the lecture's XOR network; the nine trained weights.

    Starts from ``np.random.default_rng(seed).standard_normal(9)``; each epoch
    is one step w <- w - lr * dC/dw on C = the summed squared error over the
    four cases, every weight updated from the same gradient. So
    ``epochs=e`` continues the trajectory of ``epochs=e-1``.
    """
    return xor_descent(list(np.random.default_rng(seed).standard_normal(9)), epochs, lr)


def xor_descent(weights: list[float], epochs: int, lr: float) -> list[float]:
    """``epochs`` epochs of train_xor_autodiff's descent, continued from ``weights`` (nine)."""
    w = Tensor(np.array(weights, dtype=float), requires_grad=True)
    for _ in range(epochs):
        _xor_cost(w).backward()
        with no_grad():
            w.data = w.data - lr * _array_gradient(w)
        w.grad = None
    return [float(v) for v in w.data]


def xor_cost(weights: list[float]) -> float:
    """C = sum over the four XOR cases of (output - t)**2 for plain-float weights."""
    with no_grad():
        return _xor_cost(Tensor(np.array(weights, dtype=float))).item()


def _array_gradient(w: Tensor) -> np.ndarray:
    """w's gradient after backward, zeros if the cost did not depend on w."""
    return np.zeros(w.shape) if w.grad is None else w.grad


def xor_outputs(weights: list[float]) -> list[float]:
    """The network's output on the four XOR inputs, in XOR_CASES order, for plain-float weights."""
    nodes = [Variable(v) for v in weights]
    return [xor_net(nodes, x1, x2).value for x1, x2, _ in XOR_CASES]
