"""The Gradescope bundle, run the way Gradescope runs it: setup.sh once, run_autograder per hand-in.

Offline: the bundle carries nngrade's wheel, and pip takes every other
dependency from a wheelhouse packed from this test environment
(tests/cluster/wheelhouse.py) through ``PIP_NO_INDEX``/``PIP_FIND_LINKS``.
The sample class is graded through ``nngrade gradescope test`` and must
score exactly as ``nngrade grade`` does with the same seed and limits, with
every results.json following Gradescope's specification, within the
default container's 768 MB. Then the container without namespaces
(Docker's default): the same scores, the missing protections reported,
and the grader's files, the course settings and the other results out of
reach of a hostile submission. Last, a grader that fails still leaves a
valid results.json.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple

import pytest
from wheelhouse import build_wheelhouse

from nngrade.gradescope.local import CONTAINER_MB, run_submission
from nngrade.gradescope.settings import load_settings
from nngrade.gradescope.spec import problems
from nngrade.rubric import DEFAULT_RUBRIC

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "examples" / "submissions"
NNGRADE = str(Path(sys.executable).parent / "nngrade")
SEED = 11
STUDENTS = sorted(p.stem if p.is_file() else p.name for p in SAMPLE.iterdir())


class Checked(NamedTuple):
    root: Path
    out: Path
    done: subprocess.CompletedProcess[str]
    env: dict[str, str]


LINE = re.compile(r"^(\S+)\s+score\s+(\S+)\s+([\d.]+) s\s+peak\s+([\d.]+) MB")


@pytest.fixture(scope="module")
def offline_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    wheels = tmp_path_factory.mktemp("wheelhouse")
    build_wheelhouse(wheels)
    return {**os.environ, "PIP_NO_INDEX": "1", "PIP_FIND_LINKS": str(wheels),
            "PIP_DISABLE_PIP_VERSION_CHECK": "1"}


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("bundle") / "autograder.zip"
    subprocess.run([NNGRADE, "gradescope", "build", "--out", str(path), "--seed", str(SEED)],
                   check=True, capture_output=True, timeout=300)
    return path


@pytest.fixture(scope="module")
def plain_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample class graded directly, with the bundle's seed and limits."""
    out = tmp_path_factory.mktemp("plain")
    subprocess.run([NNGRADE, "grade", str(SAMPLE), "--out", str(out), "--seed", str(SEED),
                    "--call-timeout", "4", "--memory-mb", "384", "-j", "2", "--no-reports"],
                   check=True, capture_output=True, timeout=900)
    return out


