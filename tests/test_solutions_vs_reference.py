"""``solutions/`` against the reference answer key, on every contract name, over random inputs.

The two are independent implementations of the contract: ``solutions/`` by
hand-written formulas (what students see after the deadline), the reference
by the autodiff engine. Agreement on random inputs, and on the edge cases
the contract names, is the evidence that both are right.
"""

from __future__ import annotations

import importlib.util
import math
import time
import warnings
from pathlib import Path
from types import ModuleType

import hypothesis.extra.numpy as hnp
import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from nngrade.contract import MODULES
from nngrade.reference.course import activations as ref_activations
from nngrade.reference.course import autodiff as ref_autodiff
from nngrade.reference.course import backprop as ref_backprop
from nngrade.reference.course import gradient_descent as ref_gradient_descent
from nngrade.reference.course import losses as ref_losses
from nngrade.reference.course import overfitting as ref_overfitting
from nngrade.reference.course import perceptron as ref_perceptron
from nngrade.reference.course import regularization as ref_regularization
from nngrade.reference.course import vanishing as ref_vanishing

SOLUTIONS = Path(__file__).resolve().parents[1] / "solutions"
FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _load(name: str) -> ModuleType:
    """A solution module loaded by path, on its own (solutions never import each other)."""
    spec = importlib.util.spec_from_file_location(f"solution_{name}", SOLUTIONS / f"{name}.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


perceptron = _load("perceptron")
activations = _load("activations")
losses = _load("losses")
gradient_descent = _load("gradient_descent")
backprop = _load("backprop")
autodiff = _load("autodiff")
regularization = _load("regularization")
vanishing = _load("vanishing")
overfitting = _load("overfitting")


def close(a: object, b: object, rtol: float = 1e-9, atol: float = 1e-12) -> bool:
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return a.shape == b.shape and bool(np.allclose(a, b, rtol=rtol, atol=atol))


def test_every_contract_name_exists_in_solutions_and_reference() -> None:
    for module, names in MODULES.items():
        for pair in ((_load(module), "solutions"), (globals()[f"ref_{module}"], "reference")):
            for name in names:
                target: object = pair[0]
                for part in name.split("."):
                    assert hasattr(target, part), f"{pair[1]} {module}.{name}"
                    target = getattr(target, part)


# --------------------------------------------------------------------------- strategies

shapes = hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=5)


def floats(bound: float = 1e4) -> st.SearchStrategy[float]:
    return st.one_of(
        st.floats(-bound, bound, allow_nan=False, width=64),
        st.sampled_from([0.0, -0.0, bound, -bound, 1.0, -1.0]),
    )


def arrays(bound: float = 1e4, shape: st.SearchStrategy = shapes) -> st.SearchStrategy:
    return hnp.arrays(np.float64, shape, elements=floats(bound))


bits = hnp.arrays(np.int64, hnp.array_shapes(max_dims=2, max_side=4), elements=st.integers(0, 1))


# --------------------------------------------------------------------------- perceptron


@FAST
@given(arrays())
def test_step(x: np.ndarray) -> None:
    got = perceptron.step(x)
    assert np.array_equal(got, ref_perceptron.step(x)) and got.shape == x.shape
    assert set(np.unique(got)) <= {0, 1}


def test_step_of_zero_is_zero() -> None:
    assert perceptron.step(0) == 0 == ref_perceptron.step(0)
    assert perceptron.step(0.0) == 0 and perceptron.step(-0.0) == 0


@FAST
@given(st.data(), st.integers(1, 5), st.integers(0, 6))
def test_perceptron(data: st.DataObject, d: int, n: int) -> None:
    w = data.draw(arrays(10, st.just((d,))))
    threshold = data.draw(floats(10))
    for shape in ((d,), (n, d)):
        x = data.draw(hnp.arrays(np.float64, shape, elements=st.integers(-3, 3).map(float)))
        got = perceptron.perceptron(x, w, threshold)
        assert np.array_equal(got, ref_perceptron.perceptron(x, w, threshold))
        assert np.shape(got) == shape[:-1]


