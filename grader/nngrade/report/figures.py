"""Pictures of a wrong answer beside the reference's, as inline SVG written here.

A student sees at a glance what a column of numbers hides: the heat map of
a matrix that differs in one corner, a training curve that starts one step
late, a gradient profile that is flat where the reference's vanishes. The
numbers come from results.json (``extra_data.figure``, made in the grading
process from what the student's code returned and what the reference
computed, `nngrade.feedback.figure_data`), so a report drawn again from
results.json draws the same pictures.

Why SVG text of our own and not a plotting library: the report must open
offline with no script (no CDN, no JavaScript), a failed test needs a
picture of a few dozen cells or points, and drawing happens in the main
process for every failed test of every student. Writing the few elements
needed costs microseconds and no dependency (BENCHMARKS.md). Every number
drawn is also in a ``data-*`` attribute, so tests read what was drawn.

This module knows no language: its labels arrive translated.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from html import escape
from typing import Any

from markupsafe import Markup

__all__ = ["Labels", "curves_svg", "figure_html", "heatmap_svg", "regions_svg"]

_INK, _MUTED, _REF, _YOU, _BAD = "#1f2933", "#6b7280", "#6b7280", "#c2410c", "#dc2626"
_GRID = "#cbd2d9"  # the hairline around an unmarked heat-map cell


@dataclass(frozen=True)
class Labels:
    """The words of a figure, in the reader's language."""

    expected: str = "Expected"
    got: str = "Yours"
    difference: str = "Yours − expected"
    differs: str = "entries that differ are outlined"
    log_scale: str = "log scale"
    index: str = "index"
    best: str = "best"
    input: str = "Input"


def _text_width(text: str, size: int = 11) -> int:
    """About how wide ``text`` is drawn (CJK characters twice a Latin one)."""
    wide = sum(1 for c in text if ord(c) > 0x2E80)
    return int(size * (0.62 * (len(text) - wide) + 1.05 * wide)) + 4


def _num(v: float) -> str:
    return f"{v:.4g}"


def _finite(values: Sequence[Any]) -> list[float]:
    return [float(v) for v in values if isinstance(v, (int, float)) and math.isfinite(v)]


def _diverging(v: float | None, scale: float) -> str:
    """Blue (negative) through white to red (positive); grey for a missing value."""
    if v is None or not math.isfinite(v):
        return "#9ca3af"
    t = max(-1.0, min(1.0, v / scale)) if scale > 0 else 0.0
    if t >= 0:
        r, g, b = 255, int(255 - 170 * t), int(255 - 190 * t)
    else:
        r, g, b = int(255 + 200 * t), int(255 + 120 * t), 255
    return f"#{r:02x}{g:02x}{b:02x}"


def _grey(v: float | None, black: float, white: float) -> str:
    if v is None or not math.isfinite(v):
        return "#f472b6"  # not a number: pink, seen at once
    t = (v - black) / (white - black) if white > black else 0.5
    level = int(round(255 * max(0.0, min(1.0, t))))
    return f"#{level:02x}{level:02x}{level:02x}"


