"""Hidden tests of vanishing.py: the lecture's chain y = w*f(w*y) and its gradient dC/dw1."""

from __future__ import annotations

import numpy as np
import pytest

from nngrade.answers import remembered
from nngrade.feedback import Mistake, expect_close, expect_true
from nngrade.messages import msg
from nngrade.reference.course import activations as _ref_act_module
from nngrade.reference.course import vanishing as _ref_module

ref_act = remembered(_ref_act_module)  # each answer computed once per process
ref = remembered(_ref_module)  # each answer computed once per process

# The gradient of a deep sigmoid chain is tiny (0.25**20 ~ 1e-12): compare relatively only.
RTOL, ATOL = 1e-6, 1e-300


def _wrong_chain(depth: int, activation: str, x: float, Y: float) -> float:  # noqa: N803
    """The classic mistake: each f' evaluated at the activated value f(z), not at z."""
    f = {"sigmoid": ref_act.sigmoid, "tanh": ref_act.tanh, "relu": ref_act.relu}[activation]
    f_prime = {"sigmoid": ref_act.sigmoid_prime, "tanh": ref_act.tanh_prime,
               "relu": ref_act.relu_prime}[activation]
    y, factors = x, []
    for _ in range(depth):
        y = float(f(y))
        factors.append(float(f_prime(y)))
    return float(-2.0 * (Y - y) * np.prod(factors) * x)


def _check(student, depth: int, activation: str, x: float | None = None,
           Y: float | None = None) -> float:  # noqa: N803
    kwargs = {}
    if x is not None:
        kwargs["x"] = x
    if Y is not None:
        kwargs["Y"] = Y
    got = student.chain_gradient(depth, activation, **kwargs)
    expected = ref.chain_gradient(depth, activation, **kwargs)
    expect_close(got, expected, call=student.last_call, rtol=RTOL, atol=ATOL,
                 mistakes=lambda: [Mistake("vanishing_wrong_derivative",
                                   _wrong_chain(depth, activation, kwargs.get("x", 1.0),
                                                kwargs.get("Y", 1.0)))])
    return float(np.asarray(got, dtype=float).reshape(-1)[0])


@pytest.mark.contract("vanishing", "chain_gradient")
def test_chain_gradient_sigmoid(student, rng):
    """chain_gradient(depth, "sigmoid") for depths 1, a few and many"""
    for depth in (1, int(rng.integers(2, 6)), int(rng.integers(10, 25))):
        _check(student, depth, "sigmoid")


@pytest.mark.contract("vanishing", "chain_gradient")
def test_chain_gradient_tanh(student, rng):
    """chain_gradient(depth, "tanh") for several depths"""
    for depth in (1, int(rng.integers(2, 6)), int(rng.integers(8, 16))):
        _check(student, depth, "tanh")


@pytest.mark.contract("vanishing", "chain_gradient")
def test_chain_gradient_relu(student, rng):
    """chain_gradient(depth, "relu") for several depths, positive and negative x"""
    x = float(rng.uniform(0.5, 2.0))
    Y = float(rng.uniform(2.5, 4.0))  # noqa: N806
    for depth in (1, int(rng.integers(2, 12))):
        _check(student, depth, "relu", x=x, Y=Y)
    _check(student, int(rng.integers(1, 6)), "relu", x=-x, Y=Y)


@pytest.mark.contract("vanishing", "chain_gradient")
def test_chain_gradient_sigmoid_vanishes(student, rng):
    """with the sigmoid, |dC/dw1| shrinks at every extra layer"""
    start = int(rng.integers(1, 4))
    previous = None
    for depth in range(start, start + 6):
        got = abs(_check(student, depth, "sigmoid"))
        if previous is not None:
            expect_true(got < previous, msg("vanishing.should_shrink_at", before=depth - 1,
                                            after=depth, was=f"{previous:.3g}", now=f"{got:.3g}"),
                        call=student.last_call)
        previous = got


@pytest.mark.contract("vanishing", "chain_gradient")
def test_chain_gradient_other_inputs(student, rng):
    """chain_gradient with other x and Y, for sigmoid and tanh"""
    for activation in ("sigmoid", "tanh"):
        x, Y = (float(v) for v in rng.uniform(-2, 2, size=2))  # noqa: N806
        _check(student, int(rng.integers(1, 8)), activation, x=x, Y=Y)
