"""Load a student's modules by path, fresh each time, and guard student code with a time limit.

Why not a plain ``import activations``: the folder is not a package, a
stale copy of ``activations`` may already sit in ``sys.modules`` (an
earlier run, the solutions), and a module that loops forever or calls
``sys.exit()`` at import must not take ``nngrade check`` down with it.
So each run loads every file with importlib under its own name, with the
folder on ``sys.path`` so that ``from activations import sigmoid`` between
student modules finds the student's file, and puts ``sys.modules`` and
``sys.path`` back as they were afterwards.
"""

from __future__ import annotations

import importlib.util
import io
import signal
import sys
import threading
import time
import traceback
from collections.abc import Iterator
from contextlib import contextmanager, redirect_stderr, redirect_stdout
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType, TracebackType

from nngrade.contract import MODULES
from nngrade.feedback import Feedback
from nngrade.messages import msg

__all__ = [
    "TimeLimit",
    "StudentModules",
    "find_folder",
    "student_frame",
    "student_location",
    "student_modules",
    "time_limit",
]


class TimeLimit(BaseException):
    """Student code ran past its time limit. A BaseException, so ``except Exception`` in
    student code does not swallow it."""


@contextmanager
def time_limit(seconds: float | None) -> Iterator[None]:
    """Raise TimeLimit in the guarded block after ``seconds``.

    Uses SIGALRM, which exists only on Unix and only in the main thread;
    elsewhere (Windows, a worker thread) the block simply runs unguarded.
    """
    usable = (
        seconds
        and hasattr(signal, "setitimer")
        and threading.current_thread() is threading.main_thread()
    )
    if not usable or seconds is None:
        yield
        return

    def expire(signum: int, frame: object) -> None:
        raise TimeLimit(seconds)

    previous = signal.signal(signal.SIGALRM, expire)
    outer, _ = signal.setitimer(signal.ITIMER_REAL, seconds)
    start = time.monotonic()
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        if outer:  # someone else's timer (a test runner's, say) was pending: put it back
            signal.setitimer(signal.ITIMER_REAL, max(outer - (time.monotonic() - start), 1e-3))


def find_folder(path: Path) -> Path | None:
    """The folder that holds the modules: ``path`` itself, or its ``exercises/`` subfolder."""
    if any((path / f"{m}.py").is_file() for m in MODULES):
        return path
    sub = path / "exercises"
    if sub.is_dir() and any((sub / f"{m}.py").is_file() for m in MODULES):
        return sub
    return None


def student_frame(tb: TracebackType | None, folder: Path) -> traceback.FrameSummary | None:
    """The innermost traceback frame inside ``folder`` (the student's own code), or None."""
    found = None
    for frame in traceback.extract_tb(tb):
        if Path(frame.filename).parent.resolve() == folder.resolve():
            found = frame
    return found


def student_location(tb: TracebackType | None, folder: Path) -> str:
    """``file.py:line (function)`` of the innermost traceback frame inside ``folder``, or ''."""
    frame = student_frame(tb, folder)
    return f"{Path(frame.filename).name}:{frame.lineno} ({frame.name})" if frame else ""


def _describe_import_error(error: BaseException, path: Path, folder: Path) -> str:
    """What went wrong importing ``path``, as Python would say it, pointing at the student's line.

    This is quoted text (the interpreter's own words and the student's
    source), shown verbatim in every language.
    """
    if isinstance(error, SyntaxError):
        name = Path(error.filename).name if error.filename else path.name
        text = f"{name}:{error.lineno}: {type(error).__name__}: {error.msg}"
        if error.text and error.text.strip():
            source = error.text.rstrip("\n")
            indent = len(source) - len(source.lstrip())
            text += f"\n    {source.strip()}"
            if error.offset and error.offset > indent:
                text += "\n    " + " " * (error.offset - 1 - indent) + "^"
        return text
    where = student_location(error.__traceback__, folder) or path.name
    return f"{where}: {type(error).__name__}: {error}"


@dataclass
class StudentModules:
    """The modules of one folder, loaded on demand; ``problems`` says why one is missing."""

    folder: Path
    timeout: float | None = 5.0
    modules: dict[str, ModuleType] = field(default_factory=dict)
    problems: dict[str, Feedback] = field(default_factory=dict)

    def load(self, name: str) -> ModuleType | None:
        """The freshly loaded module ``name``, or None with the reason in ``problems[name]``."""
        if name in self.modules or name in self.problems:
            return self.modules.get(name)
        path = self.folder / f"{name}.py"
        if not path.is_file():
            self.problems[name] = Feedback(msg("load.missing", module=name,
                                               folder=str(self.folder)), kind="missing_module")
            return None
        existing = sys.modules.get(name)
        if existing is not None and _file_of(existing) == path.resolve():
            # Already imported during this run by a sibling (``from activations import ...``).
            self.modules[name] = existing
            return existing
        spec = importlib.util.spec_from_file_location(name, path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        printed = io.StringIO()  # top-level prints (a student's quick tests) stay quiet
        try:
            with time_limit(self.timeout), redirect_stdout(printed), redirect_stderr(printed):
                spec.loader.exec_module(module)
        except KeyboardInterrupt:
            raise
        except BaseException as error:  # SystemExit, TimeLimit, anything the file raises
            sys.modules.pop(name, None)
            tail = "\n".join(printed.getvalue().strip().splitlines()[-5:])
            if isinstance(error, TimeLimit):
                self.problems[name] = Feedback(
                    msg("load.import_timeout", module=name, seconds=f"{error.args[0]:g}"),
                    kind="timeout", printed=tail)
            else:
                self.problems[name] = Feedback(
                    msg("load.import_failed", module=name), kind="import_error",
                    quoted=_describe_import_error(error, path, self.folder), printed=tail)
            return None
        self.modules[name] = module
        return module


def _file_of(module: ModuleType) -> Path | None:
    file = getattr(module, "__file__", None)
    return Path(file).resolve() if file else None


@contextmanager
def student_modules(folder: Path, timeout: float | None = 5.0) -> Iterator[StudentModules]:
    """Load modules from ``folder`` inside this block; restore ``sys.modules``/``sys.path`` after.

    Contract-named entries already in ``sys.modules`` are set aside for the
    block, so a sibling import always reaches the student's file; anything
    the block imported from ``folder`` is dropped afterwards. Bytecode is not
    written, so a student's folder stays as they left it.
    """
    folder = folder.resolve()
    saved = {name: sys.modules.pop(name) for name in MODULES if name in sys.modules}
    before = set(sys.modules)
    sys.path.insert(0, str(folder))
    dont_write = sys.dont_write_bytecode
    sys.dont_write_bytecode = True
    importlib.invalidate_caches()
    try:
        yield StudentModules(folder, timeout)
    finally:
        sys.dont_write_bytecode = dont_write
        if str(folder) in sys.path:
            sys.path.remove(str(folder))
        for name in set(sys.modules) - before:
            file = _file_of(sys.modules[name])
            if name in MODULES or (file is not None and folder in file.parents):
                del sys.modules[name]
        sys.modules.update(saved)
