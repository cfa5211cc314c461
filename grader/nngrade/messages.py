"""Texts by id: every sentence nngrade shows a student, in English and in Chinese.

A verdict is computed once and read many times, and not always in the same
language: results.json is rendered into an English or a Chinese report, now
or after an upgrade, without regrading; ``nngrade check`` speaks whichever
language the course or the student chose. So what a check says is kept as a
`Message`, an id with parameters, never as finished English; the words live
in one catalog per language (``nngrade/catalogs/<lang>.toml``), and values
(numbers, arrays, code, file and function names) are parameters that no
catalog translates.

Why TOML catalogs and not gettext: the student bundle must read them with
the standard library alone (``tomllib``; ``tomli`` on Python 3.10, which the
bundle already depends on), with no build step that a stale compiled file
could get out of step with; ids are stable where English msgids are not (a
reworded sentence must not orphan the verdicts already stored in a class's
results.json); and a translator reads one flat file per language, comments
and multi-line strings included. The report pages' own chrome stays in
gettext (``nngrade.report.i18n``): templates are rendered only on the
instructor's machine, by the jinja2 i18n extension.

Threat model: parameters may hold text from student code (an exception's
message, a returned value's rendering). They are inserted as data and
never formatted again; a template's fields are plain names, checked when a
catalog loads, so no crafted value can reach an attribute or an index.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import string
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, Union, cast

__all__ = [
    "CATALOG_DIR",
    "LANGS",
    "UNTRANSLATED",
    "Message",
    "as_message",
    "catalog",
    "check_catalogs",
    "has_text",
    "msg",
    "render",
    "template_fields",
]

CATALOG_DIR = Path(__file__).resolve().parent / "catalogs"
LANGS = ("en", "zh")
# The id of a text that was handed over as a finished English string (code written
# before ids existed). It renders the text as it is, in every language, so nothing
# breaks; the test that scans Chinese output for English sentences catches it.
UNTRANSLATED = "untranslated"
_PLURAL_KEYS = frozenset({"zero", "one", "two", "few", "many", "other"})

Param = Union[str, int, float, bool, None, "Message", list]


@dataclass(frozen=True, eq=True)
class Message:
    """A text by id: ``Message("compare.shape", {"what": ..., "got": "(3,)"})``.

    Parameter values are str, int, float, bool, None, another Message (rendered
    in the same language) or a list of those (joined with the language's
    list separator). ``str(message)`` is its English text.
    """

    id: str
    params: Mapping[str, Any] = field(default_factory=dict)

    def text(self, lang: str = "en") -> str:
        return render(self, lang)

    def __str__(self) -> str:
        return render(self, "en")

    def __hash__(self) -> int:
        return hash((self.id, tuple(sorted((k, repr(v)) for k, v in self.params.items()))))

    def to_json(self) -> dict[str, Any]:
        """Plain JSON data: ``{"id": ..., "params": {...}}``, nested messages as the same."""
        return {"id": self.id, "params": {k: _param_json(v) for k, v in self.params.items()}}

    @classmethod
    def from_json(cls, data: Any) -> Message | None:
        """The message ``to_json`` wrote, or None for anything that is not one."""
        if not isinstance(data, Mapping) or not isinstance(data.get("id"), str):
            return None
        params = data.get("params")
        params = params if isinstance(params, Mapping) else {}
        return cls(data["id"], {str(k): _param_from_json(v) for k, v in params.items()})


def msg(id: str, **params: Any) -> Message:  # noqa: A002 - "id" is what it is
    """``msg("status.timeout", name="sigmoid")``: a Message, for call sites to read easily."""
    return Message(id, params)


def as_message(text: str | Message) -> Message:
    """A Message as it is; a finished string as the `UNTRANSLATED` message holding it."""
    if isinstance(text, Message):
        return text
    return Message(UNTRANSLATED, {"text": str(text)})


def _param_json(value: Any) -> Any:
    if isinstance(value, Message):
        return value.to_json()
    if isinstance(value, (list, tuple)):
        return [_param_json(v) for v in value]
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    return str(value)


def _param_from_json(value: Any) -> Any:
    if isinstance(value, Mapping):
        return Message.from_json(value) or str(value)
    if isinstance(value, list):
        return [_param_from_json(v) for v in value]
    return value


# ---------------------------------------------------------------- catalogs


def _read_toml(path: Path) -> dict[str, Any]:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python 3.10
        import tomli as tomllib
    with path.open("rb") as fh:
        return tomllib.load(fh)


def _flatten(table: Mapping[str, Any], prefix: str = "") -> dict[str, str | dict[str, str]]:
    """Nested TOML tables to dotted ids; a table of plural forms is one entry."""
    out: dict[str, str | dict[str, str]] = {}
    for key, value in table.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            if value and set(value) <= _PLURAL_KEYS and "other" in value:
                out[name] = {k: str(v) for k, v in value.items()}
            else:
                out.update(_flatten(value, name + "."))
        else:
            out[name] = str(value)
    return out


@cache
def catalog(lang: str) -> dict[str, str | dict[str, str]]:
    """Every id of ``lang``'s catalog with its template (or plural forms)."""
    if lang not in LANGS:
        raise ValueError(f"no catalog for language {lang!r}; use one of: {', '.join(LANGS)}")
    return _flat_catalog(CATALOG_DIR / f"{lang}.toml")


_FLAT_FORMAT = b"nngrade-flat-catalog-1\0"


