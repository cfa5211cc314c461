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

import datetime
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
MAX_ENTRIES = 2000  # members of one zip / files looked at in one folder, junk not counted
MAX_RAW_ENTRIES = 200_000  # members of one zip before anything is filtered (zipfile's memory)
MAX_RATIO = 200  # uncompressed / compressed size beyond which a member is a bomb
MAX_ID_LENGTH = 100
EXERCISES = "exercises"
# Folders of tools and systems, never part of the exercises: skipped before the entry limit is
# counted (a project zipped with its virtual environment has thousands of files). A folder
# holding ``pyvenv.cfg`` is a virtual environment whatever it is called.
JUNK_DIRS = frozenset({"__MACOSX", "__pycache__", ".git", ".hg", ".svn", ".ipynb_checkpoints",
                       ".idea", ".vscode", "venv", ".venv", "virtualenv", "site-packages",
                       "dist-packages", "node_modules", ".tox", ".nox", ".mypy_cache",
                       ".pytest_cache", ".ruff_cache", ".DS_Store", ".conda", "conda-meta",
                       ".eggs", "build", "dist"})
VENV_MARKER = "pyvenv.cfg"
# Entries of a folder of hand-ins that systems make: never a student's.
SYSTEM_ENTRIES = frozenset({".DS_Store", ".Spotlight-V100", ".fseventsd", ".cache",
                            ".ipynb_checkpoints", "$RECYCLE.BIN", "System Volume Information",
                            "lost+found", "desktop.ini", "Thumbs.db"})
# Data files students keep next to their code: never read, not counted, named when skipped.
DATA_SUFFIXES = (".csv", ".tsv", ".npy", ".npz", ".pkl", ".pickle", ".h5", ".hdf5", ".mat",
                 ".png", ".jpg", ".jpeg", ".gif", ".bmp", ".svg", ".pdf", ".parquet",
                 ".feather", ".dat", ".bin", ".pt", ".pth", ".ckpt", ".onnx", ".gz", ".tar",
                 ".7z", ".rar", ".mp4", ".wav", ".xlsx", ".xls", ".docx", ".pptx")
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


def _hand_ins(folder: Path) -> list[Path]:
    """The entries of ``folder`` that are hand-ins (sub-folders and ``.zip`` files), by name.

    Files other than zips (a README, a .DS_Store), tool and system folders
    (`JUNK_DIRS`, ``._*`` AppleDouble files, nngrade's own ``.nngrade*``) are
    not hand-ins and are skipped. Any other name is a hand-in, a leading dot
    included: a student whose folder is ``.bob`` must not vanish from the
    class (their id is ``bob``, with a note; `nngrade.folder_names` keeps
    every id's folder apart).
    """
    found = []
    for entry in sorted(folder.iterdir(), key=lambda p: p.name):
        if entry.name in JUNK_DIRS or entry.name.startswith(("._", ".nngrade", ".Trash")) \
                or entry.name in SYSTEM_ENTRIES or entry.is_symlink():
            continue
        if entry.is_dir() or (entry.is_file() and entry.suffix.lower() == ".zip"):
            found.append(entry)
    return found


def hand_in_names(folder: Path | str) -> list[tuple[str, str]]:
    """(entry name, raw student id) of each hand-in `discover` would read, none opened."""
    return [(entry.name, entry.stem if entry.is_file() else entry.name)
            for entry in _hand_ins(Path(folder))]


def discover(folder: Path | str, only: set[str] | None = None) -> list[Submission]:
    """Every hand-in in ``folder`` (its sub-folders and ``.zip`` files), sorted by name;
    with ``only``, just the entries of those names (see `_hand_ins` for what counts)."""
    return [read_submission(entry) for entry in _hand_ins(Path(folder))
            if only is None or entry.name in only]


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

    def __init__(self, parts: tuple[str, ...], size: int, reader: object,
                 mtime: float = 0.0) -> None:
        self.parts = parts
        self.size = size
        self.reader = reader  # () -> bytes (at most MAX_FILE_BYTES + 1)
        self.mtime = mtime  # seconds; a zip's times are local and 2 s coarse, compared only
        # with each other

    def read(self) -> bytes:
        return self.reader()  # type: ignore[operator]


