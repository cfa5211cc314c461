"""The remembered answer key: same plain inputs, same answer; anything stateful is recomputed."""

from __future__ import annotations

import types

import numpy as np
import pytest

from nngrade.hidden import answers
from nngrade.hidden.answers import remembered


@pytest.fixture(autouse=True)
def always_remember(request, monkeypatch):
    """Remember even the fake reference's cheap answers (what is checked here), unless a test
    is about the choice between remembering and computing."""
    if "choice" not in request.node.name:
        monkeypatch.setattr(answers, "_WORTH_REMEMBERING", 0.0)


def _module() -> tuple[types.ModuleType, list]:
    calls: list = []
    module = types.ModuleType("fake_reference")

    def double(x, scale=2.0):
        calls.append(x)
        return np.asarray(x) * scale

    def draw(rng):
        calls.append(rng)
        return rng.random(3)

    def identity(obj):
        calls.append(obj)
        return obj

    module.double, module.draw, module.identity = double, draw, identity
    module.CONSTANT = 3
    return module, calls


def test_plain_inputs_are_computed_once_and_copied() -> None:
    module, calls = _module()
    ref = remembered(module)
    x = np.arange(4.0)
    first = ref.double(x)
    first[0] = 99.0  # a test that scribbles on its expected value changes nothing
    second = ref.double(x.copy())
    assert len(calls) == 1
    assert second.tolist() == [0.0, 2.0, 4.0, 6.0]
    assert ref.double(x, scale=3.0).tolist() == [0.0, 3.0, 6.0, 9.0]
    assert ref.double(x.astype(np.float32)).dtype == np.float32 and len(calls) == 3
    assert ref.CONSTANT == 3


def test_generators_and_objects_are_never_remembered() -> None:
    module, calls = _module()
    ref = remembered(module)
    rng = np.random.default_rng(0)
    assert not np.array_equal(ref.draw(rng), ref.draw(rng))
    a, b = object(), object()
    assert ref.identity(a) is a and ref.identity(b) is b
    assert len(calls) == 4


def test_choice_cheap_functions_are_computed_expensive_ones_remembered() -> None:
    import time

    calls: list = []
    module = types.ModuleType("fake_reference")

    def cheap(x):
        calls.append(("cheap", x))
        return x + 1

    def slow(x):
        calls.append(("slow", x))
        time.sleep(0.001)  # far above what a lookup costs
        return x * 2

    module.cheap, module.slow = cheap, slow
    ref = remembered(module)
    for i in range(10):  # each computed once: what it costs is now known
        assert ref.cheap(i) == i + 1 and ref.slow(i) == 2 * i
    calls.clear()
    for _ in range(5):
        assert ref.cheap(3) == 4 and ref.slow(3) == 6
    assert calls.count(("cheap", 3)) == 5  # computed again: cheaper than a lookup
    assert calls.count(("slow", 3)) == 0  # remembered from the trial


def test_arrays_alike_in_bytes_are_told_apart() -> None:
    """An array's key is its dtype, shape, order and type besides its bytes."""
    module, calls = _module()
    ref = remembered(module)
    x = np.arange(6.0)
    answers_ = [ref.double(x), ref.double(x.reshape(2, 3)), ref.double(x.reshape(3, 2)),
                ref.double(np.asfortranarray(x.reshape(3, 2).T)),
                ref.double(x.view(np.int64)), ref.double(x.view(np.matrix))]
    assert len(calls) == 6
    assert [a.shape for a in answers_[:4]] == [(6,), (2, 3), (3, 2), (2, 3)]
    assert ref.double(np.arange(6.0).reshape(2, 3)).shape == (2, 3) and len(calls) == 6


def test_trusted_functions_are_plain_data() -> None:
    from nngrade.worker.protocol import Fn

    calls: list = []
    module = types.ModuleType("fake_reference")

    def descend(grad, x0, steps):
        calls.append(grad)
        x = np.asarray(x0, dtype=float)
        for _ in range(steps):
            x = x - 0.1 * grad(x)
        return x

    module.descend = descend
    ref = remembered(module)
    a = ref.descend(Fn("cos_fixed_point_grad"), 1.0, 50)
    b = ref.descend(Fn("cos_fixed_point_grad"), 1.0, 50)  # another Fn, same name and params
    c = ref.descend(Fn("sin_sum_grad", {"scale": 2.0}), 1.0, 50)
    assert np.array_equal(a, b) and not np.array_equal(a, c)
    assert len(calls) == 2


# ------------------------------------------------------------------ kept between processes


def _store_module(tmp_path, calls: list) -> tuple[types.ModuleType, list]:
    module = types.ModuleType("fake_reference")

    def double(x):
        calls.append(x)
        return np.asarray(x) * 2.0

    def thing(x):
        calls.append(x)
        return object()  # not plain data: never kept on disk

    module.double, module.thing = double, thing
    source = tmp_path / "reference.py"
    if not source.exists():
        source.write_text("def double(x): return x * 2\n")
    return module, [source]


