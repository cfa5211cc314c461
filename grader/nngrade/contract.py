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

__all__ = ["MODULES", "ContractName", "all_names", "module_names"]


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


def module_names() -> list[str]:
    """The contract's module file stems, in lecture order."""
    return list(MODULES)


def all_names() -> list[ContractName]:
    """Every graded name of the contract, in lecture order."""
    return [ContractName(m, n) for m, names in MODULES.items() for n in names]
