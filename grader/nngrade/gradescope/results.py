"""nngrade's results.json, rewritten to the letter of Gradescope's "Autograder Specifications".

What changes from ``nngrade grade``'s own document:

- nngrade's block (``nngrade``: seed, versions, module scores, protections,
  timing...) is not a Gradescope field; it moves to the top-level
  ``extra_data``, which Gradescope stores and never shows.
- every hidden test gets a ``visibility`` from the course's settings, a
  ``number`` (module.test), its name and output in the course's language,
  and Markdown output (``output_format: "md"``);
- informational tests without points come first: one per module saying
  whether its file imports (visible at once by default, like the
  spec's "pre-submission checks"), and one the students never see
  (``hidden``) that tells the instructor which sandbox protections were
  missing in the container;
- ``stdout_visibility`` (hidden by default: stdout is the instructor's
  debugging log) and lateness from the submission's metadata.

Threat model: test outputs quote what student code returned, printed or
raised. Gradescope renders ``md`` output as Markdown (and sanitises HTML),
so every such string goes into a fenced code block whose fence is longer
than any run of backticks inside it: a student cannot close the block to
inject links, images or markup into their own or anyone's page. Only
nngrade's fixed words and the suites' titles stand outside code blocks.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

from nngrade.contract import MODULES
from nngrade.gradescope.metadata import Lateness
from nngrade.gradescope.settings import GradescopeSettings
from nngrade.gradescope.texts import text
from nngrade.report.model import (
    ModuleView,
    TestView,
    fmt_points,
    student_view,
)

__all__ = ["code_block", "grader_failure_results", "to_gradescope"]

_MAX_BLOCK_CHARS = 4000  # one quoted value; the worker already caps what crosses back


def code_block(content: str) -> str:
    """``content`` as a fenced Markdown code block nothing inside can close."""
    content = content.replace("\r\n", "\n").replace("\r", "\n")
    if len(content) > _MAX_BLOCK_CHARS:
        content = content[:_MAX_BLOCK_CHARS] + "\n…"
    longest = max((len(m) for m in re.findall(r"`+", content)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}\n{content}\n{fence}"


def _plain(line: str) -> str:
    """One line of nngrade's own wording, safe outside a code block: every character that
    starts Markdown emphasis, code, a link or image, a heading, a table, or HTML is escaped
    (parentheses only form a link after a bracket, which is escaped)."""
    return re.sub(r"([\\`*_\[\]<>#|!~])", r"\\\1", " ".join(line.split()))


def _test_markdown(view: TestView, lang: str) -> str:
    """A failed test as the HTML report shows it, field by field, in Gradescope's Markdown.

    The headline is nngrade's sentence; text from the student's code or from
    Python (``quoted``: an exception and its message) follows it verbatim in
    a code block, as the headline's "quoted below" promises.
    """
    parts = [f"**{_plain(view.verdict)}**: {_plain(view.headline)}"]
    if view.quoted:
        parts.append(code_block(view.quoted))
    if view.original:
        parts += [f"{text('original', lang)}:", code_block(view.original)]
    if view.where:
        parts += [f"{text('where', lang)}:", code_block(view.where)]
    if view.call:
        parts += [f"{text('called', lang)}:", code_block(view.call)]
    for name, value in view.shown.items():
        parts.append(code_block(f"{name} = {value}"))
    for key, value in (("got", view.got), ("expected", view.expected)):
        if value:
            parts += [f"{text(key, lang)}:", code_block(value)]
    if view.mistake_text:
        parts.append(f"**{text('mistake', lang)}**: {_plain(view.mistake_text)}")
    if view.hint:
        parts.append(f"**{text('hint', lang)}**: {_plain(view.hint)}")
    if view.detail:
        parts.append(f"**{text('detail', lang)}**: {_plain(view.detail)}")
    if view.printed:
        parts += [f"{text('printed', lang)}:", code_block(view.printed)]
    return "\n\n".join(parts)


def _raw_test(test: Mapping[str, Any], settings: GradescopeSettings) -> dict[str, Any]:
    tags = [str(t) for t in test.get("tags") or []]
    module, name = (tags + ["", ""])[:2]
    entry: dict[str, Any] = {
        "name": str(test.get("name") or ""), "name_format": "text",
        "score": _number(test.get("score")), "max_score": _number(test.get("max_score")),
        "status": "passed" if test.get("status") == "passed" else "failed",
        "visibility": settings.visibility_for(module, name), "tags": tags,
    }
    if test.get("output"):
        entry["output"] = code_block(str(test["output"]))
        entry["output_format"] = "md"
    return entry


def _number(x: Any) -> float:
    try:
        value = float(x)
    except (TypeError, ValueError):
        return 0.0
    return value if math.isfinite(value) else 0.0


def _duration(seconds: float, lang: str) -> str:
    if seconds < 3600:
        return text("minutes", lang, n=max(1, round(seconds / 60)))
    return text("hours", lang, n=f"{seconds / 3600:.1f}")


def _module_checks(modules: list[ModuleView], settings: GradescopeSettings) -> list[dict]:
    checks = []
    for index, module in enumerate(modules, start=1):
        if module.key not in MODULES:
            continue
        entry: dict[str, Any] = {
            "name": text("file_check", settings.lang, module=module.key,
                         status=module.status_label),
            "name_format": "text",
            "number": f"{index}.0",
            "status": "passed" if module.status == "ok" else "failed",
            "visibility": settings.check_visibility,
            "tags": [module.key, "import"],
        }
        if module.message:
            entry["output"] = code_block(module.message)
            entry["output_format"] = "md"
        checks.append(entry)
    return checks


def _sandbox_check(info: Mapping[str, Any], view_missing: list[str],
                   lang: str) -> dict[str, Any]:
    missing = [str(p) for p in info.get("missing_protections") or []]
    return {
        "name": text("sandbox_test", lang),
        "name_format": "text",
        "status": "failed" if missing else "passed",
        "output": _plain(text("sandbox_missing", lang, missing="; ".join(view_missing))
                         if missing else text("sandbox_ok", lang)),
        "output_format": "md",
        "visibility": "hidden",
        "tags": ["sandbox"],
        "extra_data": {"missing_protections": missing,
                       "protections": dict(info.get("protections") or {})},
    }


def _summary(view: Any, results: Mapping[str, Any], settings: GradescopeSettings,
             lateness: Lateness, show_scores: bool) -> str:
    lang = settings.lang
    lines: list[str] = []
    problem = view.problem
    if problem and problem[0] == "error":
        lines += [_plain(text("ungradeable", lang)), code_block(problem[1])]
    elif problem and problem[0] == "empty":
        lines.append(_plain(text("no_files", lang)))
    if show_scores:
        lines.append("**" + _plain(text("score", lang, score=fmt_points(view.score),
                                        max_score=fmt_points(view.max_score))) + "**")
        rows = [f"| {text('module', lang)} | {text('points', lang)} |", "|---|---|"]
        for module in view.modules:
            if module.key in MODULES:
                rows.append(f"| {_plain(module.title)} (`{module.key}.py`) | "
                            f"{fmt_points(module.score)} / {fmt_points(module.max_score)} |")
        lines.append("\n".join(rows))
    else:
        when = {"after_due_date": "when_after_due_date", "after_published":
                "when_after_published", "hidden": "when_hidden"}[settings.test_visibility]
        lines.append(_plain(text("hidden_until", lang, when=text(when, lang))))
    if lateness.late and lateness.due_date is not None:
        late = text("late", lang, hours=_duration(lateness.seconds_late, lang),
                    due=lateness.due_date.isoformat(timespec="minutes"))
        if lateness.after_late_due_date and lateness.late_due_date is not None:
            late += " " + text("after_late_due", lang,
                               late_due=lateness.late_due_date.isoformat(timespec="minutes"))
        lines.append("**" + _plain(late) + "**")
    return "\n\n".join(lines)


def to_gradescope(results: Mapping[str, Any], settings: GradescopeSettings,
                  lateness: Lateness, execution_time: float) -> dict[str, Any]:
    """Gradescope's results.json for one submission graded by ``nngrade grade``."""
    lang = settings.lang
    view = student_view(results, lang)
    by_anchor = {t.anchor: t for t in view.tests}
    module_number = {m: i for i, m in enumerate(MODULES, start=1)}
    counters: dict[str, int] = {}
    tests: list[dict[str, Any]] = []
    for index, test in enumerate(results.get("tests") or []):
        tv = by_anchor.get(f"test-{index}")
        if tv is None:  # a document the report model does not know: keep nngrade's own text
            tests.append(_raw_test(test, settings))
            continue
        counters[tv.module] = counters.get(tv.module, 0) + 1
        entry: dict[str, Any] = {
            "name": f"{tv.module}.{tv.name}: {tv.title}" if tv.name else tv.title,
            "name_format": "text",
            "number": f"{module_number.get(tv.module, len(MODULES) + 1)}.{counters[tv.module]}",
            "score": _number(test.get("score")),
            "max_score": _number(test.get("max_score")),
            "status": "passed" if tv.passed else "failed",
            "visibility": settings.visibility_for(tv.module, tv.name),
            "tags": [str(t) for t in test.get("tags") or []],
            "extra_data": dict(test.get("extra_data") or {}),
        }
        if not tv.passed:
            entry["output"] = _test_markdown(tv, lang)
            entry["output_format"] = "md"
        tests.append(entry)

    info = dict(results.get("nngrade") or {})
    source = dict(info.get("source") or {})
    source.update(lateness.as_source())
    info["source"] = source
    info["view_language"] = lang
    show_scores = settings.test_visibility == "visible"
    return {
        "score": _number(results.get("score")),
        "execution_time": round(max(0.0, execution_time), 2),
        "output": _summary(view, results, settings, lateness, show_scores),
        "output_format": "md",
        "test_output_format": "md",
        "test_name_format": "text",
        "stdout_visibility": settings.stdout_visibility,
        "extra_data": {"nngrade": info, "max_score": _number(results.get("max_score"))},
        "tests": [*_module_checks(view.modules, settings),
                  _sandbox_check(info, view.missing_protections, lang), *tests],
    }


def grader_failure_results(reason: str, lang: str, execution_time: float) -> dict[str, Any]:
    """What Gradescope gets when the grader itself failed: zero, not the student's fault, why.

    The message is in both languages, the course's first: the settings that
    name the language may be what failed.
    """
    langs = [lang] + [other for other in ("en", "zh") if other != lang]
    return {
        "score": 0.0,
        "execution_time": round(max(0.0, execution_time), 2),
        "output": "\n\n".join(_plain(text("grader_failed", code)) for code in langs),
        "output_format": "md",
        "stdout_visibility": "hidden",
        "extra_data": {"nngrade_error": reason},
        "tests": [],
    }
