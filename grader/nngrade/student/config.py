"""The course's ``nngrade.toml``: what a course tells ``nngrade check`` and ``nngrade submit``.

A course hands its students a folder holding ``nngrade.toml``::

    [course]
    inbox = "/mnt/course/inbox"   # where ``nngrade submit`` hands in (relative: to this file)
    student = "2024011234"        # optional: the student's id, so --student can be left out
    lang = "zh"                   # optional: the language check and submit speak

The nearest such file in the exercises folder, the current folder or any of
their parents is used. Only these keys are read; anything else is ignored,
so a newer course file still works with an older tool.

This module ships to students: standard library and nngrade's own messages
(tomli on Python 3.10).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from nngrade.messages import msg
from nngrade.student.errors import StudentError

__all__ = ["CONFIG_NAME", "ConfigError", "course_settings", "find_config"]

CONFIG_NAME = "nngrade.toml"
_KEYS = ("inbox", "student", "lang")


class ConfigError(StudentError):
    """The course file cannot be used; the message says which file and what to do."""


def _load_toml(path: Path, lang: str) -> dict[str, Any]:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python 3.10
        import tomli as tomllib
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(msg("config.unreadable", path=str(path), error=str(exc)), lang) from exc


def find_config(*starts: Path) -> Path | None:
    """The nearest ``nngrade.toml`` in any of ``starts`` or their parents."""
    for start in starts:
        for folder in [start.resolve(), *start.resolve().parents]:
            candidate = folder / CONFIG_NAME
            if candidate.is_file():
                return candidate
    return None


def course_settings(config: Path | None, lang: str = "en") -> dict[str, str]:
    """The ``[course]`` table of the config file; relative ``inbox`` paths are resolved.

    ``lang`` is only the language of the error, should the file be unusable.
    """
    if config is None:
        return {}
    course = _load_toml(config, lang).get("course", {})
    if not isinstance(course, dict):
        raise ConfigError(msg("config.not_a_table", path=str(config)), lang)
    out = {k: str(v) for k, v in course.items() if k in _KEYS}
    if "inbox" in out:
        inbox = Path(out["inbox"]).expanduser()
        out["inbox"] = str(inbox if inbox.is_absolute() else (config.parent / inbox))
    return out
