"""Replay trees shared between the grading processes of one run (`nngrade.hidden.replay_store`).

Shards of a run start new grading processes; each used to grade the first
copy of every common answer in full again. Now a process leaves its trees
in OUT and the next one starts from them: exact merges (a test on which two
trees disagree is never replayed again), only under the same key (seed,
grader, suites, rubric, limits), read by an unpickler that builds nothing
but the trees.
"""

from __future__ import annotations

import pickle
import shutil
from pathlib import Path
from typing import Any

import pytest
from test_replay import SUITE, _Backend

from nngrade.grade.options import BatchOptions
from nngrade.grade.pipeline import grade_class
from nngrade.grade.shards import Shard, stable_shard
from nngrade.hidden import replay_store
from nngrade.hidden.grader import SuiteGrader
from nngrade.hidden.replay import Node, Replays, Verdict
from nngrade.hidden.replay_store import (
    FOLDER,
    Loaded,
    discard_replays,
    load_replays,
    merge_replays,
    save_replays,
    store_key,
)
from nngrade.hidden.suite import collect
from nngrade.records import Submission
from nngrade.rubric import load_rubric

ROOT = Path(__file__).resolve().parents[1]
STEP_A = ("call", "m", "f", 1.0, b"a")
STEP_B = ("call", "m", "f", 1.0, b"b")


@pytest.fixture
def suite(tmp_path: Path) -> Path:
    suites = ROOT / "grader" / "nngrade" / "suites"
    folder = tmp_path / "suite"
    folder.mkdir()
    (folder / "grading.ini").write_text((suites / "grading.ini").read_text())
    (folder / "test_fake.py").write_text(SUITE)
    return folder


def _key(suite: Path, seed: int = 1) -> str:
    return store_key(seed=seed, rubric_sha256="r", limits={"call_seconds": 2.0},
                     suites=suite.glob("*.py"))


def _tree(step: Any, answer: Any, verdict: Verdict) -> Node:
    leaf = Node(verdict=verdict)
    return Node(step=step, branches={answer: leaf})


