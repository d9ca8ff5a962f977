"""The year end (ODD 7.10 'Year end'): KPI consequences, subsidy reclaim, capacity
adaptation, tenders and replacement."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from . import market
from .columns import indices
from .state import IN_CARE

if TYPE_CHECKING:
    from .model import CareModel

NO_KPI_PRESSURE = 0.5  # the pressure before any KPI is known: that of a KPI on target


def year_end(m: CareModel) -> None:
    """ODD 7.10 'Year end': KPI consequences, subsidy reclaim, tenders, adaptation.

    KPI (7.10.1, :func:`kpi_results`) and the funding model's settlement
    (``m.funding.settle_year``): a KPI penalty, a reclaimed surplus. Reclaim (7.10.2):
    ``buffer_share`` of the reclaimed surplus goes to the buffer, and
    ``innovation_share`` to next year's volunteer training. Adaptation (7.10.4,
    :func:`adapt_capacity`). In a renewal year the fixed sum is rebased
    (``m.funding.rebase``, 7.10.6) and the contracts are tendered (7.10.5,
    :func:`tender`). The KPI pressure for next year follows the gap
    (:func:`kpi_pressure`).
    """
    p, muni = m.params, m.municipality
    judged = kpi_results(m)
    penalty, reclaim = m.funding.settle_year(m, judged)
    muni.pay(-(penalty + reclaim))
    muni.buffer += p.buffer_share * reclaim.sum()
    muni.innovation_budget = p.innovation_share * reclaim.sum()
    muni.training_budget = p.volunteer_training_eur_per_10k * p.population / 1e4 + muni.innovation_budget
    renewal = (m.week + 1) % (52 * p.contract_years) == 0 and m.week + 1 < m.n_weeks
    if renewal:
        m.funding.rebase(m)  # on this year's cost, before adaptation starts the year's totals again
    adapt_capacity(m)
    tender(m, renewal)
    kpi_pressure(m)


def kpi_results(m: CareModel) -> np.ndarray:
    """ODD 7.10.1 'KPI': each provider's share of this year's measured clients who are
    improved or stable; the log starts again. Writes: ``prov.kpi_last`` of providers
    with results. Returns which providers have results this year."""
    prov, muni = m.prov, m.municipality
    log = muni.kpi_log
    owners = np.concatenate([o for o, _ in log]) if log else np.zeros(0, int)
    flags = np.concatenate([f for _, f in log]) if log else np.zeros(0)
    muni.kpi_log = []
    n = np.bincount(owners, minlength=len(prov))
    ok = np.bincount(owners, weights=flags.astype(float), minlength=len(prov))
    judged = n > 0
    prov.kpi_last[judged] = ok[judged] / n[judged]
    return judged


def kpi_pressure(m: CareModel) -> None:
    """ODD 7.10.1, 7.6.2: next year's KPI pressure of each provider,
    ``clip((kpi_target + band - last KPI) / (2 band), 0, 1)`` with ``band`` the
    ``kpi_pressure_band`` (``NO_KPI_PRESSURE`` before any KPI is known). Writes:
    ``prov.kpi_pressure``."""
    p, prov = m.params, m.prov
    k = prov.kpi_last
    pressure = np.clip((p.kpi_target + p.kpi_pressure_band - k) / (2 * p.kpi_pressure_band), 0, 1)
    prov.kpi_pressure = np.where(np.isnan(k), NO_KPI_PRESSURE, pressure)


def adapt_capacity(m: CareModel) -> None:
    """ODD 7.10.4 'Adaptation': staff capacity moves toward last year's use plus
    ``staff_headroom``, by at most ``capacity_adjust_per_year``; the year's totals start
    again. Writes: ``prov.capacity``, ``prov.year_*``."""
    p, prov = m.params, m.prov
    used = prov.year_staff_hours / 52.0 * (1.0 + p.staff_headroom)
    lo, hi = prov.capacity * (1 - p.capacity_adjust_per_year), prov.capacity * (1 + p.capacity_adjust_per_year)
    prov.capacity = np.where(prov.alive, np.clip(used, lo, hi), prov.capacity)
    for col in (prov.year_staff_hours, prov.year_cost, prov.year_received, prov.year_variable):
        col[:] = 0.0


def tender(m: CareModel, renewal: bool) -> None:
    """ODD 7.10.5 'Tender': in a ``renewal`` year (every ``contract_years``, but not at
    the end of the run) each contract is tendered again and lost with chance ``tender_churn``; a new
    provider takes the clients over by handover; each tender costs ``tender_cost_eur``
    per provider. The chances are drawn every year."""
    p, prov, res = m.params, m.prov, m.res
    lose = m.rng.random(len(prov)) < p.tender_churn  # drawn every year, used in tender years
    if renewal:
        m.municipality.book_admin(p.tender_cost_eur * len(prov))
        for i in indices(lose & prov.alive):
            m.replace_provider(int(i), float(prov.capacity[i]))
            market.handover(m, indices((res.owner == i) & (res.state == IN_CARE)))
