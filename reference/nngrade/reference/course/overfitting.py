"""Empirical risk minimisation and overfitting: polynomial regression on one input.

The lecture's picture of underfitting, a good fit and overfitting is a
polynomial of low, medium and high degree fitted to a few noisy points.
Losses are the engine's (:func:`nngrade.reference.nn.mse_loss`, the
lecture's 1/(2m) mean squared error), and every gradient-descent step takes
its gradient from the engine.

``fit_polynomial`` is the one closed form: the minimiser of
1/(2m)*||X w - y||**2 + (l2/2)*||w[1:]||**2. Setting the engine's gradient
to zero gives the normal equations (X^T X / m + l2 D) w = X^T y / m, but
solving those squares the condition number of the Vandermonde matrix X
(about 1e6 at degree 12 on [-1, 1], so 1e12 for the normal equations).
The same minimiser solves the stacked least-squares problem
``[X / sqrt(m); sqrt(l2) D] w ~ [y / sqrt(m); 0]``, which ``np.linalg.lstsq``
solves through the SVD at X's own condition number, and which gives the
minimum-norm solution when l2 = 0 leaves w underdetermined.
``tests/reference`` checks that the engine's gradient vanishes there.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from nngrade.reference import nn
from nngrade.reference.course.regularization import EarlyStopping
from nngrade.reference.engine import Tensor, no_grad

__all__ = [
    "polynomial_features",
    "fit_polynomial",
    "train_test_errors",
    "early_stopping_fit",
    "objective",
]


def polynomial_features(x: ArrayLike, degree: int) -> np.ndarray:
    """(n, degree + 1) float array whose column k is x**k (column 0 is all ones, even at x = 0)."""
    x = np.asarray(x, dtype=float).reshape(-1)
    return x[:, None] ** np.arange(int(degree) + 1)


def objective(w: ArrayLike, x: ArrayLike, y: ArrayLike, degree: int, l2: float = 0.0) -> Tensor:
    """1/(2m)*||X w - y||**2 + (l2/2)*||w[1:]||**2 as an engine scalar (w requires a gradient
    if it is a Tensor that does)."""
    w_t = w if isinstance(w, Tensor) else Tensor(np.asarray(w, dtype=float))
    loss = nn.mse_loss(Tensor(polynomial_features(x, degree)) @ w_t, np.asarray(y, dtype=float))
    if l2:
        loss = loss + (w_t[1:] ** 2).sum() * (0.5 * l2)
    return loss


def fit_polynomial(x: ArrayLike, y: ArrayLike, degree: int, l2: float = 0.0) -> np.ndarray:
    """The minimiser w (degree + 1,) of the regularised MSE; the constant w[0] is not penalised.

    With l2 = 0 and fewer distinct points than coefficients: the minimum-norm
    least-squares solution.
    """
    features = polynomial_features(x, degree)
    targets = np.asarray(y, dtype=float).reshape(-1)
    m = features.shape[0]
    rows = [features / np.sqrt(m)]
    rhs = [targets / np.sqrt(m)]
    if l2:
        penalty = np.sqrt(float(l2)) * np.eye(int(degree) + 1)[1:]  # rows for w[1:] only
        rows.append(penalty)
        rhs.append(np.zeros(int(degree)))
    w, *_ = np.linalg.lstsq(np.vstack(rows), np.concatenate(rhs), rcond=None)
    return w


def _mse(features: np.ndarray, w: np.ndarray, y: np.ndarray) -> float:
    with no_grad():
        return nn.mse_loss(Tensor(features) @ w, y).item()


def train_test_errors(
    x_train: ArrayLike,
    y_train: ArrayLike,
    x_test: ArrayLike,
    y_test: ArrayLike,
    degrees: ArrayLike,
    l2: float = 0.0,
) -> tuple[np.ndarray, np.ndarray]:
    """For each degree: the 1/(2m) MSE of fit_polynomial(x_train, y_train, d, l2) on the training
    set and on the test set (m of each set its own size)."""
    y_train_arr = np.asarray(y_train, dtype=float).reshape(-1)
    y_test_arr = np.asarray(y_test, dtype=float).reshape(-1)
    train_err, test_err = [], []
    for d in np.asarray(degrees, dtype=int).reshape(-1):
        w = fit_polynomial(x_train, y_train_arr, int(d), l2)
        train_err.append(_mse(polynomial_features(x_train, int(d)), w, y_train_arr))
        test_err.append(_mse(polynomial_features(x_test, int(d)), w, y_test_arr))
    return np.array(train_err, dtype=float), np.array(test_err, dtype=float)


def early_stopping_fit(
    x_train: ArrayLike,
    y_train: ArrayLike,
    x_val: ArrayLike,
    y_val: ArrayLike,
    degree: int,
    lr: float,
    max_epochs: int,
    patience: int,
    min_delta: float = 0.0,
) -> tuple[np.ndarray, int | None, np.ndarray, np.ndarray]:
    """Gradient descent from w = 0 on the training MSE, watched by early stopping (早停策略).

    Each epoch: one full-batch step w <- w - lr * dJ/dw (the engine's
    gradient), then the training and validation losses after the step are
    appended to the curves and the validation loss goes to
    ``EarlyStopping(patience, min_delta)``; training ends when it says so or
    after ``max_epochs``. Returns (the weights after epoch best_epoch,
    best_epoch, train_curve, val_curve). If no epoch ever improved (no epoch
    ran, or every loss was nan) best_epoch is None and w is the starting zeros.
    """
    features = Tensor(polynomial_features(x_train, degree))
    val_features = polynomial_features(x_val, degree)
    targets = np.asarray(y_train, dtype=float).reshape(-1)
    val_targets = np.asarray(y_val, dtype=float).reshape(-1)
    w = Tensor(np.zeros(int(degree) + 1), requires_grad=True)
    best_w = w.data.copy()
    stopper = EarlyStopping(patience, min_delta)
    train_curve: list[float] = []
    val_curve: list[float] = []
    for epoch in range(int(max_epochs)):
        nn.mse_loss(features @ w, targets).backward()
        gradient = np.zeros(w.shape) if w.grad is None else w.grad
        with np.errstate(all="ignore"):  # a too large lr diverges: the curves show inf/nan
            w.data = w.data - lr * gradient
        w.grad = None
        with np.errstate(all="ignore"):
            train_curve.append(_mse(features.data, w.data, targets))
            val_curve.append(_mse(val_features, w.data, val_targets))
        stop = stopper.step(val_curve[-1])
        if stopper.best_epoch == epoch:
            best_w = w.data.copy()
        if stop:
            break
    return (best_w, stopper.best_epoch, np.array(train_curve, dtype=float),
            np.array(val_curve, dtype=float))
