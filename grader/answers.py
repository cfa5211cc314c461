"""The answer key, remembered: each reference answer is computed once per grading process.

A hidden test's inputs depend only on the run's seed and the test's id, so
every student of a batch is compared with the same expected values. The
suites therefore read the reference through `remembered`, which computes
each answer the first time it is asked for and hands out copies after that.
Calls whose arguments are not plain data (a numpy Generator, a function)
are not remembered: they are simply made.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Callable
from types import ModuleType
from typing import Any

import numpy as np

__all__ = ["remembered"]

_MAX_ENTRIES = 4096


class _Unkeyable(Exception):
    pass


def _key(value: Any, digest: Any) -> None:
    """Feed a canonical description of plain data to ``digest``; raise for anything else."""
    if isinstance(value, np.ndarray):
        digest.update(f"a{value.dtype.str}{value.shape}".encode())
        digest.update(np.ascontiguousarray(value).tobytes())
    elif value is None or isinstance(value, (bool, int, float, str, np.generic)):
        digest.update(f"{type(value).__name__}:{value!r};".encode())
    elif isinstance(value, (tuple, list)):
        digest.update(f"{type(value).__name__}{len(value)}(".encode())
        for item in value:
            _key(item, digest)
        digest.update(b")")
    elif isinstance(value, dict):
        digest.update(f"d{len(value)}(".encode())
        for k in sorted(value, key=repr):
            _key(k, digest)
            _key(value[k], digest)
        digest.update(b")")
    else:
        raise _Unkeyable


def _copy(value: Any) -> Any:
    """A private copy of a remembered answer, so no test can change what the next one sees."""
    if isinstance(value, np.ndarray):
        return value.copy()
    if isinstance(value, tuple):
        return tuple(_copy(v) for v in value)
    if isinstance(value, list):
        return [_copy(v) for v in value]
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    return value


class _Remembered:
    """A module whose functions remember their answers (classes and constants pass through)."""

    def __init__(self, module: ModuleType) -> None:
        self._module = module
        self._answers: OrderedDict[bytes, Any] = OrderedDict()
        self._wrapped: dict[str, Callable[..., Any]] = {}

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._module, name)
        if not callable(attr) or isinstance(attr, type):
            return attr
        if name not in self._wrapped:
            self._wrapped[name] = self._remember(name, attr)
        return self._wrapped[name]

    def _remember(self, name: str, func: Callable[..., Any]) -> Callable[..., Any]:
        answers = self._answers

        def call(*args: Any, **kwargs: Any) -> Any:
            digest = hashlib.blake2b(name.encode(), digest_size=20)
            try:
                _key(args, digest)
                _key(kwargs, digest)
            except _Unkeyable:
                return func(*args, **kwargs)
            key = digest.digest()
            if key in answers:
                answers.move_to_end(key)
                return _copy(answers[key])
            answer = func(*args, **kwargs)
            answers[key] = _copy(answer)
            if len(answers) > _MAX_ENTRIES:
                answers.popitem(last=False)
            return answer

        call.__name__ = name
        call.__doc__ = func.__doc__
        return call


def remembered(module: ModuleType) -> Any:
    """``module`` with every function's answers remembered by their arguments."""
    return _Remembered(module)
