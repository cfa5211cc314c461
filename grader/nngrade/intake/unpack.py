"""Read a folder of hand-ins into `nngrade.records.Submission`: sources as data, never on disk.

A hand-in is a folder or a ``.zip`` named by the student's id (``alice/``,
``alice.zip``). The module files sit at its top level, under ``exercises/``,
or inside one wrapping folder (``alice/exercises/...``, what zipping a folder
gives). Everything here is written for hostile input:

- zips are read member by member into memory, never extracted, so an entry
  named ``../../x`` or ``/etc/x`` cannot land anywhere; such entries, symlinks,
  device files, encrypted members, oversized files and zip bombs are skipped
  with a warning (we read only the few ``.py`` files we need, each with a
  bounded read, whatever size the archive claims);
- in folders, symlinks and anything but regular files are skipped, so a
  hand-in cannot make the grader read ``/etc/shadow`` into the sandbox;
- every problem is a per-student message (``warnings``) or, if nothing can
  be graded, ``error``: one broken hand-in never stops a batch.

Sources are decoded as Python does (a BOM or a PEP 263 coding line is
honoured), invalid bytes replaced with a warning, line endings normalised.
"""

from __future__ import annotations

import hashlib
import io
import os
import stat
import tokenize
import unicodedata
import zipfile
from pathlib import Path

from nngrade.contract import module_names
from nngrade.records import Submission

__all__ = ["content_sha256", "discover", "read_submission", "student_id"]

MAX_FILE_BYTES = 1 << 20  # one source file (the sandbox's Limits.max_module_bytes)
MAX_TOTAL_BYTES = 16 << 20  # all source files of one hand-in
MAX_ENTRIES = 2000  # members of one zip / files looked at in one folder
MAX_RATIO = 200  # uncompressed / compressed size beyond which a member is a bomb
MAX_ID_LENGTH = 100
EXERCISES = "exercises"
JUNK_DIRS = frozenset({"__MACOSX", "__pycache__", ".git", ".ipynb_checkpoints", ".idea", ".vscode"})
CONTRACT = frozenset(module_names())


def content_sha256(files: dict[str, str]) -> str:
    """A digest of the sources that ignores file order, archive format and timestamps."""
    digest = hashlib.sha256()
    for name in sorted(files):
        data = files[name].encode("utf-8", "surrogatepass")
        digest.update(f"{name}\0{len(data)}\0".encode())
        digest.update(data)
    return digest.hexdigest()


def student_id(raw: str) -> tuple[str, list[str]]:
    """A safe student id from a folder or zip name, and what was changed.

    Letters of any script, digits and ``-_.@+`` are kept; anything else (path
    separators, control characters, spaces...) becomes ``_``. The id names
    the student's report folder, so it can never be ``.``, ``..`` or empty.
    """
    notes: list[str] = []
    text = unicodedata.normalize("NFC", raw).strip()
    cleaned = "".join(ch if ch.isalnum() or ch in "-_.@+" else "_" for ch in text)
    cleaned = cleaned.lstrip(".")[:MAX_ID_LENGTH]
    if not cleaned.strip("_"):
        cleaned = "unnamed-" + hashlib.sha256(raw.encode("utf-8", "replace")).hexdigest()[:8]
    if cleaned != raw:
        notes.append(f"the student id {raw!r} is used as {cleaned!r}")
    return cleaned, notes


def discover(folder: Path | str) -> list[Submission]:
    """Every hand-in in ``folder`` (its sub-folders and ``.zip`` files), sorted by name.

    Hidden entries and other files (a README, a .DS_Store) are not hand-ins
    and are skipped.
    """
    folder = Path(folder)
    found: list[Submission] = []
    for entry in sorted(folder.iterdir(), key=lambda p: p.name):
        if entry.name.startswith(".") or entry.name in JUNK_DIRS or entry.is_symlink():
            continue
        if entry.is_dir() or (entry.is_file() and entry.suffix.lower() == ".zip"):
            found.append(read_submission(entry))
    return found


def read_submission(path: Path | str, student: str | None = None) -> Submission:
    """One hand-in (a folder or a .zip); never raises for a bad hand-in."""
    path = Path(path)
    raw_id = student if student is not None else (path.stem if path.is_file() else path.name)
    sid, notes = student_id(raw_id)
    sub = Submission(student=sid, warnings=notes, origin={"path": str(path), "late": False})
    if sid != raw_id:  # the name as handed in, kept as data (reports escape it on display)
        sub.origin["id_as_given"] = raw_id
    try:
        if path.is_file():
            entries = _zip_entries(path, sub)
        elif path.is_dir():
            entries = _folder_entries(path, sub)
        else:
            sub.error = f"{path.name} is neither a folder nor a .zip file"
            return sub
        if entries is not None and sub.error is None:
            _collect(entries, sub)
    except Exception as exc:  # noqa: BLE001 - one hand-in must never stop the batch
        sub.error = f"the hand-in could not be read ({type(exc).__name__}: {exc})"
        sub.sources = {}
    sub.content_sha256 = content_sha256(sub.sources)
    return sub


