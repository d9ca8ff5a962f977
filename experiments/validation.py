"""Regenerate docs/validation.md and its figures: why believe the model.

    python experiments/validation.py                # everything (about 10 min on 2 cores)
    python experiments/validation.py --quick        # 3 seeds, shorter runs: a smoke run, marked in the doc
    python experiments/validation.py --doc-only     # rebuild the doc and figures from the newest saved runs
    python experiments/validation.py --recalibrate  # first rerun experiments/calibrate_presets.py (~20 min)

What it runs, all on the common seeds ``sim.replicate_seeds(sim.BASE_SEED, n)`` in a pool of
2 worker processes:

1. **Case mechanisms**: every comparison of ``experiments/mechanisms.py`` (one per
   test of ``tests/test_mechanisms.py``, two where a test checks two mechanisms or
   metrics; same town, arms, metric and limit as the test), 5 years as in the tests.
   Table: value off and on (median, 10%-90%), the paired difference, and the difference
   at the vanishing limit.
2. **Stylised facts**: the ``default`` town under every funding model for 10 years,
   plus need growth and a fee-for-service arm without the assessment queue; the
   incentive core in isolation from ``experiments/evidence.py``. Each fact from the
   case articles and the incentive literature gets the model's numbers and a verdict.
3. **Calibration**: the calibration.md targets, provider survival and the budget balance
   at the default (fee-for-service runs of step 2), and the preset fits of ``experiments/calibrate_presets.py`` (the
   saved runs; ``--recalibrate`` reruns them). docs/calibration_fit.md is rebuilt too.

Writes ``docs/validation.md``, ``docs/figures/validation_mechanisms.png``,
``docs/figures/validation_facts.png`` and ``docs/figures/evidence.png``, and keeps every
run's summary in ``results/validation-<date>-<time>/runs.parquet`` (provenance in
``runs.json``) for ``--doc-only``.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import sys
import textwrap
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

import sim
from sim.calibrate import DEFAULT_TARGETS, fmt_number, worker_pool
from sim.io import atomic_dir, new_results_dir, provenance, read_provenance, write_table
from sim.plotting import panel_axes, plot_compare

sys.path.insert(0, str(Path(__file__).resolve().parent))
import calibrate_presets
import evidence
import robustness
from calibrate_presets import md_table
from mechanisms import CASES, MECHANISMS, Mechanism, arm_key, overrides_text

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "validation.md"
FIGURES = ROOT / "docs" / "figures"
FIG_MECHANISMS = FIGURES / "validation_mechanisms.png"
FIG_FACTS = FIGURES / "validation_facts.png"
RESULTS = ROOT / "results"
COMMAND = "python experiments/validation.py"
BASE_SEED = sim.BASE_SEED
SEEDS = 10  # as tests/conftest.py
MECHANISM_YEARS = 5  # as tests/test_mechanisms.py
FACT_YEARS = 10  # the presets' horizon
QUICK = {"seeds": 3, "mechanism_years": 3, "fact_years": 3}
#: Where a limit's effect counts as vanished: at most this share of the mechanism's effect.
VANISH = 0.25
FACT_METRICS = (
    "formal_to_optimum_ratio",
    "formal_hours_per_client_week",
    "group_share",
    "volunteer_hours_per_client_week",
    "unmet_need_share",
    "unreached_share",
    "mean_wait_weeks",
    "overrun_share",
    "admin_cost_share",
)


# --- running ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Arm:
    """One set of runs: a scenario with overrides over the seeds."""

    part: str  # "mechanisms" or "facts"
    scenario: str
    overrides: tuple[tuple[str, Any], ...]
    years: int

    @property
    def key(self) -> str:
        return json.dumps([self.part, self.scenario, dict(self.overrides), self.years], sort_keys=True)


def _summary(job: tuple[str, dict[str, Any], int]) -> dict[str, float]:
    scenario, overrides, seed = job
    return sim.run(scenario, rng=seed, **overrides).summary


def fact_arms() -> dict[str, dict[str, Any]]:
    """The arms of the stylised facts: every funding model, need growth, no queue, and the
    blend at the incentive core's best share."""
    arms: dict[str, dict[str, Any]] = {f: {"funding": f} for f in sim.FUNDING}
    for f in ("fee_for_service", "lump_sum"):
        for g in (0.0, 0.06):
            arms[f"{f}_growth_{g:g}"] = {"funding": f, "need_growth_per_year": g}
    arms["fee_for_service_no_queue"] = {"funding": "fee_for_service", "assessment_queue": False}
    arms["blended_best"] = {"funding": "blended", "blend_ffs_share": best_blend_share()}
    return arms


@functools.cache
def best_blend_share() -> float:
    """The blend share at which the incentive core deviates least (experiments/evidence.py), rounded."""
    return round(evidence.compute_evidence().best_share, 2)


def runs_default(name: str) -> Any:
    """A parameter's value in the ``default`` scenario."""
    return sim.load_scenario("default")[name]


def plan_arms(mechanism_years: int, fact_years: int) -> list[Arm]:
    """Every distinct arm of the mechanisms and the facts."""
    out: dict[str, Arm] = {}
    for m in MECHANISMS:
        for overrides in m.arms.values():
            arm = Arm("mechanisms", m.scenario, arm_key(m.scenario, overrides)[1], mechanism_years)
            out.setdefault(arm.key, arm)
    for overrides in fact_arms().values():
        arm = Arm("facts", "default", tuple(sorted(overrides.items())), fact_years)
        out.setdefault(arm.key, arm)
    return list(out.values())


def run_all(arms: Sequence[Arm], seeds: Sequence[int], workers: int = 2) -> pd.DataFrame:
    """Run every arm on every seed in a pool; a long table, a row per run."""
    from tqdm import tqdm

    jobs = [(a, i, s) for a in arms for i, s in enumerate(seeds)]
    payload = [(a.scenario, {**dict(a.overrides), "years": a.years}, s) for a, _, s in jobs]
    with (
        worker_pool(workers) as pool,
        tqdm(total=len(jobs), desc="validation", unit="run", file=sys.stderr) as bar,
    ):
        if pool is None:
            summaries = []
            for p in payload:
                summaries.append(_summary(p))
                bar.update()
        else:
            summaries = []
            for s in pool.map(_summary, payload, chunksize=4):
                summaries.append(s)
                bar.update()
    rows = [
        {"part": a.part, "arm": a.key, "scenario": a.scenario, "years": a.years, "replicate": i, "seed": s, **summ}
        for (a, i, s), summ in zip(jobs, summaries, strict=True)
    ]
    return pd.DataFrame(rows)


