"""The ``care-sim`` subcommands: run, compare, sweep, scenarios, show, baseline, calibrate.

Each is a :class:`sim.cli.Command` registered at import. Every multi-run command goes
through the experiment engine (:mod:`sim.experiments`) and writes a resumable results
folder (``--resume DIR`` finishes one that was interrupted).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from .cli import (
    PROG,
    Command,
    Interrupted,
    OutputError,
    UsageError,
    fmt,
    fraction,
    names,
    output_width,
    overrides,
    positive_float,
    positive_int,
    register,
    seed_type,
    show_value,
    table,
    wrap,
    years_text,
)
from .metrics import SUMMARY_KEYS
from .params import FUNDING_MODELS, PARAMS, list_scenarios, load_scenario, scenario_description
from .run import BASE_SEED

MULTI = {"workers": {}, "scheduler": {}, "out": {}, "resume": {}}


# --- shared helpers of the multi-run commands ------------------------------------------------


def _resume_conflicts(args: argparse.Namespace, defaults: Mapping[str, Any]) -> None:
    """With --resume the design comes from the folder: refuse options that would change it,
    else fill in their defaults."""
    flag = {"models": "funding", "cal_funding": "funding", "cal_years": "years"}
    given = [flag.get(k, k).replace("_", "-") for k, v in vars(args).items() if k in defaults and v is not None]
    given += [f"--{p.replace('_', '-')}" for p in overrides(args)]
    if args.resume is not None:
        if given or getattr(args, "out", None) is not None:
            what = ", ".join(f"--{g}" if not g.startswith("--") else g for g in given) or "--out"
            raise UsageError(f"--resume takes the design from {args.resume}/manifest.json; drop {what}")
        return
    for k, v in defaults.items():
        if getattr(args, k) is None:
            setattr(args, k, v)


def _folder_label(folder: Path, label: str) -> None:
    """Refuse to resume another command's folder (a sweep takes any design but those)."""
    from .experiments import read_manifest
    from .experiments.results import command_of

    found = command_of(read_manifest(folder))
    if found != label and (label != "sweep" or found in ("compare", "calibrate")):
        raise UsageError(f"{folder} holds a {found} result, not a {label}: use `{PROG} {found} --resume {folder}`")


def _execute(
    args: argparse.Namespace,
    design,
    outputs: Callable | None,
    executor=None,
) -> tuple[Any, Path]:
    """Run ``design`` (or resume ``args.resume``) into a results folder; return the table
    and the folder. Ctrl-C leaves a resumable folder and says so."""
    from .experiments import check_new_folder, new_results_path, resume, run_design

    if args.resume is not None:
        folder = args.resume
        run = lambda: resume(  # noqa: E731
            folder, args.workers, args.scheduler, executor=executor, command=args.argv, outputs=outputs
        )
    else:
        folder = check_new_folder(args.out) if args.out is not None else new_results_path(label=design.label)
        run = lambda: run_design(  # noqa: E731
            design, folder, args.workers, args.scheduler, executor=executor, command=args.argv, outputs=outputs
        )
    try:
        return run(), folder
    except KeyboardInterrupt:
        if folder.exists():
            again = f"{PROG} {args.command} --resume {folder}"
            raise Interrupted(f"the finished runs are in {folder}; `{again}` computes the rest") from None
        raise
    except OSError as exc:
        raise OutputError(f"could not write results to {folder}: {exc.strerror or exc}") from None


def _wrote(folder: Path, files: list[str]) -> None:
    print(f"\nwrote {folder}/")
    for name in files:
        print(f"  {folder / name}" + ("/" if name.endswith("/") else ""))


def _png(fig) -> Callable[[Path], object]:
    return lambda tmp: fig.savefig(tmp, dpi=100, bbox_inches="tight", format="png")


def _csv(df) -> Callable[[Path], object]:
    return lambda tmp: df.to_csv(tmp, index=False, float_format="%.6g")


# --- run ---------------------------------------------------------------------------------------


def _run_setup(p: argparse.ArgumentParser) -> None:
    p.add_argument("--json", action="store_true", help="print the summary as JSON instead of a table")


def _json_ready(summary: dict[str, float]) -> dict[str, float | None]:
    return {k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in summary.items()}


