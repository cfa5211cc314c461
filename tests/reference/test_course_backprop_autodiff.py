"""Answer key, backprop.py and autodiff.py: gradients checked against central differences,
the XOR training converging, and the scalar Variable graph of the lecture."""

from __future__ import annotations

import math
import sys

import numpy as np
import pytest

from nngrade.reference.course import autodiff as ad
from nngrade.reference.course import backprop as bp
from nngrade.reference.gradcheck import numerical_gradient

RNG = np.random.default_rng(42)
X, Y = RNG.normal(size=(6, 5)), RNG.normal(size=(6, 3))
W1, W2 = RNG.normal(size=(5, 4)), RNG.normal(size=(4, 3))


def test_forward_is_the_lectures_two_layer_net() -> None:
    h, a, y_pred = bp.forward(X, W1, W2)
    np.testing.assert_allclose(h, X @ W1)
    np.testing.assert_allclose(a, np.maximum(X @ W1, 0))
    np.testing.assert_allclose(y_pred, np.maximum(X @ W1, 0) @ W2)


def test_backward_matches_central_differences() -> None:
    loss, g1, g2 = bp.backward(X, Y, W1, W2)
    assert isinstance(loss, float)
    assert loss == pytest.approx(np.sum((bp.forward(X, W1, W2)[2] - Y) ** 2))
    assert g1.shape == W1.shape and g2.shape == W2.shape
    np.testing.assert_allclose(
        g1, numerical_gradient(lambda w: bp.backward(X, Y, w, W2)[0], W1), rtol=1e-5, atol=1e-6
    )
    np.testing.assert_allclose(
        g2, numerical_gradient(lambda w: bp.backward(X, Y, W1, w)[0], W2), rtol=1e-5, atol=1e-6
    )


def _xor_loss(x, y, w1, w2) -> float:
    s = lambda z: 1 / (1 + np.exp(-z))  # noqa: E731
    return 0.5 * np.sum((s(s(x @ w1) @ w2) - y) ** 2)


def test_xor_grads_match_central_differences() -> None:
    w1, w2 = RNG.normal(size=(2, 6)), RNG.normal(size=(6, 1))
    x, y = bp.XOR_X, bp.XOR_Y
    g1, g2 = bp.xor_grads(x, y, w1, w2)
    np.testing.assert_allclose(
        g1, numerical_gradient(lambda w: _xor_loss(x, y, w, w2), w1), rtol=1e-6, atol=1e-9
    )
    np.testing.assert_allclose(
        g2, numerical_gradient(lambda w: _xor_loss(x, y, w1, w), w2), rtol=1e-6, atol=1e-9
    )


def _assert_computes_xor(w1: np.ndarray, w2: np.ndarray, hidden: int) -> None:
    assert w1.shape == (2, hidden) and w2.shape == (hidden, 1)
    s = lambda z: 1 / (1 + np.exp(-z))  # noqa: E731
    np.testing.assert_array_equal(np.round(s(s(bp.XOR_X @ w1) @ w2)), bp.XOR_Y)


def test_train_xor_with_the_defaults() -> None:
    _assert_computes_xor(*bp.train_xor(), 10)


def test_train_xor_is_deterministic_in_the_seed() -> None:
    first, again = bp.train_xor(epochs=300, seed=4), bp.train_xor(epochs=300, seed=4)
    np.testing.assert_array_equal(first[0], again[0])
    np.testing.assert_array_equal(first[1], again[1])


@pytest.mark.parametrize(("hidden", "seed"), [(10, 1), (10, 2), (10, 7), (4, 3), (20, 5)])
def test_train_xor_converges_for_other_seeds_and_widths(hidden: int, seed: int) -> None:
    _assert_computes_xor(*bp.train_xor(hidden=hidden, epochs=8000, seed=seed), hidden)


# ---------------------------------------------------------------- autodiff.Variable


def test_lecture_graph_sigmoid_of_wx_plus_b() -> None:
    x, w, b = ad.Variable(1.0), ad.Variable(0.0), ad.Variable(0.0)
    f = ad.sigmoid(w * x + b)
    grads = ad.get_gradients(f)
    assert f.value == 0.5
    assert grads[w] == pytest.approx(0.25) and grads[b] == pytest.approx(0.25)
    assert grads[x] == 0.0 and grads[f] == 1.0