def save_runs(runs: pd.DataFrame, seeds: Sequence[int], mode: str) -> Path:
    """Write the runs with their provenance into a new results folder."""
    out = new_results_dir(RESULTS, label="validation")
    prov = provenance("default", list(seeds), mode=mode, command=COMMAND)
    with atomic_dir(out) as tmp:
        write_table(runs, tmp / "runs.parquet", prov)
    return out


def latest_runs() -> tuple[pd.DataFrame, dict, Path]:
    """The newest saved runs, their provenance and folder.

    Raises:
        SystemExit: no saved runs (run without --doc-only first).
    """
    folders = sorted(p for p in RESULTS.glob("validation-*") if (p / "runs.parquet").exists())
    if not folders:
        raise SystemExit(f"no saved runs under {RESULTS}/validation-*; run `{COMMAND}` without --doc-only first")
    path = folders[-1] / "runs.parquet"
    return pd.read_parquet(path), read_provenance(path), folders[-1]


class Runs:
    """Lookup of the summaries of an arm, ordered by replicate."""

    def __init__(self, runs: pd.DataFrame, mechanism_years: int, fact_years: int):
        self.runs = runs
        self.groups = {k: g.sort_values("replicate") for k, g in runs.groupby("arm", sort=False)}
        self.mechanism_years, self.fact_years = mechanism_years, fact_years

    def arm(self, part: str, overrides: dict[str, Any], scenario: str = "default") -> pd.DataFrame:
        years = self.mechanism_years if part == "mechanisms" else self.fact_years
        key = Arm(part, scenario, arm_key(scenario, overrides)[1], years).key
        if key not in self.groups:
            raise SystemExit(f"the saved runs have no arm {key}; rerun `{COMMAND}` (the definitions changed)")
        return self.groups[key]

    def values(self, part: str, overrides: dict[str, Any], metric: str) -> np.ndarray:
        return self.arm(part, overrides)[metric].to_numpy(dtype=float)

    def fact(self, name: str, metric: str) -> np.ndarray:
        return self.values("facts", fact_arms()[name], metric)


# --- numbers ------------------------------------------------------------------------------------


def band(x: np.ndarray) -> tuple[float, float, float]:
    """Median and 10%-90% range over seeds."""
    lo, med, hi = np.percentile(x, [10, 50, 90])
    return float(med), float(lo), float(hi)


def fmt_band(x: np.ndarray) -> str:
    med, lo, hi = band(x)
    return f"{fmt_number(med)} ({fmt_number(lo)}-{fmt_number(hi)})"


def med(x: np.ndarray) -> float:
    return float(np.median(x))


@dataclass
class MechanismResult:
    """The figures of one mechanism row."""

    m: Mechanism
    off: np.ndarray
    on: np.ndarray
    diff: np.ndarray  # on - off per seed
    identical: bool  # every seed's whole summary equal between off and on
    limit_diff: np.ndarray | None
    limit_identical: bool | None
    steps: list[float]  # medians along off, steps, on

    @property
    def in_direction(self) -> int:
        """Seeds whose difference has the expected sign (or is 0 for "equal")."""
        sign = {"higher": 1, "lower": -1, "equal": 0}[self.m.expect]
        return int(np.sum(self.diff == 0)) if sign == 0 else int(np.sum(np.sign(self.diff) == sign))

    @property
    def effect_shown(self) -> bool:
        if self.m.expect == "equal":
            return self.identical
        d = self.stat(self.diff)
        return d > 0 if self.m.expect == "higher" else d < 0

    def stat(self, x: np.ndarray) -> float:
        """The row's statistic over seeds: the total for rare counts, else the median."""
        return float(np.sum(x)) if self.m.total else med(x)

    def cell(self, x: np.ndarray) -> str:
        """A value over seeds for the table: median (10%-90%), or the total for rare counts."""
        return f"{fmt_number(float(np.sum(x)))} in total over {len(x)} seeds" if self.m.total else fmt_band(x)

    @property
    def monotone(self) -> bool | None:
        if len(self.steps) < 3:
            return None
        d = np.diff(self.steps)
        return bool(np.all(d > 0) if self.m.expect == "higher" else np.all(d < 0))

    @property
    def limit_verdict(self) -> str:
        """identical / vanishes / shrinks / stays, or the limit is an arm itself."""
        if self.limit_diff is None:
            return "is an arm"
        if self.limit_identical:
            return "identical on every seed"
        if self.m.expect == "equal":
            return "identical on every seed" if np.all(self.limit_diff == 0) else "differs"
        effect, left = abs(med(self.diff)), abs(med(self.limit_diff))
        if effect == 0:
            return "stays" if left > 0 else "vanishes"
        share = left / effect
        if share <= VANISH:
            return f"vanishes ({share:.0%} of the effect left)"
        if share <= 0.5:
            return f"shrinks ({share:.0%} of the effect left)"
        return f"stays ({share:.0%} of the effect left)"

    @property
    def verdict(self) -> str:
        ok = self.effect_shown and (self.monotone is not False)
        lim = self.limit_verdict
        lim_ok = lim.startswith(("identical", "vanishes", "is an arm")) or (
            lim.startswith("shrinks") and "halve" in self.m.note
        )
        if ok and lim_ok:
            return "shown"
        if ok:
            return "effect shown, limit not"
        return "**not shown**"


def _same(a: pd.DataFrame, b: pd.DataFrame) -> bool:
    metrics = list(sim.SUMMARY_KEYS)
    x, y = a[metrics].to_numpy(dtype=float), b[metrics].to_numpy(dtype=float)
    return bool(np.array_equal(x, y, equal_nan=True))


