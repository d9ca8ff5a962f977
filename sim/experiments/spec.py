"""The TOML spec of ``care-sim sweep``: a grid, Latin hypercube or Sobol' design.

Example ``my_sweep.toml``::

    scenario = "default"        # a preset name or a scenario TOML file (relative to this file)
    design = "lhs"              # "grid", "lhs" (Latin hypercube) or "sobol" (Saltelli's scheme)
    samples = 64                # lhs: parameter sets; sobol: the base sample N (a power of 2)
    replicates = 2              # seeds per parameter set, common to all sets
    seed = 20261122             # base seed of the sample and of the replicate seeds
    # second_order = false      # sobol: also sample for second-order indices
    # label = "price-sweep"     # the results folder's prefix

    [base]                      # fixed values for every run
    years = 5

    [vary]                      # the varied parameters
    hourly_price_eur = [45.0, 75.0]         # lhs/sobol: [lo, hi]; grid: the values
    provider_altruism = "analysis"          # lhs/sobol: the parameter's analysis range
    funding = ["fee_for_service", "lump_sum"]  # switches and choices: categories
    outreach = "analysis"                   # a switch or choice: every value it may take

Numbers are sampled uniformly within ``[lo, hi]`` by SALib (``SALib.sample.latin`` and
``SALib.sample.sobol``), whole numbers rounded to their allowed values; switches and choices (``funding``, ``outreach``,
also ``scenario`` for presets) are categories: a grid crosses them with the other values,
lhs and sobol cross them with the whole sample. Every key, range and value is checked
against the parameter table before anything runs; the SALib problem and sample go into
the manifest (``design.meta["salib"]``) for ``care-sim analyze``.
"""

from __future__ import annotations

import difflib
import itertools
import math
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from ..params import PARAM_BY_NAME, Param, Scenario, ScenarioError, load_scenario
from ..run import BASE_SEED
from .design import SCENARIO_KEY, Design, DesignError
from .sensitivity import points_from_sample, salib_problem

DESIGNS = ("grid", "lhs", "sobol")
TOP_KEYS = ("scenario", "design", "samples", "replicates", "seed", "second_order", "label", "base", "vary")


class SpecError(DesignError):
    """A bad sweep spec; the message names the key, the value and what is allowed."""


def _unknown(kind: str, key: str, known: list[str]) -> SpecError:
    hint = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
    extra = f"; did you mean {hint[0]!r}?" if hint else f"; allowed: {', '.join(known)}"
    return SpecError(f"unknown {kind} {key!r}{extra}")


def _param(name: str, where: str) -> Param | None:
    if name == SCENARIO_KEY:
        return None
    if name not in PARAM_BY_NAME:
        hint = difflib.get_close_matches(name, list(PARAM_BY_NAME), n=1, cutoff=0.6)
        extra = f"; did you mean {hint[0]!r}?" if hint else "; `care-sim show default` lists the parameters"
        raise SpecError(f"unknown parameter {name!r} in [{where}]{extra}")
    return PARAM_BY_NAME[name]


def _categorical(p: Param | None) -> bool:
    return p is None or p.kind in (bool, str)


def _check_value(p: Param | None, name: str, value: Any) -> Any:
    if p is None:  # a preset name or scenario file
        load_scenario(value)
        return value
    try:
        return p.check(value)
    except ScenarioError as exc:
        raise SpecError(f"[vary] {exc}") from None


def _range(p: Param, name: str, value: Any) -> tuple[float, float]:
    """``[lo, hi]`` or ``"analysis"`` for a sampled number, checked against the table."""
    if value == "analysis":
        if p.analysis is None:
            raise SpecError(
                f"[vary] {name} = 'analysis': the parameter table gives no analysis range for {name}; "
                f"give one as [lo, hi] within the allowed {p.bounds_text()} {p.unit}"
            )
        lo, hi = p.analysis
    elif isinstance(value, list) and len(value) == 2 and all(isinstance(v, int | float) for v in value):
        lo, hi = value
    else:
        raise SpecError(f"[vary] {name} = {value!r}: give [lo, hi] (two numbers) or 'analysis' for lhs and sobol")
    for v in (lo, hi):
        _check_value(p, name, v)
    if not lo < hi:
        raise SpecError(f"[vary] {name} = [{lo:g}, {hi:g}] needs lo < hi (allowed {p.bounds_text()} {p.unit})")
    return float(lo), float(hi)


def _analysis_values(p: Param | None, name: str) -> list[Any]:
    """The categories an analysis takes for a switch or choice (``name = "analysis"``)."""
    if p is not None and hasattr(p, "analysis_values"):
        return list(p.analysis_values())
    if p is not None and p.choices:
        return list(p.choices)
    if p is not None and p.kind is bool:
        return [False, True]
    raise SpecError(f"[vary] {name} = 'analysis': give the values as a list")


def _values(p: Param | None, name: str, value: Any) -> list[Any]:
    if value == "analysis" and _categorical(p):
        value = _analysis_values(p, name)
    values = value if isinstance(value, list) else [value]
    if not values:
        raise SpecError(f"[vary] {name} = []: give at least one value")
    out = [_check_value(p, name, v) for v in values]
    if len(set(map(repr, out))) != len(out):
        raise SpecError(f"[vary] {name} = {value!r} repeats a value")
    return out


def salib_sample(
    method: str, problem: Mapping[str, Any], samples: int, seed: int, second_order: bool = False
) -> np.ndarray:
    """The SALib sample of ``problem``: ``latin`` (``samples`` rows) or ``sobol``
    (Saltelli: ``samples * (D + 2)`` rows, ``samples * (2D + 2)`` with second order)."""
    if method == "lhs":
        from SALib.sample import latin

        return latin.sample(dict(problem), samples, seed=seed)
    from SALib.sample import sobol

    return sobol.sample(dict(problem), samples, calc_second_order=second_order, scramble=True, seed=seed)


