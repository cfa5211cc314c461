"""Supervised learning (监督学习) and loss functions (损失函数).

A loss function turns "how wrong is the network" into one number, so that
training becomes minimisation. Regression usually uses the mean squared
error; classification uses softmax probabilities with the cross-entropy
loss against one-hot targets.
"""

import numpy as np


def one_hot(labels, num_classes):
    """One-hot encoding (One-hot编码): integer labels (n,) to an (n, num_classes) float array.

    Row i is all zeros except a 1 in column ``labels[i]``, the target
    distribution that cross_entropy compares against. A label outside
    [0, num_classes) has no column and raises ValueError: failing loudly
    beats silently training on a wrong target.
    """
    ### BEGIN SOLUTION
    ### HINT: Slide One-hot编码: row i is all zeros except a 1 in column labels[i]. Check the
    ### HINT: labels first: one outside [0, num_classes) raises ValueError (a negative index would
    ### HINT: silently wrap around). Aim for an (n, num_classes) float array.
    ### HINT: 提示（One-hot编码）：第 i 行全为 0，只有第 labels[i] 列为 1。先检查标签：
    ### HINT: 超出 [0, num_classes) 的要抛出 ValueError（负数下标会悄悄绕回）。
    ### HINT: 结果是 (n, num_classes) 的浮点数组。
    labels = np.asarray(labels)
    if np.any(labels != np.round(labels)):
        raise ValueError(f"labels must be whole numbers, got {labels}")
    if np.any((labels < 0) | (labels >= num_classes)):
        raise ValueError(f"labels must lie in [0, {num_classes}), got {labels}")
    return np.eye(num_classes)[labels.astype(int)]
    ### END SOLUTION


def mse(y_pred, y):
    """The mean squared error (均方误差) J = 1/(2m) * sum((y - y_pred)^2), m = len(y).

    The factor 1/2 is there so that it cancels the 2 of the derivative:
    dJ/dy_pred = (y_pred - y) / m. Returns a float.
    """
    ### BEGIN SOLUTION
    ### HINT: Slide 均方误差: J = 1/(2m) Σ (y - y_pred)²; m counts examples, the rows of y, not
    ### HINT: every entry. Aim for one float. Pitfall: np.mean alone forgets the 1/2, and divides
    ### HINT: by the number of entries.
    ### HINT: 提示（均方误差）：J = 1/(2m) Σ(y - y_pred)²；m 是样本数，即 y 的行数，不是元素总数。
    ### HINT: 返回一个浮点数。注意：只用 np.mean 会漏掉 1/2。
    y_pred = np.asarray(y_pred, dtype=float)
    y = np.asarray(y, dtype=float)
    return float(np.sum((y - y_pred) ** 2) / (2 * len(y)))
    ### END SOLUTION


def softmax(v, axis=-1):
    """The softmax function (Softmax函数): exp(v) / sum(exp(v)) along ``axis``.

    It turns scores into probabilities: positive, summing to 1 along
    ``axis``. Subtracting the maximum first changes nothing mathematically,
    since the common factor e^(-max) cancels, but keeps every exponent <= 0
    so that exp never overflows, even for entries around 1e4.
    """
    ### BEGIN SOLUTION
    ### HINT: Slide 损失函数 (softmax): exponentiate, then normalise along `axis`. Subtracting each
    ### HINT: slice's maximum first changes nothing mathematically but keeps exp from overflowing
    ### HINT: at 1e4. Keep the reduced axis (keepdims) so that shapes still broadcast. Aim for v's
    ### HINT: shape.
    ### HINT: 提示：沿 axis 取指数再归一化。先减去每个切片的最大值，数学上不变，
    ### HINT: 却能避免 1e4 时 exp 溢出；求和时保留维度（keepdims）以便广播。结果与 v 同形。
    v = np.asarray(v, dtype=float)
    e = np.exp(v - np.max(v, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)
    ### END SOLUTION


def cross_entropy(probs, targets):
    """The cross-entropy loss (交叉熵损失): the mean over rows of -sum(targets * ln(probs)).

    With a one-hot target only the probability given to the true class
    counts: the loss is -ln(p_true), 0 for a confident right answer and
    large for a confident wrong one. A 1-D input is one row. Returns a
    float. ``probs`` must be positive where ``targets`` is not zero, which
    a softmax output always is.
    """
    ### BEGIN SOLUTION
    ### HINT: Slide 交叉熵: for each row -Σ targets · ln(probs), with the natural log; then the
    ### HINT: mean over the rows. A 1-D input is one row (make it 2-D first). Aim for one float.
    ### HINT: 提示（交叉熵）：每一行求 -Σ targets·ln(probs)（自然对数），再对各行求平均；
    ### HINT: 一维输入算一行（先变成二维）。返回一个浮点数。
    probs = np.atleast_2d(np.asarray(probs, dtype=float))
    targets = np.atleast_2d(np.asarray(targets, dtype=float))
    return float(-np.sum(targets * np.log(probs)) / probs.shape[0])
    ### END SOLUTION
