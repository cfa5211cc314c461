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
    ### BEGIN SOLUTION
    ### HINT: compare with 0 to get booleans, then turn them into integers with .astype(int).
    return (np.asarray(x) > 0).astype(int)
    ### END SOLUTION


def perceptron(x, w, threshold):
    """One perceptron: ``step(x @ w - threshold)``.

    ``x`` is one input of shape (d,) or a batch of shape (n, d), and ``w``
    holds the d weights. A single input gives a scalar, a batch gives an
    (n,) array of 0s and 1s. The weights and threshold are the whole of what
    a perceptron "knows": learning means choosing them.
    """
    ### BEGIN SOLUTION
    ### HINT: one line: the weighted sum x @ w, minus the threshold, through step.
    return step(np.asarray(x) @ np.asarray(w) - threshold)
    ### END SOLUTION


def and_gate(a, b):
    """AND (与门) as one perceptron, elementwise on 0/1 arrays that broadcast.

    With weights (0.5, 0.5) and threshold 0.7 only a = b = 1 gives a sum
    (1.0) above the threshold.
    """
    ### BEGIN SOLUTION
    ### HINT: np.stack(np.broadcast_arrays(a, b), axis=-1) turns a and b into inputs
    ### HINT: of shape (..., 2); choose w and threshold so that only (1, 1) clears it.
    x = np.stack(np.broadcast_arrays(a, b), axis=-1)
    return perceptron(x, np.array([0.5, 0.5]), 0.7)
    ### END SOLUTION


def or_gate(a, b):
    """OR (或门) as one perceptron: the same weights as AND, a lower threshold (0.2).

    Only the threshold changed, yet the gate computes a different function:
    the parameters, not the structure, decide what a perceptron does.
    """
    ### BEGIN SOLUTION
    ### HINT: like and_gate, with a threshold that any single 1 clears.
    x = np.stack(np.broadcast_arrays(a, b), axis=-1)
    return perceptron(x, np.array([0.5, 0.5]), 0.2)
    ### END SOLUTION


def nand_gate(a, b):
    """NAND (与非门) as one perceptron: AND with every sign flipped.

    Weights (-0.5, -0.5) and threshold -0.7 fire for every input except
    (1, 1).
    """
    ### BEGIN SOLUTION
    ### HINT: negate AND's weights and threshold.
    x = np.stack(np.broadcast_arrays(a, b), axis=-1)
    return perceptron(x, np.array([-0.5, -0.5]), -0.7)
    ### END SOLUTION


def xor(a, b):
    """XOR (异或) from the gates above: a two-layer network of perceptrons.

    XOR is not linearly separable (线性不可分), so no single perceptron
    computes it. Two layers do: the first computes NAND(a, b) and OR(a, b),
    the second ANDs them, ``xor(a, b) = AND(NAND(a, b), OR(a, b))``. This is
    the lecture's first multi-layer perceptron (多层感知机).
    """
    ### BEGIN SOLUTION
    ### HINT: XOR is "at least one (OR) but not both (NAND)"; combine those two with AND.
    return and_gate(nand_gate(a, b), or_gate(a, b))
    ### END SOLUTION
