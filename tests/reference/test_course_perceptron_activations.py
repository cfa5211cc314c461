"""Answer key, perceptron.py and activations.py: the contract's edge cases, the lecture's values."""

from __future__ import annotations

import warnings

import hypothesis.extra.numpy as hnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nngrade.reference.course import activations as act
from nngrade.reference.course import perceptron as pc

A = np.array([0, 0, 1, 1])
B = np.array([0, 1, 0, 1])


def test_step_is_zero_at_zero_and_keeps_shape() -> None:
    assert pc.step(0) == 0 and pc.step(0.0) == 0 and pc.step(1e-12) == 1 and pc.step(-3) == 0
    x = np.array([[-1.0, 0.0], [0.5, 2.0]])
    out = pc.step(x)
    assert out.shape == x.shape
    np.testing.assert_array_equal(out, [[0, 0], [1, 1]])
    assert set(np.unique(out)) <= {0, 1}


def test_perceptron_single_and_batch() -> None:
    w = np.array([1.0, 1.0])
    assert pc.perceptron(np.array([1, 1]), w, 1.5) == 1
    assert np.ndim(pc.perceptron(np.array([1, 1]), w, 1.5)) == 0
    np.testing.assert_array_equal(pc.perceptron(np.stack([A, B], 1), w, 1.5), [0, 0, 0, 1])
    assert pc.perceptron(np.array([1.0, 0.5]), w, 1.5) == 0  # equal to the threshold: 0


@pytest.mark.parametrize(
    ("gate", "table"),
    [
        (pc.and_gate, [0, 0, 0, 1]),
        (pc.or_gate, [0, 1, 1, 1]),
        (pc.nand_gate, [1, 1, 1, 0]),
        (pc.xor, [0, 1, 1, 0]),
    ],
)
def test_gate_truth_tables_and_broadcasting(gate, table) -> None:
    np.testing.assert_array_equal(gate(A, B), table)
    assert gate(1, 1) == table[3]
    grid = gate(np.array([[0], [1]]), np.array([0, 1]))  # (2, 1) with (2,) -> (2, 2)
    np.testing.assert_array_equal(grid, np.reshape(table, (2, 2)))


def test_lecture_values() -> None:
    assert act.sigmoid(0.0) == 0.5
    assert act.sigmoid_prime(0.0) == 0.25
    assert act.tanh_prime(0.0) == 1.0
    assert act.relu_prime(0.0) == 0.0
    np.testing.assert_array_equal(act.relu_prime(np.array([-2.0, 0.0, 3.0])), [0.0, 0.0, 1.0])
    np.testing.assert_array_equal(act.relu(np.array([-2.0, 0.0, 3.0])), [0.0, 0.0, 3.0])


def test_derivatives_take_the_pre_activation() -> None:
    z = 2.0
    s = 1 / (1 + np.exp(-z))
    assert act.sigmoid_prime(z) == pytest.approx(s * (1 - s))
    assert act.sigmoid_prime(z) != pytest.approx(z * (1 - z))  # the classic mistake
    assert act.tanh_prime(z) == pytest.approx(1 - np.tanh(z) ** 2)


@pytest.mark.parametrize("name", ["sigmoid", "sigmoid_prime", "tanh", "tanh_prime"])
def test_finite_and_warning_free_up_to_1e4(name: str) -> None:
    z = np.array([-1e4, -1000.0, -50.0, 0.0, 50.0, 1000.0, 1e4])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = getattr(act, name)(z)
    assert np.all(np.isfinite(out))
    if name == "sigmoid":
        np.testing.assert_array_equal(out[[0, -1]], [0.0, 1.0])
        assert 0 < out[2] < 1e-21  # sigmoid(-50) is tiny but not 0
    if name == "sigmoid_prime":
        np.testing.assert_array_equal(out[[0, -1]], [0.0, 0.0])


@pytest.mark.parametrize("name", ["sigmoid", "tanh", "relu"])
@settings(max_examples=20, deadline=None)
@given(
    z=hnp.arrays(
        np.float64,
        hnp.array_shapes(min_dims=0, max_dims=3, max_side=3),
        elements=st.floats(-6, 6).filter(lambda v: abs(v) > 1e-3),
    )
)
def test_derivative_matches_central_differences(name: str, z: np.ndarray) -> None:
    f, f_prime = getattr(act, name), getattr(act, name + "_prime")
    h = 1e-6
    numeric = (f(z + h) - f(z - h)) / (2 * h)
    out = f_prime(z)
    assert np.shape(out) == z.shape and np.shape(f(z)) == z.shape
    np.testing.assert_allclose(out, numeric, rtol=1e-6, atol=1e-9)


def test_integer_input_gives_floats() -> None:
    assert act.sigmoid(np.array([0, 1])).dtype.kind == "f"
    assert act.relu_prime(np.array([0, 1])).dtype.kind == "f"
