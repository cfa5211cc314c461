"""The student report, the class summary and the class table, on a synthetic class.

The browser tests (tests/browser/) check what Chromium shows; these check
the HTML and the numbers behind it quickly, without a browser.
"""

from __future__ import annotations

import copy
import re
import statistics
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest
from test_report_samples import (
    bob,
    chen_wei,
    dave,
    erin,
    frank,
    make_results,
    mismatch,
    sample_class,
)

from nngrade.contract import MODULES
from nngrade.report import format_class_table, write_class_summary, write_student_report
from nngrade.report.catalog import missing
from nngrade.report.i18n import normalize_lang
from nngrade.report.model import fmt_points, student_view
from nngrade.report.summary import class_view


class Elements(HTMLParser):
    """Every start tag with its attributes, in document order."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, {k: v or "" for k, v in attrs}))


def elements(html: str) -> list[tuple[str, dict[str, str]]]:
    parser = Elements()
    parser.feed(html)
    return parser.tags


def report(tmp_path: Path, results: dict, lang: str = "en") -> str:
    path = tmp_path / lang / results["nngrade"]["student"] / "report.html"
    write_student_report(results, path, lang=lang)
    return path.read_text(encoding="utf-8")


# ---------------------------------------------------------------- student report


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_sample_renders_self_contained(tmp_path: Path, lang: str) -> None:
    for results in sample_class():
        html = report(tmp_path, results, lang)
        assert html.startswith("<!DOCTYPE html>")
        assert "<script" not in html.lower()
        assert not re.search(r"""(src|href)=["']?(https?:)?//""", html), "no network resource"
        assert "<link" not in html.lower()
        assert results["nngrade"]["student"] in html
    assert not list(tmp_path.rglob("*.tmp")), "atomic writes leave no temporary files"


def test_numbers_in_the_page_are_the_results(tmp_path: Path) -> None:
    results = bob()
    tags = elements(report(tmp_path, results))
    total = next(a for t, a in tags if a.get("id") == "total-score")
    assert float(total["data-score"]) == results["score"]
    assert float(total["data-max-score"]) == results["max_score"]
    rows = {a["data-module"]: a for t, a in tags if "module-row" in a.get("class", "")}
    assert list(rows) == list(MODULES), "modules in contract order"
    for module, info in results["nngrade"]["modules"].items():
        assert float(rows[module]["data-score"]) == info["score"]
        assert float(rows[module]["data-max-score"]) == info["max_score"]
    tests = [a for t, a in tags if a.get("data-status") in ("passed", "failed")]
    assert len(tests) == len(results["tests"])
    assert sum(float(a["data-score"]) for a in tests) == pytest.approx(results["score"])
    seed = next(a for t, a in tags if a.get("id") == "seed")
    assert seed["data-seed"] == str(results["nngrade"]["seed"])


def test_failures_come_first_within_each_module(tmp_path: Path) -> None:
    tags = elements(report(tmp_path, bob()))
    current, seen = None, {}
    for _, attrs in tags:
        if "module" in attrs.get("class", "").split() and attrs.get("data-module"):
            current = attrs["data-module"]
            seen[current] = []
        elif attrs.get("data-status") in ("passed", "failed") and current:
            seen[current].append(attrs["data-status"])
    assert list(seen) == list(MODULES)
    for module, statuses in seen.items():
        assert statuses == sorted(statuses, key=lambda s: s == "passed"), module
    assert seen["activations"][:2] == ["failed", "failed"]


def test_feedback_shows_call_got_expected_and_the_named_mistake(tmp_path: Path) -> None:
    html = report(tmp_path, bob())
    assert "sigmoid_prime(array(shape=4, dtype=float64, values=[-2.1 0. 0.7 3.2]))" in html
    assert "[0.0955 0.25 0.2217 0.0383]" in html
    assert 'data-mistake="derivative_of_activated_value"' in html
    assert "The derivative was taken of the activated value instead of z" in html
    assert "Likely mistake" in html
    assert 'data-limit="timeout"' in html, "the limit that was hit is listed"
    assert "System-call filter (seccomp)" in html, "missing sandbox protections are named"


