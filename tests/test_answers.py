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
