"""``care-sim app``: the workshop dashboard (Mesa + Solara), issue #12.

A browser dashboard for a workshop on a projector. It shows

- the neighbourhood network, each client coloured by state (:data:`STATUSES`);
- live plots of the three outcome families: care volume, under-service and money
  (spend against budget, provider reserves);
- inputs generated from the parameter table (:data:`sim.PARAMS`): a slider over each
  number's analysis range, a checkbox for a switch, a selector for a choice. Changing one
  resets the model with the new value;
- a side-by-side mode ("compare with"): a second funding model on the same seed, its
  weekly series drawn over the first and the difference shown.

Start it with ``care-sim app`` (or ``python -m sim.app``); it listens on 127.0.0.1
unless ``--host`` says otherwise and needs no internet (Solara's assets come from the
``solara-assets`` package). It needs the ``app`` extra: ``pip install -e '.[app]'``.

Layout of this module:

- :func:`client_status`, the ONE place that reads model internals (resident states);
- :func:`parameter_inputs`, the inputs from the parameter table;
- :class:`DashboardModel`, the Mesa model the page steps: one ``CareModel``, or two on the
  same seed;
- :func:`node_positions` and the figure functions (plain matplotlib, no Solara), also used
  by ``experiments/dashboard.py`` and the tests;
- :func:`Page`, the Solara page, built from Mesa's ``ModelController`` (step, play, reset);
- :func:`serve` and :func:`main`, the command line.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import functools
import importlib.util
import io
import math
import os
import socket
import sys
import threading
import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from mesa import Model

from .model import CareModel
from .params import FUNDING_MODELS, PARAM_BY_NAME, Scenario, ScenarioError, load_scenario
from .run import BASE_SEED, replicate_seeds

PROG = "care-sim app"
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765
#: The environment variable that tells the served page which scenario to start from.
SCENARIO_ENV = "CARE_SIM_APP_SCENARIO"


class AppError(ValueError):
    """Bad input to the dashboard's command line (one line for the user)."""


# --- the adapter: the one function that reads model internals -------------------------------

#: Client states on the network view: (name, colour, what it means), by status code.
#: Colours are from the Okabe-Ito palette (safe for colour blindness) plus grey and black.
STATUSES: tuple[tuple[str, str, str], ...] = (
    ("no need", "#c8c8c8", "no care need now; carers, volunteers"),
    ("served", "#009E73", "in care or on a personal budget"),
    ("underserved", "#E69F00", "in care, >25% of need unmet 4+ weeks"),
    ("waiting", "#0072B2", "asked, not in care yet (or between providers)"),
    ("unreached", "#1a1a1a", "in need, never asks, not found yet"),
    ("hidden", "#CC79A7", "lost at a handover, known to no one now"),
)
NO_NEED, SERVED, UNDERSERVED, WAITING, UNREACHED, HIDDEN = range(len(STATUSES))
#: The client statuses (every status but "no need").
CLIENT_STATUSES = tuple(range(SERVED, len(STATUSES)))


def client_status(model: CareModel) -> np.ndarray:
    """The status code (:data:`STATUSES`) of every node of ``model.layout``'s network.

    THE ADAPTER. This is the only function of the dashboard that reads model internals:
    the resident table's columns ``model.res.state``, ``.under_run`` and ``.reached``
    (one row per resident, residents are nodes ``0 .. layout.n_residents - 1``), the
    state codes of ``sim.state`` and the underserved run length of ``sim.supply``. When
    they move, change the reads below and nothing else;
    ``tests/test_app.py::test_client_status_agrees_with_the_weekly_reporters`` checks the
    result against the public weekly reporters.

    Statuses, in order of precedence (one per node):

    - served: state IN_CARE or PGB;
    - underserved: served, but its run of weeks with over 25% of need unmet is at least
      ``supply.UNDERSERVED_RUN`` (the definition of ``underserved_share``);
    - waiting: APPLYING, QUEUED or DECIDING (asked, not in care yet), or TRANSFER (in care
      with a provider that went bankrupt, waiting for a new one);
    - unreached: HIDDEN and never reached in this episode: a non-asker with a need whom
      no one (network, GP, outreach) has found yet;
    - hidden: HIDDEN after being reached: lost at a handover, known to no one now;
    - no need: every other resident, and every carer and volunteer node.
    """
    from . import state as st  # state codes; internal, like the columns
    from .supply import UNDERSERVED_RUN

    res = model.res
    state, run, reached = res.state, res.under_run, res.reached
    code = np.full(model.layout.n_nodes, NO_NEED, dtype=np.int8)
    mine = code[: state.size]  # a view: residents come first among the nodes
    served = (state == st.IN_CARE) | (state == st.PGB)
    mine[served] = SERVED
    mine[served & (run >= UNDERSERVED_RUN)] = UNDERSERVED
    mine[((state >= st.APPLYING) & (state <= st.DECIDING)) | (state == st.TRANSFER)] = WAITING
    hidden = state == st.HIDDEN
    mine[hidden & ~reached] = UNREACHED
    mine[hidden & reached] = HIDDEN
    return code


# --- inputs from the parameter table --------------------------------------------------------

#: The parameters the dashboard offers, levers first. Which ones is a choice made here;
#: their ranges, steps, labels and units come from the parameter table.
DASHBOARD_PARAMS: tuple[str, ...] = (
    "funding",
    "assessment_queue",
    "outreach",
    "hourly_price_eur",
    "max_formal_hours",
    "kpi_penalty_share",
    "subsidy_reclaim_share",
    "provider_altruism",
    "non_asker_share",
    "need_growth_per_year",
)
#: "compare with" value for a single run.
NO_COMPARISON = "none"
#: Replicates offered by the seed selector: replicate i runs on ``replicate_seeds(BASE_SEED, n)[i - 1]``.
REPLICATES = 10


