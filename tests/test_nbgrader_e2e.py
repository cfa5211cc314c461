"""End to end with real nbgrader: both ways of grading give the points ``nngrade grade`` gives.

One course in a temporary folder, built the way the README tells an
instructor to: ``nngrade nbgrader export``, ``nbgrader generate_assignment``,
student notebooks filled with the sample class's code in ``submitted/``,
then

* way 1: ``nbgrader autograde`` (nbgrader runs every notebook; the hidden
  test cells call nngrade's checks in the kernel);
* way 2: ``nngrade grade --nbgrader`` (nngrade grades the answer cells in its
  sandbox and writes nbgrader's gradebook);

and both gradebooks must hold, per student and per test cell, the points
``nngrade grade`` gives the students' original ``.py`` modules; the one
exception is way 1 on code that patches numpy inside the kernel (the sample
class's cheat), which nbgrader's model cannot stop and way 2 does. Feedback
from either way must not show the hidden tests' source.

Two modules (one of functions, one with a class) and a few students keep this
under a few minutes: nbgrader spends about a second per notebook.
"""

from __future__ import annotations

import ast
import datetime
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("nbgrader")

from nngrade.contract import MODULES  # noqa: E402
from nngrade.nbgrader_bridge.cells import grade_cell_id  # noqa: E402
from nngrade.nbgrader_bridge.incell import cell_points, score_of  # noqa: E402
from nngrade.nbgrader_bridge.sample import place_submission, read_modules  # noqa: E402
from nngrade.nbgrader_bridge.split import split_module  # noqa: E402

pytestmark = [
    pytest.mark.filterwarnings("ignore:Object of type:Warning"),  # nbgrader + SQLAlchemy 2
    pytest.mark.timeout(900),
]

ROOT = Path(__file__).resolve().parents[1]
ASSIGNMENT = "ps1"
E2E_MODULES = ("activations", "autodiff")
SEED = 20261127
MAX_STUDENTS = 4
BIN = Path(sys.executable).parent

TAMPERING = re.compile(r"^\s*(np|numpy)(\.\w+)+\s*=[^=]", re.MULTILINE)
HIDDEN_SOURCE = ("BEGIN HIDDEN TESTS", "_nngrade_hidden_score", "hidden_score(globals()")


def _missing_prerequisites() -> str | None:
    for module in E2E_MODULES:
        if not (ROOT / "solutions" / f"{module}.py").is_file():
            return f"solutions/{module}.py not written yet"
        if not (ROOT / "grader" / "nngrade" / "suites" / f"test_{module}.py").is_file():
            return f"hidden suite test_{module}.py not written yet"
    try:
        import nngrade.reference.course  # noqa: F401
        import nngrade.sandbox  # noqa: F401
        from nngrade.grade.pipeline import grade_directory  # noqa: F401
        from nngrade.hidden.inprocess import grade_in_process  # noqa: F401
    except ImportError as exc:
        return f"nngrade's grading API is not complete yet: {exc}"
    return None


def _with_mistakes(solutions: dict[str, str]) -> dict[str, str]:
    """The solutions plus classic mistakes that fail some hidden checks of a name, not all."""
    mistakes = {
        "activations": (
            "\n\ndef relu_prime(z):\n"
            "    return (np.asarray(z, dtype=float) >= 0).astype(float)  # wrong at z == 0\n"
            "\n\ndef sigmoid_prime(z):\n"
            "    return sigmoid(z) * (1 - z)  # half of the derivative of the output\n"
        ),
        "autodiff": (
            "\n\ndef log(v):\n"
            "    return Variable(math.log(v.value), ((v, v.value),))  # d/dv ln v is not v\n"
        ),
    }
    return {m: src + mistakes.get(m, "") for m, src in solutions.items()}


def _half_done(solutions: dict[str, str], exercises: dict[str, str]) -> dict[str, str]:
    """Every other definition from the solutions, the rest left as the stubs."""
    out = {}
    for module in E2E_MODULES:
        done = split_module(solutions[module])
        stub = split_module(exercises[module])
        parts = [stub.setup]
        for index, chunk in enumerate(stub.chunks):
            solved = done.definition(chunk.name) if chunk.name else None
            parts.append(solved.source if solved is not None and index % 2 == 0 else chunk.source)
        out[module] = "\n\n\n".join(parts) + "\n"
    return out


