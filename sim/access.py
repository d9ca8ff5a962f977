"""Access: how people with a need reach care (ODD 7.4 'Access').

Hidden non-askers are found (GP referral, network signals 7.4.1, outreach 7.4.2);
applicants then enter by the funding model's way in (``m.funding.entry``, see
``sim/funding.py``): at once, or through the municipal assessment (7.4.3) and its
queue. This module holds the steps those ways in are made of: the assessment and the
need category, the owner draw and the intake (7.4.4), cream-skimming, re-assessment
(7.4.5) and personal budgets (7.4.6).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from . import care, carers
from .columns import clip, indices
from .decision import kpi_value_per_hour, net_money, optimal_hours
from .need import weekly
from .state import APPLYING, DECIDING, HIDDEN, IN_CARE, PGB, QUEUED

if TYPE_CHECKING:
    from .model import CareModel


def access(m: CareModel) -> None:
    """ODD 7.4 'Access': askers apply; found non-askers join them; applicants enter.

    GPs refer hidden non-askers at yearly rate ``gp_referral_per_year`` (welfare on
    prescription); network signals (7.4.1) and outreach (7.4.2) find others. Everyone
    applying then enters by the funding model's way in, ``m.funding.entry.enter``: at
    once, or through the municipality's assessment queue (7.4.3).
    Writes: ``res.state``, ``res.ask_week``, ``res.reached`` of the found; the entry's
    columns.
    """
    res, p = m.res, m.params
    hidden = indices(res.state == HIDDEN)
    gp = hidden[m.rng.random(hidden.size) < weekly(p.gp_referral_per_year)]
    mark = np.zeros(res.state.size, dtype=bool)  # the union, sorted: cheaper than np.union1d
    mark[network_signals(m)] = True
    mark[outreach(m)] = True
    mark[gp] = True
    found = indices(mark)
    if found.size:
        res.state[found] = APPLYING
        res.ask_week[found] = m.week
        res.reached[found] = True
    m.funding.entry.enter(m, indices(res.state == APPLYING))


def network_signals(m: CareModel) -> np.ndarray:
    """ODD 7.4.1 'Network signals': ties in contact with care notice hidden non-askers.

    Contact nodes are clients in care, carers giving care and active volunteers. A hidden
    client with ``k`` such ties is noticed with chance ``1 - (1 - s)**k`` a week, where
    ``s`` is ``network_signal_per_week``, times ``district_team_signal_factor`` where
    social ``district_teams`` are the way in. The tie counts are one sparse matrix product.
    Returns the slots noticed.
    """
    res = m.res
    hidden = indices(res.state == HIDDEN)
    if hidden.size == 0 or m.params.network_signal_per_week == 0:
        return hidden[:0]
    contact = np.zeros(m.layout.adjacency.shape[0], dtype=np.float32)
    contact[: res.state.size] = (res.state == IN_CARE) | (res.state == PGB)
    contact[m.layout.carer_nodes] = m.car.given > 0
    va = m.vol.active
    contact[m.vol.node[va]] = 1.0
    ties = (m.layout.adjacency @ contact)[hidden]  # one product: cheaper than slicing rows
    s = m.params.network_signal_per_week * (m.params.district_team_signal_factor if m.params.district_teams else 1.0)
    p = 1.0 - (1.0 - min(s, 1.0)) ** ties
    return hidden[m.rng.random(hidden.size) < p]


def outreach(m: CareModel) -> np.ndarray:
    """ODD 7.4.2 'Outreach': outreach hours find hidden non-askers.

    Hours come from the municipal team (if ``outreach``, from ``outreach_start_year``
    on) and from providers that chose outreach (``care.plan_outreach``). Each hour finds
    ``outreach_finds_per_hour`` people while many are hidden: each hidden client is
    found with chance ``1 - exp(-H f / U)``. Returns the slots found.
    """
    res = m.res
    hidden = indices(res.state == HIDDEN)
    hours = m.municipality.outreach_hours + m.prov.outreach_hours.sum()
    if hidden.size == 0 or hours <= 0:
        return hidden[:0]
    p = 1.0 - np.exp(-hours * m.params.outreach_finds_per_hour / hidden.size)
    return hidden[m.rng.random(hidden.size) < p]


def serve_queue(m: CareModel, assess: Callable[[CareModel, np.ndarray], None]) -> None:
    """ODD 7.4.3 'Assessment': the municipality assesses the first clients in its queue.

    Its weekly capacity is ``assessments_per_week_per_10k``; the fractional part is a
    chance. A queued applicant is assessed with ``assess`` and decided
    ``assessment_decision_weeks`` later; a queued re-assessment (7.4.5) is assessed
    and goes on in care. Writes: ``res.state``, ``res.decide_week``, ``res.reassess``
    and the queue.
    """
    res, p, queue = m.res, m.params, m.municipality.queue
    capacity = m.municipality.assessment_capacity
    n = int(capacity) + int(m.rng.random() < capacity - int(capacity))
    taken = []
    redo = []
    while queue and len(taken) + len(redo) < n:
        slot, ep = queue.popleft()
        if not res.active[slot] or res.episode[slot] != ep:
            continue  # the episode ended while waiting
        if res.state[slot] == QUEUED:
            taken.append(slot)
        elif res.reassess[slot]:
            redo.append(slot)
    if redo:
        idx = np.asarray(redo)
        res.reassess[idx] = False
        assess(m, idx)
    if not taken:
        return
    idx = np.asarray(taken)
    res.state[idx] = DECIDING
    res.decide_week[idx] = m.week + p.assessment_decision_weeks
    assess(m, idx)


def assess(m: CareModel, idx: np.ndarray) -> np.ndarray:
    """ODD 7.4.3: set the entitlement of the residents ``idx`` and book its cost.

    The entitlement is the client's formal need (need net of the help it can count on,
    :func:`expected_help`) plus ``indication_headroom``, capped at ``max_formal_hours``;
    each assessment costs ``assessment_cost_eur``. Writes: ``res.entitlement``,
    ``res.assess_week``. Returns the formal need.
    """
    p, res = m.params, m.res
    formal_need = indication(m, idx)
    res.entitlement[idx] = np.minimum(formal_need * (1.0 + p.indication_headroom), p.max_formal_hours)
    res.assess_week[idx] = m.week
    m.municipality.book_admin(idx.size * p.assessment_cost_eur)
    return formal_need


def need_category(m: CareModel, idx: np.ndarray, formal_need: np.ndarray) -> None:
    """ODD 7.4.3: the output-based need category of residents ``idx``: one of
    ``output_categories`` equal bands up to ``max_formal_hours``, priced per period at
    ``output_price_share`` of the hourly price of the band's mid-point hours; the band's
    lower bound is the floor of hours the provider must give (7.6).
    Writes: ``res.category``, ``res.floor``, ``res.period_price``."""
    p, res = m.params, m.res
    width = p.max_formal_hours / p.output_categories
    k = np.minimum((formal_need / max(width, 1e-9)).astype(np.int64), p.output_categories - 1)
    res.category[idx] = k
    res.floor[idx] = k * width
    res.period_price[idx] = p.hourly_price_eur * (k + 0.5) * width * p.output_period_weeks * p.output_price_share


def indication(m: CareModel, idx: np.ndarray) -> np.ndarray:
    """ODD 7.4.3, 5.3: the formal need an assessment finds for residents ``idx``: need net
    of the help they can count on (:func:`expected_help`), capped at ``max_formal_hours``.
    It sets the entitlement (:func:`assess`) and, for the clients of 2015, the budget."""
    return clip(m.res.need[idx] - expected_help(m, idx), 0.0, m.params.max_formal_hours)


def expected_help(m: CareModel, idx: np.ndarray) -> np.ndarray:
    """ODD 7.4.3: hours of carer and volunteer help residents ``idx`` can count on (eigen
    kracht): their carers' hours this week and last week's volunteer hours."""
    car = m.car
    cap = np.bincount(car.slot, weights=carers.carer_hours_available(m), minlength=m.res.need.size)
    return cap[idx] + m.res.volunteer[idx]


def reassessment_due(m: CareModel, c: np.ndarray, wanted: np.ndarray) -> np.ndarray:
    """ODD 7.4.5 'Re-assessment': the clients in care ``c`` due for a new assessment.

    Under an entitlement a client is re-assessed ``reassess_weeks`` after the last
    assessment, or earlier when the owner asks for it because the hours it would choose
    (``wanted``) exceed the entitlement by more than ``reassess_slack_hours`` (at most
    once every ``reassess_min_weeks``). Clients with a request pending are not due again.
    """
    p, res = m.params, m.res
    since = m.week - res.assess_week[c]
    asks = (wanted > res.entitlement[c] + p.reassess_slack_hours) & (since >= p.reassess_min_weeks)
    due = asks | (since >= p.reassess_weeks)
    return c[due & ~res.reassess[c]]


def draw_owners(m: CareModel, idx: np.ndarray) -> np.ndarray:
    """ODD 7.4.4 'Owner assignment': an owner for each resident in ``idx``.

    A provider is drawn among the live providers that serve the resident's district,
    in proportion to their client shares; with ``referral``, among those whose
    expertise fits the client, where one does.
    """
    c = m.contracts
    alive = m.prov.alive
    w = (c.client_share[:, None] * c.serves * alive[:, None])[:, m.res.district[idx]].T
    if m.params.referral:
        fit = w * (c.ptype[None, :] == m.res.ctype[idx][:, None])
        w = np.where(fit.sum(axis=1, keepdims=True) > 0, fit, w)
    empty = w.sum(axis=1) == 0
    if empty.any():  # no live contractor in the district: any live provider
        w[empty] = c.client_share * alive
    cum = np.cumsum(w, axis=1)
    u = m.rng.random(idx.size) * cum[:, -1]
    return np.minimum((cum <= u[:, None]).sum(axis=1), len(m.providers) - 1)


def take_in(m: CareModel, idx: np.ndarray, owners: np.ndarray, pgb: np.ndarray | None = None) -> None:
    """ODD 7.4.4: clients ``idx`` enter care with ``owners`` (those with ``pgb`` take a
    personal budget instead, 7.4.6). Writes: ``res.state``, ``res.owner``,
    ``res.care_week``, ``res.sr_intake``; counts the admissions."""
    res = m.res
    m.tally.admissions += idx.size
    if pgb is None:
        res.state[idx] = IN_CARE
        res.owner[idx] = owners
    else:
        res.state[idx] = np.where(pgb, PGB, IN_CARE)
        res.owner[idx] = np.where(pgb, -1, owners)
    res.care_week[idx] = m.week
    res.sr_intake[idx] = res.sr[idx]


def accept_client(m: CareModel, idx: np.ndarray, owners: np.ndarray) -> np.ndarray:
    """ODD 7.4.4 'Cream-skimming': whether the drawn owners take clients ``idx``.

    Under output-based funding a provider that may refuse takes a client only if its
    utility of the client's weekly care is not negative:
    ``a * B(e) + (1 - a) * (price per week - cost * e) >= 0``, with ``e`` the hours it
    would choose, at least the category's floor, and the price per week the client's
    category price over the period. After ``max_refusals`` refusals the municipality
    obliges the provider drawn to take the client.
    """
    p, res = m.params, m.res
    need = res.need[idx]
    r = clip(need - expected_help(m, idx), 0.0, p.max_formal_hours)
    a = np.where(care.insolvent(m), 0.0, m.prov.altruism)[owners]  # as in plan_care (7.6.2)
    cost = p.hourly_cost_eur * m.contracts.cost_factor[owners]
    b = p.client_benefit_eur_per_hour
    mu, _ = net_money(m.terms, p, care.covered(m)[owners], cost, 0.0)  # as in plan_care (7.6.2)
    kpi = kpi_value_per_hour(m.terms, m.prov, m.municipality.fixed_factor)[owners]
    mu = mu * (1.0 - care.prevention_share(m, idx, r)) + kpi
    e = np.minimum(optimal_hours(r, a, mu, b, cap=p.max_formal_hours), res.entitlement[idx])
    e = np.maximum(e, res.floor[idx])
    benefit = b * (e - e**2 / (2.0 * np.maximum(r, 1e-9)))
    money_ = res.period_price[idx] / p.output_period_weeks - cost * e
    obliged = res.refusals[idx] >= p.max_refusals
    return obliged | (a * benefit + (1.0 - a) * money_ >= 0.0)


def personal_budgets(m: CareModel, carer_hours: np.ndarray) -> None:
    """ODD 7.4.6 'Personal budget' (pgb): the client buys the hours it needs (its formal
    need, as in 7.6), at most its entitlement (the municipality pays what is spent).
    ``pgb_informal_share`` of the hours pays its carers at ``pgb_informal_price_eur`` for
    hours they give anyway; the rest are formal hours from providers outside the
    contract, at ``pgb_rate`` of the in-kind price. Writes: ``res.formal`` of pgb holders,
    ``week.optimum_hours``, ``week.pgb_spend``."""
    p, res = m.params, m.res
    g = indices(res.state == PGB)
    m.week_flows.pgb_spend = 0.0
    if g.size == 0:
        return
    r = care.formal_need(m, g, carer_hours)
    hours = np.minimum(res.entitlement[g], r)  # the client buys what it needs, within the budget
    res.formal[g] = hours * (1.0 - p.pgb_informal_share)
    m.week_flows.optimum_hours += float(r.sum())
    paid = hours * (
        (1.0 - p.pgb_informal_share) * p.hourly_price_eur * p.pgb_rate + p.pgb_informal_share * p.pgb_informal_price_eur
    )
    m.week_flows.pgb_spend = float(paid.sum())
