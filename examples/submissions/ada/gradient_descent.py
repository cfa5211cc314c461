"""Numerical derivatives (数值微分) and gradient descent (梯度下降).

The gradient points uphill, so stepping against it lowers the loss:
x <- x - lr * grad(x), with the learning rate (学习率) lr setting the step
size. Central differences approximate a gradient without any calculus.
They are far too slow to train with (two function calls per parameter),
but they are the standard way to check a hand-written or automatic
gradient (梯度检验).
"""

import numpy as np


def numerical_gradient(f, x, h=1e-5):
    """The gradient of a scalar function f at x by central differences (中心差分).

    For every entry x_i: (f(x + h e_i) - f(x - h e_i)) / 2h, where e_i is the
    unit array with a 1 at entry i. The error is O(h^2), against O(h) for
    the one-sided (f(x + h) - f(x)) / h. Returns an array shaped like x and
    leaves the caller's x unchanged.
    """
    x = np.array(x, dtype=float)  # a private copy: the caller's array is never touched
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + h
        f_plus = f(x)
        x[i] = old - h
        f_minus = f(x)
        x[i] = old
        grad[i] = (f_plus - f_minus) / (2 * h)
    return grad


def gradient_descent(grad, x0, lr, steps):
    """Gradient descent: repeat x <- x - lr * grad(x) ``steps`` times from x0; return x.

    The lecture's example minimises f(x) = x^2/2 - sin(x), whose gradient
    is x - cos(x): from any start the iterates settle at the fixed point
    x = cos(x) = 0.739085... Too large a learning rate overshoots and
    diverges, too small a one crawls.
    """
    x = np.array(x0, dtype=float)
    for _ in range(steps):
        x = x - lr * grad(x)
    return x
