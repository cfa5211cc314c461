"""Which language ``nngrade check`` and ``nngrade submit`` speak.

Explicit beats implicit: the student's ``--lang`` first, then the course's
choice (``lang = "zh"`` under ``[course]`` in ``nngrade.toml``), then the
locale of the student's shell (``LC_ALL``, else ``LC_MESSAGES``, else
``LANG``, as POSIX orders them), then English. The course outranks the
locale because many machines a class works on (lab computers, containers,
remote notebooks) run an English or "C" locale whatever their users read;
a course that says Chinese means Chinese.
"""

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["LANGS", "choose_language", "locale_language", "normalize"]

LANGS = ("en", "zh")
_LOCALE_VARIABLES = ("LC_ALL", "LC_MESSAGES", "LANG")


def normalize(code: str | None) -> str | None:
    """``"zh_CN.UTF-8"``, ``"zh-Hans"``, ``"ZH"`` -> ``"zh"``; ``"C"``/``"POSIX"`` -> ``"en"``.

    None for an empty value or a language nngrade does not speak.
    """
    if not code:
        return None
    text = str(code).strip()
    if text.upper() in ("C", "POSIX") or text.upper().startswith("C."):
        return "en"
    head = text.replace("-", "_").split(".")[0].split("@")[0].split("_")[0].lower()
    return head if head in LANGS else None


def locale_language(environ: Mapping[str, str]) -> str | None:
    """The language the shell's locale asks for, or None when it names none nngrade speaks.

    The first of LC_ALL, LC_MESSAGES, LANG that is set decides, as it does
    for every other program on the machine.
    """
    for variable in _LOCALE_VARIABLES:
        value = environ.get(variable, "")
        if value:
            return normalize(value)
    return None


def choose_language(option: str | None, course: str | None,
                    environ: Mapping[str, str]) -> str:
    """The language to speak: ``--lang``, else the course's, else the locale's, else English."""
    for candidate in (normalize(option), normalize(course), locale_language(environ)):
        if candidate:
            return candidate
    return "en"
