"""The output folder of ``nngrade grade``: what it holds, how it is written, how a run resumes.

    DIR/<student>/results.json   Gradescope's schema plus nngrade's block
    DIR/<student>/report.html    the student's report
    DIR/gradebook.csv            one row per student
    DIR/index.html               the class summary
    DIR/run.json                 the seed and options of the run

Every file is written atomically (`nngrade.atomic.write_atomic`), each
student's the moment their result arrives, so an interrupted batch leaves
complete files only. A rerun reuses a student's results.json when it was
made from the same content, grader version, seed, rubric and lateness (the
resume key), and reads the seed back from run.json, so reruns grade alike.

A student's folder is `nngrade.folder_names.student_folder` of their id:
the id itself when it is plain, else a stable ``_<id>~<digest>`` name, so no
hand-in (``run.json/``, ``index.html.zip``, ``-rf``, ``slurm``) can overwrite,
shadow or break a file of the grader's. run.json is written before anything
else (`OutputFolder.start_run`), so the seed survives a crash of the batch.
Gradebook cells that a spreadsheet would run as formulas are quoted.
"""

from __future__ import annotations

import contextlib
import csv
import errno
import fcntl
import io
import json
import os
from collections.abc import Iterator, Sequence
from dataclasses import asdict
from datetime import datetime
from pathlib import Path
from typing import Any

import click

from nngrade.atomic import write_atomic
from nngrade.contract import MODULES
from nngrade.folder_names import student_folder
from nngrade.grade.errors import GraderError
from nngrade.grade.options import BatchOptions
from nngrade.records import Submission, results_text
from nngrade.rubric import Rubric
from nngrade.version import __version__

__all__ = ["OutputFolder", "resume_key"]


def resume_key(content_sha256: str, seed: int, rubric_sha256: str, late: bool,
               grader_version: str = __version__) -> tuple[Any, ...]:
    """What must be unchanged for a submission's earlier results to stand."""
    return (content_sha256, grader_version, seed, rubric_sha256, json.dumps(late))


def _key_of(results: dict[str, Any]) -> tuple[Any, ...]:
    info = results.get("nngrade", {})
    return resume_key(info.get("content_sha256"), info.get("seed"), info.get("rubric_sha256"),
                      info.get("source", {}).get("late"), info.get("grader_version"))


def _write(path: Path, text: str) -> None:
    """`write_atomic`, or a `GraderError` that names the file and says nothing was lost."""
    try:
        write_atomic(path, text)
    except OSError as exc:
        raise GraderError(f"cannot write {path}: {exc.strerror or exc}. The files written "
                          "before are complete and unchanged; free space or fix the "
                          "folder's permissions, then run the same command again (what "
                          "is graded already is reused).") from exc


