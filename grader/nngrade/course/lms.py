"""Hand-ins downloaded in bulk from an LMS, read as attempts of roster students.

Three layouts are read, from a folder or straight from the downloaded zip:

**Canvas** ("Download Submissions"): one flat folder; each uploaded file is
named ``<name>_[LATE_]<user id>_<file id>_<file name>``. The rule is
Canvas's own (``lib/content_zipper.rb``): ``<name>`` is the student's
sortable name ("Last, First") lower-cased with every non-word character
removed, ``LATE`` is there when Canvas counted the submission late, the
user id is Canvas's numeric id (``anon_<id>`` when the assignment is
anonymous), then the attachment id, then the file's display name with
``\\ / : * ? " < > |`` replaced by ``_``. A file uploaded again under the
same name gets a ``-1`` suffix from Canvas (``activations-1.py``); it is
graded as ``activations.py``. Students are found by the roster's
``canvas_id`` column, else by a unique match of that name.

**Moodle** ("Download all submissions"): one folder per student,
``<Full Name>_<participant id>_assignsubmission_file_/`` holding the files
as uploaded (Moodle 3.1 and later; older ones, or the "download as
folders" preference off, put ``..._assignsubmission_file_<file name>`` in
one flat folder). The rule is ``mod/assign/locallib.php``
(``download_submissions``): the full name with ``_`` replaced by a space,
the participant id, the plugin's sub-type and type. The participant id is
Moodle's per-assignment pseudonym, not a user id, so students are found by
the grading worksheet (``Identifier`` = "Participant N", ``Email address``,
``Last modified (submission)``) when it is given, else by a unique match
of the full name. Online-text entries are not code and are left out.

**A plain folder** of ``<student id>/`` folders or ``<student id>.zip``
files (what `nngrade grade` reads), e.g. hand-ins collected by hand.

Canvas's file names say nothing about when a file arrived, so a Canvas
attempt has no time of receipt, only Canvas's LATE mark; a Moodle attempt
has the worksheet's time when there is one; a plain folder has the
``received`` time written in the course file, if any.

Threat model: everything in a download was chosen by students (file
names, archive members, contents). Nothing is extracted: entries are read
one by one with bounded reads, names that are not plain file names (path
separators, ``..``, control characters, hidden files) are skipped with a
note, symbolic links and special files are never followed, and sizes and
counts are capped, so a download cannot write outside the grader's staging
folder or exhaust it. A name that matches no roster student is reported,
never guessed.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import os
import re
import stat
import unicodedata
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from nngrade.contract import MODULES
from nngrade.course.attempts import Attempt, StagedFile
from nngrade.course.config import Download
from nngrade.course.roster import Roster, RosterStudent

__all__ = ["DownloadReading", "detect_format", "read_download"]

MAX_ENTRIES = 20_000
MAX_PY_BYTES = 1 << 20
MAX_ZIP_BYTES = 32 << 20
MAX_DEPTH = 4
MAX_RATIO = 200
UNSAFE = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|]')

CANVAS_RE = re.compile(
    r"^(?:(?P<name>.*?)_)?(?:(?P<late>LATE)_)?(?P<uid>\d+|anon_[A-Za-z0-9]+)_(?P<fid>\d+)_"
    r"(?P<file>.+)$")
MOODLE_RE = re.compile(
    r"^(?P<name>.+)_(?P<pid>\d+)_assignsubmission_(?P<plugin>[a-z]+)_(?P<rest>.*)$")
RESUBMITTED_RE = re.compile(r"^(?P<stem>.+)-(?P<n>\d+)(?P<ext>\.py)$")


@dataclass(frozen=True)
class _Entry:
    parts: tuple[str, ...]
    size: int
    read: Callable[[int], bytes]  # read(limit) -> at most limit + 1 bytes


@dataclass
class DownloadReading:
    """What a download held: one attempt per student found, and everything else said."""

    format: str
    attempts: dict[str, Attempt] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


# ------------------------------------------------------------------ entries


def _safe(part: str) -> bool:
    return (bool(part) and len(part) <= 200 and part not in (".", "..")
            and not part.startswith(".") and not UNSAFE.search(part))


def _dir_entries(root: Path, problems: list[str]) -> list[_Entry]:
    entries: list[_Entry] = []
    stack: list[tuple[Path, tuple[str, ...]]] = [(root, ())]
    while stack:
        folder, prefix = stack.pop()
        try:
            children = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError as exc:
            problems.append(f"{folder}: unreadable ({exc.strerror})")
            continue
        for child in children:
            if len(entries) >= MAX_ENTRIES:
                problems.append(f"{root}: more than {MAX_ENTRIES} files; the rest were not read")
                return entries
            info = child.stat(follow_symlinks=False)
            parts = (*prefix, child.name)
            if stat.S_ISDIR(info.st_mode):
                if len(parts) < MAX_DEPTH:
                    stack.append((Path(child.path), parts))
            elif stat.S_ISREG(info.st_mode):
                entries.append(_Entry(parts, info.st_size, _file_reader(child.path)))
            elif stat.S_ISLNK(info.st_mode):
                problems.append(f"{'/'.join(parts)}: a symbolic link, not followed")
    return entries


def _file_reader(path: str) -> Callable[[int], bytes]:
    def read(limit: int) -> bytes:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
        try:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                raise OSError(f"{path} is not a regular file")
            with os.fdopen(fd, "rb", closefd=False) as fh:
                return fh.read(limit + 1)
        finally:
            os.close(fd)

    return read


def _zip_entries(path: Path, problems: list[str]) -> list[_Entry]:
    try:
        archive = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile, ValueError) as exc:
        problems.append(f"{path}: not a readable zip ({exc})")
        return []
    infos = archive.infolist()
    if len(infos) > MAX_ENTRIES:
        problems.append(f"{path}: more than {MAX_ENTRIES} entries; the rest were not read")
        infos = infos[:MAX_ENTRIES]
    entries = []
    for info in infos:
        if info.is_dir():
            continue
        name = info.filename.replace("\\", "/")
        parts = tuple(p for p in name.split("/") if p not in ("", "."))
        if not parts or name.startswith("/") or ".." in parts or len(parts) > MAX_DEPTH:
            problems.append(f"{path}: skipped the entry {name[:80]!r} (a path outside the "
                            "download)")
            continue
        kind = stat.S_IFMT(info.external_attr >> 16)
        if info.create_system == 3 and kind not in (0, stat.S_IFREG):
            problems.append(f"{path}: skipped {name[:80]!r} (not a regular file)")
            continue
        if info.flag_bits & 0x1:
            problems.append(f"{path}: skipped {name[:80]!r} (encrypted)")
            continue
        entries.append(_Entry(parts, info.file_size, _member_reader(archive, info)))
    return entries


def _member_reader(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> Callable[[int], bytes]:
    def read(limit: int) -> bytes:
        if info.compress_size and info.file_size > 1 << 16 \
                and info.file_size / info.compress_size > MAX_RATIO:
            raise OSError("compressed suspiciously well (a zip bomb?)")
        with archive.open(info) as member:
            return member.read(limit + 1)

    return read


def _entries(download: Download, problems: list[str]) -> list[_Entry]:
    path = download.path
    if path.is_symlink():
        problems.append(f"{path}: a symbolic link, not followed")
        return []
    if path.is_dir():
        return _dir_entries(path, problems)
    if path.is_file() and path.suffix.lower() == ".zip":
        return _zip_entries(path, problems)
    problems.append(f"{path}: neither a folder nor a .zip download")
    return []


def detect_format(names: Iterable[str]) -> str:
    """``moodle``, ``canvas`` or ``folder``, from the download's top-level names."""
    names = list(names)
    if any(MOODLE_RE.match(n) for n in names):
        return "moodle"
    if any(CANVAS_RE.match(n) for n in names):
        return "canvas"
    return "folder"


