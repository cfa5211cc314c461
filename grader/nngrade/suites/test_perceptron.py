"""Hidden tests of perceptron.py: the step function, one perceptron, the logic gates and XOR."""

from __future__ import annotations

import numpy as np
import pytest

from nngrade.suite import (
    Mistake,
    expect_dtype,
    expect_equal,
    inputs,
    reference,
)

ref = reference("perceptron")  # each answer computed once per process

TRUTH_A = np.array([0, 0, 1, 1])
TRUTH_B = np.array([0, 1, 0, 1])


def _py(value):
    """A numpy scalar as a Python number, so that feedback shows 0 rather than np.int64(0)."""
    return value.item() if isinstance(value, np.generic) else value


def _step_mistakes(x) -> list[Mistake]:
    x = np.asarray(x, dtype=float)
    return [
        Mistake("step_half_at_zero", (np.sign(x) + 1) / 2),
        Mistake("step_one_at_zero", (x >= 0).astype(float)),
    ]


def _truth_table(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """The four input pairs, in a random order, some repeated."""
    order = np.concatenate([rng.permutation(4), rng.integers(0, 4, size=rng.integers(0, 5))])
    return TRUTH_A[order], TRUTH_B[order]


def _broadcast_pair(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """0/1 arrays of shapes (n, 1) and (m,) that broadcast to (n, m)."""
    n, m = (int(v) for v in rng.integers(2, 6, size=2))
    a, b = rng.integers(0, 2, size=(n, 1)), rng.integers(0, 2, size=m)
    a[:2, 0], b[:2] = (0, 1), (0, 1)  # all four input pairs meet, under every seed
    return a, b


# ------------------------------------------------------------------ step


@pytest.mark.contract("perceptron", "step")
def test_step_random(student, rng):
    """step matches the reference on random x of random shape"""
    x = rng.normal(0, 2, size=(2,) + inputs.shape(rng, max_ndim=2))
    x.flat[0], x.flat[1] = abs(x.flat[0]) + 0.5, -abs(x.flat[1]) - 0.5  # no constant answer
    got = student.step(x)
    expect_equal(got, ref.step(x), mistakes=lambda: _step_mistakes(x))
    expect_dtype(got, "zero_one")


@pytest.mark.contract("perceptron", "step")
def test_step_at_zero(student, rng):
    """step(0) == 0: the boundary itself gives 0 (arrays holding exact zeros, and the scalar 0)"""
    x = rng.choice([-2.0, -0.5, 0.0, 0.25, 3.0], size=inputs.shape(rng))
    x.flat[rng.integers(x.size)] = 0.0
    expect_equal(student.step(x), ref.step(x),
                 mistakes=lambda: _step_mistakes(x))
    expect_equal(student.step(0.0), _py(ref.step(0.0)),
                 mistakes=lambda: _step_mistakes(0.0))


@pytest.mark.contract("perceptron", "step")
def test_step_integer_input(student, rng):
    """step keeps the shape of an integer array and returns only 0s and 1s"""
    x = rng.integers(-3, 4, size=(2,) + inputs.shape(rng, max_ndim=2))
    x.flat[:3] = (2, 0, -1)  # both sides and the boundary, under every seed
    got = student.step(x)
    expect_equal(got, ref.step(x), mistakes=lambda: _step_mistakes(x))
    expect_dtype(got, "zero_one")


# ------------------------------------------------------------------ perceptron


@pytest.mark.contract("perceptron", "perceptron")
def test_perceptron_single_input(student, rng):
    """perceptron on one input x of shape (d,) gives a single 0 or 1"""
    d = int(rng.integers(2, 7))
    for _ in range(3):
        x, w = rng.normal(size=d), rng.normal(size=d)
        threshold = float(rng.normal(0, 0.5))
        expect_equal(student.perceptron(x, w, threshold), _py(ref.perceptron(x, w, threshold)))


@pytest.mark.contract("perceptron", "perceptron")
def test_perceptron_batch(student, rng):
    """perceptron on a batch x of shape (n, d) gives an (n,) array of 0s and 1s"""
    n, d = int(rng.integers(3, 9)), int(rng.integers(2, 6))
    x, w = rng.normal(size=(n, d)), rng.normal(size=d)
    threshold = float(rng.normal(0, 0.5))
    # one row fires (x @ w - threshold = 1) and one does not (-1), under every seed
    x[0], x[1] = w * (threshold + 1) / (w @ w), w * (threshold - 1) / (w @ w)
    got = student.perceptron(x, w, threshold)
    expect_equal(got, ref.perceptron(x, w, threshold))
    expect_dtype(got, "zero_one")


@pytest.mark.contract("perceptron", "perceptron")
def test_perceptron_at_threshold(student, rng):
    """a weighted sum exactly equal to the threshold gives 0 ("output 0 if sum <= threshold")"""
    n, d = int(rng.integers(3, 7)), int(rng.integers(2, 5))
    x = rng.integers(-2, 3, size=(n, d)).astype(float)
    w = rng.integers(1, 4, size=d).astype(float)
    threshold = float(x[0] @ w)  # row 0 sits exactly on the threshold
    expect_equal(student.perceptron(x, w, threshold), ref.perceptron(x, w, threshold),
                 mistakes=lambda: _step_mistakes(x @ w - threshold))


# ------------------------------------------------------------------ gates

GATES = ["and_gate", "or_gate", "nand_gate"]


def _gate_truth_table(student, rng, gate: str) -> None:
    a, b = _truth_table(rng)
    got = getattr(student, gate)(a, b)
    expect_equal(got, getattr(ref, gate)(a, b))
    expect_dtype(got, "zero_one")


def _gate_broadcast(student, rng, gate: str) -> None:
    a, b = _broadcast_pair(rng)
    expect_equal(getattr(student, gate)(a, b), getattr(ref, gate)(a, b))


@pytest.mark.contract("perceptron", "and_gate")
def test_and_gate_truth_table(student, rng):
    """and_gate gives AND's truth table, elementwise"""
    _gate_truth_table(student, rng, "and_gate")


@pytest.mark.contract("perceptron", "and_gate")
def test_and_gate_broadcasting(student, rng):
    """and_gate broadcasts a (n, 1) array against an (m,) array"""
    _gate_broadcast(student, rng, "and_gate")


@pytest.mark.contract("perceptron", "or_gate")
def test_or_gate_truth_table(student, rng):
    """or_gate gives OR's truth table, elementwise"""
    _gate_truth_table(student, rng, "or_gate")


@pytest.mark.contract("perceptron", "or_gate")
def test_or_gate_broadcasting(student, rng):
    """or_gate broadcasts a (n, 1) array against an (m,) array"""
    _gate_broadcast(student, rng, "or_gate")


@pytest.mark.contract("perceptron", "nand_gate")
def test_nand_gate_truth_table(student, rng):
    """nand_gate gives NAND's truth table, elementwise"""
    _gate_truth_table(student, rng, "nand_gate")


@pytest.mark.contract("perceptron", "nand_gate")
def test_nand_gate_broadcasting(student, rng):
    """nand_gate broadcasts a (n, 1) array against an (m,) array"""
    _gate_broadcast(student, rng, "nand_gate")


# ------------------------------------------------------------------ xor


@pytest.mark.contract("perceptron", "xor")
def test_xor_truth_table(student, rng):
    """xor gives XOR's truth table, elementwise"""
    a, b = _truth_table(rng)
    got = student.xor(a, b)
    expect_equal(got, ref.xor(a, b),
                 mistakes=lambda: [Mistake("xor_is_or", np.maximum(a, b)),
                           Mistake("xor_is_nand", 1 - a * b)])
    expect_dtype(got, "zero_one")


@pytest.mark.contract("perceptron", "xor")
def test_xor_broadcasting(student, rng):
    """xor broadcasts a (n, 1) array against an (m,) array"""
    a, b = _broadcast_pair(rng)
    expect_equal(student.xor(a, b), ref.xor(a, b))


@pytest.mark.contract("perceptron", "xor")
def test_xor_scalars(student, rng):
    """xor works on plain 0/1 numbers as well as arrays"""
    for i in rng.permutation(4):
        a, b = int(TRUTH_A[i]), int(TRUTH_B[i])
        expect_equal(student.xor(a, b), _py(ref.xor(a, b)))
