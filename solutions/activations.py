"""Activation functions (激活函数) and their derivatives.

Without a nonlinearity between layers, a stack of linear layers collapses
into one linear map and can never compute XOR. The activation function is
what makes depth useful. Training needs its derivative too, since
backpropagation (反向传播) multiplies one derivative per layer, and the
size of those factors decides whether gradients survive a deep network
(see vanishing.py).

Every function here is elementwise: it takes an array of any shape (or a
number) and returns an array of the same shape.
"""

import numpy as np


def sigmoid(z):
    """The logistic sigmoid σ(z) = 1 / (1 + e^(-z)), squashing any z into (0, 1).

    Written naively, ``np.exp(-z)`` overflows for z around -710 and numpy
    warns. Using only e^(-|z|), which lies in (0, 1], gives the same value
    and stays finite and warning-free for any z:
    σ(z) = 1 / (1 + e^(-|z|)) for z >= 0 and e^(-|z|) / (1 + e^(-|z|)) for z < 0.
    """
    ### BEGIN SOLUTION
    ### HINT: Slide 激活函数: σ(z) = 1 / (1 + e^(-z)) squashes any z into (0, 1). At z = -1e4,
    ### HINT: e^(-z) overflows: rearrange so that every exponent you evaluate is <= 0, with one
    ### HINT: form for z >= 0 and one for z < 0 (the docstring gives both). Aim for a float array
    ### HINT: shaped like z, computed without warnings.
    ### HINT: 提示（激活函数）：σ(z) = 1/(1+e^(-z))。z = -1e4 时 e^(-z) 溢出：改写公式，
    ### HINT: 让算出的每个指数都 <= 0，z >= 0 与 z < 0 各用一种写法（文档字符串里都有）。
    ### HINT: 结果与 z 同形，且不产生警告。
    z = np.asarray(z, dtype=float)
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
    ### END SOLUTION


def tanh(z):
    """The hyperbolic tangent (双曲正切), squashing z into (-1, 1).

    tanh(z) = (e^z - e^(-z)) / (e^z + e^(-z)) = 2σ(2z) - 1: a sigmoid
    stretched to be zero-centred, which is why it often trains faster.
    """
    ### BEGIN SOLUTION
    ### HINT: NumPy has the hyperbolic tangent; return floats shaped like z.
    ### HINT: 提示：NumPy 自带双曲正切；返回与 z 同形的浮点数组。
    return np.tanh(np.asarray(z, dtype=float))
    ### END SOLUTION


def relu(z):
    """The rectified linear unit (线性整流函数) max(0, z).

    Its derivative is exactly 1 for every positive input, so a chain of
    ReLUs does not shrink gradients the way a chain of sigmoids does.
    """
    ### BEGIN SOLUTION
    ### HINT: Slide 激活函数: keep the positive entries and put 0 elsewhere, elementwise (Python's
    ### HINT: max compares whole objects, not entries).
    ### HINT: 提示（激活函数）：逐元素保留正数、其余置 0（Python 的 max 不是逐元素比较）。
    return np.maximum(np.asarray(z, dtype=float), 0.0)
    ### END SOLUTION


def sigmoid_prime(z):
    """The derivative of the sigmoid with respect to the pre-activation z.

    σ'(z) = σ(z) (1 - σ(z)). Its largest value is σ'(0) = 0.25: each sigmoid
    layer shrinks a gradient by at least a factor of four, which is the
    root of the vanishing gradient (梯度消失) problem. Note the argument is
    z, not σ(z): passing the activated value is a classic mistake.
    """
    ### BEGIN SOLUTION
    ### HINT: Slide 激活函数: σ's derivative is written with σ itself, σ' = σ (1 - σ), and you
    ### HINT: evaluate it at the pre-activation z: reuse your sigmoid. Pitfall: z (1 - z) is that
    ### HINT: formula applied to z as if z were already activated.
    ### HINT: 提示（激活函数）：σ 的导数可以用 σ 自己表示：σ' = σ(1 - σ)，在 z 处求值，
    ### HINT: 重用你的 sigmoid。注意：z(1 - z) 把 z 当成了激活后的值。
    s = sigmoid(z)
    return s * (1.0 - s)
    ### END SOLUTION


def tanh_prime(z):
    """The derivative of tanh: 1 - tanh(z)^2, with its maximum tanh'(0) = 1."""
    ### BEGIN SOLUTION
    ### HINT: tanh' = 1 - tanh², evaluated at z (not at tanh(z)).
    ### HINT: 提示：tanh' = 1 - tanh²，在 z 处求值（不是在 tanh(z) 处）。
    t = np.tanh(np.asarray(z, dtype=float))
    return 1.0 - t * t
    ### END SOLUTION


def relu_prime(z):
    """The derivative of ReLU: 1 where z > 0, else 0.

    ReLU has no derivative at 0; the convention here (and in the lecture)
    is ``relu_prime(0) == 0``. The result is a float array shaped like z.
    """
    ### BEGIN SOLUTION
    ### HINT: 1 on the positive side, 0 elsewhere, and 0 at z = 0 exactly (the course's
    ### HINT: convention). Return floats, not booleans.
    ### HINT: 提示：正半轴为 1，其余为 0，z = 0 处取 0（本课程的约定）。返回浮点数，不要布尔值。
    return (np.asarray(z) > 0).astype(float)
    ### END SOLUTION
