"""The public checks: the lecture's own worked examples, run against a student's modules.

These are what ``nngrade check`` runs while a student works. Each check
belongs to one contract name and takes the student's loaded module; it
either returns (passed), raises ``CheckFailed`` (a wrong answer, described
by what was called, what came back and what was expected), or lets the
student's own exception through (``NotImplementedError`` from an untouched
stub means "not implemented yet").

They are deliberately few, small and already known from the lecture
(the XOR truth table, σ'(0) = 0.25, descent to 0.739085...): a student who
fails one can redo the example by hand. The hidden grader tests far more,
on inputs nobody has seen, so passing here is necessary, not sufficient.

This file ships to students, so it imports only the standard library,
numpy and ``nngrade.contract``.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import numpy as np

from nngrade.contract import MODULES

__all__ = ["CHECKS", "Check", "CheckFailed", "MissingName", "checks_for", "show"]


class CheckFailed(AssertionError):
    """A wrong answer: what was called, what came back, what was expected, and maybe a note."""

    def __init__(self, call: str, got: str, expected: str, note: str = "") -> None:
        super().__init__(f"{call}: got {got}, expected {expected}")
        self.call = call
        self.got = got
        self.expected = expected
        self.note = note


class MissingName(Exception):
    """The module lacks a name the handout asks for (often a typo or a renamed function)."""

    def __init__(self, module: str, name: str) -> None:
        super().__init__(
            f"{module}.py has no `{name}`; keep the names and signatures from the handout"
        )


@dataclass(frozen=True)
class Check:
    """One public check: the contract name it covers, what it shows, and the code that runs it."""

    module: str
    name: str
    title: str
    run: Callable[[ModuleType], None]
    slow: bool = False
    seconds: float | None = None  # its own time limit, for checks that are slow on purpose


CHECKS: list[Check] = []


def check(
    module: str, name: str, title: str, *, slow: bool = False, seconds: float | None = None
) -> Callable[[Callable[[ModuleType], None]], Callable[[ModuleType], None]]:
    """Register the decorated function as a public check of ``module.name``."""
    if name not in MODULES.get(module, ()):
        raise ValueError(f"{module}.{name} is not a contract name")

    def register(run: Callable[[ModuleType], None]) -> Callable[[ModuleType], None]:
        CHECKS.append(Check(module, name, title, run, slow, seconds))
        return run

    return register


def checks_for(module: str, slow: bool = False) -> list[Check]:
    """The checks of one module in lecture order; slow ones only when asked for."""
    return [c for c in CHECKS if c.module == module and (slow or not c.slow)]


# --------------------------------------------------------------------------- helpers


def show(value: Any, brief: bool = False) -> str:
    """A readable rendering of a value: arrays with their shape when large, floats to 10 digits."""
    if isinstance(value, np.ndarray):
        if brief and value.size > 8:
            return f"<array of shape {value.shape}>"
        text = np.array2string(
            value, precision=6, separator=", ", threshold=30, edgeitems=3, floatmode="maxprec"
        )
        suffix = f" (shape {value.shape})" if value.size > 30 else ""
        return f"array({text}){suffix}"
    if isinstance(value, (bool, np.bool_)):
        return repr(bool(value))
    if isinstance(value, (float, np.floating)):
        return f"{float(value):.10g}"
    if isinstance(value, (int, np.integer)):
        return repr(int(value))
    if isinstance(value, tuple):
        inner = ", ".join(show(v, brief) for v in value)
        return f"({inner}{',' if len(value) == 1 else ''})"
    if isinstance(value, list):
        return "[" + ", ".join(show(v, brief) for v in value) + "]"
    if isinstance(value, np.random.Generator):
        return "rng"
    if callable(value) and hasattr(value, "__name__"):
        return value.__name__
    text = repr(value)
    return text if len(text) <= 200 else text[:197] + "..."


def _function(m: ModuleType, name: str) -> Any:
    """``m.name`` (dotted for methods), or MissingName."""
    target: Any = m
    for part in name.split("."):
        if not hasattr(target, part):
            raise MissingName(m.__name__, name)
        target = getattr(target, part)
    return target


def call(m: ModuleType, name: str, *args: Any, **kwargs: Any) -> tuple[Any, str]:
    """Call ``m.name`` on copies of the arguments; return (result, how the call reads)."""
    fn = _function(m, name)
    shown = [show(a, brief=True) for a in args]
    shown += [f"{k}={show(v, brief=True)}" for k, v in kwargs.items()]
    text = f"{name}({', '.join(shown)})"
    copies = [a.copy() if isinstance(a, np.ndarray) else a for a in args]
    return fn(*copies, **kwargs), text


def expect(
    got: Any,
    expected: Any,
    call_text: str,
    *,
    atol: float = 1e-6,
    rtol: float = 1e-6,
    note: str = "",
) -> None:
    """Compare a result with the expected value; raise CheckFailed saying how they differ.

    An ndarray expected value needs the same shape; a float expected value
    needs a single number; a bool needs True or False.
    """

    def fail(extra: str = "") -> None:
        raise CheckFailed(call_text, show(got), show(expected), extra or note)

    if got is None and expected is not None:
        fail("it returned None: is a `return` missing?")
    if isinstance(expected, bool):
        if not isinstance(got, (bool, np.bool_)) or bool(got) != expected:
            fail()
        return
    if isinstance(expected, (int, float)):
        if np.ndim(got) != 0:
            fail(f"expected a single number, got something of shape {np.shape(got)}")
        try:
            value = float(got)
        except (TypeError, ValueError):
            fail("expected a number")
        if not math.isclose(value, expected, rel_tol=rtol, abs_tol=atol):
            fail()
        return
    expected = np.asarray(expected)
    try:
        array = np.asarray(got, dtype=float)
    except (TypeError, ValueError):
        fail("expected an array of numbers")
    if array.shape != expected.shape:
        fail(f"shape {array.shape} instead of {expected.shape}")
    if not np.allclose(array, expected, rtol=rtol, atol=atol):
        fail(note)


def expect_call(m: ModuleType, name: str, args: tuple, expected: Any, **options: Any) -> Any:
    """Call ``m.name(*args)`` and compare with ``expected`` (see ``expect``); return the result."""
    got, text = call(m, name, *args)
    expect(got, expected, text, **options)
    return got


def expect_raises(m: ModuleType, name: str, args: tuple, error: type[BaseException]) -> None:
    """``m.name(*args)`` must raise ``error``."""
    text = f"{name}({', '.join(show(a, brief=True) for a in args)})"
    try:
        got, _ = call(m, name, *args)
    except error:
        return
    raise CheckFailed(text, show(got), f"{error.__name__} raised")


def _no_warnings(m: ModuleType, name: str, args: tuple, expected: Any) -> None:
    """Like expect_call, and numpy must not warn (overflow in exp, invalid value...)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        got, text = call(m, name, *args)
    expect(got, expected, text)
    if caught:
        raise CheckFailed(
            text,
            f"{show(got)} with the warning: {caught[0].message}",
            f"{show(expected)} without warnings",
            "np.exp of a large argument overflows: compute with e^(-|z|), which is at most 1",
        )