# ------------------------------------------------------------------ matching names


def name_key(text: str) -> str:
    """A name compared the way LMS file names mangle it: NFC, case-folded, words only."""
    text = unicodedata.normalize("NFC", text).casefold()
    return "".join(ch for ch in text if ch.isalnum())


def _name_variants(student: RosterStudent) -> set[str]:
    variants = {name_key(student.name)}
    words = student.name.replace(",", " ").split()
    if len(words) > 1:
        variants.add(name_key(" ".join(reversed(words))))
        variants.add(name_key(" ".join(words[1:] + words[:1])))
    if student.first_name or student.last_name:
        variants.add(name_key(student.first_name + student.last_name))
        variants.add(name_key(student.last_name + student.first_name))
    return {v for v in variants if v}


def _by_name(roster: Roster) -> dict[str, list[RosterStudent]]:
    index: dict[str, list[RosterStudent]] = {}
    for s in roster.students:
        for key in _name_variants(s):
            index.setdefault(key, [])
            if s not in index[key]:
                index[key].append(s)
    return index


def _match_name(raw: str, index: dict[str, list[RosterStudent]], what: str,
                problems: list[str]) -> RosterStudent | None:
    found = index.get(name_key(raw), [])
    if len(found) == 1:
        return found[0]
    if found:
        problems.append(f"{what}: the name {raw!r} fits {len(found)} roster students "
                        f"({', '.join(s.id for s in found)}); add the LMS ids to the roster")
    else:
        problems.append(f"{what}: nobody on the roster is called {raw!r}; not graded")
    return None


