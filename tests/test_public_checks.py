"""The public checks: pass on solutions/, say "not implemented" on fresh exercises/, catch mistakes.

They run through ``run_checks``, the same code path as ``nngrade check``,
on real folders: the repository's ``solutions/`` and ``exercises/``, and
temporary copies of the solutions with one classic mistake planted.
"""

from __future__ import annotations

import ast
import re
import shutil
import signal
import sys
import time
from pathlib import Path

import pytest

from nngrade.contract import MODULES, all_names
from nngrade.student.check import FAILED, PASSED, TODO, run_checks
from nngrade.student.checks import CHECKS, checks_for
from nngrade.student.loading import TimeLimit, time_limit

ROOT = Path(__file__).resolve().parents[1]
SOLUTIONS = ROOT / "solutions"
EXERCISES = ROOT / "exercises"


def _statuses(folder: Path, modules: list[str] | None = None, **options: object) -> dict:
    outcomes, problems = run_checks(folder, modules or list(MODULES), **options)
    return {
        (o.check.module, o.check.name, o.check.title): o
        for results in outcomes.values()
        for o in results
    } | {("problem", m, ""): p for m, p in problems.items()}


def test_every_contract_name_has_a_public_check_and_they_stay_few() -> None:
    covered = {(c.module, c.name) for c in CHECKS}
    assert covered == {(n.module, n.name) for n in all_names()}
    assert len(CHECKS) <= 3 * len(all_names())


def test_checks_import_only_stdlib_numpy_and_what_ships() -> None:
    """The student package ships: nothing from the grader or the reference may leak in."""
    from nngrade.release import STUDENT_MODULES

    shipped = {f"nngrade.{m}" for m in STUDENT_MODULES} | {"nngrade.version"}
    for path in sorted((ROOT / "grader" / "nngrade" / "student").glob("*.py")):
        name = path.name
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                module = node.module or ""
            elif isinstance(node, ast.Import):
                module = node.names[0].name
            else:
                continue
            root = module.split(".")[0]
            assert (
                root in sys.stdlib_module_names
                or root in {"numpy", "click", "tomli"}
                or module in shipped
                or module.startswith("nngrade.student.")
            ), f"{name} imports {module}"
            if name == "checks.py":
                assert root != "click"


def test_solutions_pass_every_default_check() -> None:
    # How long they take is a benchmark's question (the brief: no timed tests).
    outcomes = _statuses(SOLUTIONS)
    failures = {k: o.detail for k, o in outcomes.items() if k[0] == "problem" or o.status != PASSED}
    assert not failures


def test_solutions_pass_the_slow_train_xor_check() -> None:
    outcomes = _statuses(SOLUTIONS, ["backprop"], slow=True)
    slow = [o for o in outcomes.values() if o.check.slow]
    assert slow and all(o.status == PASSED for o in slow)


def test_fresh_exercises_fail_every_check_as_not_implemented() -> None:
    outcomes = _statuses(EXERCISES, slow=True)
    assert len(outcomes) == len(CHECKS)
    wrong = {k: (o.status, o.detail) for k, o in outcomes.items() if o.status != TODO}
    assert not wrong
    assert all("TODO:" in o.detail and "Hint:" in o.detail for o in outcomes.values())


def _plant(tmp_path: Path, module: str, old: str, new: str) -> Path:
    """A copy of solutions/ with one mistake planted in ``module``."""
    folder = tmp_path / "student"
    shutil.copytree(SOLUTIONS, folder)
    path = folder / f"{module}.py"
    source = path.read_text(encoding="utf-8")
    assert old in source, f"{old!r} not in solutions/{module}.py"
    path.write_text(source.replace(old, new, 1), encoding="utf-8")
    return folder


