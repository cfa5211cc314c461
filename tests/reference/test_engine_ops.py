"""Every Tensor operation: its value is numpy's, its gradient matches central differences.

Shapes come from hypothesis, including operands that broadcast against each
other in both directions, so each gradient must be summed back to its own
operand's shape. gradcheck differentiates twice; here every gradient array
is kept, however small, so its second pass always writes into the first
pass's arrays.
"""

from __future__ import annotations

import hypothesis.extra.numpy as hnp
import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from nngrade.reference import engine
from nngrade.reference.engine import Tensor, maximum
from nngrade.reference.gradcheck import gradcheck


@pytest.fixture(autouse=True)
def keep_every_gradient_array(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(engine, "_KEEP_FROM_BYTES", 0)


SETTINGS = settings(max_examples=25, deadline=None)

# Values away from 0 so that log, division and the kink of relu are well-conditioned.
magnitudes = st.floats(0.2, 2.5)
signed = st.builds(lambda m, s: m * s, magnitudes, st.sampled_from([-1.0, 1.0]))


def arrays(shape: tuple[int, ...], elements: st.SearchStrategy = signed) -> st.SearchStrategy:
    return hnp.arrays(np.float64, shape, elements=elements)


shapes = hnp.array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=3)
pairs = hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, max_side=3)


@st.composite
def broadcast_pair(draw: st.DrawFn, positive_b: bool = False) -> tuple[np.ndarray, np.ndarray]:
    shape_a, shape_b = draw(pairs).input_shapes
    b_elements = magnitudes if positive_b else signed
    return draw(arrays(shape_a)), draw(arrays(shape_b, b_elements))


BINARY = {
    "add": (lambda a, b: a + b, np.add),
    "sub": (lambda a, b: a - b, np.subtract),
    "mul": (lambda a, b: a * b, np.multiply),
    "div": (lambda a, b: a / b, np.divide),
    "maximum": (maximum, np.maximum),
}


@pytest.mark.parametrize("name", BINARY)
@SETTINGS
@given(ab=broadcast_pair())
def test_binary_ops_broadcast_both_ways(name: str, ab: tuple[np.ndarray, np.ndarray]) -> None:
    a, b = ab
    op, reference = BINARY[name]
    if name == "maximum":  # a near-tie is a kink that central differences straddle
        gap = np.abs(np.subtract(*np.broadcast_arrays(a, b)))
        assume(np.all((gap == 0) | (gap > 1e-3)))
    np.testing.assert_allclose(op(Tensor(a), Tensor(b)).data, reference(a, b))
    report = gradcheck(op, a, b)
    assert [c.shape for c in report.inputs] == [a.shape, b.shape]


@pytest.mark.parametrize("name", BINARY)
@SETTINGS
@given(ab=broadcast_pair())
def test_plain_arrays_and_numbers_on_either_side(
    name: str, ab: tuple[np.ndarray, np.ndarray]
) -> None:
    a, b = ab
    op, reference = BINARY[name]
    for left, right in ((Tensor(a), b), (a, Tensor(b)), (Tensor(a), 1.5), (1.5, Tensor(b))):
        out = op(left, right)
        assert isinstance(out, Tensor)
        plain = [x.data if isinstance(x, Tensor) else x for x in (left, right)]
        np.testing.assert_allclose(out.data, reference(*plain))
    gradcheck(lambda t: op(t, b), a)  # the constant gets no gradient, the tensor the right one
    gradcheck(lambda t: op(a, t), b)


@SETTINGS
@given(a=shapes.flatmap(arrays))
def test_unary_minus_and_pow(a: np.ndarray) -> None:
    np.testing.assert_allclose((-Tensor(a)).data, -a)
    gradcheck(lambda t: -t, a)
    for p in (2, 3, -1, 0.5):
        base = np.abs(a) if p == 0.5 else a
        np.testing.assert_allclose((Tensor(base) ** p).data, base**p)
        gradcheck(lambda t, p=p: t**p, base)


def test_pow_takes_a_constant_exponent_only() -> None:
    with pytest.raises(TypeError):
        Tensor([1.0]) ** Tensor(2.0)


UNARY = {
    "exp": (Tensor.exp, np.exp, signed),
    "log": (Tensor.log, np.log, magnitudes),
    "relu": (Tensor.relu, lambda x: np.maximum(x, 0), signed),
    "sigmoid": (Tensor.sigmoid, lambda x: 1 / (1 + np.exp(-x)), signed),
    "tanh": (Tensor.tanh, np.tanh, signed),
}


@pytest.mark.parametrize("name", UNARY)
@SETTINGS
@given(shape=shapes, data=st.data())
def test_elementwise_functions(name: str, shape: tuple[int, ...], data: st.DataObject) -> None:
    op, reference, elements = UNARY[name]
    a = data.draw(arrays(shape, elements))
    np.testing.assert_allclose(op(Tensor(a)).data, reference(a), rtol=1e-12)
    gradcheck(op, a)


matmul_shapes = st.sampled_from(
    [
        ((3, 4), (4, 2)),  # 2-D
        ((4,), (4, 2)),  # 1-D on the left: a row
        ((3, 4), (4,)),  # 1-D on the right: a column
        ((4,), (4,)),  # dot product
        ((2, 3, 4), (4, 2)),  # batched on the left
        ((3, 4), (2, 4, 5)),  # batched on the right
        ((2, 1, 3, 4), (5, 4, 2)),  # batch axes broadcast
        ((4,), (2, 4, 3)),
        ((2, 3, 4), (4,)),
    ]
)