def slider_step(lo: float, hi: float, stops: int = 20) -> float:
    """The largest step of 1, 2 or 5 times a power of ten that splits ``[lo, hi]`` into
    at least ``stops`` parts (e.g. 0.5 for [52, 66], 0.002 for [0, 0.04])."""
    raw = (hi - lo) / stops
    power = 10.0 ** math.floor(math.log10(raw))
    step = max(m * power for m in (1, 2, 5) if m * power <= raw)
    return float(f"{step:.1g}")


def parameter_inputs(scenario: Scenario, names: Sequence[str] = DASHBOARD_PARAMS) -> dict[str, dict[str, Any]]:
    """The dashboard's inputs for ``names``, each generated from its row of the table.

    Returns ``{name: options}`` in the format of Mesa's ``UserInputs``: a number gets a
    slider (``SliderInt``/``SliderFloat``) over its analysis range (widened to include the
    scenario's value if that lies outside), in steps of ``Param.step`` for a whole number
    and of :func:`slider_step` otherwise; a switch gets a ``Checkbox``; a choice a
    ``Select`` of its choices. ``label`` is the name with the unit, ``help`` the meaning,
    ``value`` the scenario's value.
    """
    out = {}
    for name in names:
        p = PARAM_BY_NAME[name]
        value = scenario[name]
        label = f"{name} ({p.unit})" if p.unit else name
        opts: dict[str, Any] = {"label": label, "value": value, "help": p.meaning}
        if p.choices:
            opts.update(type="Select", values=list(p.choices))
        elif p.kind is bool:
            opts.update(type="Checkbox")
        elif p.analysis is None:
            raise ValueError(f"{name} has no analysis range: it cannot be a slider")
        else:
            lo, hi = min(p.analysis[0], value), max(p.analysis[1], value)
            if p.kind is int:
                opts.update(type="SliderInt", min=int(lo), max=int(hi), step=int(p.step))
            else:
                opts.update(type="SliderFloat", min=float(lo), max=float(hi), step=slider_step(lo, hi))
        out[name] = opts
    return out


# --- the model the dashboard steps ----------------------------------------------------------


class Timing:
    """Mean wall time per week of the runs and per redraw of the page (shown in the sidebar)."""

    def __init__(self) -> None:
        self.total = {"week": 0.0, "redraw": 0.0}
        self.count = {"week": 0, "redraw": 0}

    def add(self, what: str, seconds: float) -> None:
        self.total[what] += seconds
        self.count[what] += 1

    def mean(self, what: str) -> float:
        return self.total[what] / self.count[what] if self.count[what] else math.nan

    def text(self) -> str:
        week, redraw = self.mean("week"), self.mean("redraw")
        parts = []
        if self.count["week"]:
            parts.append(f"{week * 1e3:.1f} ms per week")
        if self.count["redraw"]:
            parts.append(f"{redraw:.2f} s per redraw")
        return "mean time: " + ", ".join(parts) if parts else ""


class DashboardModel(Model):
    """What the dashboard runs: one ``CareModel``, or two funding models on the same seed.

    A Mesa model whose step is one week of each run. The runs share the scenario, the
    overrides and the seed (common random numbers: the same town, network and people), and
    differ only in ``funding``.

    Args:
        town: a shipped scenario name or a TOML path.
        replicate: 1 to :data:`REPLICATES`: runs on ``replicate_seeds(BASE_SEED, REPLICATES)[replicate - 1]``,
            the seeds of the project's tests and experiments.
        compare_with: a second funding model to run beside the first, or :data:`NO_COMPARISON`.
        overrides: parameter values that replace the scenario's (validated by the table).

    Attributes:
        runs: the ``CareModel`` runs, the scenario's funding model first.
        labels: the funding model of each run.
        positions: ``(n_nodes, 2)`` drawing positions of the network's nodes.
        status: the latest :func:`client_status` of each run.
        counts: per run, a list with the number of nodes in each status after each week.
        timing: mean wall time per week (all runs) and per redraw of the page.
    """

    def __init__(
        self,
        *,
        town: str = "default",
        replicate: int = 1,
        compare_with: str = NO_COMPARISON,
        overrides: Mapping[str, Any] | None = None,
    ):
        if not 1 <= int(replicate) <= REPLICATES:
            raise ScenarioError(f"replicate = {replicate!r} is out of range: allowed 1 to {REPLICATES}")
        if compare_with != NO_COMPARISON and compare_with not in FUNDING_MODELS:
            raise ScenarioError(
                f"compare_with = {compare_with!r} is not allowed: {NO_COMPARISON} or one of {', '.join(FUNDING_MODELS)}"
            )
        self.seed = replicate_seeds(BASE_SEED, REPLICATES)[int(replicate) - 1]
        super().__init__(rng=self.seed)
        scenario = load_scenario(town, **dict(overrides or {}))
        self.runs = [CareModel(scenario, rng=self.seed)]
        if compare_with != NO_COMPARISON:
            self.runs.append(CareModel(scenario, rng=self.seed, funding=compare_with))
        self.labels = [m.params.funding for m in self.runs]
        first = self.runs[0]
        self.positions = node_positions(
            first.layout, first.params.districts, first.params.neighbourhoods_per_district, self.seed
        )
        self.status = [client_status(m) for m in self.runs]
        self.counts = [[np.bincount(s, minlength=len(STATUSES))] for s in self.status]
        self.retired = False
        self._plots: dict | None = None  # see plots()
        self.timing = Timing()
        # Mesa's play loop steps in a thread while a click may redraw the page: a week and
        # a drawing must not interleave (a drawing would see a table a row longer than the counts)
        self.lock = threading.RLock()

    @property
    def week(self) -> int:
        """Weeks run so far."""
        return self.runs[0].steps

    @property
    def weeks(self) -> int:
        """Weeks in the whole run (``years * 52``)."""
        return self.runs[0].params.years * 52

    @property
    def comparing(self) -> bool:
        return len(self.runs) > 1

    def step(self) -> None:
        """One week of every run; a retired or finished model does nothing."""
        with self.lock:
            if self.retired or not self.running:
                self.running = False
                return
            t0 = time.perf_counter()
            for i, m in enumerate(self.runs):
                m.step()
                self.status[i] = client_status(m)
                self.counts[i].append(np.bincount(self.status[i], minlength=len(STATUSES)))
            self.running = all(m.running for m in self.runs)
            self.timing.add("week", time.perf_counter() - t0)

    def retire(self) -> None:
        """Stop this model for good: a play loop still stepping it sees ``running`` False."""
        self.retired = True
        self.running = False

    def weekly(self, i: int = 0):
        """The weekly reporters of run ``i`` (a DataFrame, a row per week run)."""
        return self.runs[i].datacollector.get_model_vars_dataframe()


