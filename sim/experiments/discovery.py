"""Scenario discovery with PRIM: under which conditions does an outcome cross a threshold?

For example: "under which conditions does a lump sum leave more than 30% of clients
underserved?" A Latin hypercube over the analysis ranges of the chosen parameters is run
through the experiment engine (each point on the same replicate seeds); the points whose
mean outcome crosses the threshold are the cases of interest, and PRIM (Friedman & Fisher
1999, as implemented by EMA Workbench 3) peels the parameter space down to boxes that hold
them. Each box on the peeling trajectory trades *coverage* (the share of all cases of
interest inside the box) against *density* (the share of the box's points that are cases
of interest); the chosen box is the one with the highest coverage among those with at least
``min_density``.

Example:
    >>> names = ["carer_support_relief", "network_build_hours", "non_asker_share"]
    >>> design = discovery_design("default", names, 200, fixed={"funding": "lump_sum"})
    >>> d = discover(run_design(design), names, "underserved_share", 0.3)
    >>> print("\\n".join(d.summary_lines()))
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..params import PARAM_BY_NAME
from ..run import BASE_SEED
from .sensitivity import param_label, point_means


def discovery_design(
    scenario,
    names: Sequence[str],
    samples: int,
    *,
    replicates: int = 1,
    seed: int = BASE_SEED,
    fixed: Mapping[str, Any] | None = None,
    bounds: Mapping[str, Sequence[float]] | None = None,
    label: str = "discover",
):
    """An engine design: a Latin hypercube of ``samples`` points over the analysis ranges (or
    ``bounds``) of the numbers among ``names``, crossed with every value of the switches
    and choices among them, each point run on the same ``replicates`` seeds, with ``fixed``
    values (e.g. the funding model) in every point (as a sweep spec with ``design = "lhs"``)."""
    from .sensitivity import _spec_design

    return _spec_design("lhs", scenario, names, samples, replicates, seed, fixed, bounds, label)


@dataclass
class Discovery:
    """The outcome of :func:`discover`.

    Attributes:
        x: one row per design point: the varied parameters.
        y: per point, whether it is a case of interest.
        values: per point, the mean outcome over its replicates.
        rule: the case of interest in words, e.g. ``"underserved_share > 0.3"``.
        box: EMA Workbench's ``PrimBox`` (its peeling trajectory and limits).
        chosen: the index of the chosen box on the trajectory.
        min_density: the density the chosen box had to reach (if any box did).
    """

    x: pd.DataFrame
    y: np.ndarray
    values: np.ndarray
    rule: str
    box: Any
    chosen: int
    min_density: float
    settings: dict = field(default_factory=dict)

    @property
    def trajectory(self) -> pd.DataFrame:
        """Coverage, density, mass and restricted dimensions of every box PRIM peeled."""
        t = self.box.peeling_trajectory[["coverage", "density", "mass", "res_dim", "n", "k"]].copy()
        t.insert(0, "box", range(len(t)))
        return t.reset_index(drop=True)

    def stats(self) -> dict[str, float]:
        """The chosen box's coverage, density, mass and number of restricted parameters."""
        row = self.trajectory.iloc[self.chosen]
        return {k: float(row[k]) for k in ("coverage", "density", "mass", "res_dim", "n", "k")}

    def limits(self) -> pd.DataFrame:
        """The chosen box, a row per restricted parameter: its limits and PRIM's quasi-p
        values (how likely the restriction is chance; small is credible)."""
        from ..ema import pandas_deprecations_ignored

        with pandas_deprecations_ignored():
            [(_, table)] = self.box.inspect(self.chosen, style="data")
        rows = []
        for name, r in table.iterrows():
            lo, hi, q1, q2 = r.iloc[0], r.iloc[1], r.iloc[2], r.iloc[3]
            categorical = isinstance(lo, set | frozenset)
            rows.append(
                {
                    "parameter": name,
                    "min": None if categorical else float(lo),
                    "max": None if categorical else float(hi),
                    "categories": ", ".join(sorted(map(str, lo))) if categorical else "",
                    "qp_lower": None if pd.isna(q1) else float(q1),
                    "qp_upper": None if pd.isna(q2) else float(q2),
                }
            )
        return pd.DataFrame(rows, columns=["parameter", "min", "max", "categories", "qp_lower", "qp_upper"])

    def summary_lines(self) -> list[str]:
        """The chosen box in plain language."""
        s = self.stats()
        n_interest = int(self.y.sum())
        lines = [
            f"{n_interest} of {len(self.y)} parameter sets ({n_interest / max(len(self.y), 1):.0%}) have {self.rule}.",
        ]
        lim = self.limits()
        if lim.empty:
            lines.append("PRIM found no box that restricts a parameter: the cases of interest are spread everywhere.")
            return lines
        conds = []
        for r in lim.itertuples():
            if r.categories:
                conds.append(f"{r.parameter} is one of {r.categories}")
            else:
                p = PARAM_BY_NAME[r.parameter]
                lo_a, hi_a = float(self.x[r.parameter].min()), float(self.x[r.parameter].max())
                unit = f" {p.unit}" if p.unit else ""
                if np.isclose(r.min, lo_a):
                    conds.append(f"{r.parameter} <= {r.max:.3g}{unit}")
                elif np.isclose(r.max, hi_a):
                    conds.append(f"{r.parameter} >= {r.min:.3g}{unit}")
                else:
                    conds.append(f"{r.min:.3g} <= {r.parameter} <= {r.max:.3g}{unit}")
        lines.append(
            f"Where {' and '.join(conds)}, {s['density']:.0%} of the parameter sets have {self.rule} "
            f"(density); the box holds {s['coverage']:.0%} of all such sets (coverage) and "
            f"{s['mass']:.0%} of the sampled space (mass)."
        )
        if s["density"] < self.min_density:
            lines.append(f"No box reached the density asked for ({self.min_density:.0%}); this is the densest one.")
        return lines


