"""Gradient checking: compare the engine's gradients with central differences.

Central differences (f(x + h) - f(x - h)) / 2h need no calculus and have
error O(h**2), so they are the independent witness for any analytic or
automatic gradient. :func:`gradcheck` works on any function of tensors with
an output of any shape: it reduces the output to one number with fixed
random weights (so every output entry is checked at once), differentiates
that number with the engine, and compares entry by entry with central
differences of the same number. The verdict is relative: an entry passes
when |analytic - numeric| <= atol + rtol * max(|analytic|, |numeric|).

The engine is differentiated twice, with the gradients zeroed in between, and
both passes must agree to the last bit: a leaf keeps the array of its last
gradient (if it is a page or more) and the engine writes the next one into
it, so the second pass checks that what an array held before never leaks
into a gradient.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

import numpy as np

from nngrade.reference.engine import ArrayLike, Tensor, no_grad

__all__ = ["numerical_gradient", "gradcheck", "GradcheckReport", "InputCheck", "GradcheckError"]


def numerical_gradient(
    f: Callable[[np.ndarray], float], x: ArrayLike, h: float = 1e-5
) -> np.ndarray:
    """d f / d x by central differences, for a scalar function ``f`` of the float array ``x``.

    Perturbs one entry at a time of a private float copy, so the caller's
    ``x`` is never touched (even if ``f`` fails halfway).
    """
    x = np.array(x, dtype=float)
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + h
        f_plus = float(f(x))
        x[i] = old - h
        f_minus = float(f(x))
        x[i] = old
        grad[i] = (f_plus - f_minus) / (2.0 * h)
    return grad


@dataclass(frozen=True)
class InputCheck:
    """The comparison for one input: worst absolute and relative error, and the verdict.

    ``repeatable`` is False when a second backward pass (into the arrays the
    first left behind) gave other bits than the first; ``ok`` is then False.
    """

    index: int
    shape: tuple[int, ...]
    max_abs_error: float
    max_rel_error: float
    worst_entry: tuple[int, ...] | None
    ok: bool
    repeatable: bool = True


@dataclass(frozen=True)
class GradcheckReport:
    """The outcome of :func:`gradcheck`, one :class:`InputCheck` per checked input."""

    inputs: list[InputCheck]

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.inputs)

    @property
    def max_rel_error(self) -> float:
        return max((c.max_rel_error for c in self.inputs), default=0.0)

    def __str__(self) -> str:
        lines = [
            f"input {c.index} {c.shape}: max abs error {c.max_abs_error:.3g}, "
            f"max rel error {c.max_rel_error:.3g} at {c.worst_entry}"
            + ("" if c.repeatable else ", a second backward pass gave other values")
            + (" -> ok" if c.ok else " -> FAILED")
            for c in self.inputs
        ]
        return "\n".join(lines)


class GradcheckError(AssertionError):
    """Raised by :func:`gradcheck` when some input's gradient disagrees; carries the report."""

    def __init__(self, report: GradcheckReport) -> None:
        bad = [c for c in report.inputs if not c.ok]
        worst = max(bad, key=lambda c: c.max_rel_error)
        super().__init__(
            f"gradient check failed for input {worst.index} (shape {worst.shape}): "
            f"max relative error {worst.max_rel_error:.3g}, max absolute error "
            f"{worst.max_abs_error:.3g} at entry {worst.worst_entry}\n{report}"
        )
        self.report = report


def gradcheck(
    f: Callable[..., Tensor],
    *inputs: ArrayLike,
    h: float = 1e-6,
    rtol: float = 1e-5,
    atol: float = 1e-7,
    seed: int = 0,
    raise_exception: bool = True,
) -> GradcheckReport:
    """Check the engine's gradients of ``f(*inputs)`` against central differences.

    Arrays, numbers and tensors with ``requires_grad=True`` are checked (as
    float64 copies); tensors without it are passed through as constants.
    Raises :class:`GradcheckError` naming the worst input unless
    ``raise_exception`` is False; returns the :class:`GradcheckReport`.
    """
    checked: list[int] = []
    args: list[Tensor] = []
    for i, x in enumerate(inputs):
        if isinstance(x, Tensor) and not x.requires_grad:
            args.append(x)
        else:
            data = x.data if isinstance(x, Tensor) else x
            args.append(Tensor(np.array(data, dtype=np.float64), requires_grad=True))
            checked.append(i)

    out = f(*args)
    weights = np.random.default_rng(seed).normal(size=out.shape)
    (out * weights).sum().backward()
    first = [None if args[i].grad is None else np.array(args[i].grad) for i in checked]
    for i in checked:  # dropped, not kept: the next pass may write into the same arrays
        args[i].grad = None
    (f(*args) * weights).sum().backward()

    def scalar(i: int, value: np.ndarray) -> float:
        trial = list(args)
        trial[i] = Tensor(value)
        with no_grad():
            return float(np.sum(f(*trial).data * weights))

    results = []
    for i, before in zip(checked, first, strict=True):
        grad = args[i].grad
        repeatable = (grad is None and before is None) or (
            grad is not None and before is not None and np.array_equal(grad, before, equal_nan=True)
        )
        analytic = grad if grad is not None else np.zeros(args[i].shape)
        numeric = numerical_gradient(partial(scalar, i), args[i].data, h)
        diff = np.abs(analytic - numeric)
        scale = np.maximum(np.abs(analytic), np.abs(numeric))
        with np.errstate(divide="ignore", invalid="ignore"):
            rel = np.where(scale > 0, diff / scale, 0.0)
        bad = diff > atol + rtol * scale
        worst = None
        if rel.size:
            worst = tuple(int(k) for k in np.unravel_index(np.argmax(rel), rel.shape))
        results.append(
            InputCheck(
                index=i,
                shape=args[i].shape,
                max_abs_error=float(diff.max(initial=0.0)),
                max_rel_error=float(rel.max(initial=0.0)),
                worst_entry=worst,
                ok=not bool(np.any(bad)) and bool(np.all(np.isfinite(analytic))) and repeatable,
                repeatable=repeatable,
            )
        )
    report = GradcheckReport(results)
    if raise_exception and not report.ok:
        raise GradcheckError(report)
    return report
