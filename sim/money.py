"""Money flows (ODD 7.9 'Money flows', 7.9.2 'Budget revision').

What the funding model pays each week (``m.funding.weekly_pay``), what providers spend,
and the state's mid-year revision of a fixed sum. Every euro goes through the
municipality's ledger (``Municipality.pay``, ``book_admin``, ``book_other``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from . import market
from .columns import indices
from .state import IN_CARE

if TYPE_CHECKING:
    from .model import CareModel

REVISION_WEEKS = (19, 35)  # the state's circulars of May and September (cases.md Lelystad)


def money(m: CareModel) -> None:
    """ODD 7.9 'Money flows': payments, provider costs, admin, reserves and bankruptcy.

    The funding model pays (``m.funding.weekly_pay``: per-hour or per-period pay, a
    fixed sum in advance or in instalments). Costs are staff hours at
    ``hourly_cost_eur`` (times the subcontracting factor), the transport of group
    clients and an overhead of ``overhead_share`` of the staff cost of the capacity the
    provider keeps (for providers with a contract): overhead follows the staff, as
    capacity adapts (7.10.4). Personal budgets are paid weekly. Every euro the
    municipality pays a provider is booked as received by it; a provider whose reserves
    run out goes bankrupt unless the buffer rescues it (``market.bankruptcy``).
    Writes: the provider ledger columns of ``m.prov``; the municipality's ledger.
    """
    p, res, prov = m.params, m.res, m.prov
    c = indices(res.state == IN_CARE)
    pay, variable = m.funding.weekly_pay(m, c)
    owner, grp = res.owner[c], res.group[c]
    transport = np.bincount(owner, weights=np.where(grp, res.formal[c] * res.transport_h[c], 0.0), minlength=len(prov))
    overhead = p.overhead_share * prov.capacity * p.hourly_cost_eur * prov.alive * m.contracts.serves.any(axis=1)
    cost = prov.staff_hours * p.hourly_cost_eur * m.contracts.cost_factor + transport + overhead
    prov.week_variable = variable
    m.municipality.pay(pay)
    m.municipality.book_other(m.week_flows.pgb_spend)
    prov.year_variable += prov.week_variable
    prov.reserves -= cost
    prov.cost_total += cost
    prov.year_cost += cost
    prov.year_staff_hours += prov.staff_hours
    prov.week_cost = cost
    m.week_flows.provider_cost = float(cost.sum())
    market.bankruptcy(m)


def budget_revision(m: CareModel) -> None:
    """ODD 7.9.2 'Budget revision': the state may revise a fixed sum mid-year (May or
    September, each with half of the funding model's ``revision_per_year``: the
    population budget's ``budget_revision_per_year``, 0 for the others) by
    ``budget_revision_size``; the rest of the year's instalments change with it, and for
    ``reopen_weeks`` the contractors reopen their subcontracts, so subcontracted hours
    are not delivered. Writes: ``municipality.revision_factor``,
    ``municipality.reopen_left``."""
    p, muni = m.params, m.municipality
    w = m.week % 52
    if w == 0:
        muni.revision_factor = 1.0
    if muni.reopen_left > 0:
        muni.reopen_left -= 1
    if w in REVISION_WEEKS:
        u = m.rng.random()  # drawn under every funding model
        if u < m.funding.revision_per_year / len(REVISION_WEEKS):
            muni.revision_factor *= 1.0 + p.budget_revision_size
            muni.reopen_left = p.reopen_weeks
            m.tally.revisions += 1
