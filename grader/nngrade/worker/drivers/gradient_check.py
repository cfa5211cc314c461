"""Drivers for gradient_descent.gradient_check: what a call did to its argument x.

Arguments cross into the sandbox as copies, so a plain call cannot show that
``gradient_check`` changed the caller's x (perturbing it in place and not
putting it back). This driver calls it on an array it keeps and returns that
array after the call, with the result.

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


@driver("gradient_check_mutation")
def gradient_check_mutation(modules: Mapping[str, Any], params: dict[str, Any]) -> dict[str, Any]:
    """params: ``{"f": NAME, "f_params": {...}, "grad": NAME, "grad_params": {...}, "x": array,
    "h": float | None}``.

    ``f`` and ``grad`` name functions of ``nngrade.worker.functions``. Calls
    ``gradient_check(f, grad_f, x[, h])`` and returns ``{"x_before", "x_after",
    "result"}``.
    """
    gradient_check = member(modules["gradient_descent"], "gradient_check")
    f = make(params["f"], params.get("f_params") or {})
    grad_f = make(params["grad"], params.get("grad_params") or {})
    x = _array(params["x"], dtype=float)
    before = _copy(x)
    h = params.get("h")
    result = gradient_check(f, grad_f, x) if h is None else gradient_check(f, grad_f, x, float(h))
    return {"x_before": before, "x_after": x, "result": result}
