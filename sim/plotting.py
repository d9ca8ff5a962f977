"""Figures for care-sim results. Functions draw on Axes and return them; they never show or save.

pyplot is imported only when a function has to create a figure itself, so the module is
safe to import anywhere (servers, the Agg backend, tests).

Example:
    >>> runs = sim.compare("default", replicates=5, years=2)
    >>> axes = plot_compare(runs)
    >>> axes[0].figure.savefig("compare.png", dpi=100, bbox_inches="tight")
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from matplotlib.ticker import MaxNLocator

from .comparison import model_order
from .metric_info import METRICS, add_derived

if TYPE_CHECKING:
    from matplotlib.axes import Axes

#: Metrics drawn by :func:`plot_compare` when none are given (``total_cost_eur`` is care
#: spend plus admin, drawn as stacked bars; both cost panels carry the budget as a line).
DEFAULT_COMPARE_METRICS: tuple[str, ...] = (
    "unmet_need_share",
    "underserved_share",
    "unreached_share",
    "mean_wait_weeks",
    "formal_hours_per_client_week",
    "carer_overburden_share",
    "spend_eur",
    "total_cost_eur",
)

_BAND = (10.0, 90.0)
#: Font size of a compare figure: readable on a projector at the figure's size.
FONT = 12
#: Plain-language display units: unit -> (factor, axis unit).
_DISPLAY = {
    "share": (100.0, "%"),
    "EUR/yr": (1e-6, "million EUR per year"),
    "EUR": (1.0, "EUR"),
    "h": (1.0, "hours"),
    "weeks": (1.0, "weeks"),
    "/1000 cy": (1.0, "per 1,000 client-years"),
    "/1000": (1.0, "per 1,000"),
    "count": (1.0, "count"),
    "ratio": (1.0, "ratio"),
}
#: Metrics drawn with the budget as a line.
_BUDGET_PANELS = ("spend_eur", "total_cost_eur")


def metric_scale(metric: str) -> tuple[float, str]:
    """Factor and plain unit to display a metric with: shares in %, yearly euros in millions.

    Returns:
        ``(factor, unit)``; multiply values by ``factor``.

    Raises:
        KeyError: ``metric`` is not a known metric (:data:`sim.metric_info.METRICS`).
    """
    unit = METRICS[metric].unit
    return _DISPLAY.get(unit, (1.0, unit))


def fmt_metric(metric: str, value: float) -> str:
    """A metric's value as text in its display unit: ``"12.3%"``, ``"EUR 1.25m a year"``,
    ``"2.1 hours"``; counts as whole numbers.

    Raises:
        KeyError: ``metric`` is not a known metric.
    """
    unit = METRICS[metric].unit
    if not np.isfinite(value):
        return "n/a"
    if unit == "share":
        return f"{100.0 * value:.1f}%"
    if unit == "EUR/yr":
        return f"EUR {value / 1e6:.2f}m a year"
    if unit == "EUR":
        return f"EUR {value:,.0f}"
    if unit == "count":
        return f"{value:.0f}"
    factor, shown = metric_scale(metric)
    return f"{value * factor:.3g} {shown}"


def panel_axes(n: int, *, ncols: int = 4, pyplot: bool = True, panel_size: tuple[float, float] = (4.8, 3.6)):
    """A figure with ``n`` panels in a grid; returns a 1-d array of its ``n`` Axes.

    Args:
        n: number of panels.
        ncols: most panels per row (4: a landscape, projector-shaped figure for 8 panels).
        pyplot: create the figure with pyplot (shown inline in notebooks); with False, a
            bare ``matplotlib.figure.Figure`` that needs no GUI backend and no closing.
        panel_size: width and height of one panel in inches.
    """
    if n < 1:
        raise ValueError("panel_axes needs at least one panel")
    ncols = max(1, min(ncols, n))
    nrows = math.ceil(n / ncols)
    size = (panel_size[0] * ncols, panel_size[1] * nrows)
    if pyplot:
        import matplotlib.pyplot as plt

        fig = plt.figure(figsize=size, layout="constrained")
    else:
        from matplotlib.figure import Figure

        fig = Figure(figsize=size, layout="constrained")
    grid = np.atleast_1d(fig.subplots(nrows, ncols, squeeze=False).ravel())
    for ax in grid[n:]:
        fig.delaxes(ax)
    return grid[:n]


def _check_metrics(runs: pd.DataFrame, metrics: Sequence[str]) -> None:
    import difflib

    for m in metrics:
        if m not in METRICS:
            hint = difflib.get_close_matches(m, list(METRICS), n=1)
            extra = f"; did you mean {hint[0]!r}?" if hint else ""
            raise ValueError(f"unknown metric {m!r}{extra}")
        if m not in runs.columns:
            raise ValueError(f"the runs table has no column {m!r}")


def _model_label(model: str) -> str:
    return model.replace("_", " ")


def plot_compare(runs: pd.DataFrame, metrics: Sequence[str] | None = None, axes: Any = None) -> np.ndarray:
    """Compare funding models: one panel per metric, one row per funding model.

    Made to be read on a projector: models on the vertical axis (their names never
    overlap), plain-language titles that say which direction is better, axis labels with
    plain units (shares in %, yearly euros in millions), counts and shares on axes from
    zero, the budget as a dashed line on the spend and total-cost panels, and total cost
    (care spend plus admin) as stacked bars. In the other panels a model gets its
    replicates as dots, a bar spanning the 10%-90% band and a thick line at the median.

    Args:
        runs: the long table from ``sim.compare`` (a ``funding`` column and one column
            per summary metric, a row per run).
        metrics: metrics to draw (summary keys, or ``total_cost_eur``); default
            :data:`DEFAULT_COMPARE_METRICS`.
        axes: Axes to draw on, at least one per metric (e.g. from :func:`panel_axes`);
            default: a new pyplot figure.

    Returns:
        A 1-d array of the Axes drawn on, one per metric.

    Raises:
        ValueError: unknown metric, missing column, too few axes or an empty table.
    """
    metrics = list(DEFAULT_COMPARE_METRICS if metrics is None else metrics)
    if "funding" not in runs.columns:
        raise ValueError("the runs table needs a 'funding' column (as from sim.compare)")
    if runs.empty:
        raise ValueError("the runs table is empty")
    runs = add_derived(runs)
    _check_metrics(runs, metrics)
    if axes is None:
        axes = panel_axes(len(metrics))
    axes = np.atleast_1d(np.asarray(axes, dtype=object)).ravel()
    if len(axes) < len(metrics):
        raise ValueError(f"{len(metrics)} metrics need {len(metrics)} axes, got {len(axes)}")

    models = model_order(runs)
    funding = runs["funding"].astype(str)
    by_model = {m: runs[funding == m] for m in models}
    legend: dict[str, Any] = {}
    for ax, metric in zip(axes, metrics, strict=False):
        info = METRICS[metric]
        factor, unit = metric_scale(metric)
        if metric == "total_cost_eur" and {"spend_eur", "admin_eur"} <= set(runs.columns):
            legend.update(_stacked_cost(ax, by_model, factor))
        else:
            _dots_and_bands(ax, by_model, metric, factor)
            legend.update(_band_handles())
        if metric in _BUDGET_PANELS and "budget_eur" in runs.columns:
            legend["budget"] = _budget_line(ax, by_model, factor)
        ax.set_yticks(range(len(models)), [_model_label(m) for m in models], fontsize=FONT)
        spec = ax.get_subplotspec() if hasattr(ax, "get_subplotspec") else None
        if spec is not None and not spec.is_first_col():
            ax.tick_params(axis="y", labelleft=False)  # the first column names the models
        ax.set_ylim(len(models) - 0.4, -0.6)  # the first model on top
        ax.set_xlabel(unit, fontsize=FONT)
        ax.set_title(textwrap.fill(f"{info.label} ({info.direction})", 40), fontsize=FONT)
        ax.xaxis.set_major_locator(MaxNLocator(nbins=4, min_n_ticks=3))
        ax.tick_params(axis="x", labelsize=FONT - 1)
        # counts, shares and money from zero (a negative value, e.g. under budget, keeps its room)
        ax.set_xlim(left=min(0.0, ax.get_xlim()[0]))
        ax.grid(axis="x", alpha=0.3)
    fig = axes[0].figure
    # one legend for the figure, below the panels, where it covers no data
    fig.legend(
        handles=list(legend.values()),
        loc="outside lower center",
        ncols=min(len(legend), 7),
        fontsize=FONT - 1,
        frameon=False,
    )
    return axes[: len(metrics)]


def _dots_and_bands(ax: Axes, by_model: dict[str, pd.DataFrame], metric: str, factor: float) -> None:
    for i, rows in enumerate(by_model.values()):
        values = rows[metric].to_numpy(dtype=float) * factor
        values = values[np.isfinite(values)]
        if values.size == 0:
            continue
        lo, med, hi = np.percentile(values, [_BAND[0], 50.0, _BAND[1]])
        colour = f"C{i}"
        ax.barh(i, hi - lo, left=lo, height=0.55, color=colour, alpha=0.3, linewidth=0)
        ax.vlines(med, i - 0.3, i + 0.3, color=colour, linewidth=3)
        jitter = np.linspace(-0.15, 0.15, values.size) if values.size > 1 else np.zeros(1)
        ax.scatter(values, i + jitter, s=14, color="0.25", alpha=0.6, zorder=3, linewidths=0)


def _stacked_cost(ax: Axes, by_model: dict[str, pd.DataFrame], factor: float) -> dict[str, Any]:
    """Median care spend and median admin cost stacked; the 10%-90% band of the total as a
    whisker. Returns the legend handles."""
    for i, rows in enumerate(by_model.values()):
        care = float(np.median(rows["spend_eur"])) * factor
        admin = float(np.median(rows["admin_eur"])) * factor
        total = (rows["spend_eur"] + rows["admin_eur"]).to_numpy(dtype=float) * factor
        lo, hi = np.percentile(total, _BAND)
        ax.barh(i, care, height=0.55, color=f"C{i}", alpha=0.75, linewidth=0)
        ax.barh(i, admin, left=care, height=0.55, color="0.55", hatch="//", linewidth=0, edgecolor="white")
        ax.hlines(i, lo, hi, color="0.15", linewidth=1.5)
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    return {
        "care": Patch(color="0.7", label="care spend (median)"),
        "admin": Patch(facecolor="0.55", hatch="//", edgecolor="white", label="admin cost (median)"),
        "total": Line2D([], [], color="0.15", linewidth=1.5, label="total cost, 10%-90%"),
    }


def _budget_line(ax: Axes, by_model: dict[str, pd.DataFrame], factor: float) -> Any:
    """The budget: one dashed line when every model has the same, else a dash per model.
    Returns the legend handle."""
    budgets = {m: float(np.median(rows["budget_eur"])) * factor for m, rows in by_model.items()}
    values = list(budgets.values())
    if np.allclose(values, values[0], rtol=1e-9):
        line = ax.axvline(values[0], color="black", linestyle="--", linewidth=1.6, label="budget")
    else:
        for i, v in enumerate(values):
            line = ax.vlines(v, i - 0.4, i + 0.4, color="black", linestyle="--", linewidth=1.6, label="budget")
    line.set_gid("budget")
    return line


def _band_handles() -> dict[str, Any]:
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    return {
        "median": Line2D([], [], color="0.2", linewidth=3, label="median"),
        "band": Patch(color="0.2", alpha=0.3, label=f"{_BAND[0]:g}%-{_BAND[1]:g}% of replicates"),
        "replicate": Line2D([], [], color="0.25", marker="o", linestyle="", markersize=4, alpha=0.6, label="replicate"),
    }


def compare_figure(runs: pd.DataFrame, title: str, metrics: Sequence[str] | None = None):
    """The ``care-sim compare`` figure (a bare Figure, no GUI backend needed)."""
    metrics = list(DEFAULT_COMPARE_METRICS if metrics is None else metrics)
    axes = panel_axes(len(metrics), pyplot=False)
    plot_compare(runs, metrics, axes=axes)
    fig = axes[0].figure
    fig.suptitle(title, fontsize=FONT + 2)
    return fig


def weekly_unit(column: str) -> str:
    """A display unit for a column of the weekly table, guessed from its name."""
    if column.endswith("_hours"):
        return "h/week"
    if "reserves" in column or column.startswith("cumulative_"):
        return "EUR"
    if column.endswith("_eur"):
        return "EUR/week"
    if column == "bankruptcies":
        return "count, cumulative"
    return "count"


def plot_weekly(weekly: pd.DataFrame, column: str, ax: Axes | None = None, label: str | None = None) -> Axes:
    """Draw one column of a run's weekly table against the week.

    Args:
        weekly: ``RunResult.weekly``: a row per week, with a ``week`` column (else the
            row number is used).
        column: the column to draw, e.g. ``"clients_in_care"``.
        ax: Axes to draw on; default: a new pyplot figure.
        label: legend label for this line (e.g. the funding model); adds a legend.

    Returns:
        The Axes drawn on.

    Raises:
        ValueError: ``column`` is not in the table.
    """
    if column not in weekly.columns:
        import difflib

        hint = difflib.get_close_matches(column, [str(c) for c in weekly.columns], n=1)
        extra = f"; did you mean {hint[0]!r}?" if hint else ""
        raise ValueError(f"the weekly table has no column {column!r}{extra}")
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=(6.4, 3.6), layout="constrained")
    x = weekly["week"].to_numpy() if "week" in weekly.columns else np.arange(len(weekly))
    ax.plot(x, weekly[column].to_numpy(dtype=float), label=label)
    ax.set_xlabel("week")
    ax.set_ylabel(f"{column.replace('_', ' ')} ({weekly_unit(column)})")
    if label is not None:
        ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    return ax


# --- notebooks and the policy guide -------------------------------------------------------

#: Font sizes for figures shown on a projector (notebooks, docs/guide.md).
PROJECTOR_RC: dict[str, Any] = {
    "font.size": FONT + 1,
    "axes.titlesize": FONT + 2,
    "axes.labelsize": FONT + 1,
    "xtick.labelsize": FONT,
    "ytick.labelsize": FONT,
    "legend.fontsize": FONT,
    "figure.titlesize": FONT + 4,
    "figure.dpi": 100,
    "savefig.dpi": 110,
    "savefig.bbox": "tight",
}


def use_projector_style() -> None:
    """Set matplotlib's fonts to sizes readable on a projector (:data:`PROJECTOR_RC`)."""
    import matplotlib as mpl

    mpl.rcParams.update(PROJECTOR_RC)


