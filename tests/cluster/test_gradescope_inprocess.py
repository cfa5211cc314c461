"""run_autograder grades in its own interpreter: the same results, and still always a results.json.

`nngrade.gradescope.autograder` no longer starts ``nngrade grade`` as a
second cold interpreter: it grades the hand-in with nngrade's pool from its
own process (the grading itself still in a forked grading process with its
sandbox). These tests run it in this process, on a folder laid out as
``/autograder``: the results are those ``nngrade grade -j 1`` writes for
every student of the sample class; a grading process that cannot start, and
one that hangs, still end with a results.json that scores 0 and says the
grader failed, the hang within the submission timeout and the margin; and
the run's stdout keeps what ``nngrade grade`` told the instructor.
"""

from __future__ import annotations

import importlib.util
import json
import multiprocessing
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from nngrade.gradescope import autograder
from nngrade.gradescope.autograder import GRADER_MARGIN, grade_hand_in, run
from nngrade.gradescope.local import LocalRun
from nngrade.gradescope.settings import GradescopeSettings
from nngrade.gradescope.spec import problems
from nngrade.rubric import DEFAULT_RUBRIC

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "examples" / "submissions"
NNGRADE = str(Path(sys.executable).parent / "nngrade")
SEED = 11
SETTINGS = GradescopeSettings(seed=SEED)  # the bundle's defaults: 4 s per call, 384 MB
STUDENTS = sorted(p.stem if p.is_file() else p.name for p in SAMPLE.iterdir())


@pytest.fixture(autouse=True)
def _blas_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """run() sets BLAS to one thread for what it forks; put this process's back afterwards."""
    for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        monkeypatch.setenv(name, "1")


def _root(tmp_path: Path, student: str = "dara", **settings: Any) -> Path:
    """A folder laid out as Gradescope's /autograder, the bundle installed in this Python."""
    root = tmp_path / "autograder"
    course = root / "source" / "course"
    course.mkdir(parents=True)
    (course / "gradescope.toml").write_text(
        GradescopeSettings(seed=SEED, **settings).to_toml())
    shutil.copy(DEFAULT_RUBRIC, course / "rubric.toml")
    source = SAMPLE / student
    if source.is_dir():
        shutil.copytree(source, root / "submission")
    else:
        (root / "submission").mkdir()
        shutil.copy(SAMPLE / f"{student}.zip", root / "submission")
    (root / "submission_metadata.json").write_text(json.dumps(
        {"id": 42, "created_at": "2026-11-30T12:00:00+00:00",
         "assignment": {"due_date": "2026-12-01T00:00:00+00:00", "late_due_date": None}}))
    return root


def _comparable(results: dict[str, Any]) -> dict[str, Any]:
    """A results document without what differs from one grading to the next: times, the
    temporary path the hand-in was read from."""
    doc = json.loads(json.dumps(results))
    doc.pop("execution_time", None)
    info = doc["nngrade"]
    for volatile in ("graded_at", "timing"):
        info.pop(volatile, None)
    info["source"].pop("path", None)
    for test in doc["tests"]:
        test.get("extra_data", {}).pop("seconds", None)
    return doc


@pytest.fixture(scope="module")
def plain_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample class graded by ``nngrade grade`` with the autograder's options."""
    out = tmp_path_factory.mktemp("plain")
    subprocess.run([NNGRADE, "grade", str(SAMPLE), "--out", str(out), "-j", "1",
                    "--seed", str(SEED), "--call-timeout", "4", "--submission-timeout", "300",
                    "--memory-mb", "384", "--no-reports", "--force",
                    "--rubric", str(DEFAULT_RUBRIC)],
                   check=True, capture_output=True, timeout=900)
    return out


def test_in_process_results_are_nngrade_grades_for_the_sample_class(
        plain_run: Path, tmp_path: Path) -> None:
    for student in STUDENTS:
        hand_in = tmp_path / "gradescope" / student
        hand_in.mkdir(parents=True)
        source = next(p for p in SAMPLE.iterdir() if p.name in (student, f"{student}.zip"))
        if source.is_dir():
            shutil.copytree(source, hand_in, dirs_exist_ok=True)
        else:
            shutil.copy(source, hand_in)
        log: dict[str, float] = {}
        ours = grade_hand_in(hand_in, student, SETTINGS, DEFAULT_RUBRIC, tmp_path / student,
                             log=log)
        theirs = json.loads((plain_run / student / "results.json").read_text())
        assert _comparable(ours) == _comparable(theirs), student
        if ours["nngrade"]["error"] is None:  # graded, not refused at intake
            assert log["read"] <= log["ready"] <= log["graded"], student
    assert not multiprocessing.active_children()


