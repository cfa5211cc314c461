"""Drivers for autodiff.py: build a graph of the student's ``Variable`` and read its gradients.

A graph is described by a *tape*, pure data that both sides interpret with the
same code: the worker builds it with the student's ``Variable`` and functions,
the grader builds it with the reference's (``run_graph`` below is imported by
the hidden suite too). A tape is ::

    {"leaves": [1.5, -0.25],                 # node 0, node 1: Variable(1.5), Variable(-0.25)
     "ops": [["mul", ["v", 0], ["v", 1]],    # node 2 = node0 * node1
             ["sub", ["c", 1.0], ["v", 2]],  # node 3 = 1.0 - node2   (reflected __rsub__)
             ["exp", ["v", 3]]],             # node 4 = exp(node3)
     "output": 4}                            # optional: the last node by default

Operands are ``["v", i]`` (node i) or ``["c", x]`` (the plain number x).
Binary ops: ``add sub mul div`` (a number on either side); unary: ``neg``;
functions of the module: ``exp log sigmoid``.

Every number read from a student's object goes through ``_number``: a float,
``None`` when absent, or the type's name when it is not a number at all (a
``Variable`` where a gradient should be), so the grader can say what is wrong.

Imports only the standard library, numpy and this package.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, cast

import numpy as np

from nngrade.worker.drivers import driver, member
from nngrade.worker.protocol import type_name

__all__ = [
    "BINARY_OPS",
    "FUNCTIONS",
    "build",
    "graph_of",
    "many_paths",
    "run_graph",
    "variable_identity_facts",
    "path_gradients",
]

BINARY_OPS = ("add", "sub", "mul", "div")
FUNCTIONS = ("exp", "log", "sigmoid")

_float = float
_isinstance = isinstance
_id = id
_NUMBERS = (int, float, np.integer, np.floating)


def _number(x: Any) -> float | str | None:
    """A float for a plain number (or a one-element array), else the type's name."""
    if x is None:
        return None
    if _isinstance(x, bool) or _isinstance(x, np.bool_):
        return type_name(x)
    if _isinstance(x, _NUMBERS):
        return _float(x)
    if _isinstance(x, np.ndarray) and x.dtype.kind in "iuf" and x.size == 1:
        return _float(x.reshape(-1)[0])
    return type_name(x)


def _truth(x: Any) -> bool | str:
    """A bool for True/False (Python or numpy), else the type's name."""
    if _isinstance(x, (bool, np.bool_)):
        return bool(x)
    return type_name(x)


def build(
    tape: Mapping[str, Any],
    variable: Callable[[float], Any],
    function: Callable[[str], Callable[[Any], Any]],
) -> list[Any]:
    """Every node of ``tape``: the leaves, then one result per op, in order.

    ``variable(x)`` makes a leaf; ``function(name)`` returns the module's
    ``exp``/``log``/``sigmoid`` (looked up only when the tape uses it).
    """
    nodes: list[Any] = [variable(_float(v)) for v in tape["leaves"]]

    def operand(spec: Any) -> Any:
        kind, x = spec[0], spec[1]
        if kind == "v":
            return nodes[int(x)]
        if kind == "c":
            return _float(x)
        raise ValueError(f"bad tape operand {spec!r}")

    for op in tape["ops"]:
        name, args = op[0], [operand(a) for a in op[1:]]
        if name == "add":
            result = args[0] + args[1]
        elif name == "sub":
            result = args[0] - args[1]
        elif name == "mul":
            result = args[0] * args[1]
        elif name == "div":
            result = args[0] / args[1]
        elif name == "neg":
            result = -args[0]
        elif name in FUNCTIONS:
            result = function(name)(args[0])
        else:
            raise ValueError(f"bad tape op {name!r}")
        nodes.append(result)
    return nodes


def _gradient_table(grads: Any) -> dict[int, Any] | None:
    """id(node) -> gradient, read by identity (never calling a key's ``__eq__``/``__hash__``)."""
    if not _isinstance(grads, dict):
        try:
            grads = dict(grads.items())
        except Exception:  # noqa: BLE001 - not a mapping at all
            return None
    return {_id(k): v for k, v in dict.items(grads)}


_TOO_BIG = "a graph of more than 100,000 nodes"


MAX_GRAPH_NODES = 100_000


