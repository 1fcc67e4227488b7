"""``make bench`` / ``python -m bench``: press-monitor beside the floor and urlwatch, in one run.

    python -m bench [--pages 1000] [--tools floor,polite-floor,press-monitor,urlwatch]
    BENCH_PAGES=10000 make bench

Generates the local internet (bench/sitegen.py), serves it with nginx (bench/server.py), runs round 1
(first check of everything) for every tool, mutates ~5 % of pages for real and ~30 % with noise, runs
round 2, then a third, unchanged round for press-monitor (the storage cost of a page that did not
change). Prints one markdown table with ratios to the floor and writes it, with the raw figures, to
bench/out/pages-N/results.{md,json}. Not part of ``make test``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import time
from collections.abc import Callable
from pathlib import Path

from bench import runners
from bench.report import table
from bench.server import Server
from bench.sitegen import generate, mutate

OUT = Path(__file__).resolve().parent / "out"
TOOLS = ("floor", "polite-floor", "press-monitor", "urlwatch")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=int(os.environ.get("BENCH_PAGES", "1000")))
    parser.add_argument("--tools", default=os.environ.get("BENCH_TOOLS", ",".join(TOOLS)))
    parser.add_argument("--pm-fetch", default=runners.PM_FETCH, help="press-monitor's fetch: section (YAML flow map)")
    args = parser.parse_args()
    tools = [t.strip() for t in args.tools.split(",") if t.strip()]
    # BENCH_LABEL keeps runs apart (e.g. "before" for a baseline of an older checkout, see BENCH_PM_SRC).
    label = os.environ.get("BENCH_LABEL", "")
    out = OUT / (f"pages-{args.pages}" + (f"-{label}" if label else ""))
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    started = time.perf_counter()
    sites = generate(out, args.pages)
    print(f"generated {args.pages} pages on {len(sites)} outlets in {time.perf_counter() - started:.1f} s")
    server = Server(out, sites)
    server.start()
    print(f"serving with {server.kind} on 127.0.0.1:{server.base}-{server.base + len(sites) - 1}")
    rounds: list[Callable[[int], runners.Run]] = []
    if "floor" in tools:
        rounds.append(lambda r: runners.floor_round(server, sites, out, r))
    if "polite-floor" in tools:
        rounds.append(lambda r: runners.polite_floor_round(server, sites, out, r, args.pm_fetch))
    if "press-monitor" in tools:
        rounds.append(lambda r: runners.pm_round(server, sites, out, r, args.pm_fetch))
    if "urlwatch" in tools:
        rounds.append(lambda r: runners.urlwatch_round(server, sites, out, r, "html2text"))
        rounds.append(lambda r: runners.urlwatch_round(server, sites, out, r, "keywords"))
    results: list[runners.Run] = []
    truth: dict[str, str] = {}
    try:
        for rnd in (1, 2):
            if rnd == 2:
                truth = mutate(out, sites)
            for run in rounds:
                results.append(run(rnd))
                print(f"  round {rnd}: {results[-1].tool}: {results[-1].wall:.1f} s wall", flush=True)
        if "press-monitor" in tools:
            results.append(runners.pm_round(server, sites, out, 3, args.pm_fetch))
    finally:
        server.stop()
    text = table(results, truth, args.pages, server.kind)
    print(text)
    (out / "results.md").write_text(text, encoding="utf-8")
    raw = [{**r.__dict__, "alerts": sorted(r.alerts)} for r in results]
    (out / "results.json").write_text(json.dumps(raw, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