def test_run_writes_gradescope_results_and_the_instructors_log(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = _root(tmp_path)
    alarm = signal.getsignal(signal.SIGALRM)
    assert run(root) == 0
    assert signal.getsignal(signal.SIGALRM) is alarm  # the watchdog put things back
    document = json.loads((root / "results" / "results.json").read_text())
    assert problems(document) == []
    assert "nngrade_error" not in document["extra_data"]
    assert document["score"] == pytest.approx(80.5167, abs=1e-3)  # dara's, as pinned elsewhere
    info = document["extra_data"]["nngrade"]
    assert info["seed"] == SEED and info["student"] == "gradescope-42"
    assert info["source"]["late"] is False
    out = capsys.readouterr().out
    assert "$ nngrade grade " in out and "--seed 11" in out and "-j 1" in out
    assert "80.52" in out  # the class table's row, as nngrade grade printed it
    assert "sandbox protections missing:" in out
    timing = next(line for line in out.splitlines() if line.startswith("nngrade timing:"))
    steps = [part.split("=")[0] for part in timing.split()[2:]]
    assert steps == ["start", "main", "read", "ready", "graded", "converted", "written"]
    assert not multiprocessing.active_children()

    # benchmarks/bench_gradescope.py --breakdown reads that line
    bench = _bench_module()
    run_ = LocalRun("dara", {**document, "extra_data": {"nngrade": info}}, [], 1.0, 0.0, out)
    at = {step: float(value) for step, value in (p.split("=") for p in timing.split()[2:])}
    parts = bench._parts(run_, ended=at["start"] + at["written"] + 0.01)
    assert list(parts) == ["launch", "interpreter_and_imports", "read", "grading_process_start",
                           "grading", "conversion", "write", "exit", "hidden_tests"]
    assert all(parts[k] > 0 for k in ("read", "grading_process_start", "grading",
                                      "hidden_tests")), parts
    assert parts["exit"] == pytest.approx(0.01, abs=1e-3)


def _bench_module() -> Any:
    path = REPO / "benchmarks" / "bench_gradescope.py"
    spec = importlib.util.spec_from_file_location("bench_gradescope", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _failure(root: Path) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((root / "results" / "results.json").read_text())
    assert problems(document) == []
    assert document["score"] == 0.0 and document["tests"] == []
    assert "not a problem with your code" in document["output"]
    return document


def test_a_grading_process_that_cannot_start_still_leaves_results(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    import nngrade.hidden.grader

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("the grader is broken")

    # Forked after this: the grading process meets the broken grader, twice.
    monkeypatch.setattr(nngrade.hidden.grader.SuiteGrader, "__init__", broken)
    root = _root(tmp_path)
    assert run(root) == 0
    document = _failure(root)
    assert "could not start" in document["extra_data"]["nngrade_error"]
    assert "the grader is broken" in document["extra_data"]["nngrade_error"]
    assert "Traceback" in capsys.readouterr().out
    assert not multiprocessing.active_children()


def test_a_hanging_grading_ends_within_the_submission_timeout_and_the_margin(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    import nngrade.hidden.grader

    def hang(self: object, submission: object) -> None:
        time.sleep(3600)

    monkeypatch.setattr(nngrade.hidden.grader.SuiteGrader, "grade", hang)
    monkeypatch.setattr(autograder, "GRADER_MARGIN", 2.0)
    assert GRADER_MARGIN == 120.0  # what Gradescope runs with
    root = _root(tmp_path, submission_timeout=1)
    started = time.monotonic()
    assert run(root) == 0
    elapsed = time.monotonic() - started
    # 1 s + 2 s, then the grading process is killed at once (the pool alone would wait
    # 1 s + 120 s, then grade the submission again)
    assert 3.0 <= elapsed < 8.0, elapsed
    document = _failure(root)
    assert "GradingTimeout" in document["extra_data"]["nngrade_error"]
    assert "did not finish within 3 s" in document["extra_data"]["nngrade_error"]
    assert "Traceback" in capsys.readouterr().out
    assert not multiprocessing.active_children()


def test_the_watchdog_gives_back_an_alarm_it_found() -> None:
    """pytest-timeout (or any caller) may have an alarm of its own set: it is re-armed with
    what was left of it, and its handler restored."""
    fired: list[float] = []
    previous = signal.signal(signal.SIGALRM, lambda *_: fired.append(time.monotonic()))
    earlier = signal.setitimer(signal.ITIMER_REAL, 30.0)
    try:
        with autograder._deadline(5.0):
            time.sleep(0.05)
        left, _ = signal.getitimer(signal.ITIMER_REAL)
        assert 29.0 < left < 30.0
        with autograder._deadline(0.05), pytest.raises(autograder.GradingTimeout):
            time.sleep(1.0)
        assert 28.0 < signal.getitimer(signal.ITIMER_REAL)[0] < 30.0 and not fired
    finally:
        signal.setitimer(signal.ITIMER_REAL, *earlier)
        signal.signal(signal.SIGALRM, previous)
