"""The vanishing gradient problem (梯度消失问题).

Backpropagation multiplies one factor per layer. With the sigmoid each
factor contains σ'(z) <= 0.25, so the gradient reaching the first layers
shrinks at least fourfold per layer and the early layers barely learn.
tanh (tanh'(z) <= 1) shrinks it more slowly, and ReLU, whose derivative
is exactly 1 for positive inputs, passes it through unchanged, one reason
deep networks use ReLU.

The lecture's chain: y = w1*x with w1 = 1, then ``depth`` times
y = w*f(w*y) with a fresh weight w = 1 each time, and the cost
C = (Y - y)^2. ``chain_gradient`` measures dC/dw1, the gradient that
reaches the very first weight; ``layer_gradients`` gives dC/dw for every
weight of the chain, the lecture's per-layer picture: with the sigmoid the
first layers get the smallest gradients.

Handout: docs/handout.zh.md (中文) or docs/handout.md, section vanishing.py.
"""

import math

import numpy as np


def _activation(name):
    """(f, f') for an activation's name, both functions of the pre-activation z (floats).

    "sigmoid", "tanh" and "relu" are known (relu'(0) = 0, as in
    activations.py); any other name, or something that is not a name at
    all, raises ValueError.
    """
    ### BEGIN SOLUTION
    ### HINT: A small table from name to the pair (f, f'), on plain floats; the formulas are those
    ### HINT: of activations.py (a module may import another). Look the name up only if it is a
    ### HINT: string: `[1] in {...}` raises TypeError, and the contract asks for ValueError.
    ### HINT: 提示：建一个从名字到 (f, f') 的小表，作用在普通浮点数上，
    ### HINT: 公式与 activations.py 相同（也可以导入它）。只有字符串才去查表：
    ### HINT: 列表等不可哈希的对象查表会抛 TypeError，而约定要求 ValueError。
    def sigmoid(z):
        return 0.5 * (1.0 + math.tanh(0.5 * z))  # = 1 / (1 + e^(-z)), without overflow

    activations = {  # name -> (f, f'), both functions of the pre-activation z
        "sigmoid": (sigmoid, lambda z: sigmoid(z) * (1.0 - sigmoid(z))),
        "tanh": (math.tanh, lambda z: 1.0 - math.tanh(z) ** 2),
        "relu": (lambda z: max(z, 0.0), lambda z: 1.0 if z > 0 else 0.0),
    }
    if not isinstance(name, str) or name not in activations:
        raise ValueError(f"activation must be one of {sorted(activations)}, got {name!r}")
    return activations[name]
    ### END SOLUTION


def chain_gradient(depth, activation="sigmoid", x=1.0, Y=1.0):
    """dC/dw1 for the lecture's chain of ``depth`` layers, as a float.

    Forward, keeping every pre-activation z_k: y_0 = w1*x, then
    z_k = w*y_(k-1) and y_k = w*f(z_k) for k = 1..depth. Backward, by the
    chain rule with every w = 1:
        dC/dw1 = -2 (Y - y_depth) * f'(z_depth) * ... * f'(z_1) * x.
    One factor f'(z_k) per layer: for the sigmoid each is at most 0.25,
    so the result shrinks exponentially with depth. Unknown activation
    names raise ValueError.
    """
    ### BEGIN SOLUTION
    ### HINT: Slide 梯度消失: run the chain forward keeping every pre-activation z_k, then multiply
    ### HINT: the chain rule's factors on the way back, as the docstring writes them (_activation
    ### HINT: gives f and f'). Aim for one float. Pitfall: f' is evaluated at z_k, not at f(z_k).
    ### HINT: 提示（梯度消失）：前向计算这条链并保留每个 z_k，
    ### HINT: 再在回传时按文档字符串把链式法则的各个因子乘起来（f 和 f' 由 _activation 给出）。
    ### HINT: 返回一个浮点数。注意：f' 在 z_k 处求值，不是在 f(z_k) 处。
    f, f_prime = _activation(activation)
    w1 = w = 1.0
    y = w1 * x
    pre_activations = []
    for _ in range(depth):
        z = w * y
        pre_activations.append(z)
        y = w * f(z)
    grad = -2.0 * (Y - y)  # dC/dy_depth
    for z in reversed(pre_activations):
        grad *= w * f_prime(z) * w  # dy_k/dy_(k-1) = w f'(z_k) w
    return float(grad * x)  # dy_0/dw1 = x
    ### END SOLUTION


def layer_gradients(depth, activation="sigmoid", x=1.0, Y=1.0):
    """dC/dw for every weight of the chain: a float array of depth + 1 entries.

    Entry 0 is dC/dw1 (the first weight, the same number chain_gradient
    returns), entry k the gradient of layer k's own weight, in the order
    the weights enter the chain. Layer k uses its weight twice,
    y_k = w * f(w * y_(k-1)), so with every w = 1 its gradient has two terms:
        dC/dw_k = dC/dy_k * (f(z_k) + f'(z_k) * y_(k-1)),
    where dC/dy_k = -2 (Y - y_depth) * f'(z_depth) * ... * f'(z_(k+1)) is the
    gradient that reached layer k from the cost. Plotted per layer, the
    sigmoid's gradients are smallest at the first layers: those learn the
    slowest, which is the vanishing gradient (梯度消失) the lecture draws.
    """
    ### BEGIN SOLUTION
    ### HINT: Slide 梯度消失 (the per-layer picture): the forward pass of chain_gradient, keeping
    ### HINT: each layer's input y_(k-1) too; on the way back, before passing dC/dy_k further down,
    ### HINT: read off layer k's weight gradient (both of its uses, the docstring's two terms). Aim
    ### HINT: for a float array of depth + 1 entries, w1 first. Pitfalls: filling the array from
    ### HINT: the last layer forwards; counting only one of the two uses of a layer's w.
    ### HINT: 提示（梯度消失·逐层图）：沿用 chain_gradient 的前向计算，并保留每层的输入 y_(k-1)；
    ### HINT: 回传时先读出第 k 层权重的梯度（它被用了两次，即文档字符串中的两项），
    ### HINT: 再把 dC/dy_k 继续往前传。结果是 depth + 1 个浮点数，w1 在最前。注意：不要把顺序弄反；
    ### HINT: 不要只算一层权重的一次使用。
    f, f_prime = _activation(activation)
    w = 1.0
    y = w * x  # y_0 = w1 * x with w1 = 1
    inputs, pre_activations = [], []
    for _ in range(depth):
        z = w * y
        inputs.append(y)
        pre_activations.append(z)
        y = w * f(z)
    grad = -2.0 * (Y - y)  # dC/dy_depth
    layers = []
    for y_in, z in zip(reversed(inputs), reversed(pre_activations), strict=True):
        layers.append(grad * (f(z) + w * f_prime(z) * y_in))  # d(w f(w y_in))/dw, both uses
        grad *= w * f_prime(z) * w
    return np.array([grad * x] + layers[::-1], dtype=float)
    ### END SOLUTION
