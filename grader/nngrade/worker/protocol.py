"""The wire format between the grader and the worker: JSON frames, never pickle.

Why JSON: a pickle from a hostile process is arbitrary code in the grader, and
even ``numpy.load(allow_pickle=False)`` hands back objects the parent then
calls methods on. JSON turns into nothing but dicts, lists, strings and
numbers, and arrays travel as ``{dtype, shape, base64 bytes}`` that the parent
rebuilds as plain ``numpy.ndarray`` after checking dtype, shape and size.

A frame is a 4-byte big-endian length followed by that many bytes of UTF-8
JSON. Values inside frames are "encoded": JSON scalars and lists stand for
themselves, everything else is a dict tagged by its ``"$"`` key:

    {"$": "nd", "dtype": "<f8", "shape": [2, 3], "data": "<base64>"}
    {"$": "tuple", "v": [...]}          {"$": "dict", "v": {"key": ...}}
    {"$": "opaque", "type": "autodiff.Variable", "text": "Variable(3.0)"}
    {"$": "toobig", "text": "array of shape (100000, 100000)"}
    {"$": "rng", "seed": 7}             {"$": "fn", "name": "quadratic", "params": ...}

The last two go from the grader to the worker only.

The messages, by channel (``nngrade.sandbox.*`` sends and reads the grader's
side, ``nngrade.worker.*`` the worker's; both name their half of each):

- control socket, one JSON datagram each (no length header). Orders from the
  grader: ``{"op": "spawn", "seq", "child": {...}}`` with the new child's
  request-read and reply-write pipe fds attached (``child`` is
  ``nngrade.sandbox.child.child_config``), ``{"op": "kill", "seq"}``,
  ``{"op": "exit"}``. Events from the zygote: ``{"event": "ready", "seccomp",
  "python", "numpy", "drivers", ...}`` once, ``{"event": "ended", "seq",
  "killed", "exit" | "signal", "cpu_seconds", "reason"?}`` per child.
- request pipe, frames from the grader: ``{"op": "load", "id", "sources",
  "eager", "poisoned"}`` once per child, then ``{"op": "call", "id",
  "timeout", "module", "name", "args", "kwargs"}`` and ``{"op": "drive",
  "id", "timeout", "driver", "params"}`` (``args``/``kwargs``/``params``
  encoded values), and ``{"op": "ping", "id"}``.
- reply pipe, frames from the child: ``{"kind": "hello", "seccomp",
  "rlimits", ...}`` first; ``{"kind": "progress", "id", "event": "importing" |
  "imported", "module"}`` around each student module's import; one ``{"kind":
  "reply", "id", "status", "value"?, "error"?, "error_type"?, "limit"?,
  "output"?, "warnings"?, "cpu_seconds"?}`` per request, in order (``status`` one
  of ``nngrade.sandbox.api.STATUSES`` or ``internal``; a load's ``value`` maps
  each eager module to "ok" or its error text).

The encoder runs inside
the worker, where student code may have replaced numpy functions, so it reads
values only through the C-level methods of the built-in types, captured when
this module is imported (before any student code runs); correctness still
never depends on that, because the parent's decoder trusts nothing.

This module imports only the standard library and numpy.
"""

from __future__ import annotations

import base64
import functools
import json
import struct
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = [
    "ALLOWED_DTYPES",
    "DecodeLimits",
    "Fn",
    "Opaque",
    "ProtocolError",
    "ResultTooLarge",
    "Rng",
    "decode_value",
    "dumps_frame",
    "encode_body",
    "encode_value",
    "frame_length",
    "frame_of",
    "loads_payload",
]

HEADER = struct.Struct(">I")

# dtype.str of every array dtype that may cross (native little-endian only;
# the encoder converts big-endian arrays first). No object, complex, string,
# datetime or structured dtypes: nothing whose decoding could run code or
# whose comparison semantics the suites do not expect.
ALLOWED_DTYPES: frozenset[str] = frozenset(
    {"|b1", "|i1", "<i2", "<i4", "<i8", "|u1", "<u2", "<u4", "<u8", "<f2", "<f4", "<f8"}
)
_ALLOWED_KINDS = frozenset("biuf")


