"""Parallel efficiency of the experiment engine: the same design on 1 and on 2 local workers.

    python -m benchmarks.parallel            # measure, print, and update its section of docs/performance.md
    python -m benchmarks.parallel --quick    # fewer, shorter runs; nothing written

A design of ``RUNS`` 10-year runs of the default town (one funding model, distinct seeds)
runs through :func:`sim.experiments.run_design` with ``workers=1`` (this process) and
``workers=2`` (the forkserver pool), each ``REPEATS`` times; wall time includes starting
the pool. Efficiency = T1 / (2 * T2), the goal at least 0.90. The machine is shared, so
the load average is recorded with the numbers. ``python -m benchmarks`` runs this too and
puts the section into its report.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as ``python benchmarks/parallel.py``
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

RUNS = 8
YEARS = 10
REPEATS = 3
GOAL = 0.90
START, END = "<!-- parallel:start -->", "<!-- parallel:end -->"


def _time(workers: int, runs: int, years: int) -> tuple[float, float]:
    """Wall time of the design, and the sum of the runs' own wall times (in their workers)."""
    from sim.experiments import Design, run_design

    design = Design("default", points=[{"years": years}], replicates=runs, label="bench")
    busy: list[float] = []
    t0 = time.perf_counter()
    run_design(design, workers=workers, progress=False, on_result=lambda spec, r: busy.append(r["seconds"]))
    return time.perf_counter() - t0, sum(busy)


def measure(quick: bool = False) -> dict[str, Any]:
    """Wall times with 1 and 2 workers (medians over repeats) and the efficiency."""
    runs, years, repeats = (4, 2, 1) if quick else (RUNS, YEARS, REPEATS)
    load_start = os.getloadavg()
    t1, t2, busy2 = [], [], []
    for _ in range(repeats):  # interleaved, so that a change of load hits both
        t1.append(_time(1, runs, years)[0])
        wall, busy = _time(2, runs, years)
        t2.append(wall)
        busy2.append(busy / (2 * wall))
    m1, m2 = statistics.median(t1), statistics.median(t2)
    return {
        "runs": runs,
        "years": years,
        "repeats": repeats,
        "t1": t1,
        "t2": t2,
        "t1_s": m1,
        "t2_s": m2,
        "efficiency": m1 / (2 * m2),
        # the share of the 2 workers' time spent inside runs: the engine's own overhead
        # (pool start, hand-out, idle tail), whatever else loads the machine
        "utilisation": statistics.median(busy2),
        "per_run_s": m1 / runs,
        "load_start": load_start,
        "load_end": os.getloadavg(),
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "quick": quick,
    }


def section(res: dict[str, Any]) -> str:
    """The Markdown section of docs/performance.md."""

    def load(x) -> str:
        return " / ".join(f"{v:.2f}" for v in x)

    verdict = "PASS" if res["efficiency"] >= GOAL else "**FAIL**"
    rows = [
        ("1 worker (this process)", f"{res['t1_s']:.2f} s", ", ".join(f"{t:.2f}" for t in res["t1"])),
        ("2 workers (forkserver pool)", f"{res['t2_s']:.2f} s", ", ".join(f"{t:.2f}" for t in res["t2"])),
    ]
    table = "| executor | median wall time | each repeat (s) |\n| --- | ---: | --- |\n"
    table += "\n".join(f"| {a} | {b} | {c} |" for a, b, c in rows)
    return (
        f"{START}\n## Parallel efficiency of the experiment engine\n\n"
        f"`python -m benchmarks.parallel` ({res['date']}{', quick' if res['quick'] else ''}): a design of"
        f" {res['runs']} runs of {res['years']} years of the default town through `sim.experiments.run_design`,"
        f" with 1 worker and with 2 local workers, {res['repeats']} repeat(s) each, interleaved; wall time"
        " includes starting the pool and collecting the summaries.\n\n"
        f"{table}\n\n"
        f"Efficiency T1 / (2 T2) = **{res['efficiency']:.2f}** (goal >= {GOAL:.2f}: {verdict}); one run takes"
        f" {res['per_run_s']:.2f} s. Load average (1/5/15 min) {load(res['load_start'])} at the start,"
        f" {load(res['load_end'])} at the end: with other work on the 2 cores the 2-worker figure is lower"
        " than on an idle machine. Independent of that load, the 2 workers spent"
        f" {res['utilisation']:.0%} of the parallel wall time inside runs (the rest is the engine's own"
        " cost: starting the pool, handing out runs, the idle tail of the last run).\n"
        f"{END}"
    )


def update_report(text: str, path: Path) -> None:
    """Replace (or append) the section in ``path``, leaving the rest of the report as it is."""
    doc = path.read_text(encoding="utf-8") if path.exists() else ""
    if START in doc and END in doc:
        head, rest = doc.split(START, 1)
        doc = head + text + rest.split(END, 1)[1]
    else:
        doc = doc.rstrip("\n") + "\n\n" + text + "\n"
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(doc, encoding="utf-8")
    tmp.replace(path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.parallel", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="4 runs of 2 years, once; nothing written")
    parser.add_argument("--output", type=Path, default=None, help="report to update (default docs/performance.md)")
    args = parser.parse_args(argv)
    res = measure(args.quick)
    text = section(res)
    print(text)
    output = args.output or (None if args.quick else Path(__file__).resolve().parents[1] / "docs" / "performance.md")
    if output is not None:
        update_report(text, output)
        print(f"updated {output}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