A = np.array([0, 0, 1, 1])
B = np.array([0, 1, 0, 1])


# --------------------------------------------------------------------------- perceptron


@check("perceptron", "step", "step([-1, 0, 2]) is [0, 0, 1]: step(0) == 0")
def _step_basic(m: ModuleType) -> None:
    expect_call(m, "step", (np.array([-1.0, 0.0, 2.0]),), np.array([0, 0, 1]))


@check("perceptron", "step", "step keeps the shape of a 2-D input")
def _step_shape(m: ModuleType) -> None:
    expect_call(m, "step", (np.array([[0.5, -0.5], [0.0, 3.0]]),), np.array([[1, 0], [0, 1]]))


@check("perceptron", "perceptron", "the AND perceptron w=(0.5, 0.5), threshold 0.7 on one input")
def _perceptron_single(m: ModuleType) -> None:
    w = np.array([0.5, 0.5])
    expect_call(m, "perceptron", (np.array([1.0, 1.0]), w, 0.7), 1)
    expect_call(m, "perceptron", (np.array([1.0, 0.0]), w, 0.7), 0)


@check("perceptron", "perceptron", "a batch of four inputs gives four outputs")
def _perceptron_batch(m: ModuleType) -> None:
    x = np.stack([A, B], axis=1).astype(float)
    expect_call(m, "perceptron", (x, np.array([0.5, 0.5]), 0.7), np.array([0, 0, 0, 1]))


@check("perceptron", "and_gate", "the AND truth table")
def _and(m: ModuleType) -> None:
    expect_call(m, "and_gate", (A, B), np.array([0, 0, 0, 1]))


@check("perceptron", "or_gate", "the OR truth table")
def _or(m: ModuleType) -> None:
    expect_call(m, "or_gate", (A, B), np.array([0, 1, 1, 1]))


@check("perceptron", "nand_gate", "the NAND truth table")
def _nand(m: ModuleType) -> None:
    expect_call(m, "nand_gate", (A, B), np.array([1, 1, 1, 0]))


@check("perceptron", "xor", "the XOR truth table")
def _xor(m: ModuleType) -> None:
    expect_call(m, "xor", (A, B), np.array([0, 1, 1, 0]))


@check("perceptron", "xor", "xor broadcasts: a column against a row gives the 2x2 table")
def _xor_broadcast(m: ModuleType) -> None:
    expect_call(m, "xor", (np.array([[0], [1]]), np.array([0, 1])), np.array([[0, 1], [1, 0]]))


# --------------------------------------------------------------------------- activations


@check("activations", "sigmoid", "sigmoid(0) is 0.5 and sigmoid(1) is 0.7310586")
def _sigmoid_values(m: ModuleType) -> None:
    expect_call(m, "sigmoid", (np.array([0.0, 1.0]),), np.array([0.5, 0.7310585786]))


@check("activations", "sigmoid", "sigmoid(±1e4) is 0 and 1, finite and without warnings")
def _sigmoid_large(m: ModuleType) -> None:
    _no_warnings(m, "sigmoid", (np.array([-1e4, 1e4]),), np.array([0.0, 1.0]))


@check("activations", "tanh", "tanh(0) is 0 and tanh(1) is 0.7615942")
def _tanh(m: ModuleType) -> None:
    expect_call(m, "tanh", (np.array([0.0, 1.0]),), np.array([0.0, 0.761594156]))


@check("activations", "relu", "relu([-2, 0, 3]) is [0, 0, 3]")
def _relu(m: ModuleType) -> None:
    expect_call(m, "relu", (np.array([-2.0, 0.0, 3.0]),), np.array([0.0, 0.0, 3.0]))


@check("activations", "sigmoid_prime", "sigmoid'(0) is 0.25, its maximum")
def _sigmoid_prime_zero(m: ModuleType) -> None:
    expect_call(
        m,
        "sigmoid_prime",
        (np.array([0.0]),),
        np.array([0.25]),
        note="σ'(z) = σ(z)(1 - σ(z)) of z itself; 0.235 means you applied it to σ(0)",
    )


@check("activations", "sigmoid_prime", "sigmoid'(±1e4) is 0, finite and without warnings")
def _sigmoid_prime_large(m: ModuleType) -> None:
    _no_warnings(m, "sigmoid_prime", (np.array([-1e4, 1e4]),), np.array([0.0, 0.0]))


@check("activations", "tanh_prime", "tanh'(0) is 1")
def _tanh_prime(m: ModuleType) -> None:
    expect_call(m, "tanh_prime", (np.array([0.0, 1.0]),), np.array([1.0, 0.4199743416]))


@check("activations", "relu_prime", "relu'([-2, 0, 3]) is [0, 0, 1]: relu'(0) == 0")
def _relu_prime(m: ModuleType) -> None:
    expect_call(m, "relu_prime", (np.array([-2.0, 0.0, 3.0]),), np.array([0.0, 0.0, 1.0]))


# --------------------------------------------------------------------------- losses


@check("losses", "one_hot", "one_hot([0, 2, 1], 3) is three rows of the identity")
def _one_hot(m: ModuleType) -> None:
    expect_call(m, "one_hot", (np.array([0, 2, 1]), 3), np.eye(3)[[0, 2, 1]])


@check("losses", "one_hot", "a label outside [0, num_classes) raises ValueError")
def _one_hot_range(m: ModuleType) -> None:
    expect_raises(m, "one_hot", (np.array([0, 3]), 3), ValueError)
    expect_raises(m, "one_hot", (np.array([-1]), 3), ValueError)


