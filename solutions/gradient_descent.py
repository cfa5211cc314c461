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
    ### BEGIN SOLUTION
    ### HINT: Slide 数值微分: the slope of f along one coordinate, measured symmetrically around
    ### HINT: x_i (one step h forward, one step h back, over the distance 2h). Visit every entry of
    ### HINT: an array of any shape, one at a time. Aim for a float array shaped like x. Pitfalls:
    ### HINT: the one-sided slope of the slides loses points (handout, "Where the slides' code
    ### HINT: differs"); nudging the caller's x in place changes it.
    ### HINT: 提示（数值微分）：在 x_i 两侧对称地各走一步 h，用两次函数值之差除以 2h；
    ### HINT: 逐个分量处理任意形状的数组，结果与 x 同形。注意：课件里的单侧差分会被扣分，
    ### HINT: 也不要改动调用者传入的 x。
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
    ### END SOLUTION


def gradient_descent(grad, x0, lr, steps):
    """Gradient descent: repeat x <- x - lr * grad(x) ``steps`` times from x0; return x.

    The lecture's example minimises f(x) = x^2/2 - sin(x), whose gradient
    is x - cos(x): from any start the iterates settle at the fixed point
    x = cos(x) = 0.739085... Too large a learning rate overshoots and
    diverges, too small a one crawls.
    """
    ### BEGIN SOLUTION
    ### HINT: Slide 梯度下降: walk against the gradient, a step of size lr each time, exactly
    ### HINT: `steps` times (zero steps give x0 back). Aim for a float array shaped like x0.
    ### HINT: Pitfalls: an update like x -= ... on x0 itself changes the caller's array.
    ### HINT: 提示（梯度下降）：沿梯度的反方向走，每步长 lr，恰好走 steps 步（0 步返回 x0）；
    ### HINT: 不要原地修改调用者的 x0。
    x = np.array(x0, dtype=float)
    for _ in range(steps):
        x = x - lr * grad(x)
    return x
    ### END SOLUTION


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
    ### BEGIN SOLUTION
    ### HINT: Gradient check (梯度检验), the bridge between 数值微分 and 反向传播: put the two
    ### HINT: gradients side by side and measure their disagreement relative to their size, entry
    ### HINT: by entry, as the docstring writes it; report the worst entry as one float. Your own
    ### HINT: numerical_gradient does half the work. Pitfalls: dividing by |g| alone blows up where
    ### HINT: g is 0; a mean or a norm hides one wrong entry among many.
    ### HINT: 提示：把解析梯度与数值微分得到的梯度逐个分量比较，
    ### HINT: 用两者大小之和作分母求相对误差（按文档字符串的公式，分母至少 1e-12），
    ### HINT: 返回最大的那个，一个浮点数。可以调用你自己的 numerical_gradient。注意：
    ### HINT: 不要只除以 |g|；不要取平均或范数。
    x = np.array(x, dtype=float)
    analytic = np.asarray(grad_f(x.copy()), dtype=float)
    numeric = numerical_gradient(f, x, h)
    error = np.abs(analytic - numeric) / np.maximum(np.abs(analytic) + np.abs(numeric), 1e-12)
    return float(np.max(error)) if error.size else 0.0
    ### END SOLUTION
