"""Issue 13 item 2: no verdict rests on code that the student's code can reach and rewrite.

The worker runs trusted drivers beside the student's code (they build graphs
with the student's ``Variable``), so the student can find and rewrite them
(``gc.unfreeze()`` then ``gc.get_objects()``, frames, ``sys.modules``). What
the grader decides on must therefore be either plain data that an honest
student would produce anyway, or behaviour the student cannot predict: the
graph walk that turns a graph into derivatives runs in the grader
(`nngrade.hidden.graphs`), and the exponential-paths test uses a graph the
grader draws, whose gradients are path counts. The tampering sample
(tests/hostile_samples/tamper_drivers.py) must gain nothing over the same
mistake without tampering, beside an honest student who keeps 100.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from nngrade.grade.options import BatchOptions
from nngrade.grade.pipeline import grade_directory

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = Path(__file__).resolve().parent / "hostile_samples"
SOLUTIONS = ROOT / "solutions"


@pytest.fixture(scope="module")
def tampered(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict]:
    base = tmp_path_factory.mktemp("tamper")
    subs = base / "subs"
    shutil.copytree(SOLUTIONS, subs / "honest")
    walk = (SAMPLES / "exponential_walk.py").read_text()
    tamper = (SAMPLES / "tamper_drivers.py").read_text()
    for name, extra in (("walk", walk), ("walk_tamper", walk + tamper)):
        folder = subs / name
        folder.mkdir()
        source = (SOLUTIONS / "autodiff.py").read_text()
        (folder / "autodiff.py").write_text(source + extra, encoding="utf-8")
    options = BatchOptions(call_timeout=2.0, submission_timeout=120.0, reports=False)
    results = grade_directory(subs, base / "out", jobs=2, seed=11, force=True, options=options)
    return {r["nngrade"]["student"]: r for r in results}


def _get_gradients_tests(res: dict) -> dict[str, str]:
    return {t["name"]: t["status"] for t in res["tests"]
            if t["tags"] == ["autodiff", "get_gradients"]}


def test_the_honest_student_keeps_full_marks(tampered: dict[str, dict]) -> None:
    assert tampered["honest"]["score"] == 100


def test_tampering_with_the_drivers_gains_nothing(tampered: dict[str, dict]) -> None:
    walk, tamper = tampered["walk"], tampered["walk_tamper"]
    assert walk["score"] < 100  # the mistake costs something...
    assert tamper["score"] <= walk["score"]  # ...and rewriting the grader's code wins nothing
    walk_tests, tamper_tests = _get_gradients_tests(walk), _get_gradients_tests(tamper)
    many = [n for n in walk_tests if "linear time on a graph" in n]
    assert many and all(walk_tests[n] == tamper_tests[n] == "failed" for n in many)


def test_the_exponential_walk_is_named(tampered: dict[str, dict]) -> None:
    codes = {(t["extra_data"].get("mistake") or {}).get("code")
             for t in tampered["walk"]["tests"]}
    assert "get_gradients_exponential" in codes


def test_no_correct_graph_walk_lives_in_the_worker() -> None:
    """What the sandbox holds cannot be borrowed as a correct get_gradients."""
    worker = ROOT / "grader" / "nngrade" / "worker"
    for path in worker.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert "def trusted_jacobian" not in text and "def trusted_partials" not in text, path
        assert "from nngrade.hidden" not in text and "import nngrade.hidden" not in text, path
