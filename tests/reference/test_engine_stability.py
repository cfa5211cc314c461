"""Large inputs: sigmoid, tanh, softmax and log_softmax stay finite, accurate and warning-free."""

from __future__ import annotations

import math

import numpy as np
import pytest

from nngrade.reference.engine import Tensor

pytestmark = pytest.mark.filterwarnings("error")  # any numpy RuntimeWarning fails the test

HUGE = np.array([-1e4, -800.0, -40.0, -1.0, 0.0, 1.0, 40.0, 800.0, 1e4])


def test_sigmoid_is_finite_and_accurate_in_both_tails() -> None:
    z = Tensor(HUGE, requires_grad=True)
    s = z.sigmoid()
    s.sum().backward()
    assert np.all(np.isfinite(s.data)) and np.all(np.isfinite(z.grad))
    exact = np.array([1 / (1 + math.exp(-v)) if v > -700 else 0.0 for v in HUGE])
    np.testing.assert_allclose(s.data, exact, rtol=1e-14, atol=0)  # sigmoid(-40) ~ 4e-18 exactly
    assert s.data[4] == 0.5 and z.grad[4] == 0.25
    assert z.grad[0] == 0.0 and z.grad[-1] == 0.0


def test_tanh_saturates_cleanly() -> None:
    z = Tensor(HUGE, requires_grad=True)
    t = z.tanh()
    t.sum().backward()
    np.testing.assert_array_equal(t.data[[0, -1]], [-1.0, 1.0])
    np.testing.assert_array_equal(z.grad[[0, -1]], [0.0, 0.0])


@pytest.mark.parametrize("axis", [0, 1, -1])
def test_softmax_and_log_softmax_of_huge_logits(axis: int) -> None:
    v = np.array([[1e4, 0.0, -1e4], [1e4, 1e4, 0.0], [-1e4, -1e4, -1e4]])
    z = Tensor(v, requires_grad=True)
    p = z.softmax(axis=axis)
    assert np.all(np.isfinite(p.data))
    np.testing.assert_allclose(p.data.sum(axis=axis), 1.0)
    lp = Tensor(v, requires_grad=True)
    out = lp.log_softmax(axis=axis)
    assert np.all(np.isfinite(out.data))
    np.testing.assert_allclose(np.exp(out.data), p.data, atol=1e-300)
    (p * np.arange(9.0).reshape(3, 3)).sum().backward()
    out.sum().backward()
    assert np.all(np.isfinite(z.grad)) and np.all(np.isfinite(lp.grad))