def _cmd_run(args: argparse.Namespace) -> int:
    import importlib

    from tqdm import tqdm

    run_module = importlib.import_module("sim.run")  # the module (``sim.run`` is also the function)
    sc = load_scenario(args.scenario, **overrides(args))
    with tqdm(total=sc.years * 52, desc="run", unit="week", file=sys.stderr, disable=None, leave=False) as bar:
        result = run_module.run(sc, rng=args.seed, progress=bar.update)
    if args.json:
        print(json.dumps(_json_ready(result.summary), indent=2))
        return 0
    rows = [(k, fmt(result.summary[k]), SUMMARY_KEYS[k][0]) for k in SUMMARY_KEYS]
    print(f"scenario {sc.name}, funding {sc.funding}, {years_text(sc.years)}, seed {args.seed}\n")
    print(table(("metric", "value", "unit"), rows, (False, True, False)))
    return 0


register(
    Command(
        "run",
        help="run one simulation and print its summary",
        description=wrap("Run one simulation and print its summary metrics with their units."),
        examples=[
            f"{PROG} run --funding lump_sum --years 5   one run, summary table",
            f"{PROG} run --scenario my_town.toml --funding lump_sum --seed 7",
            f"{PROG} run --hourly-price-eur 65 --json > summary.json",
        ],
        run=_cmd_run,
        setup=_run_setup,
        options={"scenario": {}, "seed": {"help": "random seed; fixes everything (default: 0)"}, "params": {}},
        usage=f"{PROG} run [-h] [--scenario NAME|FILE.toml] [--seed N] [--json] [--PARAMETER VALUE ...]",
    )
)


# --- compare -----------------------------------------------------------------------------------


def _compare_setup(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--funding",
        dest="models",
        type=names,
        default=None,
        metavar="a,b,...",
        help="funding models to compare, comma-separated (default: all: " + ",".join(FUNDING_MODELS) + ")",
    )
    p.add_argument(
        "--metrics",
        type=names,
        default=None,
        metavar="a,b,...",
        help="metrics to print (default: every summary metric and total_cost_eur)",
    )


def _compare_tables(stats, reference: str) -> str:
    from .metric_info import METRICS

    blocks = []
    for metric, rows in stats.groupby("metric", sort=False):
        info = METRICS[metric]
        head = f"{metric}: {info.label} ({info.unit}; {info.direction})"
        body = []
        for r in rows.itertuples():
            band = f"{fmt(r.p10)} to {fmt(r.p90)}"
            if r.funding == reference:
                diff, pb = "(reference)", ""
            elif math.isnan(r.diff_median):
                diff, pb = "-", "-"
            else:
                diff = f"{fmt(r.diff_median)} ({fmt(r.diff_p10)} to {fmt(r.diff_p90)})"
                pb = "-" if math.isnan(r.p_better) else f"{r.p_better:.2f}"
            body.append((r.funding, fmt(r.median), band, diff, pb))
        headers = ("funding", "median", "10%-90%", f"paired diff vs {reference} (10%-90%)", "P(better)")
        blocks.append(head + "\n" + table(headers, body, (False, True, True, True, True)))
    return "\n\n".join(blocks)


def _cmd_compare(args: argparse.Namespace) -> int:
    from .comparison import REFERENCE, compare_stats
    from .experiments import Design, funding_points, results_design
    from .metric_info import METRICS
    from .plotting import compare_figure

    _resume_conflicts(args, {"models": None, "replicates": 5, "seed": BASE_SEED, "scenario": "default"})
    if args.metrics:
        unknown = [m for m in args.metrics if m not in METRICS]
        if unknown:
            import difflib

            hint = difflib.get_close_matches(unknown[0], list(METRICS), n=1)
            raise UsageError(f"unknown metric {unknown[0]!r}" + (f"; did you mean {hint[0]}?" if hint else ""))
    if args.resume is not None:
        _folder_label(args.resume, "compare")
        design = results_design(args.resume)
    else:
        sc = load_scenario(args.scenario, **overrides(args))
        points = funding_points(args.models or FUNDING_MODELS)
        design = Design(sc, points=points, replicates=args.replicates, base_seed=args.seed, label="compare")
    sc = design.scenario
    n = design.replicates
    stats_box: dict[str, Any] = {}

    def outputs(df, folder: Path) -> dict[str, Callable[[Path], object]]:
        stats = compare_stats(df, REFERENCE)
        stats_box["stats"] = stats
        title = (
            f"care-sim {sc.name}: funding models over {years_text(sc.years)}, "
            f"median and 10%-90% band of {n} replicate(s) (base seed {design.base_seed})"
        )
        return {"compare.csv": _csv(stats), "compare.png": _png(compare_figure(df, title))}

    df, folder = _execute(args, design, outputs)
    stats = stats_box.get("stats")
    if stats is None:  # resumed a folder that was already complete
        stats = compare_stats(df, REFERENCE)
    if args.metrics:
        stats = stats[stats["metric"].isin(args.metrics)]
    models = list(dict.fromkeys(df["funding"]))
    print(
        f"scenario {sc.name}, {years_text(sc.years)}, {n} replicate(s) per funding model on common seeds "
        f"(base seed {design.base_seed}); differences are paired by seed against {REFERENCE}"
        + ("" if REFERENCE in models else " (not run: add it to --funding to get them)")
        + "; P(better) = share of seeds on which the model does better (ties count half)\n"
    )
    print(_compare_tables(stats, REFERENCE))
    _wrote(folder, ["manifest.json", "runs.parquet", "runs/", "compare.csv", "compare.png"])
    return 0


