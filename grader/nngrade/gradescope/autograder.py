"""One Gradescope submission graded: what ``run_autograder`` runs (``python -m`` this module).

The submission is copied into a one-student class folder, read as one
hand-in by nngrade's intake and graded in this interpreter, with nngrade's
own grading pool (`nngrade.grade.pool`) exactly as ``nngrade grade CLASS -j 1``
would grade it: one grading process (the container has half a CPU), forked
from this one, with its sandbox; the course's seed, rubric, timeouts and
memory limit. Not in a second interpreter: Gradescope starts a cold
container per submission, and a subprocess ``nngrade grade`` cost a second
interpreter start, the command line's imports and the class folder's
gradebook and run record that nobody reads here (see BENCHMARKS.md). The
results are then rewritten to Gradescope's format
(`nngrade.gradescope.results`, imported while the grading process grades)
and written atomically to ``ROOT/results/results.json``.

Whatever fails, a results.json is written: a grader failure scores 0 with a
message saying it is not the student's fault, and the traceback goes to
stdout, which only instructors see. Whatever hangs, the run ends: past the
submission timeout and GRADER_MARGIN, an alarm stops the grading (its
process is killed with its sandbox) and the run reports a grader failure.
The pool alone would not do: it waits for a hung process past the timeout
and two minutes, then grades the submission once more.

Threat model: the submission is hostile. Student code only ever runs in the
grading process's sandbox, never in this process. It is copied without
following symlinks, at most three folders deep and within size and count
limits (nngrade's unpacker applies its own limits again), into a private
temporary folder. Where the container blocks namespaces, student code runs
as ``nobody`` with rlimits and seccomp only; so before grading, the
results folder and ``submission_metadata.json`` (which holds earlier
submissions' results, hidden tests included) are made unreadable to other
users, as ``setup.sh`` did for the grader's own files.

``ROOT`` is ``/autograder`` on Gradescope; ``nngrade gradescope test``
passes another folder laid out the same way.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import stat
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from nngrade.gradescope.metadata import Lateness, read_lateness
from nngrade.gradescope.settings import GradescopeSettings, load_settings

__all__ = ["GradingTimeout", "copy_submission", "grade_hand_in", "main", "run"]

MAX_FILES = 2000
MAX_BYTES = 64 << 20
MAX_DEPTH = 3
GRADER_MARGIN = 120.0  # seconds beyond the submission timeout before the grader is stopped
_IMPORTED = time.time()


def _regular_files(source: Path) -> list[tuple[tuple[str, ...], int]]:
    """(relative parts, size) of the regular files under ``source``: no symlink is followed,
    no folder deeper than MAX_DEPTH is entered, at most MAX_FILES are listed."""
    found: list[tuple[tuple[str, ...], int]] = []
    stack: list[tuple[Path, tuple[str, ...]]] = [(source, ())]
    while stack and len(found) < MAX_FILES:
        folder, prefix = stack.pop()
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError:
            continue
        for entry in entries:
            parts = (*prefix, entry.name)
            info = entry.stat(follow_symlinks=False)
            if stat.S_ISDIR(info.st_mode) and len(parts) <= MAX_DEPTH:
                stack.append((Path(entry.path), parts))
            elif stat.S_ISREG(info.st_mode) and len(found) < MAX_FILES:
                found.append((parts, info.st_size))
    return sorted(found)


def copy_submission(source: Path, target: Path) -> Path:
    """Copy Gradescope's submission folder into ``target`` as one hand-in; return its path.

    A submission that is a single .zip (and no .py file) is passed on as
    that zip, which nngrade's unpacker opens with its own limits; anything
    else as a folder. Symlinks and special files are skipped, and so are
    files beyond MAX_FILES or MAX_BYTES in all.
    """
    files = _regular_files(Path(source))
    zips = [parts for parts, _ in files if parts[-1].lower().endswith(".zip")]
    if len(zips) == 1 and not any(parts[-1].endswith(".py") for parts, _ in files):
        target.parent.mkdir(parents=True, exist_ok=True)
        zipped = target.with_name(target.name + ".zip")
        shutil.copyfile(Path(source, *zips[0]), zipped)
        return zipped
    target.mkdir(parents=True, exist_ok=True)
    total = 0
    for parts, size in files:
        if total + size > MAX_BYTES:
            continue
        total += size
        destination = target.joinpath(*parts)
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(Path(source, *parts), destination)
    return target


def _student_id(lateness: Lateness) -> str:
    if lateness.submission_id and re.fullmatch(r"[A-Za-z0-9_-]{1,40}", lateness.submission_id):
        return f"gradescope-{lateness.submission_id}"
    return "submission"


def _protect(root: Path) -> None:
    """Results and earlier submissions' results: for root only (student code may run as nobody)."""
    results = root / "results"
    results.mkdir(parents=True, exist_ok=True)
    results.chmod(0o700)
    metadata = root / "submission_metadata.json"
    if metadata.exists():
        metadata.chmod(0o600)


