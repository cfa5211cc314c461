"""Write the bundled sample class, examples/submissions/, from solutions/.

Eight students, from perfect to empty, each a realistic hand-in: the
classic mistakes of the lecture, a syntax error, a missing file, an
infinite loop, zips in the layouts students really upload, and one cheat.
The expected scores are pinned in tests/test_batch.py (EXPECTED); rerun this
script (``python examples/make_sample_class.py``) after changing solutions/
and update them there.
"""

from __future__ import annotations

import io
import re
import shutil
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
OUT = HERE / "submissions"
MODULES = ["perceptron", "activations", "losses", "gradient_descent", "backprop", "autodiff",
           "overfitting", "regularization", "vanishing"]


def student_version(module: str) -> str:
    """A solution as a student would hand it in: the exercise with the markers' code kept."""
    text = (ROOT / "solutions" / f"{module}.py").read_text(encoding="utf-8")
    return "".join(line for line in text.splitlines(keepends=True)
                   if not re.match(r"\s*### (BEGIN|END) SOLUTION|\s*### HINT", line))


def stub(module: str) -> str:
    return (ROOT / "exercises" / f"{module}.py").read_text(encoding="utf-8")


def mutate(source: str, *pairs: tuple[str, str]) -> str:
    """Apply textual edits, insisting that each one applies (so the script fails loudly)."""
    for old, new in pairs:
        if old not in source:
            raise SystemExit(f"sample class: cannot find {old!r}")
        source = source.replace(old, new, 1)
    return source