register(
    Command(
        "compare",
        help="run funding models on the same seeds; paired differences, a table and a figure",
        description=wrap(
            "Run every funding model (" + ", ".join(FUNDING_MODELS) + ") or those of --funding on the same "
            "replicate seeds. Per metric: the median and 10%-90% band of each model, the difference against "
            "fee_for_service paired by seed with its band, and P(better): the share of seeds on which the "
            "model does better than fee_for_service in the metric's better direction. Writes a results folder "
            "(manifest.json, a part per run in runs/, runs.parquet, compare.csv with the statistics, "
            "compare.png) under results/ (or --out); an interrupted one is finished with --resume DIR."
        ),
        examples=[
            f"{PROG} compare --replicates 10            all funding models on the same seeds",
            f"{PROG} compare --funding fee_for_service,lump_sum --years 5 --workers 2",
            f"{PROG} compare --population 80000 --out results/big-town",
            f"{PROG} compare --resume results/compare-20261201-101500",
        ],
        run=_cmd_compare,
        setup=_compare_setup,
        options={
            "scenario": {"default": None},
            "replicates": {"default": None, "help": "runs per funding model (default: 5)"},
            "seed": {
                "default": None,
                "help": f"base seed the replicate seeds derive from (default: {BASE_SEED}, sim.BASE_SEED)",
            },
            **MULTI,
            "params": {"exclude": ("funding",)},
        },
        usage=(
            f"{PROG} compare [-h] [--scenario NAME|FILE.toml] [--funding a,b] [--replicates N] [--seed N] "
            "[--workers N] [--scheduler URL] [--out DIR | --resume DIR] [--PARAMETER VALUE ...]"
        ),
    )
)


# --- sweep -------------------------------------------------------------------------------------


def _sweep_setup(p: argparse.ArgumentParser) -> None:
    p.add_argument("spec", nargs="?", type=Path, default=None, metavar="SPEC.toml", help="the sweep spec")
    p.add_argument("--check", action="store_true", help="check the spec and print the design; run nothing")


_SWEEP_HEADLINE = ("unmet_need_share", "underserved_share", "mean_wait_weeks", "spend_eur", "admin_eur")


def _cmd_sweep(args: argparse.Namespace) -> int:
    from .experiments import results_design
    from .experiments.spec import design_from_spec, load_spec

    if (args.spec is None) == (args.resume is None):
        raise UsageError("give a sweep spec (care-sim sweep SPEC.toml) or --resume DIR, not both or neither")
    if args.resume is not None:
        if args.out is not None or args.check:
            raise UsageError(f"--resume takes the design from {args.resume}/manifest.json; drop --out/--check")
        _folder_label(args.resume, "sweep")
        design = results_design(args.resume)
    else:
        design = design_from_spec(load_spec(args.spec), where=args.spec.parent)
    kind = design.meta.get("design", "?")
    varied = [c for c in design.param_columns if any(c in p for p in design.points)]
    print(
        f"sweep ({kind}) of {', '.join(varied)} on {design.scenario.name}: {len(design.points)} parameter sets x "
        f"{design.replicates} replicate(s) = {design.n_runs} runs of {years_text(design.scenario.years)}"
    )
    if args.check:
        print("spec OK: every key and value is within the parameter table's bounds (nothing was run)")
        return 0
    df, folder = _execute(args, design, None)
    rows = []
    for k in _SWEEP_HEADLINE:
        x = df[k]
        rows.append((k, fmt(x.min()), fmt(x.median()), fmt(x.max()), SUMMARY_KEYS[k][0]))
    print()
    print(table(("metric", "min", "median", "max", "unit"), rows, (False, True, True, True, False)))
    _wrote(folder, ["manifest.json", "runs.parquet", "runs/"])
    print(f'\nload it with: sim.load_results("{folder}")')
    return 0


