"""nngrade's results.json becomes a results.json that follows Gradescope's specification.

Real documents (three sample students graded by ``nngrade grade``) are
converted with various course settings; every output is checked field by
field and with `nngrade.gradescope.spec`. Then the parts: the check itself
rejects what Gradescope would, the bilingual texts are complete, lateness
is read from submission metadata, and student text cannot break out of
its code block.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import string
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from nngrade.contract import MODULES
from nngrade.gradescope.metadata import Lateness, read_lateness
from nngrade.gradescope.results import code_block, grader_failure_results, to_gradescope
from nngrade.gradescope.settings import GradescopeSettings, SettingsError, load_settings
from nngrade.gradescope.spec import problems
from nngrade.gradescope.texts import TEXTS

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "examples" / "submissions"
NNGRADE = str(Path(sys.executable).parent / "nngrade")
ON_TIME = Lateness("17", dt.datetime(2026, 11, 30, tzinfo=dt.timezone.utc),
                   dt.datetime(2026, 12, 1, tzinfo=dt.timezone.utc), None)
CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    """nngrade's own results of dara (most right), fay (backprop does not import), gus."""
    classroom = tmp_path_factory.mktemp("class")
    for student in ("dara", "gus"):
        subprocess.run(["cp", "-r", str(SAMPLE / student), str(classroom)], check=True)
    subprocess.run(["cp", str(SAMPLE / "fay.zip"), str(classroom)], check=True)
    out = tmp_path_factory.mktemp("out")
    subprocess.run([NNGRADE, "grade", str(classroom), "--out", str(out), "--seed", "3",
                    "-j", "2", "--no-reports"], check=True, capture_output=True, timeout=600)
    return {s: json.loads((out / s / "results.json").read_text()) for s in ("dara", "fay", "gus")}


def _settings(**values: Any) -> GradescopeSettings:
    return GradescopeSettings(seed=3, **values)


def _hidden_tests(doc: dict[str, Any]) -> list[dict[str, Any]]:
    return [t for t in doc["tests"] if "score" in t]


def test_every_document_follows_the_specification(graded: dict[str, dict[str, Any]]) -> None:
    for student, results in graded.items():
        for settings in (_settings(), _settings(lang="zh", test_visibility="visible")):
            doc = to_gradescope(results, settings, ON_TIME, 1.234)
            assert problems(doc) == [], student
            json.dumps(doc, allow_nan=False)


def test_scores_move_over_and_nngrade_block_goes_under_extra_data(
        graded: dict[str, dict[str, Any]]) -> None:
    results = graded["dara"]
    doc = to_gradescope(results, _settings(), ON_TIME, 2.5)
    assert "nngrade" not in doc
    assert doc["extra_data"]["nngrade"]["seed"] == results["nngrade"]["seed"]
    assert doc["extra_data"]["nngrade"]["modules"] == results["nngrade"]["modules"]
    assert doc["extra_data"]["nngrade"]["source"]["late"] is False
    assert doc["score"] == results["score"] and doc["extra_data"]["max_score"] == 100.0
    assert doc["execution_time"] == 2.5
    assert doc["output_format"] == "md" and doc["test_output_format"] == "md"
    assert doc["stdout_visibility"] == "hidden"
    hidden = _hidden_tests(doc)
    assert len(hidden) == len(results["tests"])
    assert sum(t["score"] for t in hidden) == pytest.approx(results["score"], abs=1e-3)
    assert sum(t["max_score"] for t in hidden) == pytest.approx(results["max_score"], abs=1e-3)
    for ours, theirs in zip(hidden, results["tests"], strict=True):
        assert ours["status"] == theirs["status"] and ours["tags"] == theirs["tags"]
        assert ours["visibility"] == "after_due_date"
        assert ours["extra_data"] == theirs["extra_data"]
        assert re.fullmatch(r"\d\.\d+", ours["number"])
        if ours["status"] == "failed":
            assert ours["output_format"] == "md" and "```" in ours["output"]
        else:
            assert "output" not in ours
    # scores stay hidden in the summary while the tests are hidden
    assert "90.83" not in doc["output"] and "after the due date" in doc["output"]


