"""The gradient checker accepts right gradients and names the input of a wrong one."""

from __future__ import annotations

import numpy as np
import pytest

from nngrade.reference.engine import Tensor
from nngrade.reference.gradcheck import GradcheckError, gradcheck, numerical_gradient


def test_numerical_gradient_is_central_and_leaves_x_alone() -> None:
    x = np.array([[1.0, -2.0], [0.5, 3.0]])
    before = x.copy()
    grad = numerical_gradient(lambda v: np.sum(v**3), x)
    np.testing.assert_allclose(grad, 3 * x**2, rtol=1e-8)
    np.testing.assert_array_equal(x, before)


def test_report_for_a_right_gradient() -> None:
    report = gradcheck(lambda a, b: (a * b).tanh(), np.ones((2, 3)), np.arange(3.0))
    assert report.ok
    assert [c.index for c in report.inputs] == [0, 1]
    assert report.max_rel_error < 1e-6
    assert "ok" in str(report)


def test_a_wrong_gradient_is_caught_with_the_input_named() -> None:
    # .data escapes the graph: the engine sees x * const, central differences see x**2.
    def leaky(a: Tensor, b: Tensor) -> Tensor:
        return a * b + b * b.data

    with pytest.raises(GradcheckError, match="input 1") as info:
        gradcheck(leaky, np.array([1.0, 2.0]), np.array([3.0, -1.0]))
    report = info.value.report
    assert report.inputs[0].ok and not report.inputs[1].ok
    assert report.inputs[1].max_rel_error > 0.1
    assert not gradcheck(leaky, [1.0], [3.0], raise_exception=False).ok


def test_tensors_without_requires_grad_are_constants() -> None:
    const = Tensor(np.array([2.0, 3.0]))
    report = gradcheck(lambda a, c: a * c, np.array([1.0, 1.0]), const)
    assert [c.index for c in report.inputs] == [0]
    assert const.grad is None
