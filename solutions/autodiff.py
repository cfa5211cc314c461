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
        ### BEGIN SOLUTION
        ### HINT: Like __add__ above: a new node holding the product, and for each factor the local
        ### HINT: derivative d(a·b)/d(that factor), which is the other factor's value. Lift a plain
        ### HINT: number to a Variable first (_lift).
        ### HINT: 提示：和上面的 __add__ 一样：新节点存放乘积，
        ### HINT: 每个因子的局部导数 d(a·b)/d(该因子) 就是另一个因子的值。
        ### HINT: 普通数字先用 _lift 变成 Variable。
        other = _lift(other)
        return Variable(self.value * other.value, ((self, other.value), (other, self.value)))
        ### END SOLUTION

    def __rmul__(self, other):
        """other * self, for a plain number on the left: 2 * a."""
        ### BEGIN SOLUTION
        ### HINT: The number is on the left (2 * a): lift it and reuse __mul__, as __radd__ does.
        ### HINT: 提示：数字在左边（2 * a）：先提升为 Variable，再复用 __mul__，和 __radd__ 一样。
        return _lift(other) * self
        ### END SOLUTION

    def __neg__(self):
        """-self: d(-a)/da = -1."""
        ### BEGIN SOLUTION
        ### HINT: One child, with local derivative -1.
        ### HINT: 提示：只有一个子节点，局部导数为 -1。
        return Variable(-self.value, ((self, -1.0),))
        ### END SOLUTION

    def __sub__(self, other):
        """self - other: d(a - b)/da = 1 and d(a - b)/db = -1."""
        ### BEGIN SOLUTION
        ### HINT: Like __add__, except that d(a - b)/db = -1.
        ### HINT: 提示：和 __add__ 一样，只是 d(a - b)/db = -1。
        other = _lift(other)
        return Variable(self.value - other.value, ((self, 1.0), (other, -1.0)))
        ### END SOLUTION

    def __rsub__(self, other):
        """other - self, for a plain number on the left: 1 - a."""
        ### BEGIN SOLUTION
        ### HINT: The number is on the left (1 - a): lift it; the order of the operands matters
        ### HINT: here.
        ### HINT: 提示：数字在左边（1 - a）：先提升为 Variable；这里操作数的顺序很重要。
        return _lift(other) - self
        ### END SOLUTION

    def __truediv__(self, other):
        """self / other: d(a / b)/da = 1/b and d(a / b)/db = -a/b^2."""
        ### BEGIN SOLUTION
        ### HINT: The quotient rule gives the two local derivatives: 1/b for a, -a/b² for b.
        ### HINT: 提示：由商的求导法则得到两个局部导数：对 a 是 1/b，对 b 是 -a/b²。
        other = _lift(other)
        a, b = self.value, other.value
        return Variable(a / b, ((self, 1.0 / b), (other, -a / b**2)))
        ### END SOLUTION

    def __rtruediv__(self, other):
        """other / self, for a plain number on the left: 1 / a."""
        ### BEGIN SOLUTION
        ### HINT: The number is on the left (2 / a): lift it, then divide.
        ### HINT: 提示：数字在左边（2 / a）：先提升为 Variable，再做除法。
        return _lift(other) / self
        ### END SOLUTION


def _lift(x):
    """Given: a Variable stays itself; a plain number becomes a constant leaf Variable."""
    return x if isinstance(x, Variable) else Variable(x)


def exp(v):
    """e^v as a graph node: d(e^v)/dv = e^v, the node's own value."""
    ### BEGIN SOLUTION
    ### HINT: A new node with one child; the derivative of e^v is e^v, the new node's own value.
    ### HINT: 提示：新节点只有一个子节点；e^v 的导数就是 e^v，即新节点自己的值。
    v = _lift(v)
    value = math.exp(v.value)
    return Variable(value, ((v, value),))
    ### END SOLUTION


