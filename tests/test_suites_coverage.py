"""Static checks of the hidden suites: every graded name is tested, every test is well-formed.

These read the suites' source (ast) instead of running a grading session, so
they are fast and independent of the sandbox.
"""

from __future__ import annotations

import ast
import functools
import importlib.util
import warnings
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from nngrade.contract import MODULES
from nngrade.mistakes import MISTAKES
from nngrade.rubric import load_rubric

SUITES = Path(__file__).resolve().parents[1] / "grader" / "nngrade" / "suites"
DIRECT_FIXTURES = {"student", "rng"}


def _const(node: ast.AST) -> object:
    return node.value if isinstance(node, ast.Constant) else None


def _hidden_tests() -> list[dict]:
    """One entry per test function of the suites: file, name, contract, args, docstring."""
    tests = []
    for path in sorted(SUITES.glob("test_*.py")):
        tree = ast.parse(path.read_text(), filename=str(path))
        for fn in tree.body:
            if not isinstance(fn, ast.FunctionDef) or not fn.name.startswith("test_"):
                continue
            contract, params = None, set()
            for deco in fn.decorator_list:
                if not isinstance(deco, ast.Call):
                    continue
                target = ast.unparse(deco.func)
                if target == "pytest.mark.contract":
                    contract = tuple(_const(a) for a in deco.args)
                elif target == "pytest.mark.parametrize":
                    names = _const(deco.args[0])
                    params.update(n.strip() for n in str(names).split(","))
            tests.append({"file": path.name, "name": fn.name, "contract": contract,
                          "args": [a.arg for a in fn.args.args], "params": params,
                          "doc": ast.get_docstring(fn)})
    return tests


TESTS = _hidden_tests()


def test_every_hidden_test_has_a_contract_marker_naming_a_contract_name():
    known = {(m, n) for m, names in MODULES.items() for n in names}
    for t in TESTS:
        assert t["contract"] is not None, f"{t['file']}::{t['name']} has no contract marker"
        assert t["contract"] in known, f"{t['file']}::{t['name']}: unknown {t['contract']}"
        assert t["file"] == f"test_{t['contract'][0]}.py", f"{t['name']} is in the wrong file"


def test_every_name_with_points_has_hidden_tests():
    rubric = load_rubric()
    tested = Counter(t["contract"] for t in TESTS)
    untested = [f"{m}.{n}" for m, names in rubric.points.items() for n, points in names.items()
                if points > 0 and tested[(m, n)] == 0]
    assert untested == []


def test_partial_credit_names_have_several_tests():
    rubric = load_rubric()
    tested = Counter(t["contract"] for t in TESTS)
    thin = [f"{m}.{n}" for m, names in rubric.points.items() for n, points in names.items()
            if points >= 2 and tested[(m, n)] < 2]
    assert thin == []


def test_suite_size_stays_affordable():
    assert 100 <= len(TESTS) <= 140, len(TESTS)


def test_tests_take_only_the_direct_fixtures():
    """The runner calls a test directly (no pytest protocol) only if it asks for student/rng."""
    for t in TESTS:
        extra = set(t["args"]) - DIRECT_FIXTURES - t["params"]
        assert not extra, f"{t['file']}::{t['name']} asks for fixtures {sorted(extra)}"


def test_every_test_has_a_title():
    for t in TESTS:
        assert t["doc"] and t["doc"].strip().splitlines()[0].strip(), t["name"]


def test_titles_are_unique_within_a_contract_name():
    seen = Counter((t["contract"], t["doc"].strip().splitlines()[0]) for t in TESTS)
    assert [k for k, v in seen.items() if v > 1] == []