def _csv_safe(value: Any) -> Any:
    """Spreadsheet programs run cells that start with = + - @ as formulas: quote them."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


LOCK_FILE = ".nngrade-grade.lock"  # never a student's folder: see nngrade.folder_names


class OutputFolder:
    """``DIR`` of ``nngrade grade --out DIR``.

    One ``nngrade grade`` writes into a folder at a time (`locked`): a second one started
    on the same folder stops at once with a message, and never interleaves its files with
    the first's. Every write that fails (a full disk, a read-only folder) stops the run with
    a `GraderError` naming the file; what was written before stays as it was, complete.
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    @classmethod
    def create(cls, path: Path) -> OutputFolder:
        try:
            Path(path).mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise GraderError(f"cannot create the output folder {path}: {exc}") from exc
        return cls(path)

    @contextlib.contextmanager
    def locked(self, name: str = LOCK_FILE, *, clear: bool = True) -> Iterator[None]:
        """Hold the folder's lock for one run, then clear what a killed run left half-written.

        The lock is a POSIX record lock (``lockf``) on `LOCK_FILE`: it belongs to this
        process alone (the grading processes it forks do not inherit it, ``flock`` locks they
        would) and the system releases it when the process ends, even by ``kill -9``, so a
        crash never leaves the folder locked, even while orphaned workers wind down.
        A shard of a run locks a file of its own (``name``) and does not ``clear``: the
        other shards may be writing at the same time."""
        path = self.path / name
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise GraderError(f"cannot write into the output folder {self.path}: {exc}") from exc
        try:
            try:
                fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as exc:
                if exc.errno not in (errno.EAGAIN, errno.EACCES):
                    raise GraderError(f"cannot lock the output folder {self.path}: "
                                      f"{exc}") from exc
                holder = os.pread(fd, 200, 0).decode("utf-8", "replace").strip()
                raise GraderError(
                    f"another nngrade grade is writing into {self.path} ({holder or 'running'})"
                    ": wait for it to finish, or give another --out") from None
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"pid {os.getpid()}".encode(), 0)
            if clear:
                self.clear_partial_files()
            yield
        finally:
            os.close(fd)

    def clear_partial_files(self) -> int:
        """Delete the temporary files of writes that a killed run never finished.

        They are `nngrade.atomic.write_atomic`'s: ``.<name>.<random>.tmp`` beside
        ``<name>``, in OUT and in each student's folder. Only call with the lock held."""
        removed = 0
        for folder in (self.path, *(p for p in self.path.iterdir() if p.is_dir()
                                    and not p.is_symlink())):
            for tmp in folder.glob(".*.tmp"):
                with contextlib.suppress(OSError):
                    tmp.unlink()
                    removed += 1
        return removed

    def student_path(self, student: str) -> Path:
        """The folder of ``student``'s results.json and report.html."""
        return self.path / student_folder(student)

    def recorded_seed(self) -> int | None:
        """The seed of the previous run into this folder, if it recorded one."""
        try:
            return int(json.loads((self.path / "run.json").read_text())["seed"])
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def graded_before(self, submission: Submission, seed: int,
                      rubric: Rubric) -> dict[str, Any] | None:
        """The results of an earlier run that still stand for ``submission``, else None."""
        try:
            path = self.student_path(submission.student) / "results.json"
            previous = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        wanted = resume_key(submission.content_sha256, seed, rubric.sha256, submission.late)
        if not isinstance(previous, dict) or _key_of(previous) != wanted:
            return None
        return previous

    def write_student(self, results: dict[str, Any], options: BatchOptions) -> None:
        """``<student>/report.html`` (unless turned off), then ``<student>/results.json``.

        results.json comes last: it is what a rerun resumes from, so a run killed between
        the two grades the student again instead of leaving them without a report."""
        folder = self.student_path(results["nngrade"]["student"])
        text = results_text(results)
        if options.reports:
            text = self._write_report(results, folder, options, text)
        _write(folder / "results.json", text)

    def refresh_report(self, results: dict[str, Any], options: BatchOptions) -> bool:
        """Render the report of reused ``results`` again if it does not show them as asked.

        A rerun without ``--force`` reuses the grades but follows the run's
        presentation options: a page from another language, another grader
        or other results (its stamp differs), or no page at all (a run killed
        between the two files) is rendered again, nothing is regraded. True if
        the page was (re)written.
        """
        if not options.reports:
            return False
        from nngrade.report.student import report_is_current

        folder = self.student_path(results["nngrade"]["student"])
        text = results_text(results)
        if (folder / "report.html").is_file() and \
                report_is_current(folder / "report.html", results, options.lang, text):
            return False
        new_text = self._write_report(results, folder, options, text)
        if new_text != text:  # the report failed: its warning goes into results.json
            _write(folder / "results.json", new_text)
        return True

    @staticmethod
    def _write_report(results: dict[str, Any], folder: Path, options: BatchOptions,
                      text: str) -> str:
        """Write report.html; the results' text to keep (with a warning if the report failed)."""
        try:
            from nngrade.report import write_student_report

            write_student_report(results, folder / "report.html", lang=options.lang, text=text)
        except OSError as exc:
            raise GraderError(f"cannot write {folder / 'report.html'}: {exc.strerror or exc}. "
                              "The files written before are complete and unchanged.") from exc
        except Exception as exc:  # a report bug must not lose the grade
            warnings = results["nngrade"].setdefault("warnings", [])
            if f"report not written: {exc}" not in warnings:
                warnings.append(f"report not written: {exc}")
                return results_text(results)
        return text

    def write_gradebook(self, all_results: Sequence[dict[str, Any]]) -> None:
        """``gradebook.csv``: student, total, max, one column per module, late, status, the
        content's digest and the student's folder in OUT (the id when it is plain)."""
        buf = io.StringIO()
        writer = csv.writer(buf)
        writer.writerow(["student", "total", "max", *MODULES, "late", "status",
                         "content_sha256", "folder"])
        for res in sorted(all_results, key=lambda r: r["nngrade"]["student"]):
            info = res["nngrade"]
            modules = info.get("modules", {})
            writer.writerow([
                _csv_safe(info["student"]),
                res["score"],
                res["max_score"],
                *[modules.get(m, {}).get("score", 0.0) for m in MODULES],
                "yes" if info.get("source", {}).get("late") else "",
                "ungraded" if info.get("error") else "graded",
                info.get("content_sha256", ""),
                _csv_safe(student_folder(info["student"])),
            ])
        _write(self.path / "gradebook.csv", buf.getvalue())

    def write_class_summary(self, all_results: Sequence[dict[str, Any]], lang: str) -> None:
        """``index.html``; a failure is reported and costs nothing else (the grades are written)."""
        try:
            from nngrade.report import write_class_summary

            write_class_summary(list(all_results), self.path, lang=lang)
        except Exception as exc:
            click.echo(f"warning: class summary not written: {exc}", err=True)

    def start_run(self, *, seed: int, rubric: Rubric, source: Path,
                  options: BatchOptions) -> None:
        """``run.json`` before any student is read or graded: whatever happens next, the seed
        is on disk and the next run grades with it. `write_run` completes it at the end."""
        self._write_run({"state": "running", **self._run_fields(seed, rubric, source, options)})

    def write_run(self, *, seed: int, rubric: Rubric, source: Path, graded: int, reused: int,
                  seconds: float, options: BatchOptions, ungradeable: int = 0) -> None:
        """``run.json``: the seed (reused by the next run) and everything else that was set.

        ``graded`` were graded in this run, ``reused`` taken from an earlier one, and
        ``ungradeable`` could not be read (zero points, the reason in their results)."""
        self._write_run({"state": "finished", **self._run_fields(seed, rubric, source, options),
                         "graded": graded, "reused": reused, "ungradeable": ungradeable,
                         "seconds": round(seconds, 3)})

    @staticmethod
    def _run_fields(seed: int, rubric: Rubric, source: Path,
                    options: BatchOptions) -> dict[str, Any]:
        return {
            "seed": seed,
            "grader_version": __version__,
            "rubric_sha256": rubric.sha256,
            "submissions": str(source),
            "options": {k: (str(v) if isinstance(v, (Path, datetime)) else v)
                        for k, v in asdict(options).items()},
        }

    def _write_run(self, record: dict[str, Any]) -> None:
        _write(self.path / "run.json", json.dumps(record, indent=2))
