"""Unit tests of the nbgrader bridge: notebooks, extraction, the in-kernel check, the gradebook.

Nothing here starts a kernel or nngrade's sandbox: the grader's results are
faked where needed, so these run in seconds. The real thing, nbgrader's
autograde against nngrade's grade on the same code, is
tests/test_nbgrader_e2e.py.
"""

from __future__ import annotations

import datetime
import json
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from nngrade.contract import MODULES
from nngrade.nbgrader_bridge.cells import answer_id, contract_name_of_test, grade_cell_id
from nngrade.nbgrader_bridge.extract import cell_sources, module_source
from nngrade.nbgrader_bridge.incell import cell_points, score_of
from nngrade.nbgrader_bridge.notebook import hints_before_solutions
from nngrade.nbgrader_bridge.split import split_module
from nngrade.rubric import load_rubric

# A solution module shaped like solutions/activations.py, so that these tests
# do not depend on the course's content.
ACTIVATIONS = textwrap.dedent('''\
    """Activation functions.

    Elementwise nonlinearities and their derivatives.
    """

    import numpy as np

    EPS = 1e-12


    # the logistic function
    def sigmoid(z):
        """sigma(z)."""
        ### BEGIN SOLUTION
        ### HINT: use np.exp
        return 1.0 / (1.0 + np.exp(-np.asarray(z, dtype=float)))
        ### END SOLUTION


    def tanh(z):
        ### BEGIN SOLUTION
        return np.tanh(z)
        ### END SOLUTION


    def relu(z):
        ### BEGIN SOLUTION
        return np.maximum(z, 0.0)
        ### END SOLUTION


    def sigmoid_prime(z):
        ### BEGIN SOLUTION
        s = sigmoid(z)
        return s * (1 - s)
        ### END SOLUTION


    def tanh_prime(z):
        ### BEGIN SOLUTION
        return 1 - np.tanh(z) ** 2
        ### END SOLUTION


    def _helper(z):
        return z


    def relu_prime(z):
        ### BEGIN SOLUTION
        return (np.asarray(z) > 0).astype(float)
        ### END SOLUTION


    if __name__ == "__main__":
        print(sigmoid(0.0))
    ''')

RUBRIC = {
    "sigmoid": 2.0,
    "tanh": 1.0,
    "relu": 1.0,
    "sigmoid_prime": 3.0,
    "tanh_prime": 2.0,
    "relu_prime": 3.0,
}


def nbgrader_available() -> bool:
    try:
        import nbgrader  # noqa: F401
    except ImportError:
        return False
    return True


# nbgrader 0.9 with SQLAlchemy 2 warns inside its own add_submission; not ours to fix.
pytestmark = pytest.mark.filterwarnings("ignore:Object of type:Warning")

needs_nbgrader = pytest.mark.skipif(not nbgrader_available(), reason="nbgrader extra not installed")


# ------------------------------------------------------------------ optional extra


