"""Overfitting (过拟合) and three remedies: early stopping, dropout, data augmentation.

A network with enough parameters can memorise its training set: the
training loss keeps falling while the loss on unseen data rises again.
Early stopping (早停策略) watches the validation loss and stops when it no
longer improves. Dropout randomly silences units during
training, so no unit can rely on particular others. Data augmentation
(数据增强) creates new training examples, such as rotated images, that keep
their label.
"""

import math

import numpy as np


def _check_p(p):
    """Given: the drop probability must lie in [0, 1); p = 1 would drop everything."""
    if not 0 <= p < 1:
        raise ValueError(f"dropout probability p must lie in [0, 1), got {p!r}")


def dropout(x, p, rng, training=True):
    """Inverted dropout: returns (out, mask).

    Each entry of x is kept with probability 1 - p and zeroed otherwise;
    ``mask`` is the boolean array of kept entries, drawn from the numpy
    Generator ``rng`` (e.g. ``rng.random(x.shape) >= p``). Kept entries are
    scaled by 1/(1 - p), so the expected value of every entry is unchanged
    and nothing needs rescaling at test time. When ``training`` is False or
    p == 0, out equals x and mask is all True. p outside [0, 1) raises
    ValueError.
    """
    ### BEGIN SOLUTION
    ### HINT: validate p first (_check_p); at test time or with p == 0 return x unchanged with
    ### HINT: an all-True mask; otherwise mask = rng.random(x.shape) >= p, out = x * mask / (1 - p).
    _check_p(p)
    x = np.asarray(x, dtype=float)
    if not training or p == 0:
        return x.copy(), np.ones(x.shape, dtype=bool)
    mask = rng.random(x.shape) >= p
    return x * mask / (1.0 - p), mask
    ### END SOLUTION


def dropout_backward(grad_out, mask, p):
    """The gradient of dropout with respect to x, given the gradient with respect to its output.

    Forward was out = x * mask / (1 - p), linear in x, so the gradient
    flows back through the kept entries with the same scale and is zero
    where the entry was dropped: grad_x = grad_out * mask / (1 - p).
    """
    ### BEGIN SOLUTION
    ### HINT: the same mask and the same scale as the forward pass.
    _check_p(p)
    return np.asarray(grad_out, dtype=float) * mask / (1.0 - p)
    ### END SOLUTION


class EarlyStopping:
    """Early stopping: tell the training loop when the validation loss stopped improving.

    Call ``step(val_loss)`` once per epoch. A loss counts as an improvement
    only when it is below the best so far by more than ``min_delta``.
    ``step`` returns True once ``patience`` calls in a row brought no
    improvement. ``best_loss`` is the best loss seen (inf before any call)
    and ``best_epoch`` the 0-based index of the call that brought it (None
    before any call): the weights of that epoch are the ones to keep.
    """

    def __init__(self, patience, min_delta=0.0):
        ### BEGIN SOLUTION
        ### HINT: remember patience and min_delta; start with best_loss = math.inf,
        ### HINT: best_epoch = None, and counters for calls made and calls without improvement.
        self.patience = patience
        self.min_delta = min_delta
        self.best_loss = math.inf
        self.best_epoch = None
        self.calls = 0
        self.calls_without_improvement = 0
        ### END SOLUTION

    def step(self, val_loss):
        """Record one epoch's validation loss; return True when training should stop."""
        ### BEGIN SOLUTION
        ### HINT: an improvement is best_loss - val_loss > min_delta: record it and reset the
        ### HINT: count; otherwise count one more; return whether the count reached patience.
        if self.best_loss - val_loss > self.min_delta:
            self.best_loss = val_loss
            self.best_epoch = self.calls
            self.calls_without_improvement = 0
        else:
            self.calls_without_improvement += 1
        self.calls += 1
        return self.calls_without_improvement >= self.patience
        ### END SOLUTION


def _cos_sin(degrees):
    """Given: cos and sin of an angle in degrees, exact (0 or ±1) at multiples of 90.

    np.cos(np.pi / 2) is 6e-17, not 0; exact values keep rotations by
    multiples of 90 degrees exact.
    """
    quarter_turns, remainder = divmod(degrees, 90)
    if remainder == 0:
        return [(1.0, 0.0), (0.0, 1.0), (-1.0, 0.0), (0.0, -1.0)][int(quarter_turns) % 4]
    theta = math.radians(degrees)
    return math.cos(theta), math.sin(theta)


def rotate(image, degrees):
    """Data augmentation: rotate a 2-D image counter-clockwise by ``degrees``, same shape.

    Counter-clockwise as displayed (row 0 at the top) about the centre
    ((H-1)/2, (W-1)/2), with nearest-neighbour sampling (最近邻插值). The
    trick is to work backwards: for every output pixel, rotate its position
    clockwise to find where it came from in the input, round to the nearest
    pixel, and copy that pixel, or 0 where it lies outside the image.
    Working forwards instead would leave holes. Relative to the centre, with
    x to the right and y downwards, the source of (y, x) is
        x_src = x cos θ - y sin θ,    y_src = x sin θ + y cos θ.
    Rotating by 90 degrees gives ``np.rot90`` for square images.
    """
    ### BEGIN SOLUTION
    ### HINT: np.indices((H, W)) gives every output pixel's row and column; subtract the centre,
    ### HINT: apply the formula of the docstring, add the centre back, round with np.rint,
    ### HINT: and copy the pixels whose source lies inside the image.
    image = np.asarray(image)
    height, width = image.shape
    cy, cx = (height - 1) / 2, (width - 1) / 2
    cos, sin = _cos_sin(degrees)
    rows, cols = np.indices((height, width))
    y, x = rows - cy, cols - cx
    src_rows = np.rint(x * sin + y * cos + cy).astype(int)
    src_cols = np.rint(x * cos - y * sin + cx).astype(int)
    inside = (src_rows >= 0) & (src_rows < height) & (src_cols >= 0) & (src_cols < width)
    out = np.zeros_like(image)
    out[inside] = image[src_rows[inside], src_cols[inside]]
    return out
    ### END SOLUTION