def _new_axes(ax: Axes | None, size: tuple[float, float]) -> Axes:
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    _, ax = plt.subplots(figsize=size, layout="constrained")
    return ax


def _metric_label(metric: str) -> str:
    return METRICS[metric].label if metric in METRICS else metric.replace("_", " ")


def plot_p_better(
    stats: pd.DataFrame, metrics: Sequence[str], ax: Axes | None = None, *, reference: str | None = None
) -> Axes:
    """How often each funding model beats the reference, paired by seed.

    One row per model (the reference left out), one marker per metric at the share of
    paired seeds on which the model does better in that metric's better direction (ties
    count half), with a line at 50% (as often better as worse).

    Args:
        stats: the table of :func:`sim.comparison.compare_stats` (``metric``, ``funding``,
            ``p_better``).
        metrics: metrics to show; each needs a better direction (:mod:`sim.metric_info`).
        ax: Axes to draw on; default a new figure.
        reference: the model compared with (default: the one whose ``p_better`` is NaN
            for every metric, i.e. :data:`sim.comparison.REFERENCE`).

    Raises:
        ValueError: a metric is not in ``stats`` or has no better direction.
    """
    from .comparison import REFERENCE

    reference = reference or REFERENCE
    for m in metrics:
        if m not in set(stats["metric"]):
            raise ValueError(f"metric {m!r} is not in the statistics table")
        if METRICS[m].better is None:
            raise ValueError(f"metric {m!r} has no better direction: 'beats' means nothing for it")
    models = [m for m in model_order(stats) if m != reference]
    ax = _new_axes(ax, (12.0, 0.8 * len(models) + 2.2))
    markers = "osD^vP*X"
    offsets = np.linspace(-0.25, 0.25, len(metrics)) if len(metrics) > 1 else np.zeros(1)
    for j, metric in enumerate(metrics):
        rows = stats[stats["metric"] == metric].set_index("funding")
        x = [100.0 * float(rows.loc[m, "p_better"]) if m in rows.index else np.nan for m in models]
        ax.scatter(
            x,
            np.arange(len(models)) + offsets[j],
            s=90,
            marker=markers[j % len(markers)],
            color=f"C{j}",
            label=textwrap.fill(_metric_label(metric), 38),
            zorder=3,
        )
    ax.axvline(50.0, color="0.3", linestyle="--", linewidth=1.2, label="as often better as worse")
    ax.set_yticks(range(len(models)), [_model_label(m) for m in models])
    ax.set_ylim(len(models) - 0.5, -0.5)
    ax.set_xlim(-3, 103)
    ax.set_xlabel(f"% of paired seeds on which the model does better than {_model_label(reference)}")
    ax.set_title(f"How often each model beats {_model_label(reference)} (same seeds)")
    ax.grid(axis="x", alpha=0.3)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    return ax