class ProtocolError(ValueError):
    """A frame or value that does not follow the wire format (a hostile or broken peer)."""


class ResultTooLarge(ProtocolError):
    """A value that is well-formed but over a size limit (``{"$": "toobig"}`` or caps)."""


@dataclass(frozen=True)
class Opaque:
    """Stands for a value that could not cross the boundary (a student object, a generator...).

    Only its type name and a short text survive. An ``Opaque`` equals only an
    identical ``Opaque``, so no comparison in the grader can be fooled by it.
    """

    type_name: str
    text: str


@dataclass(frozen=True)
class Rng:
    """An argument the worker replaces with ``numpy.random.default_rng(seed)``."""

    seed: int | tuple[int, ...]

    def generator(self) -> np.random.Generator:
        """The same generator the worker builds, for computing expected values."""
        return np.random.default_rng(self.seed)


@dataclass(frozen=True)
class Fn:
    """An argument the worker replaces with a function of the trusted library.

    ``name`` is a key of ``nngrade.worker.functions.FUNCTIONS``; ``params`` is
    plain data. Calling an ``Fn`` in the grader evaluates the same function,
    so expected values can be computed with the very same object.
    """

    name: str
    params: Mapping[str, Any] = field(default_factory=dict)

    def resolve(self) -> Callable[..., Any]:
        from nngrade.worker.functions import make  # local: functions imports us

        return make(self.name, self.params)

    @functools.cached_property
    def _function(self) -> Callable[..., Any]:
        return self.resolve()

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        # Built once: the reference calls a descent's gradient hundreds of times.
        return self._function(*args, **kwargs)


@dataclass(frozen=True)
class DecodeLimits:
    """Caps the decoder enforces; the grader uses the values of its ``Limits``."""

    max_elements: int = 4_000_000
    max_depth: int = 32
    max_items: int = 1_000_000
    max_text: int = 1 << 20


# ----------------------------------------------------------------- framing


_ENCODER = json.JSONEncoder(separators=(",", ":"), allow_nan=True, check_circular=False)
_DECODER = json.JSONDecoder()


def dumps_frame(message: Mapping[str, Any]) -> bytes:
    """One frame: the 4-byte length and the JSON body."""
    body = _ENCODER.encode(message).encode("ascii")
    return HEADER.pack(len(body)) + body


def encode_body(message: Mapping[str, Any]) -> bytes:
    """A request's JSON body without its id and time limit, which `frame_of` adds."""
    return _ENCODER.encode(message).encode("ascii")


def frame_of(body: bytes, request_id: int, timeout: float) -> bytes:
    """The frame of a request encoded by `encode_body`, with its id and time limit first."""
    whole = b'{"id":%d,"timeout":%s,%s' % (
        request_id, _ENCODER.encode(float(timeout)).encode("ascii"), body[1:])
    return HEADER.pack(len(whole)) + whole


def frame_length(header: bytes, max_frame: int) -> int:
    """The body length announced by a 4-byte header, refused if over ``max_frame``."""
    (length,) = HEADER.unpack(header)
    if length > max_frame:
        raise ResultTooLarge(f"a reply of {length} bytes (limit {max_frame})")
    return length


def loads_payload(body: bytes, max_items: int | None = None) -> dict[str, Any]:
    """Parse one frame body; anything but a JSON object is a ``ProtocolError``.

    With ``max_items``, a body is refused *before* parsing if it could hold
    more than that many values: 16 MB of ``[[],[],...]`` would otherwise
    become five million Python lists in the grader. Brackets and commas are
    counted on the raw bytes (strings included, so this over-counts, never
    under-counts).
    """
    if max_items is not None:
        containers = body.count(b"[") + body.count(b"{")
        if containers > max_items // 4 or body.count(b",") > 2 * max_items:
            raise ResultTooLarge(f"a reply with more than {max_items} values")
    try:
        message = _DECODER.decode(body.decode("utf-8"))
    except (ValueError, RecursionError) as exc:  # UnicodeDecodeError is a ValueError
        raise ProtocolError(f"not a JSON frame ({type(exc).__name__})") from None
    if type(message) is not dict:
        raise ProtocolError("a frame must be a JSON object")
    return message


