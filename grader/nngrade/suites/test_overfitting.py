"""Hidden tests of overfitting.py: polynomial features, the L2 fit, the error curves and early
stopping.

Graded inputs keep x in [-1, 1] and the degree at most 12, as the handout says. Inputs
are spread (no two x closer than about 1/n), so that a fit is ill-posed only where a
test means it to be. Where the lecture's problem is ill-conditioned (degree 12 without
a penalty), correct implementations differ in w by far more than rounding: there the
test judges what the contract asks for, the smallest loss, instead of w itself.

Every property that tells a right answer from a known wrong one is placed
deterministically: targets with a large constant (so penalising w[0] shows), training
and test sets of different sizes (so a wrong m shows), lr and l2 away from their
defaults, a validation set that disagrees with the training set (so early stopping
stops, and the best epoch is not the last).
"""

from __future__ import annotations

import functools

import numpy as np
import pytest

from nngrade.suite import (
    Feedback,
    Mistake,
    expect_close,
    expect_equal,
    expect_true,
    expect_tuple,
    failure,
    fit_figure,
    inputs,
    msg,
    reference,
)

ref = reference("overfitting")  # each answer computed once per process
_ref_module = reference("overfitting", remember=False)  # for calls that never repeat
WEIGHTS = msg("what.weight_vector")


def _targets(rng: np.random.Generator, x: np.ndarray, *more: np.ndarray) -> list[np.ndarray]:
    """One smooth curve with a large constant (2 to 4): noisy targets for x, and the curve
    itself (no noise) at each of ``more`` (test sets)."""
    offset = rng.uniform(2.0, 4.0) * rng.choice([-1.0, 1.0])
    frequency = rng.uniform(2.0, 3.5)
    noisy = offset + np.sin(frequency * x) + 0.1 * rng.normal(size=x.shape)
    return [noisy] + [offset + np.sin(frequency * t) for t in more]


def _loss(w: np.ndarray, x: np.ndarray, y: np.ndarray, degree: int, l2: float = 0.0) -> float:
    features = _ref_module.polynomial_features(x, degree)
    residual = features @ w - y
    return float(residual @ residual / (2 * len(y)) + 0.5 * l2 * np.sum(w[1:] ** 2))


def _as_vector(got, length: int, call: str) -> np.ndarray:
    """The student's w as floats, or feedback saying it is not a vector of ``length`` numbers."""
    if not (isinstance(got, np.ndarray) and got.dtype.kind in "iuf") and not (
            isinstance(got, (list, tuple))
            and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in got)):
        raise Feedback(msg("overfitting.w_not_numbers", count=length), kind="bad_result",
                       call=call, got=got)
    array = np.asarray(got, dtype=float)
    expect_true(array.shape == (length,),
                msg("overfitting.w_shape", count=length, shape=str(array.shape)), call=call,
                got=got)
    return array


# ------------------------------------------------------------------ polynomial_features


def _feature_mistakes(x: np.ndarray, degree: int) -> list[Mistake]:
    full = _ref_module.polynomial_features(x, degree)
    lower = x[:, None] ** np.arange(degree)
    return [Mistake("polynomial_features_reversed", full[:, ::-1]),
            Mistake("polynomial_features_wrong_columns", full[:, 1:]),
            Mistake("polynomial_features_wrong_columns", lower)]


@pytest.mark.contract("overfitting", "polynomial_features")
def test_polynomial_features_columns(student, rng):
    """polynomial_features(x, degree): column k is x**k, the constant column first"""
    x = np.concatenate([[0.0, -0.5, 1.0, -1.0, 0.75], rng.uniform(-1, 1, size=3)])
    for degree in (3, int(rng.integers(4, 13))):
        expect_close(student.polynomial_features(x, degree), ref.polynomial_features(x, degree),
                     rtol=1e-12, atol=1e-15,
                     mistakes=functools.partial(_feature_mistakes, x, degree))


@pytest.mark.contract("overfitting", "polynomial_features")
def test_polynomial_features_small_cases(student, rng):
    """degree 0 gives a column of ones, degree 1 adds x itself; one input gives one row"""
    x = inputs.spread(rng, int(rng.integers(3, 7)))
    for xs, degree in ((x, 0), (x, 1), (x[:1], 2)):
        got = student.polynomial_features(xs, degree)
        expect_close(got, ref.polynomial_features(xs, degree),
                     rtol=1e-12, atol=1e-15, allow_scalar_as_array=False,
                     mistakes=functools.partial(_feature_mistakes, xs, degree))
        expect_true(isinstance(got, np.ndarray) and got.dtype == np.float64,
                    msg("overfitting.features_float64"),
                    got=got)