def test_importing_the_bridge_does_not_import_nbgrader() -> None:
    code = (
        "import sys, nngrade, nngrade.cli, nngrade.nbgrader_bridge; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('nbgrader', 'nbformat', 'nbconvert', 'traitlets')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_missing_nbgrader_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    from nngrade.nbgrader_bridge.requirement import NbgraderMissing, require_nbgrader

    monkeypatch.setitem(sys.modules, "nbgrader", None)  # makes `import nbgrader` fail
    with pytest.raises(NbgraderMissing, match=r"pip install 'nngrade\[nbgrader\]'"):
        require_nbgrader()


# ------------------------------------------------------------------ splitting a module


def test_split_keeps_every_definition_with_its_markers_and_comments() -> None:
    split = split_module(ACTIVATIONS)
    assert split.docstring.startswith("Activation functions.")
    assert split.setup == "import numpy as np\n\nEPS = 1e-12"
    names = [c.name for c in split.chunks]
    assert names == [
        "sigmoid",
        "tanh",
        "relu",
        "sigmoid_prime",
        "tanh_prime",
        "_helper",
        "relu_prime",
    ]
    sigmoid = split.definition("sigmoid")
    assert sigmoid is not None
    assert sigmoid.source.startswith("# the logistic function\ndef sigmoid(z):")
    assert sigmoid.source.endswith("### END SOLUTION")  # the comment after the last statement
    assert all(c.has_solution for c in split.chunks if c.name != "_helper")
    assert not split.definition("_helper").has_solution
    assert "__main__" not in "".join(c.source for c in split.chunks)


def test_hints_move_above_the_solution_region() -> None:
    source = (
        "def f():\n    ### BEGIN SOLUTION\n    ### HINT: try 1\n    return 1\n    ### END SOLUTION"
    )
    assert hints_before_solutions(source) == (
        "def f():\n    # Hint: try 1\n    ### BEGIN SOLUTION\n    return 1\n    ### END SOLUTION"
    )


def test_grade_ids_are_valid_for_nbgrader_and_reversible() -> None:
    import re

    for module, names in MODULES.items():
        for name in names:
            grade_id = grade_cell_id(name)
            assert re.fullmatch(r"[a-zA-Z0-9_\-]+", grade_id), grade_id
            assert contract_name_of_test(module, grade_id) == name
        assert contract_name_of_test(module, "test_not_a_name") is None


# ------------------------------------------------------------------ source notebooks


@needs_nbgrader
def test_source_notebook_has_nbgrader_cells_with_rubric_points() -> None:
    import nbformat
    from nbgrader.nbgraderformat import MetadataValidator

    from nngrade.nbgrader_bridge.notebook import build_source_notebook

    nb = build_source_notebook("activations", split_module(ACTIVATIONS), RUBRIC, seed=7)
    nbformat.validate(nb)
    MetadataValidator().validate_nb(nb)
    meta = [c.metadata.get("nbgrader") for c in nb.cells]
    answers = [m["grade_id"] for m in meta if m and m["solution"]]
    tests = {m["grade_id"]: m["points"] for m in meta if m and m["grade"]}
    assert answers == [
        answer_id(n)
        for n in ("sigmoid", "tanh", "relu", "sigmoid_prime", "tanh_prime", "relu_prime")
    ]
    assert tests == {grade_cell_id(n): p for n, p in RUBRIC.items()}
    assert all(m["locked"] for m in meta if m and m["grade"])
    # The helper without markers and the imports are plain cells, so nbgrader keeps them.
    plain = [c.source for c in nb.cells if c.cell_type == "code" and "nbgrader" not in c.metadata]
    assert plain[0].startswith("import numpy as np")
    assert any(s.startswith("def _helper") for s in plain)
    # Test cells come after every answer, hidden part between nbgrader's markers.
    kinds = ["test" if m and m["grade"] else "answer" if m else "other" for m in meta]
    assert kinds.index("test") > max(i for i, k in enumerate(kinds) if k == "answer")
    test_sources = [c.source for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade")]
    assert all("### BEGIN HIDDEN TESTS" in s and "### END HIDDEN TESTS" in s for s in test_sources)
    assert "'activations', 'sigmoid', points=2.0, seed=7" in test_sources[0]
    assert nb.metadata["nngrade"] == {"module": "activations", "seed": 7}


@needs_nbgrader
def test_names_worth_no_points_get_no_test_cell() -> None:
    from nngrade.nbgrader_bridge.notebook import build_source_notebook

    nb = build_source_notebook(
        "activations", split_module(ACTIVATIONS), {**RUBRIC, "tanh": 0.0}, seed=1
    )
    ids = [c.metadata.get("nbgrader", {}).get("grade_id") for c in nb.cells]
    assert grade_cell_id("tanh") not in ids and answer_id("tanh") in ids


@needs_nbgrader
def test_export_writes_notebooks_and_a_config_nbgrader_can_load(tmp_path: Path) -> None:
    from click.testing import CliRunner
    from traitlets.config.loader import PyFileConfigLoader

    from nngrade.cli import main

    solutions = tmp_path / "solutions"
    solutions.mkdir()
    (solutions / "activations.py").write_text(ACTIVATIONS)
    course = tmp_path / "course"
    args = [
        "nbgrader",
        "export",
        str(course),
        "--assignment",
        "week1",
        "--solutions",
        str(solutions),
        "--seed",
        "11",
        "--course-id",
        "nn101",
    ]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert (course / "source" / "week1" / "activations.ipynb").is_file()
    config = PyFileConfigLoader("nbgrader_config.py", path=str(course)).load_config()
    assert config.CourseDirectory.course_id == "nn101"
    assert config.Execute.timeout >= 60
    assert "ClearHiddenTests" in [p.__name__ for p in config.GenerateFeedback.preprocessors]
    # A second export does not overwrite the instructor's notebooks unless asked to.
    again = CliRunner().invoke(main, args)
    assert again.exit_code != 0 and "--force" in again.output
    assert CliRunner().invoke(main, [*args, "--force"]).exit_code == 0


# ------------------------------------------------------------------ extracting student code


def _nb(*cells: tuple[str, dict | None]) -> dict:
    out = []
    for source, meta in cells:
        out.append(
            {
                "cell_type": "code",
                "source": source,
                "outputs": [],
                "metadata": {"nbgrader": meta} if meta else {},
            }
        )
    return {"cells": out}


def _run(source: str) -> dict[str, Any]:
    namespace: dict[str, Any] = {"__name__": "activations"}
    exec(compile(source, "activations.py", "exec"), namespace)  # noqa: S102 - test fixture code
    return namespace


def test_extract_takes_answers_and_added_cells_never_test_cells() -> None:
    nb = _nb(
        ("import numpy as np", None),
        (
            "def relu(z):\n    return np.maximum(z, 0.0)",
            {"solution": True, "grade_id": "answer_relu"},
        ),
        (
            "relu = lambda z: 'cheat'",
            {"grade": True, "locked": True, "grade_id": "test_relu", "points": 1},
        ),
        ("def helper():\n    return 3", None),
    )
    labels = [label for label, _ in cell_sources(nb)]
    assert labels == ["cell 1", "answer_relu", "cell 4"]
    ns = _run(module_source(cell_sources(nb), "activations").source)
    assert list(ns["relu"]([-1.0, 2.0])) == [0.0, 2.0] and ns["helper"]() == 3


def test_extract_survives_what_a_notebook_survives() -> None:
    cells = [
        ("answer_a", "from __future__ import annotations\n%matplotlib inline\nimport math"),
        ("answer_b", "def b(:\n    pass"),  # does not parse: left out, the rest still loads
        ("cell 3", "def c():\n    return 1\nprint(undefined_name)\nX = 5"),  # fails midway
        ("cell 4", "!pip install something\ndef d():\n    return math.pi"),
    ]
    extracted = module_source(cells, "activations")
    assert len(extracted.skipped) == 1 and extracted.skipped[0].startswith("answer_b: SyntaxError")
    assert extracted.source.index("from __future__") < extracted.source.index("import math")
    ns = _run(extracted.source)
    assert ns["c"]() == 1 and "X" not in ns  # as in a kernel: the cell stopped at the error
    assert ns["d"]() == pytest.approx(3.14159, abs=1e-5)
    assert "b" not in ns


@needs_nbgrader
def test_fill_then_extract_gives_back_the_module() -> None:
    from nngrade.nbgrader_bridge.fill import fill_notebook
    from nngrade.nbgrader_bridge.notebook import build_source_notebook

    nb = build_source_notebook("activations", split_module(ACTIVATIONS), RUBRIC, seed=1)
    student = ACTIVATIONS.replace("s * (1 - s)", "z * (1 - z)") + "\n\ndef extra():\n    return 9\n"
    filled = fill_notebook(nb, student)
    ns = _run(module_source(cell_sources(filled), "activations").source)
    assert ns["sigmoid_prime"](0.5) == pytest.approx(0.25) and ns["extra"]() == 9
    assert ns["EPS"] == 1e-12
    # A student who wrote nothing keeps the released notebook as it was.
    assert fill_notebook(nb, None) == nb


# ------------------------------------------------------------------ the in-kernel check


def _fake_results(scores: dict[str, tuple[float, float]], module: str = "activations") -> dict:
    tests = []
    for name, (score, max_score) in scores.items():
        half = max_score / 2
        tests += [
            {
                "name": f"{name} a",
                "score": min(score, half),
                "max_score": half,
                "tags": [module, name],
                "output": "",
            },
            {
                "name": f"{name} b",
                "score": max(score - half, 0.0),
                "max_score": half,
                "tags": [module, name],
                "output": "Called ...\nGot 1\nExpected 2",
            },
        ]
    return {
        "score": sum(s for s, _ in scores.values()),
        "max_score": sum(m for _, m in scores.values()),
        "tests": tests,
    }


def test_score_of_sums_a_names_tests_and_cell_points_scales_and_clamps() -> None:
    results = _fake_results({"sigmoid": (1.5, 2.0), "tanh": (1.0, 1.0)})
    assert score_of(results, "activations", "sigmoid")[:2] == (1.5, 2.0)
    assert score_of(results, "activations", "relu")[:2] == (0.0, 0.0)
    assert cell_points(1.5, 2.0, 2.0) == 1.5
    assert cell_points(1.5, 2.0, 4.0) == 3.0  # rubric changed after export: same fraction
    assert cell_points(2.0000000001, 2.0, 2.0) == 2.0  # never more than the cell is worth
    assert cell_points(0.0, 0.0, 2.0) == 0.0


def test_hidden_score_prints_feedback_returns_points_and_writes_nothing_to_stderr(
    monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    import warnings

    import nngrade.hidden.inprocess
    from nngrade.nbgrader_bridge import incell

    calls = []

    def fake_grade(namespaces: dict, *, seed: int, modules: list[str]) -> dict:
        calls.append((sorted(namespaces), seed, modules))
        print("pytest chatter", file=sys.stderr)
        warnings.warn("student code overflowed", RuntimeWarning, stacklevel=1)
        return _fake_results({"sigmoid": (1.0, 2.0), "tanh": (1.0, 1.0)})

    monkeypatch.setattr(nngrade.hidden.inprocess, "grade_in_process", fake_grade)
    incell._cache.clear()
    namespace = {"sigmoid": lambda z: z, "tanh": lambda z: z}
    first = incell.hidden_score(namespace, "activations", "sigmoid", points=2.0, seed=5)
    second = incell.hidden_score(namespace, "activations", "tanh", points=1.0, seed=5)
    assert (first, second) == (1.0, 1.0)
    assert calls == [(["activations"], 5, ["activations"])]  # the module ran once
    namespace["sigmoid"] = lambda z: -z  # the student re-ran a cell: grade again
    incell.hidden_score(namespace, "activations", "sigmoid", points=2.0, seed=5)
    assert len(calls) == 2
    out, err = capfd.readouterr()
    assert err == ""
    assert "sigmoid: 1 / 2 points" in out and "[FAILED] sigmoid b" in out and "Expected 2" in out


def test_hidden_score_turns_a_grader_failure_into_zero(
    monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    import nngrade.hidden.inprocess
    from nngrade.nbgrader_bridge import incell

    def broken(*args: Any, **kwargs: Any) -> dict:
        raise SystemExit("student called exit()")

    monkeypatch.setattr(nngrade.hidden.inprocess, "grade_in_process", broken)
    incell._cache.clear()
    assert incell.hidden_score({}, "activations", "relu", points=1.0, seed=1) == 0.0
    out, err = capfd.readouterr()
    assert "could not run" in out and err == ""


# ------------------------------------------------------------------ gradebook and formgrader


def _generate(course: Path, assignment: str) -> None:
    """nbgrader generate_assignment, in-process (the end-to-end test uses the command)."""
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory
    from traitlets.config.loader import PyFileConfigLoader

    config = PyFileConfigLoader("nbgrader_config.py", path=str(course)).load_config()
    config.CourseDirectory.root = str(course)
    api = NbGraderAPI(coursedir=CourseDirectory(config=config), config=config)
    result = api.generate_assignment(assignment)
    assert result["success"], result


@pytest.fixture
def small_course(tmp_path: Path) -> Path:
    pytest.importorskip("nbgrader")
    from nngrade.nbgrader_bridge.export import export_course

    solutions = tmp_path / "solutions"
    solutions.mkdir()
    (solutions / "activations.py").write_text(ACTIVATIONS)
    course = tmp_path / "course"
    export_course(course, "week1", solutions=solutions, seed=3)
    _generate(course, "week1")
    return course


@needs_nbgrader
def test_grade_course_fills_gradebook_and_autograded_folder_for_formgrader(
    small_course: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import nbformat
    from nbgrader.api import Gradebook
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory
    from nbgrader.utils import determine_grade

    import nngrade.grade.pipeline
    from nngrade.nbgrader_bridge import grade_course
    from nngrade.nbgrader_bridge.sample import place_submission

    stamp = datetime.datetime(2026, 11, 20, 12, 30, tzinfo=datetime.timezone.utc)
    place_submission(small_course, "week1", "alice", {"activations": ACTIVATIONS}, stamp)
    place_submission(small_course, "week1", "bob", {}, stamp)
    # bob edits a test cell to print a number: the gradebook's source wins.
    bob_nb = small_course / "submitted" / "bob" / "week1" / "activations.ipynb"
    nb = nbformat.read(str(bob_nb), as_version=4)
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == grade_cell_id("relu"):
            cell.source = "1.0"
    nbformat.write(nb, str(bob_nb))

    seen: dict[str, Any] = {}

    def fake_grade_directory(
        submissions: Path, out: Path, *, jobs: int, seed: int | None, force: bool, **_: Any
    ) -> list[dict]:
        seen["seed"], seen["files"] = (
            seed,
            sorted(str(p.relative_to(submissions)) for p in submissions.rglob("*.py")),
        )
        seen["alice"] = (submissions / "alice" / "activations.py").read_text()
        seen["bob"] = (submissions / "bob" / "activations.py").read_text()
        alice = _fake_results({n: (p, p) for n, p in RUBRIC.items()})
        bob = _fake_results({n: (0.0, p) for n, p in RUBRIC.items()} | {"sigmoid": (0.5, 2.0)})
        alice["nngrade"], bob["nngrade"] = {"student": "alice"}, {"student": "bob"}
        return [alice, bob]

    monkeypatch.setattr(nngrade.grade.pipeline, "grade_directory", fake_grade_directory)
    results = grade_course(small_course, "week1", None, 2, None, False)
    assert len(results) == 2
    assert seen["seed"] == 3  # the seed export wrote into the notebooks
    assert seen["files"] == ["alice/activations.py", "bob/activations.py"]
    assert "def sigmoid" in seen["alice"] and "1.0 / (1.0 + np.exp" in seen["alice"]
    assert "1.0\n" not in seen["bob"].split("import numpy")[1][:20]  # no test cell code
    assert "_nngrade_hidden_score" not in seen["alice"] + seen["bob"]

    # The exported notebooks carry the shipped rubric's points; bob's 0.5 of 2.0 for sigmoid
    # is scaled to them.
    shipped = load_rubric().points["activations"]
    bob_sigmoid = 0.5 / 2.0 * shipped["sigmoid"]
    with Gradebook(f"sqlite:///{small_course / 'gradebook.db'}", "nngrade") as gb:
        alice = gb.find_submission("week1", "alice")
        bob = gb.find_submission("week1", "bob")
        assert alice.score == pytest.approx(sum(shipped.values()))
        assert bob.score == pytest.approx(bob_sigmoid)
        assert alice.timestamp == stamp.replace(tzinfo=None)
        grade = gb.find_grade(grade_cell_id("sigmoid"), "activations", "week1", "bob")
        assert grade.auto_score == pytest.approx(bob_sigmoid) and not grade.needs_manual_grade
        comment = gb.find_comment(answer_id("tanh"), "activations", "week1", "bob")
        assert comment.auto_comment == "No response."

    graded = small_course / "autograded" / "bob" / "week1"
    assert (graded / "timestamp.txt").read_text() == (
        small_course / "submitted" / "bob" / "week1" / "timestamp.txt"
    ).read_text()
    nb = nbformat.read(str(graded / "activations.ipynb"), as_version=4)
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("grade"):
            assert "### BEGIN HIDDEN TESTS" in cell.source  # restored from the gradebook
            recorded = bob_sigmoid if meta["grade_id"] == grade_cell_id("sigmoid") else 0.0
            assert determine_grade(cell)[0] == pytest.approx(recorded)

    config_dir = CourseDirectory(root=str(small_course))
    api = NbGraderAPI(coursedir=config_dir)
    submissions = {s["student"]: s for s in api.get_submissions("week1")}
    assert submissions["alice"]["autograded"] and submissions["bob"]["autograded"]
    assert submissions["alice"]["score"] == pytest.approx(sum(shipped.values()))
    assert json.dumps(results)  # plain data for the caller


@needs_nbgrader
def test_grade_course_needs_generate_assignment(tmp_path: Path) -> None:
    import click

    from nngrade.nbgrader_bridge import grade_course

    with pytest.raises(click.ClickException, match="generate_assignment"):
        grade_course(tmp_path, "week1", None, 1, None, False)


@needs_nbgrader
def test_grade_course_applies_the_courses_late_policy(
    small_course: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from nbgrader.api import Gradebook

    import nngrade.grade.pipeline
    from nngrade.nbgrader_bridge import grade_course
    from nngrade.nbgrader_bridge.sample import place_submission

    with (small_course / "nbgrader_config.py").open("a") as fh:
        fh.write('c.LateSubmissionPlugin.penalty_method = "zero"\n')
    db = f"sqlite:///{small_course / 'gradebook.db'}"
    due = datetime.datetime(2026, 11, 20, 12, 0)
    with Gradebook(db, "nngrade") as gb:
        gb.update_or_create_assignment("week1", duedate=due)
    late = due.replace(tzinfo=datetime.timezone.utc) + datetime.timedelta(hours=1)
    place_submission(small_course, "week1", "carol", {"activations": ACTIVATIONS}, late)

    def fake_grade_directory(submissions: Path, out: Path, **_: Any) -> list[dict]:
        carol = _fake_results({n: (p, p) for n, p in RUBRIC.items()})
        carol["nngrade"] = {"student": "carol"}
        return [carol]

    monkeypatch.setattr(nngrade.grade.pipeline, "grade_directory", fake_grade_directory)
    grade_course(small_course, "week1", None, 1, None, False)
    shipped = sum(load_rubric().points["activations"].values())  # the exported points
    with Gradebook(db, "nngrade") as gb:
        notebook = gb.find_submission_notebook("activations", "week1", "carol")
        assert notebook.score == pytest.approx(shipped)
        assert notebook.late_submission_penalty == pytest.approx(shipped)


# ------------------------------------------------------------------ the public-check cell

REPO_ROOT = Path(__file__).resolve().parents[1]


def _namespace_of(folder: Path, module: str) -> dict[str, Any]:
    """What a notebook's globals hold after its cells ran: the module's top-level names."""
    namespace: dict[str, Any] = {"__name__": "__main__"}
    source = (folder / f"{module}.py").read_text(encoding="utf-8")
    exec(compile(source, f"<notebook {module}>", "exec"), namespace)  # noqa: S102
    return namespace


def _run_check_cell(nb: Any, namespace: dict[str, Any]) -> None:
    (cell,) = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id", "")
               .startswith("public_checks_")]
    exec(cell.source, namespace)  # noqa: S102 - the cell as the kernel runs it


@needs_nbgrader
def test_every_notebook_has_a_read_only_check_cell_between_answers_and_tests() -> None:
    from nbgrader.nbgraderformat import MetadataValidator

    from nngrade.nbgrader_bridge.notebook import build_source_notebook

    nb = build_source_notebook("activations", split_module(ACTIVATIONS), RUBRIC, seed=7)
    MetadataValidator().validate_nb(nb)
    meta = [c.metadata.get("nbgrader") or {} for c in nb.cells]
    kinds = ["test" if m.get("grade") else "answer" if m.get("solution")
             else "check" if m.get("locked") else "other" for m in meta]
    assert kinds.count("check") == 1
    at = kinds.index("check")
    assert max(i for i, k in enumerate(kinds) if k == "answer") < at < kinds.index("test")
    assert meta[at] == {"grade": False, "grade_id": "public_checks_activations", "locked": True,
                        "schema_version": 3, "solution": False, "task": False}
    # The heading above it speaks both languages when the export fixes none.
    heading = nb.cells[at - 1].source
    assert "Check your work" in heading and "检查你的答案" in heading
    # The check cell is never taken as the student's code.
    assert "public_checks" not in module_source(cell_sources(nb), "activations").source


@needs_nbgrader
@pytest.mark.parametrize("lang, passed, failed, todo", [
    ("en", "6/6 passed", "FAIL", "not implemented yet: "),
    ("zh", "6/6 通过", "失败", "尚未实现："),
])
def test_the_check_cell_reports_like_nngrade_check(
    lang: str, passed: str, failed: str, todo: str, capfd: pytest.CaptureFixture[str]
) -> None:
    from nngrade.nbgrader_bridge.notebook import build_source_notebook

    source = (REPO_ROOT / "solutions" / "activations.py").read_text(encoding="utf-8")
    nb = build_source_notebook("activations", split_module(source), RUBRIC, seed=1, lang=lang)

    right = _namespace_of(REPO_ROOT / "solutions", "activations")
    _run_check_cell(nb, right)
    out, err = capfd.readouterr()
    assert passed in out and err == ""

    wrong = _namespace_of(REPO_ROOT / "solutions", "activations")
    wrong["sigmoid_prime"] = lambda a: a * (1 - a)  # the derivative of the activated value
    _run_check_cell(nb, wrong)
    out, err = capfd.readouterr()
    assert failed in out and "sigmoid_prime" in out and err == ""
    assert "sigmoid_prime(array([0.]))" in out  # what was called, as nngrade check shows it

    stubs = _namespace_of(REPO_ROOT / "exercises", "activations")
    _run_check_cell(nb, stubs)
    out, err = capfd.readouterr()
    assert todo in out and "Traceback" not in out and err == ""


def test_the_check_cell_never_raises(monkeypatch: pytest.MonkeyPatch,
                                     capfd: pytest.CaptureFixture[str]) -> None:
    import nngrade.student.checks
    from nngrade.nbgrader_bridge.publiccell import public_checks

    def broken(module: str, slow: bool = False) -> list:
        raise RuntimeError("checks unavailable")

    monkeypatch.setattr(nngrade.student.checks, "checks_for", broken)
    assert public_checks({}, "activations", lang="en") is False
    out, err = capfd.readouterr()
    assert "could not run (RuntimeError: checks unavailable)" in out and err == ""
