"""Issue 13 item 1: a hand-in's name can never take the class down or touch the grader's files.

A student id is whatever a folder or zip was called. The class below holds
ids equal to every file ``nngrade grade`` writes into OUT, shell options,
an 80-character Chinese name and a bidi override; each grades into its own
folder, the honest student keeps 100, and run.json (the seed) survives.
"""

from __future__ import annotations

import csv
import json
import shutil
import zipfile
from pathlib import Path
from urllib.parse import quote

import pytest

from nngrade.folder_names import RESERVED, is_plain, student_folder
from nngrade.grade import pipeline
from nngrade.grade.options import BatchOptions
from nngrade.grade.pipeline import grade_directory

ROOT = Path(__file__).resolve().parents[1]
ADA = ROOT / "examples" / "submissions" / "ada"
FAST = BatchOptions(call_timeout=2.0, submission_timeout=120.0)

HOSTILE_FOLDERS = ["run.json", "gradebook.csv", "slurm", "-rf", "--help", "名" * 80,
                   "\u202eevil", "résumé", "Ada", "ADA"]  # Ada, ADA and ada: one on macOS
HOSTILE_ZIPS = ["index.html"]  # index.html.zip: the id is the zip's stem


def _zip_of(folder: Path, target: Path) -> None:
    with zipfile.ZipFile(target, "w") as zf:
        for path in sorted(folder.rglob("*.py")):
            zf.write(path, path.relative_to(folder).as_posix())


@pytest.fixture(scope="module")
def hostile_class(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, dict]]:
    base = tmp_path_factory.mktemp("hostile")
    subs = base / "subs"
    subs.mkdir()
    shutil.copytree(ADA, subs / "ada")
    for name in HOSTILE_FOLDERS:
        shutil.copytree(ADA, subs / name)
    for name in HOSTILE_ZIPS:
        _zip_of(ADA, subs / f"{name}.zip")
    out = base / "out"
    results = grade_directory(subs, out, jobs=2, seed=5, force=True, options=FAST)
    return out, {r["nngrade"]["student"]: r for r in results}


def test_every_hand_in_is_graded_into_its_own_folder(hostile_class: tuple[Path, dict]) -> None:
    out, results = hostile_class
    assert len(results) == 1 + len(HOSTILE_FOLDERS) + len(HOSTILE_ZIPS)
    assert all(r["score"] == 100 for r in results.values()), \
        {s: r["score"] for s, r in results.items()}
    folders = {student_folder(s) for s in results}
    assert len(folders) == len(results)  # no two students share a folder
    # ...not even where OUT is copied to a file system that ignores case (macOS, Windows)
    assert len({f.casefold() for f in folders}) == len(results)
    assert {entry.name.casefold() for entry in out.iterdir()} >= {f.casefold() for f in folders}
    for student, res in results.items():
        folder = out / student_folder(student)
        assert res["nngrade"]["folder"] == folder.name
        assert json.loads((folder / "results.json").read_text(encoding="utf-8")) == res
        assert (folder / "report.html").is_file()
        assert not folder.name.startswith(("-", ".")), folder.name


def test_the_grader_files_are_the_grader_s(hostile_class: tuple[Path, dict]) -> None:
    out, results = hostile_class
    run = json.loads((out / "run.json").read_text())
    assert run["seed"] == 5 and run["state"] == "finished" and run["graded"] == len(results)
    assert (out / "index.html").is_file() and (out / "gradebook.csv").is_file()
    summary = (out / "index.html").read_text(encoding="utf-8")
    for student in results:  # every link of the class summary leads to that student's report
        assert f'href="{quote(student_folder(student), safe="")}/report.html"' in summary
    rows = list(csv.DictReader((out / "gradebook.csv").open(encoding="utf-8")))
    assert len(rows) == len(results)
    for row in rows:
        assert (out / row["folder"].lstrip("'") / "results.json").is_file()
    # Nothing in OUT but the students' folders and the grader's files, which no id can name.
    students = {student_folder(s) for s in results}
    for entry in out.iterdir():
        if entry.name not in students:
            assert not is_plain(entry.name), entry.name