def load_spec(path: str | Path) -> dict[str, Any]:
    """Read a spec file; unknown top-level keys get a "did you mean"."""
    path = Path(path)
    if not path.is_file():
        raise SpecError(f"sweep spec {str(path)!r} does not exist")
    try:
        with path.open("rb") as fh:
            spec = tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise SpecError(f"{path}: not valid TOML: {exc}") from None
    for key in spec:
        if key not in TOP_KEYS:
            raise _unknown("key", key, list(TOP_KEYS))
    return spec


def design_from_spec(spec: Mapping[str, Any], where: Path | None = None) -> Design:
    """The :class:`Design` of a spec (a dict as read from TOML), fully checked.

    Args:
        spec: the spec.
        where: the spec file's folder, for a scenario file given by a relative path.

    Raises:
        SpecError: any bad key, range or value, before anything runs.
    """
    for key in spec:
        if key not in TOP_KEYS:
            raise _unknown("key", key, list(TOP_KEYS))
    kind = spec.get("design")
    if kind not in DESIGNS:
        if kind is None:
            raise SpecError(f"the spec needs design = one of {', '.join(DESIGNS)}")
        raise _unknown("design", str(kind), list(DESIGNS))
    scenario = spec.get("scenario", "default")
    if not isinstance(scenario, Scenario):  # a Scenario when a design is made in Python
        scenario = str(scenario)
        if where is not None and scenario.endswith(".toml") and not Path(scenario).is_absolute():
            scenario = str(where / scenario)
    base = dict(spec.get("base", {}))
    vary = dict(spec.get("vary", {}))
    if not vary:
        raise SpecError("the spec needs a [vary] table with at least one parameter")
    for name in base:
        _param(name, "base")
    try:
        sc = load_scenario(scenario, **base)
    except ScenarioError as exc:
        raise SpecError(f"[base] or scenario: {exc}") from None
    both = sorted(set(base) & set(vary))
    if both:
        raise SpecError(f"{both[0]} is both in [base] and in [vary]; keep it in one")
    params = {name: _param(name, "vary") for name in vary}
    replicates = spec.get("replicates", 1)
    seed = spec.get("seed", BASE_SEED)
    for key, value in (("replicates", replicates), ("seed", seed)):
        if isinstance(value, bool) or not isinstance(value, int) or value < (1 if key == "replicates" else 0):
            raise SpecError(f"{key} = {value!r} must be a whole number of at least {1 if key == 'replicates' else 0}")
    second_order = spec.get("second_order", False)
    if not isinstance(second_order, bool):
        raise SpecError(f"second_order = {second_order!r} must be true or false")
    meta: dict[str, Any] = {"spec": {**spec, "scenario": sc.name}, "design": kind}
    if kind == "grid":
        if "samples" in spec or "second_order" in spec:
            raise SpecError("a grid takes its values from [vary]: drop samples and second_order")
        axes = [[(name, v) for v in _values(params[name], name, value)] for name, value in vary.items()]
        points = [dict(c) for c in itertools.product(*axes)]
    else:
        points = _sampled_points(kind, spec, vary, params, seed, second_order, meta)
    if SCENARIO_KEY in vary:  # a point's preset replaces the scenario: carry [base] into it
        points = [{**base, **p} for p in points]
    return Design(
        sc,
        points=points,
        replicates=replicates,
        base_seed=seed,
        label=str(spec.get("label", "sweep")),
        meta=meta,
    )


def _sampled_points(
    kind: str,
    spec: Mapping[str, Any],
    vary: Mapping[str, Any],
    params: Mapping[str, Param | None],
    seed: int,
    second_order: bool,
    meta: dict[str, Any],
) -> list[dict[str, Any]]:
    samples = spec.get("samples")
    if isinstance(samples, bool) or not isinstance(samples, int) or samples < 1:
        raise SpecError(f"samples = {samples!r}: a {kind} design needs samples = a whole number of at least 1")
    if kind == "sobol" and samples & (samples - 1):
        lower = 2 ** int(math.log2(samples))
        raise SpecError(f"samples = {samples}: sobol needs a power of 2 (e.g. {lower} or {2 * lower})")
    if kind == "lhs" and "second_order" in spec:
        raise SpecError("second_order goes with design = 'sobol' only")
    crossed = {n: _values(params[n], n, v) for n, v in vary.items() if _categorical(params[n])}
    sampled = {n: _range(params[n], n, v) for n, v in vary.items() if not _categorical(params[n])}
    if not sampled:
        raise SpecError(f"a {kind} design needs at least one number to sample in [vary]; use a grid for categories")
    # whole numbers get half a step either side, so that rounding gives each allowed value
    # an equal share (sim.experiments.sensitivity)
    problem = salib_problem(list(sampled), bounds=sampled)
    sample = salib_sample(kind, problem, samples, seed, second_order)
    rounded = [n for n in sampled if params[n].kind is int]
    rows = points_from_sample(problem, sample)
    combos = [dict(c) for c in itertools.product(*[[(n, v) for v in vs] for n, vs in crossed.items()])]
    meta["salib"] = {
        "method": "latin" if kind == "lhs" else "sobol",
        "problem": problem,
        "N": samples,
        "calc_second_order": second_order,
        "seed": seed,
        "rounded": rounded,
        "sample": sample.tolist(),
        "rows": len(rows),
        "crossed": crossed,
        "layout": "point = combination * rows + sample row (combinations of crossed categories in order)",
    }
    return [{**combo, **row} for combo in combos for row in rows]
