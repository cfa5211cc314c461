"""The lecture's terms (``glossary.toml``), and finding Chinese text that strays from them.

A course in Chinese lives or dies by its terms: a student who reads 早停策略
in the lecture, 提前停止 in a stub and 早停 in a report cannot tell whether
they are three ideas or one. The glossary lists each concept once, as the
lecture writes it, with the other spellings that must not appear;
`violations` finds those in any text, and the test suite runs it over every
Chinese text of the repository (catalogs, titles, report translations,
Chinese documents, stubs and solutions).

``python -m nngrade.glossary FILE...`` checks files by hand.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path

__all__ = ["GLOSSARY", "Term", "Violation", "terms", "violations"]

GLOSSARY = Path(__file__).resolve().parent / "glossary.toml"


@dataclass(frozen=True)
class Term:
    """One concept: the lecture's Chinese term(s), its English, the spellings to avoid."""

    zh: tuple[str, ...]
    en: str
    avoid: tuple[str, ...]
    where: tuple[str, ...]


@dataclass(frozen=True)
class Violation:
    """An avoided spelling found in a text: which, instead of which term, and where."""

    found: str
    preferred: str
    line: int
    text: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.found!r} (the lecture says {self.preferred!r}): " \
               f"{self.text.strip()[:80]}"


@cache
def terms(path: Path = GLOSSARY) -> tuple[Term, ...]:
    """The glossary's terms, in its order."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python 3.10
        import tomli as tomllib
    with Path(path).open("rb") as fh:
        data = tomllib.load(fh)
    return tuple(Term(tuple(t["zh"]), str(t["en"]), tuple(t.get("avoid", ())),
                      tuple(t.get("where", ()))) for t in data["term"])


@cache
def _pairs(path: Path = GLOSSARY) -> tuple[tuple[str, ...], tuple[tuple[str, str], ...]]:
    """Every preferred term, and the (avoided spelling, preferred term) pairs."""
    glossary = terms(path)
    preferred = tuple(sorted({zh for t in glossary for zh in t.zh}, key=len, reverse=True))
    return preferred, tuple((avoid, t.zh[0]) for t in glossary for avoid in t.avoid)


def _spans(line: str, word: str) -> list[tuple[int, int]]:
    return [(m.start(), m.start() + len(word)) for m in re.finditer(re.escape(word), line)]


def violations(text: str, path: Path = GLOSSARY) -> list[Violation]:
    """Every avoided spelling in ``text``, line by line.

    An avoided spelling inside a longer preferred term is fine ("早停" in
    "早停策略"); one that merely contains a preferred term is not
    ("反向模式自动微分" holds "自动微分", and is still the wrong name).
    """
    preferred, pairs = _pairs(path)
    found = []
    for number, line in enumerate(text.splitlines(), 1):
        covers = [(a, b) for term in preferred if term in line for a, b in _spans(line, term)]
        for avoid, term in pairs:
            for a, b in _spans(line, avoid):
                if not any(x <= a and b <= y and y - x > b - a for x, y in covers):
                    found.append(Violation(avoid, term, number, line))
                    break
    return found


def main(argv: list[str] | None = None) -> int:
    problems = 0
    for name in (sys.argv[1:] if argv is None else argv):
        for violation in violations(Path(name).read_text(encoding="utf-8")):
            print(f"{name}: {violation}")
            problems += 1
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
