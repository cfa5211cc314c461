"""Benchmark: ``nngrade similarity`` on a class of 300 hand-ins.

The class is the generated one of the tests (``tests/test_similarity_class.py``:
independent correct and buggy solutions in each student's style, planted
copies, stub-only hand-ins; five modules each), written to disk as students
upload it (folders, zips, ``exercises/`` inside, CRLF, Latin-1).

Three workloads run in the same process, interleaved, ``--repeats`` times:

- **floor**: read every hand-in with the grader's intake and run Python's
  own ``tokenize`` over every file. Any token-based comparison has to do at
  least this much; the report's cost is given as a ratio to it (CPU time
  over CPU time: both run in one thread, and on a shared machine CPU time
  moves much less with the load than wall time does; the wall-time ratio
  is printed too).
- **similarity**: what ``nngrade similarity DIR --out OUT`` does: read the
  hand-ins, find dead code, fingerprint, compare every pair of every
  module, work out the shown pairs' matching regions, write the HTML and
  the CSV. Phases are timed separately.
- **naive** (estimated): what a TA might write instead: ``difflib``'s
  ``SequenceMatcher(a, b).ratio()`` on the raw text of every pair of every
  module, timed on a random sample of pairs and scaled up to all pairs.

    python benchmarks/bench_similarity.py [--students 300] [--repeats 3] [--sample 3000]
    python benchmarks/bench_similarity.py --quick     # a smoke run: 80 students, no claims

Prints one JSON document.
"""

from __future__ import annotations

import argparse
import difflib
import io
import json
import random
import resource
import statistics
import sys
import tempfile
import time
import tokenize
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from test_similarity_class import MODULES, make_class, write_class  # noqa: E402

from nngrade.similarity.analysis import analyse  # noqa: E402
from nngrade.similarity.compare import Settings  # noqa: E402
from nngrade.similarity.given import load_given  # noqa: E402
from nngrade.similarity.intake import read_hand_ins  # noqa: E402
from nngrade.similarity.report import write_report  # noqa: E402


def floor(folder: Path) -> dict[str, float]:
    started = time.perf_counter()
    cpu = time.process_time()
    hand_ins = read_hand_ins(folder)
    tokens = 0
    for hand_in in hand_ins:
        for text in hand_in.files.values():
            try:
                tokens += sum(1 for _ in tokenize.generate_tokens(io.StringIO(text).readline))
            except (tokenize.TokenError, SyntaxError):
                pass
    return {"wall": time.perf_counter() - started, "cpu": time.process_time() - cpu,
            "tokens": tokens}


def similarity(folder: Path, out: Path) -> dict[str, float]:
    cpu = time.process_time()
    t0 = time.perf_counter()
    hand_ins = read_hand_ins(folder)
    t1 = time.perf_counter()
    settings = Settings()
    given = load_given(ROOT, [], settings.k)
    analysis = analyse(hand_ins, given, settings, list(MODULES))
    t2 = time.perf_counter()
    html, csv = write_report(analysis, out)
    t3 = time.perf_counter()
    flagged = sum(len(m.result.flagged) for m in analysis.modules)
    return {"wall": t3 - t0, "cpu": time.process_time() - cpu, "read": t1 - t0,
            "compare": t2 - t1, "report": t3 - t2, "flagged": flagged,
            "pairs_sharing": sum(len(m.result.pairs) for m in analysis.modules),
            "html_mb": html.stat().st_size / 1e6, "csv_mb": csv.stat().st_size / 1e6}


def naive(folder: Path, sample: int, seed: int) -> dict[str, float]:
    hand_ins = read_hand_ins(folder)
    pairs = []
    for module in MODULES:
        texts = [h.files[module] for h in hand_ins if module in h.files]
        pairs += [(texts[i], texts[j]) for i in range(len(texts))
                  for j in range(i + 1, len(texts))]
    chosen = random.Random(seed).sample(pairs, min(sample, len(pairs)))
    started = time.perf_counter()
    for a, b in chosen:
        difflib.SequenceMatcher(None, a, b).ratio()
    per_pair = (time.perf_counter() - started) / len(chosen)
    return {"pairs": len(pairs), "sampled": len(chosen), "per_pair_ms": 1000 * per_pair,
            "estimated_wall": per_pair * len(pairs)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=300)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--sample", type=int, default=3000, help="pairs timed for the naive "
                        "estimate")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--quick", action="store_true", help="80 students, 1 repeat, no claims")
    args = parser.parse_args()
    if args.quick:
        args.students, args.repeats, args.sample = 80, 1, 50
    made = time.perf_counter()
    generated = make_class(args.students, seed=args.seed)
    with tempfile.TemporaryDirectory() as tmp:
        folder = write_class(generated, Path(tmp) / "hand-ins")
        made = time.perf_counter() - made
        floors, runs = [], []
        for repeat in range(args.repeats):  # interleaved, alternating which goes first
            order = (floor, similarity) if repeat % 2 == 0 else (similarity, floor)
            for work in order:
                if work is floor:
                    floors.append(floor(folder))
                else:
                    runs.append(similarity(folder, Path(tmp) / f"out{repeat}"))
        estimate = naive(folder, args.sample, args.seed)
    floor_wall = statistics.median(f["wall"] for f in floors)
    run_wall = statistics.median(r["wall"] for r in runs)
    figures = {
        "students": args.students, "modules": len(MODULES), "repeats": args.repeats,
        "class_generated_in_s": round(made, 1),
        "floor_wall_s": round(floor_wall, 3),
        "floor_cpu_s": round(statistics.median(f["cpu"] for f in floors), 3),
        "tokens": floors[0]["tokens"],
        "similarity_wall_s": round(run_wall, 3),
        "similarity_cpu_s": round(statistics.median(r["cpu"] for r in runs), 3),
        "phases_wall_s": {key: round(statistics.median(r[key] for r in runs), 3)
                          for key in ("read", "compare", "report")},
        "similarity_over_floor_cpu": round(
            statistics.median(r["cpu"] for r in runs)
            / statistics.median(f["cpu"] for f in floors), 2),
        "similarity_over_floor_wall": round(run_wall / floor_wall, 2),
        "similarity_over_floor_per_repeat": [round(r["wall"] / f["wall"], 2)
                                             for r, f in zip(runs, floors, strict=True)],
        "flagged_pairs": runs[0]["flagged"], "pairs_sharing_code": runs[0]["pairs_sharing"],
        "html_mb": round(runs[0]["html_mb"], 2), "csv_mb": round(runs[0]["csv_mb"], 2),
        "naive_difflib": {k: round(v, 3) if isinstance(v, float) else v
                          for k, v in estimate.items()},
        "naive_over_similarity": round(estimate["estimated_wall"] / run_wall, 1),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }
    print(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
