"""Drivers for gradient_descent.py: what a call did to its argument.

Arguments cross into the sandbox as copies, so a plain call cannot show that
``numerical_gradient`` changed the caller's x. This driver calls it on an
array it keeps, and returns that array before and after the call.

Imports only the standard library, numpy and this package.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from nngrade.worker.drivers import driver, member
from nngrade.worker.functions import make

_array = np.array
_copy = np.ndarray.copy


@driver("numerical_gradient_mutation")
def numerical_gradient_mutation(
    modules: Mapping[str, Any], params: dict[str, Any]
) -> dict[str, Any]:
    """params: ``{"f": NAME, "f_params": {...}, "x": array, "h": float | None}``.

    ``f`` names a function of ``nngrade.worker.functions``. Calls
    ``numerical_gradient(f, x[, h])`` and returns ``{"x_before", "x_after",
    "result"}``: the caller's x around the call, and what the call returned.
    """
    numerical_gradient = member(modules["gradient_descent"], "numerical_gradient")
    f = make(params["f"], params.get("f_params") or {})
    x = _array(params["x"], dtype=float)
    before = _copy(x)
    h = params.get("h")
    result = numerical_gradient(f, x) if h is None else numerical_gradient(f, x, float(h))
    return {"x_before": before, "x_after": x, "result": result}
