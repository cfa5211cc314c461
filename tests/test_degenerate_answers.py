"""Answers that ignore their input earn nothing, whatever the seed.

A hidden test whose random input happens to make the expected value all
zeros (every z negative for relu', every |z| huge for sigmoid') would pay a
student who returns zeros. These submissions return a constant or echo
their input for every name of the contract; over several seeds they must
score 0.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from nngrade.contract import MODULES

SCRIPT = r"""
import json, sys
import numpy as np
from nngrade.contract import MODULES
from nngrade.hidden.inprocess import grade_in_process

kind, seed = sys.argv[1], int(sys.argv[2])

def answer(*args, **kwargs):
    first = args[0] if args else 0.0
    if kind == "zeros":
        return np.zeros(np.shape(first)) if hasattr(first, "shape") else 0.0
    if kind == "ones":
        return np.ones(np.shape(first)) if hasattr(first, "shape") else 1.0
    return first  # "echo"

names = {m: {n: answer for n in ns if "." not in n and n[0].islower()}
         for m, ns in MODULES.items() if m != "autodiff"}
results = grade_in_process(names, seed=seed, student=kind)
passed = [t["name"] for t in results["tests"] if t["score"] > 0]
print(json.dumps({"score": results["score"], "passed": passed}))
"""


@pytest.mark.parametrize("kind", ["zeros", "ones", "echo"])
def test_input_blind_answers_score_nothing(kind: str) -> None:
    assert "regularization" in MODULES
    for seed in (1, 2, 3, 4, 5):
        done = subprocess.run([sys.executable, "-c", SCRIPT, kind, str(seed)],
                              capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr[-2000:]
        result = json.loads(done.stdout.strip().splitlines()[-1])
        assert result["score"] == 0, (seed, result["passed"])
