"""Hidden tests of autodiff.py: Variable's operators, exp/log/sigmoid and get_gradients.

Objects of the student's cannot leave the sandbox, so every test describes a
graph as a *tape* (pure data, see ``nngrade.worker.drivers.autodiff``): the
``variable_graph`` driver builds it in the worker with the student's
``Variable`` and reports plain facts (each node's value, local derivatives,
gradients read by identity), and `run_graph` builds the same tape here with
the reference's classes for the expected facts.
"""

from __future__ import annotations

import functools
import json
import math
import struct
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pytest

from nngrade.hidden.graphs import with_partials
from nngrade.suite import (
    Feedback,
    LazyText,
    Message,
    Mistake,
    Opaque,
    driver_facts,
    expect_close,
    expect_declared_default,
    expect_equal,
    expect_true,
    expect_tuple,
    kept,
    msg,
    reference,
    regions_figure,
    what_named,
)
from nngrade.worker.drivers.autodiff import (
    many_paths,
    path_gradients,
    run_graph,
    variable_identity_facts,
)
from nngrade.worker.drivers.autodiff_programs import xor_net_facts

ref = reference("autodiff")  # each answer computed once per process
_ref_module = reference("autodiff", remember=False)  # for calls that never repeat

SYMBOLS = {"add": "+", "sub": "-", "mul": "*", "div": "/"}


def V(i: int) -> list:  # noqa: N802 - tape operand constructors read like the math
    return ["v", i]


def C(x: float) -> list:  # noqa: N802
    return ["c", float(x)]


# ------------------------------------------------------------------ tapes


def _names(tape: dict) -> list[str]:
    n_leaves, n_ops = len(tape["leaves"]), len(tape["ops"])
    return [f"x{i}" for i in range(n_leaves)] + [f"n{i}" for i in range(n_leaves,
                                                                         n_leaves + n_ops)]


def _operand_text(spec: Sequence, names: list[str]) -> str:
    return names[spec[1]] if spec[0] == "v" else repr(float(spec[1]))


def describe_tape(tape: dict) -> str:
    """The tape as the student would write it: ``x0 = Variable(1.5); n2 = x0 * x1; ...``."""
    names = _names(tape)
    parts = [f"{names[i]} = Variable({v!r})" for i, v in enumerate(tape["leaves"])]
    for k, op in enumerate(tape["ops"]):
        name = names[len(tape["leaves"]) + k]
        args = [_operand_text(a, names) for a in op[1:]]
        if op[0] in SYMBOLS:
            expr = f"{args[0]} {SYMBOLS[op[0]]} {args[1]}"
        elif op[0] == "neg":
            expr = f"-{args[0]}"
        else:
            expr = f"{op[0]}({args[0]})"
        parts.append(f"{name} = {expr}")
    return "; ".join(parts)


def _leaf_values(rng: np.random.Generator, n: int) -> list[float]:
    values = rng.uniform(0.3, 2.0, size=n) * rng.choice([-1.0, 1.0], size=n)
    return [round(float(v), 3) for v in values]


_TAPES: dict[tuple, tuple[dict, Any]] = {}


def _copy_tape(tape: dict) -> dict:
    return {"leaves": list(tape["leaves"]),
            "ops": [[a if isinstance(a, str) else list(a) for a in op] for op in tape["ops"]]}


def random_tape(rng: np.random.Generator, ops: Sequence[str], n_leaves: int = 3,
                n_ops: int = 8) -> dict:
    """`draw_random_tape`, remembered: every submission of a batch draws the same graphs
    from generators in the same state. Leaves ``rng`` where drawing would have left it."""
    state = rng.bit_generator.state
    key = (state["bit_generator"], state["state"]["state"], state["state"]["inc"],
           state["has_uint32"], state["uinteger"], tuple(ops), n_leaves, n_ops)
    if key not in _TAPES:
        tape = draw_random_tape(rng, ops, n_leaves, n_ops)
        _TAPES[key] = (_copy_tape(tape), rng.bit_generator.state)
        return tape
    tape, after = _TAPES[key]
    rng.bit_generator.state = after
    return _copy_tape(tape)


def draw_random_tape(rng: np.random.Generator, ops: Sequence[str], n_leaves: int = 3,
                     n_ops: int = 8) -> dict:
    """A random graph using ``ops``, valid everywhere (log of positives, no division by ~0).

    Nodes are reused (shared subexpressions), and the output adds up every
    node no op used, so that every node reaches the output.
    """
    leaves = _leaf_values(rng, n_leaves)
    values = list(leaves)
    tape: dict[str, Any] = {"leaves": leaves, "ops": []}
    used: set[int] = set()

    def pick() -> int:
        return int(rng.integers(len(values)))

    attempts = 0
    while len(tape["ops"]) < n_ops and attempts < 200:
        attempts += 1
        op = str(rng.choice(list(ops)))
        i, j = pick(), pick()
        a = values[i]
        if op in SYMBOLS:
            const = round(float(rng.uniform(0.5, 3.0) * rng.choice([-1, 1])), 2)
            form = int(rng.integers(3))  # node op node, node op const, const op node
            left, right = (V(i), V(j)) if form == 0 else ((V(i), C(const)) if form == 1
                                                            else (C(const), V(i)))
            lv = values[i] if left[0] == "v" else left[1]
            rv = values[j] if form == 0 else (right[1] if form == 1 else values[i])
            if op == "div" and abs(rv) < 0.3:
                continue
            result = {"add": lv + rv, "sub": lv - rv, "mul": lv * rv, "div": lv / rv}[op]
            operands = [left, right]
            refs = [s[1] for s in operands if s[0] == "v"]
        elif op == "neg":
            result, operands, refs = -a, [V(i)], [i]
        elif op == "exp":
            if a > 2.5:
                continue
            result, operands, refs = float(np.exp(a)), [V(i)], [i]
        elif op == "log":
            if a < 0.2:
                continue
            result, operands, refs = float(np.log(a)), [V(i)], [i]
        elif op == "sigmoid":
            result, operands, refs = float(1 / (1 + np.exp(-a))), [V(i)], [i]
        else:
            raise ValueError(op)
        if not 1e-3 < abs(result) < 30:
            continue
        tape["ops"].append([op, *operands])
        values.append(result)
        used.update(refs)
    dangling = [k for k in range(len(values)) if k not in used]
    total = dangling[0]
    for k in dangling[1:]:
        tape["ops"].append(["add", V(total), V(k)])
        total = len(tape["leaves"]) + len(tape["ops"]) - 1
    return tape


