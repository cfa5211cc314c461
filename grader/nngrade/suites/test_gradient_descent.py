"""Hidden tests of gradient_descent.py: central differences and the descent loop.

Functions passed to student code are `Fn`s of the trusted library
``nngrade.worker.functions``: the worker builds them there, and the expected
values here come from the reference called with the very same functions.
"""

from __future__ import annotations

import functools

import numpy as np
import pytest

from nngrade.suite import (
    Feedback,
    Fn,
    Message,
    Mistake,
    driver_facts,
    expect_close,
    expect_true,
    figure_data,
    inputs,
    msg,
    reference,
)

ref = reference("gradient_descent")  # each answer computed once per process

# Central differences of these functions agree to ~1e-10 between correct
# implementations; a one-sided difference is off by about h/2 * f'' >= 5e-6.
NG_RTOL, NG_ATOL = 1e-8, 1e-7


def _one_sided(f: Fn, x: np.ndarray, h: float) -> list[Mistake]:
    """What forward and backward differences would give (the classic mistake)."""
    fn = f.resolve()
    fx = fn(x)
    fwd, bwd = np.zeros_like(x), np.zeros_like(x)
    for i in np.ndindex(x.shape):
        step = np.zeros_like(x)
        step[i] = h
        fwd[i] = (fn(x + step) - fx) / h
        bwd[i] = (fx - fn(x - step)) / h
    return [Mistake("numerical_gradient_forward_difference", fwd),
            Mistake("numerical_gradient_forward_difference", bwd)]


# ------------------------------------------------------------------ numerical_gradient


@pytest.mark.contract("gradient_descent", "numerical_gradient")
def test_numerical_gradient_vector(student, rng):
    """numerical_gradient of a quadratic at a 1-D x uses central differences"""
    x = rng.normal(size=int(rng.integers(2, 7)))
    f = inputs.quadratic(rng, x.shape)
    expect_close(student.numerical_gradient(f, x), ref.numerical_gradient(f, x),
                 rtol=NG_RTOL, atol=NG_ATOL,
                 mistakes=lambda: _one_sided(f, x, 1e-5))


@pytest.mark.contract("gradient_descent", "numerical_gradient")
def test_numerical_gradient_any_shape(student, rng):
    """numerical_gradient at a 2-D or 3-D x returns an array of x's shape"""
    x = rng.normal(size=(2,) + inputs.shape(rng, max_ndim=2, max_len=4))
    f = Fn("sin_sum", {"scale": float(rng.uniform(1.5, 3.0))})
    expect_close(student.numerical_gradient(f, x), ref.numerical_gradient(f, x),
                 rtol=NG_RTOL, atol=NG_ATOL,
                 mistakes=lambda: _one_sided(f, x, 1e-5))


@pytest.mark.contract("gradient_descent", "numerical_gradient")
def test_numerical_gradient_non_separable(student, rng):
    """numerical_gradient of functions that mix the entries of x (Rosenbrock, log-sum-exp)"""
    # With a separable f (a sum of one function per entry) a difference taken at a wrong
    # point (an earlier entry left shifted by h, the shifts of all entries at once) still
    # gives the right numbers; these functions' mixed second derivatives show it.
    for f, x in inputs.non_separable(rng):
        expect_close(student.numerical_gradient(f, x), ref.numerical_gradient(f, x),
                     rtol=NG_RTOL, atol=NG_ATOL,
                     mistakes=functools.partial(_one_sided, f, x, 1e-5))


@pytest.mark.contract("gradient_descent", "numerical_gradient")
def test_numerical_gradient_uses_h(student, rng):
    """numerical_gradient(f, x, h) uses the step h it is given"""
    x = rng.normal(size=inputs.shape(rng, max_ndim=2, max_len=4))
    f = Fn("sin_sum", {"scale": float(rng.uniform(2.0, 3.0))})
    h = float(rng.choice([1e-2, 2e-2]))
    default = ref.numerical_gradient(f, x)
    expect_close(student.numerical_gradient(f, x, h), ref.numerical_gradient(f, x, h),
                 rtol=NG_RTOL, atol=NG_ATOL,
                 mistakes=lambda: [Mistake("numerical_gradient_ignores_h", default),
                           *_one_sided(f, x, h)])


