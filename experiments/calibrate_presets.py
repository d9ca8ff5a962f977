"""Calibrate each shipped preset against its case's numbers and write docs/calibration_fit.md.

    python experiments/calibrate_presets.py                       # every preset, then the doc
    python experiments/calibrate_presets.py --presets default     # only the default town
    python experiments/calibrate_presets.py --doc-only            # rewrite the doc from the last runs

Each preset is fitted with ``care-sim calibrate`` (rejection ABC, see sim/calibrate.py),
run through the command line so that the doc can show the exact command. Runs are 10
years, the presets' own horizon. Results go to a new folder
``results/calibration_fit/<preset>-<date>-<time>/`` (``fit.json``, ``samples.parquet``,
``timing.json``); the doc is built from the newest folder of each preset, so presets can
be run one at a time. A preset without a run is listed with its command.

What each preset is fitted to:

- default: the calibration.md figures (clients, carers, spend, wait), provider survival and the
  first-year budget balance, six parameters, 3 seeds a set, under fee-for-service.
- alphen, noord_veluwe: no case figure for the number of clients, so the calibration.md
  figures that hold under the preset's own funding model (the spend and wait figures are
  fee-for-service figures and are left out); ``onset_per_year`` only.
- lelystad: about 1,200 clients on 80,000 inhabitants (cases.md), 15 per 1,000 +-10%;
  ``onset_per_year`` under its population budget.
- zaltbommel: 243 Wmo clients on 27,500 inhabitants (cases.md), 8.8 per 1,000 +-10%;
  ``onset_per_year`` under fee-for-service (its own).

The other presets inherit the default's carer, need and assessment parameters, so they
are fitted after the default, with the default's newest fitted values (rounded as shown
in the doc) passed as fixed flags, e.g. ``--carer-hours 27.5``. The doc says, per
preset and parameter, whether the preset's current value equals the fitted value (to
the 4 significant digits shown) and whether it lies in the 10%-90% interval; a rerun
after the fitted values were written into the presets shows "yes" (``--doc-only``
rebuilds the doc without running anything).
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import os
import shlex
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import sim
from sim import cli
from sim.calibrate import DEFAULT_PARAMS, TARGET_HEADERS, fmt_number, fmt_range, verdict
from sim.io import new_results_dir, write_json
from sim.params import PARAM_BY_NAME
from sim.targets import CALIBRATION_TARGETS, KPI_TARGET

REPO = Path(__file__).resolve().parents[1]
DOC = REPO / "docs" / "calibration_fit.md"
RESULTS = Path("results") / "calibration_fit"
#: The preset whose fitted values the other presets inherit.
BASE = "default"
YEARS = 10  # the presets' horizon (the `years` default)
COMMAND = "python experiments/calibrate_presets.py"


@dataclass
class Plan:
    """How one preset is calibrated."""

    preset: str
    params: tuple[str, ...]
    funding: str
    targets: tuple[str, ...] = ()  # KEY=LO:HI; empty: the default calibration.md targets
    samples: int = 64
    keep: float = 0.25
    seeds: int = 2
    years: int = YEARS
    why: str = ""
    not_run_note: str = ""
    extra: list[str] = field(default_factory=list)

    def argv(self, inherited: dict[str, float] | None = None) -> list[str]:
        """The ``care-sim calibrate`` arguments (without ``--out``); ``inherited`` values
        are passed as fixed ``--name value`` flags."""
        out = ["calibrate", "--scenario", self.preset, "--funding", self.funding, "--params", ",".join(self.params)]
        out += ["--samples", str(self.samples), "--keep", f"{self.keep:g}"]
        out += ["--seeds", str(self.seeds), "--years", str(self.years)]
        for t in self.targets:
            out += ["--target", t]
        for name, value in (inherited or {}).items():
            out += [f"--{name.replace('_', '-')}", f"{value:g}"]
        return out + self.extra


PLANS: dict[str, Plan] = {
    "default": Plan(
        "default",
        DEFAULT_PARAMS,
        "fee_for_service",
        samples=256,
        keep=0.1,
        seeds=3,
        why="the calibration.md figures, provider survival and the budget balance (docs/odd.md section 9)",
    ),
    "alphen": Plan(
        "alphen",
        ("onset_per_year", "kpi_measurement_sd"),
        "lump_sum",
        targets=tuple(
            f"{t.key}={t.lo:g}:{t.hi:g}" for t in (*CALIBRATION_TARGETS, KPI_TARGET) if t.funding in (None, "lump_sum")
        ),
        why="no case figure for clients; the calibration.md figures that hold under a lump sum, and the KPI:"
        " 75% of clients improved or stable after six months, a target the consortium meets",
    ),
    "lelystad": Plan(
        "lelystad",
        ("onset_per_year",),
        "population_budget",
        targets=("clients_per_1000_inhabitants=13.5:16.5",),
        why="cases.md: about 1,200 clients on 80,000 inhabitants (15 per 1,000 +-10%)",
    ),
    "noord_veluwe": Plan(
        "noord_veluwe",
        ("onset_per_year",),
        "subsidy",
        why="no case figure for clients; the calibration.md figures that hold under a subsidy",
        not_run_note="the largest preset, 230,000 inhabitants: about 5 s a run, 6 min with these settings on 2 cores",
    ),
    "zaltbommel": Plan(
        "zaltbommel",
        ("onset_per_year",),
        "fee_for_service",
        targets=("clients_per_1000_inhabitants=7.92:9.68",),
        why="cases.md: 243 Wmo clients on 27,500 inhabitants (8.8 per 1,000 +-10%)",
    ),
}


def rounded(x: float) -> float:
    """A fitted value as it is shown and to be written into a preset: 4 significant digits."""
    return float(f"{x:.4g}") if math.isfinite(x) else x


def in_toml(preset: str, name: str) -> bool:
    """Whether the preset's TOML file sets ``name`` itself."""
    toml = REPO / "sim" / "scenarios" / f"{preset}.toml"
    text = toml.read_text(encoding="utf-8") if toml.exists() else ""
    return any(line.split("=")[0].strip() == name for line in text.splitlines() if "=" in line)