# ------------------------------------------------------------------ fit_polynomial


def _penalised_fit(x: np.ndarray, y: np.ndarray, degree: int, l2: float,
                   bias_too: bool) -> np.ndarray:
    """The minimiser with the penalty on every coefficient (bias_too) or on w[1:] only."""
    features = _ref_module.polynomial_features(x, degree)
    penalty = np.sqrt(l2) * np.eye(degree + 1)
    if not bias_too:
        penalty = penalty[1:]
    m = len(y)
    rows = np.vstack([features / np.sqrt(m), penalty])
    rhs = np.concatenate([y / np.sqrt(m), np.zeros(len(penalty))])
    return np.linalg.lstsq(rows, rhs, rcond=None)[0]


def _fit_mistakes(x: np.ndarray, y: np.ndarray, degree: int, l2: float) -> list[Mistake]:
    m = len(y)
    plain = _penalised_fit(x, y, degree, 0.0, False) if l2 else None
    mistakes = [Mistake("fit_polynomial_penalises_bias", _penalised_fit(x, y, degree, l2, True)),
                Mistake("fit_polynomial_l2_scale", _penalised_fit(x, y, degree, l2 / m, False)),
                Mistake("fit_polynomial_l2_scale", _penalised_fit(x, y, degree, 2 * l2, False)),
                Mistake("fit_polynomial_l2_scale", _penalised_fit(x, y, degree, l2 / 2, False)),
                Mistake("fit_polynomial_reversed", _penalised_fit(x, y, degree, l2, False)[::-1])]
    if plain is not None:
        mistakes += [Mistake("fit_polynomial_ignores_l2", plain),
                     Mistake("fit_polynomial_reversed", plain[::-1])]
    return mistakes


def _fit_call(student, x: np.ndarray, y: np.ndarray, degree: int, l2: float | None):
    """The student's w, or feedback; a singular-matrix error is named where it is one."""
    args = (x, y, degree) if l2 is None else (x, y, degree, l2)
    out = student.outcome("fit_polynomial", args)
    if out.status == "raised" and out.error_type == "LinAlgError":
        raise failure(msg("status.raised", name="fit_polynomial", error_type="LinAlgError"),
                       kind="raised",
                       quoted=out.error.strip().splitlines()[-1],
                       mistake="fit_polynomial_not_min_norm")
    return _as_vector(student.value_of(out, "fit_polynomial"), degree + 1, student.last_call)


@pytest.mark.contract("overfitting", "fit_polynomial")
def test_fit_polynomial_with_l2(student, rng):
    """with an L2 penalty: the unique minimiser, the constant w[0] not penalised"""
    for n, degree, l2 in ((int(rng.integers(8, 13)), int(rng.integers(3, 9)), 0.05),
                          (int(rng.integers(4, 7)), 12, 0.5)):
        x = inputs.spread(rng, n)
        (y,) = _targets(rng, x)
        want = ref.fit_polynomial(x, y, degree, l2)
        got = _fit_call(student, x, y, degree, l2)
        try:
            expect_close(got, want, rtol=1e-7,
                         atol=1e-9 * float(np.abs(want).max()), what=WEIGHTS,
                         mistakes=functools.partial(_fit_mistakes, x, y, degree, l2))
        except Feedback as fb:
            raise _with_fit(fb, x, y, got, want) from None


@pytest.mark.contract("overfitting", "fit_polynomial")
def test_fit_polynomial_least_squares(student, rng):
    """without a penalty (l2 left at 0): the least-squares fit, degrees 2 and 12"""
    n = int(rng.integers(20, 31))
    x = inputs.spread(rng, n)
    (y,) = _targets(rng, x)
    for degree in (2, 12):
        want = ref.fit_polynomial(x, y, degree)
        got = _fit_call(student, x, y, degree, None)
        best, reached = _loss(want, x, y, degree), _loss(got, x, y, degree)
        if reached <= best * (1 + 1e-8) + 1e-14:
            continue
        # Degree 12 is ill-conditioned: w itself may differ, only the minimum counts.
        mistakes = _fit_mistakes(x, y, degree, 0.0)
        named = next((m.code for m in mistakes
                      if m.matches(got, 1e-6, 1e-8 * float(np.abs(want).max()))), None)
        raise _with_fit(failure(msg("overfitting.not_least_squares", loss=f"{reached:.10g}",
                                     minimum=f"{best:.10g}"),
                                 got=got, expected=want, mistake=named),
                        x, y, got, want)


