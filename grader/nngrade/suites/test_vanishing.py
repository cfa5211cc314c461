"""Hidden tests of vanishing.py: the lecture's chain y = w*f(w*y) and its gradient dC/dw1."""

from __future__ import annotations

import numpy as np
import pytest

from nngrade.suite import (
    Mistake,
    expect_close,
    expect_true,
    expect_value_error,
    msg,
    reference,
)

ref_act = reference("activations")  # each answer computed once per process
ref = reference("vanishing")  # each answer computed once per process

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
    expect_close(got, expected, rtol=RTOL, atol=ATOL,
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
                                            after=depth, was=f"{previous:.3g}", now=f"{got:.3g}"))
        previous = got


@pytest.mark.contract("vanishing", "chain_gradient")
def test_chain_gradient_other_inputs(student, rng):
    """chain_gradient with other x and Y, for sigmoid and tanh"""
    for activation in ("sigmoid", "tanh"):
        x, Y = (float(v) for v in rng.uniform(-2, 2, size=2))  # noqa: N806
        _check(student, int(rng.integers(1, 8)), activation, x=x, Y=Y)


@pytest.mark.contract("vanishing", "chain_gradient")
def test_chain_gradient_unknown_activation_raises(student, rng):
    """chain_gradient with an activation other than sigmoid, tanh or relu raises ValueError"""
    # A dict lookup raises KeyError, which the contract does not allow.
    for activation in ("softplus", str(rng.choice(["Sigmoid", "gelu", "linear"]))):
        expect_value_error(student, "chain_gradient", (int(rng.integers(1, 5)), activation))


# ------------------------------------------------------------------ layer_gradients
#
# dC/dw for w1 and for each layer's own w: a layer uses its weight twice,
# y_k = w * f(w * y_(k-1)). The classic slips below are computed by hand from the
# reference's activations, only to name a failed check.


def _layer_alternatives(depth: int, activation: str, x: float,
                        Y: float) -> list[tuple[str, np.ndarray]]:  # noqa: N803
    f = {"sigmoid": ref_act.sigmoid, "tanh": ref_act.tanh, "relu": ref_act.relu}[activation]
    fp = {"sigmoid": ref_act.sigmoid_prime, "tanh": ref_act.tanh_prime,
          "relu": ref_act.relu_prime}[activation]
    y, inputs = x, []
    for _ in range(depth):
        inputs.append(y)
        y = float(f(y))
    right = np.asarray(ref.layer_gradients(depth, activation, x=x, Y=Y), dtype=float)
    outer, inner, upstream = [], [], -2.0 * (Y - y)
    for y_in in reversed(inputs):  # every w = 1, so z_k = y_(k-1)
        outer.append(upstream * float(f(y_in)))
        inner.append(upstream * float(fp(y_in)) * y_in)
        upstream *= float(fp(y_in))
    first = upstream * x
    wrong = [("layer_gradients_reversed", right[::-1]),
             ("layer_gradients_one_use", np.array([first] + outer[::-1])),
             ("layer_gradients_one_use", np.array([first] + inner[::-1])),
             ("layer_gradients_reversed", np.array([first] + (np.array(outer) +
                                                              np.array(inner)).tolist()))]
    # f' taken at the activated value f(z) (chain_gradient's classic slip), layer by layer
    y, acts = x, []
    for _ in range(depth):
        y = float(f(y))
        acts.append(y)
    upstream, grads = -2.0 * (Y - y), []
    for y_in, a in zip(reversed(inputs), reversed(acts), strict=True):
        slope = float(fp(a))
        grads.append(upstream * (a + slope * y_in))
        upstream *= slope
    wrong.append(("vanishing_wrong_derivative", np.array([upstream * x] + grads[::-1])))
    return wrong


def _check_layers(student, depth: int, activation: str | None = None, x: float | None = None,
                  Y: float | None = None) -> None:  # noqa: N803
    kwargs = {k: v for k, v in (("activation", activation), ("x", x), ("Y", Y))
              if v is not None}
    got = student.layer_gradients(depth, **kwargs)
    call = student.last_call
    act = "sigmoid" if activation is None else activation
    x_in = 1.0 if x is None else x
    target = 1.0 if Y is None else Y
    expected = np.asarray(ref.layer_gradients(depth, act, x=x_in, Y=target), dtype=float)
    expect_true(isinstance(got, np.ndarray) and got.dtype.kind == "f",
                msg("vanishing.layer_gradients_float"),
                call=call, got=got, expected=expected)
    expect_close(got, expected, call=call, rtol=RTOL, atol=ATOL, allow_scalar_as_array=False,
                 what=msg("what.layer_gradients", count=depth + 1), figure="gradients",
                 mistakes=lambda: [Mistake(code, value) for code, value in
                                   _layer_alternatives(depth, act, x_in, target)])


@pytest.mark.contract("vanishing", "layer_gradients")
def test_layer_gradients_sigmoid_chain(student, rng):
    """the lecture's sigmoid chain with 4 hidden layers, and a deeper one: w1 first"""
    _check_layers(student, 4)
    _check_layers(student, int(rng.integers(5, 13)), "sigmoid")


@pytest.mark.contract("vanishing", "layer_gradients")
def test_layer_gradients_tanh_and_relu(student, rng):
    """tanh and relu chains with other x and Y, relu both passing and blocking"""
    _check_layers(student, 5, "tanh", x=-0.8, Y=0.5)
    _check_layers(student, 3, "relu", x=0.5, Y=2.0)  # active: both uses of w count equally
    _check_layers(student, 2, "relu", x=-0.7, Y=1.0)  # dead: every gradient is 0
    activation = str(rng.choice(["tanh", "relu"]))
    x, Y = (round(float(v), 3) for v in rng.uniform(0.2, 2.0, size=2))  # noqa: N806
    _check_layers(student, int(rng.integers(2, 8)), activation, x=x, Y=Y + 0.5)


@pytest.mark.contract("vanishing", "layer_gradients")
def test_layer_gradients_short_chains(student, rng):
    """depth 0 gives [dC/dw1] alone; depth 1 gives two entries"""
    x = round(float(rng.uniform(0.3, 2.0)), 3)
    _check_layers(student, 0, "sigmoid", x=x, Y=-1.0)
    _check_layers(student, 1, "sigmoid", x=-x, Y=2.0)
    _check_layers(student, 1, "relu", x=x, Y=x + 1.5)