# Inputs depend only on the run's seed and the test's id, so every submission of a
# batch gets the same graphs: the reference's facts are computed once per process.


@functools.lru_cache(maxsize=256)
def _reference_facts_cached(tape_json: str, gradients: bool) -> dict:
    return with_partials(run_graph(json.loads(tape_json), ref.Variable,
                                   lambda name: getattr(ref, name),
                                   ref.get_gradients if gradients else None))


def _reference_facts(tape: dict, gradients: bool = True) -> dict:
    """The reference's facts for ``tape``: shared between submissions, so read them only."""
    return _reference_facts_cached(json.dumps(tape, sort_keys=True), gradients)


@functools.lru_cache(maxsize=16)
def _reference_paths(kind: str, n: int, x: float, factor: float = 1.0) -> dict:
    if kind == "chain":
        return _chain_facts(n, x, factor)
    return path_gradients(ref.Variable, ref.get_gradients, kind, n, x, factor)


def _chain_facts(n: int, x: float, factor: float) -> dict:
    """y = x * factor (n times) and dy/dx = factor**n, multiplied in the order a walk does.

    What `path_gradients` gets from the reference's Variables for the chain,
    without building 20,000 of them: that cost half a second of every cold
    grading process for a product (tests/test_speed_suites.py compares the two).
    """
    value, grad = float(x), 1.0
    for _ in range(int(n)):
        value *= factor
        grad *= factor
    return {"value": value, "grad": grad}


# ------------------------------------------------------------------ checking facts


def _numbers(values: list, names: list[str], what: str, call: object,
             indices: Sequence[int]) -> np.ndarray:
    for i in indices:
        v = values[i]
        if v is None:
            raise Feedback(msg("autodiff.gradient_missing", name=names[i]), call=call)
        if not isinstance(v, float):
            raise Feedback(msg("autodiff.not_a_number", kind=msg(f"autodiff.kind_{what}"),
                               name=names[i]), kind="bad_result", call=call, got=v)
    return np.array([values[i] for i in indices], dtype=float)


def check_graph(student, tape: dict, *, gradients: bool = True, partials: bool = True,
                name: str = "", repeat: int = 1, mistake: str | None = None) -> None:
    """Run ``tape`` on the student's code and compare every fact with the reference.

    ``repeat`` calls get_gradients that many times (the last result is graded);
    ``mistake`` names the likely mistake when a gradient is wrong.
    """
    got = with_partials(student.drive("variable_graph",
                                      {"tape": tape, "gradients": gradients, "repeat": repeat},
                                      name=name or "Variable"))
    expected = _reference_facts(tape, gradients)
    names = _names(tape)
    out = expected["output"]

    def describe() -> str:
        built = describe_tape(tape)
        if gradients and repeat > 1:
            return f"{built}; get_gradients({names[out]})  (×{repeat})"
        return f"{built}; get_gradients({names[out]})" if gradients else built

    call = LazyText(describe)
    lists = dict.fromkeys(["values", "is_variable", "value_is_float", "partials"], len(names))
    if gradients:
        lists["grads"] = len(names)
    driver_facts(got, call, ("grads_type",) if gradients else (), lists)
    for key in ("is_variable", "value_is_float"):
        if not all(isinstance(v, bool) for v in got[key]):
            driver_facts(None, call)
    everything = range(len(names))
    for i in everything:
        if not got["is_variable"][i]:
            raise Feedback(msg("autodiff.not_a_variable", name=names[i]),
                           kind="bad_result", call=call, mistake="returned_wrong_type")
    values = _numbers(got["values"], names, "value", call, everything)
    for i in everything:
        expect_close(float(values[i]), expected["values"][i], call=call,
                     what=msg("what.value_of", name=names[i]))
    for i in everything:
        expect_true(got["value_is_float"][i], msg("autodiff.value_not_float", name=names[i]),
                    call=call)
    if partials:
        leaves = names[: len(tape["leaves"])]
        for i in everything:
            g, e = got["partials"][i], expected["partials"][i]
            if isinstance(g, str):  # the driver's "a graph of more than 100,000 nodes"
                raise Feedback(msg("autodiff.graph_too_big", name=names[i]), kind="bad_result",
                               call=call)
            if not (isinstance(g, list) and len(g) == len(e)
                    and all(isinstance(v, float) for v in g)):
                driver_facts(None, call)
            expect_close(np.array(g, dtype=float), np.array(e, dtype=float), call=call,
                         what=msg("what.local_derivatives", name=names[i],
                                  leaves=", ".join(leaves)))
    if gradients:
        if got["grads_type"] != "dict":
            raise Feedback(msg("autodiff.gradients_not_dict", type=got["grads_type"]),
                           kind="bad_result", call=call)
        wanted = [i for i in everything if expected["grads"][i] is not None and i != out]
        grads = _numbers(got["grads"], names, "gradient", call, wanted)
        for k, i in enumerate(wanted):  # leaves first: the most telling gradients
            expect_close(float(grads[k]), expected["grads"][i], call=call, rtol=1e-6, atol=1e-9,
                         what=msg("what.gradient", output=names[out], name=names[i]),
                         mistakes=lambda: [Mistake(mistake, lambda _: True)] if mistake else ())


# ------------------------------------------------------------------ Variable


@pytest.mark.contract("autodiff", "Variable")
def test_variable_nodes_hold_floats(student, rng):
    """every operator returns a new Variable whose value is a float"""
    leaves = _leaf_values(rng, 2)
    tape = {"leaves": leaves, "ops": [["mul", V(0), V(1)], ["sub", V(2), C(2.0)],
                                      ["mul", C(3.0), V(3)], ["add", V(4), V(0)]]}
    check_graph(student, tape, gradients=False, partials=False, name="Variable")


