"""Global sensitivity analysis: SALib problems from the parameter table, Sobol' indices.

The parameter table (:data:`sim.params.PARAMS`) gives each analysed parameter a plausible
*analysis range* (``Param.analysis``), separate from its validation bounds; this module turns
those ranges into a SALib problem, maps SALib's samples back to valid parameter values, and
computes Sobol' first-order and total indices per summary metric.

SALib samples real numbers; whole numbers, switches and choices are mapped so that each
allowed value gets an equal share of the unit interval:

- a whole number in ``[lo, hi]`` with step ``s`` is sampled on ``[lo - s/2, hi + s/2]`` and
  rounded to the nearest allowed value;
- a switch (``True``/``False``) is sampled on ``[0, 1]`` and is ``True`` from 0.5 up;
- a choice of ``k`` options is sampled on ``[0, k]`` and takes option ``floor(x)``.

Sweeps (``care-sim sweep``, :mod:`sim.experiments.spec`) sample through these functions, so
a design made here and one made from a TOML spec are the same design.

Example:
    >>> design = sobol_design("default", ["carer_support_relief", "network_build_hours"], 64,
    ...                       replicates=2, fixed={"funding": "lump_sum"})
    >>> runs = run_design(design)
    >>> sobol_indices(runs, design.meta["salib"], ["unmet_need_share"])
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..params import PARAM_BY_NAME, PARAMS, Param, ScenarioError, _unknown_message
from ..run import BASE_SEED

#: Roles varied by default in a sensitivity analysis: what the municipality does not control.
DEFAULT_ROLES = ("uncertainty",)


def analysed_params(roles: Iterable[str] = DEFAULT_ROLES, *, source: str | None = None) -> list[Param]:
    """The parameters an analysis varies by default: analysed ones with one of ``roles``.

    Args:
        roles: parameter roles (``"lever"``, ``"uncertainty"``, ``"setting"``).
        source: keep only parameters whose default's source starts with this text
            (``"assumption"``: the ones no study pins down).
    """
    roles = tuple(roles)
    out = [p for p in PARAMS if p.analysed and p.role in roles]
    if source is not None:
        out = [p for p in out if p.source.startswith(source)]
    return out


def check_names(names: Iterable[str], *, ranged: Iterable[str] = ()) -> list[Param]:
    """The table rows of ``names``; unknown or repeated names raise :class:`ScenarioError`,
    and so does a name without an analysis range unless it is in ``ranged`` (given a range)."""
    ranged = set(ranged)
    rows = []
    for name in names:
        if name not in PARAM_BY_NAME:
            raise ScenarioError(_unknown_message(name))
        p = PARAM_BY_NAME[name]
        if not p.analysed and name not in ranged:
            raise ScenarioError(f"{name} has no analysis range: {p.analysis_source or 'it is not analysed'}")
        if name in {r.name for r in rows}:
            raise ScenarioError(f"parameter {name} is named twice")
        rows.append(p)
    if not rows:
        raise ScenarioError("choose at least one parameter to vary")
    return rows


def unit_bounds(p: Param, bounds: Sequence[float] | None = None) -> list[float]:
    """The interval SALib samples for ``p`` (see the module docstring)."""
    if p.choices:
        return [0.0, float(len(p.choices))]
    if p.kind is bool:
        return [0.0, 1.0]
    lo, hi = bounds if bounds is not None else p.analysis
    if p.kind is int:
        return [lo - p.step / 2.0, hi + p.step / 2.0]
    return [float(lo), float(hi)]


def salib_problem(
    names: Iterable[str] | None = None, *, bounds: Mapping[str, Sequence[float]] | None = None
) -> dict[str, Any]:
    """A SALib problem over ``names`` from the parameter table.

    Args:
        names: parameters to vary; default every analysed uncertainty
            (:func:`analysed_params`).
        bounds: ``{name: (lo, hi)}`` to narrow or widen a number's analysis range; each is
            checked against the validation bounds.

    Returns:
        ``{"num_vars", "names", "bounds"}`` as SALib expects; whole numbers, switches and
        choices get the intervals of the module docstring.

    Raises:
        ScenarioError: an unknown or non-analysed name, or bounds outside the table's.
    """
    bounds = dict(bounds or {})
    rows = check_names(names, ranged=bounds) if names is not None else analysed_params()
    unknown = set(bounds) - {p.name for p in rows}
    if unknown:
        raise ScenarioError(f"bounds given for {sorted(unknown)}, which are not varied")
    out = []
    for p in rows:
        b = bounds.get(p.name)
        if b is not None:
            if p.choices or p.kind is bool:
                raise ScenarioError(f"{p.name} is a {'choice' if p.choices else 'switch'}: it takes no bounds")
            lo, hi = (float(x) for x in b)
            p.check(p.kind(lo) if p.kind is int else lo)
            p.check(p.kind(hi) if p.kind is int else hi)
            if not lo < hi:
                raise ScenarioError(f"{p.name}: bounds [{lo:g}, {hi:g}] need lo < hi")
        out.append(unit_bounds(p, b))
    return {"num_vars": len(rows), "names": [p.name for p in rows], "bounds": out}


def value_from_sample(p: Param, x: float) -> Any:
    """The parameter value that a SALib sample ``x`` stands for (module docstring)."""
    if p.choices:
        return p.choices[min(math.floor(x), len(p.choices) - 1)]
    if p.kind is bool:
        return bool(x >= 0.5)
    if p.kind is int:
        k = round((x - p.lo) / p.step)
        return int(min(max(p.lo + k * p.step, p.lo), p.hi))
    return float(x)


def points_from_sample(problem: Mapping[str, Any], sample: np.ndarray) -> list[dict[str, Any]]:
    """Turn a SALib sample (rows of real numbers) into parameter sets with valid values."""
    rows = [PARAM_BY_NAME[n] for n in problem["names"]]
    sample = np.atleast_2d(np.asarray(sample, dtype=float))
    if sample.shape[1] != len(rows):
        raise ValueError(f"the sample has {sample.shape[1]} columns for {len(rows)} parameters")
    return [{p.name: value_from_sample(p, x) for p, x in zip(rows, line, strict=True)} for line in sample]


def sobol_design(
    scenario,
    names: Sequence[str],
    n: int,
    *,
    replicates: int = 1,
    second_order: bool = False,
    seed: int = BASE_SEED,
    fixed: Mapping[str, Any] | None = None,
    bounds: Mapping[str, Sequence[float]] | None = None,
    label: str = "sobol",
):
    """An engine design for Sobol' indices: Saltelli's sample of ``names`` (``n`` base
    samples, a power of 2) over their analysis ranges (or ``bounds``), each point run on
    the same ``replicates`` seeds, with ``fixed`` values in every point. Switches and
    choices among ``names`` are crossed with the sample (indices per category), as in a
    sweep spec with ``design = "sobol"``; the SALib problem is in ``meta["salib"]``."""
    return _spec_design("sobol", scenario, names, n, replicates, seed, fixed, bounds, label, second_order)


def _spec_design(kind, scenario, names, samples, replicates, seed, fixed, bounds, label, second_order=False):
    from .spec import design_from_spec

    bounds = dict(bounds or {})
    vary = {name: list(bounds[name]) if name in bounds else "analysis" for name in names}
    spec = {"scenario": scenario, "design": kind, "samples": samples, "replicates": replicates, "seed": seed}
    spec.update(label=label, base=dict(fixed or {}), vary=vary)
    if kind == "sobol":
        spec["second_order"] = second_order
    return design_from_spec(spec)


def point_means(results: pd.DataFrame, metrics: Sequence[str]) -> pd.DataFrame:
    """The mean of each metric over the replicates of each design point, in point order."""
    missing = [m for m in metrics if m not in results.columns]
    if missing:
        raise KeyError(f"metrics {missing} are not in the results")
    return results.groupby("point", sort=True)[list(metrics)].mean()


def sobol_indices(
    results: pd.DataFrame,
    salib: Mapping[str, Any],
    metrics: Sequence[str],
    *,
    conf_level: float = 0.95,
    num_resamples: int = 1000,
    seed: int = BASE_SEED,
) -> pd.DataFrame:
    """Sobol' first-order (S1) and total (ST) indices with bootstrap confidence intervals.

    Each design point's value is the mean over its replicates (common seeds, so that a
    parameter with no effect leaves every point's value exactly unchanged and gets ST = 0).
    Where switches or choices were crossed with the sample (e.g. ``funding``), the indices
    are computed within each combination of them.

    Args:
        results: the engine's table of a Sobol' design (a sweep spec with ``design =
            "sobol"``, or :func:`sobol_design`).
        salib: the design's ``meta["salib"]`` (problem, ``calc_second_order``, ``rows``,
            ``crossed``).
        metrics: summary metrics to analyse.
        conf_level: confidence level of the intervals (SALib's bootstrap).
        num_resamples: bootstrap resamples.
        seed: seed of the bootstrap.

    Returns:
        A row per combination, metric and parameter: the crossed categories' columns, then
        ``metric, parameter, S1, S1_conf, ST, ST_conf, variance``. A metric that does not
        vary (variance 0) gets indices 0 with confidence 0: no parameter moves it.

    Raises:
        ValueError: not a Sobol' design, or non-finite values.
    """
    from SALib.analyze import sobol

    if salib.get("method") != "sobol":
        raise ValueError(f"Sobol' indices need a Sobol' design, not {salib.get('method')!r}")
    problem = dict(salib["problem"])
    second = bool(salib.get("calc_second_order", False))
    d = problem["num_vars"]
    per_block = int(salib["rows"])
    if per_block % (2 * d + 2 if second else d + 2):
        raise ValueError(f"{per_block} rows is not a Saltelli sample of {d} parameters")
    y = point_means(results, metrics)
    crossed = dict(salib.get("crossed") or {})
    combos = [dict(c) for c in itertools.product(*[[(n, v) for v in vs] for n, vs in crossed.items()])]
    if len(y) != per_block * len(combos):
        raise ValueError(f"{len(y)} design points is not a multiple of {per_block}: not this Sobol' design")
    rows = []
    for b, combo in enumerate(combos):
        block = y.iloc[b * per_block : (b + 1) * per_block]
        for m in metrics:
            v = block[m].to_numpy(dtype=float)
            if not np.all(np.isfinite(v)):
                raise ValueError(f"metric {m} has non-finite values")
            var = float(np.var(v))
            if var <= 1e-24 * max(1.0, float(np.mean(v)) ** 2):
                si = {k: np.zeros(d) for k in ("S1", "S1_conf", "ST", "ST_conf")}
            else:
                si = sobol.analyze(
                    problem,
                    v,
                    calc_second_order=second,
                    num_resamples=num_resamples,
                    conf_level=conf_level,
                    print_to_console=False,
                    seed=seed,
                )
            for j, name in enumerate(problem["names"]):
                rows.append(
                    {
                        **combo,
                        "metric": m,
                        "parameter": name,
                        **{k: float(si[k][j]) for k in ("S1", "S1_conf", "ST", "ST_conf")},
                        "variance": var,
                    }
                )
    return pd.DataFrame(rows)


def param_label(name: str) -> str:
    """A plain axis label for a parameter: its name in words and its unit."""
    p = PARAM_BY_NAME.get(name)
    words = name.replace("_", " ")
    return f"{words} ({p.unit})" if p is not None and p.unit else words


def plot_sobol(
    indices: pd.DataFrame, metric: str, ax=None, *, where: Mapping[str, Any] | None = None, top: int | None = 15
):
    """Horizontal bars of the total (ST) and first-order (S1) index of each parameter for
    one metric (within the crossed categories ``where``, e.g. ``{"funding": "lump_sum"}``),
    with their confidence intervals, largest ST on top. Returns the axes."""
    import matplotlib.pyplot as plt

    d = indices[indices["metric"] == metric]
    for k, v in (where or {}).items():
        d = d[d[k] == v]
    d = d.sort_values("ST", ascending=True)
    if top is not None:
        d = d.tail(top)
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 0.45 * len(d) + 1.5))
    y = np.arange(len(d))
    h = 0.38
    ax.barh(y + h / 2, d["ST"], h, xerr=d["ST_conf"], label="total effect (ST)", color="#1f77b4", capsize=2)
    ax.barh(y - h / 2, d["S1"], h, xerr=d["S1_conf"], label="first-order effect (S1)", color="#ff7f0e", capsize=2)
    ax.set_yticks(y, [param_label(n) for n in d["parameter"]])
    ax.set_xlim(left=0.0)
    ax.set_xlabel("Sobol' index: share of the metric's variance (bars: 95% confidence)")
    extra = ", ".join(f"{k} = {v}" for k, v in (where or {}).items())
    ax.set_title(metric.replace("_", " ") + (f" ({extra})" if extra else ""))
    ax.legend(loc="lower right", fontsize="small")
    ax.grid(axis="x", alpha=0.3)
    return ax
