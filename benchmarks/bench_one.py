"""One hand-in graded from a cold process, against ``python -c "import numpy, pytest"``.

Issue 17 (item 5): grading a single submission from a cold start, ``nngrade
grade ONE --out OUT``, takes at most 2.5 times a cold ``python -c "import
numpy, pytest"`` measured in the same run. Each round runs, one after the
other and each a process of its own: the reference, then ``nngrade grade``
on a folder holding one hand-in (reports on, a fresh OUT, the seed fixed;
as the console script runs it),
in an order that alternates between rounds, after one uncounted warm-up
round; the headline is the median of the per-round ratios (the machine's
speed changes within seconds, so only figures from one round compare).
Processes run as an installed nngrade does: with bytecode (see `_env`).

``--breakdown`` adds, per round, where a cold grading's time goes, each part
in a cold process of its own (so the parts add up to more than the command,
which overlaps them): the bare interpreter; nngrade's imports as the command
and its grading process make them (the hidden suites collected); the
sandbox's start (its zygote ready); the grading itself (results.json's
``execution_time``, with the costliest tests); the grading process's own
CPU time while it grades (a cold process grading the hand-in as the
command's does: the grader's side, load-proof where wall times are not);
and the reports (report.html and index.html of that result, in a cold process).

    python benchmarks/bench_one.py [--student ada] [--rounds 7] [--breakdown] [--json]
        [--checkout DIR] [--no-answer-store]

Gradescope's run_autograder (one more cold interpreter before this command)
has benchmarks/bench_gradescope.py.
"""

from __future__ import annotations

import argparse
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

REPO = Path(__file__).resolve().parents[1]
SAMPLES = REPO / "examples" / "submissions"
PY = sys.executable

IMPORTS = """
import time
started = time.perf_counter()
import nngrade.grade.command, nngrade.grade.pipeline
from nngrade.sandbox import Sandbox
from nngrade.hidden.grader import SuiteGrader
from nngrade.hidden.suite import collect
collect()
print(time.perf_counter() - started)
"""

SANDBOX = """
import time
from nngrade.grade.options import BatchOptions, sandbox_limits
from nngrade.sandbox import Limits, Sandbox
box = Sandbox(Limits(**sandbox_limits(BatchOptions())))
started = time.perf_counter()
box.start()
print(time.perf_counter() - started)
box.close()
"""

GRADING_CPU = """
import json, shutil, sys, tempfile, time
from pathlib import Path
from nngrade.grade.options import BatchOptions, sandbox_limits
from nngrade.intake import read_submissions
from nngrade.rubric import load_rubric
from nngrade.sandbox import Limits, Sandbox
from nngrade.hidden.grader import SuiteGrader
from nngrade.hidden.suite import collect
limits = sandbox_limits(BatchOptions())
with Sandbox(Limits(**limits)) as box, tempfile.TemporaryDirectory() as tmp:
    grader = SuiteGrader(box, collect(), seed=int(sys.argv[2]), rubric=load_rubric(),
                         limits=limits, replay=False)
    shutil.copytree(sys.argv[1], Path(tmp) / Path(sys.argv[1]).name)
    (submission,) = read_submissions(Path(tmp))
    cpu, wall = time.thread_time(), time.perf_counter()
    json.dumps(grader.grade(submission))
    print(json.dumps({"cpu": time.thread_time() - cpu, "wall": time.perf_counter() - wall}))
"""

REPORTS = """
import json, sys, time
from pathlib import Path
started = time.perf_counter()
from nngrade.report import write_class_summary, write_student_report
results = json.loads(Path(sys.argv[1]).read_text())
out = Path(sys.argv[2])
write_student_report(results, out / "report.html", lang="en")
write_class_summary([results], out, lang="en")
print(time.perf_counter() - started)
"""


CHECKOUT: list[Path] = []  # --checkout: grade with another checkout's nngrade


def _env() -> dict[str, str]:
    """This environment, as an installed nngrade runs: bytecode is written and kept.

    (A wheel's modules are compiled when pip installs them; a checkout's are
    compiled by the first run, which is the uncounted warm-up round. With
    ``PYTHONDONTWRITEBYTECODE`` every cold process would compile nngrade's
    sources again, a cost no installed grader pays.)
    """
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "PYTHONDONTWRITEBYTECODE")}
    if CHECKOUT:  # its two source roots first: every nngrade module is found there
        env["PYTHONPATH"] = f"{CHECKOUT[0] / 'grader'}{os.pathsep}{CHECKOUT[0] / 'reference'}"
    return env


def _wall(argv: list[str]) -> tuple[float, str]:
    started = time.perf_counter()
    done = subprocess.run(argv, env=_env(), capture_output=True, text=True, check=False,
                          timeout=600)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv[:3])} failed:\n{done.stderr[-3000:]}")
    return elapsed, done.stdout


def reference() -> float:
    return _wall([PY, "-c", "import numpy, pytest"])[0]


def _entry() -> str:
    """The module of the console script (``nngrade.console``; ``nngrade.cli`` before it was)."""
    root = CHECKOUT[0] if CHECKOUT else REPO
    return "console" if (root / "grader" / "nngrade" / "console.py").is_file() else "cli"