def where_set(preset: str, name: str) -> str:
    """Where a preset's value of ``name`` lives (or is to be written)."""
    if preset == BASE:
        return "sim/params.py default"
    if in_toml(preset, name):
        return f"sim/scenarios/{preset}.toml"
    return f"sim/scenarios/{preset}.toml (not set there: now the sim/params.py default)"


def inherited(plan: Plan) -> dict[str, float]:
    """The base preset's newest fitted values that ``plan``'s preset inherits (does not set
    itself and does not fit): passed as fixed flags. Empty for the base or without its fit."""
    if plan.preset == BASE:
        return {}
    found = latest_fit(BASE)
    if found is None:
        return {}
    base_sc, sc = sim.load_scenario(BASE), sim.load_scenario(plan.preset)
    return {
        name: rounded(p["median"])
        for name, p in found[0]["params"].items()
        if name not in plan.params and sc[name] == base_sc[name] and not in_toml(plan.preset, name)
    }


def run_preset(plan: Plan) -> Path:
    """Run one preset's calibration through the command line; return its result folder."""
    out = new_results_dir(RESULTS, label=plan.preset)
    argv = [*plan.argv(inherited(plan)), "--out", str(out)]
    print(f"\n$ care-sim {shlex.join(argv)}", file=sys.stderr)
    start = time.perf_counter()
    code = cli.main(argv)
    seconds = time.perf_counter() - start
    if code != 0:
        raise SystemExit(f"calibration of {plan.preset} failed with exit code {code}")
    write_json({"seconds": round(seconds, 1)}, out / "timing.json")
    return out


