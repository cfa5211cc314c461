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


# ---------------------------------------------------------------- what a failure says


def _failure(got, expected, **options) -> Feedback:
    with pytest.raises(Feedback) as info:
        expect_close(got, expected, **options)
    return info.value


def test_a_matrix_is_shown_as_rows_and_columns_with_the_differing_entries_marked() -> None:
    expected = np.arange(9.0).reshape(3, 3)
    got = expected.copy()
    got[1, 2] = 50.0
    fb = _failure(got, expected)
    assert fb.text.id == "compare.differs_in"
    assert fb.text.params["count"] == 1 and fb.text.params["index"] == "(1, 2)"
    assert fb.got == ("array([[  0.,   1.,   2.],\n"
                      "       [  3.,   4., *50.],\n"
                      "       [  6.,   7.,   8.]])")
    assert fb.expected.splitlines()[1] == "       [ 3.,  4., *5.],"
    assert "..." not in fb.got


def test_a_large_matrix_keeps_the_worst_entry_in_view() -> None:
    expected = np.zeros((40, 30))
    got = expected.copy()
    got[20, 15] = 1.0
    fb = _failure(got, expected)
    rows = fb.got.splitlines()
    assert len(rows) <= 16, "a window of rows, not 40"
    assert any("*1." in row for row in rows), "the differing entry is shown, marked"
    assert "shape=(40, 30)" in fb.got and "..." in fb.got
    assert all(len(row) < 140 for row in rows)


def test_values_are_code_and_dtypes_are_named() -> None:
    assert feedback.describe(np.array([0, 1], dtype=np.int64)) == "array([0, 1], dtype=int64)"
    assert feedback.describe(np.array([True, False])) == "array([ True, False], dtype=bool)"
    assert feedback.describe(0.1 + 0.2) == "0.3"
    assert feedback.describe(2.0) == "2.0" and feedback.describe(2) == "2"
    assert feedback.describe(None) == "None"
    assert feedback.describe((np.ones((3, 3)), 2.0)) == "(array(shape=(3, 3)), 2.0)"
    call = feedback.describe_call("rotate", (np.arange(4.0).reshape(2, 2), 90), {})
    assert call.splitlines() == ["rotate(arg1, 90)",
                                 "arg1 = array([[0., 1.],",
                                 "              [2., 3.]])"]


def test_each_check_failure_has_its_message_id() -> None:
    assert _failure(None, 1.0).text.id == "compare.none"
    assert _failure("0.5", 0.5).text.id == "compare.not_a_number"
    assert _failure([1.0, 2.0], np.ones((2, 2))).text.id == "compare.shape"
    assert _failure(np.ones(3), 1.0).text.id == "compare.not_one_number"
    assert _failure(np.array([np.inf, 1.0]), np.ones(2)).mistake == "overflow"
    assert _failure(1.5, 1.0).text.id == "compare.differs_by"
    fb = _failure(0.25, 0.125, mistakes=[feedback.Mistake("mse_mean_not_half", 0.25)])
    assert fb.mistake == "mse_mean_not_half"
    data = fb.as_dict()
    assert data["message_id"] == "compare.differs_by" and data["message_params"]["difference"]
    assert data["message"].startswith("The value differs from the expected value by 0.125")
    assert data["mistake"]["message"].startswith("MSE averaged")
    assert "均方误差" in fb.render("zh") and "Likely mistake: MSE" in fb.render("en")


