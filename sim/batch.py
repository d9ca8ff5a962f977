"""``mesa.batch_run`` as a client: the run summary among the model reporters, and a check
that ``max_steps`` does not cut a run short.

:class:`SummaryCollector` is the model's DataCollector. Besides the weekly reporters it
keeps a column ``summary_<key>`` per summary metric (names that do not clash with the
weekly ones): NaN every week but the final one, where it holds the run summary of
``docs/odd.md`` section 8, computed once from the finished weekly and client tables. A
run that ``max_steps`` stops early never reaches its final week, so its summary columns
stay NaN; :func:`batch_run` refuses such a ``max_steps`` before anything runs.

Example:
    >>> rows = sim.batch_run(parameters={"funding": ["lump_sum", "subsidy"], "years": [1]}, rng=[1, 2])
    >>> rows[0]["summary_unmet_need_share"]
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd
from mesa import DataCollector

from .metrics import SUMMARY_KEYS, summarise

#: Prefix of the summary reporters.
PREFIX = "summary_"
#: The summary reporters' column names, in SUMMARY_KEYS order.
SUMMARY_COLUMNS = tuple(PREFIX + k for k in SUMMARY_KEYS)
#: CareModel arguments that are not scenario parameters.
_MODEL_ARGS = ("scenario", "rng", "check_invariants")


class SummaryCollector(DataCollector):
    """A DataCollector that adds the run summary at the final week (``summary_<key>``).

    Other weeks cost one list append per key; the summary itself is computed once.

    Attributes:
        summary: the run summary once the final week is collected, else None.
        clients: the client table the summary was computed from (final week), else None.
    """

    def __init__(self, model_reporters: Mapping[str, Any] | None = None, **kwargs: Any) -> None:
        super().__init__(model_reporters=model_reporters, **kwargs)
        self.weekly_columns = list(self.model_reporters)
        for col in SUMMARY_COLUMNS:
            self.model_vars[col] = []
        self.summary: dict[str, float] | None = None
        self.clients: pd.DataFrame | None = None

    def collect(self, model) -> None:
        super().collect(model)
        if model.steps >= model.params.years * 52 and self.summary is None:
            weekly = pd.DataFrame({c: self.model_vars[c] for c in self.weekly_columns})
            self.clients = model.client_table()
            self.summary = summarise(weekly, self.clients, model)
            values = [self.summary[k] for k in SUMMARY_KEYS]
        else:
            values = [math.nan] * len(SUMMARY_KEYS)
        for col, v in zip(SUMMARY_COLUMNS, values, strict=True):
            self.model_vars[col].append(v)

    def weekly_table(self) -> pd.DataFrame:
        """The weekly reporters only (without the summary columns), a row a week."""
        return pd.DataFrame({c: self.model_vars[c] for c in self.weekly_columns})


def _combinations(parameters: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Every combination of ``parameters`` as ``mesa.batch_run`` makes them (a string or a
    scalar is one value, any other iterable a list of values)."""
    axes = []
    for name, values in parameters.items():
        if isinstance(values, str) or not isinstance(values, Iterable):
            axes.append([(name, values)])
        else:
            axes.append([(name, v) for v in values])
    return [dict(c) for c in itertools.product(*axes)]


def weeks_needed(parameters: Mapping[str, Any]) -> int:
    """The most weeks any combination of ``parameters`` runs (``years * 52`` of its scenario).

    Raises:
        ScenarioError: a combination is not a valid scenario (checked before anything runs).
    """
    from .params import load_scenario

    most = 0
    for combo in _combinations(parameters):
        overrides = {k: v for k, v in combo.items() if k not in _MODEL_ARGS}
        sc = load_scenario(combo.get("scenario") or "default", **overrides)
        most = max(most, sc.years * 52)
    return most


def batch_run(
    model_cls: type | None = None,
    parameters: Mapping[str, Any] | None = None,
    *,
    max_steps: int | None = None,
    display_progress: bool = False,
    **kwargs: Any,
) -> list[dict[str, Any]]:
    """``mesa.batch_run`` for care-sim, with the run summary in every final-week row.

    Args:
        model_cls: default :class:`sim.CareModel`.
        parameters: as for ``mesa.batch_run`` (scenario parameters, ``scenario``).
        max_steps: default: exactly the weeks the longest run needs.
        display_progress: Mesa's progress bar.
        **kwargs: passed on (``rng=[...]``, ``number_processes``, ``data_collection_period``).

    Returns:
        ``mesa.batch_run``'s rows; the final week's row of each run holds ``summary_<key>``.

    Raises:
        ValueError: ``max_steps`` would stop a run before its last week (its summary would
            be missing).
        ScenarioError: a parameter combination is invalid.
    """
    import mesa

    from .model import CareModel

    parameters = dict(parameters or {})
    weeks = weeks_needed(parameters)
    if max_steps is None:
        max_steps = weeks
    elif max_steps < weeks:
        raise ValueError(
            f"max_steps = {max_steps} would cut short a run of {weeks} weeks ({weeks // 52} years) and leave its "
            f"summary empty: use max_steps >= {weeks}, or leave it out"
        )
    return mesa.batch_run(
        model_cls or CareModel, parameters, max_steps=max_steps, display_progress=display_progress, **kwargs
    )