register(
    Command(
        "sweep",
        help="run a grid, Latin hypercube or Sobol' design from a TOML spec",
        description=wrap(
            "Run a parameter sweep: a TOML spec names the scenario, the fixed values ([base]), the varied "
            "parameters ([vary]: value lists for a grid, [lo, hi] or 'analysis' ranges for lhs and sobol; "
            "switches and choices as categories), the design (grid, lhs or sobol, sampled by SALib), the "
            "samples, replicates and seed. Every key and value is checked against the parameter table before "
            "anything runs. Each finished run is written at once into a results folder (manifest.json, "
            "runs/, runs.parquet when done); --resume DIR computes only the missing runs. See "
            "sim/experiments/spec.py for the spec format."
        ),
        examples=[
            f"{PROG} sweep my_sweep.toml                run a parameter sweep from a TOML spec",
            f"{PROG} sweep my_sweep.toml --check        check the spec, run nothing",
            f"{PROG} sweep my_sweep.toml --scheduler tcp://10.0.0.5:8786",
            f"{PROG} sweep --resume results/sweep-20261201-101500",
        ],
        run=_cmd_sweep,
        setup=_sweep_setup,
        options=MULTI,
        usage=f"{PROG} sweep [-h] SPEC.toml [--check] [--workers N] [--scheduler URL] [--out DIR] | --resume DIR",
    )
)


# --- scenarios, show ---------------------------------------------------------------------------


def _cmd_scenarios(args: argparse.Namespace) -> int:
    rows = [(n, scenario_description(n)) for n in list_scenarios()]
    print(table(("scenario", "description"), rows, (False, False), wrap_cols={1: None}, width=output_width()))
    return 0


register(
    Command(
        "scenarios",
        help="list the shipped scenarios",
        description=wrap("List the scenarios shipped with care-sim, with their one-line description."),
        examples=[f"{PROG} scenarios                          list the shipped scenarios"],
        run=_cmd_scenarios,
    )
)


def _show_setup(p: argparse.ArgumentParser) -> None:
    p.add_argument("scenario", metavar="NAME|FILE.toml", help="a shipped scenario name or a TOML file")


def _cmd_show(args: argparse.Namespace) -> int:
    sc = load_scenario(args.scenario)
    description = scenario_description(args.scenario) if args.scenario in list_scenarios() else ""
    print(f"scenario {sc.name}" + (f": {description}" if description else ""))
    print("* = differs from the parameter table's default\n")
    rows = []
    for p in PARAMS:
        value = sc[p.name]
        mark = "*" if value != p.default else ""
        shown = show_value(value) if value is not None else f"{show_value(getattr(sc, p.name))} (derived)"
        rows.append((p.name + mark, shown, p.unit, p.bounds_text(), p.meaning, p.source))
    headers = ("parameter", "value", "unit", "bounds", "meaning", "source")
    right = (False, True, False, False, False, False)
    print(table(headers, rows, right, wrap_cols={2: 18, 3: 18, 4: None, 5: None}, width=output_width()))
    return 0


register(
    Command(
        "show",
        help="print every parameter of a scenario",
        description=wrap(
            "Print every parameter of a scenario: name, value, unit, bounds, meaning and source. "
            "Values that differ from the parameter table's default are marked with *."
        ),
        examples=[f"{PROG} show default                       every parameter: value, unit, bounds, source"],
        run=_cmd_show,
        setup=_show_setup,
    )
)


# --- baseline ----------------------------------------------------------------------------------


