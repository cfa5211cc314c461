"""Issue 13 item 5: text a student controls never reaches another screen raw.

ESC, BEL, C1 and bidi-override characters in what a submission prints and in
its exception messages are shown as visible escapes in report.html, in
Gradescope's output text and in ``nngrade check``; results.json keeps them
as data (valid JSON), and the honest student beside it keeps 100.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from nngrade.feedback import Feedback
from nngrade.grade.options import BatchOptions
from nngrade.grade.pipeline import grade_directory
from nngrade.student.check import check_command
from nngrade.visible import visible

ROOT = Path(__file__).resolve().parents[1]
ADA = ROOT / "examples" / "submissions" / "ada"
RAW = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
HOSTILE = '''
import numpy as np


def sigmoid(z):
    print("\\x1b[2J\\x07cleared \\u202egnp.exe\\x9b31m")
    raise ValueError("\\x1b]0;owned\\x07 \\u202eevil\\u202c \\x1b[32mPASSED")


def tanh(z):
    return np.tanh(z)
'''


def test_visible_escapes_controls_and_bidi() -> None:
    assert visible("a\x1b[31mb\x07c\u202ed\x9be\nf\tg") == \
        "a\\x1b[31mb\\x07c\\u202ed\\x9be\nf\tg"
    assert visible("王小明 José") == "王小明 José"


def test_feedback_text_is_shown_escaped() -> None:
    fb = Feedback("bad", quoted="Traceback\nValueError: \x1b[2J\u202e", printed="\x07")
    text = fb.render("en")
    assert not RAW.search(text) and "\\x1b[2J" in text and "\\u202e" in text


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, dict]]:
    base = tmp_path_factory.mktemp("ctl")
    subs = base / "subs"
    shutil.copytree(ADA, subs / "ada")
    (subs / "ctl").mkdir()
    (subs / "ctl" / "activations.py").write_text(HOSTILE, encoding="utf-8")
    out = base / "out"
    options = BatchOptions(call_timeout=2.0, submission_timeout=60.0)
    results = grade_directory(subs, out, jobs=2, seed=3, force=True, options=options)
    return out, {r["nngrade"]["student"]: r for r in results}


def test_reports_and_outputs_show_escapes(graded: tuple[Path, dict]) -> None:
    out, results = graded
    assert results["ada"]["score"] == 100
    ctl = results["ctl"]
    failed = [t for t in ctl["tests"] if t["tags"] == ["activations", "sigmoid"]]
    assert failed and all(t["status"] == "failed" for t in failed)
    for test in ctl["tests"]:
        assert not RAW.search(test["output"]), test["output"]
    assert any("\\x1b]0;owned" in t["output"] for t in failed)
    # results.json stays valid JSON that a tool can read
    on_disk = json.loads((out / "ctl" / "results.json").read_text(encoding="utf-8"))
    assert on_disk["score"] == ctl["score"]
    for page in (out / "ctl" / "report.html", out / "index.html"):
        html = page.read_text(encoding="utf-8")
        assert not RAW.search(html), page
    assert "\\x1b]0;owned" in (out / "ctl" / "report.html").read_text(encoding="utf-8")


def test_check_prints_escapes(tmp_path: Path) -> None:
    folder = tmp_path / "exercises"
    folder.mkdir()
    (folder / "activations.py").write_text(HOSTILE, encoding="utf-8")
    result = CliRunner().invoke(check_command, ["activations", "--path", str(tmp_path),
                                                "--lang", "en"], env={"NO_COLOR": "1"})
    assert "sigmoid" in result.output, result.output
    assert not RAW.search(result.output), result.output
    assert "\\x1b" in result.output
