"""Import a submission's modules from memory, as siblings of each other.

The sources arrive as data over the pipe; nothing is written to disk. A
meta-path finder appended at the *end* of ``sys.meta_path`` serves them, so
that ``from activations import sigmoid`` works between a student's files but
a student file named ``numpy.py`` or ``random.py`` can never shadow the real
module (the earlier finders win; ``shadowed_names`` lets the worker say so).

The handout's project is a folder ``exercises/`` of modules, so every import
form plain Python allows there works too: ``from exercises.activations import
sigmoid``, ``from exercises import activations`` and, inside a module,
``from .activations import sigmoid``. ``exercises`` is served as a package
whose submodules *are* the top-level modules (one module object under two
names, so a class has one identity), and each top-level module's spec names
``exercises`` as its parent, which is what a relative import resolves
against. A submission that has its own ``exercises.py`` keeps it.

The loader reports "importing X" / "imported X" around each module's body, so
that a module whose import kills the process (``os._exit``, a segfault) or
never returns is blamed precisely, even when a sibling imported it.

Imports only the standard library.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import importlib.util
import sys
from collections.abc import Callable, Iterable, Mapping
from types import ModuleType

__all__ = ["PACKAGE", "SubmissionFinder", "filename_of", "shadowed_names"]

PACKAGE = "exercises"  # the handout's project folder, importable as a package


class _InPackage(importlib.machinery.ModuleSpec):
    """A top-level module's spec whose parent is the project package, for relative imports.

    (``__package__`` alone would differ from ``__spec__.parent``, which Python warns about.)"""

    @property
    def parent(self) -> str:
        return PACKAGE


def filename_of(module: str) -> str:
    """The file name a student module's code objects carry (what tracebacks show)."""
    return f"{module}.py"


def shadowed_names(names: Iterable[str]) -> set[str]:
    """Those of ``names`` that an earlier finder (stdlib, numpy, builtins) already provides."""
    shadowed = set()
    for name in names:
        if name in sys.modules:
            shadowed.add(name)
            continue
        try:
            if importlib.util.find_spec(name) is not None:
                shadowed.add(name)
        except (ImportError, ValueError):
            shadowed.add(name)
    return shadowed


class SubmissionFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Finder and loader for the top-level modules of one submission."""

    def __init__(
        self,
        sources: Mapping[str, str],
        poisoned: Mapping[str, str],
        on_event: Callable[[str, str], None],
    ) -> None:
        self.sources = dict(sources)
        self.poisoned = dict(poisoned)
        self.on_event = on_event

    # -- finder
    def find_spec(
        self, fullname: str, path: object = None, target: object = None
    ) -> importlib.machinery.ModuleSpec | None:
        package = PACKAGE not in self.sources
        if fullname == PACKAGE and package and path is None:
            return importlib.machinery.ModuleSpec(PACKAGE, self, is_package=True)
        head, _, tail = fullname.partition(".")
        if package and head == PACKAGE and tail and "." not in tail:
            if tail not in self.sources and tail not in self.poisoned:
                return None
            return importlib.machinery.ModuleSpec(fullname, self)  # an alias, see exec_module
        if path is not None or "." in fullname:
            return None  # top-level files only: a submission has no packages of its own
        if fullname in self.poisoned:
            raise ImportError(self.poisoned[fullname], name=fullname)
        if fullname not in self.sources:
            return None
        kind = _InPackage if package else importlib.machinery.ModuleSpec
        spec = kind(fullname, self, origin=filename_of(fullname))
        spec.has_location = True
        return spec

    def invalidate_caches(self) -> None:
        return None

    # -- loader
    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType | None:
        return None

    def exec_module(self, module: ModuleType) -> None:
        name = module.__spec__.name if module.__spec__ else module.__name__
        if name == PACKAGE:
            module.__path__ = []
            return
        if name.startswith(PACKAGE + "."):
            # ``exercises.X`` is the module ``X``: import it and put it in our place, which
            # importlib reads back from sys.modules after this returns.
            sys.modules[name] = importlib.import_module(name[len(PACKAGE) + 1:])
            return
        self.on_event("importing", name)  # before compiling: the compiler can crash too
        try:
            code = compile(self.sources[name], filename_of(name), "exec", dont_inherit=True)
            exec(code, module.__dict__)  # noqa: S102 - this is the point of the worker
        finally:
            self.on_event("imported", name)

    def get_source(self, fullname: str) -> str | None:
        """Lets ``linecache`` (and so tracebacks) show the student's lines."""
        return self.sources.get(fullname)

    def is_package(self, fullname: str) -> bool:
        return fullname == PACKAGE
