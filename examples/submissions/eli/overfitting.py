"""Empirical risk minimisation (经验风险最小化) and overfitting (过拟合).

Training minimises the loss on the training set, the empirical risk; what
we care about is the loss on data the model has not seen. The lecture's
picture fits polynomials of growing degree to a few noisy points: a
degree too low misses the curve (欠拟合, underfitting), a suitable one
follows it (正常), and a degree too high threads every training point
while swinging wildly between them (过拟合, overfitting): the training error
keeps falling as the degree grows, the test error falls and then rises.

Two of the lecture's remedies (正则化, regularisation) appear here: an L2
penalty on the weights, and early stopping (早停策略), which stops gradient
descent when the loss on a validation set stops improving.

Handout: docs/handout.zh.md (中文) or docs/handout.md, section overfitting.py.
"""

import math

import numpy as np


def polynomial_features(x, degree):
    """The design matrix of a polynomial: an (n, degree + 1) array whose column k is x**k.

    x holds n numbers, shape (n,). Column 0 is all ones (x**0 = 1, also at
    x = 0: it carries the constant term), column 1 is x itself, and so on up
    to x**degree. A polynomial w[0] + w[1] x + ... + w[d] x^d evaluated at
    every x is then one matrix product, polynomial_features(x, d) @ w.
    """
    x = np.asarray(x, dtype=float).reshape(-1)
    return x[:, None] ** np.arange(degree + 1)


def fit_polynomial(x, y, degree, l2=0.0):
    """Least squares with an L2 penalty: the w of shape (degree + 1,) that minimises

        J(w) = 1/(2m) * ||X w - y||^2 + (l2 / 2) * ||w[1:]||^2,

    where X = polynomial_features(x, degree) and m = len(y). The constant
    term w[0] is not penalised: shifting every target by the same amount
    should shift the fit, not be resisted. Setting the gradient of J to zero
    gives the normal equations (X^T X / m + l2 D) w = X^T y / m, with D the
    identity matrix except D[0, 0] = 0.

    With l2 = 0 and more coefficients than points the minimum is not
    unique; return the minimum-norm one (the least-squares solution of
    smallest ||w||), which is what np.linalg.lstsq and np.linalg.pinv give.
    """
    features = polynomial_features(x, degree)
    y = np.asarray(y, dtype=float).reshape(-1)
    m = len(y)
    penalty = np.eye(degree + 1)
    penalty[0, 0] = 0.0
    return np.linalg.solve(features.T @ features / m + l2 * penalty, features.T @ y / m)


def train_test_errors(x_train, y_train, x_test, y_test, degrees, l2=0.0):
    """The lecture's under/overfitting curves: (train_err, test_err), one entry per degree.

    For each d in ``degrees`` fit w = fit_polynomial(x_train, y_train, d, l2)
    on the training set only, then measure the mean squared error
    1/(2m) * ||X w - y||^2 of that same w on the training set and on the test
    set (each with its own m and its own X = polynomial_features(., d)).
    Both results are float arrays as long as ``degrees``. The training error
    can only fall as the degree grows; the test error shows where the model
    starts to fit the noise.
    """
    y_train = np.asarray(y_train, dtype=float).reshape(-1)
    y_test = np.asarray(y_test, dtype=float).reshape(-1)
    train_err, test_err = [], []
    for d in degrees:
        w = fit_polynomial(x_train, y_train, int(d), l2)
        for x, y, errors in ((x_train, y_train, train_err), (x_test, y_test, test_err)):
            residual = polynomial_features(x, int(d)) @ w - y
            errors.append(float(np.mean(residual**2)))
    return np.array(train_err), np.array(test_err)


def early_stopping_fit(x_train, y_train, x_val, y_val, degree, lr, max_epochs, patience,
                       min_delta=0.0):
    """Gradient descent on a polynomial fit, stopped early: (w, best_epoch, train_curve, val_curve).

    w starts at zeros (degree + 1 of them). Each epoch:
      1. one full-batch gradient-descent step on the training loss
         J(w) = 1/(2m) * ||X w - y||^2, whose gradient is X^T (X w - y) / m;
      2. the training loss and the validation loss of the new w (after the
         step) are appended to train_curve and val_curve;
      3. the validation loss goes to an early-stopping rule exactly like
         regularization.EarlyStopping(patience, min_delta) (you may import
         and use yours): training ends as soon as it says stop, or after
         max_epochs epochs.
    best_epoch is the 0-based index (into the curves) of the best validation
    loss; w is a copy of the weights right after that epoch, not the last
    ones. The curves are float arrays as long as the epochs that ran.
    """
    features = polynomial_features(x_train, degree)
    val_features = polynomial_features(x_val, degree)
    y = np.asarray(y_train, dtype=float).reshape(-1)
    y_val = np.asarray(y_val, dtype=float).reshape(-1)
    m, m_val = len(y), len(y_val)
    w = np.zeros(degree + 1)
    best_w, best_loss, best_epoch, without_improvement = w.copy(), math.inf, None, 0
    train_curve, val_curve = [], []
    for epoch in range(max_epochs):
        w = w - lr * features.T @ (features @ w - y) / m
        residual, val_residual = features @ w - y, val_features @ w - y_val
        train_curve.append(float(residual @ residual / (2 * m)))
        val_curve.append(float(val_residual @ val_residual / (2 * m_val)))
        if best_loss - val_curve[-1] > min_delta:
            best_loss, best_epoch, best_w, without_improvement = val_curve[-1], epoch, w.copy(), 0
        else:
            without_improvement += 1
            if without_improvement >= patience:
                break
    return best_w, best_epoch, np.array(train_curve), np.array(val_curve)
