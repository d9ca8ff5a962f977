"""The weekly rules, each on whole columns (ODD 7, 'Submodels').

Each function takes the model ``m`` and changes its columns ``m.res`` (at-risk
residents, one row per network slot), ``m.car`` (informal carers) and ``m.vol``
(volunteers). Per-agent Python runs only for the few residents with an event this week
(a need starting or ending, an assessment) and for the providers. The docstring of each
rule names the ODD section it implements; ``docs/odd.md`` names the rule back.
"""

from __future__ import annotations

import numpy as np

from .columns import clip, indices
from .funding import net_money, optimal_hours
from .state import APPLYING, DECIDING, DIED, ESCALATED, HIDDEN, IN_CARE, PGB, QUEUED, RECOVERED, TRANSFER

UNDERSERVED_UNMET = 0.25  # over 25% of need unmet counts as an underserved week
UNDERSERVED_RUN = 4  # weeks in a row
KPI_WEEKS = 26
KPI_TOLERANCE = 0.1  # self-reliance may drop this much and still count as stable
EMA_WEEKS = 8  # memory of carer burden and of unmet need
MAX_REFUSALS = 4  # after this many refusals the municipality obliges a provider (7.4.4)
REASSESS_MIN_WEEKS = 13  # a provider may ask for a new assessment at most once a quarter


def _weekly(rate_per_year):
    """Chance per week of an event with the given yearly rate."""
    return 1.0 - np.exp(-np.asarray(rate_per_year) / 52.0)


def onset(m) -> np.ndarray:
    """ODD 7.1 'Onset': at-risk residents without a need may develop one.

    The weekly chance grows with ``need_growth_per_year`` (ageing); so does the need
    scale of new episodes. Askers apply at once; non-askers stay hidden, except that
    ``walk_in_share`` of them walk in where ``walk_in`` access exists (no assessment
    needed). ``protected_living_share`` of new clients are in protected living (7.3).
    """
    p, res = m.params, m.res
    growth = (1.0 + p.need_growth_per_year) ** (m.week / 52.0)
    free = ~res.active
    new = free & (m.rng.random(res.active.size) < _weekly(p.onset_per_year * res.risk * growth))
    idx = indices(new)
    if idx.size:
        m.start_episodes(idx, growth)
        u = m.rng.random((2, idx.size))
        res.pl[idx] = u[0] < p.protected_living_share
        if p.walk_in and not m.terms.needs_assessment:
            walk = idx[(res.state[idx] == HIDDEN) & (u[1] < p.walk_in_share)]
            res.state[walk] = APPLYING
            res.reached[walk] = True
    return idx


def need_dynamics(m) -> None:
    """ODD 7.2 'Need dynamics': self-reliance moves with met need; need follows it.

    A week with all need met raises self-reliance by ``recovery_per_week``, a week with
    none met lowers it by ``deterioration_per_week``; a random shock is added. A client
    whose owner's expertise does not fit recovers at ``mismatch_recovery_factor`` of the
    rate. Need is ``scale * (5 - self_reliance) / 4`` hours a week.
    """
    p, res = m.params, m.res
    a = indices(res.active)
    if a.size == 0:
        return
    need = res.need[a]
    met = np.where(need > 0, 1.0 - res.unmet[a] / np.maximum(need, 1e-12), 1.0)
    shock = m.rng.normal(0.0, p.self_reliance_noise, a.size)
    owner = res.owner[a]
    misfit = (owner >= 0) & (m.contracts.ptype[np.maximum(owner, 0)] != res.ctype[a])
    recovery = p.recovery_per_week * np.where(misfit, p.mismatch_recovery_factor, 1.0)
    sr = res.sr[a] + recovery * met - p.deterioration_per_week * (1.0 - met) + shock
    res.sr[a] = clip(sr, 1.0, 5.0)
    res.need[a] = res.scale[a] * (5.0 - res.sr[a]) / 4.0
    res.unmet_ema[a] += (1.0 - met - res.unmet_ema[a]) / EMA_WEEKS