# --- drawing: positions and figures (plain matplotlib) --------------------------------------


def node_positions(layout, districts: int, neighbourhoods: int, seed: int) -> np.ndarray:
    """Drawing positions of the network's nodes, cheap and fixed by ``seed``.

    Districts sit on a circle (one district: the centre), neighbourhoods on a ring inside
    their district, and each person uniformly on a small disc around their neighbourhood's
    centre; a carer sits next to the person they care for. Distances are not to scale.
    The jitter comes from its own generator, so drawing never changes a run.
    """
    rng = np.random.default_rng([seed, 0xD1A6])
    if districts == 1:
        centres, radius = np.zeros((1, 2)), 1.0
    else:
        a = np.pi + 2 * np.pi * np.arange(districts) / districts  # two districts: left and right
        centres, radius = np.column_stack([np.cos(a), np.sin(a)]), min(0.7, 0.95 * np.sin(np.pi / districts))
    nb = np.asarray(layout.neighbourhood)
    d, k = nb // neighbourhoods, nb % neighbourhoods
    if neighbourhoods == 1:
        at, spread = centres[d], 0.8 * radius
    else:
        ring = 0.6 * radius
        b = 2 * np.pi * k / neighbourhoods + np.pi / 4
        at = centres[d] + ring * np.column_stack([np.cos(b), np.sin(b)])
        spread = min(0.38 * radius, 0.9 * ring * np.sin(np.pi / neighbourhoods))
    r = spread * np.sqrt(rng.random(nb.size))
    t = 2 * np.pi * rng.random(nb.size)
    pos = at + np.column_stack([r * np.cos(t), r * np.sin(t)])
    carers = np.asarray(layout.carer_nodes)
    t = 2 * np.pi * rng.random(carers.size)
    pos[carers] = pos[np.asarray(layout.carer_of)] + 0.12 * spread * np.column_stack([np.cos(t), np.sin(t)])
    return pos


#: Text sizes for a projector at the back of a room.
STYLE = {
    "font.size": 14,
    "axes.titlesize": 15,
    "axes.labelsize": 14,
    "xtick.labelsize": 13,
    "ytick.labelsize": 13,
    "legend.fontsize": 13,
    "axes.spines.top": False,
    "axes.spines.right": False,
}
#: Size of a plot in inches and its resolution: 800 x 700 pixels, sharp at half a screen;
#: the text is large for the size, as a projector needs.
FIGSIZE, DPI = (6.4, 5.6), 125
#: Line styles of the first and the second run in side-by-side mode.
RUN_STYLES = ("-", "--")
TIME_LABEL = "time since start (years)"
#: Height of a legend row in inches.
LEGEND_ROW_IN = 0.3


@dataclass(frozen=True)
class Series:
    """One line of a plot: a label, a colour and its values, computed from a run."""

    label: str
    colour: str
    values: Callable[[pd.DataFrame, DashboardModel, int], np.ndarray]  # (weekly table, model, run) -> a value a week


def _col(name: str, scale: float = 1.0):
    return lambda w, dm, i: w[name].to_numpy(dtype=float) * scale


def _status_count(code: int):
    return lambda w, dm, i: np.array([c[code] for c in dm.counts[i][1 : len(w) + 1]], dtype=float)


def _unmet_pct(w, dm, i):
    need = w["need_hours"].to_numpy(dtype=float)
    return 100.0 * w["unmet_hours"].to_numpy(dtype=float) / np.maximum(need, 1e-9)


def _spend_m(w, dm, i):
    return np.cumsum(w["week_spend_eur"].to_numpy(dtype=float)) / 1e6


def _budget_m(w, dm, i):
    return dm.runs[i].municipality.budget / 52.0 * np.arange(1, len(w) + 1) / 1e6