# ------------------------------------------------------------------ files of one student


def _collect(student: str, named: list[tuple[tuple[str, ...], _Entry]], kind: str,
             source: str, received: dt.datetime | None, late: bool,
             notes: list[str]) -> Attempt | None:
    """One attempt from a student's files (relative parts -> entry), read with limits."""
    files: list[StagedFile] = []
    seen: set[tuple[str, ...]] = set()
    for parts, entry in sorted(named, key=lambda x: x[0]):
        shown = "/".join(parts)[:80]
        if not all(_safe(p) for p in parts):
            notes.append(f"skipped {shown!r}: not a plain file name")
            continue
        lower = parts[-1].lower()
        if lower.endswith(".py"):
            limit = MAX_PY_BYTES
        elif lower.endswith(".zip"):
            limit = MAX_ZIP_BYTES
        else:
            notes.append(f"ignored {shown!r}: only .py files and .zip archives are graded")
            continue
        if entry.size > limit:
            notes.append(f"skipped {shown!r}: larger than {limit >> 20} MB")
            continue
        try:
            data = entry.read(limit)
        except (OSError, zipfile.BadZipFile, RuntimeError, ValueError) as exc:
            notes.append(f"skipped {shown!r}: unreadable ({exc})")
            continue
        if len(data) > limit:
            notes.append(f"skipped {shown!r}: larger than {limit >> 20} MB")
            continue
        if parts in seen:
            notes.append(f"skipped a second {shown!r}")
            continue
        seen.add(parts)
        files.append(StagedFile(parts, data))
    if not files:
        notes.append("no .py file or .zip archive in this hand-in")
    digest = hashlib.sha256()
    for f in sorted(files, key=lambda f: f.parts):
        name = "/".join(f.parts).encode("utf-8", "surrogateescape")
        digest.update(len(name).to_bytes(4, "big") + name + len(f.data).to_bytes(8, "big"))
        digest.update(f.data)
    return Attempt(student, digest.hexdigest(), received, kind, source,
                   files=tuple(files), reported_late=late, notes=tuple(notes))


def _canvas_name(display: str, taken: set[str]) -> tuple[str, str | None]:
    """Undo Canvas's ``-1`` suffix on a re-uploaded contract module."""
    match = RESUBMITTED_RE.match(display)
    contract = {f"{m}.py" for m in MODULES}
    if match and display not in contract:
        original = match["stem"] + match["ext"]
        if original in contract and original not in taken:
            return original, f"{display} was graded as {original} (Canvas renames re-uploads)"
    return display, None


