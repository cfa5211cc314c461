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
        ### BEGIN SOLUTION
        ### HINT: like __add__, but each local derivative is the other factor's value.
        other = _lift(other)
        return Variable(self.value * other.value, ((self, other.value), (other, self.value)))
        ### END SOLUTION

    def __rmul__(self, other):
        """other * self, for a plain number on the left: 2 * a."""
        ### BEGIN SOLUTION
        ### HINT: lift other to a Variable and multiply, as __radd__ does.
        return _lift(other) * self
        ### END SOLUTION

    def __neg__(self):
        """-self: d(-a)/da = -1."""
        ### BEGIN SOLUTION
        ### HINT: one child, local derivative -1.
        return Variable(-self.value, ((self, -1.0),))
        ### END SOLUTION

    def __sub__(self, other):
        """self - other: d(a - b)/da = 1 and d(a - b)/db = -1."""
        ### BEGIN SOLUTION
        ### HINT: like __add__, with local derivative -1 for other.
        other = _lift(other)
        return Variable(self.value - other.value, ((self, 1.0), (other, -1.0)))
        ### END SOLUTION

    def __rsub__(self, other):
        """other - self, for a plain number on the left: 1 - a."""
        ### BEGIN SOLUTION
        ### HINT: lift other, then subtract self from it (the order matters here).
        return _lift(other) - self
        ### END SOLUTION

    def __truediv__(self, other):
        """self / other: d(a / b)/da = 1/b and d(a / b)/db = -a/b^2."""
        ### BEGIN SOLUTION
        ### HINT: the quotient rule gives the two local derivatives 1/b and -a/b**2.
        other = _lift(other)
        a, b = self.value, other.value
        return Variable(a / b, ((self, 1.0 / b), (other, -a / b**2)))
        ### END SOLUTION

    def __rtruediv__(self, other):
        """other / self, for a plain number on the left: 1 / a."""
        ### BEGIN SOLUTION
        ### HINT: lift other, then divide it by self.
        return _lift(other) / self
        ### END SOLUTION


def _lift(x):
    """Given: a Variable stays itself; a plain number becomes a constant leaf Variable."""
    return x if isinstance(x, Variable) else Variable(x)


def exp(v):
    """e^v as a graph node: d(e^v)/dv = e^v, the node's own value."""
    ### BEGIN SOLUTION
    ### HINT: compute the value with math.exp; the local derivative is that same value.
    v = _lift(v)
    value = math.exp(v.value)
    return Variable(value, ((v, value),))
    ### END SOLUTION


def log(v):
    """The natural logarithm ln(v) as a graph node: d(ln v)/dv = 1/v."""
    ### BEGIN SOLUTION
    ### HINT: math.log for the value, 1 / v.value for the local derivative.
    v = _lift(v)
    return Variable(math.log(v.value), ((v, 1.0 / v.value),))
    ### END SOLUTION


def sigmoid(v):
    """σ(v) = 1 / (1 + e^(-v)) as one graph node, with local derivative σ(v) (1 - σ(v)).

    One node instead of the four that exp, +, / would build: the local
    derivative is known in closed form, so there is no need to
    differentiate through the pieces. The value uses e^(-|v|) so that it
    never overflows. The lecture's example f = σ(w*x + b) at
    (x, w, b) = (1, 0, 0) has f = 0.5 and df/dw = df/db = 0.25.
    """
    ### BEGIN SOLUTION
    ### HINT: compute s = σ(v.value) without overflow (math.exp(-abs(x)) is always <= 1),
    ### HINT: then return a node whose one local derivative is s * (1 - s).
    v = _lift(v)
    e = math.exp(-abs(v.value))
    s = 1.0 / (1.0 + e) if v.value >= 0 else e / (1.0 + e)
    return Variable(s, ((v, s * (1.0 - s)),))
    ### END SOLUTION


def _topological_order(variable):
    """Every Variable that ``variable`` depends on (itself included), children before parents.

    An iterative depth-first search (深度优先搜索): a recursive one would hit
    Python's recursion limit on a chain of a few thousand nodes. A node is
    appended once all of its children are, and visited nodes are skipped, so
    each node appears once however many paths lead to it.
    """
    ### BEGIN SOLUTION
    ### HINT: keep a stack of (node, children_done) pairs and a set of visited nodes: pop a
    ### HINT: node; if its children are done, append it to the order; otherwise push it back
    ### HINT: marked done, then push its unvisited children.
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
    ### END SOLUTION


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
    ### BEGIN SOLUTION
    ### HINT: gradients = defaultdict(float); gradients[variable] = 1.0; then for node in
    ### HINT: reversed(_topological_order(variable)), add gradients[node] * local to each
    ### HINT: child's entry.
    gradients = defaultdict(float)
    gradients[variable] = 1.0
    for node in reversed(_topological_order(variable)):
        for child, local_gradient in node.local_gradients:
            gradients[child] += gradients[node] * local_gradient
    return dict(gradients)
    ### END SOLUTION
