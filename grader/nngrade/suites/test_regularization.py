"""Hidden tests of regularization.py: inverted dropout, early stopping and image rotation.

Dropout draws its mask from the student's use of ``rng``, so its tests check
properties (the mask's type, the scaling of the student's own mask, the keep
rate, reproducibility) rather than one exact mask. ``EarlyStopping`` runs in
the worker through the ``early_stopping`` driver; the same trace function
runs the reference's class here.
"""

from __future__ import annotations

import numpy as np
import pytest

from nngrade.suite import (
    FIGURE_CELLS,
    Feedback,
    Mistake,
    Rng,
    driver_facts,
    expect_close,
    expect_dtype,
    expect_equal,
    expect_true,
    expect_tuple,
    expect_value_error,
    failure,
    figure_numbers,
    msg,
    reference,
)
from nngrade.worker.drivers.regularization import early_stopping_trace

ref = reference("regularization")  # each answer computed once per process

# ------------------------------------------------------------------ dropout


def _pair(got, names: str = "out, mask") -> tuple:
    out, mask = expect_tuple(got, 2, names)
    return out, mask


def _check_mask(mask, shape: tuple[int, ...]) -> np.ndarray:
    expect_true(isinstance(mask, np.ndarray) and mask.shape == shape,
                msg("dropout.mask_shape", shape=str(shape)), got=mask)
    return mask


def _dropout_input(rng: np.random.Generator) -> np.ndarray:
    shape = tuple(int(s) for s in rng.integers(3, 9, size=2))
    x = rng.normal(size=shape)
    return np.where(np.abs(x) < 0.05, 0.5, x)  # no (near-)zero entries: every drop shows


@pytest.mark.contract("regularization", "dropout")
def test_dropout_scales_kept_entries(student, rng):
    """dropout's out is x * mask / (1 - p), using the returned mask"""
    x = _dropout_input(rng)
    # p == 0.5 hides dividing by p instead of 1 - p: a fixed 0.2 under every seed, then a drawn
    # p that is never 0.5.
    for p in (0.2, float(rng.choice([0.3, 0.4, 0.7]))):
        _check_scaled(student, x, p, Rng(int(rng.integers(2**31))))


def _check_scaled(student, x: np.ndarray, p: float, generator: Rng) -> None:
    """dropout(x, p) returns a boolean mask and out == x * mask / (1 - p) for that mask."""
    out, mask = _pair(student.dropout(x, p, generator))
    keep = _check_mask(mask, x.shape).astype(bool)
    expect_close(out, x * keep / (1 - p), what="out",
                 mistakes=lambda: [Mistake("dropout_no_scaling", x * keep),
                           Mistake("dropout_scaled_by_keep", x * keep * (1 - p)),
                           Mistake("dropout_keeps_p", x * keep / p),
                           Mistake("dropout_mask_inverted", x * ~keep / (1 - p))])
    expect_true(mask.dtype == bool, msg("dropout.mask_dtype", dtype=str(mask.dtype)),
                got=mask)
    expect_dtype(out, "float", what="out")


@pytest.mark.contract("regularization", "dropout")
def test_dropout_mask_is_boolean(student, rng):
    """dropout's mask is a boolean array shaped like x, and out is x * mask / (1 - p)"""
    # Never points for the mask's type and shape alone: out must be right for that mask too.
    x = _dropout_input(rng).reshape(-1)
    _check_scaled(student, x, 0.3, Rng(int(rng.integers(2**31))))


@pytest.mark.contract("regularization", "dropout")
def test_dropout_keep_rate(student, rng):
    """dropout keeps about a fraction 1 - p of the entries of a large array"""
    # 4000 entries: five standard deviations of the kept fraction are at most 4 points,
    # a tenth of the smallest gap between 1 - p and the mistaken p. Every extra entry
    # costs transfer time for each submission, both ways.
    x = np.ones((50, 80))
    p = float(rng.choice([0.1, 0.3, 0.6, 0.8]))
    out, mask = _pair(student.dropout(x, p, Rng(int(rng.integers(2**31)))))
    keep = _check_mask(mask, x.shape).astype(bool)
    rate = float(keep.mean())
    tolerance = 5 * np.sqrt(p * (1 - p) / x.size)  # five standard deviations
    mistake = "dropout_keeps_p" if abs(rate - p) <= tolerance else None
    expect_true(abs(rate - (1 - p)) <= tolerance,
                msg("dropout.keep_rate", p=p, wanted=f"{1 - p:.0%}", kept=f"{rate:.1%}"),
                mistake=mistake)


