"""The layout's rules, read from the source: no import cycle, and the two confined import sets.

The import graph is built with ``ast`` from every module under the two
source roots of the ``nngrade`` namespace (grader/ and reference/), counting
every import statement wherever it is (in a function, under
``TYPE_CHECKING``): a dependency is one even when it is taken late. An edge
goes to the module an import names (``from nngrade.x import y`` goes to
``nngrade.x.y`` when that is a module, else to ``nngrade.x``); a package's
``__init__`` imported on the way to one of its modules is not counted, as
import linters do not count it either.

Two parts of the package run where the rest must not be importable:

- ``nngrade.worker`` runs inside the sandbox, whose filesystem holds only
  the standard library, numpy and the worker package itself;
- ``nngrade.student`` ships in the student bundle (`nngrade release`),
  installed with only numpy and click.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from nngrade.release import STUDENT_MODULES

ROOT = Path(__file__).resolve().parents[1]
SOURCE_ROOTS = (ROOT / "grader", ROOT / "reference")

STDLIB = frozenset(sys.stdlib_module_names) | {"__future__"}
# What the worker may import besides the standard library (see nngrade.sandbox.launch).
WORKER_ALLOWED = frozenset({"numpy"})
# What the student bundle may import besides the standard library: its installed
# dependencies, tomli on Python 3.10 (tomllib's backport), and the nngrade modules
# `nngrade release` copies into the bundle next to nngrade.student.
STUDENT_ALLOWED = frozenset({"numpy", "click", "tomli"})
# What ships beside nngrade.student in the student bundle (nngrade.release is the one list).
STUDENT_NNGRADE = frozenset({"nngrade.version", *(f"nngrade.{m}" for m in STUDENT_MODULES)})


@dataclass(frozen=True)
class Import:
    module: str  # the importing module
    target: str  # the full dotted name as written (relative imports resolved)
    line: int


def _module_name(root: Path, path: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    """Every importable module: a file whose folders below nngrade/ are all packages
    (a folder of scripts, such as the gradebook's Alembic migrations, is not code to import)."""
    found: dict[str, Path] = {}
    for root in SOURCE_ROOTS:
        top = root / "nngrade"
        for path in sorted(top.rglob("*.py")):
            folders = path.parent.relative_to(top).parents[:-1]
            if all((top / folder / "__init__.py").is_file()
                   for folder in (path.parent.relative_to(top), *folders) if str(folder) != "."):
                found[_module_name(root, path)] = path
    return found


MODULES = _modules()


def _is_package(module: str) -> bool:
    return MODULES[module].name == "__init__.py"


def _imports(module: str, source: str | None = None) -> Iterator[Import]:
    """Every import statement of ``module`` (read from its file unless ``source`` is given)."""
    if source is None:
        source = MODULES[module].read_text(encoding="utf-8")
    tree = ast.parse(source)
    package = module if module in MODULES and _is_package(module) else module.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield Import(module, alias.name, node.lineno)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                prefix = ".".join([*base, node.module] if node.module else base)
            else:
                prefix = node.module or ""
            for alias in node.names:
                name = f"{prefix}.{alias.name}"
                yield Import(module, name if name in MODULES else prefix, node.lineno)


def _resolve(target: str) -> str | None:
    """The nngrade module an import of ``target`` runs, or None for anything outside nngrade."""
    parts = target.split(".")
    while parts:
        name = ".".join(parts)
        if name in MODULES:
            return name
        parts.pop()
    return None


def import_graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {module: set() for module in MODULES}
    for module in MODULES:
        for imp in _imports(module):
            target = _resolve(imp.target)
            if target is not None and target != "nngrade":
                graph[module].add(target)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (or a self-import)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = [0]

    def visit(start: str) -> None:  # Tarjan's algorithm, iterative
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = counter[0]
        counter[0] += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, edges = work[-1]
            for nxt in edges:
                if nxt not in index:
                    index[nxt] = low[nxt] = counter[0]
                    counter[0] += 1
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, iter(sorted(graph[nxt]))))
                    break
                if nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > 1 or node in graph[node]:
                        found.append(sorted(component))

    for module in sorted(graph):
        if module not in index:
            visit(module)
    return found


