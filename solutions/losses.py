"""Supervised learning (监督学习) and loss functions (损失函数).

A loss function turns "how wrong is the network" into one number, so that
training becomes minimisation. Regression usually uses the mean squared
error; classification uses softmax probabilities with the cross-entropy
loss against one-hot targets.
"""

import numpy as np


def one_hot(labels, num_classes):
    """One-hot encoding (One-hot编码): integer labels of shape (n,) to an (n, num_classes) float array.

    Row i is all zeros except a 1 in column ``labels[i]``, the target
    distribution that cross_entropy compares against. A label outside
    [0, num_classes) has no column and raises ValueError: failing loudly
    beats silently training on a wrong target.
    """
    ### BEGIN SOLUTION
    ### HINT: check the labels first (raise ValueError for one outside the range); then the
    ### HINT: rows of np.eye(num_classes) indexed by the labels are the one-hot vectors.
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
    ### HINT: m is len(y); sum the squared differences over every entry.
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
    ### HINT: subtract v.max(axis=axis, keepdims=True) before np.exp, then divide by the
    ### HINT: sum along the same axis (keepdims=True keeps the shapes broadcastable).
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
    ### HINT: np.atleast_2d makes a single row a (1, k) array; then sum over each row
    ### HINT: and average over the rows.
    probs = np.atleast_2d(np.asarray(probs, dtype=float))
    targets = np.atleast_2d(np.asarray(targets, dtype=float))
    return float(-np.sum(targets * np.log(probs)) / probs.shape[0])
    ### END SOLUTION