def test_operators_with_numbers_on_either_side() -> None:
    a, b = ad.Variable(3.0), ad.Variable(-2.0)
    cases = {
        "a + b": (a + b, 1.0, 1.0),
        "a * b": (a * b, -2.0, 3.0),
        "a - b": (a - b, 1.0, -1.0),
        "a / b": (a / b, -0.5, -3.0 / 4.0),
        "-a": (-a, -1.0, 0.0),
        "2 + a": (2 + a, 1.0, 0.0),
        "a + 2": (a + 2, 1.0, 0.0),
        "2 * a": (2 * a, 2.0, 0.0),
        "2 - a": (2 - a, -1.0, 0.0),
        "a - 2": (a - 2, 1.0, 0.0),
        "6 / a": (6 / a, -6 / 9, 0.0),
        "a / 2": (a / 2, 0.5, 0.0),
    }
    for text, (out, da, db) in cases.items():
        assert isinstance(out, ad.Variable), text
        assert out.value == pytest.approx(eval(text, {"a": 3.0, "b": -2.0})), text
        grads = ad.get_gradients(out)
        assert grads.get(a, 0.0) == pytest.approx(da), text
        assert grads.get(b, 0.0) == pytest.approx(db), text


def test_value_and_local_gradients_attributes() -> None:
    a, b = ad.Variable(2), ad.Variable(5.0)
    assert isinstance(a.value, float) and a.local_gradients == ()
    c = a * b
    assert [(child, d) for child, d in c.local_gradients] == [(a, 5.0), (b, 2.0)]
    e = ad.exp(a)
    assert e.value == pytest.approx(math.exp(2)) and e.local_gradients[0][1] == pytest.approx(
        math.exp(2)
    )
    lg = ad.log(b)
    assert lg.value == pytest.approx(math.log(5)) and lg.local_gradients[0][1] == pytest.approx(0.2)
    s = ad.sigmoid(ad.Variable(-1e4))
    assert s.value == 0.0 and s.local_gradients[0][1] == 0.0


def test_variables_hash_and_compare_by_identity() -> None:
    a, b = ad.Variable(1.0), ad.Variable(1.0)
    assert a != b and a == a
    assert len({a, b}) == 2


def test_a_variable_used_twice_collects_both_paths() -> None:
    a = ad.Variable(3.0)
    assert ad.get_gradients(a * a)[a] == 6.0
    assert ad.get_gradients(a * a * a - a / a)[a] == pytest.approx(27.0)


def test_exponentially_many_paths_in_linear_time() -> None:
    x = ad.Variable(1.0)
    y = x
    for _ in range(60):
        y = y + y  # 2**60 paths from y to x: only a once-per-node walk finishes
    grads = ad.get_gradients(y)
    assert grads[x] == 2.0**60
    assert len(grads) == 61


def test_a_deep_chain_needs_no_recursion() -> None:
    x = ad.Variable(0.5)
    y = x
    for _ in range(5000):
        y = y * 1.0 + 0.0
    limit = sys.getrecursionlimit()
    assert ad.get_gradients(y)[x] == 1.0
    assert sys.getrecursionlimit() == limit


def test_python_errors_for_impossible_values() -> None:
    with pytest.raises(ZeroDivisionError):
        ad.Variable(1.0) / 0
    with pytest.raises(ValueError):
        ad.log(ad.Variable(0.0))


def test_overflow_behaves_like_python_floats() -> None:
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        big = ad.Variable(1e308) * 10  # a float overflows quietly to inf
        assert big.value == math.inf
        with pytest.raises(OverflowError):
            ad.exp(ad.Variable(1000.0))  # like math.exp


def test_train_xor_epochs_are_single_gradient_steps() -> None:
    w1_a, w2_a = bp.train_xor(hidden=5, epochs=3, lr=0.3, seed=11)
    w1_b, w2_b = bp.train_xor(hidden=5, epochs=4, lr=0.3, seed=11)
    g1, g2 = bp.xor_grads(bp.XOR_X, bp.XOR_Y, w1_a, w2_a)
    np.testing.assert_allclose(w1_b, w1_a - 0.3 * g1, rtol=1e-12)
    np.testing.assert_allclose(w2_b, w2_a - 0.3 * g2, rtol=1e-12)
    start = np.random.default_rng(11)
    w1_0, w2_0 = bp.train_xor(hidden=5, epochs=0, seed=11)
    np.testing.assert_array_equal(w1_0, start.normal(size=(2, 5)))
    np.testing.assert_array_equal(w2_0, start.normal(size=(5, 1)))
