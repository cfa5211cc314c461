"""Single-point mutants of a module's source, made with the standard library's `ast`.

Each mutant changes exactly one node of one function (or method) of a
solution module, the way a student's slip would: an operator swapped, a
comparison's boundary flipped, a constant off by one, a term dropped, two
arguments swapped, a transpose removed, an input returned as the result, a
dtype changed, an axis moved. A mutant's id (module, function, operator,
line, column, variant) is stable while the solution's text is, so that a
reviewed list of equivalent mutants can name them.

Docstrings, imports and module-level constants are never mutated: only code
a student writes inside a function.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterator
from dataclasses import dataclass

__all__ = ["OPERATORS", "Mutant", "mutants_of"]


@dataclass(frozen=True)
class Mutant:
    """One wrong version of one module: ``source`` is the whole module with one change."""

    module: str
    function: str
    operator: str
    line: int
    col: int
    variant: int
    before: str
    after: str
    source: str
    span: str = ""  # "-<end col>" of the changed node: nodes may start at one place


    @property
    def id(self) -> str:
        return (f"{self.module}.{self.function}:{self.operator}:"
                f"{self.line}:{self.col}{self.span}:{self.variant}")

    def describe(self) -> str:
        return f"line {self.line}: {self.before}  ->  {self.after}"


# ---------------------------------------------------------------- the operators
# Each takes a node and returns the replacement nodes it can become (possibly none).

_BINOP_SWAPS: dict[type[ast.operator], tuple[type[ast.operator], ...]] = {
    ast.Add: (ast.Sub, ast.Mult),
    ast.Sub: (ast.Add,),
    ast.Mult: (ast.Div, ast.Add, ast.MatMult),
    ast.Div: (ast.Mult, ast.FloorDiv),
    ast.MatMult: (ast.Mult,),
    ast.Pow: (ast.Mult,),
    ast.FloorDiv: (ast.Div,),
    ast.Mod: (ast.FloorDiv,),
}

_CMP_SWAPS: dict[type[ast.cmpop], tuple[type[ast.cmpop], ...]] = {
    ast.Gt: (ast.GtE, ast.Lt),
    ast.GtE: (ast.Gt, ast.Lt),
    ast.Lt: (ast.LtE, ast.Gt),
    ast.LtE: (ast.Lt, ast.Gt),
    ast.Eq: (ast.NotEq,),
    ast.NotEq: (ast.Eq,),
    ast.Is: (ast.IsNot,),
    ast.IsNot: (ast.Is,),
    ast.In: (ast.NotIn,),
    ast.NotIn: (ast.In,),
}


def _arithmetic(node: ast.AST) -> list[ast.AST]:
    if isinstance(node, ast.BinOp):
        return [ast.BinOp(node.left, op(), node.right)
                for op in _BINOP_SWAPS.get(type(node.op), ())]
    if isinstance(node, ast.AugAssign):
        return [ast.AugAssign(node.target, op(), node.value)
                for op in _BINOP_SWAPS.get(type(node.op), ())]
    return []


def _comparison(node: ast.AST) -> list[ast.AST]:
    if not isinstance(node, ast.Compare):
        return []
    out: list[ast.AST] = []
    for i, op in enumerate(node.ops):
        for new in _CMP_SWAPS.get(type(op), ()):
            ops = list(node.ops)
            ops[i] = new()
            out.append(ast.Compare(node.left, ops, node.comparators))
    return out


def _constant(node: ast.AST) -> list[ast.AST]:
    if not isinstance(node, ast.Constant) or isinstance(node.value, bool):
        return []
    value = node.value
    if isinstance(value, int):
        return [ast.Constant(value + 1), ast.Constant(value - 1)]
    if isinstance(value, float):
        return [ast.Constant(value + 1.0), ast.Constant(0.0 if value else 1.0)]
    return []


def _boolean(node: ast.AST) -> list[ast.AST]:
    if isinstance(node, ast.BoolOp):
        other = ast.Or() if isinstance(node.op, ast.And) else ast.And()
        return [ast.BoolOp(other, node.values)]
    if isinstance(node, ast.Constant) and isinstance(node.value, bool):
        return [ast.Constant(not node.value)]
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        return [node.operand]
    return []


def _dropped_term(node: ast.AST) -> list[ast.AST]:
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub, ast.Mult, ast.Div)):
        return [node.left, node.right] if isinstance(node.op, (ast.Add, ast.Mult)) else [node.left]
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return [node.operand]
    return []


def _swapped_arguments(node: ast.AST) -> list[ast.AST]:
    if isinstance(node, ast.Call) and len(node.args) >= 2 \
            and not any(isinstance(a, ast.Starred) for a in node.args[:2]):
        args = [node.args[1], node.args[0], *node.args[2:]]
        return [ast.Call(node.func, args, node.keywords)]
    if isinstance(node, ast.BinOp) \
            and isinstance(node.op, (ast.Sub, ast.Div, ast.MatMult, ast.Pow)):
        return [ast.BinOp(node.right, node.op, node.left)]
    return []


def _transpose(node: ast.AST) -> list[ast.AST]:
    if isinstance(node, ast.Attribute) and node.attr == "T" and isinstance(node.ctx, ast.Load):
        return [node.value]
    return []


def _dtype(node: ast.AST) -> list[ast.AST]:
    """``astype(float)`` -> int/bool, ``dtype=float`` -> int, and back."""
    names = {"float": ("int", "bool"), "int": ("float", "bool"), "bool": ("int", "float")}
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
            and node.func.attr == "astype" and node.args and isinstance(node.args[0], ast.Name) \
            and node.args[0].id in names:
        return [ast.Call(node.func, [ast.Name(n, ast.Load()), *node.args[1:]], node.keywords)
                for n in names[node.args[0].id]]
    if isinstance(node, ast.Call):
        out: list[ast.AST] = []
        for i, kw in enumerate(node.keywords):
            if kw.arg == "dtype" and isinstance(kw.value, ast.Name) and kw.value.id in names:
                for n in names[kw.value.id][:1]:
                    kws = list(node.keywords)
                    kws[i] = ast.keyword("dtype", ast.Name(n, ast.Load()))
                    out.append(ast.Call(node.func, node.args, kws))
        return out
    return []


def _axis(node: ast.AST) -> list[ast.AST]:
    """``axis=k`` -> axis k+1, k-1 and no axis at all; ``keepdims=True`` dropped."""
    if not isinstance(node, ast.Call):
        return []
    out: list[ast.AST] = []
    for i, kw in enumerate(node.keywords):
        if kw.arg not in ("axis", "keepdims"):
            continue
        rest = node.keywords[:i] + node.keywords[i + 1:]
        out.append(ast.Call(node.func, node.args, rest))
        if kw.arg == "axis" and isinstance(kw.value, ast.Constant) \
                and isinstance(kw.value.value, int):
            for k in (kw.value.value + 1, kw.value.value - 1):
                out.append(ast.Call(node.func, node.args,
                                    [*rest[:i], ast.keyword("axis", ast.Constant(k)), *rest[i:]]))
    return out


def _returned_input(node: ast.AST, params: list[str]) -> list[ast.AST]:
    if isinstance(node, ast.Return) and node.value is not None and params:
        return [ast.Return(ast.Name(params[0], ast.Load()))]
    return []


# name -> function(node) -> replacements; `returned_input` also needs the parameters.
OPERATORS: dict[str, Callable[[ast.AST], list[ast.AST]]] = {
    "arithmetic": _arithmetic,
    "comparison": _comparison,
    "constant": _constant,
    "boolean": _boolean,
    "dropped_term": _dropped_term,
    "swapped_arguments": _swapped_arguments,
    "transpose": _transpose,
    "dtype": _dtype,
    "axis": _axis,
    "returned_input": lambda node: [],  # filled in per function below
}


def _is_docstring(node: ast.AST, parent: ast.AST | None) -> bool:
    return isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) \
        and isinstance(node.value.value, str)


def _functions(tree: ast.Module) -> Iterator[tuple[str, ast.FunctionDef, list[str]]]:
    for node in tree.body:
        if isinstance(node, ast.FunctionDef):
            yield node.name, node, [a.arg for a in node.args.args]
        elif isinstance(node, ast.ClassDef):
            for item in node.body:
                if isinstance(item, ast.FunctionDef):
                    params = [a.arg for a in item.args.args][1:]  # not self
                    yield f"{node.name}.{item.name}", item, params


def _sites(func: ast.FunctionDef) -> Iterator[ast.AST]:
    """Every node inside the function's body (defaults included), docstrings left out."""
    for default in [*func.args.defaults, *func.args.kw_defaults]:
        if default is not None:
            yield from ast.walk(default)
    for stmt in func.body:
        if _is_docstring(stmt, func):
            continue
        yield from ast.walk(stmt)


