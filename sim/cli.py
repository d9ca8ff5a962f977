"""The ``care-sim`` command line: run, compare, list and show scenarios, check the
baseline regression file and calibrate parameters to published figures.

Every model parameter is a flag (``--population 50000``, ``--hourly-price-eur 65``),
generated from the parameter table ``sim.params.PARAMS``; only the flags you give
override the scenario. Bad input ends with exit code 2 and one line on stderr.
"""

from __future__ import annotations

import argparse
import contextlib
import difflib
import json
import math
import os
import shutil
import sys
import textwrap
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, NoReturn

from . import __version__
from .calibrate import CalibrationError
from .metrics import SUMMARY_KEYS
from .params import FUNDING_MODELS, PARAMS, ScenarioError, list_scenarios, load_scenario, scenario_description

PROG = "care-sim"

_EXAMPLES = f"""\
examples:
  {PROG} scenarios                          list the shipped scenarios
  {PROG} show default                       every parameter: value, unit, bounds, source
  {PROG} run --funding lump_sum --years 5   one run, summary table
  {PROG} compare --replicates 10            all funding models on the same seeds,
                                           medians + runs.parquet + compare.png
  {PROG} baseline                           check the results against tests/baseline.json
  {PROG} calibrate --samples 64             fit parameters to calibration.md by rejection ABC
  {PROG} run --help                         the flags of a command
"""


class UsageError(Exception):
    """Bad command-line input; reported as one line and exit code 2."""


