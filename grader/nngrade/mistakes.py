"""The classic mistakes of the lecture, by stable code.

Hidden tests and public checks name a mistake by its code when a wrong value
is what the wrong formula would give. The explanation (what went wrong, in
one sentence of why) is the message ``mistake.<code>`` of the catalogs
(``nngrade/catalogs/<lang>.toml``), so a report or ``nngrade check`` says it
in the reader's language; the class summary counts how often each was made.
A code is stable once results.json files hold it: reword the catalog text,
never the code.

This module ships to students (``nngrade check`` names the same mistakes).
"""

from __future__ import annotations

from nngrade.messages import Message, has_text, msg, render

__all__ = ["CODES", "MISTAKES", "mistake_message"]

CODES: tuple[str, ...] = (
    "derivative_of_activated_value",
    "step_half_at_zero",
    "step_one_at_zero",
    "relu_prime_one_at_zero",
    "dropout_no_scaling",
    "dropout_scaled_by_keep",
    "dropout_backward_no_scaling",
    "mse_missing_half_m",
    "mse_mean_not_half",
    "mse_mean_over_all_entries",
    "cross_entropy_summed",
    "cross_entropy_log10",
    "overflow",
    "softmax_wrong_axis",
    "one_hot_no_range_check",
    "numerical_gradient_forward_difference",
    "numerical_gradient_mutates_input",
    "gradient_descent_off_by_one",
    "gradient_ascent",
    "backward_missing_factor_two",
    "backward_relu_mask_missing",
    "backward_transposed",
    "get_gradients_exponential",
    "get_gradients_recursion",
    "variable_compares_by_value",
    "early_stopping_off_by_one",
    "rotate_clockwise",
    "vanishing_wrong_derivative",
    "returned_wrong_type",
    "returned_wrong_dtype",
    "xor_is_or",
    "xor_is_nand",
    "forward_relu_missing",
    "loss_mean_not_sum",
    "xor_grads_missing_half",
    "numerical_gradient_ignores_h",
    "dropout_mask_inverted",
    "dropout_keeps_p",
    "dropout_ignores_rng",
    "get_gradients_keeps_state",
    # the rest of the lecture: gradient_check, the autodiff programs, overfitting.py,
    # layer_gradients
    "gradient_check_one_sided",
    "gradient_check_not_relative",
    "gradient_check_wrong_denominator",
    "gradient_check_mean_or_norm",
    "gradient_check_zero_division",
    "gradient_check_ignores_h",
    "gradient_check_mutates_input",
    "gradient_check_wrong_floor",
    "gradient_check_wrong_default_h",
    "wrong_default_argument",
    "returned_variable_not_value",
    "train_neuron_cost_after_update",
    "lr_ignored",
    "training_off_by_one",
    "xor_net_output_sigmoid_missing",
    "xor_net_weights_misplaced",
    "xor_net_graph_lost",
    "xor_autodiff_cost_scaled",
    "xor_autodiff_per_case_updates",
    "xor_autodiff_wrong_start",
    "polynomial_features_reversed",
    "polynomial_features_wrong_columns",
    "fit_polynomial_penalises_bias",
    "fit_polynomial_l2_scale",
    "fit_polynomial_reversed",
    "fit_polynomial_ignores_l2",
    "fit_polynomial_not_min_norm",
    "train_test_errors_swapped",
    "train_test_errors_wrong_m",
    "train_test_errors_fit_on_test",
    "train_test_errors_ignores_l2",
    "early_stopping_fit_last_weights",
    "early_stopping_fit_losses_before_step",
    "early_stopping_fit_one_based_epoch",
    "early_stopping_fit_ignores_min_delta",
    "layer_gradients_reversed",
    "layer_gradients_one_use",
)


def mistake_message(code: str) -> Message:
    """The explanation of mistake ``code`` (a generic sentence naming it if no catalog knows it)."""
    if has_text(f"mistake.{code}", "en"):
        return msg(f"mistake.{code}")
    return msg("mistake_unknown", code=code)


# Each code's English explanation, for readers that want plain text (and older callers).
MISTAKES: dict[str, str] = {code: render(mistake_message(code), "en") for code in CODES}
