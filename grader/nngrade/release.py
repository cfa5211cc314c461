"""``nngrade release --out DIR``: the folder students receive, and nothing secret in it.

The bundle is built from an allow-list, never by copying the repository
and deleting: ``exercises/``, the handout, a README, and a small installable
``tool/`` package holding only what ``nngrade check`` and ``nngrade submit``
need (`STUDENT_MODULES`: the contract, the comparison core and the classic
mistakes it names, the message catalogs in English and Chinese; the
``nngrade.student`` package; a student-only CLI). The solutions, the hidden
suites and their titles, the rubric, the reference engine and the grader's
sandbox, worker and batch code are simply never read.

After building, the bundle is scanned for leaks anyway (a solution line, a
copy of a secret file, a secret module's name) before it is moved into
place: a leak stops the release and names the offending file, so an
accidental import in ``nngrade.student`` or a stub generator bug cannot
quietly ship the answers.
"""

from __future__ import annotations

import hashlib
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import click

from nngrade.version import __version__

__all__ = [
    "Leak",
    "build_release",
    "find_leaks",
    "release_command",
    "solution_lines",
    "solution_regions",
]

PACKAGE_DIR = Path(__file__).resolve().parent  # grader/nngrade
RELEASE_MARKER = ".nngrade-release"

# Folders of the repository whose content must never reach students.
SECRET_DIRS = ("solutions", "reference", "grader/nngrade/suites")
SECRET_FILES = ("grader/nngrade/rubric.toml",)
# Grader modules that have no business in a student's hands (by file stem).
SECRET_MODULES = frozenset({
    "batch", "sandbox", "worker", "runner", "scoring", "rubric",
    "unpack", "inprocess", "release", "inbox", "suite", "suites", "reference", "solutions",
    "report", "nbgrader_bridge", "stubs", "intake", "hidden", "grade", "records",
})
# The modules of nngrade/ that ship, besides the nngrade.student package: what check and
# submit import (the test of the student side imports them in a clean interpreter).
STUDENT_MODULES = ("contract", "messages", "language", "textlayout", "feedback", "mistakes",
                   "visible")
# Data files that ship with them (relative to nngrade/): the message catalogs, the titles
# of the public checks. The hidden suites' titles (suites/titles.toml) never do.
STUDENT_DATA = ("catalogs/en.toml", "catalogs/zh.toml", "student/titles.toml")
# A solution line is "non-trivial" from MIN_LINE characters on ("return out" and "else:"
# are everywhere). One such line alone counts as a leak from LONG_LINE characters on; a
# shorter one only with another line of the same solution region in the same file, since
# an idiom like `rng = np.random.default_rng(seed)` alone gives no answer away.
MIN_LINE = 14
LONG_LINE = 40

STUDENT_INIT = '''"""nngrade for students: `nngrade check` and `nngrade submit`."""

__version__ = "{version}"
'''

STUDENT_CLI = '''"""The students' ``nngrade``: ``check`` while working, ``submit`` to hand in.

Built by ``nngrade release``; the grader's commands are not part of it.
"""

from __future__ import annotations

import importlib

import click

from nngrade.version import __version__

COMMANDS = {{
    "check": "nngrade.student.check:check_command",
    "submit": "nngrade.student.submit:submit_command",
}}


class LazyGroup(click.Group):
    """Import a command's module only when it runs, so `nngrade check` starts fast."""

    def list_commands(self, ctx):
        return sorted(COMMANDS)

    def get_command(self, ctx, cmd_name):
        target = COMMANDS.get(cmd_name)
        if target is None:
            return None
        module_name, attr = target.split(":")
        return getattr(importlib.import_module(module_name), attr)


@click.group(cls=LazyGroup)
@click.version_option(__version__, prog_name="nngrade")
def main():
    """nngrade: `nngrade check` while you work, `nngrade submit` to hand in.

    做练习时用 `nngrade check` 检查，完成后用 `nngrade submit` 提交。
    """


if __name__ == "__main__":
    main()
'''

STUDENT_PYPROJECT = '''[build-system]
requires = ["setuptools>=61"]
build-backend = "setuptools.build_meta"

[project]
name = "nngrade-student"
version = "{version}"
description = "Public checks and hand-in for the neural-network course's exercises"
requires-python = ">=3.10"
dependencies = [
    "numpy>=1.24",
    "click>=8.1",
    "tomli>=2.0; python_version < '3.11'",
]

[project.scripts]
nngrade = "nngrade.cli:main"

[tool.setuptools]
packages = [{packages}]

[tool.setuptools.package-data]
{package_data}
'''

COURSE_CONFIG = '''# The course's settings for `nngrade check` and `nngrade submit` (see README.md).
# 课程设置：`nngrade check` 和 `nngrade submit` 会读取这个文件（见 README.md）。
[course]
lang = "{lang}"
# inbox = "/path/to/the/course/inbox"   # where `nngrade submit` hands in / 提交的收件箱
'''


# ---------------------------------------------------------------- building


