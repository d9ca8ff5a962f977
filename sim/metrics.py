"""Run summary metrics (ODD 8 'Observation'). Each key is defined in docs/odd.md."""

from __future__ import annotations

import numpy as np
import pandas as pd

#: Summary keys in report order, with unit and a one-line definition.
SUMMARY_KEYS: dict[str, tuple[str, str]] = {
    "formal_hours_per_client_week": ("h", "formal hours delivered per client-week in care"),
    "informal_hours_per_client_week": ("h", "informal hours per client-week in care"),
    "volunteer_hours_per_client_week": ("h", "volunteer hours per client-week in care"),
    "effective_formal_hours_per_client_week": (
        "h",
        "formal hours per client-week in care in individual-hour equivalents (a group hour counts its benefit, 7.6.3)",
    ),
    "formal_to_optimum_ratio": (
        "ratio",
        "formal hours (individual-hour equivalents) / the clients' optimum formal hours (7.6.1)",
    ),
    "group_share": ("share", "group client-hours / formal hours"),
    "overprovided_share": ("share", "formal hours above need / formal hours (individual-hour equivalents)"),
    "unmet_need_share": ("share", "unmet hours / need hours, all clients with a need"),
    "underserved_share": ("share", "clients with 4+ weeks in a row over 25% unmet"),
    "underserved_in_care_share": ("share", "clients with 4+ weeks in a row over 25% unmet while in care"),
    "underserved_waiting_share": ("share", "clients with 4+ weeks in a row over 25% unmet while waiting for care"),
    "unreached_share": ("share", "needy non-askers never reached"),
    "escalations_per_1000_client_years": ("/1000 cy", "escalations per 1,000 client-years of need"),
    "kpi_improved_or_stable_share": ("share", "clients improved or stable after 26 weeks in care"),
    "mean_wait_weeks": ("weeks", "mean weeks from asking to care"),
    "p90_wait_weeks": ("weeks", "90th percentile of weeks from asking to care"),
    "spend_eur": ("EUR/yr", "municipal payments to providers per year, net of reclaims"),
    "budget_eur": ("EUR/yr", "municipal budget per year"),
    "admin_eur": ("EUR/yr", "admin cost per year: assessments, invoices, monitoring, tenders"),
    "escalation_cost_year_eur": ("EUR/yr", "cost of escalations per year, to whichever budget bears it"),
    "total_cost_eur": ("EUR/yr", "municipal total cost per year: spend + admin + its share of escalation cost"),
    "public_cost_eur": ("EUR/yr", "public cost per year: spend + admin + all escalation cost"),
    "overrun_share": ("share", "total cost / budget - 1 (negative: under budget)"),
    "care_overrun_share": ("share", "spend / budget - 1, care payments alone"),
    "first_year_overrun_share": ("share", "first year's total cost / budget - 1 (the budget is set for that year)"),
    "admin_cost_share": ("share", "admin cost / (spend + admin cost)"),
    "spend_per_client_year_eur": ("EUR", "spend per client-year in care"),
    "cost_per_formal_hour_eur": ("EUR/h", "spend per formal client-hour delivered"),
    "provider_margin_share": ("share", "(providers' income - cost) / income over the run"),
    "provider_reserves_end_eur": ("EUR", "providers' reserves at the end, all providers"),
    "entrant_capital_eur": ("EUR", "reserves new entrants brought in over the run"),
    "informal_hours_per_carer_week": ("h", "hours per week of a carer who gives care"),
    "carer_overburden_share": ("share", "carers giving care who are overburdened"),
    "carers_8h_share": ("share", "carers giving care who give 8 hours a week or more"),
    "overburdened_carer_hours": ("h", "hours per week of an overburdened carer"),
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


def _total_cost(w: pd.DataFrame, p) -> float:
    """The municipality's total cost over the weeks of ``w``: care spend, admin and its
    ``escalation_municipal_share`` of the escalations' cost (ODD 8.3 ``total_cost_eur``)."""
    escalations = float(w["escalations"].sum()) * p.escalation_cost_eur
    return float(w["week_spend_eur"].sum() + w["week_admin_eur"].sum()) + p.escalation_municipal_share * escalations


def summarise(weekly: pd.DataFrame, clients: pd.DataFrame, model) -> dict[str, float]:
    """Compute the run summary from the weekly table, the client table and the model."""
    p = model.params
    w = weekly
    care_weeks = float(w["clients_in_care"].sum())
    need_weeks = float(w["clients_with_need"].sum())
    formal = float(w["formal_hours"].sum())
    effective = float(w["effective_formal_hours"].sum())
    spend = float(w["week_spend_eur"].sum())
    admin = float(w["week_admin_eur"].sum())
    years = len(w) / 52.0
    nonask = clients[~clients["asked"]]
    waited = clients[clients["reached"] & ~clients["initial"]]["weeks_waiting"].to_numpy()
    measured = clients["kpi"].to_numpy()
    measured = measured[measured >= 0]
    giving = w["carers_giving"].to_numpy(dtype=float)
    spend_year = spend / years if years else 0.0
    admin_year = admin / years if years else 0.0
    escalation_year = float(w["escalations"].sum()) * p.escalation_cost_eur / years if years else 0.0
    total_year = _total_cost(w, p) / years if years else 0.0
    received = float(w["provider_received_eur"].sum())
    budget = float(model.municipality.budget)
    y1 = w.iloc[:52]
    y1_cost = _total_cost(y1, p) * 52.0 / max(len(y1), 1)
    out = {
        "formal_hours_per_client_week": _ratio(formal, care_weeks),
        "informal_hours_per_client_week": _ratio(w["informal_hours_in_care"].sum(), care_weeks),
        "volunteer_hours_per_client_week": _ratio(w["volunteer_hours_in_care"].sum(), care_weeks),
        "effective_formal_hours_per_client_week": _ratio(effective, care_weeks),
        "formal_to_optimum_ratio": _ratio(effective, w["client_optimum_hours"].sum()),
        "group_share": _ratio(w["group_hours"].sum(), formal),
        "overprovided_share": _ratio(w["overprovided_hours"].sum(), effective),
        "unmet_need_share": _ratio(w["unmet_hours"].sum(), w["need_hours"].sum()),
        "underserved_share": float(clients["underserved"].mean()) if len(clients) else 0.0,
        "underserved_in_care_share": float(clients["underserved_in_care"].mean()) if len(clients) else 0.0,
        "underserved_waiting_share": float(clients["underserved_waiting"].mean()) if len(clients) else 0.0,
        "unreached_share": float((~nonask["reached"]).mean()) if len(nonask) else 0.0,
        "escalations_per_1000_client_years": _ratio(w["escalations"].sum() * 1000.0, need_weeks / 52.0),
        "kpi_improved_or_stable_share": float(measured.mean()) if measured.size else 0.0,
        "mean_wait_weeks": float(waited.mean()) if waited.size else 0.0,
        "p90_wait_weeks": float(np.percentile(waited, 90)) if waited.size else 0.0,
        "spend_eur": spend_year,
        "budget_eur": budget,
        "admin_eur": admin_year,
        "escalation_cost_year_eur": escalation_year,
        "total_cost_eur": total_year,
        "public_cost_eur": spend_year + admin_year + escalation_year,
        "overrun_share": _ratio(total_year, budget) - 1.0,
        "care_overrun_share": _ratio(spend_year, budget) - 1.0,
        "first_year_overrun_share": _ratio(y1_cost, budget) - 1.0,
        "admin_cost_share": _ratio(admin, spend + admin),
        "spend_per_client_year_eur": _ratio(spend, care_weeks / 52.0),
        "cost_per_formal_hour_eur": _ratio(spend, formal),
        "provider_margin_share": _ratio(received - float(w["provider_cost_eur"].sum()), received),
        "provider_reserves_end_eur": float(w["provider_reserves_eur"].iloc[-1]) if len(w) else 0.0,
        "entrant_capital_eur": float(model.tally.entrant_capital),
        "informal_hours_per_carer_week": _ratio(w["informal_hours"].sum(), giving.sum()),
        "carer_overburden_share": _ratio(w["carers_overburdened"].sum(), giving.sum()),
        "carers_8h_share": _ratio(w["carers_giving_8h"].sum(), giving.sum()),
        "overburdened_carer_hours": _ratio(w["overburdened_carer_hours"].sum(), w["carers_overburdened"].sum()),
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