def graph_of(nodes: list[Any], leaves: list[Any]) -> dict[str, Any] | str:
    """The graph below ``nodes`` as plain data, for the grader to walk (`nngrade.hidden.graphs`).

    Only what the student's objects say is read here: every node reachable
    through ``local_gradients`` gets an index (by identity, never the
    student's ``__hash__``), and ``edges[i]`` is node i's list of ``[child,
    local derivative]``, or a text saying why it cannot be walked (no
    ``local_gradients``, a derivative that is not a number). ``roots`` and
    ``leaves`` index ``nodes`` and ``leaves``. The walk that turns this into
    derivatives runs in the grader, not here: a correct walk beside the
    student's code would be one they could borrow or rewrite (issue 13).
    A graph of more than `MAX_GRAPH_NODES` nodes is a text instead.
    """
    index: dict[int, int] = {}
    kept: list[Any] = []  # holds every node, so that no id is reused during the walk
    edges: list[Any] = []
    todo: list[int] = []

    def number_of(node: Any) -> int:
        key = _id(node)
        found = index.get(key)
        if found is None:
            found = index[key] = len(kept)
            kept.append(node)
            edges.append(None)
            todo.append(found)
        return found

    roots = [number_of(n) for n in nodes]
    leaf_numbers = [number_of(n) for n in leaves]
    while todo:
        if len(kept) > MAX_GRAPH_NODES:
            return _TOO_BIG
        i = todo.pop()
        pairs = getattr(kept[i], "local_gradients", None)
        if pairs is None:
            edges[i] = f"a node of type {type_name(kept[i])} without local_gradients"
            continue
        found: list[tuple[Any, float]] = []
        problem = ""
        for pair in pairs:
            child, local = pair
            value = _number(local)
            if not _isinstance(value, float):
                problem = f"a local derivative of type {value}"
                break
            found.append((child, cast(float, value)))
        edges[i] = problem or [[number_of(child), value] for child, value in found]
    return {"roots": roots, "leaves": leaf_numbers, "edges": edges}


def run_graph(
    tape: Mapping[str, Any],
    variable_cls: Any,
    function: Callable[[str], Any],
    get_gradients: Callable[[Any], Any] | None,
    repeat: int = 1,
) -> dict[str, Any]:
    """Build ``tape`` and report plain facts about every node.

    Returns ``values`` (each node's ``.value``), ``is_variable`` (each node is
    a ``variable_cls``), ``value_is_float``, ``graph`` (`graph_of` the nodes: the
    grader derives each node's partials with respect to the leaves from it) and
    ``output`` (the output node's index). Unless ``get_gradients`` is None it is
    called on the output (``repeat`` times: a correct one keeps no state between calls), adding
    ``grads`` (each node's entry in the dict the last call returned, None when
    absent) and ``grads_type``.
    """
    nodes = build(tape, variable_cls, function)
    index = int(tape.get("output", len(nodes) - 1)) % len(nodes)
    leaves = nodes[: len(tape["leaves"])]
    facts: dict[str, Any] = {
        "output": index,
        "values": [_number(getattr(n, "value", None)) for n in nodes],
        "is_variable": [_isinstance(n, variable_cls) for n in nodes],
        "value_is_float": [_isinstance(getattr(n, "value", None), float) for n in nodes],
        "graph": graph_of(nodes, leaves),
    }
    if get_gradients is None:
        return facts
    for _ in range(max(1, int(repeat))):
        grads = get_gradients(nodes[index])
    table = _gradient_table(grads)
    facts["grads_type"] = "dict" if table is not None else type_name(grads)
    table = table or {}
    facts["grads"] = [_number(table[_id(n)]) if _id(n) in table else None for n in nodes]
    return facts


def variable_identity_facts(
    variable_cls: Any, get_gradients: Callable[[Any], Any], x: float
) -> dict[str, Any]:
    """Two Variables with the same value must be two nodes (hash and compare by identity).

    Builds a = Variable(x), b = Variable(x), z = a * a + b and reports whether
    ``{a: ..., b: ...}`` has two keys, what ``a == b`` and ``a == a`` give, and
    the gradients of a (2x) and b (1), read by identity.
    """
    a, b = variable_cls(_float(x)), variable_cls(_float(x))
    keys = {a: "a", b: "b"}
    facts: dict[str, Any] = {
        "distinct_keys": len(keys) == 2,
        "a_eq_b": _truth(a == b),
        "a_eq_a": _truth(a == a),
    }
    z = a * a + b
    table = _gradient_table(get_gradients(z)) or {}
    facts["grad_a"] = _number(table.get(_id(a)))
    facts["grad_b"] = _number(table.get(_id(b)))
    return facts


PROBE_DEPTH = 10  # y = y + y 10 times: 11 nodes, but 2**11 paths


class _CountingChildren(tuple):
    """A node's ``local_gradients``, counting how often get_gradients walks them."""

    visits = 0

    def __iter__(self):
        type(self).visits += 1
        return super().__iter__()


def _probe_visits(variable_cls: Any, get_gradients: Callable[[Any], Any],
                  depth: int) -> int | None:
    """How often get_gradients walks the nodes' children on a small doubling graph.

    Visiting each node once (or a few times) is linear; walking every path
    visits the nodes about 2**depth times. None when the student's Variable
    does not let us watch (local_gradients not a plain settable attribute).
    """
    counter: Any = type("_Counter", (_CountingChildren,), {"visits": 0})
    y = variable_cls(1.0)
    nodes = [y]
    for _ in range(depth):
        y = y + y
        nodes.append(y)
    try:
        for node in nodes:
            node.local_gradients = counter(node.local_gradients)
    except (AttributeError, TypeError):
        return None
    get_gradients(y)
    return counter.visits


