"""expect_close's cheap path for passing checks must never change a verdict.

Hidden tests make hundreds of passing comparisons per submission, so
`nngrade.feedback._plainly_close` settles the common case (two floats, or two
float arrays of one shape, close) without the explanatory checks. These
properties compare it with the full path on values that include nan, inf,
signed zeros, float32 and shape mismatches.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from nngrade import feedback
from nngrade.feedback import Feedback, expect_close

floats = st.floats(allow_nan=True, allow_infinity=True, width=64)
near = st.sampled_from([0.0, 1e-9, 1e-7, 1e-6, 1e-3, 1.0])


def _verdict(got, expected, rtol, atol, cheap: bool) -> str:
    with pytest.MonkeyPatch.context() as m:
        if not cheap:
            m.setattr(feedback, "_plainly_close", lambda *_a: False)
        try:
            expect_close(got, expected, rtol=rtol, atol=atol)
        except Feedback as fb:
            return fb.message
    return "passed"


@settings(max_examples=300, deadline=None)
@given(expected=floats, offset=floats | near, rtol=near, atol=near)
def test_floats_same_verdict(expected, offset, rtol, atol):
    got = expected + offset if np.isfinite(offset) else offset
    assert _verdict(got, expected, rtol, atol, True) == \
        _verdict(got, expected, rtol, atol, False)


arrays = hnp.arrays(dtype=st.sampled_from([np.float64, np.float32]),
                    shape=hnp.array_shapes(min_dims=0, max_dims=3, max_side=4),
                    elements=st.floats(allow_nan=True, allow_infinity=True, width=32))


@settings(max_examples=300, deadline=None)
@given(expected=arrays, noise=st.sampled_from([0.0, 1e-9, 1e-5, 1.0]),
       reshape=st.booleans(), rtol=near, atol=near)
def test_arrays_same_verdict(expected, noise, reshape, rtol, atol):
    expected = expected.astype(np.float64)
    with np.errstate(all="ignore"):
        got = (expected + noise).astype(np.float32 if noise == 1e-9 else np.float64)
    if reshape and got.size > 1:
        got = got.ravel()
    assert _verdict(got, expected, rtol, atol, True) == \
        _verdict(got, expected, rtol, atol, False)


@pytest.mark.parametrize("got", [float("nan"), float("inf"), -float("inf"), 1.0 + 1e-3])
def test_cheap_path_never_passes_a_wrong_float(got):
    assert not feedback._plainly_close(got, 1.0, 1e-6, 1e-8)
    with pytest.raises(Feedback):
        expect_close(got, 1.0)


def test_cheap_path_passes_the_common_cases():
    assert feedback._plainly_close(0.1 + 0.2, 0.3, 1e-6, 1e-8)
    a = np.linspace(-1, 1, 7)
    assert feedback._plainly_close(a + 1e-12, a, 1e-6, 1e-8)
    assert not feedback._plainly_close(a[:3], a, 1e-6, 1e-8)  # a shape mismatch explains itself


def test_a_mismatch_without_any_distance_is_still_explained():
    """Expected nan/inf entries: no finite difference to point at, but a clear failure."""
    nan, inf = float("nan"), float("inf")
    with pytest.raises(Feedback, match="where that value is nan or inf") as info:
        expect_close(np.array([nan, inf]), np.array([nan, inf]))
    assert info.value.text.id == "compare.differs_no_distance"
    with pytest.raises(Feedback, match=r"largest difference is 2, at index \(1,\)") as info:
        expect_close(np.array([nan, 3.0]), np.array([nan, 1.0]))
    assert info.value.text.params["count"] == 2  # nan is never close, not even to nan
