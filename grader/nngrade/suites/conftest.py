"""Fixtures of the hidden suites: the submission under test and seeded random inputs."""

from __future__ import annotations

import numpy as np
import pytest

from nngrade.runner import CONTEXT_KEY, SEED_KEY, StudentModule, seeded_rng


@pytest.fixture
def student(request: pytest.FixtureRequest) -> StudentModule:
    """The student's module named by the test's contract marker; calls run in the sandbox."""
    marker = request.node.get_closest_marker("contract")
    return StudentModule(request.config.stash[CONTEXT_KEY], marker.args[0])


@pytest.fixture
def rng(request: pytest.FixtureRequest) -> np.random.Generator:
    """Inputs drawn from the run's recorded seed and this test's id: same seed, same inputs."""
    return seeded_rng(request.config.stash[SEED_KEY], request.node.nodeid)
