"""Reused verdicts (`nngrade.hidden.replay`): only for answers identical to the last bit.

The grading loop itself is checked against runs without replays on the
sample class in tests/test_runner.py; here the parts: answer keys that tell
apart everything a test can tell apart, the memory budget, and a test that
does not repeat its own calls (not deterministic) being graded live and
never replayed again.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from nngrade.hidden.grader import SuiteGrader
from nngrade.hidden.replay import Node, Replays, answer_key, value_key
from nngrade.hidden.suite import collect
from nngrade.records import CallResult, Submission
from nngrade.rubric import load_rubric
from nngrade.worker.protocol import Opaque

# ------------------------------------------------------------------ answer keys

arrays = hnp.arrays(st.sampled_from([np.float64, np.int64, np.bool_, np.float32]),
                    hnp.array_shapes(min_dims=0, max_dims=3, max_side=4))


@given(arrays, arrays)
def test_two_arrays_share_a_key_only_when_identical(a: np.ndarray, b: np.ndarray) -> None:
    same = a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()
    assert (value_key(a) == value_key(b)) == same
    assert value_key(a) == value_key(a.copy())


@pytest.mark.parametrize(("left", "right"), [
    (0.0, -0.0),
    (1, 1.0),
    (1, True),
    (0, False),
    (None, 0),
    ([1.0, 2.0], (1.0, 2.0)),
    ([1.0, 2.0], [1.0, 2.0000000000000004]),
    ([1.0, 2.0], [1, 2.0]),
    ({"a": 1.0}, {"a": 1}),
    (np.zeros(3), np.zeros(3, dtype=np.float32)),
    (np.zeros((2, 3)), np.zeros((3, 2))),
    (np.array([0.0]), np.array([-0.0])),
    (Opaque("Foo", "x"), Opaque("Foo", "y")),
    ("1.0", 1.0),
])
def test_values_a_test_can_tell_apart_have_different_keys(left: Any, right: Any) -> None:
    assert value_key(left) != value_key(right)


def test_equal_values_have_equal_keys() -> None:
    nested = {"w": (np.arange(4.0), [0.5, -0.25]), "n": 3, "ok": True, "name": "relu"}
    again = {"w": (np.arange(4.0), [0.5, -0.25]), "n": 3, "ok": True, "name": "relu"}
    assert value_key(nested) == value_key(again)
    assert value_key(float("nan")) == value_key(float("nan"))


def test_long_data_is_told_apart_by_its_digest() -> None:
    big = np.arange(10_000.0)
    nudged = big.copy()
    nudged[5_000] = np.nextafter(nudged[5_000], np.inf)
    assert value_key(big) == value_key(big.copy()) != value_key(nudged)
    assert len(value_key(big)[3]) == 32  # a digest, not 80,000 bytes kept
    text = "x" * 5_000
    assert value_key(text) == value_key("x" * 5_000) != value_key(text[:-1] + "y")
    assert value_key(big.tolist()) != value_key(nudged.tolist())


def test_an_answer_of_an_unknown_kind_has_no_key_and_is_never_recorded() -> None:
    @dataclass
    class _Odd:
        status: str = "ok"
        value: Any = None
        error: str = ""
        error_type: str = ""
        output: str = ""
        warnings: tuple = ()
        limit: str | None = None

    assert answer_key(_Odd(value=object())) is None
    assert answer_key(_Odd(value=1.0)) == answer_key(_Odd(value=1.0))
    replays = Replays()
    root = replays.root("t")
    assert root is not None and replays.grow(root, None) is None and not root.branches


def test_the_tree_stops_growing_at_its_budget() -> None:
    replays = Replays(budget_bytes=10_000)
    root = replays.root("t")
    assert root is not None
    grown = [replays.grow(root, ("answer", i, b"x" * 500)) for i in range(100)]
    kept = [node for node in grown if node is not None]
    assert 5 < len(kept) < 30 and grown[-1] is None
    assert replays.grow(root, ("answer", 0, b"x" * 500)) is kept[0]  # known branches stay
    replays.turn_off("t")
    assert replays.root("t") is None


# ------------------------------------------------------------------ in the grading loop

SUITE = '''
import itertools
import pytest

from nngrade.suite import expect_true

_calls = itertools.count()
_runs = itertools.count()


@pytest.mark.contract("activations", "sigmoid")
def test_stable(student):
    """f(1.0) is 2.0"""
    expect_true(student.f(1.0) == 2.0, "f(1.0) is not 2.0")
    expect_true(student.f(2.0) == 4.0, "f(2.0) is not 4.0")


@pytest.mark.contract("activations", "tanh")
def test_fewer_calls_the_second_time(student):
    """asks twice the first time it runs, once after"""
    n = next(_runs)
    expect_true(student.f(1.0) > 0, "f(1.0) is not positive")
    if n == 0:
        expect_true(student.f(2.0) > 0, "f(2.0) is not positive")


@pytest.mark.contract("activations", "relu")
def test_not_deterministic(student):
    """asks something else every time it runs"""
    x = float(next(_calls) + 1)
    expect_true(student.f(x) == 2.0 * x, "f(x) is not 2x")
'''


class _Backend:
    """Answers ``f(x)`` with ``a * x``, or ``b * x`` from x = 2 on; the source text is "a" or
    "a:b"."""

    protections: dict[str, bool] = {}

    def __init__(self) -> None:
        self.factors = (0.0, 0.0)
        self.sent: list[bytes] = []

    def load(self, sources: dict[str, str], modules: Any = None, *, seed: int = 0) -> dict:
        a, _, b = sources["activations"].partition(":")
        self.factors = (float(a), float(b or a))
        return {"activations": "ok"}

    def encode_request(self, request: dict[str, Any]) -> bytes:
        return repr((request["op"], request["name"], request.get("args"))).encode()

    def run_batch(self, requests: list[dict[str, Any]], on_result: Any = None) -> list[CallResult]:
        out = []
        for request in requests:
            body = request["body"] if "body" in request else self.encode_request(request)
            self.sent.append(body)
            _op, _name, args = eval(body.decode())  # noqa: S307 - our own repr
            out.append(CallResult("ok", self.factors[args[0] >= 2] * args[0]))
        return out

    def end(self) -> None:
        pass


@pytest.fixture
def suite(tmp_path: Path) -> Path:
    suites = Path(__file__).resolve().parents[1] / "grader" / "nngrade" / "suites"
    (tmp_path / "grading.ini").write_text((suites / "grading.ini").read_text())
    (tmp_path / "test_fake.py").write_text(SUITE)
    return tmp_path


def test_replays_reuse_verdicts_and_drop_tests_that_are_not_deterministic(suite: Path) -> None:
    backend = _Backend()
    factors = ["2", "2", "3", "2:5", "2"]
    grader = SuiteGrader(backend, collect(suite), seed=1, rubric=load_rubric())
    assert grader.replays is not None
    results = {f"s{i}": grader.grade(Submission(f"s{i}", {"activations": f}))
               for i, f in enumerate(factors)}

    def verdicts(student: str) -> list[str]:
        return [t["status"] for t in results[student]["tests"]]

    # Right answers pass and wrong ones fail, replayed or not, every time.
    assert [verdicts(f"s{i}") for i in range(5)] == [
        ["passed"] * 3, ["passed"] * 3, ["failed", "passed", "failed"],
        ["failed", "passed", "failed"], ["passed"] * 3]
    # s0 runs all three tests, s1 replays all three (test_not_deterministic included: the
    # same answer to its recorded call; a hidden test must be deterministic for that to be
    # right). For s2's new answers test_not_deterministic runs and asks f(2.0) where it
    # had asked f(1.0): dropped. s3 answers test_fewer_calls's recorded f(1.0) as before
    # and its f(2.0) anew, and the test, run, asks f(1.0) only: dropped. s4 replays
    # test_stable only.
    assert grader.replays.stats == {"replayed": 4, "ran": 11}
    for dropped in ("test_not_deterministic", "test_fewer_calls_the_second_time"):
        assert grader.replays.root(f"test_fake.py::{dropped}") is None
    assert grader.replays.root("test_fake.py::test_stable") is not None
    # A replayed verdict says so in the timing, the others ran: s1 replayed all three.
    assert [results[f"s{i}"]["nngrade"]["timing"]["tests_replayed"] for i in range(5)] == [
        0, 3, 0, 0, 1]
    # Every call reached the student's code, replayed or not (recorded calls the walk
    # sent ahead of a dropped test included).
    assert len(backend.sent) == 5 + 5 + 4 + 5 + 4


def test_without_replays_every_test_runs(suite: Path) -> None:
    backend = _Backend()
    grader = SuiteGrader(backend, collect(suite), seed=1, rubric=load_rubric(), replay=False)
    results = {f"s{i}": grader.grade(Submission(f"s{i}", {"activations": "2"}))
               for i in range(3)}
    assert grader.replays is None
    assert all(t["status"] == "passed" for r in results.values() for t in r["tests"])
    # Every test ran for every submission: at least test_stable's 2 calls and the others' 1.
    assert len(backend.sent) >= 3 * 4


def test_a_node_keeps_the_first_step_it_saw() -> None:
    node = Node()
    replays = Replays()
    replays.set_step(node, ("call", "m", "f", None, b"x"))
    assert node.step == ("call", "m", "f", None, b"x") and replays.used_bytes > 0
    assert list(itertools.islice(node.branches, 1)) == []
