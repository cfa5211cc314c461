"""Benchmark: throughput of ``--cluster local:2`` (Dask) against a plain ``-j 2`` run.

Issue 17 asks that the chunked Dask run on a 2-worker LocalCluster reach at
least 80% of a plain ``-j 2`` run's throughput. Each round grades the same
class both ways, in an order that changes from round to round, each as its
own ``nngrade grade ... --force --seed S --no-reports`` process (start-up,
and for Dask the cluster's start, included); the headline is the median
over rounds of plain time / Dask time (throughput ratio), and each round
checks that both gradebooks are identical.

    python benchmarks/bench_dask.py [--students 200] [--rounds 3] [--distinct]

The class is bench_grade.py's (the sample class without its two endless
loops, copied under new ids); ``--distinct`` makes every copy answer
differently, as there.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_grade import LOOPING, make_class  # noqa: E402
from bench_shards import _run  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seed", type=int, default=20261204)
    parser.add_argument("--distinct", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="nngrade-bench-dask-") as tmp:
        root = Path(tmp)
        subs = root / "class"
        subs.mkdir()
        make_class(subs, args.students, exclude=LOOPING, distinct=args.distinct)
        common = ["--force", "--seed", str(args.seed), "--no-reports"]
        rounds = []
        for r in range(args.rounds):
            plain_out, dask_out = root / f"plain-{r}", root / f"dask-{r}"
            argv = {
                "plain": ["grade", str(subs), "--out", str(plain_out), "-j", "2", *common],
                "dask": ["grade", str(subs), "--out", str(dask_out), "--cluster", "local:2",
                         *common],
            }
            order = ["plain", "dask"] if r % 2 == 0 else ["dask", "plain"]
            times = {name: _run(argv[name]) for name in order}
            same = ((plain_out / "gradebook.csv").read_text()
                    == (dask_out / "gradebook.csv").read_text())
            rounds.append({"plain_s": round(times["plain"], 2), "dask_s": round(times["dask"], 2),
                           "throughput_ratio": round(times["plain"] / times["dask"], 3),
                           "same_gradebook": same})
            print(json.dumps(rounds[-1]), flush=True)
        summary = {
            "students": args.students, "distinct": args.distinct, "rounds": rounds,
            "median_throughput_ratio": round(statistics.median(
                r["throughput_ratio"] for r in rounds), 3),
            "all_gradebooks_identical": all(r["same_gradebook"] for r in rounds),
            "load_average": os.getloadavg(),
        }
        print(json.dumps(summary, indent=2))
        return 0 if summary["all_gradebooks_identical"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
