"""Where a shard's fixed cost goes: one cold ``nngrade grade --shard K/N`` and its merge, stamped.

Issue 17's bound (4 shards one after another at most 10% over one plain
run) is a bound on what each shard pays beyond its students. This script
grades a class (bench_grade.py's: the sample class without its two endless
loops, copied to ``--students`` ids) as ``--shards`` shards, each a cold
process as bench_shards.py runs them, and prints for one of them
(``--show K``, by default 2: a shard that finds replay trees left by
another) when each step began and ended, on one clock (CLOCK_MONOTONIC)
for the command and its grading processes, from the moment the process
was spawned:

- the command: interpreter, ``nngrade.cli`` and the grading modules
  imported, the plan adopted (run.json under its lock), the hand-ins
  listed and read (its own only), the first and last result, the shard's
  record written, the class table printed, the process gone;
- each grading process: sandbox launched, suites collected, replay trees
  loaded, first submission begun, replay trees saved.

Then ``nngrade merge`` of the whole run, cold, under cProfile (its
costliest calls), and the replay store's load and save of the trees the
run left, timed in this process (``--rounds`` times each).

    python benchmarks/shard_timeline.py [--students 200] [--shards 4] [--show 2] [--jobs 2]
        [--distinct] [--checkout DIR] [--no-bytecode]

As bench_shards.py, every process keeps its bytecode (after the same
untimed warm-up), unless ``--no-bytecode`` (as there). The stamps come from wrapping
functions by name (the command's own modules are not changed); a function
a checkout does not have is not stamped.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_shards  # noqa: E402
from bench_grade import LOOPING, make_class  # noqa: E402

# Runs as the command itself (python -c): wraps the steps, then nngrade's own main().
STAMPED = r'''
import functools, json, os, sys, time
T0, LOG, MAIN = float(os.environ["TL_T0"]), os.environ["TL_LOG"], os.getpid()

def stamp(what, at=None):
    with open(LOG, "a") as fh:
        fh.write(json.dumps({"pid": os.getpid(), "what": what,
                             "t": (at or time.monotonic()) - T0}) + "\n")

stamp("interpreter up")

def wrap(owner, name, label=None, once=False):
    fn = getattr(owner, name, None)
    if fn is None:
        return
    seen = []

    @functools.wraps(fn)
    def stamped(*args, **kwargs):
        if once and seen:
            return fn(*args, **kwargs)
        seen.append(1)
        stamp((label or name) + " >")
        try:
            return fn(*args, **kwargs)
        finally:
            stamp((label or name) + " <")
    setattr(owner, name, stamped)

import nngrade.cli
stamp("nngrade.cli imported")
import nngrade.grade.command as command, nngrade.grade.pipeline as pipeline
stamp("grading modules imported")
import nngrade.hidden.replay_store as store, nngrade.hidden.suite as suite
import nngrade.hidden.grader as grader, nngrade.sandbox.zygote as zygote
for owner, name, label in ((pipeline, "adopt_plan", "plan adopted (run.json, lock)"),
                           (pipeline, "_read", "hand-ins listed and read"),
                           (pipeline, "write_shard_record", "shard record written"),
                           (command, "_class_table", "class table"),
                           (store, "load_replays", "replay trees loaded"),
                           (store, "save_replays", "replay trees saved"),
                           (zygote.Zygote, "launch", "sandbox launched"),
                           (suite, "collect", "suites collected")):
    wrap(owner, name, label)
wrap(grader.SuiteGrader, "grade", "first submission", once=True)
pool = getattr(pipeline, "grade_in_pool", None)
if pool is not None:
    def results(*args, **kwargs):
        first, last = None, None
        for result in pool(*args, **kwargs):
            last = time.monotonic()
            if first is None:
                first = last
                stamp("first result", first)
            yield result
        if last is not None:
            stamp("last result", last)
        stamp("grading processes joined")
    pipeline.grade_in_pool = results
import atexit
atexit.register(lambda: os.getpid() == MAIN and stamp("atexit"))
sys.argv = ["nngrade", *sys.argv[1:]]
nngrade.cli.main()
'''

def _env(**extra: str) -> dict[str, str]:
    """bench_shards.py's environment (bytecode kept; ``--checkout``'s sources first)."""
    return {**bench_shards._env(), **extra}


def _nngrade(args: list[str], **env: str) -> float:
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", "from nngrade.cli import main; main()", *args],
                          env=_env(**env), capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"nngrade {args[0]} failed:\n{done.stderr[-3000:]}")
    return time.perf_counter() - started


def stamped_shard(args: list[str], log: Path) -> list[tuple[float, str, str]]:
    """Run ``nngrade ARGS`` with stamps; (seconds since spawn, who, step), in order."""
    log.unlink(missing_ok=True)
    spawned = time.monotonic()
    done = subprocess.run([sys.executable, "-c", STAMPED, *args],
                          env=_env(TL_T0=repr(spawned), TL_LOG=str(log)),
                          capture_output=True, text=True, check=False)
    gone = time.monotonic() - spawned
    if done.returncode != 0:
        raise SystemExit(f"stamped shard failed:\n{done.stderr[-3000:]}")
    rows = [json.loads(line) for line in log.read_text().splitlines()]
    main = rows[0]["pid"]
    names = {pid: f"grading process {i}" for i, pid in
             enumerate(sorted({r["pid"] for r in rows if r["pid"] != main}, key=lambda p: min(
                 r["t"] for r in rows if r["pid"] == p)), start=1)}
    steps = [(r["t"], "command" if r["pid"] == main else names[r["pid"]], r["what"])
             for r in rows]
    return sorted([*steps, (gone, "command", "process gone (wall)")])


def profiled_merge(out: Path, top: int) -> tuple[float, str]:
    """``nngrade merge OUT`` cold under cProfile: its wall time and costliest calls."""
    code = ("import cProfile, pstats, sys\n"
            "sys.argv = ['nngrade', 'merge', sys.argv[1]]\n"
            "profile = cProfile.Profile(); profile.enable()\n"
            "try:\n    from nngrade.cli import main; main()\n"
            "except SystemExit:\n    pass\n"
            "profile.disable()\n"
            f"pstats.Stats(profile, stream=sys.stderr).sort_stats('cumulative').print_stats({top})")
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", code, str(out)], env=_env(),
                          capture_output=True, text=True, check=False)
    return time.perf_counter() - started, done.stderr


def replay_store_times(out: Path, rounds: int) -> dict[str, object]:
    """Load and save of the replay trees in OUT, in a process of their own (this checkout's
    or --checkout's replay store), best of ``rounds``."""
    code = r'''
import json, pickle, shutil, sys, tempfile, time
from pathlib import Path
from nngrade.hidden import replay_store as store
from nngrade.hidden.replay import Replays
out, rounds = Path(sys.argv[1]), int(sys.argv[2])
files = sorted((out / store.FOLDER).glob("*.replays"))
key = pickle.loads(files[0].read_bytes())["key"]  # our own files, just written
loads, saves = [], []
for _ in range(rounds):
    replays = Replays()
    started = time.perf_counter(); loaded = store.load_replays(out, key, replays)
    loads.append(time.perf_counter() - started)
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter(); store.save_replays(Path(tmp), key, replays, [])
        saves.append(time.perf_counter() - started)
print(json.dumps({"files": len(files), "bytes": sum(f.stat().st_size for f in files),
                  "load_ms_best": round(1000 * min(loads), 1),
                  "save_ms_best": round(1000 * min(saves), 1)}))
'''
    done = subprocess.run([sys.executable, "-c", code, str(out), str(rounds)], env=_env(),
                          capture_output=True, text=True, check=False)
    if done.returncode != 0:
        return {"error": done.stderr[-1000:]}
    return dict(json.loads(done.stdout))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=200)
    parser.add_argument("--shards", type=int, default=4)
    parser.add_argument("--show", type=int, default=2, help="the shard to stamp (1..N)")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--seed", type=int, default=20261204)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--distinct", action="store_true")
    parser.add_argument("--checkout", type=Path, default=None)
    parser.add_argument("--no-bytecode", action="store_true")
    args = parser.parse_args()
    if args.no_bytecode:  # first: checking the checkout must not write its bytecode
        bench_shards.DROPPED.remove("PYTHONDONTWRITEBYTECODE")
        os.environ["PYTHONDONTWRITEBYTECODE"] = "1"
    if args.checkout is not None:
        bench_shards.CHECKOUT.append(args.checkout.resolve())
        bench_shards._check_checkout(bench_shards.CHECKOUT[0])

    with tempfile.TemporaryDirectory(prefix="nngrade-shard-timeline-") as tmp:
        root = Path(tmp)
        subs, out = root / "class", root / "out"
        subs.mkdir()
        make_class(subs, args.students, exclude=LOOPING, distinct=args.distinct)
        bench_shards.warm_up(root / "warm-up", args.jobs, args.seed, args.distinct)
        common = ["-j", str(args.jobs), "--force", "--seed", str(args.seed), "--no-reports"]
        steps: list[tuple[float, str, str]] = []
        for k in range(1, args.shards + 1):
            shard = ["grade", str(subs), "--out", str(out), "--shard", f"{k}/{args.shards}",
                     *common]
            if k == args.show:
                steps = stamped_shard(shard, root / "stamps.jsonl")
            else:
                _nngrade(shard)
        print(f"Shard {args.show}/{args.shards} of {args.students} students, cold, -j "
              f"{args.jobs} (load average {os.getloadavg()[0]:.2f}); seconds since spawn:")
        for at, who, what in steps:
            print(f"  {at:7.3f}  {who:<18} {what}")
        store_figures = replay_store_times(out, args.rounds)
        print("Replay trees the run left:", json.dumps(store_figures))
        wall, profile = profiled_merge(out, args.top)
        print(f"nngrade merge, cold, under cProfile: {wall:.3f} s wall")
        print(profile)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