def test_chinese_report_translates_verdicts_and_known_mistakes(tmp_path: Path) -> None:
    html = report(tmp_path, bob(), "zh")
    assert '<html lang="zh-CN">' in html
    for english in ("Scores by module", "Likely mistake", "How this was graded", "Total",
                    "Wrong result", "Where to win points back"):
        assert english not in html, english
    assert "各模块得分" in html and "可能的错误" in html
    assert "对激活后的值而不是对 z 求了导数" in html, "a known mistake code is translated"
    assert "An explanation only the grader knows, in English." in html, (
        "a code without a translation falls back to the grader's English message")
    assert "系统调用过滤（seccomp）" in html


def test_hidden_details_never_reach_the_student(tmp_path: Path) -> None:
    for lang in ("en", "zh"):
        html = report(tmp_path, frank(), lang)
        assert "SECRET-HIDDEN-TEST-DETAIL" not in html
        assert "grader_error" in html  # the verdict is there, the traceback is not


def test_submission_text_cannot_inject_markup(tmp_path: Path) -> None:
    results = bob()
    evil = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    results["tests"][0]["extra_data"].update(kind="mismatch", got=evil, call=evil)
    results["tests"][0]["status"] = "failed"
    results["nngrade"]["warnings"] = [evil]
    html = report(tmp_path, results)
    assert "<script>" not in html and "<img" not in html
    assert "&lt;script&gt;" in html


def test_ungradeable_submission_says_why_instead_of_a_score(tmp_path: Path) -> None:
    tags = elements(html := report(tmp_path, erin()))
    assert any(a.get("id") == "not-graded" for _, a in tags)
    assert not any(a.get("id") == "total-score" for _, a in tags)
    assert "File is not a zip file" in html


def test_import_errors_are_explained(tmp_path: Path) -> None:
    html = report(tmp_path, dave())
    assert 'id="zero-reason"' in html
    assert "SyntaxError: invalid syntax (activations.py, line 12)" in html


def test_late_submission_is_marked(tmp_path: Path) -> None:
    assert 'id="late-badge"' in report(tmp_path, chen_wei())
    assert 'id="late-badge"' not in report(tmp_path, bob())


def test_minimal_and_odd_results_still_render(tmp_path: Path) -> None:
    write_student_report({}, tmp_path / "empty.html")
    odd = {"score": 1, "max_score": 2, "tests": [
        {"name": "no tags at all", "score": 1, "max_score": 1, "output": "ok"},
        {"name": "plain failure", "score": 0, "max_score": 1, "status": "failed",
         "output": "Called f(1)\nGot 2", "tags": ["not_a_module"]},
    ]}
    write_student_report(odd, tmp_path / "odd.html", lang="zh")
    html = (tmp_path / "odd.html").read_text()
    assert "Called f(1)" in html and "其他测试" in html


def test_view_puts_the_biggest_loss_first() -> None:
    view = student_view(bob())
    assert view.start_here[0].lost == max(m.lost for m in view.modules)


def test_language_codes() -> None:
    assert normalize_lang("zh_CN") == normalize_lang("zh-Hans") == "zh"
    with pytest.raises(ValueError, match="use one of: en, zh"):
        write_student_report(bob(), Path("/nonexistent/never-written.html"), lang="fr")


def test_points_read_as_people_write_them() -> None:
    assert [fmt_points(x) for x in (12.0, 10.5, 1.3333, 0.0, -0.0)] == ["12", "10.5", "1.33",
                                                                         "0", "0"]


def test_chinese_catalog_is_complete() -> None:
    gaps = missing("zh")
    assert not gaps, (
        f"{len(gaps)} strings have no Chinese translation, e.g. {gaps[:3]}. Run "
        "`python -m nngrade.report.catalog update`, translate the new entries in "
        "grader/nngrade/report/locale/zh/LC_MESSAGES/messages.po, and run the tests again."
    )


