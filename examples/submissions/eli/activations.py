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
    return 1 / (1 + np.exp(-z))


def tanh(z):
    """The hyperbolic tangent (双曲正切), squashing z into (-1, 1).

    tanh(z) = (e^z - e^(-z)) / (e^z + e^(-z)) = 2σ(2z) - 1: a sigmoid
    stretched to be zero-centred, which is why it often trains faster.
    """
    return np.tanh(np.asarray(z, dtype=float))


def relu(z):
    """The rectified linear unit (线性整流函数) max(0, z).

    Its derivative is exactly 1 for every positive input, so a chain of
    ReLUs does not shrink gradients the way a chain of sigmoids does.
    """
    return np.maximum(np.asarray(z, dtype=float), 0.0)


def sigmoid_prime(z):
    """The derivative of the sigmoid with respect to the pre-activation z.

    σ'(z) = σ(z) (1 - σ(z)). Its largest value is σ'(0) = 0.25: each sigmoid
    layer shrinks a gradient by at least a factor of four, which is the
    root of the vanishing gradient (梯度消失) problem. Note the argument is
    z, not σ(z): passing the activated value is a classic mistake.
    """
    s = sigmoid(z)
    return s * (1.0 - s)


def tanh_prime(z):
    """The derivative of tanh: 1 - tanh(z)^2, with its maximum tanh'(0) = 1."""
    t = np.tanh(np.asarray(z, dtype=float))
    return 1.0 - t * t


def relu_prime(z):
    """The derivative of ReLU: 1 where z > 0, else 0.

    ReLU has no derivative at 0; the convention here (and in the lecture)
    is ``relu_prime(0) == 0``. The result is a float array shaped like z.
    """
    return (np.asarray(z) > 0).astype(float)