def exits(m) -> None:
    """ODD 7.3 'Exits': recovery, death and escalation end an episode.

    Recovery when self-reliance reaches ``recovery_self_reliance``; a client in
    protected living can leave only to a free home: ``housing_per_year_per_10k`` homes
    come free a year (Poisson each week), and the others stay, blocked. Escalation to
    residential or specialist care has a yearly rate ``escalation_per_year`` multiplied by
    ``1 + escalation_unmet_factor * recent unmet share``: this is where prevention pays.
    """
    p, res = m.params, m.res
    a = indices(res.active)
    homes = m.rng.poisson(p.housing_per_year_per_10k * p.population / 1e4 / 52.0)
    if a.size == 0:
        return
    u = m.rng.random((2, a.size))
    recovered = res.sr[a] >= p.recovery_self_reliance
    waiting_home = indices(recovered & res.pl[a])
    if waiting_home.size > homes:
        stay = m.rng.permutation(waiting_home)[homes:]
        recovered[stay] = False
        res.blocked_weeks[a[stay]] += 1
    died = ~recovered & (u[0] < _weekly(p.mortality_per_year))
    esc_rate = p.escalation_per_year * (1.0 + p.escalation_unmet_factor * res.unmet_ema[a])
    escalated = ~recovered & ~died & (u[1] < _weekly(esc_rate))
    if escalated.any():
        res.escalated[a[escalated]] = True
    for mask, how in ((recovered, RECOVERED), (died, DIED), (escalated, ESCALATED)):
        if mask.any():
            m.end_episodes(a[mask], how)


def network_signals(m) -> np.ndarray:
    """ODD 7.4.1 'Network signals': ties in contact with care notice hidden non-askers.

    Contact nodes are clients in care, carers giving care and active volunteers. A hidden
    client with ``k`` such ties is noticed with chance ``1 - (1 - s)**k`` a week, where
    ``s`` is ``network_signal_per_week``, times ``district_team_signal_factor`` where
    social ``district_teams`` are the way in. The tie counts are one sparse matrix product.
    """
    res = m.res
    hidden = indices(res.state == HIDDEN)
    if hidden.size == 0 or m.params.network_signal_per_week == 0:
        return hidden[:0]
    contact = np.zeros(m.layout.adjacency.shape[0], dtype=np.float32)
    contact[: res.state.size] = (res.state == IN_CARE) | (res.state == PGB)
    car = m.car
    contact[m.layout.carer_nodes] = car.given > 0
    va = m.vol.active
    contact[m.vol.node[va]] = 1.0
    ties = (m.layout.adjacency @ contact)[hidden]  # one product: cheaper than slicing rows
    s = m.params.network_signal_per_week * (m.params.district_team_signal_factor if m.params.district_teams else 1.0)
    p = 1.0 - (1.0 - min(s, 1.0)) ** ties
    return hidden[m.rng.random(hidden.size) < p]


def outreach(m) -> np.ndarray:
    """ODD 7.4.2 'Outreach': outreach hours find hidden non-askers.

    Hours come from the municipal team (if ``outreach``, from ``outreach_start_year``
    on) and from providers that chose
    outreach (``plan_outreach``). Each hour finds ``outreach_finds_per_hour`` people while
    many are hidden: each hidden client is found with chance ``1 - exp(-H f / U)``.
    """
    res = m.res
    hidden = indices(res.state == HIDDEN)
    hours = m.municipal_outreach_hours + m.prov.outreach_hours.sum()
    if hidden.size == 0 or hours <= 0:
        return hidden[:0]
    p = 1.0 - np.exp(-hours * m.params.outreach_finds_per_hour / hidden.size)
    return hidden[m.rng.random(hidden.size) < p]


def access(m) -> None:
    """ODD 7.4 'Access': askers apply; found non-askers join them; the queue is served.

    Where the payment terms need an assessment and ``assessment_queue`` is on, applicants
    wait in the municipality's FIFO queue; its weekly capacity is
    ``assessments_per_week_per_10k``; a decision follows ``assessment_decision_weeks``
    later. Otherwise the provider takes the client in at once. GPs refer hidden
    non-askers at yearly rate ``gp_referral_per_year`` (welfare on prescription).
    """
    res, p = m.res, m.params
    hidden = indices(res.state == HIDDEN)
    gp = hidden[m.rng.random(hidden.size) < _weekly(p.gp_referral_per_year)]
    mark = np.zeros(res.state.size, dtype=bool)  # the union, sorted: cheaper than np.union1d
    mark[network_signals(m)] = True
    mark[outreach(m)] = True
    mark[gp] = True
    found = indices(mark)
    if found.size:
        res.state[found] = APPLYING
        res.ask_week[found] = m.week
        res.reached[found] = True
    applying = indices(res.state == APPLYING)
    if m.uses_queue:
        res.state[applying] = QUEUED
        m.municipality.queue.extend(zip(applying.tolist(), res.episode[applying].tolist(), strict=True))
        serve_queue(m)
        due = indices((res.state == DECIDING) & (res.decide_week <= m.week))
        m.admit(due)
    else:
        m.admit(applying)