# ---------------------------------------------------------------- class summary


def test_class_summary_numbers(tmp_path: Path) -> None:
    results = sample_class()
    path = write_class_summary(results, tmp_path)
    assert path == tmp_path / "index.html"
    html = path.read_text(encoding="utf-8")
    tags = elements(html)
    graded = [r for r in results if not r["nngrade"]["error"]]
    scores = [r["score"] for r in graded]

    def by_id(name: str) -> dict[str, str]:
        return next(a for _, a in tags if a.get("id") == name)

    assert int(by_id("stat-submissions")["data-value"]) == len(results)
    assert int(by_id("stat-graded")["data-value"]) == len(graded)
    assert float(by_id("stat-mean")["data-value"]) == pytest.approx(statistics.fmean(scores))
    assert float(by_id("stat-median")["data-value"]) == pytest.approx(statistics.median(scores))
    assert int(by_id("stat-late")["data-value"]) == 2
    bars = [a for t, a in tags if t == "rect" and a.get("class") == "hist-bar"]
    assert len(bars) == 10
    assert sum(int(a["data-count"]) for a in bars) == len(graded)
    top = next(a for a in bars if a["data-lo"] == "90")
    assert int(top["data-count"]) == 2  # alice 100, chen_wei 92


def test_class_summary_links_every_report_relatively(tmp_path: Path) -> None:
    html = write_class_summary(sample_class(), tmp_path).read_text()
    for student in ("alice", "bob", "chen_wei", "dave", "erin", "frank"):
        assert f'href="{student}/report.html"' in html
    assert ('data-student="chen_wei" data-score="92.0" data-max-score="100.0" '
            'data-late="true"') in html


def test_class_view_sorts_hardest_first_and_counts_mistakes() -> None:
    view = class_view(sample_class())
    rates = [c.rate for c in view.concepts]
    assert rates == sorted(rates)
    assert view.concepts[0].rate < 100
    test_rates = [t.rate for t in view.tests]
    assert test_rates == sorted(test_rates)
    by_code = {m.code: m for m in view.mistakes}
    assert sorted(e.student for e in by_code["derivative_of_activated_value"].students) == [
        "bob", "chen_wei"]
    assert view.mistakes[0].code in ("derivative_of_activated_value", "mse_missing_half_m")
    problems = {e.student: e.problem[0] for e in view.problems}
    assert problems == {"dave": "zero", "erin": "error"}
    sig = next(c for c in view.concepts if c.key == "activations.sigmoid_prime")
    # alice and frank passed; erin was not graded and dave's activations.py does not import:
    # rates count the students who handed the module in
    assert (sig.passed, sig.attempted) == (2, 4)


def _stub_class() -> list[dict]:
    """The sample class, a student who handed in the stubs, and one who is far behind."""
    stubs = {f"{m}.{n}": [_stub(n), _stub(n)] for m, names in MODULES.items() for n in names}
    behind = {f"{m}.{n}": [mismatch(f"{n}(x)", "1.0", "2.0")] * 2 for m in ("perceptron",
              "activations", "losses", "backprop") for n in MODULES[m]}
    return [*sample_class(), make_results("sam", failures=stubs),
            make_results("tina", failures=behind)]


def test_the_grid_holds_each_students_points_per_concept(tmp_path: Path) -> None:
    results = _stub_class()
    html = write_class_summary(results, tmp_path).read_text(encoding="utf-8")
    tags = elements(html)
    heads = [a for t, a in tags if t == "th" and "data-col" in a]
    keys = [a["data-key"] for a in heads]
    assert keys[:2] == ["student", "total"] and keys[2:2 + len(MODULES)] == list(MODULES)
    assert "autodiff.Variable.__add__" not in keys, "given code (0 points) is no concept"
    assert "activations.sigmoid_prime" in keys
    cells = [a for t, a in tags if t == "td" and "data-v" in a]
    rows = [cells[i:i + len(keys)] for i in range(0, len(cells), len(keys))]
    by_student = {r["nngrade"]["student"]: r for r in results}
    assert [row[0]["data-v"] for row in rows] == sorted(by_student)
    for row in rows:
        r = by_student[row[0]["data-v"]]
        if r["nngrade"]["error"]:
            assert all(c["data-v"] == "" for c in row[1:])
            continue
        assert float(row[1]["data-v"]) == r["score"]
        for key, cell in zip(keys[2 + len(MODULES):], row[2 + len(MODULES):], strict=True):
            module, name = key.split(".", 1)
            points = sum(t["score"] for t in r["tests"] if t["tags"] == [module, name])
            assert cell["data-v"] == fmt_points(points), (row[0]["data-v"], key)
    assert html.count("<script>") == 1 and "src=" not in html.split("<script>")[1]


