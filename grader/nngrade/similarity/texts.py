"""The similarity report's words, in English and Chinese, from one data file.

The report is read by instructors, in either language (``--lang``), so
every sentence lives in ``texts.toml`` next to this module with both
versions side by side, and the templates and messages only name a key:
a translator edits one file, and a test fails when a key lacks a language
or the two versions disagree on their ``{placeholders}``. Placeholders
carry numbers, student ids and file names, never words to translate.
"""

from __future__ import annotations

import string
import sys
from functools import cache
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

__all__ = ["LANGS", "TEXTS_FILE", "Texts", "catalog", "placeholders"]

TEXTS_FILE = Path(__file__).with_name("texts.toml")
LANGS = {"en": "en", "zh": "zh-CN"}  # language -> <html lang>


def placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


@cache
def catalog() -> dict[str, dict[str, str]]:
    """key -> {"en": ..., "zh": ...}, checked for completeness as it is loaded."""
    with TEXTS_FILE.open("rb") as fh:
        data = tomllib.load(fh)
    for key, versions in data.items():
        missing = [lang for lang in LANGS if not versions.get(lang)]
        if missing:
            raise ValueError(f"{TEXTS_FILE}: [{key}] has no {', '.join(missing)} text")
        if len({frozenset(placeholders(versions[lang])) for lang in LANGS}) != 1:
            raise ValueError(f"{TEXTS_FILE}: [{key}] has different placeholders per language")
    return data


class Texts:
    """The sentences of one language: ``t("key", name=value)``."""

    def __init__(self, lang: str) -> None:
        code = (lang or "en").replace("-", "_").split("_")[0].lower()
        if code not in LANGS:
            raise ValueError(f"no report language {lang!r}; use one of: {', '.join(LANGS)}")
        self.lang = code
        self.html_lang = LANGS[code]

    def __call__(self, key: str, **params: Any) -> str:
        return catalog()[key][self.lang].format(**params)