def _process(tmp_path, calls: list) -> tuple[object, answers.AnswerStore]:
    """What a new grading process has: a fresh store object on the same file, a fresh memo."""
    module, sources = _store_module(tmp_path, calls)
    store = answers.AnswerStore(tmp_path / "__pycache__" / "answers.pickle", sources)
    return remembered(module, store), store


def test_a_cold_process_takes_the_answers_an_earlier_one_kept(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(answers, "_SAVE_AFTER", 2)
    calls: list = []
    ref, store = _process(tmp_path, calls)
    first = [ref.double(np.arange(3.0) + i) for i in range(3)]
    answers.save_stores()
    assert (tmp_path / "__pycache__" / "answers.pickle").is_file() and len(calls) == 3

    calls.clear()
    ref, store = _process(tmp_path, calls)
    again = [ref.double(np.arange(3.0) + i) for i in range(3)]
    assert calls == []  # none computed again
    assert all(np.array_equal(a, b) for a, b in zip(first, again, strict=True))
    again[0][0] = 99.0  # a test that scribbles on its expected value changes nothing
    assert ref.double(np.arange(3.0))[0] == 0.0
    ref, _ = _process(tmp_path, calls)
    assert ref.double(np.arange(3.0))[0] == 0.0 and calls == []


def test_a_store_of_other_code_or_unreadable_is_not_used(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(answers, "_SAVE_AFTER", 1)
    calls: list = []
    ref, _ = _process(tmp_path, calls)
    ref.double(np.arange(3.0))
    answers.save_stores()
    (tmp_path / "reference.py").write_text("def double(x): return x * 3\n")  # the code changed
    calls.clear()
    ref, _ = _process(tmp_path, calls)
    ref.double(np.arange(3.0))
    assert len(calls) == 1

    (tmp_path / "__pycache__" / "answers.pickle").write_bytes(b"not a pickle")
    calls.clear()
    ref, _ = _process(tmp_path, calls)
    assert ref.double(np.arange(3.0)).tolist() == [0.0, 2.0, 4.0] and len(calls) == 1


def test_only_plain_answers_are_kept_and_only_when_enough_are_new(tmp_path,
                                                                  monkeypatch) -> None:
    monkeypatch.setattr(answers, "_SAVE_AFTER", 3)
    calls: list = []
    ref, store = _process(tmp_path, calls)
    ref.double(np.arange(2.0))
    ref.thing(1)
    ref.thing(1)  # remembered in this process all the same (an identity)
    assert store.new == 1 and len(calls) == 2
    answers.save_stores()
    assert not (tmp_path / "__pycache__").exists()  # one new answer: not worth a write
    ref.double(np.arange(3.0))
    ref.double(np.arange(4.0))
    answers.save_stores()  # nor two more in the next grading: each grading counts its own
    assert not (tmp_path / "__pycache__").exists() and store.new == 0
    for n in (5, 6, 7):
        ref.double(np.arange(float(n)))
    answers.save_stores()
    assert (tmp_path / "__pycache__" / "answers.pickle").is_file() and store.new == 0
    calls.clear()
    ref, _ = _process(tmp_path, calls)
    ref.thing(1)
    ref.double(np.arange(4.0))
    ref.double(np.arange(6.0))
    assert len(calls) == 1  # the object computed again; the arrays loaded


def test_the_course_reference_is_kept_beside_its_bytecode() -> None:
    from nngrade.suite import _reference_store, reference

    store = _reference_store()
    names = {path.name for path in store.sources}
    assert {"engine.py", "autodiff.py", "backprop.py", "functions.py"} <= names
    assert store.path.parent.name == "__pycache__"
    assert reference("activations")._store is store


def test_kept_is_computed_once_for_every_process_until_its_suite_changes(tmp_path) -> None:
    from nngrade.suite import _kept_key

    calls: list = []

    def descent():
        calls.append(1)
        return (np.arange(3.0), np.ones((2, 1)))

    suite = tmp_path / "test_x.py"
    suite.write_text("# a suite\n")
    _, store = _process(tmp_path, [])
    key = _kept_key("settled from the reference's start", str(suite))
    first = store.kept(key, descent)
    answers.save_stores()  # one kept answer is worth a write on its own
    _, store = _process(tmp_path, [])
    again = store.kept(key, descent)
    assert len(calls) == 1 and all(np.array_equal(a, b) for a, b in zip(first, again, strict=True))
    again[0][0] = 99.0
    assert store.kept(key, descent)[0][0] == 0.0  # each call a private copy
    suite.write_text("# a suite, edited\n")
    _kept_key.cache_clear()
    store.kept(_kept_key("settled from the reference's start", str(suite)), descent)
    assert len(calls) == 2
