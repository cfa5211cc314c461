"""Issue 13 item 4: archives as students make them (nngrade.intake.unpack).

A correct project zipped with its virtual environment, its caches and its
data is graded, with a note naming what was skipped; a hand-in that is
still too big says where its files are. When the modules are both at the
top level and under ``exercises/``, each is graded from its newest copy
(``exercises/`` when both are as new), and the notes say which.
"""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

import pytest

from nngrade.intake.unpack import MAX_ENTRIES, read_submission
from nngrade.messages import render
from nngrade.report.legacy import read_note

ROOT = Path(__file__).resolve().parents[1]
ADA = ROOT / "examples" / "submissions" / "ada"
MODULES = sorted(p.name for p in ADA.glob("*.py"))
STALE = "def sigmoid(z):\n    return z  # the first try\n"


def _project(zf: zipfile.ZipFile, prefix: str = "proj/") -> None:
    for name in MODULES:
        zf.writestr(f"{prefix}exercises/{name}", (ADA / name).read_text())


def _zip(path: Path, members: dict[str, str], *, project: bool = True) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        if project:
            _project(zf)
        for name, data in members.items():
            zf.writestr(name, data)
    return path


def _notes_in(lang: str, warnings: list[str]) -> list[str]:
    out = []
    for text in warnings:
        message = read_note(text)
        assert message is not None, f"no message for {text!r}"
        out.append(render(message, lang))
    return out


def test_a_project_zipped_with_its_virtual_environment_is_graded(tmp_path: Path) -> None:
    junk = {f"proj/venv/lib/python3.11/site-packages/pkg{i}/m.py": "" for i in range(2600)}
    junk |= {f"proj/myenv/Lib/site-packages/x{i}.py": "" for i in range(50)}
    junk |= {"proj/myenv/pyvenv.cfg": "home = C:\\Python311\n",
             "proj/mine/pyvenv.cfg": "", **{f"proj/mine/bin/t{i}": "" for i in range(900)},
             **{f"proj/node_modules/a/{i}.js": "" for i in range(300)},
             **{f"proj/exercises/__pycache__/m{i}.pyc": "" for i in range(30)},
             **{f"proj/data/batch{i}.npy": "" for i in range(500)},
             "proj/data/train.csv": "x,y\n", "__MACOSX/proj/._x": ""}
    sub = read_submission(_zip(tmp_path / "kai.zip", junk))
    assert sub.error is None, sub.error
    assert sorted(f"{m}.py" for m in sub.sources) == MODULES
    notes = " ".join(sub.warnings)
    for skipped in ("venv/", "myenv/", "mine/", "node_modules/", "__pycache__/", "__MACOSX/",
                    ".npy", ".csv"):
        assert skipped in notes, (skipped, sub.warnings)
    for lang in ("en", "zh"):
        assert all(_notes_in(lang, sub.warnings))


def test_a_folder_with_a_virtual_environment_is_graded(tmp_path: Path) -> None:
    root = tmp_path / "lea"
    for name in MODULES:
        (root / "exercises").mkdir(parents=True, exist_ok=True)
        (root / "exercises" / name).write_text((ADA / name).read_text())
    env = root / "env311"
    (env / "bin").mkdir(parents=True)
    (env / "pyvenv.cfg").write_text("")
    for i in range(MAX_ENTRIES + 100):
        (env / "bin" / f"t{i}").write_text("")
    sub = read_submission(root)
    assert sub.error is None and len(sub.sources) == len(MODULES)
    assert any("env311/" in w for w in sub.warnings)


def test_too_big_says_what_to_remove(tmp_path: Path) -> None:
    crowd = {f"proj/notes/n{i}.txt": "" for i in range(MAX_ENTRIES + 1)}
    sub = read_submission(_zip(tmp_path / "max.zip", crowd))
    assert sub.error is not None and "proj/notes/" in sub.error and "remove" in sub.error
    (zh,) = _notes_in("zh", [sub.error])
    assert "proj/notes/" in zh and "删除" in zh


def _both(root: Path, top_mtime: float, exercises_mtime: float) -> Path:
    (root / "exercises").mkdir(parents=True)
    for name in MODULES:
        good, stale = root / "exercises" / name, root / name
        good.write_text((ADA / name).read_text())
        stale.write_text(STALE if name == "activations.py" else (ADA / name).read_text())
        os.utime(good, (exercises_mtime, exercises_mtime))
        os.utime(stale, (top_mtime, top_mtime))
    return root


@pytest.mark.parametrize(("top", "exercises", "graded_from"), [
    (1_600_000_000, 1_700_000_000, "exercises/"),  # the stale copy at the top level
    (1_700_000_000, 1_700_000_000, "exercises/"),  # as new: the handout's place
    (1_700_000_000, 1_600_000_000, "./"),  # the student went on working at the top level
])
def test_modules_in_two_places_are_graded_from_the_newest(tmp_path: Path, top: float,
                                                          exercises: float,
                                                          graded_from: str) -> None:
    sub = read_submission(_both(tmp_path / "mo", top, exercises))
    stale = "the first try" in sub.sources["activations"]
    assert stale == (graded_from == "./")
    note = next(w for w in sub.warnings if "newest copy" in w)
    assert f"activations.py ({graded_from})" in note
    for lang in ("en", "zh"):
        (text,) = _notes_in(lang, [note])
        assert "activations.py" in text


def test_modules_in_two_places_of_a_zip(tmp_path: Path) -> None:
    path = tmp_path / "ivy.zip"
    with zipfile.ZipFile(path, "w") as zf:
        for name in MODULES:
            old = zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0))
            zf.writestr(old, STALE if name == "activations.py" else (ADA / name).read_text())
            new = zipfile.ZipInfo(f"exercises/{name}", date_time=(2024, 3, 1, 0, 0, 0))
            zf.writestr(new, (ADA / name).read_text())
    sub = read_submission(path)
    assert "the first try" not in sub.sources["activations"]
    assert any("activations.py (exercises/)" in w for w in sub.warnings)