GRADIENTS_BY_TOPOLOGY = """    gradients = defaultdict(float)
    gradients[variable] = 1.0
    for node in reversed(_topological_order(variable)):
        for child, local_gradient in node.local_gradients:
            gradients[child] += gradients[node] * local_gradient
"""
# The naive recursion over paths: exponential time, and deep graphs hit the recursion limit.
GRADIENTS_BY_RECURSION = """    gradients = defaultdict(float)
    gradients[variable] = 1.0

    def walk(node, path_value):
        for child, local_gradient in node.local_gradients:
            gradients[child] += path_value * local_gradient
            walk(child, path_value * local_gradient)

    walk(variable, 1.0)
"""

MISTAKES = [
    # (module, the correct code, the classic mistake, the contract name that must fail)
    ("perceptron", "> 0).astype(int)", ">= 0).astype(int)", "step"),
    (
        "perceptron",
        "return and_gate(nand_gate(a, b), or_gate(a, b))",
        "return or_gate(a, b)",
        "xor",
    ),
    ("activations", "    s = sigmoid(z)\n", "    s = sigmoid(sigmoid(z))\n", "sigmoid_prime"),
    ("activations", "    e = np.exp(-np.abs(z))\n", "    e = np.exp(-z)\n", "sigmoid"),
    ("activations", "(np.asarray(z) > 0)", "(np.asarray(z) >= 0)", "relu_prime"),
    ("losses", "/ (2 * len(y))", "/ len(y)", "mse"),
    ("losses", "/ probs.shape[0]", "/ 1", "cross_entropy"),
    ("losses", "v - np.max(v, axis=axis, keepdims=True)", "v", "softmax"),
    ("losses", 'raise ValueError(f"labels must lie', 'print(f"labels must lie', "one_hot"),
    (
        "gradient_descent",
        "(f_plus - f_minus) / (2 * h)",
        "(f_plus - f_minus) / h",
        "numerical_gradient",
    ),
    ("gradient_descent", "x = x - lr * grad(x)", "x = x + lr * grad(x)", "gradient_descent"),
    ("backprop", "grad_y_pred = 2.0 * (y_pred - y)", "grad_y_pred = y_pred - y", "backward"),
    ("backprop", "delta2 = (a2 - y) * a2 * (1.0 - a2)", "delta2 = a2 - y", "xor_grads"),
    ("backprop", "a = np.maximum(h, 0)", "a = h", "forward"),
    (
        "autodiff",
        "((self, other.value), (other, self.value))",
        "((self, self.value), (other, other.value))",
        "Variable.__mul__",
    ),
    ("autodiff", "((self, 1.0), (other, -1.0))", "((self, 1.0), (other, 1.0))", "Variable.__sub__"),
    ("autodiff", "(other, -a / b**2)", "(other, a / b**2)", "Variable.__truediv__"),
    (
        "autodiff",
        "Variable(-self.value, ((self, -1.0),))",
        "Variable(-self.value, ((self, 1.0),))",
        "Variable.__neg__",
    ),
    (
        "autodiff",
        "return Variable(value, ((v, value),))",
        "return Variable(value, ((v, 1.0),))",
        "exp",
    ),
    ("autodiff", "((v, 1.0 / v.value),)", "((v, v.value),)", "log"),
    (
        "autodiff",
        "return Variable(s, ((v, s * (1.0 - s)),))",
        "return Variable(s, ((v, s),))",
        "sigmoid",
    ),
    (
        "autodiff",
        "__eq__ = object.__eq__",
        "__eq__ = lambda s, o: s.value == getattr(o, 'value', None)\n"
        "    __hash__ = lambda s: hash(s.value)",
        "Variable",
    ),
    (
        "autodiff",
        GRADIENTS_BY_TOPOLOGY,
        GRADIENTS_BY_RECURSION,
        "get_gradients",
    ),
    (
        "regularization",
        "    mask = rng.random(x.shape) >= p\n",
        "    mask = rng.random(x.shape) < p\n",
        "dropout",
    ),
    (
        "regularization",
        "* mask / (1.0 - p)\n    ### END",
        "* mask\n    ### END",
        "dropout_backward",
    ),
    (
        "regularization",
        "self.best_epoch = self.calls\n",
        "self.best_epoch = self.calls + 1\n",
        "EarlyStopping",
    ),
    ("regularization", "x * sin + y * cos + cy", "-x * sin + y * cos + cy", "rotate"),
    ("vanishing", "grad = -2.0 * (Y - y)", "grad = (Y - y) ** 2", "chain_gradient"),
]