def _edges_within(graph: dict[str, set[str]], component: list[str]) -> list[str]:
    members = set(component)
    return [f"{a} -> {b}" for a in component for b in sorted(graph[a]) if b in members]


# ------------------------------------------------------------------ the graph itself


def test_the_graph_finds_what_it_should() -> None:
    """The walk sees the package: the pipeline's stages and the edges between them."""
    graph = import_graph()
    assert {"nngrade.intake.unpack", "nngrade.hidden.grader", "nngrade.grade.pipeline",
            "nngrade.sandbox.box", "nngrade.reference.engine"} <= set(graph)
    assert "nngrade.intake" in graph["nngrade.grade.pipeline"]
    assert "nngrade.scoring" in graph["nngrade.hidden.grader"]
    assert "nngrade.records" in graph["nngrade.scoring"]
    # a late import (inside a function) is a dependency too
    assert "nngrade.hidden.inprocess" in graph["nngrade.nbgrader_bridge.incell"]


def test_cycles_are_found() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": {"e"}, "f": set()}
    assert sorted(cycles(graph)) == [["a", "b", "c"], ["e"]]


def test_no_import_cycle_anywhere_in_nngrade() -> None:
    graph = import_graph()
    found = cycles(graph)
    assert not found, "import cycles:\n" + "\n".join(
        "  " + "; ".join(_edges_within(graph, component)) for component in found)


# ------------------------------------------------------------------ confined import sets


def _foreign_imports(package: str, allowed: frozenset[str], allowed_nngrade: frozenset[str],
                     extra: dict[str, str] | None = None) -> list[str]:
    """Imports in ``package`` of anything but the standard library, ``allowed``, the package
    itself and ``allowed_nngrade``; ``extra`` adds modules given as source text."""
    sources: dict[str, str | None] = {m: None for m in MODULES
                                      if m == package or m.startswith(package + ".")}
    sources.update(extra or {})
    bad = []
    for module, source in sources.items():
        for imp in _imports(module, source):
            top = imp.target.split(".")[0]
            if top == "nngrade":
                target = _resolve(imp.target) or imp.target
                if target == package or target.startswith(package + ".") \
                        or target in allowed_nngrade:
                    continue
            elif top in STDLIB or top in allowed:
                continue
            bad.append(f"{module}:{imp.line} imports {imp.target}")
    return bad


def test_the_worker_imports_only_the_standard_library_numpy_and_itself() -> None:
    assert _foreign_imports("nngrade.worker", WORKER_ALLOWED, frozenset()) == []


def test_the_student_package_imports_only_what_ships_with_it() -> None:
    assert _foreign_imports("nngrade.student", STUDENT_ALLOWED, STUDENT_NNGRADE) == []


@pytest.mark.parametrize(("package", "source", "expected"), [
    ("nngrade.worker", "import scipy\n", "imports scipy"),
    ("nngrade.worker", "def f():\n    from nngrade.feedback import describe\n",
     "imports nngrade.feedback"),
    ("nngrade.worker", "from .. import rubric\n", "imports nngrade.rubric"),
    ("nngrade.student", "from ..reference import engine\n", "imports nngrade.reference.engine"),
    ("nngrade.student", "import jinja2\n", "imports jinja2"),
])
def test_a_foreign_import_is_caught(package: str, source: str, expected: str) -> None:
    """The checks above can fail: a stray import, even late or relative, is named."""
    allowed = {"nngrade.worker": (WORKER_ALLOWED, frozenset()),
               "nngrade.student": (STUDENT_ALLOWED, STUDENT_NNGRADE)}[package]
    found = _foreign_imports(package, *allowed, extra={f"{package}._probe": source})
    assert found == [f"{package}._probe:{source.count(chr(10)) or 1} {expected}"] or \
        any(line.startswith(f"{package}._probe:") and line.endswith(expected) for line in found)


