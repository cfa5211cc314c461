"""The wire format: plain data survives the round trip exactly; anything malformed is refused."""

from __future__ import annotations

import base64
import json
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from nngrade.worker import functions
from nngrade.worker.protocol import (
    ALLOWED_DTYPES,
    DecodeLimits,
    Fn,
    Opaque,
    ProtocolError,
    ResultTooLarge,
    Rng,
    decode_value,
    dumps_frame,
    encode_value,
    frame_length,
    loads_payload,
)


def wire(value, limits=None, **factories):
    """encode -> frame -> parse -> decode, as between the grader and the worker."""
    frame = dumps_frame({"v": encode_value(value, limits, strict=True)})
    assert frame_length(frame[:4], 1 << 30) == len(frame) - 4
    return decode_value(loads_payload(frame[4:])["v"], limits, **factories)


plain = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**200), max_value=2**200)
    | st.floats(allow_nan=False)
    | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.tuples(inner, inner)
        | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)


@given(plain)
def test_plain_data_round_trips(value):
    back = wire(value)
    assert back == value
    assert type(back) is type(value)


@given(st.lists(st.floats(allow_nan=True), max_size=5))
def test_non_finite_floats_round_trip(values):
    back = wire(values)
    assert len(back) == len(values)
    for a, b in zip(back, values, strict=True):
        assert (math.isnan(a) and math.isnan(b)) or a == b


dtypes = st.sampled_from(sorted(ALLOWED_DTYPES)).map(np.dtype)


@settings(max_examples=150)
@given(hnp.arrays(dtypes, hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=5)))
def test_arrays_round_trip_exactly(array):
    back = wire(array)
    assert type(back) is np.ndarray
    assert back.dtype == array.dtype and back.shape == array.shape
    assert np.array_equal(back, array, equal_nan=array.dtype.kind == "f")
    assert back.flags.writeable


def test_views_subclasses_and_byte_order():
    base = np.arange(12.0).reshape(3, 4)
    assert np.array_equal(wire(base.T[::2]), base.T[::2])
    assert type(wire(np.ma.masked_array([1.0, 2.0], mask=[0, 1]))) is np.ndarray
    big = np.arange(3, dtype=">i4")
    back = wire(big)
    assert back.dtype == np.dtype("<i4") and back.tolist() == [0, 1, 2]
    assert wire(np.broadcast_to(np.float32(1), (2, 2))).tolist() == [[1, 1], [1, 1]]


def test_numpy_scalars_become_python_numbers():
    assert wire(
        (np.float64(0.5), np.float32(0.25), np.int8(-3), np.uint64(2**63), np.bool_(0))
    ) == (
        0.5,
        0.25,
        -3,
        2**63,
        False,
    )


def test_what_cannot_cross():
    class Thing:
        def __repr__(self):
            raise RuntimeError("no repr")

    for value in (Thing(), {1: 2}, b"bytes", 1j, np.array([1j]), np.array(["s"]), len, {1, 2}):
        encoded = encode_value(value)
        assert encoded["$"] == "opaque"
        assert isinstance(decode_value(encoded), Opaque)
        with pytest.raises(TypeError):
            encode_value(value, strict=True)
    assert decode_value(encode_value(Thing())).text.startswith("<")


def test_size_caps_on_both_sides():
    small = DecodeLimits(max_elements=10, max_depth=3, max_items=20)
    assert encode_value(np.zeros(11), small)["$"] == "toobig"
    with pytest.raises(ResultTooLarge):
        encode_value(np.zeros(11), small, strict=True)
    assert encode_value([[[[[1]]]]], small)["$"] == "toobig"
    assert encode_value(list(range(100)), small)["$"] == "toobig"
    with pytest.raises(ResultTooLarge, match="11 elements"):
        decode_value(encode_value(np.zeros(11)), small)
    with pytest.raises(ResultTooLarge):
        decode_value([[[[[1]]]]], small)
    with pytest.raises(ResultTooLarge):
        decode_value(list(range(100)), small)
    assert encode_value(2**10000)["$"] == "toobig"
    with pytest.raises(ResultTooLarge, match="1000000000"):
        decode_value(encode_value(np.broadcast_to(0.0, (10**9,))))


def test_rng_and_fn_arguments():
    made = []
    back = wire(
        (Rng(3), Rng((1, 2)), Fn("quadratic", {"c": [1.0, 2.0]})),
        make_rng=lambda seed: ("rng", seed),
        make_fn=lambda name, params: made.append((name, params)) or name,
    )
    assert back == (("rng", 3), ("rng", [1, 2]), "quadratic")
    assert made == [("quadratic", {"c": [1.0, 2.0]})]
    with pytest.raises(ProtocolError):  # the grader never accepts them from the worker
        wire(Rng(3))
    with pytest.raises(ProtocolError):
        wire(Fn("quadratic"))
    assert Rng(4).generator().integers(100) == np.random.default_rng(4).integers(100)


GOOD = encode_value(np.arange(4, dtype="<f8"))