def latest_fit(preset: str) -> tuple[dict, float | None] | None:
    """The newest fit.json of a preset and its run time in seconds, or None."""
    folders = sorted(RESULTS.glob(f"{preset}-*"), key=lambda p: p.name)
    folders = [f for f in folders if (f / "fit.json").exists() and f.name[len(preset) + 1 :][:1].isdigit()]
    if not folders:
        return None
    folder = folders[-1]
    fit = json.loads((folder / "fit.json").read_text(encoding="utf-8"))
    timing = folder / "timing.json"
    seconds = json.loads(timing.read_text())["seconds"] if timing.exists() else None
    return fit, seconds


def fixed_flags(argv: list[str]) -> dict[str, str]:
    """The model-parameter flags of a ``care-sim calibrate`` command line: ``{name: value}``."""
    own = {"scenario", "funding", "params", "years"}
    out = {}
    for flag, value in itertools.pairwise(argv):
        name = flag.removeprefix("--").replace("-", "_")
        if flag.startswith("--") and name in PARAM_BY_NAME and name not in own:
            out[name] = value
    return out


def _short(commit: str) -> str:
    """A 12-digit commit hash, keeping the ``-dirty`` mark of uncommitted changes."""
    return commit[:12] + ("-dirty" if commit.endswith("-dirty") else "")


def md_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> list[str]:
    """A Markdown table: a header row, a rule, a row per item (pipes in cells escaped)."""
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(str(c).replace("|", "\\|") for c in row) + " |" for row in rows]
    return lines


def _yes(flag: bool) -> str:
    return "yes" if flag else "**no**"


@dataclass
class Agreement:
    """A preset's current value of one fitted parameter against the fit."""

    name: str
    now: float
    fitted: float  # the posterior median, rounded as shown
    lo: float
    hi: float
    where: str

    @property
    def equal(self) -> bool:
        """The preset holds the fitted value (to the 4 significant digits shown)."""
        return rounded(self.now) == self.fitted

    @property
    def inside(self) -> bool:
        """The preset's value lies in the posterior 10%-90% interval."""
        return self.lo <= self.now <= self.hi


def agreements(preset: str, fit: dict) -> list[Agreement]:
    """Each fitted parameter: the preset's value now against the fitted one."""
    sc = sim.load_scenario(preset)
    return [
        Agreement(name, float(sc[name]), rounded(p["median"]), p["lo"], p["hi"], where_set(preset, name))
        for name, p in fit["params"].items()
    ]


PARAM_TABLE = (
    "parameter",
    "value at fit time",
    "prior",
    "fitted (median)",
    "10%-90%",
    "shrinkage",
    "unit",
    "preset now",
    "preset = fitted",
    "preset in 10%-90%",
)


