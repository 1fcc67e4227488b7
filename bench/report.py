"""One markdown table of every measured round, with ratios to the floor's same round."""

from __future__ import annotations

from bench.runners import Run

FLOORS = ("floor", "polite floor")  # fetch and parse only: nothing to score, nothing stored


def table(results: list[Run], truth: dict[str, str], pages: int, server: str) -> str:
    floor = {r.round: r for r in results if r.tool == "floor"}
    storage_before: dict[str, int] = {}
    real = {p for p, kind in truth.items() if kind == "real"}
    noise = {p for p, kind in truth.items() if kind == "noise"}
    same = {p for p, kind in truth.items() if kind == "same"}
    rows = [
        f"N = {pages} pages ({pages // 10} outlets x 10 pages), served by {server}; round 2 after mutation: "
        f"{len(real)} real changes, {len(noise)} noise-only, {len(same)} untouched; round 3: nothing changed.",
        "",
        "| tool | round | wall s | x floor | CPU s | x floor | peak RSS MB | page GETs | 304s | recall "
        "| false alerts on noise | alerts on untouched | storage B/page/check |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for run in results:
        base = floor.get(run.round)
        growth = run.storage - storage_before.get(run.tool, 0)
        storage_before[run.tool] = run.storage
        scored = run.round == 2 and run.tool not in FLOORS
        rows.append(
            "| "
            + " | ".join(
                [
                    run.tool,
                    str(run.round),
                    f"{run.wall:.1f}",
                    f"{run.wall / base.wall:.1f}" if base else "",
                    f"{run.cpu:.1f}",
                    f"{run.cpu / base.cpu:.1f}" if base else "",
                    f"{run.rss_mb:.0f}",
                    str(run.requests.get("pages", "")),
                    str(run.requests.get("304", "")),
                    f"{len(run.alerts & real) / len(real):.0%}" if scored and real else "",
                    f"{len(run.alerts & noise)} ({len(run.alerts & noise) / len(noise):.0%})"
                    if scored and noise
                    else "",
                    str(len(run.alerts & same)) if scored else "",
                    f"{growth / pages:,.0f}" if run.tool not in FLOORS else "",
                ]
            )
            + " |"
        )
    return "\n".join(rows) + "\n"