def test_visibility_per_module_and_per_name_and_scores_when_visible(
        graded: dict[str, dict[str, Any]]) -> None:
    settings = _settings(test_visibility="visible", check_visibility="after_published",
                         visibility={"losses": "hidden", "activations.relu_prime":
                                     "after_due_date"})
    doc = to_gradescope(graded["dara"], settings, ON_TIME, 1.0)
    for test in _hidden_tests(doc):
        module, name = test["tags"]
        expected = {"losses": "hidden"}.get(module, "visible")
        if (module, name) == ("activations", "relu_prime"):
            expected = "after_due_date"
        assert test["visibility"] == expected, test["name"]
    checks = [t for t in doc["tests"] if t["tags"][-1] == "import"]
    assert len(checks) == len(MODULES) and all(t["visibility"] == "after_published" for t in checks)
    assert "**Score: 80.52 / 100**" in doc["output"]
    assert "| Activation functions and their derivatives (`activations.py`) | 8 / 9.6 |" \
        in doc["output"]


def test_file_checks_and_the_instructors_sandbox_test(graded: dict[str, dict[str, Any]]) -> None:
    doc = to_gradescope(graded["fay"], _settings(), ON_TIME, 1.0)
    checks = {t["tags"][0]: t for t in doc["tests"] if t["tags"][-1] == "import"}
    assert checks["backprop"]["status"] == "failed"
    assert checks["backprop"]["name"] == "backprop.py: Import failed"
    assert "```" in checks["backprop"]["output"]
    assert checks["vanishing"]["name"] == "vanishing.py: File missing"
    assert checks["activations"]["status"] == "passed" and "output" not in checks["activations"]
    assert all("score" not in t for t in checks.values())
    sandbox = next(t for t in doc["tests"] if t["tags"] == ["sandbox"])
    assert sandbox["visibility"] == "hidden" and "score" not in sandbox

    blocked = json.loads(json.dumps(graded["fay"]))
    blocked["nngrade"]["missing_protections"] = ["network_namespace", "user_namespace"]
    doc = to_gradescope(blocked, _settings(lang="zh"), ON_TIME, 1.0)
    sandbox = next(t for t in doc["tests"] if t["tags"] == ["sandbox"])
    assert sandbox["status"] == "failed"
    assert sandbox["extra_data"]["missing_protections"] == ["network_namespace",
                                                            "user_namespace"]
    assert "用户命名空间" in sandbox["output"] and CJK.search(sandbox["name"])


def test_chinese_course_reads_chinese(graded: dict[str, dict[str, Any]]) -> None:
    doc = to_gradescope(graded["dara"], _settings(lang="zh", test_visibility="visible"),
                        ON_TIME, 1.0)
    assert "得分" in doc["output"] and "模块" in doc["output"]
    failed = [t for t in _hidden_tests(doc) if t["status"] == "failed"]
    assert failed and all(CJK.search(t["output"]) for t in failed)
    assert any("调用" in t["output"] and "期望结果" in t["output"] for t in failed)
    checks = [t for t in doc["tests"] if t["tags"][-1] == "import"]
    assert all(t["name"].endswith("已导入") for t in checks)


def test_an_ungradeable_or_empty_submission_says_why(graded: dict[str, dict[str, Any]]) -> None:
    broken = json.loads(json.dumps(graded["gus"]))
    broken["nngrade"]["error"] = "the hand-in could not be read (BadZipFile: `evil`)"
    doc = to_gradescope(broken, _settings(lang="zh"), ON_TIME, 1.0)
    assert doc["output"].startswith("这份提交无法评分") and "BadZipFile" in doc["output"]
    assert problems(doc) == []