def serve_queue(m) -> None:
    """ODD 7.4.3 'Assessment': the municipality assesses the first clients in its queue.

    The entitlement is the client's formal need (need net of carer and volunteer help)
    plus ``indication_headroom``, capped at ``max_formal_hours``. Each assessment costs
    ``assessment_cost_eur``.
    """
    res, p, queue = m.res, m.params, m.municipality.queue
    capacity = m.assessment_capacity
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


def request_reassessment(m, c, wanted) -> None:
    """ODD 7.4.5 'Re-assessment': under an entitlement, a client is re-assessed a year
    after the last assessment, or earlier when the owner asks for it because the hours it
    would choose exceed the entitlement by more than a quarter hour (at most once a
    quarter, ``REASSESS_MIN_WEEKS``). Requests join the
    assessment queue; care goes on meanwhile. Without a queue it happens at once."""
    res = m.res
    since = m.week - res.assess_week[c]
    due = ((wanted > res.entitlement[c] + 0.25) & (since >= REASSESS_MIN_WEEKS)) | (since >= 52)
    idx = c[due & ~res.reassess[c]]
    if idx.size == 0:
        return
    if m.uses_queue:
        res.reassess[idx] = True
        m.municipality.queue.extend(zip(idx.tolist(), res.episode[idx].tolist(), strict=True))
    else:
        assess(m, idx)


def assess(m, idx) -> None:
    """ODD 7.4.3: set the entitlement of the residents ``idx`` and book its cost. Under
    output-based funding the formal need also sets one of ``output_categories`` equal
    bands up to ``max_formal_hours``, priced per period at ``output_price_share`` of the
    hourly price of the band's mid-point hours; the band's lower bound is the floor of
    hours the provider must give (7.6)."""
    p, res = m.params, m.res
    formal_need = clip(res.need[idx] - m.expected_help(idx), 0.0, p.max_formal_hours)
    res.entitlement[idx] = np.minimum(formal_need * (1.0 + p.indication_headroom), p.max_formal_hours)
    res.assess_week[idx] = m.week
    if m.terms.output_based:  # the need category and its price per period
        width = p.max_formal_hours / p.output_categories
        k = np.minimum((formal_need / max(width, 1e-9)).astype(np.int64), p.output_categories - 1)
        res.category[idx] = k
        res.floor[idx] = k * width
        res.period_price[idx] = p.hourly_price_eur * (k + 0.5) * width * p.output_period_weeks * p.output_price_share
    m.book_admin(idx.size * p.assessment_cost_eur)


def transfers(m) -> None:
    """ODD 7.10.3 'Transfer': clients of a bankrupt provider wait, then get a new owner.

    A client whose provider went bankrupt misses ``transfer_weeks`` weeks of formal care
    (0: taken over the next week). The new owner takes them over by handover (7.10.5)."""
    res = m.res
    t = indices(res.state == TRANSFER)
    if t.size == 0:
        return
    done = t[res.transfer_left[t] <= 0]
    res.transfer_left[t] -= 1
    if done.size and m.prov.alive.any():
        res.state[done] = IN_CARE
        res.owner[done] = m.draw_owners(done)
        m.handover(done)


def carer_capacity(m) -> np.ndarray:
    """ODD 7.5 'Informal capacity': hours each resident's carers can give this week.

    Overburdened carers give 25% less. Returns hours per resident slot.
    """
    car = m.car
    car.cap = carer_hours_available(car)
    return np.bincount(car.slot, weights=car.cap, minlength=m.res.active.size)


def carer_hours_available(car) -> np.ndarray:
    """ODD 7.5: each carer's hours this week: capacity, less 25% when overburdened."""
    return car.cap0 * np.where(car.over, 0.75, 1.0) * car.active