@pytest.mark.contract("autodiff", "Variable")
def test_variable_identity(student, rng):
    """two Variables with equal values are different nodes (hash and compare by identity)"""
    x = round(float(rng.uniform(0.5, 3)), 3)
    call = f"a = Variable({x}); b = Variable({x}); z = a * a + b; get_gradients(z)"
    try:
        got = student.drive("variable_identity", {"x": x}, name="Variable")
    except Feedback as fb:
        if fb.kind == "raised" and "unhashable" in fb.message:
            raise fb.replace(message=msg("autodiff.unhashable", error_type=fb.text.params.get(
                "error_type", "TypeError")), call=call,
                mistake="variable_compares_by_value") from None
        raise
    driver_facts(got, call, ("distinct_keys", "a_eq_b", "a_eq_a", "grad_a", "grad_b"))
    expected = variable_identity_facts(ref.Variable, ref.get_gradients, x)
    same = got["distinct_keys"] == expected["distinct_keys"] and got["a_eq_b"] is False
    expect_true(same, msg("autodiff.same_value_different_nodes"), call=call,
                mistake="variable_compares_by_value")
    expect_true(got["a_eq_a"] is True, msg("autodiff.a_eq_a"), call=call)
    for key in ("grad_a", "grad_b"):
        expect_true(isinstance(got[key], float),
                    msg("autodiff.identity_gradient_not_number", name=key[-1]), got=got[key],
                    call=call, mistake="variable_compares_by_value")
    expect_close([got["grad_a"], got["grad_b"]], [expected["grad_a"], expected["grad_b"]],
                 call=call, what=msg("what.gradient_pair"))
    # The facts above are constants a rewritten driver could report (issue 13); the gradients
    # of a drawn graph whose leaves all hold the same value cannot be written down without
    # a Variable that keeps equal values apart and a walk of this very graph.
    tape = random_tape(rng, ["add", "mul", "sub"], n_leaves=3, n_ops=6)
    tape["leaves"] = [x] * len(tape["leaves"])
    check_graph(student, tape, partials=False, name="Variable",
                mistake="variable_compares_by_value")


# ------------------------------------------------------------------ the operators

# Each operator: one test of values and local derivatives alone (no get_gradients),
# with plain numbers on either side, and one of the gradients get_gradients finds.


def _operator_tape(rng: np.random.Generator, op: str) -> dict:
    """x0 op x1, x0 op c, c op x0, and x1 op x1 (the same node on both sides)."""
    leaves = _leaf_values(rng, 2)
    c = round(float(rng.uniform(0.5, 3.0)), 2)
    return {"leaves": leaves, "ops": [[op, V(0), V(1)], [op, V(0), C(c)], [op, C(c), V(0)],
                                      [op, V(1), V(1)]]}


def _chain_tape(rng: np.random.Generator, op: str) -> dict:
    """A small graph in which ``op`` appears several times, with shared nodes."""
    return random_tape(rng, [op, op, "add"], n_leaves=3, n_ops=6)


@pytest.mark.contract("autodiff", "Variable.__add__")
def test_add(student, rng):
    """x + y, x + 2.0 and 2.0 + x: values, local derivatives and gradients"""
    check_graph(student, _operator_tape(rng, "add"), name="Variable.__add__")


@pytest.mark.contract("autodiff", "Variable.__mul__")
def test_mul_values_and_local_derivatives(student, rng):
    """x * y, x * c, c * x and y * y: values and local derivatives"""
    check_graph(student, _operator_tape(rng, "mul"), gradients=False, name="Variable.__mul__")


@pytest.mark.contract("autodiff", "Variable.__mul__")
def test_mul_gradients(student, rng):
    """get_gradients through products, shared nodes included, matches the reference"""
    check_graph(student, _chain_tape(rng, "mul"), name="Variable.__mul__")


@pytest.mark.contract("autodiff", "Variable.__sub__")
def test_sub_values_and_local_derivatives(student, rng):
    """x - y, x - c, c - x (reflected) and y - y: values and local derivatives"""
    check_graph(student, _operator_tape(rng, "sub"), gradients=False, name="Variable.__sub__")


@pytest.mark.contract("autodiff", "Variable.__sub__")
def test_sub_gradients(student, rng):
    """get_gradients through differences (1 - x included) matches the reference"""
    check_graph(student, _chain_tape(rng, "sub"), name="Variable.__sub__")


@pytest.mark.contract("autodiff", "Variable.__neg__")
def test_neg_values_and_local_derivatives(student, rng):
    """-x and -(-x): values and local derivatives"""
    tape = {"leaves": _leaf_values(rng, 1), "ops": [["neg", V(0)], ["neg", V(1)]]}
    check_graph(student, tape, gradients=False, name="Variable.__neg__")


@pytest.mark.contract("autodiff", "Variable.__neg__")
def test_neg_gradients(student, rng):
    """get_gradients of -x + y and of -(x + y) matches the reference"""
    tape = {"leaves": _leaf_values(rng, 2),
            "ops": [["neg", V(0)], ["add", V(2), V(1)], ["neg", V(3)], ["add", V(4), V(2)]]}
    check_graph(student, tape, name="Variable.__neg__")


@pytest.mark.contract("autodiff", "Variable.__truediv__")
def test_truediv_values_and_local_derivatives(student, rng):
    """x / y, x / c, c / x (reflected) and y / y: values and local derivatives"""
    check_graph(student, _operator_tape(rng, "div"), gradients=False,
                name="Variable.__truediv__")


@pytest.mark.contract("autodiff", "Variable.__truediv__")
def test_truediv_gradients(student, rng):
    """get_gradients through quotients (1 / x included) matches the reference"""
    check_graph(student, _chain_tape(rng, "div"), name="Variable.__truediv__")


# ------------------------------------------------------------------ functions


def _function_tape(rng: np.random.Generator, fn: str) -> dict:
    """fn(x0), fn(x1) and fn(fn(...)) of leaves valid for ``fn``, then a product."""
    if fn == "log":
        leaves = [round(float(v), 3) for v in rng.uniform(0.5, 4.0, size=2)]
    elif fn == "sigmoid":
        leaves = [round(float(v), 3) for v in rng.uniform(-6, 6, size=2)]
    else:
        leaves = _leaf_values(rng, 2)
    inner = ["exp", V(2)] if fn == "log" else [fn, V(2)]  # log(log(x)) needs x > 1
    return {"leaves": leaves, "ops": [[fn, V(0)], [fn, V(1)], inner]}


@pytest.mark.contract("autodiff", "exp")
def test_exp_values_and_local_derivatives(student, rng):
    """exp(x): value and local derivative (e^x, its own value)"""
    check_graph(student, _function_tape(rng, "exp"), gradients=False, name="exp")


@pytest.mark.contract("autodiff", "exp")
def test_exp_gradients(student, rng):
    """get_gradients through exp, in a graph with products and sums"""
    check_graph(student, random_tape(rng, ["exp", "mul", "add"], n_leaves=2, n_ops=6),
                name="exp")


@pytest.mark.contract("autodiff", "log")
def test_log_values_and_local_derivatives(student, rng):
    """log(x): value and local derivative 1/x"""
    tape = _function_tape(rng, "log")
    tape["ops"][2] = ["log", V(2)] if tape["leaves"][0] > 1 else ["log", V(1)]
    check_graph(student, tape, gradients=False, name="log")


