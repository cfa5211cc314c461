"""The answer key: one module per contract module, every contract name with its exact signature.

The hidden suites compute every expected value here. Wherever a gradient is
involved it is derived by the engine (:mod:`nngrade.reference.engine`),
never by copying a hand formula, so this package and ``solutions/`` are two
independent implementations of the contract that check each other.
"""

MODULES = (
    "perceptron",
    "activations",
    "losses",
    "gradient_descent",
    "backprop",
    "autodiff",
    "overfitting",
    "regularization",
    "vanishing",
)