def mechanism_results(runs: Runs) -> list[MechanismResult]:
    out = []
    for m in MECHANISMS:
        a_off, a_on = runs.arm("mechanisms", m.arms["off"]), runs.arm("mechanisms", m.arms["on"])
        off, on = a_off[m.metric].to_numpy(dtype=float), a_on[m.metric].to_numpy(dtype=float)
        limit_diff = limit_same = None
        if "limit_off" in m.arms:
            l_off, l_on = runs.arm("mechanisms", m.arms["limit_off"]), runs.arm("mechanisms", m.arms["limit_on"])
            limit_diff = l_on[m.metric].to_numpy(dtype=float) - l_off[m.metric].to_numpy(dtype=float)
            limit_same = _same(l_off, l_on)
        steps = []
        if m.steps:
            names = ["off", *(f"step{i}" for i in range(len(m.steps))), "on"]
            steps = [med(runs.values("mechanisms", m.arms[n], m.metric)) for n in names]
        out.append(MechanismResult(m, off, on, on - off, _same(a_off, a_on), limit_diff, limit_same, steps))
    return out


# --- stylised facts ---------------------------------------------------------------------------------


@dataclass
class Fact:
    """A stylised fact, the model's number and the verdict."""

    fact: str
    source: str
    number: str
    verdict: str  # reproduced / partly / not reproduced
    why: str


VERDICTS = ("reproduced", "partly", "not reproduced")