@pytest.mark.contract("regularization", "dropout")
def test_dropout_identity_when_not_training(student, rng):
    """training=False, and p == 0, give out == x and an all-True mask"""
    x = _dropout_input(rng)
    for p, training in ((float(rng.uniform(0.2, 0.8)), False), (0.0, True)):
        out, mask = _pair(student.dropout(x, p, Rng(int(rng.integers(2**31))), training=training))
        keep = _check_mask(mask, x.shape)
        expect_close(out, x, what="out")
        expect_true(bool(np.all(keep)), msg("dropout.mask_all_true"),
                    got=mask)
        expect_true(keep.dtype == bool, msg("dropout.mask_dtype", dtype=str(keep.dtype)),
                    got=mask)


@pytest.mark.contract("regularization", "dropout")
def test_dropout_uses_rng(student, rng):
    """the mask comes from rng: the same seed gives the same mask, another seed another mask"""
    x = _dropout_input(rng)
    seed = int(rng.integers(2**31))
    out1, mask1 = _pair(student.dropout(x, 0.5, Rng(seed)))
    out2, mask2 = _pair(student.dropout(x, 0.5, Rng(seed)))
    _check_mask(mask1, x.shape)
    expect_true(bool(np.array_equal(mask1, mask2)) and bool(np.array_equal(out1, out2)),
                msg("dropout.same_seed_differs"),
                mistake="dropout_ignores_rng")
    big = np.ones((20, 20))
    _, mask3 = _pair(student.dropout(big, 0.5, Rng(seed)))
    _, mask4 = _pair(student.dropout(big, 0.5, Rng(seed + 1)))
    expect_true(not np.array_equal(mask3, mask4),
                msg("dropout.seed_ignored"),
                mistake="dropout_ignores_rng")


@pytest.mark.contract("regularization", "dropout")
def test_dropout_invalid_p_raises(student, rng):
    """p outside [0, 1) raises ValueError (p < 0, p == 1, p > 1)"""
    x = _dropout_input(rng)
    for p in (-float(rng.uniform(0.01, 1)), 1.0, float(rng.uniform(1.01, 3))):
        expect_value_error(student, "dropout", (x, p, Rng(int(rng.integers(2**31)))))


# ------------------------------------------------------------------ dropout_backward


@pytest.mark.contract("regularization", "dropout_backward")
def test_dropout_backward_random(student, rng):
    """dropout_backward(grad_out, mask, p) equals the reference's gradient"""
    shape = tuple(int(s) for s in rng.integers(2, 7, size=int(rng.integers(1, 4))))
    grad_out = rng.normal(size=shape)
    p = float(rng.choice([0.25, 0.5, 0.75]))
    mask = rng.random(shape) >= p
    mask.flat[0], mask.flat[-1] = True, False  # some gradient flows, some is blocked
    expected = ref.dropout_backward(grad_out, mask, p)
    expect_close(student.dropout_backward(grad_out, mask, p), expected,
                 mistakes=lambda: [Mistake("dropout_backward_no_scaling", grad_out * mask),
                           Mistake("dropout_scaled_by_keep", grad_out * mask * (1 - p))])


@pytest.mark.contract("regularization", "dropout_backward")
def test_dropout_backward_no_drop(student, rng):
    """with an all-True mask: unchanged for p == 0, scaled by 1/(1 - p) for p > 0"""
    grad_out = rng.normal(size=tuple(int(s) for s in rng.integers(2, 6, size=2)))
    mask = np.ones(grad_out.shape, dtype=bool)
    for p in (0.0, float(rng.choice([0.2, 0.5]))):
        expect_close(student.dropout_backward(grad_out, mask, p),
                     ref.dropout_backward(grad_out, mask, p),
                     mistakes=lambda: [Mistake("dropout_backward_no_scaling", grad_out)])


# ------------------------------------------------------------------ EarlyStopping


def _expected_trace(patience: int, min_delta: float | None, losses: list[float]):
    """The reference's trace, cut after its first True (later calls are not specified)."""
    trace = early_stopping_trace(ref.EarlyStopping, patience, min_delta, losses)
    if True in trace["stops"]:
        end = trace["stops"].index(True) + 1
        losses = losses[:end]
        trace = {k: (v if k == "initial" else v[:end]) for k, v in trace.items()}
    return losses, trace


