"""Run the whole benchmark suite: ``python -m benchmarks`` (``--quick`` for development).

Every measurement runs in a fresh ``spawn`` child process, one at a time, so wall times
do not compete with each other and each peak-memory figure is that of one run. The
results are printed as Markdown and written to ``docs/performance.md``.
"""

from __future__ import annotations

import argparse
import math
import multiprocessing
import statistics
import sys
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as ``python benchmarks/run.py``
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tqdm import tqdm

from benchmarks import parallel, workers
from benchmarks.machine import ROOT, load_average, machine_info
from benchmarks.report import render

YEARS = 10
CITY_SLOW_S = 60.0  # a 900k run slower than this: 3 runs instead of 5


@dataclass(frozen=True)
class Case:
    """A scenario to measure: a label, a scenario name and parameter overrides."""

    key: str
    label: str
    scenario: str
    overrides: dict[str, Any] = field(default_factory=dict)

    def describe(self) -> str:
        extra = ", ".join(f"{k}={v}" for k, v in self.overrides.items())
        return f"`{self.scenario}`" + (f" with {extra}" if extra else "")


def cases() -> dict[str, Case]:
    """The measured scenarios; uses the ``lelystad`` preset when the package ships it."""
    import sim

    years = {"years": YEARS}
    if "lelystad" in sim.list_scenarios():
        lely = Case("lelystad", "Lelystad scale", "lelystad", years)
    else:
        lely = Case(
            "lelystad", "Lelystad scale", "default", {"population": 80_000, "districts": 4, "providers": 5, **years}
        )
    return {
        "default": Case("default", "default (20k)", "default", years),
        "lelystad": lely,
        "city": Case("city", "900k city", "default", {"population": 900_000, "districts": 20, **years}),
        "town300k": Case("town300k", "300k town", "default", {"population": 300_000, "districts": 8, **years}),
    }


class Children:
    """Runs one function per fresh spawn child, in turn, with a progress bar on stderr."""

    def __init__(self, total: int):
        self.ctx = multiprocessing.get_context("spawn")
        self.bar = tqdm(total=total, file=sys.stderr, unit="run", dynamic_ncols=True)

    def call(self, label: str, fn: Callable[..., dict[str, Any]], *args: Any) -> dict[str, Any]:
        self.bar.set_description(label)
        with ProcessPoolExecutor(max_workers=1, mp_context=self.ctx) as ex:
            out = ex.submit(fn, *args).result()
        self.bar.update(1)
        return out

    def add(self, n: int) -> None:
        self.bar.total += n
        self.bar.refresh()

    def close(self) -> None:
        self.bar.close()


def med(rows: list[dict[str, Any]], key: str) -> float:
    """Median of ``key`` over runs."""
    return float(statistics.median(r[key] for r in rows))


def per_run_median(rows: list[dict[str, Any]], f: Callable[[dict[str, Any]], float]) -> float:
    return float(statistics.median(f(r) for r in rows))


def throughput(rows: list[dict[str, Any]]) -> float:
    """Median agent-steps per second of wall time (set-up included)."""
    return per_run_median(rows, lambda r: r["agent_steps"] / r["wall_s"])


def loglog_slope(x: list[float], y: list[float]) -> float:
    """Least-squares slope of log y on log x."""
    lx, ly = [math.log(v) for v in x], [math.log(v) for v in y]
    mx, my = statistics.fmean(lx), statistics.fmean(ly)
    return sum((a - mx) * (b - my) for a, b in zip(lx, ly, strict=True)) / sum((a - mx) ** 2 for a in lx)


