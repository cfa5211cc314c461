"""One Gradescope submission graded: what ``run_autograder`` runs (``python -m`` this module).

The grader is a black box here: the submission is copied into a one-student
class folder and ``nngrade grade`` runs on it in a subprocess, exactly as an
instructor would run it (one grading process: the container has half a
CPU; the course's seed, rubric, timeouts and memory limit). Its
results.json is then rewritten to Gradescope's format
(`nngrade.gradescope.results`) and written atomically to
``ROOT/results/results.json``. Whatever fails, a results.json is written:
a grader failure scores 0 with a message saying it is not the student's
fault, and the traceback goes to stdout, which only instructors see.

Threat model: the submission is hostile. It is copied without following
symlinks, at most three folders deep and within size and count limits
(nngrade's unpacker applies its own limits again), into a private
temporary folder. Where the container blocks namespaces, student code runs
as ``nobody`` with rlimits and seccomp only; so before grading, the
results folder and ``submission_metadata.json`` (which holds earlier
submissions' results, hidden tests included) are made unreadable to other
users, as ``setup.sh`` did for the grader's own files.

``ROOT`` is ``/autograder`` on Gradescope; ``nngrade gradescope test``
passes another folder laid out the same way.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path
from typing import Any

from nngrade.gradescope.metadata import Lateness, read_lateness
from nngrade.gradescope.settings import GradescopeSettings, load_settings

__all__ = ["copy_submission", "finish_grading", "main", "start_grading"]

MAX_FILES = 2000
MAX_BYTES = 64 << 20
MAX_DEPTH = 3
GRADER_MARGIN = 120.0  # seconds beyond the submission timeout before the grader is stopped


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


def _nngrade() -> list[str]:
    script = Path(sys.executable).parent / "nngrade"
    if script.is_file():
        return [str(script)]
    return [sys.executable, "-c", "from nngrade.cli import main; main()"]


def start_grading(root: Path, settings: GradescopeSettings, lateness: Lateness,
                  work: Path) -> tuple[subprocess.Popen[str], Path]:
    """Start ``nngrade grade`` on a copy of ROOT/submission; return the process and its OUT."""
    student = _student_id(lateness)
    classroom = work / "class"
    copy_submission(root / "submission", classroom / student)
    out = work / "out"
    rubric = root / "source" / "course" / "rubric.toml"
    argv = [*_nngrade(), "grade", str(classroom), "--out", str(out), "-j", "1",
            "--seed", str(settings.seed), "--call-timeout", f"{settings.call_timeout:g}",
            "--submission-timeout", f"{settings.submission_timeout:g}",
            "--memory-mb", str(settings.memory_mb), "--lang", settings.lang,
            "--no-reports", "--force"]
    if rubric.is_file():
        argv += ["--rubric", str(rubric)]
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1",
           "MKL_NUM_THREADS": "1"}
    print("$ " + " ".join(argv), flush=True)
    proc = subprocess.Popen(argv, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    return proc, out


def finish_grading(proc: subprocess.Popen[str], out: Path,
                   settings: GradescopeSettings) -> dict[str, Any]:
    """Wait for ``nngrade grade`` (killing it past the submission timeout and a margin) and
    return the one results.json it wrote."""
    try:
        output, _ = proc.communicate(timeout=settings.submission_timeout + GRADER_MARGIN)
    except subprocess.TimeoutExpired:
        proc.kill()
        output, _ = proc.communicate()
        sys.stdout.write(output[-20000:])
        raise RuntimeError("nngrade grade did not finish in time") from None
    sys.stdout.write(output[-20000:])
    if proc.returncode != 0:
        raise RuntimeError(f"nngrade grade exited with status {proc.returncode}")
    documents = sorted(out.glob("*/results.json"))
    if len(documents) != 1:
        raise RuntimeError(f"nngrade grade wrote {len(documents)} results.json, not one")
    result: dict[str, Any] = json.loads(documents[0].read_text(encoding="utf-8"))
    return result


def _write(path: Path, document: dict[str, Any]) -> None:
    text = json.dumps(document, ensure_ascii=False, allow_nan=False, indent=1) + "\n"
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def run(root: Path) -> int:
    """Grade ROOT/submission into ROOT/results/results.json; 0 unless nothing could be written."""
    started = time.monotonic()
    root = Path(root)
    lang = "en"
    try:
        settings = load_settings(root / "source" / "course" / "gradescope.toml")
        lang = settings.lang
        lateness = read_lateness(root / "submission_metadata.json")
        _protect(root)
        with tempfile.TemporaryDirectory(prefix="nngrade-submission-") as tmp:
            proc, out = start_grading(root, settings, lateness, Path(tmp))
            # imported while nngrade grade starts: the report model is the heavy part
            from nngrade.gradescope.results import to_gradescope

            results = finish_grading(proc, out, settings)
        document = to_gradescope(results, settings, lateness, time.monotonic() - started)
        info = document["extra_data"]["nngrade"]
        missing = info.get("missing_protections") or []
        print(f"nngrade: {document['score']:g} / {document['extra_data']['max_score']:g}; "
              f"sandbox protections missing: {', '.join(missing) if missing else 'none'}")
    except Exception as exc:  # the grader's fault: say so on the page, details on stdout
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
    return 0


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
    return run(Path(args[0] if args else "/autograder"))


if __name__ == "__main__":
    sys.exit(main())
