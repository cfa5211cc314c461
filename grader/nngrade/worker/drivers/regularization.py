"""Drivers for regularization.py: feed a sequence of validation losses to ``EarlyStopping``.

``early_stopping_trace`` is imported by the hidden suite too, which runs it on
the reference's class to get the expected trace: one interpreter, two sides.

Imports only the standard library, numpy and this package.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from nngrade.worker.drivers import driver, member
from nngrade.worker.protocol import type_name

__all__ = ["early_stopping_trace"]

_float = float
_isinstance = isinstance


def _plain(x: Any) -> bool | int | float | str | None:
    """bool, int or float for plain numbers (numpy scalars included), else the type's name."""
    if x is None:
        return None
    if _isinstance(x, (bool, np.bool_)):
        return bool(x)
    if _isinstance(x, (int, np.integer)):
        return int(x)
    if _isinstance(x, (float, np.floating)):
        return _float(x)
    if _isinstance(x, np.ndarray) and x.dtype.kind in "biuf" and x.size == 1:
        return _plain(x.reshape(-1)[0].item())
    return type_name(x)


def early_stopping_trace(
    cls: Any, patience: int, min_delta: float | None, losses: Sequence[float]
) -> dict[str, list[Any]]:
    """``EarlyStopping(patience[, min_delta])``, then ``step(loss)`` for each loss.

    Returns per step: ``stops`` (what step returned), ``best_loss`` and
    ``best_epoch`` (the attributes read right after that step); and
    ``initial``, [best_loss, best_epoch] read before the first step.
    """
    es = cls(int(patience)) if min_delta is None else cls(int(patience), _float(min_delta))
    # The state before the first call (the contract: best_loss inf, best_epoch None).
    initial = [_plain(getattr(es, "best_loss", None)), _plain(getattr(es, "best_epoch", None))]
    stops, best_loss, best_epoch = [], [], []
    for loss in losses:
        stops.append(_plain(es.step(_float(loss))))
        best_loss.append(_plain(getattr(es, "best_loss", None)))
        best_epoch.append(_plain(getattr(es, "best_epoch", None)))
    return {"stops": stops, "best_loss": best_loss, "best_epoch": best_epoch, "initial": initial}


@driver("early_stopping")
def early_stopping(modules: Mapping[str, Any], params: dict[str, Any]) -> dict[str, list[Any]]:
    """params: ``{"patience": int, "min_delta": float | None, "losses": [float]}``.

    ``min_delta`` None leaves the constructor's default. Returns
    `early_stopping_trace`'s ``{"stops", "best_loss", "best_epoch"}`` lists.
    """
    cls = member(modules["regularization"], "EarlyStopping")
    return early_stopping_trace(cls, params["patience"], params.get("min_delta"), params["losses"])