def plan_care(m, carer_hours: np.ndarray) -> None:
    """ODD 7.6 'Provider decision': hours and modality for every client in care.

    For each client the owner maximises ``U(e)`` (ODD 7.6.1) given its net money per hour
    ``mu`` under the payment terms (ODD 7.6.2: cost share, subcontracting, transport,
    prevention and KPI value), choosing group over individual care when group pays more
    per hour (7.6.3). Where there is an entitlement it caps hours. Staff capacity rations
    all plans of a provider in proportion (7.6.4).
    """
    p, res, prov = m.params, m.res, m.prov
    c = indices(res.state == IN_CARE)
    res.formal[:] = 0.0
    res.group[:] = False
    nprov = len(m.providers)
    prov.nb_hours = np.zeros(nprov)
    prov.week_capacity = prov.capacity.copy()
    m.optimum_hours = 0.0
    if c.size == 0:
        prov.staff_hours = prov.outreach_hours.copy()
        return
    owner = res.owner[c]
    alpha = prov.altruism[owner]
    r = formal_need(m, c, carer_hours)
    cost = p.hourly_cost_eur * m.contracts.cost_factor[owner]
    mi, mg = net_money(m.terms, p, m.covered()[owner], cost, res.transport_h[c])
    group = res.group_ok[c] & (mg > mi)  # the route that pays more per hour now (7.6.3)
    keep = 1.0 - prevention_share(m, c, r)
    mu = np.where(group, mg, mi) * keep + m.kpi_value_per_hour()[owner]
    e = optimal_hours(r, alpha, mu, p.client_benefit_eur_per_hour, cap=p.max_formal_hours)
    if m.terms.needs_assessment:
        request_reassessment(m, c, e)
        e = np.minimum(e, res.entitlement[c])
    if m.terms.output_based:  # the category's lower bound is the contract's floor
        e = np.maximum(e, res.floor[c])
    staff = np.where(group, e / p.group_size, e)
    prov.week_capacity = prov.capacity.copy()
    cap = prov.week_capacity - prov.outreach_hours
    room = np.bincount(owner, weights=staff, minlength=nprov) < cap  # staff to spare for unbilled work
    nb = network_building(m, c, r, e, alpha, mu, owner, room)
    demand = np.bincount(owner, weights=staff, minlength=nprov) + np.bincount(owner, weights=nb, minlength=nprov)
    scale = np.where(demand > cap, cap / np.maximum(demand, 1e-12), 1.0)
    e, nb, staff = e * scale[owner], nb * scale[owner], staff * scale[owner]
    if m.reopen_left > 0:  # subcontracts reopened after a budget revision (7.9.2)
        lost = np.where(m.contracts.cost_factor[owner] > 1.0, p.subcontract_share, 0.0)
        e, staff = e * (1.0 - lost), staff * (1.0 - lost)
    res.formal[c] = e
    res.group[c] = group
    m.optimum_hours = float(r.sum())
    prov.nb_hours = np.bincount(owner, weights=nb, minlength=nprov)
    prov.staff_hours = np.bincount(owner, weights=staff, minlength=nprov) + prov.nb_hours + prov.outreach_hours
    m.mu_client = (owner, mu, r, e)


def formal_need(m, idx, carer_hours) -> np.ndarray:
    """ODD 7.6: a client's optimum formal hours ``r``: need net of what carers can give and
    last week's volunteer hours, capped at ``max_formal_hours``."""
    need = m.res.need[idx]
    return clip(need - np.minimum(carer_hours[idx], need) - m.res.volunteer[idx], 0.0, m.params.max_formal_hours)


def prevention_share(m, c, r) -> np.ndarray:
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
    saved = (p.recovery_per_week + p.deterioration_per_week) * res.scale[c] / (4.0 * need) * (r / need)
    return clip(p.prevention_foresight * p.planning_weeks * saved, 0.0, 1.0)


def accept_client(m, idx, owners) -> np.ndarray:
    """ODD 7.4.4 'Cream-skimming': under output-based funding a provider that may refuse
    takes a client only if its utility of the client's weekly care is not negative:
    ``a * B(e) + (1 - a) * (price per week - cost * e) >= 0``, with ``e`` the hours it
    would choose, at least the category's floor, and the price per week the client's
    category price over the period. After ``MAX_REFUSALS`` refusals the municipality
    obliges the provider drawn to take the client."""
    p, res = m.params, m.res
    need = res.need[idx]
    r = clip(need - m.expected_help(idx), 0.0, p.max_formal_hours)
    a = m.prov.altruism[owners]
    cost = p.hourly_cost_eur * m.contracts.cost_factor[owners]
    b = p.client_benefit_eur_per_hour
    mu, _ = net_money(m.terms, p, m.covered()[owners], cost, 0.0)  # as in plan_care (7.6.2)
    mu = mu * (1.0 - prevention_share(m, idx, r)) + m.kpi_value_per_hour()[owners]
    e = np.minimum(optimal_hours(r, a, mu, b, cap=p.max_formal_hours), res.entitlement[idx])
    e = np.maximum(e, res.floor[idx])
    benefit = b * (e - e**2 / (2.0 * np.maximum(r, 1e-9)))
    money_ = res.period_price[idx] / p.output_period_weeks - cost * e
    obliged = res.refusals[idx] >= MAX_REFUSALS
    return obliged | (a * benefit + (1.0 - a) * money_ >= 0.0)