@pytest.mark.contract("overfitting", "fit_polynomial")
def test_fit_polynomial_minimum_norm(student, rng):
    """more coefficients than points, no penalty: the minimum-norm interpolating w"""
    for n, degree in ((3, int(rng.integers(5, 9))), (5, int(rng.integers(8, 13)))):
        x = inputs.spread(rng, n)
        (y,) = _targets(rng, x)
        want = ref.fit_polynomial(x, y, degree)
        got = _fit_call(student, x, y, degree, 0.0)
        features = _ref_module.polynomial_features(x, degree)
        interpolates = bool(np.allclose(features @ got, y, rtol=1e-6, atol=1e-8))
        larger = float(np.linalg.norm(got)) > float(np.linalg.norm(want)) * (1 + 1e-6)
        try:
            expect_close(got, want, rtol=1e-6,
                         atol=1e-8 * float(np.abs(want).max()), what=WEIGHTS,
                         mistakes=[Mistake("fit_polynomial_not_min_norm",
                                           lambda _g, bad=interpolates and larger: bad),
                                   Mistake("fit_polynomial_reversed", want[::-1])])
        except Feedback as fb:
            raise _with_fit(fb, x, y, got, want) from None


def _with_fit(fb: Feedback, x: np.ndarray, y: np.ndarray, got, want: np.ndarray) -> Feedback:
    """The report draws the student's polynomial and the reference's over the data."""
    figure = fit_figure(x, y, got, want, _ref_module.polynomial_features)
    return fb.replace(figure=figure) if figure else fb


# ------------------------------------------------------------------ train_test_errors


def _errors_mistakes(x, y, x_test, y_test, degrees, l2) -> list[Mistake]:
    train, test = _ref_module.train_test_errors(x, y, x_test, y_test, degrees, l2)
    ratio = len(y_test) / len(y)
    refit = _ref_module.train_test_errors(x_test, y_test, x, y, degrees, l2)
    unpenalised = _ref_module.train_test_errors(x, y, x_test, y_test, degrees, 0.0)
    return [Mistake("train_test_errors_swapped", (test, train)),
            Mistake("mse_mean_not_half", (2 * train, 2 * test)),
            Mistake("train_test_errors_wrong_m", (train, test * ratio)),
            Mistake("train_test_errors_fit_on_test", (refit[1], refit[0])),
            Mistake("train_test_errors_ignores_l2", unpenalised)]


def _check_errors(student, x, y, x_test, y_test, degrees, l2: float | None) -> None:
    args = (x, y, x_test, y_test, degrees) + (() if l2 is None else (l2,))
    got = student.train_test_errors(*args)
    call = student.last_call
    got = expect_tuple(got, 2, "train_err, test_err", call=call)
    l2 = 0.0 if l2 is None else l2
    want = ref.train_test_errors(x, y, x_test, y_test, degrees, l2)
    scale = float(np.max(want[1]))
    mistakes = _errors_mistakes(x, y, x_test, y_test, degrees, l2)
    for k, name in enumerate(("train_err", "test_err")):
        expect_close(got[k], want[k], call=call, rtol=1e-5, atol=1e-10 * scale, what=name,
                     mistakes=[Mistake(m.code, m.value[k]) for m in mistakes], figure="curves")


@pytest.mark.contract("overfitting", "train_test_errors")
def test_train_test_errors_lecture_picture(student, rng):
    """the lecture's picture: degrees 1, 3 and 9 fitted to ten training points"""
    x, x_test = inputs.spread(rng, 10), inputs.spread(rng, int(rng.integers(21, 31)), -0.97, 0.97)
    y, y_test = _targets(rng, x, x_test)
    _check_errors(student, x, y, x_test, y_test, [1, 3, 9], None)


@pytest.mark.contract("overfitting", "train_test_errors")
def test_train_test_errors_with_l2(student, rng):
    """with an L2 penalty, degrees 0 to 12 on few points: l2 reaches every fit"""
    x, x_test = inputs.spread(rng, int(rng.integers(7, 11))), inputs.spread(rng, 17, -0.95, 0.95)
    y, y_test = _targets(rng, x, x_test)
    _check_errors(student, x, y, x_test, y_test, [0, 4, 12], float(rng.choice([0.01, 0.1])))


# ------------------------------------------------------------------ early_stopping_fit


def _run(x, y, x_val, y_val, degree, lr, max_epochs, patience, *min_delta):
    """The reference's run; without ``min_delta`` its default (0.0) is used."""
    return ref.early_stopping_fit(x, y, x_val, y_val, degree, lr, max_epochs, patience,
                                  *min_delta)


