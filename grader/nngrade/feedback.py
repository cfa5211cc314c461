"""The comparison core: compare a value with the expected one and say, by id, how they differ.

Both sides use it: the public checks (``nngrade check``, in the student's own
process, on the lecture's examples) and the hidden suites (in the grading
process, on what came back from the sandbox). There is one failure type,
`Feedback`, and it carries what a student needs to fix the code: what was
called, what came back, what was expected and, when the wrong value is what
a classic mistake of the lecture would give, that mistake's code. The
sentence is a `nngrade.messages.Message` (an id with parameters, rendered in
English or Chinese when someone reads it); values are rendered by
`describe` into code-like text that needs no translation: matrices as rows
and columns, the entries that differ marked with ``*``.

Threat model. Hidden side: everything compared here is plain data that
crossed the sandbox boundary (numbers, bool/int/float arrays, str, lists,
dicts, ``Opaque`` stand-ins); nothing of the student's code reaches these
functions, so no hostile ``__eq__``, ``__array__`` or patched numpy can
steer a verdict, and a result's text is rendered from data, never by the
student's ``__repr__``. Public side: the student's objects are in the same
process (their own machine, their own code); the checks turn results into
plain data (`plain`) before comparing. Text that comes from student code
(an exception's message, a warning) is kept apart as ``quoted`` text, shown
verbatim as code and never formatted into a sentence.

Cost. A passing comparison renders no text: `_plainly_close` settles the
common case, messages and descriptions are made only on failure, and a
call's description is a `LazyText` made on first use. Hidden suites make
hundreds of passing checks per submission.

This module ships to students: it imports only the standard library,
numpy, ``nngrade.messages`` and ``nngrade.mistakes``.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from nngrade.messages import Message, as_message, msg, render
from nngrade.mistakes import mistake_message
from nngrade.textlayout import labelled
from nngrade.visible import visible

__all__ = [
    "Feedback",
    "LazyText",
    "Mistake",
    "call_failure",
    "describe",
    "describe_call",
    "driver_facts",
    "expect_close",
    "expect_declared_default",
    "expect_dtype",
    "expect_equal",
    "expect_no_warnings",
    "expect_raises_value_error",
    "expect_true",
    "expect_tuple",
    "expect_value_error",
    "figure_data",
    "figure_numbers",
    "plain",
    "what_named",
]


# ---------------------------------------------------------------- lazy text


class LazyText:
    """Text made on first use (a call, a graph), for checks to carry around.

    Every check is handed what it checks, but only a failing one shows it:
    rendering arrays or graphs for each of a class's thousands of passing
    checks would cost more than the checks. ``make=None`` is the empty text.
    """

    __slots__ = ("_make", "_text")

    def __init__(self, make: Callable[[], str] | None) -> None:
        self._make = make
        self._text: str | None = None

    def __str__(self) -> str:
        if self._text is None:
            self._text = self._make() if self._make is not None else ""
        return self._text

    def __format__(self, spec: str) -> str:
        return format(str(self), spec)

    def __bool__(self) -> bool:
        return self._make is not None

    def __eq__(self, other: object) -> bool:
        return str(self) == str(other)

    def __hash__(self) -> int:
        return hash(str(self))


# ---------------------------------------------------------------- the failure


_NOTHING: Any = object()  # "no value given": None is a value a student can return
_CALL_IRRELEVANT = frozenset({"not_implemented", "missing_module", "missing_name",
                              "import_error"})
VALUE = msg("what.value")


def what_named(name: str | Message) -> Message:
    """The subject of a sentence: a Message as it is, a plain name as code (`grad_w1`)."""
    return name if isinstance(name, Message) else msg("what.named", name=name)


class Feedback(AssertionError):
    """A failed check: what the student needs to fix it, never the test's source.

    ``message`` is the sentence (a `Message`; a plain string still works and
    becomes the "untranslated" message). ``got``/``expected`` are values,
    rendered once by `describe` (``marks`` flags the entries that differ).
    ``quoted`` is text that came from the student's code or from Python
    (an exception and its traceback), shown verbatim; ``printed`` is what the
    student's code printed; ``where`` the student's line (``file.py:12 (f)``);
    ``detail`` is the sandbox's technical note for instructors, in English only.
    """

    def __init__(
        self,
        message: str | Message,
        *,
        kind: str = "mismatch",
        call: object = None,
        got: Any = _NOTHING,
        expected: Any = _NOTHING,
        mistake: str | None = None,
        show_values: bool = True,
        hint: str | Message | None = None,
        quoted: str = "",
        detail: str = "",
        shown: Mapping[str, Any] | None = None,
        printed: str = "",
        where: str = "",
        marks: np.ndarray | None = None,
        focus: tuple[int, ...] | None = None,
        figure: Mapping[str, Any] | str | None = None,
    ) -> None:
        self.text = as_message(message)
        self.quoted = quoted.strip() if quoted else ""
        self.kind = kind
        # A function that is missing or not written yet: its arguments say nothing, and a
        # half-done submission has a hundred such tests (their calls are never rendered).
        self.call = str(call) if call and kind not in _CALL_IRRELEVANT else None
        self.got = describe(got, marks=marks, focus=focus) \
            if show_values and got is not _NOTHING else None
        self.expected = describe(expected, marks=marks, focus=focus) \
            if show_values and expected is not _NOTHING else None
        self.mistake = mistake
        self.hint = as_message(hint) if hint else None
        self.detail = detail.strip() if detail else ""
        self.shown = {k: describe(v) for k, v in (shown or {}).items()}
        self.printed = printed.rstrip() if printed else ""
        self.where = where
        # The numbers behind a picture in the report (a matrix as a heat map, a curve as a
        # line): a suite's own, else read off got and expected when they can be drawn.
        if isinstance(figure, Mapping):
            self.figure: dict[str, Any] | None = dict(figure)
        elif show_values and got is not _NOTHING and expected is not _NOTHING:
            self.figure = figure_data(got, expected, figure)
        else:
            self.figure = None
        super().__init__(self.message)

    @property
    def message(self) -> str:
        """The sentence in English, then any quoted text (how results.json's output begins)."""
        head = render(self.text, "en")
        return f"{head}\n{self.quoted}" if self.quoted else head

    def replace(self, **changes: Any) -> Feedback:
        """A copy with some fields changed (e.g. a timeout re-raised with its mistake named)."""
        copy = Feedback.__new__(Feedback)
        copy.__dict__.update(self.__dict__)
        AssertionError.__init__(copy, *self.args)
        for key, value in changes.items():
            if key == "call":
                value = str(value) if value else None
            elif key == "message":
                key, value = "text", as_message(value)
            elif key == "hint":
                value = as_message(value) if value else None
            if not hasattr(copy, key):
                raise TypeError(f"Feedback has no field {key!r}")
            setattr(copy, key, value)
        copy.args = (copy.message,)
        return copy

    def with_mistake(self, mistake: str | None, *, kind: str | None = None,
                     call: object = None) -> Feedback:
        """The same feedback naming ``mistake`` (and, optionally, another kind or call)."""
        changes: dict[str, Any] = {"mistake": mistake}
        if kind is not None:
            changes["kind"] = kind
        if call:
            changes["call"] = call
        return self.replace(**changes)

    def as_dict(self) -> dict[str, Any]:
        """results.json's ``extra_data``: the English text next to the id and its parameters."""
        data: dict[str, Any] = {"kind": self.kind, "message": self.message,
                                "message_id": self.text.id,
                                "message_params": self.text.to_json()["params"]}
        if self.call:
            data["call"] = self.call
        if self.shown:
            data["shown"] = dict(self.shown)
        if self.got is not None:
            data["got"] = self.got
        if self.expected is not None:
            data["expected"] = self.expected
        if self.quoted:
            data["quoted"] = self.quoted
        if self.detail:
            data["detail"] = self.detail
        if self.printed:
            data["printed"] = self.printed
        if self.where:
            data["where"] = self.where
        if self.mistake:
            data["mistake"] = {"code": self.mistake,
                               "message": render(mistake_message(self.mistake), "en")}
        if self.hint is not None:
            data["hint"] = self.hint.to_json()
        if getattr(self, "figure", None):
            data["figure"] = self.figure
        return data

    def render(self, lang: str = "en") -> str:
        """Plain text, one labelled field a line (results.json's ``output`` is the English one)."""
        rows: list[tuple[str, str]] = []
        if self.where:
            rows.append((render(msg("label.where"), lang), self.where))
        if self.call:
            rows.append((render(msg("label.called"), lang), self.call))
        for name, text in self.shown.items():
            rows.append(("", f"{name} = {text}"))
        if self.got is not None:
            rows.append((render(msg("label.got"), lang), self.got))
        if self.expected is not None:
            rows.append((render(msg("label.expected"), lang), self.expected))
        if self.mistake:
            rows.append((render(msg("label.mistake"), lang),
                         render(mistake_message(self.mistake), lang)))
        if self.hint is not None:
            rows.append((render(msg("label.hint"), lang), render(self.hint, lang)))
        if self.detail and lang == "en":
            rows.append((render(msg("label.detail"), lang), self.detail))
        if self.printed:
            rows.append((render(msg("label.printed"), lang), self.printed))
        lines = [render(self.text, lang)]
        if self.quoted:
            lines += ["> " + line for line in self.quoted.splitlines()]
        lines += labelled(rows, render(msg("label_colon"), lang))
        return visible("\n".join(lines))  # the student's text, shown: no raw ESC, BEL, bidi


# ---------------------------------------------------------------- describing values

_INLINE = 6  # a call shows a 1-D array of up to this many entries inline
_ROWS = 12  # a matrix shows at most this many rows...
_COLS = 10  # ...and this many columns (a vector twice as many entries)...
_BLOCKS = 3  # ...and this many 2-D slices of a higher-dimensional array
_TEXT = 300  # other values are cut at this many characters


# ---------------------------------------------------------------- the numbers of a picture

FIGURE_CELLS = 576  # at most 24 x 24 entries drawn as a heat map
FIGURE_POINTS = 400  # at most this many points drawn as a curve
FIGURE_STRIP = 40  # a 1-D value of at most this many entries is drawn as one row of cells


def figure_data(got: Any, expected: Any, kind: str | None = None,
                **extra: Any) -> dict[str, Any] | None:
    """What the report can draw of a wrong value, as plain JSON numbers, or None.

    By default two 2-D numeric arrays of one shape become a ``matrix`` (heat
    maps of both and of their difference) and two short 1-D ones a one-row
    matrix; a suite asks for ``kind="curves"`` (a training curve, a gradient
    per layer: lines over the index) or ``kind="image"`` (a matrix drawn as
    a grey image, e.g. `rotate`'s). ``extra`` is kept as it is (JSON data:
    the input image, the best epoch). Entries keep five significant digits
    and a non-finite one becomes None, so results.json stays small and valid.
    """
    g, e = _drawable(got), _drawable(expected)
    if g is None or e is None or g.size == 0 or e.size == 0:
        return None
    if kind in ("curves", "gradients"):  # two curves may differ in length (one epoch late)
        if g.ndim != 1 or e.ndim != 1 or max(g.size, e.size) > FIGURE_POINTS:
            return None
    elif g.shape != e.shape:
        return None
    elif g.ndim == 1 and 2 <= g.size <= FIGURE_STRIP:
        g, e, kind = g[None, :], e[None, :], kind or "matrix"
    elif g.ndim == 2 and g.size <= FIGURE_CELLS:
        kind = kind or "matrix"
    else:
        return None
    return {"kind": kind, "got": figure_numbers(g), "expected": figure_numbers(e), **extra}


def _drawable(value: Any) -> np.ndarray | None:
    if isinstance(value, (list, tuple)) and 0 < len(value) <= FIGURE_POINTS and all(
            isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool)
            for v in value):
        value = np.asarray(value, dtype=np.float64)
    if not isinstance(value, np.ndarray) or value.dtype.kind not in "iuf" or value.ndim > 2:
        return None
    return value.astype(np.float64, copy=False)