def plot_paired_difference(
    stats: pd.DataFrame, metric: str, ax: Axes | None = None, *, reference: str | None = None
) -> Axes:
    """Each model's difference from the reference on the same seeds: the median paired
    difference as a bar and its 10%-90% band as a whisker, in the metric's display unit.

    Args:
        stats: the table of :func:`sim.comparison.compare_stats`.
        metric: one metric of it.
        ax: Axes to draw on; default a new figure.
        reference: the model the differences are taken from (default
            :data:`sim.comparison.REFERENCE`).

    Raises:
        ValueError: ``metric`` is not in ``stats``.
    """
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    from .comparison import REFERENCE

    reference = reference or REFERENCE
    rows = stats[stats["metric"] == metric]
    if rows.empty:
        raise ValueError(f"metric {metric!r} is not in the statistics table")
    rows = rows[rows["funding"] != reference].set_index("funding")
    models = [m for m in model_order(stats) if m in rows.index]
    factor, unit = metric_scale(metric) if metric in METRICS else (1.0, "")
    unit = "percentage points" if unit == "%" else unit  # a difference of two shares
    ax = _new_axes(ax, (8.0, 0.6 * len(models) + 2.0))
    for i, m in enumerate(models):
        r = rows.loc[m]
        ax.barh(i, r["diff_median"] * factor, height=0.55, color=f"C{i + 1}", alpha=0.8)
        ax.hlines(i, r["diff_p10"] * factor, r["diff_p90"] * factor, color="0.15", linewidth=2)
    ax.axvline(0.0, color="black", linewidth=1)
    ax.set_yticks(range(len(models)), [_model_label(m) for m in models])
    ax.set_ylim(len(models) - 0.5, -0.5)
    ax.set_xlabel(f"difference from {_model_label(reference)} ({unit})")
    ax.set_title(textwrap.fill(f"{_metric_label(metric)}: change against {_model_label(reference)}", 50))
    ax.xaxis.set_major_locator(MaxNLocator(nbins=5))
    ax.grid(axis="x", alpha=0.3)
    ax.legend(
        handles=[
            Patch(color="0.5", label="median paired difference"),
            Line2D([], [], color="0.15", linewidth=2, label="10%-90% of seeds"),
        ],
        loc="upper center",
        bbox_to_anchor=(0.5, -0.18),
        ncols=2,
        frameon=False,
    )
    return ax