class GradingTimeout(BaseException):
    """The grading went past its limit. A BaseException, like KeyboardInterrupt: no
    ``except Exception`` on the way (the intake's, the pool's) may take it for a
    submission's problem and carry on."""


def _kill_grading_processes() -> None:
    """Kill the grading processes this one forked, so the pool does not wait for them."""
    import multiprocessing

    for child in multiprocessing.active_children():
        with contextlib.suppress(OSError):
            child.kill()


@contextlib.contextmanager
def _deadline(seconds: float) -> Iterator[None]:
    """Raise `GradingTimeout` in this (the main) thread once ``seconds`` have passed.

    A signal, not a watchdog thread: it interrupts the pool's wait wherever it
    is, and no thread runs while the pool forks its grading process.
    """
    def expired(signum: int, frame: object) -> None:
        _kill_grading_processes()
        raise GradingTimeout(f"the grading did not finish within {seconds:g} s")

    previous = signal.signal(signal.SIGALRM, expired)
    began = time.monotonic()
    earlier, _ = signal.setitimer(signal.ITIMER_REAL, max(seconds, 0.001))
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        if earlier:  # someone else's alarm (pytest-timeout's, say): what was left of it
            left = earlier - (time.monotonic() - began)
            signal.setitimer(signal.ITIMER_REAL, max(left, 0.001))


def _equivalent_command(classroom: Path, out: Path, settings: GradescopeSettings,
                        rubric: Path | None) -> str:
    """The ``nngrade grade`` command that grades the same way (for the instructor's log)."""
    argv = ["nngrade", "grade", str(classroom), "--out", str(out), "-j", "1",
            "--seed", str(settings.seed), "--call-timeout", f"{settings.call_timeout:g}",
            "--submission-timeout", f"{settings.submission_timeout:g}",
            "--memory-mb", str(settings.memory_mb), "--lang", settings.lang,
            "--no-reports", "--force"]
    if rubric is not None:
        argv += ["--rubric", str(rubric)]
    return " ".join(argv)


def grade_hand_in(hand_in: Path, student: str, settings: GradescopeSettings,
                  rubric_path: Path | None, work: Path,
                  meanwhile: Callable[[], None] | None = None,
                  log: dict[str, float] | None = None,
                  ) -> dict[str, Any]:
    """nngrade's results document of one hand-in, graded in this interpreter's pool.

    ``hand_in`` (Gradescope's submission folder) is copied to
    ``work/class/<student>`` first (`copy_submission`). The options are those of
    ``nngrade grade -j 1 --no-reports --force`` with the course's settings, so the
    document is the one that command writes. ``meanwhile`` runs here once the
    grading process grades; ``log`` collects when each step ended (`time.time`).
    """
    from nngrade.grade import early
    from nngrade.grade.options import BatchOptions
    from nngrade.grade.pool import grade_in_pool
    from nngrade.intake import read_submission
    from nngrade.rubric import load_rubric
    from nngrade.scoring import ungradeable_results

    log = {} if log is None else log
    classroom = work / "class"
    copied = copy_submission(hand_in, classroom / student)
    print(f"$ {_equivalent_command(classroom, work / 'out', settings, rubric_path)}"
          "  # the same grading, run in this process", flush=True)
    rubric = load_rubric(rubric_path)
    submission = read_submission(copied)
    log["read"] = time.time()
    if submission.error is not None:  # unreadable: zero and the reason, as nngrade grade does
        return ungradeable_results(submission, settings.seed, submission.error, rubric)
    options = BatchOptions(jobs=1, seed=settings.seed, force=True,
                           call_timeout=settings.call_timeout,
                           submission_timeout=settings.submission_timeout,
                           memory_mb=settings.memory_mb, lang=settings.lang, reports=False,
                           rubric_path=rubric_path)

    def ready() -> None:
        log["ready"] = time.time()
        if meanwhile is not None:
            meanwhile()

    graded = list(grade_in_pool([submission], seed=settings.seed, rubric=rubric,
                                options=options, meanwhile=ready, adopt=early.take))
    log["graded"] = time.time()
    if len(graded) != 1:
        raise RuntimeError(f"the grading pool returned {len(graded)} results, not one")
    return graded[0]


def _import_conversion() -> None:
    """What turns the results into Gradescope's: the report model is the heavy part."""
    import nngrade.gradescope.results  # noqa: F401


def _summary(results: dict[str, Any], lang: str) -> str:
    """What ``nngrade grade`` printed: the points per module, as its class table."""
    try:
        from nngrade.report import format_class_table

        return format_class_table([results], lang=lang)
    except Exception as exc:  # noqa: BLE001 - a log line must not fail the grading
        return f"(no table: {type(exc).__name__}: {exc})"