# ------------------------------------------------------------------ imports resolve to files

RESOLVE = r"""
import importlib, importlib.machinery, json, sys
found = {}
for name in json.loads(sys.argv[1]):
    module = importlib.import_module(name)
    parent = sys.modules[name.rpartition(".")[0]] if "." in name else None
    # What the plain path-based finder gives, with no finder of an install in between.
    spec = importlib.machinery.PathFinder.find_spec(
        name, parent.__path__ if parent is not None else None)
    found[name] = {"file": getattr(module, "__file__", None),
                   "path_finder": spec.origin if spec is not None else None,
                   "loader": type(module.__spec__.loader).__name__}
finders = [f"{type(f).__module__}.{type(f).__qualname__}" for f in sys.meta_path]
nngrade = sorted(importlib.import_module("nngrade").__path__)
print(json.dumps({"modules": found, "meta_path": finders, "nngrade_path": nngrade}))
"""


@pytest.fixture(scope="module")
def resolved() -> dict:
    """Every nngrade module imported in a fresh interpreter of this environment."""
    import json
    import os
    import subprocess

    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    done = subprocess.run([sys.executable, "-c", RESOLVE, json.dumps(sorted(MODULES))],
                          capture_output=True, text=True, env=env, cwd="/", timeout=300,
                          check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_every_module_is_the_file_in_this_checkout(resolved: dict) -> None:
    """``python -c "import nngrade.x; print(nngrade.x.__file__)"`` names the checkout's file,
    and the plain path-based finder, which editors and type checkers follow, finds it too."""
    assert resolved["nngrade_path"] == sorted(str(r / "nngrade") for r in SOURCE_ROOTS)
    for name, path in MODULES.items():
        if name == "nngrade":
            continue
        got = resolved["modules"][name]
        assert got["file"] == str(path), name
        assert got["path_finder"] == str(path), name
        assert got["loader"] == "SourceFileLoader", name


def test_the_install_adds_no_import_hook(resolved: dict) -> None:
    """No ``__editable__`` finder, and no .pth file of ours that runs code: a plain path list."""
    import site

    assert not any("editable" in f.lower() or "nngrade" in f.lower()
                   for f in resolved["meta_path"]), resolved["meta_path"]
    for folder in {*site.getsitepackages(), site.getusersitepackages()}:
        folder_path = Path(folder)
        if not folder_path.is_dir():
            continue
        assert not list(folder_path.glob("__editable__*")), folder
        for pth in folder_path.glob("*.pth"):
            text = pth.read_text(encoding="utf-8", errors="replace")
            if "nngrade" in text or str(ROOT) in text:
                lines = [line for line in text.splitlines() if line.strip()]
                assert all(not line.startswith(("import ", "import\t")) for line in lines), pth
                assert sorted(lines) == sorted(str(r) for r in SOURCE_ROOTS), pth


# ------------------------------------------------------------------ the gate


def test_make_test_runs_the_gate_before_the_suite() -> None:
    """``make test`` (what CI runs) fails on a ruff or mypy finding before any test runs."""
    import shutil
    import subprocess

    if shutil.which("make") is None:
        pytest.fail("make is not installed: `make test` is how this project is tested")
    plan = subprocess.run(["make", "-n", "test", "VENV=.venv"], cwd=ROOT, capture_output=True,
                          text=True, check=True).stdout.splitlines()
    steps = [line.strip() for line in plan]
    ruff = steps.index(".venv/bin/ruff check .")
    mypy = steps.index(".venv/bin/mypy")
    pytest_run = next(i for i, step in enumerate(steps) if step.endswith("-m pytest"))
    assert ruff < pytest_run and mypy < pytest_run