def mutants_of(module: str, source: str,
               operators: list[str] | None = None) -> list[Mutant]:
    """All single-point mutants of ``source`` (module ``module``) under ``operators`` (all by
    default), in source order, one per distinct resulting program."""
    chosen = list(OPERATORS) if operators is None else operators
    unknown = set(chosen) - set(OPERATORS)
    if unknown:
        raise ValueError(f"unknown mutation operators: {', '.join(sorted(unknown))}")
    tree = ast.parse(source)
    original = ast.unparse(tree)
    _PARENTS[id(tree)] = _parents(tree)
    seen = {original}
    out: list[Mutant] = []
    for fname, func, params in _functions(tree):
        for node in _sites(func):
            for op in chosen:
                if op == "returned_input":
                    replacements = _returned_input(node, params)
                else:
                    replacements = OPERATORS[op](node)
                for variant, replacement in enumerate(replacements):
                    mutated = _apply(tree, node, replacement)
                    if mutated is None or mutated in seen:
                        continue
                    seen.add(mutated)
                    line, col = getattr(node, "lineno", func.lineno), getattr(node, "col_offset", 0)
                    end = getattr(node, "end_col_offset", None)
                    out.append(Mutant(module, fname, op, line, col, variant,
                                      _text(node), _text(replacement), mutated,
                                      "" if end is None else f"-{end}"))
    del _PARENTS[id(tree)]
    return out


