"""Hidden tests of activations.py: sigmoid, tanh, relu and their derivatives with respect to z."""

from __future__ import annotations

import functools

import numpy as np
import pytest

from nngrade.suite import (
    Mistake,
    expect_close,
    expect_dtype,
    expect_equal,
    expect_no_warnings,
    inputs,
    reference,
)

ref = reference("activations")  # each answer computed once per process


def _sigmoid_prime_mistakes(z) -> list[Mistake]:
    z = np.asarray(z, dtype=float)
    with np.errstate(all="ignore"):
        return [Mistake("derivative_of_activated_value", z * (1 - z))]


# ------------------------------------------------------------------ sigmoid


@pytest.mark.contract("activations", "sigmoid")
def test_sigmoid_random(student, rng):
    """sigmoid matches the reference on random z of random shape"""
    z = rng.normal(0, 3, size=inputs.shape(rng, min_size=3))
    got = student.sigmoid(z)
    expect_close(got, ref.sigmoid(z))
    expect_dtype(got, "float")


@pytest.mark.contract("activations", "sigmoid")
def test_sigmoid_large_inputs(student, rng):
    """sigmoid stays finite, correct and warning-free for |z| up to 1e4"""
    z = inputs.large_values(rng)
    out = student.outcome("sigmoid", (z,))
    expect_close(student.value_of(out, "sigmoid"), ref.sigmoid(z))
    expect_no_warnings(out)


# ------------------------------------------------------------------ tanh


@pytest.mark.contract("activations", "tanh")
def test_tanh_random(student, rng):
    """tanh matches the reference on random z of random shape"""
    z = rng.normal(0, 2, size=inputs.shape(rng, min_size=3))
    got = student.tanh(z)
    expect_close(got, ref.tanh(z))
    expect_dtype(got, "float")


@pytest.mark.contract("activations", "tanh")
def test_tanh_scalar_and_saturation(student, rng):
    """tanh of a plain number, and of z far in the saturated tails (|z| up to 30)"""
    z0 = float(rng.normal())
    expect_close(student.tanh(z0), ref.tanh(z0))
    z = rng.uniform(10, 30, size=6) * rng.choice([-1.0, 1.0], size=6)
    expect_close(student.tanh(z), ref.tanh(z))


# ------------------------------------------------------------------ relu


@pytest.mark.contract("activations", "relu")
def test_relu_random(student, rng):
    """relu matches the reference on random z of random shape"""
    z = inputs.mixed_signs(rng.normal(0, 2, size=inputs.shape(rng, min_size=3)))
    got = student.relu(z)
    expect_close(got, ref.relu(z))
    expect_dtype(got, "float")


@pytest.mark.contract("activations", "relu")
def test_relu_zeros_and_integers(student, rng):
    """relu of exact zeros, and of an integer array, keeps the shape"""
    shape = (2,) + inputs.shape(rng, max_ndim=2, min_size=3)
    z = inputs.mixed_signs(rng.integers(-3, 4, size=shape), zero=True)
    expect_close(student.relu(z), ref.relu(z))


# ------------------------------------------------------------------ sigmoid_prime


@pytest.mark.contract("activations", "sigmoid_prime")
def test_sigmoid_prime_random(student, rng):
    """sigmoid_prime matches the reference on random z of random shape"""
    z = rng.normal(0, 3, size=inputs.shape(rng, min_size=3))
    got = student.sigmoid_prime(z)
    expect_close(got, ref.sigmoid_prime(z),
                 mistakes=lambda: _sigmoid_prime_mistakes(z))
    expect_dtype(got, "float")


@pytest.mark.contract("activations", "sigmoid_prime")
def test_sigmoid_prime_at_zero_and_scalars(student, rng):
    """sigmoid_prime(0) is 0.25 (its maximum), and plain numbers work"""
    for z in (0.0, float(rng.normal(0, 2)), float(rng.uniform(2, 6))):
        expect_close(student.sigmoid_prime(z), ref.sigmoid_prime(z),
                     mistakes=functools.partial(_sigmoid_prime_mistakes, z))


@pytest.mark.contract("activations", "sigmoid_prime")
def test_sigmoid_prime_large_inputs(student, rng):
    """sigmoid_prime stays finite, correct and warning-free for |z| up to 1e4"""
    z = inputs.large_values(rng)
    out = student.outcome("sigmoid_prime", (z,))
    expect_close(student.value_of(out, "sigmoid_prime"), ref.sigmoid_prime(z),
                 mistakes=lambda: _sigmoid_prime_mistakes(z))
    expect_no_warnings(out)


# ------------------------------------------------------------------ tanh_prime


@pytest.mark.contract("activations", "tanh_prime")
def test_tanh_prime_random(student, rng):
    """tanh_prime matches the reference on random z of random shape"""
    z = rng.normal(0, 2, size=inputs.shape(rng, min_size=3))
    got = student.tanh_prime(z)
    expect_close(got, ref.tanh_prime(z),
                 mistakes=lambda: [Mistake("derivative_of_activated_value", 1 - z**2)])
    expect_dtype(got, "float")


@pytest.mark.contract("activations", "tanh_prime")
def test_tanh_prime_zero_and_tails(student, rng):
    """tanh_prime(0) is 1, and it goes to 0 in the tails (|z| up to 30)"""
    z = np.concatenate([[0.0], rng.uniform(5, 30, size=5) * rng.choice([-1.0, 1.0], size=5)])
    expect_close(student.tanh_prime(z), ref.tanh_prime(z),
                 mistakes=lambda: [Mistake("derivative_of_activated_value", 1 - z**2)])


# ------------------------------------------------------------------ relu_prime


def _relu_prime_mistakes(z) -> list[Mistake]:
    return [Mistake("relu_prime_one_at_zero", (np.asarray(z) >= 0).astype(float))]


@pytest.mark.contract("activations", "relu_prime")
def test_relu_prime_random(student, rng):
    """relu_prime matches the reference on random z of random shape"""
    z = inputs.mixed_signs(rng.normal(0, 2, size=inputs.shape(rng, min_size=3)))
    got = student.relu_prime(z)
    expect_equal(got, ref.relu_prime(z),
                 mistakes=lambda: _relu_prime_mistakes(z))
    expect_dtype(got, "float")


@pytest.mark.contract("activations", "relu_prime")
def test_relu_prime_at_zero(student, rng):
    """relu_prime(0) == 0, for exact zeros in an array and for the scalar 0"""
    shape = inputs.shape(rng, min_size=3)
    z = inputs.mixed_signs(rng.choice([-1.5, 0.0, 0.0, 2.0], size=shape), zero=True)
    expect_equal(student.relu_prime(z), ref.relu_prime(z),
                 mistakes=lambda: _relu_prime_mistakes(z))
    expect_equal(student.relu_prime(0.0), ref.relu_prime(0.0),
                 mistakes=lambda: _relu_prime_mistakes(0.0))


@pytest.mark.contract("activations", "relu_prime")
def test_relu_prime_integer_input(student, rng):
    """relu_prime of an integer array of random shape, zeros included"""
    shape = (2,) + inputs.shape(rng, max_ndim=2, min_size=3)
    z = inputs.mixed_signs(rng.integers(-3, 4, size=shape), zero=True)
    expect_equal(student.relu_prime(z), ref.relu_prime(z),
                 mistakes=lambda: _relu_prime_mistakes(z))
