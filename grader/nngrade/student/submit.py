"""``nngrade submit``: hand in the exercises as a new, timestamped archive in the course inbox.

A hand-in must never be lost or silently replaced, so this command:

* looks before it packs: every contract module present, each one parses
  (a syntax error is reported with file and line), and the public checks
  run and are summarised (failing checks only warn: handing in half-done
  work before the deadline is allowed);
* writes a NEW archive every time, named by UTC time to the microsecond
  plus a short content hash, created exclusively (a hard link, which fails
  rather than overwrite), so an earlier submission is never touched and two
  submits in the same second both survive;
* builds the archive in a temporary file in the same folder, fsyncs it and
  only then links it under its final name, so a crash or a full disk
  half-way leaves no partial archive that looks like a submission;
* prints a receipt with the archive's SHA-256, the identity of exactly
  what was handed in.

The archive holds ``exercises/<module>.py`` and ``manifest.json`` (student,
UTC time, tool version, each file's SHA-256), the layout the grader's
unpacker reads. The inbox layout is ``INBOX/<student>/<stamp>-<hash>.zip``
plus a marker file, read back by ``nngrade.intake.inbox`` on the grader's side.

It speaks English or Chinese like ``nngrade check`` (``--lang``, the
course's ``nngrade.toml``, the locale); the manifest stays in English.

This module ships to students: it imports only the standard library,
click, ``nngrade.contract``, ``nngrade.messages``, ``nngrade.feedback`` and
``nngrade.student`` (tomli on Python 3.10).
"""

from __future__ import annotations

import ast
import datetime as dt
import hashlib
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click

from nngrade.contract import module_names
from nngrade.language import choose_language
from nngrade.messages import Message, msg, render
from nngrade.student.config import CONFIG_NAME, course_settings, find_config
from nngrade.student.errors import StudentError
from nngrade.student.localized import LocalizedCommand
from nngrade.textlayout import labelled
from nngrade.version import __version__

__all__ = [
    "ARCHIVE_NAME_RE",
    "CONFIG_NAME",
    "INBOX_MARKER",
    "MANIFEST_FORMAT",
    "MANIFEST_NAME",
    "FolderCheck",
    "Receipt",
    "SubmitError",
    "inspect_folder",
    "submit_command",
    "course_settings",
    "find_config",
    "write_submission",
]

MANIFEST_NAME = "manifest.json"
MANIFEST_FORMAT = "nngrade-submission/1"
INBOX_MARKER = ".nngrade-inbox"
STUDENT_ENV = "NNGRADE_STUDENT"
INBOX_ENV = "NNGRADE_INBOX"
ARCHIVE_DIR_IN_ZIP = "exercises"
# 20261127T235900.123456Z-3f9a2c1d.zip, or ...-2.zip after a same-microsecond collision
ARCHIVE_NAME_RE = re.compile(
    r"^(?P<stamp>\d{8}T\d{6}\.\d{6}Z)-(?P<short>[0-9a-f]{8})(?:-(?P<n>\d+))?\.zip$"
)
STAMP_FORMAT = "%Y%m%dT%H%M%S.%fZ"
# Student ids become folder names in the inbox and in the grader's output.
STUDENT_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")


class SubmitError(StudentError):
    """A reason not to submit, phrased as what to do next."""


# ---------------------------------------------------------------- who, where, what


def _say(message: Message, lang: str) -> str:
    return render(message, lang)


def resolve_student(option: str | None, settings: dict[str, str], lang: str = "en") -> str:
    student = option or os.environ.get(STUDENT_ENV) or settings.get("student")
    if not student:
        raise SubmitError(msg("submit.who", env=STUDENT_ENV, config=CONFIG_NAME), lang)
    if not STUDENT_RE.match(student):
        raise SubmitError(msg("submit.bad_student", student=repr(student)), lang)
    return student


def resolve_inbox(option: Path | None, settings: dict[str, str], lang: str = "en") -> Path:
    raw = option or os.environ.get(INBOX_ENV) or settings.get("inbox")
    if not raw:
        raise SubmitError(msg("submit.where", env=INBOX_ENV, config=CONFIG_NAME), lang)
    inbox = Path(raw).expanduser()
    if not inbox.is_dir():
        raise SubmitError(msg("submit.no_inbox", inbox=str(inbox)), lang)
    return inbox


def resolve_folder(option: Path | None, lang: str = "en") -> Path:
    """The folder holding the module files: --path, else ./exercises, else the current folder."""
    if option is not None:
        folder = option
    elif (Path.cwd() / "exercises").is_dir():
        folder = Path.cwd() / "exercises"
    else:
        folder = Path.cwd()
    if not folder.is_dir():
        raise SubmitError(msg("submit.not_a_folder", folder=str(folder)), lang)
    return folder