@pytest.mark.parametrize(
    ("module", "old", "new", "name"), MISTAKES, ids=[f"{m[0]}.{m[3]}" for m in MISTAKES]
)
def test_a_planted_mistake_fails_its_function(
    tmp_path: Path, module: str, old: str, new: str, name: str
) -> None:
    folder = _plant(tmp_path, module, old, new)
    outcomes = _statuses(folder, [module], timeout=1.0)
    failing = {k[1] for k, o in outcomes.items() if o.status == FAILED}
    assert name in failing, {k: o.detail for k, o in outcomes.items()}


def test_a_failure_says_what_was_called_what_came_back_and_what_was_expected(
    tmp_path: Path,
) -> None:
    folder = _plant(
        tmp_path, "activations", "    s = sigmoid(z)\n", "    s = sigmoid(sigmoid(z))\n"
    )
    outcome = _statuses(folder, ["activations"])[
        ("activations", "sigmoid_prime", "sigmoid'(0) is 0.25, its maximum")
    ]
    assert outcome.status == FAILED
    assert "Called:         sigmoid_prime(array([0.]))" in outcome.detail
    assert "Got:            array([0.235004])" in outcome.detail
    assert "Expected:       array([0.25])" in outcome.detail
    assert outcome.feedback.mistake == "derivative_of_activated_value"


def test_an_endless_loop_is_reported_and_does_not_hang(tmp_path: Path) -> None:
    folder = _plant(
        tmp_path,
        "vanishing",
        "    return activations[name]\n",
        "    while True:\n        pass\n",
    )
    start = time.perf_counter()
    outcomes = _statuses(folder, ["vanishing"], timeout=0.3)
    # chain_gradient and layer_gradients both loop: one time-out each, their other checks skipped
    assert time.perf_counter() - start < 30.0  # a hang guard (two 0.3 s limits), not a speed target
    assert all(o.status == FAILED for o in outcomes.values())
    details: dict[str, list[str]] = {}
    for (_, name, _), outcome in outcomes.items():
        details.setdefault(name, []).append(outcome.detail)
    assert sorted(details) == ["chain_gradient", "layer_gradients"]
    for name, texts in details.items():
        assert texts[0].startswith(f"`{name}` did not finish within 0.3 s"), texts[0]
        assert all(d.startswith("Skipped:") for d in texts[1:])


def test_sys_exit_and_other_exceptions_in_student_code_are_failures(tmp_path: Path) -> None:
    folder = _plant(tmp_path, "backprop", "    h = x @ w1\n", "    import sys\n    sys.exit(3)\n")
    outcomes = _statuses(folder, ["backprop"])
    forward = [o for k, o in outcomes.items() if k[1] == "forward"]
    assert all(o.status == FAILED and "raised SystemExit" in o.detail for o in forward)
    assert "> SystemExit: 3" in forward[0].detail
    assert "At:" in forward[0].detail and "backprop.py:" in forward[0].detail  # the line