def _robust(val: np.ndarray, min_delta: float) -> bool:
    """Every stopping decision on ``val`` is far from a tie (1e-9 relative), so rounding
    differences between correct implementations cannot change it."""
    best = np.inf
    scale = float(np.max(np.abs(val)))
    for v in val:
        if np.isfinite(best) and abs((best - v) - min_delta) < 1e-9 * scale:
            return False
        best = min(best, v) if best - v > min_delta else best
    return True


def _disagreeing_problem(rng: np.random.Generator, patience: int, min_delta: float,
                         max_epochs: int = 400) -> tuple:
    """Training targets a*x, validation targets a'*x with 0 < a' < a: the validation loss
    falls, then rises again, so early stopping stops and the best epoch is not the last."""
    for _ in range(100):
        degree = int(rng.integers(1, 3))
        x = inputs.spread(rng, int(rng.integers(8, 13)))
        x_val = inputs.spread(rng, int(rng.integers(5, 8)))
        slope = float(rng.uniform(1.5, 3.0))
        y = slope * x + 0.05 * rng.normal(size=x.shape)
        y_val = slope * float(rng.uniform(0.3, 0.6)) * x_val
        lr = float(rng.choice([0.3, 0.5, 0.7]))
        args = (x, y, x_val, y_val, degree, lr, max_epochs, patience, min_delta)
        w, best, train, val = _run(*args)
        if best is not None and len(val) < max_epochs and _robust(val, min_delta) and \
                _robust(val, 0.0):
            return args
    raise AssertionError("no robust early-stopping problem drawn")  # never with these ranges


def _stopping_facts(student, args: tuple) -> tuple[np.ndarray, object, np.ndarray, np.ndarray]:
    got = student.early_stopping_fit(*args)
    call = student.last_call
    got = expect_tuple(got, 4, "w, best_epoch, train_curve, val_curve", call=call)
    return got[0], got[1], got[2], got[3]


def _weights_after(args: tuple, epochs: int) -> np.ndarray:
    """The training's weights after ``epochs`` epochs (what the last-weights slip returns)."""
    x, y, *_, degree, lr = args[:6]
    features = _ref_module.polynomial_features(x, degree)
    w = np.zeros(degree + 1)
    for _ in range(epochs):
        w = w - lr * features.T @ (features @ w - y) / len(y)
    return w


def _check_best(student, args: tuple, best_mistakes: list[Mistake] | None = None) -> None:
    """best_epoch, the curves' length and w of one call, against the reference's run."""
    w, best, train, val = _stopping_facts(student, args)
    call = student.last_call
    want_w, want_best, want_train, want_val = _run(*args)
    x_val, y_val, degree = args[2], args[3], args[4]
    shifted = np.ndim(val) == 1 and len(val) > 0 and bool(
        np.isclose(np.asarray(val, dtype=float)[0], _loss(np.zeros(degree + 1), x_val, y_val,
                                                          degree)))
    expect_equal(best, want_best, call=call, what="best_epoch",
                 mistakes=[Mistake("early_stopping_fit_losses_before_step",
                                   lambda _g: shifted),
                           *(best_mistakes or []),
                           Mistake("early_stopping_fit_one_based_epoch", want_best + 1)])
    length = np.shape(val)[0] if np.ndim(val) == 1 else None
    expect_true(length == len(want_val) and np.shape(train) == (len(want_val),),
                msg("overfitting.curve_length", count=len(want_val), got=str(length)),
                call=call, got=length, expected=len(want_val),
                mistake="early_stopping_off_by_one" if length is not None else None)
    scale = float(np.abs(want_w).max())
    expect_close(w, want_w, call=call, rtol=1e-8, atol=1e-10 * scale, what="w",
                 mistakes=lambda: [Mistake("early_stopping_fit_last_weights",
                                           _weights_after(args, len(want_val)))])


@pytest.mark.contract("overfitting", "early_stopping_fit")
def test_early_stopping_fit_best_epoch(student, rng):
    """it stops `patience` epochs after the best and returns the best epoch's w, not the last"""
    # The first call leaves min_delta out: its default is 0.0 (the contract's signature).
    _check_best(student, _disagreeing_problem(rng, 3, 0.0)[:8])
    _check_best(student, _disagreeing_problem(rng, int(rng.integers(1, 7)), 0.0))
    # All-zero targets: w stays 0 and every epoch's validation loss equals the first, which
    # is no improvement (it must drop by more than min_delta = 0): best_epoch 0, then stop.
    x, x_val = inputs.spread(rng, 8), inputs.spread(rng, 5)
    _check_best(student, (x, np.zeros_like(x), x_val, np.zeros_like(x_val), 2, 0.3, 30, 3, 0.0))
    _check_never_improves(student, rng)


