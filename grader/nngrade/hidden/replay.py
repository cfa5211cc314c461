"""Verdicts reused when a submission's code answers a hidden test exactly as an earlier one did.

A hidden test is a deterministic function of the run's seed, its own id and
what the student's code answered: its inputs come from `seeded_rng`, its
expected values from the reference, and nothing else it reads changes from
one submission to the next (no clock, no file, no state of the student's).
So when a submission's answers to a test's calls are the same, bit for bit,
as an earlier submission's, the test would ask the same questions in the
same order and reach the same verdict, feedback text included.

`Replays` keeps, per test, the calls it made and the answers it got, as a
tree: a node is the call the test makes next, its branches are the answers
seen so far (as `answer_key`), a leaf is the verdict. Grading a submission
then walks the tree: each recorded call is still sent to this submission's
worker (student code always runs, every call, in the same order as the test
itself would send them), and only the grader's side of the test (drawing
inputs, the reference, the checks, the feedback) is skipped while the
answers match. At the first answer never seen before, the test itself runs,
is handed the answers already received for its first calls, and goes on
live; its calls and verdict grow the tree.

Common answers (a correct `relu`, a module that is missing, a function left
as `NotImplementedError`) are then graded once per grading process. The tree
lives as long as the process and stops growing at a memory budget.

`walk` sends a test's recorded calls and follows the answers; `Tape` stands
between a test that runs itself and the submission's calls, hands it the
answers already received, and grows the tree. A test caught asking
something else after the same answers is not deterministic: it is graded
live from then on and never replayed again.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from nngrade.hidden.student import Ask, Request, Step
from nngrade.records import CallResult
from nngrade.worker.protocol import Opaque

__all__ = ["Node", "Replays", "Tape", "Verdict", "answer_key", "value_key", "walk"]

_FLOAT_ONLY = frozenset({float})
_SHORT = 256  # longer bytes and text are kept as a digest (a key stays small)


class _Unkeyable(Exception):
    pass


def _exact(data: bytes) -> bytes:
    """``data`` itself, or a 256-bit BLAKE2 digest of it (equal only for equal data)."""
    return data if len(data) <= _SHORT else hashlib.blake2b(data, digest_size=32).digest()


def _text(text: str) -> str | bytes:
    return text if len(text) <= _SHORT else _exact(text.encode("utf-8", "surrogatepass"))


def value_key(value: Any) -> Hashable:
    """A hashable stand-in for a plain-data ``value``, equal only for identical values.

    Exact: arrays by dtype, shape and bytes, floats by their bits (0.0 and
    -0.0 differ, as do 1, 1.0 and True); long data by a cryptographic digest.
    A value of any other kind raises `_Unkeyable` (see `answer_key`).
    """
    cls = type(value)
    if cls is np.ndarray:
        return (cls, value.dtype.str, value.shape, _exact(value.tobytes()))
    if cls is float:
        return (cls, value.hex())
    if cls is str:
        return (cls, _text(value))
    if value is None or cls is bool or cls is int:
        return (cls, value)
    if cls is list or cls is tuple:
        if value and {type(v) for v in value} <= _FLOAT_ONLY:
            return (cls, float, _exact(np.array(value, dtype=np.float64).tobytes()))
        return (cls, tuple(value_key(v) for v in value))
    if cls is dict:
        return (cls, tuple((k, value_key(v)) for k, v in value.items()))
    if cls is Opaque:
        return (cls, value.type_name, value.text)
    raise _Unkeyable(cls.__name__)


def answer_key(outcome: CallResult) -> Hashable | None:
    """Everything of a `CallResult` a test can see (all but the time it took).

    None for an answer that has no key: it matches nothing and is never recorded.
    """
    try:
        return (outcome.status, value_key(outcome.value), _text(outcome.error),
                outcome.error_type, _text(outcome.output), outcome.warnings, outcome.limit)
    except _Unkeyable:
        return None


def _size(key: Any) -> int:
    """Roughly the bytes a key keeps alive (for the memory budget)."""
    if isinstance(key, tuple):
        return 64 + sum(_size(k) for k in key)
    if isinstance(key, bytes | str):
        return 48 + len(key)
    return 32


@dataclass(frozen=True)
class Verdict:
    """What a finished test gave, kept at a leaf: its record's verdict, its time apart."""

    passed: bool
    feedback: dict[str, Any]
    output: str


@dataclass(eq=False)
class Node:
    """A point of a test's tree: the call made next (``step``), or the verdict at a leaf.

    ``step`` is the call as the backend sends it (`Backend.encode_request`),
    so comparing two steps compares exactly what the worker would receive.
    """

    step: Step | None = None
    branches: dict[Hashable, Node] = field(default_factory=dict)
    verdict: Verdict | None = None