@pytest.mark.contract("autodiff", "log")
def test_log_gradients(student, rng):
    """get_gradients through log, in a graph with products and sums"""
    tape: dict[str, Any] = {"leaves": [round(float(v), 3)
                                       for v in rng.uniform(0.5, 3.0, size=2)], "ops": []}
    tape["ops"] = [["mul", V(0), V(1)], ["log", V(2)], ["log", V(0)], ["add", V(3), V(4)],
                   ["mul", V(5), V(1)]]
    check_graph(student, tape, name="log")


@pytest.mark.contract("autodiff", "sigmoid")
def test_sigmoid_values_and_local_derivatives(student, rng):
    """sigmoid(x): value and local derivative sigmoid(x) * (1 - sigmoid(x))"""
    check_graph(student, _function_tape(rng, "sigmoid"), gradients=False, name="sigmoid")


@pytest.mark.contract("autodiff", "sigmoid")
def test_sigmoid_lecture_neuron(student, rng):
    """the lecture's neuron f = sigmoid(w*x + b): f and df/dw, df/dx, df/db"""
    x, w, b = (round(float(v), 3) for v in rng.uniform(-2, 2, size=3))
    for leaves in ([1.0, 0.0, 0.0], [x, w, b]):
        tape = {"leaves": leaves,
                "ops": [["mul", V(1), V(0)], ["add", V(3), V(2)], ["sigmoid", V(4)]]}
        check_graph(student, tape, name="sigmoid")


@pytest.mark.contract("autodiff", "sigmoid")
def test_sigmoid_gradients(student, rng):
    """get_gradients through sigmoid, in a graph with products, sums and differences"""
    check_graph(student, random_tape(rng, ["sigmoid", "mul", "sub", "add"], n_leaves=3,
                                     n_ops=7), name="sigmoid")


# ------------------------------------------------------------------ get_gradients


@pytest.mark.contract("autodiff", "get_gradients")
def test_get_gradients_random_graph(student, rng):
    """get_gradients of a random graph of every operator and function matches the reference"""
    ops = ["add", "sub", "mul", "div", "neg", "exp", "log", "sigmoid"]
    check_graph(student, random_tape(rng, ops, n_leaves=4, n_ops=14), name="get_gradients")


@pytest.mark.contract("autodiff", "get_gradients")
def test_get_gradients_shared_nodes(student, rng):
    """a node reached along several paths gets the sum of their gradients"""
    tape = {"leaves": _leaf_values(rng, 2),
            "ops": [["mul", V(0), V(1)],      # n2 = x0 * x1
                    ["add", V(2), V(0)],      # n3 = n2 + x0
                    ["mul", V(2), V(3)],      # n4 = n2 * n3
                    ["sub", V(4), V(2)],      # n5 = n4 - n2
                    ["mul", V(5), V(0)]]}     # n6 = n5 * x0
    check_graph(student, tape, name="get_gradients")


@pytest.mark.contract("autodiff", "get_gradients")
def test_get_gradients_twice(student, rng):
    """calling get_gradients twice on the same graph gives the same gradients (no kept state)"""
    tape = random_tape(rng, ["add", "sub", "mul", "exp"], n_leaves=3, n_ops=8)
    check_graph(student, tape, name="get_gradients", repeat=2, partials=False,
                mistake="get_gradients_keeps_state")


CHAIN_NODES = 20_000  # the contract's deep chain (exercise contract, autodiff.py)
# A linear walk takes well under a second on 20,000 nodes, but a busy grading machine must
# not turn a right answer into a timeout: the verdict may not depend on the load either.
CHAIN_SECONDS = 10.0


def _paths(student, kind: str, n: int, x: float, call: str, factor: float = 1.0) -> dict:
    try:
        got = student.drive("exponential_paths",
                            {"kind": kind, "n": n, "x": x, "factor": factor},
                            name="get_gradients")
    except Feedback as fb:
        recursion = "RecursionError" in fb.message or "recursion depth" in fb.message
        if fb.kind == "timeout":
            mistake = "get_gradients_exponential" if kind == "doubling" \
                else "get_gradients_recursion"
            raise fb.replace(kind="timeout", call=call, mistake=mistake) from None
        if (fb.kind == "raised" and recursion) or fb.kind == "crashed":
            raise fb.replace(call=call, mistake="get_gradients_recursion") from None
        raise
    return driver_facts(got, call, ("value", "grad"))


def many_paths_tape(rng: np.random.Generator, layers: int = 80) -> dict:
    """Two leaves, then ``layers`` additions, each of the node before it and of the one or
    two before that: between 1.6**layers and 2**layers paths from the output to the leaves.

    The grader draws it (the student cannot know the answer without walking the graph
    correctly: the gradients are path counts) and uses ``add`` only, as ``y = y + y`` did."""
    x = [round(float(v), 3) for v in rng.uniform(0.5, 2, size=2)]
    ops: list[list] = [["add", V(1), V(0)]]
    for k in range(3, layers + 2):
        ops.append(["add", V(k - 1), V(k - 1 - int(rng.integers(0, 2)))])
    return {"leaves": x, "ops": ops}


@functools.lru_cache(maxsize=16)
def _reference_many_paths(tape_json: str) -> dict:
    return many_paths(ref.Variable, ref.get_gradients, json.loads(tape_json))


@pytest.mark.contract("autodiff", "get_gradients")
def test_get_gradients_exponentially_many_paths(student, rng):
    """get_gradients takes linear time on a graph of 80 additions with over 10**16 paths"""
    tape = many_paths_tape(rng)
    x0, x1 = tape["leaves"]
    call = (f"a, b = Variable({x0}), Variable({x1}); nodes = [a, b]; then 80 times "
            "nodes.append(nodes[-1] + nodes[-1] or nodes[-2], drawn at random); "
            "get_gradients(nodes[-1])")
    try:
        got = student.drive("exponential_paths", {"kind": "tape", "tape": tape},
                            name="get_gradients")
    except Feedback as fb:
        if fb.kind == "timeout":
            raise fb.replace(kind="timeout", call=call,
                             mistake="get_gradients_exponential") from None
        if (fb.kind == "raised" and ("RecursionError" in fb.message
                                      or "recursion depth" in fb.message)) \
                or fb.kind == "crashed":
            raise fb.replace(call=call, mistake="get_gradients_recursion") from None
        raise
    driver_facts(got, call, ("value", "grads"))
    if isinstance(got.get("probe_visits"), int) and isinstance(got.get("probe_depth"), int):
        raise Feedback(
            msg("autodiff.walked_every_path", nodes=got["probe_depth"] + 1,
                depth=got["probe_depth"], visits=got["probe_visits"]),
            kind="timeout", call=call, mistake="get_gradients_exponential")
    expected = _reference_many_paths(json.dumps(tape))
    expect_true(isinstance(got["value"], float),
                msg("autodiff.should_be_number", what=what_named(msg("what.value_of",
                                                                      name="nodes[-1]"))),
                call=call, got=got["value"])
    expect_close(got["value"], expected["value"], call=call,
                 what=msg("what.value_of", name="nodes[-1]"))
    grads = got["grads"]
    if not (isinstance(grads, list) and len(grads) == 2):
        driver_facts(None, call)
    for name, g, e in zip(("a", "b"), grads, expected["grads"], strict=True):
        expect_true(isinstance(g, float),
                    msg("autodiff.should_be_number", what=what_named(f"d nodes[-1] / d {name}")),
                    call=call, got=g)
        expect_close(g, e, call=call, what=f"d nodes[-1] / d {name}")