#: The three outcome families: name -> (title, panels of (panel title, y label, series)).
FAMILIES: dict[str, tuple[str, tuple[tuple[str, str, tuple[Series, ...]], ...]]] = {
    "care": (
        "Care volume",
        (
            (
                "Formal care",
                "hours per week",
                (
                    Series("formal care given", "#0072B2", _col("formal_hours")),
                    Series("optimum for the clients", "#7f7f7f", _col("client_optimum_hours")),
                ),
            ),
            (
                "Informal and volunteer care",
                "hours per week",
                (
                    Series("informal (family, friends)", "#009E73", _col("informal_hours")),
                    Series("volunteers", "#CC79A7", _col("volunteer_hours")),
                ),
            ),
        ),
    ),
    "underservice": (
        "Under-service",
        (
            ("Unmet need", "% of need hours", (Series("need not met", "#D55E00", _unmet_pct),)),
            (
                "Clients without the care they need",
                "clients",
                tuple(Series(STATUSES[c][0], STATUSES[c][1], _status_count(c)) for c in CLIENT_STATUSES[1:]),
            ),
        ),
    ),
    "money": (
        "Money",
        (
            (
                "Municipal spending since the start",
                "EUR million",
                (Series("spent", "#0072B2", _spend_m), Series("budget, pro rata", "#7f7f7f", _budget_m)),
            ),
            (
                "Provider reserves",
                "EUR million",
                (Series("all providers", "#E69F00", _col("provider_reserves_eur", 1e-6)),),
            ),
        ),
    ),
}

#: The difference plot: (panel title, y label, series), each the second run minus the first.
DIFFERENCES: tuple[tuple[str, str, Series], ...] = (
    ("Formal care", "hours per week", FAMILIES["care"][1][0][2][0]),
    ("Unmet need", "percentage points", FAMILIES["underservice"][1][0][2][0]),
    ("Spending since the start", "EUR million", FAMILIES["money"][1][0][2][0]),
)


def _years(w: pd.DataFrame) -> np.ndarray:
    return (w["week"].to_numpy(dtype=float) + 1.0) / 52.0


class Plot:
    """A figure that is built once per model and redrawn in place.

    Reusing the figure and its canvas keeps matplotlib's text layout cache warm and skips
    the layout engine: margins are fixed in inches, wide enough for the tick labels.
    :meth:`png` updates the artists from the model (:meth:`update`) and redraws only the
    ones that change (:meth:`draw`).
    """

    #: margins in inches: left, right, top, bottom (without the legend)
    margins = (1.05, 0.25, 0.8, 0.7)

    def __init__(self, dm: DashboardModel, size: tuple[float, float], rows: int = 1, cols: int = 1, **grid):
        import matplotlib as mpl  # here, not at the top: `care-sim --help` should not wait for matplotlib
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        self.style = functools.partial(mpl.rc_context, STYLE)
        with self.style():
            self.fig = Figure(figsize=size, dpi=DPI)
            self.canvas = FigureCanvasAgg(self.fig)
            self.axes = self.fig.subplots(rows, cols, squeeze=False).ravel()
            self.legend_rows = 0
            self.background = None  # see draw()
            self.build(dm)
            w, h = size
            left, right, top, bottom = self.margins
            bottom += LEGEND_ROW_IN * self.legend_rows
            self.fig.subplots_adjust(left=left / w, right=1 - right / w, top=1 - top / h, bottom=bottom / h, **grid)
        self.model = dm

    def build(self, dm: DashboardModel) -> None:
        raise NotImplementedError

    def update(self, dm: DashboardModel) -> None:
        raise NotImplementedError

    def png(self) -> bytes:
        """The plot of the model's current week, as PNG bytes."""
        import PIL.Image

        with self.model.lock, self.style():
            self.update(self.model)
            self.draw()
        buf = io.BytesIO()
        PIL.Image.fromarray(np.asarray(self.canvas.buffer_rgba())).save(buf, format="png", compress_level=1)
        return buf.getvalue()

    def draw(self) -> None:
        """Render: the parts that never change once, into a background image; then, each
        time, that image and the :meth:`dynamic` artists on it (matplotlib's blitting)."""
        dynamic = self.dynamic()
        if self.background is None:
            for artist in dynamic:
                artist.set_visible(False)
            self.canvas.draw()
            self.background = self.canvas.copy_from_bbox(self.fig.bbox)
            for artist in dynamic:
                artist.set_visible(True)
        self.canvas.restore_region(self.background)
        for artist in dynamic:
            self.fig.draw_artist(artist)

    def dynamic(self) -> list:
        """The artists that change between redraws: the lines and the y axes (their limits follow the data)."""
        return [*(line for ax in self.axes for line in ax.get_lines()), *(ax.yaxis for ax in self.axes)]

    def _legend(self, handles: list, ncols: int = 2, **kw) -> None:
        """The figure's legend, centred below the panels (the bottom margin grows with its rows)."""
        self.fig.legend(
            handles=handles, loc="lower center", ncols=ncols, frameon=False, bbox_to_anchor=(0.5, 0.0), **kw
        )
        self.legend_rows = math.ceil(len(handles) / ncols)


def _key(label: str, colour: str, **style):
    """A legend entry: a line (or, with ``marker``, a dot) in ``colour``."""
    from matplotlib.lines import Line2D

    return Line2D([], [], color=colour, label=label, **({"lw": 3} | style))


def _time_axis(ax, dm: DashboardModel, ylabel: str, xlabel: bool = True) -> None:
    """Labelled axes with few ticks, so tick labels never overlap; plain numbers (no offset).
    Without ``xlabel`` (a panel above another) the time axis has no labels at all."""
    ax.set_xlabel(TIME_LABEL if xlabel else "")
    ax.tick_params(axis="x", labelbottom=xlabel)
    ax.set_ylabel(ylabel)
    ax.set_xlim(0, max(dm.weeks / 52.0, 1.0))
    from matplotlib.ticker import MaxNLocator

    ax.xaxis.set_major_locator(MaxNLocator(nbins=6, integer=True))
    ax.yaxis.set_major_locator(MaxNLocator(nbins=4))
    ax.ticklabel_format(axis="y", style="plain", useOffset=False)
    ax.grid(alpha=0.3)


