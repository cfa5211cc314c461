"""The report's pictures and the class dashboard, as Chromium shows them, in English and Chinese.

The student report of a student with one failure of every picture kind,
and the class dashboard of the sample class and of a generated class of
300: no console error, no network request, every figure drawn and
labelled, the grid's numbers equal to results.json, sorting and the CSV
working, and a pixel check that a picture shows its data (the decision
regions of a right and of a wrong network look different). Screenshots go
to test-artifacts/.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from test_report_samples import POINTS, make_results, mismatch, sample_class

from nngrade.contract import MODULES
from nngrade.feedback import figure_data
from nngrade.hidden.pictures import fit_figure, regions_figure
from nngrade.reference.course.overfitting import polynomial_features
from nngrade.report import write_class_summary, write_student_report
from nngrade.report.model import fmt_points

LANGS = ["en", "zh"]
CAPTION = {"en": "Expected (reference)", "zh": "期望值（参考实现）"}


def _xor(x1: np.ndarray, x2: np.ndarray) -> np.ndarray:
    return ((x1 > 0.5) != (x2 > 0.5)).astype(float)


def _or(x1: np.ndarray, x2: np.ndarray) -> np.ndarray:  # a network that learned OR, not XOR
    return ((x1 > 0.5) | (x2 > 0.5)).astype(float)


def _failure(figure: dict | None) -> dict:
    fb = mismatch("f(x)", "1.0", "2.0")
    fb["figure"] = figure
    return fb


def pictured(network=_or) -> dict:
    """A student with one failure of every picture kind (the numbers grading makes)."""
    image = np.arange(16.0).reshape(4, 4)
    rotate = figure_data(np.rot90(image, -1), np.rot90(image), "image")
    assert rotate is not None
    rotate["input"] = image.tolist()
    return make_results("pia", failures={
        "regularization.rotate": _failure(rotate),
        "activations.relu_prime": _failure(figure_data(np.eye(3), np.ones((3, 3)))),
        "autodiff.train_neuron": _failure(figure_data([0.25, 0.2, 0.18], [0.25, 0.19, 0.15],
                                                      "curves")),
        "vanishing.layer_gradients": _failure(figure_data(np.array([0.2, 0.04, 0.008]),
                                                          np.array([0.008, 0.04, 0.2]),
                                                          "gradients")),
        "backprop.train_xor": _failure(regions_figure(network, _xor)),
        "overfitting.fit_polynomial": _failure(fit_figure(
            np.linspace(-1, 1, 6), np.linspace(-1, 1, 6) ** 2, [0.0, 0.0, 1.0][::-1],
            np.array([0.0, 0.0, 1.0]), polynomial_features)),
    })


@pytest.fixture
def open_page(browser: object) -> Iterator:
    context = browser.new_context(viewport={"width": 1200, "height": 900})  # type: ignore[attr-defined]
    problems: list[str] = []

    def go(path: Path) -> object:
        page = context.new_page()
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: problems.append(str(e)))
        page.on("request", lambda r: problems.append(r.url)
                if not r.url.startswith(("file://", "data:", "blob:")) else None)
        page.goto(path.as_uri(), wait_until="load")
        return page

    go.problems = problems  # type: ignore[attr-defined]
    yield go
    context.close()
    assert problems == [], f"console errors or network requests: {problems}"


@pytest.mark.parametrize("lang", LANGS)
def test_every_picture_is_drawn_and_labelled(open_page, tmp_path, artifacts, lang) -> None:
    path = tmp_path / "pia" / "report.html"
    write_student_report(pictured(), path, lang=lang)
    page = open_page(path)
    figures = page.locator("article figure.fig")
    kinds = sorted(figures.nth(i).get_attribute("data-figure") for i in range(figures.count()))
    assert kinds == ["curves", "curves", "fit", "image", "matrix", "regions"]
    for i in range(figures.count()):
        fig = figures.nth(i)
        fig.scroll_into_view_if_needed()
        box = fig.locator("svg").first.bounding_box()
        assert box is not None and box["width"] > 50 and box["height"] > 30, "drawn"
        labels = [fig.locator("svg").nth(k).get_attribute("aria-label")
                  for k in range(fig.locator("svg").count())]
        assert all(labels), "every picture has a label (aria-label)"
    assert CAPTION[lang] in page.locator("article figure.fig").first.inner_text() or \
        CAPTION[lang] in page.inner_text("main")
    gradients = page.locator('article[data-contract="vanishing.layer_gradients"] svg')
    assert gradients.get_attribute("data-log") == "true"
    page.screenshot(path=str(artifacts / f"student-figures-{lang}.png"), full_page=True)


def test_decision_regions_show_the_network(open_page, tmp_path, artifacts) -> None:
    shots = []
    for name, network in (("right", _xor), ("wrong", _or)):
        path = tmp_path / name / "report.html"
        write_student_report(pictured(network), path, lang="en")
        page = open_page(path)
        panels = page.locator('article[data-contract="backprop.train_xor"] svg.regions')
        assert panels.count() == 2
        yours = panels.nth(1)
        yours.scroll_into_view_if_needed()
        shot = artifacts / f"regions-{name}.png"
        yours.screenshot(path=str(shot))
        shots.append((shot.read_bytes(), panels.nth(0).screenshot(),
                      int(yours.get_attribute("data-ones"))))
    (right, right_ref, right_ones), (wrong, wrong_ref, wrong_ones) = shots
    assert right_ref == wrong_ref, "the reference's regions do not depend on the student"
    assert right != wrong, "a wrong network's regions look different"
    assert wrong_ones > right_ones, "OR marks three quadrants where XOR marks two"


def generated_class(n: int, seed: int = 7) -> list[dict]:
    """A class of ``n``: random wrong names, some late, stub hand-ins and ungradeable ones."""
    rng = random.Random(seed)
    names = [f"{m}.{k}" for m, ks in POINTS.items() for k in ks if POINTS[m][k] > 0]
    out = []
    for i in range(n):
        student = f"s{i:04d}"
        kind = rng.random()
        if kind < 0.03:
            out.append(make_results(student, error="the archive could not be read"))
            continue
        if kind < 0.06:
            failures = {f"{m}.{k}": [{"kind": "not_implemented", "message": "stub"}] * 2
                        for m, ks in MODULES.items() for k in ks}
        else:
            wrong = rng.sample(names, rng.randint(0, 12))
            failures = {k: [mismatch("f(x)", "1", "2"), None][: rng.randint(1, 2)]
                        for k in wrong}
        out.append(make_results(student, failures=failures, late=rng.random() < 0.1))
    return out


def _grid_values(page: object) -> list[list[str]]:
    return page.evaluate(  # type: ignore[attr-defined]
        "Array.from(document.querySelectorAll('#grid tbody tr')).map("
        "r => Array.from(r.cells).filter(c => c.hasAttribute('data-v'))"
        ".map(c => c.getAttribute('data-v')))")


@pytest.mark.parametrize(("size", "lang"), [(0, "en"), (0, "zh"), (300, "en"), (300, "zh")])
def test_dashboard_in_chromium(open_page, tmp_path, artifacts, size, lang) -> None:
    results = generated_class(size) if size else sample_class()
    write_class_summary(results, tmp_path, lang=lang)
    page = open_page(tmp_path / "index.html")
    keys = page.evaluate("Array.from(document.querySelectorAll('#grid th[data-col]'))"
                         ".map(h => h.getAttribute('data-key'))")
    rows = _grid_values(page)
    assert len(rows) == len(results)
    by_student = {r["nngrade"]["student"]: r for r in results}
    for row in rows:
        r = by_student[row[0]]
        if r["nngrade"]["error"]:
            continue
        assert float(row[1]) == r["score"]
        for key, value in zip(keys[2:], row[2:], strict=True):
            if "." in key:
                module, name = key.split(".", 1)
                points = sum(t["score"] for t in r["tests"] if t["tags"] == [module, name])
            else:
                points = r["nngrade"]["modules"][key]["score"]
            assert value == fmt_points(points) or float(value) == pytest.approx(points)

    # sorting: by total, highest first; then by a concept; then by student again
    page.locator('#grid th[data-key="total"]').click()
    totals = [float(r[1]) for r in _grid_values(page) if r[1] != ""]
    assert totals == sorted(totals, reverse=True)
    concept = keys[len(MODULES) + 3]
    page.locator(f'#grid th[data-key="{concept}"]').click()
    column = [r[keys.index(concept)] for r in _grid_values(page)]
    numbers = [float(v) for v in column if v != ""]
    assert numbers == sorted(numbers, reverse=True) and column[len(numbers):] == \
        [""] * (len(column) - len(numbers)), "not graded last"
    page.locator('#grid th[data-key="student"]').click()
    assert [r[0] for r in _grid_values(page)] == sorted(by_student)

    csv = page.evaluate("window.nngradeGridCsv()").splitlines()
    assert csv[0].split(",") == keys and len(csv) == len(results) + 1
    assert page.locator("#needs-help").is_visible() and page.locator("#modules").is_visible()
    assert page.locator("#modules tr.module-stats").count() >= 1
    page.screenshot(path=str(artifacts / f"dashboard-{size or 'sample'}-{lang}.png"),
                    full_page=size == 0)
