"""The class's score distribution as an inline SVG histogram, drawn in Python.

The summary page must work opened from a shared drive, offline, with
JavaScript off, and print cleanly: a chart library would need a script and
usually a network. A histogram is a dozen rectangles, so it is written here
as SVG text, with the counts in ``data-*`` attributes so tests (and anyone
copying numbers out of the page) read exactly what was drawn.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from markupsafe import Markup

__all__ = ["Bin", "bins", "histogram_svg"]


@dataclass(frozen=True)
class Bin:
    lo: float
    hi: float
    count: int

    @property
    def label(self) -> str:
        return f"{self.lo:g}–{self.hi:g}"


def bins(percents: Sequence[float], width: float = 10.0) -> list[Bin]:
    """Counts per ``width``-point band of 0..100; the last band includes 100."""
    n = int(round(100 / width))
    counts = [0] * n
    for p in percents:
        i = min(n - 1, max(0, int(p // width)))
        counts[i] += 1
    return [Bin(i * width, (i + 1) * width, c) for i, c in enumerate(counts)]


def histogram_svg(
    percents: Sequence[float],
    *,
    title: str,
    x_label: str,
    y_label: str,
    median_label: str,
    bar_tooltip: str,
) -> Markup:
    """An accessible SVG histogram of scores given as percentages of the maximum.

    The text arguments are already translated (``bar_tooltip`` may use
    ``{lo}``, ``{hi}`` and ``{count}``); this function knows no language.
    """
    data = bins(percents)
    width, height = 640, 280
    left, right, top, bottom = 48, 16, 28, 52
    plot_w, plot_h = width - left - right, height - top - bottom
    peak = max((b.count for b in data), default=0)
    y_max = max(1, peak)
    step = plot_w / len(data)
    out: list[str] = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'role="img" aria-labelledby="hist-title" class="histogram" id="histogram" '
        f'data-total="{len(percents)}">',
        f'<title id="hist-title">{escape(title)}</title>',
    ]
    # horizontal grid lines and y ticks at whole counts
    ticks = _ticks(y_max)
    for t in ticks:
        y = top + plot_h - plot_h * t / y_max
        out.append(f'<line class="grid" x1="{left}" x2="{left + plot_w}" '
                   f'y1="{y:.1f}" y2="{y:.1f}"/>')
        out.append(f'<text class="tick" x="{left - 6}" y="{y + 4:.1f}" '
                   f'text-anchor="end">{t}</text>')
    for i, b in enumerate(data):
        h = plot_h * b.count / y_max
        x = left + i * step + 3
        y = top + plot_h - h
        tip = bar_tooltip.format(lo=f"{b.lo:g}", hi=f"{b.hi:g}", count=b.count)
        out.append(
            f'<rect class="hist-bar" x="{x:.1f}" y="{y:.1f}" '
            f'width="{step - 6:.1f}" height="{h:.1f}" '
            f'data-lo="{b.lo:g}" data-hi="{b.hi:g}" data-count="{b.count}">'
            f"<title>{escape(tip)}</title></rect>"
        )
        if b.count:
            out.append(
                f'<text class="count" x="{x + (step - 6) / 2:.1f}" y="{y - 5:.1f}" '
                f'text-anchor="middle">{b.count}</text>'
            )
    for i in range(len(data) + 1):
        x = left + i * step
        out.append(
            f'<text class="tick" x="{x:.1f}" y="{top + plot_h + 16}" text-anchor="middle">'
            f"{i * 100 // len(data)}</text>"
        )
    if percents:
        med = _median(percents)
        x = left + plot_w * med / 100
        out.append(
            f'<line class="median" x1="{x:.1f}" x2="{x:.1f}" y1="{top - 6}" y2="{top + plot_h}" '
            f'data-median="{med:.4g}"/>'
        )
        anchor = "end" if med > 80 else "start"
        dx = -4 if anchor == "end" else 4
        out.append(
            f'<text class="median-label" x="{x + dx:.1f}" y="{top - 10}" text-anchor="{anchor}">'
            f"{escape(median_label)} {med:.3g}</text>"
        )
    out.append(
        f'<line class="axis" x1="{left}" x2="{left + plot_w}" y1="{top + plot_h}" '
        f'y2="{top + plot_h}"/>'
    )
    out.append(
        f'<text class="axis-label" x="{left + plot_w / 2:.1f}" y="{height - 10}" '
        f'text-anchor="middle">{escape(x_label)}</text>'
    )
    out.append(
        f'<text class="axis-label" transform="translate(14 {top + plot_h / 2:.1f}) rotate(-90)" '
        f'text-anchor="middle">{escape(y_label)}</text>'
    )
    out.append("</svg>")
    return Markup("\n".join(out))


def _ticks(y_max: int) -> list[int]:
    """Whole-number ticks at a 1-2-5 step, at most about six of them."""
    step, scale = 1, 1
    while y_max / step > 6:
        for m in (2, 5, 10):
            step = m * scale
            if y_max / step <= 6:
                break
        scale *= 10
    return list(range(0, y_max + 1, step))


def _median(values: Sequence[float]) -> float:
    s = sorted(values)
    n = len(s)
    mid = n // 2
    return s[mid] if n % 2 else (s[mid - 1] + s[mid]) / 2
