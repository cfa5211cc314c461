"""The folder of ``OUT`` that holds one student's results: a name no hand-in can turn against us.

A student id is whatever a folder or a zip in the hand-ins was called, so it
can be ``run.json``, ``index.html``, ``gradebook.csv``, ``slurm``, start with
``-`` (an option to every shell tool) or be 200 characters of another
script. ``OUT`` holds both the students' folders and the grader's own files,
so the folder of a student is the id itself only when the id is *plain*:

- it starts with a letter or digit (of any script) and holds only letters,
  digits and ``-_.@+~`` (no separators, no control or bidi characters), in
  Unicode NFC, at most `MAX_PLAIN` characters;
- it is its own case fold (``ada``, ``王小明``; not ``Ada``, not ``straße``):
  OUT may live on a case-insensitive file system (macOS, Windows, a share),
  where ``Ada`` and ``ada`` would be one folder. Two plain ids that differ
  in case cannot both exist, and every id with a capital goes the hashed
  way below, whose digest tells it apart from its lower-case twin;
- it does not end like a file the grader writes (``.json``, ``.html``,
  ``.csv``...), is none of the grader's folder names (`RESERVED`) and no
  Windows device name (an ``OUT`` copied to a Windows share must open).

Every other id gets ``_<readable part>~<12 hex digits of its SHA-256>``.
That is stable (the same id always gets the same folder, so reruns resume),
never plain (it starts with ``_``), so it cannot meet a plain id or a grader
file, and distinct ids get distinct digests (lower-case hex, so they differ in
any case too: ``Ada`` and ``ADA`` get ``_Ada~…`` and ``_ADA~…``, two folders
even where case is ignored). The grader's own names must
therefore never be plain ids: a test lists everything ``nngrade grade``
writes into ``OUT`` and checks it. results.json keeps the id itself
(``nngrade.student``) and the folder (``nngrade.folder``), and gradebook.csv
has both columns, so the mapping is never lost.

This module is a leaf (no nngrade imports): the grader, the reports and the
course gradebook all ask it the same question.
"""

from __future__ import annotations

import hashlib
import unicodedata

__all__ = ["MAX_PLAIN", "RESERVED", "is_plain", "student_folder"]

MAX_PLAIN = 64
# Folders and files the grader (or the tools around it) keep in OUT beside the students'.
RESERVED = frozenset({"slurm", "shards", "staging", "reports", "students", "static", "assets"})
GRADER_SUFFIXES = (".json", ".html", ".htm", ".csv", ".lock", ".tmp", ".db", ".sqlite",
                   ".log", ".txt", ".toml", ".part", ".css", ".js", ".zip")
_WINDOWS = frozenset({"con", "prn", "aux", "nul", *(f"com{i}" for i in range(10)),
                      *(f"lpt{i}" for i in range(10))})
_KEPT = "-_.@+~"


def is_plain(student: str) -> bool:
    """True when ``student`` can name its own folder in OUT as it is."""
    lower = student.lower()
    return (0 < len(student) <= MAX_PLAIN
            and student == unicodedata.normalize("NFC", student)
            and student == student.casefold()
            and student[0].isalnum()
            and all(ch.isalnum() or ch in _KEPT for ch in student)
            and not lower.endswith(GRADER_SUFFIXES)
            and lower not in RESERVED
            and lower.split(".")[0] not in _WINDOWS)


def student_folder(student: str) -> str:
    """The name of ``student``'s folder in OUT (see the module's docstring for the rule)."""
    if is_plain(student):
        return student
    digest = hashlib.sha256(student.encode("utf-8", "surrogatepass")).hexdigest()[:12]
    text = unicodedata.normalize("NFC", student)
    readable = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in text)
    return f"_{readable.strip('_-')[:40]}~{digest}"