class OutputError(Exception):
    """Results could not be written; reported as one line and exit code 1."""


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser that raises instead of printing usage and exiting."""

    #: The subcommand parsers by name (set on the top-level parser).
    commands: dict[str, argparse.ArgumentParser]

    def error(self, message: str) -> NoReturn:
        raise UsageError(message)


class _Formatter(argparse.RawDescriptionHelpFormatter):
    def __init__(self, prog: str) -> None:
        super().__init__(prog, max_help_position=34, width=min(120, _terminal_width()))

    def add_argument(self, action: argparse.Action) -> None:
        super().add_argument(action)
        # argparse measures subcommand names without their extra indent; without this
        # a long name ("scenarios") is pushed onto a line of its own.
        if action.help is not argparse.SUPPRESS and hasattr(action, "_get_subactions"):
            names = [self._format_action_invocation(a) for a in action._get_subactions()]
            longest = max(map(len, names), default=0) + self._current_indent + self._indent_increment
            self._action_max_length = max(self._action_max_length, longest)


def _wrap(text: str) -> str:
    return textwrap.fill(text, width=min(100, _terminal_width()) - 2)


def _terminal_width() -> int:
    return shutil.get_terminal_size(fallback=(100, 24)).columns


# --- parameter flags ------------------------------------------------------------------------


def _param_flags(name: str) -> tuple[str, str | None]:
    """The dashed flag of a parameter and its underscore alias (None if they are equal)."""
    dashed = "--" + name.replace("_", "-")
    under = "--" + name
    return dashed, (under if under != dashed else None)


def _number(kind: type):
    """An argparse ``type`` that turns numbers into numbers and leaves anything else as
    text, so that ``load_scenario`` does all validation (with its clear messages)."""

    def convert(text: str) -> Any:
        if kind is int:
            with contextlib.suppress(ValueError):
                return int(text)
        with contextlib.suppress(ValueError):
            return float(text)
        return text

    return convert


def _nullable(inner):
    def convert(text: str) -> Any:
        return None if text.strip().lower() in ("none", "auto", "default") else inner(text)

    return convert


def _add_param_flags(parser: argparse.ArgumentParser, hidden: Sequence[str] = (), exclude: Sequence[str] = ()) -> None:
    """Add a flag for every parameter of PARAMS (``hidden`` ones are accepted but not listed,
    ``exclude`` ones are left out because the command has its own flag of that name)."""
    group = parser.add_argument_group(
        "model parameters",
        _wrap(
            "Each flag overrides one value of the scenario; values outside the bounds are refused. "
            "`care-sim show NAME` lists them with their sources. Flags also accept underscores "
            "(--hourly_price_eur)."
        ),
    )
    for p in PARAMS:
        if p.name in exclude:
            continue
        dashed, under = _param_flags(p.name)
        unit = f" {p.unit}" if p.unit else ""
        allowed = (
            f"{p.bounds_text()}{unit}" if (p.choices or p.kind is bool) else f"{p.unit}; allowed {p.bounds_text()}"
        )
        if p.nullable:
            allowed += " or none"
        help_text = f"{p.meaning} ({allowed.strip('; ')}; default {_show_value(p.default)})".replace("%", "%%")
        if p.name in hidden:
            help_text = argparse.SUPPRESS
        kwargs: dict[str, Any] = {"dest": p.name, "default": argparse.SUPPRESS, "help": help_text}
        if p.choices:  # checked by load_scenario, which also suggests the nearest choice
            kwargs.update(metavar="{" + ",".join(p.choices) + "}")
        elif p.kind is bool:
            kwargs.update(metavar="{true,false}")
        else:
            convert = _number(p.kind)
            metavar = "N" if p.kind is int else "X"
            kwargs.update(type=_nullable(convert) if p.nullable else convert, metavar=metavar)
        group.add_argument(dashed, **kwargs)
        if under:
            group.add_argument(under, **{**kwargs, "help": argparse.SUPPRESS})


def _overrides(args: argparse.Namespace) -> dict[str, Any]:
    return {p.name: getattr(args, p.name) for p in PARAMS if hasattr(args, p.name)}


# --- the parser -------------------------------------------------------------------------------


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} must be at least 1")
    return value


def _seed(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"{value} must be 0 or more")
    return value


def build_parser() -> argparse.ArgumentParser:
    """The ``care-sim`` argument parser with its four subcommands."""
    parser = _Parser(
        prog=PROG,
        description=_wrap(
            "care-sim: an agent-based simulation of how a Dutch municipality's way of paying for "
            "social care (Wmo) - fee for service, lump sum or subsidy - changes care volume, "
            "under-service and cost."
        ),
        epilog=_EXAMPLES,
        formatter_class=_Formatter,
        allow_abbrev=False,
    )
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    sub = parser.add_subparsers(dest="command", title="commands", metavar="COMMAND", parser_class=_Parser)

    scenario_help = "a shipped scenario name (see `care-sim scenarios`) or a TOML file (default: default)"

    run_p = sub.add_parser(
        "run",
        usage=f"{PROG} run [-h] [--scenario NAME|FILE.toml] [--seed N] [--json] [--PARAMETER VALUE ...]",
        help="run one simulation and print its summary",
        description=_wrap("Run one simulation and print its summary metrics with their units."),
        epilog=(
            "examples:\n"
            f"  {PROG} run --years 2\n"
            f"  {PROG} run --scenario my_town.toml --funding lump_sum --seed 7\n"
            f"  {PROG} run --hourly-price-eur 65 --json > summary.json\n"
        ),
        formatter_class=_Formatter,
        allow_abbrev=False,
    )
    run_p.add_argument("--scenario", default="default", metavar="NAME|FILE.toml", help=scenario_help)
    run_p.add_argument("--seed", type=_seed, default=0, metavar="N", help="random seed; fixes everything (default: 0)")
    run_p.add_argument("--json", action="store_true", help="print the summary as JSON instead of a table")
    _add_param_flags(run_p)

    cmp_p = sub.add_parser(
        "compare",
        usage=(
            f"{PROG} compare [-h] [--scenario NAME|FILE.toml] [--replicates N] [--seed N] [--out DIR] "
            "[--PARAMETER VALUE ...]"
        ),
        help="run every funding model on the same seeds; write a table and a figure",
        description=_wrap(
            "Run every funding model (" + ", ".join(FUNDING_MODELS) + ") on the same replicate seeds, print "
            "the median of each metric, and write runs.parquet (a row per run; provenance in runs.json) "
            "and compare.png into a new folder under results/ (or --out)."
        ),
        epilog=(
            "examples:\n"
            f"  {PROG} compare --years 5 --replicates 10\n"
            f"  {PROG} compare --population 80000 --out results/big-town\n"
        ),
        formatter_class=_Formatter,
        allow_abbrev=False,
    )
    cmp_p.add_argument("--scenario", default="default", metavar="NAME|FILE.toml", help=scenario_help)
    cmp_p.add_argument(
        "--replicates", type=_positive_int, default=5, metavar="N", help="runs per funding model (default: 5)"
    )
    cmp_p.add_argument(
        "--seed", type=_seed, default=0, metavar="N", help="base seed the replicate seeds derive from (default: 0)"
    )
    cmp_p.add_argument(
        "--out",
        type=Path,
        default=None,
        metavar="DIR",
        help="folder to write into; must not exist or be empty (default: results/compare-<date>-<time>)",
    )
    _add_param_flags(cmp_p, hidden=("funding",))

    sub.add_parser(
        "scenarios",
        help="list the shipped scenarios",
        description=_wrap("List the scenarios shipped with care-sim, with their one-line description."),
        epilog=f"example:\n  {PROG} scenarios\n",
        formatter_class=_Formatter,
        allow_abbrev=False,
    )

    show_p = sub.add_parser(
        "show",
        help="print every parameter of a scenario",
        description=_wrap(
            "Print every parameter of a scenario: name, value, unit, bounds, meaning and source. "
            "Values that differ from the parameter table's default are marked with *."
        ),
        epilog=f"examples:\n  {PROG} show default\n  {PROG} show my_town.toml\n",
        formatter_class=_Formatter,
        allow_abbrev=False,
    )
    show_p.add_argument("scenario", metavar="NAME|FILE.toml", help="a shipped scenario name or a TOML file")
    _add_baseline_parser(sub)
    _add_calibrate_parser(sub, scenario_help)
    parser.commands = dict(sub.choices)
    return parser


def _fraction(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not (0 < value <= 1):
        raise argparse.ArgumentTypeError(f"{value:g} must be a fraction in (0, 1]")
    return value


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not (value > 0 and math.isfinite(value)):
        raise argparse.ArgumentTypeError(f"{value:g} must be above 0")
    return value


def _add_baseline_parser(sub) -> None:
    from .baseline import BASELINE_SEED, BASELINE_YEARS

    p = sub.add_parser(
        "baseline",
        help="check the results against the baseline regression file, or --update it",
        description=_wrap(
            "Run every shipped preset under every funding model on one fixed seed for a few years and "
            "compare each summary metric with the baseline file (tests/baseline.json in the source tree). "
            "Exit code 0: equal; 1: a list of the differences. With --update the file is rewritten "
            "(atomically) and a summary of what changed is printed: review it like any other diff."
        ),
        epilog=(
            "examples:\n"
            f"  {PROG} baseline                 check; exit 1 with the differences\n"
            f"  {PROG} baseline --update        recompute and rewrite the file\n"
        ),
        formatter_class=_Formatter,
        allow_abbrev=False,
    )
    p.add_argument("--update", action="store_true", help="recompute and rewrite the file, print what changed")
    p.add_argument(
        "--file", type=Path, default=None, metavar="PATH", help="the baseline file (default: tests/baseline.json)"
    )
    p.add_argument(
        "--years",
        type=_positive_int,
        default=None,
        metavar="N",
        help=f"with --update: years per run (default: the file's, else {BASELINE_YEARS})",
    )
    p.add_argument(
        "--seed",
        type=_seed,
        default=None,
        metavar="N",
        help=f"with --update: the seed (default: the file's, else {BASELINE_SEED})",
    )
    p.add_argument(
        "--limit", type=_seed, default=50, metavar="N", help="list at most N differences (default: 50; 0: all)"
    )


def _add_calibrate_parser(sub, scenario_help: str) -> None:
    from . import calibrate as cal

    targets = "\n".join(
        (f"  {t.key:<32} {t.text():<10}" + (f" (under {t.funding})" if t.funding else "")).rstrip()
        for t in cal.DEFAULT_TARGETS
    )
    p = sub.add_parser(
        "calibrate",
        usage=(
            f"{PROG} calibrate [-h] [--scenario NAME|FILE.toml] [--params a,b,c] [--samples N] [--keep FRACTION] "
            "[--seeds K] [--years Y] [--funding MODEL] [--prior-range R] [--prior NAME=LO:HI ...] "
            "[--target KEY=LO:HI ...] [--seed N] [--workers N] [--out DIR] [--PARAMETER VALUE ...]"
        ),
        help="fit parameters to the published figures (rejection ABC)",
        description=_wrap(
            "Fit parameters to published figures by rejection approximate Bayesian computation: draw "
            "--samples parameter sets from uniform priors (the current value +-50%, within the "
            "parameter's bounds) with a scrambled Sobol' or Latin hypercube design, run each on the same "
            "--seeds for --years, score each by its distance to the target ranges (root mean square of "
            "z = (value - middle) / half-width), and keep the closest --keep fraction as the posterior. "
            "Prints the fitted values (posterior median, 10%-90% interval), the remaining error per "
            "target at the fitted values, and the fit quality; writes samples.parquet (a row per "
            "sample, provenance in samples.json) and fit.json into a new folder under results/ (or --out)."
        )
        + "\n\ndefault targets (calibration.md):\n"
        + targets,
        epilog=(
            "examples:\n"
            f"  {PROG} calibrate --samples 64 --seeds 2 --years 5\n"
            f"  {PROG} calibrate --params onset_per_year --prior onset_per_year=0.05:0.4\n"
            f"  {PROG} calibrate --scenario lelystad --funding population_budget --params onset_per_year \\\n"
            "      --target clients_per_1000_inhabitants=13.5:16.5\n"
        ),
        formatter_class=_Formatter,
        allow_abbrev=False,
    )
    p.add_argument("--scenario", default="default", metavar="NAME|FILE.toml", help=scenario_help)
    p.add_argument(
        "--params",
        default=",".join(cal.DEFAULT_PARAMS),
        metavar="a,b,c",
        help="parameters to fit, comma-separated (default: " + ",".join(cal.DEFAULT_PARAMS) + ")",
    )
    p.add_argument(
        "--samples",
        type=_positive_int,
        default=cal.DEFAULT_SAMPLES,
        metavar="N",
        help=f"parameter sets drawn; a power of 2 uses Sobol' (default: {cal.DEFAULT_SAMPLES})",
    )
    p.add_argument(
        "--keep",
        type=_fraction,
        default=cal.DEFAULT_KEEP,
        metavar="FRACTION",
        help=f"fraction of closest sets kept as the posterior (default: {cal.DEFAULT_KEEP:g})",
    )
    p.add_argument(
        "--seeds",
        type=_positive_int,
        default=cal.DEFAULT_SEEDS,
        metavar="K",
        help=f"replicate seeds per set, common to all sets (default: {cal.DEFAULT_SEEDS})",
    )
    p.add_argument(
        "--years",
        type=_positive_int,
        default=cal.DEFAULT_YEARS,
        metavar="Y",
        help=f"simulated years per run (default: {cal.DEFAULT_YEARS})",
    )
    p.add_argument(
        "--funding",
        default=cal.DEFAULT_FUNDING,
        metavar="MODEL",
        help=f"funding model of every run, one of {', '.join(FUNDING_MODELS)} (default: {cal.DEFAULT_FUNDING})",
    )
    p.add_argument(
        "--prior-range",
        "--prior_range",
        dest="prior_range",
        type=_positive_float,
        default=cal.DEFAULT_PRIOR_RANGE,
        metavar="R",
        help=f"uniform prior: current value +-R x value, within the bounds (default: {cal.DEFAULT_PRIOR_RANGE:g})",
    )
    p.add_argument(
        "--prior",
        action="append",
        default=[],
        metavar="NAME=LO:HI",
        help="an explicit uniform prior for one fitted parameter (repeatable)",
    )
    p.add_argument(
        "--target",
        action="append",
        default=[],
        metavar="KEY=LO:HI",
        help="a target range of a summary metric (repeatable); if given, these replace the default targets",
    )
    p.add_argument(
        "--seed",
        type=_seed,
        default=cal.DEFAULT_SEED,
        metavar="N",
        help=f"base seed of the design and the replicate seeds (default: {cal.DEFAULT_SEED})",
    )
    p.add_argument("--workers", type=_positive_int, default=2, metavar="N", help="worker processes (default: 2)")
    p.add_argument(
        "--out",
        type=Path,
        default=None,
        metavar="DIR",
        help="folder to write into; must not exist or be empty (default: results/calibrate-<date>-<time>)",
    )
    _add_param_flags(p, exclude=("funding", "years"))


def _known_flags(parser: argparse.ArgumentParser) -> list[str]:
    flags = [s for a in parser._actions for s in a.option_strings if s.startswith("--")]
    return list(dict.fromkeys(flags))


def _unrecognised(parser: argparse.ArgumentParser, command: str | None, extras: list[str]) -> str:
    """One-line message for unknown arguments, suggesting the nearest known flag."""
    flags = [e for e in extras if e.startswith("-")]
    if not flags:
        return f"unrecognized arguments: {' '.join(extras)}"
    bad = flags[0].split("=", 1)[0]
    known = _known_flags(getattr(parser, "commands", {}).get(command, parser))
    # Suggest the dashed spelling: compare against it after normalising underscores.
    dashed = {f.replace("_", "-"): f for f in known}
    hint = difflib.get_close_matches(bad.replace("_", "-"), list(dashed), n=1, cutoff=0.6)
    where = f"{PROG} {command}" if command else PROG
    extra = f"; did you mean {hint[0]}?" if hint else f"; `{where} --help` lists the flags"
    return f"unrecognized argument {bad}{extra}"


def _check_command(parser: argparse.ArgumentParser, argv: Sequence[str]) -> None:
    """Reject an unknown command with a suggestion (the top level has no options with values)."""
    command = next((a for a in argv if not a.startswith("-")), None)
    commands = list(getattr(parser, "commands", {}))
    if command is None or command in commands or "--" in argv[: argv.index(command)]:
        return
    hint = difflib.get_close_matches(command, commands, n=1)
    extra = f"; did you mean {hint[0]}?" if hint else ""
    raise UsageError(f"unknown command {command!r}: choose from {', '.join(commands)}{extra}")


# --- output helpers ---------------------------------------------------------------------------


def _show_value(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:g}" if abs(value) < 1e6 else f"{value:,.0f}"
    return str(value)


def _fmt(value: float) -> str:
    """A summary value for a table: readable, not full precision (use --json for that)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "nan"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    if float(value).is_integer():
        return f"{value:.0f}"
    if abs(value) >= 100:
        return f"{value:.1f}"
    return f"{value:.3f}"


