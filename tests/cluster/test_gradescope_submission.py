"""How run_autograder copies a Gradescope submission before ``nngrade grade`` reads it.

The folder is the student's: symlinks (to the grader's files, say) are
never followed, deep trees and huge or numerous files are cut off, and a
submission that is one uploaded .zip is handed on as that zip.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from nngrade.gradescope import autograder
from nngrade.gradescope.autograder import copy_submission


def test_a_folder_is_copied_without_following_symlinks(tmp_path: Path) -> None:
    source = tmp_path / "submission"
    (source / "exercises").mkdir(parents=True)
    (source / "exercises" / "activations.py").write_text("def sigmoid(z): return z\n")
    (source / "notes.txt").write_text("hello")
    secret = tmp_path / "secret.toml"
    secret.write_text("answers")
    (source / "losses.py").symlink_to(secret)
    (source / "link").symlink_to(tmp_path, target_is_directory=True)
    deep = source / "a" / "b" / "c" / "d"
    deep.mkdir(parents=True)
    (deep / "perceptron.py").write_text("x = 1\n")

    copied = copy_submission(source, tmp_path / "class" / "student")
    assert copied == tmp_path / "class" / "student"
    assert (copied / "exercises" / "activations.py").read_text().startswith("def sigmoid")
    assert (copied / "notes.txt").exists()
    assert not (copied / "losses.py").exists() and not (copied / "link").exists()
    assert not (copied / "a" / "b" / "c" / "d" / "perceptron.py").exists()
    assert not any(p.is_symlink() for p in copied.rglob("*"))


def test_one_uploaded_zip_is_handed_on_as_a_zip(tmp_path: Path) -> None:
    source = tmp_path / "submission"
    source.mkdir()
    with zipfile.ZipFile(source / "handin.zip", "w") as zf:
        zf.writestr("exercises/activations.py", "def sigmoid(z): return z\n")
    copied = copy_submission(source, tmp_path / "class" / "student")
    assert copied == tmp_path / "class" / "student.zip" and zipfile.is_zipfile(copied)
    (source / "losses.py").write_text("x = 1\n")  # with a module beside it: a folder
    assert copy_submission(source, tmp_path / "other" / "student").is_dir()


def test_counts_and_sizes_are_bounded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    source = tmp_path / "submission"
    source.mkdir()
    for i in range(30):
        (source / f"f{i:02d}.py").write_text("x" * 100)
    monkeypatch.setattr(autograder, "MAX_FILES", 10)
    monkeypatch.setattr(autograder, "MAX_BYTES", 550)
    copied = copy_submission(source, tmp_path / "class" / "student")
    files = sorted(p.name for p in copied.iterdir())
    assert len(files) == 5  # ten listed, the first five fit in 550 bytes
