"""Synthetic but realistic results.json documents of a small class, for the report tests.

They follow ``docs/architecture.md``'s schema and the shape
``nngrade.scoring.build_results`` writes (test names ``module.name: title``,
``tags`` = [module, name], ``extra_data`` from ``Feedback.as_dict``, a
``modules`` block, ``source``), so the reports are tested on what the
grader really produces, without running the grader.

The class: alice (perfect), bob (partial, several named mistakes, a
timeout), chen_wei (partial, late), dave (every module fails to import:
a real 0), erin (the grader could not grade the archive), frank (late,
mostly unimplemented). The tests at the bottom check the samples against
the schema, so a change there shows up here first.
"""

from __future__ import annotations

import copy
from typing import Any

from nngrade.contract import MODULES

# Points per contract name: the shipped rubric's numbers before the rest of the lecture was
# added (they total 100). The sample reports below were pinned on them, so the names added
# since (gradient_check, the autodiff programs, overfitting.py, layer_gradients) carry 0 here.
POINTS: dict[str, dict[str, float]] = {
    "perceptron": {"step": 2, "perceptron": 2, "and_gate": 1, "or_gate": 1, "nand_gate": 1,
                   "xor": 3},
    "activations": {"sigmoid": 2, "tanh": 1, "relu": 1, "sigmoid_prime": 3, "tanh_prime": 2,
                    "relu_prime": 3},
    "losses": {"one_hot": 3, "mse": 3, "softmax": 4, "cross_entropy": 4},
    "gradient_descent": {"numerical_gradient": 6, "gradient_descent": 4, "gradient_check": 0},
    "backprop": {"forward": 3, "backward": 6, "xor_grads": 6, "train_xor": 3},
    "autodiff": {"Variable": 1, "Variable.__add__": 0, "Variable.__mul__": 2,
                 "Variable.__sub__": 2, "Variable.__neg__": 1, "Variable.__truediv__": 2,
                 "exp": 1, "log": 1, "sigmoid": 2, "get_gradients": 6, "train_neuron": 0,
                 "xor_net": 0, "train_xor_autodiff": 0},
    "overfitting": {"polynomial_features": 0, "fit_polynomial": 0, "train_test_errors": 0,
                    "early_stopping_fit": 0},
    "regularization": {"dropout": 3, "dropout_backward": 2, "EarlyStopping": 3, "rotate": 4},
    "vanishing": {"chain_gradient": 6, "layer_gradients": 0},
}

TITLES = ("matches the reference on random inputs", "handles the edge cases the contract names")

MISTAKE_MESSAGES = {
    "derivative_of_activated_value": (
        "The derivative was taken of the activated value instead of z: "
        "sigmoid_prime(z) is sigmoid(z) * (1 - sigmoid(z)), not z * (1 - z) "
        "(likewise tanh_prime(z) is 1 - tanh(z)**2, not 1 - z**2)."
    ),
    "mse_missing_half_m": (
        "MSE without the lecture's 1/(2m): J = 1/(2m) * sum((y - y_pred)**2), m = len(y)."
    ),
    "dropout_no_scaling": (
        "Dropout kept entries unscaled: inverted dropout divides kept entries by (1 - p) "
        "so the expected activation is unchanged and nothing needs rescaling at test time."
    ),
    "step_half_at_zero": (
        "step(0) returned 0.5, as (np.sign(x) + 1) / 2 does; the lecture's perceptron "
        "outputs 0 when the weighted sum is <= the threshold, so step(0) must be 0."
    ),
    "get_gradients_exponential": (
        "get_gradients did not finish on a graph with exponentially many paths: it walks "
        "every path (the lecture's first, recursive version). Visit each node once, in "
        "reverse topological order, accumulating gradients."
    ),
    "cross_entropy_summed": (
        "Cross-entropy summed over the rows instead of averaged: the loss is the mean over "
        "rows of -sum(targets * ln(probs))."
    ),
    "relu_prime_one_at_zero": (
        "relu_prime(0) returned 1; the course's convention is relu'(0) = 0 "
        "(use z > 0, not z >= 0)."
    ),
    "a_code_no_catalog_knows": "An explanation only the grader knows, in English.",
}


def mismatch(call: str, got: str, expected: str, mistake: str | None = None,
             message: str = "The value is not what the reference computes.") -> dict:
    fb: dict[str, Any] = {"kind": "mismatch", "message": message, "call": call, "got": got,
                          "expected": expected}
    if mistake:
        fb["mistake"] = {"code": mistake, "message": MISTAKE_MESSAGES[mistake]}
    return fb


def status(kind: str, message: str, call: str = "") -> dict:
    fb: dict[str, Any] = {"kind": kind, "message": message}
    if call:
        fb["call"] = call
    return fb


def render_output(fb: dict) -> str:
    lines = [fb.get("message", "")]
    for key, label in (("call", "Called:  "), ("got", "Got:     "), ("expected", "Expected:")):
        if fb.get(key):
            lines.append(f"{label} {fb[key]}")
    if fb.get("mistake"):
        lines.append(f"Likely mistake: {fb['mistake']['message']}")
    return "\n".join(lines)