# ------------------------------------------------------------------ the three layouts


def _read_canvas(entries: list[_Entry], roster: Roster, source: str,
                 reading: DownloadReading) -> None:
    by_canvas_id = roster.by("canvas_id")
    by_name = _by_name(roster)
    groups: dict[str, dict[str, object]] = {}
    for entry in entries:
        if len(entry.parts) != 1:
            reading.problems.append(f"{'/'.join(entry.parts)[:80]}: not a Canvas file name "
                                    "(Canvas downloads are flat); skipped")
            continue
        match = CANVAS_RE.match(entry.parts[0])
        if match is None:
            reading.problems.append(f"{entry.parts[0][:80]}: not a Canvas file name "
                                    "(name_userid_fileid_filename); skipped")
            continue
        uid = match["uid"]
        group = groups.setdefault(uid, {"name": match["name"] or "", "late": False,
                                        "files": []})
        group["late"] = bool(group["late"]) or bool(match["late"])
        files = group["files"]
        assert isinstance(files, list)
        files.append((match["file"], entry))
    for uid, group in sorted(groups.items()):
        what = f"Canvas user {uid} ({group['name']})"
        student = by_canvas_id.get(uid)
        if student is None and uid.startswith("anon_"):
            reading.problems.append(f"{what}: an anonymous submission cannot be matched to the "
                                    "roster; download with anonymity off")
            continue
        if student is None:
            student = _match_name(str(group["name"]), by_name, what, reading.problems)
        if student is None:
            continue
        notes: list[str] = []
        named: list[tuple[tuple[str, ...], _Entry]] = []
        raw_files = group["files"]
        assert isinstance(raw_files, list)
        plain = {display for display, _ in raw_files}
        for display, entry in raw_files:
            name, note = _canvas_name(display, plain)
            if note:
                notes.append(note)
            named.append(((name,), entry))
        _add(reading, student.id, _collect(student.id, named, "canvas",
                                           f"{source} (Canvas user {uid})", None,
                                           bool(group["late"]), notes))


