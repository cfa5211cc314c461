"""The worker's entry point: how the sandboxed process starts and becomes the zygote.

Mirror of ``nngrade.sandbox.box`` (``Sandbox.start``), which launches this
process through ``nngrade.sandbox.launch`` as::

    python -I -S -B -c BOOTSTRAP CONFIG_JSON LIB_DIR SITE_DIR DIAG_FD

``zygote_main`` imports numpy and every driver once (the slow part, ~150 ms;
each child inherits them through the fork), becomes non-dumpable, compiles the
seccomp filter, says ``ready`` on its control socket, and hands over to
``nngrade.worker.zygote.Zygote``.

Threat model: no student code has run when this module executes; everything
imported here is what every child inherits, so it is imported before the
first fork, and the functions the channel and the encoder rely on are
captured at import time (see ``nngrade.worker.channel``).

Imports only the standard library, numpy and this package.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import os
import socket
import sys

import numpy as np

from nngrade.worker import confine
from nngrade.worker.bootstrap import BOOTSTRAP
from nngrade.worker.drivers import DRIVERS, load_all
from nngrade.worker.zygote import Zygote

__all__ = ["BOOTSTRAP", "PRELOAD", "zygote_main"]


# Imported once in the zygote, so that children start with them: faster, and
# in the fallback a child running as ``nobody`` may not be able to read the
# interpreter's files any more (numpy.random, for one, is imported lazily).
PRELOAD = (
    "numpy.random",
    "numpy.linalg",
    "numpy.fft",
    "numpy.testing",
    "math",
    "cmath",
    "random",
    "secrets",
    "statistics",
    "fractions",
    "decimal",
    "itertools",
    "functools",
    "collections",
    "copy",
    "dataclasses",
    "typing",
    "enum",
    "heapq",
    "bisect",
    "operator",
    "re",
    "string",
    "numbers",
    "contextlib",
    "textwrap",
    "pprint",
)


def zygote_main(config: str) -> None:
    """Entry point of the sandboxed process (see ``BOOTSTRAP``)."""
    cfg = json.loads(config)
    ctrl = socket.socket(fileno=int(cfg["ctrl_fd"]))
    diag = int(cfg.get("diag_fd", -1))
    if diag > 2:  # BOOTSTRAP made it our stderr already
        os.close(diag)
    null = os.open(os.devnull, os.O_RDWR)
    os.dup2(null, 0)
    os.dup2(null, 1)  # fd 2 stays: the grader keeps it for startup errors
    os.close(null)
    for name in PRELOAD:
        try:
            importlib.import_module(name)
        except ImportError:
            pass
    load_all()
    drivers = dict(DRIVERS)
    # Fill the path finders' directory caches once, for every child to inherit.
    importlib.util.find_spec("nngrade_cache_warmup")
    confine.set_dumpable(False)
    try:
        program: bytes | None = confine.compile_filter()
        seccomp_error = ""
    except OSError as exc:
        program, seccomp_error = None, str(exc)
    ready = {
        "event": "ready",
        "pid": os.getpid(),
        "seccomp": program is not None,
        "seccomp_error": seccomp_error,
        "python": sys.version.split()[0],
        "numpy": np.__version__,
        "drivers": sorted(drivers),
    }
    ctrl.sendall(json.dumps(ready).encode())
    Zygote(ctrl, cfg, program, drivers).serve()