@pytest.fixture(scope="module")
def autograder(bundle: Path, offline_env: dict[str, str],
               tmp_path_factory: pytest.TempPathFactory) -> Iterator[Checked]:
    """``nngrade gradescope test`` on the sample class: setup.sh once, run_autograder per hand-in.

    The root stands in for /autograder: 0755 under /tmp (student code may run as
    nobody and must reach the venv), kept for the tests that run more hand-ins in it.
    """
    root = Path(tempfile.mkdtemp(prefix="nngrade-autograder-test-"))
    out = tmp_path_factory.mktemp("gradescope-out")
    done = subprocess.run(
        [NNGRADE, "gradescope", "test", str(SAMPLE), "--bundle", str(bundle), "--out", str(out),
         "--root", str(root), "--due", "2026-01-01T00:00+00:00"],
        env=offline_env, capture_output=True, text=True, timeout=1800, check=False)
    env = {**offline_env, "NNGRADE_PYTHON": sys.executable,
           "NNGRADE_AUTOGRADER_ROOT": str(root)}
    try:
        yield Checked(root, out, done, env)
    finally:
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def without_namespaces(autograder: Checked, tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """The installed autograder, run as in a container that blocks namespaces.

    Docker's default profile lets bubblewrap start but not create a user
    namespace; a ``bwrap`` that fails the way it then fails stands first on
    PATH, and the sandbox must notice by itself (no NNGRADE_SANDBOX).
    """
    fake = tmp_path / "docker-bin"
    fake.mkdir()
    (fake / "bwrap").write_text(
        "#!/bin/sh\necho 'bwrap: No permissions to creating new namespace, likely because "
        "the kernel does not allow non-privileged user namespaces.' >&2\nexit 1\n")
    (fake / "bwrap").chmod(0o755)
    fake.chmod(0o755)
    env = {**autograder.env, "PATH": f"{fake}:{os.environ['PATH']}"}
    env.pop("NNGRADE_SANDBOX", None)
    return autograder.root, env


def _verdicts(results: dict[str, Any]) -> list[tuple[str, str, float]]:
    return [(t["name"].split(":")[0], t["status"], t["score"]) for t in results["tests"]
            if "score" in t]


def test_the_bundle_holds_the_scripts_the_wheel_and_the_course(bundle: Path) -> None:
    with zipfile.ZipFile(bundle) as zf:
        names = set(zf.namelist())
        modes = {i.filename: (i.external_attr >> 16) & 0o777 for i in zf.infolist()}
        wheel_name = next(n for n in names if n.startswith("wheels/"))
        wheel_bytes = zf.read(wheel_name)
        settings_text = zf.read("course/gradescope.toml").decode()
        rubric = zf.read("course/rubric.toml")
    assert {"setup.sh", "run_autograder", "course/gradescope.toml", "course/rubric.toml",
            "README.md"} <= names
    assert modes["setup.sh"] == 0o755 and modes["run_autograder"] == 0o755
    assert wheel_name == "wheels/nngrade-0.1.0-py3-none-any.whl"
    assert rubric == DEFAULT_RUBRIC.read_bytes()
    settings_file = bundle.parent / "gradescope.toml"
    settings_file.write_text(settings_text)
    settings = load_settings(settings_file)
    assert settings.seed == SEED and settings.test_visibility == "after_due_date"
    assert settings.stdout_visibility == "hidden" and settings.memory_mb == 384

    wheel_path = bundle.parent / "nngrade.whl"
    wheel_path.write_bytes(wheel_bytes)
    with zipfile.ZipFile(wheel_path) as wheel:
        files = set(wheel.namelist())
        record = wheel.read("nngrade-0.1.0.dist-info/RECORD").decode().splitlines()
        for line in record:
            name, digest, size = line.rsplit(",", 2)
            if not digest:
                continue
            data = wheel.read(name)
            expected = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
            assert digest == "sha256=" + expected.decode() and int(size) == len(data), name
        metadata = wheel.read("nngrade-0.1.0.dist-info/METADATA").decode()
    assert {"nngrade/suites/test_activations.py", "nngrade/rubric.toml",
            "nngrade/reference/course/activations.py",
            "nngrade/report/locale/zh/LC_MESSAGES/messages.po",
            "nngrade/gradescope/autograder.py", "nngrade/gradescope/__main__.py",
            "nngrade/worker/main.py",
            "nngrade-0.1.0.dist-info/entry_points.txt"} <= files
    assert len(record) == len(files)
    assert not any("__pycache__" in f or f.endswith(".pyc") for f in files)
    assert "Requires-Dist: numpy" in metadata


def test_the_sample_class_on_the_autograder_scores_as_nngrade_grade(
        autograder: Checked, plain_run: Path) -> None:
    done, out = autograder.done, autograder.out
    assert done.returncode == 0, done.stdout + done.stderr
    assert "nngrade autograder ready" in done.stdout  # setup.sh's self-check ran
    lines = {m[1]: m for m in map(LINE.match, done.stdout.splitlines()) if m}
    assert sorted(lines) == STUDENTS
    for student in STUDENTS:
        doc = json.loads((out / student / "results.json").read_text())
        plain = json.loads((plain_run / student / "results.json").read_text())
        assert problems(doc) == [], student
        assert doc["score"] == plain["score"], student
        assert _verdicts(doc) == _verdicts(plain), student
        info = doc["extra_data"]["nngrade"]
        assert info["seed"] == SEED and info["source"]["late"] is True
        assert info["missing_protections"] == plain["nngrade"]["missing_protections"]
        assert "Late submission" in doc["output"]
        assert 0 < doc["execution_time"] < 600
        assert float(lines[student][4]) < CONTAINER_MB, student
        assert "$ " in (out / student / "stdout").read_text()  # the instructor's log


def _hostile_submission(folder: Path, root: Path) -> Path:
    """The course's solutions, except that sigmoid tries to read and write what it must not."""
    folder.mkdir(parents=True)
    for module in (REPO / "solutions").glob("*.py"):
        shutil.copy(module, folder / module.name)
    paths = [root / "source" / "course" / "rubric.toml", root / "source" / "setup.sh",
             root / "submission_metadata.json"]
    paths += sorted(root.glob("nngrade-venv/lib/python3*/site-packages/nngrade/rubric.toml"))
    paths += sorted(root.glob("nngrade-venv/lib/python3*/site-packages/nngrade/reference/"
                              "course/activations.py"))
    probe = f'''

def _probe():
    found = []
    for path in {[str(p) for p in paths]!r}:
        try:
            with open(path) as fh:
                found.append("LEAK " + fh.read(40))
        except OSError as exc:
            found.append("DENIED " + type(exc).__name__)
    try:
        with open({str(root / "results" / "results.json")!r}, "w") as fh:
            fh.write("{{}}")
        found.append("LEAK wrote results")
    except OSError as exc:
        found.append("DENIED " + type(exc).__name__)
    return " | ".join(found)


def sigmoid(z):
    raise ValueError(_probe())
'''
    with (folder / "activations.py").open("a") as fh:
        fh.write(probe)
    return folder


def test_without_namespaces_scores_hold_protections_are_reported_and_secrets_stay_hidden(
        without_namespaces: tuple[Path, dict[str, str]], plain_run: Path,
        tmp_path: Path) -> None:
    root, env = without_namespaces
    now = dt.datetime.now(dt.timezone.utc)
    run = run_submission(root, 1, "dara", SAMPLE / "dara", env, now, None)
    assert run.problems == [], run.stdout
    plain = json.loads((plain_run / "dara" / "results.json").read_text())
    assert run.results is not None and run.results["score"] == plain["score"]
    assert _verdicts(run.results) == _verdicts(plain)
    info = run.results["extra_data"]["nngrade"]
    assert {"user_namespace", "network_namespace", "mount_namespace"} <= \
        set(info["missing_protections"])
    assert info["protections"]["seccomp"] and info["protections"]["rlimits"]
    sandbox = next(t for t in run.results["tests"] if t["tags"] == ["sandbox"])
    assert sandbox["status"] == "failed" and sandbox["visibility"] == "hidden"
    assert "No network access" in sandbox["output"]
    assert "sandbox protections missing: " in run.stdout and run.peak_mb < CONTAINER_MB

    hostile = _hostile_submission(tmp_path / "mallory", root)
    run = run_submission(root, 2, "mallory", hostile, env, now, None)
    assert run.problems == [], run.stdout
    assert run.results is not None
    sigmoid = [t for t in run.results["tests"] if t["tags"] == ["activations", "sigmoid"]]
    assert sigmoid and all(t["status"] == "failed" for t in sigmoid)
    for test in sigmoid:  # five files to read, one to write: each one refused
        assert test["output"].count("DENIED PermissionError") == 6, test["output"]
        assert "LEAK" not in test["output"]


def test_a_failing_grader_still_leaves_a_valid_results_json(
        without_namespaces: tuple[Path, dict[str, str]]) -> None:
    root, env = without_namespaces
    now = dt.datetime.now(dt.timezone.utc)
    settings = root / "source" / "course" / "gradescope.toml"
    good = settings.read_text()
    try:
        settings.write_text("seed = 'not a number'\n")
        run = run_submission(root, 3, "dara", SAMPLE / "dara", env, now, None)
        assert run.results is not None and problems(run.results) == []
        assert run.results["score"] == 0.0
        assert "not a problem with your code" in run.results["output"]
        assert "seed" in run.results["extra_data"]["nngrade_error"]
        assert "Traceback" in run.stdout
    finally:
        settings.write_text(good)

    python = next(root.glob("nngrade-venv/bin/python"))
    moved = python.with_name("python.away")
    python.rename(moved)
    try:
        run = run_submission(root, 4, "dara", SAMPLE / "dara", env, now, None)
    finally:
        moved.rename(python)
    assert run.results is not None and problems(run.results) == []
    assert "did not start" in run.results["extra_data"]["nngrade_error"]
    assert "自动评分程序本身" in run.results["output"]