def figure_numbers(a: np.ndarray) -> list[Any]:
    return [figure_numbers(row) for row in a] if a.ndim > 1 else [
        float(f"{v:.5g}") if np.isfinite(v) else None for v in a.tolist()]


def describe(value: Any, *, marks: np.ndarray | None = None,
             focus: tuple[int, ...] | None = None) -> str:
    """A readable, language-neutral rendering of a value, as code.

    Arrays read like numpy's repr (rows and columns, ``dtype=`` when it is
    not float64); a large array shows a window of rows and columns around
    ``focus`` (the worst entry) with ``...`` for the rest and its
    ``shape=``; ``marks`` (a boolean array shaped like the value) puts a
    ``*`` before each entry that differs from the other side.
    """
    if isinstance(value, np.ndarray):
        return _describe_array(value, marks, focus)
    return _describe_scalarish(value)


def _describe_scalarish(value: Any, depth: int = 0) -> str:
    if isinstance(value, np.generic) and not isinstance(value, np.ndarray):
        value = value.item()
    if isinstance(value, bool) or value is None:
        return repr(value)
    if isinstance(value, float):
        return _number(value)
    if isinstance(value, int):
        return repr(value)
    if isinstance(value, np.ndarray):
        return _array_glimpse(value)
    if depth < 3 and isinstance(value, (list, tuple)):
        inner = ", ".join(_describe_scalarish(v, depth + 1) for v in value[:_COLS])
        more = ", ..." if len(value) > _COLS else ""
        if isinstance(value, tuple):
            return f"({inner}{more}{',' if len(value) == 1 else ''})"
        return f"[{inner}{more}]"
    if depth < 3 and isinstance(value, dict):
        items = list(value.items())
        inner = ", ".join(f"{_describe_scalarish(k, depth + 1)}: "
                          f"{_describe_scalarish(v, depth + 1)}" for k, v in items[:_COLS])
        return "{" + inner + (", ..." if len(items) > _COLS else "") + "}"
    if isinstance(value, np.random.Generator):
        return "rng"
    if isinstance(value, str):
        text = repr(value)
    else:
        try:  # a student's object (public checks) may raise from any attribute it is asked for
            type_name = getattr(value, "type_name", None)
            if isinstance(type_name, str) and isinstance(getattr(value, "text", None), str):
                text = f"<{type_name}: {value.text}>"  # an Opaque stand-in from the sandbox
            elif callable(value) and isinstance(getattr(value, "__name__", None), str):
                text = value.__name__
            else:
                text = _safe_repr(value)
        except Exception:
            text = f"<{type(value).__name__} object>"
    return text if len(text) <= _TEXT else text[: _TEXT - 3] + "..."


