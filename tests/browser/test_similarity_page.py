"""The similarity report rendered by Chromium, in English and Chinese.

The page must load from disk with no console error and no network request,
show the notice that a score is not proof, list the planted copy first,
open a pair's side-by-side view from its link, link the two halves of a
matching region, sort its tables, and show hostile characters as marks.
Screenshots go to test-artifacts/.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_similarity_class import make_student, stub_text

from nngrade.similarity.analysis import analyse
from nngrade.similarity.compare import Settings
from nngrade.similarity.given import load_given
from nngrade.similarity.intake import HandIn
from nngrade.similarity.report import write_report

REPO = Path(__file__).resolve().parents[2]
LANGS = ["en", "zh"]
NOTICE = {"en": "A high score is a reason to look, not proof.", "zh": "评分高只是值得查看的理由"}


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A class of 30 where "copier" handed in "author"'s activations with a bidi trick."""
    rng = random.Random(4)
    taken: dict[str, set[tuple]] = {}
    students = {f"s{i:02d}": make_student(f"s{i:02d}", rng, taken=taken) for i in range(28)}
    author = make_student("author", rng, taken=taken)
    tricked = author.files["activations"].replace(
        "import numpy as np", "import numpy as np\nROLE = 'user\u202e \u2066# admin\u2069'", 1)
    hand_ins = [HandIn(name, dict(s.files)) for name, s in students.items()]
    hand_ins.append(HandIn("author", dict(author.files, activations=tricked)))
    hand_ins.append(HandIn("copier", {"activations": tricked,
                                      "losses": stub_text("losses")}))
    given = load_given(REPO, [], Settings().k)
    analysis = analyse(hand_ins, given, Settings(), ["activations", "losses"])
    out = {}
    for lang in LANGS:
        folder = tmp_path_factory.mktemp(f"similarity-{lang}")
        write_report(analysis, folder, lang)
        out[lang] = folder / "similarity.html"
    return out


@pytest.fixture
def page(browser: object) -> Iterator[tuple[object, list[str], list[str]]]:
    context = browser.new_context(viewport={"width": 1300, "height": 900})  # type: ignore[attr-defined]
    tab = context.new_page()
    errors: list[str] = []
    requests: list[str] = []
    tab.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    tab.on("pageerror", lambda e: errors.append(str(e)))
    tab.on("request", lambda r: requests.append(r.url)
           if not r.url.startswith(("file://", "data:")) else None)
    yield tab, errors, requests
    context.close()


@pytest.mark.parametrize("lang", LANGS)
def test_the_report_renders_and_says_a_score_is_not_proof(
        reports: dict[str, Path], page: tuple, artifacts: Path, lang: str,
        capsys: pytest.CaptureFixture) -> None:
    tab, errors, requests = page
    tab.goto(reports[lang].as_uri(), wait_until="load")
    assert tab.locator("html").get_attribute("lang") == ("en" if lang == "en" else "zh-CN")
    notice = tab.locator("#notice")
    assert notice.is_visible() and NOTICE[lang] in notice.inner_text()
    first = tab.locator('section[data-module="activations"] tr.pair-row').first
    assert {first.get_attribute("data-a"), first.get_attribute("data-b")} == {"author", "copier"}
    assert "flagged" in (first.get_attribute("class") or "")
    shot = artifacts / f"similarity-{lang}.png"
    tab.screenshot(path=str(shot), full_page=False)
    assert shot.stat().st_size > 10_000
    with capsys.disabled():
        print(f"\nscreenshot: {shot}")
    assert errors == [] and requests == []


def test_a_pair_opens_side_by_side_with_linked_regions(reports: dict[str, Path], page: tuple,
                                                       artifacts: Path) -> None:
    tab, errors, _ = page
    tab.goto(reports["en"].as_uri(), wait_until="load")
    row = tab.locator('section[data-module="activations"] tr.pair-row').first
    row.locator("a").first.click()
    view = tab.locator("details.pair[open]")
    assert view.count() == 1
    left, right = view.locator(".side-a mark.m"), view.locator(".side-b mark.m")
    assert left.count() > 0 and right.count() > 0
    region = left.first.get_attribute("data-r")
    left.first.hover()
    partners = view.locator(f'.side-b mark.m[data-r="{region}"]')
    assert partners.count() > 0
    assert "active" in (partners.first.get_attribute("class") or "")
    # the bidi override is shown as a mark, not applied
    assert view.locator(".ctl", has_text="U+202E").count() >= 2
    assert "\u202e" not in view.inner_text()
    view.screenshot(path=str(artifacts / "similarity-pair.png"))
    assert errors == []


def test_tables_sort_by_a_column(reports: dict[str, Path], page: tuple) -> None:
    tab, errors, _ = page
    tab.goto(reports["en"].as_uri(), wait_until="load")
    table = tab.locator('table.pairs[data-module="activations"]')
    ranks = table.locator("tbody tr td:first-child")
    before = [int(x) for x in ranks.all_inner_texts()]
    assert before == sorted(before)
    table.locator("thead th").first.click()  # the rank column, now descending
    after = [int(x) for x in ranks.all_inner_texts()]
    assert after == sorted(before, reverse=True)
    assert errors == []