@FAST
@given(bits, bits)
def test_gates_broadcast_like_the_reference(a: np.ndarray, b: np.ndarray) -> None:
    try:
        np.broadcast_shapes(a.shape, b.shape)
    except ValueError:
        assume(False)
    for gate in ("and_gate", "or_gate", "nand_gate", "xor"):
        got = getattr(perceptron, gate)(a, b)
        assert np.array_equal(got, getattr(ref_perceptron, gate)(a, b)), gate


def test_truth_tables() -> None:
    a, b = np.array([0, 0, 1, 1]), np.array([0, 1, 0, 1])
    assert perceptron.and_gate(a, b).tolist() == [0, 0, 0, 1]
    assert perceptron.or_gate(a, b).tolist() == [0, 1, 1, 1]
    assert perceptron.nand_gate(a, b).tolist() == [1, 1, 1, 0]
    assert perceptron.xor(a, b).tolist() == [0, 1, 1, 0]
    assert perceptron.xor(1, 0) == 1


# --------------------------------------------------------------------------- activations

ACTIVATION_NAMES = ["sigmoid", "tanh", "relu", "sigmoid_prime", "tanh_prime", "relu_prime"]


@pytest.mark.parametrize("name", ACTIVATION_NAMES)
@FAST
@given(z=arrays())
def test_activation(name: str, z: np.ndarray) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # |z| up to 1e4 must be warning-free
        got = getattr(activations, name)(z)
    want = getattr(ref_activations, name)(z)
    assert np.all(np.isfinite(got))
    assert close(got, want), (z, got, want)


def test_activation_edge_cases() -> None:
    z = np.array([-1e4, -710.0, 0.0, 710.0, 1e4])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert close(activations.sigmoid(z), [0, 0, 0.5, 1, 1])
        assert close(activations.sigmoid_prime(z), [0, 0, 0.25, 0, 0])
    assert activations.relu_prime(0.0) == 0 == ref_activations.relu_prime(np.array(0.0))
    assert activations.tanh_prime(0.0) == 1.0
    assert activations.relu(np.array([-1.0, 2.0])).tolist() == [0.0, 2.0]


# --------------------------------------------------------------------------- losses


@FAST
@given(st.integers(1, 6).flatmap(lambda k: st.tuples(st.just(k), st.lists(st.integers(0, k - 1)))))
def test_one_hot(case: tuple[int, list[int]]) -> None:
    k, labels = case
    got = losses.one_hot(np.array(labels, dtype=int), k)
    assert close(got, ref_losses.one_hot(np.array(labels, dtype=int), k))
    assert got.shape == (len(labels), k)


@pytest.mark.parametrize("labels", [[3], [-1], [0, 1, 5], [1.5]])
def test_one_hot_rejects_labels_out_of_range(labels: list) -> None:
    for module in (losses, ref_losses):
        with pytest.raises(ValueError):
            module.one_hot(np.array(labels), 3)


@FAST
@given(st.data(), hnp.array_shapes(min_dims=1, max_dims=2, max_side=5))
def test_mse(data: st.DataObject, shape: tuple[int, ...]) -> None:
    y_pred = data.draw(arrays(100, st.just(shape)))
    y = data.draw(arrays(100, st.just(shape)))
    assert math.isclose(
        losses.mse(y_pred, y), ref_losses.mse(y_pred, y), rel_tol=1e-9, abs_tol=1e-9
    )


def test_mse_uses_one_over_two_m() -> None:
    assert losses.mse(np.array([0.5, 0.5]), np.array([1.0, 0.0])) == 0.125


@FAST
@given(st.data(), hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=5))
def test_softmax(data: st.DataObject, shape: tuple[int, ...]) -> None:
    v = data.draw(arrays(1e4, st.just(shape)))
    axis = data.draw(st.integers(-len(shape), len(shape) - 1))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = losses.softmax(v, axis=axis)
    assert close(got, ref_losses.softmax(v, axis=axis))
    assert close(got.sum(axis=axis), np.ones(np.delete(shape, axis % len(shape))))