def _safe_repr(value: Any) -> str:
    try:
        return repr(value)
    except Exception:  # a student's object whose __repr__ raises
        return f"<{type(value).__name__} object>"


def _number(value: float) -> str:
    """A float as Python writes it, to 10 significant digits: 0.25, 2.0, 1e-09, nan."""
    if not np.isfinite(value):
        return repr(value)
    text = format(value, ".10g")
    return text if any(c in text for c in ".e") else text + ".0"


def _entry(value: Any) -> str:
    if isinstance(value, (bool, np.bool_)):
        return repr(bool(value))
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    value = float(value)
    if not np.isfinite(value):
        return repr(value)
    text = format(value, ".6g")
    return text if any(c in text for c in ".en") else text + "."  # numpy's "1." for floats


def _dtype_suffix(array: np.ndarray) -> str:
    return "" if array.dtype == np.float64 else f", dtype={array.dtype}"


def _array_glimpse(array: np.ndarray) -> str:
    """An array inside a container or a call: inline when small, else its shape."""
    if array.ndim <= 1 and array.size <= _INLINE and array.dtype.kind in "biuf":
        return _describe_array(array, None, None)
    return f"array(shape={tuple(array.shape)}{_dtype_suffix(array)})"


def _window(n: int, limit: int, focus: int | None) -> list[int | None]:
    """Indices to show along an axis of length ``n`` (None marks a gap), keeping ``focus``."""
    if n <= limit:
        return list(range(n))
    keep = set(range(limit - 3)) | {n - 2, n - 1}
    if focus is not None and 0 <= focus < n:
        keep |= {focus - 1, focus, focus + 1} & set(range(n))
    shown: list[int | None] = []
    previous = -1
    for i in sorted(keep):
        if i > previous + 1:
            shown.append(None)
        shown.append(i)
        previous = i
    return shown


