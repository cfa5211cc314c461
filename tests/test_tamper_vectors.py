"""Issue 13 item 2: tampering through gc, sys.modules, frames and inspect, against every driver.

Every driver (`nngrade.worker.drivers`) runs inside the student's process, so
student code can reach it: through ``gc.get_objects()``, through the modules in
``sys.modules``, by climbing ``sys._getframe().f_back`` into the driver's frame
(``f_globals``, ``f_locals``), or with ``inspect.stack()``. Each hostile sample
(tests/hostile_samples/tamper_*.py) uses one of these ways to give every driver
it finds forged code (tests/hostile_samples/forged_drivers.py): inputs reported
unchanged, ``==`` by identity, every node a float-valued Variable, the probe of
child walks blinded, closed forms for the doubling graph and the chain, a
plausible early-stopping start, get_gradients called once.

The same mistakes are graded with and without each attack, beside an honest
student who keeps 100. A tampered hand-in must never pass a test that its
untampered twin fails, with the exceptions listed in `RESIDUAL`: properties
whose honest fix is as cheap as the forgery, so that no report from inside the
process can tell them apart (see `nngrade.worker.drivers` for the audit). The
test of `RESIDUAL` asserts that those gaps are real, so that closing one
shows up here.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from nngrade.grade.options import BatchOptions
from nngrade.grade.pipeline import grade_directory

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = Path(__file__).resolve().parent / "hostile_samples"
SOLUTIONS = ROOT / "solutions"
VECTORS = ("gc", "modules", "frames", "inspect")

# Classic mistakes, planted into copies of solutions/ (module -> (old, new) text).
PLANTED = {
    "gradient_descent": [
        # numerical_gradient nudges the caller's x and leaves every entry h lower
        ("    x = np.array(x, dtype=float)  # a private copy: the caller's array is never"
         " touched\n", "    x = np.asarray(x)\n"),
        ("        x[i] = old\n", ""),
        # gradient_check moves the caller's x before measuring
        ("    x = np.array(x, dtype=float)\n    analytic",
         "    x = np.asarray(x, dtype=float)\n    x += 0.5\n    analytic"),
    ],
    "regularization": [("            self.best_epoch = self.calls\n",
                        "            self.best_epoch = self.calls + 1\n")],
}
# A Variable that hashes and compares by value (appended to autodiff.py).
BY_VALUE = """
Variable.__eq__ = lambda self, other: isinstance(other, Variable) and self.value == other.value
Variable.__hash__ = lambda self: hash(self.value)
"""

# Tests that the forged drivers do win for the stateful, recursive walk: the second call on the
# same graph (the forgery calls get_gradients once: the honest fix is as cheap) and the deep
# chain (its derivative factor**n has a closed form the forgery writes down).
RESIDUAL = {"calling get_gradients twice on the same graph",
            "get_gradients on a chain of 20,000 products"}


def _planted(module: str) -> str:
    text = (SOLUTIONS / f"{module}.py").read_text(encoding="utf-8")
    for old, new in PLANTED.get(module, ()):
        assert old in text, (module, old)
        text = text.replace(old, new, 1)
    return text


def _write(folder: Path, sources: dict[str, str], attack: str = "") -> None:
    folder.mkdir(parents=True)
    for module, text in sources.items():
        (folder / f"{module}.py").write_text(text + attack, encoding="utf-8")


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict]:
    base = tmp_path_factory.mktemp("vectors")
    subs = base / "subs"
    shutil.copytree(SOLUTIONS, subs / "honest")
    flawed = {m: _planted(m) for m in ("gradient_descent", "regularization")}
    flawed["autodiff"] = (SOLUTIONS / "autodiff.py").read_text(encoding="utf-8") + BY_VALUE
    stateful = {"autodiff": (SOLUTIONS / "autodiff.py").read_text(encoding="utf-8")
                + (SAMPLES / "stateful_recursive_walk.py").read_text(encoding="utf-8")}
    forged = (SAMPLES / "forged_drivers.py").read_text(encoding="utf-8")
    _write(subs / "flawed", flawed)
    _write(subs / "stateful", stateful)
    for vector in VECTORS:
        attack = "\n" + forged + "\n" + (SAMPLES / f"tamper_{vector}.py").read_text("utf-8")
        _write(subs / f"flawed_{vector}", flawed, attack)
        _write(subs / f"stateful_{vector}", stateful, attack)
    options = BatchOptions(call_timeout=2.0, submission_timeout=120.0, reports=False)
    results = grade_directory(subs, base / "out", jobs=2, seed=5, force=True, options=options)
    return {r["nngrade"]["student"]: r for r in results}


def _passed(result: dict) -> set[str]:
    return {t["name"] for t in result["tests"] if t["status"] == "passed"}


def _short(name: str) -> str:
    return next((r for r in RESIDUAL if r in name), name)


def test_the_honest_student_keeps_full_marks(graded: dict[str, dict]) -> None:
    assert graded["honest"]["score"] == 100


def test_the_planted_mistakes_cost_points(graded: dict[str, dict]) -> None:
    failed = {t["name"] for t in graded["flawed"]["tests"] if t["status"] != "passed"}
    for needle in ("numerical_gradient leaves the caller's x", "gradient_check leaves the caller's",
                   "equal values are different", "EarlyStopping"):
        assert any(needle in name for name in failed), (needle, sorted(failed))


@pytest.mark.parametrize("vector", VECTORS)
def test_tampering_gains_nothing(graded: dict[str, dict], vector: str) -> None:
    plain, tampered = graded["flawed"], graded[f"flawed_{vector}"]
    gained = _passed(tampered) - _passed(plain)
    assert not gained, f"{vector}: {sorted(gained)}"
    assert tampered["score"] <= plain["score"]


@pytest.mark.parametrize("vector", VECTORS)
def test_the_residual_gaps_are_exactly_the_listed_ones(graded: dict[str, dict],
                                                       vector: str) -> None:
    """The forgery wins only where the audit says no report from the worker can tell.

    This also shows that each way in does reach the drivers and rewrite them (the gains
    are the forgery's), except `sys.modules`, from which the grader's packages are hidden.
    """
    gained = {_short(name) for name in
              _passed(graded[f"stateful_{vector}"]) - _passed(graded["stateful"])}
    assert gained <= RESIDUAL, sorted(gained)
    if vector == "gc":
        assert gained == RESIDUAL
    elif vector == "modules":
        assert not gained
    else:  # slower ways in (a frame walk on every call): on a loaded machine one may time out
        assert gained, vector