# ----------------------------------------------------------------- encoding

# Captured now, before any student code can monkeypatch numpy or builtins.
_ndarray = np.ndarray
_generic = np.generic
_nd_view = np.ndarray.view
_nd_copy = np.ndarray.copy
_nd_tobytes = np.ndarray.tobytes
_nd_astype = np.ndarray.astype
# NumPy number types that cross as float64 when that keeps their value (see `_as_float64`).
_WIDE_SCALARS = frozenset({np.longdouble, np.complex64, np.complex128, np.clongdouble})
_b64encode = base64.b64encode
_b64decode = base64.b64decode
_frombuffer = np.frombuffer
_np_dtype = np.dtype
_repr = repr
_type_name_of = type.__dict__["__qualname__"].__get__
_type_module_of = type.__dict__["__module__"].__get__
_int = int.__int__
_float = float.__float__
_str = str.__str__
_list_copy = list.copy
_dict_copy = dict.copy
_dict_items = dict.items
_tuple_slice = tuple.__getitem__
_EXACT_SCALARS = frozenset(
    {
        np.bool_,
        np.int8,
        np.int16,
        np.int32,
        np.int64,
        np.uint8,
        np.uint16,
        np.uint32,
        np.uint64,
        np.float64,
        np.longlong,
        np.ulonglong,
        np.intc,
        np.uintc,
    }
)
_item = np.generic.item
_EVERYTHING = slice(None)
_MAX_DIM = 2**31 - 1
_MAX_INT_BITS = 8192  # ~2466 digits, under Python's 4300-digit str() limit


def type_name(value: Any) -> str:
    """``module.QualName`` of ``type(value)``, read without running code of the student's."""
    cls = type(value)
    try:
        module = _type_module_of(cls)
        name = _type_name_of(cls)
    except Exception:  # noqa: BLE001 - a metaclass may break anything
        return "object"
    module = module if type(module) is str else "?"
    name = name if type(name) is str else "?"
    return name if module == "builtins" else f"{module}.{name}"


def short_text(value: Any, limit: int = 200) -> str:
    """``repr(value)`` cut to ``limit`` characters; student ``__repr__`` may raise or lie."""
    try:
        text = _repr(value)
        text = _str(text) if isinstance(text, str) else "?"
    except BaseException:  # noqa: BLE001 - student code; includes SystemExit
        text = f"<{type_name(value)} object>"
    return text if len(text) <= limit else text[: limit - 3] + "..."


class _Budget:
    __slots__ = ("items", "limits")

    def __init__(self, limits: DecodeLimits) -> None:
        self.items = 0
        self.limits = limits

    def take(self, count: int = 1) -> None:
        self.items += count
        if self.items > self.limits.max_items:
            raise ResultTooLarge(f"more than {self.limits.max_items} values")


def encode_value(value: Any, limits: DecodeLimits | None = None, *, strict: bool = False) -> Any:
    """``value`` as JSON-able data in the tagged format above.

    Inside the worker (``strict=False``) anything that cannot cross becomes an
    ``opaque`` tag and anything over a cap a ``toobig`` tag, so the grader can
    say exactly what came back. In the grader (``strict=True``) those are bugs
    in a suite and raise ``TypeError`` / ``ResultTooLarge`` instead.
    """
    limits = limits or DecodeLimits()
    try:
        return _encode(value, _Budget(limits), 0, strict)
    except ResultTooLarge as exc:
        if strict:
            raise
        return {"$": "toobig", "text": str(exc)}


