"""`nngrade grade` on the bundled sample class: expected scores, resume, bad input, exit codes."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from nngrade.contract import MODULES
from nngrade.grade.command import grade_command
from nngrade.grade.options import BatchOptions
from nngrade.grade.pipeline import grade_directory

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "examples" / "submissions"
SEED = 1

# Pinned by grading the sample class with seed 1 (see examples/make_sample_class.py).
# With the rest of the lecture every earlier name's points were scaled by 0.8 and nine new
# names share 20 (grader/nngrade/rubric.toml), so each score is 0.8 * (the eight-module
# score) + (the points on the new names): chen 0.8 * 92 + 16.75, dara 0.8 * 90.8333 + 8.25,
# eli 0.8 * 96 + 18, fay 0.8 * 72 + 18, hana 0.8 * 90.3333 + 15.75.
# Issue 12 (seed-proof suites) moved two: dara -0.4 (the dropout test that paid for the mask's
# type and shape alone now checks out too, and her unscaled dropout fails it), eli -0.96 (her
# recursive get_gradients fails the contract's 20,000-node chain, which the suite now runs).
# The full mutation audit (issue 12) moved chen -0.75: her gradient_check returns the mean of
# the entries' errors, which the new floor case (entries with different errors) also shows.
EXPECTED = {
    "ada": 100.0,   # everything right
    "ben": 0.0,     # the untouched stubs
    "chen": 89.6,   # derivatives of the activated value; np.mean in MSE, gradient_check, XOR cost
    "dara": 80.5167,  # step from np.sign, relu'(0) = 1, unscaled dropout, summed cross-entropy,
                      # np.vander features, reversed layer gradients, XOR output without sigmoid
    "eli": 93.84,   # naive sigmoid (warns), overflowing softmax, path-enumerating get_gradients,
                    # singular normal equations, errors without the 1/2
    "fay": 75.6,    # syntax error in backprop, endless loop, vanishing.py missing
    "gus": 0.0,     # the cheat
    "hana": 88.0167,  # off-by-one descent and early stopping, clockwise rotation, the neuron's
                      # costs one step late, early-stopping curves one step early
}

FAST = BatchOptions(call_timeout=2.0, submission_timeout=120.0)


@pytest.fixture(scope="module")
def sample_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, dict]]:
    out = tmp_path_factory.mktemp("sample") / "out"
    results = grade_directory(SAMPLE, out, jobs=2, seed=SEED, force=True, options=FAST)
    return out, {r["nngrade"]["student"]: r for r in results}


def test_sample_class_scores(sample_run: tuple[Path, dict]) -> None:
    _, results = sample_run
    assert {s: r["score"] for s, r in results.items()} == pytest.approx(EXPECTED, abs=1e-3)


def test_results_follow_gradescope_schema(sample_run: tuple[Path, dict]) -> None:
    out, results = sample_run
    on_disk = json.loads((out / "chen" / "results.json").read_text())
    assert on_disk == results["chen"]
    assert on_disk["max_score"] == 100
    for test in on_disk["tests"]:
        assert set(test) >= {"score", "max_score", "status", "name", "output", "tags"}
        assert test["status"] in ("passed", "failed")
        module, name = test["tags"]
        assert name in MODULES[module]
        assert 0 <= test["score"] <= test["max_score"]
    assert sum(t["score"] for t in on_disk["tests"]) == pytest.approx(on_disk["score"], abs=1e-3)
    info = on_disk["nngrade"]
    assert info["seed"] == SEED and info["grader_version"] and info["content_sha256"]


def test_classic_mistakes_are_named(sample_run: tuple[Path, dict]) -> None:
    _, results = sample_run

    def mistakes(student: str) -> set[str]:
        return {(t["extra_data"].get("mistake") or {}).get("code")
                for t in results[student]["tests"]} - {None}

    assert "derivative_of_activated_value" in mistakes("chen")
    assert {"step_half_at_zero", "relu_prime_one_at_zero", "dropout_no_scaling",
            "cross_entropy_summed"} <= mistakes("dara")
    assert {"overflow", "get_gradients_exponential"} <= mistakes("eli")
    assert {"gradient_descent_off_by_one", "rotate_clockwise"} <= mistakes("hana")
    # the rest of the lecture: at least one classic mistake in each new part
    assert {"gradient_check_mean_or_norm", "xor_autodiff_cost_scaled"} <= mistakes("chen")
    assert {"polynomial_features_reversed", "layer_gradients_reversed",
            "xor_net_output_sigmoid_missing"} <= mistakes("dara")
    assert {"fit_polynomial_not_min_norm", "mse_mean_not_half"} <= mistakes("eli")
    assert {"train_neuron_cost_after_update",
            "early_stopping_fit_losses_before_step"} <= mistakes("hana")


def test_broken_modules_cost_only_their_points(sample_run: tuple[Path, dict]) -> None:
    _, results = sample_run
    fay = results["fay"]["nngrade"]["modules"]
    assert fay["backprop"]["status"] == "import_error" and "line" in fay["backprop"]["message"]
    assert fay["vanishing"]["status"] == "missing"
    assert fay["activations"]["score"] == fay["activations"]["max_score"] > 0
    assert any(hit["limit"] == "timeout" for hit in results["fay"]["nngrade"]["limits_hit"])


def test_gradebook(sample_run: tuple[Path, dict]) -> None:
    out, results = sample_run
    rows = list(csv.DictReader((out / "gradebook.csv").open()))
    assert [r["student"] for r in rows] == sorted(EXPECTED)
    assert set(rows[0]) >= {"student", "total", "max", *MODULES}
    for row in rows:
        assert float(row["total"]) == pytest.approx(results[row["student"]]["score"])
        assert sum(float(row[m]) for m in MODULES) == pytest.approx(float(row["total"]), abs=1e-3)


def test_resume_skips_unchanged_and_regrades_changed(sample_run: tuple[Path, dict],
                                                     tmp_path: Path) -> None:
    out, results = sample_run
    subs = tmp_path / "subs"
    shutil.copytree(SAMPLE / "ada", subs / "ada")
    shutil.copytree(SAMPLE / "ben", subs / "ben")
    resumed = tmp_path / "out"
    for student in ("ada", "ben"):
        shutil.copytree(out / student, resumed / student)
    (resumed / "run.json").write_text(json.dumps({"seed": SEED}))
    # ben finally did some work: only ben is graded again.
    stub = subs / "ben" / "exercises" / "activations.py"
    stub.write_text((ROOT / "solutions" / "activations.py").read_text())
    again = grade_directory(subs, resumed, jobs=1, options=BatchOptions(call_timeout=2.0))
    run = json.loads((resumed / "run.json").read_text())
    assert run["graded"] == 1 and run["reused"] == 1 and run["seed"] == SEED
    by = {r["nngrade"]["student"]: r for r in again}
    assert by["ada"] == results["ada"]
    assert by["ben"]["score"] == 9.6  # activations only (12 points x 0.8 since the new names)


def test_a_rerun_in_another_language_rerenders_every_report_without_regrading(
        sample_run: tuple[Path, dict], tmp_path: Path) -> None:
    out, results = sample_run
    again = tmp_path / "out"
    shutil.copytree(out, again)
    before = {s: (again / s / "results.json").read_bytes() for s in EXPECTED}
    rerun = CliRunner().invoke(grade_command, [str(SAMPLE), "--out", str(again), "--lang", "zh"])
    assert rerun.exit_code == 0, rerun.output
    run = json.loads((again / "run.json").read_text())
    assert run["graded"] == 0 and run["reused"] == len(EXPECTED), "nothing regraded"
    for student in EXPECTED:
        assert (again / student / "results.json").read_bytes() == before[student]
        page = (again / student / "report.html").read_text(encoding="utf-8")
        assert '<html lang="zh-CN">' in page, f"{student}'s report is still English"
    assert '<html lang="zh-CN">' in (again / "index.html").read_text(encoding="utf-8")
    assert rerun.output.splitlines()[0].split()[:2] == ["学生", "总分"], "the table speaks zh"
    assert f"{len(EXPECTED)} 份提交" in rerun.output.splitlines()[-1]


def test_same_seed_same_verdicts(sample_run: tuple[Path, dict], tmp_path: Path) -> None:
    _, results = sample_run
    subs = tmp_path / "subs"
    shutil.copytree(SAMPLE / "dara", subs / "dara")
    again = grade_directory(subs, tmp_path / "out", jobs=1, seed=SEED, options=FAST)[0]
    assert again["score"] == results["dara"]["score"]
    assert [t["status"] for t in again["tests"]] == [t["status"] for t in results["dara"]["tests"]]


def test_unreadable_submissions_get_a_reason_and_the_batch_goes_on(tmp_path: Path) -> None:
    subs = tmp_path / "subs"
    subs.mkdir()
    (subs / "broken.zip").write_bytes(b"PK\x03\x04 this is not really a zip")
    (subs / "empty").mkdir()
    (subs / "notes").mkdir()
    (subs / "notes" / "README.txt").write_text("nothing to see")
    shutil.copytree(ROOT / "solutions", subs / "good")
    out = tmp_path / "out"
    results = {r["nngrade"]["student"]: r
               for r in grade_directory(subs, out, jobs=2, seed=3, options=FAST)}
    assert results["good"]["score"] == 100
    for student in ("broken", "empty", "notes"):
        res = results[student]
        assert res["score"] == 0
        reason = res["nngrade"]["error"] or res["output"]
        assert reason and len(reason) > 10
        assert (out / student / "results.json").exists()


def test_cli_exit_status(tmp_path: Path) -> None:
    runner = CliRunner()
    missing = runner.invoke(grade_command, [str(tmp_path / "nope"), "--out", str(tmp_path / "o")])
    assert missing.exit_code == 2 and "does not exist" in missing.output
    subs = tmp_path / "subs"
    shutil.copytree(SAMPLE / "ben", subs / "ben")
    failing = runner.invoke(grade_command, [str(subs), "--out", str(tmp_path / "o"),
                                            "--seed", "1", "--no-reports"])
    assert failing.exit_code == 0, failing.output
    ben = next(line for line in failing.output.splitlines() if line.startswith("ben "))
    assert ben.split()[1] == "0" and "1 graded: mean 0, median 0 of 100" in failing.output
