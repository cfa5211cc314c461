"""A leaf keeps its gradient's array and the next pass writes into it: nobody can tell.

The engine reuses the array of a leaf's last ``.grad`` once the gradient has
been zeroed (``w.grad = None``, ``zero_grad``) and nothing else refers to it.
These tests pin down both halves: the reuse happens (a plain training loop
allocates no new weight-sized gradient), and it is invisible (every gradient
is bit for bit what fresh leaves get; an array the user kept, or a view of
it, is never written; leaves used twice, broadcasting, retained graphs,
no_grad updates and changed data all stay right).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nngrade.reference import engine
from nngrade.reference.engine import Tensor, no_grad
from nngrade.reference.nn import SGD, Linear, Sequential, Tanh

RNG = np.random.default_rng(7)
X = RNG.normal(size=(5, 3))


@pytest.fixture(autouse=True)
def keep_every_gradient_array(monkeypatch: pytest.MonkeyPatch) -> None:
    """Small arrays stand for big ones here: the engine keeps only those of a page or more."""
    monkeypatch.setattr(engine, "_KEEP_FROM_BYTES", 0)


def address(a: np.ndarray) -> int:
    """Where an array's data lives (holds no reference to it)."""
    return int(a.__array_interface__["data"][0])


def grad(t: Tensor) -> np.ndarray:
    """``t.grad``, or zeros where no gradient reached ``t``."""
    return np.zeros_like(t.data) if t.grad is None else t.grad


def grads_of(loss: Callable[..., Tensor], arrays: list[np.ndarray]) -> list[np.ndarray]:
    """The gradients fresh leaves get: the yardstick every reusing pass must equal bit for bit."""
    leaves = [Tensor(a.copy(), requires_grad=True) for a in arrays]
    loss(*leaves).backward()
    return [grad(t) for t in leaves]


# Each: a loss of its leaves, their shapes, and whether every leaf's gradient is written
# into its kept array. Together they reach every place that writes into one (matmul,
# broadcast sums, sum, indexing, one-input functions, the engine's copies); a same-shape
# binary operation (``v * v``) instead hands its new array over as the gradient.
LOSSES: dict[str, tuple[Callable[..., Tensor], list[tuple[int, ...]], bool]] = {
    "two-layer": (
        lambda w1, w2: (((X @ w1).relu() @ w2 - 1.0) ** 2).sum(),
        [(3, 4), (4, 2)],
        True,
    ),
    "bias broadcast": (lambda w, b: (X @ w + b).tanh().sum(), [(3, 4), (4,)], True),
    "bias as a row": (lambda w, b: (X @ w + b).sigmoid().sum(), [(3, 4), (1, 4)], True),
    "weight on the left": (lambda w: (w @ X).exp().mean(), [(2, 5)], True),
    "batched matmul": (
        lambda w, v: (np.ones((2, 5, 3)) @ w).sum() + (v @ np.ones((2, 4, 3))).sum(),
        [(3, 4), (4,)],
        True,
    ),
    "vector matmul": (lambda v, w: (v @ w).sum() + (w @ v[:2]).sum() + v @ v, [(3,), (3, 2)], True),
    "same shape add (copied)": (lambda w, v: ((w + v) * X).sum(), [(5, 3), (5, 3)], True),
    "sum of a leaf": (lambda w: w.sum() * 3.0, [(4, 2)], True),
    "indexing": (lambda w: (w[np.array([0, 0, 2])] * 2.0).sum(), [(3, 4)], True),
    "one-input functions": (
        lambda w: (w**2).sum() + w.tanh().sum() + (-w).exp().sum() + w.relu().sum(),
        [(3, 4)],
        True,
    ),
    "log and power": (lambda w: (w.log() + w**0.5).sum(), [(3,)], True),
    "softmax family": (
        lambda w: (w.softmax(axis=1) * X).sum() + w.log_softmax().sum(),
        [(5, 3)],
        True,
    ),
    "leaf used in many places": (
        lambda w: ((X @ w) @ w.T).sum() + (w + w).sum(),
        [(3, 3)],
        True,
    ),
    "same-shape binary operations": (
        lambda w, v: (w / (v * v + 1.0)).sum() + w.maximum(v).sum(),
        [(3,), (3,)],
        False,
    ),
    "leaf used twice in one op": (lambda w: (w @ w).sum() + (w * w).sum(), [(3, 3)], False),
}


def positive(shape: tuple[int, ...]) -> np.ndarray:
    return RNG.uniform(0.5, 1.5, size=shape)


