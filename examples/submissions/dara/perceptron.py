"""The perceptron (感知机) and the XOR problem.

Rosenblatt's 1958 perceptron sums its weighted inputs and fires when the
sum clears a threshold. One perceptron draws one straight line through
its input space, which is enough for AND, OR and NAND but not for XOR:
no single line separates (0, 1) and (1, 0) from (0, 0) and (1, 1). The
lecture's way out is to stack perceptrons into two layers. That idea of
layers is what the rest of the course builds on.
"""

import numpy as np


def step(x):
    """The step function (阶跃函数): 1 where x > 0, else 0, elementwise.

    The lecture's rule is "output 0 if the sum <= threshold", so the boundary
    itself gives 0: ``step(0) == 0``. The result has the shape of ``x`` and
    holds only 0s and 1s.
    """
    return (np.sign(x) + 1) / 2


def perceptron(x, w, threshold):
    """One perceptron: ``step(x @ w - threshold)``.

    ``x`` is one input of shape (d,) or a batch of shape (n, d), and ``w``
    holds the d weights. A single input gives a scalar, a batch gives an
    (n,) array of 0s and 1s. The weights and threshold are the whole of what
    a perceptron "knows": learning means choosing them.
    """
    return step(np.asarray(x) @ np.asarray(w) - threshold)


def and_gate(a, b):
    """AND (与门) as one perceptron, elementwise on 0/1 arrays that broadcast.

    With weights (0.5, 0.5) and threshold 0.7 only a = b = 1 gives a sum
    (1.0) above the threshold.
    """
    x = np.stack(np.broadcast_arrays(a, b), axis=-1)
    return perceptron(x, np.array([0.5, 0.5]), 0.7)


def or_gate(a, b):
    """OR (或门) as one perceptron: the same weights as AND, a lower threshold (0.2).

    Only the threshold changed, yet the gate computes a different function:
    the parameters, not the structure, decide what a perceptron does.
    """
    x = np.stack(np.broadcast_arrays(a, b), axis=-1)
    return perceptron(x, np.array([0.5, 0.5]), 0.2)


def nand_gate(a, b):
    """NAND (与非门) as one perceptron: AND with every sign flipped.

    Weights (-0.5, -0.5) and threshold -0.7 fire for every input except
    (1, 1).
    """
    x = np.stack(np.broadcast_arrays(a, b), axis=-1)
    return perceptron(x, np.array([-0.5, -0.5]), -0.7)


def xor(a, b):
    """XOR (异或) from the gates above: a two-layer network of perceptrons.

    XOR is not linearly separable (线性不可分), so no single perceptron
    computes it. Two layers do: the first layer's gates each draw one line
    through the input space, and the second combines their outputs. This is
    the lecture's first multi-layer perceptron (多层感知机).
    """
    return and_gate(nand_gate(a, b), or_gate(a, b))