def plot_weekly_compare(
    weeklies: dict[str, pd.DataFrame],
    columns: Sequence[str],
    axes: Any = None,
    *,
    smooth_weeks: int = 13,
    titles: dict[str, str] | None = None,
) -> np.ndarray:
    """Weekly columns of several runs over time, a panel per column and a line per run.

    Args:
        weeklies: label -> ``RunResult.weekly`` (e.g. ``{"your contract": a, "fee for
            service": b}``).
        columns: columns of the weekly tables, e.g. ``"unmet_hours"``.
        axes: Axes to draw on, one per column; default a new pyplot figure.
        smooth_weeks: a rolling mean over this many weeks (1: none), so the seasonal
            noise does not hide the trend.
        titles: column -> panel title (default: the column in words).

    Raises:
        ValueError: no runs, or a column missing from a table.
    """
    if not weeklies:
        raise ValueError("give at least one run's weekly table")
    for label, w in weeklies.items():
        missing = [c for c in columns if c not in w.columns]
        if missing:
            raise ValueError(f"the weekly table of {label!r} has no column {missing[0]!r}")
    if axes is None:
        axes = panel_axes(len(columns), ncols=min(3, len(columns)), panel_size=(5.4, 3.8))
    axes = np.atleast_1d(np.asarray(axes, dtype=object)).ravel()
    factors, units = {}, {}
    for col in columns:  # euros in millions when they run that high (no "1e6" over the axis)
        unit = weekly_unit(col)
        big = unit.startswith("EUR") and max(float(w[col].abs().max()) for w in weeklies.values()) >= 1e5
        factors[col], units[col] = (1e-6, "million " + unit) if big else (1.0, unit)
    for ax, col in zip(axes, columns, strict=False):
        for i, (label, w) in enumerate(weeklies.items()):
            years = (w["week"].to_numpy() if "week" in w.columns else np.arange(len(w))) / 52.0
            y = w[col].astype(float).rolling(max(1, smooth_weeks), min_periods=1).mean()
            ax.plot(years, y * factors[col], color=f"C{i}", linewidth=2.2, label=label)
        ax.set_xlabel("year of the run")
        ax.set_ylabel(units[col])
        ax.set_title(textwrap.fill((titles or {}).get(col, col.replace("_", " ")), 36))
        ax.xaxis.set_major_locator(MaxNLocator(nbins=6, integer=True))
        ax.set_ylim(bottom=min(0.0, ax.get_ylim()[0]))
        ax.grid(alpha=0.3)
    handles, labels = axes[0].get_legend_handles_labels()
    axes[0].figure.legend(handles, labels, loc="outside lower center", ncols=len(labels), frameon=False)
    return axes[: len(columns)]


