"""``nngrade merge OUT``: the gradebook and class summary of a class graded in shards.

Run once every ``nngrade grade --shard K/N`` has finished (Slurm's merge
job does it after the array). It checks before it writes, because a
gradebook that silently mixes two exams or leaves a student out is worse
than none:

- every shard 1..N of the plan in ``OUT/run.json`` has left its record
  (``OUT/.shards/K-of-N.json``, written when a shard finishes);
- every record, and every student's results.json, has the plan's seed,
  grader version and rubric hash;
- every student a shard graded has a results.json, and every hand-in now in
  the submissions folder belongs to a shard that graded it (one handed in
  after its shard ran is missing, not silently absent).

If anything is wrong it refuses, naming each problem and what to rerun,
and writes nothing (exit status 3). Otherwise it writes gradebook.csv and
index.html exactly as a plain ``nngrade grade`` of the whole class would,
and adds the totals to run.json (the plan stays: a later rerun of a shard
still finds it).
"""

from __future__ import annotations

import json
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import click

from nngrade.atomic import write_atomic
from nngrade.folder_names import student_folder
from nngrade.grade.output import OutputFolder
from nngrade.grade.shards import read_plan, read_shard_record, shard_record_path, stable_shard
from nngrade.hidden.replay_store import discard_replays
from nngrade.intake import IntakeError
from nngrade.intake.submissions import student_ids

__all__ = ["MergeRefused", "merge_command", "merge_shards"]

_SHOWN = 20  # names listed in one problem before "and N more"


class MergeRefused(click.ClickException):
    """The shards cannot be merged yet (or at all); the message names every problem."""

    exit_code = 3

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("merge refused: " + "; ".join(problems))


def _names(items: list[str]) -> str:
    shown = ", ".join(items[:_SHOWN])
    return shown + (f" and {len(items) - _SHOWN} more" if len(items) > _SHOWN else "")


def _exam(doc: dict[str, Any]) -> tuple[Any, Any, Any]:
    return doc.get("seed"), doc.get("grader_version"), doc.get("rubric_sha256")


def _describe(exam: tuple[Any, Any, Any]) -> str:
    seed, version, rubric = exam
    return f"seed {seed}, nngrade {version}, rubric {str(rubric)[:12]}"


_DECODER = json.JSONDecoder()
_HEAD, _MAX, _TAIL = '{"score": ', ', "max_score": ', ', "nngrade": {'


def _gradebook_part(text: str) -> dict[str, Any] | None:
    """``score``, ``max_score`` and the ``nngrade`` block of a results.json, without decoding
    its tests (97% of the text, most of a merge's time); None when the text is not laid out
    as `nngrade.records.results_text` writes it (the caller then decodes it all).

    results_text is ``json.dumps`` of a dict whose first keys are ``score`` and
    ``max_score`` and whose last is ``nngrade``, compact. In JSON a quote inside a
    string is escaped, so the last ``, "nngrade": {`` is a key followed by an object;
    when that object ends where the document does, it is the top-level block.
    """
    if not text.startswith(_HEAD):
        return None
    score, at = _DECODER.raw_decode(text, len(_HEAD))
    if not text.startswith(_MAX, at):
        return None
    max_score, at = _DECODER.raw_decode(text, at + len(_MAX))
    start = text.rfind(_TAIL)
    if start < at:
        return None
    block, end = _DECODER.raw_decode(text, start + len(_TAIL) - 1)
    if text[end:].strip() != "}" or not isinstance(block, dict):
        return None
    return {"score": score, "max_score": max_score, "nngrade": block}


def _students_on_disk(plan: dict[str, Any]) -> list[str] | None:
    """The ids of the hand-ins now in the plan's submissions folder (None: cannot read it)."""
    source = Path(str(plan.get("submissions", "")))
    deadline = plan.get("options", {}).get("deadline")
    try:
        return student_ids(source, datetime.fromisoformat(deadline) if deadline else None)
    except (IntakeError, OSError, ValueError):
        return None


