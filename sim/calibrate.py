"""Calibration by rejection approximate Bayesian computation (ABC).

The method, in four steps:

1. **Prior.** Each chosen parameter gets a uniform prior: by default its current value
   in the scenario +-50% (``prior_range=0.5``), clipped to the bounds of the parameter
   table; an explicit ``[lo, hi]`` may be given instead.
2. **Design.** ``samples`` parameter sets are drawn from the priors with a scrambled
   Sobol' sequence (when ``samples`` is a power of 2, which keeps Sobol's balance) or
   else a Latin hypercube (:mod:`scipy.stats.qmc`), both seeded.
3. **Simulation.** Every set is run on the same ``seeds`` (common random numbers, so two
   sets differ by their parameters, not by seed noise) for ``years`` years under one
   funding model; a set's summary is the mean over its seeds.
4. **Rejection.** Each published figure is a range ``[lo, hi]`` (calibration.md). A run
   is scored per target by ``z = (x - mid) / half``, its standardised distance to the
   middle of the range (``|z| <= 1`` inside the range), and overall by the root mean
   square of the ``z``. The ``keep`` fraction of sets with the smallest distance is the
   ABC posterior sample (Pritchard et al. 1999; Beaumont, Zhang & Balding 2002,
   Genetics 162:2025-2035, whose tolerance is this quantile).

The fitted value of a parameter is its posterior median, with the 10%-90% posterior
interval as uncertainty. The model is then run once more at the fitted values, on the
same seeds, and each target's remaining error is reported: 0 inside the range, else the
relative distance to the nearest end. The fit quality adds how many targets the fitted
values meet, the acceptance tolerance, and per parameter how much the posterior
interval shrank against the prior's (near 1: the targets do not inform it).

Example:
    >>> res = calibrate("default", params=["onset_per_year"], samples=16, seeds=1, years=2)
    >>> res.fit.params["onset_per_year"].median
"""

from __future__ import annotations

import contextlib
import difflib
import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .metrics import SUMMARY_KEYS
from .params import FUNDING_MODELS, PARAM_BY_NAME, Param, Scenario, load_scenario
from .run import BASE_SEED
from .targets import CALIBRATION_TARGETS, CalibrationError, Target, suggest

if TYPE_CHECKING:
    from .experiments.engine import Executor

#: Parameters fitted when none are chosen: the six the calibration.md figures pin down.
DEFAULT_PARAMS = (
    "onset_per_year",
    "carer_hours",
    "carer_tolerance_hours",
    "need_scale_hours",
    "assessments_per_week_per_10k",
    "carer_need_factor",
)
DEFAULT_FUNDING = "fee_for_service"
DEFAULT_SAMPLES = 128
DEFAULT_KEEP = 0.1
DEFAULT_SEEDS = 2
DEFAULT_YEARS = 5
DEFAULT_PRIOR_RANGE = 0.5
#: Base seed of the design and of the replicate seeds (the project's common base seed).
DEFAULT_SEED = BASE_SEED
#: Posterior interval reported, as quantiles.
INTERVAL = (0.10, 0.90)


#: The calibration.md figures (one declaration: :mod:`sim.targets`).
DEFAULT_TARGETS: tuple[Target, ...] = CALIBRATION_TARGETS


def parse_target(text: str) -> Target:
    """Parse ``KEY=LO:HI`` (e.g. ``clients_per_1000_inhabitants=13.5:16.5``).

    Raises:
        CalibrationError: bad syntax, unknown metric or an empty range.
    """
    key, sep, rng = text.partition("=")
    lo_text, sep2, hi_text = rng.partition(":")
    if not (sep and sep2):
        raise CalibrationError(f"target {text!r} is not KEY=LO:HI, e.g. clients_per_1000_inhabitants=12:26")
    try:
        lo, hi = float(lo_text), float(hi_text)
    except ValueError:
        raise CalibrationError(f"target {text!r}: {lo_text!r} and {hi_text!r} must be numbers") from None
    return Target(key.strip().replace("-", "_"), lo, hi, "command line")


def parse_prior(text: str) -> tuple[str, tuple[float, float]]:
    """Parse ``NAME=LO:HI`` into ``(name, (lo, hi))`` (checked by :func:`priors`)."""
    name, sep, rng = text.partition("=")
    lo_text, sep2, hi_text = rng.partition(":")
    if not (sep and sep2):
        raise CalibrationError(f"prior {text!r} is not NAME=LO:HI, e.g. onset_per_year=0.1:0.3")
    try:
        return name.strip().replace("-", "_"), (float(lo_text), float(hi_text))
    except ValueError:
        raise CalibrationError(f"prior {text!r}: {lo_text!r} and {hi_text!r} must be numbers") from None