@check("losses", "mse", "mse([0.5, 0.5], [1, 0]) is 1/(2*2) * (0.25 + 0.25) = 0.125")
def _mse(m: ModuleType) -> None:
    expect_call(
        m,
        "mse",
        (np.array([0.5, 0.5]), np.array([1.0, 0.0])),
        0.125,
        note="J = 1/(2m) * sum((y - y_pred)**2) with m = len(y)",
    )


@check("losses", "softmax", "softmax([0.3, 2.9, 4.0]) is [0.0182, 0.2452, 0.7366]")
def _softmax_example(m: ModuleType) -> None:
    expect_call(
        m, "softmax", (np.array([0.3, 2.9, 4.0]),), np.array([0.01821127, 0.24519181, 0.73659691])
    )


@check("losses", "softmax", "each row of a 2-D input sums to 1; entries of 1e4 do not overflow")
def _softmax_rows(m: ModuleType) -> None:
    v = np.array([[1.0, 2.0, 3.0], [1e4, 0.0, 1e4]])
    expect_call(m, "softmax", (v,), np.array([[0.09003057, 0.24472847, 0.66524096], [0.5, 0, 0.5]]))


@check("losses", "cross_entropy", "one-hot target [0, 0, 1], probs [0.1, 0.2, 0.7]: -ln 0.7")
def _cross_entropy_row(m: ModuleType) -> None:
    expect_call(
        m,
        "cross_entropy",
        (np.array([0.1, 0.2, 0.7]), np.array([0.0, 0.0, 1.0])),
        -math.log(0.7),
    )


@check("losses", "cross_entropy", "two rows: the mean of -ln 0.7 and -ln 0.5")
def _cross_entropy_mean(m: ModuleType) -> None:
    probs = np.array([[0.1, 0.2, 0.7], [0.5, 0.25, 0.25]])
    targets = np.array([[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]])
    expect_call(
        m,
        "cross_entropy",
        (probs, targets),
        (-math.log(0.7) - math.log(0.5)) / 2,
        note="the loss is the mean over rows, not the sum",
    )


# --------------------------------------------------------------------------- gradient descent


def _sum_of_squares(x: np.ndarray) -> float:
    return float(np.sum(x**2))


@check("gradient_descent", "numerical_gradient", "f(x) = sum(x**2) at [3, 4] has gradient [6, 8]")
def _numerical_gradient(m: ModuleType) -> None:
    x = np.array([3.0, 4.0])
    got, text = call(m, "numerical_gradient", _sum_of_squares, x)
    expect(got, np.array([6.0, 8.0]), text, atol=1e-4)


@check("gradient_descent", "numerical_gradient", "a 2-D x keeps its shape and is left unchanged")
def _numerical_gradient_2d(m: ModuleType) -> None:
    x = np.array([[1.0, -2.0], [0.5, 0.0]])
    fn = _function(m, "numerical_gradient")
    text = f"numerical_gradient(sum_of_squares, {show(x)})"
    expect(fn(_sum_of_squares, x), 2 * np.array([[1.0, -2.0], [0.5, 0.0]]), text, atol=1e-4)
    expect(x, np.array([[1.0, -2.0], [0.5, 0.0]]), f"x after {text}", note="x was modified")


@check("gradient_descent", "gradient_descent", "grad(x) = x - cos(x) leads to x = 0.739085")
def _gradient_descent(m: ModuleType) -> None:
    def grad(x: Any) -> Any:
        return x - np.cos(x)

    got, text = call(m, "gradient_descent", grad, 0.0, 0.5, 100)
    expect(got, 0.7390851332, text)


@check("gradient_descent", "gradient_descent", "one step from [1, 2] with grad(x) = x, lr 0.5")
def _gradient_descent_step(m: ModuleType) -> None:
    def grad(x: Any) -> Any:
        return x

    got, text = call(m, "gradient_descent", grad, np.array([1.0, 2.0]), 0.5, 1)
    expect(got, np.array([0.5, 1.0]), text, note="one step is x - lr * grad(x)")


# --------------------------------------------------------------------------- backprop


# A small network whose numbers can be followed by hand: three inputs, two hidden
# units (some ReLUs off, some on), one output. The expected values are written
# out rather than computed here, so that this file gives no answer away.
_X = np.array([[1.0, 2.0, -1.0], [0.5, -1.0, 2.0], [1.0, 1.0, 1.0]])
_Y = np.array([[1.0], [-1.0], [0.5]])
_W1 = np.array([[0.5, -0.5], [0.25, 1.0], [-1.0, 0.75]])
_W2 = np.array([[1.0], [-2.0]])


@check("backprop", "forward", "the lecture's shapes: N=64, D_in=1000, H=100, D_out=10")
def _forward_shapes(m: ModuleType) -> None:
    rng = np.random.default_rng(0)
    x, w1, w2 = (
        rng.normal(size=(64, 1000)),
        rng.normal(size=(1000, 100)),
        rng.normal(size=(100, 10)),
    )
    got, text = call(m, "forward", x, w1, w2)
    if not isinstance(got, tuple) or len(got) != 3:
        raise CheckFailed(text, show(got, brief=True), "a tuple (h, a, y_pred)")
    shapes = tuple(np.shape(v) for v in got)
    if shapes != ((64, 100), (64, 100), (64, 10)):
        raise CheckFailed(text, f"shapes {shapes}", "shapes ((64, 100), (64, 100), (64, 10))")


@check("backprop", "forward", "h, a = relu(h) and y_pred on a small example, some ReLUs off")
def _forward_values(m: ModuleType) -> None:
    got, text = call(m, "forward", _X, _W1, _W2)
    if not isinstance(got, tuple) or len(got) != 3:
        raise CheckFailed(text, show(got, brief=True), "a tuple (h, a, y_pred)")
    h = np.array([[2.0, 0.75], [-2.0, 0.25], [-0.25, 1.25]])
    a = np.array([[2.0, 0.75], [0.0, 0.25], [0.0, 1.25]])
    y_pred = np.array([[0.5], [-0.5], [-2.5]])
    for label, value, want in zip(("h", "a", "y_pred"), got, (h, a, y_pred), strict=False):
        expect(value, want, f"{label} of {text}")