def find_source(option: Path | None) -> Path:
    """The course repository: --source, else the checkout nngrade runs from, else the cwd."""
    candidates = [option] if option else [PACKAGE_DIR.parents[1], Path.cwd()]
    for root in candidates:
        if root is not None and (root / "exercises").is_dir():
            return root
    where = option or Path.cwd()
    raise click.ClickException(
        f"no exercises/ folder in {where}. Run this from the course repository, or give it "
        "with --source REPO (the folder that holds exercises/ and solutions/)."
    )


def _copy_py_tree(src: Path, dst: Path) -> list[Path]:
    copied = []
    for path in sorted(src.rglob("*.py")):
        if "__pycache__" in path.parts:
            continue
        target = dst / path.relative_to(src)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, target)
        copied.append(target)
    return copied


def _student_packages(tool_pkg: Path) -> list[str]:
    packages = []
    for init in sorted(tool_pkg.rglob("__init__.py")):
        rel = init.parent.relative_to(tool_pkg.parent)
        packages.append(".".join(rel.parts))
    return packages


def _render_readme(has_handout: bool, has_handout_zh: bool = False) -> str:
    from nngrade.report.render import render

    parts = [render("release_readme.md", lang, handout=has_handout,
                    handout_zh=has_handout_zh).strip() for lang in ("en", "zh")]
    head = "# Course exercises · 课程练习\n\nEnglish first, then 中文.\n\n"
    return head + "\n\n---\n\n".join(parts) + "\n"


def _package_data() -> str:
    """The pyproject lines that make setuptools install `STUDENT_DATA` beside the code."""
    by_package: dict[str, list[str]] = {}
    for rel in STUDENT_DATA:
        folder, name = rel.rsplit("/", 1)
        package = "nngrade.student" if folder == "student" else "nngrade"
        by_package.setdefault(package, []).append(name if package != "nngrade" else rel)
    return "\n".join(f'"{package}" = [{", ".join(repr(n) for n in names)}]'.replace("'", '"')
                     for package, names in by_package.items())