def _encode(value: Any, budget: _Budget, depth: int, strict: bool) -> Any:
    budget.take()
    if depth > budget.limits.max_depth:
        raise ResultTooLarge(f"nesting deeper than {budget.limits.max_depth}")
    cls = type(value)
    if value is None or cls is bool or cls is float:
        return value
    if cls is int:
        if value.bit_length() > _MAX_INT_BITS:  # json would refuse to print it
            raise ResultTooLarge(f"an integer of {value.bit_length()} bits")
        return value
    if cls is str:
        if len(value) > budget.limits.max_text:
            raise ResultTooLarge(f"a string of {len(value)} characters")
        return value
    if cls is _ndarray:  # the common case first
        return _encode_array(value, budget, strict)
    if cls is list:
        items = _list_copy(value)
        budget.take(len(items))
        if depth < budget.limits.max_depth and _all_floats(items):
            budget.take(len(items))  # what the items would cost one by one
            return items  # a list of plain floats (a driver's facts) stands for itself
        return [_encode(v, budget, depth + 1, strict) for v in items]
    if cls is tuple:
        budget.take(len(value))
        return {"$": "tuple", "v": [_encode(v, budget, depth + 1, strict) for v in value]}
    if cls is Rng:
        seed = value.seed
        return {"$": "rng", "seed": list(seed) if isinstance(seed, tuple) else seed}
    if cls is Fn:
        return {
            "$": "fn",
            "name": value.name,
            "params": _encode(dict(value.params), budget, depth + 1, strict),
        }
    if issubclass(cls, _ndarray):
        return _encode_array(_nd_view(value, _ndarray), budget, strict)
    if issubclass(cls, _generic):
        if cls in _EXACT_SCALARS:
            return _item(value)
        if cls is np.float32 or cls is np.float16:
            # as a 0-d array: a float32 result keeps its dtype, so it is judged at float32's
            # precision and told about it (a Python float would hide it; see nngrade.feedback)
            return _encode_array(np.asarray(value), budget, strict)
        if cls in _WIDE_SCALARS:
            converted, why = _as_float64(np.asarray(value))
            if converted is None:
                return _opaque(value, strict, why)
            return float(converted[()])
        return _opaque(value, strict)
    if issubclass(cls, int):
        return _encode(_int(value), budget, depth, strict)
    if issubclass(cls, float):
        return _float(value)
    if issubclass(cls, str):
        return _encode(_str(value), budget, depth, strict)
    if issubclass(cls, list):
        items = _list_copy(value)
        budget.take(len(items))  # refuse a huge list before walking it
        return [_encode(v, budget, depth + 1, strict) for v in items]
    if issubclass(cls, tuple):
        members = _tuple_slice(value, _EVERYTHING)
        budget.take(len(members))
        return {"$": "tuple", "v": [_encode(v, budget, depth + 1, strict) for v in members]}
    if issubclass(cls, dict):
        plain = _dict_copy(value)
        budget.take(len(plain))
        out: dict[str, Any] = {}
        for key, item in _dict_items(plain):
            if not issubclass(type(key), str):
                return _opaque(value, strict, "a dict whose keys are not all strings")
            out[_str(key)] = _encode(item, budget, depth + 1, strict)
        return {"$": "dict", "v": out}
    return _opaque(value, strict)


_FLOAT_ONLY = frozenset({float})


def _all_floats(items: list) -> bool:
    """Every item an exact ``float`` (not a subclass, nothing of a student's to call)."""
    return {type(v) for v in items} <= _FLOAT_ONLY


def _opaque(value: Any, strict: bool, why: str = "") -> dict[str, str]:
    if strict:
        raise TypeError(f"cannot send {type_name(value)} to the worker {why}".strip())
    return {"$": "opaque", "type": type_name(value), "text": why or short_text(value)}


def _as_float64(array: np.ndarray) -> tuple[np.ndarray | None, str]:
    """A long double or complex ``array`` as float64, or None and why that would change it.

    A student who writes ``np.longdouble`` or gets a complex dtype from ``np.roots`` has a
    number: it crosses as float64 when the imaginary part is 0 and float64 can hold it
    (a long double is rounded to float64's 16 digits, far inside every tolerance)."""
    if array.dtype.kind == "c":
        with np.errstate(all="ignore"):
            if bool((array.imag != 0).any()):
                return None, (f"complex numbers (dtype {array.dtype}) with a non-zero "
                              "imaginary part, where real numbers are expected")
            array = array.real
    with np.errstate(all="ignore"):
        out = _nd_astype(array, np.float64)
        if bool((np.isinf(out) & np.isfinite(array)).any()):
            return None, f"numbers of dtype {array.dtype} too large for float64"
    return out, ""