# ---------------------------------------------------------------- looking before packing


@dataclass
class FolderCheck:
    """What is in the student's folder, before anything is packed."""

    folder: Path
    present: dict[str, Path] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)
    syntax_errors: list[str] = field(default_factory=list)  # "file:line: message"
    unreadable: list[str] = field(default_factory=list)
    # (where, Python's own message) of each entry above, for output in any language
    syntax_parts: list[tuple[str, str]] = field(default_factory=list)
    unreadable_parts: list[tuple[str, str]] = field(default_factory=list)

    @property
    def blocking(self) -> bool:
        return bool(self.missing or self.syntax_errors or self.unreadable)


def inspect_folder(folder: Path) -> FolderCheck:
    """Every contract module present and parsing? (Parsing only: nothing is run here.)"""
    check = FolderCheck(folder)
    for module in module_names():
        path = folder / f"{module}.py"
        if not path.is_file():
            check.missing.append(module)
            continue
        check.present[module] = path
        try:
            source = path.read_bytes()
            ast.parse(source, filename=str(path))
        except SyntaxError as exc:
            where = f"{path}:{exc.lineno}" if exc.lineno else str(path)
            check.syntax_errors.append(f"{where}: {exc.msg}")
            check.syntax_parts.append((where, str(exc.msg)))
        except (OSError, ValueError) as exc:
            check.unreadable.append(f"{path}: {exc}")
            check.unreadable_parts.append((str(path), str(exc)))
    return check


@dataclass
class ChecksSummary:
    """What the public checks said, by function: enough for a one-line verdict and the manifest."""

    ran: bool
    passed: int = 0
    total: int = 0
    failed: list[str] = field(default_factory=list)
    todo: list[str] = field(default_factory=list)
    problems: dict[str, Message] = field(default_factory=dict)
    why: Message | None = None  # why the checks did not run

    @property
    def all_passed(self) -> bool:
        return self.ran and self.total > 0 and self.passed == self.total

    @property
    def note(self) -> str:
        return render(self.why, "en") if self.why is not None else ""

    def as_manifest(self) -> dict[str, Any]:
        return {"ran": self.ran, "passed": self.passed, "total": self.total,
                "failed": self.failed, "not_implemented": self.todo,
                "modules_not_loaded": sorted(self.problems), "note": self.note}


_SENTINEL = "NNGRADE-CHECKS-JSON:"
# Runs in a child process: the student's code is imported and called there.
_CHECK_SCRIPT = r"""
import json, sys
from pathlib import Path
folder, per_check, sentinel = Path(sys.argv[1]), float(sys.argv[2]), sys.argv[3]
try:
    from nngrade.contract import MODULES
    from nngrade.student.check import run_checks
except ImportError as exc:
    print("\n" + sentinel + json.dumps({"missing": str(exc)}))
    raise SystemExit(0)
outcomes, problems = run_checks(folder, list(MODULES), False, per_check)
by_function = {}
for module, results in outcomes.items():
    for o in results:
        by_function.setdefault(module + "." + o.check.name, set()).add(o.status)
for module in problems:
    for name in MODULES[module]:
        by_function.setdefault(module + "." + name, set()).add("failed")
summary = {"passed": [], "failed": [], "todo": []}
for name, statuses in by_function.items():
    key = "failed" if "failed" in statuses else "passed" if statuses == {"passed"} else "todo"
    summary[key].append(name)
summary["problems"] = {m: p.text.to_json() for m, p in problems.items()}
print("\n" + sentinel + json.dumps(summary))
"""


def run_public_checks(folder: Path, timeout: float, per_check: float = 5.0) -> ChecksSummary:
    """The public checks (``nngrade.student.check.run_checks``) on ``folder``, in a child process.

    A child process, because the student's code runs there: an endless loop
    or an ``os._exit`` in it must cost the summary, never the submission.
    """
    try:
        proc = subprocess.run(
            [sys.executable, "-c", _CHECK_SCRIPT, str(folder), str(per_check), _SENTINEL],
            capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL,
            env=dict(os.environ, NO_COLOR="1"),
        )
    except subprocess.TimeoutExpired:
        return ChecksSummary(False, why=msg("submit.checks_timeout", seconds=f"{timeout:g}"))
    except OSError as exc:
        return ChecksSummary(False, why=msg("submit.checks_not_run", error=str(exc)))
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith(_SENTINEL)]
    if not lines:
        last = (proc.stderr.strip().splitlines() or ["-"])[-1]
        return ChecksSummary(False, why=msg("submit.checks_stopped", last=last))
    data = json.loads(lines[-1][len(_SENTINEL):])
    if "missing" in data:
        return ChecksSummary(False, why=msg("submit.checks_missing"))
    total = len(data["passed"]) + len(data["failed"]) + len(data["todo"])
    problems = {m: Message.from_json(p) or msg("untranslated", text=str(p))
                for m, p in data["problems"].items()}
    return ChecksSummary(True, len(data["passed"]), total, sorted(data["failed"]),
                         sorted(data["todo"]), problems)


