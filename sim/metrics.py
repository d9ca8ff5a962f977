"""Run summary metrics (ODD 8 'Observation'). Each key is defined in docs/odd.md."""

from __future__ import annotations

import numpy as np
import pandas as pd

#: Summary keys in report order, with unit and a one-line definition.
SUMMARY_KEYS: dict[str, tuple[str, str]] = {
    "formal_hours_per_client_week": ("h", "formal hours delivered per client-week in care"),
    "informal_hours_per_client_week": ("h", "informal hours per client-week in care"),
    "volunteer_hours_per_client_week": ("h", "volunteer hours per client-week in care"),
    "formal_to_optimum_ratio": ("ratio", "formal hours / the clients' optimum formal hours (7.6.1)"),
    "group_share": ("share", "group client-hours / formal hours"),
    "overprovided_share": ("share", "formal hours above need / formal hours"),
    "unmet_need_share": ("share", "unmet hours / need hours, all clients with a need"),
    "underserved_share": ("share", "clients with 4+ weeks in a row over 25% unmet"),
    "unreached_share": ("share", "needy non-askers never reached"),
    "escalations_per_1000_client_years": ("/1000 cy", "escalations per 1,000 client-years of need"),
    "kpi_improved_or_stable_share": ("share", "clients improved or stable after 26 weeks in care"),
    "mean_wait_weeks": ("weeks", "mean weeks from asking to care"),
    "p90_wait_weeks": ("weeks", "90th percentile of weeks from asking to care"),
    "spend_eur": ("EUR/yr", "municipal payments to providers per year, net of reclaims"),
    "budget_eur": ("EUR/yr", "municipal budget per year"),
    "overrun_share": ("share", "spend / budget - 1 (negative: under budget)"),
    "admin_cost_share": ("share", "admin cost / (spend + admin cost)"),
    "admin_eur": ("EUR/yr", "admin cost per year: assessments, invoices, monitoring, tenders"),
    "spend_per_client_year_eur": ("EUR", "spend per client-year in care"),
    "informal_hours_per_carer_week": ("h", "hours per week of a carer who gives care"),
    "carer_overburden_share": ("share", "carers giving care who are overburdened"),
    "volunteers_per_1000_inhabitants": ("/1000", "active volunteers, mean over weeks"),
    "bankruptcies": ("count", "providers gone bankrupt"),
    "rescues": ("count", "providers saved from bankruptcy by the municipal buffer"),
    "lost_per_1000_clients": ("/1000", "clients lost at a handover between providers, per 1,000 clients"),
    "refusals_per_1000_admissions": ("/1000", "intakes declined by a provider per 1,000 admissions"),
    "largest_provider_share": ("share", "share of clients in care with the largest provider, mean over weeks"),
    "funding_per_client_cv": ("ratio", "coefficient of variation over providers of money received per client-week"),
    "blocked_share": ("share", "client-weeks in care of recovered protected-living clients waiting for a home"),
    "clients_per_1000_inhabitants": ("/1000", "clients in care per 1,000 inhabitants, mean over weeks"),
}


def _ratio(a: float, b: float) -> float:
    return float(a / b) if b > 0 else 0.0


def _funding_cv(model) -> float:
    weeks = model.prov.client_weeks
    ok = weeks > 52  # providers with at least a client-year
    if ok.sum() < 2:
        return 0.0
    per = model.prov.contract_received[ok] / weeks[ok]
    return float(per.std() / per.mean()) if per.mean() > 0 else 0.0


def summarise(weekly: pd.DataFrame, clients: pd.DataFrame, model) -> dict[str, float]:
    """Compute the run summary from the weekly table, the client table and the model."""
    p = model.params
    w = weekly
    care_weeks = float(w["clients_in_care"].sum())
    need_weeks = float(w["clients_with_need"].sum())
    formal = float(w["formal_hours"].sum())
    spend = float(w["week_spend_eur"].sum())
    admin = float(w["week_admin_eur"].sum())
    years = len(w) / 52.0
    nonask = clients[~clients["asked"]]
    waited = clients[clients["reached"] & ~clients["initial"]]["weeks_waiting"].to_numpy()
    measured = clients["kpi"].to_numpy()
    measured = measured[measured >= 0]
    giving = w["carers_giving"].to_numpy(dtype=float)
    spend_year = spend / years if years else 0.0
    out = {
        "formal_hours_per_client_week": _ratio(formal, care_weeks),
        "informal_hours_per_client_week": _ratio(w["informal_hours_in_care"].sum(), care_weeks),
        "volunteer_hours_per_client_week": _ratio(w["volunteer_hours_in_care"].sum(), care_weeks),
        "formal_to_optimum_ratio": _ratio(formal, w["client_optimum_hours"].sum()),
        "group_share": _ratio(w["group_hours"].sum(), formal),
        "overprovided_share": _ratio(w["overprovided_hours"].sum(), formal),
        "unmet_need_share": _ratio(w["unmet_hours"].sum(), w["need_hours"].sum()),
        "underserved_share": float(clients["underserved"].mean()) if len(clients) else 0.0,
        "unreached_share": float((~nonask["reached"]).mean()) if len(nonask) else 0.0,
        "escalations_per_1000_client_years": _ratio(w["escalations"].sum() * 1000.0, need_weeks / 52.0),
        "kpi_improved_or_stable_share": float(measured.mean()) if measured.size else 0.0,
        "mean_wait_weeks": float(waited.mean()) if waited.size else 0.0,
        "p90_wait_weeks": float(np.percentile(waited, 90)) if waited.size else 0.0,
        "spend_eur": spend_year,
        "budget_eur": float(model.municipality.budget),
        "overrun_share": _ratio(spend_year, model.municipality.budget) - 1.0,
        "admin_cost_share": _ratio(admin, spend + admin),
        "admin_eur": admin / years if years else 0.0,
        "spend_per_client_year_eur": _ratio(spend, care_weeks / 52.0),
        "informal_hours_per_carer_week": _ratio(w["informal_hours"].sum(), giving.sum()),
        "carer_overburden_share": _ratio(w["carers_overburdened"].sum(), giving.sum()),
        "volunteers_per_1000_inhabitants": float(w["volunteers"].mean()) * 1000.0 / p.population,
        "bankruptcies": float(model.tally.bankruptcies),
        "rescues": float(model.tally.rescues),
        "lost_per_1000_clients": _ratio(model.tally.lost_clients * 1000.0, len(clients)),
        "refusals_per_1000_admissions": _ratio(model.tally.refusals * 1000.0, model.tally.admissions),
        "largest_provider_share": float(w["largest_provider_share"].mean()),
        "funding_per_client_cv": _funding_cv(model),
        "blocked_share": _ratio(w["blocked_clients"].sum(), care_weeks),
        "clients_per_1000_inhabitants": float(w["clients_in_care"].mean()) * 1000.0 / p.population,
    }
    return {k: float(out[k]) for k in SUMMARY_KEYS}