def test_ids_are_kept_with_their_folders(hostile_class: tuple[Path, dict]) -> None:
    _, results = hostile_class
    assert results["-rf"]["nngrade"]["folder"].startswith("_rf~")
    assert results["run.json"]["nngrade"]["folder"].startswith("_run.json~") is False
    assert results["run.json"]["nngrade"]["folder"].startswith("_run_json~")
    evil = [r for s, r in results.items() if "evil" in s][0]
    assert evil["nngrade"]["source"]["id_as_given"] == "\u202eevil"


@pytest.mark.parametrize("name", ["run.json", "index.html", "gradebook.csv", "results.json",
                                  "report.html", "slurm", "shards", ".lock", "run.json.lock",
                                  ".run.json.abc.tmp", "-x", "--force", ".", "..", "", "a/b",
                                  "CON", "nul.txt", "a" * 65, "e\u0301", "x\x1b[31m", "_ada"])
def test_names_that_are_never_plain(name: str) -> None:
    assert not is_plain(name)
    folder = student_folder(name)
    assert folder.startswith("_") and "/" not in folder and folder not in (".", "..")
    assert student_folder(name) == folder  # stable: reruns find their results


@pytest.mark.parametrize("name", ["ada", "zhang.san", "王小明", "a-b_c@uni+1", "alice~2",
                                  "2024001"])
def test_plain_ids_name_their_own_folder(name: str) -> None:
    assert is_plain(name) and student_folder(name) == name


@pytest.mark.parametrize("ids", [("ada", "Ada", "ADA", "aDa"), ("straße", "strasse", "STRASSE"),
                                 ("Σίσυφος", "σίσυφος", "ΣΊΣΥΦΟΣ"), ("_Ada", "_ada")])
def test_ids_that_differ_only_in_case_get_folders_that_differ_in_more(ids: tuple) -> None:
    """The rule: only an id that is its own case fold is plain; the others are hashed."""
    folders = [student_folder(i) for i in ids]
    assert len({f.casefold() for f in folders}) == len(ids), folders
    for student, folder in zip(ids, folders, strict=True):
        assert (folder == student) == (student == student.casefold() and is_plain(student))


def test_reserved_names_stay_reserved() -> None:
    assert {"slurm", "shards"} <= RESERVED


def test_run_json_is_written_first_and_survives_a_crash(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    subs = tmp_path / "subs"
    shutil.copytree(ADA, subs / "ada")
    out = tmp_path / "out"

    def crash(*args: object, **kwargs: object) -> None:
        raise MemoryError("the grading machine fell over")

    monkeypatch.setattr(pipeline, "grade_in_pool", crash)
    with pytest.raises(MemoryError):
        grade_directory(subs, out, jobs=1, options=BatchOptions(call_timeout=2.0))
    run = json.loads((out / "run.json").read_text())
    assert run["state"] == "running" and isinstance(run["seed"], int)
    monkeypatch.undo()
    again = grade_directory(subs, out, jobs=1, options=BatchOptions(call_timeout=2.0))
    assert again[0]["nngrade"]["seed"] == run["seed"]  # the rerun grades with the same seed
    assert json.loads((out / "run.json").read_text())["state"] == "finished"


def test_run_json_counts_ungradeable_apart(tmp_path: Path) -> None:
    subs = tmp_path / "subs"
    (subs / "empty").mkdir(parents=True)
    out = tmp_path / "out"
    grade_directory(subs, out, jobs=1, seed=2, options=FAST)
    grade_directory(subs, out, jobs=1, seed=2, options=FAST)
    run = json.loads((out / "run.json").read_text())
    assert (run["graded"], run["reused"], run["ungradeable"]) == (0, 0, 1)


def test_a_hand_in_whose_name_starts_with_a_dot_is_graded(tmp_path: Path) -> None:
    subs = tmp_path / "subs"
    shutil.copytree(ADA, subs / ".alice")
    (subs / ".DS_Store").write_bytes(b"\x00\x00\x00\x01Bud1")
    (subs / ".git").mkdir()
    (subs / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    (subs / "._alice").write_bytes(b"\x00\x05\x16\x07")
    results = grade_directory(subs, tmp_path / "out", jobs=1, seed=5, options=FAST)
    (alice,) = results
    assert alice["nngrade"]["student"] == "alice" and alice["score"] == 100
    assert alice["nngrade"]["source"]["id_as_given"] == ".alice"