# ---------------------------------------------------------------- writing the archive


@dataclass
class Receipt:
    student: str
    archive: Path
    sha256: str
    submitted_at: dt.datetime
    files: list[dict[str, Any]]
    missing: list[str]


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # e.g. Windows: directories cannot be opened
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _ensure_marker(inbox: Path) -> None:
    """Mark the folder as an nngrade inbox (so ``nngrade grade`` reads it as one)."""
    marker = inbox / INBOX_MARKER
    if marker.exists():
        return
    try:
        fd = os.open(marker, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    except OSError:  # someone else made it, or the folder is append-only for students
        return
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(json.dumps({"format": "nngrade-inbox/1"}) + "\n")


def _publish(tmp: Path, folder: Path, stem: str) -> Path:
    """Give ``tmp`` a final name in ``folder`` that no other file has, never replacing one."""
    for n in range(1, 10_000):
        final = folder / (f"{stem}.zip" if n == 1 else f"{stem}-{n}.zip")
        try:
            os.link(tmp, final)  # atomic, and fails if the name exists
            return final
        except FileExistsError:
            continue
        except OSError:
            # No hard links here (some network or FAT drives): claim the name with an
            # exclusive create, then move the finished archive over our own placeholder.
            try:
                fd = os.open(final, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
            except FileExistsError:
                continue
            os.close(fd)
            os.replace(tmp, final)
            return final
    raise SubmitError(msg("submit.no_free_name", folder=str(folder)))


def write_submission(
    inbox: Path,
    student: str,
    modules: dict[str, Path],
    *,
    missing: list[str] | None = None,
    checks: dict[str, Any] | None = None,
    now: dt.datetime | None = None,
) -> Receipt:
    """Pack ``modules`` into a new archive in ``inbox/<student>/`` and return the receipt."""
    now = (now or dt.datetime.now(dt.timezone.utc)).astimezone(dt.timezone.utc)
    files: list[dict[str, Any]] = []
    contents: dict[str, bytes] = {}
    for module in module_names():
        if module not in modules:
            continue
        data = Path(modules[module]).read_bytes()
        arcname = f"{ARCHIVE_DIR_IN_ZIP}/{module}.py"
        contents[arcname] = data
        files.append({"path": arcname, "sha256": _sha256(data), "size": len(data)})
    manifest = {
        "format": MANIFEST_FORMAT,
        "student": student,
        "submitted_at": now.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "tool": {"name": "nngrade", "version": __version__},
        "python": platform.python_version(),
        "files": files,
        "missing": list(missing or []),
        "public_checks": checks,
    }
    folder = inbox / student
    folder.mkdir(exist_ok=True)
    _ensure_marker(inbox)
    fd, tmp_name = tempfile.mkstemp(prefix=".incoming-", suffix=".zip.tmp", dir=folder)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as raw:
            stamp = now.timetuple()[:6]
            with zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED) as zf:
                for arcname, data in contents.items():
                    zf.writestr(zipfile.ZipInfo(arcname, stamp), data, zipfile.ZIP_DEFLATED)
                zf.writestr(
                    zipfile.ZipInfo(MANIFEST_NAME, stamp),
                    json.dumps(manifest, indent=2, sort_keys=True) + "\n",
                    zipfile.ZIP_DEFLATED,
                )
            raw.flush()
            os.fsync(raw.fileno())
        os.chmod(tmp, 0o644)
        digest = hashlib.sha256(tmp.read_bytes()).hexdigest()
        stem = f"{now.strftime(STAMP_FORMAT)}-{digest[:8]}"
        final = _publish(tmp, folder, stem)
    finally:
        tmp.unlink(missing_ok=True)
    _fsync_dir(folder)
    return Receipt(student, final, digest, now, files, list(missing or []))


# ---------------------------------------------------------------- the command


def _say_folder(check: FolderCheck, lang: str) -> None:
    for module in check.missing:
        click.secho("  " + _say(msg("submit.missing", module=module), lang), fg="red")
    for where, error in check.syntax_parts:
        click.secho("  " + _say(msg("submit.syntax_error", where=where, error=error), lang),
                    fg="red")
    for where, error in check.unreadable_parts:
        click.secho("  " + _say(msg("submit.unreadable", where=where, error=error), lang),
                    fg="red")
    if not check.blocking:
        click.echo("  " + _say(msg("submit.all_present", count=len(check.present)), lang))


def _say_checks(summary: ChecksSummary, lang: str) -> None:
    if not summary.ran:
        why = summary.why if summary.why is not None else msg("submit.checks_missing")
        click.secho("  " + _say(msg("submit.checks_skipped", why=why), lang), fg="yellow")
        return
    if summary.all_passed:
        click.secho("  " + _say(msg("submit.checks_all_pass", total=summary.total), lang),
                    fg="green")
        return
    click.secho("  " + _say(msg("submit.checks_some", passed=summary.passed,
                                total=summary.total), lang), fg="yellow")
    for module, problem in summary.problems.items():
        click.echo("    " + _say(msg("submit.module_not_loaded", module=module,
                                     problem=problem), lang))
    if summary.failed:
        click.echo("    " + _say(msg("submit.failed", names=summary.failed), lang))
    if summary.todo:
        shown = summary.todo[:8] + (["..."] if len(summary.todo) > 8 else [])
        click.echo("    " + _say(msg("submit.todo", count=len(summary.todo), names=shown),
                                 lang))


def _say_receipt(receipt: Receipt, lang: str) -> None:
    files = _say(msg("submit.file_count", count=len(receipt.files)), lang)
    if receipt.missing:
        files += _say(msg("submit.file_missing", names=[f"{m}.py" for m in receipt.missing]),
                      lang)
    rows = [
        (_say(msg("submit.label_student"), lang), receipt.student),
        (_say(msg("submit.label_time"), lang),
         f"{receipt.submitted_at.strftime('%Y-%m-%d %H:%M:%S')} UTC"),
        (_say(msg("submit.label_files"), lang), files),
        (_say(msg("submit.label_archive"), lang), str(receipt.archive)),
        ("sha256", receipt.sha256),
    ]
    click.echo("")
    click.secho(_say(msg("submit.submitted"), lang), fg="green", bold=True)
    for line in labelled(rows, _say(msg("label_colon"), lang)):
        click.echo("  " + line)
    click.echo(_say(msg("submit.keep"), lang))


@click.command("submit", cls=LocalizedCommand)
@click.option(
    "--path",
    "path",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="Folder with your module files (default: ./exercises, else the current folder).",
)
@click.option(
    "--student",
    "student",
    default=None,
    metavar="ID",
    help=f"Your student id (default: ${STUDENT_ENV}, or [course] student in {CONFIG_NAME}).",
)
@click.option(
    "--to",
    "to",
    type=click.Path(path_type=Path),
    default=None,
    metavar="DIR",
    help=f"The course inbox (default: ${INBOX_ENV}, or [course] inbox in {CONFIG_NAME}).",
)
@click.option(
    "--force",
    is_flag=True,
    help="Hand in even with missing modules or syntax errors (those parts score 0).",
)
@click.option("--no-checks", is_flag=True, help="Do not run the public checks first.")
@click.option(
    "--check-timeout",
    type=click.FloatRange(1),
    default=120.0,
    show_default=True,
    metavar="SECONDS",
    help="Seconds the public checks may take before they are skipped.",
)
@click.option(
    "--lang",
    type=click.Choice(["en", "zh"]),
    default=None,
    help="Language of the output: en or zh (default: the course's nngrade.toml, else your "
    "locale).",
)
def submit_command(
    path: Path | None,
    student: str | None,
    to: Path | None,
    force: bool,
    no_checks: bool,
    check_timeout: float,
    lang: str | None,
) -> None:
    """Hand in your exercises: a new archive in the course inbox, and a receipt.

    Every run makes a new submission; earlier ones are kept. The grader
    takes your newest one (before the deadline, if there is one).
    """
    early = choose_language(lang, None, os.environ)
    folder = resolve_folder(path, early)
    settings = course_settings(find_config(folder, Path.cwd()), early)
    language = choose_language(lang, settings.get("lang"), os.environ)
    student_id = resolve_student(student, settings, language)
    inbox = resolve_inbox(to, settings, language)

    click.echo(_say(msg("submit.checking", folder=str(folder)), language))
    check = inspect_folder(folder)
    _say_folder(check, language)
    if check.blocking and not force:
        raise SubmitError(msg("submit.blocked"), language)
    if not check.present:
        raise SubmitError(msg("submit.nothing", files=[f"{m}.py" for m in module_names()],
                              folder=str(folder)), language)

    checks = None
    if not no_checks:
        click.echo(_say(msg("submit.running_checks"), language))
        summary = run_public_checks(folder, check_timeout)
        _say_checks(summary, language)
        checks = summary.as_manifest()

    try:
        receipt = write_submission(
            inbox, student_id, check.present, missing=check.missing, checks=checks
        )
    except OSError as exc:
        raise SubmitError(msg("submit.write_failed", inbox=str(inbox), error=str(exc)),
                          language) from exc
    _say_receipt(receipt, language)