def _baseline_setup(p: argparse.ArgumentParser) -> None:
    from .baseline import BASELINE_SEED, BASELINE_YEARS

    p.add_argument("--update", action="store_true", help="recompute and rewrite the file, print what changed")
    p.add_argument(
        "--file", type=Path, default=None, metavar="PATH", help="the baseline file (default: tests/baseline.json)"
    )
    p.add_argument(
        "--years",
        type=positive_int,
        default=None,
        metavar="N",
        help=f"with --update: years per run (default: the file's, else {BASELINE_YEARS})",
    )
    p.add_argument(
        "--seed",
        type=seed_type,
        default=None,
        metavar="N",
        help=f"with --update: the seed (default: the file's, else {BASELINE_SEED})",
    )
    p.add_argument(
        "--limit", type=seed_type, default=50, metavar="N", help="list at most N differences (default: 50; 0: all)"
    )


def _cmd_baseline(args: argparse.Namespace) -> int:
    from . import baseline as bl
    from .cli import error

    path = args.file or bl.BASELINE_PATH
    stored = None
    if path.exists():
        try:
            stored = bl.load_baseline(path)
        except ValueError as exc:
            if not args.update:
                raise UsageError(str(exc)) from None
    if not args.update:
        if args.years is not None or args.seed is not None:
            raise UsageError("--years and --seed go with --update; the check uses the file's years and seed")
        if stored is None:
            raise UsageError(f"no baseline file at {path}; create it with `{bl.UPDATE_COMMAND}`")
        years, seed = int(stored["years"]), int(stored["seed"])
    else:
        years = args.years or (int(stored["years"]) if stored else bl.BASELINE_YEARS)
        seed = args.seed if args.seed is not None else (int(stored["seed"]) if stored else bl.BASELINE_SEED)

    fresh = bl.compute_baseline(years=years, seed=seed, workers=args.workers, scheduler=args.scheduler, progress=True)
    limit = None if args.limit == 0 else args.limit
    n = bl.count_metrics(fresh)
    settings = f"{len(fresh)} presets x {len(FUNDING_MODELS)} funding models, {years_text(years)}, seed {seed}"

    if args.update:
        if stored is not None:
            if (int(stored["years"]), int(stored["seed"])) != (years, seed):
                print(
                    f"settings changed: years {stored['years']} -> {years}, seed {stored['seed']} -> {seed}; "
                    "every value is expected to differ"
                )
            diffs = bl.compare_baselines(stored["results"], fresh)
            print(f"changes against the old {path}:")
            print(bl.diff_report(diffs, n, limit=0))
        else:
            print(f"new baseline file: {path}")
        try:
            bl.write_baseline(fresh, years, seed, path)
        except OSError as exc:
            raise OutputError(f"could not write {path}: {exc.strerror or exc}") from None
        print(f"wrote {path} ({n} values: {settings})")
        return 0

    diffs = bl.compare_baselines(stored["results"], fresh)
    if not diffs:
        print(f"baseline OK: {n} values equal to {path} ({settings})")
        return 0
    print(f"baseline differs from {path} ({settings}):")
    print(bl.diff_report(diffs, bl.count_metrics(stored["results"]), limit=limit))
    return error(
        f"{len(diffs)} baseline value(s) differ; if the change is intended, review it and run `{bl.UPDATE_COMMAND}`",
        code=1,
    )


register(
    Command(
        "baseline",
        help="check the results against the baseline regression file, or --update it",
        description=wrap(
            "Run every shipped preset under every funding model on one fixed seed for a few years (through the "
            "experiment engine) and compare each summary metric with the baseline file (tests/baseline.json in "
            "the source tree). Exit code 0: equal; 1: a list of the differences. With --update the file is "
            "rewritten (atomically) and a summary of what changed is printed: review it like any other diff."
        ),
        examples=[
            f"{PROG} baseline                           check the results against tests/baseline.json",
            f"{PROG} baseline --update                  recompute and rewrite the file",
        ],
        run=_cmd_baseline,
        setup=_baseline_setup,
        options={"workers": {}, "scheduler": {}},
    )
)


# --- calibrate ---------------------------------------------------------------------------------