def _table(
    headers: Sequence[str],
    rows: Sequence[Sequence[str]],
    right: Sequence[bool],
    wrap: Mapping[int, int | None] | None = None,
    width: int | None = None,
) -> str:
    """An aligned text table.

    If ``width`` is given and the table is wider, the columns in ``wrap`` are narrowed
    and their cells wrapped onto several lines: a column with a cap gets at most that
    width, the others share what is left. No column gets narrower than its longest word.
    """
    wrap = dict(wrap or {})
    widths = [max(len(str(x)) for x in col) for col in zip(headers, *rows, strict=True)]
    gap = 2
    if width is not None and wrap and sum(widths) + gap * (len(widths) - 1) > width:
        floor = {i: max(len(word) for r in (headers, *rows) for word in [*str(r[i]).split(), ""]) for i in wrap}
        for i, cap in wrap.items():
            if cap is not None:
                widths[i] = max(floor[i], min(widths[i], cap))
        shared = [i for i, cap in wrap.items() if cap is None]
        used = sum(w for i, w in enumerate(widths) if i not in shared) + gap * (len(widths) - 1)
        spare = max(0, width - used - sum(floor[i] for i in shared))
        wanted = {i: widths[i] - floor[i] for i in shared}
        total = sum(wanted.values()) or 1
        for i in shared:
            widths[i] = min(widths[i], floor[i] + spare * wanted[i] // total)

    def lines(cells: Sequence[str]) -> list[str]:
        parts = [
            textwrap.wrap(str(c), w, break_on_hyphens=False) or [""] if i in wrap else [str(c)]
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ]
        out = []
        for k in range(max(map(len, parts))):
            row = [p[k] if k < len(p) else "" for p in parts]
            out.append(
                (" " * gap)
                .join(c.rjust(w) if r else c.ljust(w) for c, w, r in zip(row, widths, right, strict=True))
                .rstrip()
            )
        return out

    rule = (" " * gap).join("-" * w for w in widths)
    return "\n".join([*lines(headers), rule, *(ln for r in rows for ln in lines(r))])


def _output_width() -> int | None:
    """The terminal width when printing to a terminal; None (do not wrap) when piped."""
    try:
        return _terminal_width() if sys.stdout.isatty() else None
    except (AttributeError, ValueError):
        return None


def _years(n: int) -> str:
    return f"{n} year" if n == 1 else f"{n} years"


def _json_ready(summary: dict[str, float]) -> dict[str, float | None]:
    return {k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in summary.items()}


# --- commands ---------------------------------------------------------------------------------


def _cmd_run(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from .run import run

    sc = load_scenario(args.scenario, **_overrides(args))
    with tqdm(total=sc.years * 52, desc="run", unit="week", file=sys.stderr, disable=None, leave=False) as bar:
        result = run(sc, rng=args.seed, progress=bar.update)
    if args.json:
        print(json.dumps(_json_ready(result.summary), indent=2))
        return 0
    rows = [(k, _fmt(result.summary[k]), SUMMARY_KEYS[k][0]) for k in SUMMARY_KEYS]
    print(f"scenario {sc.name}, funding {sc.funding}, {_years(sc.years)}, seed {args.seed}\n")
    print(_table(("metric", "value", "unit"), rows, (False, True, False)))
    return 0


def _check_out(out: Path) -> None:
    if out.exists() and not (out.is_dir() and not any(out.iterdir())):
        raise UsageError(f"--out {out} already exists and is not an empty folder; results are never overwritten")


def _cmd_compare(args: argparse.Namespace, argv: Sequence[str]) -> int:
    from tqdm import tqdm

    from .io import atomic_dir, new_results_dir, provenance, sidecar_path, write_table
    from .plotting import DEFAULT_COMPARE_METRICS, panel_axes, plot_compare
    from .run import compare, median_table, replicate_seeds

    overrides = _overrides(args)
    if "funding" in overrides:
        raise UsageError("compare runs every funding model; --funding applies to `care-sim run`")
    sc = load_scenario(args.scenario, **overrides)
    if args.out is not None:
        _check_out(args.out)  # fail before minutes of simulation, not after
    seeds = replicate_seeds(args.seed, args.replicates)

    total = len(FUNDING_MODELS) * args.replicates
    with tqdm(total=total, desc="compare", unit="run", file=sys.stderr, disable=None, leave=False) as bar:
        runs = compare(sc, funding=FUNDING_MODELS, replicates=args.replicates, base_seed=args.seed, progress=bar.update)

    medians = median_table(runs)
    rows = [(k, *(_fmt(medians.at[k, m]) for m in medians.columns), SUMMARY_KEYS[k][0]) for k in SUMMARY_KEYS]
    print(
        f"scenario {sc.name}, {_years(sc.years)}, median of {args.replicates} replicate(s) per funding model "
        f"(base seed {args.seed})\n"
    )
    headers = ("metric", *medians.columns, "unit")
    print(_table(headers, rows, (False, *[True] * len(medians.columns), False)))

    prov = provenance(
        sc,
        seeds,
        command=[PROG, *argv],
        replicates=args.replicates,
        base_seed=args.seed,
        funding_models=list(FUNDING_MODELS),
        overrides=overrides,
    )
    created = args.out is None
    out = args.out or Path("results")
    try:
        out = new_results_dir() if created else args.out
        try:
            with atomic_dir(out) as tmp:
                write_table(runs, tmp / "runs.parquet", prov)
                axes = panel_axes(len(DEFAULT_COMPARE_METRICS), pyplot=False)
                plot_compare(runs, axes=axes)
                fig = axes[0].figure
                fig.suptitle(
                    f"care-sim {sc.name}: funding models over {_years(sc.years)}, "
                    f"median and 10%-90% band of {args.replicates} replicate(s)",
                    fontsize=11,
                )
                fig.savefig(tmp / "compare.png", dpi=120, bbox_inches="tight")
        except BaseException:
            if created:
                with contextlib.suppress(OSError):
                    out.rmdir()  # only if still empty: the folder we reserved
            raise
    except OSError as exc:
        raise OutputError(f"could not write results to {out}: {exc.strerror or exc}") from None
    print(f"\nwrote {out}/")
    for name in ("runs.parquet", sidecar_path("runs.parquet").name, "compare.png"):
        print(f"  {out / name}")
    return 0


def _cmd_scenarios(args: argparse.Namespace) -> int:
    names = list_scenarios()
    rows = [(n, scenario_description(n)) for n in names]
    print(_table(("scenario", "description"), rows, (False, False), wrap={1: None}, width=_output_width()))
    return 0


def _cmd_show(args: argparse.Namespace) -> int:
    sc = load_scenario(args.scenario)
    description = ""
    if args.scenario in list_scenarios():
        description = scenario_description(args.scenario)
    print(f"scenario {sc.name}" + (f": {description}" if description else ""))
    print("* = differs from the parameter table's default\n")
    rows = []
    for p in PARAMS:
        value = sc[p.name]
        mark = "*" if value != p.default else ""
        shown = _show_value(value) if value is not None else f"{_show_value(getattr(sc, p.name))} (derived)"
        rows.append((p.name + mark, shown, p.unit, p.bounds_text(), p.meaning, p.source))
    headers = ("parameter", "value", "unit", "bounds", "meaning", "source")
    right = (False, True, False, False, False, False)
    print(_table(headers, rows, right, wrap={2: 18, 3: 18, 4: None, 5: None}, width=_output_width()))
    return 0


def _cmd_baseline(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from . import baseline as bl

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

    from .params import FUNDING_MODELS

    total = len(list_scenarios()) * len(FUNDING_MODELS)
    with tqdm(total=total, desc="baseline", unit="run", file=sys.stderr, disable=None, leave=False) as bar:
        fresh = bl.compute_baseline(years=years, seed=seed, progress=bar.update)
    limit = None if args.limit == 0 else args.limit
    n = bl.count_metrics(fresh)
    settings = f"{len(fresh)} presets x {len(FUNDING_MODELS)} funding models, {_years(years)}, seed {seed}"

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
    _error(
        f"{len(diffs)} baseline value(s) differ; if the change is intended, review it and run `{bl.UPDATE_COMMAND}`",
        code=1,
    )
    return 1


def _split_names(text: str) -> list[str]:
    return [n.strip() for n in text.split(",") if n.strip()]


def _cmd_calibrate(args: argparse.Namespace, argv: Sequence[str]) -> int:
    import shlex

    from tqdm import tqdm

    from . import calibrate as cal
    from .io import atomic_dir, new_results_dir, provenance, sidecar_path, write_json, write_table

    # --funding and --years are the command's own flags, not scenario overrides.
    overrides = {k: v for k, v in _overrides(args).items() if k not in ("funding", "years")}
    params = _split_names(args.params)
    targets = [cal.parse_target(t) for t in args.target] if args.target else list(cal.DEFAULT_TARGETS)
    explicit = dict(cal.parse_prior(t) for t in args.prior)
    # Check everything before minutes of simulation.
    if args.funding not in FUNDING_MODELS:
        hint = difflib.get_close_matches(args.funding, FUNDING_MODELS, n=1)
        extra = f"; did you mean {hint[0]}?" if hint else ""
        raise UsageError(f"--funding {args.funding!r} is not one of {', '.join(FUNDING_MODELS)}{extra}")
    sc = load_scenario(args.scenario, **overrides, funding=args.funding, years=args.years)
    cal.priors(sc, cal.check_params(params), args.prior_range, explicit)
    if not cal.active_targets(targets, args.funding):
        raise UsageError(f"no target holds under {args.funding}; give targets with --target KEY=LO:HI")
    if args.out is not None:
        _check_out(args.out)

    total = args.samples * args.seeds + args.seeds
    with tqdm(total=total, desc="calibrate", unit="run", file=sys.stderr, disable=None, leave=False) as bar:
        res = cal.calibrate(
            sc,
            params=params,
            targets=targets,
            funding=args.funding,
            samples=args.samples,
            keep=args.keep,
            seeds=args.seeds,
            years=args.years,
            prior_range=args.prior_range,
            prior=explicit,
            seed=args.seed,
            workers=args.workers,
            progress=bar.update,
        )
    command = shlex.join([PROG, *argv])
    _print_calibration(res, sc.name)

    prov = provenance(sc, res.settings["seeds"], command=[PROG, *argv], calibration=res.settings)
    fit_doc = {
        "command": command,
        "argv": [PROG, *argv],
        "method": res.settings["method"],
        "scenario_name": sc.name,
        "funding": args.funding,
        "fitted": res.fitted,
        **res.fit.to_dict(),
        "settings": res.settings,
        "version": prov["version"],
        "git_commit": prov["git_commit"],
        "created_utc": prov["created_utc"],
    }
    created = args.out is None
    out = args.out or Path("results")
    try:
        out = new_results_dir(label="calibrate") if created else args.out
        try:
            with atomic_dir(out) as tmp:
                write_table(res.samples, tmp / "samples.parquet", prov)
                write_json(fit_doc, tmp / "fit.json")
        except BaseException:
            if created:
                with contextlib.suppress(OSError):
                    out.rmdir()
            raise
    except OSError as exc:
        raise OutputError(f"could not write results to {out}: {exc.strerror or exc}") from None
    print(f"\nwrote {out}/")
    for name in ("samples.parquet", sidecar_path("samples.parquet").name, "fit.json"):
        print(f"  {out / name}")
    return 0


def _print_calibration(res, scenario_name: str) -> None:
    from . import calibrate as cal

    s = res.settings
    print(
        f"calibration of {scenario_name} under {s['funding']}: rejection ABC, {s['samples']} sets "
        f"({s['design']}), {len(s['seeds'])} seed(s), {_years(s['years'])}, keep {s['keep']:g}\n"
    )
    width = _output_width()
    print(
        _table(
            cal.PARAM_HEADERS,
            cal.param_rows(res.fit),
            (False, True, True, True, True, True, False),
            wrap={6: 18},
            width=width,
        )
    )
    print()
    print(_table(cal.TARGET_HEADERS, cal.target_rows(res.fit), (False, True, True, True, False, True, True)))
    print("\n" + "\n".join(cal.quality_lines(res)))


# --- entry point ------------------------------------------------------------------------------


def _error(message: str, code: int = 2) -> int:
    text = " ".join(str(message).split())  # one line, always
    print(f"{PROG}: error: {text}", file=sys.stderr)
    return code


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``care-sim`` command line.

    Args:
        argv: the arguments without the program name; default ``sys.argv[1:]``.

    Returns:
        The exit code: 0 success, 2 bad input (one line on stderr), 1 output could not be
        written, 130 interrupted.
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    try:
        _check_command(parser, argv)
        try:
            args, extras = parser.parse_known_args(argv)
        except SystemExit as exc:  # --help, --version
            return exc.code if isinstance(exc.code, int) else 0
        if extras:
            raise UsageError(_unrecognised(parser, getattr(args, "command", None), extras))
        if args.command is None:
            raise UsageError(f"choose a command: {', '.join(parser.commands)} (`{PROG} --help` explains them)")
        if args.command == "run":
            return _cmd_run(args)
        if args.command == "compare":
            return _cmd_compare(args, argv)
        if args.command == "scenarios":
            return _cmd_scenarios(args)
        if args.command == "baseline":
            return _cmd_baseline(args)
        if args.command == "calibrate":
            return _cmd_calibrate(args, argv)
        return _cmd_show(args)
    except (UsageError, ScenarioError, CalibrationError) as exc:
        return _error(str(exc))
    except OutputError as exc:
        return _error(str(exc), code=1)
    except KeyboardInterrupt:  # the progress bar (leave=False) has cleared its line by now
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # e.g. `care-sim show default | head`
        with contextlib.suppress(OSError, ValueError, AttributeError):
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        return 1
    except OSError as exc:  # unreadable scenario file, full disk, no permission to write results
        where = f": {exc.filename}" if exc.filename else ""
        return _error(f"{exc.strerror or exc}{where}", code=1)


if __name__ == "__main__":
    raise SystemExit(main())