def test_a_module_that_does_not_import_is_reported_alone(tmp_path: Path) -> None:
    folder = _plant(tmp_path, "autodiff", "    order = []\n", "    order = [\n")
    (folder / "losses.py").write_text("import sys\nsys.exit('bye')\n", encoding="utf-8")
    (folder / "vanishing.py").unlink()
    outcomes = _statuses(folder)
    autodiff = outcomes[("problem", "autodiff", "")]
    assert autodiff.kind == "import_error" and autodiff.quoted.startswith("autodiff.py:")
    assert "never closed" in autodiff.message
    assert "SystemExit: bye" in outcomes[("problem", "losses", "")].message
    assert outcomes[("problem", "vanishing", "")].message.startswith(
        "Missing: there is no vanishing.py")
    others = [o for k, o in outcomes.items() if k[0] in ("perceptron", "activations", "backprop")]
    assert others and all(o.status == PASSED for o in others)


def test_student_modules_may_import_each_other_and_are_loaded_fresh(tmp_path: Path) -> None:
    folder = _plant(
        tmp_path,
        "backprop",
        "def _sigmoid(z):",
        "from activations import sigmoid as _from_sibling\n\n\ndef _sigmoid(z):",
    )
    before = {name: sys.modules.get(name) for name in MODULES}
    path_before = list(sys.path)
    outcomes = _statuses(folder, ["backprop"])
    assert all(o.status == PASSED for o in outcomes.values())
    assert {name: sys.modules.get(name) for name in MODULES} == before
    assert sys.path == path_before
    # a broken sibling in another folder must not leak from the previous run
    (folder / "activations.py").write_text(
        "raise ImportError('broken sibling')\n", encoding="utf-8"
    )
    problem = _statuses(folder, ["backprop"])[("problem", "backprop", "")]
    assert "broken sibling" in problem.message
    assert all(o.status == PASSED for o in _statuses(SOLUTIONS, ["backprop"]).values())


def test_no_bytecode_is_left_in_the_students_folder(tmp_path: Path) -> None:
    folder = tmp_path / "student"
    shutil.copytree(SOLUTIONS, folder, ignore=shutil.ignore_patterns("__pycache__"))
    _statuses(folder, ["perceptron"])
    assert not (folder / "__pycache__").exists()


def test_checks_for_skips_slow_checks_unless_asked() -> None:
    assert not any(c.slow for c in checks_for("backprop"))
    assert any(c.slow for c in checks_for("backprop", slow=True))


@pytest.mark.skipif(not hasattr(signal, "setitimer"), reason="no interval timers here")
def test_the_time_limit_puts_back_a_timer_that_was_pending() -> None:
    """pytest-timeout (and anyone else) may have an alarm pending; a check must not cancel it."""
    previous = signal.signal(signal.SIGALRM, lambda *_: None)
    try:
        signal.setitimer(signal.ITIMER_REAL, 30.0)
        with pytest.raises(TimeLimit), time_limit(0.05):
            while True:
                pass
        remaining, _ = signal.getitimer(signal.ITIMER_REAL)
        assert 25.0 < remaining <= 30.0
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


# ---------------------------------------------------------------- naming what went wrong


def _failures(folder: Path, module: str, **options: object) -> dict:
    outcomes, _ = run_checks(folder, [module], **options)
    return {(o.check.name, o.check.key): o for o in outcomes[module] if o.status == FAILED}


@pytest.mark.parametrize(("module", "old", "new", "mistake"), [
    ("autodiff", GRADIENTS_BY_TOPOLOGY, GRADIENTS_BY_RECURSION, "get_gradients_exponential"),
    ("regularization", "cos, sin = _cos_sin(degrees)", "cos, sin = _cos_sin(-degrees)",
     "rotate_clockwise"),
    ("losses", "np.log(", "np.log10(", "cross_entropy_log10"),
    ("losses", "/ (2 * len(y))", "/ len(y)", "mse_mean_not_half"),
    ("perceptron", "> 0).astype(int)", ">= 0).astype(int)", "step_one_at_zero"),
    ("gradient_descent", "(f_plus - f_minus) / (2 * h)", "(f_plus - f(x)) / h",
     "numerical_gradient_forward_difference"),
])
def test_a_classic_mistake_is_named_like_the_hidden_suite_names_it(
        tmp_path: Path, module: str, old: str, new: str, mistake: str) -> None:
    folder = _plant(tmp_path, module, old, new)
    # A generous limit: the exponential walk is named by how its time grows, which the
    # check must be allowed to measure even on a busy machine (5 s ran out under load).
    failures = _failures(folder, module, timeout=30.0)
    named = {o.feedback.mistake for o in failures.values()}
    assert mistake in named, {k: o.detail for k, o in failures.items()}