def active_targets(targets: Iterable[Target], funding: str) -> list[Target]:
    """The targets that hold under ``funding`` (those without a funding model always do)."""
    return [t for t in targets if t.funding in (None, funding)]


def check_params(names: Sequence[str]) -> list[Param]:
    """The parameter table rows of ``names``, refusing what cannot be calibrated.

    Raises:
        CalibrationError: unknown name (with a "did you mean"), a non-numeric
            parameter, ``years`` (set with the ``years`` argument), a repeat, or no name.
    """
    if not names:
        raise CalibrationError("choose at least one parameter to calibrate")
    out = []
    for raw in names:
        name = raw.strip().replace("-", "_")
        if name not in PARAM_BY_NAME:
            hint = suggest(name, PARAM_BY_NAME)
            extra = f"; did you mean {hint}?" if hint else "; `care-sim show default` lists them"
            raise CalibrationError(f"unknown parameter {raw!r} in --params{extra}")
        p = PARAM_BY_NAME[name]
        if p.kind not in (int, float) or p.choices:
            raise CalibrationError(f"{name} is not a number and cannot be calibrated")
        if name == "years":
            raise CalibrationError("years is the run length (--years), not a parameter to calibrate")
        if p in out:
            raise CalibrationError(f"parameter {name} is given twice")
        out.append(p)
    return out


def priors(
    scenario: Scenario,
    params: Sequence[Param],
    prior_range: float = DEFAULT_PRIOR_RANGE,
    explicit: Mapping[str, tuple[float, float]] | None = None,
) -> dict[str, tuple[float, float]]:
    """Uniform prior bounds per parameter.

    Args:
        scenario: supplies each parameter's current value.
        params: from :func:`check_params`.
        prior_range: relative half-width around the current value (0.5: +-50%).
        explicit: ``{name: (lo, hi)}`` used instead for those parameters.

    Returns:
        ``{name: (lo, hi)}``, always inside the parameter table's bounds.

    Raises:
        CalibrationError: an empty prior (e.g. a current value of 0 with a relative range),
            an explicit range outside the table's bounds, or one for a parameter not fitted.
    """
    explicit = dict(explicit or {})
    names = [p.name for p in params]
    extra = [n for n in explicit if n not in names]
    if extra:
        raise CalibrationError(f"--prior for {extra[0]}, which is not in --params ({','.join(names)})")
    if not (0 < prior_range <= 10):
        raise CalibrationError(f"--prior-range {prior_range:g} must be in (0, 10]")
    out = {}
    for p in params:
        if p.name in explicit:
            lo, hi = explicit[p.name]
            if not (p.lo <= lo < hi <= p.hi):
                raise CalibrationError(
                    f"--prior {p.name}={lo:g}:{hi:g} must have lo < hi within the allowed {p.bounds_text()} {p.unit}"
                )
        else:
            value = float(scenario[p.name] if scenario[p.name] is not None else p.default)
            lo = max(p.lo, value - prior_range * abs(value))
            hi = min(p.hi, value + prior_range * abs(value))
            if not lo < hi:
                raise CalibrationError(
                    f"{p.name}: the prior +-{prior_range:.0%} around {value:g} is empty; "
                    f"give one with --prior {p.name}=LO:HI"
                )
        out[p.name] = (float(lo), float(hi))
    return out


def design(bounds: Mapping[str, tuple[float, float]], n: int, seed: int = DEFAULT_SEED) -> tuple[pd.DataFrame, str]:
    """Draw ``n`` parameter sets uniformly within ``bounds``.

    A scrambled Sobol' sequence when ``n`` is a power of 2 (its balance properties need
    that), else a Latin hypercube; both from :mod:`scipy.stats.qmc`, seeded. Integer
    parameters are rounded.

    Returns:
        The sets (a column per parameter, a row per set) and the design's name.
    """
    from scipy.stats import qmc

    if n < 1:
        raise CalibrationError(f"--samples {n} must be at least 1")
    d = len(bounds)
    rng = np.random.default_rng(seed)
    if n & (n - 1) == 0:
        unit = qmc.Sobol(d, scramble=True, rng=rng).random_base2(int(math.log2(n)))
        name = "scrambled Sobol'"
    else:
        unit = qmc.LatinHypercube(d, rng=rng).random(n)
        name = "Latin hypercube"
    lo = np.array([b[0] for b in bounds.values()])
    hi = np.array([b[1] for b in bounds.values()])
    df = pd.DataFrame(qmc.scale(unit, lo, hi), columns=list(bounds))
    for col in df.columns:
        if PARAM_BY_NAME[col].kind is int:
            df[col] = df[col].round().astype(int)
    return df, name