def path_gradients(
    variable_cls: Any, get_gradients: Callable[[Any], Any], kind: str, n: int, x: float,
    factor: float = 1.0,
) -> dict[str, Any]:
    """Graphs on which path enumeration or recursion fails; value and dy/dx.

    ``doubling``: y = x, then y = y + y ``n`` times (2**n paths from y to x).
    ``chain``: y = x, then y = y * factor ``n`` times (a path n nodes deep). The
    grader draws ``factor``, so dy/dx = factor**n is not a constant; but code that
    rewrites this driver receives factor and n and can write it down (a gap left open,
    see ``nngrade.worker.drivers``).
    """
    leaf = variable_cls(_float(x))
    y = leaf
    if kind == "doubling":
        visits = _probe_visits(variable_cls, get_gradients, PROBE_DEPTH)
        if visits is not None and visits > 8 * PROBE_DEPTH + 16:
            # Path enumeration: 2**n paths at depth n would never finish; say so now
            # instead of spending a whole call time limit on it.
            return {"value": None, "grad": None, "probe_depth": PROBE_DEPTH,
                    "probe_visits": visits}
        for _ in range(int(n)):
            y = y + y
    elif kind == "chain":
        for _ in range(int(n)):
            y = y * _float(factor)
    else:
        raise ValueError(f"unknown graph kind {kind!r}")
    table = _gradient_table(get_gradients(y)) or {}
    return {"value": _number(getattr(y, "value", None)), "grad": _number(table.get(_id(leaf)))}


def many_paths(variable_cls: Any, get_gradients: Callable[[Any], Any],
               tape: Mapping[str, Any]) -> dict[str, Any]:
    """get_gradients on a grader-drawn graph of additions with exponentially many paths.

    The grader draws the graph (each node adds the one or two before it), so the
    right ``grads`` (path counts, one per leaf) cannot be written down without a
    correct walk; a path-enumerating walk would never finish. Returns ``value``
    (the output's) and ``grads`` (d output / d leaf), or the probe's counts as
    `path_gradients` does (the probe only saves time: a walk it misses still
    runs out of time here).
    """
    visits = _probe_visits(variable_cls, get_gradients, PROBE_DEPTH)
    if visits is not None and visits > 8 * PROBE_DEPTH + 16:
        return {"value": None, "grads": None, "probe_depth": PROBE_DEPTH,
                "probe_visits": visits}

    def no_function(name: str) -> Any:
        raise ValueError(f"the graph uses only operators, not {name!r}")

    nodes = build(tape, variable_cls, no_function)
    leaves = nodes[: len(tape["leaves"])]
    table = _gradient_table(get_gradients(nodes[-1])) or {}
    return {"value": _number(getattr(nodes[-1], "value", None)),
            "grads": [_number(table.get(_id(leaf))) for leaf in leaves]}


# ------------------------------------------------------------------ the drivers


def _module_function(module: Any) -> Callable[[str], Any]:
    return lambda name: member(module, name)


@driver("variable_graph")
def variable_graph(modules: Mapping[str, Any], params: dict[str, Any]) -> dict[str, Any]:
    """params: ``{"tape": TAPE, "gradients": bool, "repeat": int}``; `run_graph`'s facts.

    With ``"gradients": False`` the student's ``get_gradients`` is not called
    (tests of the operators alone: values and local derivatives).
    """
    module = modules["autodiff"]
    get_gradients = member(module, "get_gradients") if params.get("gradients", True) else None
    return run_graph(
        params["tape"],
        member(module, "Variable"),
        _module_function(module),
        get_gradients,
        int(params.get("repeat", 1)),
    )


@driver("variable_identity")
def variable_identity(modules: Mapping[str, Any], params: dict[str, Any]) -> dict[str, Any]:
    """params: ``{"x": float}``; returns `variable_identity_facts`."""
    module = modules["autodiff"]
    return variable_identity_facts(
        member(module, "Variable"), member(module, "get_gradients"), params["x"]
    )


@driver("exponential_paths")
def exponential_paths(modules: Mapping[str, Any], params: dict[str, Any]) -> dict[str, Any]:
    """params: ``{"kind": "doubling" | "chain", "n": int, "x": float[, "factor": float]}``;
    returns value, grad.
    Or ``{"kind": "tape", "tape": TAPE}``: `many_paths` on a graph the grader drew."""
    module = modules["autodiff"]
    if params["kind"] == "tape":
        return many_paths(member(module, "Variable"), member(module, "get_gradients"),
                          params["tape"])
    return path_gradients(
        member(module, "Variable"),
        member(module, "get_gradients"),
        params["kind"],
        params["n"],
        params["x"],
        params.get("factor", 1.0),
    )