def _describe_array(array: np.ndarray, marks: np.ndarray | None,
                    focus: tuple[int, ...] | None) -> str:
    if array.dtype.kind not in "biuf":
        return _safe_repr(array)[:_TEXT]
    if marks is not None and (marks.shape != array.shape or not marks.any()):
        marks = None
    if array.ndim == 0:
        mark = "*" if marks is not None and bool(marks) else ""
        return f"array({mark}{_entry(array.item())}{_dtype_suffix(array)})"
    if array.size == 0:
        return f"array([], shape={tuple(array.shape)}{_dtype_suffix(array)})"
    limits = [_BLOCKS] * (array.ndim - 2) + [_ROWS, _COLS][-min(array.ndim, 2):]
    if array.ndim == 1:
        limits = [_COLS * 2]
    windows = [_window(n, lim, focus[k] if focus and k < len(focus) else None)
               for k, (n, lim) in enumerate(zip(array.shape, limits, strict=True))]
    elided = any(None in w for w in windows)
    positions = itertools.product(*[[i for i in w if i is not None] for w in windows])
    cells = {pos: _entry(array[pos]) for pos in positions}
    width = max(len(text) for text in cells.values())
    mark_width = 1 if marks is not None else 0

    def block(prefix: tuple[int, ...], axis: int, indent: int) -> str:
        """The rows of one axis, numpy-style: ``indent`` is the column of its ``[``."""
        window = windows[axis]
        if axis == array.ndim - 1:
            parts = []
            for i in window:
                if i is None:
                    parts.append("...".rjust(width + mark_width))
                    continue
                pos = (*prefix, i)
                mark = ("*" if marks[pos] else " ") if marks is not None else ""
                parts.append(mark + cells[pos].rjust(width))
            return "[" + ", ".join(parts) + "]"
        pieces = ["..." if i is None else block((*prefix, i), axis + 1, indent + 1)
                  for i in window]
        separator = "," + "\n" * (array.ndim - axis - 1) + " " * (indent + 1)
        return "[" + separator.join(pieces) + "]"

    text = block((), 0, len("array("))
    shape = f", shape={tuple(array.shape)}" if elided else ""
    return f"array({text}{_dtype_suffix(array)}{shape})"


def describe_call(name: str, args: Sequence[Any], kwargs: Mapping[str, Any], *,
                  brief: bool = False) -> str:
    """``name(arg, ..., key=value)``; an argument too large for one line is named and shown below.

    Small values stay inline (``mse(array([0.5, 0.5]), array([1., 0.]))``);
    a matrix becomes ``arg1`` in the call and ``arg1 = array([[...]])`` on
    the following lines, so it reads as rows and columns. ``brief`` shows
    large arrays by their shape only (inputs that matter only by size).
    """
    parts: list[str] = []
    below: list[str] = []
    for position, value in [*enumerate(args, 1), *kwargs.items()]:
        keyword = isinstance(position, str)
        if not brief and isinstance(value, np.ndarray) and value.dtype.kind in "biuf" and \
                (value.ndim > 1 or value.size > _INLINE):
            label = position if keyword else f"arg{position}"
            parts.append(f"{position}={label}" if keyword else str(label))
            body = describe(value)
            pad = " " * (len(str(label)) + 3)
            below.append("\n".join(line.rstrip() for line in
                                   (f"{label} = " + body.replace("\n", "\n" + pad)).split("\n")))
        else:
            text = _describe_scalarish(value)
            parts.append(f"{position}={text}" if keyword else text)
    return "\n".join([f"{name}({', '.join(parts)})", *below])


