"""Funding models against a reference on paired seeds: the statistics of ``care-sim compare``.

Replicate ``i`` of every model runs on the same seed (common random numbers), so the
difference of model and reference on replicate ``i`` is a paired difference: its spread
is the models' difference, not seed noise. Per metric and model:

- ``median``, ``p10``, ``p90``: the metric over replicates (a 10%-90% band);
- ``diff_median``, ``diff_p10``, ``diff_p90``: the paired difference model - reference;
- ``p_better``: the share of paired seeds on which the model does better than the
  reference, in the metric's better direction (:mod:`sim.metric_info`); ties count half;
  NaN for a metric with no better direction and for the reference itself.

Example:
    >>> stats = compare_stats(sim.compare("default", replicates=5, years=2))
    >>> stats.query("metric == 'unmet_need_share'")
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from .metric_info import METRICS, add_derived
from .params import FUNDING_MODELS

#: The band reported, as percentiles.
BAND = (10.0, 90.0)
REFERENCE = "fee_for_service"
COLUMNS = ("metric", "funding", "n", "median", "p10", "p90", "diff_median", "diff_p10", "diff_p90", "p_better")


def model_order(runs: pd.DataFrame) -> list[str]:
    """The funding models in the table, in the order of FUNDING_MODELS."""
    present = list(dict.fromkeys(runs["funding"].astype(str)))
    return [m for m in FUNDING_MODELS if m in present] + [m for m in present if m not in FUNDING_MODELS]


def compare_stats(runs: pd.DataFrame, reference: str = REFERENCE, metrics: Sequence[str] | None = None) -> pd.DataFrame:
    """The statistics of the module docstring, a row per metric and funding model.

    Args:
        runs: a row per run with ``funding``, ``replicate`` and the metrics (``sim.compare``).
        reference: the model the others are paired with; without it in the table the
            difference columns are NaN.
        metrics: the metrics (default: every summary metric, then total cost).

    Raises:
        ValueError: an unknown metric, or a model whose replicates differ from the reference's.
    """
    runs = add_derived(runs)
    metrics = list(metrics) if metrics is not None else [m for m in METRICS if m in runs.columns]
    unknown = [m for m in metrics if m not in runs.columns]
    if unknown:
        raise ValueError(f"no column {unknown[0]!r} in the runs table")
    models = model_order(runs)
    wide = {m: runs[runs["funding"].astype(str) == m].set_index("replicate").sort_index() for m in models}
    ref = wide.get(reference)
    rows = []
    for metric in metrics:
        info = METRICS.get(metric)
        for m in models:
            x = wide[m][metric].to_numpy(dtype=float)
            lo, med, hi = np.nanpercentile(x, [BAND[0], 50.0, BAND[1]]) if x.size else (np.nan,) * 3
            row = {"metric": metric, "funding": m, "n": int(x.size), "median": med, "p10": lo, "p90": hi}
            row.update(diff_median=np.nan, diff_p10=np.nan, diff_p90=np.nan, p_better=np.nan)
            if ref is not None and m != reference:
                if not wide[m].index.equals(ref.index):
                    raise ValueError(f"{m} and {reference} do not have the same replicates: they cannot be paired")
                d = x - ref[metric].to_numpy(dtype=float)
                row["diff_p10"], row["diff_median"], row["diff_p90"] = np.nanpercentile(d, [BAND[0], 50.0, BAND[1]])
                if info is not None and info.better is not None:
                    wins = [info.is_better(a, b) for a, b in zip(x, ref[metric].to_numpy(dtype=float), strict=True)]
                    row["p_better"] = float(np.mean(wins))
            rows.append(row)
    return pd.DataFrame(rows, columns=list(COLUMNS))