def stylised_facts(runs: Runs, ev: pd.DataFrame) -> list[Fact]:
    """Each fact with its numbers. The verdict follows from the numbers by the rule stated
    in ``why``; the explanation after the rule depends on the outcome."""
    f = runs.fact
    FFS, LS, PB, SUB, OB, BL = "fee_for_service", "lump_sum", "population_budget", "subsidy", "output_based", "blended"
    ratio = {k: med(f(k, "formal_to_optimum_ratio")) for k in [*sim.FUNDING, "blended_best"]}
    dev = {k: abs(v - 1) for k, v in ratio.items()}
    evd = ev.set_index("finding")
    facts: list[Fact] = []

    def add(fact: str, source: str, number: str, ok: bool, partly: bool, rule: str, explain: str = "") -> None:
        verdict = VERDICTS[0] if ok else VERDICTS[1] if partly else VERDICTS[2]
        facts.append(Fact(fact, source, number, verdict, f"Rule: {rule}." + (f" {explain}" if explain else "")))

    over = med(f(FFS, "overprovided_share"))
    core_a = float(evd.loc["a", "model_value"])
    add(
        "Fee-for-service over-provides against the client's optimum",
        "Hennig-Schmidt, Selten & Wiesen 2011; cases.md (FFS risk: over-production)",
        f"formal hours / client optimum under FFS {fmt_band(f(FFS, 'formal_to_optimum_ratio'))}; "
        f"share of hours above the client's whole need {over:.1%}",
        ratio[FFS] > 1 and over > 0,
        False,
        "reproduced if the ratio is above 1 and some hours exceed need",
        f"In isolation the rule gives {core_a:.2f}x the optimum (figure 3); in the full model staff capacity, "
        "the 4-hour cap and the assessed entitlement bind for many clients"
        + (", so the excess is smaller." if ratio[FFS] < core_a else "."),
    )
    add(
        "A lump sum under-provides against the client's optimum",
        'Hennig-Schmidt et al. 2011; Alphen ("an incentive to do as little as possible", seeds/alphen_002)',
        f"formal hours / client optimum under the lump sum {fmt_band(f(LS, 'formal_to_optimum_ratio'))}, "
        f"population budget {fmt_band(f(PB, 'formal_to_optimum_ratio'))}",
        ratio[LS] < 1 and ratio[PB] < 1,
        ratio[LS] < 1 or ratio[PB] < 1,
        "reproduced if both fixed-sum models stay below 1",
    )
    c_ok = bool(evd.loc["c_ffs", "reproduced"] and evd.loc["c_lump_sum", "reproduced"])
    add(
        "Both deviate less than pure profit maximisation predicts (altruism)",
        "Hennig-Schmidt et al. 2011; Brosig-Koch et al. 2016",
        f"incentive core, mean |e*/r - 1| over 10,000 providers: FFS {evd.loc['c_ffs', 'model_value']:.2f} "
        f"against {evd.loc['c_ffs', 'benchmark']:.2f} for a profit-maximiser; lump sum "
        f"{evd.loc['c_lump_sum', 'model_value']:.2f} against {evd.loc['c_lump_sum', 'benchmark']:.2f}",
        c_ok,
        bool(evd.loc["c_ffs", "reproduced"] or evd.loc["c_lump_sum", "reproduced"]),
        "reproduced if both pure payments deviate less than a profit-maximiser in the incentive core "
        "(experiments/evidence.py, figure 3)",
        "The full model has no profit-maximiser arm, so only the isolated core can show this.",
    )
    d_core = bool(evd.loc["d_best", "reproduced"])
    d_full = dev["blended_best"] < min(dev[FFS], dev[LS])
    s_best = best_blend_share()
    add(
        "A mixed payment deviates less than either pure payment",
        "Brosig-Koch et al. 2016; Ellis & McGuire 1986",
        f"incentive core: the best blend (s = {s_best:g}) {evd.loc['d_best', 'model_value']:.3f} and the 50/50 "
        f"blend {evd.loc['d_half', 'model_value']:.2f}, against {evd.loc['d_best', 'benchmark']:.2f} for the "
        f"better pure payment; full model, |formal hours / optimum - 1|: blend at s = {s_best:g} "
        f"{dev['blended_best']:.3f}, at the default s = {runs_default('blend_ffs_share'):g} {dev[BL]:.3f}, FFS "
        f"{dev[FFS]:.3f}, lump sum {dev[LS]:.3f}",
        d_core and d_full,
        d_core or d_full,
        f"reproduced if a blend deviates less than both pure payments in the core and, at the core's best share "
        f"(s = {s_best:g}), in the full model",
        "The 50/50 blend does not beat FFS in the core: a blend helps only near the share where the net money "
        "per hour is about 0."
        + (
            ""
            if d_full
            else " In the full model FFS ends nearer the optimum than the blend, because capacity, cap and "
            "entitlement limit FFS's over-provision but not the blend's under-provision."
        ),
    )
    g_ffs, g_ls = med(f(FFS, "group_share")), med(f(LS, "group_share"))
    add(
        "Fee-for-service favours individual over group care",
        'cases.md (FFS risk); Alphen ("a premium on offering individual guidance instead of group activity", '
        "seeds/alphen_002)",
        f"group share of formal hours: FFS {fmt_band(f(FFS, 'group_share'))}, lump sum "
        f"{fmt_band(f(LS, 'group_share'))}, population budget {fmt_band(f(PB, 'group_share'))}",
        g_ffs < g_ls,
        False,
        "reproduced if FFS has the lower group share",
        "Starker than in the articles: at the default prices an individual hour earns an FFS provider more than "
        "a group client-hour, so it never chooses group (ODD 7.6.3, a corner of the modality rule)."
        if g_ffs == 0
        else "",
    )
    ffs_growth = f("fee_for_service_growth_0.06", "spend_eur") / f("fee_for_service_growth_0", "spend_eur") - 1
    ls_growth = f("lump_sum_growth_0.06", "spend_eur") / f("lump_sum_growth_0", "spend_eur") - 1
    fixed = [med(f(k, "overrun_share")) for k in (LS, PB, SUB)]
    add(
        "Fee-for-service has an open-ended budget; fixed sums stay within it",
        'calibration.md (EUR 724m overspend 2017; Amsterdam youth care); Lelystad ("no open ends")',
        f"overrun of the budget: FFS {fmt_band(f(FFS, 'overrun_share'))}, lump sum {fixed[0]:+.3f}, population "
        f"budget {fixed[1]:+.3f}, subsidy {fixed[2]:+.3f}; spend with 6%/yr need growth against none: FFS "
        f"{fmt_band(ffs_growth)}, lump sum {fmt_band(ls_growth)}",
        med(f(FFS, "overrun_share")) > 0 and max(fixed) <= 0.005 and med(ffs_growth) > 0.03 > abs(med(ls_growth)),
        med(ffs_growth) > 0.03 > abs(med(ls_growth)),
        "reproduced if FFS overruns its budget and its spend grows with need while the fixed sums stay within "
        "theirs and do not grow",
        "For the fixed sums this holds by construction: spend is the sum paid (less penalties and reclaims).",
    )
    vol_ffs, vol_ls = med(f(FFS, "volunteer_hours_per_client_week")), med(f(LS, "volunteer_hours_per_client_week"))
    inf_ffs, inf_ls = med(f(FFS, "informal_hours_per_client_week")), med(f(LS, "informal_hours_per_client_week"))
    add(
        "A lump sum invites network and volunteer support (the more residents and volunteers do, the cheaper)",
        'Alphen (seeds/alphen_002); Lelystad ("from expensive care to the client\'s own network")',
        f"volunteer hours per client-week: lump sum {fmt_band(f(LS, 'volunteer_hours_per_client_week'))}, FFS "
        f"{fmt_band(f(FFS, 'volunteer_hours_per_client_week'))}; informal hours per client-week: lump sum "
        f"{inf_ls:.2f}, FFS {inf_ffs:.2f}",
        vol_ls > vol_ffs and inf_ls > inf_ffs,
        vol_ls > vol_ffs or inf_ls > inf_ffs,
        "reproduced if both volunteer and informal hours per client are higher under the lump sum",
    )
    fh_ffs, fh_ls = med(f(FFS, "formal_hours_per_client_week")), med(f(LS, "formal_hours_per_client_week"))
    add(
        "Clients get fewer formal hours under the lump sum (3 h/week to one visit in 5 weeks, backed by a network)",
        "Alphen (seeds/alphen_001)",
        f"formal hours per client-week: lump sum {fmt_band(f(LS, 'formal_hours_per_client_week'))}, FFS "
        f"{fmt_band(f(FFS, 'formal_hours_per_client_week'))} ({fh_ls / fh_ffs - 1:+.0%})",
        fh_ls < fh_ffs,
        False,
        "reproduced if the lump sum gives fewer formal hours per client",
        "The size is not a target: the article gives one client's example.",
    )
    w_ffs, w_ls = med(f(FFS, "mean_wait_weeks")), med(f(LS, "mean_wait_weeks"))
    add(
        "The wait for an assessment (6-8 weeks in Alphen, 11 on average) disappears under the lump sum",
        "Alphen (seeds/alphen_002); calibration.md",
        f"mean wait: FFS {fmt_band(f(FFS, 'mean_wait_weeks'))} weeks, lump sum "
        f"{fmt_band(f(LS, 'mean_wait_weeks'))} weeks",
        w_ffs >= 6 and w_ls < 1,
        w_ffs > w_ls,
        "reproduced if FFS waits 6 weeks or more and the lump sum under 1 week",
    )
    u_ffs, u_ls = med(f(FFS, "unreached_share")), med(f(LS, "unreached_share"))
    add(
        "Under a demand-led lump sum, people in need who do not ask are missed",
        'Alphen (seeds/alphen_001: "people who did not ask were not helped"); cases.md (lump-sum risk)',
        f"share of needy non-askers never reached: lump sum {fmt_band(f(LS, 'unreached_share'))}, FFS "
        f"{fmt_band(f(FFS, 'unreached_share'))}; outreach and walk-in lower it (section 1)",
        u_ls > u_ffs,
        False,
        "reproduced if the lump sum leaves more non-askers unreached than FFS",
        "FFS providers do some outreach themselves, because a client found brings paid hours (ODD 7.6.6)."
        if u_ls > u_ffs
        else "",
    )
    un_ffs, un_ls = med(f(FFS, "unmet_need_share")), med(f(LS, "unmet_need_share"))
    un_nq = med(f("fee_for_service_no_queue", "unmet_need_share"))
    total = {k: fh + v + i for k, fh, v, i in ((FFS, fh_ffs, vol_ffs, inf_ffs), (LS, fh_ls, vol_ls, inf_ls))}
    burden = {k: med(f(k, "carer_overburden_share")) for k in (FFS, LS)}
    queue = "little" if abs(un_ffs - un_nq) < 0.25 * abs(un_ffs - un_ls) else "part"
    explain = (
        "**The awkward one**: the model's unmet share is higher under FFS than under the lump sum, although the "
        "lump sum gives far fewer formal hours (rows 2 and 8). Waiting explains "
        f"{queue} of it: without the assessment queue FFS's unmet share is {un_nq:.3f} instead of {un_ffs:.3f}. "
        "The rest is crowd-out of informal and volunteer care: under FFS volunteer hours would replace billable "
        "hours, so providers rarely build a client's network (ODD 7.6.5), and a carer of a client without one "
        "gets no burden relief (7.8). FFS clients get "
        f"{vol_ffs:.2f} volunteer and {inf_ffs:.2f} informal hours a week against {vol_ls:.2f} and {inf_ls:.2f} "
        f"under the lump sum, and {burden[FFS]:.0%} of FFS carers are overburdened against {burden[LS]:.0%} (they "
        "cut hours or drop out, and their hours return to unmet need). In all, an FFS client gets "
        f"{total[FFS]:.2f} hours a week from all sources against {total[LS]:.2f} under the lump sum. The articles "
        "report satisfaction (8.1/10), not unmet need, so this cannot be checked against the cases; it rests on "
        "the network rules (ODD 7.5, 7.6.5, 7.8), which are assumptions."
        if un_ffs > un_ls
        else ""
    )
    add(
        "A lump sum leaves more need unmet than fee-for-service (under-service)",
        "cases.md (lump-sum and population-budget risk: under-service); Hennig-Schmidt et al. 2011",
        f"unmet share of need: FFS {fmt_band(f(FFS, 'unmet_need_share'))}, lump sum "
        f"{fmt_band(f(LS, 'unmet_need_share'))}, FFS without the assessment queue "
        f"{fmt_band(f('fee_for_service_no_queue', 'unmet_need_share'))}; "
        f"clients underserved 4+ weeks: FFS {med(f(FFS, 'underserved_share')):.3f}, lump sum "
        f"{med(f(LS, 'underserved_share')):.3f}",
        un_ls > un_ffs,
        False,
        "reproduced if the unmet share of need is higher under the lump sum than under FFS",
        explain,
    )
    esc = f(LS, "escalations_per_1000_client_years") - f(FFS, "escalations_per_1000_client_years")
    fewer = int(np.sum(esc < 0))
    add(
        "Under a lump sum prevention pays: heavier care is avoided",
        'Alphen (seeds/alphen_001: "they profit directly when no heavier care is needed")',
        f"escalations per 1,000 client-years: lump sum {fmt_band(f(LS, 'escalations_per_1000_client_years'))}, "
        f"FFS {fmt_band(f(FFS, 'escalations_per_1000_client_years'))}, subsidy "
        f"{fmt_band(f(SUB, 'escalations_per_1000_client_years'))}; lump sum - FFS on the same seed "
        f"{fmt_band(esc)}, fewer on {fewer} of {len(esc)} seeds",
        fewer >= 0.8 * len(esc),
        med(esc) < 0,
        "reproduced if the lump sum has fewer escalations than FFS on at least 80% of the seeds (paired), "
        "partly if only the median paired difference is negative",
        "The pay-off is in the decision rule (prevention foresight raises lump-sum hours, section 1), but the "
        "lump sum's fewer formal hours work the other way; escalation costs are not booked (section 4)."
        if fewer < 0.8 * len(esc)
        else "",
    )
    ob_ref = med(f(OB, "refusals_per_1000_admissions"))
    ob_h = med(f(OB, "formal_hours_per_client_week"))
    add(
        "Output-based funding invites cream-skimming and less care inside the period",
        "cases.md (output-based risk)",
        f"formal hours per client-week: output-based {fmt_band(f(OB, 'formal_hours_per_client_week'))}, FFS "
        f"{fh_ffs:.3f}; intakes declined per 1,000 admissions {fmt_band(f(OB, 'refusals_per_1000_admissions'))}",
        ob_h < fh_ffs and ob_ref > 0,
        ob_h < fh_ffs or ob_ref > 0,
        "reproduced if output-based gives fewer hours than FFS and providers decline some clients",
        "At tighter category prices refusals rise steeply (section 1, row on cream-skimming).",
    )
    a_ffs, a_ls = med(f(FFS, "admin_cost_share")), med(f(LS, "admin_cost_share"))
    add(
        "Assessments and invoices per hour cost administration; working without indications saves it",
        'Alphen (seeds/alphen_001: "staff no longer write hours"); Zaltbommel (fewer product codes)',
        f"admin share of cost: FFS {fmt_band(f(FFS, 'admin_cost_share'))}, lump sum "
        f"{fmt_band(f(LS, 'admin_cost_share'))}",
        a_ffs > 2 * a_ls,
        a_ffs > a_ls,
        "reproduced if FFS's admin share is more than twice the lump sum's",
    )
    add(
        "Demand responds to price: a flat co-payment raised household-help use by 27% in four years",
        "calibration.md (CBS 2023)",
        "none: the model has no co-payment, so asking does not depend on price",
        False,
        False,
        "reproduced if use responds to a co-payment",
        "Not modelled (section 4).",
    )
    kpi_sub, kpi_ls = med(f(SUB, "kpi_improved_or_stable_share")), med(f(LS, "kpi_improved_or_stable_share"))
    add(
        "A subsidy puts little pressure on providers to improve; it works on trust",
        "cases.md (subsidy risk); Harderwijk (seeds/harderwijk_004)",
        f"no measure of improvement effort; under the subsidy formal hours / optimum {ratio[SUB]:.3f} and the "
        f"KPI share {kpi_sub:.3f} (lump sum {kpi_ls:.3f})",
        False,
        False,
        "reproduced if providers under a subsidy improve less",
        "Not modelled: providers have no effort or quality to improve, and trust enters only as the transfer "
        "time after a bankruptcy (section 4).",
    )
    return facts