def _rescale(ax, ys: Sequence[np.ndarray], floor: float | None = 0.0) -> None:
    """Fit the y axis to the values ``ys`` drawn on it, with a margin (from ``floor`` up, if given)."""
    ys = [y[np.isfinite(y)] for y in ys]
    ys = [y for y in ys if y.size]
    lo, hi = (min(y.min() for y in ys), max(y.max() for y in ys)) if ys else (0.0, 1.0)
    if floor is not None:
        lo = min(floor, lo)
    pad = 0.06 * (hi - lo) if hi > lo else max(1.0, abs(hi) * 0.1)
    ax.set_ylim(lo - (pad if floor is None or lo < floor else 0.0), hi + pad)


class FamilyPlot(Plot):
    """One outcome family (:data:`FAMILIES`) in stacked panels over time.

    A series keeps its colour; side by side, the first run is drawn solid and the second
    dashed, and the legend names both funding models.
    """

    def __init__(self, dm: DashboardModel, family: str):
        self.family = family
        super().__init__(dm, FIGSIZE, rows=len(FAMILIES[family][1]), hspace=0.3)

    def build(self, dm: DashboardModel) -> None:
        title, panels = FAMILIES[self.family]
        self.lines = []
        handles = []
        for n, (ax, (panel, ylabel, series)) in enumerate(zip(self.axes, panels, strict=True)):
            for s in series:
                for i in range(len(dm.runs)):
                    (line,) = ax.plot([], [], color=s.colour, ls=RUN_STYLES[i], lw=2.2)
                    self.lines.append((ax, line, s, i))
                handles.append(_key(s.label, s.colour))
            ax.set_title(panel, loc="left")
            _time_axis(ax, dm, ylabel, xlabel=n == len(panels) - 1)
        if dm.comparing:
            for style, label in zip(RUN_STYLES, dm.labels, strict=False):
                handles.append(_key(label, "#333333", ls=style, lw=2))
        self.fig.suptitle(f"{title}: {' vs '.join(dm.labels)}", fontsize=16, fontweight="bold")
        self._legend(handles, ncols=2)

    def update(self, dm: DashboardModel) -> None:
        tables = [dm.weekly(i) for i in range(len(dm.runs))]
        drawn = {ax: [] for ax in self.axes}
        for ax, line, s, i in self.lines:
            w = tables[i]
            y = s.values(w, dm, i)
            line.set_data(_years(w), y)
            drawn[ax].append(y)
        for ax, ys in drawn.items():
            _rescale(ax, ys)


class DifferencePlot(Plot):
    """The second run minus the first, week by week, for one series of each family."""

    def __init__(self, dm: DashboardModel):
        super().__init__(dm, (FIGSIZE[0], FIGSIZE[1] * 1.4), rows=len(DIFFERENCES), hspace=0.35)

    def build(self, dm: DashboardModel) -> None:
        self.lines = []
        label = f"{dm.labels[-1]} minus {dm.labels[0]}, same seed"
        for n, (ax, (title, ylabel, s)) in enumerate(zip(self.axes, DIFFERENCES, strict=True)):
            (line,) = ax.plot([], [], color=s.colour, lw=2.2)
            self.lines.append((ax, line, s))
            ax.axhline(0.0, color="#333333", lw=1)
            ax.set_title(title, loc="left")
            _time_axis(ax, dm, ylabel, xlabel=n == len(DIFFERENCES) - 1)
        self.fig.suptitle(f"Difference: {dm.labels[-1]} minus {dm.labels[0]}", fontsize=16, fontweight="bold")
        self._legend([_key(label, DIFFERENCES[0][2].colour)], ncols=1)

    def update(self, dm: DashboardModel) -> None:
        w0, w1 = dm.weekly(0), dm.weekly(len(dm.runs) - 1)
        n = min(len(w0), len(w1))
        w0, w1 = w0.iloc[:n], w1.iloc[:n]
        for ax, line, s in self.lines:
            y = s.values(w1, dm, len(dm.runs) - 1) - s.values(w0, dm, 0)
            line.set_data(_years(w0), y)
            _rescale(ax, [y, np.zeros(1)], floor=None)