def test_rates_count_only_students_who_handed_the_module_in() -> None:
    view = class_view(_stub_class())
    problems = {e.student: e.problem[0] for e in view.problems}
    assert problems["sam"] == "stubs", "the all-stub submission has no real grade"
    step = next(c for c in view.concepts if c.key == "perceptron.step")
    sam = next(e for e in view.entries if e.student == "sam")
    assert sam.handed_in == frozenset() and step.attempted == 5, "sam and erin are not counted"
    assert all(c.max_points > 0 for c in view.concepts), "no rate for given code"
    stats = {m.key: m for m in view.module_stats}
    assert stats["perceptron"].handed_in == 5 and stats["perceptron"].graded == 7


def test_who_needs_help() -> None:
    view = class_view(_stub_class())
    rows = {h.entry.student: h for h in view.needs_help}
    assert rows["tina"].below and "activations.relu" in rows["tina"].missed
    relu = next(c for c in view.concepts if c.key == "activations.relu")
    assert relu.passed >= 0.75 * relu.attempted, "listed: most of the class passed it"
    assert "sam" not in rows and "dave" not in rows, "no real grade: listed apart"
    assert "alice" not in rows
    scores = [h.entry.score for h in view.needs_help]
    assert scores == sorted(scores), "lowest score first"


def test_class_summary_in_chinese(tmp_path: Path) -> None:
    html = write_class_summary(sample_class(), tmp_path, lang="zh").read_text()
    assert "成绩分布" in html and "最常见的典型错误" in html
    assert "Score distribution" not in html


def test_duplicate_or_empty_class(tmp_path: Path) -> None:
    write_class_summary([], tmp_path)
    assert "Class summary" in (tmp_path / "index.html").read_text()
    assert "no submission could be graded" in format_class_table([])


def _stub(name: str, inner: str = "") -> dict:
    if inner:
        return {"kind": "not_implemented", "message_id": "status.not_implemented_inside",
                "message_params": {"name": name, "inner": inner},
                "message": f"`{name}` could not be checked yet: it calls `{inner}`, which is "
                           "not implemented yet (it raises NotImplementedError)."}
    return {"kind": "not_implemented", "message_id": "status.not_implemented",
            "message_params": {"name": name},
            "message": f"`{name}` is not implemented yet (it raises NotImplementedError)."}


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_an_unimplemented_module_is_one_card_naming_its_stubs(tmp_path: Path, lang: str) -> None:
    failures: dict = {f"autodiff.{n}": [_stub(n), _stub(n)] for n in MODULES["autodiff"]}
    failures["autodiff.Variable.__add__"] = [_stub("Variable.__add__", "get_gradients")] * 2
    failures["activations.sigmoid"] = mismatch("sigmoid(0)", "0.0", "0.5")  # a real mistake
    failures["losses.mse"] = _stub("mse")  # a lone stub keeps its own card
    results = make_results("una", failures=failures)
    tags = elements(report(tmp_path, results, lang))
    cards = [a for t, a in tags if t == "article"]
    autodiff_cards = [a for a in cards if a.get("id", "").startswith("todo-autodiff")
                      or a.get("data-contract", "").startswith("autodiff.")]
    assert len(autodiff_cards) == 1, "one card for the untouched module"
    card = autodiff_cards[0]
    assert int(card["data-tests"]) == 2 * len(MODULES["autodiff"])
    names = card["data-names"].split()
    assert "get_gradients" in names and "Variable.__add__" not in names, \
        "given code is never listed as not implemented: the stub it waits for is"
    assert any(a.get("data-contract") == "activations.sigmoid" for a in cards)
    assert any(a.get("data-contract") == "losses.mse" for a in cards)
    autodiff = next(m for m in student_view(results, lang).modules if m.key == "autodiff")
    assert "Variable.__add__" not in dict(autodiff.failed_names), "0 points: nothing to win"
    assert "get_gradients" in dict(autodiff.failed_names)
    # every test is still in the page once, with its points
    tests = [a for t, a in tags if a.get("data-status") in ("passed", "failed")]
    assert len(tests) == len(results["tests"])
    assert sum(float(a["data-score"]) for a in tests) == pytest.approx(results["score"])