@pytest.mark.parametrize("name", LOSSES)
def test_a_second_pass_writes_into_the_first_passs_arrays_and_gets_the_same_bits(
    name: str,
) -> None:
    loss, shapes, reused = LOSSES[name]
    arrays = [positive(s) for s in shapes]
    expected = grads_of(loss, arrays)
    leaves = [Tensor(a.copy(), requires_grad=True) for a in arrays]
    loss(*leaves).backward()
    where = [address(t.grad) for t in leaves]  # type: ignore[arg-type]
    for t in leaves:
        t.grad = None
    loss(*leaves).backward()
    for t, want, before in zip(leaves, expected, where, strict=True):
        np.testing.assert_array_equal(t.grad, want)
        if reused:
            assert t.grad is not None and address(t.grad) == before  # the same memory


def test_only_arrays_of_a_page_or_more_are_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(engine, "_KEEP_FROM_BYTES", 4096)  # the engine's own setting
    small = Tensor(np.ones(511), requires_grad=True)  # 4088 bytes
    large = Tensor(np.ones(512), requires_grad=True)  # 4096 bytes
    (small.sum() + large.sum()).backward()
    assert small._grad_buffer is None and large._grad_buffer is large.grad
    where = address(large.grad)  # type: ignore[arg-type]
    small.grad = large.grad = None
    (small.sum() + large.sum()).backward()
    assert address(large.grad) == where  # type: ignore[arg-type]
    np.testing.assert_array_equal(small.grad, np.ones(511))
    np.testing.assert_array_equal(large.grad, np.ones(512))


def test_a_plain_training_loop_allocates_no_new_gradient() -> None:
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(8, 6)), rng.normal(size=(8, 2))
    w1 = Tensor(rng.normal(size=(6, 5)), requires_grad=True)
    w2 = Tensor(rng.normal(size=(5, 2)), requires_grad=True)
    seen = set()
    for _ in range(5):
        (((x @ w1).relu() @ w2 - y) ** 2).sum().backward()
        assert w1.grad is not None and w2.grad is not None
        seen.add((address(w1.grad), address(w2.grad)))
        w1.data -= 0.01 * w1.grad
        w2.data -= 0.01 * w2.grad
        w1.grad = None
        w2.grad = None
    assert len(seen) == 1


@pytest.mark.parametrize("zero", ["assign None", "zero_grad", "module zero_grad", "SGD"])
def test_a_grad_the_user_kept_is_never_written(zero: str) -> None:
    net = Sequential(Linear(3, 4, rng=0), Tanh(), Linear(4, 1, rng=1))
    params = net.parameters()
    opt = SGD(params, lr=0.1)
    net(X).sum().backward()
    kept = [p.grad for p in params]
    copies = [np.array(g) for g in kept]
    if zero == "assign None":
        for p in params:
            p.grad = None
    elif zero == "zero_grad":
        for p in params:
            p.zero_grad()
    elif zero == "module zero_grad":
        net.zero_grad()
    else:
        opt.step()
        opt.zero_grad()
    (net(X * 2.0) ** 2).sum().backward()  # other gradients than the kept ones
    for p, g, copy in zip(params, kept, copies, strict=True):
        np.testing.assert_array_equal(g, copy)
        assert p.grad is not g and not np.shares_memory(p.grad, g)


def test_a_view_of_an_old_grad_keeps_it_from_reuse() -> None:
    w = Tensor(X.copy(), requires_grad=True)
    (w.sum() * 2.0).backward()  # sum's backward writes into a kept array when it may
    row = w.grad[0]  # type: ignore[index]
    w.grad = None
    (w.sum() * 5.0).backward()
    np.testing.assert_array_equal(row, [2.0, 2.0, 2.0])
    np.testing.assert_array_equal(w.grad, np.full(X.shape, 5.0))


def test_an_old_grad_wrapped_in_a_tensor_keeps_it_from_reuse() -> None:
    w = Tensor(X.copy(), requires_grad=True)
    (w.sum() * 2.0).backward()
    wrapped = Tensor(w.grad)  # shares the array
    w.zero_grad()
    (w.sum() * 5.0).backward()
    np.testing.assert_array_equal(wrapped.data, np.full(X.shape, 2.0))


def test_an_old_grad_that_a_graph_holds_as_a_constant_is_not_overwritten() -> None:
    v = np.array([1.0, -2.0])
    w = Tensor(v.copy(), requires_grad=True)
    w.tanh().sum().backward()
    constant = 1.0 - np.tanh(v) ** 2  # what w.grad holds now
    loss = (w.tanh() * w.grad).sum()  # the graph holds the old gradient as a constant...
    w.grad = None  # ...and nothing else does
    loss.backward()  # tanh's backward must not write into the graph's constant
    expected = grads_of(lambda t: (t.tanh() * constant).sum(), [v])[0]
    np.testing.assert_array_equal(w.grad, expected)
    w.grad = None
    loss.backward()  # the retained graph still multiplies by the old gradient
    np.testing.assert_array_equal(w.grad, expected)


