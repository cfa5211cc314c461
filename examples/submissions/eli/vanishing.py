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