@check("backprop", "backward", "loss 9.5 and both gradients on the same small example")
def _backward(m: ModuleType) -> None:
    got, text = call(m, "backward", _X, _Y, _W1, _W2)
    if not isinstance(got, tuple) or len(got) != 3:
        raise CheckFailed(text, show(got, brief=True), "a tuple (loss, grad_w1, grad_w2)")
    loss, grad_w1, grad_w2 = got
    expect(loss, 9.5, f"loss of {text}", note="loss = sum((y_pred - y)**2)")
    expect(
        grad_w1,
        np.array([[-1.0, 13.0], [-2.0, 18.0], [1.0, 6.0]]),
        f"grad_w1 of {text}",
        note="relu'(h) is 0 where h <= 0: no gradient flows through a ReLU that is off",
    )
    expect(
        grad_w2, np.array([[-2.0], [-8.0]]), f"grad_w2 of {text}", note="dL/dy_pred = 2(y_pred - y)"
    )


@check("backprop", "xor_grads", "gradients on the four XOR inputs with two hidden units")
def _xor_grads(m: ModuleType) -> None:
    x = np.stack([A, B], axis=1).astype(float)
    y = np.array([[0.0], [1.0], [1.0], [0.0]])
    w1, w2 = np.array([[1.0, -1.0], [-0.5, 2.0]]), np.array([[1.5], [-1.0]])
    got, text = call(m, "xor_grads", x, y, w1, w2)
    if not isinstance(got, tuple) or len(got) != 2:
        raise CheckFailed(text, show(got, brief=True), "a tuple (grad_w1, grad_w2)")
    note = "loss = 1/2 * sum((a2 - y)**2), and each sigmoid contributes a * (1 - a)"
    want1 = np.array([[0.029034159730, -0.014126447218], [-0.001678683756, -0.011980091999]])
    want2 = np.array([[0.053692498638], [0.027282361362]])
    expect(got[0], want1, f"grad_w1 of {text}", atol=1e-9, note=note)
    expect(got[1], want2, f"grad_w2 of {text}", atol=1e-9, note=note)


@check("backprop", "train_xor", "a short run returns weights of shapes (2, hidden) and (hidden, 1)")
def _train_xor_shapes(m: ModuleType) -> None:
    got, text = call(m, "train_xor", hidden=3, epochs=10, lr=0.5, seed=0)
    if not isinstance(got, tuple) or len(got) != 2:
        raise CheckFailed(text, show(got, brief=True), "a tuple (w1, w2)")
    shapes = tuple(np.shape(w) for w in got)
    if shapes != ((2, 3), (3, 1)):
        raise CheckFailed(text, f"shapes {shapes}", "shapes ((2, 3), (3, 1))")


@check(
    "backprop",
    "train_xor",
    "with its defaults (20000 epochs) the trained network computes XOR",
    slow=True,
    seconds=60.0,
)
def _train_xor_learns(m: ModuleType) -> None:
    got, text = call(m, "train_xor")
    w1, w2 = got
    x = np.stack([A, B], axis=1).astype(float)
    s = 1 / (1 + np.exp(-(1 / (1 + np.exp(-(x @ w1))) @ w2)))
    expect(np.round(s).ravel(), np.array([0.0, 1.0, 1.0, 0.0]), f"rounded outputs after {text}")


# --------------------------------------------------------------------------- autodiff


def _graph(m: ModuleType) -> tuple[Callable[..., Any], Callable[[Any], dict]]:
    return _function(m, "Variable"), _function(m, "get_gradients")


def _expect_grads(m: ModuleType, output: Any, expected: dict, text: str) -> None:
    """get_gradients(output)[v] must equal expected[label] for every (label, v) pair."""
    get_gradients = _function(m, "get_gradients")
    grads = get_gradients(output)
    if not isinstance(grads, dict):
        raise CheckFailed(f"get_gradients({text})", show(grads), "a dict {Variable: gradient}")
    for label, (variable, want) in expected.items():
        if variable not in grads:
            raise CheckFailed(
                f"get_gradients({text})[{label}]", "no entry", show(want), "every input needs one"
            )
        expect(grads[variable], want, f"get_gradients({text})[{label}]")


def _value(v: Any, text: str) -> float:
    if not hasattr(v, "value"):
        raise CheckFailed(text, show(v), "a Variable (with a .value)")
    return v.value


@check("autodiff", "Variable", "plain numbers on either side of +, *, -, / give Variables")
def _variable_numbers(m: ModuleType) -> None:
    Variable = _function(m, "Variable")
    a = Variable(4.0)
    cases = [
        ("3 * a", lambda: 3 * a, 12.0),
        ("a * 3", lambda: a * 3, 12.0),
        ("1 - a", lambda: 1 - a, -3.0),
        ("a - 1", lambda: a - 1, 3.0),
        ("2 / a", lambda: 2 / a, 0.5),
        ("a / 2", lambda: a / 2, 2.0),
        ("2 + a", lambda: 2 + a, 6.0),
        ("-a", lambda: -a, -4.0),
    ]
    for text, build, want in cases:
        expect(_value(build(), text), want, f"({text}).value with a = Variable(4.0)")


@check("autodiff", "Variable", "two Variables holding equal values get separate gradients")
def _variable_identity(m: ModuleType) -> None:
    Variable = _function(m, "Variable")
    a, b = Variable(1.0), Variable(1.0)
    try:
        _expect_grads(m, a + 2 * b, {"a": (a, 1.0), "b": (b, 2.0)}, "a + 2 * b with a = b = 1")
    except CheckFailed as failure:
        failure.note = "Variables must hash and compare by identity, not by value"
        raise


@check("autodiff", "Variable.__add__", "c = a + b: value 7, dc/da = dc/db = 1; a + a gives 2")
def _add(m: ModuleType) -> None:
    Variable = _function(m, "Variable")
    a, b = Variable(4.0), Variable(3.0)
    c = a + b
    expect(_value(c, "a + b"), 7.0, "(a + b).value with a = 4, b = 3")
    _expect_grads(m, c, {"a": (a, 1.0), "b": (b, 1.0)}, "a + b")
    _expect_grads(m, a + a, {"a": (a, 2.0)}, "a + a")


@check("autodiff", "Variable.__mul__", "the lecture's graph c = a + b, d = a * c at a=4, b=3")
def _mul(m: ModuleType) -> None:
    Variable = _function(m, "Variable")
    a, b = Variable(4.0), Variable(3.0)
    d = a * (a + b)
    expect(_value(d, "a * (a + b)"), 28.0, "(a * (a + b)).value with a = 4, b = 3")
    _expect_grads(m, d, {"a": (a, 11.0), "b": (b, 4.0)}, "a * (a + b)")