@contextlib.contextmanager
def worker_pool(workers: int) -> Iterator[Any]:
    """A ``concurrent.futures`` executor on the engine's local pool (None for ``workers`` <= 1).

    Kept for callers that map their own function (``experiments/validation.py``); new code
    runs designs with :func:`sim.experiments.run_design`.
    """
    if workers <= 1:
        yield None
        return
    from .experiments import LocalPool

    with LocalPool(workers) as pool:
        yield pool.executor


def _plain(values: Mapping[str, Any]) -> dict[str, Any]:
    """NumPy scalars to Python numbers (the scenario validates plain ints and floats)."""
    return {k: (v.item() if hasattr(v, "item") else v) for k, v in values.items()}


def _mean_per_point(table: pd.DataFrame, n_points: int) -> pd.DataFrame:
    """The mean summary over each point's replicates (rows in run-id order)."""
    k = len(table) // n_points
    values = table[list(SUMMARY_KEYS)].to_numpy(dtype=float)
    means = [
        {key: float(np.mean(values[i * k : (i + 1) * k, j])) for j, key in enumerate(SUMMARY_KEYS)}
        for i in range(n_points)
    ]
    return pd.DataFrame(means, columns=list(SUMMARY_KEYS))


def run_samples(
    scenario: Scenario,
    sets: pd.DataFrame,
    seeds: Sequence[int],
    *,
    executor: Executor | None = None,
    progress: bool = False,
) -> pd.DataFrame:
    """Run every parameter set on every seed; return a row per set with the mean summary.

    Runs through the experiment engine (:func:`sim.experiments.run_design`).

    Args:
        scenario: the scenario (with its funding model and years already set).
        sets: a row per parameter set (from :func:`design`).
        seeds: the replicate seeds, the same for every set.
        executor: an engine executor to run on (:func:`sim.experiments.make_executor`);
            default: this process.
        progress: a progress bar on stderr.

    Returns:
        ``sets`` with a column per summary metric (mean over seeds) added.
    """
    from .experiments import Design, InProcess, run_design

    rows = [_plain(r) for r in sets.to_dict("records")]
    d = Design(scenario, points=rows, seeds=seeds, label="calibrate")
    table = run_design(d, executor=executor or InProcess(), progress=progress)
    return pd.concat([sets.reset_index(drop=True), _mean_per_point(table, len(rows))], axis=1)


def run_point(
    scenario: Scenario,
    values: Mapping[str, Any],
    seeds: Sequence[int],
    *,
    executor: Executor | None = None,
    progress: bool = False,
) -> dict[str, float]:
    """The summary at one parameter set, the mean over ``seeds``."""
    means = run_samples(scenario, pd.DataFrame([_plain(values)]), seeds, executor=executor, progress=progress)
    return {k: float(means.at[0, k]) for k in SUMMARY_KEYS}


def score(samples: pd.DataFrame, targets: Sequence[Target]) -> pd.DataFrame:
    """Add ``z_<key>`` per target and ``distance`` (root mean square of the z) to ``samples``."""
    out = samples.copy()
    zs = []
    for t in targets:
        z = np.array([t.z(v) for v in out[t.key].to_numpy(dtype=float)])
        out[f"z_{t.key}"] = z
        zs.append(z)
    out["distance"] = np.sqrt(np.mean(np.square(zs), axis=0)) if zs else 0.0
    return out


@dataclass
class ParamFit:
    """The posterior of one parameter."""

    name: str
    unit: str
    current: float
    prior: tuple[float, float]
    median: float
    lo: float
    hi: float
    #: Posterior 10%-90% width over the prior's 10%-90% width (0.8 of its range):
    #: near 1, the targets do not inform the parameter.
    shrinkage: float


@dataclass
class TargetFit:
    """One target: its range, the value at the fitted parameters, and the posterior spread."""

    key: str
    lo: float
    hi: float
    source: str
    value: float
    inside: bool
    error: float
    z: float
    posterior_median: float
    posterior_lo: float
    posterior_hi: float


