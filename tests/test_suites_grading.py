"""The hidden suites graded in-process: solutions score 100, stubs 0, classic bugs get named.

One grading process (a subprocess, so that student code never runs in the
test session) grades every submission below with
`nngrade.hidden.inprocess.InProcessBackend`: solutions/, exercises/, hand-made buggy
modules (each a small, complete module with one classic mistake), and
solutions/ again to check that the same seed gives the same verdicts.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from nngrade.contract import MODULES

ROOT = Path(__file__).resolve().parents[1]
SEED = 20240607

# The grading session, run in a fresh interpreter: argv[1] = jobs JSON, argv[2] = results JSON.
SESSION = r"""
import json, sys
from nngrade.hidden.grader import SuiteGrader
from nngrade.hidden.inprocess import SourceBackend
from nngrade.hidden.suite import collect
from nngrade.records import Submission
from nngrade.rubric import load_rubric

jobs = json.load(open(sys.argv[1]))
# a short call timeout keeps the exponential-time bug cheap (train_xor asks for its own)
grader = SuiteGrader(SourceBackend(timeout=1.0), collect(), seed=int(sys.argv[3]),
                     rubric=load_rubric())
results = {n: grader.grade(Submission(n, s)) for n, s in jobs.items()}
json.dump(results, open(sys.argv[2], "w"))
"""


# The same, through the real sandbox (bubblewrap when available): the drivers must be
# registered in the zygote, and results must survive the wire format.
SANDBOX_SESSION = r"""
import json, sys
from nngrade.hidden.grader import SuiteGrader
from nngrade.hidden.suite import collect
from nngrade.records import Submission
from nngrade.rubric import load_rubric
from nngrade.sandbox import Limits, Sandbox

jobs = json.load(open(sys.argv[1]))
with Sandbox(Limits(call_seconds=1.0)) as box:
    grader = SuiteGrader(box, collect(), seed=int(sys.argv[3]), rubric=load_rubric())
    results = {n: grader.grade(Submission(n, s)) for n, s in jobs.items()}
json.dump(results, open(sys.argv[2], "w"))
"""


def _module(source: str) -> str:
    return textwrap.dedent(source).lstrip()


# ------------------------------------------------------------------ buggy modules

PERCEPTRON = """
import numpy as np

def step(x):
    {step}

def perceptron(x, w, threshold):
    return step(np.asarray(x) @ np.asarray(w) - threshold)

def _gate(a, b, w, t):
    return perceptron(np.stack(np.broadcast_arrays(a, b), axis=-1), np.array(w), t)

def and_gate(a, b):
    return _gate(a, b, [0.5, 0.5], 0.7)

def or_gate(a, b):
    return _gate(a, b, [0.5, 0.5], 0.2)

def nand_gate(a, b):
    return _gate(a, b, [-0.5, -0.5], -0.7)

def xor(a, b):
    {xor}
"""

ACTIVATIONS_BUGGY = """
import numpy as np

def sigmoid(z):
    z = np.asarray(z, dtype=float)
    return np.exp(z) / (1 + np.exp(z))        # overflows: inf / inf for large z

def tanh(z):
    return np.tanh(z)

def relu(z):
    return np.maximum(z, 0)

def sigmoid_prime(z):
    return z * (1 - z)                        # derivative of the activated value

def tanh_prime(z):
    return 1 - np.asarray(z) ** 2             # derivative of the activated value

def relu_prime(z):
    return (np.asarray(z) >= 0).astype(float)  # relu'(0) = 1
"""

LOSSES = """
import numpy as np

def one_hot(labels, num_classes):
    return np.eye(num_classes)[np.asarray(labels)]      # no range check

def mse(y_pred, y):
    {mse}

def softmax(v, axis=-1):
    {softmax}

def cross_entropy(probs, targets):
    probs = np.atleast_2d(probs); targets = np.atleast_2d(targets)
    return float(-np.sum(targets * np.log(probs)))       # summed, not averaged
"""

GRADIENT_DESCENT = """
import numpy as np

def numerical_gradient(f, x, h=1e-5):
    {numerical_gradient}

def gradient_descent(grad, x0, lr, steps):
    x = np.array(x0, dtype=float)
    for _ in range({steps}):
        x = x {sign} lr * grad(x)
    return x
"""

FORWARD_DIFFERENCE = """
    x = np.array(x, dtype=float)
    g = np.zeros_like(x)
    fx = f(x)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + h
        g[i] = (f(x) - fx) / h
        x[i] = old
    return g
