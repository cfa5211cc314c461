"""Benchmark: a class graded as 4 shards one after another, as a ratio to one plain run.

Issue 17 asks that sharding cost at most 10% over a plain run on the same
machine. Each round grades the same class twice, in an order that changes
from round to round:

- plain: ``nngrade grade SUBS --out A -j J --force --seed S``;
- sharded: ``nngrade grade SUBS --out B --shard K/4 -j J --force --seed S``
  for K = 1..4, one after another, then ``nngrade merge B``;

each command a process of its own, as an instructor or a Slurm task runs it
(start-up included). The headline is the median over rounds of the sharded
wall time over the plain one in the same round (the machine's speed changes
within minutes, so only ratios from one round compare); on a machine shared
with other work, the ratio of the fastest sharded run to the fastest plain
one (``ratio_of_minimums``) is the steadier figure. Each round also checks
that both gradebooks are identical.

What a shard costs beyond its students is fixed: an interpreter, nngrade's
imports, its grading processes' start (suites collected, a sandbox each)
and listing the whole submissions folder (it opens only its own hand-ins).
So the ratio depends on the shard size; ``--students`` sets the class (by
default 4 x 250, the shard size ``nngrade slurm`` picks by default).

    python benchmarks/bench_shards.py [--students 1000] [--shards 4] [--jobs 2] [--rounds 3]
        [--distinct] [--no-replay] [--checkout DIR] [--no-bytecode]

Every command runs as an installed nngrade runs: Python's bytecode is
written and kept (``PYTHONDONTWRITEBYTECODE`` is dropped from the
environment, as bench_one.py does), after an untimed warm-up that grades a
few students plainly and in two shards. With ``PYTHONDONTWRITEBYTECODE``
set, every cold process compiles nngrade's sources again (about 0.05 s of
imports here), a cost no installed grader pays and that a sharded run pays
once per shard and merge; ``--no-bytecode`` sets it, to price it. (Bytecode
already written is still read: price it on a checkout without
``__pycache__`` folders, e.g. ``--no-bytecode --checkout`` a fresh ``git
archive``.)

``--checkout DIR`` grades with the nngrade of another checkout (e.g. main
before a change: ``git archive main | tar -x -C /tmp/before``), in this
environment, as benchmarks/bench_one.py's option: run it and this checkout
one after the other to compare a change within the same minutes.

The copies of one sample student answer every call alike, so a grading
process reuses the verdicts of the first copy it graded (replays,
`nngrade.hidden.replay`); the shards of a run pass their replay trees on
(`nngrade.hidden.replay_store`), so the first copies are paid for once per
run, not once per shard. ``--distinct`` makes every copy answer
differently (as bench_grade.py's option), and ``--no-replay`` turns the
reuse off, to price that.

The class is made as bench_grade.py makes it (the sample class without the
two students whose endless loops only measure the call time limit, copied
under new ids with a comment that changes each copy's content hash).
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

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_grade import LOOPING, make_class  # noqa: E402


def _nngrade() -> list[str]:
    """The command as the console script runs it (``nngrade.console``, which forks the first
    grading process before the command's imports; ``nngrade.cli`` in a checkout before it)."""
    root = CHECKOUT[0] if CHECKOUT else Path(__file__).resolve().parents[1]
    entry = "console" if (root / "grader" / "nngrade" / "console.py").is_file() else "cli"
    return [sys.executable, "-c", f"from nngrade.{entry} import main; main()"]


EXTRA: list[str] = []  # --no-replay, for every grade command
CHECKOUT: list[Path] = []  # --checkout: grade with another checkout's nngrade
DROPPED = ["PYTHONPATH", "PYTHONDONTWRITEBYTECODE"]  # --no-bytecode keeps the second


def _env() -> dict[str, str]:
    """This environment, bytecode kept; with ``--checkout``, that checkout's two source roots
    first (every nngrade module is found there before this checkout's)."""
    env = {k: v for k, v in os.environ.items() if k not in DROPPED}
    if CHECKOUT:
        env["PYTHONPATH"] = f"{CHECKOUT[0] / 'grader'}{os.pathsep}{CHECKOUT[0] / 'reference'}"
    return env


def _run(args: list[str]) -> float:
    env = _env()
    started = time.perf_counter()
    if args[0] == "grade":
        args = [*args, *EXTRA]
    done = subprocess.run([*_nngrade(), *args], env=env, capture_output=True, text=True,
                          check=False, timeout=7200)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"nngrade {' '.join(args[:1])} failed:\n{done.stderr[-3000:]}")
    return elapsed


def _check_checkout(checkout: Path) -> None:
    """Stop unless ``nngrade`` really comes from ``checkout`` (a typo would measure this one)."""
    where = "import nngrade.grade.merge as m; print(m.__file__)"
    done = subprocess.run([sys.executable, "-c", where], env=_env(), capture_output=True,
                          text=True, check=False)
    if not done.stdout.strip().startswith(str(checkout)):
        raise SystemExit(f"--checkout {checkout}: nngrade is imported from "
                         f"{done.stdout.strip() or done.stderr[-500:]}")