@check("autodiff", "Variable.__mul__", "f = (x + y) * z at x=-2, y=5, z=-4: df/dx=-4, df/dz=3")
def _mul_graph(m: ModuleType) -> None:
    Variable = _function(m, "Variable")
    x, y, z = Variable(-2.0), Variable(5.0), Variable(-4.0)
    f = (x + y) * z
    expect(_value(f, "(x + y) * z"), -12.0, "((x + y) * z).value")
    _expect_grads(m, f, {"x": (x, -4.0), "y": (y, -4.0), "z": (z, 3.0)}, "(x + y) * z")


@check("autodiff", "Variable.__sub__", "a - b at a=4, b=3: value 1, gradients 1 and -1")
def _sub(m: ModuleType) -> None:
    Variable = _function(m, "Variable")
    a, b = Variable(4.0), Variable(3.0)
    c = a - b
    expect(_value(c, "a - b"), 1.0, "(a - b).value with a = 4, b = 3")
    _expect_grads(m, c, {"a": (a, 1.0), "b": (b, -1.0)}, "a - b")
    _expect_grads(m, 10 - a, {"a": (a, -1.0)}, "10 - a")


@check("autodiff", "Variable.__neg__", "-a at a=4: value -4, gradient -1")
def _neg(m: ModuleType) -> None:
    Variable = _function(m, "Variable")
    a = Variable(4.0)
    c = -a
    expect(_value(c, "-a"), -4.0, "(-a).value with a = 4")
    _expect_grads(m, c, {"a": (a, -1.0)}, "-a")


@check("autodiff", "Variable.__truediv__", "a / b at a=1, b=2: gradients 1/b = 0.5, -a/b² = -0.25")
def _div(m: ModuleType) -> None:
    Variable = _function(m, "Variable")
    a, b = Variable(1.0), Variable(2.0)
    c = a / b
    expect(_value(c, "a / b"), 0.5, "(a / b).value with a = 1, b = 2")
    _expect_grads(m, c, {"a": (a, 0.5), "b": (b, -0.25)}, "a / b")
    _expect_grads(m, 1 / b, {"b": (b, -0.25)}, "1 / b")


@check("autodiff", "exp", "exp(0) is 1; d exp(v)/dv at v=1 is e")
def _exp(m: ModuleType) -> None:
    Variable, exp = _function(m, "Variable"), _function(m, "exp")
    expect(_value(exp(Variable(0.0)), "exp(Variable(0.0))"), 1.0, "exp(Variable(0.0)).value")
    v = Variable(1.0)
    _expect_grads(m, exp(v), {"v": (v, math.e)}, "exp(v) with v = 1")


@check("autodiff", "log", "log(e) is 1; d ln(v)/dv at v=2 is 0.5")
def _log(m: ModuleType) -> None:
    Variable, log = _function(m, "Variable"), _function(m, "log")
    expect(_value(log(Variable(math.e)), "log(Variable(e))"), 1.0, "log(Variable(e)).value")
    v = Variable(2.0)
    _expect_grads(m, log(v), {"v": (v, 0.5)}, "log(v) with v = 2")


@check("autodiff", "sigmoid", "f = sigmoid(w*x + b) at (x, w, b) = (1, 0, 0): df/dw = df/db = 0.25")
def _sigmoid_graph(m: ModuleType) -> None:
    Variable, sigmoid = _function(m, "Variable"), _function(m, "sigmoid")
    x, w, b = Variable(1.0), Variable(0.0), Variable(0.0)
    f = sigmoid(w * x + b)
    expect(_value(f, "sigmoid(w*x + b)"), 0.5, "sigmoid(w*x + b).value")
    _expect_grads(m, f, {"w": (w, 0.25), "b": (b, 0.25), "x": (x, 0.0)}, "sigmoid(w*x + b)")


@check("autodiff", "get_gradients", "y = y + y sixty times (2^60 paths) takes linear time")
def _gradients_paths(m: ModuleType) -> None:
    Variable = _function(m, "Variable")
    x = Variable(1.0)
    y = x
    for _ in range(60):
        y = y + y
    _expect_grads(m, y, {"x": (x, 2.0**60)}, "y = y + y (60 times)")


@check("autodiff", "get_gradients", "a chain of 20000 nodes stays within the recursion limit")
def _gradients_chain(m: ModuleType) -> None:
    Variable = _function(m, "Variable")
    x = Variable(1.0)
    y = x
    for _ in range(20000):
        y = y + 1.0
    try:
        _expect_grads(m, y, {"x": (x, 1.0)}, "x + 1 + 1 + ... (20000 nodes)")
    except RecursionError:
        raise CheckFailed(
            "get_gradients(x + 1 + 1 + ... (20000 nodes))",
            "RecursionError",
            "{x: 1.0, ...}",
            "walk the graph with a loop and an explicit stack, not recursion",
        ) from None


# --------------------------------------------------------------------------- regularization


@check("regularization", "dropout", "p = 0 and training=False leave x unchanged, mask all True")
def _dropout_identity(m: ModuleType) -> None:
    x = np.arange(6.0).reshape(2, 3)
    for p, training in ((0.0, True), (0.5, False)):
        got, text = call(m, "dropout", x, p, np.random.default_rng(0), training=training)
        if not isinstance(got, tuple) or len(got) != 2:
            raise CheckFailed(text, show(got, brief=True), "a tuple (out, mask)")
        expect(got[0], x, f"out of {text}")
        mask = np.asarray(got[1])
        if mask.dtype != bool or mask.shape != x.shape or not mask.all():
            raise CheckFailed(f"mask of {text}", show(got[1]), "a boolean array, all True")