def _text(node: ast.AST) -> str:
    try:
        text = ast.unparse(node)
    except Exception:  # noqa: BLE001 - a fragment that cannot stand alone
        return type(node).__name__
    return text if len(text) <= 100 else text[:97] + "..."


def _apply(tree: ast.Module, target: ast.AST, replacement: ast.AST) -> str | None:
    """The module's text with ``target`` replaced (None when the result does not compile).

    The replacement is put in the target's place in the tree itself, unparsed
    and put back: copying the whole tree for each of a thousand mutants is
    what would make generating them slow.
    """
    if not hasattr(replacement, "lineno"):  # a new node; a kept one keeps its own place
        ast.copy_location(replacement, target)
    ast.fix_missing_locations(replacement)
    parent, field, index = _PARENTS[id(tree)][id(target)]
    holder = getattr(parent, field)
    if index is None:
        setattr(parent, field, replacement)
    else:
        holder[index] = replacement
    try:
        text = ast.unparse(tree)
        compile(text, "<mutant>", "exec")
    except (SyntaxError, ValueError, TypeError, RecursionError):
        return None
    finally:
        if index is None:
            setattr(parent, field, target)
        else:
            holder[index] = target
    return text


# tree id -> (node id -> (parent, field, index in a list field or None)); filled by mutants_of
_PARENTS: dict[int, dict[int, tuple[ast.AST, str, int | None]]] = {}


def _parents(tree: ast.Module) -> dict[int, tuple[ast.AST, str, int | None]]:
    out: dict[int, tuple[ast.AST, str, int | None]] = {}
    for parent in ast.walk(tree):
        for field, value in ast.iter_fields(parent):
            if isinstance(value, ast.AST):
                out[id(value)] = (parent, field, None)
            elif isinstance(value, list):
                for i, item in enumerate(value):
                    if isinstance(item, ast.AST):
                        out[id(item)] = (parent, field, i)
    return out
