"""Replay trees kept in OUT between grading processes, so shards of one run share them.

`nngrade.hidden.replay` grades a test in full only for the first submission
that answers it in a given way; the trees that remember this live in one
grading process. The shards of a run (``--shard K/N``, one after another
or side by side) each start new processes, so each paid again for the
first copy of every common answer: 4 shards cost 22% over one run on a
class of identical copies, against a bound of 10%.

So a grading process of a shard starts from the trees earlier processes
of the same run left in ``OUT/.nngrade-replays/``, and leaves its own
there when it has graded its share: one file per process, written
atomically (a temporary file renamed), holding everything it loaded
and learnt, after which it removes the files it loaded (their content is
in its own). Two processes writing at once each keep what they loaded, so
nothing is lost whatever the order; the folder holds about one file per
grading process of the last shard.

A file is used only by a run with the same seed, grader version, suites
and rubric, and the same call limits (`store_key`): anything else is
ignored. Merging is exact: a test whose trees disagree anywhere (another
call after the same answers, another verdict) is never replayed again,
as in one process. Files are read with an unpickler that builds only the
trees' own types (`_TreeUnpickler`), never arbitrary objects.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import pickle
import tempfile
import uuid
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from nngrade.hidden.replay import Node, Replays, Verdict
from nngrade.version import __version__
from nngrade.worker.protocol import Opaque

__all__ = ["FOLDER", "load_replays", "merge_replays", "save_replays", "store_key"]

FOLDER = ".nngrade-replays"  # in OUT; a dot name is never a student's folder
_SUFFIX = ".replays"
_FORMAT = 1


def store_key(*, seed: int, rubric_sha256: str, limits: Mapping[str, float],
              suites: Iterable[Path]) -> str:
    """What must be equal for trees to be shared: seed, grader, suites, rubric and limits."""
    digest = hashlib.sha256()
    digest.update(json.dumps({"format": _FORMAT, "seed": seed, "grader": __version__,
                              "rubric": rubric_sha256, "limits": dict(sorted(limits.items()))},
                             sort_keys=True, default=str).encode())
    for path in sorted(suites):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def load_replays(out: Path, key: str, replays: Replays) -> list[Path]:
    """Merge into ``replays`` every file in OUT made under ``key``; the files it used."""
    folder = out / FOLDER
    try:
        paths = sorted(folder.glob(f"*{_SUFFIX}"))
    except OSError:
        return []
    used = []
    for path in paths:
        try:
            with open(path, "rb") as handle:
                data = _TreeUnpickler(io.BytesIO(handle.read())).load()
        except (OSError, pickle.UnpicklingError, EOFError, ValueError, TypeError,
                AttributeError, IndexError, KeyError):
            continue  # half a file from a crash cannot exist (atomic), but be safe
        if not isinstance(data, dict) or data.get("key") != key:
            continue
        roots, off = data.get("roots"), data.get("off")
        if isinstance(roots, dict) and isinstance(off, list):
            merge_replays(replays, roots, off)
            used.append(path)
    return used


def save_replays(out: Path, key: str, replays: Replays, loaded: Iterable[Path]) -> None:
    """Leave ``replays`` in OUT for the next processes, then remove the ``loaded`` files."""
    folder = out / FOLDER
    roots, off = replays.trees()
    if not roots and not off:
        return
    data = pickle.dumps({"key": key, "roots": roots, "off": sorted(off)},
                        protocol=pickle.HIGHEST_PROTOCOL)
    _write_atomic(folder / f"{os.getpid()}-{uuid.uuid4().hex}{_SUFFIX}", data)
    for path in loaded:
        with contextlib.suppress(OSError):
            path.unlink()


def _write_atomic(path: Path, data: bytes) -> None:
    """``data`` to ``path`` through a temporary file beside it (readers see all or nothing)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def merge_replays(into: Replays, roots: Mapping[str, Node], off: Iterable[str]) -> None:
    """Add trees made by another process to ``into``; a test on which they disagree is off."""
    for nodeid in off:
        into.turn_off(nodeid)
    for nodeid, other in roots.items():
        mine = into.root(nodeid)
        if mine is None:
            continue  # off here
        if not _merge(into, mine, other):
            into.turn_off(nodeid)


def _merge(into: Replays, mine: Node, other: Node) -> bool:
    """Graft ``other`` onto ``mine`` (within the budget); False where they disagree."""
    todo = [(mine, other)]
    while todo:
        a, b = todo.pop()
        if not isinstance(b, Node):
            return False
        if b.step is not None:
            if a.step is None:
                if a.verdict is not None:
                    return False  # a verdict here, another call there, after the same answers
                into.set_step(a, b.step)
            elif a.step != b.step:
                return False
        if b.verdict is not None:
            if a.step is not None:
                return False
            if a.verdict is None:
                into.set_verdict(a, b.verdict)
            elif a.verdict != b.verdict:
                return False
        for answer, branch in b.branches.items():
            target = into.grow(a, answer)
            if target is None:
                break  # the budget is spent: what is kept is still exact
            todo.append((target, branch))
    return True


class _TreeUnpickler(pickle.Unpickler):
    """Builds only what replay trees hold: the trees' classes and plain values."""

    _ALLOWED: dict[tuple[str, str], Any] = {
        ("nngrade.hidden.replay", "Node"): Node,
        ("nngrade.hidden.replay", "Verdict"): Verdict,
        ("nngrade.worker.protocol", "Opaque"): Opaque,
        ("numpy", "ndarray"): np.ndarray,
        **{("builtins", t.__name__): t for t in (bool, int, float, complex, str, bytes, list,
                                                  tuple, dict, set, frozenset, type)},
    }

    def find_class(self, module: str, name: str) -> Any:
        found = self._ALLOWED.get((module, name))
        if found is None:
            raise pickle.UnpicklingError(f"not part of a replay tree: {module}.{name}")
        return found
