"""Calibrate each shipped preset against its case's numbers and write docs/calibration_fit.md.

    python experiments/calibrate_presets.py                       # every preset, then the doc
    python experiments/calibrate_presets.py --presets default     # only the default town
    python experiments/calibrate_presets.py --doc-only            # rewrite the doc from the last runs

Each preset is fitted with ``care-sim calibrate`` (rejection ABC, see sim/calibrate.py),
run through the command line so that the doc can show the exact command. Results go to a
new folder ``results/calibration_fit/<preset>-<date>-<time>/`` (``fit.json``,
``samples.parquet``); the doc is built from the newest folder of each preset, so presets
can be run one at a time. A preset without a run is listed with its command.

What each preset is fitted to:

- default: the five calibration.md figures, five parameters, under fee-for-service.
- alphen, noord_veluwe: no case figure for the number of clients, so the calibration.md
  figures that hold under the preset's own funding model (the spend and wait figures are
  fee-for-service figures and are left out); ``onset_per_year`` only.
- lelystad: about 1,200 clients on 80,000 inhabitants (cases.md), 15 per 1,000 +-10%;
  ``onset_per_year`` under its population budget.
- zaltbommel: 243 Wmo clients on 27,500 inhabitants (cases.md), 8.8 per 1,000 +-10%;
  ``onset_per_year`` under fee-for-service (its own).
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import sim
from sim import cli
from sim.calibrate import DEFAULT_PARAMS, PARAM_HEADERS, TARGET_HEADERS, fmt_number, fmt_range, verdict
from sim.io import new_results_dir, write_json

REPO = Path(__file__).resolve().parents[1]
DOC = REPO / "docs" / "calibration_fit.md"
RESULTS = Path("results") / "calibration_fit"


@dataclass
class Plan:
    """How one preset is calibrated."""

    preset: str
    params: tuple[str, ...]
    funding: str
    targets: tuple[str, ...] = ()  # KEY=LO:HI; empty: the default calibration.md targets
    samples: int = 32
    keep: float = 0.25
    seeds: int = 2
    years: int = 5
    why: str = ""
    not_run_note: str = ""
    extra: list[str] = field(default_factory=list)

    def argv(self) -> list[str]:
        """The ``care-sim calibrate`` arguments (without ``--out``)."""
        out = ["calibrate", "--scenario", self.preset, "--funding", self.funding, "--params", ",".join(self.params)]
        out += ["--samples", str(self.samples), "--keep", f"{self.keep:g}"]
        out += ["--seeds", str(self.seeds), "--years", str(self.years)]
        for t in self.targets:
            out += ["--target", t]
        return out + self.extra


PLANS: dict[str, Plan] = {
    "default": Plan(
        "default",
        DEFAULT_PARAMS,
        "fee_for_service",
        samples=256,
        keep=0.1,
        why="the five calibration.md figures (docs/odd.md section 9)",
    ),
    "alphen": Plan(
        "alphen",
        ("onset_per_year",),
        "lump_sum",
        why="no case figure for clients; the calibration.md figures that hold under a lump sum",
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
        not_run_note="the largest preset, 230,000 inhabitants: about 5-6 min with these settings on 2 cores",
    ),
    "zaltbommel": Plan(
        "zaltbommel",
        ("onset_per_year",),
        "fee_for_service",
        targets=("clients_per_1000_inhabitants=7.92:9.68",),
        why="cases.md: 243 Wmo clients on 27,500 inhabitants (8.8 per 1,000 +-10%)",
    ),
}


def run_preset(plan: Plan) -> Path:
    """Run one preset's calibration through the command line; return its result folder."""
    out = new_results_dir(RESULTS, label=plan.preset)
    argv = [*plan.argv(), "--out", str(out)]
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


def _short(commit: str) -> str:
    """A 12-digit commit hash, keeping the ``-dirty`` mark of uncommitted changes."""
    return commit[:12] + ("-dirty" if commit.endswith("-dirty") else "")


def _md_table(headers: tuple[str, ...], rows: list[tuple[str, ...]]) -> list[str]:
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(c.replace("|", "\\|") for c in row) + " |" for row in rows]
    return lines