def plot_prim_tradeoff(d: Any, ax: Axes | None = None) -> Axes:
    """PRIM's peeling trajectory (:func:`sim.experiments.discovery.plot_tradeoff`) with a
    legend for the chosen box and the density asked for."""
    from matplotlib.lines import Line2D

    from .experiments.discovery import plot_tradeoff

    ax = plot_tradeoff(d, _new_axes(ax, (8.5, 5.5)))
    ax.legend(
        handles=[
            Line2D([], [], marker="o", linestyle="", color="C0", label="a box on the trajectory"),
            Line2D(
                [],
                [],
                marker="o",
                linestyle="",
                markerfacecolor="none",
                markeredgecolor="red",
                markersize=12,
                markeredgewidth=2,
                label="chosen box",
            ),
            Line2D([], [], color="grey", linestyle=":", label=f"density asked for ({d.min_density:.0%})"),
        ],
        loc="lower left",
        frameon=True,
    )
    return ax


def plot_prim_box(d: Any, ax: Axes | None = None) -> Axes:
    """The chosen PRIM box (:func:`sim.experiments.discovery.plot_box`) with a legend."""
    from matplotlib.patches import Patch

    from .experiments.discovery import plot_box

    n = max(len(d.limits()), 1)
    ax = plot_box(d, _new_axes(ax, (10.0, 0.8 * n + 2.2)))
    ax.set_title(textwrap.fill(ax.get_title(), 60))
    ax.legend(
        handles=[Patch(color="#1f77b4", label="part of the sampled range inside the box")],
        loc="upper center",
        bbox_to_anchor=(0.5, -0.28),
        frameon=False,
    )
    return ax


