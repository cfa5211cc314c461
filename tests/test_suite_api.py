"""The instructors' side of the hidden suites: `nngrade.suite`, its guide, what collection refuses.

docs/writing-hidden-tests.md walks an instructor through adding a hidden
test. Its worked example is read from the guide itself here (so the two
cannot drift apart), written into a suites folder of its own, collected and
used to grade the reference solutions and two wrong implementations under
several seeds: the right code passes and the wrong code fails, naming its
mistake, under every seed. The rules the guide states that a suite's source
shows are refused at collection with the file and line.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from nngrade.hidden.grader import SuiteGrader
from nngrade.hidden.inprocess import SourceBackend
from nngrade.hidden.suite import SUITES_DIR, SuiteError, collect
from nngrade.records import Submission
from nngrade.rubric import load_rubric
from nngrade.student.titles import load_titles
from nngrade.suite import inputs, reference

ROOT = Path(__file__).resolve().parents[1]
GUIDE = ROOT / "docs" / "writing-hidden-tests.md"
SOLUTIONS = ROOT / "solutions"


def _guide_block(name: str) -> str:
    """The fenced block that follows ``<!-- worked-example: name -->`` in the guide."""
    found = re.search(rf"<!-- worked-example: {name} -->\n```\w+\n(.*?)```", GUIDE.read_text(),
                      re.DOTALL)
    assert found, f"the guide has no worked-example block {name!r}"
    return found.group(1)


def _suite(folder: Path, files: dict[str, str]) -> Path:
    """A suites folder with the course's pytest configuration. pytest imports a suite module
    once per process under its file name: every source here needs a file name of its own."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "grading.ini").write_text((SUITES_DIR / "grading.ini").read_text())
    for name, source in files.items():
        (folder / name).write_text(source, encoding="utf-8")
    return folder


def _grade(tests: list, sources: dict[str, str], seed: int) -> dict[str, Any]:
    grader = SuiteGrader(SourceBackend(timeout=5.0), tests, seed=seed, rubric=load_rubric(),
                         replay=False)
    return grader.grade(Submission("someone", sources))


def _solutions(**changes: tuple[str, str]) -> dict[str, str]:
    """solutions/ as sources, with ``module=(old, new)`` replaced exactly once."""
    sources = {p.stem: p.read_text(encoding="utf-8") for p in SOLUTIONS.glob("*.py")}
    for module, (old, new) in changes.items():
        assert sources[module].count(old) == 1, (module, old)
        sources[module] = sources[module].replace(old, new)
    return sources


# ------------------------------------------------------------------ the guide's example

EXAMPLE_FILE = "test_guide_example.py"  # in the guide: added to test_activations.py


@pytest.fixture(scope="module")
def example_tests(tmp_path_factory: pytest.TempPathFactory) -> list:
    folder = _suite(tmp_path_factory.mktemp("guide_suites"), {EXAMPLE_FILE: _guide_block("suite")})
    return collect(folder)


def test_the_guide_example_collects_with_its_translated_title(example_tests: list,
                                                             tmp_path: Path) -> None:
    assert [t.nodeid for t in example_tests] == [
        f"{EXAMPLE_FILE}::test_relu_prime_zeros_in_a_matrix[2]",
        f"{EXAMPLE_FILE}::test_relu_prime_zeros_in_a_matrix[5]"]
    assert {(t.module, t.name, t.weight) for t in example_tests} == {
        ("activations", "relu_prime", 1.0)}
    (tmp_path / "titles.toml").write_text(_guide_block("titles"), encoding="utf-8")
    titles = load_titles(tmp_path / "titles.toml")  # as the reports read suites/titles.toml
    assert list(titles) == ["test_activations.test_relu_prime_zeros_in_a_matrix"]
    (entry,) = titles.values()
    assert entry["en"] == example_tests[0].title and entry["zh"]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_guide_example_passes_the_solutions_and_fails_the_slip_under_every_seed(
        example_tests: list, seed: int) -> None:
    right = _grade(example_tests, _solutions(), seed)
    assert [t["status"] for t in right["tests"]] == ["passed", "passed"]
    # The slip of the guide's step 3, made with the guide's own sed expression.
    sed = re.search(r"sed -i 's/(.*?)/(.*?)/' /tmp/try/wrong/activations.py",
                    _guide_block("try"))
    assert sed is not None
    old, new = (part.replace("\\", "") for part in sed.groups())
    wrong = _grade(example_tests, _solutions(activations=(old, new)), seed)
    for test in wrong["tests"]:
        assert test["status"] == "failed"
        assert test["extra_data"]["mistake"]["code"] == "relu_prime_one_at_zero"
        # call= was filled in: the feedback shows the call that gave the wrong value
        assert test["extra_data"]["call"].startswith("relu_prime(")
    # Right values as booleans: the dtype check after the values catches it.
    booleans = _grade(example_tests, _solutions(
        activations=("return (np.asarray(z) > 0).astype(float)", "return np.asarray(z) > 0")),
        seed)
    assert [t["extra_data"]["mistake"]["code"] for t in booleans["tests"]] == [
        "returned_wrong_dtype"] * 2