@dataclass
class Fit:
    """The ABC posterior and the check at the fitted values."""

    params: dict[str, ParamFit]
    targets: dict[str, TargetFit]
    kept: int
    samples: int
    tolerance: float
    best_distance: float
    distance_at_fit: float
    targets_met: int
    kept_inside_all_share: float
    skipped_targets: list[str] = field(default_factory=list)
    #: The single closest set (a point on the posterior's ridge when parameters trade off).
    best_set: dict[str, float] = field(default_factory=dict)

    @property
    def verdict(self) -> str:
        return verdict(self.targets_met, len(self.targets))

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["verdict"] = self.verdict
        return _finite(d)


def verdict(met: int, n: int) -> str:
    """The fit quality in words, from the targets met at the fitted values."""
    if met == n:
        return "good: the fitted values meet " + ("the target" if n == 1 else f"all {n} targets")
    if met == 0:
        return "poor: the fitted values meet " + ("not the target" if n == 1 else f"none of the {n} targets")
    return f"partial: the fitted values meet {met} of {n} targets"


def _finite(obj: Any) -> Any:
    """Replace non-finite floats by None for JSON."""
    if isinstance(obj, dict):
        return {k: _finite(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_finite(v) for v in obj]
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    return obj


def posterior(scored: pd.DataFrame, keep: float) -> pd.DataFrame:
    """The ``keep`` fraction of rows with the smallest distance (at least 2, ties by order).

    Raises:
        CalibrationError: ``keep`` not in (0, 1].
    """
    if not (0 < keep <= 1):
        raise CalibrationError(f"--keep {keep:g} must be a fraction in (0, 1]")
    n = min(len(scored), max(2, math.ceil(keep * len(scored))))
    return scored.sort_values("distance", kind="stable").head(n)


def fitted_values(kept: pd.DataFrame, params: Sequence[Param]) -> dict[str, float | int]:
    """Posterior medians, rounded for integer parameters."""
    out: dict[str, float | int] = {}
    for p in params:
        med = float(np.median(kept[p.name]))
        out[p.name] = round(med) if p.kind is int else med
    return out


def summarise_fit(
    scored: pd.DataFrame,
    kept: pd.DataFrame,
    bounds: Mapping[str, tuple[float, float]],
    scenario: Scenario,
    targets: Sequence[Target],
    at_fit: Mapping[str, float],
    skipped: Sequence[str] = (),
) -> Fit:
    """Build the :class:`Fit` from the scored samples, the posterior and the check run."""
    q_lo, q_hi = INTERVAL
    pfits = {}
    for name, (plo, phi) in bounds.items():
        x = kept[name].to_numpy(dtype=float)
        lo, hi = float(np.quantile(x, q_lo)), float(np.quantile(x, q_hi))
        p = PARAM_BY_NAME[name]
        pfits[name] = ParamFit(
            name=name,
            unit=p.unit,
            current=float(scenario[name]),
            prior=(plo, phi),
            median=float(np.median(x)),
            lo=lo,
            hi=hi,
            shrinkage=(hi - lo) / ((q_hi - q_lo) * (phi - plo)),
        )
    tfits = {}
    for t in targets:
        post = kept[t.key].to_numpy(dtype=float)
        value = float(at_fit[t.key])
        tfits[t.key] = TargetFit(
            key=t.key,
            lo=t.lo,
            hi=t.hi,
            source=t.source,
            value=value,
            inside=t.lo <= value <= t.hi,
            error=t.error(value),
            z=t.z(value),
            posterior_median=float(np.median(post)),
            posterior_lo=float(np.quantile(post, q_lo)),
            posterior_hi=float(np.quantile(post, q_hi)),
        )
    zs = [tf.z for tf in tfits.values()]
    inside_all = np.ones(len(kept), dtype=bool)
    for t in targets:
        inside_all &= kept[t.key].between(t.lo, t.hi).to_numpy()
    return Fit(
        params=pfits,
        targets=tfits,
        kept=len(kept),
        samples=len(scored),
        tolerance=float(kept["distance"].max()),
        best_distance=float(scored["distance"].min()),
        distance_at_fit=float(np.sqrt(np.mean(np.square(zs)))) if zs else 0.0,
        targets_met=sum(tf.inside for tf in tfits.values()),
        kept_inside_all_share=float(inside_all.mean()) if len(kept) else 0.0,
        skipped_targets=list(skipped),
        best_set={k: float(v) for k, v in scored.loc[scored["distance"].idxmin(), list(bounds)].items()},
    )


@dataclass
class Calibration:
    """Everything a calibration produced.

    Attributes:
        samples: a row per parameter set: parameters, mean summary metrics, ``z_<key>``
            per target, ``distance`` and ``accepted``.
        fit: the posterior summary and the check at the fitted values.
        fitted: the fitted values (posterior medians).
        settings: the inputs (scenario, funding, seeds, years, design, ...).
    """

    samples: pd.DataFrame
    fit: Fit
    fitted: dict[str, float | int]
    settings: dict[str, Any]


def calibration_design(
    scenario: str | Scenario = "default",
    *,
    params: Sequence[str] = DEFAULT_PARAMS,
    targets: Sequence[Target] = DEFAULT_TARGETS,
    funding: str = DEFAULT_FUNDING,
    samples: int = DEFAULT_SAMPLES,
    keep: float = DEFAULT_KEEP,
    seeds: int = DEFAULT_SEEDS,
    years: int = DEFAULT_YEARS,
    prior_range: float = DEFAULT_PRIOR_RANGE,
    prior: Mapping[str, tuple[float, float]] | None = None,
    seed: int = DEFAULT_SEED,
    **overrides: Any,
):
    """The engine design of a calibration: the prior sample times the common seeds, with
    every setting in ``design.meta["calibration"]`` (so a results folder can be resumed
    and finished from its manifest alone). Checks every input before anything runs.

    Raises:
        CalibrationError: bad input.
        ScenarioError: unknown scenario or bad override.
    """
    from .experiments import Design
    from .run import replicate_seeds

    if funding not in FUNDING_MODELS:
        hint = difflib.get_close_matches(funding, FUNDING_MODELS, n=1)
        extra = f"; did you mean {hint[0]}?" if hint else ""
        raise CalibrationError(f"unknown funding model {funding!r}: choose from {', '.join(FUNDING_MODELS)}{extra}")
    if seeds < 1:
        raise CalibrationError(f"--seeds {seeds} must be at least 1")
    sc = load_scenario(scenario, **overrides, funding=funding, years=years)
    chosen = check_params(params)
    bounds = priors(sc, chosen, prior_range, prior)
    use = active_targets(targets, funding)
    skipped = [t.key for t in targets if t not in use]
    if not use:
        raise CalibrationError(f"no target holds under {funding}; give targets with --target KEY=LO:HI")
    if not (0 < keep <= 1):
        raise CalibrationError(f"--keep {keep:g} must be a fraction in (0, 1]")
    sets, design_name = design(bounds, samples, seed)
    run_seeds = replicate_seeds(seed, seeds)
    settings = {
        "scenario_name": sc.name,
        "funding": funding,
        "params": [p.name for p in chosen],
        "priors": {k: list(v) for k, v in bounds.items()},
        "prior_range": prior_range,
        "targets": [asdict(t) for t in use],
        "skipped_targets": skipped,
        "samples": samples,
        "keep": keep,
        "design": design_name,
        "seed": seed,
        "seeds": run_seeds,
        "years": years,
        "distance": "root mean square over targets of z = (x - mid) / half-width",
        "method": "rejection ABC: uniform priors, quasi-random design, keep the closest fraction",
    }
    points = [_plain(r) for r in sets.to_dict("records")]
    return Design(sc, points=points, seeds=run_seeds, label="calibrate", meta={"calibration": settings})


def finish_calibration(table: pd.DataFrame, design, *, executor: Executor | None = None, progress: bool = False):
    """Score the sample runs of a calibration design, keep the posterior, and check the
    fitted values with one more run per seed (on ``executor``).

    Args:
        table: the engine's table of ``design`` (a row per run, by run id).
        design: from :func:`calibration_design`.
    """
    s = design.meta["calibration"]
    chosen = check_params(s["params"])
    use = [Target(**t) for t in s["targets"]]
    bounds = {k: (float(v[0]), float(v[1])) for k, v in s["priors"].items()}
    sets = pd.DataFrame(list(design.points), columns=s["params"])
    sc = design.scenario
    samples_table = pd.concat([sets, _mean_per_point(table, len(design.points))], axis=1)
    scored = score(samples_table, use)
    kept = posterior(scored, s["keep"])
    fitted = fitted_values(kept, chosen)
    # The check run at the fitted values, on the same seeds.
    at_fit = run_point(sc, fitted, s["seeds"], executor=executor, progress=progress)
    scored["accepted"] = scored.index.isin(kept.index)
    scored.insert(0, "sample", np.arange(len(scored)))
    fit = summarise_fit(scored, kept, bounds, sc, use, at_fit, s["skipped_targets"])
    return Calibration(samples=scored, fit=fit, fitted=fitted, settings=dict(s))


def calibrate(
    scenario: str | Scenario = "default",
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    progress: bool = False,
    **settings: Any,
) -> Calibration:
    """Fit parameters to targets by rejection ABC (see the module docstring).

    The runs go through the experiment engine (in memory); ``care-sim calibrate`` writes
    them into a resumable results folder.

    Args:
        scenario: a shipped scenario name, a TOML path or a Scenario.
        workers: local worker processes (default: the cores); scheduler: a Dask address.
        progress: a progress bar on stderr (``samples * seeds + seeds`` runs).
        **settings: the calibration settings of :func:`calibration_design`: ``params``
            (names to fit), ``targets``, ``funding`` (of every run), ``samples`` (sets
            drawn from the prior), ``keep`` (fraction kept as the posterior), ``seeds``
            (replicates per set), ``years``, ``prior_range`` (relative half-width of the
            uniform prior), ``prior`` (explicit ``{name: (lo, hi)}``), ``seed`` (of the
            design and the replicate seeds), and fixed parameter values of the scenario.

    Returns:
        A :class:`Calibration`.

    Raises:
        CalibrationError: bad input (checked before anything runs).
        ScenarioError: unknown scenario or bad override.
    """
    from .experiments import make_executor, run_design

    d = calibration_design(scenario, **settings)
    with make_executor(workers, scheduler) as ex:
        table = run_design(d, executor=ex, progress=progress)
        return finish_calibration(table, d, executor=ex, progress=progress)


def fmt_number(x: float) -> str:
    """A number for a report: 4 significant digits, thousands separated."""
    if not math.isfinite(x):
        return "nan"
    if abs(x) >= 1000:
        return f"{x:,.0f}"
    return f"{x:.4g}"


def fmt_range(lo: float, hi: float) -> str:
    return f"[{fmt_number(lo)}, {fmt_number(hi)}]"


def param_rows(fit: Fit) -> list[tuple[str, ...]]:
    """Rows: parameter, current, prior, fitted median, 10%-90% interval, shrinkage, unit."""
    return [
        (
            p.name,
            fmt_number(p.current),
            fmt_range(*p.prior),
            fmt_number(p.median),
            fmt_range(p.lo, p.hi),
            f"{p.shrinkage:.2f}",
            p.unit,
        )
        for p in fit.params.values()
    ]


def target_rows(fit: Fit) -> list[tuple[str, ...]]:
    """Rows: target, range, value at fit, posterior 10%-90%, inside, remaining error, z."""
    return [
        (
            t.key,
            fmt_range(t.lo, t.hi),
            fmt_number(t.value),
            fmt_range(t.posterior_lo, t.posterior_hi),
            "yes" if t.inside else "NO",
            f"{t.error:.1%}",
            f"{t.z:+.2f}",
        )
        for t in fit.targets.values()
    ]


PARAM_HEADERS = ("parameter", "current", "prior", "fitted (median)", "10%-90%", "shrinkage", "unit")
TARGET_HEADERS = ("target", "range", "at fit", "posterior 10%-90%", "inside", "error", "z")


def quality_lines(cal: Calibration) -> list[str]:
    """The fit quality as a few sentences."""
    f, s = cal.fit, cal.settings
    lines = [
        f"fit quality: {f.verdict}; distance at the fitted values {f.distance_at_fit:.2f} "
        "(RMS of z; |z| <= 1 is inside a range)",
        f"posterior: {f.kept} of {f.samples} sets (keep {s['keep']:g}), tolerance {f.tolerance:.2f}, "
        f"best {f.best_distance:.2f}; {f.kept_inside_all_share:.0%} of kept sets meet every target",
        "shrinkage = posterior 10%-90% width / prior 10%-90% width; near 1 the targets do not pin the parameter",
    ]
    if f.skipped_targets:
        lines.append(f"targets left out (they hold under another funding model): {', '.join(f.skipped_targets)}")
    return lines