# ---------------------------------------------------------------- checking


@dataclass(frozen=True)
class Mistake:
    """A classic wrong answer: if the student's value matches ``value``, name ``code``.

    ``value`` is what the wrong formula would have returned for the same call
    (computed by the test), or a predicate over the student's value.
    """

    code: str
    value: Any

    def matches(self, got: Any, rtol: float, atol: float) -> bool:
        if callable(self.value):
            try:
                return bool(self.value(got))
            except Exception:
                return False
        return _close(got, self.value, rtol, atol)


# Mistakes to try on a failed check, or a function that computes them (only then).
Mistakes = Sequence[Mistake] | Callable[[], Sequence[Mistake]]


def plain(value: Any) -> Any:
    """A student's result as plain data (the public checks' side of the boundary).

    ndarray subclasses become ndarrays, numpy scalars Python numbers, tuples
    and lists are converted item by item; anything else is left for the
    comparison to reject as "not numeric".
    """
    if isinstance(value, np.ndarray):
        return np.array(value, copy=True) if type(value) is not np.ndarray else value
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, tuple):
        return tuple(plain(v) for v in value)
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def _as_array(value: Any) -> np.ndarray | None:
    """Plain numeric data as an ndarray, or None for anything that is not numeric."""
    if isinstance(value, (bool, int, float, np.number, np.bool_)):
        return np.asarray(value)
    if isinstance(value, np.ndarray) and value.dtype.kind in "biuf":
        return value
    if isinstance(value, (list, tuple)):
        try:
            arr = np.asarray(value, dtype=float)
        except (TypeError, ValueError):
            return None
        return arr
    return None


def _close(got: Any, expected: Any, rtol: float, atol: float) -> bool:
    """np.allclose's rule (|g - e| <= atol + rtol |e|, nan never close, equal infs close),
    without its Python-level overhead: this runs for every check of every student."""
    g, e = _as_array(got), _as_array(expected)
    if g is None or e is None or g.shape != e.shape:
        return False
    g = g.astype(float, copy=False)
    e = e.astype(float, copy=False)
    with np.errstate(all="ignore"):
        ok = np.abs(g - e) <= atol + rtol * np.abs(e)
        if not ok.all():
            ok |= (g == e)  # equal infinities
            return bool(ok.all())
    return True


def _plainly_close(got: Any, expected: Any, rtol: float, atol: float) -> bool:
    """The common case, decided cheaply: two floats, or two float arrays of one shape, close.

    True only where `expect_close` would pass (its shape, finiteness and
    closeness checks all hold: a nan or inf in either side is never
    "plainly" close, ``|g - e| <= atol + rtol |e|`` fails for it); anything
    else, a failure included, goes the long way that explains it. Hidden
    tests make hundreds of passing checks per submission, so this matters.
    """
    kind = type(got)
    if kind is float and type(expected) is float:
        return abs(got - expected) <= atol + rtol * abs(expected)  # False for nan and inf
    if kind is np.ndarray and type(expected) is np.ndarray and got.shape == expected.shape \
            and got.dtype.kind == "f" and expected.dtype.char == "d":  # computed in float64
        with np.errstate(all="ignore"):
            return bool((np.abs(got - expected) <= atol + rtol * np.abs(expected)).all())
    return False


# dtype of a low-precision float result -> (rtol, atol, significant digits) it is judged with.
# A float32 computation of a right formula is off by ~1e-7 relative per operation, so at the
# tests' 1e-6 it passed or failed by the seed's draw; at float32's own precision it passes
# for every seed, and a wrong formula, off by far more, still fails (with a word on dtype).
_LOW_PRECISION: dict[str, tuple[float, float, int]] = {"<f4": (1e-4, 1e-6, 7),
                                                       "<f2": (1e-2, 1e-3, 3)}


def _shape_text(shape: tuple[int, ...]) -> str:
    return str(tuple(int(s) for s in shape))


def _type_text(value: Any) -> str:
    type_name = getattr(value, "type_name", None)
    if isinstance(type_name, str):  # an Opaque stand-in names the student's type
        text = getattr(value, "text", None)
        if type_name.startswith("numpy.") and isinstance(text, str) and text.startswith(
                ("an array of shape", "complex numbers", "numbers of dtype",
                                           "array of dtype")):
            return f"{type_name}: {text}"  # what about it could not be used, in numpy's terms
        return type_name
    return type(value).__name__