def _check_stops(got: list, expected: list, call: str) -> None:
    bad = [s for s in got if not isinstance(s, bool)]
    if bad:
        raise Feedback(msg("early_stopping.step_not_bool"), kind="bad_result", call=call,
                       got=got)
    first = expected.index(True) if True in expected else None
    got_first = got.index(True) if True in got else None
    off_by_one = (first is not None and got_first is not None and abs(got_first - first) == 1) \
        or (first is not None and got_first is None and len(got) == first + 1)
    expect_equal(np.array(got), np.array(expected), call=call,
                 what=msg("what.step_sequence"),
                 mistakes=lambda: [Mistake("early_stopping_off_by_one", lambda _: off_by_one)])


def _as_numbers(values: list, what: str, call: str) -> np.ndarray:
    bad = [v for v in values if not isinstance(v, (int, float)) or isinstance(v, bool)]
    if bad:
        raise Feedback(msg("early_stopping.not_a_number", name=what), kind="bad_result",
                       call=call, got=values)
    return np.array(values, dtype=float)


def _run(student, patience: int, min_delta: float | None, losses: list[float],
         check_best: bool = True) -> None:
    losses, expected = _expected_trace(patience, min_delta, [float(v) for v in losses])
    params = {"patience": patience, "min_delta": min_delta, "losses": losses}
    got = student.drive("early_stopping", params, name="EarlyStopping")
    md = "" if min_delta is None else f", min_delta={min_delta}"
    call = (f"es = EarlyStopping({patience}{md}); es.step(loss) for loss in "
            f"{[round(v, 4) for v in losses]}")
    driver_facts(got, call, lists=dict.fromkeys(["stops", "best_loss", "best_epoch"], len(losses)))
    _check_stops(got["stops"], expected["stops"], call)
    if check_best:
        _check_initial(got.get("initial"), call)
        expect_equal(_as_numbers(got["best_epoch"], "best_epoch", call),
                     np.array(expected["best_epoch"], dtype=float), call=call,
                     what=msg("what.best_epoch_sequence"))
        expect_close(_as_numbers(got["best_loss"], "best_loss", call),
                     np.array(expected["best_loss"], dtype=float), call=call,
                     what=msg("what.best_loss_sequence"))


def _check_initial(initial: object, call: str) -> None:
    """Before the first call best_loss is inf and best_epoch None (the contract says so)."""
    ok = isinstance(initial, list) and len(initial) == 2 and initial[1] is None \
        and isinstance(initial[0], float) and initial[0] == float("inf")
    expect_true(ok, msg("early_stopping.initial_state"), call=call,
                got=initial if isinstance(initial, list) else None)


@pytest.mark.contract("regularization", "EarlyStopping")
def test_early_stopping_plateau(student, rng):
    """losses improve, then stop improving: step returns True on the patience-th flat call"""
    patience = int(rng.integers(1, 5))
    start = float(rng.uniform(1, 3))
    improving = list(start - np.cumsum(rng.uniform(0.05, 0.3, size=int(rng.integers(2, 6)))))
    worse = list(improving[-1] + rng.uniform(0.01, 0.5, size=patience + 2))
    _run(student, patience, None, improving + worse)


@pytest.mark.contract("regularization", "EarlyStopping")
def test_early_stopping_ties_do_not_improve(student, rng):
    """a loss equal to the best, or NaN (even the first), is no improvement; best_epoch stays"""
    patience = int(rng.integers(2, 5))
    best = float(rng.uniform(0.5, 1.5))
    losses = [best + 0.4, best] + [best] * (patience + 1)
    _run(student, patience, None, losses)
    # NaN never improves (the contract), not even on the first call: patience calls in a row.
    nan = float("nan")
    _run(student, patience, None, [best + 0.4, best] + [nan] * (patience + 1))
    _run(student, patience, None, [nan] * (patience + 1), check_best=False)


@pytest.mark.contract("regularization", "EarlyStopping")
def test_early_stopping_min_delta(student, rng):
    """with min_delta, only a drop of more than min_delta counts as an improvement"""
    patience = int(rng.integers(2, 5))
    min_delta = float(rng.choice([0.05, 0.1, 0.2]))

    def creep(level: float, count: int) -> list[float]:
        # lower each time, but all of them together by less than min_delta
        drops = np.cumsum(rng.uniform(0.2, 0.9, size=count)) * min_delta / (count + 1)
        return list(level - drops)

    losses = [1.0] + creep(1.0, patience - 1)
    losses.append(1.0 - 3 * min_delta)  # a real improvement: resets the count
    losses += creep(losses[-1], patience + 1)
    _run(student, patience, min_delta, losses, check_best=False)


