"""One Gradescope submission, cold: run_autograder against `python -c "import numpy, pytest"`.

Gradescope starts a fresh container per submission, so each submission pays
for a cold interpreter, nngrade's imports, the sandbox's start and the
grading of one hand-in. This installs an autograder bundle the way
Gradescope does (setup.sh into a root standing in for /autograder; pip
takes dependencies from the index, or from ``--wheelhouse``, a folder the
script fills from this environment as the tests do), then runs, interleaved
``--rounds`` times: the reference (a cold ``python -c "import numpy,
pytest"`` of the autograder's venv) and ``run_autograder`` on one hand-in.
It prints both medians, the median of the paired ratios, and the peak
memory of run_autograder's whole process tree against the default
container's 768 MB.

``--checkout DIR`` (e.g. ``git archive main | tar -x -C /tmp/before``) also
builds and installs a bundle of that checkout's nngrade in a root of its
own and runs it in every round beside this one (the order rotating), so a
before/after comparison comes from the same minutes. (The bundle is built
with DIR's two source roots first on the path; a module only this checkout
has would be packed too, harmlessly: DIR's code never imports it.)

``--breakdown`` prints, per round, where run_autograder's time went, from
the ``nngrade timing:`` line it prints on stdout (when each step ended,
since its interpreter started) and this script's own clock around it:

- ``launch``: bash, run_autograder's script, until the venv's Python runs;
- ``interpreter_and_imports``: Python's start and the autograder's imports;
- ``read``: settings, metadata, the copy of the hand-in, nngrade's intake
  and pool imports, the hand-in read;
- ``grading_process_start``: the fork, the grading process's imports
  (numpy, the grader, the suites' collection memo) and the sandbox's start;
- ``grading``: until the results came back (``hidden_tests``: the part
  nngrade's own timing gives to the worker's start, the student's calls and
  the reference and checks; the results conversion is imported meanwhile);
- ``conversion``, ``write``: to Gradescope's format, results.json written;
- ``exit``: the interpreter's end and the script's.

(The interpreter's start is read from /proc to a clock tick, 10 ms: ``launch``
may come out slightly negative.)

and once, in cold processes of the autograder's venv, how the grading
process's start splits: ``python -c pass``; its imports (numpy, the grader,
the suites collected); the sandbox's start alone.

    .venv/bin/python benchmarks/bench_gradescope.py --wheelhouse /tmp/wheels \
        [--checkout /tmp/before] [--breakdown] [--rounds 7] [--sandbox none]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from nngrade.gradescope.bundle import build_bundle
from nngrade.gradescope.local import (
    CONTAINER_MB,
    LocalRun,
    install_bundle,
    local_env,
    run_submission,
)
from nngrade.gradescope.settings import GradescopeSettings

REPO = Path(__file__).resolve().parents[1]

BUILD = """
import sys
from pathlib import Path
from nngrade.gradescope.bundle import build_bundle
from nngrade.gradescope.settings import GradescopeSettings
build_bundle(Path(sys.argv[1]), GradescopeSettings.new(seed=1))
"""

GRADING_IMPORTS = """
import time
started = time.perf_counter()
import numpy
from nngrade.grade.pool import grade_in_pool
from nngrade.sandbox import Sandbox
from nngrade.hidden.grader import SuiteGrader
from nngrade.hidden.suite import collect
collect()
print(time.perf_counter() - started)
"""

SANDBOX_START = """
import time
from nngrade.grade.options import BatchOptions, sandbox_limits
from nngrade.sandbox import Limits, Sandbox
box = Sandbox(Limits(**sandbox_limits(BatchOptions(memory_mb=384, call_timeout=4))))
started = time.perf_counter()
box.start()
print(time.perf_counter() - started)
box.close()
"""


def _cold(python: Path, code: str, env: dict[str, str]) -> float:
    """Wall time of a cold ``python -c code`` (or what it prints, if it prints a number)."""
    started = time.perf_counter()
    done = subprocess.run([str(python), "-c", code], env=env, capture_output=True, text=True,
                          check=True, timeout=600)
    elapsed = time.perf_counter() - started
    return float(done.stdout) if done.stdout.strip() else elapsed


def _parts(run: LocalRun, ended: float) -> dict[str, float]:
    """Where one run's time went (see the module's docstring), from its timing line;
    ``ended``: the epoch time just after the run (its start is ``run.seconds`` before)."""
    line = next((ln for ln in run.stdout.splitlines() if ln.startswith("nngrade timing:")), "")
    if not line:
        return {}
    values = dict(part.split("=", 1) for part in line.split()[2:])
    start = float(values.pop("start"))
    began = ended - run.seconds
    at = {step: start + float(value) for step, value in values.items()}
    parts = {"launch": start - began, "interpreter_and_imports": at["main"] - start,
             "read": at["read"] - at["main"]}
    if "ready" in at:
        parts["grading_process_start"] = at["ready"] - at["read"]
        parts["grading"] = at["graded"] - at["ready"]
        parts["conversion"] = at["converted"] - at["graded"]
    parts["write"] = at["written"] - at.get("converted", at["read"])
    parts["exit"] = ended - at["written"]
    timing = (run.results or {}).get("extra_data", {}).get("nngrade", {}).get("timing") or {}
    if timing:
        parts["hidden_tests"] = sum(float(timing.get(key) or 0.0) for key in
                                    ("worker_start", "student_calls", "reference_and_checks"))
    return parts


def _build_from(checkout: Path, bundle: Path, env: dict[str, str]) -> None:
    env = {**env, "PYTHONPATH": f"{checkout / 'grader'}{os.pathsep}{checkout / 'reference'}"}
    subprocess.run([sys.executable, "-c", BUILD, str(bundle)], env=env, check=True,
                   timeout=600)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--submission", type=Path, default=REPO / "examples/submissions/dara")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--wheelhouse", type=Path, default=None,
                        help="install offline from wheels packed from this environment")
    parser.add_argument("--sandbox", choices=["auto", "none"], default="auto")
    parser.add_argument("--checkout", type=Path, default=None,
                        help="also run a bundle of this checkout's nngrade, in the same rounds")
    parser.add_argument("--breakdown", action="store_true",
                        help="where run_autograder's time goes (see the docstring)")
    args = parser.parse_args()

    env = {**local_env(None if args.sandbox == "auto" else args.sandbox)}
    if args.wheelhouse is not None:
        sys.path.insert(0, str(REPO / "tests" / "cluster"))
        from wheelhouse import build_wheelhouse

        build_wheelhouse(args.wheelhouse)
        env.update(PIP_NO_INDEX="1", PIP_FIND_LINKS=str(args.wheelhouse))
    scratch = Path(tempfile.mkdtemp(prefix="nngrade-bench-autograder-"))
    scratch.chmod(0o755)  # student code may run as nobody and must reach the venvs
    roots = {"this": scratch / "this"}
    if args.checkout is not None:
        roots["checkout"] = scratch / "checkout"
    envs = {name: {**env, "NNGRADE_AUTOGRADER_ROOT": str(root)} for name, root in roots.items()}
    try:
        for name, root in roots.items():
            bundle = scratch / f"{name}.zip"
            if name == "this":
                build_bundle(bundle, GradescopeSettings.new(seed=1))
            else:
                _build_from(args.checkout.resolve(), bundle, env)
            install_bundle(bundle, root, envs[name])
        python = roots["this"] / "nngrade-venv" / "bin" / "python"
        now = dt.datetime.now(dt.timezone.utc)
        timed = ["reference", *roots]
        seconds: dict[str, list[float]] = {name: [] for name in timed}
        peaks: dict[str, list[float]] = {name: [] for name in roots}
        loads: list[float] = []
        for i in range(args.rounds):
            row: dict[str, Any] = {}
            for name in timed[i % len(timed):] + timed[:i % len(timed)]:
                if name == "reference":
                    seconds[name].append(_cold(python, "import numpy, pytest", env))
                    continue
                run = run_submission(roots[name], i + 1, args.submission.name,
                                     args.submission, envs[name], now, None)
                if run.problems:
                    raise SystemExit(f"run_autograder ({name}) failed: {run.problems}\n"
                                     f"{run.stdout}")
                seconds[name].append(run.seconds)
                peaks[name].append(run.peak_mb)
                if args.breakdown and name == "this":
                    row = _parts(run, time.time())
            loads.append(os.getloadavg()[0])
            ref = seconds["reference"][-1]
            print(f"round {i + 1}: load {loads[-1]:.1f}; import numpy, pytest {ref:.3f} s; "
                  + "; ".join(f"{name} {seconds[name][-1]:.3f} s "
                              f"({seconds[name][-1] / ref:.2f}x)" for name in roots),
                  flush=True)
            if row:
                print("  " + json.dumps({k: round(v, 3) for k, v in row.items()}), flush=True)
        print(f"python -c 'import numpy, pytest': median "
              f"{statistics.median(seconds['reference']):.3f} s")
        for name in roots:
            ratios = [s / r for s, r in zip(seconds[name], seconds["reference"], strict=True)]
            print(f"run_autograder [{name}] ({args.submission.name}, sandbox {args.sandbox}): "
                  f"median {statistics.median(seconds[name]):.3f} s; ratio, median of "
                  f"{args.rounds} paired rounds: {statistics.median(ratios):.2f}x (range "
                  f"{min(ratios):.2f}-{max(ratios):.2f}); peak memory of the process tree "
                  f"{max(peaks[name]):.0f} MB of {CONTAINER_MB} MB")
        if "checkout" in roots:
            paired = [a / b for a, b in zip(seconds["this"], seconds["checkout"], strict=True)]
            print(f"this / checkout, median of {args.rounds} paired rounds: "
                  f"{statistics.median(paired):.2f} (range {min(paired):.2f}-{max(paired):.2f})")
        print(f"load average per round: {', '.join(f'{x:.1f}' for x in loads)}")
        if args.breakdown:
            split = {"interpreter": _cold(python, "pass", env),
                     "grading_process_imports": _cold(python, GRADING_IMPORTS, env),
                     "sandbox_start": _cold(python, SANDBOX_START, env)}
            print("grading process's start, split in cold processes: "
                  + json.dumps({k: round(v, 3) for k, v in split.items()}))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