# --- figures ------------------------------------------------------------------------------------------


def plot_mechanisms(results: Sequence[MechanismResult], ax=None):
    """Off and on medians (10%-90% bars) of each mechanism, scaled by the larger median; limit arms as
    diamonds. Returns the Axes."""
    from matplotlib.figure import Figure

    ax = ax if ax is not None else Figure(figsize=(11, 0.36 * len(results) + 2), layout="constrained").add_subplot()
    for i, r in enumerate(results):
        scale = max(abs(r.stat(r.off)), abs(r.stat(r.on))) or 1.0
        y = len(results) - 1 - i
        for x, colour, dy, label in ((r.off, "tab:blue", 0.15, "mechanism off"), (r.on, "tab:red", -0.15, "on")):
            m_, lo, hi = (r.stat(x),) * 3 if r.m.total else band(x)
            ax.errorbar(
                m_ / scale,
                y + dy,
                xerr=[[(m_ - lo) / scale], [(hi - m_) / scale]],
                fmt="o",
                color=colour,
                capsize=2,
                markersize=5,
                label=label if i == 0 else None,
            )
        if r.limit_diff is not None:
            ax.plot(
                r.stat(r.limit_diff) / scale,
                y,
                "D",
                color="0.3",
                markersize=4,
                label="on - off at the vanishing limit" if i == 0 else None,
            )
    ax.axvline(0, color="0.6", linewidth=0.8)
    ax.axvline(1, color="0.85", linewidth=0.8)
    short = {"funding models (cross-case)": "funding", "Noord-Veluwe (Harderwijk)": "Noord-Veluwe"}
    labels = [
        f"{short.get(r.m.case, r.m.case)}: {textwrap.shorten(r.m.mechanism, 48, placeholder='...')} [{r.m.metric}]"
        for r in results
    ]
    ax.set_yticks(range(len(results)), labels[::-1], fontsize=7)
    ax.set_ylim(-0.7, len(results) - 0.3)
    ax.set_xlabel(
        "metric value / the larger of the off and on medians (dimensionless)\n"
        "diamond: on - off at the vanishing limit, same scale (0 = vanished)"
    )
    ax.set_title("Case mechanisms: off against on, median and 10%-90% over seeds", fontsize=10)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.06), ncols=3, fontsize=8)
    ax.grid(axis="x", alpha=0.3)
    return ax