@pytest.mark.contract("autodiff", "get_gradients")
def test_get_gradients_deep_chain(student, rng):
    """get_gradients on a chain of 20,000 products (no recursion-depth error)"""
    # The contract (and the handout, and `nngrade check`) ask for a chain of 20,000 nodes:
    # a recursive topological sort stops at Python's recursion limit, which is a failure of
    # this test (RecursionError, or a crashed worker), never a crash of the grader. Fixed
    # length, so that the cost does not depend on the seed.
    # The factor is drawn (dy/dx = factor**n, between about e**0.2 and e**1.6): a forged
    # driver cannot know it in advance; any factor tells a linear walk from a recursive one.
    x = round(float(rng.uniform(0.5, 2)), 3)
    factor = round(1.0 + float(rng.uniform(1e-5, 8e-5)), 7)
    n = CHAIN_NODES
    call = f"y = x = Variable({x}); y = y * {factor}  (×{n}); get_gradients(y)"
    got = _paths(student.with_timeout(CHAIN_SECONDS), "chain", n, x, call, factor)
    expected = _reference_paths("chain", n, x, factor)
    expect_true(isinstance(got["grad"], float),
                msg("autodiff.should_be_number", what=what_named("dy/dx")), call=call,
                got=got["grad"])
    expect_close(got["grad"], expected["grad"], call=call, what="dy/dx")


# ------------------------------------------------------------------ the lecture's programs
#
# train_neuron and train_xor_autodiff return plain numbers (the values of Variables);
# xor_net returns a Variable, which cannot cross the wire: the `xor_net` driver
# (nngrade.worker.drivers.autodiff_programs) reports its value and its derivatives with
# respect to the nine weights by a trusted walk, and runs on the reference's classes here.


def _returned_variables(value: Any) -> bool:
    """True if the student's result holds Variables (which cross as Opaque) where numbers go."""
    if isinstance(value, Opaque):
        return True
    if isinstance(value, (list, tuple)):
        return any(_returned_variables(v) for v in value)
    return False


def _no_variables(value: Any, call: str) -> None:
    if _returned_variables(value):
        raise Feedback(msg("autodiff.holds_variables"), kind="bad_result", call=call, got=value,
                       mistake="returned_variable_not_value")


def _triple(got: Any, call: str) -> tuple[Any, Any, Any]:
    expect_tuple(got, 3, "costs, w, b", call=call)
    _no_variables(got, call)
    return got[0], got[1], got[2]


def _neuron_mistakes(steps: int, lr: float, which: int) -> list[Mistake]:
    """The classic wrong runs of the neuron, for naming: part ``which`` of (costs, w, b)."""
    def part(run: tuple) -> Any:
        return np.array(run[0], dtype=float) if which == 0 else run[which]

    after = ref.train_neuron(steps + 1, lr)
    shifted = (after[0][1:], *ref.train_neuron(steps, lr)[1:])
    runs = [("train_neuron_cost_after_update", shifted),
            ("lr_ignored", ref.train_neuron(steps, 0.1)),
            ("gradient_ascent", ref.train_neuron(steps, -lr)),
            ("training_off_by_one", ref.train_neuron(steps + 1, lr))]
    if steps > 0:
        runs.append(("training_off_by_one", ref.train_neuron(steps - 1, lr)))
    return [Mistake(code, part(run)) for code, run in runs if not (code == "lr_ignored"
                                                                    and lr == 0.1)]


def _check_neuron(student, steps: int | None, lr: float | None) -> None:
    """train_neuron with the given arguments (None: left at its default) against the reference."""
    kwargs = {k: v for k, v in (("steps", steps), ("lr", lr)) if v is not None}
    costs, w, b = _triple(student.train_neuron(**kwargs), student.last_call)
    n_steps, rate = (10 if steps is None else steps), (0.1 if lr is None else lr)
    want = ref.train_neuron(n_steps, rate)
    expect_true(isinstance(costs, (list, tuple, np.ndarray)) and np.shape(costs) == (n_steps,),
                msg("autodiff.costs_per_step", count=n_steps),
                got=costs, expected=want[0],
                mistake="training_off_by_one" if np.ndim(costs) == 1 else None)
    expect_close(np.asarray(costs, dtype=float), np.array(want[0]),
                 rtol=1e-9, atol=1e-12, what="costs", figure="curves",
                 mistakes=functools.partial(_neuron_mistakes, n_steps, rate, 0))
    for i, (name, value) in enumerate((("w", w), ("b", b)), start=1):
        expect_close(value, want[i], rtol=1e-9, atol=1e-12, what=name,
                     mistakes=functools.partial(_neuron_mistakes, n_steps, rate, i))


@pytest.mark.contract("autodiff", "train_neuron")
def test_train_neuron_lecture_run(student, rng):
    """train_neuron() gives the lecture's ten costs (0.25 first), w and b"""
    _check_neuron(student, None, None)


@pytest.mark.contract("autodiff", "train_neuron")
def test_train_neuron_steps_and_lr(student, rng):
    """train_neuron(steps, lr) takes `steps` steps of size lr (a single step, and more)"""
    _check_neuron(student, 1, 2.0)
    _check_neuron(student, 3, 0.5)
    _check_neuron(student, int(rng.integers(4, 16)), round(float(rng.uniform(0.2, 3.0)), 3))


# ------------------------------------------------------------------ xor_net

# A hand-made XOR solution (h1 ~ OR, h2 ~ NAND, output ~ AND) and the four inputs.
_XOR_WEIGHTS = [6.0, 6.0, -3.0, -6.0, -6.0, 9.0, 8.0, 8.0, -12.0]
_XOR_INPUTS = [[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]]


