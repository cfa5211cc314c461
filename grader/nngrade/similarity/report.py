"""``DIR/similarity.html`` and ``DIR/similarity.csv``: what the instructor reads.

The HTML page is one self-contained file (styles and a small script
inline, nothing fetched), in English or Chinese: a notice that a score is
a reason to look and not proof, an overview, then per module the score
distribution, the groups sharing one source, the ranked pairs and a
side-by-side view of each listed pair with its matching regions
highlighted in the same colour on both sides. It works without the script;
the script only sorts tables, links the two halves of a region and opens
the pair a link points at.

The CSV has one row per pair that shares uncommon code, in every module,
for a spreadsheet.

Threat model: student ids and files are student data. The page is rendered
with autoescaping, code goes through ``nngrade.similarity.display.visible``
(invisible and direction-changing characters shown), ids likewise; CSV
cells that a spreadsheet would read as a formula are prefixed with ``'``.
Nothing here writes anywhere but the two files, and never a grade.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import jinja2
import numpy as np
from markupsafe import Markup

from nngrade.report.render import write_atomic
from nngrade.similarity.analysis import Analysis, ModuleAnalysis
from nngrade.similarity.compare import Document, Pair
from nngrade.similarity.display import Line, code_lines, visible
from nngrade.similarity.texts import Texts
from nngrade.version import __version__

__all__ = ["csv_text", "render_html", "write_report"]

TEMPLATES = Path(__file__).with_name("templates")
HTML_NAME = "similarity.html"
CSV_NAME = "similarity.csv"
MAX_REGIONS_LISTED = 8
CSV_COLUMNS = ["module", "rank", "student_a", "student_b", "score", "same_code", "same_a",
               "written_a", "same_b", "written_b", "shared_uncommon_tokens", "flagged", "group"]


@cache
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["vis"] = visible
    env.filters["pct"] = lambda x: f"{100 * x:.0f}%"
    env.filters["num"] = lambda x: f"{x:.2f}"
    return env


def _asset(name: str) -> Markup:
    return Markup((TEMPLATES / name).read_text(encoding="utf-8"))


# ------------------------------------------------------------------ view model


@dataclass
class Region:
    a_first: int
    a_last: int
    b_first: int
    b_last: int
    tokens: int
    number: int


@dataclass
class PairView:
    pair: Pair
    anchor: str
    lines_a: list[Line]
    lines_b: list[Line]
    regions: list[Region]
    longest_tokens: int
    longest_lines: int
    parsed_a: bool
    parsed_b: bool
    submitted_a: str
    submitted_b: str


def _line_of(doc: Document) -> Any:
    newlines = np.flatnonzero(
        np.frombuffer(doc.text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32) == 10)

    def line(token: int) -> int:
        token = min(max(token, 0), len(doc.stream) - 1)
        return int(np.searchsorted(newlines, doc.stream.starts[token], side="right")) + 1

    return line


def _pair_view(module: ModuleAnalysis, pair: Pair, analysis: Analysis,
               submitted: dict[str, str]) -> PairView:
    a = module.result.documents[pair.a]
    b = module.result.documents[pair.b]
    frags = pair.fragment_list or []
    k = analysis.settings.k
    given = analysis.given.hashes
    line_a, line_b = _line_of(a), _line_of(b)
    regions = [Region(line_a(f.a_start), line_a(f.a_end - 1), line_b(f.b_start),
                      line_b(f.b_end - 1), f.tokens, n) for n, f in enumerate(frags)]
    longest = max(regions, key=lambda r: r.tokens, default=None)
    return PairView(
        pair=pair,
        anchor=f"pair-{module.module}-{pair.rank}",
        lines_a=code_lines(a, frags, "a", k, given),
        lines_b=code_lines(b, frags, "b", k, given),
        regions=sorted(regions, key=lambda r: -r.tokens),
        longest_tokens=longest.tokens if longest else 0,
        longest_lines=(longest.a_last - longest.a_first + 1) if longest else 0,
        parsed_a=a.parsed, parsed_b=b.parsed,
        submitted_a=submitted.get(pair.a, ""), submitted_b=submitted.get(pair.b, ""),
    )


def histogram_svg(scores: list[float], threshold: float, t: Texts) -> Markup:
    """Twenty bars of score bands, heights on a square-root scale (numbers only)."""
    counts = np.histogram(np.clip(scores, 0, 1), bins=20, range=(0.0, 1.0))[0] if scores \
        else np.zeros(20, dtype=int)
    width, height, pad = 600, 120, 18
    top = math.sqrt(max(int(counts.max()), 1))
    bar = width / 20
    parts = [f'<svg class="hist" viewBox="0 0 {width} {height + pad}" role="img" '
             f'xmlns="http://www.w3.org/2000/svg">']
    for i, count in enumerate(counts.tolist()):
        h = 0 if count == 0 else max(2.0, height * math.sqrt(count) / top)
        low, high = i / 20, (i + 1) / 20
        label = t("histogram_bar", count=count, low=f"{low:.2f}", high=f"{high:.2f}")
        cls = "bar hot" if low >= threshold else "bar"
        parts.append(f'<rect class="{cls}" x="{i * bar + 1:.1f}" y="{height - h:.1f}" '
                     f'width="{bar - 2:.1f}" height="{h:.1f}" data-count="{count}">'
                     f"<title>{Markup.escape(label)}</title></rect>")
    x = threshold * width
    parts.append(f'<line class="threshold" x1="{x:.1f}" x2="{x:.1f}" y1="0" y2="{height}"/>')
    for tick in (0, 0.25, 0.5, 0.75, 1.0):
        anchor = "start" if tick == 0 else "end" if tick == 1 else "middle"
        parts.append(f'<text x="{tick * width:.1f}" y="{height + pad - 4}" '
                     f'text-anchor="{anchor}">{tick:g}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def _submitted(analysis: Analysis) -> dict[str, str]:
    return {h.student: h.submitted_at.strftime("%Y-%m-%d %H:%M UTC")
            for h in analysis.hand_ins if h.submitted_at is not None}


def _context(analysis: Analysis, lang: str) -> dict[str, Any]:
    t = Texts(lang)
    s = analysis.settings
    submitted = _submitted(analysis)
    modules = []
    for module in analysis.modules:
        result = module.result
        views = [_pair_view(module, pair, analysis, submitted) for pair in module.shown]
        modules.append({
            "m": module,
            "r": result,
            "views": views,
            "histogram": histogram_svg([p.score for p in result.pairs], s.threshold, t),
            "zero": result.pairs_compared - len(result.pairs),
            "top": result.pairs[0].score if result.pairs else 0.0,
        })
    return {
        "t": t,
        "a": analysis,
        "s": s,
        "modules": modules,
        "flagged": sum(len(m.result.flagged) for m in analysis.modules),
        "clusters": sum(len(m.clusters) for m in analysis.modules),
        "readable": [h for h in analysis.hand_ins if not h.error],
        "warned": [h for h in analysis.hand_ins if h.warnings and not h.error],
        "version": __version__,
        "when": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "seconds": f"{analysis.seconds:.1f}",
        "css": _asset("similarity.css"),
        "js": _asset("similarity.js"),
        "max_regions": MAX_REGIONS_LISTED,
    }


def render_html(analysis: Analysis, lang: str = "en") -> str:
    return _environment().get_template("similarity.html").render(**_context(analysis, lang))


# ------------------------------------------------------------------ CSV


def _cell(value: object) -> object:
    """A spreadsheet must never run a student id as a formula (=, +, -, @, tab, CR)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def csv_text(analysis: Analysis) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for module in analysis.modules:
        for p in module.result.pairs:
            writer.writerow([_cell(v) for v in (
                p.module, p.rank, p.a, p.b, f"{p.score:.4f}", f"{p.similarity:.4f}", p.same_a,
                p.written_a, p.same_b, p.written_b, f"{p.evidence:.1f}",
                "yes" if p.flagged else "no", p.cluster or "")])
    return out.getvalue()


def write_report(analysis: Analysis, out: Path, lang: str = "en") -> tuple[Path, Path]:
    """Write both files into ``out`` (created if needed), each atomically."""
    out = Path(out)
    html_path, csv_path = out / HTML_NAME, out / CSV_NAME
    write_atomic(csv_path, csv_text(analysis))
    write_atomic(html_path, render_html(analysis, lang))
    return html_path, csv_path