def summarise_case(case: Case, rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Medians (and spread) of one case's runs."""
    walls = [r["wall_s"] for r in rows]
    return {
        "case": case,
        "runs": len(rows),
        "rows": rows,
        "population": rows[0].get("population"),
        "districts": rows[0].get("districts"),
        "wall_s": med(rows, "wall_s"),
        "wall_min": min(walls),
        "wall_max": max(walls),
        "network_s": med(rows, "network_s"),
        "agents_s": med(rows, "agents_s"),
        "setup_s": per_run_median(rows, lambda r: r["network_s"] + r["agents_s"]),
        "loop_s": med(rows, "loop_s") if "loop_s" in rows[0] else float("nan"),
        "outputs_s": (
            per_run_median(rows, lambda r: r["wall_s"] - r["network_s"] - r["agents_s"] - r["loop_s"])
            if "loop_s" in rows[0]
            else float("nan")
        ),
        "agent_steps": med(rows, "agent_steps"),
        "weeks": rows[0]["weeks"],
        "throughput": throughput(rows),
        "loop_throughput": per_run_median(rows, lambda r: r["agent_steps"] / r["loop_s"]) if "loop_s" in rows[0] else 0,
        "ns_per_step": per_run_median(rows, lambda r: 1e9 * r["wall_s"] / r["agent_steps"]),
        "loop_ns_per_step": (
            per_run_median(rows, lambda r: 1e9 * r["loop_s"] / r["agent_steps"]) if "loop_s" in rows[0] else 0
        ),
        "cpu_share": per_run_median(rows, lambda r: r.get("cpu_s", float("nan")) / r["wall_s"]),
        "peak_rss_mb": med(rows, "peak_rss_mb"),
        "peak_rss_max": max(r["peak_rss_mb"] for r in rows),
        "base_rss_mb": med(rows, "base_rss_mb"),
        "summary": {k: statistics.median(r["summary"][k] for r in rows) for k in rows[0]["summary"]},
    }


def main(argv: list[str] | None = None) -> int:
    """Run the suite, print the report and write it (see ``--help``)."""
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="Benchmark care-sim: run times, profile, scaling, classic-Mesa reference, numpy kernel.",
    )
    parser.add_argument("--quick", action="store_true", help="1 run each, smaller scaling table (development)")
    parser.add_argument(
        "--output",
        type=Path,
        default=None,
        help="Markdown file to rewrite (default docs/performance.md; with --quick nothing is written unless given)",
    )
    args = parser.parse_args(argv)
    output = args.output if args.output is not None else (None if args.quick else ROOT / "docs" / "performance.md")
    command = " ".join(["python -m benchmarks", *(argv if argv is not None else sys.argv[1:])])

    t_start = time.perf_counter()
    runs = 1 if args.quick else 5
    scaling_runs = 1 if args.quick else 3
    classic_runs = 1 if args.quick else 5
    inline_runs = 1 if args.quick else 3
    kernel_repeats = 3 if args.quick else 5
    cs = cases()
    info = machine_info()
    # children: default, lelystad, first city run, kernel, Mesa floor, 2 profiles, cProfile, set-up split,
    # classic x2
    planned = 2 * runs + 1 + 1 + 1 + 2 + 1 + 1 + classic_runs + inline_runs + (0 if args.quick else scaling_runs)
    kids = Children(planned)
    res: dict[str, Any] = {"info": info, "command": command, "quick": args.quick}

    def columnar(case: Case, n: int) -> list[dict[str, Any]]:
        return [
            kids.call(f"{case.label} run {i + 1}/{n}", workers.columnar_run, case.scenario, case.overrides, i)
            for i in range(n)
        ]

    measured = {}
    for key in ("default", "lelystad"):
        measured[key] = summarise_case(cs[key], columnar(cs[key], runs))

    # the 900k city: time one run first, then decide how many
    city = cs["city"]
    first = kids.call(f"{city.label} run 1", workers.columnar_run, city.scenario, city.overrides, 0)
    city_runs = 1 if args.quick else (3 if first["wall_s"] > CITY_SLOW_S else 5)
    kids.add(city_runs - 1)
    rows = [first] + [
        kids.call(f"{city.label} run {i + 1}/{city_runs}", workers.columnar_run, city.scenario, city.overrides, i)
        for i in range(1, city_runs)
    ]
    measured["city"] = summarise_case(city, rows)
    res["city_first_s"] = first["wall_s"]

    if not args.quick:
        measured["town300k"] = summarise_case(cs["town300k"], columnar(cs["town300k"], scaling_runs))
    res["measured"] = measured

    # bare numpy kernel over as many agents as the Lelystad run has alive per week
    lely = measured["lelystad"]
    n_agents = round(lely["agent_steps"] / lely["weeks"])
    res["kernel"] = kids.call("numpy kernel", workers.numpy_kernel, n_agents, lely["weeks"], kernel_repeats)
    # and what Mesa's own parts cost for the same run's agents and weeks
    made, gone = (round(med(lely["rows"], k)) for k in ("agents_created", "agents_removed"))
    res["mesa_floor"] = kids.call("Mesa floor", workers.mesa_floor, made, gone, lely["weeks"], kernel_repeats)

    # profile of the weekly processes at Lelystad scale
    lc = cs["lelystad"]
    res["profile"] = kids.call("profile", workers.process_profile, lc.scenario, lc.overrides, 0, False)
    res["profile_check"] = kids.call(
        "profile (invariants on)", workers.process_profile, lc.scenario, lc.overrides, 0, True
    )
    res["cprofile"] = kids.call("cProfile", workers.cprofile_top, lc.scenario, lc.overrides, 0, 15)
    res["setup_city"] = kids.call("900k set-up split", workers.setup_breakdown, city.scenario, city.overrides, 0)

    # the classic-Mesa reference on `default`
    dc = cs["default"]
    classic = {}
    for inline, n in ((False, classic_runs), (True, inline_runs)):
        name = "classic (inline rule)" if inline else "classic"
        rows = [
            kids.call(f"{name} {i + 1}/{n}", workers.classic_run, dc.scenario, dc.overrides, i, inline)
            for i in range(n)
        ]
        classic["inline" if inline else "library"] = summarise_case(dc, rows)
    res["classic"] = classic
    kids.close()
    res["parallel"] = parallel.measure(args.quick)  # the engine's 1 vs 2 workers (benchmarks/parallel.py)
    res["elapsed_s"] = time.perf_counter() - t_start
    info["load_end"] = load_average()

    res["scaling"] = scaling(measured)
    res["targets"] = targets(res)
    text = render(res)
    print(text)
    if output is not None:
        output.parent.mkdir(parents=True, exist_ok=True)
        tmp = output.with_suffix(output.suffix + ".tmp")
        tmp.write_text(text)
        tmp.replace(output)
        print(f"wrote {output}", file=sys.stderr)
    return 0