@FAST
@given(st.data(), st.integers(1, 4), st.integers(2, 5), st.booleans())
def test_cross_entropy(data: st.DataObject, n: int, k: int, one_row: bool) -> None:
    scores = data.draw(arrays(20, st.just((n, k))))
    probs = losses.softmax(scores)
    if data.draw(st.booleans()):
        labels = data.draw(hnp.arrays(np.int64, (n,), elements=st.integers(0, k - 1)))
        targets = np.eye(k)[labels]
    else:
        targets = losses.softmax(data.draw(arrays(5, st.just((n, k)))))
    if one_row:  # a 1-D input is one row
        probs, targets = probs[0], targets[0]
    got = losses.cross_entropy(probs, targets)
    assert isinstance(got, float)
    assert math.isclose(got, ref_losses.cross_entropy(probs, targets), rel_tol=1e-9, abs_tol=1e-12)


def test_cross_entropy_of_a_one_hot_row_is_minus_log_p() -> None:
    assert math.isclose(
        losses.cross_entropy(np.array([0.1, 0.2, 0.7]), np.array([0, 0, 1])), -math.log(0.7)
    )


# --------------------------------------------------------------------------- gradient descent

FUNCTIONS = {
    "sum of squares": lambda x: float(np.sum(x**2)),
    "sin x times x": lambda x: float(np.sum(np.sin(x) * x)),
    "coupled": lambda x: float(np.sum(x) ** 2 + np.prod(np.tanh(x))),
}


@pytest.mark.parametrize("f", FUNCTIONS.values(), ids=FUNCTIONS.keys())
@FAST
@given(x=arrays(3, hnp.array_shapes(min_dims=0, max_dims=2, max_side=4)))
def test_numerical_gradient(f, x: np.ndarray) -> None:  # noqa: ANN001
    before = x.copy()
    got = gradient_descent.numerical_gradient(f, x)
    assert np.array_equal(x, before), "x must be left unchanged"
    assert close(got, ref_gradient_descent.numerical_gradient(f, x), rtol=1e-6, atol=1e-6)


@FAST
@given(
    arrays(3, hnp.array_shapes(min_dims=0, max_dims=2, max_side=4)),
    st.floats(0.01, 0.9),
    st.integers(0, 30),
)
def test_gradient_descent(x0: np.ndarray, lr: float, steps: int) -> None:
    def grad(x):  # noqa: ANN001, ANN202
        return x - np.cos(x)

    before = x0.copy()
    got = gradient_descent.gradient_descent(grad, x0, lr, steps)
    assert np.array_equal(x0, before)
    assert close(got, ref_gradient_descent.gradient_descent(grad, x0, lr, steps))


def test_gradient_descent_reaches_the_lectures_fixed_point() -> None:
    x = gradient_descent.gradient_descent(lambda x: x - np.cos(x), 0.0, 0.5, 100)
    assert abs(float(x) - 0.739085133) < 1e-8


GRADIENTS = {  # f and a gradient for it, right or wrong
    "right": (lambda x: float(np.sum(np.sin(x) * x)), lambda x: np.cos(x) * x + np.sin(x)),
    "wrong": (lambda x: float(np.sum(np.sin(x) * x)), lambda x: np.cos(x) * x),
    "zero": (lambda x: 0.0, lambda x: np.zeros_like(x)),
}


@pytest.mark.parametrize("pair", GRADIENTS.values(), ids=GRADIENTS.keys())
@FAST
@given(x=arrays(3, hnp.array_shapes(min_dims=0, max_dims=2, max_side=4)),
       h=st.sampled_from([1e-5, 1e-3, 1e-2]))
def test_gradient_check(pair, x: np.ndarray, h: float) -> None:  # noqa: ANN001
    f, grad_f = pair
    before = x.copy()
    got = gradient_descent.gradient_check(f, grad_f, x, h)
    assert np.array_equal(x, before), "x must be left unchanged"
    assert isinstance(got, float) and 0.0 <= got <= 1.0
    assert math.isclose(got, ref_gradient_descent.gradient_check(f, grad_f, x, h),
                        rel_tol=1e-6, abs_tol=1e-9)


# --------------------------------------------------------------------------- backprop