def _encode_array(array: np.ndarray, budget: _Budget, strict: bool) -> Any:
    dtype = array.dtype
    if dtype.kind == "c" or (dtype.kind == "f" and dtype.itemsize > 8):
        if array.size > budget.limits.max_elements:
            raise ResultTooLarge(
                f"an array of shape {tuple(array.shape)} ({array.size} elements, "
                f"limit {budget.limits.max_elements})"
            )
        converted, why = _as_float64(array)
        if converted is None:
            if strict:
                raise TypeError(f"cannot send an array of dtype {dtype}")
            return {"$": "opaque", "type": "numpy.ndarray",
                    "text": f"an array of shape {tuple(array.shape)} holding {why}"}
        array, dtype = converted, converted.dtype
    if dtype.kind not in _ALLOWED_KINDS or dtype.fields is not None or dtype.subdtype is not None:
        if strict:
            raise TypeError(f"cannot send an array of dtype {dtype}")
        text = f"array of dtype {dtype} and shape {tuple(array.shape)}"
        return {"$": "opaque", "type": "numpy.ndarray", "text": text}
    if array.ndim > 8:
        raise ResultTooLarge(f"an array with {array.ndim} dimensions (limit 8)")
    if array.size > budget.limits.max_elements:
        raise ResultTooLarge(
            f"an array of shape {tuple(array.shape)} ({array.size} elements, "
            f"limit {budget.limits.max_elements})"
        )
    if dtype.str not in ALLOWED_DTYPES:
        if dtype.kind == "f" and dtype.itemsize > 8:  # long double: refuse, do not round
            if strict:
                raise TypeError(f"cannot send an array of dtype {dtype}")
            return {"$": "opaque", "type": "numpy.ndarray", "text": f"array of dtype {dtype}"}
        array = _nd_astype(array, dtype.newbyteorder("<"))
        dtype = array.dtype
    data = _b64encode(_nd_tobytes(array, "C")).decode("ascii")
    return {"$": "nd", "dtype": dtype.str, "shape": list(array.shape), "data": data}


# ----------------------------------------------------------------- decoding


def decode_value(
    data: Any,
    limits: DecodeLimits | None = None,
    *,
    make_rng: Callable[[Any], Any] | None = None,
    make_fn: Callable[[str, Any], Any] | None = None,
) -> Any:
    """The Python value of encoded ``data``, checked against ``limits``.

    Raises ``ProtocolError`` for anything malformed and ``ResultTooLarge`` for
    anything over a cap. ``rng`` and ``fn`` tags are accepted only when the
    caller passes a factory for them (the worker does; the grader does not).
    Arrays come back as fresh, writable, native ``numpy.ndarray``.
    """
    return _decode(data, _Budget(limits or DecodeLimits()), 0, make_rng, make_fn)


