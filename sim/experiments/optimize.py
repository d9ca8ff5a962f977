"""Contract design: which contract gives the least under-service for our budget?

A multi-objective evolutionary search (EMA Workbench 3's ``optimize`` with the epsilon-NSGA-II
of Platypus) over the municipality's levers (the funding model, the blend share, the KPI
target and penalty, outreach, the budget level) for the Pareto front of *total cost* (care
spend plus admin, EUR a year) against the *underserved share* of clients. Every candidate
contract runs through the experiment engine on the same ``replicates`` seeds (common random
numbers), so two contracts differ by their levers, not by seed noise.

A front found on a few seeds may flatter the contracts that happened to do well on them, so
the front is then **re-evaluated on fresh seeds** (``fresh_replicates`` others) and shown
with its 10-90% band: what a municipality would see over many years like the simulated ones.

Example:
    >>> opt = optimize_contracts("default", nfe=400, replicates=2, years=5)
    >>> opt.reevaluated[["funding", "total_cost_eur_median", "underserved_share_median"]]
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..params import ScenarioError, load_scenario
from ..run import BASE_SEED, starting_budget

#: The municipality's levers searched by default.
DEFAULT_LEVERS = (
    "funding",
    "blend_ffs_share",
    "kpi_target",
    "kpi_penalty_share",
    "outreach",
    "outreach_hours_per_10k",
    "lump_sum_discount",
)
#: The two objectives, both minimised.
OBJECTIVES = ("total_cost_eur", "underserved_share")


@dataclass
class Optimisation:
    """The outcome of :func:`optimize_contracts`.

    Attributes:
        front: the Pareto front of the search: levers and the objectives on the search seeds.
        reevaluated: per front contract, the objectives on fresh seeds: median, 10% and 90%
            (``<objective>_median``, ``_p10``, ``_p90``), and whether it is still on the
            front (``nondominated``, on the medians).
        runs: the engine's table of the re-evaluation (a row per run).
        convergence: EMA's runtime convergence record.
        settings: the search settings (for the provenance).
    """

    front: pd.DataFrame
    reevaluated: pd.DataFrame
    runs: pd.DataFrame
    convergence: pd.DataFrame
    settings: dict = field(default_factory=dict)


def check_levers(levers: Sequence[str]) -> list[str]:
    """The lever names, each an analysed parameter; raises ScenarioError otherwise."""
    from .sensitivity import check_names

    return [p.name for p in check_names(levers)]


def nondominated(values: np.ndarray) -> np.ndarray:
    """Mask of the rows of ``values`` (minimised columns) that no other row dominates."""
    v = np.asarray(values, dtype=float)
    keep = np.ones(len(v), dtype=bool)
    for i in range(len(v)):
        better_eq = np.all(v <= v[i], axis=1)
        strictly = np.any(v < v[i], axis=1)
        keep[i] = not np.any(better_eq & strictly)
    return keep


def optimize_contracts(
    scenario: Any = "default",
    *,
    levers: Sequence[str] = DEFAULT_LEVERS,
    nfe: int = 2000,
    population_size: int = 40,
    replicates: int = 2,
    fresh_replicates: int = 10,
    epsilons: Sequence[float] | None = None,
    seed: int = BASE_SEED,
    workers: int | None = None,
    scheduler: str | None = None,
    out: str | Path | None = None,
    progress: bool = True,
    **fixed: Any,
) -> Optimisation:
    """Search the municipality's levers for the Pareto front of total cost against the
    underserved share, then re-evaluate the front on fresh seeds.

    Args:
        scenario: the town (a preset name, TOML path or Scenario).
        levers: the parameters searched (default :data:`DEFAULT_LEVERS`), over their
            analysis ranges; the funding model is a choice among all of them.
        nfe: the search's budget of contract evaluations.
        population_size: the genetic algorithm's population size (``population`` is the
            town's, a parameter).
        replicates: seeds each candidate runs on during the search.
        fresh_replicates: seeds of the re-evaluation, none of them used in the search.
        epsilons: the resolution of each objective in the epsilon-dominance archive;
            default 0.5% of the baseline budget and 0.005 of underserved share.
        seed: fixes the search (Platypus' generator) and the search seeds; the fresh seeds
            derive from ``seed + 1``.
        workers, scheduler: the engine's executor.
        out: a folder: the engine writes the search's batches (``search/``) and the
            re-evaluation (``reevaluation/``) there as it runs.
        progress: show progress bars.
        **fixed: parameter values fixed in every run (e.g. ``years=5``).

    Raises:
        ScenarioError: an unknown lever or fixed value, or a lever that is also fixed.
    """
    from .. import ema
    from . import Design, run_design

    names = check_levers(levers)
    clash = sorted(set(names) & set(fixed))
    if clash:
        raise ScenarioError(f"{clash} are both searched and fixed")
    if nfe < population_size:
        raise ScenarioError(f"nfe = {nfe} is less than one population of {population_size}")
    sc = load_scenario(scenario, **fixed)
    budget = starting_budget(sc, seed)
    if epsilons is None:
        epsilons = (0.005 * budget, 0.005)
    out = None if out is None else Path(out)
    m = ema.model(
        [], levers=names, outcomes=list(OBJECTIVES), minimize=OBJECTIVES, scenario=sc, replicates=replicates,
        encode_choices=True,
    )  # fmt: skip
    search = None if out is None else out / "search"
    front, convergence = _search(m, nfe, population_size, epsilons, seed, workers, scheduler, search)
    points = [{k: front.at[i, k] for k in names} for i in range(len(front))]
    design = Design(
        scenario=sc,
        points=points,
        replicates=fresh_replicates,
        base_seed=seed + 1,
        label="optimize-reevaluation",
        meta={"design": "pareto front re-evaluation", "levers": names, "search_seed": seed},
    )
    where = None if out is None else out / "reevaluation"
    runs = run_design(design, where, workers=workers, scheduler=scheduler, progress=progress)
    reeval = summarise_front(runs, names)
    settings = {"levers": names, "objectives": list(OBJECTIVES), "nfe": nfe, "population_size": population_size}
    settings.update(replicates=replicates, fresh_replicates=fresh_replicates, epsilons=[float(e) for e in epsilons])
    settings.update(seed=seed, fresh_base_seed=seed + 1, fixed=dict(fixed), budget_eur=budget)
    settings["algorithm"] = "EpsNSGAII (Platypus, through ema_workbench.optimize)"
    return Optimisation(front, reeval, runs, convergence, settings)


def _search(m, nfe, population_size, epsilons, seed, workers, scheduler, search):
    """EMA Workbench's epsilon-NSGA-II over the model's levers, each batch of candidates run
    by :class:`sim.ema.Evaluator` on the engine; the front with its levers decoded."""
    import logging
    import tempfile

    from platypus import EpsNSGAII

    from .. import ema

    logging.getLogger("EMA").setLevel(logging.WARNING)
    with (
        ema.Evaluator(m, workers=workers, scheduler=scheduler, out=search) as ev,
        tempfile.TemporaryDirectory() as scratch,
        ema.pandas_deprecations_ignored(),
    ):
        if search is not None:
            search.mkdir(parents=True, exist_ok=True)
        front, convergence = ema.emw.optimize(
            m,
            algorithm=EpsNSGAII,
            nfe=nfe,
            searchover="levers",
            evaluator=ev,
            epsilons=list(epsilons),
            population_size=population_size,
            rng=seed,
            logging_freq=max(1, nfe // population_size),
            directory=str(search if search is not None else scratch),
            filename="archives.tar",  # EMA's record of the archive every convergence_freq evaluations
            convergence_freq=max(population_size, nfe // 10),
        )
    front = front.reset_index(drop=True)
    for k in (lv.name for lv in m.levers):
        front[k] = [ema.decode(k, v) for v in front[k]]
    return front, convergence


def summarise_front(runs: pd.DataFrame, levers: Sequence[str]) -> pd.DataFrame:
    """Per re-evaluated contract: its levers, the median and 10-90% of each objective over
    the fresh seeds, and whether its medians are still non-dominated."""
    runs = runs.copy()
    runs["total_cost_eur"] = runs["spend_eur"] + runs["admin_eur"]
    g = runs.groupby("point", sort=True)
    out = g[list(levers)].first()
    for k in OBJECTIVES:
        out[f"{k}_median"] = g[k].median()
        out[f"{k}_p10"] = g[k].quantile(0.1)
        out[f"{k}_p90"] = g[k].quantile(0.9)
    out["budget_eur"] = g["budget_eur"].first()
    out["nondominated"] = nondominated(out[[f"{k}_median" for k in OBJECTIVES]].to_numpy())
    return out.reset_index()


_MARKERS = {"fee_for_service": "o", "lump_sum": "s", "subsidy": "D", "output_based": "^"}
_MARKERS.update({"population_budget": "v", "blended": "P"})


def plot_front(opt: Optimisation, ax=None):
    """The re-evaluated Pareto front: total cost (EUR m a year) against the underserved
    share, each contract at its median over the fresh seeds with 10-90% bars, marked by
    funding model; the budget as a vertical line. Returns the axes."""
    import matplotlib.pyplot as plt

    r = opt.reevaluated
    if ax is None:
        _, ax = plt.subplots(figsize=(9, 6))
    colours = plt.get_cmap("tab10")
    models = list(dict.fromkeys(r["funding"])) if "funding" in r else ["contract"]
    for j, f in enumerate(models):
        d = r[r["funding"] == f] if "funding" in r else r
        x, y = d["total_cost_eur_median"] / 1e6, d["underserved_share_median"] * 100
        xerr = [x - d["total_cost_eur_p10"] / 1e6, d["total_cost_eur_p90"] / 1e6 - x]
        yerr = [y - d["underserved_share_p10"] * 100, d["underserved_share_p90"] * 100 - y]
        ax.errorbar(
            x,
            y,
            xerr=xerr,
            yerr=yerr,
            fmt=_MARKERS.get(f, "o"),
            color=colours(j),
            ms=8,
            capsize=2,
            alpha=0.85,
            label=f.replace("_", " "),
        )
    budget = float(r["budget_eur"].iloc[0]) / 1e6 if len(r) else None
    if budget:
        ax.axvline(budget, color="black", ls="--", lw=1, label="budget")
    ax.set_ylim(bottom=0)
    ax.set_xlabel("total cost: care spend + admin (EUR million a year)")
    ax.set_ylabel("clients underserved 4+ weeks in a row (%)")
    n = opt.settings.get("fresh_replicates", "?")
    ax.set_title(f"Contracts on the Pareto front, re-evaluated on {n} fresh seeds (median, 10-90% bars)")
    ax.grid(alpha=0.3)
    ax.legend(title="funding model", fontsize="small")
    return ax


def front_table(opt: Optimisation) -> pd.DataFrame:
    """The re-evaluated front for writing and printing, sorted by total cost."""
    cols = [c for c in opt.reevaluated.columns if c != "point"]
    return opt.reevaluated.sort_values("total_cost_eur_median")[cols].reset_index(drop=True)


def describe_front(opt: Optimisation, limit: int = 6) -> list[str]:
    """The re-evaluated front in plain language, cheapest contract first."""
    t = front_table(opt)
    t = t[t["nondominated"]]
    lines = [
        f"{len(t)} of {len(opt.reevaluated)} contracts stay on the front on "
        f"{opt.settings.get('fresh_replicates')} fresh seeds (medians):"
    ]
    for _, r in t.head(limit).iterrows():
        levers = ", ".join(f"{k}={_fmt(r[k])}" for k in opt.settings.get("levers", []) if k != "funding" and k in r)
        lines.append(
            f"- {r.get('funding', 'contract')}: total cost EUR {r['total_cost_eur_median'] / 1e6:.2f}m a year, "
            f"{r['underserved_share_median']:.1%} underserved ({levers})"
        )
    return lines


def _fmt(v: Any) -> str:
    if isinstance(v, bool | np.bool_):
        return str(bool(v)).lower()
    if isinstance(v, float | np.floating):
        return f"{float(v):.3g}"
    return str(v)


__all__ = [
    "DEFAULT_LEVERS",
    "OBJECTIVES",
    "Optimisation",
    "describe_front",
    "front_table",
    "nondominated",
    "optimize_contracts",
    "plot_front",
    "summarise_front",
]
