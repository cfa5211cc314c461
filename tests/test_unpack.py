"""Hand-ins good, sloppy and hostile (nngrade.intake.unpack): never an exception, always why."""

from __future__ import annotations

import os
import stat
import zipfile
from pathlib import Path

import pytest

from nngrade.intake.unpack import MAX_ENTRIES, MAX_FILE_BYTES, discover, read_submission, student_id

ACT = "def sigmoid(z):\n    return z\n"
LOSS = "def mse(a, b):\n    return 0.0\n"


def make_zip(path: Path, members: dict[str, bytes | str], *, modes: dict[str, int] | None = None):
    modes = modes or {}
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            info = zipfile.ZipInfo(name)
            info.create_system = 3
            info.external_attr = modes.get(name, stat.S_IFREG | 0o644) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, data)
    return path


def write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def make_dir(root: Path, files: dict[str, str | bytes]) -> Path:
    for name, data in files.items():
        target = root / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(data, str):
            target.write_text(data)
        else:
            target.write_bytes(data)
    return root


# ------------------------------------------------------------------ layouts


@pytest.mark.parametrize(
    "layout",
    ["{m}.py", "exercises/{m}.py", "alice/{m}.py", "alice/exercises/{m}.py"],
)
def test_zip_layouts(tmp_path, layout):
    members = {layout.format(m="activations"): ACT, layout.format(m="losses"): LOSS}
    sub = read_submission(make_zip(tmp_path / "alice.zip", members))
    assert sub.error is None, sub
    assert sub.student == "alice"
    assert sub.sources == {"activations": ACT, "losses": LOSS}
    assert sub.modules == ["activations", "losses"]


@pytest.mark.parametrize("layout", ["{m}.py", "exercises/{m}.py", "wrap/exercises/{m}.py"])
def test_folder_layouts(tmp_path, layout):
    root = make_dir(tmp_path / "bob", {layout.format(m="activations"): ACT, "notes.txt": "hi"})
    sub = read_submission(root)
    assert sub.error is None and sub.sources == {"activations": ACT}


def test_nngrade_submit_archives_are_read(tmp_path):
    members = {"manifest.json": "{}", "exercises/activations.py": ACT}
    sub = read_submission(make_zip(tmp_path / "x.zip", members), student="carol")
    assert sub.student == "carol" and sub.sources == {"activations": ACT}


def test_helpers_are_kept_and_nested_files_ignored(tmp_path):
    root = make_dir(
        tmp_path / "dan",
        {"activations.py": ACT, "helpers.py": "X = 1\n", "deep/inner.py": "Y = 2\n"},
    )
    sub = read_submission(root)
    assert set(sub.sources) == {"activations", "helpers"}
    assert sub.modules == ["activations"]


def test_both_top_level_and_exercises(tmp_path):
    root = make_dir(
        tmp_path / "eve",
        {"scratch.py": "", "exercises/activations.py": ACT, "exercises/losses.py": LOSS},
    )
    sub = read_submission(root)
    assert set(sub.sources) == {"activations", "losses"}
    assert any("too" in w for w in sub.warnings)


def test_content_hash_ignores_container_and_order(tmp_path):
    folder = read_submission(make_dir(tmp_path / "f", {"losses.py": LOSS, "activations.py": ACT}))
    archive = read_submission(
        make_zip(tmp_path / "f.zip", {"f/activations.py": ACT, "f/losses.py": LOSS})
    )
    assert folder.content_sha256 == archive.content_sha256 != ""
    changed = read_submission(make_dir(tmp_path / "g", {"losses.py": LOSS, "activations.py": "#"}))
    assert changed.content_sha256 != folder.content_sha256


def test_sample_class_reads_cleanly():
    subs = discover(Path(__file__).resolve().parents[1] / "examples" / "submissions")
    assert subs and all(s.error is None for s in subs)
    assert all(s.sources for s in subs)


# ------------------------------------------------------------------ sloppy hand-ins


def test_bom_crlf_and_bad_bytes(tmp_path):
    members = {
        "activations.py": b"\xef\xbb\xbfdef sigmoid(z):\r\n    return z\r\n",
        "losses.py": b"# \xff\xfe broken\ndef mse(a, b):\n    return 0.0\n",
        "perceptron.py": "# -*- coding: latin-1 -*-\nNAME = 'caf\xe9'\n".encode("latin-1"),
    }
    sub = read_submission(make_zip(tmp_path / "h.zip", members))
    assert sub.sources["activations"] == ACT
    assert "\ufffd" in sub.sources["losses"]
    assert "café" in sub.sources["perceptron"]
    text = " ".join(sub.warnings)
    assert "byte-order mark" in text and "CRLF" in text and "not valid utf-8" in text
    compile(sub.sources["activations"], "activations.py", "exec")


@pytest.mark.filterwarnings("ignore:Duplicate name")
def test_macosx_duplicates_and_case(tmp_path):
    path = tmp_path / "i.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("i/Activations.py", ACT)
        zf.writestr("i/losses.py", LOSS)
        zf.writestr("i/losses.py", "raise SystemExit\n")
        zf.writestr("__MACOSX/i/._losses.py", b"\x00\x05\x16\x07")
        zf.writestr("i/.DS_Store", b"\x00")
        zf.writestr("i/my-module.py", "")
    sub = read_submission(path)
    assert sub.error is None
    assert sub.sources["losses"] == LOSS
    assert sub.sources["activations"] == ACT
    text = " ".join(sub.warnings)
    assert "__MACOSX" in text and "same name" in text and "case-sensitive" in text
    assert "my-module.py is not a valid module name" in text


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p: (p / "empty").mkdir() or p / "empty", "empty"),
        (lambda p: make_dir(p / "txt", {"readme.txt": "x"}), "no .py files"),
        (lambda p: make_zip(p / "nopy.zip", {"a/b/c/d.py": "x"}), "no .py files"),
        (lambda p: make_zip(p / "emptyzip.zip", {}), "empty"),
        (lambda p: write(p / "bad.zip", b"PK\x03\x04 not really"), "zip"),
        (lambda p: write(p / "zero.zip", b""), "zip"),
    ],
)
def test_hand_ins_with_nothing_to_grade(tmp_path, make, message):
    sub = read_submission(make(tmp_path))
    assert sub.error and message in sub.error
    assert sub.sources == {} and sub.content_sha256


