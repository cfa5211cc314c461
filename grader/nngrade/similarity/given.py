"""The code every student was given, which two hand-ins may share without anyone copying.

Students start from the same stubs (``exercises/``: imports, signatures,
docstrings, hints and given code such as ``Variable.__add__``), and the
course prints code of its own: the handout's examples and the lecture's
programs. A match inside that code says nothing about the students, so
every k-gram of it is subtracted from the hand-ins before they are
compared. By default that is the course's ``exercises/*.py`` and the
Python code blocks of its ``docs/*.md`` (the handouts); ``--given`` adds
more: the lecture's own code as ``.py`` files, notebooks (their code
cells) or Markdown (its fenced code blocks), or folders of them.

These files are the instructor's, but they are read the same careful way as
students' files: as text, never run, a file that cannot be read is an error
that names it.
"""

from __future__ import annotations

import json
import re
import textwrap
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from nngrade.similarity.fingerprints import kgram_hashes, token_ids
from nngrade.similarity.tokens import tokenize_source

__all__ = ["GivenCode", "GivenCodeError", "GivenSource", "find_course", "load_given"]

SOURCE_SUFFIXES = (".py",)
MARKDOWN_SUFFIXES = (".md", ".markdown")
NOTEBOOK_SUFFIXES = (".ipynb",)
PYTHON_FENCES = frozenset({"", "python", "py", "python3", "ipython", "ipython3", "pycon"})
MAX_GIVEN_FILES = 2000
_FENCE = re.compile(
    r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})[ \t]*(?P<lang>[\w+.-]*)[^\n]*\n"
    r"(?P<body>.*?)^(?P=indent)(?P=fence)[ \t]*$",
    re.MULTILINE | re.DOTALL,
)


class GivenCodeError(Exception):
    """Given code that cannot be read: the message names the file and what to do."""


@dataclass(frozen=True)
class GivenSource:
    """One file of given code and the pieces of code it holds."""

    path: Path
    label: str  # how the report names it, e.g. "exercises/activations.py"
    kind: str  # "stub", "markdown" or "notebook" or "python"
    pieces: tuple[str, ...]


@dataclass(frozen=True)
class GivenCode:
    """Every k-gram hash of the given code, and where it came from."""

    sources: tuple[GivenSource, ...]
    hashes: np.ndarray  # sorted, distinct

    def __contains__(self, value: object) -> bool:  # for tests: one hash
        return bool(np.isin(np.asarray([value], dtype=np.uint64), self.hashes)[0])


def find_course(option: Path | None) -> Path | None:
    """The course repository: ``--course``, else the checkout nngrade runs from, else the cwd."""
    if option is not None:
        return option
    checkout = Path(__file__).resolve().parents[3]  # grader/nngrade/similarity/given.py
    for root in (checkout, Path.cwd()):
        if (root / "exercises").is_dir():
            return root
    return None


def markdown_code(text: str) -> list[str]:
    """The fenced code blocks of a Markdown text tagged as Python (or untagged)."""
    blocks = []
    for match in _FENCE.finditer(text):
        if match["lang"].lower() in PYTHON_FENCES:
            blocks.append(textwrap.dedent(match["body"]))
    return blocks


def notebook_code(text: str, label: str) -> list[str]:
    """The code cells of a Jupyter notebook (nbformat 4)."""
    try:
        doc = json.loads(text)
    except ValueError as exc:
        raise GivenCodeError(f"{label} is not a readable notebook ({exc}).") from exc
    cells = doc.get("cells", []) if isinstance(doc, dict) else []
    code = []
    for cell in cells if isinstance(cells, list) else []:
        if isinstance(cell, dict) and cell.get("cell_type") == "code":
            source = cell.get("source", "")
            code.append("".join(source) if isinstance(source, list) else str(source))
    return code


def _read_text(path: Path, label: str) -> str:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise GivenCodeError(f"cannot read the given code {label}: {exc.strerror}.") from exc
    text = data.decode("utf-8-sig", errors="replace")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _source(path: Path, label: str, kind: str | None = None) -> GivenSource | None:
    suffix = path.suffix.lower()
    if suffix in SOURCE_SUFFIXES:
        return GivenSource(path, label, kind or "python", (_read_text(path, label),))
    if suffix in MARKDOWN_SUFFIXES:
        return GivenSource(path, label, "markdown", tuple(markdown_code(_read_text(path, label))))
    if suffix in NOTEBOOK_SUFFIXES:
        return GivenSource(path, label, "notebook",
                           tuple(notebook_code(_read_text(path, label), label)))
    return None


def _files(path: Path) -> Iterable[Path]:
    if path.is_dir():
        found = sorted(p for p in path.rglob("*")
                       if p.is_file() and not any(part.startswith(".") for part in p.parts))
        if len(found) > MAX_GIVEN_FILES:
            raise GivenCodeError(f"{path} holds more than {MAX_GIVEN_FILES} files: give the "
                                 "folder of the lecture's code itself.")
        return found
    return [path]


def given_sources(course: Path | None, extra: Sequence[Path]) -> list[GivenSource]:
    """The stubs and handouts of ``course`` (if any) and every file of ``extra``."""
    sources: list[GivenSource] = []
    if course is not None:
        for stub in sorted((course / "exercises").glob("*.py")):
            found = _source(stub, f"exercises/{stub.name}", kind="stub")
            if found is not None:
                sources.append(found)
        for doc in sorted((course / "docs").glob("*.md")):
            found = _source(doc, f"docs/{doc.name}")
            if found is not None and found.pieces:
                sources.append(found)
    for path in extra:
        if not path.exists():
            raise GivenCodeError(f"--given {path}: no such file or folder.")
        for file in _files(path):
            label = str(file.relative_to(path.parent)) if path.is_dir() else path.name
            found = _source(file, label)
            if found is None and not path.is_dir():
                raise GivenCodeError(
                    f"--given {path}: not a .py, .md or .ipynb file (give the lecture's code "
                    "as Python files, Markdown with code blocks, or notebooks).")
            if found is not None:
                sources.append(found)
    return sources


def load_given(course: Path | None, extra: Sequence[Path], k: int) -> GivenCode:
    """Every k-gram hash of the given code, ready to subtract."""
    sources = given_sources(course, extra)
    parts = [np.zeros(0, dtype=np.uint64)]
    for source in sources:
        for piece in source.pieces:
            stream = tokenize_source(piece)
            hashes, _ = kgram_hashes(token_ids(stream.words), stream.units, k)
            parts.append(hashes)
    return GivenCode(tuple(sources), np.unique(np.concatenate(parts)))
