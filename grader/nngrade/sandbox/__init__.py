"""The trust boundary: run a student's code in a confined worker, get plain data back.

See docs/architecture.md ("Sandbox") for the design. The public API::

    from nngrade.sandbox import Sandbox, Limits, CallResult, Rng, Fn, Opaque

    with Sandbox(Limits()) as box:
        status = box.load({"activations": src})       # {module: "ok" | error text}
        rs = box.run_batch([{"op": "call", "module": "activations", "name": "sigmoid",
                             "args": (z,)}, ...])     # [CallResult] for a prefix
        r = box.call("activations", "sigmoid", (z,))  # a batch of one
        r = box.drive("script", {...})                # a trusted driver in the worker
        box.protections, box.missing_protections

The grader's half (this package) and the worker's half (``nngrade.worker``,
the code that runs inside) are split along the same seams, under the same
module names where both sides have a part:

================  ===========================================  ==============================
concern           grader: ``nngrade.sandbox.``                 worker: ``nngrade.worker.``
================  ===========================================  ==============================
API, lifecycle    ``box``: ``Sandbox``                         ``main``: ``zygote_main``
the zygote        ``zygote``: start, orders, events, stop      ``zygote``: ``Zygote``
the child         ``child``: its record, config, replies       ``child``: ``Child`` serves ops
the pipes         ``channel``: frames under deadlines          ``channel``: ``Channel``
error wording     ``wording``: ends, deadlines, blame          ``wording``: student exceptions
confinement       ``launch``: bubblewrap or the fallback       ``confine``: rlimits, seccomp
vocabulary        ``api``: ``Limits``, ``CallResult``          ``output``: the printed tail
wire format       ``nngrade.worker.protocol``, imported by both sides
================  ===========================================  ==============================
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from nngrade.sandbox.api import STATUSES, CallResult, Limits, SandboxError

if TYPE_CHECKING:
    from nngrade.sandbox.box import Sandbox
    from nngrade.worker.protocol import Fn, Opaque, Rng

__all__ = [
    "STATUSES",
    "CallResult",
    "Fn",
    "Limits",
    "Opaque",
    "Rng",
    "Sandbox",
    "SandboxError",
]


def __getattr__(name: str) -> Any:
    """``Sandbox`` and the wire types, imported when first asked for: they import numpy, and a
    grading process launches its zygote (`nngrade.sandbox.zygote`) before that."""
    if name == "Sandbox":
        from nngrade.sandbox.box import Sandbox

        return Sandbox
    if name in ("Fn", "Opaque", "Rng"):
        from nngrade.worker import protocol

        return getattr(protocol, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