def test_a_missing_module_is_one_card(tmp_path: Path) -> None:
    results = make_results("mo", module_status={"losses": ("missing", "")})
    tags = elements(report(tmp_path, results))
    cards = [a for t, a in tags if t == "article"]
    assert [a["id"] for a in cards] == ["todo-losses"]
    assert cards[0]["data-kind"] == "missing_module"


# ---------------------------------------------------------------- class table


def _table_rows(table: str) -> dict[str, list[str]]:
    lines = table.splitlines()
    body = lines[2:lines.index("")]
    return {line.split()[0]: line.split()[1:] for line in body}


def test_class_table() -> None:
    results = sample_class()
    table = format_class_table(results)
    lines = table.splitlines()
    assert lines[0].split() == ["student", "total", "percep", "activ", "losses", "grad",
                                "backpr", "autodf", "overft", "regul", "vanish"]
    body = _table_rows(table)
    assert set(body) == {"alice", "bob", "chen_wei", "dave", "erin", "frank"}
    assert body["alice"][0] == "100"
    assert "late: chen_wei, frank" in lines
    assert "not graded (see index.html): erin" in lines
    assert body["erin"] == ["."] * (1 + len(MODULES))
    assert "err" in body["dave"], "a module that does not import is marked, not a number"
    legend = "\n".join(lines)
    assert "percep = perceptron.py" in legend and "vanish = vanishing.py" in legend
    assert "-- file missing, err does not import, . not graded" in lines
    scores = [r["score"] for r in results if not r["nngrade"]["error"]]
    assert lines[-1] == (
        f"5 graded: mean {fmt_points(statistics.fmean(scores))}, "
        f"median {fmt_points(statistics.median(scores))} of 100")
    assert max(len(line) for line in lines) <= 80, "fits an 80-column terminal"
    assert all(line.isascii() for line in lines), "English is plain ASCII"


def test_class_table_fits_80_columns_with_long_ids_in_both_languages() -> None:
    from nngrade.report.table import display_width

    results = sample_class()
    results[0]["nngrade"]["student"] = "a-student-id-far-too-long-for-any-terminal"
    results[1]["nngrade"]["student"] = "学生的名字也可能很长很长"
    for lang in ("en", "zh"):
        lines = format_class_table(results, lang).splitlines()
        assert max(display_width(line) for line in lines) <= 80, (lang, lines)


def test_class_table_in_chinese() -> None:
    table = format_class_table(sample_class(), "zh")
    lines = table.splitlines()
    assert lines[0].split()[:3] == ["学生", "总分", "感知机"]
    assert "迟交：chen_wei, frank" in lines
    english = {"student", "total", "late", "graded", "mean", "median", "missing"}
    assert not english & set(re.findall(r"[a-z]+", table)) - {"py", "err", "index", "html"}, \
        "every word of the table is Chinese (file names and markers aside)"