def _not_numeric(what: Message, got: Any, expected: np.ndarray) -> Message:
    if got is None:
        return msg("compare.none", what=what)
    if expected.ndim == 0:
        return msg("compare.not_a_number", what=what, got_type=_type_text(got))
    return msg("compare.not_an_array", what=what, got_type=_type_text(got),
               expected_shape=_shape_text(expected.shape))


def expect_close(
    got: Any,
    expected: Any,
    *,
    call: object = None,
    rtol: float = 1e-6,
    atol: float = 1e-8,
    mistakes: Mistakes = (),
    what: str | Message = VALUE,
    allow_scalar_as_array: bool = True,
    hint: str | Message | None = None,
    figure: str | None = None,
) -> None:
    """Fail with teaching feedback unless ``got`` equals ``expected`` within tolerance.

    Checks, in order: numeric type, shape, finiteness, closeness; on a
    mismatch, each of ``mistakes`` is tried so the feedback can name it.
    ``mistakes`` may be a function returning them: what a wrong formula
    would give often costs more than the check, and is needed only when the
    check fails. ``what`` names the value (a Message, or a plain name such
    as ``"grad_w1"``, shown as code). ``figure`` is how the report draws a
    wrong value (`figure_data`'s ``kind``: ``"curves"``, ``"image"``).
    """
    if _plainly_close(got, expected, rtol, atol):
        return
    # an ndarray (the sandbox sends float32 numbers as 0-d arrays) or, in the in-process
    # backend, a numpy scalar
    low = _LOW_PRECISION.get(got.dtype.str) if isinstance(got, (np.ndarray, np.floating)) \
        else None
    if low is not None:  # float32 code: judged at float32's precision, the same for every seed
        if _close(got, expected, max(rtol, low[0]), max(atol, low[1])):
            return
        if hint is None:
            hint = msg("compare.low_precision", dtype=str(got.dtype), digits=low[2])
    exp = _as_array(expected)
    assert exp is not None, "expected value must be numeric"
    subject = what_named(what)
    g = _as_array(got)
    if g is None:
        raise Feedback(_not_numeric(subject, got, exp), kind="bad_result", call=call, got=got,
                       expected=expected, hint=hint, figure=figure)
    if g.shape != exp.shape and not (allow_scalar_as_array and g.size == 1 and exp.size == 1):
        text = msg("compare.not_one_number", what=subject, got_shape=_shape_text(g.shape)) \
            if exp.ndim == 0 else msg("compare.shape", what=subject,
                                      got_shape=_shape_text(g.shape),
                                      expected_shape=_shape_text(exp.shape))
        raise Feedback(text, call=call, got=got, expected=expected,
                       mistake=_first_mistake(got, mistakes, rtol, atol), hint=hint, figure=figure)
    g = g.reshape(exp.shape)
    with np.errstate(all="ignore"):
        gf, ef = g.astype(float), exp.astype(float)
    if np.all(np.isfinite(ef)) and not np.all(np.isfinite(gf)):
        marks = ~np.isfinite(gf) if gf.ndim else None
        raise Feedback(msg("compare.not_finite", what=subject), call=call, got=got,
                       expected=expected, marks=marks,
                       mistake=_first_mistake(got, mistakes, rtol, atol) or "overflow",
                       hint=hint, figure=figure)
    if not _close(g, exp, rtol, atol):
        with np.errstate(all="ignore"):
            diff = np.abs(gf - ef)
            differs = ~((diff <= atol + rtol * np.abs(ef)) | (gf == ef))
        known = ~np.isnan(diff)  # nan - nan, inf - inf: no distance to report there
        mistake = _first_mistake(got, mistakes, rtol, atol)
        if not known.any():
            text = msg("compare.differs_no_distance", what=subject)
            raise Feedback(text, call=call, got=got, expected=expected, mistake=mistake,
                           hint=hint, figure=figure)
        worst = float(diff[known].max())
        if diff.size == 1:
            text = msg("compare.differs_by", what=subject, difference=f"{worst:.3g}")
            raise Feedback(text, call=call, got=got, expected=expected, mistake=mistake,
                           hint=hint, figure=figure)
        index = tuple(int(i) for i in np.unravel_index(
            int(np.argmax(np.where(known, diff, -np.inf))), diff.shape))
        text = msg("compare.differs_in", what=subject, count=int(differs.sum()),
                   total=int(differs.size), difference=f"{worst:.3g}", index=str(index))
        shown_got = got if isinstance(got, np.ndarray) and got.shape == exp.shape else g
        raise Feedback(text, call=call, got=shown_got, expected=expected, marks=differs,
                       focus=index, mistake=mistake, hint=hint, figure=figure)


def _kind(value: Any) -> str | None:
    """A returned number's dtype kind ("b", "i", "u", "f"...), or None for anything else."""
    if isinstance(value, np.ndarray):
        return value.dtype.kind
    if isinstance(value, (bool, np.bool_)):
        return "b"
    if isinstance(value, (int, np.integer)):
        return "i"
    if isinstance(value, (float, np.floating)):
        return "f"
    return None