def build_release(source: Path, out: Path, lang: str | None = None) -> list[Path]:
    """Write the bundle into the empty folder ``out``; returns the files written.

    ``lang`` ("en" or "zh") writes the course's ``nngrade.toml`` with that
    language, so the bundle's ``nngrade check`` and ``submit`` speak it.
    """
    written: list[Path] = []
    exercises = out / "exercises"
    exercises.mkdir(parents=True)
    for path in sorted((source / "exercises").iterdir()):
        wanted = path.suffix in (".py", ".md", ".txt") and not path.name.startswith(".")
        if path.is_file() and wanted:
            shutil.copy2(path, exercises / path.name)
            written.append(exercises / path.name)
    handout = source / "docs" / "handout.md"
    for doc in sorted((source / "docs").glob("handout*.md")):  # handout.md, handout.zh.md
        (out / "docs").mkdir(exist_ok=True)
        shutil.copy2(doc, out / "docs" / doc.name)
        written.append(out / "docs" / doc.name)

    tool_pkg = out / "tool" / "nngrade"
    tool_pkg.mkdir(parents=True)
    for name in STUDENT_MODULES:
        shutil.copy2(PACKAGE_DIR / f"{name}.py", tool_pkg / f"{name}.py")
        written.append(tool_pkg / f"{name}.py")
    written += _copy_py_tree(PACKAGE_DIR / "student", tool_pkg / "student")
    for rel in STUDENT_DATA:
        (tool_pkg / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(PACKAGE_DIR / rel, tool_pkg / rel)
        written.append(tool_pkg / rel)
    (tool_pkg / "__init__.py").write_text(STUDENT_INIT.format(version=__version__))
    (tool_pkg / "version.py").write_text(f'__version__ = "{__version__}"\n')
    (tool_pkg / "cli.py").write_text(STUDENT_CLI.format())
    packages = ", ".join(f'"{p}"' for p in _student_packages(tool_pkg))
    (out / "tool" / "pyproject.toml").write_text(STUDENT_PYPROJECT.format(
        version=__version__, packages=packages, package_data=_package_data()))
    (out / "README.md").write_text(
        _render_readme(handout.is_file(), (source / "docs" / "handout.zh.md").is_file()),
        encoding="utf-8")
    if lang:
        (out / "nngrade.toml").write_text(COURSE_CONFIG.format(lang=lang), encoding="utf-8")
        written.append(out / "nngrade.toml")
    (out / RELEASE_MARKER).write_text(f"nngrade {__version__}\n")
    written += [tool_pkg / "__init__.py", tool_pkg / "cli.py", out / "tool" / "pyproject.toml",
                out / "README.md"]
    return written


# ---------------------------------------------------------------- the leak scan


@dataclass(frozen=True)
class Leak:
    path: Path
    why: str

    def __str__(self) -> str:
        return f"{self.path}: {self.why}"


def _code_line(line: str) -> str:
    text = line.strip()
    return "" if not text or text.startswith("#") else text


def solution_regions(solutions: Path) -> list[tuple[str, set[str]]]:
    """Each ``### BEGIN/END SOLUTION`` region of solutions/ as (where, its non-trivial lines).

    Lines that also occur outside every region (code given to students) are
    not secret and are left out.
    """
    regions: list[tuple[str, set[str]]] = []
    outside: set[str] = set()
    for path in sorted(solutions.glob("*.py")):
        current: set[str] | None = None
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            marker = line.strip()
            if marker.startswith("### BEGIN SOLUTION"):
                current = set()
                regions.append((f"{path.name}:{n}", current))
                continue
            if marker.startswith("### END SOLUTION"):
                current = None
                continue
            code = _code_line(line)
            if code:
                (current if current is not None else outside).add(code)
    return [(where, {x for x in lines - outside if len(x) >= MIN_LINE})
            for where, lines in regions]


def solution_lines(solutions: Path) -> set[str]:
    """Every non-trivial line of every solution region."""
    return {x for _, lines in solution_regions(solutions) for x in lines}


def _hashes(root: Path, rels: tuple[str, ...], files: tuple[str, ...]) -> dict[str, str]:
    out: dict[str, str] = {}
    paths = [p for rel in rels if (root / rel).is_dir() for p in (root / rel).rglob("*")]
    paths += [root / f for f in files]
    for p in paths:
        if p.is_file() and "__pycache__" not in p.parts and p.stat().st_size > 64:
            out[hashlib.sha256(p.read_bytes()).hexdigest()] = str(p.relative_to(root))
    return out


def find_leaks(bundle: Path, source: Path) -> list[Leak]:
    """Everything in ``bundle`` that a student must not see; empty means clean."""
    regions = solution_regions(source / "solutions") if (source / "solutions").is_dir() else []
    secret_files = _hashes(source, SECRET_DIRS, SECRET_FILES)
    leaks: list[Leak] = []
    for path in sorted(p for p in bundle.rglob("*") if p.is_file()):
        rel = path.relative_to(bundle)
        names = {part.removesuffix(".py") for part in rel.parts}
        bad = sorted(names & SECRET_MODULES)
        if bad or path.name.startswith("rubric"):
            leaks.append(Leak(rel, f"a grader-only file or folder ({', '.join(bad) or path.name})"))
        data = path.read_bytes()
        twin = secret_files.get(hashlib.sha256(data).hexdigest())
        if twin:
            leaks.append(Leak(rel, f"a copy of {twin}"))
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            continue
        numbered: dict[str, int] = {}
        for n, line in enumerate(text.splitlines(), 1):
            numbered.setdefault(line.strip(), n)
        for where, secret in regions:
            found = sorted((numbered[x], x) for x in secret & numbered.keys())
            if len(found) >= 2 or any(len(x) >= LONG_LINE for _, x in found):
                lines = ", ".join(str(n) for n, _ in found)
                leaks.append(Leak(rel, f"lines {lines} are the solution at {where}: "
                                       f"{found[0][1][:60]}"))
    return leaks


# ---------------------------------------------------------------- the command


@click.command("release")
@click.option("--out", "out", type=click.Path(path_type=Path), required=True, metavar="DIR",
              help="New folder to write the student bundle into.")
@click.option("--source", "source", type=click.Path(path_type=Path, file_okay=False),
              default=None, metavar="REPO",
              help="The course repository (default: the checkout nngrade runs from).")
@click.option("--force", is_flag=True, help="Replace DIR if it holds an earlier release.")
@click.option("--lang", type=click.Choice(["en", "zh"]), default=None,
              help="The language `nngrade check` and `nngrade submit` speak in the bundle "
              "(written to its nngrade.toml; default: each student's locale).")
def release_command(out: Path, source: Path | None, force: bool, lang: str | None) -> None:
    """Build what students receive: exercises/, the handout, and `nngrade check`/`submit`.

    Nothing secret goes in (no solutions, hidden tests, rubric or reference
    engine), and the bundle is scanned for leaks before it is put in place.
    """
    repo = find_source(source)
    if out.exists() and any(out.iterdir()):
        if not (force and (out / RELEASE_MARKER).is_file()):
            raise click.ClickException(
                f"{out} is not empty. Choose a new folder, or pass --force to replace an "
                "earlier release there (only a folder nngrade release made is replaced)."
            )
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        files = build_release(repo, staging, lang)
        leaks = find_leaks(staging, repo)
        if leaks:
            listing = "\n".join(f"  {leak}" for leak in leaks[:20])
            raise click.ClickException(
                f"the bundle would leak grader-only material, so nothing was released:\n{listing}"
                "\nFix the source of each file named above (exercises/ is generated by "
                "`nngrade stubs`; nngrade.student must not import the grader)."
            )
        staging.chmod(0o755)  # mkdtemp made it private; the bundle is for sharing
        if out.exists():
            shutil.rmtree(out)
        staging.rename(out)
    finally:
        if staging.exists():
            shutil.rmtree(staging)
    click.echo(f"Released {len(files)} files to {out} (leak scan: clean).")
    click.echo(f"Students install the tool with: python -m pip install {out / 'tool'}")