def personal_budgets(m, carer_hours: np.ndarray) -> None:
    """ODD 7.4.6 'Personal budget' (pgb): the client buys the hours it needs (its formal
    need, as in 7.6), at most its entitlement (the municipality pays what is spent).
    ``pgb_informal_share`` of the hours pays its carers at ``pgb_informal_price_eur`` for
    hours they give anyway; the rest are formal hours from providers outside the
    contract, at ``pgb_rate`` of the in-kind price."""
    p, res = m.params, m.res
    g = indices(res.state == PGB)
    m.pgb_spend = 0.0
    if g.size == 0:
        return
    r = formal_need(m, g, carer_hours)
    hours = np.minimum(res.entitlement[g], r)  # the client buys what it needs, within the budget
    res.formal[g] = hours * (1.0 - p.pgb_informal_share)
    m.optimum_hours += float(r.sum())
    paid = hours * (
        (1.0 - p.pgb_informal_share) * p.hourly_price_eur * p.pgb_rate + p.pgb_informal_share * p.pgb_informal_price_eur
    )
    m.pgb_spend = float(paid.sum())


def network_building(m, c, r, e, alpha, mu, owner, room) -> np.ndarray:
    """ODD 7.6.5 'Network-building': a one-off investment in a client's network.

    The provider spends ``network_build_hours`` to link a client to volunteers when
    ``(1-a) * (-mu * v * D - k * h) + a * b * min(v, r - e) * D > 0`` and its staff has
    hours to spare this week: ``v`` is
    ``network_support_hours`` of volunteer help that will replace formal hours over the
    ``planning_weeks`` horizon ``D``, ``k`` the money cost of an unbilled staff hour and
    ``b`` the client benefit of an hour.
    Each hour spent recruits ``volunteer_recruits_per_hour`` new volunteers. Like all
    unpaid work, it is done only while reserves are above half the starting reserves.
    """
    p, res = m.params, m.res
    nb = np.zeros(c.size)
    cand = ~res.networked[c] & m.can_afford_unbilled()[owner] & room[owner]
    if not cand.any() or p.network_build_hours == 0:
        return nb
    v, horizon, h = p.network_support_hours, p.planning_weeks, p.network_build_hours
    unbilled = m.unbilled_cost_per_hour()[owner]
    gap = np.maximum(r - e, 0.0)
    gain = (1 - alpha) * (-mu * v * horizon - unbilled * h) + alpha * p.client_benefit_eur_per_hour * np.minimum(
        v, gap
    ) * horizon
    go = cand & (gain > 0)
    if go.any():
        idx = c[go]
        res.networked[idx] = True
        nb[go] = h
        m.recruit_volunteers(m.layout.district[idx], p.volunteer_recruits_per_hour * h)
    return nb


def plan_outreach(m) -> None:
    """ODD 7.6.6 'Provider outreach': spend staff time finding non-askers when it pays.

    A found client is worth ``D * (a * b * r/2 + (1-a) * mu * e)`` to the provider (the
    client's benefit at the optimum and the money on the hours it will give, over the
    ``planning_weeks`` horizon, at last week's average ``r``, ``e`` and ``mu``). An hour
    finds ``outreach_finds_per_hour`` clients and costs ``(1-a) * k``. The provider
    spends ``provider_outreach_share`` of its capacity on outreach when the value exceeds
    the cost and its reserves are above half the starting reserves, else none.
    """
    p = m.params
    m.municipal_outreach_hours = m.outreach_team_hours if m.week >= 52 * p.outreach_start_year else 0.0
    m.book_admin(m.municipal_outreach_hours * p.hourly_cost_eur)  # the team's staff cost
    hours = np.zeros(len(m.providers))
    if m.mu_client is not None and p.provider_outreach_share > 0:
        owner, mu, r, e = m.mu_client
        n = np.maximum(np.bincount(owner, minlength=hours.size), 1)
        mean = [np.bincount(owner, weights=x, minlength=hours.size) / n for x in (mu, r, e)]
        a = m.prov.altruism
        value = p.planning_weeks * (a * p.client_benefit_eur_per_hour * mean[1] / 2 + (1 - a) * mean[0] * mean[2])
        cost = (1 - a) * m.unbilled_cost_per_hour()
        go = (p.outreach_finds_per_hour * value > cost) & m.can_afford_unbilled()
        hours = np.where(go, p.provider_outreach_share * m.prov.capacity, 0.0)
    m.prov.outreach_hours = hours