# The reference's answers kept between grading processes (`nngrade.hidden.answers.AnswerStore`)
NO_STORE: list[bool] = []  # --no-answer-store: removed before every grading


def _answer_store() -> Path:
    root = CHECKOUT[0] if CHECKOUT else REPO
    return root / "reference" / "nngrade" / "reference" / "course" / "__pycache__" / \
        "nngrade-answers.pickle"


def grade_one(one: Path, out: Path, seed: int) -> tuple[float, dict[str, Any]]:
    shutil.rmtree(out, ignore_errors=True)
    if NO_STORE:
        _answer_store().unlink(missing_ok=True)
    seconds, _ = _wall([PY, "-c", f"from nngrade.{_entry()} import main; main()", "grade",
                        str(one), "--out", str(out), "--seed", str(seed)])
    (folder,) = [p for p in out.iterdir() if (p / "results.json").is_file()]
    if not (folder / "report.html").is_file() or not (out / "index.html").is_file():
        raise SystemExit(f"no report written in {out}")
    return seconds, json.loads((folder / "results.json").read_text())


def breakdown(results: dict[str, Any], scratch: Path, student_folder: Path,
              seed: int) -> dict[str, Any]:
    """Each part of a cold grading in a cold process of its own (seconds)."""
    parts: dict[str, Any] = {"interpreter": _wall([PY, "-c", "pass"])[0]}
    parts["imports_and_suites"] = float(_wall([PY, "-c", IMPORTS])[1])
    parts["sandbox_start"] = float(_wall([PY, "-c", SANDBOX])[1])
    parts["grading"] = float(results["execution_time"])
    parts["grading_split"] = results["nngrade"]["timing"]
    # The grading process's own CPU while it grades the hand-in (the grader's side and the
    # sandbox's messages, not the worker's): a cold process as the command's, steadier
    # under load than any wall time.
    parts["grading_process_cpu"] = json.loads(
        _wall([PY, "-c", GRADING_CPU, str(student_folder), str(seed)])[1])["cpu"]
    tests = sorted(((t["extra_data"].get("seconds") or 0.0, t["name"])
                    for t in results["tests"]), reverse=True)
    parts["costliest_tests"] = [[round(s, 3), n[:90]] for s, n in tests[:4]]
    path = scratch / "results.json"
    path.write_text(json.dumps(results))
    parts["reports"] = float(_wall([PY, "-c", REPORTS, str(path), str(scratch)])[1])
    return parts


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--student", default="ada", help="a sample student (a folder)")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--breakdown", action="store_true")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--checkout", type=Path, default=None,
                        help="grade with the nngrade of another checkout (e.g. `git archive COMMIT "
                             "| tar -x -C /tmp/before`), in this environment")
    parser.add_argument("--no-answer-store", action="store_true",
                        help="remove the reference's kept answers before every grading (a "
                             "course's first hand-in under a new seed)")
    args = parser.parse_args()
    if args.no_answer_store:
        NO_STORE.append(True)
    if args.checkout is not None:
        CHECKOUT.append(args.checkout.resolve())

    with tempfile.TemporaryDirectory(prefix="nngrade-bench-one-") as tmp:
        one = Path(tmp) / "class"
        shutil.copytree(SAMPLES / args.student, one / args.student)
        out, scratch = Path(tmp) / "out", Path(tmp) / "scratch"
        scratch.mkdir()
        reference()  # warm-up, not counted: bytecode written, files in the page cache
        grade_one(one, out, args.seed)
        rounds: list[dict[str, Any]] = []
        for i in range(args.rounds):
            if i % 2 == 0:
                ref = reference()
                graded, results = grade_one(one, out, args.seed)
            else:
                graded, results = grade_one(one, out, args.seed)
                ref = reference()
            row: dict[str, Any] = {"reference": ref, "grade": graded, "ratio": graded / ref,
                                   "score": results["score"],
                                   "load": round(os.getloadavg()[0], 2)}
            if args.breakdown:
                row["breakdown"] = breakdown(results, scratch, one / args.student, args.seed)
            rounds.append(row)
            if not args.json:
                print(f"round {i + 1}: import numpy, pytest {ref:.3f} s; grade "
                      f"{args.student} {graded:.3f} s; ratio {graded / ref:.2f} "
                      f"(load {row['load']})", flush=True)
                if args.breakdown:
                    print("  " + json.dumps(row["breakdown"], default=_round), flush=True)
    ratios = [r["ratio"] for r in rounds]
    summary = {
        "student": args.student,
        "rounds": rounds,
        "reference_median": statistics.median(r["reference"] for r in rounds),
        "grade_median": statistics.median(r["grade"] for r in rounds),
        "ratio_median": statistics.median(ratios),
        "ratio_range": [min(ratios), max(ratios)],
    }
    if args.json:
        print(json.dumps(summary, default=_round))
    else:
        print(f"median: import numpy, pytest {summary['reference_median']:.3f} s; grade "
              f"{summary['grade_median']:.3f} s; ratio (median of {len(rounds)} paired "
              f"rounds) {summary['ratio_median']:.2f}x, range {min(ratios):.2f}-"
              f"{max(ratios):.2f}x")
    return 0


def _round(value: Any) -> Any:
    return round(value, 3) if isinstance(value, float) else str(value)


if __name__ == "__main__":
    raise SystemExit(main())
