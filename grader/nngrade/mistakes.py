"""The classic mistakes of the lecture, by stable code.

Hidden tests name a mistake by its code when a wrong value matches what the
wrong formula would give; reports translate the code (the English text here is
the gettext source) and the class summary counts how often each was made.
"""

from __future__ import annotations

MISTAKES: dict[str, str] = {
    "derivative_of_activated_value": (
        "The derivative was taken of the activated value instead of z: "
        "sigmoid_prime(z) is sigmoid(z) * (1 - sigmoid(z)), not z * (1 - z) "
        "(likewise tanh_prime(z) is 1 - tanh(z)**2, not 1 - z**2)."
    ),
    "step_half_at_zero": (
        "step(0) returned 0.5, as (np.sign(x) + 1) / 2 does; the lecture's perceptron "
        "outputs 0 when the weighted sum is <= the threshold, so step(0) must be 0."
    ),
    "step_one_at_zero": (
        "step(0) returned 1 (x >= 0); the perceptron outputs 1 only when x > 0."
    ),
    "relu_prime_one_at_zero": (
        "relu_prime(0) returned 1; the course's convention is relu'(0) = 0 (use z > 0, not z >= 0)."
    ),
    "dropout_no_scaling": (
        "Dropout kept entries unscaled: inverted dropout divides kept entries by (1 - p) "
        "so the expected activation is unchanged and nothing needs rescaling at test time."
    ),
    "dropout_scaled_by_keep": (
        "Dropout multiplied kept entries by (1 - p) instead of dividing by it."
    ),
    "dropout_backward_no_scaling": (
        "The dropout gradient was masked but not divided by (1 - p); the backward pass "
        "must scale exactly as the forward pass did."
    ),
    "mse_missing_half_m": (
        "MSE without the lecture's 1/(2m): J = 1/(2m) * sum((y - y_pred)**2), m = len(y)."
    ),
    "mse_mean_not_half": (
        "MSE averaged with 1/m (np.mean) but without the lecture's extra 1/2: "
        "J = 1/(2m) * sum((y - y_pred)**2)."
    ),
    "mse_mean_over_all_entries": (
        "MSE divided by the number of entries instead of m = len(y) (the number of rows)."
    ),
    "cross_entropy_summed": (
        "Cross-entropy summed over the rows instead of averaged: the loss is the mean over "
        "rows of -sum(targets * ln(probs))."
    ),
    "cross_entropy_log10": (
        "Cross-entropy used log base 10 (or 2); the lecture's loss uses the natural log ln."
    ),
    "overflow": (
        "The result overflowed to nan or inf for large inputs: compute sigmoid with "
        "exp(-|z|) (or split positive and negative z) and softmax after subtracting the max."
    ),
    "softmax_wrong_axis": (
        "Softmax was normalised over the wrong axis (or over the whole array): each slice "
        "along `axis` must sum to 1."
    ),
    "one_hot_no_range_check": (
        "one_hot accepted a label outside [0, num_classes); it must raise ValueError."
    ),
    "numerical_gradient_forward_difference": (
        "The numerical gradient used a one-sided difference (f(x+h) - f(x)) / h; the lecture "
        "uses central differences (f(x+h) - f(x-h)) / 2h, which are far more accurate."
    ),
    "numerical_gradient_mutates_input": (
        "numerical_gradient left x changed: restore each entry after perturbing it "
        "(or work on a copy)."
    ),
    "gradient_descent_off_by_one": (
        "gradient_descent took a different number of steps than asked (an off-by-one loop)."
    ),
    "gradient_ascent": (
        "The update went uphill: gradient descent subtracts the gradient, x <- x - lr * grad(x)."
    ),
    "backward_missing_factor_two": (
        "The gradient is off by a factor of 2: d/dy_pred of sum((y_pred - y)**2) is "
        "2 * (y_pred - y)."
    ),
    "backward_relu_mask_missing": (
        "The gradient through ReLU was not masked: multiply by (h > 0) on the way back."
    ),
    "backward_transposed": (
        "A gradient came back transposed: grad_w must have w's shape (x.T @ grad_h)."
    ),
    "get_gradients_exponential": (
        "get_gradients did not finish on a graph with exponentially many paths: it walks "
        "every path (the lecture's first, recursive version). Visit each node once, in "
        "reverse topological order, accumulating gradients."
    ),
    "get_gradients_recursion": (
        "get_gradients hit Python's recursion limit on a deep graph: use an explicit stack "
        "for the topological sort instead of recursion."
    ),
    "variable_compares_by_value": (
        "Variables must hash and compare by identity: two different Variables with the same "
        "value are different nodes of the graph."
    ),
    "early_stopping_off_by_one": (
        "EarlyStopping stopped one call too early or too late: it should return True on the "
        "`patience`-th call in a row without an improvement larger than min_delta."
    ),
    "rotate_clockwise": (
        "The image was rotated clockwise; the contract asks for counter-clockwise as displayed "
        "(row 0 at the top), like np.rot90."
    ),
    "vanishing_wrong_derivative": (
        "The chain gradient used the wrong activation derivative (f'(z) must be evaluated at "
        "the pre-activation)."
    ),
    "returned_wrong_type": (
        "The function returned an object of its own class instead of a numpy array or number."
    ),
    # -- added with the hidden suites (grader/suites/test_*.py)
    "xor_is_or": (
        "xor(1, 1) returned 1: that is OR. XOR is 'at least one but not both', "
        "AND(NAND(a, b), OR(a, b))."
    ),
    "xor_is_nand": (
        "xor(0, 0) returned 1: that is NAND. XOR is 'at least one but not both', "
        "AND(NAND(a, b), OR(a, b))."
    ),
    "forward_relu_missing": (
        "The hidden activation skipped the ReLU: a = relu(h) = max(h, 0), and y_pred = a @ w2."
    ),
    "loss_mean_not_sum": (
        "The loss was averaged; the lecture's two-layer network uses the plain sum "
        "loss = sum((y_pred - y)**2)."
    ),
    "xor_grads_missing_half": (
        "The gradients are twice too large: the XOR network's loss is 1/2 * sum((a2 - y)**2), "
        "whose derivative with respect to a2 is (a2 - y), without a factor 2."
    ),
    "numerical_gradient_ignores_h": (
        "numerical_gradient ignored its h argument: the differences must use the step h "
        "that is passed in (1e-5 only by default)."
    ),
    "dropout_mask_inverted": (
        "The mask marks the dropped entries instead of the kept ones: mask must be True where "
        "the entry is kept (out = x * mask / (1 - p))."
    ),
    "dropout_keeps_p": (
        "Dropout kept a fraction p of the entries; p is the probability of dropping an entry, "
        "so each entry is kept with probability 1 - p (mask = rng.random(x.shape) >= p)."
    ),
    "dropout_ignores_rng": (
        "The mask was not drawn from the rng argument (np.random's global generator, or a new "
        "one, was used instead): the same generator state must give the same mask."
    ),
    "get_gradients_keeps_state": (
        "A second call of get_gradients on the same graph gave different gradients: it keeps "
        "state between calls (e.g. gradients accumulated on the nodes). Start every call "
        "from a fresh dict."
    ),
    # -- added with the rest of the lecture (gradient_check, the autodiff programs,
    # -- overfitting.py, layer_gradients)
    "gradient_check_one_sided": (
        "gradient_check used a one-sided difference (f(x+h) - f(x)) / h, as the slides first "
        "write it: its own error (about h) swamps the check. Use central differences "
        "(f(x+h) - f(x-h)) / 2h, e.g. your numerical_gradient."
    ),
    "gradient_check_not_relative": (
        "gradient_check returned the absolute error max |g - n|; the check is relative: "
        "|g - n| / max(|g| + |n|, 1e-12) entry by entry, so that large and small gradients "
        "are judged alike."
    ),
    "gradient_check_wrong_denominator": (
        "gradient_check divided by the wrong size: the relative error of each entry is "
        "|g - n| / max(|g| + |n|, 1e-12), the sum of both sizes (not |g| alone, not the "
        "larger of the two)."
    ),
    "gradient_check_mean_or_norm": (
        "gradient_check averaged the entries (or compared norms); it must return the largest "
        "relative error of any entry, so that one wrong entry among many still shows."
    ),
    "gradient_check_zero_division": (
        "gradient_check gave nan where both gradients are 0 (0 / 0): the denominator is "
        "max(|g| + |n|, 1e-12), so two zero entries have error 0."
    ),
    "gradient_check_ignores_h": (
        "gradient_check ignored its h argument: the numerical gradient must use the step h "
        "that is passed in (1e-5 only by default)."
    ),
    "gradient_check_mutates_input": (
        "gradient_check left x changed: restore each entry after perturbing it (or work on "
        "a copy)."
    ),
    "returned_variable_not_value": (
        "A Variable was returned where a plain number belongs: return its .value (the lecture "
        "records C.value, and updates w with the float gradient)."
    ),
    "train_neuron_cost_after_update": (
        "The costs were recorded after each update; the lecture records C of the current w "
        "and b first, then updates them, so the first cost is 0.25."
    ),
    "lr_ignored": (
        "The learning rate argument lr was ignored (the default was used): every step must "
        "be lr times the gradient."
    ),
    "training_off_by_one": (
        "The training ran a different number of steps or epochs than asked (an off-by-one "
        "loop)."
    ),
    "xor_net_output_sigmoid_missing": (
        "The output unit returned w[6]*h1 + w[7]*h2 + w[8] without the sigmoid: the lecture's "
        "network has a sigmoid at every unit, the output too."
    ),
    "xor_net_weights_misplaced": (
        "The nine weights are in the wrong places: h1 uses w[0], w[1] (for x1, x2) and the "
        "bias w[2]; h2 uses w[3], w[4] and w[5]; the output uses w[6], w[7] and w[8]."
    ),
    "xor_net_graph_lost": (
        "xor_net's result has no graph back to the weights (computed with .value and math "
        "functions, then wrapped in a new Variable): build it with the Variable operators and "
        "this module's sigmoid, so that get_gradients can reach all nine weights."
    ),
    "xor_autodiff_cost_scaled": (
        "The weights moved by half or a quarter of the lecture's step: the cost is the plain "
        "sum over the four XOR cases of (output - t)**2, without 1/2 or a mean."
    ),
    "xor_autodiff_per_case_updates": (
        "The weights were updated after each XOR case; the lecture's training sums the four "
        "cases into one cost and updates all nine weights once per epoch."
    ),
    "xor_autodiff_wrong_start": (
        "The starting weights were drawn differently: the contract starts from "
        "np.random.default_rng(seed).standard_normal(9), not np.random.seed/randn or "
        "uniform draws."
    ),
    "polynomial_features_reversed": (
        "The columns are in reverse order (as np.vander gives them): column k must be x**k, "
        "starting with the constant column x**0."
    ),
    "polynomial_features_wrong_columns": (
        "Wrong columns: polynomial_features(x, degree) has degree + 1 columns, x**0 (all ones, "
        "the constant term) up to x**degree."
    ),
    "fit_polynomial_penalises_bias": (
        "The L2 penalty also shrank the constant term w[0]; regularisation penalises only "
        "w[1:], (l2/2)*||w[1:]||**2."
    ),
    "fit_polynomial_l2_scale": (
        "The L2 penalty has the wrong scale: J = 1/(2m)*||Xw - y||**2 + (l2/2)*||w[1:]||**2, "
        "so the normal equations are (X^T X / m + l2 D) w = X^T y / m (mind the 1/m and the "
        "1/2)."
    ),
    "fit_polynomial_reversed": (
        "The coefficients are in reverse order (as np.polyfit returns them): w[k] must "
        "multiply x**k, the constant w[0] first."
    ),
    "fit_polynomial_ignores_l2": (
        "fit_polynomial ignored l2: with a penalty the fit is the minimiser of the regularised "
        "loss, not plain least squares."
    ),
    "fit_polynomial_not_min_norm": (
        "With more coefficients than points and l2 = 0 the least-squares problem has many "
        "solutions (the normal equations are singular); the contract asks for the one of "
        "minimum norm, which np.linalg.lstsq or np.linalg.pinv give."
    ),
    "train_test_errors_swapped": (
        "The two curves are swapped: the result is (train_err, test_err), the training "
        "error first."
    ),
    "train_test_errors_wrong_m": (
        "The test error was divided by the training set's size: each set's error is "
        "1/(2m)*||Xw - y||**2 with that set's own m."
    ),
    "train_test_errors_fit_on_test": (
        "The polynomial was fitted on the test set; fit on the training set only, then "
        "measure the same w on both sets."
    ),
    "train_test_errors_ignores_l2": (
        "train_test_errors ignored l2: every fit must use fit_polynomial(x_train, y_train, d, "
        "l2)."
    ),
    "early_stopping_fit_last_weights": (
        "The weights of the last epoch were returned; early stopping keeps the weights of the "
        "best epoch (a copy taken when the validation loss improved), which is the point of "
        "stopping early."
    ),
    "early_stopping_fit_losses_before_step": (
        "The losses were recorded before each gradient step; each epoch steps first, then "
        "records the training and validation losses of the new weights."
    ),
    "early_stopping_fit_one_based_epoch": (
        "best_epoch was counted from 1; it is the 0-based index into the curves."
    ),
    "early_stopping_fit_ignores_min_delta": (
        "min_delta was ignored: a validation loss counts as an improvement only when it falls "
        "below the best by more than min_delta."
    ),
    "layer_gradients_reversed": (
        "The layer gradients are in the wrong order: entry 0 is dC/dw1, then each layer's w in "
        "the order the weights enter the chain (the first layer first)."
    ),
    "layer_gradients_one_use": (
        "Each layer uses its weight twice, y = w * f(w * y_prev): dC/dw has two terms, "
        "f(z) from the outer w and w * f'(z) * y_prev from the inner one."
    ),
}
