"""Import a submission's modules from memory, as siblings of each other.

The sources arrive as data over the pipe; nothing is written to disk. A
meta-path finder appended at the *end* of ``sys.meta_path`` serves them, so
that ``from activations import sigmoid`` works between a student's files but
a student file named ``numpy.py`` or ``random.py`` can never shadow the real
module (the earlier finders win; ``shadowed_names`` lets the worker say so).

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

__all__ = ["SubmissionFinder", "filename_of", "shadowed_names"]


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
        if path is not None or "." in fullname:
            return None  # top-level files only: a submission has no packages
        if fullname in self.poisoned:
            raise ImportError(self.poisoned[fullname], name=fullname)
        if fullname not in self.sources:
            return None
        spec = importlib.machinery.ModuleSpec(fullname, self, origin=filename_of(fullname))
        spec.has_location = True
        return spec

    def invalidate_caches(self) -> None:
        return None

    # -- loader
    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType | None:
        return None

    def exec_module(self, module: ModuleType) -> None:
        name = module.__spec__.name if module.__spec__ else module.__name__
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
        return False