def _decode(data: Any, budget: _Budget, depth: int, make_rng: Any, make_fn: Any) -> Any:
    budget.take()
    if depth > budget.limits.max_depth:
        raise ResultTooLarge(f"nesting deeper than {budget.limits.max_depth}")
    cls = type(data)
    if data is None or cls is bool or cls is int:
        return data
    if cls is float:
        return data
    if cls is str:
        if len(data) > budget.limits.max_text:
            raise ResultTooLarge(f"a string of {len(data)} characters")
        return data
    if cls is list:
        budget.take(len(data))
        if depth < budget.limits.max_depth and _all_floats(data):
            budget.take(len(data))  # what the items would cost one by one
            return list(data)
        return [_decode(v, budget, depth + 1, make_rng, make_fn) for v in data]
    if cls is not dict:
        raise ProtocolError(f"unexpected JSON value of type {cls.__name__}")
    tag = data.get("$")
    if tag == "nd":
        return _decode_array(data, budget)
    if tag == "tuple":
        items = _field(data, "v", list)
        budget.take(len(items))
        return tuple(_decode(v, budget, depth + 1, make_rng, make_fn) for v in items)
    if tag == "dict":
        items = _field(data, "v", dict)
        budget.take(len(items))
        return {
            _check_key(k): _decode(v, budget, depth + 1, make_rng, make_fn)
            for k, v in items.items()
        }
    if tag == "opaque":
        return Opaque(
            _short(_field(data, "type", str), 200), _short(_field(data, "text", str), 500)
        )
    if tag == "toobig":
        raise ResultTooLarge(_short(_field(data, "text", str), 300))
    if tag == "rng" and make_rng is not None:
        seed = _decode(data.get("seed"), budget, depth + 1, None, None)
        return make_rng(seed)
    if tag == "fn" and make_fn is not None:
        params = _decode(data.get("params", {"$": "dict", "v": {}}), budget, depth + 1, None, None)
        return make_fn(_field(data, "name", str), params)
    raise ProtocolError(f"unknown value tag {_short(repr(tag), 40)}")


def _field(data: dict, key: str, kind: type) -> Any:
    value = data.get(key)
    if type(value) is not kind:
        raise ProtocolError(f"field {key!r} must be a {kind.__name__}")
    return value


def _check_key(key: Any) -> str:
    if type(key) is not str:  # JSON keys are always str; kept for clarity
        raise ProtocolError("dict keys must be strings")
    return key


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


_DTYPES = {name: np.dtype(name) for name in ALLOWED_DTYPES}
_LITTLE = sys.byteorder == "little"


def _decode_array(data: dict, budget: _Budget) -> np.ndarray:
    dtype = _DTYPES.get(data.get("dtype"))  # type: ignore[arg-type]
    if dtype is None:
        raise ProtocolError(f"array dtype {_short(repr(data.get('dtype')), 20)} is not allowed")
    shape = data.get("shape")
    if type(shape) is not list or len(shape) > 8:
        raise ProtocolError("array shape must be a list of at most 8 integers")
    size = 1
    for n in shape:
        if type(n) is not int or n < 0 or n > _MAX_DIM:
            raise ProtocolError("array shape must be integers from 0 to 2**31 - 1")
        size *= n
    if size > budget.limits.max_elements:
        raise ResultTooLarge(
            f"an array of shape {tuple(shape)} ({size} elements, "
            f"limit {budget.limits.max_elements})"
        )
    text = data.get("data")
    if type(text) is not str:
        raise ProtocolError("array data must be a base64 string")
    nbytes = size * dtype.itemsize
    if len(text) != 4 * ((nbytes + 2) // 3):
        raise ProtocolError(f"array data does not match shape {tuple(shape)} of {dtype.str}")
    try:
        raw = _b64decode(text, validate=True)
    except ValueError:  # binascii.Error is a ValueError
        raise ProtocolError("array data is not valid base64") from None
    if len(raw) != nbytes:
        raise ProtocolError(f"array data has {len(raw)} bytes, shape needs {nbytes}")
    try:
        array = _frombuffer(bytearray(raw), dtype=dtype).reshape(shape)
    except (ValueError, TypeError, OverflowError) as exc:  # numpy's own limits
        raise ProtocolError(f"array of shape {_short(str(shape), 60)}: {exc}") from None
    if dtype.kind == "b" and size and not (array.view(np.uint8) <= 1).all():
        raise ProtocolError("boolean array holds bytes other than 0 and 1")
    if not _LITTLE:
        array = array.astype(dtype.newbyteorder("="))
    return array


def encode_args(
    args: Sequence[Any], kwargs: Mapping[str, Any], limits: DecodeLimits | None = None
) -> tuple[Any, Any]:
    """Encode call arguments in the grader (strict: a suite bug raises here, not in the worker)."""
    return (
        encode_value(tuple(args), limits, strict=True),
        encode_value(dict(kwargs), limits, strict=True),
    )
