"""The student report and the class summary, rendered by Chromium, in English and Chinese.

Each page must load from disk with no console error and no network request,
and the numbers Chromium shows must be those of results.json. Screenshots
go to test-artifacts/ (git-ignored); their paths are printed.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from test_report_samples import bob, sample_class

from nngrade.contract import MODULES
from nngrade.report import write_class_summary, write_student_report
from nngrade.report.chart import bins
from nngrade.report.model import fmt_points

LANGS = ["en", "zh"]
WORDS = {  # a heading only the right language has
    "en": ("Scores by module", "Score distribution"),
    "zh": ("各模块得分", "成绩分布"),
}


@dataclass
class Visit:
    """A page and everything it complained about or tried to fetch."""

    page: object
    errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)


@pytest.fixture
def visit(browser: object) -> Iterator:
    context = browser.new_context(viewport={"width": 1100, "height": 900})  # type: ignore[attr-defined]

    def open_page(path: Path) -> Visit:
        page = context.new_page()
        v = Visit(page)
        page.on("console", lambda m: v.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: v.errors.append(str(e)))
        page.on("request", lambda r: v.requests.append(r.url)
                if not r.url.startswith(("file://", "data:")) else None)
        page.goto(path.as_uri(), wait_until="load")
        return v

    yield open_page
    context.close()


@pytest.fixture(scope="module")
def graded_class(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The synthetic class written as `nngrade grade` lays it out, once per language."""
    out = {}
    for lang in LANGS:
        root = tmp_path_factory.mktemp(f"class-{lang}")
        for results in sample_class():
            write_student_report(results, root / results["nngrade"]["student"] / "report.html",
                                 lang=lang)
        write_class_summary(sample_class(), root, lang=lang)
        out[lang] = root
    return out


def shoot(v: Visit, path: Path, capsys: pytest.CaptureFixture) -> None:
    v.page.screenshot(path=str(path), full_page=True)  # type: ignore[attr-defined]
    assert path.stat().st_size > 10_000
    with capsys.disabled():
        print(f"\nscreenshot: {path}")


def clean(v: Visit) -> None:
    assert v.errors == [], f"console errors: {v.errors}"
    assert v.requests == [], f"the page tried to fetch: {v.requests}"


@pytest.mark.parametrize("lang", LANGS)
def test_student_report_in_chromium(visit, graded_class, artifacts, capsys, lang) -> None:
    results = bob()
    v = visit(graded_class[lang] / "bob" / "report.html")
    page = v.page
    clean(v)
    assert page.locator("html").get_attribute("lang") == ("zh-CN" if lang == "zh" else "en")
    assert WORDS[lang][0] in page.inner_text("#at-a-glance")

    total = page.locator("#total-score")
    assert float(total.get_attribute("data-score")) == results["score"]
    assert total.locator(".value").inner_text() == fmt_points(results["score"])
    assert total.locator(".of").inner_text().strip() == f"/ {fmt_points(results['max_score'])}"

    rows = page.locator("tr.module-row")
    assert rows.count() == len(MODULES)
    for i, module in enumerate(MODULES):
        row = rows.nth(i)
        info = results["nngrade"]["modules"][module]
        assert row.get_attribute("data-module") == module
        assert row.locator("td.points").inner_text() == (
            f"{fmt_points(info['score'])} / {fmt_points(info['max_score'])}")

    shown = page.locator("[data-status]")
    assert shown.count() == len(results["tests"])
    failed = page.locator("article.test.failed")
    assert failed.count() == sum(t["status"] == "failed" for t in results["tests"])
    assert failed.first.is_visible(), "failures are on the page, not folded away"
    points = sum(float(shown.nth(i).get_attribute("data-score")) for i in range(shown.count()))
    assert points == pytest.approx(results["score"])
    assert page.locator("#seed").inner_text() == str(results["nngrade"]["seed"])
    assert page.locator("#grader-version").inner_text() == results["nngrade"]["grader_version"]
    assert page.locator("#limits tr.limit").count() == len(results["nngrade"]["limits_hit"])
    assert page.locator("#missing-protections li").count() == 1

    # What a student sees first: the total and the module bars, above the fold.
    assert total.bounding_box()["y"] < 300
    assert page.locator("#at-a-glance").bounding_box()["y"] < 900
    shoot(v, artifacts / f"student-report-{lang}.png", capsys)


@pytest.mark.parametrize("lang", LANGS)
def test_class_summary_in_chromium(visit, graded_class, artifacts, capsys, lang) -> None:
    everyone = sample_class()
    graded = [r for r in everyone if not r["nngrade"]["error"]]
    scores = [r["score"] for r in graded]
    v = visit(graded_class[lang] / "index.html")
    page = v.page
    clean(v)
    assert WORDS[lang][1] in page.inner_text("#distribution")

    def stat(name: str) -> str:
        return page.locator(f"#stat-{name}").inner_text()

    assert stat("submissions") == str(len(everyone))
    assert stat("graded") == str(len(graded))
    assert stat("mean") == fmt_points(statistics.fmean(scores))
    assert stat("median") == fmt_points(statistics.median(scores))
    assert stat("late") == str(sum(r["nngrade"]["source"]["late"] for r in everyone))

    bars = page.locator("svg#histogram rect.hist-bar")
    expected = bins([100 * r["score"] / r["max_score"] for r in graded])
    assert bars.count() == len(expected)
    for i, b in enumerate(expected):
        assert int(bars.nth(i).get_attribute("data-count")) == b.count
    assert page.locator("svg#histogram").bounding_box()["height"] > 150, "the chart is drawn"

    rows = page.locator("#students tr.student")
    assert rows.count() == len(everyone)
    by_student = {r["nngrade"]["student"]: r for r in everyone}
    for i in range(rows.count()):
        row = rows.nth(i)
        r = by_student[row.get_attribute("data-student")]
        cell = row.locator("td.score").inner_text()
        if r["nngrade"]["error"]:
            assert cell == "–"
        else:
            assert cell == f"{fmt_points(r['score'])} / {fmt_points(r['max_score'])}"
        assert (row.get_attribute("data-late") == "true") == r["nngrade"]["source"]["late"]

    rates = [page.locator("tr.concept").nth(i).get_attribute("data-passed")
             for i in range(3)]
    assert all(r is not None for r in rates)
    assert page.locator("#problems tr.problem").count() == 2
    assert page.locator("#mistakes tr.mistake").first.get_attribute("data-students") == "2"
    shoot(v, artifacts / f"class-summary-{lang}.png", capsys)

    # The links lead to the students' reports (relative, so the folder can move).
    page.locator("#students a", has_text="chen_wei").first.click()
    page.wait_for_load_state("load")
    assert page.locator("#report").get_attribute("data-student") == "chen_wei"
    assert page.locator("#late-badge").is_visible()
    clean(v)
