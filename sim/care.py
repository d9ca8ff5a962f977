"""The provider decision (ODD 7.6 'Provider decision', the incentive core).

Every week each provider chooses, for each client in care, hours, modality and whether
to build the client's network, and for itself whether to do outreach; staff capacity
rations the plans. The decision rule is ``decision.optimal_hours`` under the net money
of the funding model's payment terms (``decision.net_money``); the funding model's way
in bounds the hours (``m.funding.entry.bound_hours``: an entitlement, a category floor,
or nothing).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from . import volunteers
from .columns import clip, indices
from .decision import choose_modality, kpi_value_per_hour, loss_weight, money_weight, net_money
from .state import IN_CARE, SR_MAX, SR_MIN

if TYPE_CHECKING:
    from .model import CareModel


def plan_outreach(m: CareModel) -> None:
    """ODD 7.6.6 'Provider outreach': spend staff time finding non-askers when it pays.

    A found client is worth ``D * (a * b * r/2 + (1-a) * mu * e)`` to the provider (the
    client's benefit at the optimum and the money on the hours it will give, over the
    ``planning_weeks`` horizon, at last week's average ``r``, ``e`` and ``mu``). An hour
    finds ``outreach_finds_per_hour`` clients and costs ``(1-a) * k``. The provider
    spends ``provider_outreach_share`` of its capacity on outreach when the value exceeds
    the cost and it can afford unpaid work (:func:`can_afford_unbilled`), else none. First the
    municipal team's hours of the week are set (ODD 7.4.2) and its cost booked.
    Writes: ``municipality.outreach_hours``, ``prov.outreach_hours``.
    """
    p, muni = m.params, m.municipality
    muni.outreach_hours = muni.outreach_team_hours if m.week >= 52 * p.outreach_start_year else 0.0
    muni.book_admin(muni.outreach_hours * p.hourly_cost_eur)  # the team's staff cost
    hours = np.zeros(len(m.providers))
    if m.last_plan is not None and p.provider_outreach_share > 0:
        owner, mu, r, e = m.last_plan
        n = np.maximum(np.bincount(owner, minlength=hours.size), 1)
        mean = [np.bincount(owner, weights=x, minlength=hours.size) / n for x in (mu, r, e)]
        a = m.prov.altruism
        value = p.planning_weeks * (a * p.client_benefit_eur_per_hour * mean[1] / 2 + (1 - a) * mean[0] * mean[2])
        cost = (1 - a) * unbilled_cost_per_hour(m)
        go = (p.outreach_finds_per_hour * value > cost) & can_afford_unbilled(m)
        hours = np.where(go, p.provider_outreach_share * m.prov.capacity, 0.0)
    m.prov.outreach_hours = hours


def plan_care(m: CareModel, carer_hours: np.ndarray) -> None:
    """ODD 7.6 'Provider decision': hours and modality for every client in care.

    For each client the owner maximises ``U(e)`` (ODD 7.6.1) given its net money per hour
    ``mu`` under the payment terms (ODD 7.6.2: cost share, subcontracting, transport,
    prevention and KPI value), choosing group or individual care by the utility each
    gives at its optimum (7.6.3, ``decision.choose_modality``). The funding model's
    way in bounds the hours (an entitlement caps them, a category floor holds them up).
    Network-building (7.6.5) and capacity
    rationing (7.6.4) follow. Writes: ``res.formal``, ``res.group``, ``prov.nb_hours``,
    ``prov.week_capacity``, ``prov.staff_hours``, ``week.optimum_hours``,
    ``m.last_plan``.
    """
    p, res, prov = m.params, m.res, m.prov
    c = indices(res.state == IN_CARE)
    res.formal[:] = 0.0
    res.group[:] = False
    prov.nb_hours = np.zeros(len(prov))
    prov.week_capacity = prov.capacity.copy()
    m.week_flows.optimum_hours = 0.0
    if c.size == 0:
        prov.staff_hours = prov.outreach_hours.copy()
        return
    owner = res.owner[c]
    alpha = np.where(insolvent(m), 0.0, prov.altruism)[owner]
    r = formal_need(m, c, carer_hours)
    cost = p.hourly_cost_eur * m.contracts.cost_factor[owner]
    mi, mg = net_money(m.terms, p, covered(m)[owner], cost, res.transport_h[c])
    keep = 1.0 - prevention_share(m, c, r)
    kpi = kpi_value_per_hour(m.terms, prov, m.municipality.fixed_factor)[owner]
    b, g = p.client_benefit_eur_per_hour, res.group_benefit[c]
    taste = (p.modality_choice_scale_eur, res.modality_taste[c])
    group, e, w = choose_modality(r, alpha, mi * keep + kpi, mg * keep + kpi, b, g, p.max_formal_hours, taste)
    mu = np.where(group, mg, mi) * keep + kpi
    e = m.funding.entry.bound_hours(m, c, e * w) / w  # the bounds are in individual-hour equivalents
    staff = np.where(group, e / p.group_size, e)
    prov.week_capacity = prov.capacity.copy()
    cap = prov.week_capacity - prov.outreach_hours
    room = np.bincount(owner, weights=staff, minlength=len(prov)) < cap  # staff to spare for unbilled work
    nb = network_building(m, c, r, e * w, alpha, mu, owner, room)
    e, nb, staff = ration(m, owner, cap, e, nb, staff)
    res.formal[c] = e
    res.group[c] = group
    m.week_flows.optimum_hours = float(r.sum())
    prov.nb_hours = np.bincount(owner, weights=nb, minlength=len(prov))
    prov.staff_hours = np.bincount(owner, weights=staff, minlength=len(prov)) + prov.nb_hours + prov.outreach_hours
    m.last_plan = (owner, mu, r, e)


def ration(m: CareModel, owner, cap, e, nb, staff) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """ODD 7.6.4 'Capacity rationing': a provider whose plans (staff hours and
    network-building) exceed its capacity less outreach scales them all down in
    proportion. While subcontracts are reopened after a budget revision (7.9.2) a main
    contractor's hours lose their subcontracted part. Returns ``e, nb, staff``."""
    n = cap.size
    demand = np.bincount(owner, weights=staff, minlength=n) + np.bincount(owner, weights=nb, minlength=n)
    scale = np.where(demand > cap, cap / np.maximum(demand, 1e-12), 1.0)
    e, nb, staff = e * scale[owner], nb * scale[owner], staff * scale[owner]
    if m.municipality.reopen_left > 0:  # subcontracts reopened after a budget revision (7.9.2)
        lost = np.where(m.contracts.cost_factor[owner] > 1.0, m.params.subcontract_share, 0.0)
        e, staff = e * (1.0 - lost), staff * (1.0 - lost)
    return e, nb, staff


def formal_need(m: CareModel, idx: np.ndarray, carer_hours: np.ndarray) -> np.ndarray:
    """ODD 7.6: a client's optimum formal hours ``r``: need net of what carers can give and
    last week's volunteer hours, capped at ``max_formal_hours``."""
    need = m.res.need[idx]
    return clip(need - np.minimum(carer_hours[idx], need) - m.res.volunteer[idx], 0.0, m.params.max_formal_hours)


def prevention_share(m: CareModel, c: np.ndarray, r: np.ndarray) -> np.ndarray:
    """ODD 7.6.2 'Prevention value': the share of an hour's money that comes back later.

    One more hour now raises met need by ``1/need``, self-reliance by
    ``(recovery + deterioration)/need`` a week, and so lowers need by
    ``scale/4`` times that; of the lower need, the share ``r/need`` would have been formal
    hours. Over the ``planning_weeks`` horizon, weighed by ``prevention_foresight``, the
    hours saved per hour now are ``pi`` (clipped to [0, 1]), and the money of an hour
    counts ``1 - pi`` times: a fixed-sum provider saves future cost, a fee-for-service
    provider loses future revenue.
    """
    p, res = m.params, m.res
    need = np.maximum(res.need[c], 1e-9)
    saved = (p.recovery_per_week + p.deterioration_per_week) * res.scale[c] / ((SR_MAX - SR_MIN) * need) * (r / need)
    return clip(p.prevention_foresight * p.planning_weeks * saved, 0.0, 1.0)


def year_projection(m: CareModel) -> tuple[np.ndarray, np.ndarray]:
    """ODD 7.6.2: each provider's projected income and cost for the year: its fixed sum
    plus the per-hour and per-period payments so far and last week's rate for the rest of
    the year; cost likewise (read by :func:`covered` and :func:`insolvent`)."""
    prov = m.prov
    left = 52 - m.week % 52
    income = m.funding.fixed_this_year(m) + prov.year_variable + prov.week_variable * left
    return income, prov.year_cost + prov.week_cost * left


def covered(m: CareModel) -> np.ndarray:
    """ODD 7.6.2: how sure each provider is (0-1) that its year's income covers its year's cost.

    Income is its fixed sum plus the per-hour and per-period payments so far and last
    week's rate for the rest of the year; cost is likewise projected. The projection is
    uncertain by ``deficit_band_share`` of the projected cost: 1 at that much surplus or
    more, 0 at that much deficit, linear in between (at 0 a step at break-even)."""
    income, cost = year_projection(m)
    band = m.params.deficit_band_share * cost
    if m.params.deficit_band_share == 0:
        return (cost < income).astype(float)
    return np.clip(0.5 + (income - cost) / (2.0 * np.maximum(band, 1e-9)), 0.0, 1.0)


def insolvent(m: CareModel) -> np.ndarray:
    """ODD 7.6.2 'Solvency': with ``solvency_guard``, the providers whose reserves would not
    last the year at the projected income and cost (:func:`covered`); they plan as pure
    cost-minimisers (altruism 0) while that holds."""
    prov = m.prov
    if not m.params.solvency_guard:
        return np.zeros(len(prov), bool)
    income, cost = year_projection(m)
    return prov.reserves + (income - prov.year_received) - (cost - prov.year_cost) < 0


def unbilled_cost_per_hour(m: CareModel) -> np.ndarray:
    """ODD 7.6.2: the money cost to each provider of an own staff hour nobody pays for."""
    within = covered(m)
    w = money_weight(m.terms, m.params, within) * loss_weight(m.params, within)
    return w * m.params.hourly_cost_eur


def can_afford_unbilled(m: CareModel) -> np.ndarray:
    """ODD 7.6.5-7.6.6: providers whose reserves allow work nobody pays for (above
    ``unbilled_reserves_share`` of the starting reserves, and not bankrupt)."""
    return ~m.prov.bankrupt & (m.prov.reserves > m.params.unbilled_reserves_share * m.start_reserves)


def network_building(m: CareModel, c, r, e, alpha, mu, owner, room) -> np.ndarray:
    """ODD 7.6.5 'Network-building': a one-off investment in a client's network.

    The provider spends ``network_build_hours`` to link a client to volunteers when
    ``(1-a) * (-mu * v * D - k * h) + a * b * min(v, r - e) * D > 0`` and its staff has
    hours to spare this week: ``v`` is
    ``network_support_hours`` of volunteer help that will replace formal hours over the
    ``planning_weeks`` horizon ``D``, ``k`` the money cost of an unbilled staff hour and
    ``b`` the client benefit of an hour.
    Each hour spent recruits ``volunteer_recruits_per_hour`` new volunteers. Like all
    unpaid work, it is done only while the provider can afford it (:func:`can_afford_unbilled`).
    Writes: ``res.networked``, new volunteers. Returns the hours per client.
    """
    p, res = m.params, m.res
    nb = np.zeros(c.size)
    cand = ~res.networked[c] & can_afford_unbilled(m)[owner] & room[owner]
    if not cand.any() or p.network_build_hours == 0:
        return nb
    v, horizon, h = p.network_support_hours, p.planning_weeks, p.network_build_hours
    unbilled = unbilled_cost_per_hour(m)[owner]
    gap = np.maximum(r - e, 0.0)
    gain = (1 - alpha) * (-mu * v * horizon - unbilled * h) + alpha * p.client_benefit_eur_per_hour * np.minimum(
        v, gap
    ) * horizon
    go = cand & (gain > 0)
    if go.any():
        idx = c[go]
        res.networked[idx] = True
        nb[go] = h
        volunteers.recruit_volunteers(m, m.layout.district[idx], p.volunteer_recruits_per_hour * h)
    return nb