def expect_dtype(got: Any, rule: str, *, call: object = None, what: str | Message = VALUE,
                 mistake: str | None = "returned_wrong_dtype") -> None:
    """The contract's general rule on returned dtypes, checked after the values were.

    ``rule`` is ``"float"`` (an array of numbers is a floating-point array, a
    number a float: a bool or integer derivative fails even where its values
    are right), ``"zero_one"`` (step, perceptron and gates: 0/1 as integers
    or floats, never bool) or ``"mask"`` (a boolean array). Anything that is
    not a number or an array is left to the value checks.
    """
    kind = _kind(got)
    if kind is None:
        return
    if rule == "float" and kind not in "fc":
        text = msg("compare.not_float", what=what_named(what), dtype=_dtype_name(got))
    elif rule == "zero_one" and kind == "b":
        text = msg("compare.bool_not_numbers", what=what_named(what))
    elif rule == "mask" and kind != "b":
        text = msg("compare.mask_not_bool", what=what_named(what), dtype=_dtype_name(got))
    else:
        return
    raise Feedback(text, call=call, got=got, mistake=mistake)


def _dtype_name(value: Any) -> str:
    return str(value.dtype) if isinstance(value, np.ndarray) else type(value).__name__


def expect_tuple(got: Any, count: int, names: str, *, call: object = None) -> list[Any]:
    """A result that must be a tuple of ``count`` values, as a list (tuples cross as lists).

    ``names`` lists the parts as the contract writes them (``"h, a, y_pred"``).
    """
    if isinstance(got, (list, tuple)) and len(got) == count:
        return list(got)
    raise Feedback(msg("compare.not_a_tuple", count=count, names=names), kind="bad_result",
                   call=call, got=got)


def expect_equal(got: Any, expected: Any, *, call: object = None,
                 what: str | Message = VALUE, mistakes: Mistakes = (),
                 hint: str | Message | None = None, figure: str | None = None) -> None:
    """Exact equality for integer, boolean and 0/1 results (gates, step, masks)."""
    expect_close(got, expected, call=call, rtol=0.0, atol=0.0, mistakes=mistakes, what=what,
                 hint=hint, figure=figure)


def expect_declared_default(declared: Mapping[str, Any], name: str, param: str,
                            contract: Any, *, call: object, signature: str) -> None:
    """The default ``name`` declares for ``param`` (``declared``, from
    `nngrade.worker.drivers.signature.declared_defaults`) is the contract's.

    For the defaults that behaviour shows only at a price no grader pays
    (``epochs=20000``: a full training run). Only a declared number is judged:
    ``epochs=None`` resolved in the body is left to behaviour.
    """
    value = declared.get(param)
    if type(value) not in (int, float) or value == contract:
        return
    raise Feedback(msg("compare.declared_default", name=name, param=param), call=call,
                   got=value, expected=contract, mistake="wrong_default_argument",
                   hint=msg("hint.contract_defaults", signature=signature))


def expect_true(condition: bool, message: str | Message, *, call: object = None,
                got: Any = _NOTHING, expected: Any = _NOTHING, mistake: str | None = None,
                hint: str | Message | None = None) -> None:
    """Fail with ``message`` unless a property of the student's result holds."""
    if not condition:
        raise Feedback(message, call=call, got=got, expected=expected, mistake=mistake,
                       hint=hint)


def expect_raises_value_error(outcome: Any, *, call: object, mistake: str | None = None) -> None:
    """``outcome`` is a `nngrade.records.CallResult`: the call must have raised ValueError."""
    if outcome.status == "raised" and outcome.error_type == "ValueError":
        return
    name = str(call or "").split("(", 1)[0].strip()
    if outcome.status not in ("ok", "raised"):
        raise call_failure(outcome, name=name, module="", call=call)
    if outcome.status == "raised":
        raise Feedback(msg("compare.value_error_but_raised", error_type=outcome.error_type
                           or "Exception"), call=call, mistake=mistake,
                       quoted=outcome.error or "")
    raise Feedback(msg("compare.value_error_but_returned"), call=call, got=outcome.value,
                   mistake=mistake)


def expect_value_error(student: Any, name: str, args: tuple = (),
                       mistake: str | None = None) -> None:
    """Call ``student.<name>(*args)``: it must raise ValueError.

    A call that is not implemented, timed out or crashed gets that feedback,
    not "returned normally".
    """
    outcome = student.outcome(name, args)
    if outcome.status not in ("ok", "raised"):
        student.value_of(outcome, name)  # raises the Feedback for not_implemented, timeout...
    expect_raises_value_error(outcome, call=student.last_call, mistake=mistake)


def driver_facts(got: Any, call: object, keys: tuple[str, ...] = (),
                 lists: Mapping[str, int] | None = None) -> dict[str, Any]:
    """A scenario driver's dict, checked for shape before anything is read from it.

    The student's code runs beside the trusted driver in the worker, so a
    tampered reply must become feedback, never an error of the grader's.
    """
    lists = lists or {}
    readable = isinstance(got, dict) and (set(keys) | set(lists)) <= set(got) and all(
        isinstance(got[key], list) and len(got[key]) == length for key, length in lists.items())
    if not readable:
        raise Feedback(msg("compare.unreadable_scenario"), kind="bad_result", call=call)
    return got