def supply(m, carer_hours: np.ndarray) -> None:
    """ODD 7.7 'Supply': formal, informal and volunteer hours meet need; the rest is unmet.

    Formal care counts first up to need (hours above need are over-provision); carers give
    what is left up to their capacity, so extra formal hours crowd informal care out;
    volunteers serve networked clients in their district, rationed by the district's
    volunteer hours; what is left is unmet. Need = formal + informal + volunteer + unmet.
    """
    p, res, car = m.params, m.res, m.car
    a = res.active
    need = np.where(a, res.need, 0.0)
    formal_met = np.minimum(res.formal, need)
    informal = np.minimum(carer_hours, need - formal_met)
    left = need - formal_met - informal
    wants = np.where(res.networked & (res.state == IN_CARE), np.minimum(p.network_support_hours, left), 0.0)
    vol_district = m.vol.district
    va = m.vol.active
    nd = m.params.districts
    cap_d = np.bincount(vol_district[va], weights=m.vol.hours[va], minlength=nd)
    dist = m.layout.district[: need.size]
    want_d = np.bincount(dist, weights=wants, minlength=nd)
    share_d = np.where(want_d > 0, np.minimum(1.0, cap_d / np.maximum(want_d, 1e-12)), 0.0)
    volunteer = wants * share_d[dist]
    unmet = np.maximum(left - volunteer, 0.0)
    res.formal_met, res.informal, res.volunteer, res.unmet = formal_met, informal, volunteer, unmet
    m.vol.given[:] = np.where(va, m.vol.hours * np.minimum(1.0, want_d / np.maximum(cap_d, 1e-12))[vol_district], 0.0)
    # carers share the slot's informal hours in proportion to their capacity
    slot_cap = np.bincount(car.slot, weights=car.cap, minlength=need.size)
    car.given = np.where(car.cap > 0, informal[car.slot] * car.cap / np.maximum(slot_cap[car.slot], 1e-12), 0.0)
    under = a & (unmet > UNDERSERVED_UNMET * need)
    res.under_run = np.where(under, res.under_run + 1, 0)
    res.under_ever |= res.under_run >= UNDERSERVED_RUN
    res.c_formal += res.formal
    res.c_informal += informal
    res.c_volunteer += volunteer
    res.c_unmet += unmet
    res.c_need += need
    res.c_group += np.where(res.group, res.formal, 0.0)
    res.weeks += a
    res.wait += (res.state >= APPLYING) & (res.state <= DECIDING)  # applying, queued, deciding
    in_care = (res.state == IN_CARE) | (res.state == PGB)
    m.blocked_now = int(np.count_nonzero(in_care & res.pl & (res.sr >= p.recovery_self_reliance)))
    kpi_due = (res.state == IN_CARE) & (res.kpi < 0) & (m.week - res.care_week >= KPI_WEEKS)
    if kpi_due.any():
        i = indices(kpi_due)
        res.kpi[i] = res.sr[i] >= res.sr_intake[i] - KPI_TOLERANCE
        m.kpi_log.append((res.owner[i], res.kpi[i].copy()))


def carer_burden(m) -> None:
    """ODD 7.8 'Carer burden': burden is the 8-week average of hours over tolerance.

    Hours given to a client with network support weigh ``1 - carer_support_relief``. A
    carer whose burden exceeds 1 is overburdened: they give 25% less and stop caring with
    chance ``carer_dropout_per_week`` a week; their hours then return to the client's need.
    """
    p, car = m.params, m.car
    relief = np.where(m.res.networked[car.slot], 1.0 - p.carer_support_relief, 1.0)
    car.burden += (car.given * relief / car.tol - car.burden) / EMA_WEEKS
    car.over = car.burden > 1.0
    drop = car.over & car.active & (m.rng.random(car.over.size) < p.carer_dropout_per_week)
    car.active &= ~drop