dims = st.integers(0, 5)


@FAST
@given(st.data(), dims, st.integers(1, 5), st.integers(1, 5), st.integers(1, 4))
def test_forward_and_backward(data: st.DataObject, n: int, d: int, h: int, o: int) -> None:
    x = data.draw(arrays(3, st.just((n, d))))
    y = data.draw(arrays(3, st.just((n, o))))
    w1 = data.draw(arrays(3, st.just((d, h))))
    w2 = data.draw(arrays(3, st.just((h, o))))
    for got, want in zip(backprop.forward(x, w1, w2), ref_backprop.forward(x, w1, w2), strict=True):
        assert close(got, want)
    loss, g1, g2 = backprop.backward(x, y, w1, w2)
    ref_loss, ref_g1, ref_g2 = ref_backprop.backward(x, y, w1, w2)
    assert isinstance(loss, float) and math.isclose(loss, ref_loss, rel_tol=1e-9, abs_tol=1e-9)
    assert close(g1, ref_g1, rtol=1e-7, atol=1e-9) and close(g2, ref_g2, rtol=1e-7, atol=1e-9)


@FAST
@given(st.data(), st.integers(1, 6), st.integers(0, 4))
def test_xor_grads(data: st.DataObject, hidden: int, n: int) -> None:
    x = data.draw(arrays(2, st.just((n, 2))))
    y = data.draw(hnp.arrays(np.float64, (n, 1), elements=st.sampled_from([0.0, 1.0])))
    w1 = data.draw(arrays(4, st.just((2, hidden))))
    w2 = data.draw(arrays(4, st.just((hidden, 1))))
    for got, want in zip(
        backprop.xor_grads(x, y, w1, w2), ref_backprop.xor_grads(x, y, w1, w2), strict=True
    ):
        assert close(got, want, rtol=1e-7, atol=1e-12)


def _predicts_xor(w1: np.ndarray, w2: np.ndarray) -> bool:
    a2 = ref_backprop._predict(w1, w2)
    return np.array_equal(np.round(a2), ref_backprop.XOR_Y)


def test_train_xor_learns_xor_with_the_defaults() -> None:
    start = time.perf_counter()
    w1, w2 = backprop.train_xor()
    assert time.perf_counter() - start < 60.0  # a hang guard, not a speed target
    assert w1.shape == (2, 10) and w2.shape == (10, 1)
    assert _predicts_xor(w1, w2)


@pytest.mark.parametrize("seed", [1, 2, 3, 5, 8, 13, 21, 34])
def test_train_xor_learns_xor_for_many_seeds(seed: int) -> None:
    assert _predicts_xor(*backprop.train_xor(seed=seed))


def test_train_xor_is_deterministic_in_its_seed_and_honours_its_arguments() -> None:
    a = backprop.train_xor(hidden=4, epochs=50, seed=7)
    b = backprop.train_xor(hidden=4, epochs=50, seed=7)
    assert all(np.array_equal(u, v) for u, v in zip(a, b, strict=True))
    assert a[0].shape == (2, 4) and a[1].shape == (4, 1)


# --------------------------------------------------------------------------- autodiff

# A tape is a list of operations on earlier nodes; building it with either
# implementation's Variable must give the same values and the same gradients.
OPS = [
    ("add", 2, lambda m, a, b: a + b),
    ("sub", 2, lambda m, a, b: a - b),
    ("mul", 2, lambda m, a, b: a * b),
    ("div", 2, lambda m, a, b: a / (b * b + 1)),
    ("neg", 1, lambda m, a: -a),
    ("radd", 1, lambda m, a: 2.5 + a),
    ("rsub", 1, lambda m, a: 1.5 - a),
    ("rmul", 1, lambda m, a: -3 * a),
    ("rdiv", 1, lambda m, a: 2 / (a * a + 1)),
    ("const", 1, lambda m, a: a * 0.5 - 1),
    ("exp", 1, lambda m, a: m.exp(m.sigmoid(a) * 3)),
    ("log", 1, lambda m, a: m.log(a * a + 0.5)),
    ("sigmoid", 1, lambda m, a: m.sigmoid(a)),
]

