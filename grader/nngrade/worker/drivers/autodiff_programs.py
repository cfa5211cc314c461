"""Drivers for the lecture's programs on ``Variable``: the XOR network with nine weights.

``xor_net(w, x1, x2)`` returns a ``Variable``, an object of the student's that
cannot cross the wire. This driver builds the nine leaf weights with the
student's ``Variable``, calls ``xor_net`` once per input pair and reports plain
facts about each output: its value, whether it is a ``Variable``, and its
graph below it (``autodiff.graph_of``), from which the grader derives the
derivatives with respect to the nine leaves by its own walk (never the
student's ``get_gradients``, so a wrong ``get_gradients`` costs points there,
not here). ``xor_net_facts`` runs on
the reference's classes too, which gives the expected facts.

Imports only the standard library, numpy and this package.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from nngrade.worker.drivers import driver, member
from nngrade.worker.drivers.autodiff import _number, graph_of

__all__ = ["xor_net_facts"]

_float = float
_isinstance = isinstance


def xor_net_facts(
    variable_cls: Any,
    xor_net: Callable[[list[Any], float, float], Any],
    weights: Sequence[float],
    inputs: Sequence[Sequence[float]],
) -> dict[str, list[Any]]:
    """For each (x1, x2) of ``inputs``: ``xor_net(leaves, x1, x2)`` with nine fresh leaves.

    Returns ``values`` (each output's ``.value``, a float, None or a type's
    name), ``is_variable`` (each output is a ``variable_cls``) and ``graphs``
    (`graph_of` each output and the nine leaves; ``nngrade.hidden.graphs`` turns
    them into d output / d w[j], or a text saying why the graph could not be
    walked).
    """
    values: list[Any] = []
    is_variable: list[bool] = []
    graphs: list[Any] = []
    for x1, x2 in inputs:
        leaves = [variable_cls(_float(v)) for v in weights]
        out = xor_net(list(leaves), _float(x1), _float(x2))
        is_variable.append(_isinstance(out, variable_cls))
        if not _isinstance(out, variable_cls):
            values.append(_number(out))
            graphs.append("not a Variable")
            continue
        values.append(_number(getattr(out, "value", None)))
        graphs.append(graph_of([out], leaves))
    return {"values": values, "is_variable": is_variable, "graphs": graphs}


@driver("xor_net")
def xor_net_driver(modules: Mapping[str, Any], params: dict[str, Any]) -> dict[str, list[Any]]:
    """params: ``{"weights": [nine floats], "inputs": [[x1, x2], ...]}``; `xor_net_facts`."""
    module = modules["autodiff"]
    return xor_net_facts(member(module, "Variable"), member(module, "xor_net"),
                         params["weights"], params["inputs"])