def _worksheet(path: Path | None, tz: dt.tzinfo, problems: list[str]
               ) -> dict[str, tuple[str, str, dt.datetime | None]]:
    """Moodle's grading worksheet: participant id -> (full name, email, time of receipt)."""
    if path is None:
        return {}
    try:
        text = path.read_bytes()[: 16 << 20].decode("utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        problems.append(f"{path}: cannot read the grading worksheet ({exc})")
        return {}
    out = {}
    for row in csv.DictReader(io.StringIO(text, newline="")):
        ident = re.search(r"(\d+)\s*$", row.get("Identifier") or "")
        if not ident:
            continue
        when = _moodle_time(row.get("Last modified (submission)") or "", tz)
        out[ident.group(1)] = ((row.get("Full name") or "").strip(),
                               (row.get("Email address") or "").strip(), when)
    if not out:
        problems.append(f"{path}: no 'Identifier' rows; is it Moodle's grading worksheet?")
    return out


MOODLE_TIME_FORMATS = ("%A, %d %B %Y, %I:%M %p", "%d %B %Y, %I:%M %p", "%A, %d %B %Y, %H:%M",
                       "%d %B %Y, %H:%M")


def _moodle_time(text: str, tz: dt.tzinfo) -> dt.datetime | None:
    """A worksheet date, in the course's time: e.g. "Monday, 21 September 2026, 11:59 PM"."""
    text = " ".join(text.split())
    for fmt in MOODLE_TIME_FORMATS:
        try:
            return dt.datetime.strptime(text, fmt).replace(tzinfo=tz)
        except ValueError:
            continue
    return None


def _read_moodle(entries: list[_Entry], roster: Roster, source: str, sheet_path: Path | None,
                 tz: dt.tzinfo, reading: DownloadReading) -> None:
    sheet = _worksheet(sheet_path, tz, reading.problems)
    by_email = {s.email.casefold(): s for s in roster.students if s.email}
    by_name = _by_name(roster)
    groups: dict[str, dict[str, object]] = {}
    for entry in entries:
        match = MOODLE_RE.match(entry.parts[0])
        if match is None:
            reading.problems.append(f"{entry.parts[0][:80]}: not a Moodle submission name; "
                                    "skipped")
            continue
        if match["plugin"] != "file":
            continue  # online text, comments...: not code
        if len(entry.parts) > 1:  # folders: Name_id_assignsubmission_file_/path/file
            if match["rest"]:
                reading.problems.append(f"{entry.parts[0][:80]}: unexpected folder name; skipped")
                continue
            inner = entry.parts[1:]
        else:  # flat: Name_id_assignsubmission_file_file
            inner = (match["rest"],)
        group = groups.setdefault(match["pid"], {"name": match["name"], "files": []})
        files = group["files"]
        assert isinstance(files, list)
        files.append((inner, entry))
    for pid, group in sorted(groups.items()):
        what = f"Moodle participant {pid} ({group['name']})"
        student = None
        received = None
        if pid in sheet:
            full, email, received = sheet[pid]
            student = by_email.get(email.casefold()) if email else None
            if student is None and full:
                student = _match_name(full, by_name, what, reading.problems)
        else:
            if sheet:
                reading.problems.append(f"{what}: not in the grading worksheet")
            student = _match_name(str(group["name"]), by_name, what, reading.problems)
        if student is None:
            continue
        notes = [] if received or not sheet else ["the worksheet gives no time of receipt"]
        raw_files = group["files"]
        assert isinstance(raw_files, list)
        _add(reading, student.id, _collect(student.id, raw_files, "moodle",
                                           f"{source} (Moodle participant {pid})", received,
                                           False, notes))


def _read_folder(entries: list[_Entry], roster: Roster, source: str,
                 received: dt.datetime | None, reading: DownloadReading) -> None:
    ids = set(roster.ids())
    groups: dict[str, list[tuple[tuple[str, ...], _Entry]]] = {}
    for entry in entries:
        top = entry.parts[0]
        if top.startswith(".") or top in ("__MACOSX",):
            continue
        inner: tuple[str, ...]
        if len(entry.parts) == 1:
            if not top.lower().endswith(".zip"):
                continue  # a README beside the hand-ins
            student, inner = top[:-4], (f"{top[:-4]}.zip",)
        else:
            student, inner = top, entry.parts[1:]
        groups.setdefault(student, []).append((inner, entry))
    for student, named in sorted(groups.items()):
        if student not in ids:
            reading.problems.append(f"{source}: {student!r} is not on the roster; not graded")
            continue
        notes = [] if received else ["no time of receipt is known for this folder"]
        _add(reading, student, _collect(student, named, "folder", f"{source}/{student}",
                                        received, False, notes))


def _add(reading: DownloadReading, student: str, attempt: Attempt | None) -> None:
    if attempt is None:
        return
    if student in reading.attempts:
        reading.problems.append(f"{student}: found twice in one download ({attempt.source_path} "
                                f"and {reading.attempts[student].source_path}); the first is used")
        return
    reading.attempts[student] = attempt


def read_download(download: Download, roster: Roster, tz: dt.tzinfo) -> DownloadReading:
    """Every student's hand-in in one LMS download (or plain folder), as attempts."""
    problems: list[str] = []
    entries = _entries(download, problems)
    fmt = download.format
    if fmt == "auto":
        fmt = detect_format(e.parts[0] for e in entries)
    reading = DownloadReading(fmt, problems=problems)
    source = str(download.path)
    if fmt == "canvas":
        _read_canvas(entries, roster, source, reading)
    elif fmt == "moodle":
        _read_moodle(entries, roster, source, download.worksheet, tz, reading)
    else:
        _read_folder(entries, roster, source, download.received, reading)
    return reading
