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
    Generator ``rng`` (one uniform draw per entry, kept when it is at least
    p), so that the same generator state gives the same mask. Kept entries are
    scaled by 1/(1 - p), so the expected value of every entry is unchanged
    and nothing needs rescaling at test time. When ``training`` is False or
    p == 0, out equals x and mask is all True. p outside [0, 1) raises
    ValueError.
    """
    ### BEGIN SOLUTION
    ### HINT: Slide Dropout: check p first; outside training, or with p = 0, nothing is dropped.
    ### HINT: Otherwise keep each entry with probability 1 - p, with the mask drawn from rng as the
    ### HINT: docstring says, and scale the kept entries so that the expected value is unchanged
    ### HINT: (inverted dropout). Aim for (a float array shaped like x, a boolean mask). Pitfalls:
    ### HINT: p is the probability to drop, not to keep; np.random instead of rng.
    ### HINT: 提示（Dropout）：先检查 p；不在训练或 p = 0 时什么都不丢弃。
    ### HINT: 否则每个元素以 1 - p 的概率保留，掩码按文档字符串的方式从 rng 抽取，
    ### HINT: 保留的元素要放大，使期望不变（inverted dropout）。注意：p 是丢弃的概率；
    ### HINT: 要用 rng 而不是 np.random。
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
    ### HINT: The forward pass was linear in x: the gradient flows back through the same mask, with
    ### HINT: the same scale.
    ### HINT: 提示：前向是关于 x 的线性运算：梯度沿同一个掩码、以同样的缩放传回去。
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
        ### HINT: Slide 早停策略: what must be remembered between calls? The best loss so far (inf
        ### HINT: before any call), the call that gave it (None before any call), and how many
        ### HINT: calls in a row brought no improvement.
        ### HINT: 提示（早停策略）：两次调用之间要记住什么？目前最好的损失（调用前为 inf）、
        ### HINT: 它出现在第几次调用（调用前为 None），以及已经连续多少次没有改进。
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
        ### HINT: An improvement means the loss fell below the best by more than min_delta (nan
        ### HINT: never does). Record it, or count one more call without one; return whether that
        ### HINT: count reached patience. best_epoch counts calls from 0.
        ### HINT: 提示：损失比目前最好值低出 min_delta 以上才算改进（nan 永远不算）。
        ### HINT: 有改进就记录下来，否则把「连续未改进」加一；返回它是否达到 patience。
        ### HINT: best_epoch 从 0 开始数调用次数。
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
    ### HINT: Slide 数据增强: work backwards. For every output pixel find where it came from (its
    ### HINT: position rotated about the centre the other way: the docstring's formula), round to
    ### HINT: the nearest pixel and copy it, or 0 outside the image; all pixels at once,
    ### HINT: vectorised. Pitfalls: mapping forwards leaves holes; rows grow downwards, so
    ### HINT: "counter-clockwise as displayed" flips the sign of y.
    ### HINT: 提示（数据增强）：反向思考。对每个输出像素，找出它来自输入中的哪里（绕中心反向旋转其
    ### HINT: 位置，公式见文档字符串），取最近的像素复制过来，落在图外则为 0；
    ### HINT: 对所有像素一次性向量化计算。注意：行号向下增大。
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