@check("regularization", "dropout", "p = 0.2 keeps about 80% and scales kept entries by 1.25")
def _dropout_rate(m: ModuleType) -> None:
    x = np.ones(10000)
    got, text = call(m, "dropout", x, 0.2, np.random.default_rng(0))
    if not isinstance(got, tuple) or len(got) != 2:
        raise CheckFailed(text, show(got, brief=True), "a tuple (out, mask)")
    out, mask = got
    mask = np.asarray(mask)
    if mask.dtype != bool or mask.shape != x.shape:
        raise CheckFailed(f"mask of {text}", show(mask), "a boolean array shaped like x")
    expect(out, np.where(mask, 1.25, 0.0), f"out of {text}", note="out = x * mask / (1 - p)")
    rate = float(mask.mean())
    if not 0.77 < rate < 0.83:
        raise CheckFailed(
            f"mask of {text}", f"{rate:.3f} of entries kept", "about 0.8 (each kept with 1 - p)"
        )


@check("regularization", "dropout", "p outside [0, 1) raises ValueError")
def _dropout_invalid(m: ModuleType) -> None:
    for p in (1.0, -0.1):
        expect_raises(m, "dropout", (np.ones(3), p, np.random.default_rng(0)), ValueError)


@check("regularization", "dropout_backward", "the gradient flows through kept entries, scaled")
def _dropout_backward(m: ModuleType) -> None:
    mask = np.array([True, False, True, True])
    expect_call(
        m,
        "dropout_backward",
        (np.array([1.0, 2.0, 3.0, 4.0]), mask, 0.5),
        np.array([2.0, 0.0, 6.0, 8.0]),
    )


@check("regularization", "EarlyStopping", "losses 1, .8, .9, .85, .95, patience 3: stop at call 5")
def _early_stopping(m: ModuleType) -> None:
    EarlyStopping = _function(m, "EarlyStopping")
    stopper = EarlyStopping(patience=3)
    losses = [1.0, 0.8, 0.9, 0.85, 0.95]
    got = [stopper.step(loss) for loss in losses]
    text = f"EarlyStopping(patience=3).step on {losses}"
    if [bool(g) for g in got] != [False, False, False, False, True]:
        raise CheckFailed(text, show(got), "[False, False, False, False, True]")
    expect(stopper.best_loss, 0.8, f"best_loss after {text}")
    expect(stopper.best_epoch, 1, f"best_epoch after {text}", note="0-based index of the best call")


@check("regularization", "EarlyStopping", "min_delta: a gain of only 0.01 is no improvement")
def _early_stopping_delta(m: ModuleType) -> None:
    stopper = _function(m, "EarlyStopping")(patience=2, min_delta=0.05)
    losses = [1.0, 0.99, 0.98]
    got = [stopper.step(loss) for loss in losses]
    text = f"EarlyStopping(patience=2, min_delta=0.05).step on {losses}"
    if [bool(g) for g in got] != [False, False, True]:
        raise CheckFailed(text, show(got), "[False, False, True]")
    expect(stopper.best_loss, 1.0, f"best_loss after {text}")


@check("regularization", "rotate", "rotating by 90 degrees equals np.rot90 (counter-clockwise)")
def _rotate_90(m: ModuleType) -> None:
    image = np.arange(16.0).reshape(4, 4)
    expect_call(m, "rotate", (image, 90), np.rot90(image), atol=0)
    image = np.arange(9.0).reshape(3, 3)
    expect_call(m, "rotate", (image, 180), np.rot90(image, 2), atol=0)


@check("regularization", "rotate", "rotating by 0 or 360 degrees changes nothing")
def _rotate_full(m: ModuleType) -> None:
    image = np.arange(12.0).reshape(3, 4)
    expect_call(m, "rotate", (image, 0), image, atol=0)
    expect_call(m, "rotate", (image, 360), image, atol=0)


# --------------------------------------------------------------------------- vanishing


@check("vanishing", "chain_gradient", "depth 1, sigmoid: -2(1 - σ(1)) σ'(1) = -0.1057542")
def _chain_one(m: ModuleType) -> None:
    expect_call(m, "chain_gradient", (1,), -0.10575418556853343)


@check("vanishing", "chain_gradient", "with the sigmoid, |dC/dw1| shrinks at every extra layer")
def _chain_shrinks(m: ModuleType) -> None:
    fn = _function(m, "chain_gradient")
    values = [float(fn(depth)) for depth in range(1, 6)]
    if not all(0 < abs(b) < abs(a) for a, b in zip(values, values[1:], strict=False)):
        raise CheckFailed(
            "[chain_gradient(depth) for depth in 1..5]",
            show(values),
            "nonzero values whose size shrinks with depth",
        )


@check("vanishing", "chain_gradient", "tanh at depth 3 gives -0.145479; relu keeps y = Y, so 0")
def _chain_other(m: ModuleType) -> None:
    expect_call(m, "chain_gradient", (3, "tanh"), -0.14547899977094475)
    expect_call(m, "chain_gradient", (3, "relu"), 0.0)


# ---------------------------------------------------------------- the rest of the lecture
# gradient_check, the lecture's programs on Variable, overfitting.py and layer_gradients.
# Numbers are the lecture's where it has them (the neuron's costs from 0.25, the 4-layer
# sigmoid chain) and otherwise small cases that can be redone by hand.


def _cubes(x: np.ndarray) -> float:
    return float(np.sum(x**3))


@check("gradient_descent", "gradient_check",
       "a right gradient scores ~0, half of it scores 1/3, two zero gradients score 0.0")
def _gradient_check_basic(m: ModuleType) -> None:
    x = np.array([1.0, -2.0, 3.0, 0.0])

    def halved(v: np.ndarray) -> np.ndarray:
        return v  # half of the true gradient 2x: error |2x - x| / (2|x| + |x|) = 1/3 (0 at 0)

    got, text = call(m, "gradient_check", _sum_of_squares, lambda v: 2 * v, x)
    if isinstance(got, (float, np.floating)) and not math.isfinite(got):
        raise CheckFailed(text, show(got), "0.0", "where both gradients are 0 (x = 0 here) the "
                          "error is 0 / max(0, 1e-12) = 0, not 0/0 = nan")
    expect(got, 0.0, text, atol=1e-8, note="a right gradient differs only by rounding")
    got, text = call(m, "gradient_check", _sum_of_squares, halved, x)
    expect(got, 1 / 3, text, atol=1e-6, note="the relative error |g - n| / max(|g| + |n|, "
           "1e-12), the largest entry; not the absolute error, not a mean (0.25), and 0 where "
           "both are 0, not 0/0 = nan")
    got, text = call(m, "gradient_check", lambda v: 0.0, np.zeros_like, np.zeros(2))
    expect(got, 0.0, text, note="both zero: 0 / max(0, 1e-12) = 0, not 0/0 = nan")