tapes = st.tuples(
    st.lists(st.floats(-2, 2, allow_nan=False), min_size=1, max_size=4),
    st.lists(
        st.tuples(st.integers(0, len(OPS) - 1), st.integers(0, 99), st.integers(0, 99)),
        min_size=1,
        max_size=25,
    ),
)


def _build(
    m: ModuleType, leaves: list[float], steps: list[tuple[int, int, int]]
) -> tuple[list, object]:
    inputs = [m.Variable(v) for v in leaves]
    nodes = list(inputs)
    for op, i, j in steps:
        _, arity, fn = OPS[op]
        args = [nodes[i % len(nodes)], nodes[j % len(nodes)]][:arity]
        nodes.append(fn(m, *args))
    return inputs, nodes[-1]


@settings(max_examples=150, deadline=None)
@given(tapes)
def test_autodiff_graphs_match_the_reference(tape: tuple[list[float], list]) -> None:
    leaves, steps = tape
    try:
        ref_inputs, ref_out = _build(ref_autodiff, leaves, steps)
    except (OverflowError, ZeroDivisionError, ValueError):
        assume(False)
    assume(abs(ref_out.value) < 1e100)
    inputs, out = _build(autodiff, leaves, steps)
    assert math.isclose(out.value, ref_out.value, rel_tol=1e-9, abs_tol=1e-12)
    got, want = autodiff.get_gradients(out), ref_autodiff.get_gradients(ref_out)
    assume(all(abs(want.get(v, 0.0)) < 1e100 for v in ref_inputs))
    assert got[out] == 1.0
    for mine, theirs in zip(inputs, ref_inputs, strict=True):
        assert math.isclose(got.get(mine, 0.0), want.get(theirs, 0.0), rel_tol=1e-7, abs_tol=1e-9)


def test_the_lectures_autodiff_examples() -> None:
    V = autodiff.Variable
    x, w, b = V(1.0), V(0.0), V(0.0)
    f = autodiff.sigmoid(w * x + b)
    grads = autodiff.get_gradients(f)
    assert f.value == 0.5 and grads[w] == 0.25 and grads[b] == 0.25
    a, b = V(4.0), V(3.0)
    d = a * (a + b)
    grads = autodiff.get_gradients(d)
    assert (d.value, grads[a], grads[b]) == (28.0, 11.0, 4.0)


def test_variables_hash_and_compare_by_identity() -> None:
    a, b = autodiff.Variable(1.0), autodiff.Variable(1.0)
    assert a != b and a == a and len({a, b}) == 2
    grads = autodiff.get_gradients(a + 2 * b)
    assert grads[a] == 1.0 and grads[b] == 2.0


def test_get_gradients_is_linear_time_on_exponentially_many_paths() -> None:
    x = y = autodiff.Variable(1.0)
    for _ in range(60):
        y = y + y
    start = time.perf_counter()
    assert autodiff.get_gradients(y)[x] == 2.0**60
    # 2**60 paths: a walk per path would never end; one topological pass is instant.
    # The bound only guards against that, it is not a speed target.
    assert time.perf_counter() - start < 30.0


def test_get_gradients_handles_long_chains_without_recursion() -> None:
    x = y = autodiff.Variable(0.5)
    for _ in range(30000):
        y = autodiff.sigmoid(y) * 1.0 + 0.0
    grads = autodiff.get_gradients(y)
    assert x in grads and math.isfinite(grads[x])


def test_sigmoid_variable_is_finite_for_large_inputs() -> None:
    for v in (-1e4, 1e4):
        node = autodiff.sigmoid(autodiff.Variable(v))
        assert node.value in (0.0, 1.0) and autodiff.get_gradients(node)[node] == 1.0


