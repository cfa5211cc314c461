"""The Chinese student mode: check, submit and the reports say nothing in English.

A Chinese course sets ``lang = "zh"`` (or a student passes ``--lang zh``, or
works in a zh_* locale), and then every sentence nngrade writes is Chinese:
the output of ``nngrade check`` on a folder full of classic mistakes and
half-done modules, of ``nngrade submit`` including its errors, and the
reports of the graded sample class. What may stay English is defined in
``tests/english.py`` (code, values, quoted program text, names).
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from english import english_in_html, english_in_terminal
from test_public_checks import GRADIENTS_BY_RECURSION, GRADIENTS_BY_TOPOLOGY

from nngrade.cli import main
from nngrade.messages import msg, render
from nngrade.student.check import check_command
from nngrade.student.submit import submit_command

ROOT = Path(__file__).resolve().parents[1]
SOLUTIONS = ROOT / "solutions"
EXERCISES = ROOT / "exercises"
CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")


def value_labels(lang: str) -> tuple[str, ...]:
    """The labels whose values are code or quoted program text."""
    return tuple(render(msg(f"label.{k}"), lang)
                 for k in ("called", "got", "expected", "printed", "where"))


def plant(folder: Path, module: str, old: str, new: str) -> None:
    path = folder / f"{module}.py"
    source = path.read_text(encoding="utf-8")
    assert old in source, f"{old!r} not in {module}.py"
    path.write_text(source.replace(old, new, 1), encoding="utf-8")


@pytest.fixture(scope="module")
def troubled(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A student's folder with a classic mistake, a crash or a half-done part in every module."""
    folder = tmp_path_factory.mktemp("troubled") / "exercises"
    shutil.copytree(SOLUTIONS, folder)
    plant(folder, "perceptron", "def step(x):", "def step(x):\n    import sys\n    sys.exit(3)")
    plant(folder, "activations", "    s = sigmoid(z)\n",
          "    print('my own test', z)\n    s = sigmoid(sigmoid(z))\n")
    plant(folder, "losses", "np.log(", "np.log10(")
    plant(folder, "regularization", "cos, sin = _cos_sin(degrees)", "cos, sin = _cos_sin(-degrees)")
    plant(folder, "autodiff", GRADIENTS_BY_TOPOLOGY, GRADIENTS_BY_RECURSION)
    plant(folder, "vanishing", "    return activations[name]\n",
          "    while True:\n        pass\n")
    plant(folder, "backprop", "def backward(x, y, w1, w2):",
          "def backward(x, y, w1, w2):\n    raise NotImplementedError('TODO: backward')")
    (folder / "gradient_descent.py").write_text("def numerical_gradient(f, x:\n    pass\n",
                                                encoding="utf-8")
    return folder