"""

MUTATING = """
    g = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        x[i] += h
        up = f(x)
        x[i] -= 2 * h
        g[i] = (up - f(x)) / (2 * h)                     # x is left h lower
    return g
"""

BACKPROP = """
import numpy as np

def forward(x, w1, w2):
    h = x @ w1
    a = np.maximum(h, 0)
    return h, a, a @ w2

def backward(x, y, w1, w2):
    h, a, y_pred = forward(x, w1, w2)
    loss = float(np.sum((y_pred - y) ** 2))
    grad_y = {factor} * (y_pred - y)
    grad_w2 = a.T @ grad_y
    grad_h = (grad_y @ w2.T){mask}
    grad_w1 = {grad_w1}
    return loss, grad_w1, grad_w2
"""

AUTODIFF = """
import math

class Variable:
    def __init__(self, value, local_gradients=()):
        self.value = float(value)
        self.local_gradients = tuple(local_gradients)
{identity}
    def __add__(self, other):
        other = _lift(other)
        return Variable(self.value + other.value, ((self, 1.0), (other, 1.0)))

    def __radd__(self, other):
        return _lift(other) + self

    def __mul__(self, other):
        other = _lift(other)
        return Variable(self.value * other.value, ((self, other.value), (other, self.value)))

    def __rmul__(self, other):
        return _lift(other) * self

    def __neg__(self):
        return Variable(-self.value, ((self, -1.0),))

    def __sub__(self, other):
        return self + (-_lift(other))

    def __rsub__(self, other):
        return _lift(other) - self

    def __truediv__(self, other):
        other = _lift(other)
        return Variable(self.value / other.value,
                        ((self, 1 / other.value), (other, -self.value / other.value ** 2)))

    def __rtruediv__(self, other):
        return _lift(other) / self

def _lift(x):
    return x if isinstance(x, Variable) else Variable(x)

def exp(v):
    e = math.exp(v.value)
    return Variable(e, ((v, e),))

def log(v):
    return Variable(math.log(v.value), ((v, 1 / v.value),))

def sigmoid(v):
    s = 1 / (1 + math.exp(-v.value))
    return Variable(s, ((v, s * (1 - s)),))

def get_gradients(variable):
{get_gradients}
"""

BY_VALUE = """
    def __eq__(self, other):
        return isinstance(other, Variable) and self.value == other.value

    def __hash__(self):
        return hash(self.value)
"""

PATH_ENUMERATION = """
    from collections import defaultdict
    gradients = defaultdict(float)

    def walk(node, path_value):
        for child, local in node.local_gradients:
            gradients[child] += path_value * local
            walk(child, path_value * local)

    walk(variable, 1.0)
    return gradients
"""

LINEAR = """
    order, seen, stack = [], set(), [(variable, False)]
    while stack:
        node, done = stack.pop()
        if done:
            order.append(node)
            continue
        if node in seen:
            continue
        seen.add(node)
        stack.append((node, True))
        stack.extend((child, False) for child, _ in node.local_gradients if child not in seen)
    gradients = {node: 0.0 for node in order}
    gradients[variable] = 1.0
    for node in reversed(order):
        for child, local in node.local_gradients:
            gradients[child] += gradients[node] * local
    return gradients
"""

STATEFUL = """
    order, seen, stack = [], set(), [(variable, False)]
    while stack:
        node, done = stack.pop()
        if done:
            order.append(node)
            continue
        if node in seen:
            continue
        seen.add(node)
        stack.append((node, True))
        stack.extend((child, False) for child, _ in node.local_gradients if child not in seen)
    variable.grad = getattr(variable, "grad", 0.0) + 1.0   # micrograd-style .grad, never reset
    for node in reversed(order):
        for child, local in node.local_gradients:
            child.grad = getattr(child, "grad", 0.0) + node.grad * local
    return {node: node.grad for node in order}
"""

REGULARIZATION = """
import numpy as np

def dropout(x, p, rng, training=True):
    if not 0 <= p < 1:
        raise ValueError("p")
    x = np.asarray(x, dtype=float)
    if not training or p == 0:
        return x.copy(), np.ones(x.shape, dtype=bool)
    mask = {mask}
    return {out}, mask

def dropout_backward(grad_out, mask, p):
    return np.asarray(grad_out) * mask                   # no 1/(1-p)

