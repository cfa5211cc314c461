"""The class dashboard: what an instructor or TA reads after grading a whole class.

One page, ``DIR/index.html``, answering in order: how did the class do
(the score distribution), who needs help (below half of the points, or
missing a concept most of the class passed), how each module went
(averages and distributions over the students who handed it in), which
ideas did not land (per-concept and per-test pass rates, hardest first),
which classic mistakes were made and by whom, which submissions have no
real grade and why, and a students x concepts grid (colour = share of
points) linking every student's report. It is a single self-contained
file: the histogram and the small charts are SVG drawn in Python
(``chart``), and one small inline script sorts the grid and makes its CSV
(without it the page still reads, sorted by student).

Means count every graded submission, including a real 0 from a module
that does not import or from untouched stubs; pass rates count, per
module, only the students who handed it in (its file imports and something
in it is written: `nngrade.report.model.handed_in`), so empty hand-ins do
not drag every concept down. Submissions the grader could not grade at all
(``nngrade.error``) are listed but left out of means and rates, since they
have no score to average. Names that carry no points (given code) are no
concept.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

from nngrade.contract import MODULES
from nngrade.folder_names import student_folder
from nngrade.report.chart import histogram_svg
from nngrade.report.i18n import N_, normalize_lang, translations
from nngrade.report.model import (
    MODULE_TITLES,
    as_mapping,
    grading_problem,
    handed_in,
    is_passed,
    mistake_of,
    mistake_text,
    note_text,
    percent,
    split_title,
    student_id,
    test_concept,
    translated_title,
)
from nngrade.report.render import grid_script, render, stylesheet, write_atomic
from nngrade.report.table import COLUMN_HEADS
from nngrade.version import __version__

__all__ = ["ClassView", "class_view", "render_class_summary", "write_class_summary"]

PROBLEM_LABELS: dict[str, str] = {
    "error": N_("Could not be graded"),
    "zero": N_("Scored 0: modules do not import"),
    "empty": N_("Scored 0: no module files found"),
    "stubs": N_("Scored 0: nothing written yet (the handout's stubs)"),
}

NEEDS_HELP_BELOW = 50.0  # percent of the maximum: below it a student is listed as needing help
MOST_PASSED = 0.75  # a concept this share of the class passed: missing it is worth a word
MOST_PASSED_MIN = 4  # ...once at least this many students handed its module in


@dataclass
class Entry:
    """One submission's row."""

    student: str
    href: str
    score: float
    max_score: float
    modules: dict[str, tuple[float, float]]
    late: bool
    problem: tuple[str, str] | None
    problem_label: str = ""
    problem_text: str = ""
    handed_in: frozenset[str] = frozenset()  # the modules the student handed in (`handed_in`)
    concepts: dict[str, tuple[float, float]] = field(default_factory=dict)  # points, of max

    @property
    def counted(self) -> bool:
        return not (self.problem and self.problem[0] == "error") and self.max_score > 0

    @property
    def percent(self) -> float | None:
        return percent(self.score, self.max_score)


@dataclass
class Rate:
    """How the class did on one test or one contract name."""

    key: str
    label: str
    module: str
    module_title: str
    name: str
    passed: int = 0
    attempted: int = 0
    points: float = 0.0
    max_points: float = 0.0

    @property
    def rate(self) -> float | None:
        return 100.0 * self.passed / self.attempted if self.attempted else None

    @property
    def mean_share(self) -> float | None:
        return 100.0 * self.points / self.max_points if self.max_points else None

    @property
    def hard(self) -> bool:
        """Someone did not pass it: shown in the table, not folded away."""
        return self.passed < self.attempted


@dataclass
class MistakeRow:
    code: str
    text: str
    students: list[Entry] = field(default_factory=list)
    occurrences: int = 0


@dataclass
class Column:
    """One concept of the grid: a contract name that carries points."""

    key: str  # "module.name"
    module: str
    name: str
    max_points: float = 0.0  # per student


@dataclass
class HelpRow:
    """A student the TA should look at, and why."""

    entry: Entry
    below: bool  # under NEEDS_HELP_BELOW percent
    missed: list[str]  # concepts most of the class passed and this student did not


@dataclass
class ModuleStats:
    """How the class did on one module, over the students who handed it in."""

    key: str
    title: str
    max_points: float
    handed_in: int
    graded: int
    mean: float | None
    median: float | None
    bands: list[int]  # students per fifth of the module's points (the last includes full)