def plain(subs: Path, out: Path, jobs: int, seed: int) -> float:
    return _run(["grade", str(subs), "--out", str(out), "-j", str(jobs), "--force",
                 "--seed", str(seed), "--no-reports"])


def sharded(subs: Path, out: Path, shards: int, jobs: int, seed: int) -> tuple[float, list[float]]:
    each = [_run(["grade", str(subs), "--out", str(out), "--shard", f"{k}/{shards}",
                  "-j", str(jobs), "--force", "--seed", str(seed), "--no-reports"])
            for k in range(1, shards + 1)]
    merge = _run(["merge", str(out)])
    return sum(each) + merge, [*each, merge]


def warm_up(root: Path, jobs: int, seed: int, distinct: bool) -> None:
    """Untimed: a few students graded plainly and in two shards, then merged (bytecode
    written, files in the page cache, as for any command run twice)."""
    subs = root / "class"
    subs.mkdir(parents=True)
    make_class(subs, 8, exclude=LOOPING, distinct=distinct)
    plain(subs, root / "plain", jobs, seed)
    sharded(subs, root / "sharded", 2, jobs, seed)
    shutil.rmtree(root)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=1000)
    parser.add_argument("--shards", type=int, default=4)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seed", type=int, default=20261204)
    parser.add_argument("--distinct", action="store_true")
    parser.add_argument("--no-replay", action="store_true")
    parser.add_argument("--checkout", type=Path, default=None,
                        help="grade with the nngrade of another checkout (e.g. `git archive main "
                             "| tar -x -C /tmp/before`), in this environment")
    parser.add_argument("--no-bytecode", action="store_true",
                        help="set PYTHONDONTWRITEBYTECODE: with no bytecode written yet (a fresh "
                             "--checkout), every process compiles nngrade again")
    args = parser.parse_args()
    if args.no_replay:
        EXTRA.append("--no-replay")
    if args.no_bytecode:
        DROPPED.remove("PYTHONDONTWRITEBYTECODE")
        os.environ["PYTHONDONTWRITEBYTECODE"] = "1"
    if args.checkout is not None:
        CHECKOUT.append(args.checkout.resolve())
        _check_checkout(CHECKOUT[0])

    with tempfile.TemporaryDirectory(prefix="nngrade-bench-shards-") as tmp:
        root = Path(tmp)
        subs = root / "class"
        subs.mkdir()
        make_class(subs, args.students, exclude=LOOPING, distinct=args.distinct)
        warm_up(root / "warm-up", args.jobs, args.seed, args.distinct)
        rounds = []
        for r in range(args.rounds):
            plain_out, shard_out = root / f"plain-{r}", root / f"sharded-{r}"
            if r % 2 == 0:
                t_plain = plain(subs, plain_out, args.jobs, args.seed)
                t_shards, parts = sharded(subs, shard_out, args.shards, args.jobs, args.seed)
            else:
                t_shards, parts = sharded(subs, shard_out, args.shards, args.jobs, args.seed)
                t_plain = plain(subs, plain_out, args.jobs, args.seed)
            same = ((plain_out / "gradebook.csv").read_text()
                    == (shard_out / "gradebook.csv").read_text())
            rounds.append({"plain_s": round(t_plain, 2), "sharded_s": round(t_shards, 2),
                           "ratio": round(t_shards / t_plain, 3),
                           "shard_and_merge_s": [round(p, 2) for p in parts],
                           "same_gradebook": same,
                           "load_average": [round(x, 2) for x in os.getloadavg()]})
            print(json.dumps(rounds[-1]), flush=True)
        ratios = [r["ratio"] for r in rounds]
        summary = {
            "students": args.students, "shards": args.shards, "jobs": args.jobs,
            "distinct": args.distinct, "replay": not args.no_replay,
            "bytecode": not args.no_bytecode,
            "checkout": str(CHECKOUT[0]) if CHECKOUT else str(Path(__file__).resolve().parents[1]),
            "rounds": rounds,
            "median_ratio": round(statistics.median(ratios), 3),
            "overhead_percent": round(100 * (statistics.median(ratios) - 1), 1),
            # Other work on a shared machine only ever adds time: the fastest of each kind
            # of run is the one least disturbed.
            "ratio_of_minimums": round(min(r["sharded_s"] for r in rounds)
                                       / min(r["plain_s"] for r in rounds), 3),
            "all_gradebooks_identical": all(r["same_gradebook"] for r in rounds),
            "load_average": os.getloadavg(),
        }
        print(json.dumps(summary, indent=2))
        return 0 if summary["all_gradebooks_identical"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