def save_figures(runs: Runs, results: Sequence[MechanismResult], ev_data) -> None:
    FIGURES.mkdir(parents=True, exist_ok=True)
    ax = plot_mechanisms(results)
    ax.figure.savefig(FIG_MECHANISMS, dpi=120)
    facts = runs.runs[runs.runs["part"] == "facts"].copy()
    facts["overrides"] = facts["arm"].map(lambda k: json.loads(k)[2])
    base = facts[facts["overrides"].map(lambda o: set(o) == {"funding"})].copy()
    base["funding"] = base["overrides"].map(lambda o: o["funding"])
    axes = panel_axes(len(FACT_METRICS), pyplot=False)
    plot_compare(base, FACT_METRICS, axes)
    for ax in axes:
        for label in ax.get_xticklabels():
            label.set_rotation(30)
            label.set_horizontalalignment("right")
    fig = axes[0].figure
    fig.suptitle(f"Stylised facts by funding model: default town, {runs.fact_years} years, median and 10%-90%")
    fig.savefig(FIG_FACTS, dpi=110)
    evidence.make_figure(ev_data).savefig(evidence.FIGURE, dpi=130)


# --- the document ---------------------------------------------------------------------------------------


def mechanism_table(results: Sequence[MechanismResult], n: int) -> list[str]:
    rows = []
    for i, r in enumerate(results, 1):
        m = r.m
        if r.limit_diff is not None:
            limit = f"{m.limit}: on - off {fmt_number(med(r.limit_diff))}, {r.limit_verdict}"
        else:
            limit = m.limit
        if r.steps:
            path = [m.off, *m.steps, m.on]
            limit += "; medians along the path: " + ", ".join(
                f"{overrides_text(d)} {fmt_number(v)}" for d, v in zip(path, r.steps, strict=True)
            )
            limit += f" (monotone: {'yes' if r.monotone else 'NO'})"
        effect = (
            f"identical on {r.in_direction} of {n} seeds"
            if m.expect == "equal"
            else f"{fmt_number(r.stat(r.diff))}{' in total' if m.total else ''} "
            f"({m.expect} on {r.in_direction} of {n} seeds)"
        )
        note = f" Note: {m.note}." if m.note else ""
        rows.append(
            (
                i,
                m.case,
                m.mechanism,
                f"`{m.test}`",
                f"`{m.scenario}`: {m.switched()}.{note}",
                f"`{m.metric}`",
                r.cell(r.off),
                r.cell(r.on),
                effect,
                limit,
                r.verdict,
            )
        )
    headers = (
        "#",
        "case",
        "mechanism",
        "test",
        "comparison (scenario: base; off -> on)",
        "metric",
        "off: median (10%-90%)",
        "on: median (10%-90%)",
        "on - off: median (seeds in the expected direction)",
        "vanishing limit (on - off there)",
        "verdict",
    )
    return md_table(headers, rows)