@dataclass
class ClassView:
    entries: list[Entry]
    counted: list[Entry]
    mean: float | None
    median: float | None
    max_score: float | None
    concepts: list[Rate]
    tests: list[Rate]
    mistakes: list[MistakeRow]
    problems: list[Entry]
    modules: list[tuple[str, str, str]]  # (key, abbreviation, translated title)
    columns: list[Column] = field(default_factory=list)  # the grid's concepts, contract order
    needs_help: list[HelpRow] = field(default_factory=list)
    module_stats: list[ModuleStats] = field(default_factory=list)

    @property
    def late(self) -> list[Entry]:
        return [e for e in self.entries if e.late]


def _entry(results: Mapping[str, Any], lang: str) -> Entry:
    t = translations(lang)
    ng = results.get("nngrade") or {}
    source = as_mapping(ng.get("source"))
    declared = as_mapping(ng.get("modules"))
    modules: dict[str, tuple[float, float]] = {}
    for key in MODULES:
        info = declared.get(key)
        if isinstance(info, Mapping):
            modules[key] = (float(info.get("score") or 0.0), float(info.get("max_score") or 0.0))
    if not declared:  # older results: add the tests up
        sums: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0])
        for test in results.get("tests") or []:
            module, _ = test_concept(test)
            sums[module][0] += float(test.get("score") or 0.0)
            sums[module][1] += float(test.get("max_score") or 0.0)
        modules = {k: (v[0], v[1]) for k, v in sums.items() if k in MODULES}
    student = student_id(results)
    problem = grading_problem(results)
    concepts: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0])
    for test in results.get("tests") or []:
        module, name = test_concept(test)
        if name:
            cell = concepts[f"{module}.{name}"]
            cell[0] += float(test.get("score") or 0.0)
            cell[1] += float(test.get("max_score") or 0.0)
    entry = Entry(
        student=student,
        href=f"{quote(student_folder(student), safe='')}/report.html",
        score=float(results.get("score") or 0.0),
        max_score=float(results.get("max_score") or 0.0),
        modules=modules,
        late=bool(source.get("late")),
        problem=problem,
        handed_in=frozenset(m for m in MODULES if handed_in(results, m)),
        concepts={k: (v[0], v[1]) for k, v in concepts.items()},
    )
    if problem is not None:
        entry.problem_label = t.gettext(PROBLEM_LABELS[problem[0]])
        entry.problem_text = note_text(problem[1], lang)
    return entry


def class_view(all_results: Sequence[Mapping[str, Any]], lang: str = "en") -> ClassView:
    """The class's numbers, decided once, for the page and for tests to compare against."""
    lang = normalize_lang(lang)
    t = translations(lang)
    entries = [_entry(r, lang) for r in all_results]
    by_student = {e.student: e for e in entries}
    counted = [e for e in entries if e.counted]
    scores = [e.score for e in counted]
    maxima = sorted({e.max_score for e in counted})

    tests: dict[tuple[str, str, str], Rate] = {}
    concepts: dict[tuple[str, str], Rate] = {}
    concept_ok: dict[tuple[str, str], dict[str, bool]] = defaultdict(dict)
    mistakes: dict[str, MistakeRow] = {}
    for results in all_results:
        student = student_id(results)
        if not by_student[student].counted:
            continue
        for test in results.get("tests") or []:
            module, name = test_concept(test)
            if module not in by_student[student].handed_in:
                continue  # rates count the students who handed the module in
            title = split_title(test)
            passed = is_passed(test)
            score = float(test.get("score") or 0.0)
            max_score = float(test.get("max_score") or 0.0)
            key = (module, name, title)
            if key not in tests:
                tests[key] = Rate(
                    key=f"{module}.{name}: {title}" if name else title,
                    label=translated_title(title, lang),
                    module=module,
                    module_title=t.gettext(MODULE_TITLES[module]),
                    name=name,
                )
            rate = tests[key]
            rate.attempted += 1
            rate.passed += passed
            rate.points += score
            rate.max_points += max_score
            ckey = (module, name)
            if ckey not in concepts:
                concepts[ckey] = Rate(
                    key=f"{module}.{name}",
                    label=f"{module}.{name}",
                    module=module,
                    module_title=t.gettext(MODULE_TITLES[module]),
                    name=name,
                )
            concepts[ckey].points += score
            concepts[ckey].max_points += max_score
            ok = concept_ok[ckey]
            ok[student] = ok.get(student, True) and passed
            found = None if passed else mistake_of(test)
            if found:
                code, english = found
                row = mistakes.setdefault(code, MistakeRow(code, mistake_text(code, english, lang)))
                row.occurrences += 1
                if by_student[student] not in row.students:
                    row.students.append(by_student[student])
    for ckey, per_student in concept_ok.items():
        concepts[ckey].attempted = len(per_student)
        concepts[ckey].passed = sum(per_student.values())

    concepts = {k: c for k, c in concepts.items() if c.max_points > 0}  # given code: no rate
    columns = _columns(counted)

    def hardest(rate: Rate) -> tuple:
        return (rate.rate if rate.rate is not None else 101.0,
                rate.mean_share if rate.mean_share is not None else 101.0, rate.key)

    return ClassView(
        entries=sorted(entries, key=lambda e: e.student),
        counted=counted,
        mean=statistics.fmean(scores) if scores else None,
        median=statistics.median(scores) if scores else None,
        max_score=maxima[-1] if maxima else None,
        concepts=sorted(concepts.values(), key=hardest),
        tests=sorted(tests.values(), key=hardest),
        mistakes=sorted(mistakes.values(),
                        key=lambda m: (-len(m.students), -m.occurrences, m.code)),
        problems=sorted((e for e in entries if e.problem), key=lambda e: e.student),
        modules=[(k, t.gettext(COLUMN_HEADS.get(k, k[:6])), t.gettext(MODULE_TITLES[k]))
                 for k in MODULES],
        columns=columns,
        needs_help=_needs_help(counted, concepts),
        module_stats=[_module_stats(k, t.gettext(MODULE_TITLES[k]), counted) for k in MODULES],
    )