def test_lateness_is_read_from_submission_metadata(tmp_path: Path,
                                                   graded: dict[str, dict[str, Any]]) -> None:
    meta = tmp_path / "submission_metadata.json"
    meta.write_text(json.dumps({
        "id": 123456, "created_at": "2026-12-02T14:22:32.365935-07:00",
        "assignment": {"due_date": "2026-12-01T23:00:00.000000-07:00",
                       "late_due_date": "2026-12-02T08:00:00.000000-07:00"},
        "users": [{"email": "s@example.edu", "id": 1, "name": "S"}]}))
    lateness = read_lateness(meta)
    assert lateness.late and lateness.after_late_due_date
    assert lateness.seconds_late == pytest.approx(15 * 3600 + 22 * 60 + 32.365935)
    assert lateness.submission_id == "123456"
    doc = to_gradescope(graded["dara"], _settings(), lateness, 1.0)
    source = doc["extra_data"]["nngrade"]["source"]
    assert source["late"] is True and source["gradescope_submission_id"] == "123456"
    assert "Late submission: handed in 15.4 h after the due date" in doc["output"]
    assert "late due date" in doc["output"]
    zh = to_gradescope(graded["dara"], _settings(lang="zh"), lateness, 1.0)
    assert "逾期提交" in zh["output"] and "15.4 小时" in zh["output"]

    meta.write_text("not json")
    unknown = read_lateness(meta)
    assert not unknown.late and unknown.submitted_at is None
    meta.write_text(json.dumps({"created_at": 5, "assignment": "x"}))
    assert not read_lateness(meta).late
    assert not read_lateness(tmp_path / "missing.json").late


def test_student_text_cannot_leave_its_code_block() -> None:
    hostile = "```\n</pre><img src=x onerror=alert(1)>\n[click](http://evil.example)\n````"
    block = code_block(hostile)
    fence = block.splitlines()[0]
    assert set(fence) == {"`"} and len(fence) == 5  # longer than the 4 backticks inside
    assert block.endswith("\n" + fence)
    assert block.count(fence) == 2  # inside, no line is the closing fence
    assert len(code_block("x" * 100_000)) < 5000


def test_the_specification_check_rejects_what_gradescope_would() -> None:
    assert problems({"score": 1.0}) == []
    assert problems({"tests": [{"score": 1, "max_score": 2, "status": "passed"}]}) == []
    cases = {
        "a top-level score is required": {"tests": [{"name": "x", "status": "passed"}]},
        "must be a finite number": {"score": float("nan")},
        "visibility is 'later'": {"score": 1, "visibility": "later"},
        "unknown top-level field 'nngrade'": {"score": 1, "nngrade": {}},
        "tests[0].status is 'error'": {"score": 1, "tests": [{"status": "error"}]},
        "tests[0].output_format is 'markdown'": {"score": 1,
                                                  "tests": [{"output_format": "markdown"}]},
        "tests[0].tags must be an array of strings": {"score": 1, "tests": [{"tags": [1]}]},
        "tests[0] has a max_score but no score": {"score": 1, "tests": [{"max_score": 1}]},
        "execution_time must be a number": {"score": 1, "execution_time": "0.52"},
    }
    for expected, document in cases.items():
        found = problems(document)
        assert any(expected in p for p in found), (expected, found)
    assert problems(grader_failure_results("boom", "zh", 0.1)) == []


def test_every_text_exists_in_both_languages_with_the_same_placeholders() -> None:
    for key, entry in TEXTS.items():
        assert set(entry) == {"en", "zh"}, key
        # Chinese words, or at least Chinese punctuation around the placeholders
        assert CJK.search(entry["zh"]) or "：" in entry["zh"], key
        names = [{f[1] for f in string.Formatter().parse(entry[lang]) if f[1]}
                 for lang in ("en", "zh")]
        assert names[0] == names[1], key


def test_settings_round_trip_and_refuse_bad_values(tmp_path: Path) -> None:
    settings = GradescopeSettings(seed=9, lang="zh", visibility={"losses.mse": "hidden"})
    path = tmp_path / "gradescope.toml"
    path.write_text(settings.to_toml())
    assert load_settings(path) == settings
    assert settings.visibility_for("losses", "mse") == "hidden"
    assert settings.visibility_for("losses", "bce") == "after_due_date"
    for bad, message in ((dict(lang="fr"), "lang"), (dict(test_visibility="soon"),
                          "test_visibility"), (dict(memory_mb=64), "memory_mb"),
                         (dict(visibility={"x": "nope"}), "visibility.x"),
                         (dict(visibility={"losses.nope": "hidden"}), "not a module")):
        with pytest.raises(SettingsError, match=message):
            GradescopeSettings(seed=1, **bad)  # type: ignore[arg-type]
    path.write_text('seed = 1\ncolour = "blue"\n')
    with pytest.raises(SettingsError, match="colour"):
        load_settings(path)
