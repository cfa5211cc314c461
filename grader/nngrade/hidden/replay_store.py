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
grading process of the last shard that learnt something. A process that
learnt nothing (every answer it met was known) writes nothing and leaves
the files it loaded; a new process takes the first file as it was saved,
with the byte count of its trees, instead of sizing every node again.

A file is used only by a run with the same seed, grader version, suites
and rubric, and the same call limits (`store_key`): anything else is
ignored. Merging is exact: a test whose trees disagree anywhere (another
call after the same answers, another verdict) is never replayed again,
as in one process. Files are read with an unpickler that builds only the
trees' own types (`_TreeUnpickler`), never arbitrary objects.

``nngrade merge`` only removes the folder (`discard_replays`) once the run
is complete, so this module imports the trees' modules (and numpy) only
where a tree is read or merged: importing it costs a merge nothing.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import pickle
import shutil
import tempfile
import uuid
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nngrade.version import __version__

if TYPE_CHECKING:
    from nngrade.hidden.replay import Node, Replays

__all__ = ["FOLDER", "Loaded", "discard_replays", "load_replays", "merge_replays", "save_replays",
           "store_key"]

FOLDER = ".nngrade-replays"  # in OUT; a dot name is never a student's folder
_SUFFIX = ".replays"
_FORMAT = 2  # 2: the trees' byte count is saved with them


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


class Loaded(list[Path]):
    """The files `load_replays` used, and what the trees held once they were merged.

    `save_replays` writes nothing when the trees have not grown since (the
    files it would replace already hold all of it), and leaves them."""

    def __init__(self, paths: Iterable[Path] = (), mark: tuple[int, frozenset[str]] | None = None,
                 ) -> None:
        super().__init__(paths)
        self.mark = mark


def _mark(replays: Replays) -> tuple[int, frozenset[str]]:
    """What changes whenever a process learns: a node or verdict adds bytes, a test turned
    off joins ``off`` (its bytes given back); nothing else changes either."""
    return replays.used_bytes, frozenset(replays.trees()[1])


def load_replays(out: Path, key: str, replays: Replays) -> Loaded:
    """Merge into ``replays`` every file in OUT made under ``key``; the files it used.

    The first file taken into a process that holds no trees yet is adopted
    as it was saved (its trees and their byte count, `_adopt`): a new grading
    process skips sizing every node of trees another process sized already.
    """
    folder = out / FOLDER
    try:
        paths = sorted(folder.glob(f"*{_SUFFIX}"))
    except OSError:
        return Loaded()
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
            if not _adopt(replays, roots, off, data.get("used_bytes")):
                merge_replays(replays, roots, off)
            used.append(path)
    return Loaded(used, _mark(replays))


def save_replays(out: Path, key: str, replays: Replays, loaded: Iterable[Path]) -> None:
    """Leave ``replays`` in OUT for the next processes, then remove the ``loaded`` files.

    With ``loaded`` from `load_replays`, a process whose trees did not grow
    (every answer it met was known already) writes nothing and leaves the
    files it loaded, which hold everything it knows."""
    folder = out / FOLDER
    roots, off = replays.trees()
    if not roots and not off:
        return
    if isinstance(loaded, Loaded) and loaded and loaded.mark == _mark(replays):
        return
    data = pickle.dumps({"key": key, "roots": roots, "off": sorted(off),
                         "used_bytes": replays.used_bytes}, protocol=pickle.HIGHEST_PROTOCOL)
    _write_atomic(folder / f"{os.getpid()}-{uuid.uuid4().hex}{_SUFFIX}", data)
    for path in loaded:
        with contextlib.suppress(OSError):
            path.unlink()


def discard_replays(out: Path) -> None:
    """Remove OUT's replay trees: they only save time between the processes of one run."""
    shutil.rmtree(Path(out) / FOLDER, ignore_errors=True)


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


def _adopt(into: Replays, roots: dict[Any, Any], off: list[Any], used_bytes: Any) -> bool:
    """Take a file's trees as they are into an empty ``into``; False (nothing done) otherwise.

    ``used_bytes`` is what the saving process counted for exactly these
    trees (`Replays` adds the same sizes node by node as `merge_replays`
    would); trees that would not fit ``into``'s budget go node by node.
    Every node is still checked to be a `Node`, as `_merge` checks it, and
    counted: a branch costs at least 200 bytes, so more branches than
    ``used_bytes`` allows (a cycle, a miscount) go node by node, whose
    walk the budget ends."""
    from nngrade.hidden.replay import Node

    held, turned_off = into.trees()
    if held or turned_off or into.used_bytes or type(used_bytes) is not int \
            or not 0 <= used_bytes <= into.budget_bytes:
        return False
    todo, branches = list(roots.values()), 0
    while todo:
        node = todo.pop()
        if not isinstance(node, Node) or not isinstance(node.branches, dict):
            return False
        branches += len(node.branches)
        if branches * 200 > used_bytes:
            return False
        todo.extend(node.branches.values())
    if not all(isinstance(nodeid, str) for nodeid in [*roots, *off]):
        return False
    for nodeid in off:
        into.turn_off(nodeid)
    for nodeid, tree in roots.items():
        mine = into.root(nodeid)
        if mine is not None:
            mine.step, mine.branches, mine.verdict = tree.step, tree.branches, tree.verdict
    into.used_bytes = used_bytes
    return True


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
    from nngrade.hidden.replay import Node

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


def _allowed() -> dict[tuple[str, str], Any]:
    """What a replay file may build: the trees' classes and plain values."""
    import numpy as np

    from nngrade.hidden.replay import Node, Verdict
    from nngrade.worker.protocol import Opaque

    return {
        ("nngrade.hidden.replay", "Node"): Node,
        ("nngrade.hidden.replay", "Verdict"): Verdict,
        ("nngrade.worker.protocol", "Opaque"): Opaque,
        ("numpy", "ndarray"): np.ndarray,
        **{("builtins", t.__name__): t for t in (bool, int, float, complex, str, bytes, list,
                                                  tuple, dict, set, frozenset, type)},
    }


class _TreeUnpickler(pickle.Unpickler):
    """Builds only what replay trees hold: the trees' classes and plain values."""

    def __init__(self, file: io.BytesIO) -> None:
        super().__init__(file)
        self._allowed = _allowed()

    def find_class(self, module: str, name: str) -> Any:
        found = self._allowed.get((module, name))
        if found is None:
            raise pickle.UnpicklingError(f"not part of a replay tree: {module}.{name}")
        return found