def _columns(counted: Sequence[Entry]) -> list[Column]:
    """The concepts that carry points, in the contract's order."""
    worth: dict[str, float] = {}
    for e in counted:
        for key, (_, out_of) in e.concepts.items():
            worth[key] = max(worth.get(key, 0.0), out_of)
    return [Column(f"{m}.{n}", m, n, worth[f"{m}.{n}"]) for m, names in MODULES.items()
            for n in names if worth.get(f"{m}.{n}", 0.0) > 0]


def _needs_help(counted: Sequence[Entry], concepts: Mapping[tuple[str, str], Rate]
                ) -> list[HelpRow]:
    """Students below half the points, or missing a concept most of the class passed;
    lowest score first. Submissions without a real grade are listed apart, not here."""
    common = [c for c in concepts.values() if c.attempted >= MOST_PASSED_MIN
              and c.passed >= MOST_PASSED * c.attempted and c.passed < c.attempted]
    rows = []
    for e in counted:
        if e.problem:
            continue
        missed = [c.key for c in common if c.module in e.handed_in
                  and e.concepts.get(c.key, (0.0, 0.0))[0] < e.concepts.get(c.key, (0.0, 0.0))[1]]
        below = (e.percent or 0.0) < NEEDS_HELP_BELOW
        if below or missed:
            rows.append(HelpRow(e, below, missed))
    return sorted(rows, key=lambda r: (r.entry.score, r.entry.student))


def _module_stats(key: str, title: str, counted: Sequence[Entry]) -> ModuleStats:
    handed = [e for e in counted if key in e.handed_in and key in e.modules]
    points = [e.modules[key][0] for e in handed]
    out_of = max((e.modules[key][1] for e in counted if key in e.modules), default=0.0)
    bands = [0] * 5
    for p in points:
        bands[min(4, int(5 * p / out_of)) if out_of else 0] += 1
    return ModuleStats(key=key, title=title, max_points=out_of, handed_in=len(handed),
                       graded=len(counted), mean=statistics.fmean(points) if points else None,
                       median=statistics.median(points) if points else None, bands=bands)


def render_class_summary(all_results: Sequence[Mapping[str, Any]], lang: str = "en") -> str:
    lang = normalize_lang(lang)
    t = translations(lang)
    view = class_view(all_results, lang)
    percents = [p for p in (e.percent for e in view.counted) if p is not None]
    chart = histogram_svg(
        percents,
        title=t.gettext("Score distribution"),
        x_label=t.gettext("Score (percent of the maximum)"),
        y_label=t.gettext("Students"),
        median_label=t.gettext("median"),
        bar_tooltip=t.gettext("{lo}–{hi}: {count} students"),
    )
    return render(
        "summary.html",
        lang,
        c=view,
        chart=chart,
        version=__version__,
        stylesheet=stylesheet(),
        grid_script=grid_script(),
    )


def write_class_summary(all_results: list[dict], out_dir: Path, lang: str = "en") -> Path:
    """Write ``out_dir/index.html`` for a graded class and return its path.

    Links to the students' reports are relative (``<folder>/report.html``, the folder
    `nngrade.folder_names.student_folder` names),
    so the whole output folder can be moved, zipped or served as it is.
    """
    path = Path(out_dir) / "index.html"
    write_atomic(path, render_class_summary(all_results, lang))
    return path