def preset_section(plan: Plan, found: tuple[dict, float | None] | None) -> list[str]:
    """The Markdown section of one preset."""
    lines = [f"## {plan.preset}", "", f"Fitted to: {plan.why}."]
    if found is None:
        command = "care-sim " + shlex.join(plan.argv(inherited(plan)))
        note = f" ({plan.not_run_note})" if plan.not_run_note else ""
        lines += ["", f"**Not run yet**{note}. Command:", "", "```bash", command, "```", ""]
        return lines
    fit, seconds = found
    s = fit["settings"]
    took = f", took {seconds / 60:.1f} min on 2 worker processes" if seconds is not None else ""
    fixed = fixed_flags(fit["argv"])
    lines += [
        "",
        "```bash",
        fit["command"],
        "```",
        "",
        f"Settings: {s['samples']} sets ({s['design']}), keep {s['keep']:g} ({fit['kept']} sets), "
        f"{len(s['seeds'])} seed(s) {s['seeds']}, {s['years']} years, funding `{s['funding']}`{took}. "
        f"sim {fit['version']}, git {_short(fit['git_commit'])}, {fit['created_utc']}.",
    ]
    if fixed:
        lines.append("Fixed (the default's fitted values): " + ", ".join(f"`{k}` {v}" for k, v in fixed.items()) + ".")
    lines += [
        "",
        "Fitted values (posterior median and 10%-90% interval) and the preset's value now:",
        "",
    ]
    agree = {a.name: a for a in agreements(plan.preset, fit)}
    prow = [
        (
            f"`{p['name']}`",
            fmt_number(p["current"]),
            fmt_range(*p["prior"]),
            f"**{fmt_number(p['median'])}**",
            fmt_range(p["lo"], p["hi"]),
            f"{p['shrinkage']:.2f}",
            p["unit"],
            fmt_number(agree[p["name"]].now),
            _yes(agree[p["name"]].equal),
            _yes(agree[p["name"]].inside),
        )
        for p in fit["params"].values()
    ]
    lines += md_table(PARAM_TABLE, prow)
    lines += ["", "Targets at the fitted values (mean over the seeds) and remaining error:", ""]
    trow = [
        (
            f"`{t['key']}`",
            fmt_range(t["lo"], t["hi"]),
            fmt_number(t["value"] if t["value"] is not None else float("nan")),
            fmt_range(t["posterior_lo"], t["posterior_hi"]),
            "yes" if t["inside"] else "**NO**",
            f"{t['error']:.1%}" if t["error"] is not None else "inf",
            f"{t['z']:+.2f}" if t["z"] is not None else "inf",
        )
        for t in fit["targets"].values()
    ]
    lines += md_table(TARGET_HEADERS, trow)
    quality = verdict(fit["targets_met"], len(fit["targets"]))
    lines += [
        "",
        f"Fit quality: {quality}; distance at the fitted values {fit['distance_at_fit']:.2f} "
        f"(RMS of z); posterior tolerance {fit['tolerance']:.2f}, best set {fit['best_distance']:.2f}; "
        f"{fit['kept_inside_all_share']:.0%} of the kept sets meet every target.",
    ]
    loose = [f"`{p['name']}`" for p in fit["params"].values() if p["shrinkage"] > 0.9]
    if loose:
        lines.append(
            f"Not pinned down by these targets (shrinkage above 0.9): {', '.join(loose)}; its interval is "
            "about the prior's, and its fitted value is only as good as the prior's centre."
        )
    if fit.get("skipped_targets"):
        lines.append(
            "Left out (figures that hold under fee-for-service only): "
            + ", ".join(f"`{k}`" for k in fit["skipped_targets"])
            + "."
        )
    lines.append("")
    return lines


HEADER = f"""# Calibration fit of the presets

Generated by `{COMMAND}`; do not edit by hand (`--doc-only` rebuilds it from
the newest runs under `results/calibration_fit/`). Each section shows the exact
`care-sim calibrate` command, the fitted values and the error left per target. The method
(sim/calibrate.py): rejection approximate Bayesian computation. Uniform priors (each
parameter's current value +-50%, within its bounds in the parameter table); a scrambled
Sobol' design (Latin hypercube when the number of sets is not a power of 2); every set
run on the same seeds (common random numbers), its summary the mean over the seeds;
distance the root mean square over targets of `z = (value - middle of the range) /
half-width`, so `|z| <= 1` is inside a range; the closest `keep` fraction is the
posterior. Fitted value: posterior median; uncertainty: 10%-90% posterior interval. The
targets are then checked by running the fitted values once more on the same seeds:
"error" is 0 inside the range, else the relative distance to its nearest end. Shrinkage
is the posterior 10%-90% width over the prior's; near 1 the targets do not pin the
parameter down.

Runs are {YEARS} years, the presets' horizon, with 3 seeds a set for the default and 2 for
the presets; the posterior reflects that seed noise. **Adopting a fit:** the fitted
medians replace a preset's values only when they meet at least as many targets as the
values in place (stated before the refit of issue #11); otherwise the values stay and
the fit is reported as it came out. The default town is fitted first; the other presets inherit
its carer, need and assessment parameters, so their fits fix those at the default's
fitted values (the flags at the end of their commands). Zaltbommel's 243 clients include
49 with a personal budget; the target counts them all as clients in care, as the
preset's `onset_per_year` comment does.

**Do the presets hold the fitted values?** "preset now" is the value in the preset
today (`care-sim show NAME`); "preset = fitted" compares it with the fitted median to
the 4 significant digits shown, "preset in 10%-90%" with the posterior interval. A
refit after the values were written into the presets draws a new design around them, so
its median moves within the seed noise; the interval column is the check that survives
a refit.

The numbers are a snapshot of the model at the git commit shown in each section
(`-dirty`: with uncommitted changes); rerun after the model changes.
"""