def _check_never_improves(student, rng: np.random.Generator) -> None:
    """A NaN in y_val makes every validation loss NaN, which is never an improvement (the
    contract's EarlyStopping): training stops after exactly `patience` epochs. Only the
    curves' length is checked: with no best epoch the contract does not say what w is."""
    patience = int(rng.integers(2, 5))
    x, x_val = inputs.spread(rng, 8), inputs.spread(rng, 5)
    y_val = 2.0 * x_val
    y_val[int(rng.integers(0, len(y_val)))] = np.nan
    args = (x, 2.0 * x, x_val, y_val, 1, 0.3, 30, patience, 0.0)
    _, _, train, val = _stopping_facts(student, args)
    want = len(_run(*args)[3])
    length = np.shape(val)[0] if np.ndim(val) == 1 else None
    expect_true(length == want and np.shape(train) == (want,),
                msg("overfitting.curve_length", count=want, got=str(length)),
                got=length, expected=want,
                mistake="early_stopping_off_by_one" if length is not None else None)


def _curve_mistakes(args: tuple, which: int, want: np.ndarray) -> list[Mistake]:
    x, y, x_val, y_val, degree = args[:5]
    data = (x, y) if which == 2 else (x_val, y_val)

    def before(got) -> bool:  # the losses of the weights before each step
        got = np.asarray(got, dtype=float).reshape(-1)
        overlap = min(len(got) - 1, len(want))
        if overlap < 1:
            return False
        start = _loss(np.zeros(degree + 1), *data, degree)
        return bool(np.isclose(got[0], start) and np.allclose(got[1:1 + overlap],
                                                              want[:overlap]))

    return [Mistake("early_stopping_fit_losses_before_step", before),
            Mistake("mse_mean_not_half", 2 * want)]


@pytest.mark.contract("overfitting", "early_stopping_fit")
def test_early_stopping_fit_curves(student, rng):
    """train_curve and val_curve hold the losses of each epoch, after its step"""
    args = _disagreeing_problem(rng, int(rng.integers(2, 5)), 0.0)
    _, _, train, val = _stopping_facts(student, args)
    want = _run(*args)
    for k, name, got in ((2, "train_curve", train), (3, "val_curve", val)):
        try:
            expect_close(got, want[k], rtol=1e-9, atol=1e-14,
                         what=name, mistakes=_curve_mistakes(args, k, want[k]), figure="curves")
        except Feedback as fb:
            if fb.figure and want[1] is not None:  # the reference's best epoch, marked
                fb.figure["best"] = int(want[1])
            raise


@pytest.mark.contract("overfitting", "early_stopping_fit")
def test_early_stopping_fit_min_delta(student, rng):
    """min_delta: a validation loss that improves by at most min_delta is no improvement"""
    for _ in range(100):
        args = _disagreeing_problem(rng, int(rng.integers(2, 5)), 0.0)
        val = _run(*args)[3]
        gains = -np.diff(val)
        # a min_delta between two of the gains, so it changes when training stops
        positive = np.sort(gains[gains > 0])
        if len(positive) >= 4:
            min_delta = float(np.sqrt(positive[len(positive) // 2] * positive[-1]))
            candidate = args[:8] + (min_delta,)
            if _robust(_run(*candidate)[3], min_delta) and \
                    _run(*candidate)[1] != _run(*args)[1]:
                break
    else:  # pragma: no cover - the draws above always find one
        raise AssertionError("no min_delta problem drawn")
    _check_best(student, candidate, [Mistake("early_stopping_fit_ignores_min_delta",
                                              _run(*args)[1])])


@pytest.mark.contract("overfitting", "early_stopping_fit")
def test_early_stopping_fit_max_epochs(student, rng):
    """a validation loss that keeps improving trains for exactly max_epochs epochs"""
    x = inputs.spread(rng, int(rng.integers(8, 13)))
    x_val = inputs.spread(rng, int(rng.integers(5, 8)))
    slope = float(rng.uniform(1.5, 3.0))
    max_epochs = int(rng.integers(10, 30))
    args = (x, slope * x, x_val, slope * x_val, 1, 0.3, max_epochs, 2, 0.0)
    _check_best(student, args)
