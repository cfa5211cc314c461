"""Translations for everything a student or instructor reads in a report.

English is the source language: every user-visible string in the templates
and in this package is an English gettext msgid, and ``locale/<lang>/
LC_MESSAGES/messages.po`` holds its translation. Catalogs are compiled from
the .po text at first use (babel), so there is no build step and no stale
.mo file can disagree with the .po a translator just edited.

Strings that come from the grader (mistake explanations, fixed feedback
messages, test titles) are looked up in the same catalog: a string with a
translation is shown translated, any other string is shown in English.
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
    "has_translation",
    "html_lang",
    "normalize_lang",
    "translate_if_known",
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


def has_translation(lang: str, message: str, context: str | None = None) -> bool:
    """True when ``lang`` shows ``message`` in its own words (always true for English)."""
    if normalize_lang(lang) == "en":
        return True
    t = translations(lang)
    if context is None:
        return t.gettext(message) != message
    return t.pgettext(context, message) != message


def translate_if_known(
    lang: str, *candidates: str | None, context: str | None = None
) -> str | None:
    """The first candidate the catalog translates, translated; else None.

    Used for text produced by the grader (e.g. a mistake's explanation, where
    both the message stored in results.json and the current wording of the
    code's message are tried).
    """
    t = translations(lang)
    for text in candidates:
        if not text:
            continue
        if normalize_lang(lang) == "en":
            return text
        out = t.gettext(text) if context is None else t.pgettext(context, text)
        if out != text:
            return out
    return None