def calibration_section(runs: Runs) -> list[str]:
    rows = []
    met = 0
    for t in DEFAULT_TARGETS:
        x = runs.fact("fee_for_service", t.key)
        inside = t.lo <= med(x) <= t.hi
        met += inside
        rng = f"{fmt_number(t.lo)}-{fmt_number(t.hi)}"
        rows.append((f"`{t.key}`", rng, t.source, fmt_band(x), "yes" if inside else "**NO**"))
    lines = [
        "## 3 Calibration",
        "",
        f"**The default's {len(DEFAULT_TARGETS)} targets** (calibration.md; docs/odd.md section 9): "
        f"the `default` town under fee-for-service, {runs.fact_years} years, at its current parameter values; {met} of "
        f"{len(DEFAULT_TARGETS)} medians inside their range.",
        "",
        *md_table(("target", "range", "source", "model: median (10%-90%)", "inside"), rows),
        "",
        "**The preset fits** ([calibration_fit.md](calibration_fit.md), rebuilt by this command from the "
        "newest runs of `python experiments/calibrate_presets.py`; `--recalibrate` reruns them). Rejection "
        'ABC, the fitted value is the posterior median with its 10%-90% interval; "preset = fitted" says '
        "whether the preset holds the fitted value today.",
        "",
    ]
    prow = []
    for name, plan in calibrate_presets.PLANS.items():
        found = calibrate_presets.latest_fit(name)
        if found is None:
            prow.append((name, "not run", "-", "-", "-"))
            continue
        fit, _ = found
        s = fit["settings"]
        agree = calibrate_presets.agreements(name, fit)
        fitted = "; ".join(f"`{a.name}` {fmt_number(a.fitted)} ({fmt_number(a.lo)}-{fmt_number(a.hi)})" for a in agree)
        same = ", ".join(f"{'yes' if a.equal else 'no'}" for a in agree)
        prow.append(
            (
                name,
                f"{s['samples']} sets x {len(s['seeds'])} seeds x {s['years']} y, `{plan.funding}`",
                fitted,
                f"{fit['targets_met']} of {len(fit['targets'])}",
                same,
            )
        )
    lines += md_table(("preset", "run", "fitted: median (10%-90%)", "targets met at the fit", "preset = fitted"), prow)
    lines.append("")
    return lines


def limitations(runs: Runs) -> str:
    """Section 4; the unmet share's range is read from the runs, not typed in."""
    medians = [float(np.median(runs.fact(f, "unmet_need_share"))) for f in sim.FUNDING]
    lo, hi = min(medians), max(medians)
    return f"""## 4 What the model does not capture

Concrete gaps that bear on the results above (the full list, derived from the code, is
docs/odd.md section 11):

- **No outcome data per funding model to validate against.** The cases give inputs
  (inhabitants, clients, budgets, providers) and qualitative effects, not measured
  unmet need, waiting or hours per funding model. The mechanism table checks directions
  and vanishing limits, not magnitudes; the sizes of the effects are the model's.
- **Mechanisms are measured in the `default` town**, as in the tests, not in each
  preset; a mechanism's size in Lelystad or Alphen may differ.
- **Unmet need is hours within the model's client pool**, not SCP's "8% of adults
  report unmet need"; the two are not comparable, and the model's share (medians
  {lo:.2f}-{hi:.2f} over the funding models in section 2) is not calibrated to any figure.
- **Escalation has a price, but an assumed one.** `escalation_cost_eur` (EUR 60,000, the
  order of a year of residential care) is an assumption, and by default the town bears
  none of it (`escalation_municipal_share` 0): it shows in `public_cost_eur`, not in
  `total_cost_eur`.
- **No price on the client's side**: no co-payment, so demand does not respond to price
  (the CBS 2023 finding).
- **No quality, satisfaction or choice.** Alphen's 8.1/10, the critics' "choice is
  lost" and the subsidy's "low pressure to improve" have no counterpart.
- **No provider learning.** Providers re-optimise every week with one rule and fixed
  altruism; the yearly strategy update moves only capacity.
- **The modality choice rests on two assumptions**: the spread of the benefit of group
  care over clients (`group_benefit_mean`, `group_benefit_sd`) and the scale of what the
  model does not see in the choice (`modality_choice_scale_eur`, a logit). They decide the
  group share under fixed sums and how smoothly prices move it (section 5 measures how
  much they move the headline comparisons).
- **One informal carer per client**, volunteers pooled by district; the network decides
  informal care only through the carer tie.
- **Calibration is partial.** Rejection ABC with 256 sets of 6 parameters on 3 seeds meets
  only some of the eight targets at the posterior medians (calibration_fit.md); the
  defaults were kept where the refit did not fit better, and the carers' figures (mean
  hours and the share giving 8+ hours) pull against each other with the carer-hours spread
  fixed. The case numbers of Alphen and Noord-Veluwe give no client count, so their onset
  is fitted to the national ranges only.
- **The lab evidence is matched by the decision rule's form** (the physician-agency
  model), so reproducing it checks the implementation, not the behavioural theory.
"""


