"""The semester texts in English and Chinese: the course page and ``nngrade gradebook show``.

English is the source language (the msgids); ``locale/zh/LC_MESSAGES/
gradebook.po`` holds the Chinese, in the lecture's own words (作业, 截止时间,
迟交, 延期, 人工调整...). The catalog is compiled from the .po text on first
use, like the reports' catalog, so there is no build step and no stale
.mo file. It is a catalog of its own (domain ``gradebook``) so that the
semester pages can change without touching the reports' translations.
"""

from __future__ import annotations

import gettext
import io
from functools import cache
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

__all__ = ["LANGS", "N_", "catalog", "missing_translations", "normalize"]

DOMAIN = "gradebook"
LOCALE_DIR = Path(__file__).parent / "locale"
LANGS = ("en", "zh")


def N_(message: str) -> str:
    """Mark a string for the catalog without translating it here."""
    return message


def normalize(lang: str | None) -> str:
    code = (lang or "en").replace("-", "_").split("_")[0].strip().lower()
    if code not in LANGS:
        raise ValueError(f"no translation for language {lang!r}; use one of: {', '.join(LANGS)}")
    return code


def _po_path(code: str) -> Path:
    return LOCALE_DIR / code / "LC_MESSAGES" / f"{DOMAIN}.po"


@cache
def catalog(lang: str) -> gettext.NullTranslations:
    code = normalize(lang)
    if code == "en":
        return gettext.NullTranslations()
    with _po_path(code).open("rb") as fh:
        po = read_po(fh, locale=code, domain=DOMAIN)
    buf = io.BytesIO()
    write_mo(buf, po, use_fuzzy=False)
    buf.seek(0)
    return gettext.GNUTranslations(buf)


def missing_translations(lang: str, messages: list[str]) -> list[str]:
    """The messages ``lang`` leaves in English (the tests require none)."""
    t = catalog(lang)
    return [m for m in messages if t.gettext(m) == m]
