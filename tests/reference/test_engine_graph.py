"""How backward walks the graph: each node once, iteratively, only where a gradient is wanted."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from nngrade.reference.engine import Tensor, is_grad_enabled, no_grad, topological_order


def count_backward_calls(root: Tensor) -> dict[Tensor, int]:
    """Wrap every recorded node's backward closure with a counter."""
    calls: dict[Tensor, int] = {}
    for node in topological_order(root):
        original = node._backward
        calls[node] = 0

        def counted(g, node=node, original=original):
            calls[node] += 1
            return original(g)

        node._backward = counted
    return calls


def test_a_chain_of_100000_operations_needs_no_recursion() -> None:
    limit = sys.getrecursionlimit()
    x = Tensor(2.0, requires_grad=True)
    y = x
    for _ in range(50_000):
        y = y * 1.0
        y = y + 0.0
    y.backward()
    assert x.grad == 1.0
    assert sys.getrecursionlimit() == limit


def test_exponentially_many_paths_take_linear_time() -> None:
    # y = y + y sixty times: 2**60 paths from y to x, 60 nodes.
    x = Tensor(1.0, requires_grad=True)
    y = x
    for _ in range(60):
        y = y + y
    calls = count_backward_calls(y)
    y.backward()
    assert x.grad == 2.0**60
    assert len(calls) == 60
    assert set(calls.values()) == {1}  # each node's backward ran exactly once


def test_each_node_is_visited_once_in_a_diamond_lattice() -> None:
    x = Tensor(np.array([0.5, -1.0]), requires_grad=True)
    left = right = x
    for _ in range(30):
        left, right = left * right, (left + right).tanh()
    out = (left + right).sum()
    calls = count_backward_calls(out)
    out.backward()
    assert set(calls.values()) == {1}


def test_order_is_topological_root_first() -> None:
    x = Tensor(1.0, requires_grad=True)
    a = x * 2
    b = a + x
    c = b * a
    order = topological_order(c)
    assert order == [c, b, a]  # leaves are not in it; every node precedes its inputs


def test_gradients_accumulate_on_shared_subexpressions() -> None:
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    s = x * x  # used three times
    (s + s * 3.0 + s.exp()).sum().backward()
    np.testing.assert_allclose(x.grad, 2 * x.data * (1 + 3 + np.exp(x.data**2)))


def test_gradients_accumulate_across_backward_calls_until_zero_grad() -> None:
    x = Tensor(3.0, requires_grad=True)
    (x * x).backward()
    (x * 2.0).backward()
    assert x.grad == 8.0
    x.zero_grad()
    assert x.grad is None
    (x * 2.0).backward()
    assert x.grad == 2.0


def test_inputs_without_requires_grad_get_no_gradient_computed() -> None:
    data = Tensor(np.ones((4, 3)))
    w = Tensor(np.ones((3, 2)), requires_grad=True)
    out = data @ w
    assert out.requires_grad and out._parents == (data, w)
    ga, gw = out._backward(np.ones((4, 2)))
    assert ga is None and gw is not None  # g @ w.T is never computed for the data
    out.sum().backward()
    assert data.grad is None


def test_a_branch_without_grad_records_nothing() -> None:
    a = Tensor(np.ones(3))
    b = (a * 2).exp().sum()
    assert not b.requires_grad and b._parents == () and b._backward is None
    with pytest.raises(RuntimeError):
        b.backward()


def test_no_grad_records_nothing_and_nests() -> None:
    w = Tensor(np.ones(2), requires_grad=True)
    with no_grad():
        assert not is_grad_enabled()
        with no_grad():
            pass
        assert not is_grad_enabled()
        y = w * 2
    assert is_grad_enabled()
    assert not y.requires_grad and y._backward is None

    @no_grad()
    def evaluate(t: Tensor) -> Tensor:
        return t * 3

    assert not evaluate(w).requires_grad
    assert (w * 3).requires_grad


def test_leaf_gradients_are_private_writable_arrays() -> None:
    a = Tensor(np.ones(3), requires_grad=True)
    b = Tensor(np.ones(3), requires_grad=True)
    (a + b).sum().backward()  # add hands the same array to both inputs; sum a read-only one
    assert a.grad is not b.grad
    a.grad += 1.0
    np.testing.assert_array_equal(b.grad, [1.0, 1.0, 1.0])


def test_backward_needs_a_gradient_for_non_scalar_roots() -> None:
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    y = x * x
    with pytest.raises(RuntimeError):
        y.backward()
    y.backward(np.array([1.0, 10.0]))
    np.testing.assert_array_equal(x.grad, [2.0, 40.0])


def test_backward_on_a_leaf() -> None:
    x = Tensor(np.array([[5.0]]), requires_grad=True)
    x.backward()
    np.testing.assert_array_equal(x.grad, [[1.0]])


def test_retain_grad_keeps_an_intermediate_gradient() -> None:
    x = Tensor(2.0, requires_grad=True)
    h = (x * 3.0).retain_grad()
    (h * h).backward()
    assert h.grad == 12.0 and x.grad == 36.0


def test_backward_twice_on_the_same_graph() -> None:
    x = Tensor(np.array([1.0, -2.0]), requires_grad=True)
    y = (x.sigmoid() * x).sum()
    y.backward()
    first = x.grad.copy()
    y.backward()
    np.testing.assert_allclose(x.grad, 2 * first)


def test_float32_stays_float32() -> None:
    x = Tensor(np.ones(3, dtype=np.float32), requires_grad=True)
    y = (x * 2.0 + 1).sigmoid().sum()
    assert y.dtype == np.float32
    y.backward()
    assert x.grad.dtype == np.float32


def test_integer_data_becomes_float() -> None:
    assert Tensor([1, 2]).dtype == np.float64
    assert Tensor(True).dtype == np.float64


def test_ndarray_on_the_left_defers_to_tensor() -> None:
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    y = np.array([3.0, 4.0]) * x - np.array([1.0, 1.0])
    assert isinstance(y, Tensor)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad, [3.0, 4.0])