@SETTINGS
@given(shape_pair=matmul_shapes, data=st.data())
def test_matmul_follows_numpy(shape_pair: tuple, data: st.DataObject) -> None:
    a = data.draw(arrays(shape_pair[0]))
    b = data.draw(arrays(shape_pair[1]))
    np.testing.assert_allclose((Tensor(a) @ Tensor(b)).data, a @ b)
    np.testing.assert_allclose((a @ Tensor(b)).data, a @ b)
    gradcheck(lambda x, y: x @ y, a, b)


axes = st.sampled_from([None, 0, -1, (0, 1), (0, -1)])


@st.composite
def array_and_axis(draw: st.DrawFn, min_dims: int = 0) -> tuple[np.ndarray, object]:
    a = draw(hnp.array_shapes(min_dims=max(min_dims, 2), max_dims=3, max_side=3).flatmap(arrays))
    return a, draw(axes)


@pytest.mark.parametrize("keepdims", [False, True])
@pytest.mark.parametrize("name", ["sum", "mean"])
@SETTINGS
@given(a_axis=array_and_axis())
def test_reductions(name: str, keepdims: bool, a_axis: tuple) -> None:
    a, axis = a_axis
    out = getattr(Tensor(a), name)(axis=axis, keepdims=keepdims)
    np.testing.assert_allclose(out.data, getattr(np, name)(a, axis=axis, keepdims=keepdims))
    gradcheck(lambda t: getattr(t, name)(axis=axis, keepdims=keepdims), a)


@SETTINGS
@given(a=shapes.flatmap(arrays))
def test_sum_of_everything_on_any_shape(a: np.ndarray) -> None:
    gradcheck(lambda t: t.sum(), a)
    gradcheck(lambda t: t.mean(), a)


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
@SETTINGS
@given(a=hnp.array_shapes(min_dims=1, max_dims=3, max_side=4).flatmap(arrays), data=st.data())
def test_softmax_family(name: str, a: np.ndarray, data: st.DataObject) -> None:
    axis = data.draw(st.integers(-a.ndim, a.ndim - 1))
    e = np.exp(a - a.max(axis=axis, keepdims=True))
    expected = e / e.sum(axis=axis, keepdims=True)
    out = getattr(Tensor(a), name)(axis=axis).data
    np.testing.assert_allclose(out, expected if name == "softmax" else np.log(expected))
    gradcheck(lambda t: getattr(t, name)(axis=axis), a)


@SETTINGS
@given(a=hnp.array_shapes(min_dims=1, max_dims=3, max_side=4).flatmap(arrays), data=st.data())
def test_reshape_and_transpose(a: np.ndarray, data: st.DataObject) -> None:
    perm = tuple(data.draw(st.permutations(range(a.ndim))))
    np.testing.assert_array_equal(Tensor(a).transpose(perm).data, np.transpose(a, perm))
    np.testing.assert_array_equal(Tensor(a).T.data, a.T)
    np.testing.assert_array_equal(Tensor(a).reshape(-1).data, a.reshape(-1))
    gradcheck(lambda t: t.transpose(perm), a)
    gradcheck(lambda t: t.T, a)
    gradcheck(lambda t: t.reshape(a.size), a)
    gradcheck(lambda t: t.reshape((1,) + a.shape[::-1]), a)


INDEXES = [
    (1,),
    (slice(None, None, -1),),
    (Ellipsis, 0),
    (None, slice(1, 3)),
    (np.array([0, 0, 2, 0]),),  # repeats: their gradients must add up
    (np.arange(12).reshape(3, 4) % 3 == 0,),  # a boolean mask
    (np.array([2, 0]), slice(None, 2)),
    (np.array([0, 1, 1]), np.array([3, 3, 0])),
]


@pytest.mark.parametrize("index", INDEXES, ids=[str(i) for i in range(len(INDEXES))])
def test_indexing_scatters_the_gradient_back(index: tuple) -> None:
    a = np.random.default_rng(0).normal(size=(3, 4))
    index = index[0] if len(index) == 1 else index
    np.testing.assert_array_equal(Tensor(a)[index].data, a[index])
    gradcheck(lambda t: t[index], a)


def test_repeated_index_accumulates() -> None:
    t = Tensor(np.zeros(3), requires_grad=True)
    t[np.array([1, 1, 1, 2])].sum().backward()
    np.testing.assert_array_equal(t.grad, [0.0, 3.0, 1.0])


def test_maximum_splits_ties_like_central_differences() -> None:
    a = Tensor(np.array([1.0, 2.0, 3.0]), requires_grad=True)
    b = Tensor(np.array([2.0, 2.0, 1.0]), requires_grad=True)
    maximum(a, b).sum().backward()
    np.testing.assert_array_equal(a.grad, [0.0, 0.5, 1.0])
    np.testing.assert_array_equal(b.grad, [1.0, 0.5, 0.0])


def test_relu_has_zero_gradient_at_zero() -> None:
    t = Tensor(np.array([-1.0, 0.0, 1.0]), requires_grad=True)
    t.relu().sum().backward()
    np.testing.assert_array_equal(t.grad, [0.0, 0.0, 1.0])


def test_composite_expression_with_broadcasting() -> None:
    rng = np.random.default_rng(1)
    x, w, b = rng.normal(size=(5, 3)), rng.normal(size=(3, 4)), rng.normal(size=4)

    def layer(x: Tensor, w: Tensor, b: Tensor) -> Tensor:
        h = (x @ w + b).tanh()
        return (h * h.sigmoid() - h.mean(axis=0)).log_softmax(axis=1).sum(axis=0)

    gradcheck(layer, x, w, b)
