"""Baseline regression: every shipped preset under every funding model, one fixed seed.

A change in the model's results should be a reviewed diff, not an accident. The baseline
file (``tests/baseline.json`` in the source tree) stores the summary of a short run of
every preset in :func:`sim.list_scenarios` under every funding model of
:data:`sim.params.FUNDING_MODELS`, rounded to 10 significant digits, with its provenance.

    care-sim baseline            # check the current code against the file (exit 1 on a difference)
    care-sim baseline --update   # recompute and rewrite the file, print what changed

Example:
    >>> stored = load_baseline()
    >>> fresh = compute_baseline(years=stored["years"], seed=stored["seed"])
    >>> diffs = compare_baselines(stored["results"], fresh)
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .run import BASE_SEED

#: The baseline file of the source tree.
BASELINE_PATH = Path(__file__).resolve().parents[1] / "tests" / "baseline.json"
#: The command that rewrites the baseline file.
UPDATE_COMMAND = "care-sim baseline --update"
#: Seed of every baseline run (the project's common base seed).
BASELINE_SEED = BASE_SEED
#: Years per baseline run: shorter than the presets' 10 to keep the check cheap.
BASELINE_YEARS = 3
#: Significant digits stored in the file.
DIGITS = 10
#: Relative tolerance of the comparison: the stored numbers are rounded to 10 digits,
#: and the fresh ones are rounded the same way before comparing, so equal runs compare
#: exactly; the tolerance only absorbs float formatting.
REL_TOL = 1e-9
#: Absolute tolerance for values near zero (e.g. a share that is 0 in one run).
ABS_TOL = 1e-12

Results = dict[str, dict[str, dict[str, Any]]]


def round_value(value: float) -> float | str:
    """Round to :data:`DIGITS` significant digits; non-finite values become ``"nan"``,
    ``"inf"`` or ``"-inf"`` (JSON has no such numbers)."""
    value = float(value)
    if not math.isfinite(value):
        return str(value)
    return float(f"{value:.{DIGITS}g}")


def _as_float(value: Any) -> float:
    return float(value) if value is not None else math.nan


def compute_baseline(
    years: int = BASELINE_YEARS,
    seed: int = BASELINE_SEED,
    *,
    presets: list[str] | None = None,
    funding: tuple[str, ...] | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    progress: bool = False,
) -> Results:
    """Run every preset under every funding model once and return the rounded summaries.

    The runs go through the experiment engine: one design whose points name a preset and
    a funding model, on the one seed.

    Args:
        years: simulated years per run (overrides the presets' own ``years``).
        seed: the one seed of every run.
        presets: the scenarios; default every shipped one (:func:`sim.list_scenarios`).
        funding: the funding models; default :data:`sim.params.FUNDING_MODELS`.
        workers: local worker processes (default: the cores; 1: this process).
        scheduler: a Dask scheduler address instead of local workers.
        progress: a progress bar on stderr.

    Returns:
        ``{preset: {funding: {metric: value}}}`` in the order of the presets, funding
        models and :data:`sim.metrics.SUMMARY_KEYS`, each value rounded with
        :func:`round_value`.
    """
    from .experiments import Design, run_design
    from .metrics import SUMMARY_KEYS
    from .params import FUNDING_MODELS, list_scenarios

    presets = list(presets or list_scenarios())
    funding = tuple(funding or FUNDING_MODELS)
    points = [{"scenario": p, "funding": f, "years": years} for p in presets for f in funding]
    design = Design("default", points=points, seeds=[seed], label="baseline")
    table = run_design(design, workers=workers, scheduler=scheduler, progress=progress)
    out: Results = {p: {} for p in presets}
    for row in table.to_dict("records"):
        out[row["scenario"]][row["funding"]] = {k: round_value(row[k]) for k in SUMMARY_KEYS}
    return out


def baseline_document(results: Results, years: int, seed: int) -> dict[str, Any]:
    """The content of the baseline file: provenance, then the results.

    The provenance follows :func:`sim.io.provenance` (version, git commit, Python, Mesa,
    NumPy, platform, creation time) but covers several scenarios, so it names them
    instead of storing one.
    """
    from .io import environment_stamp

    return {
        **environment_stamp(),
        "seed": seed,
        "years": years,
        "significant_digits": DIGITS,
        "update_command": UPDATE_COMMAND,
        "presets": list(results),
        "funding_models": list(next(iter(results.values()), {})),
        "results": results,
    }


def write_baseline(results: Results, years: int, seed: int, path: str | os.PathLike = BASELINE_PATH) -> Path:
    """Write the baseline file atomically (see :func:`sim.io.write_json`). Returns the path."""
    from .io import write_json

    return write_json(baseline_document(results, years, seed), path)


def load_baseline(path: str | os.PathLike = BASELINE_PATH) -> dict[str, Any]:
    """Read a baseline file.

    Raises:
        FileNotFoundError: there is no such file.
        ValueError: the file is not a baseline file.
    """
    path = Path(path)
    with path.open(encoding="utf-8") as fh:
        try:
            doc = json.load(fh)
        except json.JSONDecodeError as exc:
            raise ValueError(f"{path} is not valid JSON: {exc}") from None
    missing = {"results", "years", "seed"} - set(doc) if isinstance(doc, dict) else {"results"}
    if missing:
        raise ValueError(f"{path} is not a baseline file: missing {sorted(missing)}")
    return doc


@dataclass(frozen=True)
class Difference:
    """One metric that differs between the stored and the fresh baseline.

    ``old`` or ``new`` is None when the preset, funding model or metric exists on one
    side only.
    """

    preset: str
    funding: str
    metric: str
    old: float | None
    new: float | None

    @property
    def relative(self) -> float:
        """``|new - old| / |old|`` (inf if old is 0 or one side is missing)."""
        if self.old is None or self.new is None:
            return math.inf
        old, new = _as_float(self.old), _as_float(self.new)
        if math.isnan(old) or math.isnan(new) or math.isinf(old) or math.isinf(new):
            return math.inf
        if old == 0:
            return 0.0 if new == 0 else math.inf
        return abs(new - old) / abs(old)

    def describe(self) -> str:
        """One line: ``preset / funding / metric: old -> new (+x%)``."""
        where = f"{self.preset} / {self.funding} / {self.metric}"
        if self.old is None:
            return f"{where}: new (not in the stored baseline), value {self.new}"
        if self.new is None:
            return f"{where}: gone (stored value {self.old})"
        rel = self.relative
        if math.isfinite(rel):
            sign = 1.0 if _as_float(self.new) >= _as_float(self.old) else -1.0
            change = f"{sign * rel:+.4%}"
        else:
            change = "from zero or non-finite"
        return f"{where}: old {self.old!r}, new {self.new!r} ({change})"


def _equal(old: Any, new: Any) -> bool:
    a, b = _as_float(old), _as_float(new)
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return math.isclose(a, b, rel_tol=REL_TOL, abs_tol=ABS_TOL)


def compare_baselines(stored: Mapping[str, Any], fresh: Mapping[str, Any]) -> list[Difference]:
    """Every metric that differs between two result sets, including ones on one side only.

    Args:
        stored: ``{preset: {funding: {metric: value}}}`` from the file.
        fresh: the same from :func:`compute_baseline`.

    Returns:
        The differences in file order (stored first, then what is new).
    """
    diffs: list[Difference] = []
    for preset in dict.fromkeys([*stored, *fresh]):
        old_p, new_p = stored.get(preset, {}), fresh.get(preset, {})
        for funding in dict.fromkeys([*old_p, *new_p]):
            old_f, new_f = old_p.get(funding, {}), new_p.get(funding, {})
            for metric in dict.fromkeys([*old_f, *new_f]):
                old, new = old_f.get(metric), new_f.get(metric)
                if old is None or new is None or not _equal(old, new):
                    diffs.append(Difference(preset, funding, metric, old, new))
    return diffs


def count_metrics(results: Mapping[str, Any]) -> int:
    """How many values a result set holds."""
    return sum(len(metrics) for by_funding in results.values() for metrics in by_funding.values())


def diff_report(diffs: list[Difference], total: int, largest: int = 10, limit: int | None = None) -> str:
    """A readable summary of differences: how many changed, then the largest relative ones.

    Args:
        diffs: from :func:`compare_baselines`.
        total: how many values were compared (for "x of y changed").
        largest: how many of the largest relative changes to list in the summary.
        limit: list at most this many differences in file order after the summary
            (None: all of them; 0: none).
    """
    if not diffs:
        return f"no differences: all {total} values equal"
    lines = [f"{len(diffs)} of {total} values differ"]
    by_size = sorted(diffs, key=lambda d: -d.relative)[:largest]
    lines.append(f"largest relative changes ({len(by_size)}):")
    lines += [f"  {d.describe()}" for d in by_size]
    shown = diffs if limit is None else diffs[:limit]
    if shown and len(diffs) > len(by_size):
        lines.append("all differences:" if len(shown) == len(diffs) else f"first {len(shown)} differences:")
        lines += [f"  {d.describe()}" for d in shown]
    return "\n".join(lines)