class NetworkPlot(Plot):
    """The neighbourhood network of each run, its nodes coloured by :func:`client_status`.

    Ties and positions are drawn once (:meth:`Plot.draw`); a redraw draws only the nodes
    (one scatter collection per run, clients on top), the titles and the legend.
    """

    def __init__(self, dm: DashboardModel):
        n = len(dm.runs)
        legend_rows = len(STATUSES) if n == 1 else math.ceil(len(STATUSES) / 2)
        self.caption_in = 0.3
        self.margins = (0.1, 0.1, 0.85, self.caption_in + 0.15)
        span = np.ptp(dm.positions, axis=0) + 0.1
        width = FIGSIZE[0] * n
        height = (width - 0.2) / n * span[1] / span[0] + sum(self.margins[2:]) + LEGEND_ROW_IN * legend_rows
        super().__init__(dm, (width, height), cols=n, wspace=0.05)

    def build(self, dm: DashboardModel) -> None:
        pos = dm.positions
        edges = np.array(list(dm.runs[0].layout.graph.edges()), dtype=np.int64).reshape(-1, 2)
        from matplotlib.collections import LineCollection
        from matplotlib.colors import to_rgba

        self.colours = np.array([to_rgba(c) for _, c, _ in STATUSES])
        self.sizes = np.array([2.0] + [22.0] * len(CLIENT_STATUSES))
        self.dots = []
        for ax in self.axes:
            ax.add_collection(LineCollection(pos[edges], colors="#b0b0b0", linewidths=0.3, alpha=0.35, zorder=1))
            self.dots.append(ax.scatter(pos[:, 0], pos[:, 1], s=2, linewidths=0, zorder=2))
            ax.set_aspect("equal")
            ax.set_xlim(pos[:, 0].min() - 0.05, pos[:, 0].max() + 0.05)
            ax.set_ylim(pos[:, 1].min() - 0.05, pos[:, 1].max() + 0.05)
            ax.set_axis_off()
        self.fig.suptitle("Clients on the neighbourhood network", fontsize=16, fontweight="bold")
        handles = [_key(name, c, ls="", marker="o", ms=9) for name, c, _ in STATUSES]
        self._legend(handles, ncols=1 if len(dm.runs) == 1 else 2, fontsize=12)
        self.legend = self.fig.legends[0]
        self.legend.set_bbox_to_anchor((0.5, self.caption_in / self.fig.get_figheight()))
        self.fig.text(
            0.5,
            0.08 / self.fig.get_figheight(),
            "grey lines: social ties; positions show district and neighbourhood, not distance",
            ha="center",
            va="bottom",
            fontsize=11,
            color="#555555",
        )

    def dynamic(self) -> list:
        return [*self.dots, *(ax.title for ax in self.axes), self.legend]

    def update(self, dm: DashboardModel) -> None:
        pos = dm.positions
        for ax, dots, status, label in zip(self.axes, self.dots, dm.status, dm.labels, strict=True):
            order = np.argsort(status, kind="stable")  # clients drawn over the rest
            dots.set_offsets(pos[order])
            dots.set_facecolors(self.colours[status[order]])
            dots.set_sizes(self.sizes[status[order]])
            ax.set_title(f"{label}, week {dm.week}", fontsize=15)
        counts = dm.counts[0][-1]
        for code, text in enumerate(self.legend.get_texts()):
            name, _, meaning = STATUSES[code]
            count = "" if code == NO_NEED or dm.comparing else f" ({int(counts[code])})"
            text.set_text(f"{name}{count}: {meaning}")


def plots(dm: DashboardModel) -> dict[str, Plot]:
    """The dashboard's plots of ``dm``, built on first use and kept with the model."""
    if dm._plots is None:
        dm._plots = {"network": NetworkPlot(dm)}
        dm._plots.update({family: FamilyPlot(dm, family) for family in FAMILIES})
        if dm.comparing:
            dm._plots["difference"] = DifferencePlot(dm)
    return dm._plots


# --- the Solara page ------------------------------------------------------------------------


#: The page's Solara components by name, as plain functions until :func:`_load_ui`.
_UI: dict[str, Callable] = {}


def _component(function: Callable) -> Callable:
    """Mark ``function`` as a Solara component of the page, made by :func:`_load_ui`."""
    _UI[function.__name__.strip("_").capitalize()] = function
    return function


def _start_settings() -> dict[str, Any]:
    """The keyword arguments of the first :class:`DashboardModel` of a session."""
    return {
        "town": os.environ.get(SCENARIO_ENV, "default"),
        "replicate": 1,
        "compare_with": NO_COMPARISON,
        "overrides": {},
    }


@_component
def _views(model: DashboardModel):
    """The network view and the outcome plots; redrawn whenever Mesa's controller steps."""
    update_counter.get()
    views = plots(model)

    def show(name: str):
        solara.Image(views[name].png(), width="100%", classes=["care-sim-figure", f"care-sim-{name}"])

    if model.comparing:  # the two networks side by side, the difference beside the money
        show("network")
        rows = (("care", "underservice"), ("money", "difference"))
    else:
        rows = (("network", "care"), ("underservice", "money"))
    t0 = time.perf_counter()
    for row in rows:
        with solara.Columns([1, 1]):
            for name in row:
                show(name)
    model.timing.add("redraw", time.perf_counter() - t0)


@_component
def _progress(model: DashboardModel):
    update_counter.get()
    # plain text, not Markdown: Solara's Markdown loads KaTeX from the internet
    solara.Text(
        f"Week {model.week} of {model.weeks} (year {model.week // 52 + 1})",
        classes=["care-sim-week"],
        style={"font-size": "1.15em", "font-weight": "bold"},
    )
    solara.Text(f"{' vs '.join(model.labels)}; replicate seed {model.seed}")
    solara.Text(model.timing.text(), classes=["care-sim-timing"], style={"font-size": "0.85em", "color": "#555"})


@_component
def _slider(label: str, value: float, low: float, high: float, step: float, on_value, cast=float):
    """A slider that reports its value when let go (or moved by a key), not while dragged:
    each report resets the model, so a drag must not make a dozen of them."""
    solara.Text(f"{label}: {value:g}", classes=["care-sim-label"], style={"font-weight": "bold"})
    ticks = [f"{low:g}", *[""] * (round((high - low) / step) - 1), f"{high:g}"]
    el = rv.Slider(v_model=value, min=low, max=high, step=step, thumb_label=True, tick_labels=ticks, hide_details=True)
    rvue.use_event(el, "change", lambda widget, event, data: on_value(cast(data)))


@_component
def _input(name: str, options: dict, on_value):
    """One input from :func:`parameter_inputs`; its meaning is written below it."""
    kind, label, value = options["type"], options["label"], options["value"]
    if kind == "Select":
        solara.Select(label, values=options["values"], value=value, on_value=on_value)
    elif kind == "Checkbox":
        solara.Checkbox(label=label, value=value, on_value=on_value)
    else:
        cast = int if kind == "SliderInt" else float
        Slider(label, value, options["min"], options["max"], options["step"], on_value, cast)
    solara.Text(options["help"], style={"font-size": "0.85em", "color": "#555", "margin-bottom": "18px"})