def _sig(z: float) -> float:
    return float(ref.sigmoid(z).value)


def _xor_net_mistakes(weights: list[float]) -> list[tuple[str, list[float]]]:
    """The outputs of classic slips in writing the network, one list per slip."""
    w = weights
    slips: list[tuple[str, list[float]]] = [("xor_net_output_sigmoid_missing", []),
                                            ("xor_net_weights_misplaced", [])]
    for x1, x2 in _XOR_INPUTS:
        h1 = _sig(x1 * w[0] + x2 * w[1] + w[2])
        h2 = _sig(x1 * w[3] + x2 * w[4] + w[5])
        slips[0][1].append(w[6] * h1 + w[7] * h2 + w[8])
        # w read as a 2x2 matrix by columns: x1 feeds h1 through w[0] and h2 through w[1]
        g1 = _sig(x1 * w[0] + x2 * w[3] + w[2])
        g2 = _sig(x1 * w[1] + x2 * w[4] + w[5])
        slips[1][1].append(_sig(w[6] * g1 + w[7] * g2 + w[8]))
    return slips


def _named_xor_net_mistakes(weights: list[float]) -> list[Mistake]:
    return [Mistake(code, np.array(values)) for code, values in _xor_net_mistakes(weights)]


@functools.lru_cache(maxsize=64)
def _reference_xor_net(weights: tuple[float, ...]) -> dict:
    return with_partials(xor_net_facts(ref.Variable, ref.xor_net, list(weights), _XOR_INPUTS),
                         "graphs")


def _xor_net_weight_sets(rng: np.random.Generator) -> list[list[float]]:
    drawn = rng.normal(size=9) * rng.uniform(0.5, 2.0)
    return [_XOR_WEIGHTS, [round(float(v), 4) for v in drawn]]


def _xor_net_facts(student, weights: list[float]) -> tuple[dict, str]:
    call = (f"w = [Variable(v) for v in {weights}]; "
            "[xor_net(w, x1, x2) for x1, x2 in [(0, 0), (0, 1), (1, 0), (1, 1)]]")
    got = with_partials(student.drive("xor_net", {"weights": weights, "inputs": _XOR_INPUTS},
                                      name="xor_net"), "graphs")
    return driver_facts(got, call, lists={"values": 4, "is_variable": 4, "partials": 4}), call


@pytest.mark.contract("autodiff", "xor_net")
def test_xor_net_outputs(student, rng):
    """xor_net's output values on the four XOR inputs (a hand-made XOR net and random weights)"""
    for weights in _xor_net_weight_sets(rng):
        facts, call = _xor_net_facts(student, weights)
        want = _reference_xor_net(tuple(weights))
        values = facts["values"]
        expect_true(all(isinstance(v, float) for v in values),
                    msg("autodiff.outputs_not_numbers"),
                    call=call, got=values)
        expect_close(np.array(values), np.array(want["values"]), call=call, rtol=1e-9,
                     atol=1e-12, what=msg("what.xor_net_outputs"),
                     mistakes=functools.partial(_named_xor_net_mistakes, weights))


@pytest.mark.contract("autodiff", "xor_net")
def test_xor_net_graph_reaches_every_weight(student, rng):
    """xor_net returns a Variable whose graph gives d output / d w[j] for all nine weights"""
    weights = _xor_net_weight_sets(rng)[1]
    facts, call = _xor_net_facts(student, weights)
    want = _reference_xor_net(tuple(weights))
    for k, (is_variable, partials) in enumerate(zip(facts["is_variable"], facts["partials"],
                                                    strict=True)):
        expect_true(is_variable is True, msg("autodiff.xor_net_not_a_variable"), call=call,
                    got=facts["values"][k], mistake="xor_net_graph_lost")
        if isinstance(partials, str):  # the driver's reason, e.g. a node without local_gradients
            raise Feedback(msg("autodiff.graph_not_walkable"), call=call, quoted=partials)
        lost = all(p == 0.0 for p in partials)
        expect_close(np.array(partials, dtype=float), np.array(want["partials"][k]), call=call,
                     rtol=1e-8, atol=1e-12,
                     what=msg("what.xor_net_partials", inputs=str(tuple(_XOR_INPUTS[k]))),
                     mistakes=[Mistake("xor_net_graph_lost", lambda _g, lost=lost: lost)])


# ------------------------------------------------------------------ train_xor_autodiff
#
# 20,000 epochs of scalar Variables take seconds of the student's time (4 to 20 s). As for
# backprop.train_xor, the default run is judged on the reference's continuation of the
# student's own first epochs when those are plain full-batch gradient steps (checked at
# epochs 1, 2 and a fixed later one), also when the steps are those of a scaled cost (a
# mean over the cases, a 1/2: the same descent with another learning rate); any other
# training loop is run in full.

XOR_AUTODIFF_TIMEOUT = 60.0  # seconds for a full default run in the student's code
_XOR_PROBE = 30  # the later epoch that is checked (fixed: grading time must not follow the seed)
_xor_continued: dict[tuple, list[float]] = {}


def _nine(student, got: Any, call: str) -> np.ndarray:
    """The nine weights as a float array (a list, tuple or array of numbers is accepted)."""
    _no_variables(got, call)
    numbers = (isinstance(got, np.ndarray) and got.dtype.kind in "iuf") or (
        isinstance(got, (list, tuple))
        and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in got))
    array = np.asarray(got, dtype=float) if numbers else None
    if array is None or array.shape != (9,) or not np.all(np.isfinite(array)):
        raise Feedback(msg("autodiff.nine_weights"), kind="bad_result", call=call, got=got)
    return array


def _per_case_descent(weights: list[float], epochs: int, lr: float) -> list[float]:
    """The slip of updating after every case instead of once per epoch (for naming)."""
    w = list(weights)
    for _ in range(epochs):
        for x1, x2, t in ref.XOR_CASES:
            nodes = [ref.Variable(v) for v in w]
            err = ref.xor_net(nodes, x1, x2) - t
            grads = ref.get_gradients(err * err)
            w = [v - lr * grads[n] for v, n in zip(w, nodes, strict=True)]
    return w