def volunteer_turnover(m) -> None:
    """ODD 7.9.1 'Volunteer retention': volunteers leave at rate 1/``volunteer_years``."""
    va = indices(m.vol.active)
    leave = va[m.rng.random(va.size) < _weekly(1.0 / m.params.volunteer_years)]
    if leave.size:
        m.retire_volunteers(leave)


def money(m) -> None:
    """ODD 7.9 'Money flows': payments, provider costs, admin, reserves and bankruptcy.

    Per-hour prices are paid weekly for delivered hours, with the reimbursed share of a
    group client's transport, and an invoice line per client-month. Output-based prices
    are paid per client at the start of each ``output_period_weeks`` period in care. A
    fixed sum comes in advance at the start of each year, or in weekly instalments (a
    population budget), split by :meth:`CareModel.fixed_shares`. Costs are staff hours at
    ``hourly_cost_eur`` (times the subcontracting factor), the transport of group clients
    and a fixed overhead of ``overhead_share`` of the starting staff cost (for providers
    with a contract). Personal budgets are paid weekly. Every euro the municipality pays
    a provider is booked as received by it.
    """
    p, res, t = m.params, m.res, m.terms
    nprov = len(m.providers)
    c = indices(res.state == IN_CARE)
    owner = res.owner[c]
    grp = res.group[c]
    hours = res.formal[c]
    th = res.transport_h[c]
    pay = np.zeros(nprov)
    if t.price_individual or t.price_group:
        price = np.where(grp, t.price_group + t.transport_share * th, t.price_individual)
        pay += np.bincount(owner, weights=price * hours, minlength=nprov)
        m.book_admin(np.count_nonzero(hours > 0) * p.invoice_cost_eur * 12.0 / 52.0)
    if t.output_based:
        due = c[(m.week - res.care_week[c]) % p.output_period_weeks == 0]
        pay += np.bincount(res.owner[due], weights=res.period_price[due], minlength=nprov)
        m.book_admin(due.size * p.invoice_cost_eur)
    transport = np.bincount(owner, weights=np.where(grp, hours * th, 0.0), minlength=nprov)
    overhead = p.overhead_share * m.start_capacity * p.hourly_cost_eur * m.alive() * m.contracts.serves.any(axis=1)
    prov = m.prov
    cost = prov.staff_hours * p.hourly_cost_eur * m.contracts.cost_factor + transport + overhead
    prov.week_variable = pay.copy()
    if t.annual_fixed:
        if t.fixed_weekly:
            pay += m.fixed_this_year() / 52.0
        elif m.week % 52 == 0:
            pay += m.fixed_this_year()
        m.book_admin(p.monitoring_cost_share * t.annual_fixed / 52.0)
    m.transfer(pay)
    m.book_other(m.pgb_spend)
    prov.year_variable += prov.week_variable
    prov.reserves -= cost
    prov.cost_total += cost
    prov.year_cost += cost
    prov.year_staff_hours += prov.staff_hours
    prov.week_cost = cost
    bankruptcy(m)


def budget_revision(m) -> None:
    """ODD 7.9.2 'Budget revision': under a population budget the state may revise the
    municipal budget mid-year (May or September, each with half of
    ``budget_revision_per_year``) by ``budget_revision_size``; the rest of the year's
    instalments change with it, and for ``reopen_weeks`` the contractors reopen their
    subcontracts, so subcontracted hours are not delivered."""
    p = m.params
    w = m.week % 52
    if w == 0:
        m.revision_factor = 1.0
    if m.reopen_left > 0:
        m.reopen_left -= 1
    if w in (19, 35):  # May, September
        u = m.rng.random()
        if m.terms.by_district and u < p.budget_revision_per_year / 2.0:
            m.revision_factor *= 1.0 + p.budget_revision_size
            m.reopen_left = p.reopen_weeks
            m.revisions += 1


def volunteer_training(m) -> None:
    """ODD 7.9.1 'Volunteer training': the municipality trains care volunteers with
    ``volunteer_training_eur_per_10k`` a year plus last year's innovation budget (7.10.2),
    at ``volunteer_training_cost_eur`` each: a Poisson number a week, in random districts."""
    p = m.params
    n = int(m.rng.poisson(m.training_budget / p.volunteer_training_cost_eur / 52.0))
    if n:
        m.book_other(n * p.volunteer_training_cost_eur)
        m.recruit_volunteers(np.zeros(0, dtype=int), 0.0, n=n)
        m.trained_volunteers += n