def _write(path: Path, document: dict[str, Any]) -> None:
    text = json.dumps(document, ensure_ascii=False, allow_nan=False, indent=1) + "\n"
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def _timing_line(log: dict[str, float]) -> str:
    """When each step ended, in seconds since this interpreter started (``start``, the epoch
    time, lets bench_gradescope place them): start-up and imports (``main``), the hand-in
    copied and read, the grading process ready (its imports, suites and sandbox), graded,
    converted to Gradescope's format, written."""
    start = _process_start()
    steps = sorted(log.items(), key=lambda kv: kv[1])
    return f"nngrade timing: start={start:.3f} " + " ".join(
        f"{step}=+{at - start:.3f}" for step, at in steps)


def run(root: Path) -> int:
    """Grade ROOT/submission into ROOT/results/results.json; 0 unless nothing could be written."""
    started = time.monotonic()
    log: dict[str, float] = {"main": time.time()}
    root = Path(root)
    lang = "en"
    # One thread of BLAS in the grading process and the sandbox (they fork from here):
    # the container has half a CPU.
    os.environ.update(OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    try:
        settings = load_settings(root / "source" / "course" / "gradescope.toml")
        lang = settings.lang
        lateness = read_lateness(root / "submission_metadata.json")
        _protect(root)
        rubric = root / "source" / "course" / "rubric.toml"
        with tempfile.TemporaryDirectory(prefix="nngrade-submission-") as tmp, \
                _deadline(settings.submission_timeout + GRADER_MARGIN):
            results = grade_hand_in(root / "submission", _student_id(lateness), settings,
                                    rubric if rubric.is_file() else None, Path(tmp),
                                    meanwhile=_import_conversion, log=log)
            from nngrade.gradescope.results import to_gradescope

            document = to_gradescope(results, settings, lateness, time.monotonic() - started)
        log["converted"] = time.time()
        print(_summary(results, lang))
        info = document["extra_data"]["nngrade"]
        missing = info.get("missing_protections") or []
        print(f"nngrade: {document['score']:g} / {document['extra_data']['max_score']:g}; "
              f"sandbox protections missing: {', '.join(missing) if missing else 'none'}")
    except (Exception, GradingTimeout) as exc:  # the grader's fault: say so, details on stdout
        if isinstance(exc, GradingTimeout):  # one forked as the alarm rang, if any
            _kill_grading_processes()
        traceback.print_exc(file=sys.stdout)
        from nngrade.gradescope.results import grader_failure_results

        document = grader_failure_results(f"{type(exc).__name__}: {exc}", lang,
                                          time.monotonic() - started)
    try:
        (root / "results").mkdir(parents=True, exist_ok=True)
        _write(root / "results" / "results.json", document)
    except OSError:
        traceback.print_exc(file=sys.stdout)
        return 1
    log["written"] = time.time()
    print(_timing_line(log), flush=True)
    return 0


def _process_start() -> float:
    """When this interpreter started (`time.time`), from /proc to a clock tick; else when it
    imported this module."""
    try:
        fields = Path("/proc/self/stat").read_text().rsplit(")", 1)[1].split()
        since_boot = int(fields[19]) / os.sysconf("SC_CLK_TCK")
        age = time.clock_gettime(time.CLOCK_BOOTTIME) - since_boot
        return time.time() - age
    except (OSError, ValueError, IndexError, AttributeError):
        return _IMPORTED


def self_check(root: Path) -> int:
    """Run by setup.sh: the settings load, and which sandbox protections this container allows."""
    settings = load_settings(Path(root) / "source" / "course" / "gradescope.toml")
    from nngrade.hidden.suite import collect
    from nngrade.sandbox import Limits, Sandbox

    # Collected once here, into the image: every submission's cold start then recalls the
    # collection instead of running a pytest session (`nngrade.hidden.collection_memo`).
    tests = collect()
    with Sandbox(Limits()) as box:
        missing = box.missing_protections
        mode = box.mode
    print(f"nngrade autograder ready: language {settings.lang}, seed {settings.seed}, "
          f"{len(tests)} hidden tests, sandbox mode {mode}; missing protections: "
          f"{', '.join(missing) or 'none'}")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["--self-check"]:
        return self_check(Path(args[1] if len(args) > 1 else "/autograder"))
    # The grading process first, as `nngrade grade` does (`nngrade.grade.early`): its sandbox
    # and imports start while this process reads the settings and copies the hand-in; the pool
    # adopts it (a failure to fork only costs the head start).
    from nngrade.grade import early

    with contextlib.suppress(Exception):
        early.start()
    return run(Path(args[0] if args else "/autograder"))


if __name__ == "__main__":
    from nngrade.console import leave

    leave(main())
