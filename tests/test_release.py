"""``nngrade release``: the student bundle holds nothing secret, and it works on its own.

The leak scan here is written independently of ``nngrade.release.find_leaks``
(which the command runs itself), so a bug in one is caught by the other.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from nngrade.release import build_release, release_command

REPO = Path(__file__).resolve().parents[1]
SECRET_DIRS = ("solutions", "reference", "grader/nngrade/suites")
GRADER_ONLY = {"batch", "sandbox", "worker", "runner", "scoring", "rubric", "unpack",
               "inprocess", "suites", "reference", "solutions", "report",
               "nbgrader_bridge", "stubs", "release", "inbox"}
# What the student tool may import of nngrade: the contract, the comparison core, the
# mistakes it names and the message catalogs (never the grader, the sandbox, the reference).
SHIPPED = ("contract", "student", "cli", "version", "messages", "language", "textlayout",
           "feedback", "mistakes", "visible")


# ---------------------------------------------------------------- an independent scanner


def solution_regions(solutions: Path) -> list[tuple[str, list[str]]]:
    regions, outside = [], set()
    for path in sorted(solutions.glob("*.py")):
        lines = path.read_text(encoding="utf-8").splitlines()
        i = 0
        while i < len(lines):
            if lines[i].strip().startswith("### BEGIN SOLUTION"):
                j = i + 1
                body = []
                while not lines[j].strip().startswith("### END SOLUTION"):
                    body.append(lines[j].strip())
                    j += 1
                regions.append((f"{path.name}:{i + 1}", body))
                i = j + 1
            else:
                outside.add(lines[i].strip())
                i += 1
    return [(where, [x for x in body if len(x) >= 14 and not x.startswith("#")
                     and x not in outside]) for where, body in regions]


def scan(bundle: Path, source: Path) -> list[str]:
    """Every leak: grader-only files or names, copies of secret files, solution code."""
    problems = []
    secret_hashes = {}
    for rel in SECRET_DIRS:
        for p in (source / rel).rglob("*") if (source / rel).is_dir() else []:
            if p.is_file() and p.stat().st_size > 64 and "__pycache__" not in p.parts:
                secret_hashes[hashlib.sha256(p.read_bytes()).hexdigest()] = p
    rubric = source / "grader" / "nngrade" / "rubric.toml"
    rubric_lines = set()
    if rubric.is_file():
        rubric_lines = {x.strip() for x in rubric.read_text().splitlines()
                        if re.match(r'^\s*"?[\w.]+"?\s*=\s*\d', x)}
    regions = solution_regions(source / "solutions")
    for path in sorted(p for p in bundle.rglob("*") if p.is_file()):
        rel = path.relative_to(bundle).as_posix()
        stems = {part.removesuffix(".py") for part in Path(rel).parts}
        if stems & GRADER_ONLY or "rubric" in path.name:
            problems.append(f"{rel}: grader-only name {sorted(stems & GRADER_ONLY)}")
        data = path.read_bytes()
        if hashlib.sha256(data).hexdigest() in secret_hashes:
            problems.append(f"{rel}: copy of a secret file")
        text = data.decode("utf-8", errors="replace")
        lines = {x.strip() for x in text.splitlines()}
        if rubric_lines and len(rubric_lines & lines) >= 3:
            problems.append(f"{rel}: rubric point values")
        for where, body in regions:
            hits = [x for x in body if x in lines]
            if len(hits) >= 2 or any(len(x) >= 40 for x in hits):
                problems.append(f"{rel}: solution code from {where}: {hits[0]}")
        for m in re.finditer(r"^\s*(?:from|import)\s+nngrade\.(\w+)", text, re.M):
            if m.group(1) not in SHIPPED:
                problems.append(f"{rel}: imports nngrade.{m.group(1)}")
    return problems


# ---------------------------------------------------------------- a synthetic course


@pytest.fixture
def fake_course(tmp_path: Path) -> Path:
    """A tiny course repository with every kind of secret in it."""
    root = tmp_path / "course"
    (root / "solutions").mkdir(parents=True)
    (root / "solutions" / "activations.py").write_text(
        "import numpy as np\n\n\ndef sigmoid(z):\n"
        "    ### BEGIN SOLUTION\n"
        "    e = np.exp(-np.abs(np.asarray(z, dtype=float)))\n"
        "    return np.where(np.asarray(z) >= 0, 1.0 / (1.0 + e), e / (1.0 + e))\n"
        "    ### END SOLUTION\n"
    )
    (root / "exercises").mkdir()
    (root / "exercises" / "activations.py").write_text(
        "import numpy as np\n\n\ndef sigmoid(z):\n    raise NotImplementedError('TODO')\n")
    (root / "reference").mkdir()
    (root / "reference" / "engine.py").write_text("class Tensor:\n    '''secret engine'''\n" * 5)
    package = root / "grader" / "nngrade"
    (package / "suites").mkdir(parents=True)
    (package / "suites" / "test_activations.py").write_text("def test_hidden(): ...\n" * 5)
    (package / "rubric.toml").write_text("[activations]\nsigmoid = 2\ntanh = 1\nrelu = 1\n")
    (root / "docs").mkdir()
    (root / "docs" / "handout.md").write_text("# Handout\n\nImplement sigmoid.\n")
    return root


def release(source: Path, out: Path, *extra: str) -> tuple[int, str]:
    result = CliRunner().invoke(release_command,
                                ["--source", str(source), "--out", str(out), *extra])
    return result.exit_code, result.output


def test_bundle_layout_and_nothing_secret(fake_course: Path, tmp_path: Path) -> None:
    out = tmp_path / "bundle"
    code, output = release(fake_course, out)
    assert code == 0, output
    files = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    assert "exercises/activations.py" in files
    assert "docs/handout.md" in files
    assert "README.md" in files
    assert "tool/pyproject.toml" in files
    assert {"tool/nngrade/__init__.py", "tool/nngrade/cli.py", "tool/nngrade/contract.py",
            "tool/nngrade/student/submit.py", "tool/nngrade/student/check.py"} <= set(files)
    assert not any(f.startswith(("solutions", "reference", "grader")) for f in files)
    assert scan(out, fake_course) == []
    readme = (out / "README.md").read_text()
    assert "nngrade submit" in readme and "提交作业" in readme, "README in English and Chinese"
    pyproject = (out / "tool" / "pyproject.toml").read_text()
    assert 'nngrade = "nngrade.cli:main"' in pyproject
    cli = (out / "tool" / "nngrade" / "cli.py").read_text()
    assert '"check"' in cli and '"submit"' in cli and '"grade"' not in cli


@pytest.mark.parametrize("leak", ["solution_line", "reference_copy", "rubric_file"])
def test_a_leak_stops_the_release(fake_course: Path, tmp_path: Path, leak: str) -> None:
    exercise = fake_course / "exercises" / "activations.py"
    if leak == "solution_line":  # a stub generator that forgot to strip a region
        exercise.write_text(exercise.read_text() + "    return np.where(np.asarray(z) >= 0, "
                            "1.0 / (1.0 + e), e / (1.0 + e))\n")
    elif leak == "reference_copy":
        (fake_course / "exercises" / "engine_copy.py").write_bytes(
            (fake_course / "reference" / "engine.py").read_bytes())
    else:
        (fake_course / "exercises" / "rubric.txt").write_text("sigmoid = 2\n")
    out = tmp_path / "bundle"
    code, output = release(fake_course, out)
    assert code != 0
    assert "nothing was released" in output and "exercises/" in output
    assert not out.exists(), "a leaking bundle is never put in place"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".bundle")], "no staging left"


def test_release_refuses_to_overwrite_a_foreign_folder(fake_course: Path, tmp_path: Path) -> None:
    out = tmp_path / "bundle"
    out.mkdir()
    (out / "precious.txt").write_text("mine")
    code, output = release(fake_course, out, "--force")
    assert code != 0 and "not empty" in output
    assert (out / "precious.txt").read_text() == "mine"
    (out / "precious.txt").unlink()
    assert release(fake_course, out)[0] == 0
    assert release(fake_course, out, "--force")[0] == 0, "an earlier release may be replaced"


# ---------------------------------------------------------------- this repository's bundle


def test_release_of_this_course_leaks_nothing(tmp_path: Path) -> None:
    out = tmp_path / "bundle"
    build_release(REPO, out)  # the build alone; the command would also refuse on a leak
    problems = scan(out, REPO)
    assert problems == [], "\n".join(problems)
    assert (out / "exercises" / "activations.py").is_file()


@pytest.fixture(scope="module")
def installed_bundle(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The bundle of this course, pip-installed into a fresh venv (offline)."""
    root = tmp_path_factory.mktemp("student")
    bundle = root / "bundle"
    build_release(REPO, bundle)
    venv = root / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    site = next((venv / "lib").glob("python*/site-packages"))
    # numpy, click and setuptools come from the dev venv; its nngrade does not (the
    # editable install's .pth is not processed from here), so only the bundle's is seen.
    (site / "_dev_deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python"), "install",
         "--quiet", "--no-deps", "--no-index", "--no-build-isolation", str(bundle / "tool")],
        check=True, capture_output=True, text=True,
    )
    return bundle, venv


