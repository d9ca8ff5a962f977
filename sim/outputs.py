"""What a run reports (ODD 8 'Observation'): the weekly reporters (8.1); the client
table (8.2) comes from ``state.Residents.client_table``, the run summary (8.3) from
``sim.metrics``."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .state import APPLYING, HIDDEN, IN_CARE, PGB
from .supply import effective_formal

if TYPE_CHECKING:
    from .model import CareModel

#: The weekly reporter columns (ODD 8.1), in table order; each is computed in :func:`report`.
COLUMNS = (
    "week",
    "clients_in_care",
    "clients_with_need",
    "waiting",
    "hidden",
    "formal_hours",
    "effective_formal_hours",
    "client_optimum_hours",
    "group_hours",
    "overprovided_hours",
    "network_building_hours",
    "outreach_hours",
    "informal_hours",
    "informal_hours_in_care",
    "volunteer_hours_in_care",
    "volunteer_hours",
    "unmet_hours",
    "need_hours",
    "week_spend_eur",
    "week_admin_eur",
    "provider_received_eur",
    "provider_cost_eur",
    "provider_reserves_eur",
    "carers_giving",
    "carers_giving_8h",
    "carers_overburdened",
    "overburdened_carer_hours",
    "volunteers",
    "escalations",
    "bankruptcies",
    "blocked_clients",
    "largest_provider_share",
)
#: The hours a week from which a carer counts as giving much care (CBS 2022: 36% of
#: carers give 8 hours or more): a definition of a metric, not behaviour.
HEAVY_CARER_HOURS = 8.0
#: Weekly model reporters for Mesa's DataCollector: column name -> model attribute.
WEEKLY = {col: f"r_{col}" for col in COLUMNS}


def report(m: CareModel) -> None:
    """ODD 8.1: set this week's reporter attributes (:data:`WEEKLY`) and add the week to
    the run totals (spend, client-weeks by provider, agent-steps)."""
    counts = np.bincount(m.res.owner[m.res.state == IN_CARE], minlength=len(m.providers))  # by provider
    m.prov.client_weeks += counts
    values = weekly_values(m, counts)
    for col, attr in WEEKLY.items():
        setattr(m, attr, values[col])
    flows = m.week_flows
    m.tally.spend_total += flows.spend
    m.agent_steps += values["clients_with_need"] + len(m.carers) + values["volunteers"]


def weekly_values(m: CareModel, counts: np.ndarray) -> dict[str, float | int]:
    """ODD 8.1: this week's value of each weekly reporter column (table 8.1 defines them);
    ``counts`` are the clients in care of each provider."""
    res, car, flows = m.res, m.car, m.week_flows
    a, st = res.active, res.state
    n_state = np.bincount(st, minlength=PGB + 1)  # residents per state, in one pass
    care = (st == IN_CARE) | (st == PGB)
    giving = car.given > 0
    over = giving & car.over
    formal = effective_formal(res)
    return {
        "week": m.week,
        "clients_in_care": int(n_state[IN_CARE] + n_state[PGB]),
        "clients_with_need": int(np.count_nonzero(a)),
        "waiting": int(n_state[APPLYING:IN_CARE].sum()),
        "hidden": int(n_state[HIDDEN]),
        "formal_hours": float(res.formal.sum()),
        "client_optimum_hours": flows.optimum_hours,
        "effective_formal_hours": float(formal.sum()),
        "group_hours": float(res.formal[res.group].sum()),
        "overprovided_hours": float((formal - res.formal_met).sum()),
        "network_building_hours": float(m.prov.nb_hours.sum()),
        "outreach_hours": float(m.prov.outreach_hours.sum() + m.municipality.outreach_hours),
        "informal_hours": float(res.informal.sum()),
        "informal_hours_in_care": float(res.informal[care].sum()),
        "volunteer_hours_in_care": float(res.volunteer[care].sum()),
        "volunteer_hours": float(res.volunteer.sum()),
        "unmet_hours": float(res.unmet.sum()),
        "need_hours": float(res.need[a].sum()),
        "week_spend_eur": flows.spend,
        "week_admin_eur": flows.admin,
        "provider_received_eur": flows.provider_received,
        "provider_cost_eur": flows.provider_cost,
        # summed in provider order without compensation (numpy scalars), as the ledger always was
        "provider_reserves_eur": float(sum(m.prov.reserves)),
        "carers_giving": int(np.count_nonzero(giving)),
        "carers_giving_8h": int(np.count_nonzero(car.given >= HEAVY_CARER_HOURS)),
        "carers_overburdened": int(np.count_nonzero(over)),
        "overburdened_carer_hours": float(car.given[over].sum()),
        "volunteers": int(np.count_nonzero(m.vol.active)),
        "escalations": flows.escalations,
        "bankruptcies": m.tally.bankruptcies,
        "blocked_clients": flows.blocked,
        "largest_provider_share": float(counts.max() / counts.sum()) if counts.sum() else 0.0,
    }