def bankruptcy(m) -> None:
    """ODD 7.10.3 'Bankruptcy': a provider with negative reserves stops; its clients wait
    ``transfer_weeks`` for a new owner and get no formal care meanwhile. A municipality
    with a buffer (7.10.2) large enough rescues the provider by paying its deficit."""
    res, muni, prov = m.res, m.municipality, m.prov
    for i in indices(~prov.bankrupt & (prov.reserves < 0)).tolist():  # a rescue changes only row i
        deficit = -prov.reserves[i]
        if muni.buffer >= deficit:
            rescue = np.zeros(len(m.providers))
            rescue[i] = deficit
            muni.buffer -= deficit
            m.transfer(rescue)
            m.rescues += 1
            continue
        prov.bankrupt[i] = True
        prov.capacity[i] = 0.0
        m.bankruptcies += 1
        mine = indices((res.owner == i) & np.isin(res.state, (IN_CARE, TRANSFER)))
        res.state[mine] = TRANSFER
        res.owner[mine] = -1
        res.reassess[mine] = False
        res.transfer_left[mine] = m.params.transfer_weeks


def year_end(m) -> None:
    """ODD 7.10 'Year end': KPI consequences, subsidy reclaim, tenders, adaptation.

    KPI (7.10.1): a provider whose share of clients improved or stable after 26 weeks is
    below ``kpi_target`` loses ``kpi_penalty_share`` of its fixed sum; its KPI pressure
    for next year follows the gap. Reclaim (7.10.2): ``subsidy_reclaim_share`` of a
    surplus on the fixed sum goes back; ``buffer_share`` of it to the buffer, and
    ``innovation_share`` to next year's volunteer training. Tender (7.10.5): every
    ``contract_years`` each contract is tendered again and lost with chance
    ``tender_churn``; a new provider takes the clients over by handover; each tender
    costs ``tender_cost_eur`` per provider. Adaptation (7.10.4): staff capacity moves
    toward last year's use plus ``staff_headroom``, by at most
    ``capacity_adjust_per_year``; a bankrupt provider is replaced by a new entrant.
    """
    p, t, res, prov = m.params, m.terms, m.res, m.prov
    nprov = len(m.providers)
    owners = np.concatenate([o for o, _ in m.kpi_log]) if m.kpi_log else np.zeros(0, int)
    flags = np.concatenate([f for _, f in m.kpi_log]) if m.kpi_log else np.zeros(0)
    m.kpi_log = []
    n = np.bincount(owners, minlength=nprov)
    ok = np.bincount(owners, weights=flags.astype(float), minlength=nprov)
    penalty, reclaim = np.zeros(nprov), np.zeros(nprov)
    fixed = m.fixed_this_year()
    judged = n > 0
    prov.kpi_last[judged] = ok[judged] / n[judged]
    alive = prov.alive
    if t.kpi_penalty_share:  # judged on this year's clients
        missed = alive & judged & (prov.kpi_last < p.kpi_target)
        penalty[missed] = t.kpi_penalty_share * fixed[missed]
    if t.keep_share < 1.0:
        due = alive & (fixed != 0)
        surplus = prov.year_received - prov.year_cost - penalty
        reclaim[due] = np.maximum(surplus[due], 0.0) * (1.0 - t.keep_share)
    m.transfer(-(penalty + reclaim))
    m.municipality.buffer += p.buffer_share * reclaim.sum()
    m.innovation_budget = p.innovation_share * reclaim.sum()
    m.training_budget = p.volunteer_training_eur_per_10k * p.population / 1e4 + m.innovation_budget
    used = prov.year_staff_hours / 52.0 * (1.0 + p.staff_headroom)
    lo, hi = prov.capacity * (1 - p.capacity_adjust_per_year), prov.capacity * (1 + p.capacity_adjust_per_year)
    prov.capacity = np.where(alive, np.clip(used, lo, hi), prov.capacity)
    for col in (prov.year_staff_hours, prov.year_cost, prov.year_received, prov.year_variable):
        col[:] = 0.0
    lose = m.rng.random(nprov) < p.tender_churn  # drawn every year, used in tender years
    if (m.week + 1) % (52 * p.contract_years) == 0 and m.week + 1 < m.n_weeks:
        m.book_admin(p.tender_cost_eur * nprov)
        for i in indices(lose & m.alive()):
            m.replace_provider(int(i), float(prov.capacity[i]))
            m.handover(indices((res.owner == i) & (res.state == IN_CARE)))
    m.replace_bankrupt()
