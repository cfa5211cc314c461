"""nngrade.reference.course answers every contract name, with the contract's exact signature."""

from __future__ import annotations

import importlib
import inspect

import pytest

from nngrade.contract import all_names

# The parameter lists of ../shared/exercise-contract.md, name by name.
SIGNATURES = {
    "perceptron.step": "(x)",
    "perceptron.perceptron": "(x, w, threshold)",
    "perceptron.and_gate": "(a, b)",
    "perceptron.or_gate": "(a, b)",
    "perceptron.nand_gate": "(a, b)",
    "perceptron.xor": "(a, b)",
    "activations.sigmoid": "(z)",
    "activations.tanh": "(z)",
    "activations.relu": "(z)",
    "activations.sigmoid_prime": "(z)",
    "activations.tanh_prime": "(z)",
    "activations.relu_prime": "(z)",
    "losses.one_hot": "(labels, num_classes)",
    "losses.mse": "(y_pred, y)",
    "losses.softmax": "(v, axis=-1)",
    "losses.cross_entropy": "(probs, targets)",
    "gradient_descent.numerical_gradient": "(f, x, h=1e-05)",
    "gradient_descent.gradient_descent": "(grad, x0, lr, steps)",
    "gradient_descent.gradient_check": "(f, grad_f, x, h=1e-05)",
    "backprop.forward": "(x, w1, w2)",
    "backprop.backward": "(x, y, w1, w2)",
    "backprop.xor_grads": "(x, y, w1, w2)",
    "backprop.train_xor": "(hidden=10, epochs=20000, lr=0.5, seed=0)",
    "autodiff.Variable": "(value, local_gradients=())",
    "autodiff.exp": "(v)",
    "autodiff.log": "(v)",
    "autodiff.sigmoid": "(v)",
    "autodiff.get_gradients": "(v)",
    "autodiff.train_neuron": "(steps=10, lr=0.1)",
    "autodiff.xor_net": "(w, x1, x2)",
    "autodiff.train_xor_autodiff": "(epochs=20000, lr=0.1, seed=0)",
    "overfitting.polynomial_features": "(x, degree)",
    "overfitting.fit_polynomial": "(x, y, degree, l2=0.0)",
    "overfitting.train_test_errors": "(x_train, y_train, x_test, y_test, degrees, l2=0.0)",
    "overfitting.early_stopping_fit": (
        "(x_train, y_train, x_val, y_val, degree, lr, max_epochs, patience, min_delta=0.0)"
    ),
    "regularization.dropout": "(x, p, rng, training=True)",
    "regularization.dropout_backward": "(grad_out, mask, p)",
    "regularization.EarlyStopping": "(patience, min_delta=0.0)",
    "regularization.rotate": "(image, degrees)",
    "vanishing.chain_gradient": "(depth, activation='sigmoid', x=1.0, Y=1.0)",
    "vanishing.layer_gradients": "(depth, activation='sigmoid', x=1.0, Y=1.0)",
}


def _unannotated(obj: object) -> str:
    params = [
        p.replace(annotation=inspect.Parameter.empty)
        for p in inspect.signature(obj).parameters.values()
    ]
    return str(inspect.Signature(params))


@pytest.mark.parametrize("entry", all_names(), ids=str)
def test_every_contract_name_is_answered(entry) -> None:
    module = importlib.import_module(f"nngrade.reference.course.{entry.module}")
    obj = module
    for part in entry.name.split("."):
        obj = getattr(obj, part)
    assert callable(obj)
    if str(entry) in SIGNATURES:
        assert _unannotated(obj) == SIGNATURES[str(entry)]


def test_early_stopping_step_signature() -> None:
    from nngrade.reference.course.regularization import EarlyStopping

    assert list(inspect.signature(EarlyStopping.step).parameters) == ["self", "val_loss"]
