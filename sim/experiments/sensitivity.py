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

Example:
    >>> problem = salib_problem(["carer_support_relief", "network_build_hours"])
    >>> design = sobol_design("default", problem, 64, replicates=2, fixed={"funding": "lump_sum"})
    >>> runs = run_design(design)
    >>> sobol_indices(runs, problem, ["unmet_need_share"])
"""

from __future__ import annotations

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


def check_names(names: Iterable[str]) -> list[Param]:
    """The table rows of ``names``; unknown or non-analysed names raise :class:`ScenarioError`."""
    rows = []
    for name in names:
        if name not in PARAM_BY_NAME:
            raise ScenarioError(_unknown_message(name))
        p = PARAM_BY_NAME[name]
        if not p.analysed:
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
    rows = check_names(names) if names is not None else analysed_params()
    bounds = dict(bounds or {})
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


def sobol_sample(problem: Mapping[str, Any], n: int, *, calc_second_order: bool = False, seed: int = BASE_SEED):
    """Saltelli's extension of a scrambled Sobol' sequence (SALib): ``n * (D + 2)`` rows, or
    ``n * (2D + 2)`` with second-order indices. ``n`` must be a power of 2."""
    from SALib.sample import sobol

    if n < 2 or n & (n - 1):
        raise ScenarioError(f"a Sobol' design needs a power of 2 base samples (2, 4, 8, ...), not {n}")
    return sobol.sample(dict(problem), n, calc_second_order=calc_second_order, scramble=True, seed=seed)


def sobol_design(
    scenario,
    problem: Mapping[str, Any],
    n: int,
    *,
    replicates: int = 1,
    calc_second_order: bool = False,
    seed: int = BASE_SEED,
    fixed: Mapping[str, Any] | None = None,
    label: str = "sobol",
):
    """An engine design for Sobol' indices: the SALib sample as design points, each run on
    the same ``replicates`` seeds (common random numbers), with ``fixed`` overrides in
    every point. The SALib problem and settings go into the design's ``meta``."""
    from . import Design

    x = sobol_sample(problem, n, calc_second_order=calc_second_order, seed=seed)
    fixed = dict(fixed or {})
    clash = set(fixed) & set(problem["names"])
    if clash:
        raise ScenarioError(f"{sorted(clash)} are both varied and fixed")
    points = [{**fixed, **pt} for pt in points_from_sample(problem, x)]
    meta = {
        "design": "sobol",
        "salib_problem": {k: problem[k] for k in ("num_vars", "names", "bounds")},
        "base_samples": n,
        "calc_second_order": calc_second_order,
        "sample_seed": seed,
        "fixed": fixed,
    }
    return Design(scenario=scenario, points=points, replicates=replicates, base_seed=seed, label=label, meta=meta)


def point_means(results: pd.DataFrame, metrics: Sequence[str]) -> pd.DataFrame:
    """The mean of each metric over the replicates of each design point, in point order."""
    missing = [m for m in metrics if m not in results.columns]
    if missing:
        raise KeyError(f"metrics {missing} are not in the results")
    return results.groupby("point", sort=True)[list(metrics)].mean()


def sobol_indices(
    results: pd.DataFrame,
    problem: Mapping[str, Any],
    metrics: Sequence[str],
    *,
    calc_second_order: bool = False,
    conf_level: float = 0.95,
    num_resamples: int = 1000,
    seed: int = BASE_SEED,
) -> pd.DataFrame:
    """Sobol' first-order (S1) and total (ST) indices with bootstrap confidence intervals.

    Each design point's value is the mean over its replicates (common seeds, so that a
    parameter with no effect leaves every point's value exactly unchanged and gets ST = 0).

    Args:
        results: the engine's table of a :func:`sobol_design` (columns ``point`` and the
            metrics).
        problem: the SALib problem of the design.
        metrics: summary metrics to analyse.
        calc_second_order: as in the design.
        conf_level: confidence level of the intervals (SALib's bootstrap).
        num_resamples: bootstrap resamples.
        seed: seed of the bootstrap.

    Returns:
        A row per metric and parameter: ``metric, parameter, S1, S1_conf, ST, ST_conf,
        variance``. A metric that does not vary over the design (variance 0) gets
        indices 0 and confidence 0: no parameter moves it.
    """
    from SALib.analyze import sobol

    y = point_means(results, metrics)
    d = problem["num_vars"]
    per = 2 * d + 2 if calc_second_order else d + 2
    if len(y) % per:
        raise ValueError(f"{len(y)} design points is not a multiple of {per}: not a Sobol' design of this problem")
    rows = []
    for m in metrics:
        v = y[m].to_numpy(dtype=float)
        var = float(np.var(v))
        if not np.all(np.isfinite(v)):
            raise ValueError(f"metric {m} has non-finite values")
        if var == 0.0 or var <= 1e-24 * max(1.0, float(np.mean(v)) ** 2):
            si = {k: np.zeros(d) for k in ("S1", "S1_conf", "ST", "ST_conf")}
        else:
            si = sobol.analyze(
                dict(problem),
                v,
                calc_second_order=calc_second_order,
                num_resamples=num_resamples,
                conf_level=conf_level,
                print_to_console=False,
                seed=seed,
            )
        for j, name in enumerate(problem["names"]):
            rows.append(
                {
                    "metric": m,
                    "parameter": name,
                    "S1": float(si["S1"][j]),
                    "S1_conf": float(si["S1_conf"][j]),
                    "ST": float(si["ST"][j]),
                    "ST_conf": float(si["ST_conf"][j]),
                    "variance": var,
                }
            )
    return pd.DataFrame(rows)


def param_label(name: str) -> str:
    """A plain axis label for a parameter: its name in words and its unit."""
    p = PARAM_BY_NAME.get(name)
    words = name.replace("_", " ")
    return f"{words} ({p.unit})" if p is not None and p.unit else words


def plot_sobol(indices: pd.DataFrame, metric: str, ax=None, *, top: int | None = 15):
    """Horizontal bars of the total (ST) and first-order (S1) index of each parameter for
    one metric, with their confidence intervals, largest ST on top. Returns the axes."""
    import matplotlib.pyplot as plt

    d = indices[indices["metric"] == metric].sort_values("ST", ascending=True)
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
    ax.set_title(metric.replace("_", " "))
    ax.legend(loc="lower right", fontsize="small")
    ax.grid(axis="x", alpha=0.3)
    return ax