def student_run(venv: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "NNGRADE"))}
    return subprocess.run([str(venv / "bin" / "nngrade"), *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)


def test_installed_bundle_has_only_student_commands(installed_bundle: tuple[Path, Path],
                                                   tmp_path: Path) -> None:
    bundle, venv = installed_bundle
    where = subprocess.run([str(venv / "bin" / "python"), "-c",
                            "import nngrade, nngrade.cli; print(nngrade.__file__)"],
                           capture_output=True, text=True, check=True, cwd=tmp_path)
    assert str(venv) in where.stdout, "the bundle's own nngrade, not the repository's"
    help_text = student_run(venv, "--help", cwd=tmp_path).stdout
    commands = {line.split()[0] for line in help_text.split("Commands:")[1].splitlines()
                if line.strip()}
    assert commands == {"check", "submit"}


def test_installed_bundle_checks_the_fresh_exercises(installed_bundle: tuple[Path, Path]) -> None:
    bundle, venv = installed_bundle
    result = student_run(venv, "check", "--path", "exercises", cwd=bundle)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "not implemented" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr


def test_installed_bundle_speaks_chinese(installed_bundle: tuple[Path, Path],
                                         tmp_path: Path) -> None:
    """The catalogs ship as package data: the installed tool reads them, in every language."""
    from english import english_in_terminal

    bundle, venv = installed_bundle
    result = student_run(venv, "check", "--path", str(bundle / "exercises"), "-v", "--lang",
                         "zh", cwd=tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "尚未实现" in result.stdout and "Traceback" not in result.stdout + result.stderr
    assert not english_in_terminal(result.stdout, ("位置",))
    (tmp_path / "nngrade.toml").write_text('[course]\nlang = "zh"\n', encoding="utf-8")
    shutil.copytree(bundle / "exercises", tmp_path / "exercises")
    result = student_run(venv, "check", "perceptron", cwd=tmp_path)
    assert "尚未实现" in result.stdout, "the course's nngrade.toml chooses Chinese"
    result = student_run(venv, "submit", "--help", cwd=tmp_path)
    assert "用法：" in result.stdout


def test_release_lang_writes_the_courses_language(fake_course: Path, tmp_path: Path) -> None:
    from nngrade.student.config import course_settings

    out = tmp_path / "bundle"
    code, output = release(fake_course, out, "--lang", "zh")
    assert code == 0, output
    assert course_settings(out / "nngrade.toml")["lang"] == "zh"
    assert not (tmp_path / "plain").exists()
    release(fake_course, tmp_path / "plain")
    assert not (tmp_path / "plain" / "nngrade.toml").exists()


def test_installed_bundle_submits_to_an_inbox(installed_bundle: tuple[Path, Path],
                                             tmp_path: Path) -> None:
    from nngrade.intake.inbox import select_from_inbox

    bundle, venv = installed_bundle
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for _ in range(2):
        result = student_run(venv, "submit", "--student", "alice", "--to", str(inbox),
                             "--no-checks", cwd=bundle)
        assert result.returncode == 0, result.stdout + result.stderr
    (entry,) = select_from_inbox(inbox)
    assert entry.all_archives == 2 and entry.sha256 in result.stdout
    with zipfile.ZipFile(entry.archive) as zf:
        assert "exercises/activations.py" in zf.namelist()