def test_backward_twice_on_a_retained_graph_with_and_without_zeroing() -> None:
    w = Tensor(positive((3, 4)), requires_grad=True)
    b = Tensor(positive((4,)), requires_grad=True)
    loss = (X @ w + b).sigmoid().sum()
    loss.backward()
    once = [w.grad.copy(), b.grad.copy()]  # type: ignore[union-attr]
    w.grad = b.grad = None
    loss.backward()  # the same graph again, into the kept arrays
    np.testing.assert_array_equal(w.grad, once[0])
    np.testing.assert_array_equal(b.grad, once[1])
    loss.backward()  # without zeroing: the gradients add up
    np.testing.assert_allclose(w.grad, 2 * once[0])
    np.testing.assert_allclose(b.grad, 2 * once[1])


def test_no_grad_updates_and_replaced_data_between_passes() -> None:
    w = Tensor(positive((3, 4)), requires_grad=True)
    (X @ w).sum().backward()
    with no_grad():
        w.data -= 0.1 * w.grad  # type: ignore[operator]
        evaluated = (X @ w).sum()  # records nothing
    assert not evaluated.requires_grad
    w.grad = None
    w.data = positive((3, 2))  # another shape: the kept array no longer fits
    (X @ w).sum().backward()
    assert w.grad is not None and w.grad.shape == (3, 2)
    np.testing.assert_array_equal(w.grad, grads_of(lambda v: (X @ v).sum(), [w.data])[0])


def test_a_frozen_grad_array_is_not_written() -> None:
    w = Tensor(positive((3, 4)), requires_grad=True)
    (X @ w).sum().backward()
    assert w.grad is not None
    w.grad.flags.writeable = False
    w.grad = None
    (X @ w).sum().backward()
    assert w.grad is not None and w.grad.flags.writeable


def test_backward_on_a_leaf_and_retained_intermediates() -> None:
    w = Tensor(np.array([[1.0, 2.0]]), requires_grad=True)
    w.backward(np.array([[1.0, 1.0]]))
    w.grad = None
    w.backward(np.array([[1.0, 1.0]]))
    np.testing.assert_array_equal(w.grad, [[1.0, 1.0]])
    h = (w * 3.0).retain_grad()
    (h * h).sum().backward()
    first = h.grad.copy()  # type: ignore[union-attr]
    h.grad = None
    w.grad = None
    (h * h).sum().backward()
    np.testing.assert_array_equal(h.grad, first)
    np.testing.assert_array_equal(w.grad, 3.0 * first)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_a_grad_has_its_leafs_dtype_on_every_pass(dtype: type) -> None:
    w = Tensor(positive((3, 4)).astype(dtype), requires_grad=True)
    b = Tensor(positive((4,)).astype(dtype), requires_grad=True)
    grads = []
    for _ in range(2):  # a float64 x makes float64 gradients: cast to the leaf's dtype
        (X @ w + b).tanh().sum().backward()
        assert w.grad is not None and b.grad is not None
        assert w.grad.dtype == dtype and b.grad.dtype == dtype
        grads.append((w.grad.copy(), b.grad.copy()))
        w.grad = b.grad = None
    np.testing.assert_array_equal(grads[0][0], grads[1][0])
    np.testing.assert_array_equal(grads[0][1], grads[1][1])


def test_reference_counts_are_measured_and_trusted_here() -> None:
    assert engine._ALONE > 0  # CPython: reuse is on
    w = Tensor(np.ones(3), requires_grad=True)
    w.sum().backward()
    w.grad = None
    alone = engine._references(w)
    assert alone == engine._ALONE
    extra = w._grad_buffer
    assert engine._references(w) == alone + 1
    del extra


def test_without_trusted_counts_nothing_is_reused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(engine, "_ALONE", -1)  # as on an interpreter without reference counts
    w = Tensor(positive((3, 4)), requires_grad=True)
    (X @ w).sum().backward()
    before = w.grad
    w.grad = None
    (X @ w).sum().backward()
    assert w.grad is not before  # the old array was kept alive here, so compare objects
    np.testing.assert_array_equal(w.grad, before)


# ------------------------------------------------------------------ random programs