class Replays:
    """The trees of every hidden test of one grading process, within a memory budget."""

    def __init__(self, budget_bytes: int = 64 << 20) -> None:
        self.budget_bytes = budget_bytes
        self.used_bytes = 0
        self._roots: dict[str, Node] = {}
        self._off: set[str] = set()
        self.stats = {"replayed": 0, "ran": 0}

    def root(self, nodeid: str) -> Node | None:
        """The tree of test ``nodeid``; None when it must always run itself."""
        if nodeid in self._off:
            return None
        node = self._roots.get(nodeid)
        if node is None:
            node = self._roots[nodeid] = Node()
        return node

    def trees(self) -> tuple[dict[str, Node], set[str]]:
        """Every test's tree, and the tests that are never replayed (to keep or to merge)."""
        return dict(self._roots), set(self._off)

    def turn_off(self, nodeid: str) -> None:
        """Never replay ``nodeid`` again (it did not repeat its own calls: not deterministic)."""
        self._off.add(nodeid)
        root = self._roots.pop(nodeid, None)
        todo = [root] if root is not None else []
        while todo:  # give its bytes back to the budget
            node = todo.pop()
            self.used_bytes -= _size(node.step) + 200 if node.step is not None else 0
            for key, branch in node.branches.items():
                self.used_bytes -= _size(key) + 200
                todo.append(branch)
            if node.verdict is not None:
                self.used_bytes -= _verdict_size(node.verdict)
        self.used_bytes = max(self.used_bytes, 0)

    def set_step(self, node: Node, step: Step) -> None:
        self.used_bytes += _size(step) + 200
        node.step = step

    def grow(self, node: Node, key: Hashable) -> Node | None:
        """The branch of ``node`` for answer ``key``, added if the budget allows (else None)."""
        if key is None:
            return None
        found = node.branches.get(key)
        if found is not None:
            return found
        if self.used_bytes >= self.budget_bytes:
            return None
        self.used_bytes += _size(key) + 200
        found = node.branches[key] = Node()
        return found

    def set_verdict(self, leaf: Node, verdict: Verdict) -> None:
        self.used_bytes += _verdict_size(verdict)
        leaf.verdict = verdict


def _verdict_size(verdict: Verdict) -> int:
    return _size(verdict.output) + _size(repr(verdict.feedback))


def walk(root: Node, ask: Ask) -> tuple[Verdict | None, list[tuple[CallResult, Hashable]]]:
    """Send the recorded calls of a test's tree while the answers are known ones.

    Returns the verdict where the answers lead to one (the test need not
    run), else None and the answers received so far, which the test, run
    now, gets back through a `Tape` for its first calls.
    """
    handed: list[tuple[CallResult, Hashable]] = []
    node: Node | None = root
    while node is not None and node.verdict is None and node.step is not None:
        out = ask(Request.from_step(node.step))
        key = answer_key(out)
        handed.append((out, key))
        node = node.branches.get(key)
    if node is not None and node.verdict is not None:
        return node.verdict, handed
    return None, handed


class Tape:
    """One test's calls while it runs itself, for its tree in `Replays`.

    ``handed`` are the answers this submission already gave to the test's
    first calls (sent while the tree was walked): the test gets them back
    for those calls, which must be the very calls recorded (else the test is
    not deterministic and is never replayed again). Every later call goes to
    ``ask`` (the submission's calls), and the tree grows by its step and its
    answer. `leaf` is where the test's verdict goes when it ends (None: not
    recorded).
    """

    def __init__(self, ask: Ask, encode: Callable[[Request], None], replays: Replays,
                 nodeid: str, root: Node, handed: list[tuple[CallResult, Hashable]]) -> None:
        self._ask = ask
        self._encode = encode
        self.replays = replays
        self.nodeid = nodeid
        self.node: Node | None = root
        self.handed = handed

    def ask(self, request: Request) -> CallResult:
        """The answer to the test's next call: handed back, or asked now and recorded."""
        node = self.node
        self._encode(request)
        step = request.step
        if self.handed:
            if node is not None and node.step == step:
                out, key = self.handed.pop(0)
                self.node = self.replays.grow(node, key)
                return out
            # Not the call it made before with the same answers: a test that is not
            # deterministic. It is graded live from here, and never replayed again.
            self._give_up()
        out = self._ask(request)
        if node is not None and self.node is node:
            if node.step is None and node.verdict is None:
                self.replays.set_step(node, step)
            if node.step == step:
                self.node = self.replays.grow(node, answer_key(out))
            else:
                self._give_up()
        return out

    def leaf(self) -> Node | None:
        """Where the finished test's verdict goes: a node that ends the calls, or None."""
        node = self.node
        if self.handed:  # it made fewer calls than before after the same answers
            self._give_up()
            return None
        if node is None:
            return None
        if node.step is not None or node.branches or node.verdict is not None:
            self._give_up()  # it made more calls, or fewer, after the same answers
            return None
        return node

    def _give_up(self) -> None:
        self.handed.clear()
        self.node = None
        self.replays.turn_off(self.nodeid)