def _calibrate_setup(p: argparse.ArgumentParser) -> None:
    from . import calibrate as cal

    p.add_argument(
        "--params",
        default=None,
        metavar="a,b,c",
        help="parameters to fit, comma-separated (default: " + ",".join(cal.DEFAULT_PARAMS) + ")",
    )
    p.add_argument(
        "--samples",
        type=positive_int,
        default=None,
        metavar="N",
        help=f"parameter sets drawn; a power of 2 uses Sobol' (default: {cal.DEFAULT_SAMPLES})",
    )
    p.add_argument(
        "--keep",
        type=fraction,
        default=None,
        metavar="FRACTION",
        help=f"fraction of closest sets kept as the posterior (default: {cal.DEFAULT_KEEP:g})",
    )
    p.add_argument(
        "--seeds",
        type=positive_int,
        default=None,
        metavar="K",
        help=f"replicate seeds per set, common to all sets (default: {cal.DEFAULT_SEEDS})",
    )
    p.add_argument(
        "--years",
        dest="cal_years",
        type=positive_int,
        default=None,
        metavar="Y",
        help=f"simulated years per run (default: {cal.DEFAULT_YEARS})",
    )
    p.add_argument(
        "--funding",
        dest="cal_funding",
        default=None,
        metavar="MODEL",
        help=f"funding model of every run, one of {', '.join(FUNDING_MODELS)} (default: {cal.DEFAULT_FUNDING})",
    )
    p.add_argument(
        "--prior-range",
        "--prior_range",
        dest="prior_range",
        type=positive_float,
        default=None,
        metavar="R",
        help=f"uniform prior: current value +-R x value, within the bounds (default: {cal.DEFAULT_PRIOR_RANGE:g})",
    )
    p.add_argument(
        "--prior",
        action="append",
        default=None,
        metavar="NAME=LO:HI",
        help="an explicit uniform prior for one fitted parameter (repeatable)",
    )
    p.add_argument(
        "--target",
        action="append",
        default=None,
        metavar="KEY=LO:HI",
        help="a target range of a summary metric (repeatable); if given, these replace the default targets",
    )


def _calibrate_defaults() -> dict[str, Any]:
    from . import calibrate as cal

    return {
        "scenario": "default",
        "params": ",".join(cal.DEFAULT_PARAMS),
        "samples": cal.DEFAULT_SAMPLES,
        "keep": cal.DEFAULT_KEEP,
        "seeds": cal.DEFAULT_SEEDS,
        "cal_years": cal.DEFAULT_YEARS,
        "cal_funding": cal.DEFAULT_FUNDING,
        "prior_range": cal.DEFAULT_PRIOR_RANGE,
        "prior": [],
        "target": [],
        "seed": cal.DEFAULT_SEED,
    }


def _cmd_calibrate(args: argparse.Namespace) -> int:
    import difflib
    import shlex

    from . import calibrate as cal
    from .experiments import make_executor, results_design
    from .io import provenance

    _resume_conflicts(args, _calibrate_defaults())
    if args.resume is not None:
        _folder_label(args.resume, "calibrate")
        design = results_design(args.resume)
    else:
        # --funding and --years are the command's own flags, not scenario overrides.
        params = names(args.params)
        targets = [cal.parse_target(t) for t in args.target] if args.target else list(cal.DEFAULT_TARGETS)
        explicit = dict(cal.parse_prior(t) for t in args.prior)
        if args.cal_funding not in FUNDING_MODELS:
            hint = difflib.get_close_matches(args.cal_funding, FUNDING_MODELS, n=1)
            extra = f"; did you mean {hint[0]}?" if hint else ""
            raise UsageError(f"--funding {args.cal_funding!r} is not one of {', '.join(FUNDING_MODELS)}{extra}")
        design = cal.calibration_design(
            args.scenario,
            params=params,
            targets=targets,
            funding=args.cal_funding,
            samples=args.samples,
            keep=args.keep,
            seeds=args.seeds,
            years=args.cal_years,
            prior_range=args.prior_range,
            prior=explicit,
            seed=args.seed,
            **overrides(args),
        )
    box: dict[str, Any] = {}
    with make_executor(args.workers, args.scheduler) as ex:

        def outputs(df, folder: Path) -> dict[str, Callable[[Path], object]]:
            from .io import write_table

            res = cal.finish_calibration(df, design, executor=ex, progress=True)
            box["res"] = res
            prov = provenance(design.scenario, res.settings["seeds"], command=args.argv, calibration=res.settings)
            fit_doc = {
                "command": shlex.join(args.argv),
                "argv": args.argv,
                "method": res.settings["method"],
                "scenario_name": design.scenario.name,
                "funding": res.settings["funding"],
                "fitted": res.fitted,
                **res.fit.to_dict(),
                "settings": res.settings,
                "version": prov["version"],
                "git_commit": prov["git_commit"],
                "created_utc": prov["created_utc"],
            }
            return {
                "samples.parquet": lambda tmp: write_table(res.samples, tmp, prov, sidecar=False),
                "samples.json": lambda tmp: tmp.write_text(json.dumps(prov, indent=2) + "\n", encoding="utf-8"),
                "fit.json": lambda tmp: tmp.write_text(json.dumps(fit_doc, indent=2) + "\n", encoding="utf-8"),
            }

        df, folder = _execute(args, design, outputs, executor=ex)
        res = box.get("res") or cal.finish_calibration(df, design, executor=ex)
    _print_calibration(res, design.scenario.name)
    _wrote(folder, ["manifest.json", "runs/", "samples.parquet", "samples.json", "fit.json"])
    return 0


