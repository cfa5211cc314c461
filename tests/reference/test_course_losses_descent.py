"""Answer key, losses.py and gradient_descent.py."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from nngrade.reference.course import gradient_descent as gd
from nngrade.reference.course import losses


def test_one_hot() -> None:
    out = losses.one_hot(np.array([2, 0, 1, 2]), 3)
    assert out.dtype.kind == "f" and out.shape == (4, 3)
    np.testing.assert_array_equal(out, np.eye(3)[[2, 0, 1, 2]])
    np.testing.assert_array_equal(losses.one_hot([1.0, 0.0], 2), [[0, 1], [1, 0]])
    assert losses.one_hot(np.array([], dtype=int), 4).shape == (0, 4)


@pytest.mark.parametrize("labels", [[0, 3], [-1, 0], [0.5], [7]])
def test_one_hot_rejects_labels_outside_the_classes(labels) -> None:
    with pytest.raises(ValueError):
        losses.one_hot(np.array(labels), 3)


def test_mse_divides_by_twice_the_number_of_rows() -> None:
    y = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    y_pred = y + np.array([[1.0, 0.0], [0.0, 2.0], [0.0, 0.0]])
    assert losses.mse(y_pred, y) == pytest.approx(5.0 / 6.0)  # m = 3 rows, not 6 entries
    assert losses.mse(np.array([1.0, 3.0]), np.array([0.0, 0.0])) == pytest.approx(10 / 4)
    assert isinstance(losses.mse(y, y), float)


def test_softmax_is_a_distribution_along_the_axis_and_stable() -> None:
    v = np.array([[1.0, 2.0, 3.0], [1e4, 0.0, -1e4]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for axis in (-1, 0, 1):
            p = losses.softmax(v, axis=axis)
            assert p.shape == v.shape and np.all(np.isfinite(p))
            np.testing.assert_allclose(p.sum(axis=axis), 1.0)
    e = np.exp([1.0, 2.0, 3.0])
    np.testing.assert_allclose(losses.softmax(v)[0], e / e.sum())
    np.testing.assert_allclose(losses.softmax(v)[1], [1.0, 0.0, 0.0])
    np.testing.assert_allclose(losses.softmax(np.array([1e4, 1e4])), [0.5, 0.5])


def test_cross_entropy_is_the_mean_over_rows_with_natural_log() -> None:
    probs = np.array([[0.5, 0.25, 0.25], [0.1, 0.8, 0.1]])
    targets = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
    expected = -(np.log(0.5) + np.log(0.8)) / 2
    assert losses.cross_entropy(probs, targets) == pytest.approx(expected)
    assert losses.cross_entropy(probs[1], targets[1]) == pytest.approx(-np.log(0.8))  # one row
    soft = np.array([[0.5, 0.5, 0.0]])
    assert losses.cross_entropy(probs[:1], soft) == pytest.approx(
        -(0.5 * np.log(0.5) + 0.5 * np.log(0.25))
    )
    assert isinstance(losses.cross_entropy(probs, targets), float)


def test_numerical_gradient_central_differences_leave_x_unchanged() -> None:
    x = np.array([[0.5, -1.0, 2.0]])
    before = x.copy()
    grad = gd.numerical_gradient(lambda v: np.sum(np.sin(v) * v), x)
    assert grad.shape == x.shape
    np.testing.assert_allclose(grad, np.cos(x) * x + np.sin(x), rtol=1e-8)
    np.testing.assert_array_equal(x, before)
    # central, not one-sided: exact for a quadratic even with a coarse h
    np.testing.assert_allclose(
        gd.numerical_gradient(lambda v: v[0] ** 2, np.array([3.0]), h=0.5), [6.0]
    )


def test_gradient_descent_lecture_example() -> None:
    x = gd.gradient_descent(lambda x: x - np.cos(x), 0.0, 0.1, 1000)
    assert float(x) == pytest.approx(0.739085, abs=1e-6)
    assert float(gd.gradient_descent(lambda x: x - np.cos(x), 5.0, 0.5, 200)) == pytest.approx(
        0.7390851332
    )


def test_gradient_descent_takes_exactly_steps_steps() -> None:
    x0 = np.array([1.0, -2.0])
    np.testing.assert_array_equal(gd.gradient_descent(lambda x: x, x0, 0.5, 0), x0)
    np.testing.assert_array_equal(gd.gradient_descent(lambda x: x, x0, 0.5, 1), x0 * 0.5)
    np.testing.assert_array_equal(gd.gradient_descent(lambda x: x, x0, 0.5, 3), x0 * 0.125)
    np.testing.assert_array_equal(x0, [1.0, -2.0])  # x0 itself is not modified