# ------------------------------------------------------------------ sources of bytes


class _Entry:
    """A candidate source file: its relative path and a bounded reader."""

    def __init__(self, parts: tuple[str, ...], size: int, reader: object) -> None:
        self.parts = parts
        self.size = size
        self.reader = reader  # () -> bytes (at most MAX_FILE_BYTES + 1)

    def read(self) -> bytes:
        return self.reader()  # type: ignore[operator]


def _zip_entries(path: Path, sub: Submission) -> list[_Entry] | None:
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        sub.error = f"{path.name} is not a readable zip archive ({exc})"
        return None
    infos = archive.infolist()
    if len(infos) > MAX_ENTRIES:
        sub.error = f"{path.name} has {len(infos)} entries (at most {MAX_ENTRIES} are read)"
        return None
    entries: list[_Entry] = []
    seen: set[tuple[str, ...]] = set()
    skipped: list[str] = []
    junk: set[str] = set()
    for info in infos:
        name = info.filename.replace("\\", "/")
        parts = tuple(p for p in name.split("/") if p not in ("", "."))
        if info.is_dir() or not parts:
            continue
        shown = _short(name)
        if name.startswith("/") or ".." in parts or (len(parts[0]) == 2 and parts[0][1] == ":"):
            skipped.append(f"{shown} (a path outside the hand-in)")
            continue
        if any(p in JUNK_DIRS for p in parts):
            junk.update(p for p in parts if p in JUNK_DIRS)
            continue
        mode = info.external_attr >> 16
        kind = stat.S_IFMT(mode)
        if info.create_system == 3 and kind not in (0, stat.S_IFREG):
            what = "a symbolic link" if kind == stat.S_IFLNK else "not a regular file"
            skipped.append(f"{shown} ({what})")
            continue
        if info.flag_bits & 0x1:
            skipped.append(f"{shown} (encrypted)")
            continue
        if parts in seen:
            skipped.append(f"{shown} (a second entry with the same name; the first one is used)")
            continue
        seen.add(parts)
        if not parts[-1].endswith(".py"):
            entries.append(_Entry(parts, info.file_size, lambda: b""))
            continue
        if info.file_size > MAX_FILE_BYTES:
            skipped.append(f"{shown} (larger than {MAX_FILE_BYTES // 1024} KB)")
            continue
        if info.compress_size and info.file_size > 1 << 16:
            if info.file_size / info.compress_size > MAX_RATIO:
                skipped.append(f"{shown} (compressed suspiciously well: a zip bomb?)")
                continue
        entries.append(_Entry(parts, info.file_size, _zip_reader(archive, info)))
    if skipped:
        sub.warnings.append("skipped in the archive: " + "; ".join(skipped[:20]))
    _note_junk(junk, sub)
    return entries


