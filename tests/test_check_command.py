"""``nngrade check`` as a student meets it: exit codes, what it prints, where it looks."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from nngrade.cli import main
from nngrade.contract import MODULES, all_names
from nngrade.student.check import check_command

ROOT = Path(__file__).resolve().parents[1]
SOLUTIONS = ROOT / "solutions"
EXERCISES = ROOT / "exercises"


def run(*args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(check_command, list(args), env=env)
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.output


def test_solutions_pass_quietly_with_exit_code_0() -> None:
    code, output = run("--path", str(SOLUTIONS))
    assert code == 0, output
    lines = output.strip().splitlines()
    assert len(lines) == len(MODULES) + 1  # one line per module and a summary, nothing else
    assert lines[0].startswith("perceptron") and "6/6 passed" in lines[0]
    assert lines[-1].startswith(f"All {sum(map(len, MODULES.values()))} functions pass")
    assert "--slow" in lines[-1]


def test_fresh_exercises_report_every_function_as_not_implemented() -> None:
    code, output = run("--path", str(EXERCISES))
    assert code == 1
    for module, names in MODULES.items():
        line = next(ln for ln in output.splitlines() if ln.startswith(module + " "))
        assert f"0/{len(names)} passed" in line
        assert "not implemented yet: " + ", ".join(names) in line
    assert "FAIL" not in output and "Traceback" not in output
    total = len(all_names())
    assert f"0/{total} functions pass, {total} not implemented yet" in output


def test_verbose_shows_every_check_and_the_stubs_hints() -> None:
    code, output = run("-v", "--path", str(EXERCISES), "activations")
    assert code == 1
    assert "TODO activations.sigmoid_prime: sigmoid'(0) is 0.25, its maximum" in output
    assert "Hint: Slide 激活函数: σ's derivative is written with σ itself" in output
    assert output.count("Hint: Slide 激活函数: σ's") == 1  # once per function, not once per check
    code, output = run("-v", "--path", str(SOLUTIONS), "activations")
    assert code == 0 and "ok   activations.relu_prime: relu'([-2, 0, 3]) is [0, 0, 1]" in output


def test_modules_can_be_named_with_or_without_py() -> None:
    code, output = run("--path", str(SOLUTIONS), "losses", "vanishing.py")
    assert code == 0
    assert [ln.split()[0] for ln in output.strip().splitlines()[:-1]] == ["losses", "vanishing"]


def test_an_unknown_module_lists_the_choices() -> None:
    code, output = run("--path", str(SOLUTIONS), "activation")
    assert code == 2
    assert "'activation' is not an exercise module; choose from perceptron, activations" in output


def test_path_may_hold_the_modules_or_an_exercises_folder(tmp_path: Path) -> None:
    shutil.copytree(SOLUTIONS, tmp_path / "course" / "exercises")
    code, output = run("--path", str(tmp_path / "course"), "perceptron")
    assert code == 0 and "6/6 passed" in output
    code, _ = run("--path", str(tmp_path / "course" / "exercises"), "perceptron")
    assert code == 0


def test_default_path_is_the_exercises_folder_of_the_current_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shutil.copytree(SOLUTIONS, tmp_path / "exercises")
    monkeypatch.chdir(tmp_path)
    assert run("perceptron")[0] == 0
    monkeypatch.chdir(tmp_path / "exercises")  # or inside it
    assert run("perceptron")[0] == 0


def test_a_folder_without_modules_says_what_to_do(tmp_path: Path) -> None:
    code, output = run("--path", str(tmp_path))
    assert code == 1
    assert "no exercise modules" in output and "--path DIR" in output


def test_a_failure_prints_call_got_expected_and_what_the_code_printed(tmp_path: Path) -> None:
    folder = tmp_path / "student"
    shutil.copytree(SOLUTIONS, folder)
    path = folder / "losses.py"
    source = path.read_text(encoding="utf-8")
    path.write_text(
        source.replace(
            "    return float(np.sum((y - y_pred) ** 2) / (2 * len(y)))",
            "    print('debugging mse')\n    return float(np.sum((y - y_pred) ** 2) / len(y))",
        ),
        encoding="utf-8",
    )
    code, output = run("--path", str(folder), "losses")
    assert code == 1
    assert "3/4 passed   failed: mse" in output
    assert "FAIL losses.mse:" in output
    assert "Called:         mse(array([0.5, 0.5]), array([1., 0.]))" in output
    assert "Got:            0.25" in output and "Expected:       0.125" in output
    assert "Likely mistake: MSE averaged with 1/m (np.mean)" in output, "the mistake is named"
    assert "Printed:        debugging mse" in output
    assert "3/4 functions pass, 1 failed" in output


def test_a_syntax_error_names_file_and_line_and_the_rest_still_runs(tmp_path: Path) -> None:
    folder = tmp_path / "student"
    shutil.copytree(SOLUTIONS, folder)
    (folder / "autodiff.py").write_text("def f(:\n    pass\n", encoding="utf-8")
    code, output = run("--path", str(folder), "autodiff", "perceptron")
    assert code == 1
    assert "autodiff    autodiff.py could not be imported" in output
    assert "> autodiff.py:1: SyntaxError:" in output
    assert "perceptron  6/6 passed" in output
    broken = len(MODULES["autodiff"])
    assert f"6/{6 + broken} functions pass, {broken} in modules that did not load" in output


def test_no_colour_without_a_terminal_or_with_no_color(tmp_path: Path) -> None:
    _, plain = run("--path", str(EXERCISES), "vanishing")
    assert "\x1b[" not in plain
    result = CliRunner().invoke(
        check_command, ["--path", str(EXERCISES), "vanishing"], color=True, env={"NO_COLOR": "1"}
    )
    assert "\x1b[" not in result.output
    coloured = CliRunner().invoke(
        check_command, ["--path", str(EXERCISES), "vanishing"], color=True
    )
    assert "\x1b[33m" in coloured.output  # yellow for "not implemented yet"


def test_slow_runs_train_xor_for_real() -> None:
    code, output = run("--slow", "-v", "--path", str(SOLUTIONS), "backprop")
    assert code == 0
    assert "with its defaults (20000 epochs) the trained network computes XOR" in output
    assert "skipped" not in output


def test_the_cli_group_finds_the_command() -> None:
    result = CliRunner().invoke(main, ["check", "--path", str(SOLUTIONS), "vanishing"])
    assert result.exit_code == 0, result.output


@pytest.mark.skipif(not (Path(sys.executable).parent / "nngrade").exists(), reason="no script")
def test_a_real_run_from_the_shell_is_fast() -> None:
    script = Path(sys.executable).parent / "nngrade"
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    start = time.perf_counter()
    done = subprocess.run(
        [str(script), "check", "--path", str(SOLUTIONS)],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        cwd=ROOT,
    )
    elapsed = time.perf_counter() - start
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"All {len(all_names())} functions pass the public checks" in done.stdout
    assert "\x1b[" not in done.stdout  # a pipe is not a terminal
    assert elapsed < 60.0  # it finished (a hang guard); its speed is benchmarks' business
    fresh = subprocess.run(
        [str(script), "check"], capture_output=True, text=True, timeout=60, env=env, cwd=ROOT
    )
    assert fresh.returncode == 1 and f"{len(all_names())} not implemented yet" in fresh.stdout


def test_prints_at_import_stay_quiet_unless_the_import_fails(tmp_path: Path) -> None:
    folder = tmp_path / "student"
    shutil.copytree(SOLUTIONS, folder)
    with (folder / "activations.py").open("a", encoding="utf-8") as f:
        f.write("\nprint('my quick test', sigmoid(0))\n")
    with (folder / "losses.py").open("a", encoding="utf-8") as f:
        f.write("\nprint('about to fail')\nraise RuntimeError('boom')\n")
    code, output = run("--path", str(folder), "activations", "losses")
    assert code == 1
    assert "my quick test" not in output
    assert "losses       losses.py could not be imported" in output
    assert "> losses.py:" in output and "RuntimeError: boom" in output
    assert "Printed: about to fail" in output