def heatmap_svg(values: Sequence[Sequence[float | None]], *, title: str, scale: float,
                marks: Sequence[Sequence[bool]] | None = None, cell: int = 0,
                grey: tuple[float, float] | None = None) -> Markup:
    """One matrix as coloured cells (0 is white, ±``scale`` full red or blue), or as a
    grey image when ``grey`` gives its (black, white) values.

    ``marks`` outlines cells (those that differ); each cell carries its
    value in ``data-v``.
    """
    rows, cols = len(values), max((len(r) for r in values), default=0)
    cell = cell or max(6, min(26, 180 // max(rows, cols, 1)))
    top = 18
    width, height = max(cols * cell, _text_width(title)), top + rows * cell + 2
    parts = [f'<svg class="heatmap" role="img" aria-label="{escape(title)}" '
             f'width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
             f'xmlns="http://www.w3.org/2000/svg" data-rows="{rows}" data-cols="{cols}">',
             f'<text x="0" y="12" font-size="11" fill="{_INK}">{escape(title)}</text>']
    for i, row in enumerate(values):
        for j, v in enumerate(row):
            marked = bool(marks and marks[i][j])
            # Unmarked cells keep a hairline, so a white (zero) cell stays visible on the page.
            stroke = f' stroke="{_BAD if grey else _INK}" stroke-width="2"' if marked \
                else f' stroke="{_GRID}" stroke-width="1"'
            fill = _grey(v, *grey) if grey else _diverging(v, scale)
            shown = "nan" if v is None else _num(v)
            parts.append(f'<rect x="{j * cell + 1}" y="{top + i * cell + 1}" '
                         f'width="{cell - 2}" height="{cell - 2}" fill="{fill}"'
                         f'{stroke} data-v="{shown}"{" data-marked" if marked else ""}>'
                         f'<title>[{i}, {j}] = {shown}</title></rect>')
    parts.append("</svg>")
    return Markup("".join(parts))


def _matrix(data: Mapping[str, Any], labels: Labels) -> Markup | None:
    got, expected = data.get("got"), data.get("expected")
    if not (isinstance(got, list) and isinstance(expected, list) and got
            and len(got) == len(expected)):
        return None
    rows = [(g, e) for g, e in zip(got, expected, strict=True)
            if isinstance(g, list) and isinstance(e, list) and len(g) == len(e)]
    if len(rows) != len(got):
        return None
    diff = [[(a - b) if isinstance(a, (int, float)) and isinstance(b, (int, float)) else None
             for a, b in zip(g, e, strict=True)] for g, e in rows]
    both = _finite([v for row in [*got, *expected] for v in row])
    scale = max((abs(v) for v in both), default=1.0) or 1.0
    tol = 1e-6 * scale
    marks = [[d is None or abs(d) > tol for d in row] for row in diff]
    dscale = max((abs(v) for v in _finite([d for row in diff for d in row])), default=0.0)
    panels = [heatmap_svg(expected, title=labels.expected, scale=scale),
              heatmap_svg(got, title=labels.got, scale=scale, marks=marks),
              heatmap_svg(diff, title=labels.difference, scale=dscale or 1.0, marks=marks)]
    n_marked = sum(map(sum, marks))
    return Markup(
        f'<figure class="fig" data-figure="matrix" data-differing="{n_marked}">'
        f'<div class="panels">{"".join(panels)}</div>'
        f'<figcaption>{escape(labels.differs)}: {n_marked}</figcaption></figure>')


def _image(data: Mapping[str, Any], labels: Labels) -> Markup | None:
    got, expected, given = data.get("got"), data.get("expected"), data.get("input")
    if not (isinstance(got, list) and isinstance(expected, list) and got
            and len(got) == len(expected)):
        return None
    pixels = _finite([v for row in [*got, *expected] for v in row])
    black, white = (min(pixels), max(pixels)) if pixels else (0.0, 1.0)
    marks = [[not (isinstance(a, (int, float)) and isinstance(b, (int, float))
                   and abs(a - b) <= 1e-6 * max(1.0, abs(white - black)))
              for a, b in zip(g, e, strict=True)] for g, e in zip(got, expected, strict=True)]
    panels = []
    if isinstance(given, list) and given:
        panels.append(heatmap_svg(given, title=labels.input, scale=1.0, grey=(black, white)))
    panels += [heatmap_svg(expected, title=labels.expected, scale=1.0, grey=(black, white)),
               heatmap_svg(got, title=labels.got, scale=1.0, grey=(black, white), marks=marks)]
    n_marked = sum(map(sum, marks))
    return Markup(
        f'<figure class="fig" data-figure="image" data-differing="{n_marked}">'
        f'<div class="panels">{"".join(panels)}</div>'
        f'<figcaption>{escape(labels.differs)}: {n_marked}</figcaption></figure>')


def curves_svg(series: Sequence[tuple[str, Sequence[float | None], str]], *, title: str,
               log: bool = False, marker: tuple[int, str] | None = None,
               x_label: str = "", width: int = 360, height: int = 190,
               target: float | None = None, x_range: tuple[float, float] | None = None,
               points: Sequence[tuple[float, float]] = ()) -> Markup:
    """Lines over their index: (label, values, colour) each; a dashed line is the reference's.

    ``log`` draws the values' magnitudes on a log axis (gradients per
    layer); ``marker`` is (x, label) of a vertical line (the best epoch);
    ``target`` a horizontal line the values should approach (0.739085);
    ``x_range`` the x of the first and last value (else their index) and
    ``points`` data drawn as dots at those x.
    """
    left, right, bottom = 52, 10, 30
    top = 14 + 13 * len(series)  # the legend sits above the plot, never on a line
    pw, ph = width - left - right, height - top - bottom

    def y_of(v: float) -> float:
        return math.log10(abs(v)) if log else v

    ys = [y_of(v) for _, vals, _ in series for v in _finite(vals) if not log or v != 0]
    if target is not None and math.isfinite(target) and not log:
        ys.append(target)
    ys += [py for _, py in points if not log]
    lo, hi = (min(ys), max(ys)) if ys else (0.0, 1.0)
    if hi - lo < 1e-12:
        lo, hi = lo - 0.5, hi + 0.5
    n = max((len(vals) for _, vals, _ in series), default=1)

    def x(i: float) -> float:
        return left + (pw * i / (n - 1) if n > 1 else pw / 2)

    def y(v: float) -> float:
        return top + ph * (1 - (y_of(v) - lo) / (hi - lo))

    def tick(v: float) -> str:
        return f"{10 ** v:.3g}" if log else f"{v:.3g}"

    label = title or " / ".join(str(s[0]) for s in series)
    parts = [f'<svg class="curves" role="img" aria-label="{escape(label)}" width="{width}" '
             f'height="{height}" viewBox="0 0 {width} {height}" '
             f'xmlns="http://www.w3.org/2000/svg" data-log="{str(log).lower()}">',
             f'<text x="{left}" y="14" font-size="11" fill="{_INK}">{escape(title)}</text>',
             f'<line x1="{left}" y1="{top + ph}" x2="{left + pw}" y2="{top + ph}" '
             f'stroke="{_MUTED}"/><line x1="{left}" y1="{top}" x2="{left}" y2="{top + ph}" '
             f'stroke="{_MUTED}"/>',
             f'<text x="{left - 4}" y="{top + 8}" font-size="10" text-anchor="end" '
             f'fill="{_MUTED}">{tick(hi)}</text>',
             f'<text x="{left - 4}" y="{top + ph}" font-size="10" text-anchor="end" '
             f'fill="{_MUTED}">{tick(lo)}</text>',
             f'<text x="{left}" y="{height - 8}" font-size="10" fill="{_MUTED}">'
             f'{_num(x_range[0]) if x_range else 0}</text>',
             f'<text x="{left + pw}" y="{height - 8}" font-size="10" text-anchor="end" '
             f'fill="{_MUTED}">{_num(x_range[1]) if x_range else n - 1}</text>']
    if x_label:
        parts.append(f'<text x="{left + pw / 2}" y="{height - 8}" font-size="10" '
                     f'text-anchor="middle" fill="{_MUTED}">{escape(x_label)}</text>')
    if marker is not None and 0 <= marker[0] < n:
        mx = x(marker[0])
        parts.append(f'<line class="marker" x1="{mx:.1f}" y1="{top}" x2="{mx:.1f}" '
                     f'y2="{top + ph}" stroke="{_INK}" stroke-dasharray="2 3" '
                     f'data-x="{marker[0]}"/><text x="{mx + 3:.1f}" y="{top + 10}" '
                     f'font-size="10" fill="{_INK}">{escape(marker[1])}</text>')
    if target is not None and math.isfinite(target) and not log:
        ty = y(target)
        parts.append(f'<line class="target" x1="{left}" y1="{ty:.1f}" x2="{left + pw}" '
                     f'y2="{ty:.1f}" stroke="{_MUTED}" stroke-dasharray="1 3" '
                     f'data-y="{_num(target)}"/><text x="{left + 3}" y="{ty - 3:.1f}" '
                     f'font-size="10" fill="{_MUTED}">{_num(target)}</text>')
    if x_range and x_range[1] > x_range[0]:
        for px, py in points:
            at = (n - 1) * (px - x_range[0]) / (x_range[1] - x_range[0])
            parts.append(f'<circle class="point" cx="{x(at):.1f}" cy="{y(py):.1f}" r="3" '
                         f'fill="none" stroke="{_INK}" data-x="{_num(px)}" '
                         f'data-y="{_num(py)}"/>')
    for k, (label, vals, colour) in enumerate(series):
        points = [(x(i), y(v)) for i, v in enumerate(vals)
                  if isinstance(v, (int, float)) and math.isfinite(v) and (not log or v != 0)]
        dash = ' stroke-dasharray="5 4"' if k == 0 and len(series) > 1 else ""
        path = " ".join(f"{px:.1f},{py:.1f}" for px, py in points)
        values = " ".join("nan" if v is None else _num(v) for v in vals)
        parts.append(f'<polyline class="series" fill="none" stroke="{colour}" stroke-width="2"'
                     f'{dash} points="{path}" data-label="{escape(label)}" '
                     f'data-values="{values}"><title>{escape(label)}</title></polyline>')
        if len(points) <= 40:
            parts += [f'<circle cx="{px:.1f}" cy="{py:.1f}" r="2.2" fill="{colour}"/>'
                      for px, py in points]
        ly = 13 + 13 * k
        lx = left + pw - max(_text_width(str(s[0]), 10) for s in series) - 22
        parts.append(f'<line x1="{lx}" y1="{ly - 4}" x2="{lx + 16}" '
                     f'y2="{ly - 4}" stroke="{colour}" stroke-width="2"{dash}/>'
                     f'<text x="{lx + 20}" y="{ly}" font-size="10" fill="{_INK}">'
                     f'{escape(label)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def _curves(data: Mapping[str, Any], labels: Labels) -> Markup | None:
    got, expected = data.get("got"), data.get("expected")
    if not (isinstance(got, list) and isinstance(expected, list) and got):
        return None
    if isinstance(got[0], list):  # drawn as one row of a matrix, a curve is that row
        got, expected = got[0], expected[0]
    values = _finite([*got, *expected])
    sizes = [abs(v) for v in values if v != 0]
    log = data.get("log")
    if not isinstance(log, bool):  # by itself only for positive values spanning decades
        log = bool(values) and all(v > 0 for v in values) and max(values) / min(values) > 100
    log = bool(log and sizes)  # drawn as |value|; zeros (a dead relu) are left out
    best = data.get("best")
    marker = (int(best), labels.best) if isinstance(best, int) else None
    title = labels.log_scale if log else ""
    target = data.get("target")
    svg = curves_svg([(labels.expected, expected, _REF), (labels.got, got, _YOU)],
                     title=title, log=log, x_label=labels.index, marker=marker,
                     target=float(target) if isinstance(target, (int, float)) else None)
    return Markup(f'<figure class="fig" data-figure="curves">{svg}</figure>')


def _fit(data: Mapping[str, Any], labels: Labels) -> Markup | None:
    """A polynomial over the data's x, the student's beside the reference's, and the data."""
    got, expected, span, raw = (data.get("got"), data.get("expected"), data.get("x"),
                                data.get("points") or [])
    if not (isinstance(got, list) and isinstance(expected, list) and isinstance(span, list)
            and len(span) == 2):
        return None
    points = [(float(p[0]), float(p[1])) for p in raw if isinstance(p, list) and len(p) == 2]
    ys = [py for _, py in points] or _finite(expected)
    lo, hi = min(ys), max(ys)
    room = max(hi - lo, 1e-9)
    lo, hi = lo - room, hi + room  # a wild fit (degree 12) leaves the picture, not the data

    def clamp(values: list[Any]) -> list[Any]:
        return [max(lo, min(hi, float(v))) if isinstance(v, (int, float)) else None
                for v in values]

    svg = curves_svg([(labels.expected, clamp(expected), _REF), (labels.got, clamp(got), _YOU)],
                     title="", x_label="x", x_range=(float(span[0]), float(span[1])),
                     points=points)
    return Markup(f'<figure class="fig" data-figure="fit">{svg}</figure>')


def regions_svg(grid: Sequence[Sequence[float]], points: Sequence[tuple[float, float, int]], *,
                title: str, size: int = 150) -> Markup:
    """Decision regions over [0, 1]^2: each grid cell coloured by its class (output > 0.5),
    the training points drawn on top (filled: class 1)."""
    rows = len(grid)
    cell = size / max(rows, 1)
    parts = [f'<svg class="regions" role="img" aria-label="{escape(title)}" width="{size}" '
             f'height="{size + 16}" viewBox="0 0 {size} {size + 16}" '
             f'xmlns="http://www.w3.org/2000/svg">',
             f'<text x="0" y="11" font-size="11" fill="{_INK}">{escape(title)}</text>']
    ones = 0
    for i, row in enumerate(grid):  # row 0 is y = 1 (top)
        for j, v in enumerate(row):
            one = isinstance(v, (int, float)) and v > 0.5
            ones += one
            parts.append(f'<rect x="{j * cell:.2f}" y="{16 + i * cell:.2f}" '
                         f'width="{cell + 0.1:.2f}" height="{cell + 0.1:.2f}" '
                         f'fill="{"#fdba74" if one else "#bfdbfe"}"/>')
    for px, py, label in points:
        cx, cy = px * (size - 12) + 6, 16 + (1 - py) * (size - 12) + 6
        parts.append(f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="5" stroke="{_INK}" '
                     f'stroke-width="1.5" fill="{_INK if label else "#ffffff"}" '
                     f'data-label="{label}"/>')
    parts.append("</svg>")
    body = "".join(parts).replace("<svg ", f'<svg data-ones="{ones}" ', 1)
    return Markup(body)


def _regions(data: Mapping[str, Any], labels: Labels) -> Markup | None:
    got, expected = data.get("got"), data.get("expected")
    raw = data.get("points") or []
    points = [(float(p[0]), float(p[1]), int(p[2])) for p in raw
              if isinstance(p, list) and len(p) == 3]
    if not (isinstance(got, list) and isinstance(expected, list)):
        return None
    panels = str(regions_svg(expected, points, title=labels.expected)) + str(
        regions_svg(got, points, title=labels.got))
    return Markup(f'<figure class="fig" data-figure="regions"><div class="panels">{panels}'
                  "</div></figure>")


def _gradients(data: Mapping[str, Any], labels: Labels) -> Markup | None:
    """Gradients per layer: their sizes on a log axis, where vanishing shows as a slope."""
    return _curves({**data, "log": True}, labels)


_DRAW = {"matrix": _matrix, "image": _image, "curves": _curves, "gradients": _gradients,
         "regions": _regions, "fit": _fit}


def figure_html(data: Any, labels: Labels) -> Markup | None:
    """The picture of one failed test's ``extra_data.figure``, or None if there is none.

    A malformed figure (an older or tampered results.json) draws nothing
    rather than breaking the report.
    """
    if not isinstance(data, Mapping) or data.get("kind") not in _DRAW:
        return None
    try:
        return _DRAW[str(data["kind"])](data, labels)
    except (TypeError, ValueError, KeyError, ZeroDivisionError, OverflowError):
        return None