def _xor_autodiff_mistakes(epochs: int, lr: float, seed: int) -> list[Mistake]:
    start = list(np.random.default_rng(seed).standard_normal(9))
    legacy = list(np.random.RandomState(seed).randn(9))
    runs = [("xor_autodiff_cost_scaled", ref.xor_descent(start, epochs, lr / 4)),
            ("xor_autodiff_cost_scaled", ref.xor_descent(start, epochs, lr / 2)),
            ("xor_autodiff_per_case_updates", _per_case_descent(start, epochs, lr)),
            ("gradient_ascent", ref.xor_descent(start, epochs, -lr)),
            ("training_off_by_one", ref.xor_descent(start, epochs + 1, lr)),
            ("xor_autodiff_wrong_start", ref.xor_descent(legacy, epochs, lr)),
            ("xor_autodiff_wrong_start",
             ref.xor_descent(list(np.random.default_rng(seed).random(9)), epochs, lr))]
    if epochs > 0:
        runs.append(("training_off_by_one", ref.xor_descent(start, epochs - 1, lr)))
    if lr != 0.1:
        runs.append(("lr_ignored", ref.xor_descent(start, epochs, 0.1)))
    return [Mistake(code, np.array(w)) for code, w in runs]


def _check_xor_autodiff(student, epochs: int, lr: float, seed: int) -> None:
    got = _nine(student, student.train_xor_autodiff(epochs=epochs, lr=lr, seed=seed),
                student.last_call)
    expect_close(got, np.array(ref.train_xor_autodiff(epochs, lr, seed)),
                 rtol=1e-8, atol=1e-10, what=msg("what.nine_weights"),
                 mistakes=lambda: _xor_autodiff_mistakes(epochs, lr, seed))


@pytest.mark.contract("autodiff", "train_xor_autodiff")
def test_train_xor_autodiff_start(student, rng):
    """train_xor_autodiff(epochs=0, seed) returns the start: default_rng(seed).standard_normal(9)"""
    for seed in (0, 11, int(rng.integers(12, 10_000))):
        _check_xor_autodiff(student, 0, 0.1, seed)


@pytest.mark.contract("autodiff", "train_xor_autodiff")
def test_train_xor_autodiff_epochs_are_gradient_steps(student, rng):
    """each epoch is one full-batch step w <- w - lr * dC/dw on the summed squared error"""
    _check_xor_autodiff(student, 1, 0.5, 3)
    _check_xor_autodiff(student, 3, 1.5, int(rng.integers(1, 10_000)))


def _xor_descent_floats(weights: list[float], epochs: int, lr: float, *,
                        output_sigmoid: bool = True) -> list[float]:
    """``ref.xor_descent`` on plain floats: the same steps, to rounding, far faster.

    The backward pass of the nine-weight network written out (C = sum of (o - t)**2,
    o = sigmoid(w6*h1 + w7*h2 + w8)). Only the continuation to a verdict uses it,
    thousands of epochs that cost the engine half a second a cold process; every
    step the student is compared with still comes from the reference
    (tests/test_speed_suites.py holds the two to 1e-9 over thousands of epochs).
    ``output_sigmoid=False``: the same descent on the network whose output unit lacks
    its sigmoid (o = w6*h1 + w7*h2 + w8, the mistake xor_net_output_sigmoid_missing).

    Written for the interpreter: the stable sigmoid inlined, nine local accumulators
    instead of a list, the cases read once. Every float operation is the one the plain
    loop with a sigmoid function did, in the same order (tests/test_speed_suites.py
    compares the two bit for bit), so a continuation and its verdict are exactly what
    they were, at a third of the time (a cold grading of a correct hand-in paid 0.06 s
    here, dara's run without the output sigmoid 0.2 s); and a descent that comes back to
    the same weights stops there, with the very weights all its epochs would give.
    """
    w0, w1, w2, w3, w4, w5, w6, w7, w8 = (float(v) for v in weights)
    w = (w0, w1, w2, w3, w4, w5, w6, w7, w8)
    done = 0
    while epochs - done > _CYCLE:
        # Every 50 epochs, the last few one at a time: weights that come back bit for bit
        # after p epochs (p = 1: a fixed point) repeat with period p for good, since a step
        # is a function of the nine weights alone; the rest of the descent is then known
        # without running it. A descent of the network without its output sigmoid settles
        # so (a fixed point, or two states in turn) in 2,000-12,000 of its 20,000 epochs.
        n = min(_CHECK_EVERY, epochs - done)
        seen = [_xor_epochs(w, n - _CYCLE, lr, output_sigmoid)]
        for _ in range(_CYCLE):
            seen.append(_xor_epochs(seen[-1], 1, lr, output_sigmoid))
        done += n
        w = seen[-1]
        bits = struct.pack("9d", *w)  # the signs of zeros too
        period = next((p for p in range(1, _CYCLE + 1)
                       if seen[-1 - p] == w and struct.pack("9d", *seen[-1 - p]) == bits), None)
        if period is not None:
            return list(seen[_CYCLE - period + (epochs - done) % period])
    return list(_xor_epochs(w, epochs - done, lr, output_sigmoid))


_CHECK_EVERY = 50
_CYCLE = 4  # the longest period looked for
_Nine = tuple[float, float, float, float, float, float, float, float, float]


def _xor_epochs(weights: _Nine, epochs: int, lr: float, output_sigmoid: bool) -> _Nine:
    """``epochs`` epochs of `_xor_descent_floats`'s descent from the nine ``weights``."""
    exp = math.exp
    cases = _ref_module.XOR_CASES
    w0, w1, w2, w3, w4, w5, w6, w7, w8 = weights
    for _ in range(epochs):
        g0 = g1 = g2 = g3 = g4 = g5 = g6 = g7 = g8 = 0.0
        for x1, x2, t in cases:
            z = x1 * w0 + x2 * w1 + w2
            if z >= 0:
                h1 = 1.0 / (1.0 + exp(-z))
            else:
                e = exp(z)
                h1 = e / (1.0 + e)
            z = x1 * w3 + x2 * w4 + w5
            if z >= 0:
                h2 = 1.0 / (1.0 + exp(-z))
            else:
                e = exp(z)
                h2 = e / (1.0 + e)
            if output_sigmoid:
                z = w6 * h1 + w7 * h2 + w8
                if z >= 0:
                    o = 1.0 / (1.0 + exp(-z))
                else:
                    e = exp(z)
                    o = e / (1.0 + e)
                d = 2.0 * (o - t) * o * (1.0 - o)
            else:
                d = 2.0 * (w6 * h1 + w7 * h2 + w8 - t)
            d1 = d * w6 * h1 * (1.0 - h1)
            d2 = d * w7 * h2 * (1.0 - h2)
            g0 += d1 * x1
            g1 += d1 * x2
            g2 += d1
            g3 += d2 * x1
            g4 += d2 * x2
            g5 += d2
            g6 += d * h1
            g7 += d * h2
            g8 += d
        w0 -= lr * g0
        w1 -= lr * g1
        w2 -= lr * g2
        w3 -= lr * g3
        w4 -= lr * g4
        w5 -= lr * g5
        w6 -= lr * g6
        w7 -= lr * g7
        w8 -= lr * g8
    return (w0, w1, w2, w3, w4, w5, w6, w7, w8)


