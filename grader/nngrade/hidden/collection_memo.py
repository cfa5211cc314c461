"""What pytest collected from a suites folder, remembered while none of its files changes.

Every grading process collects the hidden suites once (`nngrade.hidden.suite.collect`).
A pytest session for that (configuration, plugins, collection nodes) cost a
cold ``nngrade grade`` of one hand-in about a third of a second, more than
importing the suite modules themselves. What the grader keeps of it is
plain data plus a function per test, so after one pytest collection the
facts are written to ``<suites>/__pycache__/nngrade-collection.json``, and a
later process with the same folder imports the suite modules itself (under
the names pytest gave them) and takes each test function by name.

The memo is used only when it was made from exactly these files: its key
is a digest of the folder's path, every file in it (``__pycache__`` aside),
the collecting code (`nngrade.hidden.suite` passes its file; this module), pytest's and
Python's versions. A suite that does not collect is never remembered (pytest
runs and reports it every time). Tests with ``parametrize`` values are not
remembered either (their values are objects, not data): such a folder is
always collected by pytest. A module of the same name from another folder
already imported, an import that fails, a function that is gone: the memo
is not used, and pytest collects as before.

Recalling needs no pytest either: the suites import it for their marks
only, whose facts the memo holds. In a process that has not imported pytest
(a cold grading process: a tenth of a second saved), the suite modules are
imported with a stand-in whose ``pytest.mark.<anything>(...)`` leaves the
function as it is; any other attribute, at import or when a test runs,
imports the real pytest and is taken from it. The modules imported that way
are then dropped from ``sys.modules`` (their functions keep their globals),
so a pytest session later in the process imports them again, with real marks.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import json
import os
import sys
import tempfile
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import _pytest  # pytest's version, without importing pytest (a tenth of a second)

__all__ = ["recall", "remember"]

MEMO = "nngrade-collection.json"
_FORMAT = 1


def _key(suites_dir: Path, code: tuple[Path, ...]) -> str | None:
    """A digest of everything the collection depends on; None if a file cannot be read."""
    digest = hashlib.sha256()
    digest.update(json.dumps([_FORMAT, str(suites_dir.resolve()), _pytest.__version__,
                              list(sys.version_info[:2])]).encode())
    try:
        for path in (*code, Path(__file__)):
            digest.update(path.read_bytes())
        files = sorted(p for p in suites_dir.rglob("*")
                       if p.is_file() and "__pycache__" not in p.parts)
        for path in files:
            digest.update(str(path.relative_to(suites_dir)).encode() + b"\0")
            digest.update(path.read_bytes() + b"\0")
    except OSError:
        return None
    return digest.hexdigest()


def remember(suites_dir: Path, tests: list[Any], code: tuple[Path, ...]) -> None:
    """Write the memo of ``tests`` (`HiddenTest`s pytest just collected) beside the suites.

    ``code``: the files of the collecting code, part of the key. Nothing is
    written where it cannot be.
    """
    if any(test.params for test in tests):
        return
    key = _key(suites_dir, code)
    if key is None:
        return
    root = suites_dir.resolve()
    entries = []
    for test in tests:
        function: Any = test.function
        name, python_module = str(function.__name__), str(function.__module__)
        module = sys.modules.get(python_module)
        file = getattr(module, "__file__", None)
        if not isinstance(file, str) or Path(file).resolve().parent != root or \
                getattr(module, name, None) is not function:
            return  # a test defined elsewhere: leave it to pytest every time
        entries.append({"nodeid": test.nodeid, "module": test.module, "name": test.name,
                        "weight": test.weight, "title": test.title,
                        "arguments": list(test.arguments), "python_module": python_module,
                        "file": Path(file).name, "function": name})
    text = json.dumps({"key": key, "tests": entries})
    folder = suites_dir / "__pycache__"
    with contextlib.suppress(OSError):
        folder.mkdir(exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{MEMO}.", suffix=".tmp", dir=folder)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(text)
            os.replace(tmp, folder / MEMO)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise


def recall(suites_dir: Path, code: tuple[Path, ...]) -> list[dict[str, Any]] | None:
    """The facts of each test of ``suites_dir`` from its memo, ``function`` included (their
    modules imported), as `HiddenTest`'s fields; None: collect with pytest."""
    try:
        memo = json.loads((suites_dir / "__pycache__" / MEMO).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(memo, dict) or memo.get("key") != _key(suites_dir, code):
        return None
    tests = []
    root = suites_dir.resolve()
    # A suite module per file, not per test: a path resolved is a dozen system calls, and
    # 134 tests asked for nine modules (15 ms of a cold grading process).
    modules: dict[tuple[str, str], ModuleType | None] = {}
    try:
        with _marks_only(root):
            for entry in memo["tests"]:
                which = (str(entry["python_module"]), str(entry["file"]))
                if which not in modules:
                    modules[which] = _module(root, *which)
                module = modules[which]
                function = getattr(module, entry["function"], None) if module else None
                if not callable(function):
                    return None
                tests.append({
                    "nodeid": str(entry["nodeid"]), "module": str(entry["module"]),
                    "name": str(entry["name"]), "weight": float(entry["weight"]),
                    "title": str(entry["title"]), "function": function,
                    "arguments": tuple(str(a) for a in entry["arguments"]), "params": {}})
    except (KeyError, TypeError, ValueError):
        return None
    return tests


class _MarksOnly(ModuleType):
    """pytest as the suites use it when imported: ``pytest.mark.<name>(...)`` keeps the
    function as it is; any other attribute is the real pytest's (imported then)."""

    def __init__(self) -> None:
        super().__init__("pytest")
        self.mark = _Marks()

    def __getattr__(self, name: str) -> Any:
        if sys.modules.get("pytest") is self:
            del sys.modules["pytest"]
        import pytest

        return getattr(pytest, name)


class _Marks:
    def __getattr__(self, name: str) -> Callable[..., Any]:
        if name.startswith("__"):
            raise AttributeError(name)
        return _mark


def _mark(*args: Any, **kwargs: Any) -> Any:
    if len(args) == 1 and callable(args[0]) and not kwargs:  # a bare @pytest.mark.name
        return args[0]
    return lambda function: function


@contextlib.contextmanager
def _marks_only(suites_dir: Path) -> Iterator[None]:
    """Import the suite modules with `_MarksOnly` as pytest, unless pytest is imported already;
    then forget the modules imported that way (see the module's docstring)."""
    if "pytest" in sys.modules:
        yield
        return
    before = set(sys.modules)
    stand_in = _MarksOnly()
    sys.modules["pytest"] = stand_in
    try:
        yield
    finally:
        if sys.modules.get("pytest") is stand_in:
            del sys.modules["pytest"]
        root = suites_dir.resolve()
        for name in set(sys.modules) - before:
            file = _file_of(sys.modules[name], root)
            if file is not None and root in (file.parent, file):
                del sys.modules[name]


def _module(root: Path, name: str, file: str) -> ModuleType | None:
    """Suite module ``name`` from ``file`` of the folder ``root`` (resolved): the one already
    imported, or imported now."""
    path = (root / file).resolve()
    if path.parent != root or not path.is_file():
        return None
    found = sys.modules.get(name)
    if found is not None:  # imported before (by pytest or by an earlier recall)
        return found if _file_of(found) == path else None
    parent, _, child = name.rpartition(".")
    if parent and parent not in sys.modules:
        package = _import(parent, path.parent / "__init__.py", package=True)
        if package is None:
            return None
    module = _import(name, path)
    if module is not None and parent:
        setattr(sys.modules[parent], child, module)
    return module


def _file_of(module: ModuleType, root: Path | None = None) -> Path | None:
    """The module's file, resolved (a file right in ``root``, resolved already, as `_import`
    names it, is taken as it is: dropping the stand-in's modules resolved 70 paths)."""
    file = getattr(module, "__file__", None)
    if not file:
        return None
    if root is not None and os.path.dirname(file) == str(root):
        return Path(file)
    return Path(file).resolve()


def _import(name: str, path: Path, package: bool = False) -> ModuleType | None:
    if not path.is_file():
        return None
    spec = importlib.util.spec_from_file_location(
        name, path, submodule_search_locations=[str(path.parent)] if package else None)
    if spec is None or spec.loader is None:
        return None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        with warnings.catch_warnings():  # its marks, where a pytest session is running
            if "pytest" in sys.modules and not isinstance(sys.modules["pytest"], _MarksOnly):
                warnings.simplefilter("ignore", sys.modules["pytest"].PytestUnknownMarkWarning)
            spec.loader.exec_module(module)
    except Exception:  # noqa: BLE001 - pytest will collect and report it
        del sys.modules[name]
        return None
    return module