def scaling(measured: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Points by population and fitted log-log exponents."""
    points = sorted(
        (measured[k] for k in ("default", "lelystad", "town300k", "city") if k in measured),
        key=lambda m: m["population"],
    )
    pops = [p["population"] for p in points]
    fit = {
        "wall": loglog_slope(pops, [p["wall_s"] for p in points]),
        "loop": loglog_slope(pops, [p["loop_s"] for p in points]),
        "setup": loglog_slope(pops, [p["setup_s"] for p in points]),
        "agent_steps": loglog_slope(pops, [p["agent_steps"] for p in points]),
    }
    return {"points": points, "fit": fit}


def targets(res: dict[str, Any]) -> list[dict[str, Any]]:
    """The performance issue's targets, each with its measured value and PASS/FAIL."""
    m = res["measured"]
    lely, city, default = m["lelystad"], m["city"], m["default"]
    classic = res["classic"]["library"]
    ratio = lely["throughput"] / classic["throughput"]
    k = res["kernel"]
    kernel_ns = 1e9 * statistics.median(k["times_s"]) / (k["n_agents"] * k["weeks"])
    res["kernel_ns"] = kernel_ns
    rows = [
        ("Lelystad throughput / classic throughput", ">= 30x", ratio, f"{ratio:.1f}x", ratio >= 30),
        (
            "time per agent-step / bare numpy kernel (Lelystad)",
            "<= 4x",
            lely["ns_per_step"] / kernel_ns,
            f"{lely['ns_per_step'] / kernel_ns:.1f}x",
            lely["ns_per_step"] / kernel_ns <= 4,
        ),
        (
            f"scaling exponent of wall time, {res['scaling']['points'][0]['population'] // 1000}k"
            f" to {res['scaling']['points'][-1]['population'] // 1000}k",
            "<= 1.1",
            res["scaling"]["fit"]["wall"],
            f"{res['scaling']['fit']['wall']:.2f}",
            res["scaling"]["fit"]["wall"] <= 1.1,
        ),
        (
            "peak memory at 900k (largest run)",
            "<= 4 GB",
            city["peak_rss_max"],
            f"{city['peak_rss_max'] / 1024:.2f} GB",
            city["peak_rss_max"] <= 4096,
        ),
        ("default, 10 years (set-up included)", "< 0.5 s", default["wall_s"], f"{default['wall_s']:.2f} s", None),
        ("Lelystad scale, 10 years", "< 2 s", lely["wall_s"], f"{lely['wall_s']:.2f} s", None),
        ("900k city, 10 years", "< 60 s", city["wall_s"], f"{city['wall_s']:.1f} s", None),
    ]
    limits = {"< 0.5 s": 0.5, "< 2 s": 2.0, "< 60 s": 60.0}
    out = []
    for name, goal, value, shown, ok in rows:
        if ok is None:
            ok = value < limits[goal]
        out.append({"name": name, "goal": goal, "value": value, "shown": shown, "pass": bool(ok)})
    return out


if __name__ == "__main__":
    raise SystemExit(main())