def write_doc(
    runs: Runs,
    results: Sequence[MechanismResult],
    facts: Sequence[Fact],
    prov: dict,
    seeds: Sequence[int],
    mode: str,
    folder: Path,
) -> Path:
    n = len(seeds)
    shown = sum(r.verdict == "shown" for r in results)
    verdicts = {v: sum(f.verdict == v for f in facts) for v in ("reproduced", "partly", "not reproduced")}
    by_case = {c: sum(r.m.case == c for r in results) for c in CASES}
    quick = ""
    if mode == "quick":
        quick = " **Quick run (`--quick`): fewer seeds and shorter runs, for checking the pipeline only.**"
    lines = [
        "# Validation: why believe the model",
        "",
        f"Generated by `{COMMAND}`; do not edit by hand. Every table and figure below is",
        "regenerated by that one command (options: `--quick`, `--doc-only`, `--recalibrate`; see `--help`).",
        "",
        f"Provenance: sim {prov['version']}, git {prov['git_commit']}, created {prov['created_utc']}, "
        f"mode `{mode}`, {n} common seeds `sim.replicate_seeds({BASE_SEED}, {n})` = {list(seeds)}; "
        f"mechanisms {runs.mechanism_years} years, stylised facts and calibration targets {runs.fact_years} "
        f"years; runs saved in `{folder.relative_to(ROOT)}/runs.parquet`.{quick}",
        "",
        "The numbers are for the parameter values in the repository at that commit; "
        "[calibration_fit.md](calibration_fit.md) says whether they equal the fitted values.",
        "",
        "Summary:",
        "",
        f"- **Case mechanisms:** {shown} of {len(results)} comparisons show their effect and, where one is "
        f"tested, its vanishing limit ({', '.join(f'{c} {k}' for c, k in by_case.items())}).",
        f"- **Stylised facts:** {verdicts['reproduced']} reproduced, {verdicts['partly']} partly, "
        f"{verdicts['not reproduced']} not reproduced, of {len(facts)}.",
        "- **Calibration:** section 3; the preset fits in calibration_fit.md.",
        "",
        "## 1 Case mechanisms and their observed effect",
        "",
        f"Each row is one comparison of `tests/test_mechanisms.py` (definitions in "
        f"`experiments/mechanisms.py`): the `default` town, {n} common seeds, {runs.mechanism_years} years; "
        'every arm is the base overrides plus the arm\'s own. "on - off" is the median of the paired (same '
        "seed) differences. The vanishing limit is a second pair of arms whose difference must vanish "
        f'("vanishes": at most {VANISH:.0%} of the effect left; "identical": every summary equal on every '
        "seed), or one of the two arms itself. The tests assert the same with thresholds; this table gives the "
        "figures.",
        "",
        "<!-- mechanisms:start -->",
        *mechanism_table(results, n),
        "<!-- mechanisms:end -->",
        "",
        f"![Case mechanisms: off against on](figures/{FIG_MECHANISMS.name})",
        "",
        f"*Figure 1 (`docs/figures/{FIG_MECHANISMS.name}`): each mechanism's metric with the mechanism off "
        "(blue) and on (red), median and 10%-90% over the seeds (rare counts: the totals over the seeds), divided by "
        "the larger of the two; "
        "grey diamonds: the on - off difference at the vanishing limit on the same scale (0 = vanished).*",
        "",
        "## 2 Stylised facts",
        "",
        f"The `default` town under every funding model, {n} seeds, {runs.fact_years} years (plus need growth "
        "of 0 and 6% a year, and fee-for-service without the assessment queue); the incentive core in isolation "
        "from `experiments/evidence.py`. Figures: median (10%-90%) over seeds. The verdict follows from the "
        "numbers by the rule in the last column.",
        "",
        "<!-- facts:start -->",
        *md_table(
            ("#", "fact", "source", "model", "verdict", "rule and explanation"),
            [(i, f.fact, f.source, f.number, f"**{f.verdict}**", f.why) for i, f in enumerate(facts, 1)],
        ),
        "<!-- facts:end -->",
        "",
        f"![Stylised facts by funding model](figures/{FIG_FACTS.name})",
        "",
        f"*Figure 2 (`docs/figures/{FIG_FACTS.name}`): key metrics by funding model (bar: 10%-90% over "
        "seeds, line: median, dots: seeds).*",
        "",
        f"![The incentive core against the lab evidence](figures/{evidence.FIGURE.name})",
        "",
        f"*Figure 3 (`docs/figures/{evidence.FIGURE.name}`): the incentive core in isolation against the lab "
        "evidence (Hennig-Schmidt et al. 2011; Brosig-Koch et al. 2016), from `experiments/evidence.py`.*",
        "",
        *calibration_section(runs),
        limitations(runs),
    ]
    text = "\n".join(lines).rstrip() + "\n"
    found = robustness.latest()  # the summary and section 5, from experiments/robustness.py's newest results
    if found is not None:
        for key, block in robustness.blocks(found).items():
            text = robustness.replace_block(text, key, block)
    DOC.write_text(text, encoding="utf-8")
    return DOC


# --- main -------------------------------------------------------------------------------------------------


def build(runs_df: pd.DataFrame, prov: dict, folder: Path, progress: Callable[[str], None]) -> Path:
    mode = prov.get("mode", "full")
    seeds = prov["seeds"]
    years = runs_df.groupby("part")["years"].first().to_dict()
    runs = Runs(runs_df, years["mechanisms"], years["facts"])
    progress("incentive core (experiments/evidence.py)")
    ev_data = evidence.compute_evidence()
    ev = evidence.evidence_table(ev_data)
    results = mechanism_results(runs)
    facts = stylised_facts(runs, ev)
    progress("figures")
    save_figures(runs, results, ev_data)
    calibrate_presets.write_doc(list(calibrate_presets.PLANS.values()))
    return write_doc(runs, results, facts, prov, seeds, mode, folder)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="3 seeds, 3-year runs: check the pipeline (marked in the doc)")
    ap.add_argument("--seeds", type=int, default=None, help=f"common seeds per arm (default {SEEDS}; --quick 3)")
    ap.add_argument("--workers", type=int, default=2, help="worker processes, 1 or 2 (default 2)")
    ap.add_argument("--doc-only", action="store_true", help="rebuild the doc and figures from the newest saved runs")
    ap.add_argument(
        "--recalibrate", action="store_true", help="first rerun experiments/calibrate_presets.py (about 20 min)"
    )
    args = ap.parse_args(argv)
    if args.workers not in (1, 2):
        ap.error(f"--workers {args.workers}: use 1 or 2 (the machine has 2 cores)")
    if args.seeds is not None and args.seeds < 2:
        ap.error(f"--seeds {args.seeds}: need at least 2 for a 10%-90% range")
    if args.doc_only and (args.quick or args.seeds or args.recalibrate):
        ap.error("--doc-only uses the saved runs; it takes no --quick, --seeds or --recalibrate")
    os.environ.setdefault("MPLBACKEND", "Agg")
    os.chdir(ROOT)

    def say(what: str) -> None:
        print(f"validation: {what}", file=sys.stderr)

    if args.recalibrate:
        say("rerunning the preset calibration")
        calibrate_presets.main([])
    if args.doc_only:
        runs_df, prov, folder = latest_runs()
    else:
        mode = "quick" if args.quick else "full"
        n = args.seeds or (QUICK["seeds"] if args.quick else SEEDS)
        my, fy = (QUICK["mechanism_years"], QUICK["fact_years"]) if args.quick else (MECHANISM_YEARS, FACT_YEARS)
        seeds = sim.replicate_seeds(BASE_SEED, n)
        arms = plan_arms(my, fy)
        say(f"{len(arms)} arms x {n} seeds = {len(arms) * n} runs on {args.workers} worker(s)")
        runs_df = run_all(arms, seeds, args.workers)
        folder = save_runs(runs_df, seeds, mode)
        prov = read_provenance(folder / "runs.parquet")
        say(f"runs saved in {folder}")
    path = build(runs_df, prov, folder, say)
    say(f"wrote {path.relative_to(ROOT)}, {FIG_MECHANISMS.relative_to(ROOT)}, {FIG_FACTS.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