def _zip_reader(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> object:
    def read() -> bytes:
        with archive.open(info) as member:
            return member.read(MAX_FILE_BYTES + 1)

    return read


def _folder_entries(root: Path, sub: Submission) -> list[_Entry]:
    entries: list[_Entry] = []
    skipped: list[str] = []
    junk: set[str] = set()
    count = 0
    # Only three levels matter (wrapper/exercises/module.py); walk no deeper.
    stack: list[tuple[Path, tuple[str, ...]]] = [(root, ())]
    while stack:
        folder, prefix = stack.pop()
        try:
            children = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError as exc:
            skipped.append(f"{'/'.join(prefix) or '.'} (unreadable: {exc.strerror})")
            continue
        for child in children:
            count += 1
            if count > MAX_ENTRIES:
                sub.error = f"the folder holds more than {MAX_ENTRIES} files"
                return entries
            parts = (*prefix, child.name)
            if child.name in JUNK_DIRS:
                junk.add(child.name)
                continue
            info = child.stat(follow_symlinks=False)
            if stat.S_ISLNK(info.st_mode):
                skipped.append(f"{'/'.join(parts)} (a symbolic link)")
            elif stat.S_ISDIR(info.st_mode):
                if len(parts) < 3:
                    stack.append((Path(child.path), parts))
            elif not stat.S_ISREG(info.st_mode):
                skipped.append(f"{'/'.join(parts)} (not a regular file)")
            elif not child.name.endswith(".py"):
                entries.append(_Entry(parts, info.st_size, lambda: b""))
            elif info.st_size > MAX_FILE_BYTES:
                skipped.append(f"{'/'.join(parts)} (larger than {MAX_FILE_BYTES // 1024} KB)")
            else:
                entries.append(_Entry(parts, info.st_size, _file_reader(child.path)))
    if skipped:
        sub.warnings.append("skipped in the folder: " + "; ".join(skipped[:20]))
    _note_junk(junk, sub)
    return entries


def _note_junk(junk: set[str], sub: Submission) -> None:
    if junk:
        names = ", ".join(f"{j}/" for j in sorted(junk))
        sub.warnings.append(f"ignored {names} (tool or system files, not part of the exercises)")


def _file_reader(path: str) -> object:
    def read() -> bytes:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
        try:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                raise OSError(f"{path} is not a regular file")
            with os.fdopen(fd, "rb", closefd=False) as handle:
                return handle.read(MAX_FILE_BYTES + 1)
        finally:
            os.close(fd)

    return read


# ------------------------------------------------------------------ layout and decoding


def _base(entries: list[_Entry], sub: Submission) -> tuple[str, ...] | None:
    """The folder (as path parts) that holds the module files."""

    def py_in(prefix: tuple[str, ...]) -> list[_Entry]:
        n = len(prefix)
        return [
            e
            for e in entries
            if len(e.parts) == n + 1 and e.parts[:n] == prefix and e.parts[-1].endswith(".py")
        ]

    def score(prefix: tuple[str, ...]) -> tuple[int, int]:
        found = py_in(prefix)
        return (sum(e.parts[-1][:-3] in CONTRACT for e in found), len(found))

    candidates: list[tuple[str, ...]] = [(), (EXERCISES,)]
    tops = sorted({e.parts[0] for e in entries if len(e.parts) > 1} - {EXERCISES})
    if not py_in(()) and len(tops) == 1:  # one wrapping folder, e.g. alice/...
        candidates += [(tops[0],), (tops[0], EXERCISES)]
    best = max(candidates, key=score)
    if score(best) == (0, 0):
        return None
    used = [c for c in candidates if score(c)[1] and c != best]
    if used:
        other = "/".join(used[0]) or "the top level"
        sub.warnings.append(
            f"module files were found in {other} too; those in "
            f"{'/'.join(best) or 'the top level'} are graded"
        )
    return best


def _collect(entries: list[_Entry], sub: Submission) -> None:
    if not entries:
        sub.error = "the hand-in is empty"
        return
    base = _base(entries, sub)
    if base is None:
        sub.error = "no .py files were found (at the top level, under exercises/, or in one folder)"
        return
    total = 0
    names_lower: dict[str, str] = {}
    for entry in sorted(entries, key=lambda e: e.parts):
        if len(entry.parts) != len(base) + 1 or entry.parts[:-1] != base:
            continue
        filename = entry.parts[-1]
        if not filename.endswith(".py"):
            continue
        module = filename[:-3]
        if not module.isidentifier() or module.startswith("__"):
            sub.warnings.append(f"{filename} is not a valid module name and was skipped")
            continue
        data = entry.read()
        if len(data) > MAX_FILE_BYTES:
            sub.warnings.append(f"{filename} is larger than {MAX_FILE_BYTES // 1024} KB: skipped")
            continue
        total += len(data)
        if total > MAX_TOTAL_BYTES:
            sub.warnings.append(
                f"the sources exceed {MAX_TOTAL_BYTES >> 20} MB: {filename} and "
                f"later files were skipped"
            )
            break
        sub.sources[module] = _decode(filename, data, sub)
        names_lower.setdefault(module.lower(), module)
    for wanted in sorted(CONTRACT - set(sub.sources)):
        actual = names_lower.get(wanted)
        if actual is not None and actual != wanted:
            sub.sources[wanted] = sub.sources.pop(actual)
            sub.warnings.append(f"{actual}.py was graded as {wanted}.py (names are case-sensitive)")
    if not sub.sources:
        sub.error = "no usable module files were found"


def _decode(filename: str, data: bytes, sub: Submission) -> str:
    """Source bytes to text the way Python reads a file; problems become warnings."""
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError:
        encoding = "utf-8"
        sub.warnings.append(f"{filename} declares an unknown encoding; read as UTF-8")
    if data.startswith(b"\xef\xbb\xbf"):
        sub.warnings.append(f"{filename} starts with a byte-order mark; it was removed")
        encoding = "utf-8-sig"
    try:
        text = data.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        text = data.decode("utf-8", "replace")
        sub.warnings.append(
            f"{filename} is not valid {encoding}; undecodable bytes were replaced by \ufffd"
        )
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
        sub.warnings.append(f"{filename} has Windows (CRLF) line endings; they were converted")
    if "\x00" in text:
        sub.warnings.append(f"{filename} contains NUL bytes; Python will refuse to import it")
    return text


def _short(name: str, limit: int = 80) -> str:
    clean = "".join(ch if ch.isprintable() else "?" for ch in name)
    return clean if len(clean) <= limit else clean[: limit - 3] + "..."