def log(v):
    """The natural logarithm ln(v) as a graph node: d(ln v)/dv = 1/v."""
    ### BEGIN SOLUTION
    ### HINT: d ln(v)/dv = 1/v, from the child's value; use the natural logarithm.
    ### HINT: 提示：d ln(v)/dv = 1/v，用子节点的值计算；用自然对数。
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
    ### HINT: One node, not exp, + and / built separately: the value σ(v) computed without overflow
    ### HINT: (as in activations.py), and the local derivative σ (1 - σ). The lecture's check:
    ### HINT: sigmoid(w*x + b) at (x, w, b) = (1, 0, 0) gives 0.25 for w and for b.
    ### HINT: 提示：做成一个节点：值 σ(v) 要避免溢出（同 activations.py），局部导数为 σ(1 - σ)。
    ### HINT: 课件的检验：sigmoid(w*x + b) 在 (x, w, b) = (1, 0, 0) 处对 w、b 的导数都是 0.25。
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
    ### HINT: Slide 计算图: children before parents, each node once. Do the depth-first search with
    ### HINT: a stack of your own instead of recursion (a chain of 20,000 nodes is deeper than
    ### HINT: Python's recursion limit): a node enters the order only once all its children have.
    ### HINT: Remember the nodes already visited (a set works: Variables hash by identity).
    ### HINT: 提示（计算图）：子节点排在父节点之前，每个节点只出现一次。
    ### HINT: 深度优先搜索用你自己的栈而不是递归（20,000 个节点的链超过 Python 的递归深度）：
    ### HINT: 一个节点要等所有子节点都排好后才加入顺序。记住已访问过的节点（用集合即可：
    ### HINT: Variable 按身份哈希）。
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
    ### HINT: Slide 逆向自动微分: the output's gradient is 1. Visit the nodes from the output
    ### HINT: towards the leaves in reverse topological order, so that every node's gradient is
    ### HINT: complete when you reach it, and pass gradient × local derivative to each child once.
    ### HINT: Pitfall: the slides' recursive compute_gradients follows every path, exponential on
    ### HINT: shared subgraphs and too deep for 20,000 nodes (handout, "Where the slides' code
    ### HINT: differs").
    ### HINT: 提示（逆向自动微分）：输出对自己的梯度是 1。按逆拓扑顺序从输出走向叶子，
    ### HINT: 保证到达每个节点时它的梯度已经完整，再把「梯度 × 局部导数」传给每个子节点，
    ### HINT: 每个节点只传一次。注意：课件中递归的 compute_gradients 会走遍每一条路径，
    ### HINT: 在共享子图上是指数时间，对 20,000 个节点的链也太深。
    gradients = defaultdict(float)
    gradients[variable] = 1.0
    for node in reversed(_topological_order(variable)):
        for child, local_gradient in node.local_gradients:
            gradients[child] += gradients[node] * local_gradient
    return dict(gradients)
    ### END SOLUTION


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
    ### BEGIN SOLUTION
    ### HINT: Slide 逆向自动微分 (the single neuron): each step builds a fresh graph from new leaf
    ### HINT: Variables holding the current w and b, records C.value (a float, not the Variable),
    ### HINT: then reads both gradients from one get_gradients(C), looked up by the leaf objects.
    ### HINT: Aim for (a list of `steps` floats, float, float). Pitfalls: recording the cost after
    ### HINT: the update; keeping w and b as Variables across steps (the graph keeps growing).
    ### HINT: 提示（逆向自动微分·单个神经元）：每一步用当前的 w、b 新建叶子 Variable，
    ### HINT: 先记下 C.value（浮点数），再用一次 get_gradients(C) 取出 dC/dw、dC/db 并更新。
    ### HINT: 返回（steps 个浮点数的列表, 浮点数, 浮点数）。注意：损失要在更新前记录。
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
    ### END SOLUTION


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
    ### BEGIN SOLUTION
    ### HINT: Slide 自动微分XOR: write the three units with the Variable operators and the sigmoid
    ### HINT: of this module, so the computation is recorded in the graph. Aim for one Variable.
    ### HINT: Pitfall: computing with .value and math.exp gives the right number but no graph, so
    ### HINT: every gradient is lost; and mind which weight goes where.
    ### HINT: 提示（自动微分XOR）：用 Variable 的运算符和本模块的 sigmoid 写出三个单元，
    ### HINT: 计算才会记录进计算图；返回一个 Variable。注意：
    ### HINT: 用 .value 和 math.exp 算出的数值虽然对，但没有计算图，梯度全部丢失；
    ### HINT: 九个权重各就各位。
    h1 = sigmoid(x1 * w[0] + x2 * w[1] + w[2])
    h2 = sigmoid(x1 * w[3] + x2 * w[4] + w[5])
    return sigmoid(w[6] * h1 + w[7] * h2 + w[8])
    ### END SOLUTION


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
    ### BEGIN SOLUTION
    ### HINT: Slide 自动微分XOR: the single neuron's loop, now with nine weights and a cost that
    ### HINT: adds up the four cases, so one get_gradients call per epoch gives all nine partial
    ### HINT: derivatives. Aim for a list of nine floats. Pitfalls: updating after each case (that
    ### HINT: is a different, stochastic descent); averaging instead of summing the cases.
    ### HINT: 提示（自动微分XOR）：和单个神经元一样的循环，只是有九个权重，
    ### HINT: 代价是四个样本的平方误差之和，每个 epoch 调用一次 get_gradients 得到全部九个偏导数，
    ### HINT: 同时更新。返回九个浮点数的列表。注意：不要每个样本更新一次；
    ### HINT: 四个样本求和而不是求平均。
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
    ### END SOLUTION