def test_an_exponential_walk_is_named_by_its_growth_not_left_to_time_out(tmp_path: Path) -> None:
    folder = _plant(tmp_path, "autodiff", GRADIENTS_BY_TOPOLOGY, GRADIENTS_BY_RECURSION)
    failures = _failures(folder, "autodiff", timeout=5.0)
    walk = failures[("get_gradients", "autodiff.gradients_paths")]
    assert not walk.timed_out, "measured on small graphs, never waited out"
    # counted, not timed: the walks over a 10-layer graph, whatever the machine's load
    assert walk.feedback.text.id == "check.exponential_walk_counted"
    assert re.search(r"children \d{4,} times", walk.detail), walk.detail
    assert "every extra layer doubles the paths" in walk.detail
    assert "recursive get_gradients" in walk.detail, "the lecture's code named as the cause"


def test_an_unwatchable_exponential_walk_is_still_named_by_its_time(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A Variable whose local_gradients cannot be counted falls back to timing the growth."""
    from nngrade.student import checks

    monkeypatch.setattr(checks, "_child_walks", lambda *_args: None)
    folder = _plant(tmp_path, "autodiff", GRADIENTS_BY_TOPOLOGY, GRADIENTS_BY_RECURSION)
    walk = _failures(folder, "autodiff", timeout=30.0)[("get_gradients",
                                                       "autodiff.gradients_paths")]
    assert walk.feedback.text.id == "check.exponential_walk"
    assert "every extra layer doubles its time" in walk.detail


def test_a_linear_walk_passes_the_growth_probe_on_a_busy_machine(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A pause of the machine's during one probe must not be taken for exponential growth."""
    from nngrade.student import checks

    real = checks._walk_seconds
    calls = []

    def slow_once(get_gradients, y):
        calls.append(1)
        seconds = real(get_gradients, y)
        return seconds + (0.05 if len(calls) == 5 else 0.0)  # one hiccup, deep in the probe

    monkeypatch.setattr(checks, "_walk_seconds", slow_once)
    outcomes = _statuses(SOLUTIONS, ["autodiff"])
    paths = [o for k, o in outcomes.items() if k[1] == "get_gradients"]
    assert all(o.status == PASSED for o in paths), [o.detail for o in paths]


def test_a_half_done_module_says_not_implemented_for_the_rest(tmp_path: Path) -> None:
    """get_gradients still a stub: its checks and those that need it are TODO, not failures."""
    folder = tmp_path / "student"
    shutil.copytree(SOLUTIONS, folder)
    stub = (EXERCISES / "autodiff.py").read_text(encoding="utf-8")
    mine = (folder / "autodiff.py").read_text(encoding="utf-8")
    start = stub.index("def get_gradients(")
    mine_start = mine.index("def get_gradients(")
    (folder / "autodiff.py").write_text(mine[:mine_start] + stub[start:], encoding="utf-8")
    outcomes, problems = run_checks(folder, ["autodiff"])
    assert not problems
    statuses = {o.check.name: o.status for o in outcomes["autodiff"]}
    assert statuses["get_gradients"] == TODO and statuses["Variable.__add__"] == TODO
    waiting = next(o for o in outcomes["autodiff"] if o.check.name == "Variable.__add__")
    assert waiting.feedback.text.id == "check.todo_waits"
    assert waiting.feedback.text.params["other"] == "get_gradients"
    assert FAILED not in statuses.values()
    assert all("Traceback" not in o.detail for o in outcomes["autodiff"])