def test_the_lectures_autodiff_programs_match_the_reference() -> None:
    for steps, lr in ((10, 0.1), (0, 0.1), (3, 2.5)):
        costs, w, b = autodiff.train_neuron(steps, lr)
        want = ref_autodiff.train_neuron(steps, lr)
        assert len(costs) == steps and all(isinstance(c, float) for c in costs)
        assert close(costs, want[0]) and close([w, b], want[1:])
    for epochs, lr, seed in ((0, 0.1, 0), (1, 0.1, 0), (7, 0.8, 3)):
        got = autodiff.train_xor_autodiff(epochs, lr, seed)
        assert len(got) == 9 and all(isinstance(v, float) for v in got)
        assert close(got, ref_autodiff.train_xor_autodiff(epochs, lr, seed))


@FAST
@given(st.lists(st.floats(-4, 4), min_size=9, max_size=9), st.sampled_from([0.0, 1.0]),
       st.sampled_from([0.0, 1.0]))
def test_xor_net_matches_the_reference(weights: list[float], x1: float, x2: float) -> None:
    mine = [autodiff.Variable(v) for v in weights]
    theirs = [ref_autodiff.Variable(v) for v in weights]
    out, want = autodiff.xor_net(mine, x1, x2), ref_autodiff.xor_net(theirs, x1, x2)
    assert isinstance(out, autodiff.Variable) and math.isclose(out.value, want.value,
                                                                rel_tol=1e-12, abs_tol=1e-15)
    grads, ref_grads = autodiff.get_gradients(out), ref_autodiff.get_gradients(want)
    assert close([grads[v] for v in mine], [ref_grads[v] for v in theirs], rtol=1e-9,
                 atol=1e-14)


def test_train_xor_autodiff_learns_xor_with_its_defaults() -> None:
    weights = autodiff.train_xor_autodiff()
    outputs = ref_autodiff.xor_outputs(weights)
    assert [round(o) for o in outputs] == [0, 1, 1, 0]
    assert close(weights, ref_autodiff.train_xor_autodiff(), rtol=1e-7, atol=1e-9)


# --------------------------------------------------------------------------- overfitting

inputs = hnp.arrays(np.float64, st.integers(1, 12), elements=st.floats(-1, 1))


@FAST
@given(inputs, st.integers(0, 12))
def test_polynomial_features(x: np.ndarray, degree: int) -> None:
    got = overfitting.polynomial_features(x, degree)
    assert got.dtype == np.float64 and got.shape == (len(x), degree + 1)
    assert close(got, ref_overfitting.polynomial_features(x, degree), rtol=1e-14, atol=0)


def _spread(n: int, jitter: np.ndarray) -> np.ndarray:
    """n inputs in [-1, 1], no two closer than 1/n: a fit that is not ill-posed by accident."""
    return np.clip(np.linspace(-1, 1, n) + jitter[:n] * 0.4 / n, -1, 1)


@FAST
@given(st.integers(2, 20), st.integers(0, 12), st.sampled_from([1e-3, 1e-2, 0.1, 1.0]),
       hnp.arrays(np.float64, 20, elements=st.floats(-1, 1)),
       hnp.arrays(np.float64, 20, elements=st.floats(-3, 3)))
def test_fit_polynomial_with_l2(n: int, degree: int, l2: float, jitter: np.ndarray,
                                y: np.ndarray) -> None:
    x = _spread(n, jitter)
    got = overfitting.fit_polynomial(x, y[:n], degree, l2)
    want = ref_overfitting.fit_polynomial(x, y[:n], degree, l2)
    assert got.shape == want.shape == (degree + 1,)
    assert close(got, want, rtol=1e-7, atol=1e-9 * max(1.0, np.abs(want).max()))


@FAST
@given(st.integers(2, 14), st.integers(0, 12),
       hnp.arrays(np.float64, 14, elements=st.floats(-1, 1)),
       hnp.arrays(np.float64, 14, elements=st.floats(-3, 3)))
def test_fit_polynomial_without_l2_minimises_with_the_least_norm(
        n: int, degree: int, jitter: np.ndarray, y: np.ndarray) -> None:
    x = _spread(n, jitter)
    got = overfitting.fit_polynomial(x, y[:n], degree)
    want = ref_overfitting.fit_polynomial(x, y[:n], degree)
    features = ref_overfitting.polynomial_features(x, degree)

    def loss(w: np.ndarray) -> float:
        return float(np.sum((features @ w - y[:n]) ** 2) / (2 * n))

    assert loss(got) <= loss(want) * (1 + 1e-6) + 1e-12
    if degree + 1 >= n:  # interpolation: the minimum-norm one
        assert np.linalg.norm(got) <= np.linalg.norm(want) * (1 + 1e-6)


