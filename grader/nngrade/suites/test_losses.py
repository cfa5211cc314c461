"""Hidden tests of losses.py: one_hot, the lecture's MSE, a stable softmax and cross-entropy."""

from __future__ import annotations

import functools

import numpy as np
import pytest

from nngrade.suite import (
    Mistake,
    expect_close,
    expect_equal,
    expect_true,
    expect_value_error,
    inputs,
    msg,
    reference,
)

ref = reference("losses")  # each answer computed once per process


# ------------------------------------------------------------------ one_hot


@pytest.mark.contract("losses", "one_hot")
def test_one_hot_random_labels(student, rng):
    """one_hot of random labels gives the reference's (n, num_classes) array"""
    labels, k = inputs.labels(rng)
    expect_equal(student.one_hot(labels, k), ref.one_hot(labels, k))


@pytest.mark.contract("losses", "one_hot")
def test_one_hot_is_float_with_unused_classes(student, rng):
    """one_hot returns a float array, with all-zero columns for classes no label uses"""
    labels = rng.integers(0, 2, size=int(rng.integers(3, 7)))
    k = int(rng.integers(4, 8))
    got = student.one_hot(labels, k)
    expect_equal(got, ref.one_hot(labels, k))
    expect_true(isinstance(got, np.ndarray) and got.dtype.kind == "f",
                msg("losses.one_hot_float"),
                got=got)


@pytest.mark.contract("losses", "one_hot")
def test_one_hot_negative_label_raises(student, rng):
    """one_hot raises ValueError for a negative label"""
    labels, k = inputs.labels(rng)
    labels[int(rng.integers(1, labels.size))] = -1  # -1 indexes the last class if let through
    expect_value_error(student, "one_hot", (labels, k), mistake="one_hot_no_range_check")
    labels, k = inputs.labels(rng)
    labels[int(rng.integers(labels.size))] = -int(rng.integers(2, 4))
    expect_value_error(student, "one_hot", (labels, k), mistake="one_hot_no_range_check")


@pytest.mark.contract("losses", "one_hot")
def test_one_hot_label_too_large_raises(student, rng):
    """one_hot raises ValueError for a label >= num_classes"""
    labels, k = inputs.labels(rng)
    labels[int(rng.integers(labels.size))] = k  # the first label out of range, under every seed
    expect_value_error(student, "one_hot", (labels, k), mistake="one_hot_no_range_check")
    labels[int(rng.integers(labels.size))] = k + int(rng.integers(1, 3))
    labels[labels == k] = k - 1
    expect_value_error(student, "one_hot", (labels, k), mistake="one_hot_no_range_check")


# ------------------------------------------------------------------ mse


def _mse_mistakes(y_pred: np.ndarray, y: np.ndarray) -> list[Mistake]:
    sq = np.sum((y - y_pred) ** 2)
    return [
        Mistake("mse_missing_half_m", sq),
        Mistake("mse_mean_not_half", sq / len(y)),
        Mistake("mse_mean_over_all_entries", sq / (2 * y.size)),
        Mistake("mse_mean_over_all_entries", sq / y.size),
        Mistake("mse_missing_half_m", sq / 2),
    ]


@pytest.mark.contract("losses", "mse")
def test_mse_vector(student, rng):
    """mse of 1-D y_pred and y: J = 1/(2m) * sum((y - y_pred)**2), m = len(y)"""
    m = int(rng.integers(3, 12))
    y, y_pred = rng.normal(size=m), rng.normal(size=m)
    expect_close(student.mse(y_pred, y), ref.mse(y_pred, y),
                 mistakes=lambda: _mse_mistakes(y_pred, y))


@pytest.mark.contract("losses", "mse")
def test_mse_matrix(student, rng):
    """mse of 2-D (m, k) arrays divides by 2m, m the number of rows"""
    # A mean over all entries is only right when k == 1, and off by exactly 2 when k == 2
    # (1/(2m) vs 1/(mk)): every seed tries k == 3 and a random k of 3 or more, never 2.
    for m, k in ((4, 3), (int(rng.integers(3, 9)), int(rng.integers(3, 6)))):
        y, y_pred = rng.normal(size=(m, k)), rng.normal(size=(m, k))
        expect_close(student.mse(y_pred, y), ref.mse(y_pred, y),
                     mistakes=functools.partial(_mse_mistakes, y_pred, y))


@pytest.mark.contract("losses", "mse")
def test_mse_column_and_perfect_fit(student, rng):
    """mse of an (m, 1) column, and 0 for a perfect prediction"""
    m = int(rng.integers(3, 9))
    y, y_pred = rng.normal(size=(m, 1)), rng.normal(size=(m, 1))
    expect_close(student.mse(y_pred, y), ref.mse(y_pred, y),
                 mistakes=lambda: _mse_mistakes(y_pred, y))
    expect_close(student.mse(y.copy(), y), ref.mse(y.copy(), y))


# ------------------------------------------------------------------ softmax


