"""Numerical derivatives (数值微分), gradient descent (梯度下降) and the gradient check.

The gradient points uphill, so stepping against it lowers the loss:
x <- x - lr * grad(x), with the learning rate (学习率) lr setting the step
size. Central differences approximate a gradient without any calculus.
They are far too slow to train with (two function calls per parameter),
but they are the standard way to check a hand-written or automatic
gradient: ``gradient_check`` compares the two, entry by entry.

Handout: docs/handout.zh.md (中文) or docs/handout.md, section gradient_descent.py.
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


def gradient_check(f, grad_f, x, h=1e-5):
    """How far an analytic gradient is from the numerical one: the largest relative error.

    g = grad_f(x) is the gradient to be checked (derived by hand or by
    backpropagation), n = numerical_gradient(f, x, h) the central-difference
    estimate. For every entry the relative error is
        |g - n| / max(|g| + |n|, 1e-12)
    and the result is the largest of them, a float: about 1e-10 or less
    for a correct gradient, around 1 for a wrong one. The floor 1e-12
    keeps entries where both are zero at 0 instead of 0/0, so two
    gradients that are zero everywhere give 0.0. x is left unchanged.
    """
    x = np.array(x, dtype=float)
    analytic = np.asarray(grad_f(x.copy()), dtype=float)
    numeric = numerical_gradient(f, x, h)
    error = np.abs(analytic - numeric) / np.maximum(np.abs(analytic) + np.abs(numeric), 1e-12)
    return float(np.max(error)) if error.size else 0.0
