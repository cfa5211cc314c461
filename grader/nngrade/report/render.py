"""The jinja2 environment of the reports (pages reach the disk through `nngrade.atomic`).

One environment per language, with ``jinja2.ext.i18n`` bound to that
language's catalog, so a template says ``{{ _("Score") }}`` and never holds
a translated word itself. Autoescaping is on: student ids, test titles and
feedback text are data, and a submission must not be able to put markup
into a page the instructor opens.
"""

from __future__ import annotations

import re
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup, escape

from nngrade.atomic import write_atomic  # re-exported: the report modules write pages with it
from nngrade.report.i18n import html_lang, normalize_lang, translations
from nngrade.report.model import fmt_points
from nngrade.visible import visible

__all__ = ["TEMPLATE_DIR", "environment", "grid_script", "prepare", "render", "stylesheet",
           "write_atomic"]

TEMPLATE_DIR = Path(__file__).parent / "templates"


def _width(value: float | None) -> str:
    """A CSS width for a bar from a percentage (None, for nothing to score, draws nothing)."""
    if value is None:
        return "0%"
    return f"{max(0.0, min(100.0, float(value))):.2f}%"


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value:.0f}"


_CODE_SPAN = re.compile(r"`([^`\n]+)`")


def message_html(text: str) -> Markup:
    """A rendered message as HTML: escaped, with its `code` spans as <code> elements.

    The text may hold a student's values (names, numbers): it is escaped
    first, so a backtick span can only ever wrap escaped text.
    """
    escaped = str(escape(visible(text)))
    return Markup(_CODE_SPAN.sub(lambda m: f"<code>{m.group(1)}</code>", escaped))


def _shown(value: Any) -> Any:
    """Every ``{{ }}`` of a page: control and bidi characters become visible escapes, in
    plain text and in markup built from it alike (they are never part of markup)."""
    if isinstance(value, Markup):
        return Markup(visible(str(value)))
    if isinstance(value, str):
        return visible(value)
    return value


@cache
def _bytecode_cache() -> jinja2.BytecodeCache | None:
    """Compiled templates kept between runs: compiling the four pages cost a cold
    `nngrade grade` of one hand-in a fifth of a second, every time.

    jinja2's own cache folder (``_jinja2-cache-<uid>`` in the temporary folder,
    created mode 0700 and refused unless this user owns it); an entry is used
    only while its template's source is unchanged. None where it cannot be made.
    """
    try:
        return jinja2.FileSystemBytecodeCache()
    except (OSError, RuntimeError):
        return None


def prepare(lang: str) -> None:
    """Import and compile what the pages of ``lang`` need before the first is due.

    ``nngrade grade`` calls it while its grading processes work, so a single
    hand-in does not wait for it after its grading.
    """
    env = environment(lang)
    for name in ("base.html", "student.html", "passed_row.html", "summary.html"):
        env.get_template(name)


@cache
def environment(lang: str) -> jinja2.Environment:
    code = normalize_lang(lang)
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATE_DIR),
        bytecode_cache=_bytecode_cache(),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
        finalize=_shown,
    )
    env.policies["ext.i18n.trimmed"] = True
    env.install_gettext_translations(translations(code), newstyle=True)  # type: ignore[attr-defined]
    env.filters["points"] = fmt_points
    env.filters["width"] = _width
    env.filters["pct"] = _pct
    env.filters["msgtext"] = message_html
    env.filters["minibars"] = _minibars
    env.globals["lang"] = code
    env.globals["html_lang"] = html_lang(code)
    env.globals["passed_row"] = lambda t: _passed_row(code, t.anchor, t.kind, t.score,
                                                      t.max_score, t.module, t.name, t.title)
    return env


@lru_cache(maxsize=4096)
def _passed_row(lang: str, anchor: str, kind: str, score: float, max_score: float, module: str,
                name: str, title: str) -> Markup:
    """A passed test's row of a student report. A class passes the same tests with the same
    points, so each row is rendered once per grading run, not once per student."""
    view = {"anchor": anchor, "kind": kind, "score": score, "max_score": max_score,
            "module": module, "name": name, "title": title}
    return Markup(environment(lang).get_template("passed_row.html").render(t=view))


def render(template: str, lang: str, **context: Any) -> str:
    return environment(lang).get_template(template).render(**context)


@lru_cache(maxsize=1)
def grid_script() -> Markup:
    """The class grid's sorting and CSV script, inlined into index.html (no network)."""
    return Markup((TEMPLATE_DIR / "grid.js").read_text(encoding="utf-8"))


def _minibars(counts: list[int]) -> Markup:
    """A distribution as a tiny bar chart (SVG), each bar's count in ``data-count``."""
    peak = max(counts, default=0) or 1
    width, height, gap = 16, 28, 3
    bars = "".join(
        f'<rect x="{i * (width + gap)}" y="{height - max(1.0, height * c / peak):.1f}" '
        f'width="{width}" height="{max(1.0, height * c / peak):.1f}" data-count="{c}" '
        f'fill="{"#2563eb" if c else "#d1d5db"}"><title>{c}</title></rect>'
        for i, c in enumerate(counts))
    total = len(counts) * (width + gap) - gap
    return Markup(f'<svg class="minibars" width="{total}" height="{height}" '
                  f'viewBox="0 0 {total} {height}" role="img" '
                  f'aria-label="{" ".join(map(str, counts))}">{bars}</svg>')


@lru_cache(maxsize=1)
def stylesheet() -> Markup:
    """The reports' CSS, inlined into every page so that a page is one self-contained file."""
    return Markup((TEMPLATE_DIR / "style.css").read_text(encoding="utf-8"))
