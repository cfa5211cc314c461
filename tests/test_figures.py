"""Pictures in the student report: their numbers (made in grading) and their SVG (drawn here).

Each check reads what was drawn back out of the SVG (``data-*``
attributes, cell colours), so a picture that does not show its data fails;
the browser tests (tests/browser/) check that Chromium shows them.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
from test_report_samples import make_results

from nngrade.feedback import Feedback, expect_close, figure_data
from nngrade.hidden.pictures import XOR_POINTS, regions_figure
from nngrade.report.figures import Labels, figure_html
from nngrade.report.student import render_student_report

LABELS = Labels()


def _cells(svg: str) -> list[tuple[str, str, bool]]:
    """(fill, data-v, marked) of every cell of every heat map, in order."""
    return [(m.group(1), m.group(2), bool(m.group(3))) for m in re.finditer(
        r'<rect [^>]*fill="([^"]+)"[^>]*data-v="([^"]+)"( data-marked)?', svg)]


# ---------------------------------------------------------------- the numbers


def test_a_wrong_matrix_keeps_both_sides_as_json_numbers() -> None:
    got, expected = np.array([[1.0, 2.0], [3.0, np.nan]]), np.array([[1.0, 2.0], [3.0, 4.0]])
    data = figure_data(got, expected)
    assert data == {"kind": "matrix", "got": [[1.0, 2.0], [3.0, None]],
                    "expected": [[1.0, 2.0], [3.0, 4.0]]}
    assert json.loads(json.dumps(data, allow_nan=False)) == data, "valid JSON, no NaN"
    assert figure_data(np.arange(3.0), np.arange(3.0) + 1)["got"] == [[0.0, 1.0, 2.0]], \
        "a short vector is one row of cells"


def test_what_cannot_be_drawn_gives_no_figure() -> None:
    assert figure_data(np.zeros((2, 3)), np.zeros((3, 2))) is None  # shapes differ
    assert figure_data(np.zeros((40, 40)), np.zeros((40, 40))) is None  # too large to draw
    assert figure_data("abc", np.zeros(3)) is None
    assert figure_data(np.zeros((2, 2, 2)), np.zeros((2, 2, 2))) is None
    assert figure_data(3.0, 4.0) is None


def test_curves_may_differ_in_length_and_keep_five_digits() -> None:
    data = figure_data([0.25, 0.2, 0.123456789], np.array([0.25, 0.2]), "curves")
    assert data == {"kind": "curves", "got": [0.25, 0.2, 0.12346], "expected": [0.25, 0.2]}


def test_a_failed_comparison_carries_its_figure_into_results() -> None:
    with pytest.raises(Feedback) as caught:
        expect_close(np.eye(3), np.ones((3, 3)), call="f(x)")
    assert caught.value.as_dict()["figure"]["kind"] == "matrix"
    with pytest.raises(Feedback) as caught:
        expect_close(np.array([1.0, 0.5, 0.1]), np.array([1.0, 0.5, 0.2]), figure="curves")
    assert caught.value.as_dict()["figure"]["kind"] == "curves"
    expect_close(np.eye(2), np.eye(2))  # a pass makes nothing


# ---------------------------------------------------------------- the SVG


def test_a_matrix_outlines_exactly_the_entries_that_differ() -> None:
    html = str(figure_html({"kind": "matrix", "got": [[1, 2], [3, 9]],
                            "expected": [[1, 2], [3, 4]]}, LABELS))
    assert 'data-figure="matrix"' in html and 'data-differing="1"' in html
    expected, got, diff = (_cells(svg) for svg in html.split("<svg")[1:])
    assert [v for _, v, _ in expected] == ["1", "2", "3", "4"]
    assert [v for _, v, _ in got] == ["1", "2", "3", "9"]
    assert [m for _, _, m in got] == [False, False, False, True]
    assert [v for _, v, _ in diff] == ["0", "0", "0", "5"]
    assert got[3][0] != expected[3][0], "a different value is a different colour"
    assert diff[0][0] == "#ffffff" and diff[3][0] != "#ffffff"


def test_an_image_is_grey_with_its_input_and_red_outlines() -> None:
    image = [[0, 255], [128, 64]]
    html = str(figure_html({"kind": "image", "got": [[255, 64], [0, 128]],
                            "expected": [[255, 64], [0, 128]], "input": image}, LABELS))
    assert html.count("<svg") == 3 and 'data-differing="0"' in html
    fills = [f for f, _, _ in _cells(html.split("<svg")[1])]
    assert fills == ["#000000", "#ffffff", "#808080", "#404040"]
    wrong = str(figure_html({"kind": "image", "got": [[0, 255], [128, 64]],
                             "expected": [[255, 64], [0, 128]]}, LABELS))
    assert 'data-differing="4"' in wrong and 'stroke="#dc2626"' in wrong


def test_curves_draw_both_lines_and_the_best_epoch() -> None:
    html = str(figure_html({"kind": "curves", "got": [0.5, 0.4, 0.35],
                            "expected": [0.5, 0.3, 0.2, 0.25], "best": 2}, LABELS))
    values = re.findall(r'data-label="([^"]+)" data-values="([^"]+)"', html)
    assert values == [("Expected", "0.5 0.3 0.2 0.25"), ("Yours", "0.5 0.4 0.35")]
    assert 'class="marker"' in html and 'data-x="2"' in html
    assert 'data-log="false"' in html


def test_gradients_per_layer_are_drawn_on_a_log_axis() -> None:
    data = {"kind": "gradients", "got": [0.2, 0.05, 0.01, 0.002], "expected": [0.002, 0.01,
                                                                                  0.05, -0.2]}
    html = str(figure_html(data, LABELS))
    assert 'data-log="true"' in html and LABELS.log_scale in html
    points = re.findall(r'<polyline[^>]*points="([^"]+)"', html)
    first_y = [float(p.split()[0].split(",")[1]) for p in points]
    last_y = [float(p.split()[-1].split(",")[1]) for p in points]
    assert first_y[0] == pytest.approx(last_y[1]), "|-0.2| and 0.2 are drawn alike"
    dead = str(figure_html({"kind": "gradients", "got": [0.0, 0.0], "expected": [0.0, 0.0]},
                           LABELS))
    assert 'data-log="false"' in dead, "all zeros (a dead relu): no log axis to draw"


def test_decision_regions_show_the_network() -> None:
    def solves(x1: np.ndarray, x2: np.ndarray) -> np.ndarray:  # XOR: one corner pair each
        return ((x1 > 0.5) != (x2 > 0.5)).astype(float)

    def constant(x1: np.ndarray, x2: np.ndarray) -> np.ndarray:
        return np.full_like(x1, 0.3)

    data = regions_figure(constant, solves)
    assert data["points"] == XOR_POINTS
    assert np.array(data["expected"]).shape == (21, 21)
    top, bottom = data["expected"][0], data["expected"][-1]
    assert (top[0], top[-1], bottom[0], bottom[-1]) == (1.0, 0.0, 0.0, 1.0), "row 0 is x2 = 1"
    html = str(figure_html(data, LABELS))
    ones = [int(n) for n in re.findall(r'data-ones="(\d+)"', html)]
    assert ones[0] > 150 and ones[1] == 0, "the right network has regions, the wrong none"
    assert len(re.findall(r"<circle", html)) == 8
    assert html.startswith("<figure"), "markup, not escaped text"


@pytest.mark.parametrize("data", [
    None, "matrix", {"kind": "pie"}, {"kind": "matrix", "got": [[1]], "expected": [[1, 2]]},
    {"kind": "curves", "got": "abc", "expected": [1]}, {"kind": "regions", "got": 5},
])
def test_a_malformed_figure_draws_nothing(data: object) -> None:
    assert figure_html(data, LABELS) is None


def test_labels_are_text_never_markup() -> None:
    html = str(figure_html({"kind": "curves", "got": [1, 2], "expected": [1, 3]},
                           Labels(got="<script>x</script>")))
    assert "<script>" not in html and "&lt;script&gt;" in html


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_report_shows_the_picture_of_a_failed_test(tmp_path: Path, lang: str) -> None:
    results = make_results("pia", failures={"regularization.rotate": {
        "kind": "mismatch", "message": "The value is not what the reference computes.",
        "figure": {"kind": "image", "got": [[1, 2], [3, 4]], "expected": [[2, 4], [1, 3]],
                   "input": [[1, 2], [3, 4]]}}})
    html = render_student_report(results, lang)
    card = html[html.index('data-contract="regularization.rotate"'):]
    card = card[:card.index("</article>")]
    assert 'data-figure="image"' in card and card.count("<svg") == 3
    assert ("Expected (reference)" in card) == (lang == "en")
    assert ("期望值（参考实现）" in card) == (lang == "zh")
    assert "<script" not in html.lower() and "http://" not in html.replace(
        'xmlns="http://www.w3.org/2000/svg"', "")


def test_descent_iterates_approach_the_lectures_fixed_point() -> None:
    html = str(figure_html({"kind": "curves", "got": [2.0, 1.2, 0.9, 0.8],
                            "expected": [2.0, 1.1, 0.8, 0.75], "target": 0.739085}, LABELS))
    assert 'class="target"' in html and 'data-y="0.7391"' in html


def test_a_wrong_fit_is_drawn_over_the_data() -> None:
    from nngrade.hidden.pictures import fit_figure
    from nngrade.reference.course.overfitting import fit_polynomial, polynomial_features

    x = np.linspace(-1, 1, 8)
    y = np.sin(3 * x)
    want = fit_polynomial(x, y, 3)
    data = fit_figure(x, y, want[::-1], want, polynomial_features)  # reversed coefficients
    assert data is not None and data["kind"] == "fit" and len(data["points"]) == 8
    assert data["x"] == [-1.0, 1.0] and len(data["got"]) == len(data["expected"]) == 61
    html = str(figure_html(data, LABELS))
    assert 'data-figure="fit"' in html and html.count('class="point"') == 8
    lines = re.findall(r'data-values="([^"]+)"', html)
    assert lines[0] != lines[1], "the two polynomials differ"
    assert fit_figure(x, y, "nonsense", want, polynomial_features) is None
    wild = fit_figure(x, y, want * 1e6, want, polynomial_features)
    drawn = str(figure_html(wild, LABELS))
    ys = [float(v) for v in re.findall(r'data-values="([^"]+)"', drawn)[1].split()]
    assert max(ys) <= 3 * (y.max() - y.min()), "a wild fit is clipped, the data stays visible"
