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
    labels = np.asarray(labels)
    if np.any(labels != np.round(labels)):
        raise ValueError(f"labels must be whole numbers, got {labels}")
    if np.any((labels < 0) | (labels >= num_classes)):
        raise ValueError(f"labels must lie in [0, {num_classes}), got {labels}")
    return np.eye(num_classes)[labels.astype(int)]


def mse(y_pred, y):
    """The mean squared error (均方误差) J = 1/(2m) * sum((y - y_pred)^2), m = len(y).

    The factor 1/2 is there so that it cancels the 2 of the derivative:
    dJ/dy_pred = (y_pred - y) / m. Returns a float.
    """
    y_pred = np.asarray(y_pred, dtype=float)
    y = np.asarray(y, dtype=float)
    return float(np.sum((y - y_pred) ** 2) / (2 * len(y)))


def softmax(v, axis=-1):
    """The softmax function (归一化指数函数): exp(v) / sum(exp(v)) along ``axis``.

    It turns scores into probabilities: positive, summing to 1 along
    ``axis``. Subtracting the maximum first changes nothing mathematically,
    since the common factor e^(-max) cancels, but keeps every exponent <= 0
    so that exp never overflows, even for entries around 1e4.
    """
    v = np.asarray(v, dtype=float)
    e = np.exp(v - np.max(v, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)


def cross_entropy(probs, targets):
    """The cross-entropy loss (交叉熵损失): the mean over rows of -sum(targets * ln(probs)).

    With a one-hot target only the probability given to the true class
    counts: the loss is -ln(p_true), 0 for a confident right answer and
    large for a confident wrong one. A 1-D input is one row. Returns a
    float. ``probs`` must be positive where ``targets`` is not zero, which
    a softmax output always is.
    """
    probs = np.atleast_2d(np.asarray(probs, dtype=float))
    targets = np.atleast_2d(np.asarray(targets, dtype=float))
    return float(-np.sum(targets * np.log(probs)) / probs.shape[0])
