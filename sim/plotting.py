"""Figures for care-sim results. Functions draw on Axes and return them; they never show or save.

pyplot is imported only when a function has to create a figure itself, so the module is
safe to import anywhere (servers, the Agg backend, tests).

Example:
    >>> runs = sim.compare("default", replicates=5, years=2)
    >>> axes = plot_compare(runs)
    >>> axes[0].figure.savefig("compare.png", dpi=120, bbox_inches="tight")
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .metrics import SUMMARY_KEYS
from .params import FUNDING_MODELS

if TYPE_CHECKING:
    from matplotlib.axes import Axes

#: Metrics drawn by :func:`plot_compare` when none are given.
DEFAULT_COMPARE_METRICS: tuple[str, ...] = (
    "formal_hours_per_client_week",
    "unmet_need_share",
    "underserved_share",
    "unreached_share",
    "mean_wait_weeks",
    "spend_eur",
)

_BAND = (10.0, 90.0)


def metric_scale(metric: str) -> tuple[float, str]:
    """Factor and unit to display a summary metric with: yearly euros are shown in millions.

    Returns:
        ``(factor, unit)``; multiply values by ``factor``.

    Raises:
        KeyError: ``metric`` is not in ``SUMMARY_KEYS``.
    """
    unit = SUMMARY_KEYS[metric][0]
    if unit == "EUR/yr":
        return 1e-6, "EUR m/yr"
    return 1.0, unit


def panel_axes(n: int, *, ncols: int = 3, pyplot: bool = True, panel_size: tuple[float, float] = (4.2, 3.4)):
    """A figure with ``n`` panels in a grid; returns a 1-d array of its ``n`` Axes.

    Args:
        n: number of panels.
        ncols: most panels per row.
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


def _model_order(runs: pd.DataFrame) -> list[str]:
    present = list(dict.fromkeys(runs["funding"].astype(str)))
    return [m for m in FUNDING_MODELS if m in present] + [m for m in present if m not in FUNDING_MODELS]


def _check_metrics(runs: pd.DataFrame, metrics: Sequence[str]) -> None:
    import difflib

    for m in metrics:
        if m not in SUMMARY_KEYS:
            hint = difflib.get_close_matches(m, list(SUMMARY_KEYS), n=1)
            extra = f"; did you mean {hint[0]!r}?" if hint else ""
            raise ValueError(f"unknown metric {m!r}{extra}")
        if m not in runs.columns:
            raise ValueError(f"the runs table has no column {m!r}")


def plot_compare(runs: pd.DataFrame, metrics: Sequence[str] | None = None, axes: Any = None) -> np.ndarray:
    """Compare funding models: one panel per metric, one column of marks per funding model.

    In each panel a funding model gets its replicates as dots, a bar spanning the 10%-90%
    band across replicates and a thick line at the median. Yearly euros are shown in
    millions ("EUR m/yr").

    Args:
        runs: the long table from ``sim.compare`` (a ``funding`` column and one column
            per summary metric, a row per run).
        metrics: summary keys to draw; default :data:`DEFAULT_COMPARE_METRICS`.
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
    _check_metrics(runs, metrics)
    if axes is None:
        axes = panel_axes(len(metrics))
    axes = np.atleast_1d(np.asarray(axes, dtype=object)).ravel()
    if len(axes) < len(metrics):
        raise ValueError(f"{len(metrics)} metrics need {len(metrics)} axes, got {len(axes)}")

    models = _model_order(runs)
    funding = runs["funding"].astype(str)
    for ax, metric in zip(axes, metrics, strict=False):
        factor, unit = metric_scale(metric)
        for i, model in enumerate(models):
            values = runs.loc[funding == model, metric].to_numpy(dtype=float) * factor
            values = values[np.isfinite(values)]
            if values.size == 0:
                continue
            lo, med, hi = np.percentile(values, [_BAND[0], 50.0, _BAND[1]])
            colour = f"C{i}"
            ax.bar(i, hi - lo, bottom=lo, width=0.5, color=colour, alpha=0.25, linewidth=0)
            ax.hlines(med, i - 0.25, i + 0.25, color=colour, linewidth=2.5)
            jitter = np.linspace(-0.12, 0.12, values.size) if values.size > 1 else np.zeros(1)
            ax.scatter(i + jitter, values, s=10, color="0.25", alpha=0.6, zorder=3, linewidths=0)
        ax.set_xticks(range(len(models)), [m.replace("_", " ") for m in models])
        ax.set_xlim(-0.6, len(models) - 0.4)
        ax.set_ylabel(f"{metric} ({unit})")
        ax.set_title(textwrap.fill(SUMMARY_KEYS[metric][1], 42), fontsize=9)
        ax.grid(axis="y", alpha=0.3)
    _band_legend(axes[0])
    return axes[: len(metrics)]


def _band_legend(ax: Axes) -> None:
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    handles = [
        Line2D([], [], color="0.2", linewidth=2.5, label="median"),
        Patch(color="0.2", alpha=0.25, label=f"{_BAND[0]:g}%-{_BAND[1]:g}% of replicates"),
        Line2D([], [], color="0.25", marker="o", linestyle="", markersize=3, alpha=0.6, label="replicate"),
    ]
    ax.legend(handles=handles, fontsize=7, loc="best", framealpha=0.8)


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