@_component
def _page():
    """The dashboard: controls and inputs in the sidebar, the views in the main area.

    Changing an input makes a new :class:`DashboardModel` (a reset) and a new
    :func:`Session` for it, with a fresh Mesa ``ModelController``; the model it replaces
    is retired, so a play loop still running on it stops at its next step.
    """
    start = solara.use_memo(lambda: {"settings": _start_settings(), "generation": 0}, [])
    state = solara.use_reactive(solara.use_memo(lambda: {**start, "model": DashboardModel(**start["settings"])}, []))
    error = solara.use_reactive("")
    weeks_per_step = solara.use_reactive(4)  # kept across resets, as the choice of the presenter
    live = solara.use_ref(None)  # the running session's model (a reactive: Mesa's Reset replaces it)

    def change(new: dict[str, Any]) -> None:
        try:
            fresh = DashboardModel(**new)
        except ScenarioError as exc:
            error.set(str(exc))
            return
        error.set("")
        if live.current is not None:
            live.current.value.retire()
        state.set({"settings": new, "generation": state.value["generation"] + 1, "model": fresh})  # one update

    now = state.value
    solara.Title("care-sim dashboard")
    with solara.AppBar():
        solara.AppBarTitle(f"care-sim: how paying for care changes who gets it ({now['model'].runs[0].params.name})")
    gen = now["generation"]
    Session(now["model"], now["settings"], gen, weeks_per_step, live, change, error.value).key(f"run-{gen}")


@_component
def _session(first: DashboardModel, s: dict, generation: int, weeks_per_step, live, change, error: str):
    """One model's controls, inputs and views (``s``: its :class:`DashboardModel` arguments).

    A reset replaces the whole session, so the model lives in this component's state and
    goes with it. What it puts in the sidebar lives in the app layout's tree, not in this
    one: the controller there carries the generation as its key, so it too starts afresh.
    """
    model = solara.use_reactive(solara.use_memo(lambda: first, []))
    live.current = model
    settings = solara.use_reactive(s)  # what Mesa's Reset button rebuilds the model from
    play_ms = solara.use_reactive(50)  # pause between steps while playing
    threads = solara.use_reactive(False)  # Mesa's option to draw in a second thread: off

    def set_param(name: str, value: Any) -> None:
        change({**s, "overrides": {**s["overrides"], name: value}})

    def set_setting(name: str, value: Any) -> None:
        change({**s, name: value})

    with solara.Sidebar(), solara.Column():
        with solara.Card("Run"):
            ModelController(  # Mesa's controller reads .value of all three: pass reactives
                model,
                model_parameters=settings,
                play_interval=play_ms,
                render_interval=weeks_per_step,
                use_threads=threads,
            ).key(f"controller-{generation}")
            solara.Select(
                "weeks per step", values=[1, 4, 13, 26, 52], value=weeks_per_step.value, on_value=weeks_per_step.set
            )
            Progress(model.value)
        if error:
            solara.Error(error)
        with solara.Card("Side by side"):
            solara.Select(
                "compare with",
                values=[NO_COMPARISON, *FUNDING_MODELS],
                value=s["compare_with"],
                on_value=lambda v: set_setting("compare_with", v),
            )
            Slider("replicate (seed)", s["replicate"], 1, REPLICATES, 1, lambda v: set_setting("replicate", v), int)
        with solara.Card("Parameters (change resets the run)"):
            for name, options in parameter_inputs(load_scenario(s["town"], **s["overrides"])).items():
                Input(name, options, on_value=lambda v, name=name: set_param(name, v))
    Views(model.value)


def _load_ui() -> None:
    """Import Solara and Mesa's controller, and make the page's Solara components.

    Done on first use of ``sim.app.Page`` (Solara looks it up when it serves the app), so
    ``import sim.app`` and ``--help`` stay quick and work without the app extra.
    """
    global solara, rv, rvue, ModelController, update_counter, Views, Progress, Slider, Input, Page, Session
    _require_extra()
    import reacton.ipyvue as rvue
    import reacton.ipyvuetify as rv
    import solara
    from mesa.visualization.solara_viz import ModelController
    from mesa.visualization.utils import update_counter

    names = ("Views", "Progress", "Slider", "Input", "Page", "Session")
    Views, Progress, Slider, Input, Page, Session = (solara.component(_UI[name]) for name in names)