def _flat_catalog(path: Path) -> dict[str, str | dict[str, str]]:
    """The catalog at ``path`` flattened, through a copy as JSON in ``__pycache__``.

    A cold process (a grading process names its mistakes in English as it
    imports the suites) spent 12 ms importing tomllib and parsing the TOML,
    against under 1 ms for the same ids as JSON. The copy is keyed by a
    digest of the TOML's very bytes, so it can never be out of step with
    the catalog: an edited catalog is parsed again (and its copy rewritten);
    a copy that cannot be read or written changes nothing.
    """
    source = path.read_bytes()
    key = hashlib.blake2b(_FLAT_FORMAT + source, digest_size=16).hexdigest()
    copy = path.parent / "__pycache__" / f"{path.stem}.flat.json"
    with contextlib.suppress(OSError, ValueError):
        kept = json.loads(copy.read_bytes())
        if isinstance(kept, dict) and kept.get("key") == key and \
                isinstance(kept.get("catalog"), dict):
            return cast("dict[str, str | dict[str, str]]", kept["catalog"])
    flat = _flatten(_read_toml(path))
    import tempfile  # only when the copy is (re)written

    with contextlib.suppress(OSError):
        copy.parent.mkdir(exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{copy.name}.", suffix=".tmp", dir=copy.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump({"key": key, "catalog": flat}, handle, ensure_ascii=False)
            os.chmod(tmp, 0o644)  # public text, as the TOML: any user of the install reads it
            os.replace(tmp, copy)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    return flat


def has_text(id: str, lang: str) -> bool:  # noqa: A002
    """True when ``lang``'s own catalog holds ``id`` (no falling back to English)."""
    return id in catalog(lang)


def _template(id: str, lang: str, params: Mapping[str, Any]) -> str | None:  # noqa: A002
    entry = catalog(lang).get(id) if lang in LANGS else None
    if entry is None and lang != "en":
        entry = catalog("en").get(id)
    if entry is None:
        return None
    if isinstance(entry, dict):
        count = params.get("count")
        form = "one" if count == 1 and "one" in entry else "zero" if count == 0 and "zero" in \
            entry else "other"
        return entry[form]
    return entry


@cache
def _parsed(template: str) -> tuple[tuple[str, str | None, str], ...]:
    """(literal, field or None, format spec) pieces; invalid fields stay literal text."""
    pieces = []
    try:
        for literal, name, spec, conversion in string.Formatter().parse(template):
            if name is not None and (not name.isidentifier() or conversion or "{" in (spec or "")):
                literal += "{" + name + (f"!{conversion}" if conversion else "") + \
                    (f":{spec}" if spec else "") + "}"
                name = None
            pieces.append((literal, name, spec or ""))
    except ValueError:  # an unbalanced brace: show the template as it is
        return ((template, None, ""),)
    return tuple(pieces)


def template_fields(template: str) -> set[str]:
    """The parameter names a template uses (for the catalog checks)."""
    return {name for _, name, _ in _parsed(template) if name}


def render(message: Message | str, lang: str = "en") -> str:
    """The text of ``message`` in ``lang`` (English where ``lang`` lacks the id).

    Never raises: an unknown id shows as the id with its parameters, a
    missing parameter as its ``{name}``, so a report or a check always says
    something rather than crash on one odd verdict.
    """
    if not isinstance(message, Message):
        return str(message)
    params = message.params
    template = _template(message.id, lang, params)
    if template is None:
        shown = ", ".join(f"{k}={_value_text(v, '', lang)}" for k, v in params.items())
        return f"{message.id}({shown})" if shown else message.id
    out: list[str] = []
    for literal, name, spec in _parsed(template):
        out.append(literal)
        if name is None:
            continue
        if name not in params:
            out.append("{" + name + "}")
            continue
        out.append(_value_text(params[name], spec, lang))
    return "".join(out)


def _value_text(value: Any, spec: str, lang: str) -> str:
    if isinstance(value, Message):
        return render(value, lang)
    if isinstance(value, (list, tuple)):
        separator = render(Message("list_separator"), lang)
        return separator.join(_value_text(v, "", lang) for v in value)
    if spec and isinstance(value, (int, float)) and not isinstance(value, bool):
        try:
            return format(value, spec)
        except (ValueError, TypeError):
            return str(value)
    return str(value)


# ---------------------------------------------------------------- checking the catalogs


def check_catalogs(langs: Iterable[str] = LANGS) -> list[str]:
    """Problems that make a catalog incomplete or inconsistent; empty when all is well.

    Every id must exist in every language, with the same parameters, and
    plural entries must have an ``other`` form. (The test suite asserts this
    list is empty; ``python -m nngrade.messages`` prints it.)
    """
    langs = list(langs)
    problems: list[str] = []
    tables = {lang: catalog(lang) for lang in langs}
    every = sorted(set().union(*(set(t) for t in tables.values())))
    for id_ in every:
        fields: dict[str, set[str]] = {}
        for lang, table in tables.items():
            entry = table.get(id_)
            if entry is None:
                problems.append(f"{lang}: no text for {id_!r}")
                continue
            forms = entry.values() if isinstance(entry, dict) else [entry]
            if not all(str(form).strip() for form in forms):
                problems.append(f"{lang}: the text of {id_!r} is empty")
            used: set[str] = set()
            for form in forms:
                used |= template_fields(form)
            fields[lang] = used
        if len({frozenset(v) for v in fields.values()}) > 1:
            shown = "; ".join(f"{lang}: {sorted(v)}" for lang, v in fields.items())
            problems.append(f"{id_!r} uses different parameters per language ({shown})")
    return problems


def main() -> int:
    problems = check_catalogs()
    for line in problems:
        print(line)
    print(f"{len(catalog('en'))} ids; {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
