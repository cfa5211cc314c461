"""Keeping the translation catalogs complete: extract, update, check.

Every English string a report can show is collected here from four
places: the templates (``_()``/``ngettext()`` calls), this package's Python
(``N_()``/``gettext()`` marks), the grader's own wording that reaches a
page (``nngrade.mistakes.MISTAKES``, the explanations of the classic
mistakes) and the hidden tests' titles (the first docstring line of each
test in ``grader/suites``, under the message context ``test``). A title is
only a title, never the test's code, and it is already shown in English;
titles and mistake explanations are optional in a catalog (they belong to
the grader, change with it, and a missing one falls back to the grader's
English, by design); everything the report itself says is required.

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

import jinja2.ext
from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_file
from babel.messages.pofile import read_po, write_po

from nngrade.report.i18n import DOMAIN, LOCALE_DIR, SUPPORTED_LANGS

__all__ = [
    "TEST_CONTEXT",
    "extract",
    "missing",
    "po_path",
    "read_catalog",
    "suite_titles",
    "update",
]

PACKAGE_DIR = Path(__file__).parent
SUITES_DIR = PACKAGE_DIR.parent / "suites"
TEST_CONTEXT = "test"
MISTAKE_COMMENT = "mistake code:"
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


def suite_titles(suites: Path = SUITES_DIR) -> list[tuple[str, str, int]]:
    """(title, file, line) of every hidden test: the first line of its docstring."""
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
                    out.append((doc.strip().splitlines()[0].strip(), path.name, node.lineno))
    return out


def extract() -> Catalog:
    """A template catalog (.pot) of every string the reports can show."""
    catalog = Catalog(domain=DOMAIN, project="nngrade", msgid_bugs_address="",
                      copyright_holder="nngrade", charset="utf-8", fuzzy=False)
    for path in sorted([*TEMPLATE_DIR.glob("*.html"), *TEMPLATE_DIR.glob("*.md")]):
        rel = path.relative_to(PACKAGE_DIR).as_posix()
        for lineno, msgid, comments, context in extract_from_file(
            jinja2.ext.babel_extract, str(path), keywords=DEFAULT_KEYWORDS,
            options=_JINJA_OPTIONS,
        ):
            _add(catalog, msgid, context, (rel, lineno), comments)
    for path in sorted(PACKAGE_DIR.glob("*.py")):
        rel = path.relative_to(PACKAGE_DIR).as_posix()
        for lineno, msgid, comments, context in extract_from_file(
            "python", str(path), keywords=DEFAULT_KEYWORDS
        ):
            _add(catalog, msgid, context, (rel, lineno), comments)
    try:
        from nngrade.mistakes import MISTAKES
    except ImportError:  # a report-only checkout: nothing of the grader's to translate
        MISTAKES = {}
    for code, message in MISTAKES.items():
        _add(catalog, message, None, ("../mistakes.py", 0), [f"{MISTAKE_COMMENT} {code}"])
    for title, name, lineno in suite_titles():
        catalog.add(title, locations=[(f"../suites/{name}", lineno)], context=TEST_CONTEXT,
                    auto_comments=["the title of a hidden test (optional)"])
    return catalog


def po_path(lang: str) -> Path:
    return LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


def read_catalog(lang: str) -> Catalog:
    with po_path(lang).open("rb") as fh:
        return read_po(fh, locale=lang, domain=DOMAIN)


def missing(lang: str, template: Catalog | None = None, *, optional: bool = False) -> list[str]:
    """The msgids of ``template`` that ``lang`` does not translate (or only as fuzzy guesses).

    The grader's own strings (test titles, mistake explanations) count only
    with ``optional=True``.
    """
    template = template or extract()
    have = read_catalog(lang)
    out = []
    for message in template:
        if not message.id or (_is_graders(message) and not optional):
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


def _is_graders(message: object) -> bool:
    """A string the grader owns (a test title or a mistake), not one of the report's own."""
    comments = getattr(message, "auto_comments", []) or []
    return getattr(message, "context", None) == TEST_CONTEXT or any(
        c.startswith(MISTAKE_COMMENT) for c in comments)


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
            extra = [m for m in missing(lang, template, optional=True) if m not in gaps]
            for msgid in extra:
                print(f"{lang}: untranslated (grader's, optional): {msgid!r}")
            if extra:
                print(f"{lang}: {len(extra)} test titles or mistake explanations are shown "
                      "in English until translated")
        return status
    print("usage: python -m nngrade.report.catalog [check|update]", file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