@check("gradient_descent", "gradient_check",
       "sum(x**3) with h = 0.1: central differences give 3x² + h², error 0.00166389")
def _gradient_check_h(m: ModuleType) -> None:
    x = np.array([1.0, 2.0])
    got, text = call(m, "gradient_check", _cubes, lambda v: 3 * v**2, x, 0.1)
    expect(got, 0.0016638935108, text, atol=1e-9,
           note="at x = 1: |3 - 3.01| / 6.01; 0.0491 means the one-sided difference "
                "(f(x+h) - f(x)) / h, which the grader does not accept, and ~0 means h was "
                "ignored")
    expect(x, np.array([1.0, 2.0]), f"x after {text}", note="x was modified")


@check("autodiff", "train_neuron",
       "the lecture's neuron: one step from w = b = 0 costs 0.25 and moves both to 0.025")
def _train_neuron_step(m: ModuleType) -> None:
    got, text = call(m, "train_neuron", 1, 0.1)
    if not isinstance(got, tuple) or len(got) != 3:
        raise CheckFailed(text, show(got, brief=True), "a tuple (costs, w, b)")
    costs, w, b = got
    if not isinstance(costs, list) or any(hasattr(c, "local_gradients") for c in costs):
        raise CheckFailed(f"costs of {text}", show(costs), "[0.25], a list of floats",
                          "record C.value, the number, not the Variable C")
    expect(costs, np.array([0.25]), f"costs of {text}",
           note="y = sigmoid(0) = 0.5 and C = (0.5 - 1)**2: the cost before the update")
    for label, value in (("w", w), ("b", b)):
        expect(value, 0.025, f"{label} of {text}",
               note="dC/dw = dC/db = 2(y - Y) * 0.25 = -0.25 (the lecture's 0.25), "
                    "so each moves by -lr * -0.25")


@check("autodiff", "train_neuron", "ten steps with lr = 0.1: the lecture's costs 0.25 ... 0.1604")
def _train_neuron_ten(m: ModuleType) -> None:
    got, text = call(m, "train_neuron")
    if not isinstance(got, tuple) or len(got) != 3:
        raise CheckFailed(text, show(got, brief=True), "a tuple (costs, w, b)")
    costs = np.array([0.25, 0.237658788435, 0.225948184870, 0.214860371490, 0.204382041901,
                      0.194495458342, 0.185179452416, 0.176410338918, 0.168162724524,
                      0.160410203320])
    expect(got[0], costs, f"costs of {text}", atol=1e-9,
           note="costs[k] is C before the k-th update")
    expect(got[1], 0.2208980122536, f"w of {text}", atol=1e-9)
    expect(got[2], 0.2208980122536, f"b of {text}", atol=1e-9)


_NINE_ZEROS = "w = [Variable(0.0) for _ in range(9)]"


@check("autodiff", "xor_net",
       "all nine weights 0: output 0.5, d/dw[8] = 0.25, d/dw[6] = d/dw[7] = 0.125")
def _xor_net_zeros(m: ModuleType) -> None:
    Variable, xor_net = _function(m, "Variable"), _function(m, "xor_net")
    w = [Variable(0.0) for _ in range(9)]
    out = xor_net(w, 1.0, 1.0)
    expect(_value(out, "xor_net(w, 1, 1)"), 0.5, f"xor_net(w, 1, 1).value with {_NINE_ZEROS}",
           note="sigmoid at every unit, the output too: sigmoid(0) = 0.5")
    wanted = {f"w[{j}]": (w[j], want) for j, want in
              enumerate([0.0] * 6 + [0.125, 0.125, 0.25])}
    try:
        _expect_grads(m, out, wanted, f"xor_net(w, 1, 1) with {_NINE_ZEROS}")
    except CheckFailed as failure:
        failure.note = ("build the network from the Variable operators and sigmoid, so every "
                        "weight is in its graph (a new Variable made from .value has none)")
        raise


@check("autodiff", "xor_net",
       "a hand-made XOR net (6, 6, -3, -6, -6, 9, 8, 8, -12) gives .026, .962, .962, .026")
def _xor_net_hand_made(m: ModuleType) -> None:
    Variable, xor_net = _function(m, "Variable"), _function(m, "xor_net")
    weights = [6.0, 6.0, -3.0, -6.0, -6.0, 9.0, 8.0, 8.0, -12.0]
    got = []
    for x1, x2 in ((0, 0), (0, 1), (1, 0), (1, 1)):
        w = [Variable(v) for v in weights]
        got.append(_value(xor_net(w, float(x1), float(x2)), f"xor_net(w, {x1}, {x2})"))
    expect(np.array(got), np.array([0.026043963005, 0.962355100242, 0.962355100242,
                                    0.026043963005]),
           f"[xor_net(w, x1, x2).value for the four XOR inputs] with w = {weights}", atol=1e-9,
           note="h1 = sigmoid(x1*w[0] + x2*w[1] + w[2]), h2 = sigmoid(x1*w[3] + x2*w[4] + w[5]),"
                " output sigmoid(w[6]*h1 + w[7]*h2 + w[8])")


@check("autodiff", "train_xor_autodiff",
       "epochs=0 returns the start standard_normal(9); one epoch moves it as the lecture's step")
def _train_xor_autodiff_start(m: ModuleType) -> None:
    start = np.array([0.125730221093, -0.132104863291, 0.640422650443, 0.104900117153,
                      -0.535669373161, 0.361595054909, 1.304000045130, 0.947080963129,
                      -0.703735235807])
    got, text = call(m, "train_xor_autodiff", 0)
    expect(got, start, text, atol=1e-9,
           note="the start is np.random.default_rng(seed).standard_normal(9)")
    after = np.array([0.120876588132, -0.135607356063, 0.632061777343, 0.100987685447,
                      -0.538643554267, 0.354906895443, 1.285318544801, 0.931580686095,
                      -0.732117159355])
    got, text = call(m, "train_xor_autodiff", 1)
    expect(got, after, text, atol=1e-9,
           note="one epoch: C = the sum over the four cases of (xor_net - t)**2, then every "
                "w_j <- w_j - lr * dC/dw_j at once")


@check("autodiff", "train_xor_autodiff",
       "with its defaults (20000 epochs) the outputs are 0.030, 0.974, 0.974, 0.031: XOR",
       slow=True, seconds=120.0)