def test_class_table_has_the_gradebooks_numbers(tmp_path: Path) -> None:
    import csv

    from nngrade.grade.output import OutputFolder

    results = sample_class()
    OutputFolder(tmp_path).write_gradebook(results)
    rows = {r["student"]: r for r in csv.DictReader((tmp_path / "gradebook.csv").open())}
    shown = _table_rows(format_class_table(results))
    for student, cells in shown.items():
        if rows[student]["status"] == "ungraded":
            continue
        assert cells[0] == fmt_points(float(rows[student]["total"]))
        for module, cell in zip(MODULES, cells[1:], strict=True):
            if cell not in ("--", "err"):
                assert cell == fmt_points(float(rows[student][module])), (student, module)


def test_class_table_survives_results_without_modules() -> None:
    r = make_results("zoe")
    stripped = copy.deepcopy(r)
    del stripped["nngrade"]["modules"]
    assert "zoe" in format_class_table([stripped])


def test_hidden_test_titles_are_translated_by_test_id(tmp_path: Path) -> None:
    from nngrade.report.catalog import suite_titles
    from nngrade.report.model import HIDDEN_TITLES
    from nngrade.student.titles import load_titles

    key, title, _, _ = suite_titles()[0]
    translation = load_titles(HIDDEN_TITLES)[key]["zh"]
    results = make_results("amy", failures={"activations.sigmoid": {
        "kind": "mismatch", "message": "The value is not what the reference computes."}})
    results["tests"][0]["name"] = f"perceptron.step: {title}"
    html = report(tmp_path, results, "zh")
    assert translation in html and title not in html
    assert "返回值与参考实现的计算结果不一致" in html, "an old feedback text is read by its pattern"
    untranslated = "a title no catalog has"
    results["tests"][0]["name"] = f"perceptron.step: {untranslated}"
    assert untranslated in report(tmp_path, results, "zh"), "unknown titles stay in English"


def test_feedback_by_message_id_renders_in_the_readers_language(tmp_path: Path) -> None:
    from nngrade.feedback import Feedback, call_failure
    from nngrade.messages import msg

    mismatch = Feedback(msg("compare.shape", what=msg("what.named", name="grad_w1"),
                            got_shape="(3,)", expected_shape="(3, 1)"),
                        call="backward(x, y, w1, w2)", got=np.zeros(3), expected=np.zeros((3, 1)),
                        mistake="backward_transposed", hint=msg("hint.best_epoch_index"))

    class Outcome:
        status, error, error_type, limit, seconds = ("timeout", "the call did not finish "
                                                     "within 2 s", "", "call_seconds", 2.0)

    timeout = call_failure(Outcome(), name="mse", module="losses", call="mse(a, b)")
    raised = Feedback(msg("status.raised", name="mse", error_type="ValueError"),
                      kind="raised", quoted="ValueError: <b>bad</b> shapes")
    results = make_results("amy", failures={
        "backprop.backward": mismatch.as_dict(), "losses.mse": timeout.as_dict(),
        "losses.one_hot": raised.as_dict()})
    zh = report(tmp_path, results, "zh")
    assert "<code>grad_w1</code> 的形状是 (3,)，而期望的形状是 (3, 1)。" in zh
    assert "返回的梯度被转置了" in zh, "the mistake by its code"
    assert "best_epoch 是损失最好的那次调用的下标" in zh, "the hint"
    assert "调用 <code>mse</code> 没有在 2 秒的时间限制内完成" in zh
    assert "the call did not finish" not in zh, "the sandbox's English note stays out"
    assert '<pre class="quoted">ValueError: &lt;b&gt;bad&lt;/b&gt; shapes</pre>' in zh
    assert "array([0., 0., 0.])" in zh
    en = report(tmp_path, results, "en")
    assert "<code>grad_w1</code> has shape (3,), but the expected shape is (3, 1)." in en
    assert "the call did not finish within 2 s" in en, "English readers get the detail"


def test_the_class_table_is_printed_without_the_pages_machinery() -> None:
    """Every shard prints its table: that must not import jinja2 and the templates."""
    import subprocess
    import sys

    code = ("import sys; from nngrade.report import format_class_table; "
            "print(sorted(m for m in ('jinja2', 'nngrade.report.render') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    assert done.stdout.strip() == "[]"
