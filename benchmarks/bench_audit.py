"""The whole mutation audit of solutions/ (issue 12): the hidden suites' strength, and its cost.

    .venv/bin/python benchmarks/bench_audit.py --seeds 1-6 --jobs 2 --out /tmp/audit

Runs `nngrade.audit.command.run_audit` on solutions/ with every operator and
prints the audit's table (killed / survived / flaky / crashed / equivalent,
per name, each survivor's diff), then the cost: wall time, gradings per
second, and the ratio to the reference workload measured in the same run,
grading the unchanged solution set once per seed the same way (one worker
process per module and seed). ``--out DIR`` keeps audit.txt, audit.html and
audit.json. The targets (BENCHMARKS.md): no non-equivalent survivor under any
seed, the same verdict under every seed, minutes not hours.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from nngrade.audit.command import DEFAULT_FOLDER, parse_seeds, read_solution_set, run_audit
from nngrade.audit.mutants import Mutant
from nngrade.audit.run import grade_mutants


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="1-6")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--operators", default=None)
    parser.add_argument("--modules", default=None)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    seeds = parse_seeds(args.seeds)
    ops = args.operators.split(",") if args.operators else None
    mods = args.modules.split(",") if args.modules else None

    sources, _, _ = read_solution_set(DEFAULT_FOLDER)
    t0 = time.perf_counter()
    grade_mutants(sources, [Mutant(m, "<baseline>", "baseline", 0, 0, 0, "", "", sources[m])
                            for m in sources if mods is None or m in mods],
                  seeds, jobs=args.jobs)
    reference = time.perf_counter() - t0

    report = run_audit(DEFAULT_FOLDER, seeds, operators=ops, modules=mods, jobs=args.jobs,
                       progress=True)
    text = report.text()
    gradings = len(report.outcomes) * len(seeds)
    cost = (f"\ncost: {len(report.outcomes)} mutants x {len(seeds)} seeds = {gradings} gradings "
            f"in {report.seconds:.0f} s ({gradings / max(report.seconds, 1e-9):.1f} per s, "
            f"jobs {args.jobs}); reference workload (the unchanged set, once per seed, same "
            f"way) {reference:.1f} s; ratio {report.seconds / max(reference, 1e-9):.1f}x\n")
    sys.stdout.write(text + cost)
    if args.out is not None:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "audit.txt").write_text(text + cost, encoding="utf-8")
        (args.out / "audit.html").write_text(report.html(), encoding="utf-8")
        import json
        (args.out / "audit.json").write_text(json.dumps(report.as_json(), indent=1),
                                             encoding="utf-8")
    total = report.total()
    return 1 if total.get("survived") or total.get("flaky") or total.get("crashed") else 0


if __name__ == "__main__":
    sys.exit(main())
