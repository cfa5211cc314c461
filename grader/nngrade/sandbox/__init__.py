"""The trust boundary: run a student's code in a confined worker, get plain data back.

See docs/architecture.md ("Sandbox") for the design. The public API::

    from nngrade.sandbox import Sandbox, Limits, CallResult, Rng, Fn, Opaque

    with Sandbox(Limits()) as box:
        status = box.load({"activations": src})       # {module: "ok" | error text}
        r = box.call("activations", "sigmoid", (z,))  # CallResult
        r = box.drive("script", {...})                # a trusted driver in the worker
        box.protections, box.missing_protections
"""

from nngrade.sandbox.api import STATUSES, CallResult, Limits, SandboxError
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