def __getattr__(name: str):  # PEP 562: the components exist once something asks for them
    if name in _UI:
        _load_ui()
        return globals()[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# --- serving and the command line -----------------------------------------------------------


#: Modules of the app extra (``pyproject.toml``); solara_assets makes it work offline.
EXTRA_MODULES = ("solara", "solara_assets", "reacton", "ipyvuetify", "altair")


def _missing_extra() -> list[str]:
    """The modules of the app extra that are not installed."""
    return [m for m in EXTRA_MODULES if importlib.util.find_spec(m) is None]


def _require_extra() -> None:
    missing = _missing_extra()
    if missing:
        raise AppError(
            f"the dashboard needs the app extra ({', '.join(missing)} missing): scripts/setup app"
            " (or pip install -e '.[app]')"
        )


def check_address(host: str, port: int) -> int:
    """Check that the server can listen on ``host``:``port``; return the port (0: a free one).

    Raises:
        AppError: the host does not resolve or is not on this machine, the port is out of
            range or in use.
    """
    if not 0 <= port <= 65535:
        raise AppError(f"--port {port} is out of range: allowed 0 to 65535 (0 picks a free port)")
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise AppError(f"--host {host!r} is not a host name or address of this machine ({exc})") from None
    family, _, _, _, address = infos[0]
    with contextlib.closing(socket.socket(family, socket.SOCK_STREAM)) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(address)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise AppError(
                    f"port {port} on {host} is in use: choose another with --port (0 picks a free one)"
                ) from None
            if exc.errno == errno.EADDRNOTAVAIL:
                raise AppError(f"--host {host!r} is not an address of this machine") from None
            raise AppError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
        return sock.getsockname()[1]


def serve(host: str = DEFAULT_HOST, port: int = DEFAULT_PORT, scenario: str = "default") -> int:
    """Start the dashboard's Solara server and block until it stops (Ctrl-C).

    Runs ``solara run sim.app`` in this process, in production mode, without telemetry,
    version check or browser, serving Solara's assets from the ``solara-assets`` package
    (no internet needed). Returns 0 when the server has stopped.

    Raises:
        AppError: the app extra is missing, or the host or port cannot be used.
        ScenarioError: unknown scenario or bad scenario file.
    """
    _require_extra()
    load_scenario(scenario)  # unknown names and bad files fail here, with "did you mean"
    if scenario.endswith(".toml") or Path(scenario).is_file():
        scenario = str(Path(scenario).resolve())
    port = check_address(host, port)
    os.environ[SCENARIO_ENV] = scenario
    from solara.__main__ import run as solara_run
    from solara.server import settings as solara_settings

    solara_settings.telemetry.mixpanel_enable = False  # nothing leaves the machine
    solara_settings.theme.show_banner = False  # no "runs on Solara" badge over the plots
    # Solara warns on each page load over plain http from an address other than
    # "localhost" that it cannot set a samesite=none cookie; the lax cookie it falls back
    # to is right for a dashboard that is not embedded in another site.
    warnings.filterwarnings("ignore", message="Cookies with samesite=none require https", category=UserWarning)
    args = ["sim.app", "--host", host, "--port", str(port), "--production", "--no-open", "--no-check-version"]
    print(f"{PROG}: the dashboard of scenario {Path(scenario).stem} at {_url(host, port)} (Ctrl-C stops it)")
    try:
        solara_run.main(args=args, prog_name="solara run", standalone_mode=False)
    except KeyboardInterrupt:
        pass
    return 0


def _url(host: str, port: int) -> str:
    """Where to point a browser: every-interface hosts are reached by this machine's name."""
    if host in ("0.0.0.0", "::", ""):
        return f"http://127.0.0.1:{port} here, http://{socket.gethostname()}:{port} from other machines"
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def build_parser() -> argparse.ArgumentParser:
    """The dashboard's arguments, for ``python -m sim.app`` and ``care-sim app``."""
    parser = argparse.ArgumentParser(
        prog=PROG,
        description=(
            "Start the workshop dashboard: the neighbourhood network with clients coloured by state, live plots "
            "of care volume, under-service and money, sliders from the parameter table, and a side-by-side "
            "mode for two funding models on the same seed. Open the printed address in a browser."
        ),
    )
    add_arguments(parser)
    return parser


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add ``--host``, ``--port`` and ``--scenario`` to ``parser`` (e.g. a ``care-sim`` subcommand)."""
    parser.add_argument(
        "--host",
        default=DEFAULT_HOST,
        help=f"address to listen on (default {DEFAULT_HOST}: this machine only; 0.0.0.0: every network)",
    )
    parser.add_argument(
        "--port", type=int, default=DEFAULT_PORT, help=f"port to listen on (default {DEFAULT_PORT}; 0: a free one)"
    )
    parser.add_argument(
        "--scenario",
        default="default",
        metavar="NAME|FILE.toml",
        help="the shipped scenario (see `care-sim scenarios`) or TOML file to start from (default: default)",
    )


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):
        raise AppError(message)


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m sim.app [--host H] [--port P] [--scenario NAME]``; returns the exit code
    (0 stopped, 2 bad input with one line on stderr)."""
    parser = build_parser()
    parser.__class__ = _Parser  # errors as one line, not usage + exit
    try:
        try:
            args = parser.parse_args(argv)
        except SystemExit as exc:  # --help
            return exc.code if isinstance(exc.code, int) else 0
        return serve(args.host, args.port, args.scenario)
    except (AppError, ScenarioError) as exc:
        print(f"{PROG}: error: {' '.join(str(exc).split())}", file=sys.stderr)
        return 2


def _command(args: argparse.Namespace) -> int:
    """``care-sim app``: :func:`serve`, with bad input as the command line's one-line error."""
    from .cli import UsageError

    try:
        return serve(args.host, args.port, args.scenario)
    except AppError as exc:
        raise UsageError(str(exc)) from None


def register_command() -> None:
    """Register ``care-sim app`` with :mod:`sim.cli`; done when this module is imported, so
    listing ``"sim.app"`` in ``sim.cli.COMMAND_MODULES`` is all the wiring it needs."""
    from .cli import PROG as CLI
    from .cli import Command, register, wrap

    register(
        Command(
            "app",
            help="the workshop dashboard in a browser: network, live plots, sliders, side by side",
            description=wrap(build_parser().description),
            examples=[
                f"{f'{CLI} app':<45} the dashboard at http://127.0.0.1:{DEFAULT_PORT}",
                f"{f'{CLI} app --scenario lelystad --port 0':<45} another town, on a free port",
                f"{f'{CLI} app --host 0.0.0.0':<45} open to the other machines in the room",
            ],
            run=_command,
            setup=add_arguments,
        )
    )


register_command()

if __name__ == "__main__":
    raise SystemExit(main())
