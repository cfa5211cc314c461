"""Computational graphs (计算图) and reverse-mode automatic differentiation (逆向自动微分).

Every arithmetic operation on a ``Variable`` creates a new node that
remembers its inputs (its "children") and the local derivative of its
value with respect to each of them. The whole computation becomes a graph,
and the chain rule turns into a walk over that graph from the output back
to the inputs: the derivative along one path is the product of the local
derivatives on it, and the derivative with respect to a node is the sum
over all paths. This is backpropagation (反向传播), done by the computer
for any expression.

Given code (not part of the exercise): ``Variable.__init__``, addition, the
identity semantics of ``__hash__``/``__eq__``, ``_lift`` and the outline of
``get_gradients``.
"""

import math
from collections import defaultdict

import numpy as np


class Variable:
    """A scalar node of the computational graph.

    ``value`` is the float this node computed. ``local_gradients`` holds
    pairs (child, local derivative): the Variables this one was computed
    from, each with the derivative of this node's value with respect to
    that child. A leaf (a network weight, an input) has none.
    """

    def __init__(self, value, local_gradients=()):
        self.value = float(value)
        self.local_gradients = tuple(local_gradients)

    def __repr__(self):
        return f"Variable({self.value!r})"

    # A Variable is a node of the graph, not a number: two nodes holding
    # equal values are still different nodes with different gradients. So
    # they hash and compare by identity, object's own rules, which lets
    # gradients be kept in a dict keyed by node. Spelled out because
    # defining __eq__ any other way would make a Variable unhashable.
    __hash__ = object.__hash__
    __eq__ = object.__eq__

    def __add__(self, other):
        """self + other: d(a + b)/da = 1 and d(a + b)/db = 1."""
        other = _lift(other)
        return Variable(self.value + other.value, ((self, 1.0), (other, 1.0)))

    def __radd__(self, other):
        """other + self, for a plain number on the left: 2 + a."""
        return _lift(other) + self

    def __mul__(self, other):
        """self * other: d(a * b)/da = b and d(a * b)/db = a."""
        other = _lift(other)
        return Variable(self.value * other.value, ((self, other.value), (other, self.value)))

    def __rmul__(self, other):
        """other * self, for a plain number on the left: 2 * a."""
        return _lift(other) * self

    def __neg__(self):
        """-self: d(-a)/da = -1."""
        return Variable(-self.value, ((self, -1.0),))

    def __sub__(self, other):
        """self - other: d(a - b)/da = 1 and d(a - b)/db = -1."""
        other = _lift(other)
        return Variable(self.value - other.value, ((self, 1.0), (other, -1.0)))

    def __rsub__(self, other):
        """other - self, for a plain number on the left: 1 - a."""
        return _lift(other) - self

    def __truediv__(self, other):
        """self / other: d(a / b)/da = 1/b and d(a / b)/db = -a/b^2."""
        other = _lift(other)
        a, b = self.value, other.value
        return Variable(a / b, ((self, 1.0 / b), (other, -a / b**2)))

    def __rtruediv__(self, other):
        """other / self, for a plain number on the left: 1 / a."""
        return _lift(other) / self


def _lift(x):
    """Given: a Variable stays itself; a plain number becomes a constant leaf Variable."""
    return x if isinstance(x, Variable) else Variable(x)


def exp(v):
    """e^v as a graph node: d(e^v)/dv = e^v, the node's own value."""
    v = _lift(v)
    value = math.exp(v.value)
    return Variable(value, ((v, value),))


def log(v):
    """The natural logarithm ln(v) as a graph node: d(ln v)/dv = 1/v."""
    v = _lift(v)
    return Variable(math.log(v.value), ((v, 1.0 / v.value),))


def sigmoid(v):
    """σ(v) = 1 / (1 + e^(-v)) as one graph node, with local derivative σ(v) (1 - σ(v)).

    One node instead of the four that exp, +, / would build: the local
    derivative is known in closed form, so there is no need to
    differentiate through the pieces. The value uses e^(-|v|) so that it
    never overflows. The lecture's example f = σ(w*x + b) at
    (x, w, b) = (1, 0, 0) has f = 0.5 and df/dw = df/db = 0.25.
    """
    v = _lift(v)
    e = math.exp(-abs(v.value))
    s = 1.0 / (1.0 + e) if v.value >= 0 else e / (1.0 + e)
    return Variable(s, ((v, s * (1.0 - s)),))


def _topological_order(variable):
    """Every Variable that ``variable`` depends on (itself included), children before parents.

    An iterative depth-first search (深度优先搜索): a recursive one would hit
    Python's recursion limit on a chain of a few thousand nodes. A node is
    appended once all of its children are, and visited nodes are skipped, so
    each node appears once however many paths lead to it.
    """
    order = []
    visited = set()
    stack = [(variable, False)]
    while stack:
        node, children_done = stack.pop()
        if children_done:
            order.append(node)
            continue
        if node in visited:
            continue
        visited.add(node)
        stack.append((node, True))
        for child, _ in node.local_gradients:
            if child not in visited:
                stack.append((child, False))
    return order