def test_the_guide_names_the_last_step_and_is_linked() -> None:
    text = GUIDE.read_text()
    assert "nngrade audit --modules activations --seeds 1-6" in text
    assert "docs/writing-hidden-tests.md" in (ROOT / "README.md").read_text()
    assert "writing-hidden-tests.md" in (ROOT / "docs" / "architecture.md").read_text()


# ------------------------------------------------------------------ what collection refuses

HEAD = ("import numpy as np\nimport pytest\n\n"
        "from nngrade.suite import Mistake, expect_close, fail, msg\n\n")  # body from line 6
MARK = "@pytest.mark.contract('activations', 'relu')\n"
DEF = "def test_t(student):\n    '''t'''\n"  # with MARK: lines 6-8, the body from line 9


@pytest.mark.parametrize(("body", "line", "problem"), [
    (MARK + DEF + "    assert student.relu(1.0) == 1.0\n", 9, "a bare `assert`"),
    ("def _helper(x):\n    assert x > 0\n    return x\n\n\n" + MARK + DEF + "    _helper(1)\n",
     7, "a bare `assert`"),
    (MARK + DEF + "    expect_close(student.relu(-1.0), 0.0,\n"
     "                 mistakes=[Mistake('relu_is_identity', -1.0)])\n", 10,
     "unknown mistake code 'relu_is_identity'"),
    (MARK + DEF + "    if student.relu(-1.0) != 0.0:\n"
     "        fail(msg('what.value'), mistake='no_such_code')\n", 10,
     "unknown mistake code 'no_such_code'"),
    (MARK + DEF + "    mistake = 'relu_negative' if student.relu(-1.0) < 0 else None\n"
     "    expect_close(student.relu(-1.0), 0.0)\n", 9, "unknown mistake code 'relu_negative'"),
    (MARK + DEF + "    z = np.random.normal(size=3)\n"
     "    expect_close(student.relu(z), np.maximum(z, 0))\n", 9, "numpy.random.normal"),
    ("import random\n\n\n" + MARK + DEF + "    expect_close(student.relu(random.random()), 0.0)\n",
     6, "Python's `random`"),
    (MARK + DEF + "    z = np.random.default_rng().normal(size=3)\n"
     "    expect_close(student.relu(z), np.maximum(z, 0))\n", 9, "default_rng() without a seed"),
    (MARK + "def test_t(student):\n    expect_close(student.relu(1.0), 1.0)\n", None,
     "has no docstring"),
])
def test_collection_refuses_a_suite_that_breaks_a_rule(tmp_path: Path, body: str,
                                                       line: int | None, problem: str) -> None:
    name = f"test_rule_{abs(hash(body))}.py"
    with pytest.raises(SuiteError, match="could not be collected") as info:
        collect(_suite(tmp_path, {name: HEAD + body}))
    assert problem in str(info.value)
    if line is not None:
        assert f"{name}:{line}: " in str(info.value)


def test_what_the_rules_allow_collects(tmp_path: Path) -> None:
    body = (MARK + "def test_t(student, rng):\n    '''relu of seeded draws'''\n"
            "    z = np.concatenate([rng.normal(size=3), np.random.default_rng(5).normal(size=2),\n"
            "                        np.random.RandomState(3).randn(2)])\n"
            "    expect_close(student.relu(z), np.maximum(z, 0),\n"
            "                 mistakes=[Mistake('relu_prime_one_at_zero', z)])\n")
    (test,) = collect(_suite(tmp_path, {"test_rules_allowed.py": HEAD + body}))
    assert test.title == "relu of seeded draws"


