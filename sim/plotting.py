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
    if "reserves" in column:
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
