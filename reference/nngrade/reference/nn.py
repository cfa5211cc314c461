"""A small neural-network library on top of the engine: modules, losses and SGD.

Everything here is built from :class:`~nngrade.reference.engine.Tensor`
operations, so every gradient is the engine's: a module only says how to
compute its output. The pieces are the ones the lecture uses: fully
connected layers, activations, inverted dropout, the MSE with the lecture's
1/(2m), cross-entropy (from probabilities and from logits), and plain or
momentum SGD. Randomness always comes from a seeded ``numpy.random.Generator``
so that runs are reproducible.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import numpy as np

from nngrade.reference.engine import ArrayLike, Tensor

__all__ = [
    "Module",
    "Linear",
    "Sequential",
    "ReLU",
    "Sigmoid",
    "Tanh",
    "Dropout",
    "dropout",
    "mse_loss",
    "cross_entropy",
    "cross_entropy_with_logits",
    "SGD",
]

RngLike = np.random.Generator | int | None


def _rng(rng: RngLike) -> np.random.Generator:
    """A Generator from a Generator, a seed or None (fresh entropy)."""
    return rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)


class Module:
    """Base class: a callable with parameters and a training/evaluation mode.

    Parameters are found by looking at attributes: every ``Tensor`` that
    requires a gradient, every sub-``Module``, and lists or tuples of those.
    Subclasses implement :meth:`forward`.
    """

    training: bool = True

    def forward(self, x: Tensor) -> Tensor:
        raise NotImplementedError

    def __call__(self, x: ArrayLike) -> Tensor:
        return self.forward(x if isinstance(x, Tensor) else Tensor(x))

    def children(self) -> Iterator[Module]:
        for value in vars(self).values():
            items = value if isinstance(value, (list, tuple)) else (value,)
            yield from (m for m in items if isinstance(m, Module))

    def parameters(self) -> list[Tensor]:
        """Every trainable tensor of this module and its sub-modules, once each, in order."""
        found: list[Tensor] = []
        seen: set[int] = set()
        for value in vars(self).values():
            items = value if isinstance(value, (list, tuple)) else (value,)
            for item in items:
                params = item.parameters() if isinstance(item, Module) else [item]
                for p in params:
                    if isinstance(p, Tensor) and p.requires_grad and id(p) not in seen:
                        seen.add(id(p))
                        found.append(p)
        return found

    def zero_grad(self) -> None:
        for p in self.parameters():
            p.grad = None

    def train(self, mode: bool = True) -> Module:
        """Switch this module and all sub-modules to training (or, with False, evaluation) mode."""
        self.training = mode
        for child in self.children():
            child.train(mode)
        return self

    def eval(self) -> Module:
        return self.train(False)


class Linear(Module):
    """A fully connected layer ``x @ weight + bias``, weight shaped (in_features, out_features).

    The lecture writes layers as ``x @ w`` with a batch of rows, so the weight
    is stored that way round. Initialisation is uniform in
    ±1/sqrt(in_features), which keeps the pre-activations of a fresh layer
    of order one whatever its width.
    """

    def __init__(
        self, in_features: int, out_features: int, bias: bool = True, rng: RngLike = None
    ) -> None:
        gen = _rng(rng)
        bound = 1.0 / np.sqrt(in_features)
        self.weight = Tensor(
            gen.uniform(-bound, bound, (in_features, out_features)), requires_grad=True
        )
        self.bias = (
            Tensor(gen.uniform(-bound, bound, out_features), requires_grad=True) if bias else None
        )

    def forward(self, x: Tensor) -> Tensor:
        out = x @ self.weight
        return out + self.bias if self.bias is not None else out


class Sequential(Module):
    """Modules applied one after the other."""

    def __init__(self, *layers: Module) -> None:
        self.layers = list(layers)

    def forward(self, x: Tensor) -> Tensor:
        for layer in self.layers:
            x = layer(x)
        return x

    def __getitem__(self, i: int) -> Module:
        return self.layers[i]

    def __len__(self) -> int:
        return len(self.layers)


class ReLU(Module):
    def forward(self, x: Tensor) -> Tensor:
        return x.relu()


class Sigmoid(Module):
    def forward(self, x: Tensor) -> Tensor:
        return x.sigmoid()


class Tanh(Module):
    def forward(self, x: Tensor) -> Tensor:
        return x.tanh()


def _check_p(p: float) -> None:
    if not 0.0 <= p < 1.0:
        raise ValueError(f"dropout probability must lie in [0, 1), got {p!r}")


def dropout(x: ArrayLike, p: float, mask: np.ndarray) -> Tensor:
    """Inverted dropout with a given boolean ``mask`` of kept entries: ``x * mask / (1 - p)``.

    Dividing by the keep probability during training keeps every entry's
    expected value, so evaluation needs no rescaling. Written as one
    multiplication by a constant, so the engine derives the backward pass.
    """
    _check_p(p)
    return (x if isinstance(x, Tensor) else Tensor(x)) * (np.asarray(mask) / (1.0 - p))


class Dropout(Module):
    """Inverted dropout: in training mode each entry is kept with probability 1 - p.

    In evaluation mode (``.eval()``) or with p == 0 it is the identity. The
    mask of the last training call is kept in ``self.mask``.
    """

    def __init__(self, p: float = 0.5, rng: RngLike = None) -> None:
        _check_p(p)
        self.p = p
        self.rng = _rng(rng)
        self.mask: np.ndarray | None = None

    def forward(self, x: Tensor) -> Tensor:
        if not self.training or self.p == 0.0:
            return x
        self.mask = self.rng.random(x.shape) >= self.p
        return dropout(x, self.p, self.mask)


def mse_loss(y_pred: Tensor, y: ArrayLike) -> Tensor:
    """The lecture's mean squared error J = 1/(2m) * sum((y - y_pred)**2), m = len(y).

    m counts examples (rows), not entries; the 1/2 cancels the 2 of the
    derivative. A scalar y counts as one example.
    """
    y_arr = y.data if isinstance(y, Tensor) else np.asarray(y)
    m = y_arr.shape[0] if y_arr.ndim else 1
    return ((y - y_pred) ** 2).sum() * (1.0 / (2 * m))


def _constant(x: ArrayLike) -> np.ndarray:
    """Targets are data, not parameters: their array, as floats."""
    return np.asarray(x.data if isinstance(x, Tensor) else x, dtype=float)


def cross_entropy(probs: ArrayLike, targets: ArrayLike) -> Tensor:
    """Mean over rows of -sum(targets * ln(probs)); a 1-D input is one row.

    Terms whose target is 0 contribute 0 even where the probability is 0
    (the limit of t*ln(p)), so a confident one-hot prediction is fine; a
    zero probability on a non-zero target gives an infinite loss.
    """
    probs = probs if isinstance(probs, Tensor) else Tensor(probs)
    if probs.ndim == 1:
        probs = probs.reshape(1, -1)
    t = np.broadcast_to(_constant(targets).reshape(-1, probs.shape[-1]), probs.shape)
    where = np.nonzero(t)  # only these entries of probs enter the loss
    with np.errstate(divide="ignore"):
        log_p = probs[where].log()
    return (log_p * t[where]).sum() * (-1.0 / probs.shape[0])


def cross_entropy_with_logits(logits: Tensor, targets: ArrayLike) -> Tensor:
    """Cross-entropy of softmax(logits) without forming the probabilities: stable for any logits.

    ``targets`` is either class probabilities shaped like ``logits`` (e.g.
    one-hot rows) or an integer label per row. Mean over rows; a 1-D input is
    one row.
    """
    logits = logits if isinstance(logits, Tensor) else Tensor(logits)
    if logits.ndim == 1:
        logits = logits.reshape(1, -1)
    log_probs = logits.log_softmax(axis=-1)
    n = logits.shape[0]
    t = np.asarray(targets.data if isinstance(targets, Tensor) else targets)
    if t.dtype.kind in "iu" and t.size == n and t.ndim <= 1:  # one class label per row
        return log_probs[np.arange(n), t.reshape(n)].sum() * (-1.0 / n)
    return (log_probs * t.astype(float).reshape(log_probs.shape)).sum() * (-1.0 / n)


class SGD:
    """Stochastic gradient descent: p <- p - lr * v, with v = momentum * v + grad.

    With ``momentum=0`` this is the lecture's plain update p <- p - lr * grad.
    Parameters are updated in place (their arrays keep their identity), and
    a parameter without a gradient is left alone.

    ``lr * grad`` goes into a scratch array kept per parameter. A fresh
    temporary every step would be freed every step too, and for large
    parameters malloc then hands the memory back to the system and takes
    page faults to get it back: that alone can double a float64 step.
    """

    def __init__(self, params: Iterable[Tensor], lr: float, momentum: float = 0.0) -> None:
        self.params = list(params)
        self.lr = lr
        self.momentum = momentum
        self.velocity: list[np.ndarray | None] = [None] * len(self.params)
        self._scratch: list[np.ndarray | None] = [None] * len(self.params)

    def step(self) -> None:
        lr, scratch = self.lr, self._scratch
        for i, p in enumerate(self.params):
            g = p.grad
            if g is None:
                continue
            if self.momentum:
                g = self._velocity(i, g)
            buf = scratch[i]
            if buf is None or buf.shape != g.shape:
                buf = scratch[i] = np.empty_like(p.data)
            np.multiply(g, lr, buf)
            p.data -= buf

    def _velocity(self, i: int, g: np.ndarray) -> np.ndarray:
        """v <- momentum * v + g, kept per parameter (v starts as the first gradient)."""
        v = self.velocity[i]
        if v is None:
            self.velocity[i] = v = np.array(g)
        else:
            v *= self.momentum
            v += g
        return v

    def zero_grad(self) -> None:
        for p in self.params:
            p.grad = None