def write_doc(plans: list[Plan]) -> Path:
    """Write docs/calibration_fit.md from the newest result folder of each preset."""
    summary = [
        "| preset | run | fitted: median (10%-90%) | targets met | preset = fitted | where the value lives |",
        "|---|---|---|---|---|---|",
    ]
    sections: list[str] = []
    for plan in plans:
        found = latest_fit(plan.preset)
        sections += preset_section(plan, found)
        if found is None:
            summary.append(f"| {plan.preset} | not run | - | - | - | - |")
            continue
        fit, _ = found
        s = fit["settings"]
        fitted = ", ".join(
            f"`{p['name']}` {fmt_number(p['median'])} ({fmt_number(p['lo'])}-{fmt_number(p['hi'])})"
            for p in fit["params"].values()
        )
        agree = agreements(plan.preset, fit)
        same = ", ".join(f"`{a.name}` {'yes' if a.equal else f'**no** (now {fmt_number(a.now)})'}" for a in agree)
        where = ", ".join(sorted({a.where for a in agree}))
        run = f"{s['samples']} sets x {len(s['seeds'])} seeds x {s['years']} y"
        summary.append(
            f"| {plan.preset} | {run} | {fitted} | {fit['targets_met']} of {len(fit['targets'])} | {same} | {where} |"
        )
    text = "\n".join([HEADER, *summary, "", *sections]).rstrip() + "\n"
    DOC.write_text(text, encoding="utf-8")
    return DOC


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--presets", default=",".join(PLANS), help="comma-separated presets to run (default: all)")
    ap.add_argument("--doc-only", action="store_true", help="only rewrite the doc from the last runs")
    ap.add_argument("--samples", type=int, default=None, help="override the sets per preset")
    ap.add_argument("--seeds", type=int, default=None, help="override the seeds per set")
    ap.add_argument("--years", type=int, default=None, help=f"override the years per run (default {YEARS})")
    args = ap.parse_args(argv)
    os.chdir(REPO)  # result folders, and so the --out of the commands in the doc, are relative to the repo
    names = [n.strip() for n in args.presets.split(",") if n.strip()]
    unknown = [n for n in names if n not in PLANS]
    if unknown:
        ap.error(f"unknown preset(s) {unknown}; choose from {', '.join(PLANS)}")
    for attr in ("samples", "seeds", "years"):
        value = getattr(args, attr)
        if value is not None and value < 1:
            ap.error(f"--{attr} {value} must be at least 1")
    missing = [n for n in sim.list_scenarios() if n not in PLANS]
    if missing:
        print(f"note: presets without a calibration plan: {missing}", file=sys.stderr)
    if not args.doc_only:
        # the base first: the others inherit its fitted values
        for name in sorted(names, key=lambda n: n != BASE):
            plan = PLANS[name]
            for attr in ("samples", "seeds", "years"):
                if getattr(args, attr) is not None:
                    setattr(plan, attr, getattr(args, attr))
            run_preset(plan)
    path = write_doc(list(PLANS.values()))
    print(f"updated {path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
