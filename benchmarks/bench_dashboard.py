"""Benchmark: the class dashboard (index.html) for 100, 300 and 1,000 students.

What a TA's class of 1,000 costs: the time to render index.html from the
results documents, as a ratio to a reference workload in the same run
(parsing the same results.json texts with json.loads, which any tool that
reads the grades pays), the page's size, and, with Chromium, how long the
page takes to load and to sort the grid by total. The classes are
generated like tests/browser/test_report_figures.py's (random wrong names,
some late, stub hand-ins, ungradeable ones) from tests/test_report_samples.

    python benchmarks/bench_dashboard.py [--sizes 100 300 1000] [--rounds 3] [--no-browser]
"""

from __future__ import annotations

import argparse
import functools
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "tests" / "browser"))

from test_report_figures import generated_class  # noqa: E402

from nngrade.report import write_class_summary  # noqa: E402


def _parse_all(texts: list[str]) -> list[dict]:
    return [json.loads(t) for t in texts]


def _best(fn, rounds: int) -> float:
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return min(times)


def _browser(path: Path) -> tuple[float, float] | None:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return None
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium",
                                    args=["--headless", "--no-sandbox", "--disable-gpu"])
        page = browser.new_page(viewport={"width": 1200, "height": 900})
        started = time.perf_counter()
        page.goto(path.as_uri(), wait_until="load")
        loaded = time.perf_counter() - started
        sorted_in = page.evaluate(  # in the page: the sort and the layout it causes
            "() => { const t = performance.now();"
            " document.querySelector('#grid th[data-key=\"total\"]').click();"
            " document.body.offsetHeight; return (performance.now() - t) / 1000; }")
        browser.close()
    return loaded, sorted_in


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 300, 1000])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--no-browser", action="store_true")
    args = parser.parse_args()
    print("| students | render index.html | json.loads of the results | ratio | size | "
          "Chromium load | sort by total |")
    print("|---:|---:|---:|---:|---:|---:|---:|")
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.sizes:
            results = generated_class(n)
            texts = [json.dumps(r) for r in results]
            out = Path(tmp) / str(n)
            render = _best(functools.partial(write_class_summary, results, out, lang="en"),
                           args.rounds)
            parse = _best(functools.partial(_parse_all, texts), args.rounds)
            size = (out / "index.html").stat().st_size
            shown = None if args.no_browser else _browser(out / "index.html")
            load, sort = (f"{1000 * shown[0]:.0f} ms", f"{1000 * shown[1]:.0f} ms") \
                if shown else ("-", "-")
            print(f"| {n} | {1000 * render:.0f} ms | {1000 * parse:.0f} ms | "
                  f"{render / parse:.1f} | {size / 1e6:.2f} MB | {load} | {sort} |")
    print(f"\n(times: best of {args.rounds}; the ratio is what compares between runs)")


if __name__ == "__main__":
    main()
