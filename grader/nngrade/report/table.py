"""The class table ``nngrade grade`` prints when a batch finishes.

A glance, not the gradebook (that is ``gradebook.csv`` and ``index.html``),
but with the gradebook's numbers: one line per student with the total and
each module's points, then a legend line for the columns and markers, the
notes (late, not graded, scored 0 and why) and the mean and median. It
fits an 80-column terminal: module heads are the modules' own names, cut
to six columns where they must be (the legend names each file in full),
and the notes live under the table instead of in a wide last column.
Plain text (no colour, no box drawing) so it survives logs, CI and Windows
terminals; it speaks the run's ``--lang``, and Chinese characters count as
two columns when lining up.
"""

from __future__ import annotations

import statistics
import unicodedata
from collections.abc import Mapping, Sequence
from typing import Any

from nngrade.contract import MODULES
from nngrade.report.i18n import N_, normalize_lang, translations
from nngrade.report.model import fmt_points, grading_problem, student_id

__all__ = ["COLUMN_HEADS", "WIDTH", "display_width", "format_class_table", "format_run_line"]

WIDTH = 80  # the terminal the table must fit
_NAME_WIDTH = 11  # the longest student id shown in full; longer ones end in "~"

# Each module's column head (six columns at most): its file's name, cut where it must be.
COLUMN_HEADS: dict[str, str] = {
    "perceptron": N_("percep"),
    "activations": N_("activ"),
    "losses": N_("losses"),
    "gradient_descent": N_("grad"),
    "backprop": N_("backpr"),
    "autodiff": N_("autodf"),
    "overfitting": N_("overft"),
    "regularization": N_("regul"),
    "vanishing": N_("vanish"),
}

_MISSING, _BROKEN, _NONE = "--", "err", "."


def display_width(text: str) -> int:
    """Columns ``text`` takes in a terminal: wide (CJK) characters take two."""
    return sum(2 if unicodedata.east_asian_width(c) in ("W", "F") else 1 for c in text)


def _pad(text: str, width: int, right: bool) -> str:
    space = " " * max(0, width - display_width(text))
    return space + text if right else text + space


def _module_cell(results: Mapping[str, Any], module: str) -> str:
    info = ((results.get("nngrade") or {}).get("modules") or {}).get(module)
    if not isinstance(info, Mapping):
        return _NONE
    status = info.get("status")
    if status == "missing":
        return _MISSING
    if status == "import_error":
        return _BROKEN
    return fmt_points(float(info.get("score") or 0.0))


def _short(name: str) -> str:
    if display_width(name) <= _NAME_WIDTH:
        return name
    out = ""
    for ch in name:
        if display_width(out + ch) > _NAME_WIDTH - 1:
            break
        out += ch
    return out + "~"


def format_class_table(all_results: list[dict], lang: str = "en") -> str:
    """A short text table of the class in ``lang``, sorted by student, with its legend and notes."""
    t = translations(normalize_lang(lang))
    _ = t.gettext
    modules = list(MODULES)
    heads = [_(COLUMN_HEADS.get(m, m[:6])) for m in modules]
    rows: list[list[str]] = []
    counted: list[float] = []
    max_scores: set[float] = set()
    late: list[str] = []
    ungraded: list[str] = []
    zero: list[str] = []
    for results in sorted(all_results, key=student_id):
        student = student_id(results)
        problem = grading_problem(results)
        source = (results.get("nngrade") or {}).get("source") or {}
        if isinstance(source, Mapping) and source.get("late"):
            late.append(student)
        score = float(results.get("score") or 0.0)
        max_score = float(results.get("max_score") or 0.0)
        if problem and problem[0] == "error":
            ungraded.append(student)
            total = _NONE
            cells = [_NONE] * len(modules)
        else:
            if problem:
                zero.append(student)
            counted.append(score)
            max_scores.add(max_score)
            total = fmt_points(score)
            cells = [_module_cell(results, m) for m in modules]
        rows.append([_short(student), total, *cells])

    of = fmt_points(max(max_scores)) if max_scores else ""
    header = [_("student"), _("total"), *heads]
    widths = [max(display_width(r[i]) for r in [header, *rows]) for i in range(len(header))]

    def line(cells: Sequence[str]) -> str:
        parts = [_pad(c, w, right=i > 0)
                 for i, (c, w) in enumerate(zip(cells, widths, strict=True))]
        return " ".join(parts).rstrip()

    out = [line(header), line(["-" * w for w in widths]), *(line(r) for r in rows), ""]
    out += _legend(modules, heads, t)
    notes = [(_("late: %(students)s"), late),
             (_("not graded (see index.html): %(students)s"), ungraded),
             (_("scored 0 (nothing written, no module imports or no file): %(students)s"), zero)]
    for note, students in notes:
        if students:
            out += _wrapped("", note % {"students": ", ".join(students)})
    if counted:
        out.append(_("%(count)d graded: mean %(mean)s, median %(median)s of %(max)s") % {
            "count": len(counted), "mean": fmt_points(statistics.fmean(counted)),
            "median": fmt_points(statistics.median(counted)), "max": of})
    else:
        out.append(_("no submission could be graded"))
    return "\n".join(out)


def _legend(modules: list[str], heads: list[str], t: Any) -> list[str]:
    """What the columns and markers mean, wrapped to the terminal's width."""
    _ = t.gettext
    parts = [f"{head} = {m}.py" for m, head in zip(modules, heads, strict=True)
             if head != m]
    title = _("Points per module:") + " "
    lines = _wrapped(title, "  ".join(parts), sep="  ")
    lines += _wrapped("", _("%(missing)s file missing, %(broken)s does not import, "
                            "%(none)s not graded") % {"missing": _MISSING, "broken": _BROKEN,
                                                       "none": _NONE})
    return lines


def _wrapped(first: str, text: str, sep: str = ", ") -> list[str]:
    """``first`` + ``text``, broken after a ``sep`` into lines of at most `WIDTH` columns."""
    pieces = text.split(sep)
    lines: list[str] = []
    current = first + pieces[0]
    for piece in pieces[1:]:
        if display_width(current + sep + piece) > WIDTH:
            lines.append((current + sep).rstrip())
            current = "    " + piece
        else:
            current += sep + piece
    lines.append(current.rstrip())
    return lines


def format_run_line(count: int, seconds: float, index: str | None, gradebook: str,
                    lang: str = "en") -> str:
    """The line under the table: how many, how long, where the pages are (in ``lang``).

    ``index`` is None when this run wrote no class summary: its path is then
    not named, so nobody opens a stale page believing it is this run's.
    """
    _ = translations(normalize_lang(lang)).gettext
    if index is None:
        return _("%(count)d submissions in %(seconds).1f s. No class summary was written; "
                 "gradebook: %(gradebook)s") % {"count": count, "seconds": seconds,
                                               "gradebook": gradebook}
    return _("%(count)d submissions in %(seconds).1f s. Reports: %(index)s; gradebook: "
             "%(gradebook)s") % {"count": count, "seconds": seconds, "index": index,
                                 "gradebook": gradebook}
