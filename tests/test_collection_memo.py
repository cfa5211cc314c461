"""The remembered collection of the hidden suites (`nngrade.hidden.collection_memo`).

A cold grading process takes the tests from the memo instead of a pytest
session: it must give exactly what pytest gives, and be ignored the moment
anything it was made from changes.
"""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from pathlib import Path

from nngrade.hidden import collection_memo, suite
from nngrade.hidden.suite import SUITES_DIR, HiddenTest, _collect_with_pytest, collect

CODE = suite.COLLECTING_CODE


def _recall(folder: Path) -> list[HiddenTest] | None:
    facts = collection_memo.recall(folder, CODE)
    return None if facts is None else [HiddenTest(**f) for f in facts]

PLAIN = '''
import pytest


@pytest.mark.contract("activations", "sigmoid")
def test_first(student):
    """the first"""
    student.seen.append(1)


@pytest.mark.contract("losses", "mse", weight=2.0)
def test_second(student, rng):
    """the second"""
    student.seen.append(rng.random())
'''


def _facts(tests):
    return [{k: v for k, v in dataclasses.asdict(t).items() if k != "function"} |
            {"function": (t.function.__module__, t.function.__qualname__)} for t in tests]


def _suite(folder: Path, name: str, source: str) -> Path:
    folder.mkdir()
    (folder / "grading.ini").write_text((SUITES_DIR / "grading.ini").read_text())
    (folder / name).write_text(source)
    return folder


def test_the_course_suites_recalled_are_what_pytest_collects() -> None:
    collected = _collect_with_pytest(SUITES_DIR)
    collection_memo.remember(SUITES_DIR, collected, CODE)
    recalled = _recall(SUITES_DIR)
    assert recalled is not None
    assert _facts(recalled) == _facts(collected)
    assert all(r.function is c.function for r, c in zip(recalled, collected, strict=True))


def test_a_fresh_process_recalls_the_same_tests_without_a_pytest_session() -> None:
    collection_memo.remember(SUITES_DIR, _collect_with_pytest(SUITES_DIR), CODE)
    script = (
        "import json, sys\n"
        "from unittest import mock\n"
        "from nngrade.hidden import suite\n"
        "with mock.patch('pytest.main', side_effect=AssertionError('a pytest session')):\n"
        "    tests = suite.collect()\n"
        "print(json.dumps([[t.nodeid, t.module, t.name, t.weight, t.title, list(t.arguments),\n"
        "                   t.function.__module__, t.function.__qualname__,\n"
        "                   sys.modules[t.function.__module__].__file__] for t in tests]))\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          check=False, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    fresh = json.loads(done.stdout)
    want = [[t.nodeid, t.module, t.name, t.weight, t.title, list(t.arguments),
             t.function.__module__, t.function.__qualname__,
             sys.modules[t.function.__module__].__file__] for t in collect()]
    assert fresh == want and len(fresh) > 100


def test_a_changed_file_is_collected_again(tmp_path: Path) -> None:
    folder = _suite(tmp_path / "s", "test_memo_changes.py", PLAIN)
    first = collect(folder)
    assert (folder / "__pycache__" / collection_memo.MEMO).is_file()
    assert _recall(folder) is not None
    (folder / "notes.txt").write_text("any file of the folder counts")
    assert _recall(folder) is None
    again = collect(folder)  # pytest again, and remembered again
    assert _facts(again) == _facts(first)
    assert _recall(folder) is not None


def test_modules_filter_a_recalled_collection(tmp_path: Path) -> None:
    folder = _suite(tmp_path / "s", "test_memo_modules.py", PLAIN)
    collect(folder)
    assert [t.name for t in collect(folder, modules=["losses"])] == ["mse"]
    assert [t.weight for t in collect(folder)] == [1.0, 2.0]


def test_parametrized_suites_and_broken_ones_are_not_remembered(tmp_path: Path) -> None:
    param = PLAIN + ('\n\n@pytest.mark.contract("losses", "mse")\n'
                     '@pytest.mark.parametrize("k", [1, 2])\n'
                     'def test_third(student, k):\n    """third"""\n')
    folder = _suite(tmp_path / "p", "test_memo_param.py", param)
    assert len(collect(folder)) == 4
    assert not (folder / "__pycache__" / collection_memo.MEMO).exists()


def test_a_memo_from_another_folder_is_not_used(tmp_path: Path) -> None:
    one = _suite(tmp_path / "one", "test_memo_moved.py", PLAIN)
    collect(one)
    two = tmp_path / "two"
    two.mkdir()
    for path in one.iterdir():
        if path.is_file():
            (two / path.name).write_bytes(path.read_bytes())
    (two / "__pycache__").mkdir()
    (two / "__pycache__" / collection_memo.MEMO).write_bytes(
        (one / "__pycache__" / collection_memo.MEMO).read_bytes())
    assert _recall(two) is None  # its key names the folder it was made from


USES_PYTEST = '''
import pytest


@pytest.mark.contract("losses", "mse", weight=2.0)
def test_uses_approx(student):
    """uses pytest while it runs"""
    if student.value != pytest.approx(0.1 + 0.2):  # no bare assert in a suite (rules.py)
        raise ValueError("not 0.3")
'''


def test_a_process_without_pytest_recalls_without_importing_it(tmp_path: Path) -> None:
    """A cold grading process recalls the suites with pytest's marks stood in for: pytest
    is not imported, a test that uses pytest while it runs gets the real one, and a pytest
    session later in the process collects the suite modules again, with real marks."""
    folder = _suite(tmp_path / "s", "test_memo_no_pytest.py", USES_PYTEST)
    want = _facts(collect(folder))  # pytest here: the memo is made
    script = (
        "import json, sys, types\n"
        "from pathlib import Path\n"
        "from nngrade.hidden import suite\n"
        f"folder = Path({str(folder)!r})\n"
        "tests = suite.collect(folder)\n"
        "before = 'pytest' in sys.modules\n"
        "kept = [m for m in sys.modules if 'test_memo_no_pytest' in m]\n"
        "tests[0].function(student=types.SimpleNamespace(value=0.3))\n"
        "import pytest\n"
        "real = hasattr(pytest, 'main')\n"
        "again = suite._collect_with_pytest(folder)\n"
        "print(json.dumps([before, kept, real, len(tests), len(again),\n"
        "                  again[0].weight, again[0].name]))\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          check=False, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    before, kept, real, n, n_again, weight, name = json.loads(done.stdout)
    assert before is False and kept == [] and real is True
    assert n == n_again == len(want) == 1
    assert (weight, name) == (2.0, "mse")


def test_the_stand_in_marks_keep_the_function_and_hand_on_the_rest() -> None:
    import pytest

    stand_in = collection_memo._MarksOnly()

    def f() -> None:
        pass

    assert stand_in.mark.contract("losses", "mse", weight=2.0)(f) is f
    assert stand_in.mark.slow(f) is f
    assert stand_in.approx is pytest.approx