def expect_no_warnings(outcome: Any, *, call: object, mistake: str | None = "overflow") -> None:
    """The call must not have made numpy (or anything) warn, e.g. about overflow in exp."""
    if outcome.warnings:
        raise Feedback(msg("compare.warned"), call=call, mistake=mistake,
                       quoted="\n".join(outcome.warnings[:3]))


def _first_mistake(got: Any, mistakes: Mistakes, rtol: float, atol: float) -> str | None:
    for m in (mistakes() if callable(mistakes) else mistakes):
        if m.matches(got, max(rtol, 1e-6), max(atol, 1e-8)):
            return m.code
    return None


# ---------------------------------------------------------------- calls that gave no value

# Every status a call into student code can end with, other than "ok".
STATUSES = ("not_implemented", "missing_module", "missing_name", "import_error", "raised",
            "timeout", "crashed", "bad_result", "limit")
_TIMEOUTS = {"submission_seconds": "status.timeout_submission",
             "cpu_seconds": "status.timeout_cpu", "import_seconds": "status.timeout_import"}


def _limit_name(limit: str | None) -> Message:
    return msg(f"limit_name.{limit}") if limit in LIMIT_NAMES else msg("limit_name.other")


LIMIT_NAMES = ("call_seconds", "import_seconds", "submission_seconds", "cpu_seconds",
               "memory_bytes", "file_bytes", "scratch_bytes", "scratch_files", "open_files",
               "processes", "output_chars", "max_elements", "max_frame_bytes", "max_depth",
               "max_items")


_STUB_TODO = re.compile(r"TODO: implement ([A-Za-z_][\w.]*\w)")


def _unimplemented_name(error: str) -> str:
    """The name a stub's ``NotImplementedError("TODO: implement NAME ...")`` gives, else ""."""
    found = _STUB_TODO.search(error)
    return found.group(1) if found else ""


def _time_limit(outcome: Any, error: str) -> str:
    """The limit a call ran into, as the sandbox stated it ("did not finish within 0.5 s").

    Never the measured time: that varies with the machine's load, and a
    report must be a function of the code alone (two runs, one report).
    """
    stated = re.search(r"within ([0-9.]+) s", error)
    if stated:
        return stated.group(1)
    return f"{float(getattr(outcome, 'seconds', 0.0) or 0.0):.1g}"


def call_failure(outcome: Any, *, name: str, module: str, call: object = None) -> Feedback:
    """The Feedback for a call into student code that gave no value (``outcome.status != "ok"``).

    ``outcome`` has the runner's ``Outcome`` fields (status, error,
    error_type, seconds, limit). The student's exception text is quoted
    verbatim; the sandbox's own wording of a timeout or crash is kept as
    ``detail`` (for instructors, in English), and the sentence names the
    limit by id so a Chinese report says it in Chinese.
    """
    status = str(outcome.status)
    error = str(getattr(outcome, "error", "") or "").strip()
    limit = getattr(outcome, "limit", None)
    if status == "not_implemented":
        inner = _unimplemented_name(error)
        if inner.startswith(name + "."):  # a method of the class under test: name it
            return Feedback(msg("status.not_implemented", name=inner), kind=status)
        if inner and inner != name and not name.endswith("." + inner):
            # Given code (Variable.__add__) or a finished function that calls a stub: say
            # which one is missing, never that the code the student has is not there.
            return Feedback(msg("status.not_implemented_inside", name=name, inner=inner),
                            kind=status)
        return Feedback(msg("status.not_implemented", name=name), kind=status)
    if status == "missing_module":
        return Feedback(msg("status.missing_module", name=name, module=module), kind=status)
    if status == "missing_name":
        return Feedback(msg("status.missing_name", name=name, module=module), kind=status)
    if status == "import_error":
        return Feedback(msg("status.import_error", name=name, module=module), kind=status,
                        quoted=error)
    if status == "raised":
        error_type = str(getattr(outcome, "error_type", "") or "") or "Exception"
        return Feedback(msg("status.raised", name=name, error_type=error_type), kind=status,
                        call=call, quoted=error)
    if status == "timeout":
        text = msg(_TIMEOUTS[limit], name=name, module=module) if limit in _TIMEOUTS \
            else msg("status.timeout", name=name, seconds=_time_limit(outcome, error))
        return Feedback(text, kind=status, call=call, detail=error)
    if status in ("crashed", "bad_result", "limit"):
        text = msg(f"status.{status}", name=name, limit=_limit_name(limit)) if limit \
            else msg(f"status.{status}_plain", name=name)
        return Feedback(text, kind=status, call=call, detail=error)
    return Feedback(msg("status.other", name=name, status=status), kind=status, call=call,
                    detail=error)
