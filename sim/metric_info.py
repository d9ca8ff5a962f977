"""Plain-language names of the summary metrics, and which direction is better.

A sibling of :data:`sim.metrics.SUMMARY_KEYS` (whose keys, units and definitions stay the
model's): for each key a short label for tables and axes, and ``better``: ``"lower"``,
``"higher"`` or ``None`` where more is neither better nor worse in itself (care volume,
modality mix, an input such as the budget). "Better" is the view of a municipality that
wants need met at low cost; it is a reading aid for ``care-sim compare``, not part of the
model. :data:`DERIVED` may add metrics computed from the summary (none now: total cost
is a summary key).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from .metrics import SUMMARY_KEYS


@dataclass(frozen=True)
class MetricInfo:
    """A metric as a reader sees it."""

    key: str
    label: str
    unit: str
    better: str | None
    definition: str

    @property
    def direction(self) -> str:
        """``"lower is better"``, ``"higher is better"`` or ``"no better direction"``."""
        return f"{self.better} is better" if self.better else "no better direction"

    def is_better(self, a: float, b: float) -> float:
        """1 if ``a`` is better than ``b``, 0 if worse, 0.5 if equal (NaN without a direction)."""
        if self.better is None:
            return float("nan")
        if a == b:
            return 0.5
        return float((a < b) if self.better == "lower" else (a > b))


# key: (plain label, better)
_PLAIN: dict[str, tuple[str, str | None]] = {
    "formal_hours_per_client_week": ("formal care hours per client per week", None),
    "informal_hours_per_client_week": ("informal care hours per client per week", None),
    "volunteer_hours_per_client_week": ("volunteer hours per client per week", None),
    "formal_to_optimum_ratio": ("formal hours against the clients' optimum", None),
    "group_share": ("share of formal hours given in groups", None),
    "overprovided_share": ("share of formal hours above need", "lower"),
    "unmet_need_share": ("share of need left unmet", "lower"),
    "underserved_share": ("share of clients underserved for 4+ weeks", "lower"),
    "unreached_share": ("share of people who never ask and are never reached", "lower"),
    "escalations_per_1000_client_years": ("escalations to heavier care per 1,000 client-years", "lower"),
    "kpi_improved_or_stable_share": ("share of clients improved or stable after 26 weeks", "higher"),
    "mean_wait_weeks": ("mean wait from asking to care", "lower"),
    "p90_wait_weeks": ("wait of the 10% who wait longest", "lower"),
    "spend_eur": ("care spend (payments to providers)", "lower"),
    "budget_eur": ("municipal care budget", None),
    "overrun_share": ("total cost over budget (negative: under)", "lower"),
    "care_overrun_share": ("care spend over budget (negative: under)", "lower"),
    "first_year_overrun_share": ("first-year total cost over budget (negative: under)", "lower"),
    "effective_formal_hours_per_client_week": ("formal care per client per week, in individual-hour equivalents", None),
    "underserved_in_care_share": ("share of clients underserved 4+ weeks while in care", "lower"),
    "underserved_waiting_share": ("share of clients underserved 4+ weeks while waiting", "lower"),
    "escalation_cost_year_eur": ("cost of escalations to heavier care", "lower"),
    "total_cost_eur": ("municipal total cost: care, admin and its share of escalations", "lower"),
    "public_cost_eur": ("public cost: care, admin and all escalations", "lower"),
    "cost_per_formal_hour_eur": ("care spend per formal client-hour", "lower"),
    "provider_margin_share": ("providers' margin on what they received", None),
    "provider_reserves_end_eur": ("providers' reserves at the end", None),
    "entrant_capital_eur": ("capital new providers brought in", None),
    "carers_8h_share": ("share of carers giving 8+ hours a week", None),
    "overburdened_carer_hours": ("hours a week of overburdened carers", None),
    "admin_cost_share": ("share of total cost spent on admin", "lower"),
    "admin_eur": ("admin cost (assessments, invoices, tenders)", "lower"),
    "spend_per_client_year_eur": ("care spend per client-year", "lower"),
    "informal_hours_per_carer_week": ("informal care hours per carer per week", "lower"),
    "carer_overburden_share": ("share of carers overburdened", "lower"),
    "volunteers_per_1000_inhabitants": ("active volunteers per 1,000 inhabitants", "higher"),
    "bankruptcies": ("providers gone bankrupt", "lower"),
    "rescues": ("providers rescued by the municipal buffer", None),
    "lost_per_1000_clients": ("clients lost at a handover per 1,000 clients", "lower"),
    "refusals_per_1000_admissions": ("intakes refused per 1,000 admissions", "lower"),
    "largest_provider_share": ("share of clients with the largest provider", None),
    "funding_per_client_cv": ("spread of money per client between providers", None),
    "blocked_share": ("share of care weeks blocked waiting for a home", "lower"),
    "clients_per_1000_inhabitants": ("clients in care per 1,000 inhabitants", None),
}

#: Metrics computed from the summary: key -> (label, unit, better, definition, function).
DERIVED: dict[str, tuple[str, str, str | None, str, Callable[[pd.DataFrame], pd.Series]]] = {}


def _info(key: str, unit: str, definition: str) -> MetricInfo:
    label, better = _PLAIN.get(key, (definition, None))  # a new metric reads as its definition
    return MetricInfo(key, label, unit, better, definition)


METRICS: dict[str, MetricInfo] = {
    **{k: _info(k, unit, definition) for k, (unit, definition) in SUMMARY_KEYS.items()},
    **{k: MetricInfo(k, label, unit, better, d) for k, (label, unit, better, d, _f) in DERIVED.items()},
}


def add_derived(runs: pd.DataFrame) -> pd.DataFrame:
    """``runs`` with the :data:`DERIVED` columns added (where their inputs are present)."""
    out = runs.copy()
    for key, (*_, f) in DERIVED.items():
        try:
            out[key] = f(out)
        except KeyError:
            continue
    return out
