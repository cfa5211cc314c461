"""Translations of the report pages' own words (their headings, labels and explanations).

English is the source language: every user-visible string in the templates
and in this package is an English gettext msgid, and ``locale/<lang>/
LC_MESSAGES/messages.po`` holds its translation. Catalogs are compiled from
the .po text at first use (babel), so there is no build step and no stale
.mo file can disagree with the .po a translator just edited.

What the grader says about a submission (feedback, mistakes, notes) is not
here: results.json stores it as messages by id (`nngrade.messages`, whose
catalogs also ship to students), and test titles are translated by test id
(``suites/titles.toml``). The report renders both in its language.
"""

from __future__ import annotations

import gettext
import io
from functools import cache
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

__all__ = [
    "DOMAIN",
    "LOCALE_DIR",
    "SUPPORTED_LANGS",
    "N_",
    "html_lang",
    "normalize_lang",
    "translations",
]

DOMAIN = "messages"
LOCALE_DIR = Path(__file__).parent / "locale"

# Language code -> the value of <html lang="..."> (which also picks CJK glyph variants).
SUPPORTED_LANGS: dict[str, str] = {"en": "en", "zh": "zh-CN"}


def N_(message: str) -> str:
    """Mark a string for extraction into the catalog without translating it yet."""
    return message


def normalize_lang(lang: str) -> str:
    """``"zh_CN"``, ``"zh-Hans"`` and ``"ZH"`` all mean ``"zh"``; unknown languages are an error."""
    code = (lang or "en").replace("-", "_").split("_")[0].strip().lower()
    if code not in SUPPORTED_LANGS:
        known = ", ".join(sorted(SUPPORTED_LANGS))
        raise ValueError(f"no report translation for language {lang!r}; use one of: {known}")
    return code


def html_lang(lang: str) -> str:
    return SUPPORTED_LANGS[normalize_lang(lang)]


@cache
def translations(lang: str) -> gettext.NullTranslations:
    """The compiled catalog of ``lang`` (English needs none: msgids are English)."""
    code = normalize_lang(lang)
    if code == "en":
        return gettext.NullTranslations()
    po = LOCALE_DIR / code / "LC_MESSAGES" / f"{DOMAIN}.po"
    if not po.is_file():
        raise FileNotFoundError(
            f"the {code!r} report catalog is missing at {po}; reinstall nngrade "
            "(the catalogs ship as package data)"
        )
    with po.open("rb") as fh:
        catalog = read_po(fh, locale=code, domain=DOMAIN)
    buf = io.BytesIO()
    write_mo(buf, catalog, use_fuzzy=False)  # fuzzy entries are unchecked guesses: never shown
    buf.seek(0)
    return gettext.GNUTranslations(buf)