def _softmax_mistakes(v: np.ndarray, axis: int) -> list[Mistake]:
    others = [a for a in range(v.ndim) if a != axis % v.ndim]
    mistakes = [Mistake("softmax_wrong_axis", ref.softmax(v.reshape(-1), axis=0).reshape(v.shape))]
    mistakes += [Mistake("softmax_wrong_axis", ref.softmax(v, axis=a)) for a in others]
    return mistakes


@pytest.mark.contract("losses", "softmax")
def test_softmax_rows(student, rng):
    """softmax of a 2-D array with the default axis (each row sums to 1)"""
    v = rng.normal(0, 2, size=(int(rng.integers(2, 6)), int(rng.integers(2, 6))))
    expect_close(student.softmax(v), ref.softmax(v),
                 mistakes=lambda: _softmax_mistakes(v, -1))


@pytest.mark.contract("losses", "softmax")
def test_softmax_vector(student, rng):
    """softmax of a 1-D vector, with the default axis and with axis=0"""
    v = rng.normal(0, 2, size=int(rng.integers(2, 9)))
    expect_close(student.softmax(v), ref.softmax(v))
    expect_close(student.softmax(v, axis=0), ref.softmax(v, axis=0))


@pytest.mark.contract("losses", "softmax")
def test_softmax_axis_zero(student, rng):
    """softmax(v, axis=0) of a 2-D array normalises each column"""
    v = rng.normal(0, 2, size=(int(rng.integers(2, 6)), int(rng.integers(2, 6))))
    expect_close(student.softmax(v, axis=0), ref.softmax(v, axis=0),
                 mistakes=lambda: _softmax_mistakes(v, 0))


@pytest.mark.contract("losses", "softmax")
def test_softmax_3d_axis_one(student, rng):
    """softmax of a 3-D array along axis=1"""
    v = rng.normal(0, 2, size=tuple(int(s) for s in rng.integers(2, 5, size=3)))
    expect_close(student.softmax(v, axis=1), ref.softmax(v, axis=1),
                 mistakes=lambda: _softmax_mistakes(v, 1))


@pytest.mark.contract("losses", "softmax")
def test_softmax_large_entries(student, rng):
    """softmax stays finite for entries up to 1e4 (numerically stable)"""
    v = rng.uniform(-1e4, 1e4, size=(3, int(rng.integers(3, 6))))
    v[0, 0], v[1, 1] = 1e4, 1e4 - 0.5  # large and nearly tied
    v[2] = rng.normal(0, 1, size=v.shape[1]) + 9000.0
    expect_close(student.softmax(v), ref.softmax(v))


# ------------------------------------------------------------------ cross_entropy


def _probs(rng: np.random.Generator, n: int, k: int) -> np.ndarray:
    return ref.softmax(rng.normal(0, 1.5, size=(n, k)), axis=-1)


def _ce_mistakes(probs: np.ndarray, targets: np.ndarray) -> list[Mistake]:
    p, t = np.atleast_2d(probs), np.atleast_2d(targets)
    rows = -np.sum(t * np.log(p), axis=-1)
    return [
        Mistake("cross_entropy_summed", np.sum(rows)),
        Mistake("cross_entropy_log10", np.mean(-np.sum(t * np.log10(p), axis=-1))),
        Mistake("cross_entropy_log10", np.mean(-np.sum(t * np.log2(p), axis=-1))),
    ]


@pytest.mark.contract("losses", "cross_entropy")
def test_cross_entropy_one_hot_batch(student, rng):
    """cross_entropy of a batch of softmax rows and one-hot targets is the mean over rows"""
    n, k = int(rng.integers(3, 9)), int(rng.integers(2, 6))
    probs = _probs(rng, n, k)
    targets = np.eye(k)[rng.integers(0, k, size=n)]
    expect_close(student.cross_entropy(probs, targets), ref.cross_entropy(probs, targets),
                 mistakes=lambda: _ce_mistakes(probs, targets))


@pytest.mark.contract("losses", "cross_entropy")
def test_cross_entropy_single_row(student, rng):
    """cross_entropy of 1-D probs and targets treats them as one row"""
    k = int(rng.integers(2, 7))
    probs = _probs(rng, 1, k)[0]
    targets = np.eye(k)[int(rng.integers(k))]
    expect_close(student.cross_entropy(probs, targets), ref.cross_entropy(probs, targets),
                 mistakes=lambda: _ce_mistakes(probs, targets))


@pytest.mark.contract("losses", "cross_entropy")
def test_cross_entropy_soft_targets(student, rng):
    """cross_entropy with soft (non one-hot) target distributions"""
    n, k = int(rng.integers(2, 7)), int(rng.integers(2, 6))
    probs = _probs(rng, n, k)
    targets = _probs(rng, n, k)
    expect_close(student.cross_entropy(probs, targets), ref.cross_entropy(probs, targets),
                 mistakes=lambda: _ce_mistakes(probs, targets))