def _zip_entries(path: Path, sub: Submission) -> list[_Entry] | None:
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        sub.error = f"{path.name} is not a readable zip archive ({exc})"
        return None
    infos = archive.infolist()
    if len(infos) > MAX_RAW_ENTRIES:
        sub.error = f"{path.name} has {len(infos)} entries (at most {MAX_ENTRIES} are read)"
        return None
    venvs = {tuple(p for p in info.filename.replace("\\", "/").split("/") if p)[:-1]
             for info in infos if info.filename.replace("\\", "/").endswith("/" + VENV_MARKER)
             or info.filename == VENV_MARKER}
    counted: list[tuple[str, ...]] = []
    for info in infos:
        parts = tuple(p for p in info.filename.replace("\\", "/").split("/") if p not in ("", "."))
        if not info.is_dir() and parts and _sort_out(parts, venvs) is None:
            counted.append(parts)
    if len(counted) > MAX_ENTRIES:
        sub.error = (f"{path.name} has {len(counted)} entries besides tool and data files "
                     f"(at most {MAX_ENTRIES} are read); {_crowded(counted)}")
        return None
    entries: list[_Entry] = []
    seen: set[tuple[str, ...]] = set()
    skipped: list[str] = []
    junk: set[str] = set()
    data: set[str] = set()
    for info in infos:
        name = info.filename.replace("\\", "/")
        parts = tuple(p for p in name.split("/") if p not in ("", "."))
        if info.is_dir() or not parts:
            continue
        shown = _short(name)
        if name.startswith("/") or ".." in parts or (len(parts[0]) == 2 and parts[0][1] == ":"):
            skipped.append(f"{shown} (a path outside the hand-in)")
            continue
        kind_of = _sort_out(parts, venvs)
        if kind_of is not None:
            (data if kind_of == "data" else junk).add(kind_of if kind_of != "data" else
                                                       _suffix(parts[-1]))
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
        entries.append(_Entry(parts, info.file_size, _zip_reader(archive, info),
                              _zip_time(info)))
    if skipped:
        sub.warnings.append("skipped in the archive: " + "; ".join(skipped[:20]))
    _note_junk(junk, data, sub)
    return entries


def _suffix(name: str) -> str:
    return "." + name.rsplit(".", 1)[-1].lower()


def _sort_out(parts: tuple[str, ...], venvs: set[tuple[str, ...]]) -> str | None:
    """Why a file is not part of the exercises: its junk folder (``venv/``), ``"data"``, or None.
    """
    for i, part in enumerate(parts[:-1]):
        if part in JUNK_DIRS:
            return part
        if parts[: i + 1] in venvs:
            return part
    if parts[-1] in JUNK_DIRS:  # .DS_Store
        return parts[-1]
    if parts[-1].lower().endswith(DATA_SUFFIXES):
        return "data"
    return None


def _crowded(paths: list[tuple[str, ...]]) -> str:
    """Where the files are: the folders holding most of them, for the student to remove."""
    counts: dict[str, int] = {}
    for parts in paths:  # two levels deep: a wrapping folder (alice/...) says nothing
        key = ("/".join(parts[:2]) + "/" if len(parts) > 2
               else parts[0] + "/" if len(parts) > 1 else "./")
        counts[key] = counts.get(key, 0) + 1
    top = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:3]
    listed = ", ".join(f"{_short(name, 60)} ({n})" for name, n in top)
    return (f"most are in {listed}: remove what is not your exercises, or hand in "
            f"exercises/ only")


def _zip_time(info: zipfile.ZipInfo) -> float:
    try:
        return datetime.datetime(*info.date_time).timestamp()
    except (ValueError, OverflowError, OSError):
        return 0.0