def test_a_passing_check_renders_no_text(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_rendering(*args, **kwargs):
        raise AssertionError("a passing check must not render")

    monkeypatch.setattr(feedback, "describe", no_rendering)
    monkeypatch.setattr(feedback, "render", no_rendering)
    made = []
    call = feedback.LazyText(lambda: made.append(1) or "f(x)")
    expect_close(np.arange(3.0), np.arange(3.0), call=call, what="grad_w1")
    feedback.expect_equal(np.array([0, 1]), np.array([0, 1]), call=call)
    feedback.expect_true(True, "never shown", call=call)
    assert made == [], "the call's text was never made"


class _Outcome:
    def __init__(self, status: str, error: str = "", error_type: str = "",
                 limit: str | None = None, seconds: float = 0.0) -> None:
        self.status, self.error, self.error_type = status, error, error_type
        self.limit, self.seconds, self.value, self.warnings = limit, seconds, None, ()


@pytest.mark.parametrize(("outcome", "message_id", "quoted", "detail"), [
    (_Outcome("not_implemented"), "status.not_implemented", False, False),
    (_Outcome("missing_module"), "status.missing_module", False, False),
    (_Outcome("missing_name"), "status.missing_name", False, False),
    (_Outcome("import_error", "SyntaxError: invalid syntax"), "status.import_error", True,
     False),
    (_Outcome("raised", "ValueError: bad label 5", "ValueError"), "status.raised", True, False),
    (_Outcome("timeout", "the call did not finish within 2 s", limit="call_seconds",
              seconds=2.0), "status.timeout", False, True),
    (_Outcome("timeout", "budget", limit="submission_seconds"), "status.timeout_submission",
     False, True),
    (_Outcome("crashed", "the worker process ended"), "status.crashed_plain", False, True),
    (_Outcome("crashed", "killed", limit="memory_bytes"), "status.crashed", False, True),
    (_Outcome("bad_result", "too large", limit="max_elements"), "status.bad_result", False,
     True),
    (_Outcome("limit", "too many files", limit="scratch_files"), "status.limit", False, True),
])
def test_every_status_of_a_call_has_a_message(outcome, message_id, quoted, detail) -> None:
    fb = feedback.call_failure(outcome, name="sigmoid", module="activations", call="sigmoid(1)")
    assert fb.kind == outcome.status and fb.text.id == message_id
    assert bool(fb.quoted) == quoted and bool(fb.detail) == detail
    zh = fb.render("zh")
    assert "sigmoid" in zh or "activations" in zh
    if detail:
        assert outcome.error not in zh, "the sandbox's English note is for English readers"
        assert outcome.error in fb.render("en")


def test_the_runners_english_texts_are_read_back_as_messages() -> None:
    """results.json written before the runner passed ids still reads in Chinese."""
    from nngrade.report.legacy import read_feedback

    cases = {
        "`sigmoid` is not implemented yet (it raises NotImplementedError).":
            "status.not_implemented",
        "activations.py is missing from the submission, so `sigmoid` cannot be graded.":
            "status.missing_module",
        "activations.py defines no `sigmoid`.": "status.missing_name",
        "backprop.py could not be imported, so `forward` cannot be graded: File \"x\"\n"
        "SyntaxError: bad": "status.import_error",
        "The call raised Traceback...\nValueError: no": "status.raised",
        "The call did not finish in time: the call did not finish within 0.5 s":
            "status.timeout",
        "The call crashed the worker process: the worker process ended": "status.crashed_plain",
        "The call returned something that cannot be graded: x": "status.bad_result_plain",
        "A resource limit was hit: x": "status.limit_plain",
        "The value has shape (3,), expected shape (3, 1).": "compare.shape",
        "The grad_w1 is not what the reference computes (largest difference 0.5 at index "
        "(0, 1)).": "legacy.differs_at",
    }
    for text, message_id in cases.items():
        reading = read_feedback(text, module="activations", name="sigmoid")
        assert reading is not None and reading.text.id == message_id, text
    assert read_feedback("something nobody wrote before") is None


@pytest.mark.parametrize(("name", "error", "message_id", "named"), [
    # given code that calls a stub: the stub is named, never the given code
    ("Variable.__add__", "TODO: implement get_gradients (see the docstring above).",
     "status.not_implemented_inside", "get_gradients"),
    # a class whose method is still a stub: that method is named
    ("EarlyStopping", "TODO: implement EarlyStopping.__init__ (see the docstring above).",
     "status.not_implemented", "EarlyStopping.__init__"),
    # the function itself, with or without the stub's wording
    ("sigmoid", "TODO: implement sigmoid (see the docstring above).",
     "status.not_implemented", "sigmoid"),
    ("Variable.__mul__", "TODO: implement Variable.__mul__.", "status.not_implemented",
     "Variable.__mul__"),
    ("sigmoid", "", "status.not_implemented", "sigmoid"),
])
def test_not_implemented_names_the_stub_that_raised(name: str, error: str, message_id: str,
                                                    named: str) -> None:
    fb = feedback.call_failure(_Outcome("not_implemented", error), name=name, module="m")
    assert fb.kind == "not_implemented" and fb.text.id == message_id
    for lang in ("en", "zh"):
        assert f"`{named}`" in fb.render(lang)
    if message_id == "status.not_implemented_inside":
        assert "could not be checked yet" in fb.render("en")
        assert "is not implemented yet" not in fb.render("en").split(":")[0]