@pytest.mark.contract("gradient_descent", "numerical_gradient")
def test_numerical_gradient_leaves_x_unchanged(student, rng):
    """numerical_gradient leaves the caller's x as it was and still returns the right gradient"""
    x = rng.normal(size=(2,) + inputs.shape(rng, max_ndim=2, max_len=4))
    # Coupled (k > 0): an x left changed by one step of the loop moves every later partial
    # derivative, so the returned value shows the mistake too. That value is checked here,
    # not in the worker, where student code could rewrite what the driver reports (issue 13).
    base = inputs.quadratic(rng, x.shape)
    f = Fn("quadratic", {**base.params, "k": float(rng.uniform(1.0, 2.0))})
    params = {"f": f.name, "f_params": dict(f.params), "x": x}
    facts = student.drive("numerical_gradient_mutation", params, name="numerical_gradient")
    call = f"numerical_gradient(f, x=array(shape={'x'.join(map(str, x.shape))}))"
    driver_facts(facts, call, ("x_after", "result"))
    after = facts["x_after"]
    comparable = isinstance(after, np.ndarray) and after.shape == x.shape
    if not (comparable and bool(np.array_equal(after, x))):
        raise Feedback(msg("compare.input_changed", name="x"), call=call, got=after, expected=x,
                       marks=(after != x) if comparable else None,
                       mistake="numerical_gradient_mutates_input")
    # A call that changes nothing and returns nonsense must not pass: the values count too.
    expect_close(facts["result"], ref.numerical_gradient(f, x.copy()), call=call,
                 rtol=NG_RTOL, atol=NG_ATOL, what=msg("what.numerical_gradient"))


# ------------------------------------------------------------------ gradient_descent


def _descent_mistakes(grad: Fn, x0, lr: float, steps: int) -> list[Mistake]:
    g = grad.resolve()
    with np.errstate(all="ignore"):
        mistakes = [Mistake("gradient_descent_off_by_one",
                            ref.gradient_descent(g, x0, lr, steps + 1)),
                    Mistake("gradient_ascent", ref.gradient_descent(g, x0, -lr, steps))]
        if steps > 0:
            mistakes.insert(1, Mistake("gradient_descent_off_by_one",
                                       ref.gradient_descent(g, x0, lr, steps - 1)))
    return mistakes


@pytest.mark.contract("gradient_descent", "gradient_descent")
def test_gradient_descent_lecture_example(student, rng):
    """the lecture's example: grad(x) = x - cos(x) leads to x = 0.739085..."""
    grad = Fn("cos_fixed_point_grad")
    x0, lr, steps = float(rng.uniform(-2, 3)), float(rng.uniform(0.2, 0.5)), 200
    expected = ref.gradient_descent(grad, x0, lr, steps)
    try:
        expect_close(student.gradient_descent(grad, x0, lr, steps), expected,
                     rtol=1e-7,
                     mistakes=lambda: _descent_mistakes(grad, x0, lr, steps))
    except Feedback as fb:
        raise fb.replace(figure=_iterates(student, grad, x0, lr)) from None


_ITERATES = 16  # steps drawn: the lecture's iterates approach 0.739085 within them


def _iterates(student, grad, x0: float, lr: float) -> dict | None:
    """The student's iterates x_0 .. x_15 beside the reference's (a failed test only pays):
    gradient_descent called with 0, 1, ... steps; the first call that gives no number ends it."""
    yours: list[float] = []
    for k in range(_ITERATES):
        out = student.with_timeout(0.5).outcome("gradient_descent", (grad, x0, lr, k))
        value = np.asarray(out.value) if out.ok else None
        if value is None or value.shape != () or value.dtype.kind not in "iuf":
            break  # not one number (a 0-d array counts as one)
        yours.append(float(value))
    expected = [float(ref.gradient_descent(grad, x0, lr, k)) for k in range(_ITERATES)]
    return figure_data(yours, expected, "curves", target=0.739085) if yours else None