def _class() -> dict[str, dict[str, str]]:
    """Students -> module sources: the sample class if it is there, else made from solutions/."""

    def only(modules: dict[str, str]) -> dict[str, str]:
        return {m: s for m, s in modules.items() if m in E2E_MODULES}

    sample = ROOT / "examples" / "submissions"
    entries = (
        sorted(p for p in sample.iterdir() if not p.name.startswith(".")) if sample.is_dir() else []
    )
    if entries:
        step = max(1, len(entries) // MAX_STUDENTS)
        chosen = entries[::step][:MAX_STUDENTS]
        return {(p.stem if p.is_file() else p.name): only(read_modules(p)) for p in chosen}
    solutions = only(read_modules(ROOT / "solutions"))
    exercises = only(read_modules(ROOT / "exercises"))
    return {
        "ada": solutions,
        "bo": _with_mistakes(solutions),
        "cy": _half_done(solutions, exercises),
        "di": {},  # submitted the released notebooks untouched
    }


def _release(course: Path, modules: tuple[str, ...] | list[str] = ()) -> None:
    """``nngrade nbgrader export`` of ``modules`` (default: all) into ``course``, then
    ``nbgrader generate_assignment``: the course students receive."""
    from click.testing import CliRunner

    from nngrade.cli import main

    export = ["nbgrader", "export", str(course), "--assignment", ASSIGNMENT,
              "--seed", str(SEED), "--course-id", "nngrade-e2e",
              *[a for m in modules for a in ("--module", m)]]
    result = CliRunner().invoke(main, export)
    assert result.exit_code == 0, result.output
    _run([str(BIN / "nbgrader"), "generate_assignment", ASSIGNMENT], course)


def _run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}")
    done = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, f"{' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"
    return done


def _gradebook_scores(course: Path) -> dict[str, dict[tuple[str, str], float]]:
    """student -> (notebook, grade_id) -> auto_score, read back through nbgrader's API."""
    from nbgrader.api import Gradebook

    scores: dict[str, dict[tuple[str, str], float]] = {}
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", "nngrade-e2e") as gb:
        for submission in gb.assignment_submissions(ASSIGNMENT):
            per_cell = scores.setdefault(submission.student.id, {})
            for notebook in submission.notebooks:
                for grade in notebook.grades:
                    per_cell[(notebook.name, grade.name)] = float(grade.auto_score or 0.0)
    return scores


def _reference_scores(
    results: list[dict], course: Path, modules: list[str] | tuple[str, ...] = E2E_MODULES
) -> dict[str, dict[tuple[str, str], float]]:
    """What ``nngrade grade`` gave, per test cell of the exported notebooks (same points)."""
    import nbformat

    points = {}
    for module in modules:
        nb = nbformat.read(str(course / "source" / ASSIGNMENT / f"{module}.ipynb"), as_version=4)
        for cell in nb.cells:
            meta = cell.metadata.get("nbgrader", {})
            if meta.get("grade"):
                points[(module, meta["grade_id"])] = float(meta["points"])
    scores: dict[str, dict[tuple[str, str], float]] = {}
    for result in results:
        per_cell = scores.setdefault(result["nngrade"]["student"], {})
        for module in modules:
            for name in MODULES[module]:
                key = (module, grade_cell_id(name))
                if key in points:
                    score, max_score, _ = score_of(result, module, name)
                    per_cell[key] = cell_points(score, max_score, points[key])
    return scores