def test_train_test_errors_matches_the_reference() -> None:
    rng = np.random.default_rng(4)
    x, x_test = np.linspace(-1, 1, 10), np.linspace(-0.95, 0.97, 23)
    y, y_test = np.sin(3 * x) + 0.2 * rng.normal(size=10), np.sin(3 * x_test)
    for degrees, l2 in (([1, 3, 9], 0.0), ([0, 2, 5, 12], 0.01)):
        got = overfitting.train_test_errors(x, y, x_test, y_test, degrees, l2)
        want = ref_overfitting.train_test_errors(x, y, x_test, y_test, degrees, l2)
        for g, w in zip(got, want, strict=True):
            assert g.dtype == np.float64 and close(g, w, rtol=1e-7, atol=1e-15)


@pytest.mark.parametrize(("degree", "lr", "patience", "min_delta"),
                         [(1, 0.3, 3, 0.0), (3, 0.5, 5, 1e-4), (2, 0.1, 1, 0.0)])
def test_early_stopping_fit_matches_the_reference(degree: int, lr: float, patience: int,
                                                  min_delta: float) -> None:
    x, x_val = np.linspace(-1, 1, 9), np.linspace(-0.9, 0.8, 6)
    args = (x, 2 * x + x**2, x_val, x_val, degree, lr, 400, patience, min_delta)
    w, best, train, val = overfitting.early_stopping_fit(*args)
    want = ref_overfitting.early_stopping_fit(*args)
    assert best == want[1] and len(train) == len(want[2])
    assert close(w, want[0], rtol=1e-9, atol=1e-12)
    assert close(train, want[2]) and close(val, want[3])


# --------------------------------------------------------------------------- regularization

probabilities = st.one_of(st.just(0.0), st.floats(0.0, 0.95))


@FAST
@given(
    arrays(100, hnp.array_shapes(min_dims=0, max_dims=3, max_side=6)),
    probabilities,
    st.integers(0, 2**32),
    st.booleans(),
)
def test_dropout_properties(x: np.ndarray, p: float, seed: int, training: bool) -> None:
    out, mask = regularization.dropout(x, p, np.random.default_rng(seed), training=training)
    assert mask.dtype == bool and mask.shape == x.shape and out.shape == x.shape
    if not training or p == 0:
        assert mask.all() and np.array_equal(out, x)
    else:
        assert close(out, x * mask / (1 - p))
    again, mask_again = regularization.dropout(x, p, np.random.default_rng(seed), training=training)
    assert np.array_equal(mask, mask_again) and np.array_equal(out, again)
    ref_out, ref_mask = ref_regularization.dropout(
        x, p, np.random.default_rng(seed), training=training
    )
    assert ref_mask.shape == mask.shape and (training and p > 0 or ref_mask.all())


@pytest.mark.parametrize("p", [0.1, 0.5, 0.8])
def test_dropout_keeps_entries_at_rate_one_minus_p(p: float) -> None:
    out, mask = regularization.dropout(np.ones((200, 500)), p, np.random.default_rng(0))
    assert abs(mask.mean() - (1 - p)) < 0.01
    assert abs(out.mean() - 1.0) < 0.02  # inverted dropout keeps the expectation


@pytest.mark.parametrize("p", [1.0, 1.5, -0.1, float("nan")])
def test_invalid_p_raises(p: float) -> None:
    for module in (regularization, ref_regularization):
        with pytest.raises(ValueError):
            module.dropout(np.ones(3), p, np.random.default_rng(0))
        with pytest.raises(ValueError):
            module.dropout(np.ones(3), p, np.random.default_rng(0), training=False)


