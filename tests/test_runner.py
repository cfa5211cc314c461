"""The grading loop's short cuts change nothing but time.

Hidden tests run side by side in greenlets, their calls batched into the
sandbox (`nngrade.hidden.side_by_side`), and a test that a submission
answers exactly as an earlier one did reuses that verdict
(`nngrade.hidden.replay`). The reference is the plainest way to run the
same suites: pytest's own run-test protocol, one test and one call at a
time, with real fixtures (tests/hidden_protocol.py). The sample class (a
perfect student, realistic mistakes, an endless loop and the cheat) must
get the same verdict on every test all these ways, and each student graded
a second time, after the others, the same results as the first time,
feedback included.
"""

from __future__ import annotations

import json
import subprocess
import sys
import zlib
from pathlib import Path

import numpy as np
import pytest

from nngrade.hidden.suite import seeded_rng

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "examples" / "submissions"

# One way of grading per fresh interpreter (student code and the suites' module state stay
# out of this test session). argv: way, students JSON, output path, sample folder.
SESSION = r"""
import json, sys
from dataclasses import replace
from pathlib import Path
sys.path.insert(0, sys.argv[5])
from hidden_protocol import grade_through_protocol
from nngrade.hidden.grader import SuiteGrader
from nngrade.hidden.suite import collect
from nngrade.intake import read_submissions
from nngrade.rubric import load_rubric
from nngrade.sandbox import Limits, Sandbox

way, students, out = sys.argv[1], json.loads(sys.argv[2]), sys.argv[3]
subs = [sub for sub in read_submissions(Path(sys.argv[4])) if sub.student in students]
if way == "side_by_side":  # everyone again, in the other order: the second time replays
    subs += [replace(sub, student=sub.student + "-again") for sub in reversed(subs)]
with Sandbox(Limits(call_seconds=1.0)) as box:
    if way == "protocol":
        results = grade_through_protocol(box, subs, seed=11, rubric=load_rubric())
    else:
        grader = SuiteGrader(box, collect(), seed=11, rubric=load_rubric(),
                             replay=(way == "side_by_side"))
        results = {sub.student: grader.grade(sub) for sub in subs}
        if grader.replays is not None:
            results["replay-stats"] = grader.replays.stats
Path(out).write_text(json.dumps(results))
"""

STUDENTS = ["ada", "chen", "dara", "eli", "fay", "gus", "hana"]


def _grade(way: str, tmp_path: Path) -> dict:
    out = tmp_path / f"{way}.json"
    subprocess.run([sys.executable, "-c", SESSION, way, json.dumps(STUDENTS), str(out),
                    str(SAMPLE), str(Path(__file__).parent)], check=True, timeout=600)
    return json.loads(out.read_text())


def _verdicts(results: dict) -> dict:
    return {student: {t["name"]: (t["status"], t["score"], t["extra_data"].get("kind"),
                                  t["extra_data"].get("mistake", {}).get("code"))
                      for t in res["tests"]}
            for student, res in results.items()}


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> dict:
    tmp = tmp_path_factory.mktemp("ways")
    ways = ("side_by_side", "no_replay", "protocol")
    graded = {way: _grade(way, tmp) for way in ways}
    stats = graded["side_by_side"].pop("replay-stats")
    again = {s: graded["side_by_side"].pop(s + "-again") for s in STUDENTS}
    return {**graded, "again": again, "replay-stats": stats}


def test_all_ways_give_the_same_verdicts(graded: dict) -> None:
    side = _verdicts(graded["side_by_side"])
    assert set(side) == set(STUDENTS)
    assert side == _verdicts(graded["no_replay"])
    assert side == _verdicts(graded["protocol"])
    scores = {s: r["score"] for s, r in graded["side_by_side"].items()}
    assert scores["ada"] == 100.0 and scores["gus"] == 0.0  # the verdicts are real ones
    assert 0 < scores["fay"] < 100


def _everything_but_time(results: dict) -> dict:
    return {student: {"score": res["score"], "limits_hit": res["nngrade"]["limits_hit"],
                      "tests": [{**t, "extra_data": {k: v for k, v in t["extra_data"].items()
                                                     if k != "seconds"}}
                                for t in res["tests"]]}
            for student, res in results.items()}


def test_a_replayed_verdict_is_the_verdict_the_test_gives(graded: dict) -> None:
    """Graded again after the whole class, each student's second results (most tests replayed)
    equal the first ones and those of a run without replays: scores, feedback, output."""
    stats = graded["replay-stats"]
    tests = sum(len(r["tests"]) for r in graded["side_by_side"].values())
    assert stats["replayed"] >= tests  # every second grading replays, and some first ones
    first = _everything_but_time(graded["side_by_side"])
    assert _everything_but_time(graded["again"]) == first
    assert _everything_but_time(graded["no_replay"]) == first


def test_a_function_that_hung_gets_the_short_limit_in_batches_too(graded: dict) -> None:
    """fay's and gus's endless loops: each later call of a function that already ran out of
    time gets the short repeat limit, side by side as one call at a time (not the full limit
    because it was sent in the same batch as the call that hung)."""
    def hits(way: str) -> list:
        return sorted((s, h["test"], h["detail"]) for s, r in graded[way].items()
                      for h in r["nngrade"]["limits_hit"])

    side = hits("side_by_side")
    assert side == hits("protocol")
    assert any("0.5 s" in detail for _s, _t, detail in side)


def test_side_by_side_timing_is_accounted(graded: dict) -> None:
    """Every submission's time splits into worker start, student calls and the rest."""
    for res in graded["side_by_side"].values():
        timing = res["nngrade"]["timing"]
        assert timing["student_calls"] > 0 and timing["worker_start"] > 0
        assert timing["reference_and_checks"] >= 0


def test_seeded_rng_is_the_documented_generator() -> None:
    nodeid = "test_activations.py::test_sigmoid_random"
    expected = np.random.default_rng([7, zlib.crc32(nodeid.encode())]).random(5)
    first, second = seeded_rng(7, nodeid), seeded_rng(7, nodeid)
    assert np.array_equal(first.random(5), expected)
    assert np.array_equal(second.random(5), expected)  # a fresh generator each time
    assert not np.array_equal(seeded_rng(8, nodeid).random(5), expected)