def preset_section(plan: Plan, found: tuple[dict, float | None] | None) -> list[str]:
    """The Markdown section of one preset."""
    lines = [f"## {plan.preset}", "", f"Fitted to: {plan.why}."]
    if found is None:
        command = "care-sim " + shlex.join(plan.argv())
        note = f" ({plan.not_run_note})" if plan.not_run_note else ""
        lines += ["", f"**Not run yet**{note}. Command:", "", "```bash", command, "```", ""]
        return lines
    fit, seconds = found
    s = fit["settings"]
    took = f", took {seconds / 60:.1f} min on 2 worker processes" if seconds is not None else ""
    lines += [
        "",
        "```bash",
        fit["command"],
        "```",
        "",
        f"Settings: {s['samples']} sets ({s['design']}), keep {s['keep']:g} ({fit['kept']} sets), "
        f"{len(s['seeds'])} seed(s) {s['seeds']}, {s['years']} years, funding `{s['funding']}`{took}. "
        f"sim {fit['version']}, git {_short(fit['git_commit'])}, {fit['created_utc']}.",
        "",
        "Fitted values (posterior median and 10%-90% interval):",
        "",
    ]
    prow = [
        (
            f"`{p['name']}`",
            fmt_number(p["current"]),
            fmt_range(*p["prior"]),
            f"**{fmt_number(p['median'])}**",
            fmt_range(p["lo"], p["hi"]),
            f"{p['shrinkage']:.2f}",
            p["unit"],
        )
        for p in fit["params"].values()
    ]
    lines += _md_table(PARAM_HEADERS, prow)
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
    lines += _md_table(TARGET_HEADERS, trow)
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


HEADER = """# Calibration fit of the presets

Generated by `python experiments/calibrate_presets.py`; do not edit by hand. Each
section shows the exact `care-sim calibrate` command, the fitted values and the error
left per target. The method (sim/calibrate.py): rejection approximate Bayesian
computation. Uniform priors (each parameter's current value +-50%, within its bounds in
the parameter table); a scrambled Sobol' design (Latin hypercube when the number of sets
is not a power of 2); every set run on the same seeds (common random numbers), its
summary the mean over the seeds; distance the root mean square over targets of
`z = (value - middle of the range) / half-width`, so `|z| <= 1` is inside a range; the
closest `keep` fraction is the posterior. Fitted value: posterior median; uncertainty:
10%-90% posterior interval. The targets are then checked by running the fitted values
once more on the same seeds: "error" is 0 inside the range, else the relative distance
to its nearest end. Shrinkage is the posterior 10%-90% width over the prior's; near 1
the targets do not pin the parameter down.

Caveats: runs are 5 years (the presets run 10) with 2 seeds, to keep the cost down, so
the fitted values are for that horizon; the posterior reflects the seed noise of 2
seeds. The fits are not written back into the scenarios: that is a separate, reviewed
change. Zaltbommel's 243 clients include 49 with a personal budget; the target counts
them all as clients in care, as the preset's `onset_per_year` comment does.

The numbers are a snapshot of the model at the git commit shown in each section
(`-dirty`: with uncommitted changes); rerun after the model changes. Which presets were
run, and with which settings, is stated in each section.
"""


def write_doc(plans: list[Plan]) -> Path:
    """Write docs/calibration_fit.md from the newest result folder of each preset."""
    lines = [HEADER]
    summary = ["| preset | run | fitted | targets met |", "|---|---|---|---|"]
    sections: list[str] = []
    for plan in plans:
        found = latest_fit(plan.preset)
        sections += preset_section(plan, found)
        if found is None:
            summary.append(f"| {plan.preset} | not run | - | - |")
            continue
        fit, _ = found
        s = fit["settings"]
        fitted = ", ".join(
            f"`{p['name']}` {fmt_number(p['median'])} ({fmt_number(p['lo'])}-{fmt_number(p['hi'])})"
            for p in fit["params"].values()
        )
        run = f"{s['samples']} sets x {len(s['seeds'])} seeds x {s['years']} y"
        summary.append(f"| {plan.preset} | {run} | {fitted} | {fit['targets_met']} of {len(fit['targets'])} |")
    text = "\n".join([*lines, *summary, "", *sections]).rstrip() + "\n"
    DOC.write_text(text, encoding="utf-8")
    return DOC


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--presets", default=",".join(PLANS), help="comma-separated presets to run (default: all)")
    ap.add_argument("--doc-only", action="store_true", help="only rewrite the doc from the last runs")
    ap.add_argument("--samples", type=int, default=None, help="override the sets per preset")
    ap.add_argument("--seeds", type=int, default=None, help="override the seeds per set")
    ap.add_argument("--years", type=int, default=None, help="override the years per run")
    args = ap.parse_args(argv)
    os.chdir(REPO)  # result folders, and so the --out of the commands in the doc, are relative to the repo
    names = [n.strip() for n in args.presets.split(",") if n.strip()]
    unknown = [n for n in names if n not in PLANS]
    if unknown:
        ap.error(f"unknown preset(s) {unknown}; choose from {', '.join(PLANS)}")
    missing = [n for n in sim.list_scenarios() if n not in PLANS]
    if missing:
        print(f"note: presets without a calibration plan: {missing}", file=sys.stderr)
    if not args.doc_only:
        for name in names:
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