def write_folder(folder: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def write_zip(path: Path, files: dict[str, str]) -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, text in files.items():
            # A fixed timestamp keeps the archive byte-identical from one run to the next.
            zf.writestr(zipfile.ZipInfo(name, date_time=(2026, 11, 20, 12, 0, 0)), text,
                        compress_type=zipfile.ZIP_DEFLATED)
    path.write_bytes(buf.getvalue())


def main() -> None:
    if OUT.exists():
        shutil.rmtree(OUT)
    OUT.mkdir(parents=True)
    good = {m: student_version(m) for m in MODULES}

    # ada: everything right.
    write_folder(OUT / "ada", {f"{m}.py": good[m] for m in MODULES})

    # ben: handed in the untouched stubs, under exercises/.
    write_folder(OUT / "ben", {f"exercises/{m}.py": stub(m) for m in MODULES})

    # chen: derivatives of the activated value, and np.mean where a sum or a max belongs (MSE,
    # the gradient check, the XOR cost of the autodiff training); a zip of exercises/.
    chen = dict(good)
    chen["activations"] = mutate(
        good["activations"],
        ("    s = sigmoid(z)\n    return s * (1.0 - s)", "    return z * (1 - z)"),
        ("    t = np.tanh(np.asarray(z, dtype=float))\n    return 1.0 - t * t",
         "    return 1 - z ** 2"),
    )
    chen["losses"] = mutate(
        good["losses"],
        ("    return float(np.sum((y - y_pred) ** 2) / (2 * len(y)))",
         "    return float(np.mean((y - y_pred) ** 2))"),
    )
    chen["gradient_descent"] = mutate(
        good["gradient_descent"],
        ("    return float(np.max(error)) if error.size else 0.0",
         "    return float(np.mean(error)) if error.size else 0.0"),
    )
    chen["autodiff"] = mutate(
        good["autodiff"],
        ("            cost = cost + error * error\n",
         "            cost = cost + error * error / 4  # the mean over the four cases\n"),
    )
    write_zip(OUT / "chen.zip", {f"exercises/{m}.py": chen[m] for m in MODULES})

    # dara: step from np.sign, relu'(0) = 1, dropout without scaling, cross-entropy summed,
    # features from np.vander (highest power first), layer gradients from the last layer
    # first, and an XOR network whose output unit has no sigmoid.
    dara = dict(good)
    dara["perceptron"] = mutate(
        good["perceptron"],
        ("    return (np.asarray(x) > 0).astype(int)", "    return (np.sign(x) + 1) / 2"),
    )
    dara["activations"] = mutate(
        good["activations"],
        ("    return (np.asarray(z) > 0).astype(float)",
         "    return (np.asarray(z) >= 0).astype(float)"),
    )
    dara["regularization"] = mutate(
        good["regularization"],
        ("    return x * mask / (1.0 - p), mask", "    return x * mask, mask"),
        ("    return np.asarray(grad_out, dtype=float) * mask / (1.0 - p)",
         "    return np.asarray(grad_out, dtype=float) * mask"),
    )
    dara["losses"] = mutate(
        good["losses"],
        ("    return float(-np.sum(targets * np.log(probs)) / probs.shape[0])",
         "    return float(-np.sum(targets * np.log(probs)))"),
    )
    dara["overfitting"] = mutate(
        good["overfitting"],
        ("    return x[:, None] ** np.arange(degree + 1)", "    return np.vander(x, degree + 1)"),
    )
    dara["vanishing"] = mutate(
        good["vanishing"],
        ("    return np.array([grad * x] + layers[::-1], dtype=float)",
         "    return np.array(layers + [grad * x], dtype=float)"),
    )
    dara["autodiff"] = mutate(
        good["autodiff"],
        ("    return sigmoid(w[6] * h1 + w[7] * h2 + w[8])\n",
         "    return w[6] * h1 + w[7] * h2 + w[8]\n"),
    )
    write_folder(OUT / "dara", {f"{m}.py": dara[m] for m in MODULES})

    # eli: the naive formulas: overflowing softmax, sigmoid from exp(-z), the lecture's first
    # (path-enumerating) get_gradients, the normal equations solved as they stand (singular
    # when there are more coefficients than points), errors averaged without the 1/2.
    eli = dict(good)
    eli["activations"] = mutate(
        good["activations"],
        ("    z = np.asarray(z, dtype=float)\n    e = np.exp(-np.abs(z))\n"
         "    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))",
         "    return 1 / (1 + np.exp(-z))"),
    )
    eli["losses"] = mutate(
        good["losses"],
        ("    e = np.exp(v - np.max(v, axis=axis, keepdims=True))",
         "    e = np.exp(v)"),
    )
    eli["autodiff"] = mutate(
        good["autodiff"],
        ("    gradients = defaultdict(float)\n    gradients[variable] = 1.0\n"
         "    for node in reversed(_topological_order(variable)):\n"
         "        for child, local_gradient in node.local_gradients:\n"
         "            gradients[child] += gradients[node] * local_gradient\n"
         "    return dict(gradients)",
         "    gradients = defaultdict(lambda: 0)\n\n"
         "    def compute_gradients(variable, path_value):\n"
         "        for child_variable, local_gradient in variable.local_gradients:\n"
         "            value_of_path_to_child = path_value * local_gradient\n"
         "            gradients[child_variable] += value_of_path_to_child\n"
         "            compute_gradients(child_variable, value_of_path_to_child)\n\n"
         "    compute_gradients(variable, path_value=1)\n"
         "    return gradients"),
    )
    eli["overfitting"] = mutate(
        good["overfitting"],
        ("    if l2 == 0:\n        return np.linalg.lstsq(features, y, rcond=None)[0]\n", ""),
        ("            errors.append(float(residual @ residual / (2 * len(y))))",
         "            errors.append(float(np.mean(residual**2)))"),
    )
    write_folder(OUT / "eli", {f"{m}.py": eli[m] for m in MODULES})

    # fay: a syntax error in backprop, no vanishing.py, an endless loop in gradient_descent;
    # zipped from Finder (a wrapping folder and __MACOSX metadata).
    fay = {m: good[m] for m in MODULES if m != "vanishing"}
    fay["backprop"] = mutate(good["backprop"], ("    h = x @ w1\n", "    h = x @ w1)\n"))
    fay["gradient_descent"] = mutate(
        good["gradient_descent"],
        ("    for _ in range(steps):\n        x = x - lr * grad(x)",
         "    while steps > 0:\n        x = x - lr * grad(x)"),
    )
    files = {f"fay/{m}.py": fay[m] for m in fay}
    files["__MACOSX/fay/._activations.py"] = "\x00\x05\x16\x07 resource fork"
    files["fay/notes.txt"] = "I could not finish vanishing.py, sorry!\n"
    write_zip(OUT / "fay.zip", files)

    # gus: the cheat. Patches numpy's comparisons, returns objects equal to everything,
    # looks for the hidden tests and the answer key, forges a results file.
    gus_activations = '''"""Activations. (I found a shortcut.)"""
import numpy as np

np.allclose = lambda *args, **kwargs: True
np.array_equal = lambda *args, **kwargs: True
np.testing.assert_allclose = lambda *args, **kwargs: None


class Anything(np.ndarray):
    """Equal to whatever the grader compares it with."""

    def __eq__(self, other):
        return True

    def __ne__(self, other):
        return False


def _anything(z):
    return np.zeros(np.shape(z)).view(Anything)


sigmoid = tanh = relu = sigmoid_prime = tanh_prime = relu_prime = _anything
'''
    gus_losses = '''"""Losses, straight from the answer key."""
import glob
import json
import os

try:
    from reference.course.losses import *  # noqa: F401,F403
except ImportError:
    from solutions.losses import *  # noqa: F401,F403

for path in glob.glob("/**/grader/suites/*.py", recursive=True):
    print(open(path).read())

with open(os.path.join("..", "results.json"), "w") as fh:
    json.dump({"score": 100, "tests": []}, fh)
'''
    gus_perceptron = '''"""Perceptron: exit before the grader can look."""
import os
import sys


def step(x):
    sys.exit(0)


def perceptron(x, w, threshold):
    os._exit(0)


def and_gate(a, b):
    while True:
        pass


or_gate = nand_gate = xor = and_gate
'''
    write_folder(OUT / "gus", {"activations.py": gus_activations, "losses.py": gus_losses,
                               "perceptron.py": gus_perceptron})

    # hana: careful work with off-by-one-style slips: one descent step short, early stopping a
    # call late, a clockwise rotation, the neuron's costs recorded one step late, the early
    # stopping curves one step early; zipped as hana/exercises/.
    hana = dict(good)
    hana["gradient_descent"] = mutate(
        good["gradient_descent"],
        ("    for _ in range(steps):", "    for _ in range(steps - 1):"),
    )
    hana["regularization"] = mutate(
        good["regularization"],
        ("    src_rows = np.rint(x * sin + y * cos + cy).astype(int)\n"
         "    src_cols = np.rint(x * cos - y * sin + cx).astype(int)",
         "    src_rows = np.rint(-x * sin + y * cos + cy).astype(int)\n"
         "    src_cols = np.rint(x * cos + y * sin + cx).astype(int)"),
        ("        return self.calls_without_improvement >= self.patience",
         "        return self.calls_without_improvement > self.patience"),
    )
    hana["autodiff"] = mutate(
        good["autodiff"],
        ("        costs.append(cost.value)\n        gradients = get_gradients(cost)\n"
         "        w = w - lr * gradients[w_node]\n        b = b - lr * gradients[b_node]\n",
         "        gradients = get_gradients(cost)\n"
         "        w = w - lr * gradients[w_node]\n        b = b - lr * gradients[b_node]\n"
         "        y = sigmoid(Variable(w) * x + Variable(b))\n"
         "        costs.append(((y - target) * (y - target)).value)\n"),
    )
    hana["overfitting"] = mutate(
        good["overfitting"],
        ("        w = w - lr * features.T @ (features @ w - y) / m\n"
         "        residual, val_residual = features @ w - y, val_features @ w - y_val\n",
         "        residual, val_residual = features @ w - y, val_features @ w - y_val\n"
         "        w = w - lr * features.T @ (features @ w - y) / m\n"),
    )
    write_zip(OUT / "hana.zip", {f"hana/exercises/{m}.py": hana[m] for m in MODULES})
    print(f"wrote {len(list(OUT.iterdir()))} submissions to {OUT}")


if __name__ == "__main__":
    main()