@pytest.mark.contract("gradient_descent", "gradient_descent")
def test_gradient_descent_exact_steps(student, rng):
    """gradient_descent on a quadratic with an array x0 takes exactly `steps` steps"""
    shape = inputs.shape(rng, max_ndim=2, max_len=4)
    grad = Fn("quadratic_grad", {"a": rng.uniform(0.5, 2.0, size=shape),
                                 "c": rng.normal(size=shape)})
    x0 = rng.normal(size=shape) * 3
    lr, steps = float(rng.uniform(0.1, 0.4)), int(rng.integers(3, 12))
    expected = ref.gradient_descent(grad, x0, lr, steps)
    expect_close(student.gradient_descent(grad, x0, lr, steps), expected,
                 rtol=1e-9, atol=1e-12, mistakes=lambda: _descent_mistakes(grad, x0, lr, steps))


@pytest.mark.contract("gradient_descent", "gradient_descent")
def test_gradient_descent_zero_and_one_step(student, rng):
    """steps=0 returns x0 unchanged; steps=1 takes a single step x0 - lr * grad(x0)"""
    x0 = rng.normal(size=int(rng.integers(2, 6)))
    grad = Fn("sin_sum_grad", {"scale": float(rng.uniform(0.5, 2.0))})
    lr = float(rng.uniform(0.05, 0.5))
    for steps in (0, 1):
        got = student.gradient_descent(grad, x0, lr, steps)
        expect_close(got, ref.gradient_descent(grad, x0, lr, steps),
                     rtol=1e-12, atol=1e-12,
                     mistakes=functools.partial(_descent_mistakes, grad, x0, lr, steps))


# ------------------------------------------------------------------ gradient_check
#
# The result is the largest relative error |g - n| / max(|g| + |n|, 1e-12). For a right
# gradient it is the central differences' own error, which with h = 1e-3 and the
# non-separable Rosenbrock function is about 1e-6 and reproducible to ~1e-8 relative
# between correct implementations; a one-sided difference makes it ~1e-3. Points are
# drawn so that no gradient entry is near 0 (a relative error there is noise).

GC_RTOL, GC_ATOL = 1e-5, 1e-12
LARGEST_RELATIVE_ERROR = msg("what.largest_relative_error")


def _spread_gradient_point(rng: np.random.Generator, grad: Fn,
                           shape: tuple[int, ...]) -> np.ndarray:
    """x at which every entry of grad(x) is at least a fifth of the largest (deterministic)."""
    g = grad.resolve()
    x = rng.uniform(-1.5, 1.5, size=shape)
    for _ in range(200):
        values = np.abs(g(x))
        if values.min() > 0.2 * values.max() > 0:
            break
        x = rng.uniform(-1.5, 1.5, size=shape)
    return x


def _relative_errors(analytic: np.ndarray, numeric: np.ndarray) -> np.ndarray:
    return np.abs(analytic - numeric) / np.maximum(np.abs(analytic) + np.abs(numeric), 1e-12)


def _gradient_check_mistakes(f: Fn, grad: Fn, x: np.ndarray, h: float) -> list[Mistake]:
    """What the classic wrong formulas give for this call (for naming, on a failed check)."""
    if x.size == 0:
        return []  # no entries: no formula gives anything but the empty max
    fn, g = f.resolve(), np.asarray(grad.resolve()(x), dtype=float)
    n = ref.numerical_gradient(f, x, h)
    fx = fn(x)
    one_sided = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        step = np.zeros_like(x)
        step[i] = h
        one_sided[i] = (fn(x + step) - fx) / h
    diff = np.abs(g - n)
    with np.errstate(all="ignore"):
        return [
            Mistake("gradient_check_zero_division",
                    lambda got: not np.all(np.isfinite(np.asarray(got, dtype=float)))),
            Mistake("gradient_check_one_sided", float(_relative_errors(g, one_sided).max())),
            Mistake("gradient_check_not_relative", float(diff.max())),
            Mistake("gradient_check_wrong_denominator", float((diff / np.abs(g)).max())),
            Mistake("gradient_check_wrong_denominator",
                    float((diff / np.maximum(np.abs(g), np.abs(n))).max())),
            Mistake("gradient_check_mean_or_norm", float(_relative_errors(g, n).mean())),
            Mistake("gradient_check_mean_or_norm",
                    float(np.linalg.norm(g - n) / (np.linalg.norm(g) + np.linalg.norm(n)))),
            Mistake("gradient_check_ignores_h",
                    float(_relative_errors(g, ref.numerical_gradient(f, x)).max())),
            # The floor: none, added to the sum instead of a max, or another size.
            Mistake("gradient_check_wrong_floor", float((diff / (np.abs(g) + np.abs(n))).max())),
            Mistake("gradient_check_wrong_floor",
                    float((diff / (np.abs(g) + np.abs(n) + 1e-12)).max())),
        ]