def test_truncated_zip(tmp_path):
    path = make_zip(tmp_path / "t.zip", {"activations.py": ACT * 100})
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    sub = read_submission(path)
    assert sub.error is not None


# ------------------------------------------------------------------ hostile hand-ins


def test_zip_slip_and_absolute_paths_are_skipped(tmp_path):
    members = {
        "../../evil.py": "X = 1\n",
        "/etc/evil2.py": "X = 1\n",
        "exercises/../../evil3.py": "X = 1\n",
        "C:/evil4.py": "X = 1\n",
        "..\\..\\evil5.py": "X = 1\n",
        "activations.py": ACT,
    }
    sub = read_submission(make_zip(tmp_path / "j.zip", members))
    assert sub.sources == {"activations": ACT}
    assert "outside the hand-in" in " ".join(sub.warnings)
    assert not list(tmp_path.parent.glob("evil*"))


def test_symlinks_and_devices_in_zips_are_skipped(tmp_path):
    members = {"activations.py": "/etc/passwd", "losses.py": LOSS, "fifo.py": ""}
    modes = {"activations.py": stat.S_IFLNK | 0o777, "fifo.py": stat.S_IFIFO | 0o644}
    sub = read_submission(make_zip(tmp_path / "k.zip", members, modes=modes))
    assert sub.sources == {"losses": LOSS}
    text = " ".join(sub.warnings)
    assert "symbolic link" in text and "not a regular file" in text


def test_symlinks_and_fifos_in_folders_are_not_followed(tmp_path):
    root = make_dir(tmp_path / "l", {"losses.py": LOSS})
    (root / "activations.py").symlink_to("/etc/passwd")
    (root / "exercises").symlink_to("/etc")
    os.mkfifo(root / "perceptron.py")
    sub = read_submission(root)
    assert sub.sources == {"losses": LOSS}
    assert "root:" not in str(sub.sources)
    assert "symbolic link" in " ".join(sub.warnings)


def test_oversized_files_and_zip_bombs(tmp_path):
    big = "#" * (MAX_FILE_BYTES + 10) + "\n"
    members = {"activations.py": big, "losses.py": LOSS, "notes.txt": "0" * (50 << 20)}
    sub = read_submission(make_zip(tmp_path / "m.zip", members))
    assert sub.sources == {"losses": LOSS}
    assert "larger than" in " ".join(sub.warnings)
    bomb = make_zip(tmp_path / "n.zip", {"activations.py": "0" * (900 << 10), "losses.py": LOSS})
    sub = read_submission(bomb)
    assert sub.sources == {"losses": LOSS} and "zip bomb" in " ".join(sub.warnings)


def test_lying_sizes_are_read_bounded(tmp_path):
    path = make_zip(tmp_path / "o.zip", {"activations.py": "#" * (MAX_FILE_BYTES + 100)})
    # Make the central directory claim the member is tiny.
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as zf:
        info = zf.getinfo("activations.py")
    size = info.file_size.to_bytes(4, "little")
    at = data.rfind(b"PK\x01\x02")
    data[at + 24 : at + 28] = (10).to_bytes(4, "little")
    assert size != data[at + 24 : at + 28]
    path.write_bytes(bytes(data))
    sub = read_submission(path)
    assert "activations" not in sub.sources or len(sub.sources["activations"]) <= MAX_FILE_BYTES + 1


def test_too_many_entries(tmp_path):
    members = {f"f{i}.txt": "" for i in range(MAX_ENTRIES + 1)}
    sub = read_submission(make_zip(tmp_path / "p.zip", members))
    assert sub.error and "entries" in sub.error


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("alice", "alice"),
        ("José_Núñez", "José_Núñez"),
        ("王小明", "王小明"),
        ("a/b", "a_b"),
        ("..", None),
        ("bad\x00name\n", "bad_name"),
        (" spaced out ", "spaced_out"),
        (".hidden", "hidden"),
    ],
)
def test_student_ids(raw, expected):
    sid, notes = student_id(raw)
    assert "/" not in sid and "\x00" not in sid and sid not in (".", "..", "")
    if expected is not None:
        assert sid == expected
    assert bool(notes) == (sid != raw)


def test_discover_never_raises(tmp_path):
    make_dir(tmp_path / "ok", {"activations.py": ACT})
    (tmp_path / "broken.zip").write_bytes(b"junk")
    (tmp_path / "README.txt").write_text("not a hand-in")
    (tmp_path / ".DS_Store").write_bytes(b"")
    (tmp_path / "__MACOSX").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "ok")
    locked = make_dir(tmp_path / "locked", {"activations.py": ACT})
    subs = {s.student: s for s in discover(tmp_path)}
    assert set(subs) == {"ok", "broken", "locked"}
    assert subs["ok"].error is None and subs["broken"].error
    assert locked.exists()