def test_mistake_codes_used_by_the_suites_exist():
    used = set()
    for path in SUITES.glob("test_*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and ast.unparse(node.func) == "Mistake" and node.args:
                used.add(_const(node.args[0]))
            for kw in getattr(node, "keywords", []) or []:
                if kw.arg == "mistake" and isinstance(kw.value, ast.Constant) and kw.value.value:
                    used.add(kw.value.value)
    used.discard(None)
    assert used - set(MISTAKES) == set()


# ------------------------------------------------------------------ drivers


def test_course_drivers_are_registered():
    from nngrade.worker.drivers import DRIVERS, load_all

    load_all()
    for name in ("variable_graph", "variable_identity", "exponential_paths", "early_stopping",
                 "numerical_gradient_mutation"):
        assert name in DRIVERS


def test_tape_interpreter_on_the_lecture_neuron():
    from nngrade.hidden.graphs import with_partials
    from nngrade.reference.course import autodiff as ref
    from nngrade.worker.drivers.autodiff import run_graph

    tape = {"leaves": [1.0, 0.0, 0.0],
            "ops": [["mul", ["v", 1], ["v", 0]], ["add", ["v", 3], ["v", 2]],
                    ["sigmoid", ["v", 4]]]}
    facts = with_partials(run_graph(tape, ref.Variable, lambda n: getattr(ref, n),
                                    ref.get_gradients))
    assert facts["values"][-1] == pytest.approx(0.5)
    assert facts["grads"][:3] == pytest.approx([0.0, 0.25, 0.25])  # df/dx = w = 0
    assert facts["partials"][-1] == pytest.approx([0.0, 0.25, 0.25])
    assert all(facts["is_variable"]) and all(facts["value_is_float"])


def test_trusted_partials_accept_composite_operators():
    """a - b built as a + (-b) has other children, but the same derivatives."""
    from nngrade.hidden.graphs import jacobian
    from nngrade.reference.course import autodiff as ref
    from nngrade.worker.drivers.autodiff import graph_of

    a, b = ref.Variable(2.0), ref.Variable(5.0)
    direct = a - b
    composite = a + (-b)
    (one,) = jacobian(graph_of([direct], [a, b]))
    (other,) = jacobian(graph_of([composite], [a, b]))
    assert one == other == [1.0, -1.0]


@functools.cache
def _suite(name: str):
    """A hidden suite as a module, imported by path (for its helpers)."""
    spec = importlib.util.spec_from_file_location(
        f"_suite_{name}", SUITES / f"test_{name}.py")
    suite = importlib.util.module_from_spec(spec)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", pytest.PytestUnknownMarkWarning)  # its contract marks
        spec.loader.exec_module(suite)
    return suite


@pytest.mark.parametrize("start", ["normal-0", "normal-1", "normal-2", "small", "uniform",
                                   "zeros", "large", "one-hidden"])
def test_settled_descent_gives_the_full_runs_verdict(start):
    """train_xor's default run is judged on a descent stopped once settled: same rounding."""
    backprop = _suite("backprop")
    rng = np.random.default_rng(7)
    hidden = 1 if start == "one-hidden" else 10
    w1, w2 = {
        "normal-0": lambda: (np.random.default_rng(0).normal(size=(2, 10)),
                             np.random.default_rng(0).normal(size=(10, 1))),
        "normal-1": lambda: (rng.normal(size=(2, 10)), rng.normal(size=(10, 1))),
        "normal-2": lambda: (rng.normal(size=(2, 10)) * 2, rng.normal(size=(10, 1)) * 2),
        "small": lambda: (rng.normal(size=(2, 10)) * 0.1, rng.normal(size=(10, 1)) * 0.1),
        "uniform": lambda: (rng.uniform(-1, 1, (2, 10)), rng.uniform(-1, 1, (10, 1))),
        "zeros": lambda: (np.zeros((2, 10)), np.zeros((10, 1))),
        "large": lambda: (rng.normal(size=(2, 10)) * 6, rng.normal(size=(10, 1)) * 6),
        "one-hidden": lambda: (rng.normal(size=(2, hidden)), rng.normal(size=(hidden, 1))),
    }[start]()

    def rounded(a, b):
        return np.round(backprop._sigmoid(backprop._sigmoid(backprop.XOR_X @ a) @ b))

    full = backprop._descend(w1, w2, 19999, 0.5)
    settled = backprop._descend(w1, w2, 19999, 0.5, settle=True)
    assert np.array_equal(rounded(*settled), rounded(*full))


@pytest.mark.parametrize("seed", range(25))
def test_trusted_jacobian_matches_get_gradients_of_every_node(seed):
    """One walk for all nodes gives, for each node, what reverse mode from that node gives.

    The walk runs in the grader (nngrade.hidden.graphs) on the graph the worker read."""
    from nngrade.hidden.graphs import jacobian
    from nngrade.reference.course import autodiff as ref
    from nngrade.worker.drivers.autodiff import build, graph_of

    ops = ["add", "sub", "mul", "div", "neg", "exp", "log", "sigmoid"]
    tape = _suite("autodiff").random_tape(np.random.default_rng(seed), ops, n_leaves=3, n_ops=12)
    nodes = build(tape, ref.Variable, lambda name: getattr(ref, name))
    leaves = nodes[:3]
    rows = jacobian(graph_of(nodes, leaves))
    for node, row in zip(nodes, rows, strict=True):
        grads = {id(k): v for k, v in ref.get_gradients(node).items()}
        assert row == pytest.approx([grads.get(id(leaf), 0.0) for leaf in leaves],
                                    rel=1e-12, abs=1e-12)


def test_trusted_jacobian_explains_what_it_cannot_walk():
    from nngrade.hidden.graphs import jacobian
    from nngrade.reference.course import autodiff as ref
    from nngrade.worker.drivers.autodiff import graph_of

    class Odd:
        local_gradients = None

    a = ref.Variable(1.0)
    bad = ref.Variable(2.0)
    bad.local_gradients = ((a, "one"),)
    holder = ref.Variable(3.0)
    holder.local_gradients = ((bad, 1.0),)
    rows = jacobian(graph_of([a, bad, holder, Odd()], [a]))
    assert rows[0] == [1.0]
    assert rows[1] == rows[2] == "a local derivative of type str"
    assert rows[3].endswith("without local_gradients")


def test_paths_and_identity_facts_on_the_reference():
    from nngrade.reference.course import autodiff as ref
    from nngrade.worker.drivers.autodiff import path_gradients, variable_identity_facts

    doubling = path_gradients(ref.Variable, ref.get_gradients, "doubling", 60, 1.5)
    assert doubling == {"value": 1.5 * 2.0**60, "grad": 2.0**60}
    chain = path_gradients(ref.Variable, ref.get_gradients, "chain", 10_000, 1.5)
    assert chain == {"value": 1.5, "grad": 1.0}
    facts = variable_identity_facts(ref.Variable, ref.get_gradients, 2.0)
    assert facts == {"distinct_keys": True, "a_eq_b": False, "a_eq_a": True,
                     "grad_a": 4.0, "grad_b": 1.0}


def test_early_stopping_trace_on_the_reference():
    from nngrade.reference.course import regularization as ref
    from nngrade.worker.drivers.regularization import early_stopping_trace

    trace = early_stopping_trace(ref.EarlyStopping, 2, None, [1.0, 0.5, 0.5, 0.7])
    assert trace == {"stops": [False, False, False, True], "best_loss": [1.0, 0.5, 0.5, 0.5],
                     "best_epoch": [0, 1, 1, 1], "initial": [float("inf"), None]}


def test_numerical_gradient_mutation_driver_sees_changes():
    from nngrade.worker.drivers.gradient_descent import numerical_gradient_mutation

    def mutating(f, x, h=1e-5):
        x += 1.0
        return np.zeros_like(x)

    class Module:
        numerical_gradient = staticmethod(mutating)

    x = np.arange(3.0)
    facts = numerical_gradient_mutation({"gradient_descent": Module},
                                        {"f": "quadratic", "f_params": {}, "x": x})
    assert np.array_equal(facts["x_before"], x)
    assert np.array_equal(facts["x_after"], x + 1.0)
