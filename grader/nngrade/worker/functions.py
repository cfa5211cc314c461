"""The trusted function library: functions a suite passes *to* student code.

Exercises such as ``numerical_gradient(f, x)`` and ``gradient_descent(grad,
x0, lr, steps)`` take a function as an argument. A function object cannot
cross the wire, and the grader must not accept one from the worker, so a
suite sends ``Fn(name, params)`` instead: the worker builds the function from
this library, and the grader builds the very same function from the very same
module to compute the expected value.

Every entry is a factory ``params -> callable``. Params are plain data (numbers,
lists, arrays). The numpy functions used are bound when this module is
imported, i.e. before any student code runs, so a submission that replaces
``numpy.cos`` cannot change what the trusted functions compute (it can only
change what its own code computes, which the grader checks anyway).

Imports only the standard library and numpy.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

__all__ = ["FUNCTIONS", "function", "make"]

_asarray = np.asarray
_cos = np.cos
_sin = np.sin
_exp = np.exp
_log = np.log
_sum = np.sum
_max = np.max
_float64 = np.float64

Factory = Callable[..., Callable[..., Any]]
FUNCTIONS: dict[str, Factory] = {}


def function(name: str) -> Callable[[Factory], Factory]:
    """Register a factory under ``name`` (the ``Fn(name, ...)`` a suite sends)."""

    def register(factory: Factory) -> Factory:
        if name in FUNCTIONS:
            raise ValueError(f"function {name!r} registered twice")
        FUNCTIONS[name] = factory
        return factory

    return register


def make(name: str, params: Mapping[str, Any] | None = None) -> Callable[..., Any]:
    """The function ``name`` of the library, configured by ``params``."""
    try:
        factory = FUNCTIONS[name]
    except KeyError:
        raise KeyError(f"no trusted function {name!r}; known: {sorted(FUNCTIONS)}") from None
    return factory(**dict(params or {}))


def _x(x: Any) -> np.ndarray:
    return _asarray(x, dtype=_float64)


@function("quadratic")
def _quadratic(a: Any = 1.0, c: Any = 0.0, k: float = 0.0) -> Callable[[Any], float]:
    """f(x) = 0.5 * sum(a * (x - c)**2) + 0.5 * k * sum(x)**2, a scalar for any shape of x.

    ``k`` couples the coordinates: with k != 0 every partial derivative depends on
    every coordinate, so an x changed in place halfway through a call (a
    numerical_gradient that does not restore x[i]) shows in the gradient it returns,
    a value the grader checks itself, and not only in what the worker says x became.
    """
    a_, c_, k_ = _x(a), _x(c), float(k)

    def quadratic(x: Any) -> float:
        z = _x(x)
        return float(0.5 * _sum(a_ * (z - c_) ** 2) + 0.5 * k_ * _sum(z) ** 2)

    return quadratic


@function("quadratic_grad")
def _quadratic_grad(a: Any = 1.0, c: Any = 0.0, k: float = 0.0) -> Callable[[Any], np.ndarray]:
    """The gradient of ``quadratic``: a * (x - c) + k * sum(x)."""
    a_, c_, k_ = _x(a), _x(c), float(k)

    def quadratic_grad(x: Any) -> np.ndarray:
        z = _x(x)
        return a_ * (z - c_) + k_ * _sum(z)

    return quadratic_grad


@function("cos_fixed_point_grad")
def _cos_fixed_point_grad() -> Callable[[Any], Any]:
    """The lecture's grad(x) = x - cos(x); descent converges to x = 0.739085..."""

    def cos_fixed_point_grad(x: Any) -> Any:
        return _x(x) - _cos(_x(x))

    return cos_fixed_point_grad


@function("sin_sum")
def _sin_sum(scale: float = 1.0) -> Callable[[Any], float]:
    """f(x) = sum(sin(scale * x))."""

    def sin_sum(x: Any) -> float:
        return float(_sum(_sin(scale * _x(x))))

    return sin_sum


@function("sin_sum_grad")
def _sin_sum_grad(scale: float = 1.0) -> Callable[[Any], np.ndarray]:
    """The gradient of ``sin_sum``: scale * cos(scale * x)."""

    def sin_sum_grad(x: Any) -> np.ndarray:
        return scale * _cos(scale * _x(x))

    return sin_sum_grad


@function("rosenbrock")
def _rosenbrock(a: float = 1.0, b: float = 100.0) -> Callable[[Any], float]:
    """sum(b * (x[1:] - x[:-1]**2)**2 + (a - x[:-1])**2) over a flattened x."""

    def rosenbrock(x: Any) -> float:
        v = _x(x).reshape(-1)
        return float(_sum(b * (v[1:] - v[:-1] ** 2) ** 2 + (a - v[:-1]) ** 2))

    return rosenbrock


@function("rosenbrock_grad")
def _rosenbrock_grad(a: float = 1.0, b: float = 100.0) -> Callable[[Any], np.ndarray]:
    """The gradient of ``rosenbrock``, shaped like x."""

    def rosenbrock_grad(x: Any) -> np.ndarray:
        arr = _x(x)
        v = arr.reshape(-1)
        g = np.zeros_like(v)
        inner = v[1:] - v[:-1] ** 2
        g[:-1] += -4.0 * b * v[:-1] * inner - 2.0 * (a - v[:-1])
        g[1:] += 2.0 * b * inner
        return g.reshape(arr.shape)

    return rosenbrock_grad


@function("log_sum_exp")
def _log_sum_exp() -> Callable[[Any], float]:
    """log(sum(exp(x))), computed stably (shifted by max(x))."""

    def log_sum_exp(x: Any) -> float:
        v = _x(x)
        m = _max(v)
        return float(m + _log(_sum(_exp(v - m))))

    return log_sum_exp


@function("log_sum_exp_grad")
def _log_sum_exp_grad() -> Callable[[Any], np.ndarray]:
    """The gradient of ``log_sum_exp``: softmax(x) over all entries."""

    def log_sum_exp_grad(x: Any) -> np.ndarray:
        v = _x(x)
        e = _exp(v - _max(v))
        return e / _sum(e)

    return log_sum_exp_grad
