"""The rules of a hidden suite that its source shows, checked when the suites are collected.

A hidden test that breaks a rule does not fail loudly when it runs: it
grades wrong. A bare ``assert`` fails with "A hidden check on the result
failed." and nothing a student can act on; a mistake code no catalog knows
shows as a generic sentence and never reaches the class summary; a test
that draws from numpy's global random state (or Python's ``random``) asks
different questions on every run, so two runs of the same seed give two
grades and a replayed verdict is wrong. Each of these is visible in the
source, so `nngrade.hidden.suite.collect` refuses the suite file before any
submission is graded, naming the line (`problems`).

What only running can tell (the fixtures a test asks for, its docstring's
first line) is checked on the collected items, in `nngrade.hidden.suite`.
The guide for instructors (docs/writing-hidden-tests.md) lists every rule.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

from nngrade import mistakes
from nngrade.mistakes import CODES

__all__ = ["GLOBAL_RANDOM", "SOURCES", "problems"]

# What a verdict of these rules depends on besides the suite file: the collection memo
# (`nngrade.hidden.collection_memo`) keys on them, so a suite remembered before a rule
# or a mistake code changed is checked again.
SOURCES = (Path(__file__), Path(mistakes.__file__))

# numpy.random's module-level functions draw from one global, unseeded-per-test state.
# (numpy.random.default_rng(seed), Generator, SeedSequence, PCG64 and a seeded
# RandomState(seed) are fine: their draws are a function of what they are given.)
GLOBAL_RANDOM = frozenset({
    "beta", "binomial", "bytes", "chisquare", "choice", "dirichlet", "exponential", "f",
    "gamma", "geometric", "get_state", "gumbel", "hypergeometric", "laplace", "logistic",
    "lognormal", "logseries", "multinomial", "multivariate_normal", "negative_binomial",
    "noncentral_chisquare", "noncentral_f", "normal", "pareto", "permutation", "poisson",
    "power", "rand", "randint", "randn", "random", "random_integers", "random_sample",
    "ranf", "rayleigh", "sample", "seed", "set_state", "shuffle", "standard_cauchy",
    "standard_exponential", "standard_gamma", "standard_normal", "standard_t", "triangular",
    "uniform", "vonmises", "wald", "weibull", "zipf",
})
_SEEDED_ONLY = frozenset({"default_rng", "RandomState"})  # fine only when given a seed


def problems(path: Path) -> list[str]:
    """What in the suite file ``path`` breaks a hidden suite's rules, one line each."""
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    except SyntaxError:
        return []  # pytest reports the syntax error itself, with its context
    return [f"{path.name}:{line}: {text}" for line, text in sorted(_problems(tree))]


def _problems(tree: ast.Module) -> Iterator[tuple[int, str]]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Assert):
            yield node.lineno, ("a bare `assert` gives a student no feedback: use an "
                                "expectation of nngrade.suite (expect_true, expect_close...)")
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == "random":
                    yield node.lineno, _RANDOM_MODULE
        elif isinstance(node, ast.ImportFrom):
            if node.module == "random":
                yield node.lineno, _RANDOM_MODULE
            elif node.module in ("numpy.random", "np.random"):
                for alias in node.names:
                    if alias.name in GLOBAL_RANDOM:
                        yield node.lineno, _global_random(alias.name)
        elif isinstance(node, ast.Call):
            yield from _call_problems(node)
        elif isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == "mistake" for t in node.targets):
            for code, line in _literal(node.value):  # mistake = "code" if ... else None
                if code not in CODES:
                    yield line, _unknown_code(code)


_RANDOM_MODULE = ("Python's `random` draws from a global state: draw from the test's "
                  "`rng` argument, so its inputs depend on the seed and the test's id only")


def _global_random(name: str) -> str:
    return (f"numpy.random.{name} draws from numpy's global state: draw from the test's "
            "`rng` argument instead (rng.random, rng.normal, rng.integers, rng.choice...)")


def _numpy_random_attr(func: ast.expr) -> str | None:
    """``name`` for a call of ``np.random.name`` / ``numpy.random.name``, else None."""
    if (isinstance(func, ast.Attribute) and isinstance(func.value, ast.Attribute)
            and func.value.attr == "random" and isinstance(func.value.value, ast.Name)
            and func.value.value.id in ("np", "numpy")):
        return func.attr
    return None


def _call_problems(node: ast.Call) -> Iterator[tuple[int, str]]:
    name = _numpy_random_attr(node.func)
    if name in GLOBAL_RANDOM:
        yield node.lineno, _global_random(name)
    elif name in _SEEDED_ONLY and not node.args and not node.keywords:
        yield node.lineno, (f"numpy.random.{name}() without a seed draws differently on "
                            "every run: use the test's `rng` argument")
    for code, line in _mistake_codes(node):
        if code not in CODES:
            yield line, _unknown_code(code)


def _unknown_code(code: str) -> str:
    return (f"unknown mistake code {code!r}: a code must be one of nngrade/mistakes.py's "
            "CODES, with its text in the catalogs")


def _mistake_codes(node: ast.Call) -> Iterator[tuple[str, int]]:
    """The mistake codes a call names as string literals: ``Mistake("code", ...)``,
    ``Mistake(code=...)``, ``mistake="code"`` and ``fb.with_mistake("code")`` (a variable
    named ``mistake`` is checked where a literal is assigned to it)."""
    func = node.func
    callee = func.id if isinstance(func, ast.Name) else \
        func.attr if isinstance(func, ast.Attribute) else ""
    if callee in ("Mistake", "with_mistake") and node.args:
        yield from _literal(node.args[0])
    for keyword in node.keywords:
        if keyword.arg == "mistake" or (callee == "Mistake" and keyword.arg == "code"):
            yield from _literal(keyword.value)


def _literal(value: ast.expr) -> Iterator[tuple[str, int]]:
    if isinstance(value, ast.Constant) and isinstance(value.value, str):
        yield value.value, value.lineno
    elif isinstance(value, ast.IfExp):  # mistake="a" if ... else "b"
        yield from _literal(value.body)
        yield from _literal(value.orelse)
