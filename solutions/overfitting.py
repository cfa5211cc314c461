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
    ### BEGIN SOLUTION
    ### HINT: Slide 过拟合 (polynomial fitting): one row per input, one column per power, lowest
    ### HINT: power first. Broadcasting a column of inputs against a row of exponents does it in
    ### HINT: one step. Aim for (n, degree + 1) floats. Pitfall: np.vander puts the highest power
    ### HINT: first.
    ### HINT: 提示（过拟合·多项式拟合）：每个输入一行，每个幂次一列，从低次到高次。把输入排成一列、
    ### HINT: 指数排成一行，广播一步即可。结果是 (n, degree + 1) 的浮点数组。注意：
    ### HINT: np.vander 默认把最高次放在最前面。
    x = np.asarray(x, dtype=float).reshape(-1)
    return x[:, None] ** np.arange(degree + 1)
    ### END SOLUTION


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
    ### BEGIN SOLUTION
    ### HINT: Slide 正则化 (L2): the minimum is where the gradient of J vanishes, a linear system
    ### HINT: in w (the docstring's normal equations). Mind which entries carry the penalty and the
    ### HINT: 1/m on the data term. When l2 = 0 the system can be singular: a least-squares solver
    ### HINT: (lstsq, pinv) gives the minimum-norm answer where a plain solve fails. Aim for degree
    ### HINT: + 1 floats. Pitfalls: penalising w[0]; np.polyfit orders the powers backwards.
    ### HINT: 提示（正则化·L2）：J 的梯度为零处就是最小值，这是关于 w 的线性方程组（文档字符串中的
    ### HINT: 正规方程）。注意哪些分量带惩罚项，以及数据项的 1/m。l2 = 0 时方程组可能奇异：
    ### HINT: 最小二乘求解器（lstsq、pinv）给出最小范数解。注意：不要惩罚 w[0]；
    ### HINT: np.polyfit 的系数顺序是反的。
    features = polynomial_features(x, degree)
    y = np.asarray(y, dtype=float).reshape(-1)
    m = len(y)
    if l2 == 0:
        return np.linalg.lstsq(features, y, rcond=None)[0]
    penalty = np.eye(degree + 1)
    penalty[0, 0] = 0.0
    return np.linalg.solve(features.T @ features / m + l2 * penalty, features.T @ y / m)
    ### END SOLUTION


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
    ### BEGIN SOLUTION
    ### HINT: Slide 过拟合 (the error curves): one fit per degree, on the training data only, then
    ### HINT: the same mean squared error (1/(2m), the lecture's 均方误差) on both sets. Aim for
    ### HINT: two float arrays, one entry per degree. Pitfalls: fitting on the test set; using the
    ### HINT: training set's m for the test error; forgetting the 1/2.
    ### HINT: 提示（过拟合·误差曲线）：每个次数只在训练集上拟合一次，
    ### HINT: 再在两个集合上算同样的均方误差（1/(2m)）。返回两个浮点数组，每个次数一项。注意：
    ### HINT: 不要在测试集上拟合；测试误差用测试集自己的 m；别漏掉 1/2。
    y_train = np.asarray(y_train, dtype=float).reshape(-1)
    y_test = np.asarray(y_test, dtype=float).reshape(-1)
    train_err, test_err = [], []
    for d in degrees:
        w = fit_polynomial(x_train, y_train, int(d), l2)
        for x, y, errors in ((x_train, y_train, train_err), (x_test, y_test, test_err)):
            residual = polynomial_features(x, int(d)) @ w - y
            errors.append(float(residual @ residual / (2 * len(y))))
    return np.array(train_err), np.array(test_err)
    ### END SOLUTION


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
    ### BEGIN SOLUTION
    ### HINT: Slide 早停策略: the loop of gradient_descent, plus bookkeeping. After each step,
    ### HINT: record both losses, feed the validation loss to the stopping rule, and keep a copy of
    ### HINT: w whenever the rule reports a new best. Aim for (w, int, float array, float array).
    ### HINT: Pitfalls: returning the last w instead of the best; recording the losses before the
    ### HINT: step; updating w in place after saving it without a copy.
    ### HINT: 提示（早停策略）：就是梯度下降的循环，再加上记录。每走一步后记下两个损失，
    ### HINT: 把验证损失交给早停策略；它报告新的最好值时，保存 w 的一个副本。注意：
    ### HINT: 返回最好那一轮的 w，而不是最后的；损失在更新之后记录；保存时要复制。
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
    ### END SOLUTION