class EarlyStopping:
    def __init__(self, patience, min_delta=0.0):
        self.patience, self.min_delta = patience, min_delta
        self.best_loss, self.best_epoch, self.calls, self.bad = float("inf"), None, 0, 0

    def step(self, val_loss):
        if val_loss < self.best_loss - self.min_delta:
            self.best_loss, self.best_epoch, self.bad = val_loss, self.calls, 0
        else:
            self.bad += 1
        self.calls += 1
        return self.bad > self.patience                  # one call too late

def rotate(image, degrees):
    image = np.asarray(image)
    h, w = image.shape
    cy, cx = (h - 1) / 2, (w - 1) / 2
    t = np.radians(-degrees)                             # clockwise
    cos, sin = round(np.cos(t), 12), round(np.sin(t), 12)
    rows, cols = np.indices((h, w))
    y, x = rows - cy, cols - cx
    sr = np.rint(x * sin + y * cos + cy).astype(int)
    sc = np.rint(x * cos - y * sin + cx).astype(int)
    inside = (sr >= 0) & (sr < h) & (sc >= 0) & (sc < w)
    out = np.zeros_like(image)
    out[inside] = image[sr[inside], sc[inside]]
    return out
"""

VANISHING = """
import numpy as np

def _s(z):
    return 1 / (1 + np.exp(-z))

F = {"sigmoid": (_s, lambda z: _s(z) * (1 - _s(z))),
     "tanh": (np.tanh, lambda z: 1 - np.tanh(z) ** 2),
     "relu": (lambda z: max(z, 0.0), lambda z: 1.0 if z > 0 else 0.0)}

def chain_gradient(depth, activation="sigmoid", x=1.0, Y=1.0):
    f, fp = F[activation]
    y, factors = x, []
    for _ in range(depth):
        y = f(y)
        factors.append(fp(y))                            # f' of the activated value
    return float(-2 * (Y - y) * np.prod(factors) * x)
