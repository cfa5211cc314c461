"""What ``nngrade slurm`` writes, and how ``nngrade slurm status`` reads Slurm: no cluster needed.

The batch scripts are checked line by line (array, CPUs, time limit,
throttle, requeue, logs, seed), parsed by bash, and run by bash with a
stand-in grade command, including a submissions folder whose name is shell
code. The status logic is fed fake squeue/sacct/scontrol programs.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from nngrade.cli import COMMANDS, main
from nngrade.slurm.jobs import Round, array_spec, save_rounds
from nngrade.slurm.plan import (
    SlurmPlan,
    parse_time,
    sbatch_path_problem,
    students_per_shard,
    time_limit_minutes,
)
from nngrade.slurm.status import collect_status, format_status

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "examples" / "submissions"


def _plan(out: Path, *args: str, submissions: Path = SAMPLE) -> tuple[str, str, SlurmPlan]:
    result = CliRunner().invoke(main, [
        "slurm", str(submissions), "--out", str(out),
        "--grade-command", "nngrade-grade-stand-in", "--merge-command", "nngrade-merge-stand-in",
        *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    slurm = out / "slurm"
    plan = SlurmPlan.from_json((slurm / "plan.json").read_text())
    return (slurm / "grade.sbatch").read_text(), (slurm / "merge.sbatch").read_text(), plan


def _directives(script: str) -> list[str]:
    return [ln.removeprefix("#SBATCH ") for ln in script.splitlines()
            if ln.startswith("#SBATCH ")]


def test_grade_script_holds_the_array_cpus_time_throttle_requeue_and_logs(tmp_path: Path) -> None:
    out = tmp_path / "out"
    grade, merge, plan = _plan(out, "--shards", "4", "--max-running", "2", "-j", "3",
                               "--submission-timeout", "60", "--partition", "teaching",
                               "--seed", "77")
    directives = _directives(grade)
    assert "--array=1-4%2" in directives
    assert "--cpus-per-task=3" in directives  # matches -j 3
    # 8 students in 4 shards: at most 7 in one; 3 at a time -> 3 rounds of 60 s, plus start-up
    assert students_per_shard(8, 4) == 7
    assert "--time=0-00:13:00" in directives
    assert "--requeue" in directives
    assert f"--output={out}/slurm/logs/grade-%A_%a.out" in directives
    assert f"--error={out}/slurm/logs/grade-%A_%a.err" in directives
    assert "--partition=teaching" in directives
    assert f"--chdir={out}" in directives
    command = next(ln for ln in grade.splitlines() if ln.startswith("nngrade-grade-stand-in"))
    assert f'--out {out} --shard "$shard/$shards"' in command
    assert "-j 3 --seed 77 --call-timeout 2 --submission-timeout 60" in command
    assert "shards=4" in grade.splitlines()
    assert f"nngrade-merge-stand-in {out}" in merge.splitlines()
    assert "--partition=teaching" in _directives(merge)
    assert not any(d.startswith("--array") for d in _directives(merge))
    assert plan.grade.seed == 77 and plan.shards == 4 and plan.students == 8
    for script in (grade, merge):
        subprocess.run(["bash", "-n"], input=script, text=True, check=True)


def test_a_deadline_reaches_every_shard_in_a_form_nngrade_grade_reads(tmp_path: Path) -> None:
    grade, _, plan = _plan(tmp_path / "out", "--deadline", "2026-12-01T23:59")
    assert plan.grade.deadline == "2026-12-01T23:59:00"
    assert "--deadline 2026-12-01T23:59:00" in grade
    refused = CliRunner().invoke(main, ["slurm", str(SAMPLE), "--out", str(tmp_path / "b"),
                                        "--grade-command", "x", "--merge-command", "y",
                                        "--deadline", "2026-12-01T23:59:00+08:00"])
    assert refused.exit_code != 0 and "--deadline" in refused.output


def test_every_shard_gets_the_same_seed_reused_from_run_json(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "run.json").write_text(json.dumps({"seed": 4242}))
    grade, _, plan = _plan(out)
    assert plan.grade.seed == 4242 and "--seed 4242" in grade
    fresh = tmp_path / "fresh"
    grade_a, _, plan_a = _plan(fresh)
    assert f"--seed {plan_a.grade.seed} " in grade_a
    assert plan_a.shards == 1  # 8 submissions: one shard by default


def test_running_the_script_records_the_exit_status_and_quotes_every_path(
        tmp_path: Path) -> None:
    submissions = tmp_path / "class of 2026; touch PWNED"
    submissions.mkdir()
    for name in ("ada", "ben", "chen"):
        (submissions / name).mkdir()
    out = tmp_path / "out"
    recorder = tmp_path / "record.py"
    recorder.write_text("import json, sys\n"
                        "json.dump(sys.argv[1:], open(sys.argv[0] + '.argv', 'w'))\n"
                        "sys.exit(5)\n")
    result = CliRunner().invoke(main, [
        "slurm", str(submissions), "--out", str(out), "--shards", "3",
        "--grade-command", f"{sys.executable} {recorder}", "--merge-command", "true"])
    assert result.exit_code == 0, result.output
    script = out / "slurm" / "grade.sbatch"
    env = {**os.environ, "SLURM_ARRAY_TASK_ID": "2", "SLURM_ARRAY_JOB_ID": "991",
           "SLURM_RESTART_COUNT": "1"}
    done = subprocess.run(["bash", str(script)], cwd=tmp_path, env=env, capture_output=True,
                          text=True, check=False)
    assert done.returncode == 5
    argv = json.loads(Path(f"{recorder}.argv").read_text())
    assert argv[:5] == [str(submissions), "--out", str(out), "--shard", "2/3"]
    assert not (tmp_path / "PWNED").exists()
    record = json.loads((out / "slurm" / "shards" / "2.json").read_text())
    assert record["exit"] == 5 and record["job"] == "991_2" and record["restarts"] == 1
    assert not (out / "slurm" / "shards" / "2.running").exists()

    outside = subprocess.run(["bash", str(script)], cwd=tmp_path, capture_output=True,
                             text=True, env={k: v for k, v in os.environ.items()
                                             if not k.startswith("SLURM_")}, check=False)
    assert outside.returncode != 0 and "Slurm job array" in outside.stderr


def test_sbatch_options_replace_ours_but_not_the_ones_status_relies_on(tmp_path: Path) -> None:
    grade, _, _ = _plan(tmp_path / "a", "--sbatch-option=--mem=8G",
                        "--sbatch-option=--account=cs101", "--sbatch-option=-t 5:00")
    directives = _directives(grade)
    assert "--mem=8G" in directives and not any(d.startswith("--mem=") and d != "--mem=8G"
                                                 for d in directives)
    assert "--account=cs101" in directives
    assert "-t 5:00" in directives and not any(d.startswith("--time=") for d in directives)
    refused = CliRunner().invoke(main, ["slurm", str(SAMPLE), "--out", str(tmp_path / "b"),
                                        "--grade-command", "x", "--merge-command", "y",
                                        "--sbatch-option=--array=0-99"])
    assert refused.exit_code != 0 and "sets --array itself" in refused.output
    injected = CliRunner().invoke(main, ["slurm", str(SAMPLE), "--out", str(tmp_path / "c"),
                                         "--grade-command", "x", "--merge-command", "y",
                                         "--sbatch-option=--comment=a\nrm -rf /"])
    assert injected.exit_code != 0 and "is not an sbatch option" in injected.output


def test_an_output_folder_sbatch_cannot_hold_is_refused(tmp_path: Path) -> None:
    assert sbatch_path_problem("/srv/grades/ps1") is None
    for bad in ("/srv/grades 2026", "/srv/100%", "/srv/it's"):
        assert sbatch_path_problem(bad)
    result = CliRunner().invoke(main, ["slurm", str(SAMPLE), "--out", str(tmp_path / "50% done"),
                                       "--grade-command", "x", "--merge-command", "y"])
    assert result.exit_code != 0 and "cannot hold" in result.output


def test_the_default_commands_need_nngrade_merge(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["slurm", str(SAMPLE), "--out", str(tmp_path / "o")])
    if "merge" not in COMMANDS:
        assert result.exit_code != 0 and "--grade-command" in result.output
    else:  # once `nngrade merge` exists the defaults are this nngrade's own commands
        assert result.exit_code == 0, result.output
        merge = (tmp_path / "o" / "slurm" / "merge.sbatch").read_text()
        assert f"{Path(sys.executable).parent / 'nngrade'} merge" in merge


def test_time_limits_and_array_specs() -> None:
    assert parse_time("90") == 90 and parse_time("1:30:00") == 90 and parse_time("2-00") == 2880
    assert parse_time("0:30") == 1 and parse_time("1-02:03:04") == 1564  # seconds round up
    for bad in ("", "abc", "0", "1:2:3:4", "-5"):
        with pytest.raises(ValueError):
            parse_time(bad)
    # one shard holds everyone; many shards hold a bounded few each
    assert students_per_shard(100, 1) == 100
    assert 10 < students_per_shard(1000, 100) < 25
    assert students_per_shard(1000, 100) == 23  # mean 10, four standard deviations above
    assert time_limit_minutes(1000, 100, 2, 300) == 10 + 12 * 5  # 12 rounds of 5 minutes
    assert array_spec([1, 2, 3, 7, 9, 10], 4) == "1-3,7,9-10%4"
    assert array_spec([5], None) == "5"


def _fake(bin_dir: Path, name: str, stdout: str, code: int = 0) -> None:
    path = bin_dir / name
    # printf is a shell builtin: PATH holds nothing but the fakes
    path.write_text(f"#!/bin/sh\nprintf '%s\\n' '{stdout}'\nexit {code}\n")
    path.chmod(0o755)


def _status_fixture(tmp_path: Path) -> SlurmPlan:
    out = tmp_path / "out"
    _, _, plan = _plan(out, "--shards", "5")
    shards = out / "slurm" / "shards"
    (shards / "1.json").write_text(json.dumps({"exit": 0, "job": "12_1", "finished": "T1"}))
    (shards / "2.json").write_text(json.dumps({"exit": 137, "job": "12_2", "finished": "T2"}))
    (shards / "4.running").write_text(json.dumps({"job": "12_4", "started": "T0"}))
    (shards / "5.json").write_text(json.dumps({"exit": 9, "job": "12_5", "finished": "T5"}))
    save_rounds(out / "slurm", [Round("12", [1, 2, 3, 4, 5], "13", "T")])
    return plan


def test_status_combines_squeue_sacct_and_the_records(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    plan = _status_fixture(tmp_path)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    _fake(bin_dir, "squeue", "12_2|PENDING|BeginTime\n12_3|RUNNING|None\n"
                             "12_5|RUNNING|None\n13|PENDING|Dependency")
    _fake(bin_dir, "sacct", "Slurm accounting storage is disabled", code=1)
    monkeypatch.setenv("PATH", str(bin_dir))
    status = collect_status(plan)
    states = {s.name: (s.state, s.detail) for s in [*status.shards, status.merge]}
    assert states["1"] == ("done", "finished T1")
    assert states["2"][0] == "pending"  # requeued: Slurm's live state wins over the old record
    assert "last attempt exited with status 137" in states["2"][1]
    assert states["3"][0] == "running"
    assert states["4"][0] == "failed" and "left no record" in states["4"][1]
    assert states["5"][0] == "running"
    assert states["merge"] == ("pending", "Dependency")
    text = format_status(status)
    assert "5 shards: 1 done, 2 running, 1 pending, 1 failed" in text
    assert "shard(s) 4 did not finish" in text


def test_status_asks_sacct_for_finished_jobs_and_scontrol_without_squeue(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    plan = _status_fixture(tmp_path)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    _fake(bin_dir, "squeue", "slurm_load_jobs error: Invalid job id specified", code=1)
    _fake(bin_dir, "sacct", "12_3|TIMEOUT|0:15\n12_4|CANCELLED by 0|0:9\n13|COMPLETED|0:0")
    monkeypatch.setenv("PATH", str(bin_dir))
    states = {s.name: (s.state, s.detail) for s in [*collect_status(plan).shards]}
    assert states["3"][0] == "failed" and "TIMEOUT" in states["3"][1]
    assert states["4"][0] == "failed" and "CANCELLED" in states["4"][1]
    assert states["5"][0] == "failed" and "exit status 9" in states["5"][1]

    (bin_dir / "squeue").unlink()
    (bin_dir / "sacct").unlink()
    _fake(bin_dir, "scontrol", "JobId=20 ArrayJobId=12 ArrayTaskId=3-4 JobState=PENDING "
                               "Reason=JobArrayTaskLimit ExitCode=0:0")
    status = collect_status(plan)
    states = {s.name: (s.state, s.detail) for s in status.shards}
    assert states["3"] == ("pending", "JobArrayTaskLimit")
    assert states["4"] == ("pending", "JobArrayTaskLimit")
    assert "asked scontrol" in status.slurm_note


def test_cancel_hands_every_job_of_the_run_to_scancel(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    plan = _status_fixture(tmp_path)
    save_rounds(plan.slurm_dir, [Round("12", [1, 2, 3, 4, 5], "13", "T"),
                                 Round("20", [4], "21", "T", depends_on=["12"])])
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "scancel").write_text(f'#!/bin/sh\necho "$@" > {tmp_path}/scancel.args\n')
    (bin_dir / "scancel").chmod(0o755)
    monkeypatch.setenv("PATH", str(bin_dir))
    result = CliRunner().invoke(main, ["slurm", "cancel", plan.out])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "scancel.args").read_text().split() == ["12", "13", "20", "21"]


def test_the_plan_step_writes_the_run_plan_every_shard_grades_with(tmp_path: Path) -> None:
    out = tmp_path / "o"
    out.mkdir()
    (out / "run.json").write_text(json.dumps({"seed": 5, "shards": 4, "options": {}}))
    _plan(out, "--shards", "3", "--seed", "11", "--call-timeout", "1.5")
    from nngrade.grade.shards import read_plan

    plan = read_plan(out)
    assert plan is not None
    assert (plan["shards"], plan["seed"]) == (3, 11)  # an earlier plan for 4 is replaced
    assert plan["options"]["call_timeout"] == 1.5
    assert plan["submissions"] == str(SAMPLE.resolve())
