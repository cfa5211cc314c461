"""``nngrade grade --shard K/N`` and ``nngrade merge``: shards of a class grade it as one run does.

A small class (five of the sample students) graded in 4 shards and merged
equals a plain run with the same seed, student by student and in the
gradebook; the first shard's plan binds the others; a shard that is rerun
resumes; the merge refuses, naming it, when a shard or a student is missing
or the shards graded different exams.
"""

from __future__ import annotations

import csv
import json
import multiprocessing as mp
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from run_comparison import comparable
from sample_class import copy_sample_class

from nngrade.cli import main
from nngrade.grade.merge import MergeRefused, _gradebook_part, merge_shards
from nngrade.grade.options import BatchOptions
from nngrade.grade.pipeline import grade_class
from nngrade.grade.shards import Shard, adopt_plan, read_plan, stable_shard
from nngrade.hidden.replay_store import FOLDER as REPLAYS_FOLDER
from nngrade.intake import read_submissions
from nngrade.intake import submissions as intake_submissions
from nngrade.intake.submissions import student_ids
from nngrade.rubric import load_rubric

CLASS = ("ada", "ben", "chen", "dara", "gus")
SEED = 7
N = 4


def _options(**changes: Any) -> BatchOptions:
    options = BatchOptions(jobs=1, seed=SEED, call_timeout=2.0, submission_timeout=120.0,
                           reports=False)
    for name, value in changes.items():
        setattr(options, name, value)
    return options


def _copy_class(target: Path, students: tuple[str, ...] = CLASS) -> Path:
    return copy_sample_class(target, students)


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("shards")
    klass = _copy_class(base / "class")
    plain = base / "plain"
    grade_class(klass, plain, _options())
    sharded = base / "sharded"
    for k in range(1, N + 1):  # the first shard plans with the seed; the others read it
        grade_class(klass, sharded, _options(seed=SEED if k == 1 else None),
                    shard=Shard(k, N), explicit=frozenset({"seed"}) if k == 1 else frozenset())
    assert (sharded / REPLAYS_FOLDER).is_dir()  # the shards shared their replay trees
    merge_shards(sharded)
    assert not (sharded / REPLAYS_FOLDER).exists()  # a cache of the run, gone with it
    return {"class": klass, "plain": plain, "sharded": sharded}


def test_stable_shard_is_a_fixed_function_of_the_id_and_spreads_students() -> None:
    assert [stable_shard(s, 4) for s in CLASS] == [3, 3, 1, 2, 2]
    counts = [0] * 8
    for i in range(8000):
        counts[stable_shard(f"student{i:05d}", 8) - 1] += 1
    assert min(counts) > 900 and max(counts) < 1100


@pytest.mark.parametrize("text", ["0/4", "5/4", "2", "a/b", "2/0", "1/2/3", "-1/4"])
def test_a_shard_is_k_of_n_with_k_from_1_to_n(text: str) -> None:
    with pytest.raises(ValueError):
        Shard.parse(text)
    assert Shard.parse(" 4/4 ") == Shard(4, 4)