@pytest.fixture(scope="module")
def course(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    missing = _missing_prerequisites()
    if missing:
        pytest.skip(missing)

    from nngrade.grade.pipeline import grade_directory

    base = tmp_path_factory.mktemp("nbgrader-e2e")
    course = base / "course"
    _release(course, E2E_MODULES)

    students = _class()
    plain = base / "plain"  # the same code as .py modules, for `nngrade grade`
    stamp = datetime.datetime(2026, 11, 27, 9, 0, tzinfo=datetime.timezone.utc)
    for student, modules in students.items():
        place_submission(course, ASSIGNMENT, student, modules, stamp)
        (plain / student).mkdir(parents=True)
        for module, source in modules.items():
            (plain / student / f"{module}.py").write_text(source, encoding="utf-8")

    reference = grade_directory(plain, base / "reference", jobs=2, seed=SEED, force=True)
    way2 = base / "course-way2"
    shutil.copytree(course, way2)
    return {
        "way1": course,
        "way2": way2,
        "students": students,
        "reference": _reference_scores(reference, course),
    }


def test_sample_class_is_graded_partially(course: dict[str, Any]) -> None:
    """The comparison means something only if scores differ between students."""
    totals = {s: sum(cells.values()) for s, cells in course["reference"].items()}
    assert len(set(totals.values())) >= 3, totals
    partial = [v for cells in course["reference"].values() for v in cells.values()]
    assert any(0 < v < max(partial) for v in partial)


def _tampers(modules: dict[str, str]) -> bool:
    """Code that rebinds numpy's functions (the sample class's cheat patches np.allclose)."""
    return any(TAMPERING.search(src) for src in modules.values())


def test_way1_nbgrader_autograde_gives_nngrade_scores(course: dict[str, Any]) -> None:
    """Same points in nbgrader's gradebook as `nngrade grade` gives, the cheat included.

    In nbgrader's model the student's code and the checks share the kernel.
    nngrade's checks never call numpy's comparison functions and only look at
    plain data copied out of the student's results, so the bundled cheat (it
    replaces ``numpy.allclose`` and returns objects equal to everything) earns
    nothing even there. Way 1 still runs student code beside the checks, where a
    cheat written against nngrade's own code could reach them: grades that count
    belong to way 2.
    """
    _run([str(BIN / "nbgrader"), "autograde", ASSIGNMENT], course["way1"])
    got = _gradebook_scores(course["way1"])
    want = course["reference"]
    assert sorted(got) == sorted(want)
    assert any(_tampers(modules) for modules in course["students"].values())
    _assert_same(got, want)


def test_way2_nngrade_grade_nbgrader_gives_nngrade_scores(course: dict[str, Any]) -> None:
    done = _run(
        [
            str(BIN / "nngrade"),
            "grade",
            "--nbgrader",
            str(course["way2"]),
            ASSIGNMENT,
            "--seed",
            str(SEED),
        ],
        course["way2"],
    )
    got = _gradebook_scores(course["way2"])
    _assert_same(got, course["reference"])
    reports = course["way2"] / "nngrade-reports" / ASSIGNMENT
    assert (reports / "gradebook.csv").is_file(), done.stdout
    for student in course["students"]:
        graded = course["way2"] / "autograded" / student / ASSIGNMENT
        submitted = course["way2"] / "submitted" / student / ASSIGNMENT
        assert (graded / "timestamp.txt").read_text() == (submitted / "timestamp.txt").read_text()
        assert sorted(p.name for p in graded.glob("*.ipynb")) == [
            f"{m}.ipynb" for m in sorted(E2E_MODULES)
        ]


def test_formgrader_lists_way2_submissions_as_autograded(course: dict[str, Any]) -> None:
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory

    if not (course["way2"] / "autograded").is_dir():
        pytest.skip("way 2 did not run")
    api = NbGraderAPI(coursedir=CourseDirectory(root=str(course["way2"]), course_id="nngrade-e2e"))
    submissions = {s["student"]: s for s in api.get_submissions(ASSIGNMENT)}
    for student, cells in course["reference"].items():
        assert submissions[student]["autograded"], student
        assert submissions[student]["score"] == pytest.approx(sum(cells.values()), abs=1e-6)


@pytest.mark.parametrize("way", ["way1", "way2"])
def test_feedback_shows_scores_but_no_hidden_test_source(course: dict[str, Any], way: str) -> None:
    if not (course[way] / "autograded").is_dir():
        pytest.skip(f"{way} did not run")
    _run([str(BIN / "nbgrader"), "generate_feedback", ASSIGNMENT], course[way])
    pages = sorted((course[way] / "feedback").rglob("*.html"))
    assert len(pages) == len(course["students"]) * len(E2E_MODULES)
    for page in pages:
        html = page.read_text(encoding="utf-8")
        for secret in HIDDEN_SOURCE:
            assert secret not in html, f"{page} shows hidden test source ({secret!r})"
        assert "Autograder test for" in html  # the visible part of the test cells stays
        assert "points" in html


def _assert_same(
    got: dict[str, dict[tuple[str, str], float]], want: dict[str, dict[tuple[str, str], float]]
) -> None:
    assert sorted(got) == sorted(want)
    for student, cells in want.items():
        assert sum(got[student].values()) == pytest.approx(sum(cells.values()), abs=1e-6), student
        for key, value in cells.items():
            assert got[student].get(key) == pytest.approx(value, abs=1e-6), (student, key)


# ------------------------------------------------------------------ the whole sample class, way 2


def _parses(source: str) -> bool:
    try:
        ast.parse(source)
    except SyntaxError:
        return False
    return True


@pytest.fixture(scope="module")
def full_class(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Every module, every student of the sample class, put in with ``nngrade nbgrader import``."""
    missing = _missing_prerequisites()
    sample = ROOT / "examples" / "submissions"
    if missing or not sample.is_dir():
        pytest.skip(missing or "examples/submissions not written yet")
    from click.testing import CliRunner

    from nngrade.cli import main
    from nngrade.grade.pipeline import grade_directory

    base = tmp_path_factory.mktemp("nbgrader-full")
    course = base / "course"
    _release(course)
    result = CliRunner().invoke(main, ["nbgrader", "import", str(sample), str(course), ASSIGNMENT])
    assert result.exit_code == 0, result.output
    reference = grade_directory(sample, base / "reference", jobs=2, seed=SEED, force=True)
    _run([str(BIN / "nngrade"), "grade", "--nbgrader", str(course), ASSIGNMENT], course)
    modules = {p.stem: read_modules(p) for p in sample.iterdir() if not p.name.startswith(".")}
    return {"course": course, "reference": reference, "modules": modules}


def test_way2_grades_the_whole_sample_class_as_nngrade_grade(full_class: dict[str, Any]) -> None:
    """All modules, all students, per test cell; only notebook semantics may differ.

    A module file with a syntax error does not import at all, while in a
    notebook only the cell holding the error fails: such a module may score
    more as a notebook, never less.
    """
    from nngrade.intake import student_id

    got = _gradebook_scores(full_class["course"])
    want = _reference_scores(full_class["reference"], full_class["course"], list(MODULES))
    assert sorted(got) == sorted(want)
    for raw, modules in full_class["modules"].items():
        student = student_id(raw)[0]
        for (module, grade_id), value in want[student].items():
            if module in modules and not _parses(modules[module]):
                assert got[student][(module, grade_id)] >= value - 1e-6, (student, grade_id)
            else:
                assert got[student][(module, grade_id)] == pytest.approx(value, abs=1e-6), (
                    student,
                    module,
                    grade_id,
                )