def plot_prim_scatter(d: Any, x: str, y: str, ax: Axes | None = None) -> Axes:
    """The sampled parameter sets on two parameters, coloured by whether they are cases of
    interest (e.g. more than 30% underserved), with the chosen box's limits as lines.

    Raises:
        ValueError: ``x`` or ``y`` was not varied.
    """
    from .experiments.sensitivity import param_label

    for name in (x, y):
        if name not in d.x.columns:
            raise ValueError(f"{name!r} was not varied; varied: {list(d.x.columns)}")
    ax = _new_axes(ax, (8.0, 6.0))
    xs, ys, hit = d.x[x].astype(float), d.x[y].astype(float), np.asarray(d.y, dtype=bool)
    ax.scatter(xs[~hit], ys[~hit], s=28, color="0.65", label="other parameter sets", zorder=2)
    ax.scatter(xs[hit], ys[hit], s=36, color="C3", label=f"cases of interest: {d.rule}", zorder=3)
    lim = d.limits().set_index("parameter")
    for name, line in ((x, ax.axvline), (y, ax.axhline)):
        if name in lim.index and not lim.loc[name, "categories"]:
            for v in (lim.loc[name, "min"], lim.loc[name, "max"]):
                line(v, color="C0", linestyle="--", linewidth=1.5)
    if x in lim.index or y in lim.index:
        ax.plot([], [], color="C0", linestyle="--", label="limits of the chosen box")
    ax.set_xlabel(param_label(x))
    ax.set_ylabel(param_label(y))
    ax.set_title(textwrap.fill(f"Where {d.rule}: the sampled parameter sets", 50))
    ax.grid(alpha=0.3)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.15), frameon=False)
    return ax