def test_the_course_suites_follow_the_rules() -> None:
    from nngrade.hidden.rules import problems

    assert [p for path in sorted(SUITES_DIR.glob("test_*.py")) for p in problems(path)] == []


# ------------------------------------------------------------------ call= filled in

SIDE_BY_SIDE = '''
import pytest

from nngrade.suite import current_call, expect_close, expect_true


@pytest.mark.contract("activations", "sigmoid")
def test_first(student):
    """sigmoid, then a check after the other test's call was made"""
    got = student.sigmoid(1.0)
    expect_close(got, -1.0)


@pytest.mark.contract("activations", "tanh")
def test_second(student):
    """tanh"""
    got = student.tanh(2.0)
    expect_close(got, -2.0)


@pytest.mark.contract("activations", "relu")
def test_kept_call(student):
    """a call kept for a later check, and a check that shows no call"""
    first = student.relu(3.0)
    call = current_call()
    student.relu(4.0)
    expect_true(first == 3.0, "relu(3.0) is not 3", call=None)
    expect_close(first, -3.0, call=call)
'''


def test_each_test_sees_its_own_latest_call_while_tests_wait_side_by_side(
        tmp_path: Path) -> None:
    tests = collect(_suite(tmp_path, {"test_side_by_side_calls.py": SIDE_BY_SIDE}))
    source = "def sigmoid(z):\n    return z\n\ndef tanh(z):\n    return z\n\n" \
             "def relu(z):\n    return z\n"
    results = _grade(tests, {"activations": source}, seed=1)
    calls = [t["extra_data"].get("call") for t in results["tests"]]
    # Both tests made their call before either checked (one batch for both): each
    # failure still names its own test's call.
    assert calls == ["sigmoid(1.0)", "tanh(2.0)", "relu(3.0)"]


# ------------------------------------------------------------------ reference and inputs


def test_reference_is_the_course_module_remembered_once() -> None:
    from nngrade.reference.course import activations

    ref = reference("activations")
    assert ref is reference("activations") is reference(activations)
    z = np.linspace(-3, 3, 7)
    np.testing.assert_array_equal(ref.sigmoid(z), activations.sigmoid(z))


@pytest.mark.parametrize("seed", range(40))
def test_inputs_place_their_cases_under_every_seed(seed: int) -> None:
    rng = np.random.default_rng(seed)
    z = inputs.mixed_signs(rng.normal(size=inputs.shape(rng, min_size=3)), zero=True)
    assert z.size >= 3 and (z > 0).any() and (z < 0).any() and (z == 0).any()
    labels, k = inputs.labels(rng)
    assert labels.min() == 0 and labels.max() == k - 1 and k >= 2
    sizes = inputs.distinct_sizes(rng, 3)
    assert len(set(sizes)) == 3 and all(2 <= s <= 8 for s in sizes)
    big = inputs.large_values(rng)
    assert big.min() <= -5e3 and big.max() >= 5e3 and (big == 0).any()
    assert (np.abs(big[(big != 0) & (np.abs(big) < 50)]).size >= 0)
    x = inputs.spread(rng, 9, -1.0, 1.0)
    assert (np.diff(x) > 0).all() and x.min() >= -1.0 and x.max() <= 1.0
    for f, point in inputs.non_separable(rng):
        assert f.name in ("rosenbrock", "log_sum_exp") and point.size >= 3


# ------------------------------------------------------------------ the course suites

# Grader modules a suite may import besides nngrade.suite: exercise-specific trusted code
# that runs a scenario on the reference the way the sandbox runs it on the student's code.
SUITE_MAY_IMPORT = ("nngrade.suite", "nngrade.worker.drivers.", "nngrade.hidden.graphs")


def test_the_course_suites_use_the_public_surface_only() -> None:
    import ast

    outside = []
    for path in sorted(SUITES_DIR.glob("test_*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [node.module or ""] if isinstance(node, ast.ImportFrom) else \
                [a.name for a in node.names] if isinstance(node, ast.Import) else []
            outside += [f"{path.name}:{node.lineno}: {name}" for name in names
                        if name.startswith("nngrade") and not name.startswith(SUITE_MAY_IMPORT)]
    assert outside == []
    text = "".join(p.read_text(encoding="utf-8") for p in SUITES_DIR.glob("test_*.py"))
    assert "call=student.last_call" not in text  # expectations fill it in
