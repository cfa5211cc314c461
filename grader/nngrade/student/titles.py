"""Titles of the checks and hidden tests, in the reader's language.

A test's title is its own description in English: the third argument of a
public check's ``@check(...)``, the first docstring line of a hidden test.
Its translations live in a TOML file beside the tests (``titles.toml`` here
for the public checks, ``nngrade/suites/titles.toml`` for the hidden ones,
which never ships), keyed by the test's id and holding the English they
translate::

    [perceptron.step_basic]
    en = "step([-1, 0, 2]) is [0, 0, 1]: step(0) == 0"
    zh = "step([-1, 0, 2]) 等于 [0, 0, 1]：step(0) == 0"

Keeping the English beside the translation lets a reworded title be
noticed: a translation whose ``en`` no longer matches the test is stale and
is not used (the title shows in English, which the tests of nngrade catch).

This module ships to students: standard library only (tomli on 3.10).
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

__all__ = ["PUBLIC_TITLES", "check_title", "load_titles", "translate_title"]

PUBLIC_TITLES = Path(__file__).resolve().parent / "titles.toml"


@cache
def load_titles(path: Path) -> dict[str, dict[str, str]]:
    """``{test id: {lang: title}}`` from a titles file (empty if there is none)."""
    if not Path(path).is_file():
        return {}
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python 3.10
        import tomli as tomllib
    with Path(path).open("rb") as fh:
        data = tomllib.load(fh)
    out: dict[str, dict[str, str]] = {}

    def walk(table: Mapping[str, Any], prefix: str) -> None:
        for key, value in table.items():
            if isinstance(value, Mapping) and "en" in value and \
                    all(isinstance(v, str) for v in value.values()):
                out[prefix + key] = dict(value)
            elif isinstance(value, Mapping):
                walk(value, f"{prefix}{key}.")

    walk(data, "")
    return out


def translate_title(table: Mapping[str, Mapping[str, str]], key: str, english: str,
                    lang: str) -> str:
    """The title of test ``key`` in ``lang``; its English when no current translation exists."""
    if lang == "en":
        return english
    entry = table.get(key)
    if entry is None or entry.get("en", "").strip() != english.strip():
        return english  # missing or stale
    return entry.get(lang) or english


def check_title(check: Any, lang: str) -> str:
    """A public check's title (``check.key``, ``check.title``) in ``lang``."""
    return translate_title(load_titles(PUBLIC_TITLES), check.key, check.title, lang)