def merge_shards(out: Path) -> list[dict[str, Any]]:
    """Check the shards of ``out`` and write its gradebook and class summary; the results.

    When the run writes no class summary (``--no-reports``), each result is
    what the gradebook reads (`_gradebook_part`: its tests are not decoded).
    Raises `MergeRefused` (nothing written) when a shard or a student is
    missing or the shards disagree on the exam.
    """
    out = Path(out)
    plan = read_plan(out)
    if plan is None:
        raise MergeRefused([f"{out / 'run.json'} is not the plan of a sharded run (grade with "
                            "`nngrade grade SUBMISSIONS --out OUT --shard K/N` first)"])
    n = int(plan["shards"])
    wanted = _exam(plan)
    problems: list[str] = []

    records: dict[int, dict[str, Any]] = {}
    missing_shards = []
    for k in range(1, n + 1):
        record = read_shard_record(out, k, n)
        if record is None:
            missing_shards.append(str(k))
        else:
            records[k] = record
    if missing_shards:
        problems.append(f"shard(s) {', '.join(missing_shards)} of {n} have not finished (no "
                        f"{shard_record_path(out, int(missing_shards[0]), n).name}); rerun "
                        f"them with `nngrade grade ... --shard K/{n}`")
    for k, record in sorted(records.items()):
        if _exam(record) != wanted:
            problems.append(f"shard {k} graded with {_describe(_exam(record))}, but the plan "
                            f"says {_describe(wanted)}; rerun it")

    owner: dict[str, int] = {}
    for k, record in sorted(records.items()):
        for student in record.get("students", []):
            if stable_shard(student, n) != k:
                problems.append(f"shard {k}'s record lists {student}, who belongs to shard "
                                f"{stable_shard(student, n)}")
            owner[student] = k

    on_disk = _students_on_disk(plan)
    if on_disk is None:
        click.echo(f"warning: cannot list {plan.get('submissions')}: hand-ins that no shard saw "
                   "are not looked for", err=True)
    else:
        unseen = sorted(s for s in on_disk if s not in owner
                        and str(stable_shard(s, n)) not in missing_shards)
        if unseen:
            shards = sorted({stable_shard(s, n) for s in unseen})
            problems.append(f"no results for {_names(unseen)}: handed in after their shard ran? "
                            f"rerun shard(s) {', '.join(map(str, shards))}")

    options = plan.get("options", {})
    summary = bool(options.get("reports", True))
    results: list[dict[str, Any]] = []
    absent, stale = [], []
    for student in sorted(owner):
        try:
            text = (out / student_folder(student) / "results.json").read_text(encoding="utf-8")
            doc = (None if summary else _gradebook_part(text)) or json.loads(text)
        except (OSError, ValueError):
            absent.append(student)
            continue
        if _exam(doc.get("nngrade", {})) != wanted:
            stale.append(student)
            continue
        results.append(doc)
    if absent:
        problems.append(f"no results for {_names(absent)}: rerun shard(s) "
                        f"{', '.join(sorted({str(owner[s]) for s in absent}, key=int))}")
    if stale:
        problems.append(f"the results of {_names(stale)} were graded with another seed, "
                        f"grader version or rubric than the plan's ({_describe(wanted)}): rerun "
                        f"shard(s) "
                        f"{', '.join(sorted({str(owner[s]) for s in stale}, key=int))}")
    if problems:
        raise MergeRefused(problems)

    started = time.perf_counter()
    folder = OutputFolder(out)
    folder.write_gradebook(results)
    if summary:
        folder.write_class_summary(results, str(options.get("lang", "en")))
    merged = dict(plan)
    merged["merged"] = {
        "students": len(results),
        "graded": sum(int(r.get("graded", 0)) for r in records.values()),
        "reused": sum(int(r.get("reused", 0)) for r in records.values()),
        "shard_seconds": round(sum(float(r.get("seconds", 0.0)) for r in records.values()), 3),
        "seconds": round(time.perf_counter() - started, 3),
    }
    write_atomic(out / "run.json", json.dumps(merged, indent=2) + "\n")
    # The shards' shared replay trees only saved time between shards; the run is complete.
    discard_replays(out)
    return results


@click.command("merge")
@click.argument("out", type=click.Path(path_type=Path, exists=True, file_okay=False))
def merge_command(out: Path) -> None:
    """Write OUT's gradebook.csv and index.html once every shard of its run is in.

    Refuses (exit status 3, writing nothing) and names the problem when a
    shard has not finished, a student has no results, or the shards graded
    with different seeds, grader versions or rubrics.
    """
    results = merge_shards(out)
    click.echo(f"Merged {len(results)} students. Reports: {out / 'index.html'}; "
               f"gradebook: {out / 'gradebook.csv'}")
