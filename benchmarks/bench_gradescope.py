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

    .venv/bin/python benchmarks/bench_gradescope.py --wheelhouse /tmp/wheels
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from nngrade.gradescope.bundle import build_bundle
from nngrade.gradescope.local import CONTAINER_MB, install_bundle, local_env, run_submission
from nngrade.gradescope.settings import GradescopeSettings

REPO = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--submission", type=Path, default=REPO / "examples/submissions/dara")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--wheelhouse", type=Path, default=None,
                        help="install offline from wheels packed from this environment")
    parser.add_argument("--sandbox", choices=["auto", "none"], default="auto")
    args = parser.parse_args()

    env = {**local_env(None if args.sandbox == "auto" else args.sandbox)}
    if args.wheelhouse is not None:
        sys.path.insert(0, str(REPO / "tests" / "cluster"))
        from wheelhouse import build_wheelhouse

        build_wheelhouse(args.wheelhouse)
        env.update(PIP_NO_INDEX="1", PIP_FIND_LINKS=str(args.wheelhouse))
    root = Path(tempfile.mkdtemp(prefix="nngrade-bench-autograder-"))
    env["NNGRADE_AUTOGRADER_ROOT"] = str(root)
    try:
        bundle = build_bundle(root.parent / f"{root.name}.zip", GradescopeSettings.new(seed=1))
        install_bundle(bundle, root, env)
        python = root / "nngrade-venv" / "bin" / "python"
        reference, graded, ratios, peaks = [], [], [], []
        now = dt.datetime.now(dt.timezone.utc)
        for i in range(args.rounds):
            started = time.perf_counter()
            subprocess.run([str(python), "-c", "import numpy, pytest"], check=True, env=env)
            ref = time.perf_counter() - started
            run = run_submission(root, i + 1, args.submission.name, args.submission, env,
                                 now, None)
            if run.problems:
                raise SystemExit(f"run_autograder failed: {run.problems}\n{run.stdout}")
            reference.append(ref)
            graded.append(run.seconds)
            ratios.append(run.seconds / ref)
            peaks.append(run.peak_mb)
        print(f"python -c 'import numpy, pytest': median {statistics.median(reference):.3f} s")
        print(f"run_autograder ({args.submission.name}, sandbox {args.sandbox}): median "
              f"{statistics.median(graded):.3f} s")
        print(f"ratio, median of {args.rounds} paired rounds: {statistics.median(ratios):.2f}x "
              f"(range {min(ratios):.2f}-{max(ratios):.2f})")
        print(f"peak memory of the process tree: {max(peaks):.0f} MB of {CONTAINER_MB} MB; "
              f"load average {os.getloadavg()[0]:.1f}")
    finally:
        shutil.rmtree(root, ignore_errors=True)
        Path(root.parent / f"{root.name}.zip").unlink(missing_ok=True)


if __name__ == "__main__":
    main()
