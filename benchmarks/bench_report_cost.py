"""Benchmark: what the reports cost per submission, this checkout against another, in CPU time.

`bench_grade.py` times whole grading runs, whose wall time and CPU swing by
20% between rounds on a shared machine: too coarse to see a few percent.
This script times the two parts a change to the reports touches, in one
process each, as CPU time (``time.process_time``), alternating the two
checkouts round by round:

- **grading**: the hidden suites on the sample class in-process
  (`nngrade.hidden.inprocess.SourceBackend`, no sandbox: the sandbox's cost
  does not change with the reports), seed 1 — what a grading process does,
  pictures' numbers included;
- **student page**: ``OutputFolder.write_student`` (results.json and
  report.html) for each graded submission, in the main process;
- **class pages**: gradebook.csv and index.html for a class of 198 (the six
  33 times), per student, in the main process once per run.

Run it with this checkout's Python; ``--other NAME=PYTHON`` is the other
checkout (a wrapper that sets PYTHONPATH to its tree, as in BENCHMARKS.md).

    python benchmarks/bench_report_cost.py --other "main=/tmp/base/py" [--rounds 5]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

CHILD = r"""
import json, sys, tempfile, time
from pathlib import Path
from nngrade.grade.options import BatchOptions
from nngrade.grade.output import OutputFolder
from nngrade.hidden.grader import SuiteGrader
from nngrade.hidden.inprocess import SourceBackend
from nngrade.hidden.suite import collect
from nngrade.intake import read_submissions
from nngrade.rubric import load_rubric

sample, repeats = Path(sys.argv[1]), int(sys.argv[2])
subs = [s for s in read_submissions(sample, None) if s.student not in ("fay", "gus")]
grader = SuiteGrader(SourceBackend(timeout=2.0), collect(), seed=1, rubric=load_rubric(),
                     replay=False)
grader.grade(subs[0])  # warm: imports, the reference's remembered answers
t = time.process_time()
for _ in range(repeats):
    results = [grader.grade(s) for s in subs]
grading = (time.process_time() - t) / (repeats * len(subs))
with tempfile.TemporaryDirectory() as tmp:
    folder = OutputFolder.create(Path(tmp))
    options = BatchOptions()
    for r in results:
        folder.write_student(json.loads(json.dumps(r)), options)
    t = time.process_time()
    for _ in range(repeats):
        for r in results:
            folder.write_student(json.loads(json.dumps(r)), options)
    student = (time.process_time() - t) / (repeats * len(results))
    klass = []  # a class of 198: the six, 33 times under new ids
    for k in range(33):
        for r in results:
            copy = json.loads(json.dumps(r))
            copy["nngrade"]["student"] = f"{copy['nngrade']['student']}{k:02d}"
            klass.append(copy)
    t = time.process_time()
    for _ in range(repeats):
        folder.write_gradebook(klass)
        folder.write_class_summary(klass, "en")
    summary = (time.process_time() - t) / (repeats * len(klass))
print(json.dumps({"grading_ms": 1000 * grading, "student_page_ms": 1000 * student,
                  "class_pages_ms": 1000 * summary}))
"""


def measure(python: str, repeats: int) -> dict[str, float]:
    done = subprocess.run([python, "-c", CHILD, str(ROOT / "examples" / "submissions"),
                           str(repeats)], capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--other", required=True, metavar="NAME=PYTHON")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()
    name, _, other = args.other.partition("=")
    checkouts = {"this checkout": sys.executable, name: other}
    rows: dict[str, list[dict[str, float]]] = {k: [] for k in checkouts}
    for i in range(args.rounds):
        order = list(checkouts) if i % 2 == 0 else list(reversed(checkouts))
        for key in order:
            rows[key].append(measure(checkouts[key], args.repeats))
    print("| part, per submission (CPU) | " + " | ".join(checkouts)
          + " | ratio (median of rounds) |")
    print("|---|" + "---:|" * (len(checkouts) + 1))
    for part in ("grading_ms", "student_page_ms", "class_pages_ms"):
        medians = [statistics.median(r[part] for r in rows[k]) for k in checkouts]
        ratios = [a[part] / b[part] for a, b in zip(rows["this checkout"], rows[name],
                                                      strict=True)]
        print(f"| {part[:-3]} | " + " | ".join(f"{m:.1f} ms" for m in medians)
              + f" | {statistics.median(ratios):.3f} |")
    print(json.dumps(rows))


if __name__ == "__main__":
    main()