def get_gradients(variable):
    """Reverse-mode autodiff: a dict mapping every Variable that ``variable`` depends on to
    d(variable)/d(that Variable).

    The naive recursion ("for each child, add local derivative times the
    child's gradient, recursively") walks every path of the graph, and the
    number of paths can double with every layer: y = y + y sixty times has
    2^60 of them. Instead, each node's gradient is completed once and
    propagated once:

    1. order the nodes so that every node comes after all its children
       (``_topological_order``);
    2. walk that order backwards, from ``variable`` (gradient 1) to the
       leaves: by the time a node is reached every parent has already added
       its share, so its gradient is final; pass
       gradient * local derivative to each of its children.

    Linear time in the size of the graph.
    """
    gradients = defaultdict(lambda: 0)

    def compute_gradients(variable, path_value):
        for child_variable, local_gradient in variable.local_gradients:
            value_of_path_to_child = path_value * local_gradient
            gradients[child_variable] += value_of_path_to_child
            compute_gradients(child_variable, value_of_path_to_child)

    compute_gradients(variable, path_value=1)
    return gradients


# ---------------------------------------------------------------- the lecture's programs


def train_neuron(steps=10, lr=0.1):
    """The lecture's single neuron, trained with Variables: returns (costs, w, b).

    One input x = 1 with target Y = 1, a weight w and a bias b, both 0 at
    the start. Each step builds the graph y = sigmoid(w*x + b),
    C = (y - Y)*(y - Y), records C's value, asks get_gradients(C) for
    dC/dw and dC/db, and moves both against their gradient:
    w <- w - lr*dC/dw, b <- b - lr*dC/db. At the start y = 0.5, so the first
    cost is 0.25, and the lecture's df/dw = df/db = 0.25 appear inside
    dC/dw = dC/db = 2*(y - Y)*0.25 = -0.25.

    ``costs`` is a list of ``steps`` floats, each recorded before its
    update; w and b are floats after the last step.
    """
    x, target = 1.0, 1.0
    w, b = 0.0, 0.0
    costs = []
    for _ in range(steps):
        w_node, b_node = Variable(w), Variable(b)
        y = sigmoid(w_node * x + b_node)
        cost = (y - target) * (y - target)
        costs.append(cost.value)
        gradients = get_gradients(cost)
        w = w - lr * gradients[w_node]
        b = b - lr * gradients[b_node]
    return costs, w, b


def xor_net(w, x1, x2):
    """The lecture's XOR network with nine weights: 2 inputs, 2 hidden units, 1 output.

    w is a list of nine Variables; x1 and x2 are plain numbers. Sigmoid
    everywhere, each unit with its own bias:
        h1 = sigmoid(x1*w[0] + x2*w[1] + w[2])
        h2 = sigmoid(x1*w[3] + x2*w[4] + w[5])
        output = sigmoid(w[6]*h1 + w[7]*h2 + w[8])
    Returns the output Variable, whose graph reaches all nine weights, so
    get_gradients(output) holds d output / d w[j] for each of them.
    """
    h1 = sigmoid(x1 * w[0] + x2 * w[1] + w[2])
    h2 = sigmoid(x1 * w[3] + x2 * w[4] + w[5])
    return sigmoid(w[6] * h1 + w[7] * h2 + w[8])


# The four XOR cases (x1, x2, target) the network is trained on.
XOR_CASES = ((0.0, 0.0, 0.0), (0.0, 1.0, 1.0), (1.0, 0.0, 1.0), (1.0, 1.0, 0.0))


def train_xor_autodiff(epochs=20000, lr=0.1, seed=0):
    """Train xor_net by gradient descent with get_gradients; returns the nine weights as floats.

    The weights start as ``np.random.default_rng(seed).standard_normal(9)``.
    Each epoch builds the cost
    C = sum over the four XOR cases of (xor_net(w, x1, x2) - t)**2 on fresh
    leaf Variables, takes get_gradients(C) once and moves all nine weights
    at the same time: w_j <- w_j - lr * dC/dw_j. With the defaults the
    rounded outputs on the four cases equal XOR. Some other seeds stop in a
    local minimum (局部最小值) with an output stuck near 0.5: that is
    expected, and it is the lecture's point about non-convex losses.
    """
    weights = [float(v) for v in np.random.default_rng(seed).standard_normal(9)]
    for _ in range(epochs):
        nodes = [Variable(v) for v in weights]
        cost = Variable(0.0)
        for x1, x2, target in XOR_CASES:
            error = xor_net(nodes, x1, x2) - target
            cost = cost + error * error
        gradients = get_gradients(cost)
        weights = [v - lr * gradients[node] for v, node in zip(weights, nodes, strict=True)]
    return weights
