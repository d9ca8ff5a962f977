"""The experimental evidence: does the incentive core reproduce the laboratory findings?

Hennig-Schmidt, Selten & Wiesen (2011) and Brosig-Koch et al. (2016) found, with
physicians choosing quantities of care for patients with a known optimum
(/work/shared/docs/calibration.md):

(a) fee-for-service leads to over-provision against the patient's optimum;
(b) lump-sum (capitation) payment leads to under-provision;
(c) both deviate less than pure profit maximisation predicts, because providers weigh the
    patient's benefit (altruism, which varies a lot between people);
(d) mixed payment reduces the deviation.

Here the incentive core of the model (ODD 7.6.1, :func:`sim.optimal_hours`) is run in
isolation: one client with optimum ``r`` and 10,000 providers whose altruism is drawn
from the model's default distribution (Beta with mean ``provider_altruism`` and sd
``provider_altruism_sd``, :func:`sim.setup.altruism`). The net money per hour ``mu`` comes
from the payment terms of the default scenario through ``sim.funding.net_money``
(individual hour, no transport, cost factor 1, no prevention share or KPI value). A
pure profit-maximiser (altruism 0) gives the cap ``max_formal_hours`` under
fee-for-service and nothing under a lump sum.

    MPLBACKEND=Agg python experiments/evidence.py

prints the evidence table (and the same with a provider that projects a deficit on its
fixed sum) and saves ``docs/figures/evidence.png``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from scipy.optimize import minimize_scalar

import sim
from sim.funding import net_money as weighed_net_money
from sim.params import Scenario
from sim.setup import altruism as _altruism

ROOT = Path(__file__).resolve().parents[1]
FIGURE = ROOT / "docs" / "figures" / "evidence.png"
SEED = sim.BASE_SEED
N_PROVIDERS = 10_000
R_CLIENT = 2.0  # hours/week, the client's optimum
R_RANGE = np.arange(0.25, 3.76, 0.25)  # hours/week, all below the default cap of 4 h
BLEND_GRID = np.linspace(0.0, 1.0, 201)
QUANTILES = (0.1, 0.5, 0.9)

CLAIMS = {
    "a": "fee-for-service over-provides against the patient's optimum (Hennig-Schmidt et al. 2011)",
    "b": "lump sum / capitation under-provides (Hennig-Schmidt et al. 2011)",
    "c_ffs": "FFS deviates less than pure profit maximisation predicts (altruism; HSW 2011, BK 2016)",
    "c_lump_sum": "lump sum deviates less than pure profit maximisation predicts (HSW 2011, BK 2016)",
    "d_best": "a mixed payment deviates less than either pure payment (Brosig-Koch et al. 2016)",
    "d_half": "the 50/50 mix deviates less than either pure payment (Brosig-Koch et al. 2016)",
}


def net_money(sc: Scenario, funding: str, within: bool = True) -> float:
    """Net money per individual hour ``mu`` under ``funding`` (ODD 7.6.2; no transport,
    cost factor 1, prevention share and KPI value 0). ``within``: the provider projects
    to stay within its fixed sum (else it weighs cost ``loss_aversion`` times)."""
    terms = sim.FUNDING[funding].terms(sc)
    mu_ind, _ = weighed_net_money(terms, sc, np.array([within]), sc.hourly_cost_eur, 0.0)
    return float(mu_ind[0])


def blend_money(sc: Scenario, share: float, within: bool = True) -> float:
    """``mu`` under the blended terms with ``blend_ffs_share = share``."""
    return net_money(sc.replace(blend_ffs_share=float(share)), "blended", within)


def relative_hours(sc: Scenario, mu: float, altruism, r: float) -> np.ndarray:
    """``e*/r`` of :func:`sim.optimal_hours` for each provider (cap ``max_formal_hours``)."""
    e = sim.optimal_hours(r, altruism, mu, sc.client_benefit_eur_per_hour, cap=sc.max_formal_hours)
    return np.atleast_1d(e / r)


def mean_abs_deviation(ratio: np.ndarray) -> float:
    """Mean over providers of ``|e*/r - 1|``: how far hours are from the client optimum."""
    return float(np.mean(np.abs(ratio - 1.0)))


@dataclass
class EvidenceData:
    """Hours relative to the client optimum, by payment type, blend share and ``r``."""

    scenario: Scenario
    within: bool
    r: float
    altruism: np.ndarray
    mu: dict[str, float]
    ratios: dict[str, np.ndarray]  # payment label -> e*/r per provider
    best_share: float
    blend_shares: np.ndarray
    blend_quantiles: np.ndarray  # (len(QUANTILES), len(blend_shares))
    blend_mad: np.ndarray  # mean |e*/r - 1| by blend share
    r_range: np.ndarray
    by_r: dict[str, np.ndarray] = field(default_factory=dict)  # label -> (len(r_range), n) e*/r


def _best_share(sc: Scenario, altruism, r: float, within: bool, grid: np.ndarray) -> tuple[float, np.ndarray]:
    """The blend share strictly between 0 and 1 with the least mean absolute deviation."""

    def mad(s):
        return mean_abs_deviation(relative_hours(sc, blend_money(sc, s, within), altruism, r))

    curve = np.array([mad(s) for s in grid])
    inner = np.flatnonzero((grid > 0) & (grid < 1))
    i = inner[np.argmin(curve[inner])]
    step = grid[1] - grid[0]
    lo, hi = max(grid[i] - step, 1e-9), min(grid[i] + step, 1.0 - 1e-9)
    fine = minimize_scalar(mad, bounds=(lo, hi), method="bounded", options={"xatol": 1e-7})
    best = float(fine.x) if fine.fun <= curve[i] else float(grid[i])
    return best, curve


def compute_evidence(
    scenario: str | Scenario = "default",
    within: bool = True,
    r: float = R_CLIENT,
    n: int = N_PROVIDERS,
    seed: int = SEED,
    **overrides,
) -> EvidenceData:
    """Draw ``n`` providers and compute their hours for one client under each payment.

    Args:
        scenario: the scenario (or its name) giving prices, cost, cap and altruism.
        within: the provider projects to stay within its fixed sum (lump sum and blend).
        r: the client's optimum, hours/week.
        n: providers drawn.
        seed: seed of the numpy Generator that draws the altruism.
        overrides: scenario parameters to change.
    """
    sc = sim.load_scenario(scenario, **overrides)
    altruism = _altruism(sc.provider_altruism, sc.provider_altruism_sd, n, np.random.default_rng(seed))
    best, mad_curve = _best_share(sc, altruism, r, within, BLEND_GRID)
    half = 0.5
    mu = {
        "fee_for_service": net_money(sc, "fee_for_service", within),
        "lump_sum": net_money(sc, "lump_sum", within),
        "blend_best": blend_money(sc, best, within),
        "blend_half": blend_money(sc, half, within),
    }
    zero = np.zeros(1)

    def all_ratios(rr):
        return {
            "profit_max_ffs": relative_hours(sc, mu["fee_for_service"], zero, rr),
            "fee_for_service": relative_hours(sc, mu["fee_for_service"], altruism, rr),
            "blend_best": relative_hours(sc, mu["blend_best"], altruism, rr),
            "blend_half": relative_hours(sc, mu["blend_half"], altruism, rr),
            "lump_sum": relative_hours(sc, mu["lump_sum"], altruism, rr),
            "profit_max_lump_sum": relative_hours(sc, mu["lump_sum"], zero, rr),
        }

    blend = np.array([relative_hours(sc, blend_money(sc, s, within), altruism, r) for s in BLEND_GRID])
    per_r = [all_ratios(float(rr)) for rr in R_RANGE]
    return EvidenceData(
        scenario=sc,
        within=within,
        r=r,
        altruism=altruism,
        mu=mu,
        ratios=all_ratios(r),
        best_share=best,
        blend_shares=BLEND_GRID,
        blend_quantiles=np.quantile(blend, QUANTILES, axis=1),
        blend_mad=mad_curve,
        r_range=R_RANGE,
        by_r={k: np.array([d[k] for d in per_r]) for k in per_r[0]},
    )


def _findings(ratios: dict[str, np.ndarray]) -> dict[str, tuple[str, float, str, float, bool]]:
    """(measure, model value, test, benchmark, reproduced) of each finding for one ``r``."""
    mean = {k: float(np.mean(v)) for k, v in ratios.items()}
    mad = {k: mean_abs_deviation(v) for k, v in ratios.items()}
    pure = min(mad["fee_for_service"], mad["lump_sum"])
    rows = {
        "a": ("mean e*/r, fee-for-service", mean["fee_for_service"], ">", 1.0),
        "b": ("mean e*/r, lump sum", mean["lump_sum"], "<", 1.0),
        "c_ffs": ("mean |e*/r-1|, FFS vs profit-max FFS", mad["fee_for_service"], "<", mad["profit_max_ffs"]),
        "c_lump_sum": (
            "mean |e*/r-1|, lump sum vs profit-max lump sum",
            mad["lump_sum"],
            "<",
            mad["profit_max_lump_sum"],
        ),
        "d_best": ("mean |e*/r-1|, best blend vs best pure", mad["blend_best"], "<", pure),
        "d_half": ("mean |e*/r-1|, 0.5 blend vs best pure", mad["blend_half"], "<", pure),
    }
    return {k: (m, v, t, bm, v > bm if t == ">" else v < bm) for k, (m, v, t, bm) in rows.items()}


def evidence_table(data: EvidenceData | None = None, **kwargs) -> pd.DataFrame:
    """The four findings: model value at ``r``, benchmark, claim, and whether reproduced.

    ``holds_all_r`` says whether the finding also holds for every client optimum in
    ``R_RANGE`` (0.25-3.75 h/week, below the cap). ``kwargs`` go to :func:`compute_evidence`.
    """
    data = data if data is not None else compute_evidence(**kwargs)
    at_r = _findings(data.ratios)
    over_r = [_findings({k: v[i] for k, v in data.by_r.items()}) for i in range(len(data.r_range))]
    rows = []
    for key, (measure, value, test, bench, ok) in at_r.items():
        rows.append(
            {
                "finding": key,
                "measure": measure,
                "model_value": value,
                "test": test,
                "benchmark": bench,
                "literature_claim": CLAIMS[key],
                "reproduced": bool(ok),
                "holds_all_r": all(f[key][4] for f in over_r),
            }
        )
    table = pd.DataFrame(rows)
    table.attrs.update(best_share=data.best_share, within=data.within, r=data.r, mu=dict(data.mu))
    return table


# --- figure -----------------------------------------------------------------------------------

LABELS = {
    "profit_max_ffs": "profit-max\nFFS (a = 0)",
    "fee_for_service": "fee-for-\nservice",
    "blend_best": "best blend\n(s = {best:.2f})",
    "blend_half": "blend\n(s = 0.5)",
    "lump_sum": "lump sum",
    "profit_max_lump_sum": "profit-max\nlump sum (a = 0)",
}
COLOURS = {"fee_for_service": "tab:red", "lump_sum": "tab:blue", "blend_best": "tab:green", "blend_half": "tab:olive"}


def _optimum_line(ax: Axes) -> None:
    ax.axhline(1.0, color="black", linestyle="--", linewidth=1.2, label="client optimum")


def plot_payment_types(data: EvidenceData, ax: Axes | None = None) -> Axes:
    """e*/r by payment type: median (dot), 10-90% of providers (bar), mean (cross)."""
    ax = ax if ax is not None else Figure().add_subplot()
    keys = list(LABELS)
    x = np.arange(len(keys))
    q = np.array([np.quantile(data.ratios[k], QUANTILES) for k in keys])
    means = [float(np.mean(data.ratios[k])) for k in keys]
    colours = [COLOURS.get(k, "grey") for k in keys]
    for i in range(len(keys)):
        ax.errorbar(
            x[i],
            q[i, 1],
            yerr=[[q[i, 1] - q[i, 0]], [q[i, 2] - q[i, 1]]],
            fmt="o",
            color=colours[i],
            capsize=6,
            markersize=7,
            linewidth=2,
            label="median and 10-90% of providers" if i == 1 else None,
        )
    ax.scatter(x, means, marker="x", color="black", s=50, zorder=3, label="mean")
    _optimum_line(ax)
    ax.set_xticks(x, [LABELS[k].format(best=data.best_share) for k in keys], fontsize=8)
    ax.set_xlabel("payment type")
    ax.set_ylabel("hours relative to the client optimum, e*/r (dimensionless)")
    ax.set_title(f"By payment type (client optimum r = {data.r:g} h/week)")
    ax.set_ylim(-0.1, data.scenario.max_formal_hours / data.r + 0.1)
    ax.legend(loc="upper right", fontsize=8)
    return ax


def plot_blend(data: EvidenceData, ax: Axes | None = None) -> Axes:
    """e*/r against the blend share: median and 10-90% band over providers."""
    ax = ax if ax is not None else Figure().add_subplot()
    s, (lo, med, hi) = data.blend_shares, data.blend_quantiles
    ax.fill_between(s, lo, hi, color="tab:green", alpha=0.25, label="10-90% of providers")
    ax.plot(s, med, color="tab:green", linewidth=2, label="median provider")
    ax.plot(s, data.blend_mad, color="tab:purple", linestyle=":", linewidth=1.5, label="mean |e*/r - 1|")
    _optimum_line(ax)
    ax.axvline(data.best_share, color="grey", linewidth=1, label=f"best blend s = {data.best_share:.3f}")
    ax.set_xlabel("blend_ffs_share s: share of the FFS price paid per hour (0 = lump sum, 1 = FFS)")
    ax.set_ylabel("hours relative to the client optimum, e*/r (dimensionless)")
    ax.set_title("Blended payment")
    ax.set_xlim(0.0, 1.0)
    ax.set_ylim(-0.05, max(1.5, float(hi.max()) + 0.05))
    ax.legend(loc="upper left", fontsize=8)
    return ax


def plot_by_r(data: EvidenceData, ax: Axes | None = None) -> Axes:
    """e*/r against the client optimum r for FFS and lump sum, with the profit-maximisers."""
    ax = ax if ax is not None else Figure().add_subplot()
    r = data.r_range
    for key, name in (("fee_for_service", "fee-for-service"), ("lump_sum", "lump sum")):
        lo, med, hi = np.quantile(data.by_r[key], QUANTILES, axis=1)
        ax.fill_between(r, lo, hi, color=COLOURS[key], alpha=0.2)
        ax.plot(r, med, color=COLOURS[key], linewidth=2, label=f"{name}: median, 10-90%")
    ax.plot(r, data.by_r["profit_max_ffs"][:, 0], color="tab:red", linestyle=":", label="profit-max FFS (cap / r)")
    ax.plot(r, data.by_r["profit_max_lump_sum"][:, 0], color="tab:blue", linestyle=":", label="profit-max lump sum")
    _optimum_line(ax)
    ax.set_xlabel("client optimum r (hours/week)")
    ax.set_ylabel("hours relative to the client optimum, e*/r (dimensionless)")
    ax.set_title(f"By client optimum (cap {data.scenario.max_formal_hours:g} h/week)")
    ax.set_ylim(-0.1, 2.6)
    ax.legend(loc="upper right", fontsize=8)
    return ax


def make_figure(data: EvidenceData) -> Figure:
    """The three panels in one figure (no pyplot, so nothing is shown)."""
    fig = Figure(figsize=(17, 5.5), layout="constrained")
    axes = fig.subplots(1, 3)
    plot_payment_types(data, axes[0])
    plot_blend(data, axes[1])
    plot_by_r(data, axes[2])
    sc = data.scenario
    position = "within its fixed sum" if data.within else "projecting a deficit (loss aversion)"
    fig.suptitle(
        f"The incentive core against the experimental evidence: {len(data.altruism):,} providers, altruism "
        f"Beta(mean {sc.provider_altruism:g}, sd {sc.provider_altruism_sd:g}); price EUR {sc.hourly_price_eur:g}/h, "
        f"cost EUR {sc.hourly_cost_eur:g}/h; fixed-sum provider {position}",
        fontsize=11,
    )
    return fig


def _print_table(table: pd.DataFrame, heading: str) -> None:
    attrs = table.attrs
    mu = ", ".join(f"{k} {v:.2f}" for k, v in attrs["mu"].items())
    print(f"\n{heading}\n  r = {attrs['r']:g} h/week; best blend s = {attrs['best_share']:.4f}; mu (EUR/h): {mu}")
    show = table[["finding", "measure", "model_value", "test", "benchmark", "reproduced", "holds_all_r"]]
    print(show.to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    print("  claims:")
    for _, row in table.iterrows():
        print(f"    {row['finding']:<11} {row['literature_claim']}")


def main() -> None:
    data = compute_evidence()
    _print_table(evidence_table(data), "The experimental evidence (fixed-sum provider projects to stay within its sum)")
    beyond = compute_evidence(within=False)
    heading = "Sensitivity: fixed-sum provider projects a deficit (cost weighed x loss_aversion)"
    _print_table(evidence_table(beyond), heading)
    FIGURE.parent.mkdir(parents=True, exist_ok=True)
    make_figure(data).savefig(FIGURE, dpi=130)
    print(f"\nsaved {FIGURE.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
