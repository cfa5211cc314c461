"""``nngrade slurm status``: which shards are done, running, pending or failed, and what next.

Two sources, because neither is enough alone:

- Slurm: ``squeue -t all`` knows pending and running tasks and, for
  ``MinJobAge`` (5 minutes by default), finished ones; ``sacct`` knows
  finished ones for longer where accounting is on; ``scontrol show job``
  stands in when squeue is missing.
- The records the batch scripts write (``OUT/slurm/shards/K.json`` with the
  grade command's exit status, ``K.running`` while it runs): they outlive
  Slurm's memory and need no accounting.

A live Slurm state wins (a requeued task is pending again even though its
last attempt left a failed record); then a record; then Slurm's final
state; a task that was running and left no record was killed (time limit,
``scancel``, node failure).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from nngrade.slurm.jobs import Round, load_rounds
from nngrade.slurm.plan import SlurmPlan

__all__ = ["JobState", "RunStatus", "ShardStatus", "collect_status", "format_status",
           "query_slurm"]

PENDING = frozenset({"PENDING", "REQUEUED", "REQUEUE_HOLD", "REQUEUE_FED", "RESV_DEL_HOLD",
                     "SPECIAL_EXIT"})
RUNNING = frozenset({"RUNNING", "CONFIGURING", "COMPLETING", "SIGNALING", "STAGE_OUT",
                     "RESIZING", "SUSPENDED", "STOPPED"})


@dataclass(frozen=True)
class JobState:
    """What Slurm says about one job or array task."""

    state: str  # squeue's long name: PENDING, RUNNING, COMPLETED, FAILED, CANCELLED...
    reason: str = ""
    exit_code: str = ""
    source: str = "squeue"


@dataclass
class ShardStatus:
    name: str  # "1".."N", or "merge"
    state: str  # done, running, pending, failed, not submitted, unknown
    job: str | None
    detail: str
    log: str | None = None


@dataclass
class RunStatus:
    out: str
    shards: list[ShardStatus]
    merge: ShardStatus
    students_planned: int
    students_with_results: int
    gradebook: bool
    slurm_note: str

    def counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for shard in self.shards:
            counts[shard.state] = counts.get(shard.state, 0) + 1
        return counts

    def failed(self) -> list[int]:
        return [int(s.name) for s in self.shards if s.state == "failed"]

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2) + "\n"


# ------------------------------------------------------------------ asking Slurm


def _run(argv: Sequence[str]) -> subprocess.CompletedProcess[str] | None:
    exe = shutil.which(argv[0])
    if exe is None:
        return None
    try:
        return subprocess.run([exe, *argv[1:]], capture_output=True, text=True, timeout=60,
                              check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None


def _expand_tasks(spec: str) -> list[str]:
    """``1-4%2`` or ``2,5-6`` (scontrol's ArrayTaskId of a pending array) -> task ids."""
    ids: list[str] = []
    for part in spec.split("%", 1)[0].split(","):
        if "-" in part:
            lo, hi = part.split("-", 1)
            if lo.isdigit() and hi.isdigit():
                ids += [str(k) for k in range(int(lo), int(hi) + 1)]
        elif part.isdigit():
            ids.append(part)
    return ids


def _from_squeue(jobs: Sequence[str]) -> dict[str, JobState] | None:
    done = _run(["squeue", "--noheader", "--array", "--states=all",
                 f"--jobs={','.join(jobs)}", "--format=%i|%T|%r"])
    if done is None:
        return None
    states: dict[str, JobState] = {}
    if done.returncode != 0:  # every id unknown ("Invalid job id"): nothing queued
        return states
    for line in done.stdout.splitlines():
        parts = line.strip().split("|")
        if len(parts) >= 2 and parts[0]:
            reason = parts[2] if len(parts) > 2 and parts[2] != "None" else ""
            states[parts[0]] = JobState(parts[1], reason, "", "squeue")
    return states


def _from_sacct(jobs: Sequence[str]) -> dict[str, JobState]:
    done = _run(["sacct", "--noheader", "--parsable2", "--allocations",
                 f"--jobs={','.join(jobs)}", "--format=JobID,State,ExitCode"])
    states: dict[str, JobState] = {}
    if done is None or done.returncode != 0:  # no accounting: "storage is disabled"
        return states
    for line in done.stdout.splitlines():
        parts = line.strip().split("|")
        if len(parts) >= 3 and parts[0]:
            states[parts[0]] = JobState(parts[1].split()[0], "", parts[2], "sacct")
    return states


def _from_scontrol(jobs: Sequence[str]) -> dict[str, JobState]:
    states: dict[str, JobState] = {}
    for job in jobs:
        done = _run(["scontrol", "--oneliner", "show", "job", job])
        if done is None or done.returncode != 0:
            continue
        for line in done.stdout.splitlines():
            fields = dict(tok.split("=", 1) for tok in line.split() if "=" in tok)
            state = fields.get("JobState", "")
            reason = fields.get("Reason", "")
            reason = "" if reason == "None" else reason
            exit_code = fields.get("ExitCode", "")
            if fields.get("ArrayJobId") and fields.get("ArrayTaskId"):
                for task in _expand_tasks(fields["ArrayTaskId"]):
                    states[f"{fields['ArrayJobId']}_{task}"] = JobState(
                        state, reason, exit_code, "scontrol")
            elif fields.get("JobId"):
                states[fields["JobId"]] = JobState(state, reason, exit_code, "scontrol")
    return states


def query_slurm(jobs: Iterable[str]) -> tuple[dict[str, JobState], str]:
    """Slurm's view of these job ids (array ids expand to ``ARRAY_TASK`` keys), and a note."""
    wanted = sorted({j for j in jobs if j})
    if not wanted:
        return {}, ""
    states = _from_squeue(wanted)
    if states is None:
        states = _from_scontrol(wanted)
        note = "squeue not found; asked scontrol" if states else "Slurm commands not found"
        return states, note
    for key, value in _from_sacct(wanted).items():
        states.setdefault(key, value)
    return states, ""


# ------------------------------------------------------------------ reading the records


def _record(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _latest_rounds(rounds: Sequence[Round], shards: int) -> dict[int, Round]:
    latest: dict[int, Round] = {}
    for r in rounds:
        for k in r.shards:
            if 1 <= k <= shards:
                latest[k] = r
    return latest


def _decide(name: str, job: str | None, slurm: JobState | None, record: dict[str, Any] | None,
            running: dict[str, Any] | None, log: str | None) -> ShardStatus:
    """One shard's (or the merge job's) state from Slurm's view and the script's records."""
    if record is not None and slurm is not None and job and str(record.get("job")) != job:
        record = None  # an earlier attempt's record; Slurm knows how the current one ended
    last_exit = record.get("exit") if record else None
    if slurm is not None and slurm.state in PENDING:
        detail = slurm.reason or slurm.state.lower()
        if slurm.state != "PENDING":
            detail = f"{slurm.state.lower()}: {detail}"
        if isinstance(last_exit, int) and last_exit != 0:
            detail += f" (the last attempt exited with status {last_exit})"
        return ShardStatus(name, "pending", job, detail, log)
    if slurm is not None and slurm.state in RUNNING:
        since = (running or {}).get("started", "")
        detail = f"since {since}" if since else slurm.state.lower()
        return ShardStatus(name, "running", job, detail, log)
    if record is not None and isinstance(last_exit, int):
        when = record.get("finished", "")
        restarts = record.get("restarts")
        extra = f", after {restarts} restart(s)" if isinstance(restarts, int) and restarts else ""
        if last_exit == 0:
            return ShardStatus(name, "done", record.get("job") or job,
                               f"finished {when}{extra}", log)
        return ShardStatus(name, "failed", record.get("job") or job,
                           f"exit status {last_exit} at {when}{extra}", log)
    if slurm is not None:
        detail = f"Slurm: {slurm.state}" + (f" ({slurm.reason})" if slurm.reason else "")
        if slurm.exit_code:
            detail += f", exit code {slurm.exit_code}"
        if slurm.state == "COMPLETED":
            return ShardStatus(name, "unknown", job, detail + ", but it left no record", log)
        return ShardStatus(name, "failed", job, detail + ", killed before it left a record", log)
    if running is not None:
        return ShardStatus(name, "failed", job,
                           f"started {running.get('started', '')} and left no record: killed "
                           "(time limit, scancel or node failure?); Slurm no longer knows it",
                           log)
    if job is None:
        return ShardStatus(name, "not submitted", None, "", None)
    return ShardStatus(name, "unknown", job, "Slurm no longer knows this job and it left no "
                       "record (did it ever start?)", log)


def _students_with_results(out: Path) -> int:
    try:
        return sum(1 for p in out.iterdir()
                   if p.is_dir() and not p.name.startswith(".") and p.name != "slurm"
                   and (p / "results.json").is_file())
    except OSError:
        return 0


def collect_status(plan: SlurmPlan) -> RunStatus:
    """The status of every shard and of the merge, from Slurm and the records."""
    slurm_dir = plan.slurm_dir
    state_dir = slurm_dir / "shards"
    rounds = load_rounds(slurm_dir)
    latest = _latest_rounds(rounds, plan.shards)
    merge_round = next((r for r in reversed(rounds) if r.merge_job), None)
    jobs = {r.array_job for r in rounds} | {r.merge_job for r in rounds if r.merge_job}
    slurm, note = query_slurm(jobs)
    logs = slurm_dir / "logs"

    shards = []
    for k in range(1, plan.shards + 1):
        r = latest.get(k)
        job = f"{r.array_job}_{k}" if r else None
        log = str(logs / f"grade-{r.array_job}_{k}.err") if r else None
        shards.append(_decide(str(k), job, slurm.get(job) if job else None,
                              _record(state_dir / f"{k}.json"),
                              _record(state_dir / f"{k}.running"), log))
    merge_job = merge_round.merge_job if merge_round else None
    merge_record = _record(state_dir / "merge.json")
    if merge_record and merge_job and str(merge_record.get("job")) != merge_job:
        merge_record = None  # the record of an earlier merge job, not of the latest one
    merge = _decide("merge", merge_job, slurm.get(merge_job) if merge_job else None,
                    merge_record, None,
                    str(logs / f"merge-{merge_job}.err") if merge_job else None)
    out = Path(plan.out)
    return RunStatus(out=plan.out, shards=shards, merge=merge, students_planned=plan.students,
                     students_with_results=_students_with_results(out),
                     gradebook=(out / "gradebook.csv").is_file(), slurm_note=note)


# ------------------------------------------------------------------ the report


def format_status(status: RunStatus) -> str:
    counts = status.counts()
    order = ["done", "running", "pending", "failed", "unknown", "not submitted"]
    summary = ", ".join(f"{counts[s]} {s}" for s in order if counts.get(s))
    lines = [f"nngrade on Slurm: {status.out}",
             f"{len(status.shards)} shards: {summary}"]
    if status.slurm_note:
        lines.append(f"({status.slurm_note})")
    rows = [("shard", "state", "job", "detail")]
    rows += [(s.name, s.state, s.job or "-", s.detail) for s in [*status.shards, status.merge]]
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    for row in rows:
        lines.append("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row[:3]))
                     + "  " + row[3])
    lines.append(f"Students with a results.json: {status.students_with_results} of "
                 f"{status.students_planned}; gradebook.csv "
                 f"{'written' if status.gradebook else 'not written yet'}.")
    failed = [s for s in status.shards if s.state in ("failed", "unknown")]
    if failed:
        names = ", ".join(s.name for s in failed)
        logs = "; ".join(s.log for s in failed[:3] if s.log)
        lines.append(f"Next: shard(s) {names} did not finish. Read the log ({logs}), fix the "
                     f"cause, then `nngrade slurm rerun {status.out}` submits them again with a "
                     "new merge job (shards resume: graded students are skipped).")
    elif status.merge.state == "failed":
        lines.append(f"Next: every shard is done but the merge failed; read {status.merge.log}, "
                     f"then `nngrade slurm rerun {status.out}` submits a new merge job.")
    elif status.merge.state == "done":
        lines.append("All done: the gradebook and the class summary are written.")
    return "\n".join(lines)