def _settled_xor_descent(start: np.ndarray, epochs: int, lr: float) -> list[float]:
    """The reference's descent from ``start`` (on floats), stopped once the verdict cannot change.

    As backprop's `_descend`: once the summed squared error is below 0.25**2 and still
    falling, no output can later be 0.5 from its target, so the rounding is final.
    Memoised on the start: every student whose run starts alike pays once. From the
    reference's own first epoch (a submission that matches it bit for bit), the same for
    every submission and seed, it is computed once for every grading process (`kept`).
    """
    key = (start.tobytes(), epochs, lr)
    if key not in _xor_continued:
        def settle() -> list[float]:
            w, done, before = [float(v) for v in start], 0, np.inf
            while done < epochs:
                chunk = min(50, epochs - done)
                w = _xor_descent_floats(w, chunk, lr)
                done += chunk
                cost = _ref_module.xor_cost(w)  # every step's weights differ
                if cost < 0.25**2 and cost < before and lr <= 1.0:
                    break
                before = cost
            return w

        own_start = np.array(ref.train_xor_autodiff(1, 0.1, 0), dtype=float)
        if start.dtype == own_start.dtype and start.tobytes() == own_start.tobytes():
            _xor_continued[key] = kept(
                f"train_xor_autodiff: settled from the reference's first epoch ({epochs}, {lr!r})",
                settle, source=__file__)
        else:
            _xor_continued[key] = settle()
    return list(_xor_continued[key])


@pytest.mark.contract("autodiff", "train_xor_autodiff")
def test_train_xor_autodiff_defaults(student, rng):
    """train_xor_autodiff() with its defaults learns XOR (the rounded outputs of xor_net)"""
    epochs, lr = 20000, 0.1
    runs: dict[int, np.ndarray] = {}
    first_call = ""
    for e in (1, 2, _XOR_PROBE):
        out = student.outcome("train_xor_autodiff", (), {"epochs": e})
        if not out.ok:
            break
        try:
            runs[e] = _nine(student, out.value, student.last_call)
        except Feedback:
            break
        first_call = first_call or str(student.last_call)
    if 1 in runs:  # the defaults themselves (lr=0.1, seed=0): one epoch, so it costs nothing
        explicit = _nine(student, student.train_xor_autodiff(epochs=1, lr=lr, seed=0),
                         student.last_call)
        expect_close(runs[1], explicit, call=first_call, rtol=1e-12, atol=1e-15,
                     what=msg("what.default_arguments_run", name="weights"),
                     hint=msg("hint.contract_defaults",
                              signature="train_xor_autodiff(epochs=20000, lr=0.1, seed=0)"),
                     mistakes=[Mistake("wrong_default_argument", lambda _g: True)])
        declared = student.drive("declared_defaults",
                                 {"module": "autodiff", "name": "train_xor_autodiff"},
                                 name="train_xor_autodiff")
        expect_declared_default(declared, "train_xor_autodiff", "epochs", epochs,
                                call=first_call,
                                signature="train_xor_autodiff(epochs=20000, lr=0.1, seed=0)")
    # Plain descent, possibly with the cost scaled (a mean or a 1/2: the steps are those of
    # another learning rate, which the step test charges): the reference continues it.
    step = _descent_step(runs, lr, ref.xor_descent)
    # The same on a network without the output sigmoid (charged by the xor_net tests): that
    # descent continued in full (it has no settled point), not 20,000 epochs of the
    # student's Variables (seconds of every such submission).
    linear = None if step is not None else _descent_step(
        runs, lr, functools.partial(_xor_descent_floats, output_sigmoid=False))
    hint: Message | None = None
    if step is not None:
        weights = _settled_xor_descent(runs[1], epochs - 1, step)
        call = f"train_xor_autodiff()  # {first_call}"
        hint = msg("autodiff.continued_by_reference", lr=f"{step:g}")
    elif linear is not None:
        key = (runs[1].tobytes(), epochs - 1, linear, "no output sigmoid")
        if key not in _xor_continued:
            _xor_continued[key] = _xor_descent_floats(list(runs[1]), epochs - 1, linear,
                                                      output_sigmoid=False)
        weights = list(_xor_continued[key])
        call = f"train_xor_autodiff()  # {first_call}"
        hint = msg("autodiff.continued_without_output_sigmoid", lr=f"{linear:g}")
    else:
        got = student.with_timeout(XOR_AUTODIFF_TIMEOUT).train_xor_autodiff()
        weights = list(_nine(student, got, student.last_call))
        call, hint = str(student.last_call), None
    outputs = np.array(ref.xor_outputs(weights))
    try:
        expect_equal(np.round(outputs), np.array([0.0, 1.0, 1.0, 0.0]), call=call,
                     what=msg("what.rounded_xor_outputs"), hint=hint)
    except Feedback as fb:  # the nine weights' regions beside a network that solves XOR
        raise fb.replace(figure=regions_figure(_nine_weight_net(weights),
                                               _nine_weight_net(_XOR_WEIGHTS))) from None


def _descent_step(runs: dict[int, np.ndarray], lr: float,
                  descend: Callable[[list[float], int, float], list[float]]) -> float | None:
    """The learning rate (lr, or lr scaled as a mean or a 1/2 would) with which ``descend``
    from the student's first epoch gives their later epochs; None if none does."""
    return next((scale * lr for scale in (1.0, 0.5, 0.25, 2.0) if len(runs) == 3 and all(
        np.allclose(runs[e], descend(list(runs[1]), e - 1, scale * lr), rtol=1e-8,
                    atol=1e-10) for e in (2, _XOR_PROBE))), None)


def _nine_weight_net(w: list[float]) -> Callable[[np.ndarray, np.ndarray], np.ndarray]:
    """xor_net of the nine weights as numpy over many inputs at once."""
    def sig(z: np.ndarray) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-z))

    def net(x1: np.ndarray, x2: np.ndarray) -> np.ndarray:
        h1, h2 = sig(x1 * w[0] + x2 * w[1] + w[2]), sig(x1 * w[3] + x2 * w[4] + w[5])
        return sig(w[6] * h1 + w[7] * h2 + w[8])

    return net
