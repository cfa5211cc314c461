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
    ### HINT: Slide 感知机: the unit fires (1) only when its input is strictly above 0; at exactly
    ### HINT: 0 it stays silent. Compare elementwise and turn the truth values into the numbers 0
    ### HINT: and 1 (integers or floats; bool is not accepted). Aim for the shape of x. Pitfall:
    ### HINT: the slides' (np.sign(x) + 1) / 2 gives 0.5 at 0 (handout, "Where the slides' code
    ### HINT: differs").
    ### HINT: 提示（感知机）：输入严格大于 0 才输出 1，恰好为 0 时输出 0。逐元素比较，
    ### HINT: 再把真假值变成数字 0/1（整数或浮点数，不能是 bool），形状与 x 相同。注意：
    ### HINT: 课件的 (np.sign(x)+1)/2 在 0 处得 0.5。
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
    ### HINT: Slide 感知机: the weighted sum of the inputs, minus the threshold, through step. One
    ### HINT: matrix-vector product serves a single input (d,) and a batch (n, d) alike. Aim for a
    ### HINT: scalar for one input, an (n,) array for a batch.
    ### HINT: 提示（感知机）：输入的加权和减去阈值，再经过 step。
    ### HINT: 同一个矩阵-向量乘积既适用于单个输入 (d,)，也适用于一批输入 (n, d)。
    return step(np.asarray(x) @ np.asarray(w) - threshold)
    ### END SOLUTION


def and_gate(a, b):
    """AND (与门) as one perceptron, elementwise on 0/1 arrays that broadcast.

    With weights (0.5, 0.5) and threshold 0.7 only a = b = 1 gives a sum
    (1.0) above the threshold.
    """
    ### BEGIN SOLUTION
    ### HINT: Slide 感知机 (logic gates): bring a and b to one shape (they may broadcast), pair
    ### HINT: them into inputs of two entries, and choose two weights and a threshold that only (1,
    ### HINT: 1) clears. Aim for 0/1 values with the broadcast shape of a and b.
    ### HINT: 提示：先把 a、b 广播成同一形状，再组成含两个分量的输入；选两个权重和一个阈值，
    ### HINT: 使只有 (1, 1) 能超过阈值。
    x = np.stack(np.broadcast_arrays(a, b), axis=-1)
    return perceptron(x, np.array([0.5, 0.5]), 0.7)
    ### END SOLUTION


def or_gate(a, b):
    """OR (或门) as one perceptron: the same weights as AND, a lower threshold (0.2).

    Only the threshold changed, yet the gate computes a different function:
    the parameters, not the structure, decide what a perceptron does.
    """
    ### BEGIN SOLUTION
    ### HINT: The same perceptron as and_gate; only the threshold changes: a single 1 must clear
    ### HINT: it.
    ### HINT: 提示：与 and_gate 是同一个感知机，只改阈值：一个 1 就要能超过它。
    x = np.stack(np.broadcast_arrays(a, b), axis=-1)
    return perceptron(x, np.array([0.5, 0.5]), 0.2)
    ### END SOLUTION


def nand_gate(a, b):
    """NAND (与非门) as one perceptron: AND with every sign flipped.

    Weights (-0.5, -0.5) and threshold -0.7 fire for every input except
    (1, 1).
    """
    ### BEGIN SOLUTION
    ### HINT: NOT AND: flip the sign of AND's weights and of its threshold.
    ### HINT: 提示：与非门就是把与门的权重和阈值全部取反。
    x = np.stack(np.broadcast_arrays(a, b), axis=-1)
    return perceptron(x, np.array([-0.5, -0.5]), -0.7)
    ### END SOLUTION


def xor(a, b):
    """XOR (异或) from the gates above: a two-layer network of perceptrons.

    XOR is not linearly separable (线性不可分), so no single perceptron
    computes it. Two layers do: the first layer's gates each draw one line
    through the input space, and the second combines their outputs. This is
    the lecture's first multi-layer perceptron (多层感知机).
    """
    ### BEGIN SOLUTION
    ### HINT: Slide 异或问题: no single line separates XOR, so stack your gates in two layers: one
    ### HINT: gate says "at least one", another "not both", a third combines them. Use only the
    ### HINT: three gates above.
    ### HINT: 提示（异或问题）：一条直线分不开 XOR，把门叠成两层：一个门表示「至少一个」，
    ### HINT: 一个表示「不全是」，第三个把两者组合。只用上面三个门。
    return and_gate(nand_gate(a, b), or_gate(a, b))
    ### END SOLUTION