@pytest.mark.parametrize(
    "bad",
    [
        {"no": "tag"},
        {"$": "pickle", "data": "gASV"},
        {"$": "nd", "dtype": "|O", "shape": [1], "data": "AAAAAAAAAAA="},
        {"$": "nd", "dtype": "<c16", "shape": [1], "data": "A" * 24},
        {"$": "nd", "dtype": ">f8", "shape": [1], "data": "AAAAAAAAAAA="},
        {"$": "nd", "dtype": "<f8", "shape": [-1], "data": ""},
        {"$": "nd", "dtype": "<f8", "shape": [1.0], "data": "AAAAAAAAAAA="},
        {"$": "nd", "dtype": "<f8", "shape": [True], "data": "AAAAAAAAAAA="},
        {"$": "nd", "dtype": "<f8", "shape": [1] * 9, "data": "AAAAAAAAAAA="},
        {"$": "nd", "dtype": "<f8", "shape": "4", "data": GOOD["data"]},
        {"$": "nd", "dtype": "<f8", "shape": [5], "data": GOOD["data"]},
        {"$": "nd", "dtype": "<f8", "shape": [4], "data": GOOD["data"][:-4]},
        {"$": "nd", "dtype": "<f8", "shape": [4], "data": "*" * len(GOOD["data"])},
        {"$": "nd", "dtype": "<f8", "shape": [4], "data": None},
        {"$": "nd", "dtype": "|b1", "shape": [1], "data": "Ag=="},
        {"$": "tuple", "v": {"a": 1}},
        {"$": "dict", "v": [1]},
        {"$": "opaque", "type": 1, "text": "x"},
        {"$": "rng", "seed": 1},
        {"$": "fn", "name": "quadratic"},
    ],
)
def test_malformed_values_are_refused(bad):
    with pytest.raises(ProtocolError):
        decode_value(bad)
    with pytest.raises(ProtocolError):
        decode_value([1, {"$": "dict", "v": {"k": bad}}])


@pytest.mark.parametrize(
    "body",
    [b"", b"not json", b"[1, 2]", b'"text"', b"\xff\xfe{}", b"[" * 100_000, b'{"a": 1e999999}'[:5]],
)
def test_malformed_frames_are_refused(body):
    with pytest.raises(ProtocolError):
        loads_payload(body)


def test_oversized_frames_are_refused():
    with pytest.raises(ResultTooLarge):
        frame_length((2**31).to_bytes(4, "big"), 64 << 20)
    assert frame_length((10).to_bytes(4, "big"), 64 << 20) == 10


@settings(max_examples=300)
@given(st.binary(max_size=200))
def test_random_bytes_never_break_the_parser(body):
    try:
        message = loads_payload(body)
    except ProtocolError:
        return
    assert isinstance(message, dict)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=10),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(
            st.sampled_from(["$", "v", "dtype", "shape", "data", "type", "text"]), inner, max_size=4
        )
    ),
    max_leaves=15,
)


@settings(max_examples=300)
@given(json_values)
def test_random_json_decodes_or_is_refused_cleanly(data):
    data = json.loads(json.dumps(data))
    try:
        decode_value(data)
    except ProtocolError:
        pass


@settings(max_examples=300)
@given(
    st.sampled_from(sorted(ALLOWED_DTYPES) + ["<f16", "|O", "<U3", "bogus"]),
    st.lists(
        st.one_of(
            st.integers(min_value=-2, max_value=3),
            st.sampled_from([0, 2**31, 2**62, 10**19, 10**30]),
            st.floats(allow_nan=False, allow_infinity=False),
            st.booleans(),
        ),
        max_size=10,
    ),
    st.one_of(
        st.text(max_size=40), st.binary(max_size=30).map(lambda b: base64.b64encode(b).decode())
    ),
)
def test_random_array_tags_decode_or_are_refused(dtype, shape, data):
    try:
        array = decode_value({"$": "nd", "dtype": dtype, "shape": shape, "data": data})
    except ProtocolError:  # ResultTooLarge included
        return
    assert type(array) is np.ndarray and list(array.shape) == shape


def test_zero_size_arrays_with_huge_dimensions_are_refused():
    for shape in ([0, 10**19], [0, 2**62, 2**62], [0, 2**31]):
        with pytest.raises(ProtocolError):
            decode_value({"$": "nd", "dtype": "<f8", "shape": shape, "data": ""})
    assert decode_value({"$": "nd", "dtype": "<f8", "shape": [0, 5], "data": ""}).shape == (0, 5)


@pytest.mark.parametrize("name", ["quadratic", "sin_sum", "rosenbrock", "log_sum_exp"])
def test_trusted_functions_and_their_gradients_agree(name):
    x = np.array([0.3, -1.2, 0.7, 2.0])
    f, grad = functions.make(name), functions.make(f"{name}_grad")
    h = 1e-6
    numeric = np.array([(f(x + h * e) - f(x - h * e)) / (2 * h) for e in np.eye(4)])
    assert np.allclose(numeric, grad(x), atol=1e-5)
    assert Fn(name)(x) == f(x)


def test_fixed_point_gradient_descent_from_the_lecture():
    grad = functions.make("cos_fixed_point_grad")
    x = 0.0
    for _ in range(200):
        x = x - 0.1 * grad(x)
    assert x == pytest.approx(0.739085, abs=1e-5)
    with pytest.raises(KeyError):
        functions.make("no_such_function")
