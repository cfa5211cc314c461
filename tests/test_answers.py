"""The remembered answer key: same plain inputs, same answer; anything stateful is recomputed."""

from __future__ import annotations

import types

import numpy as np

from nngrade.answers import remembered


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