def _check_gradient_check(student, f: Fn, grad: Fn, x: np.ndarray, h: float,
                          what: Message = LARGEST_RELATIVE_ERROR) -> None:
    expected = ref.gradient_check(f, grad, x, h)
    expect_close(student.gradient_check(f, grad, x, h), expected,
                 rtol=GC_RTOL, atol=GC_ATOL, what=what,
                 mistakes=lambda: _gradient_check_mistakes(f, grad, x, h))


@pytest.mark.contract("gradient_descent", "gradient_check")
def test_gradient_check_of_a_right_gradient(student, rng):
    """gradient_check of a right gradient (a non-separable function) is the central error"""
    f, grad = Fn("rosenbrock", {"b": 100.0}), Fn("rosenbrock_grad", {"b": 100.0})
    for shape in ((3,), (2, 2)):
        x = _spread_gradient_point(rng, grad, shape)
        _check_gradient_check(student, f, grad, x, 1e-3)


@pytest.mark.contract("gradient_descent", "gradient_check")
def test_gradient_check_of_a_wrong_gradient(student, rng):
    """gradient_check of a wrong gradient: relative, the largest entry, 0 where both are 0"""
    shape = (int(rng.integers(3, 6)),)
    a = rng.uniform(1.0, 3.0, size=shape)
    a[0] = 0.0  # an entry where both gradients are exactly 0: its error is 0, not 0/0
    c = rng.normal(size=shape)
    wrong_a = a * rng.uniform(1.3, 2.5, size=shape)  # wrong by a different factor per entry
    wrong_a[1] = a[1]  # and one entry right
    f, grad = Fn("quadratic", {"a": a, "c": c}), Fn("quadratic_grad", {"a": wrong_a, "c": c})
    x = c + rng.uniform(0.5, 1.5, size=shape) * rng.choice([-1.0, 1.0], size=shape)
    _check_gradient_check(student, f, grad, x, 1e-5)


@pytest.mark.contract("gradient_descent", "gradient_check")
def test_gradient_check_uses_h_and_zero_gradients(student, rng):
    """gradient_check uses h (1e-5 if none is given), the floor 1e-12; no or zero entries: 0.0"""
    scale = float(rng.uniform(2.0, 3.0))
    f, grad = Fn("sin_sum", {"scale": scale}), Fn("sin_sum_grad", {"scale": scale})
    x = _spread_gradient_point(rng, grad, (int(rng.integers(2, 5)),))
    _check_gradient_check(student, f, grad, x, 2e-2)
    _check_default_h(student, rng)
    _check_floor(student, rng)
    zero = {"a": np.zeros(3), "c": rng.normal(size=3)}
    _check_gradient_check(student, Fn("quadratic", zero), Fn("quadratic_grad", zero),
                          rng.normal(size=3), 1e-5, what=msg("what.error_of_zero_gradients"))
    # An empty x: no entry at all, so both gradients are zero everywhere (the contract:
    # any shape); the largest error of no entries is 0.0 here, not max() of nothing.
    empty = {"a": np.zeros(0), "c": np.zeros(0)}
    _check_gradient_check(student, Fn("quadratic", empty), Fn("quadratic_grad", empty),
                          np.zeros(0), 1e-5, what=msg("what.error_of_zero_gradients"))