def test_a_later_process_replays_what_an_earlier_one_left(suite: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    first = SuiteGrader(_Backend(), collect(suite), seed=1, rubric=load_rubric())
    done = first.grade(Submission("s0", {"activations": "2"}))
    assert done["nngrade"]["timing"]["tests_replayed"] == 0
    assert first.replays is not None
    save_replays(out, _key(suite), first.replays, [])
    (saved,) = (out / FOLDER).iterdir()

    backend = _Backend()
    second = SuiteGrader(backend, collect(suite), seed=1, rubric=load_rubric())
    assert second.replays is not None
    assert load_replays(out, _key(suite), second.replays) == [saved]
    again = second.grade(Submission("s1", {"activations": "2"}))
    assert again["nngrade"]["timing"]["tests_replayed"] == 3
    assert [t["status"] for t in again["tests"]] == [t["status"] for t in done["tests"]]
    assert backend.sent  # the student's code still ran every recorded call
    # Another run (another seed) does not see them; a different answer still runs.
    third = SuiteGrader(_Backend(), collect(suite), seed=2, rubric=load_rubric())
    assert third.replays is not None
    assert load_replays(out, _key(suite, seed=2), third.replays) == []
    assert third.grade(Submission("s2", {"activations": "2"}))["nngrade"]["timing"][
        "tests_replayed"] == 0
    # Saving keeps what was loaded and learnt in one new file, and removes the loaded one.
    save_replays(out, _key(suite), second.replays, [saved])
    (merged,) = (out / FOLDER).iterdir()
    assert merged != saved


def test_trees_of_two_processes_merge_and_disagreement_turns_a_test_off() -> None:
    passed, failed = Verdict(True, {}, ""), Verdict(False, {"kind": "mismatch"}, "no")
    into = Replays()
    merge_replays(into, {"t": _tree(STEP_A, 1, passed), "u": _tree(STEP_A, 1, passed)}, [])
    merge_replays(into, {"t": _tree(STEP_A, 2, failed),  # another answer: a new branch
                         "u": _tree(STEP_B, 1, passed),  # another call after the same answers
                         "v": _tree(STEP_A, 1, passed)}, ["w"])
    t = into.root("t")
    assert t is not None and t.step == STEP_A
    assert t.branches[1].verdict == passed and t.branches[2].verdict == failed
    assert into.root("u") is None and into.root("w") is None  # never replayed again
    assert into.root("v") is not None
    same = Replays()
    merge_replays(same, {"t": _tree(STEP_A, 1, passed)}, [])
    merge_replays(same, {"t": _tree(STEP_A, 1, failed)}, [])  # another verdict, same answers
    assert same.root("t") is None


def test_merging_respects_the_memory_budget() -> None:
    verdict = Verdict(True, {}, "")
    big = Node(step=STEP_A, branches={("a", i, b"x" * 500): Node(verdict=verdict)
                                      for i in range(100)})
    into = Replays(budget_bytes=10_000)
    merge_replays(into, {"t": big}, [])
    root = into.root("t")
    assert root is not None and 5 < len(root.branches) < 30
    assert into.used_bytes <= 10_000 + 2_000


def _shape(node: Node) -> Any:
    """A tree as plain values (`Node` compares by identity)."""
    return (node.step, node.verdict,
            sorted((repr(k), _shape(v)) for k, v in node.branches.items()))


def _forest(replays: Replays) -> tuple[int, dict[str, Any], set[str]]:
    roots, off = replays.trees()
    return replays.used_bytes, {k: _shape(v) for k, v in roots.items()}, off


def _learnt() -> Replays:
    """A process's trees: three tests, one of them turned off, branches of several answers."""
    passed, failed = Verdict(True, {}, ""), Verdict(False, {"kind": "mismatch"}, "no " * 40)
    replays = Replays()
    merge_replays(replays, {"t": _tree(STEP_A, 1, passed), "u": _tree(STEP_B, "x", failed)},
                  ["w"])
    merge_replays(replays, {"t": _tree(STEP_A, (2, b"zz"), failed),
                            "v": Node(step=STEP_A, branches={
                                b"a": Node(step=STEP_B, branches={1: Node(verdict=passed)})})},
                  [])
    return replays


def test_a_new_process_takes_a_file_as_merging_it_node_by_node_would(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    saved = _learnt()
    save_replays(tmp_path, "k", saved, [])
    by_nodes = Replays()
    roots, off = saved.trees()
    merge_replays(by_nodes, roots, off)
    assert _forest(by_nodes) == _forest(saved)

    def no_walk(*args: Any) -> None:
        raise AssertionError("the first file of an empty process is taken as it is")

    monkeypatch.setattr(replay_store, "merge_replays", no_walk)
    adopted = Replays()
    assert len(load_replays(tmp_path, "k", adopted)) == 1
    assert _forest(adopted) == _forest(by_nodes)  # the same trees, the same bytes counted
    assert adopted.root("w") is None
    # A second file goes node by node (exact merges), and so does one over the budget.
    monkeypatch.undo()
    save_replays(tmp_path, "k", _learnt(), [])
    both = Replays()
    assert len(load_replays(tmp_path, "k", both)) == 2
    assert _forest(both) == _forest(saved)
    small = Replays(budget_bytes=saved.used_bytes // 2)
    load_replays(tmp_path, "k", small)
    assert 0 < small.used_bytes < saved.used_bytes


def test_a_file_whose_trees_are_not_nodes_is_merged_node_by_node(tmp_path: Path) -> None:
    folder = tmp_path / FOLDER
    folder.mkdir()
    bad = {"key": "k", "roots": {"t": Node(step=STEP_A, branches={1: {"not": "a node"}}),
                                 "u": _tree(STEP_A, 1, Verdict(True, {}, ""))},
           "off": [], "used_bytes": 10}
    (folder / "1.replays").write_bytes(pickle.dumps(bad, protocol=pickle.HIGHEST_PROTOCOL))
    replays = Replays()
    load_replays(tmp_path, "k", replays)
    assert replays.root("t") is None  # as _merge has always done: that test is off
    u = replays.root("u")
    assert u is not None and u.branches[1].verdict == Verdict(True, {}, "")
    assert replays.used_bytes > 10  # counted node by node, not taken from the file


def test_a_file_that_undercounts_its_trees_is_merged_within_the_budget(tmp_path: Path) -> None:
    folder = tmp_path / FOLDER
    folder.mkdir()
    loop = Node(step=STEP_A)
    loop.branches[1] = loop  # no process makes this; a walk of it must still end
    (folder / "1.replays").write_bytes(pickle.dumps(
        {"key": "k", "roots": {"t": loop}, "off": [], "used_bytes": 1_000},
        protocol=pickle.HIGHEST_PROTOCOL))
    replays = Replays(budget_bytes=20_000)
    load_replays(tmp_path, "k", replays)
    assert 1_000 < replays.used_bytes < 25_000  # sized node by node, up to the budget


def test_a_process_that_learnt_nothing_leaves_the_files_it_loaded(tmp_path: Path) -> None:
    save_replays(tmp_path, "k", _learnt(), [])
    (first,) = (tmp_path / FOLDER).iterdir()
    replays = Replays()
    loaded = load_replays(tmp_path, "k", replays)
    assert isinstance(loaded, Loaded) and loaded == [first]
    replays.root("t")  # graded again, every answer known: nothing new
    save_replays(tmp_path, "k", replays, loaded)
    assert list((tmp_path / FOLDER).iterdir()) == [first]
    # One new branch is something learnt: a new file with everything, the loaded one gone.
    merge_replays(replays, {"t": _tree(STEP_A, 3, Verdict(True, {}, ""))}, [])
    save_replays(tmp_path, "k", replays, loaded)
    (second,) = (tmp_path / FOLDER).iterdir()
    assert second != first
    again = Replays()
    load_replays(tmp_path, "k", again)
    assert _forest(again) == _forest(replays)
    # So is a test turned off, though it gives bytes back.
    loaded = load_replays(tmp_path, "k", fresh := Replays())
    fresh.turn_off("v")
    save_replays(tmp_path, "k", fresh, loaded)
    (third,) = (tmp_path / FOLDER).iterdir()
    assert third != second
    discard_replays(tmp_path)
    assert not (tmp_path / FOLDER).exists()


def test_a_file_that_is_not_only_trees_is_ignored(tmp_path: Path) -> None:
    folder = tmp_path / FOLDER
    folder.mkdir()
    evil = pickle.dumps({"key": "k", "roots": {"t": Node(step=STEP_A)},
                         "off": [], "x": shutil.rmtree}, protocol=pickle.HIGHEST_PROTOCOL)
    (folder / "1-evil.replays").write_bytes(evil)
    (folder / "2-torn.replays").write_bytes(b"\x80\x05garbage")
    replays = Replays()
    assert load_replays(tmp_path, "k", replays) == []
    assert replays.trees() == ({}, set())


def _two_ids_in_two_shards() -> tuple[str, str]:
    ids: dict[int, str] = {}
    for i in range(100):
        ids.setdefault(stable_shard(f"copy{i}", 2), f"copy{i}")
        if len(ids) == 2:
            return ids[1], ids[2]
    raise AssertionError("no ids for both shards")


def test_the_second_shard_replays_the_first_shards_verdicts(tmp_path: Path) -> None:
    """Two identical hand-ins in two shards: the second is replayed, with the same verdicts."""
    first, second = _two_ids_in_two_shards()
    klass = tmp_path / "class"
    for student in (first, second):
        shutil.copytree(ROOT / "examples" / "submissions" / "ada", klass / student)
    out = tmp_path / "out"
    options = BatchOptions(jobs=1, seed=5, reports=False)
    (one,) = grade_class(klass, out, options, shard=Shard(1, 2), explicit=frozenset({"seed"}))
    assert list((out / FOLDER).glob("*.replays"))
    options = BatchOptions(jobs=1, reports=False)
    (two,) = grade_class(klass, out, options, shard=Shard(2, 2))
    assert one["nngrade"]["student"] == first and two["nngrade"]["student"] == second
    assert one["nngrade"]["timing"]["tests_replayed"] == 0
    assert two["nngrade"]["timing"]["tests_replayed"] > len(two["tests"]) // 2
    assert two["score"] == one["score"] == 100
    assert [(t["name"], t["status"], t["output"]) for t in two["tests"]] == \
        [(t["name"], t["status"], t["output"]) for t in one["tests"]]
