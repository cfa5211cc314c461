"""The inputs hidden tests draw, in one place: random draws around fixed distinguishing cases.

A grade must depend on the code alone, never on the seed. So a random input
only adds to the cases that tell a right answer from a known wrong one; those
cases are placed on purpose, under every seed: both signs and exact zeros
(a step or relu' at 0), values large enough to overflow a naive formula,
labels at both ends of their range, sizes that differ pairwise (a transposed
gradient has the wrong shape), functions whose entries interact (a
difference taken at the wrong point shows). Each helper says which case it
guarantees. Every helper draws from the test's ``rng`` only, so the inputs
are a function of the seed and the test's id.

The suites used to keep a copy of each helper of their own; the copies
drifted (one ``_shape`` guaranteed three entries, another did not). Add a
new kind of input here, with the case it guarantees in its docstring.
"""

from __future__ import annotations

import numpy as np

from nngrade.worker.protocol import Fn

__all__ = [
    "distinct_sizes",
    "labels",
    "large_values",
    "mixed_signs",
    "non_separable",
    "quadratic",
    "shape",
    "spread",
]


def shape(rng: np.random.Generator, max_ndim: int = 3, max_len: int = 5,
          min_size: int = 1) -> tuple[int, ...]:
    """A random shape of 1 to ``max_ndim`` axes, each 1 to ``max_len`` long.

    With ``min_size`` above 1, a shape with fewer entries gets a leading
    axis of ``min_size`` (so that `mixed_signs` has room for its cases).
    """
    drawn = tuple(int(s) for s in rng.integers(1, max_len + 1,
                                                 size=rng.integers(1, max_ndim + 1)))
    return drawn if int(np.prod(drawn)) >= min_size else (min_size, *drawn)


def mixed_signs(z: np.ndarray, *, zero: bool = False) -> np.ndarray:
    """``z`` (changed in place, and returned) with a positive entry first and a negative second.

    No constant answer and no answer that ignores the sign can pass. With
    ``zero``, the last entry is an exact 0 too: the boundary where step,
    relu and relu' are most often wrong (``np.sign``, ``>=``). ``z`` needs
    at least 2 entries (3 with ``zero``): draw its shape with ``min_size``.
    """
    z.flat[0] = abs(z.flat[0]) + 1
    z.flat[1] = -abs(z.flat[1]) - 1
    if zero:
        z.flat[-1] = 0
    return z


def large_values(rng: np.random.Generator) -> np.ndarray:
    """8 to 15 values with |z| up to 1e4 and both signs, plus a 0 and a moderate value.

    ``exp(710)`` overflows: a naive sigmoid or softmax warns or returns
    nan here. -1e4 and 1e4 are always in, and a moderate value too, so an
    all-zero (or all-saturated) answer does not pass.
    """
    z = rng.choice([-1e4, -5e3, -800.0, -710.0, -50.0, 0.0, 37.0, 710.0, 800.0, 1e4],
                   size=(int(rng.integers(8, 16)),))
    z[:2] = (-1e4, 1e4)
    z = z * rng.uniform(0.5, 1.0, size=z.shape)
    z[2:4] = (0.0, rng.normal(0, 2))  # moderate values too: an all-zero answer must not pass
    return z


def labels(rng: np.random.Generator, min_classes: int = 2,
           max_classes: int = 6) -> tuple[np.ndarray, int]:
    """``(labels, num_classes)``: 3 to 9 integer labels with both 0 and num_classes - 1 in.

    The ends of the range are where an off-by-one shows (a one-hot of
    width num_classes - 1, a range check that lets num_classes through).
    """
    k = int(rng.integers(min_classes, max_classes + 1))
    drawn = rng.integers(0, k, size=int(rng.integers(3, 10)))
    drawn[0], drawn[-1] = 0, k - 1  # both ends of the range
    return drawn, k


def spread(rng: np.random.Generator, n: int, low: float = -1.0,
           high: float = 1.0) -> np.ndarray:
    """``n`` sorted inputs in [low, high], each jittered by at most a fifth of the gap.

    Evenly spread data keeps a polynomial fit well conditioned, so a right
    answer is right to many digits and a wrong one is far off.
    """
    grid = np.linspace(low, high, n)
    gap = (high - low) / max(n - 1, 1)
    return np.clip(grid + rng.uniform(-0.2, 0.2, size=n) * gap, low, high)


def distinct_sizes(rng: np.random.Generator, count: int, low: int = 2,
                   high: int = 8) -> tuple[int, ...]:
    """``count`` pairwise different sizes in [low, high]: layer widths, say.

    With all sizes different, a transposed matrix or a wrong axis has the
    wrong shape, and a product that works only for one column cannot pass.
    """
    return tuple(int(v) for v in rng.choice(np.arange(low, high + 1), size=count,
                                            replace=False))


def quadratic(rng: np.random.Generator, x_shape: tuple[int, ...]) -> Fn:
    """``f(x) = 0.5 * sum(a * (x - c)**2)`` with a in [1, 3] and c normal, shaped like x.

    A separable function (one term per entry): fine for values, blind to a
    difference taken at the wrong point; pair it with `non_separable`.
    """
    a = rng.uniform(1.0, 3.0, size=x_shape)
    c = rng.normal(size=x_shape)
    return Fn("quadratic", {"a": a, "c": c})


def non_separable(rng: np.random.Generator) -> list[tuple[Fn, np.ndarray]]:
    """Two ``(f, x)`` pairs whose entries interact: Rosenbrock at a (3, 2) x, log-sum-exp at
    a 1-D x of 3 to 6 entries.

    With a separable f a numerical gradient that shifts an earlier entry
    and forgets to restore it, or shifts every entry at once, still gives
    the right numbers; these functions' mixed second derivatives show it.
    """
    rosenbrock_x = rng.normal(0, 0.8, size=(3, 2))
    log_sum_exp_x = rng.normal(0, 1.5, size=int(rng.integers(3, 7)))
    return [(Fn("rosenbrock", {"a": 1.0, "b": 10.0}), rosenbrock_x),
            (Fn("log_sum_exp"), log_sum_exp_x)]
