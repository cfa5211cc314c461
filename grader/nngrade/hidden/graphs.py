"""The walk that turns a student's graph (as plain data) into derivatives, in the grader only.

Tests of ``Variable``'s operators grade the local derivatives the operators
record, whatever graph shape they chose (``a - b`` built as ``a + (-b)`` is
fine): d node / d leaf by a trusted walk over ``local_gradients``. That walk
used to run in the worker, beside the student's code, where it could be
found (``gc``, frames) and rewritten, or borrowed as a correct
``get_gradients``. Now the worker only reads the graph
(`nngrade.worker.drivers.autodiff.graph_of`: indices, local derivatives) and
this module, which the sandbox never holds, walks it. The dump is the
student's data: anything malformed makes `with_partials` drop the partials,
which the suites report as an unreadable result.

One walk serves every node: children first, each node's row is its own unit
vector (if it is a leaf) plus the sum of local derivative times child's row;
no recursion; a node left open on the walk (a cycle) counts as zero; a row is
a text when the graph holds a node that cannot be walked.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["jacobian", "with_partials"]

MAX_NODES = 100_000


class _Malformed(ValueError):
    pass


_Edges = list[list[tuple[int, float]] | str]


def _edges(dump: Mapping[str, Any]) -> tuple[list[int], list[int], _Edges]:
    roots, leaves, edges = dump.get("roots"), dump.get("leaves"), dump.get("edges")
    if not (isinstance(roots, list) and isinstance(leaves, list) and isinstance(edges, list)):
        raise _Malformed("not a graph")
    n = len(edges)
    if n > MAX_NODES:
        raise _Malformed("too big")

    def node(i: Any) -> int:
        if type(i) is not int or not 0 <= i < n:
            raise _Malformed("bad index")
        return i

    table: _Edges = []
    for entry in edges:
        if isinstance(entry, str):
            table.append(entry)
        elif isinstance(entry, list):
            pairs = []
            for pair in entry:
                if not (isinstance(pair, list) and len(pair) == 2 and type(pair[1]) is float):
                    raise _Malformed("bad edge")
                pairs.append((node(pair[0]), pair[1]))
            table.append(pairs)
        else:
            raise _Malformed("bad node")
    return [node(r) for r in roots], [node(leaf) for leaf in leaves], table


def jacobian(dump: Mapping[str, Any]) -> list[list[float] | str]:
    """For each root of ``dump``, d root / d leaf for each leaf (or why it cannot be walked).

    Raises ``ValueError`` for a dump that is not one (`with_partials` turns that into
    missing partials)."""
    roots, leaves, edges = _edges(dump)
    rows: dict[int, list[float] | str] = {}
    open_nodes: set[int] = set()
    children: dict[int, list[tuple[int, float]]] = {}
    for root in roots:
        stack: list[tuple[int, bool]] = [(root, False)]
        while stack:
            current, expanded = stack.pop()
            if expanded:
                open_nodes.discard(current)
                sums = [1.0 if leaf == current else 0.0 for leaf in leaves]
                problem = ""
                for child, local in children.pop(current):
                    below = rows.get(child)
                    if isinstance(below, str):
                        problem = below
                        break
                    if below is not None:
                        sums = [r + local * b for r, b in zip(sums, below, strict=True)]
                rows[current] = problem or sums
                continue
            if current in rows or current in open_nodes:
                continue
            found = edges[current]
            if isinstance(found, str):
                rows[current] = found
                continue
            open_nodes.add(current)
            children[current] = found
            stack.append((current, True))
            stack.extend((child, False) for child, _ in found
                         if child not in rows and child not in open_nodes)
    return [rows[r] for r in roots]


def with_partials(facts: Any, key: str = "graph") -> Any:
    """``facts`` of a driver with its graph dump(s) replaced by ``partials``.

    ``key`` is ``"graph"`` (one dump: ``partials`` is its jacobian, a row per
    root) or ``"graphs"`` (a dump or text per output: ``partials`` is the one row
    of each). Anything but a well-formed dump leaves ``partials`` out."""
    if not isinstance(facts, dict) or key not in facts:
        return facts
    out = {k: v for k, v in facts.items() if k != key}
    try:
        if key == "graph":
            dump = facts[key]
            rows = jacobian(dump) if isinstance(dump, dict) else None
            if isinstance(dump, str):
                roots = len(facts.get("values") or [])
                rows = [dump] * roots
            if rows is not None:
                out["partials"] = rows
        else:
            dumps = facts[key]
            if isinstance(dumps, list):
                out["partials"] = [d if isinstance(d, str) else _one_row(d) for d in dumps]
    except (ValueError, TypeError):
        out.pop("partials", None)
    return out


def _one_row(dump: Any) -> list[float] | str:
    if not isinstance(dump, dict):
        raise _Malformed("not a graph")
    rows = jacobian(dump)
    if len(rows) != 1:
        raise _Malformed("one root expected")
    return rows[0]
