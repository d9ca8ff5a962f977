"""EMA Workbench 3 for care-sim: a model, its parameters and outcomes from the parameter table,
an evaluator that runs experiments through care-sim's experiment engine, and PRIM.

- :func:`model` returns an ``ema_workbench.Model`` whose uncertainties (parameters with role
  ``"uncertainty"``), levers (role ``"lever"``, the funding model among them) and outcomes
  (the run summary) come from :data:`sim.params.PARAMS` and :data:`sim.metrics.SUMMARY_KEYS`.
  The model's name is ``care_sim``: EMA Workbench refuses names that are not Python
  identifiers.
- :class:`Evaluator` is an EMA evaluator that hands a whole batch of experiments to
  :func:`sim.experiments.run_design` (the local pool or a Dask cluster), so
  ``perform_experiments`` and ``optimize`` run on the same engine, seeds and files as every
  other care-sim command. Each experiment runs on the same ``replicates`` seeds (common
  random numbers); its outcomes are the means over them.
- :func:`prim` wraps ``ema_workbench.analysis.prim.Prim`` and works around two failures
  under pandas 3 (see :func:`prim` and :func:`_patch_prim_for_pandas3`).

Example:
    >>> from ema_workbench import perform_experiments
    >>> m = ema.model(["carer_support_relief", "network_build_hours"], levers=["funding"], years=2)
    >>> with ema.Evaluator(m, workers=2) as ev:
    ...     experiments, outcomes = perform_experiments(m, scenarios=32, policies=2, evaluator=ev)
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

with warnings.catch_warnings():  # EMA warns at import that optional back ends are missing
    warnings.simplefilter("ignore")
    import ema_workbench as emw
    from ema_workbench.analysis import prim as ema_prim
    from ema_workbench.em_framework.evaluators import BaseEvaluator

from .metrics import SUMMARY_KEYS
from .params import PARAM_BY_NAME, Param, ScenarioError
from .run import BASE_SEED

#: The EMA model name (a Python identifier, as EMA Workbench 3 requires).
MODEL_NAME = "care_sim"

#: Outcomes computed from the summary, besides its own keys (none now: total cost is one).
DERIVED_OUTCOMES: dict[str, tuple[str, Callable[[Mapping[str, float]], float]]] = {}


def _param_rows(names: Iterable[str] | None, role: str) -> list[Param]:
    from .experiments.sensitivity import analysed_params, check_names

    if names is None:
        return analysed_params((role,))
    names = list(names)
    return check_names(names) if names else []


def ema_parameter(p: Param, *, encode_choices: bool = False):
    """The EMA Workbench parameter of a table row, over its analysis range. A whole number
    with a step (``ties_per_resident``: even) is a category of its allowed values.

    With ``encode_choices`` a choice or a switch is a whole number, its index among the
    values (:func:`decode`). EMA Workbench 3.0's optimisation needs this: it builds a NumPy
    array of each candidate's values, and Platypus 1.4 decodes a categorical value as a
    one-element list, so a candidate with both a number and a category fails ("setting an
    array element with a sequence").
    """
    if encode_choices and (p.choices or p.kind is bool):
        return emw.IntegerParameter(p.name, 0, len(p.analysis_values()) - 1)
    if p.choices:
        return emw.CategoricalParameter(p.name, list(p.choices), default=None)
    if p.kind is bool:
        return emw.BooleanParameter(p.name)
    lo, hi = p.analysis
    if p.kind is int:
        if p.step > 1:
            return emw.CategoricalParameter(p.name, list(range(int(lo), int(hi) + 1, p.step)))
        return emw.IntegerParameter(p.name, int(lo), int(hi))
    return emw.RealParameter(p.name, float(lo), float(hi))


def uncertainties(names: Iterable[str] | None = None) -> list:
    """EMA parameters for ``names`` (default: every analysed parameter whose role is
    ``"uncertainty"``)."""
    return [ema_parameter(p) for p in _param_rows(names, "uncertainty")]


def levers(names: Iterable[str] | None = None, *, encode_choices: bool = False) -> list:
    """EMA parameters for ``names`` (default: every analysed lever, ``funding`` among them)."""
    return [ema_parameter(p, encode_choices=encode_choices) for p in _param_rows(names, "lever")]


def decode(name: str, value: Any) -> Any:
    """A parameter value as EMA returns it, as the parameter table takes it: NumPy scalars
    become Python ones, and a choice or switch given as its index (``encode_choices``)
    becomes its value."""
    value = _plain(value)
    p = PARAM_BY_NAME.get(name)
    if p is not None and (p.choices or p.kind is bool) and type(value) is int:
        return p.analysis_values()[value]
    return value


def outcomes(keys: Iterable[str] | None = None, minimize: Sequence[str] = (), maximize: Sequence[str] = ()) -> list:
    """EMA ``ScalarOutcome`` for each summary key (default: all, plus ``total_cost_eur``).

    Outcomes in ``minimize`` or ``maximize`` get that direction (for optimisation); the
    others are ``INFO``.
    """
    known = [*SUMMARY_KEYS, *DERIVED_OUTCOMES]
    keys = list(keys) if keys is not None else known
    for k in [*keys, *minimize, *maximize]:
        if k not in known:
            hint = _suggest(k, known)
            raise ScenarioError(f"unknown outcome {k!r}{hint}")
    keys += [k for k in [*minimize, *maximize] if k not in keys]
    out = []
    for k in keys:
        kind = (
            emw.ScalarOutcome.MINIMIZE
            if k in minimize
            else emw.ScalarOutcome.MAXIMIZE
            if k in maximize
            else emw.ScalarOutcome.INFO
        )
        out.append(emw.ScalarOutcome(k, kind=kind))
    return out


def _suggest(name: str, known: Sequence[str]) -> str:
    import difflib

    hint = difflib.get_close_matches(name, known, n=1)
    return f"; did you mean {hint[0]!r}?" if hint else ""


def model(
    names: Iterable[str] | None = None,
    *,
    levers: Iterable[str] | None = (),
    outcomes: Iterable[str] | None = None,
    minimize: Sequence[str] = (),
    maximize: Sequence[str] = (),
    scenario: Any = "default",
    replicates: int = 1,
    base_seed: int = BASE_SEED,
    encode_choices: bool = False,
    **fixed: Any,
):
    """An EMA Workbench 3 model of care-sim, its parameters from the parameter table.

    Args:
        names: the uncertainties (default: every analysed uncertainty).
        levers: the levers; ``None`` for every analysed lever (``funding`` among them);
            default none.
        outcomes: summary keys reported (default all, plus ``total_cost_eur``).
        minimize, maximize: outcomes an optimisation minimises or maximises.
        scenario: the scenario the parameters override (name, TOML path or Scenario).
        replicates: runs per experiment, on common seeds; outcomes are their means.
        base_seed: the seeds derive from it (:func:`sim.replicate_seeds`).
        encode_choices: levers that are choices or switches become whole numbers (see
            :func:`ema_parameter`), as optimisation needs.
        **fixed: parameter values fixed in every experiment (e.g. ``years=5``).

    Returns:
        An ``ema_workbench.Model`` named ``care_sim``. It runs with any EMA evaluator (the
        function is :func:`run_experiment`); :class:`Evaluator` runs it on care-sim's engine.

    Raises:
        ScenarioError: an unknown name, a parameter both varied and fixed, a bad value.
    """
    from .params import load_scenario

    unc = uncertainties(names)
    lev = globals()["levers"](levers, encode_choices=encode_choices)
    sc = load_scenario(scenario, **fixed)  # checks the fixed values now
    varied = [p.name for p in [*unc, *lev]]
    clash = sorted(set(varied) & set(fixed))
    if clash:
        raise ScenarioError(f"{clash} are both varied and fixed")
    if len(set(varied)) != len(varied):
        raise ScenarioError("a parameter is both an uncertainty and a lever")
    m = emw.Model(MODEL_NAME, function=run_experiment)
    m.uncertainties = unc
    m.levers = lev
    m.outcomes = globals()["outcomes"](outcomes, minimize, maximize)
    m.constants = [
        emw.Constant("scenario", sc),
        emw.Constant("replicates", int(replicates)),
        emw.Constant("base_seed", int(base_seed)),
    ]
    return m


def _plain(value: Any) -> Any:
    """NumPy scalars (as EMA samples them) to Python ones, which the parameter table checks."""
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    return value


def _outcome_values(summary: Mapping[str, float], keys: Iterable[str]) -> dict[str, float]:
    out = {}
    for k in keys:
        out[k] = float(DERIVED_OUTCOMES[k][1](summary)) if k in DERIVED_OUTCOMES else float(summary[k])
    return out


def run_experiment(scenario: Any = "default", replicates: int = 1, base_seed: int = BASE_SEED, **params: Any):
    """The EMA model function: run ``params`` on ``replicates`` common seeds and return the
    mean of every outcome. (:class:`Evaluator` does the same for a whole batch at once.)"""
    from .run import replicate_seeds, run

    params = {k: decode(k, v) for k, v in params.items()}
    rows = [run(scenario, rng=s, **params).summary for s in replicate_seeds(base_seed, replicates)]
    mean = {k: float(np.mean([r[k] for r in rows])) for k in SUMMARY_KEYS}
    return _outcome_values(mean, [*SUMMARY_KEYS, *DERIVED_OUTCOMES])


def _constants(m) -> dict[str, Any]:
    return {c.name: c.value for c in m.constants}


def experiments_design(m, experiments: Sequence[Any], *, label: str = "ema"):
    """The engine design of a batch of EMA experiments: one point per experiment."""
    from .experiments import Design

    const = _constants(m)
    points = []
    for e in experiments:
        values = {**dict(e.scenario), **dict(e.policy)}
        points.append({k: decode(k, v) for k, v in values.items() if k in PARAM_BY_NAME})
    return Design(
        scenario=const["scenario"],
        points=points,
        replicates=const["replicates"],
        base_seed=const["base_seed"],
        label=label,
        meta={"source": "ema_workbench", "model": m.name},
    )


def mean_outcomes(results: pd.DataFrame, keys: Sequence[str]) -> list[dict[str, float]]:
    """Per design point (in point order), the mean over replicates of each outcome."""
    base = [k for k in SUMMARY_KEYS if k in results.columns]
    means = results.groupby("point", sort=True)[base].mean()
    return [_outcome_values(row, keys) for row in means.to_dict("records")]


class Evaluator(BaseEvaluator):
    """An EMA Workbench evaluator that runs each batch of experiments on care-sim's engine.

    Args:
        msis: the model (from :func:`model`).
        workers: local worker processes (default: the engine's, the number of cores).
        scheduler: a Dask scheduler address (``tcp://host:port``) instead of local workers.
        out: a folder; each batch is written there by the engine as ``batch-0001``, ...
            (every run as it finishes, with its provenance), else nothing is written.
        progress: show the engine's progress bar.

    Used as EMA's own evaluators are: ``with Evaluator(m) as ev: perform_experiments(m, ...,
    evaluator=ev)`` or ``optimize(m, ..., evaluator=ev)``.
    """

    def __init__(self, msis, *, workers=None, scheduler=None, out=None, progress=False):
        super().__init__(msis)
        self.workers, self.scheduler, self.out, self.progress = workers, scheduler, out, progress
        self.batches = 0

    def initialize(self):
        """Nothing to start: the engine starts its executor per batch."""

    def finalize(self):
        """Nothing to stop."""

    def evaluate_experiments(self, experiments, callback, **kwargs):
        """Run the batch on the engine, then report each experiment's mean outcomes."""
        from pathlib import Path

        from .experiments import run_design

        experiments = list(experiments)
        if not experiments:
            return
        m = self._msis[0]
        self.batches += 1
        design = experiments_design(m, experiments, label=f"ema-batch-{self.batches:04d}")
        out = None if self.out is None else Path(self.out) / f"batch-{self.batches:04d}"
        results = run_design(design, out, workers=self.workers, scheduler=self.scheduler, progress=self.progress)
        keys = [o.name for o in m.outcomes]
        for e, values in zip(experiments, mean_outcomes(results, keys), strict=True):
            callback(e, values)


# --- PRIM -------------------------------------------------------------------------------------


def prim(x: pd.DataFrame, y, **kwargs):
    """``ema_workbench.analysis.prim.Prim`` on ``x`` (one column per parameter) and the
    boolean cases of interest ``y``.

    Whole-number columns are passed as floats: under pandas 3 PRIM's pasting writes a
    midpoint (e.g. 4.5) into an integer frame and fails (``TypeError: Invalid value '4.5'
    for dtype 'int64'``); as floats the box limits are the same numbers. Switches are passed
    as categories. ``box.inspect()`` works through :func:`_patch_prim_for_pandas3`.
    """
    _patch_prim_for_pandas3()
    x = x.drop(columns=[c for c in ("scenario", "policy", "model") if c in x.columns])
    for c in x.columns:
        if pd.api.types.is_bool_dtype(x[c]):
            x[c] = x[c].astype("category")
        elif pd.api.types.is_integer_dtype(x[c]):
            x[c] = x[c].astype(float)
        elif x[c].dtype == object or pd.api.types.is_string_dtype(x[c]):
            x[c] = x[c].astype("category")
    with pandas_deprecations_ignored():
        return ema_prim.Prim(x, np.asarray(y, dtype=bool), **kwargs)


@contextlib.contextmanager
def pandas_deprecations_ignored():
    """Silence pandas' deprecation warnings raised inside EMA Workbench 3.0 (e.g.
    ``DataFrame.drop(..., inplace=True)`` in ``Prim.__init__``), which are EMA's to fix,
    not ours; any other warning still shows."""
    with warnings.catch_warnings():
        for name in ("Pandas4Warning", "Pandas5Warning"):
            cat = getattr(pd.errors, name, None)
            if cat is not None:
                warnings.simplefilter("ignore", cat)
        yield


_PATCHED = False


def _patch_prim_for_pandas3() -> None:
    """Make ``PrimBox.inspect`` work under pandas 3 with a categorical parameter in a box.

    EMA Workbench 3.0 builds the table of box limits as a float frame and writes a set of
    categories into it; pandas 3 refuses to upcast (``TypeError: Invalid value '{...}' for
    dtype 'float64'``). The replacement builds the same table with object columns. It is
    applied once, only where the original fails (pandas 3 and later).
    """
    global _PATCHED
    if _PATCHED or int(pd.__version__.split(".")[0]) < 3:
        return

    def _inspect_data(self, i, uncs):
        p_values = self.p_values[i]
        stats = self.peeling_trajectory.iloc[i]
        columns = pd.MultiIndex.from_product([[f"box {i}"], ["min", "max", "qp value", "qp value"]])
        box_lim = pd.DataFrame(index=uncs, columns=columns, dtype=object)
        for unc in uncs:
            values = self.box_lims[i][unc]
            box_lim.loc[unc] = [*values.values.tolist(), *p_values[unc]]
        qp = box_lim.iloc[:, 2:].astype(float).replace(-1, np.nan)
        box_lim.iloc[:, 2:] = qp.astype(object)
        return stats, box_lim

    ema_prim.PrimBox._inspect_data = _inspect_data
    _PATCHED = True
