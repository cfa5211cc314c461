"""The exercise contract as data: which modules a student completes and which names each holds.

This is the one place the rest of nngrade learns the shape of the course from:
the stub generator, the public checks, the hidden suites, the rubric check,
`nngrade submit` and `nngrade release` all read it. The names and their
meaning are fixed by the course's exercise contract (restated for students in
``docs/handout.zh.md`` and ``docs/handout.md``); change them there first, never
only here.

It imports nothing but the standard library, because it ships to students
inside the release bundle.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "CHAIN_NODES",
    "DEFAULTS",
    "GRADIENT_CHECK_FLOOR",
    "MODULES",
    "RAISES_VALUE_ERROR",
    "ContractName",
    "all_names",
    "module_names",
]


@dataclass(frozen=True)
class ContractName:
    """One graded name: ``module`` is the file stem, ``name`` the attribute.

    Methods are named with their class, as in ``Variable.__mul__``.
    """

    module: str
    name: str

    @property
    def tag(self) -> list[str]:
        return [self.module, self.name]

    def __str__(self) -> str:
        return f"{self.module}.{self.name}"


# Order is the order of the lecture, and the order reports list modules in.
MODULES: dict[str, tuple[str, ...]] = {
    "perceptron": ("step", "perceptron", "and_gate", "or_gate", "nand_gate", "xor"),
    "activations": (
        "sigmoid",
        "tanh",
        "relu",
        "sigmoid_prime",
        "tanh_prime",
        "relu_prime",
    ),
    "losses": ("one_hot", "mse", "softmax", "cross_entropy"),
    "gradient_descent": ("numerical_gradient", "gradient_descent", "gradient_check"),
    "backprop": ("forward", "backward", "xor_grads", "train_xor"),
    "autodiff": (
        "Variable",
        "Variable.__add__",
        "Variable.__mul__",
        "Variable.__sub__",
        "Variable.__neg__",
        "Variable.__truediv__",
        "exp",
        "log",
        "sigmoid",
        "get_gradients",
        "train_neuron",
        "xor_net",
        "train_xor_autodiff",
    ),
    "overfitting": (
        "polynomial_features",
        "fit_polynomial",
        "train_test_errors",
        "early_stopping_fit",
    ),
    "regularization": ("dropout", "dropout_backward", "EarlyStopping", "rotate"),
    "vanishing": ("chain_gradient", "layer_gradients"),
}


# Requirements that can be stated as data. The handout (both languages), the public
# checks, the hidden suites and the solutions must all say the same:
# tests/test_consistency.py compares them with these values.

# The default arguments of the contract's signatures (``Class`` for its constructor).
DEFAULTS: dict[str, dict[str, object]] = {
    "losses.softmax": {"axis": -1},
    "gradient_descent.numerical_gradient": {"h": 1e-5},
    "gradient_descent.gradient_check": {"h": 1e-5},
    "backprop.train_xor": {"hidden": 10, "epochs": 20000, "lr": 0.5, "seed": 0},
    "autodiff.Variable": {"local_gradients": ()},
    "autodiff.train_neuron": {"steps": 10, "lr": 0.1},
    "autodiff.train_xor_autodiff": {"epochs": 20000, "lr": 0.1, "seed": 0},
    "overfitting.fit_polynomial": {"l2": 0.0},
    "overfitting.train_test_errors": {"l2": 0.0},
    "overfitting.early_stopping_fit": {"min_delta": 0.0},
    "regularization.dropout": {"training": True},
    "regularization.EarlyStopping": {"min_delta": 0.0},
    "vanishing.chain_gradient": {"activation": "sigmoid", "x": 1.0, "Y": 1.0},
    "vanishing.layer_gradients": {"activation": "sigmoid", "x": 1.0, "Y": 1.0},
}

# Names that raise ValueError for a bad argument (a label out of range, p outside [0, 1),
# an unknown activation).
RAISES_VALUE_ERROR: tuple[str, ...] = (
    "losses.one_hot",
    "regularization.dropout",
    "vanishing.chain_gradient",
)

CHAIN_NODES = 20_000  # get_gradients must walk a chain this long (no recursion-depth error)
GRADIENT_CHECK_FLOOR = 1e-12  # gradient_check's denominator: max(|g| + |n|, this)

def module_names() -> list[str]:
    """The contract's module file stems, in lecture order."""
    return list(MODULES)


def all_names() -> list[ContractName]:
    """Every graded name of the contract, in lecture order."""
    return [ContractName(m, n) for m, names in MODULES.items() for n in names]
