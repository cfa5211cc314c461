"""What the hidden tests of the rest of the lecture cost, next to the tests that were there.

    .venv/bin/python benchmarks/bench_lecture_suites.py [--copies N] [--seed S]

Grades N copies of solutions/ in one in-process session without replays (every
test runs, every reference answer after the first is remembered, as in a real
batch) and sums each test's wall time (``extra_data.seconds``: the student's
calls, the reference and the checks) by contract name. Prints, per submission,
the time of the tests of the names added with the rest of the lecture over the
time of the tests of the names that were there, side by side in the same run,
and the share of train_xor_autodiff's default-run test. The first submission
pays once per grading process for the reference's continuation of the default
XOR run; the median over the others is what each further student costs.
Last, for scale, one full default call of the solution's train_xor_autodiff()
(20,000 epochs on scalar Variables), which is what judging the default run by
running it would cost every student.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from nngrade.hidden.grader import SuiteGrader
from nngrade.hidden.inprocess import SourceBackend
from nngrade.hidden.suite import collect
from nngrade.records import Submission
from nngrade.rubric import load_rubric

ROOT = Path(__file__).resolve().parents[1]
NEW = {("gradient_descent", "gradient_check"), ("autodiff", "train_neuron"),
       ("autodiff", "xor_net"), ("autodiff", "train_xor_autodiff"),
       ("overfitting", "polynomial_features"), ("overfitting", "fit_polynomial"),
       ("overfitting", "train_test_errors"), ("overfitting", "early_stopping_fit"),
       ("vanishing", "layer_gradients")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--copies", type=int, default=6)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    sources = {p.stem: p.read_text(encoding="utf-8") for p in (ROOT / "solutions").glob("*.py")}
    grader = SuiteGrader(SourceBackend(timeout=60.0), collect(), seed=args.seed,
                         rubric=load_rubric(), replay=False)
    started = time.perf_counter()
    results = [grader.grade(Submission(f"copy{i}", dict(sources))) for i in range(args.copies)]
    print(f"{args.copies} copies of solutions/ graded in {time.perf_counter() - started:.1f} s "
          f"(seed {args.seed}, no replays)")
    ratios, shares = [], []
    for k, res in enumerate(results):
        old = new = default = 0.0
        for t in res["tests"]:
            seconds = float(t["extra_data"].get("seconds") or 0.0)
            if tuple(t["tags"]) in NEW:
                new += seconds
                if t["tags"][1] == "train_xor_autodiff" and "defaults" in t["name"]:
                    default += seconds
            else:
                old += seconds
        assert res["score"] == 100.0, res["score"]
        print(f"  submission {k}: old names {old:.3f} s, new names {new:.3f} s "
              f"(new / old {new / old:.2f}; the default XOR run {default:.3f} s)")
        if k > 0:
            ratios.append(new / old)
            shares.append(default / (old + new))
    if ratios:
        print(f"median over submissions 1..{len(results) - 1}: new / old = "
              f"{statistics.median(ratios):.2f}, default XOR run = "
              f"{100 * statistics.median(shares):.1f}% of all tests")
    namespace: dict = {"__name__": "autodiff"}
    exec(compile(sources["autodiff"], "autodiff.py", "exec"), namespace)  # noqa: S102
    started = time.perf_counter()
    namespace["train_xor_autodiff"]()
    full = time.perf_counter() - started
    whole = [sum(float(t["extra_data"].get("seconds") or 0.0) for t in res["tests"])
             for res in results[1:]]
    if whole:
        print(f"one full train_xor_autodiff() call: {full:.2f} s = "
              f"{full / statistics.median(whole):.1f}x the median time of all of a "
              "submission's tests")


if __name__ == "__main__":
    main()