def _zip_reader(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> object:
    def read() -> bytes:
        with archive.open(info) as member:
            return member.read(MAX_FILE_BYTES + 1)

    return read


def _folder_entries(root: Path, sub: Submission) -> list[_Entry]:
    entries: list[_Entry] = []
    skipped: list[str] = []
    junk: set[str] = set()
    data: set[str] = set()
    seen_paths: list[tuple[str, ...]] = []
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
        if prefix and any(c.name == VENV_MARKER for c in children):
            junk.add(prefix[-1])  # a virtual environment, whatever it is called
            continue
        for child in children:
            parts = (*prefix, child.name)
            if child.name in JUNK_DIRS:
                junk.add(child.name)
                continue
            if child.name.lower().endswith(DATA_SUFFIXES):
                data.add(_suffix(child.name))
                continue
            count += 1
            seen_paths.append(parts)
            if count > MAX_ENTRIES:
                sub.error = (f"the folder holds more than {MAX_ENTRIES} files besides tool and "
                             f"data files; {_crowded(seen_paths)}")
                return entries
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
                entries.append(_Entry(parts, info.st_size, _file_reader(child.path),
                                      info.st_mtime))
    if skipped:
        sub.warnings.append("skipped in the folder: " + "; ".join(skipped[:20]))
    _note_junk(junk, data, sub)
    return entries


def _note_junk(junk: set[str], data: set[str], sub: Submission) -> None:
    if junk:
        names = ", ".join(f"{_short(j, 40)}/" for j in sorted(junk)[:10])
        sub.warnings.append(f"ignored {names} (tool or system files, not part of the exercises)")
    if data:
        kinds = ", ".join(sorted(data)[:10])
        sub.warnings.append(f"ignored data files ({kinds}): only .py files are graded")


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


def _places(entries: list[_Entry], sub: Submission) -> list[tuple[str, ...]] | None:
    """The folders (as path parts) whose module files are graded, the preferred first.

    Module files sit at the top level, under ``exercises/``, or in one wrapping folder
    (``alice/``, ``alice/exercises/``). When contract modules are in more than one of these
    places, each module is graded from its newest copy, and from ``exercises/`` (the
    handout's place) when the copies are as new; a warning says which copy was graded.
    """

    def py_in(prefix: tuple[str, ...]) -> list[_Entry]:
        n = len(prefix)
        return [
            e
            for e in entries
            if len(e.parts) == n + 1 and e.parts[:n] == prefix and e.parts[-1].endswith(".py")
        ]

    def score(prefix: tuple[str, ...]) -> tuple[int, int, bool]:
        found = py_in(prefix)
        return (sum(e.parts[-1][:-3] in CONTRACT for e in found), len(found),
                prefix[-1:] == (EXERCISES,))

    candidates: list[tuple[str, ...]] = [(), (EXERCISES,)]
    tops = sorted({e.parts[0] for e in entries if len(e.parts) > 1} - {EXERCISES})
    if not py_in(()) and len(tops) == 1:  # one wrapping folder, e.g. alice/...
        candidates += [(tops[0],), (tops[0], EXERCISES)]
    ranked = sorted(candidates, key=score, reverse=True)
    best = ranked[0]
    if score(best)[:2] == (0, 0):
        return None
    holding = sorted((c for c in ranked if score(c)[0]), key=lambda c: not score(c)[2])
    if len(holding) > 1:
        return holding
    used = [c for c in candidates if score(c)[1] and c != best]
    if used:
        sub.warnings.append(
            f"module files were found in {_place(used[0])} too; those in "
            f"{_place(best)} are graded"
        )
    return [best]


def _place(prefix: tuple[str, ...]) -> str:
    return "/".join(prefix) if prefix else "the top level"


def _folder(prefix: tuple[str, ...]) -> str:
    return "/".join(prefix) + "/" if prefix else "./"


def _chosen(entries: list[_Entry], places: list[tuple[str, ...]],
            sub: Submission) -> list[_Entry]:
    """The entry of each file name to grade: the one place's, or each module's newest copy."""
    by_place = {p: {e.parts[-1]: e for e in entries
                    if e.parts[:-1] == p and e.parts[-1].endswith(".py")} for p in places}
    if len(places) == 1:
        return list(by_place[places[0]].values())
    chosen: dict[str, _Entry] = {}
    doubles: dict[str, tuple[str, ...]] = {}
    for name in sorted({n for files in by_place.values() for n in files}):
        copies = [(p, by_place[p][name]) for p in places if name in by_place[p]]
        # newest first; as new (2 s, a zip's resolution) -> the first place, exercises/ first
        newest = max(e.mtime for _, e in copies)
        place, entry = next((p, e) for p, e in copies if e.mtime >= newest - 2)
        chosen[name] = entry
        if len(copies) > 1:
            doubles[name] = place
    if doubles:
        which = ", ".join(f"{name} ({_folder(place)})" for name, place in doubles.items())
        sub.warnings.append(
            f"module files were found in {', '.join(_folder(p) for p in places)}; the newest "
            f"copy of each is graded (exercises/ when both are as new): {which}")
    return list(chosen.values())


def _collect(entries: list[_Entry], sub: Submission) -> None:
    if not entries:
        sub.error = "the hand-in is empty"
        return
    places = _places(entries, sub)
    if places is None:
        sub.error = "no .py files were found (at the top level, under exercises/, or in one folder)"
        return
    total = 0
    names_lower: dict[str, str] = {}
    for entry in sorted(_chosen(entries, places, sub), key=lambda e: e.parts[-1]):
        filename = entry.parts[-1]
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
