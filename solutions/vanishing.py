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
reaches the very first weight.
"""

import math


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
    ### HINT: pick f and f' by name (your activations.py has them; `from activations import
    ### HINT: sigmoid_prime` works here); run the forward pass keeping each z, then start
    ### HINT: from dC/dy = -2 (Y - y) and multiply by every w f'(z) w, and finally by x.
    def sigmoid(z):
        return 0.5 * (1.0 + math.tanh(0.5 * z))  # = 1 / (1 + e^(-z)), without overflow

    activations = {  # name -> (f, f'), both functions of the pre-activation z
        "sigmoid": (sigmoid, lambda z: sigmoid(z) * (1.0 - sigmoid(z))),
        "tanh": (math.tanh, lambda z: 1.0 - math.tanh(z) ** 2),
        "relu": (lambda z: max(z, 0.0), lambda z: 1.0 if z > 0 else 0.0),
    }
    if activation not in activations:
        raise ValueError(f"activation must be one of {sorted(activations)}, got {activation!r}")
    f, f_prime = activations[activation]
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