def discover(
    results: pd.DataFrame,
    names: Sequence[str],
    metric: str,
    threshold: float,
    *,
    above: bool = True,
    min_density: float = 0.8,
    peel_alpha: float = 0.05,
    mass_min: float = 0.05,
) -> Discovery:
    """Run PRIM on a design's results.

    Args:
        results: the engine's table of a :func:`discovery_design` (or any design).
        names: the varied parameters PRIM may restrict (columns of ``results``).
        metric: the summary metric that defines a case of interest.
        threshold: the case of interest is ``metric > threshold`` (``above``) or
            ``metric < threshold``.
        min_density: the chosen box is the one with the highest coverage among those with
            at least this density (else the densest one).
        peel_alpha, mass_min: PRIM's peeling share and smallest box mass.

    Raises:
        ValueError: no or every design point is a case of interest (PRIM has nothing to find).
    """
    from ..ema import pandas_deprecations_ignored, prim

    names = list(names)
    missing = [n for n in names if n not in results.columns]
    if missing:
        raise KeyError(f"parameters {missing} are not columns of the results")
    means = point_means(results, [metric])[metric]
    x = results.drop_duplicates("point").sort_values("point").set_index("point")[names]
    x = x.loc[means.index].reset_index(drop=True)
    values = means.to_numpy(dtype=float)
    y = values > threshold if above else values < threshold
    rule = f"{metric} {'>' if above else '<'} {threshold:.4g}"
    if not y.any() or y.all():
        share = "none" if not y.any() else "all"
        raise ValueError(
            f"{share} of the {len(y)} parameter sets have {rule} (range {values.min():.3g}-{values.max():.3g}):"
            " choose a threshold inside the range"
        )
    p = prim(x, y, peel_alpha=peel_alpha, mass_min=mass_min)
    with pandas_deprecations_ignored():
        box = p.find_box()
    t = box.peeling_trajectory
    dense = np.flatnonzero(t["density"].to_numpy() >= min_density)
    chosen = int(dense[np.argmax(t["coverage"].to_numpy()[dense])]) if dense.size else int(t["density"].argmax())
    settings = {"metric": metric, "threshold": threshold, "above": above}
    settings.update(peel_alpha=peel_alpha, mass_min=mass_min)
    return Discovery(x, y, values, rule, box, chosen, min_density, settings)


def plot_tradeoff(d: Discovery, ax=None):
    """PRIM's peeling trajectory: coverage against density of every box, coloured by the
    number of restricted parameters, the chosen box marked. Returns the axes."""
    import matplotlib.pyplot as plt

    t = d.trajectory
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 5))
    sc = ax.scatter(t["coverage"], t["density"], c=t["res_dim"], cmap="viridis", s=30, zorder=2)
    c = t.iloc[d.chosen]
    ax.scatter([c["coverage"]], [c["density"]], s=180, facecolors="none", edgecolors="red", lw=2, zorder=3)
    ax.annotate(f"chosen box {d.chosen}", (c["coverage"], c["density"]), xytext=(8, -14), textcoords="offset points")
    ax.set_xlim(0, 1.02)
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("coverage: share of all cases of interest inside the box")
    ax.set_ylabel("density: share of the box's cases that are of interest")
    ax.set_title(f"PRIM trade-off: where {d.rule}")
    ax.axhline(d.min_density, color="grey", ls=":", lw=1)
    ax.grid(alpha=0.3)
    from matplotlib.ticker import MaxNLocator

    bar = plt.colorbar(sc, ax=ax, label="parameters restricted")
    bar.locator = MaxNLocator(integer=True)
    bar.update_ticks()
    return ax


def plot_box(d: Discovery, ax=None):
    """The chosen box: for each restricted parameter its limits within the analysed range
    (0 = the range's low end, 1 = its high end), the limits written at the bar ends."""
    import matplotlib.pyplot as plt

    lim = d.limits()
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 0.6 * max(len(lim), 1) + 1.5))
    for i, r in enumerate(lim.itertuples()):
        if r.categories:
            ax.barh(i, 1.0, left=0.0, color="#bbbbbb", height=0.5)
            ax.text(0.5, i, r.categories, ha="center", va="center")
            continue
        col = d.x[r.parameter]
        lo_a, hi_a = float(col.min()), float(col.max())
        span = hi_a - lo_a or 1.0
        a, b = (r.min - lo_a) / span, (r.max - lo_a) / span
        ax.barh(i, b - a, left=a, color="#1f77b4", height=0.5)
        ax.text(a, i + 0.32, f"{r.min:.3g}", ha="center", fontsize="small")
        ax.text(b, i + 0.32, f"{r.max:.3g}", ha="center", fontsize="small")
    ax.set_yticks(range(len(lim)), [param_label(n) for n in lim["parameter"]])
    ax.set_xlim(-0.05, 1.05)
    ax.set_ylim(-0.7, max(len(lim), 1) - 0.3)
    ax.set_xlabel("position in the sampled range (0 = lowest sampled value, 1 = highest)")
    s = d.stats()
    ax.set_title(f"Box {d.chosen}: coverage {s['coverage']:.0%}, density {s['density']:.0%} ({d.rule})")
    ax.grid(axis="x", alpha=0.3)
    return ax


__all__ = ["Discovery", "discover", "discovery_design", "plot_box", "plot_tradeoff"]