@FAST
@given(st.data(), hnp.array_shapes(min_dims=0, max_dims=3, max_side=5), probabilities)
def test_dropout_backward(data: st.DataObject, shape: tuple[int, ...], p: float) -> None:
    grad_out = data.draw(arrays(100, st.just(shape)))
    mask = data.draw(hnp.arrays(np.bool_, shape))
    got = regularization.dropout_backward(grad_out, mask, p)
    assert close(got, ref_regularization.dropout_backward(grad_out, mask, p))


@FAST
@given(
    st.integers(1, 4),
    st.one_of(st.just(0.0), st.floats(0, 0.5)),
    st.lists(st.one_of(st.floats(0, 2), st.sampled_from([1.0, 0.5, 0.25])), max_size=15),
)
def test_early_stopping(patience: int, min_delta: float, val_losses: list[float]) -> None:
    mine = regularization.EarlyStopping(patience, min_delta=min_delta)
    theirs = ref_regularization.EarlyStopping(patience, min_delta=min_delta)
    for loss in val_losses:
        assert bool(mine.step(loss)) == bool(theirs.step(loss))
        assert mine.best_loss == theirs.best_loss and mine.best_epoch == theirs.best_epoch


def test_early_stopping_lecture_sequence() -> None:
    stopper = regularization.EarlyStopping(patience=3)
    assert [stopper.step(v) for v in (1.0, 0.8, 0.9, 0.85, 0.95)] == [False] * 4 + [True]
    assert (stopper.best_loss, stopper.best_epoch) == (0.8, 1)


image_shapes = st.tuples(st.integers(1, 7), st.integers(1, 7))


@FAST
@given(st.data(), image_shapes, st.integers(-8, 8))
def test_rotate_by_multiples_of_90_is_exact(
    data: st.DataObject, shape: tuple[int, int], k: int
) -> None:
    image = data.draw(hnp.arrays(np.float64, shape, elements=st.floats(-9, 9)))
    got = regularization.rotate(image, 90 * k)
    assert got.shape == image.shape
    assert np.array_equal(got, ref_regularization.rotate(image, 90 * k))
    if shape[0] == shape[1]:
        assert np.array_equal(got, np.rot90(image, k))


@FAST
@given(st.data(), image_shapes, st.floats(-720, 720))
def test_rotate_at_other_angles_matches_up_to_rounding_ties(
    data: st.DataObject, shape: tuple[int, int], degrees: float
) -> None:
    image = data.draw(hnp.arrays(np.float64, shape, elements=st.floats(1, 9)))
    got = regularization.rotate(image, degrees)
    differ = np.count_nonzero(got != ref_regularization.rotate(image, degrees))
    assert differ <= max(1, image.size // 10)


# --------------------------------------------------------------------------- vanishing


@FAST
@given(
    st.integers(0, 40),
    st.sampled_from(["sigmoid", "tanh", "relu"]),
    st.floats(-3, 3),
    st.floats(-3, 3),
)
def test_chain_gradient(depth: int, activation: str, x: float, Y: float) -> None:
    got = vanishing.chain_gradient(depth, activation, x=x, Y=Y)
    assert isinstance(got, float)
    assert math.isclose(
        got, ref_vanishing.chain_gradient(depth, activation, x=x, Y=Y), rel_tol=1e-9, abs_tol=1e-15
    )


@FAST
@given(
    st.integers(0, 30),
    st.sampled_from(["sigmoid", "tanh", "relu"]),
    st.floats(-3, 3),
    st.floats(-3, 3),
)
def test_layer_gradients(depth: int, activation: str, x: float, Y: float) -> None:  # noqa: N803
    got = vanishing.layer_gradients(depth, activation, x=x, Y=Y)
    assert isinstance(got, np.ndarray) and got.dtype == np.float64 and got.shape == (depth + 1,)
    assert close(got, ref_vanishing.layer_gradients(depth, activation, x=x, Y=Y), rtol=1e-9,
                 atol=1e-15)


def test_chain_gradient_vanishes_with_the_sigmoid() -> None:
    values = [abs(vanishing.chain_gradient(d)) for d in range(1, 12)]
    assert all(b < a / 3 for a, b in zip(values, values[1:], strict=False))
    with pytest.raises(ValueError):
        vanishing.chain_gradient(3, "softplus")