"""


def _fill(template: str, **parts: str) -> str:
    return _module(template.format(**parts) if parts else template)


BUGGY: dict[str, dict[str, str]] = {
    "step_sign": {"perceptron": _fill(PERCEPTRON, step="return (np.sign(x) + 1) / 2",
                                      xor="return np.maximum(a, b)")},
    "step_ge": {"perceptron": _fill(PERCEPTRON, step="return (np.asarray(x) >= 0).astype(int)",
                                    xor="return 1 - np.asarray(a) * np.asarray(b)")},
    "activations": {"activations": _module(ACTIVATIONS_BUGGY)},
    "losses_sum": {"losses": _fill(
        LOSSES, mse="return float(np.sum((np.asarray(y) - y_pred) ** 2))",
        softmax="e = np.exp(v); return e / np.sum(e, axis=axis, keepdims=True)")},
    "losses_mean": {"losses": _fill(
        LOSSES, mse="return float(np.mean((np.asarray(y) - y_pred) ** 2))",
        softmax="e = np.exp(v - np.max(v)); return e / np.sum(e)")},
    "gd_forward": {"gradient_descent": _fill(
        GRADIENT_DESCENT, numerical_gradient=FORWARD_DIFFERENCE.strip(), steps="steps + 1",
        sign="-")},
    "gd_mutating": {"gradient_descent": _fill(
        GRADIENT_DESCENT, numerical_gradient=MUTATING.strip(), steps="steps", sign="+")},
    "backprop_factor": {"backprop": _fill(BACKPROP, factor="1", mask=" * (h > 0)",
                                          grad_w1="x.T @ grad_h")},
    "backprop_mask": {"backprop": _fill(BACKPROP, factor="2", mask="",
                                        grad_w1="x.T @ grad_h")},
    "backprop_transposed": {"backprop": _fill(BACKPROP, factor="2", mask=" * (h > 0)",
                                              grad_w1="(x.T @ grad_h).T")},
    "autodiff_paths": {"autodiff": _fill(AUTODIFF, identity="", get_gradients=PATH_ENUMERATION)},
    "autodiff_by_value": {"autodiff": _fill(AUTODIFF, identity=BY_VALUE,
                                            get_gradients=LINEAR)},
    "autodiff_stateful": {"autodiff": _fill(AUTODIFF, identity="", get_gradients=STATEFUL)},
    "dropout_unscaled": {"regularization": _fill(
        REGULARIZATION, mask="rng.random(x.shape) >= p", out="x * mask")},
    "dropout_keep_scaled": {"regularization": _fill(
        REGULARIZATION, mask="np.random.random(x.shape) >= p", out="x * mask * (1 - p)")},
    "vanishing": {"vanishing": _module(VANISHING)},
}

# (contract name, mistake code) that each buggy submission must be told about.
EXPECTED_MISTAKES: dict[str, list[tuple[str, str]]] = {
    "step_sign": [("perceptron.step", "step_half_at_zero"), ("perceptron.xor", "xor_is_or")],
    "step_ge": [("perceptron.step", "step_one_at_zero"),
                ("perceptron.perceptron", "step_one_at_zero"),
                ("perceptron.xor", "xor_is_nand")],
    "activations": [("activations.sigmoid", "overflow"),
                    ("activations.sigmoid_prime", "derivative_of_activated_value"),
                    ("activations.tanh_prime", "derivative_of_activated_value"),
                    ("activations.relu_prime", "relu_prime_one_at_zero")],
    "losses_sum": [("losses.one_hot", "one_hot_no_range_check"),
                   ("losses.mse", "mse_missing_half_m"),
                   ("losses.softmax", "overflow"),
                   ("losses.cross_entropy", "cross_entropy_summed")],
    "losses_mean": [("losses.mse", "mse_mean_not_half"),
                    ("losses.softmax", "softmax_wrong_axis")],
    "gd_forward": [("gradient_descent.numerical_gradient", "numerical_gradient_forward_difference"),
                   ("gradient_descent.gradient_descent", "gradient_descent_off_by_one")],
    "gd_mutating": [("gradient_descent.numerical_gradient", "numerical_gradient_mutates_input"),
                    ("gradient_descent.gradient_descent", "gradient_ascent")],
    "backprop_factor": [("backprop.backward", "backward_missing_factor_two")],
    "backprop_mask": [("backprop.backward", "backward_relu_mask_missing")],
    "backprop_transposed": [("backprop.backward", "backward_transposed")],
    "autodiff_paths": [("autodiff.get_gradients", "get_gradients_exponential")],
    "autodiff_by_value": [("autodiff.Variable", "variable_compares_by_value")],
    "autodiff_stateful": [("autodiff.get_gradients", "get_gradients_keeps_state")],
    "dropout_unscaled": [("regularization.dropout", "dropout_no_scaling"),
                         ("regularization.dropout_backward", "dropout_backward_no_scaling"),
                         ("regularization.EarlyStopping", "early_stopping_off_by_one"),
                         ("regularization.rotate", "rotate_clockwise")],
    "dropout_keep_scaled": [("regularization.dropout", "dropout_scaled_by_keep"),
                            ("regularization.dropout", "dropout_ignores_rng")],
    "vanishing": [("vanishing.chain_gradient", "vanishing_wrong_derivative")],
}


def _folder(name: str) -> dict[str, str]:
    return {p.stem: p.read_text() for p in sorted((ROOT / name).glob("*.py"))}


def _grade(tmp: Path, session: str, jobs: dict[str, dict[str, str]]) -> dict[str, Any]:
    (tmp / "jobs.json").write_text(json.dumps(jobs))
    proc = subprocess.run(
        [sys.executable, "-c", session, str(tmp / "jobs.json"), str(tmp / "results.json"),
         str(SEED)],
        capture_output=True, text=True, timeout=600, cwd=tmp,
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    return json.loads((tmp / "results.json").read_text())


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    jobs = {"solutions": _folder("solutions"), "exercises": _folder("exercises"), **BUGGY,
            "solutions_again": _folder("solutions")}
    return _grade(tmp_path_factory.mktemp("suites"), SESSION, jobs)


def _failures(results: dict[str, Any]) -> list[dict[str, Any]]:
    return [t for t in results["tests"] if t["status"] != "passed"]


def _describe(tests: list[dict[str, Any]]) -> str:
    return "\n".join(f"{t['name']}: {t['extra_data'].get('kind')} "
                     f"{t['extra_data'].get('mistake', {}).get('code', '')} "
                     f"{t['extra_data'].get('internal', '')}" for t in tests)


def test_solutions_score_full_marks(graded):
    results = graded["solutions"]
    assert _failures(results) == [], _describe(_failures(results))
    assert results["score"] == results["max_score"] == 100.0


def test_stubs_score_zero_and_every_failure_says_not_implemented(graded):
    results = graded["exercises"]
    assert results["score"] == 0.0
    kinds = {t["extra_data"]["kind"] for t in results["tests"] if t["max_score"] > 0}
    passed = [t["name"] for t in results["tests"] if t["status"] == "passed"]
    assert kinds == {"not_implemented"}, _describe(_failures(results))
    assert all(t["max_score"] == 0 for t in results["tests"] if t["status"] == "passed"), passed


@pytest.mark.parametrize("job", sorted(BUGGY))
def test_buggy_submission_gets_its_mistake_named(graded, job):
    failures = _failures(graded[job])
    named = {(".".join(t["tags"]), t["extra_data"].get("mistake", {}).get("code"))
             for t in failures}
    missing = [pair for pair in EXPECTED_MISTAKES[job] if pair not in named]
    assert not missing, f"{job}: not named {missing}\n{_describe(failures)}"


@pytest.mark.parametrize("job", sorted(BUGGY))
def test_buggy_submission_loses_points_only_on_its_own_module(graded, job):
    results = graded[job]
    assert results["score"] < results["max_score"]
    own = set(BUGGY[job])
    for t in _failures(results):
        if t["tags"][0] not in own:
            assert t["extra_data"]["kind"] == "missing_module", t["name"]


def test_no_hidden_test_breaks_on_any_submission(graded):
    broken = [(job, t["name"], t["extra_data"].get("internal"))
              for job, results in graded.items() for t in results["tests"]
              if t["extra_data"].get("kind") == "grader_error"]
    assert broken == []


def test_feedback_never_comes_from_a_bare_assert(graded):
    generic = [(job, t["name"]) for job, results in graded.items() for t in _failures(results)
               if t["output"] == "A hidden check on the result failed."]
    assert generic == []


def test_same_seed_same_verdicts(graded):
    def verdicts(results: dict[str, Any]) -> list[tuple[str, str, str]]:
        return [(t["name"], t["status"], t["output"]) for t in results["tests"]]

    assert verdicts(graded["solutions"]) == verdicts(graded["solutions_again"])


def test_a_failure_carries_the_numbers_of_its_picture(graded):
    """Pictures are made in grading from the returned values: a wrong matrix as a matrix,
    gradient ascent on the lecture's x - cos x as its iterates beside the reference's."""
    figures = [t["extra_data"]["figure"] for results in graded.values()
               for t in _failures(results) if "figure" in t["extra_data"]]
    assert figures and all(f["kind"] in ("matrix", "image", "curves", "gradients", "regions")
                           for f in figures)
    assert all(json.loads(json.dumps(f, allow_nan=False)) == f for f in figures)
    lecture = next(t for t in _failures(graded["gd_mutating"])
                   if t["name"].startswith("gradient_descent.gradient_descent: the lecture's"))
    figure = lecture["extra_data"]["figure"]
    assert figure["kind"] == "curves" and figure["target"] == 0.739085
    assert len(figure["expected"]) == 16 and len(figure["got"]) == 16
    assert abs(figure["expected"][-1] - 0.739085) < abs(figure["got"][-1] - 0.739085), \
        "the reference approaches the fixed point, ascent does not"


def test_every_module_is_graded(graded):
    tags = {t["tags"][0] for t in graded["solutions"]["tests"]}
    assert tags == set(MODULES)


def test_through_the_real_sandbox(tmp_path):
    """Solutions 100 and stubs 0 in the sandbox too; a timeout and a RecursionError get named."""
    from nngrade.sandbox import Limits, Sandbox, SandboxError

    try:
        with Sandbox(Limits()) as box:
            box.load({})
    except (SandboxError, OSError) as exc:  # pragma: no cover - depends on the machine
        pytest.skip(f"the sandbox cannot start here: {exc}")
    jobs = {"solutions": _folder("solutions"), "exercises": _folder("exercises"),
            "autodiff_paths": BUGGY["autodiff_paths"], "losses_sum": BUGGY["losses_sum"]}
    graded = _grade(tmp_path, SANDBOX_SESSION, jobs)
    assert graded["solutions"]["score"] == 100.0, _describe(_failures(graded["solutions"]))
    assert graded["exercises"]["score"] == 0.0
    for job in ("autodiff_paths", "losses_sum"):
        named = {(".".join(t["tags"]), t["extra_data"].get("mistake", {}).get("code"))
                 for t in _failures(graded[job])}
        missing = [pair for pair in EXPECTED_MISTAKES[job] if pair not in named]
        assert not missing, f"{job}: not named {missing}\n{_describe(_failures(graded[job]))}"
