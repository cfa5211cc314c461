"""Keeping the report pages' catalogs complete: extract, update, check.

Every English string a report page says itself is collected here from two
places: the templates (``_()``/``ngettext()`` calls) and this package's
Python (``N_()``/``gettext()`` marks). Everything is required: a page that
mixes languages is a bug. (What the grader says about a submission is not
here: it is stored by message id, `nngrade.messages`, with its catalogs in
``nngrade/catalogs``; the hidden tests' titles are in
``nngrade/suites/titles.toml``. `suite_titles` lists those titles for the
checks of that file.)

``python -m nngrade.report.catalog update`` rewrites ``locale/messages.pot``
and merges new strings into each language's .po (new entries arrive
untranslated; a translator fills them in).
``python -m nngrade.report.catalog check`` lists what is still missing and
exits non-zero, which is also what the test suite asserts for Chinese.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path
from typing import Any, cast

import jinja2.ext
from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_file
from babel.messages.pofile import read_po, write_po

from nngrade.report.i18n import DOMAIN, LOCALE_DIR, SUPPORTED_LANGS

__all__ = [
    "extract",
    "missing",
    "po_path",
    "read_catalog",
    "suite_titles",
    "update",
]

PACKAGE_DIR = Path(__file__).parent
SUITES_DIR = PACKAGE_DIR.parent / "suites"
TEMPLATE_DIR = PACKAGE_DIR / "templates"
POT_PATH = LOCALE_DIR / f"{DOMAIN}.pot"

_JINJA_OPTIONS = {"trimmed": "true", "newstyle_gettext": "true"}


def _add(catalog: Catalog, msgid: str | tuple[str, ...], context: str | None,
         location: tuple[str, int], comments: list[str] | None = None) -> None:
    if not msgid or (isinstance(msgid, tuple) and not msgid[0]):
        return
    catalog.add(msgid, locations=[location], context=context, auto_comments=comments or [],
                flags=("python-format",) if _has_placeholder(msgid) else ())


def _has_placeholder(msgid: str | tuple[str, ...]) -> bool:
    text = msgid if isinstance(msgid, str) else " ".join(msgid)
    return "%(" in text


def suite_titles(suites: Path = SUITES_DIR) -> list[tuple[str, str, str, int]]:
    """(test id, title, file, line) of every hidden test; the title is its docstring's first line.

    The id (``test_activations.test_sigmoid_random``) is the key of the
    title's translations in ``suites/titles.toml``.
    """
    out = []
    for path in sorted(suites.glob("test_*.py")):
        try:
            tree = ast.parse(path.read_text(encoding="utf-8"))
        except (OSError, SyntaxError):
            continue
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and \
                    node.name.startswith("test_"):
                doc = ast.get_docstring(node)
                if doc and doc.strip():
                    out.append((f"{path.stem}.{node.name}", doc.strip().splitlines()[0].strip(),
                                path.name, node.lineno))
    return out


def extract() -> Catalog:
    """A template catalog (.pot) of every string the reports can show."""
    catalog = Catalog(domain=DOMAIN, project="nngrade", msgid_bugs_address="",
                      copyright_holder="nngrade", charset="utf-8", fuzzy=False)
    for path in sorted([*TEMPLATE_DIR.glob("*.html"), *TEMPLATE_DIR.glob("*.md")]):
        rel = path.relative_to(PACKAGE_DIR).as_posix()
        for lineno, msgid, comments, context in extract_from_file(
            cast(Any, jinja2.ext.babel_extract), str(path), keywords=DEFAULT_KEYWORDS,
            options=_JINJA_OPTIONS,
        ):
            _add(catalog, msgid, context, (rel, lineno), comments)
    for path in sorted(PACKAGE_DIR.glob("*.py")):
        rel = path.relative_to(PACKAGE_DIR).as_posix()
        for lineno, msgid, comments, context in extract_from_file(
            "python", str(path), keywords=DEFAULT_KEYWORDS
        ):
            _add(catalog, msgid, context, (rel, lineno), comments)
    return catalog


def po_path(lang: str) -> Path:
    return LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


def read_catalog(lang: str) -> Catalog:
    with po_path(lang).open("rb") as fh:
        return read_po(fh, locale=lang, domain=DOMAIN)


def missing(lang: str, template: Catalog | None = None) -> list[str]:
    """The msgids of ``template`` that ``lang`` does not translate (or only as fuzzy guesses)."""
    template = template or extract()
    have = read_catalog(lang)
    out = []
    for message in template:
        if not message.id:
            continue
        found = have.get(message.id, context=message.context)
        strings = found.string if found is not None else None
        if isinstance(strings, (tuple, list)):
            done = bool(strings) and all(strings)
        else:
            done = bool(strings)
        if found is None or not done or found.fuzzy:
            out.append(message.id if isinstance(message.id, str) else message.id[0])
    return out


def update() -> list[Path]:
    """Rewrite the .pot and merge it into every language's .po; returns the files written."""
    template = extract()
    written = [POT_PATH]
    with POT_PATH.open("wb") as fh:
        write_po(fh, template, width=100, omit_header=False, sort_output=False)
    for lang in SUPPORTED_LANGS:
        if lang == "en":
            continue
        path = po_path(lang)
        if path.exists():
            catalog = read_catalog(lang)
            catalog.update(template, no_fuzzy_matching=True)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            catalog = Catalog(locale=lang, domain=DOMAIN, project="nngrade", charset="utf-8",
                              fuzzy=False)
            catalog.update(template, no_fuzzy_matching=True)
        with path.open("wb") as fh:
            write_po(fh, catalog, width=100, ignore_obsolete=True)
        written.append(path)
    return written


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    command = args[0] if args else "check"
    if command == "update":
        for path in update():
            print(f"wrote {path}")
        return 0
    if command == "check":
        status = 0
        template = extract()
        for lang in SUPPORTED_LANGS:
            if lang == "en":
                continue
            gaps = missing(lang, template)
            for msgid in gaps:
                print(f"{lang}: untranslated: {msgid!r}")
            if gaps:
                status = 1
                print(f"{lang}: {len(gaps)} strings need a translation in {po_path(lang)} "
                      "(run `python -m nngrade.report.catalog update` first to add new ones)")
        return status
    print("usage: python -m nngrade.report.catalog [check|update]", file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
