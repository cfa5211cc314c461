"""Collecting the hidden suites (`nngrade.hidden.suite`): what a hidden test may ask for, and gets.

pytest only collects; the grader calls each test itself, so whatever a test
asks for must be something that call gives (``student``, ``rng``, its
``parametrize`` values). Anything else is refused when the suites are
collected, with the test named, instead of being silently skipped.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from nngrade.hidden.suite import SUITES_DIR, SuiteError, collect, seeded_rng

GOOD = '''
import pytest


@pytest.mark.contract("activations", "sigmoid")
def test_plain(student):
    """sigmoid answers"""
    student.seen.append(("plain", student))


@pytest.mark.contract("activations", "tanh", weight=2.5)
@pytest.mark.parametrize("k", [1, 2])
def test_with_params(rng, k, student):
    """tanh with parameters"""
    student.seen.append(("params", k, rng.random()))


@pytest.mark.contract("losses", "mse")
def test_only_rng(rng):
    """draws only"""
    rng.random()
'''


def _suite(tmp_path: Path, source: str, name: str = "test_good_suite.py") -> Path:
    """A suites folder holding one test module."""
    (tmp_path / "grading.ini").write_text((SUITES_DIR / "grading.ini").read_text())
    (tmp_path / name).write_text(source)
    return tmp_path


class _Recorder:
    def __init__(self) -> None:
        self.seen: list[tuple] = []


def test_tests_are_collected_in_order_with_their_facts(tmp_path: Path) -> None:
    tests = collect(_suite(tmp_path, GOOD))
    assert [t.nodeid for t in tests] == [
        "test_good_suite.py::test_plain", "test_good_suite.py::test_with_params[1]",
        "test_good_suite.py::test_with_params[2]", "test_good_suite.py::test_only_rng"]
    plain, first, second, only_rng = tests
    assert (plain.module, plain.name, plain.weight, plain.title) == (
        "activations", "sigmoid", 1.0, "sigmoid answers")
    assert (first.weight, first.title, first.params) == (2.5, "tanh with parameters", {"k": 1})
    assert second.params == {"k": 2} and first.function is second.function
    assert only_rng.arguments == ("rng",)


def test_calling_a_test_gives_it_student_rng_and_its_params(tmp_path: Path) -> None:
    tests = collect(_suite(tmp_path, GOOD))
    student = _Recorder()
    for test in tests:
        test(student, 7)
    assert student.seen[0] == ("plain", student)
    expected = seeded_rng(7, "test_good_suite.py::test_with_params[2]").random()
    assert student.seen[2] == ("params", 2, expected)
    # the same seed draws the same inputs, a fresh generator each time
    tests[2](student, 7)
    assert student.seen[-1] == student.seen[2]


def test_two_folders_with_a_file_of_the_same_name_each_get_their_own(tmp_path: Path) -> None:
    """pytest hands back whatever module holds a name: an instructor's second suite folder
    (or a test's) with a file named like the first must not get the first's functions."""
    titles = []
    for label in ("first", "second"):
        folder = tmp_path / label
        folder.mkdir()
        source = GOOD.replace('"""sigmoid answers"""', f'"""sigmoid answers, {label}"""')
        titles.append([t.title for t in collect(_suite(folder, source, "test_same_name.py"))][0])
    assert titles == ["sigmoid answers, first", "sigmoid answers, second"]


def test_modules_limit_what_is_collected(tmp_path: Path) -> None:
    tests = collect(_suite(tmp_path, GOOD), modules=["losses"])
    assert [t.nodeid for t in tests] == ["test_good_suite.py::test_only_rng"]


@pytest.mark.parametrize(("source", "problem"), [
    ("import pytest\n\ndef test_unmarked(student):\n    \"\"\"t\"\"\"\n",
     "needs @pytest.mark.contract(module, name)"),
    ("import pytest\n\n@pytest.mark.contract('activations', 'relu')\n"
     "def test_fixture(student, tmp_path):\n    pass\n", "asks for tmp_path"),
    ("import pytest\n\n@pytest.fixture(autouse=True)\ndef _setup():\n    yield\n\n"
     "@pytest.mark.contract('activations', 'relu')\ndef test_autouse(student):\n    pass\n",
     "asks for _setup"),
    ("import pytest\n\n@pytest.mark.usefixtures('capsys')\n"
     "@pytest.mark.contract('activations', 'relu')\ndef test_uses(student):\n    pass\n",
     "asks for capsys"),
    ("import no_such_module_anywhere\n", "no_such_module_anywhere"),
])
def test_a_test_the_grader_cannot_call_stops_collection(tmp_path: Path, source: str,
                                                        problem: str) -> None:
    with pytest.raises(SuiteError, match="could not be collected") as info:
        collect(_suite(tmp_path, source, name=f"test_broken_{abs(hash(source))}.py"))
    assert problem in str(info.value)


def test_the_course_suites_collect() -> None:
    tests = collect()
    assert len({t.nodeid for t in tests}) == len(tests) > 100
    assert all(set(t.arguments) <= {"student", "rng"} for t in tests)
    assert isinstance(seeded_rng(1, tests[0].nodeid), np.random.Generator)