# Leaf shapes that broadcast against (5, 3) in every way: each leaf's gradient
# is summed back to its own shape, in the leaf's kept array when it has one.
# One more leaf, the (3, 3) matrix M, enters through matmul only.
LEAF_SHAPES = [(5, 3), (3,), (1, 3), (5, 1), ()]
Z = np.zeros((5, 3))
UNARY: dict[str, Callable[[Tensor], Tensor]] = {
    "tanh": Tensor.tanh,
    "sigmoid": Tensor.sigmoid,
    "relu": Tensor.relu,
    "neg": Tensor.__neg__,
    "square": lambda t: t**2,
    "exp of tanh": lambda t: t.tanh().exp(),
    "sum rows": lambda t: (t + Z).sum(axis=0, keepdims=True),
}
BINARY: dict[str, Callable[[Tensor, Tensor], Tensor]] = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / (b * b + 1.0),
    "maximum": lambda a, b: a.maximum(b),
    "gram": lambda a, b: (a + Z) @ ((b + Z).T @ (b + Z) * 0.1),
}
Program = tuple[list[tuple[int, ...]], list[tuple[str, int, int]]]


@st.composite
def programs(draw: st.DrawFn) -> Program:
    """Leaf shapes, and steps (op, operand, operand) over the leaves and earlier results."""
    shapes = draw(st.lists(st.sampled_from(LEAF_SHAPES), min_size=1, max_size=4))
    steps = []
    for k in range(draw(st.integers(1, 8))):
        op = draw(st.sampled_from([*sorted(UNARY), *sorted(BINARY), "times M"]))
        available = len(shapes) + k
        steps.append((op, draw(st.integers(0, available - 1)), draw(st.integers(0, available - 1))))
    return shapes + [(3, 3)], steps


def run(program: Program, leaves: list[Tensor]) -> Tensor:
    """The program's scalar loss: every result feeds a weighted sum, so leaves get used often."""
    _, steps = program
    *values, m = leaves
    for op, i, j in steps:
        a, b = values[i], values[j]
        if op == "times M":  # a (5, 3) leaf goes into matmul as it is
            values.append((a if a.shape == (5, 3) else a + Z) @ m)
        else:
            values.append(UNARY[op](a) if op in UNARY else BINARY[op](a, b))
    total = Tensor(0.0)
    for k, v in enumerate(values):
        total = total + ((v + Z) * (0.5 + 0.1 * k)).sum()
    return total


@settings(max_examples=60, deadline=None)
@given(
    program=programs(),
    seed=st.integers(0, 2**16),
    keep=st.lists(st.sampled_from(["nothing", "the array", "a view"]), min_size=5, max_size=5),
    same_graph=st.booleans(),
    how=st.sampled_from(["assign None", "zero_grad"]),
)
def test_random_programs_reusing_arrays_get_fresh_leaves_gradients(
    program: Program, seed: int, keep: list[str], same_graph: bool, how: str
) -> None:
    shapes, _ = program
    rng = np.random.default_rng(seed)
    arrays = [rng.uniform(0.2, 1.5, size=s) * rng.choice([-1.0, 1.0], size=s) for s in shapes]
    expected = grads_of(lambda *ts: run(program, list(ts)), arrays)

    def zero(leaves: list[Tensor]) -> None:
        for t in leaves:
            if how == "zero_grad":
                t.zero_grad()
            else:
                t.grad = None

    leaves = [Tensor(a.copy(), requires_grad=True) for a in arrays]
    loss = run(program, leaves)
    loss.backward()
    held = {}  # what the user keeps of the first gradients: the array, or a view of it
    for k, t in enumerate(leaves):
        if t.grad is not None and keep[k] != "nothing":
            held[k] = (t.grad if keep[k] == "the array" else t.grad[...], np.array(t.grad))
    zero(leaves)
    (loss if same_graph else run(program, leaves)).backward()
    for k, t in enumerate(leaves):
        np.testing.assert_array_equal(grad(t), expected[k])
    for k, (array, copy) in held.items():
        np.testing.assert_array_equal(array, copy)  # never written
        assert not np.shares_memory(array, leaves[k].grad)  # type: ignore[arg-type]

    del held  # now every leaf's array may be reused
    zero(leaves)
    run(program, leaves).backward()
    for k, t in enumerate(leaves):
        np.testing.assert_array_equal(grad(t), expected[k])
    run(program, leaves).backward()  # without zeroing: the gradients add up
    for k, t in enumerate(leaves):
        np.testing.assert_allclose(grad(t), 2 * expected[k], rtol=1e-12, atol=1e-12)