def check(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(check_command, list(args), env={"NO_COLOR": "1"})
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.output


def test_check_in_chinese_has_no_english_sentence(troubled: Path) -> None:
    code, output = check("--path", str(troubled), "-v", "--timeout", "3", "--lang", "zh")
    assert code == 1
    assert "Traceback" not in output
    found = english_in_terminal(output, value_labels("zh"))
    assert not found, f"English in zh check output: {found[:10]}\n{output}"
    # it is all there, in Chinese: the mistakes named, the crash, the import error, the TODO
    for phrase in ("对激活后的值而不是对 z 求了导数", "以 10（或 2）为底的对数", "顺时针",
                   "每多一层，路径数就翻一倍", "抛出了 SystemExit",
                   "无法导入 gradient_descent.py", "`backward` 尚未实现", "没有在 3 秒内完成",
                   "通过"):
        assert phrase in output, phrase


def test_check_in_chinese_on_fresh_stubs_and_errors() -> None:
    code, output = check("--path", str(EXERCISES), "-v", "--lang", "zh")
    assert code == 1 and "尚未实现" in output
    assert not english_in_terminal(output, value_labels("zh"))
    code, output = check("--path", str(EXERCISES), "activation", "--lang", "zh")
    assert code == 2 and "错误：'activation' 不是练习模块" in output
    assert not english_in_terminal(output, value_labels("zh"))


def test_the_course_and_the_locale_choose_chinese(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    course = tmp_path / "course"
    shutil.copytree(EXERCISES, course / "exercises")
    monkeypatch.chdir(course)
    for variable in ("LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(variable, raising=False)
    assert "not implemented yet" in check("vanishing")[1]
    (course / "nngrade.toml").write_text('[course]\nlang = "zh"\n', encoding="utf-8")
    assert "尚未实现" in check("vanishing")[1]
    assert "not implemented yet" in check("vanishing", "--lang", "en")[1]
    (course / "nngrade.toml").unlink()
    monkeypatch.setenv("LANG", "zh_CN.UTF-8")
    assert "尚未实现" in check("vanishing")[1]


def test_check_in_english_says_nothing_in_chinese(troubled: Path) -> None:
    code, output = check("--path", str(troubled), "-v", "--timeout", "1", "--lang", "en")
    assert code == 1
    lines = [ln for ln in output.splitlines() if not ln.lstrip().startswith(">")]
    assert not [ln for ln in lines if CJK.search(ln)]


# ---------------------------------------------------------------- submit


@pytest.fixture
def course(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    shutil.copytree(EXERCISES, tmp_path / "course" / "exercises")
    (tmp_path / "inbox").mkdir()
    monkeypatch.chdir(tmp_path / "course")
    for variable in ("NNGRADE_STUDENT", "NNGRADE_INBOX"):
        monkeypatch.delenv(variable, raising=False)
    return tmp_path


def submit(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(submit_command, list(args), catch_exceptions=False)
    return result.exit_code, result.output


def test_submit_in_chinese_has_no_english_sentence(course: Path) -> None:
    (course / "course" / "nngrade.toml").write_text(
        '[course]\nlang = "zh"\ninbox = "../inbox"\n', encoding="utf-8")
    outputs = []
    code, out = submit("--student", "alice", "--check-timeout", "60")
    assert code == 0 and "已提交" in out and "公开检查" in out
    outputs.append(out)
    (course / "course" / "exercises" / "vanishing.py").unlink()
    (course / "course" / "exercises" / "losses.py").write_text("def mse(y_pred, y)\n    return 0\n")
    code, out = submit("--student", "alice", "--no-checks")
    assert code == 1 and "缺少：vanishing.py" in out and "语法错误" in out and "没有提交" in out
    outputs.append(out)
    code, out = submit("--student", "alice", "--no-checks", "--force")
    assert code == 0 and "缺少：vanishing.py" in out
    outputs.append(out)
    for args in ((), ("--student", "../etc"), ("--student", "bob", "--to", str(course / "no"))):
        code, out = submit(*args, "--no-checks")
        assert code == 1 and out.startswith("错误：") or "错误：" in out
        outputs.append(out)
    for out in outputs:
        found = english_in_terminal(out, ())
        assert not found, f"English in zh submit output: {found}\n{out}"


# ---------------------------------------------------------------- the reports


@pytest.fixture(scope="module")
def graded_in_chinese(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("sample-zh")
    result = CliRunner().invoke(main, ["grade", str(ROOT / "examples" / "submissions"),
                                       "--out", str(out), "--lang", "zh", "--seed", "3"])
    assert result.exit_code == 0, result.output
    return out


def test_reports_of_the_sample_class_in_chinese_have_no_english_sentence(
        graded_in_chinese: Path) -> None:
    pages = sorted(graded_in_chinese.glob("*/report.html")) + [graded_in_chinese / "index.html"]
    assert len(pages) == 9
    for page in pages:
        html = page.read_text(encoding="utf-8")
        found = english_in_html(html)
        assert not found, f"{page.parent.name}: English in the zh report: {sorted(set(found))}"
    dara = (graded_in_chinese / "dara" / "report.html").read_text(encoding="utf-8")
    assert "step(0) 返回了 0.5" in dara, "the named mistake, in Chinese"


def test_help_in_chinese(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    for command in (check_command, submit_command):
        result = CliRunner().invoke(command, ["--lang", "zh", "--help"])
        assert result.exit_code == 0 and "用法：" in result.output and "选项" in result.output
        found = english_in_terminal(result.output, ())
        assert not found, f"English in zh help: {found}\n{result.output}"
        english = CliRunner().invoke(command, ["--help"], env={"LANG": "en_US.UTF-8"}).output
        assert "Usage:" in english and not CJK.search(english)