def _train_xor_autodiff_learns(m: ModuleType) -> None:
    Variable, xor_net = _function(m, "Variable"), _function(m, "xor_net")
    got, text = call(m, "train_xor_autodiff")
    outputs = [_value(xor_net([Variable(float(v)) for v in got], float(x1), float(x2)),
                      "xor_net") for x1, x2 in ((0, 0), (0, 1), (1, 0), (1, 1))]
    expect(np.array(outputs), np.array([0.029531457664, 0.974055552338, 0.974046507088,
                                        0.031049532319]),
           f"xor_net's outputs with the weights of {text}", atol=1e-6)


@check("overfitting", "polynomial_features", "x = [0, 2, -1], degree 3: columns 1, x, x², x³")
def _polynomial_features(m: ModuleType) -> None:
    expect_call(m, "polynomial_features", (np.array([0.0, 2.0, -1.0]), 3),
                np.array([[1.0, 0, 0, 0], [1, 2, 4, 8], [1, -1, 1, -1]]),
                note="column k is x**k, the constant column first (np.vander is reversed)")


@check("overfitting", "fit_polynomial",
       "a line through (-1, 1), (0, 3), (1, 5) is w = [3, 2]; with l2 = 1, w[0] stays unpenalised")
def _fit_polynomial(m: ModuleType) -> None:
    expect_call(m, "fit_polynomial", (np.array([-1.0, 0.0, 1.0]), np.array([1.0, 3.0, 5.0]), 1),
                np.array([3.0, 2.0]), note="w[0] + w[1] x: the constant first")
    expect_call(m, "fit_polynomial", (np.array([-1.0, 1.0]), np.array([2.0, 4.0]), 1, 1.0),
                np.array([3.0, 0.5]),
                note="normal equations (X^T X / m + l2 D) w = X^T y / m with D[0, 0] = 0; "
                     "[1.5, 0.5] means w[0] was penalised too, [3, 0.333] a missing 1/m")


@check("overfitting", "fit_polynomial",
       "one point (1, 3) and degree 2, l2 = 0: the minimum-norm w = [1, 1, 1]")
def _fit_polynomial_min_norm(m: ModuleType) -> None:
    try:
        expect_call(m, "fit_polynomial", (np.array([1.0]), np.array([3.0]), 2),
                    np.array([1.0, 1.0, 1.0]),
                    note="every w with w[0] + w[1] + w[2] = 3 fits; the smallest is [1, 1, 1]")
    except np.linalg.LinAlgError as error:
        raise CheckFailed("fit_polynomial(array([1.]), array([3.]), 2)", f"LinAlgError: {error}",
                          "array([1., 1., 1.])", "X^T X is singular here: use np.linalg.lstsq "
                          "or np.linalg.pinv, which give the minimum-norm solution") from None


@check("overfitting", "train_test_errors",
       "degrees 0 and 1 on (-1, 1), (0, 3), (1, 5), test point (2, 7): ([4/3, 0], [8, 0])")
def _train_test_errors(m: ModuleType) -> None:
    got, text = call(m, "train_test_errors", np.array([-1.0, 0.0, 1.0]),
                     np.array([1.0, 3.0, 5.0]), np.array([2.0]), np.array([7.0]), [0, 1])
    if not isinstance(got, tuple) or len(got) != 2:
        raise CheckFailed(text, show(got, brief=True), "a tuple (train_err, test_err)")
    note = ("degree 0 fits the mean 3: training error (4 + 0 + 4) / (2 * 3), test error "
            "(3 - 7)**2 / (2 * 1); the line fits all four points")
    expect(got[0], np.array([4 / 3, 0.0]), f"train_err of {text}", note=note)
    expect(got[1], np.array([8.0, 0.0]), f"test_err of {text}", note=note)


@check("overfitting", "early_stopping_fit",
       "train on y = 2x, validate on y = x: best epoch 0, stop 2 epochs later, keep w = [0, 1]")
def _early_stopping_fit(m: ModuleType) -> None:
    x = np.array([-1.0, 1.0])
    got, text = call(m, "early_stopping_fit", x, 2 * x, x, x, 1, 0.5, 10, 2)
    if not isinstance(got, tuple) or len(got) != 4:
        raise CheckFailed(text, show(got, brief=True), "a tuple (w, best_epoch, train, val)")
    w, best, train, val = got
    if np.ndim(val) == 1 and len(val) and math.isclose(float(val[0]), 0.5):
        raise CheckFailed(f"val_curve of {text}", show(val), "array([0., 0.125, 0.28125])",
                          "0.5 is the loss of the starting w = 0: record each epoch's losses "
                          "after its step, not before it")
    expect(val, np.array([0.0, 0.125, 0.28125]), f"val_curve of {text}",
           note="w[1] goes 1, 1.5, 1.75: losses after each step")
    expect(train, np.array([0.5, 0.125, 0.03125]), f"train_curve of {text}")
    expect(best, 0, f"best_epoch of {text}", note="the 0-based index of the best epoch")
    expect(w, np.array([0.0, 1.0]), f"w of {text}",
           note="the weights of the best epoch, not the last ones ([0, 1.75])")


@check("vanishing", "layer_gradients",
       "the lecture's chain with 4 sigmoid layers: -0.00147 (w1) ... -0.550 (the last layer)")
def _layer_gradients_sigmoid(m: ModuleType) -> None:
    expect_call(m, "layer_gradients", (4,),
                np.array([-0.00147218610620, -0.00694618895299, -0.02851597410763,
                          -0.12421984392576, -0.55007319809800]), atol=1e-12,
                note="w1 first, then each layer's w in order; a layer's w is used twice, "
                     "y = w * f(w * y), so its gradient has two terms")


@check("vanishing", "layer_gradients", "relu with x = 0.5, Y = 2, 2 layers: [-1.5, -3, -3]")
def _layer_gradients_relu(m: ModuleType) -> None:
    expect_call(m, "layer_gradients", (2, "relu", 0.5, 2.0), np.array([-1.5, -3.0, -3.0]),
                note="y stays 0.5 and dC/dy = -2(Y - y) = -3; w1 gets -3 * x = -1.5; each "
                     "layer's w is used twice, -3 * (f(z) + f'(z) * y_prev) = -3 * (0.5 + 0.5)")