def _check_default_h(student, rng: np.random.Generator) -> None:
    """gradient_check(f, grad_f, x) without h must use 1e-5: on sin(s x) with s near 1000 the
    central difference is g * sin(s h) / (s h) in every entry, so even a right gradient's error,
    (s h)**2 / 12 ~ 8e-6, measures h itself (rounding is ~1e-6 of that)."""
    scale = 1000.0 * float(rng.uniform(0.8, 1.2))
    f, grad = Fn("sin_sum", {"scale": scale}), Fn("sin_sum_grad", {"scale": scale})
    x = _spread_gradient_point(rng, grad, (int(rng.integers(2, 5)),))

    def mistakes() -> list[Mistake]:
        return [Mistake("gradient_check_wrong_default_h", ref.gradient_check(f, grad, x, h))
                for h in (1e-4, 1e-6, 1e-3, 1e-7, 1e-8)]

    expect_close(student.gradient_check(f, grad, x), ref.gradient_check(f, grad, x),
                 rtol=GC_RTOL, atol=GC_ATOL, what=LARGEST_RELATIVE_ERROR,
                 mistakes=mistakes)


def _check_floor(student, rng: np.random.Generator) -> None:
    """Gradients far below the floor (|g| + |n| < 2e-13 in every entry) of a wrong gradient:
    each entry's error is |g - n| / 1e-12 there, which neither |g - n| / (|g| + |n|) (no floor)
    nor a floor of another size gives. Central differences keep ~1e-11 relative here."""
    shape = (int(rng.integers(2, 5)),)
    a, c = rng.uniform(1.0, 3.0, size=shape) * 1e-14, rng.normal(size=shape)
    wrong = {"a": a * rng.uniform(1.3, 2.5, size=shape), "c": c}
    x = c + rng.uniform(0.5, 1.5, size=shape) * rng.choice([-1.0, 1.0], size=shape)
    _check_gradient_check(student, Fn("quadratic", {"a": a, "c": c}),
                          Fn("quadratic_grad", wrong), x, 1e-5)


@pytest.mark.contract("gradient_descent", "gradient_check")
def test_gradient_check_leaves_x_unchanged(student, rng):
    """gradient_check leaves the caller's x exactly as it was and still returns the right error"""
    shape = (2, int(rng.integers(2, 4)))
    a, c = rng.uniform(1.0, 3.0, size=shape), rng.normal(size=shape)
    # Its error is about 0.1-0.4 and, with c shifted, depends on x: a gradient_check that
    # moves x before computing shows in the error it returns, a value checked here (issue 13).
    wrong = {"a": a * rng.uniform(1.3, 2.5, size=shape),
             "c": c + rng.uniform(0.1, 0.3, size=shape)}
    f, grad = Fn("quadratic", {"a": a, "c": c}), Fn("quadratic_grad", wrong)
    x = c + rng.uniform(0.5, 1.5, size=shape) * rng.choice([-1.0, 1.0], size=shape)
    params = {"f": f.name, "f_params": dict(f.params), "grad": grad.name,
              "grad_params": dict(grad.params), "x": x, "h": 1e-4}
    facts = student.drive("gradient_check_mutation", params, name="gradient_check")
    call = f"gradient_check(f, grad_f, x=array(shape={x.shape}), h=1e-4)"
    driver_facts(facts, call, ("x_after", "result"))
    after = facts["x_after"]
    expect_true(isinstance(after, np.ndarray) and after.shape == x.shape
                and bool(np.array_equal(after, x)),
                msg("gradient_descent.x_changed"), call=call, got=after, expected=x,
                mistake="gradient_check_mutates_input")
    # A call that changes nothing and returns nonsense must not pass: the value counts too.
    expect_close(facts["result"], ref.gradient_check(f, grad, x.copy(), 1e-4), call=call,
                 rtol=GC_RTOL, atol=GC_ATOL, what=LARGEST_RELATIVE_ERROR,
                 mistakes=lambda: _gradient_check_mistakes(f, grad, x.copy(), 1e-4))