@pytest.mark.contract("regularization", "EarlyStopping")
def test_early_stopping_improvement_resets_patience(student, rng):
    """an improvement resets the count; best_loss and best_epoch follow the best call"""
    patience = int(rng.integers(2, 4))
    losses, level = [], 2.0
    for _ in range(int(rng.integers(2, 4))):  # a few plateaus shorter than patience
        level -= float(rng.uniform(0.1, 0.4))
        losses.append(level)
        losses += list(level + rng.uniform(0.01, 0.3, size=patience - 1))
    losses += list(level + rng.uniform(0.01, 0.3, size=patience + 1))
    _run(student, patience, None, losses)


# ------------------------------------------------------------------ rotate


def _image(rng: np.random.Generator, height: int, width: int) -> np.ndarray:
    return rng.integers(1, 256, size=(height, width)).astype(float)  # no zeros: fill shows


def _rotate_exact(student, image: np.ndarray, degrees: float) -> None:
    expected = ref.rotate(image, degrees)
    try:
        expect_equal(student.rotate(image, degrees), expected,
                     mistakes=lambda: [Mistake("rotate_clockwise", ref.rotate(image, -degrees))],
                     figure="image")
    except Feedback as fb:
        raise _with_input(fb, image) from None


def _with_input(fb: Feedback, image: np.ndarray) -> Feedback:
    """The report draws the image that was rotated beside the two results."""
    if fb.figure and image.size <= FIGURE_CELLS:
        fb.figure["input"] = figure_numbers(np.asarray(image, dtype=float))
    return fb


@pytest.mark.contract("regularization", "rotate")
def test_rotate_quarter_turns_square(student, rng):
    """rotate by 90, 180 and 270 degrees on a square image is exact (np.rot90)"""
    n = int(rng.integers(3, 9))
    image = _image(rng, n, n)
    for degrees in (90, 180, 270):
        _rotate_exact(student, image, degrees)


@pytest.mark.contract("regularization", "rotate")
def test_rotate_negative_and_full_turns(student, rng):
    """rotate by -90, -180, 360 and 0 degrees is exact"""
    n = int(rng.integers(3, 9))
    image = _image(rng, n, n)
    for degrees in (-90, -180, 360, 0):
        _rotate_exact(student, image, degrees)


@pytest.mark.contract("regularization", "rotate")
def test_rotate_non_square(student, rng):
    """rotate a non-square (H != W) image by multiples of 90 degrees, same shape"""
    height = int(rng.integers(3, 8))
    width = height + 2 * int(rng.integers(1, 3))  # same parity: no rounding ties at 90 degrees
    image = _image(rng, height, width)
    if rng.random() < 0.5:
        image = image.T.copy()
    for degrees in (90, 180, -90):
        _rotate_exact(student, image, degrees)


@pytest.mark.contract("regularization", "rotate")
def test_rotate_other_angles(student, rng):
    """rotate by other angles matches the reference up to a few rounding-tie pixels"""
    height, width = int(rng.integers(6, 12)), int(rng.integers(6, 12))
    drawn = _image(rng, height, width)
    # Placed under every seed: even sides (the center (H-1)/2 is a half pixel, (H-1)//2 is
    # not), pixels that come from just outside the top or the left edge (0, not the last
    # row or column), and 1 degree from a quarter turn on an image large enough to show it.
    large = _image(rng, 64, 64)
    cases = [(_image(rng, 10, 8), 30.0), (_image(rng, 8, 10), 30.0), (large, 89.0),
             (large, 91.0)]
    cases += [(drawn, round(float(rng.uniform(5, 85)), 1)),
              (drawn, round(-float(rng.uniform(95, 175)), 1))]
    for image, degrees in cases:
        got = student.rotate(image, degrees)
        expected = ref.rotate(image, degrees)
        expect_true(isinstance(got, np.ndarray) and got.shape == image.shape,
                    msg("rotate.shape", shape=str(image.shape)), got=got)
        allowed = max(2, int(0.02 * image.size))
        differ = int(np.sum(~np.isclose(got.astype(float), expected)))
        clockwise = ref.rotate(image, -degrees)
        mistake = None
        if int(np.sum(~np.isclose(got.astype(float), clockwise))) <= allowed:
            mistake = "rotate_clockwise"
        if not differ <= allowed:
            raise _with_input(failure(msg("rotate.pixels_differ", count=differ,
                                           total=image.size, allowed=allowed),
                                       got=got, expected=expected,
                                       mistake=mistake, figure="image",
                                       marks=~np.isclose(got.astype(float), expected)), image)