def make_results(
    student: str,
    *,
    failures: dict[str, dict | list[dict | None]] | None = None,
    module_status: dict[str, tuple[str, str]] | None = None,
    late: bool = False,
    error: str | None = None,
    seed: int = 1234,
    missing_protections: tuple[str, ...] = (),
    limits_hit: tuple[dict, ...] = (),
    submitted_at: str = "2026-11-27T15:59:02.123456+00:00",
) -> dict:
    """One results.json document; ``failures`` maps "module.name" to the feedback of its tests.

    A single feedback dict fails the name's first test; a list gives one entry
    per test (None: that test passes). A module in ``module_status`` with a
    status other than "ok" fails all its tests with that status.
    """
    failures = dict(failures or {})
    module_status = dict(module_status or {})
    tests: list[dict] = []
    modules: dict[str, dict] = {}
    for module, names in MODULES.items():
        got = out_of = 0.0
        mstatus, mmessage = module_status.get(module, ("ok", ""))
        for name in names:
            points = float(POINTS[module][name])
            planned = failures.get(f"{module}.{name}")
            per_test = planned if isinstance(planned, list) else [planned]
            per_test = per_test + [None] * (len(TITLES) - len(per_test))
            for title, fb in zip(TITLES, per_test, strict=False):
                if error is not None:
                    continue
                if mstatus == "import_error":
                    fb = status("import_error", f"{module}.py could not be imported, so "
                                f"`{name}` cannot be graded: {mmessage}")
                elif mstatus == "missing":
                    fb = status("missing_module", f"{module}.py is missing from the submission, "
                                f"so `{name}` cannot be graded.")
                max_score = round(points / len(TITLES), 4)
                passed = fb is None
                extra = {"kind": "passed"} if passed else copy.deepcopy(fb)
                extra["seconds"] = 0.0021
                tests.append({
                    "name": f"{module}.{name}: {title}",
                    "score": max_score if passed else 0.0,
                    "max_score": max_score,
                    "status": "passed" if passed else "failed",
                    "output": "" if passed else render_output(fb),
                    "tags": [module, name],
                    "extra_data": extra,
                })
                got += max_score if passed else 0.0
            out_of += points
        if error is not None:
            mstatus, mmessage = "ungraded", error
        modules[module] = {"score": round(got, 4), "max_score": round(out_of, 4),
                           "status": mstatus, "message": mmessage}
    score = round(sum(m["score"] for m in modules.values()), 4)
    protections = {"user_namespace": True, "network_namespace": True,
                   "mount_namespace": True, "seccomp": True, "rlimits": True}
    for p in missing_protections:
        protections[p] = False
    return {
        "score": score,
        "max_score": round(sum(m["max_score"] for m in modules.values()), 4),
        "execution_time": 0.0734,
        "output": f"Score: {score:g} / 100",
        "visibility": "visible",
        "tests": tests,
        "nngrade": {
            "student": student,
            "grader_version": "0.1.0",
            "seed": seed,
            "content_sha256": "c0ffee" * 10 + "abcd",
            "rubric_sha256": "0b" * 32,
            "graded_at": "2026-11-28T00:10:00Z",
            "modules": modules,
            "protections": protections,
            "missing_protections": sorted(missing_protections),
            "limits_hit": list(limits_hit),
            "warnings": [],
            "source": {"path": f"inbox/{student}/20261127T155902.123456Z-1a2b3c4d.zip",
                       "archive_sha256": "1a2b3c4d" * 8, "late": late,
                       "submitted_at": submitted_at, "archives_in_inbox": 2},
            "timing": {"worker_start": 0.011, "student_calls": 0.032, "reference": 0.012,
                       "report": 0.0},
            "error": error,
        },
    }


def bob() -> dict:
    return make_results("bob", failures={
        "perceptron.step": mismatch(
            "step(array(shape=5, dtype=float64, values=[-1. 0. 0.5 2. 0.]))",
            "array(shape=5, dtype=float64, values=[0.  0.5 1.  1.  0.5])",
            "array(shape=5, dtype=int64, values=[0 0 1 1 0])",
            "step_half_at_zero"),
        "activations.sigmoid_prime": [
            mismatch("sigmoid_prime(array(shape=4, dtype=float64, values=[-2.1 0. 0.7 3.2]))",
                     "array(shape=4, dtype=float64, values=[-6.51 0. 0.21 -7.04])",
                     "array(shape=4, dtype=float64, values=[0.0955 0.25 0.2217 0.0383])",
                     "derivative_of_activated_value"),
            mismatch("sigmoid_prime(array(shape=3, dtype=float64, values=[-10000. 0. 10000.]))",
                     "array(shape=3, dtype=float64, values=[nan 0.25 nan])",
                     "array(shape=3, dtype=float64, values=[0. 0.25 0.])",
                     message="The value contains nan or inf where the answer is finite."),
        ],
        "losses.mse": mismatch("mse(array(shape=3, ...), array(shape=3, ...))", "0.82", "0.1367",
                               "mse_missing_half_m"),
        "autodiff.get_gradients": [
            status("timeout", "The call did not finish in time: 5 s per call",
                   "get_gradients(<Variable graph, depth 60>)"),
        ],
        "regularization.dropout": mismatch(
            "dropout(array(shape=2x3, ...), p=0.5, rng=Generator(seed=7))",
            "(array(shape=2x3, dtype=float64, values=[1. 0. 3. 0. 5. 6.]), ...)",
            "(array(shape=2x3, dtype=float64, values=[ 2. 0. 6. 0. 10. 12.]), ...)",
            "dropout_no_scaling"),
        "vanishing.chain_gradient": status(
            "not_implemented", "`chain_gradient` is not implemented yet (it raises "
            "NotImplementedError).", "chain_gradient(10, activation='sigmoid')"),
        "backprop.xor_grads": mismatch("xor_grads(x, y, w1, w2)", "(...)", "(...)",
                                       "a_code_no_catalog_knows"),
    }, missing_protections=("seccomp",), limits_hit=(
        {"test": "autodiff.get_gradients: matches the reference on random inputs",
         "limit": "timeout", "detail": "5 s per call"},
    ))