def _print_calibration(res, scenario_name: str) -> None:
    from . import calibrate as cal

    s = res.settings
    print(
        f"calibration of {scenario_name} under {s['funding']}: rejection ABC, {s['samples']} sets "
        f"({s['design']}), {len(s['seeds'])} seed(s), {years_text(s['years'])}, keep {s['keep']:g}\n"
    )
    width = output_width()
    right = (False, True, True, True, True, True, False)
    print(table(cal.PARAM_HEADERS, cal.param_rows(res.fit), right, wrap_cols={6: 18}, width=width))
    print()
    print(table(cal.TARGET_HEADERS, cal.target_rows(res.fit), (False, True, True, True, False, True, True)))
    print("\n" + "\n".join(cal.quality_lines(res)))


def _calibrate_description() -> str:
    from . import calibrate as cal

    targets = "\n".join(
        (f"  {t.key:<32} {t.text():<10}" + (f" (under {t.funding})" if t.funding else "")).rstrip()
        for t in cal.DEFAULT_TARGETS
    )
    return (
        wrap(
            "Fit parameters to published figures by rejection approximate Bayesian computation: draw "
            "--samples parameter sets from uniform priors (the current value +-50%, within the "
            "parameter's bounds) with a scrambled Sobol' or Latin hypercube design, run each on the same "
            "--seeds for --years, score each by its distance to the target ranges (root mean square of "
            "z = (value - middle) / half-width), and keep the closest --keep fraction as the posterior. "
            "Prints the fitted values (posterior median, 10%-90% interval), the remaining error per "
            "target at the fitted values, and the fit quality; writes a results folder (manifest.json, "
            "runs/: a part per run) with samples.parquet (a row per sample, provenance in samples.json) and "
            "fit.json under results/ (or --out); --resume DIR finishes an interrupted one."
        )
        + "\n\ndefault targets (calibration.md, sim/targets.py):\n"
        + targets
    )


register(
    Command(
        "calibrate",
        help="fit parameters to the published figures (rejection ABC)",
        description=_calibrate_description(),
        examples=[
            f"{PROG} calibrate --samples 64             fit parameters to calibration.md by rejection ABC",
            f"{PROG} calibrate --samples 64 --seeds 2 --years 5 --workers 2",
            f"{PROG} calibrate --params onset_per_year --prior onset_per_year=0.05:0.4",
            f"{PROG} calibrate --scenario lelystad --funding population_budget --params onset_per_year \\\n"
            "      --target clients_per_1000_inhabitants=13.5:16.5",
        ],
        run=_cmd_calibrate,
        setup=_calibrate_setup,
        options={
            "scenario": {"default": None},
            "seed": {
                "default": None,
                "help": f"base seed of the design and the replicate seeds (default: {BASE_SEED})",
            },
            **MULTI,
            "params": {"exclude": ("funding", "years")},
        },
        usage=(
            f"{PROG} calibrate [-h] [--scenario NAME|FILE.toml] [--params a,b,c] [--samples N] [--keep FRACTION] "
            "[--seeds K] [--years Y] [--funding MODEL] [--prior-range R] [--prior NAME=LO:HI ...] "
            "[--target KEY=LO:HI ...] [--seed N] [--workers N] [--scheduler URL] [--out DIR | --resume DIR] "
            "[--PARAMETER VALUE ...]"
        ),
    )
)