def test_a_shard_reads_only_its_own_hand_ins(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    klass = _copy_class(tmp_path / "class")
    shutil.copytree(klass / "ben", klass / "ben.zip.d")  # a folder: its id is its whole name
    everyone = read_submissions(klass)
    opened: list[str] = []
    real = intake_submissions.unpack.read_submission

    def spy(path: Any, student: str | None = None) -> Any:
        opened.append(Path(path).stem if Path(path).is_file() else Path(path).name)
        return real(path, student)

    monkeypatch.setattr(intake_submissions.unpack, "read_submission", spy)
    for k in range(1, N + 1):
        shard = Shard(k, N)
        mine = read_submissions(klass, keep=shard.holds)
        assert [s.student for s in mine] == [s.student for s in everyone
                                             if shard.holds(s.student)]
        assert sorted(opened) == sorted(s.student for s in mine)
        opened.clear()
    assert student_ids(klass) == [s.student for s in everyone]


def test_two_hand_ins_of_one_id_are_numbered_as_in_a_whole_class_read(tmp_path: Path) -> None:
    klass = _copy_class(tmp_path / "class", ("ada", "ben"))
    shutil.make_archive(str(klass / "ada"), "zip", klass / "ada")  # ada/ and ada.zip
    everyone = [s.student for s in read_submissions(klass)]
    assert everyone == ["ada", "ada~2", "ben"]
    parts = [[s.student for s in read_submissions(klass, keep=Shard(k, 3).holds)]
             for k in (1, 2, 3)]
    assert sorted(sum(parts, [])) == everyone
    assert student_ids(klass) == everyone


def test_four_shards_and_a_merge_equal_a_plain_run(runs: dict[str, Path]) -> None:
    plain, sharded = runs["plain"], runs["sharded"]
    for student in CLASS:
        ours = json.loads((sharded / student / "results.json").read_text())
        theirs = json.loads((plain / student / "results.json").read_text())
        assert comparable(ours) == comparable(theirs), student
    with (sharded / "gradebook.csv").open() as a, (plain / "gradebook.csv").open() as b:
        assert list(csv.reader(a)) == list(csv.reader(b))
    plan = read_plan(sharded)
    assert plan is not None and plan["seed"] == SEED and plan["shards"] == N
    assert plan["merged"]["students"] == len(CLASS) and plan["merged"]["graded"] == len(CLASS)
    records = sorted((sharded / ".shards").glob("*-of-4.json"))
    assert [p.name for p in records] == [f"{k}-of-4.json" for k in range(1, 5)]
    owned = {s: json.loads(p.read_text())["shard"]
             for p in records for s in json.loads(p.read_text())["students"]}
    assert owned == {s: stable_shard(s, N) for s in CLASS}


def test_a_rerun_shard_resumes_and_regrades_nobody(runs: dict[str, Path],
                                                   tmp_path: Path) -> None:
    out = tmp_path / "out"
    shutil.copytree(runs["sharded"], out)
    before = (out / "chen" / "results.json").read_text()
    results = grade_class(runs["class"], out, _options(seed=None), shard=Shard(1, N))
    assert [r["nngrade"]["student"] for r in results] == ["chen"]
    record = json.loads((out / ".shards" / "1-of-4.json").read_text())
    assert record["graded"] == 0 and record["reused"] == 1
    assert (out / "chen" / "results.json").read_text() == before


def test_a_shard_takes_the_plan_and_refuses_a_different_one(runs: dict[str, Path],
                                                            tmp_path: Path) -> None:
    out = tmp_path / "out"
    shutil.copytree(runs["sharded"], out)
    runner = CliRunner()
    done = runner.invoke(main, ["grade", str(runs["class"]), "--out", str(out), "--shard",
                                "1/4", "--seed", "8", "--call-timeout", "3", "--no-reports"])
    assert done.exit_code == 2, done.output
    assert "its seed is 7, not 8" in done.output
    assert "--call-timeout is 2.0 there, not 3.0" in done.output
    assert "--shard 1/5" not in done.output
    done = runner.invoke(main, ["grade", str(runs["class"]), "--out", str(out), "--shard",
                                "1/5", "--no-reports"])
    assert done.exit_code == 2 and "planned for 4 shards, not 5" in done.output
    other = _copy_class(tmp_path / "another-class", ("ada",))
    done = runner.invoke(main, ["grade", str(other), "--out", str(out), "--shard", "1/4"])
    assert done.exit_code == 2 and f"not {other.resolve()}" in done.output
    # Nothing given: the plan's seed and options, no question asked.
    done = runner.invoke(main, ["grade", str(runs["class"]), "--out", str(out), "--shard",
                                "1/4", "-j", "1"])
    assert done.exit_code == 0, done.output
    assert json.loads((out / "chen" / "results.json").read_text())["nngrade"]["seed"] == SEED
    assert not (out / "chen" / "report.html").exists()  # the plan says --no-reports


def _adopt(out: str, queue: Any) -> None:
    plan, _ = adopt_plan(Path(out), Shard(1, 2), options=_options(seed=None), source=Path(out),
                         explicit=frozenset(), load_rubric=load_rubric)
    queue.put(plan["seed"])


def test_shards_starting_together_share_one_new_seed(tmp_path: Path) -> None:
    ctx = mp.get_context("fork")
    queue = ctx.Queue()
    processes = [ctx.Process(target=_adopt, args=(str(tmp_path), queue)) for _ in range(4)]
    for process in processes:
        process.start()
    seeds = {queue.get(timeout=60) for _ in processes}
    for process in processes:
        process.join(timeout=60)
    assert len(seeds) == 1


def _refusal(out: Path) -> str:
    with pytest.raises(MergeRefused) as caught:
        merge_shards(out)
    assert not (out / "gradebook.csv").exists()
    return str(caught.value.message)


def _unmerged(runs: dict[str, Path], tmp_path: Path) -> Path:
    out = tmp_path / "out"
    shutil.copytree(runs["sharded"], out)
    (out / "gradebook.csv").unlink()
    return out


def test_merge_refuses_while_a_shard_is_missing(runs: dict[str, Path], tmp_path: Path) -> None:
    out = _unmerged(runs, tmp_path)
    (out / ".shards" / "2-of-4.json").unlink()
    message = _refusal(out)
    assert message.startswith("merge refused: shard(s) 2 of 4 have not finished")
    done = CliRunner().invoke(main, ["merge", str(out)])
    assert done.exit_code == 3 and "shard(s) 2 of 4" in done.output


def test_merge_refuses_shards_that_graded_another_exam(runs: dict[str, Path],
                                                       tmp_path: Path) -> None:
    out = _unmerged(runs, tmp_path)
    path = out / ".shards" / "3-of-4.json"
    record = json.loads(path.read_text())
    record["seed"] = 99
    path.write_text(json.dumps(record))
    results = json.loads((out / "dara" / "results.json").read_text())
    results["nngrade"]["rubric_sha256"] = "0" * 64
    (out / "dara" / "results.json").write_text(json.dumps(results))
    message = _refusal(out)
    assert "shard 3 graded with seed 99" in message
    assert "the results of dara were graded with another seed, grader version or rubric" in message


def test_merge_refuses_a_missing_student_naming_the_shard(runs: dict[str, Path],
                                                          tmp_path: Path) -> None:
    out = _unmerged(runs, tmp_path)
    (out / "gus" / "results.json").unlink()
    message = _refusal(out)
    assert f"no results for gus: rerun shard(s) {stable_shard('gus', N)}" in message


def test_merge_refuses_a_hand_in_that_came_after_its_shard_ran(runs: dict[str, Path],
                                                               tmp_path: Path) -> None:
    out = _unmerged(runs, tmp_path)
    klass = tmp_path / "class"
    shutil.copytree(runs["class"], klass)
    shutil.copytree(klass / "ben", klass / "zoe")
    plan = json.loads((out / "run.json").read_text())
    plan["submissions"] = str(klass)
    (out / "run.json").write_text(json.dumps(plan))
    message = _refusal(out)
    assert "no results for zoe: handed in after their shard ran?" in message


def test_merge_of_a_folder_that_was_not_sharded_is_refused(runs: dict[str, Path]) -> None:
    with pytest.raises(MergeRefused, match="not the plan of a sharded run"):
        merge_shards(runs["plain"])


def test_merge_starts_without_numpy_or_the_replay_trees() -> None:
    """``nngrade merge`` is a cold process of its own after every sharded run: it only
    removes the replay trees, so it must not pay for importing them (numpy alone is a
    tenth of a second)."""
    code = ("import sys, nngrade.grade.merge; print(sorted(m for m in ('numpy', "
            "'nngrade.hidden.replay', 'nngrade.worker.protocol') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    assert done.stdout.strip() == "[]"


def test_merge_reads_what_the_gradebook_needs_exactly_as_json_does(
        runs: dict[str, Path]) -> None:
    """Without a class summary the merge decodes only score, max_score and the nngrade block
    of each results.json; whatever the text, that is json.loads's value or nothing."""
    for student in CLASS:
        text = (runs["sharded"] / student / "results.json").read_text(encoding="utf-8")
        whole = json.loads(text)
        assert _gradebook_part(text) == {k: whole[k] for k in ("score", "max_score", "nngrade")}
    doc = json.loads((runs["sharded"] / "ada" / "results.json").read_text(encoding="utf-8"))
    # A test's output that looks like the block is a string (its quotes escaped): not taken.
    doc["tests"][0]["output"] = 'x}, "nngrade": {"seed": 1}}'
    text = json.dumps(doc, ensure_ascii=False) + "\n"
    assert _gradebook_part(text) == {k: doc[k] for k in ("score", "max_score", "nngrade")}
    # A block holding an "nngrade" key of its own: the last match is that one, not taken.
    nested = dict(doc, nngrade={**doc["nngrade"], "extra": {"a": 1, "nngrade": {"seed": 1}}})
    assert _gradebook_part(json.dumps(nested)) is None
    # Laid out otherwise, nothing: the merge then decodes it all.
    last = {k: v for k, v in doc.items() if k != "score"} | {"score": doc["score"]}
    for other in (json.dumps(doc, indent=2), json.dumps(last),
                  json.dumps({k: v for k, v in doc.items() if k != "nngrade"}),
                  json.dumps(doc) + " trailing"):
        assert _gradebook_part(other) is None


def test_a_merge_of_results_written_otherwise_gives_the_same_gradebook(
        runs: dict[str, Path], tmp_path: Path) -> None:
    out = _unmerged(runs, tmp_path)
    ada = out / "ada" / "results.json"
    doc = json.loads(ada.read_text(encoding="utf-8"))
    ada.write_text(json.dumps(dict(reversed(doc.items())), indent=1), encoding="utf-8")
    merge_shards(out)
    assert (out / "gradebook.csv").read_text() == (runs["plain"] / "gradebook.csv").read_text()


def test_a_merge_without_reports_decodes_no_results_json_whole(
        runs: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The fast path is taken (a results.json is 50 KB or more; the plan and records are
    small), and with a class summary to write every result is decoded whole again."""
    whole: list[int] = []
    loads = json.loads

    def counting(text: Any, *args: Any, **kwargs: Any) -> Any:
        if len(text) > 20_000:
            whole.append(len(text))
        return loads(text, *args, **kwargs)

    monkeypatch.setattr(json, "loads", counting)
    out = _unmerged(runs, tmp_path / "no-reports")
    merge_shards(out)
    assert whole == [] and (out / "gradebook.csv").is_file()
    assert not (out / "index.html").exists()
    out = _unmerged(runs, tmp_path / "reports")
    plan = json.loads((out / "run.json").read_text())
    plan["options"]["reports"] = True
    (out / "run.json").write_text(json.dumps(plan))
    merge_shards(out)
    assert len(whole) == len(CLASS)
    summary = (out / "index.html").read_text(encoding="utf-8")
    assert all(student in summary for student in CLASS)
    assert (out / "gradebook.csv").read_text() == (runs["plain"] / "gradebook.csv").read_text()
