"""The analysis subcommands: ``analyze`` (Sobol' indices of a sweep), ``discover`` (PRIM
scenario discovery) and ``optimize`` (contract design on a Pareto front).

Each runs its parameter sets through the experiment engine (:mod:`sim.experiments`), so the
seeds, executors (``--workers``, ``--scheduler``) and results folders are those of every other
multi-run command.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .cli import (
    PROG,
    Command,
    OutputError,
    UsageError,
    fmt,
    fraction,
    names,
    overrides,
    positive_int,
    register,
    table,
    wrap,
    years_text,
)
from .commands import MULTI, _csv, _execute, _folder_label, _png, _resume_conflicts, _wrote
from .metrics import SUMMARY_KEYS
from .params import PARAM_BY_NAME, ScenarioError, load_scenario
from .run import BASE_SEED


def _check_metrics(metrics: list[str]) -> list[str]:
    import difflib

    for m in metrics:
        if m not in SUMMARY_KEYS:
            hint = difflib.get_close_matches(m, list(SUMMARY_KEYS), n=1)
            raise UsageError(f"unknown metric {m!r}" + (f"; did you mean {hint[0]}?" if hint else ""))
    return metrics


def _json(obj: Any) -> Callable[[Path], object]:
    import json

    from .io import _jsonable

    return lambda tmp: tmp.write_text(json.dumps(obj, indent=2, default=_jsonable) + "\n", encoding="utf-8")


# --- analyze -------------------------------------------------------------------------------------

_ANALYZE_DEFAULT = ("unmet_need_share", "underserved_share", "escalations_per_1000_client_years", "spend_eur")


def _analyze_setup(p: argparse.ArgumentParser) -> None:
    p.add_argument("folder", type=Path, metavar="DIR", help="the results folder of a Sobol' sweep")
    p.add_argument(
        "--metrics",
        type=names,
        default=None,
        metavar="a,b",
        help="summary metrics to analyse (default: " + ",".join(_ANALYZE_DEFAULT) + ")",
    )
    p.add_argument("--top", type=positive_int, default=10, metavar="N", help="parameters shown per metric (default 10)")


def _cmd_analyze(args: argparse.Namespace) -> int:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from .experiments import load_results, read_manifest
    from .experiments.results import write_outputs
    from .experiments.sensitivity import plot_sobol, sobol_indices

    metrics = _check_metrics(list(args.metrics or _ANALYZE_DEFAULT))
    manifest = read_manifest(args.folder)
    salib = manifest.get("design", {}).get("meta", {}).get("salib")
    if not salib or salib.get("method") != "sobol":
        raise UsageError(f'{args.folder} is not a Sobol\' sweep: make one with a sweep spec with design = "sobol"')
    df = load_results(args.folder)
    si = sobol_indices(df, salib, metrics)
    crossed = list((salib.get("crossed") or {}).keys())
    groups = si.groupby(crossed, sort=False) if crossed else [((), si)]
    n = salib["N"]
    print(
        f"Sobol' indices of {args.folder}: {salib['problem']['num_vars']} parameters, {n} base samples, "
        f"{manifest['design']['replicates']} replicate(s) per point (values averaged over them); "
        "95% bootstrap confidence (+-)\n"
    )
    panels = []
    for key, block in groups:
        where = dict(zip(crossed, key if isinstance(key, tuple) else (key,), strict=True))
        for m in metrics:
            d = block[block.metric == m].sort_values("ST", ascending=False).head(args.top)
            label = m + (" | " + ", ".join(f"{k}={v}" for k, v in where.items()) if where else "")
            rows = [
                (r.parameter, f"{r.ST:.3f} +- {r.ST_conf:.3f}", f"{r.S1:.3f} +- {r.S1_conf:.3f}")
                for r in d.itertuples()
            ]
            print(label)
            print(table(("parameter", "total (ST)", "first order (S1)"), rows, (False, True, True)))
            print()
            panels.append((m, where))
    ncols = min(2, len(panels))
    nrows = -(-len(panels) // ncols)
    k = min(args.top, salib["problem"]["num_vars"])
    fig, axes = plt.subplots(nrows, ncols, figsize=(8.5 * ncols, (0.45 * k + 1.8) * nrows), squeeze=False)
    for ax, (m, where) in zip(axes.flat, panels, strict=False):
        plot_sobol(si, m, ax, where=where, top=args.top)
    for ax in list(axes.flat)[len(panels) :]:
        ax.set_visible(False)
    fig.suptitle(f"What drives the outcomes: Sobol' indices ({n} base samples)", fontsize=13)
    fig.tight_layout()
    try:
        written = write_outputs(args.folder, {"sobol.csv": _csv(si), "sobol.png": _png(fig)})
    except OSError as exc:
        raise OutputError(f"could not write into {args.folder}: {exc.strerror or exc}") from None
    _wrote(args.folder, written)
    return 0


register(
    Command(
        "analyze",
        help="Sobol' sensitivity indices of a Sobol' sweep, as a table and a figure",
        description=wrap(
            "Compute Sobol' first-order (S1) and total (ST) indices, with 95% bootstrap confidence intervals "
            "(SALib), of each summary metric over the parameters a Sobol' sweep varied (a spec with design = "
            '"sobol"). Each parameter set\'s value is the mean over its replicates, which ran on common seeds. '
            "Where the sweep crossed switches or choices (e.g. funding) with the sample, indices are computed "
            "within each of them. Prints the largest indices per metric and writes sobol.csv and sobol.png "
            "into the folder."
        ),
        examples=[
            f"{PROG} analyze results/sweep-20261201-101500",
            f"{PROG} analyze DIR --metrics unmet_need_share,spend_eur --top 5",
        ],
        run=_cmd_analyze,
        setup=_analyze_setup,
    )
)


# --- discover ------------------------------------------------------------------------------------


def _discover_setup(p: argparse.ArgumentParser) -> None:
    p.add_argument("--funding", default=None, metavar="MODEL", help="the funding model of every run (default lump_sum)")
    p.add_argument(
        "--metric", default=None, metavar="KEY", help="summary metric of interest (default underserved_share)"
    )
    side = p.add_mutually_exclusive_group()
    side.add_argument(
        "--above", type=float, default=None, metavar="X", help="cases of interest: metric > X (default 0.3)"
    )
    side.add_argument("--below", type=float, default=None, metavar="X", help="cases of interest: metric < X")
    p.add_argument(
        "--params",
        type=names,
        default=None,
        metavar="a,b",
        help="parameters to vary over their analysis ranges (default: every uncertainty marked 'assumption')",
    )
    p.add_argument("--samples", type=positive_int, default=None, metavar="N", help="Latin hypercube size (default 200)")
    p.add_argument(
        "--min-density",
        "--min_density",
        dest="min_density",
        type=fraction,
        default=0.8,
        metavar="F",
        help="the chosen box is the widest with at least this density (default 0.8)",
    )


def _cmd_discover(args: argparse.Namespace) -> int:
    import matplotlib

    matplotlib.use("Agg")

    from .experiments import results_design
    from .experiments.discovery import discover, discovery_design, plot_box, plot_tradeoff
    from .experiments.sensitivity import analysed_params

    defaults = {"funding": "lump_sum", "metric": "underserved_share", "params": None, "samples": 200}
    defaults.update(replicates=1, seed=BASE_SEED, scenario="default")
    given = {k: getattr(args, k) for k in ("above", "below")}
    _resume_conflicts(args, {k: v for k, v in defaults.items() if k not in ("metric",)})
    metric = _check_metrics([args.metric or defaults["metric"]])[0]
    above = args.below is None
    threshold = given["below"] if not above else (given["above"] if given["above"] is not None else 0.3)
    if args.resume is not None:
        _folder_label(args.resume, "discover")
        design = results_design(args.resume)
        varied = design.meta["discover"]["params"]
    else:
        varied = list(args.params) if args.params else [p.name for p in analysed_params(source="assumption")]
        fixed = {**overrides(args), "funding": args.funding}
        clash = sorted(set(varied) & set(fixed))
        if clash:
            raise UsageError(f"{clash[0]} is both varied (--params) and fixed (--{clash[0].replace('_', '-')})")
        sc = load_scenario(args.scenario)
        design = discovery_design(
            sc, varied, args.samples, replicates=args.replicates, seed=args.seed, fixed=fixed, label="discover"
        )
        design.meta["discover"] = {"params": varied}
    box: dict[str, Any] = {}

    def outputs(df, folder: Path) -> dict[str, Callable[[Path], object]]:
        try:
            d = discover(df, varied, metric, threshold, above=above, min_density=args.min_density)
        except ValueError as exc:
            raise OutputError(f"{exc}; the runs are kept in {folder}") from None
        box["d"] = d
        summary = {"rule": d.rule, "chosen_box": d.chosen, **d.stats(), "lines": d.summary_lines()}
        summary.update(limits=d.limits().to_dict("records"), min_density=args.min_density, params=varied)
        return {
            "prim_trajectory.csv": _csv(d.trajectory),
            "prim_box.csv": _csv(d.limits()),
            "prim.json": _json(summary),
            "prim_tradeoff.png": _png(plot_tradeoff(d).figure),
            "prim_box.png": _png(plot_box(d).figure),
        }

    sc = design.scenario
    print(
        f"scenario discovery on {sc.name} under {design.points[0].get('funding', sc.funding)}: {len(design.points)} "
        f"parameter sets of {len(varied)} parameters x {design.replicates} replicate(s), {years_text(sc.years)} each"
    )
    df, folder = _execute(args, design, outputs)
    d = box.get("d") or discover(df, varied, metric, threshold, above=above, min_density=args.min_density)
    print()
    print("\n".join(d.summary_lines()))
    lim = d.limits()
    if not lim.empty:
        rows = [
            (
                r.parameter,
                r.categories or f"{fmt(r.min)} - {fmt(r.max)}",
                PARAM_BY_NAME[r.parameter].unit,
                fmt(min((q for q in (r.qp_lower, r.qp_upper) if q is not None and q == q), default=float("nan"))),
            )
            for r in lim.itertuples()
        ]
        print()
        print(table(("parameter", "box", "unit", "quasi-p"), rows, (False, False, False, True)))
    files = ["prim_box.csv", "prim_trajectory.csv", "prim.json", "prim_tradeoff.png", "prim_box.png"]
    _wrote(folder, ["manifest.json", "runs.parquet", "runs/", *files])
    return 0


register(
    Command(
        "discover",
        help="scenario discovery (PRIM): under which conditions does an outcome cross a threshold?",
        description=wrap(
            "Run a Latin hypercube over the analysis ranges of --params (default: every uncertainty whose "
            "source is an assumption) under one funding model, then let PRIM (EMA Workbench) find the box of "
            "parameter values where the metric is above (or below) the threshold: for example, under which "
            "conditions does a lump sum leave more than 30% of clients underserved? Prints the chosen box in "
            "plain language (its density: the share of its runs that cross the threshold; its coverage: the "
            "share of all such runs it holds) and writes prim_box.csv, prim_trajectory.csv, prim.json and the "
            "figures prim_tradeoff.png and prim_box.png next to the runs."
        ),
        examples=[
            f"{PROG} discover --funding lump_sum --metric underserved_share --above 0.3",
            f"{PROG} discover --params carer_support_relief,network_build_hours --samples 400 --years 5",
            f"{PROG} discover --resume results/discover-20261201-101500",
        ],
        run=_cmd_discover,
        setup=_discover_setup,
        options={"scenario": {"default": None}, "seed": {"default": None}, "replicates": {"default": None}, **MULTI}
        | {"params": {"exclude": ("funding",)}},
    )
)


# --- optimize ------------------------------------------------------------------------------------


def _optimize_setup(p: argparse.ArgumentParser) -> None:
    from .experiments.optimize import DEFAULT_LEVERS

    p.add_argument(
        "--levers",
        type=names,
        default=list(DEFAULT_LEVERS),
        metavar="a,b",
        help="the municipality's levers to search (default: " + ",".join(DEFAULT_LEVERS) + ")",
    )
    p.add_argument("--nfe", type=positive_int, default=2000, metavar="N", help="contracts evaluated (default 2000)")
    p.add_argument(
        "--population-size",
        "--population_size",
        dest="population_size",
        type=positive_int,
        default=40,
        metavar="N",
        help="the genetic algorithm's population (default 40)",
    )
    p.add_argument(
        "--fresh-replicates",
        "--fresh_replicates",
        dest="fresh_replicates",
        type=positive_int,
        default=10,
        metavar="N",
        help="fresh seeds on which the front is re-evaluated (default 10)",
    )


def _cmd_optimize(args: argparse.Namespace) -> int:
    import matplotlib

    matplotlib.use("Agg")

    from .experiments import check_new_folder, new_results_path
    from .experiments.optimize import describe_front, front_table, optimize_contracts, plot_front
    from .experiments.results import write_outputs
    from .io import provenance

    fixed = overrides(args)
    clash = sorted(set(args.levers) & set(fixed))
    if clash:
        raise UsageError(f"{clash[0]} is both a lever (--levers) and fixed (--{clash[0].replace('_', '-')})")
    sc = load_scenario(args.scenario, **fixed)
    from .experiments.optimize import check_levers

    check_levers(args.levers)
    folder = check_new_folder(args.out) if args.out is not None else new_results_path(label="optimize")
    folder.mkdir(parents=True, exist_ok=True)
    prov = provenance(sc, args.seed, command=args.argv)
    write_outputs(folder, {"optimize.json": _json({"complete": False, **prov})})
    print(
        f"contract design on {sc.name}: {args.nfe} contracts over {len(args.levers)} levers, each on "
        f"{args.replicates} common seed(s), {years_text(sc.years)}; the front re-evaluated on "
        f"{args.fresh_replicates} fresh seeds"
    )
    try:
        opt = optimize_contracts(
            sc,
            levers=args.levers,
            nfe=args.nfe,
            population_size=args.population_size,
            replicates=args.replicates,
            fresh_replicates=args.fresh_replicates,
            seed=args.seed,
            workers=args.workers,
            scheduler=args.scheduler,
            out=folder,
        )
    except ScenarioError as exc:
        raise UsageError(str(exc)) from None
    front = front_table(opt)
    doc = {"complete": True, **prov, "settings": opt.settings, "front": describe_front(opt)}
    written = write_outputs(
        folder,
        {
            "front.csv": _csv(front),
            "search_front.csv": _csv(opt.front),
            "optimize.png": _png(plot_front(opt).figure),
            "optimize.json": _json(doc),
        },
    )
    print()
    print("\n".join(describe_front(opt, limit=10)))
    _wrote(folder, ["search/", "reevaluation/", *written])
    return 0


register(
    Command(
        "optimize",
        help="contract design: the Pareto front of total cost against under-service over the municipality's levers",
        description=wrap(
            "Search the municipality's levers (the funding model, the blend share, the KPI target and penalty, "
            "outreach, the budget level; --levers to choose) with EMA Workbench's epsilon-NSGA-II for the "
            "contracts that no other contract beats on both total cost (care spend plus admin, EUR a year) and "
            "the share of clients underserved. Every contract runs through the experiment engine on the same "
            "--replicates seeds; the front is then re-evaluated on --fresh-replicates other seeds and shown "
            "with its 10-90% band. Writes the search's runs (search/), the re-evaluation (reevaluation/), "
            "front.csv, optimize.json and optimize.png."
        ),
        examples=[
            f"{PROG} optimize --nfe 400 --years 5",
            f"{PROG} optimize --levers funding,kpi_target,outreach --replicates 3 --scenario alphen",
        ],
        run=_cmd_optimize,
        setup=_optimize_setup,
        options={
            "scenario": {},
            "seed": {"default": BASE_SEED, "help": f"seed of the search and its seeds (default {BASE_SEED})"},
            "replicates": {"default": 2, "help": "common seeds per contract during the search (default 2)"},
            "workers": {},
            "scheduler": {},
            "out": {},
            "params": {},
        },
    )
)