def chen_wei() -> dict:
    return make_results("chen_wei", late=True, submitted_at="2026-11-28T02:14:41.5+00:00",
                        failures={
        "activations.sigmoid_prime": mismatch(
            "sigmoid_prime(array(shape=4, ...))", "array(...)", "array(...)",
            "derivative_of_activated_value"),
        "activations.relu_prime": mismatch("relu_prime(array(shape=3, values=[-1. 0. 2.]))",
                                           "array(shape=3, values=[0. 1. 1.])",
                                           "array(shape=3, values=[0. 0. 1.])",
                                           "relu_prime_one_at_zero"),
        "losses.cross_entropy": mismatch("cross_entropy(probs, targets)", "2.7726", "0.6931",
                                         "cross_entropy_summed"),
        "losses.mse": mismatch("mse(y_pred, y)", "0.5", "0.25", "mse_missing_half_m"),
        "backprop.train_xor": status("raised", "The call raised ValueError: shapes (4,2) and "
                                     "(3,1) not aligned", "train_xor(hidden=10)"),
    })


def dave() -> dict:
    syntax = "SyntaxError: invalid syntax (activations.py, line 12)"
    return make_results("dave", module_status={
        m: ("import_error", f"Traceback (most recent call last):\n  ...\n{syntax}")
        for m in MODULES
    })


def erin() -> dict:
    return make_results("erin", error="the archive is not a readable zip file "
                        "(File is not a zip file)")


def frank() -> dict:
    failing = {f"{m}.{n}": [status("not_implemented", f"`{n}` is not implemented yet (it "
                                   "raises NotImplementedError).")] * 2
               for m in ("backprop", "autodiff", "regularization", "vanishing")
               for n in MODULES[m]}
    failing["gradient_descent.numerical_gradient"] = [
        status("grader_error", "The grader could not check this test (an internal error); "
               "your instructor has been told.")
    ]
    results = make_results("frank", late=True, failures=failing)
    # The instructor-only traceback of a grader bug must never reach a student's page.
    for t in results["tests"]:
        if t["extra_data"].get("kind") == "grader_error":
            t["extra_data"]["internal"] = "KeyError: 'SECRET-HIDDEN-TEST-DETAIL'"
    return results


def sample_class() -> list[dict]:
    """Six students from perfect to ungradeable, as ``nngrade grade`` would hand them over."""
    return [make_results("alice"), bob(), chen_wei(), dave(), erin(), frank()]


# ---------------------------------------------------------------- the samples' own checks

TOP_KEYS = {"score", "max_score", "execution_time", "output", "tests", "nngrade"}
NNGRADE_KEYS = {"student", "grader_version", "seed", "content_sha256", "rubric_sha256",
                "graded_at", "modules", "protections", "missing_protections", "limits_hit",
                "source", "timing", "error"}
KINDS = {"passed", "mismatch", "not_implemented", "raised", "timeout", "crashed",
         "missing_module", "missing_name", "import_error", "bad_result", "limit",
         "grader_error"}


def test_samples_follow_the_documented_schema() -> None:
    for results in sample_class():
        assert TOP_KEYS <= set(results)
        assert NNGRADE_KEYS <= set(results["nngrade"])
        assert set(results["nngrade"]["modules"]) == set(MODULES)
        for t in results["tests"]:
            keys = {"name", "score", "max_score", "status", "output", "tags", "extra_data"}
            assert keys <= set(t)
            assert t["extra_data"]["kind"] in KINDS
            assert t["status"] in ("passed", "failed")
        total = sum(m["score"] for m in results["nngrade"]["modules"].values())
        assert abs(total - results["score"]) < 1e-6


def test_sample_scores_span_the_class() -> None:
    scores = {r["nngrade"]["student"]: r["score"] for r in sample_class()}
    assert scores["alice"] == 100
    assert 0 < scores["frank"] < scores["bob"] < 100
    assert scores["dave"] == 0 and scores["erin"] == 0
