"""A classic-Mesa reference of the care-sim weekly rules, for the speed comparison only.

The same processes as the rule modules of ``sim/`` (ODD 7), written the way a Mesa model is usually
written: every client, informal carer and volunteer is a :class:`mesa.Agent` with its
own Python attributes and its own ``step()``; providers and the municipality are agents
too. Each week the model activates the agents of each type with
``model.agents_by_type[Cls].shuffle_do("step")`` (staged: a few processes need a second
pass, e.g. ``shuffle_do("supply")``), in the order of ``CareModel.step``:

1. ``Client.step``: need dynamics (7.2) and exits (7.3).
2. ``Volunteer.step``: volunteer turnover (7.9.1).
3. onset (7.1): every at-risk resident without a need draws its weekly chance; a new
   need creates a new ``Client`` agent (one agent per episode, as in ``sim``); then
   volunteer training (7.9.1).
4. ``Provider.plan_outreach`` (7.6.6).
5. ``Client.seek_help``: a hidden client looks at its networkx neighbours and counts
   those in contact with care (7.4.1); outreach may find it (7.4.2); applicants report
   to the municipality.
6. ``Municipality.step``: assessment queue, decisions, admission, transfers (7.4, 7.10.3).
7. ``Provider.step``: the decision rule :func:`sim.funding.optimal_hours` called per
   client with scalars, re-assessment requests, network-building, capacity rationing
   (7.6).
8. ``Client.supply``, ``Volunteer.give``, ``Client.settle``: supply (7.7), with the
   district-level rationing of volunteer hours between the passes.
9. ``InformalCarer.step``: carer burden and drop-out (7.8).
10. ``Municipality.pay_providers``: money, bankruptcy (7.9, 7.10.3); year end (7.10).

Random numbers come from ``model.random`` (Python's generator, seeded through
``mesa.Model(rng=...)``), so runs differ from ``sim`` draw by draw but follow the same
rules; :func:`classic_summary` computes the core summary metrics with the definitions of
:func:`sim.metrics.summarise`. Agent-steps are counted as in ``sim``: clients with a
need, carers and active volunteers, summed over weeks.

Covered besides the core: protected living and housing, GP referral, district teams,
walk-in access, prevention value, group transport by distance, loss aversion, KPI
pressure, provider overhead, buffer rescues, tenders and handovers, volunteer training,
provider expertise (referral, slower recovery on a mismatch). Features that are
off in ``default`` and not implemented here (output-based pricing and refusals,
population budgets and budget revisions, subcontracting, personal budgets, a cashier)
make :class:`ClassicCareModel` raise ``NotImplementedError``.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Sized

import numpy as np
import pandas as pd
from mesa import Agent, DataCollector, Model

from sim.decision import marginal_money, money_weight, optimal_hours
from sim.funding import FUNDING, Assessment, CategoryAssessment, PopulationBudget
from sim.network import build_network
from sim.params import Scenario, load_scenario
from sim.state import APPLYING, DECIDING, HIDDEN, IN_CARE, NONE, QUEUED, TRANSFER
from sim.supply import UNDERSERVED_RUN, UNDERSERVED_UNMET

WAITING = (APPLYING, QUEUED, DECIDING)

#: Weekly model reporters (column -> model attribute), the columns ``summarise`` reads.
WEEKLY = {
    "week": "week",
    "clients_in_care": "r_in_care",
    "clients_with_need": "r_with_need",
    "waiting": "r_waiting",
    "hidden": "r_hidden",
    "formal_hours": "r_formal",
    "client_optimum_hours": "optimum_hours",
    "group_hours": "r_group",
    "overprovided_hours": "r_over",
    "informal_hours": "r_informal",
    "informal_hours_in_care": "r_informal_care",
    "volunteer_hours_in_care": "r_volunteer_care",
    "volunteer_hours": "r_volunteer",
    "unmet_hours": "r_unmet",
    "need_hours": "r_need",
    "week_spend_eur": "r_spend",
    "week_admin_eur": "r_admin",
    "carers_giving": "r_carers_giving",
    "carers_overburdened": "r_carers_over",
    "volunteers": "r_volunteers",
    "escalations": "r_escalations",
    "bankruptcies": "bankruptcies",
}


def weekly_chance(rate_per_year: float) -> float:
    """Chance per week of an event with the given yearly rate."""
    return 1.0 - math.exp(-rate_per_year / 52.0)


def _library_optimal_hours(r: float, a: float, mu: float, b: float, cap: float) -> float:
    """The decision rule as specified: :func:`sim.funding.optimal_hours` on scalars."""
    return float(optimal_hours(r, a, mu, b, cap=cap))


def _inline_optimal_hours(r: float, a: float, mu: float, b: float, cap: float) -> float:
    """The same closed form as :func:`sim.funding.optimal_hours`, in plain Python."""
    if a > 0:
        e = r * (1.0 + (1.0 - a) * mu / (a * b))
    else:
        e = math.inf if mu > 0 else (0.0 if mu < 0 else r)
    return min(max(e, 0.0), cap)


#: This reference re-implements the weekly rules as they were before issue #11 (its
#: budget and modality rules are the older, simpler ones); it measures the cost of the
#: classic agent-by-agent style, not the current model's results.
BASELINE_FORMAL_HOURS = 1.6  # h per client-week, the older budget rule's assumption


def _budget(p: Scenario) -> float:
    """The older budget rule: baseline clients x 1.6 h x 52 weeks x the price (EUR/year)."""
    return p.baseline_clients_per_1000 * p.population / 1000.0 * BASELINE_FORMAL_HOURS * 52.0 * p.hourly_price_eur


def _beta(mean: float, sd: float) -> tuple[float, float]:
    """Beta parameters with this mean and standard deviation."""
    k = mean * (1.0 - mean) / sd**2 - 1.0
    return mean * k, (1.0 - mean) * k


class Person:
    """An at-risk resident's fixed traits (a network node); a need makes it a client."""

    __slots__ = (
        "asker",
        "carers",
        "client",
        "ctype",
        "district",
        "group_ok",
        "has_carer",
        "node",
        "risk",
        "transport_h",
    )

    def __init__(
        self, node: int, district: int, risk: float, asker: bool, group_ok: bool, transport_h: float, ctype: int
    ):
        self.node = node
        self.district = district
        self.risk = risk
        self.asker = asker
        self.group_ok = group_ok
        self.transport_h = transport_h  # transport cost per group client-hour (ODD 7.6.3)
        self.ctype = ctype  # the kind of expertise the resident's needs call for
        self.carers: list[InformalCarer] = []
        self.has_carer = False
        self.client: Client | None = None


class Client(Agent):
    """One care episode of a resident (ODD 2.1), with all its state as attributes."""

    def __init__(self, model: ClassicCareModel, person: Person, growth: float):
        super().__init__(model)
        p, rnd = model.params, model.random
        self.person = person
        self.alive = True
        self.sr = min(max(rnd.gauss(p.entry_self_reliance, 0.5), 1.0), p.recovery_self_reliance - 0.2)
        factor = p.carer_need_factor if person.has_carer else 1.0
        self.scale = growth * factor * rnd.lognormvariate(math.log(p.need_scale_hours), p.need_scale_sd)
        self.need = self.entry_need = self.unmet = self.scale * (5.0 - self.sr) / 4.0
        self.state = APPLYING if person.asker else HIDDEN
        self.reached = person.asker
        self.ask_week = self.start_week = model.week
        self.care_week = self.decide_week = self.assess_week = 0
        self.owner: Provider | None = None
        self.kpi = -1
        self.networked = self.escalated = self.under_ever = self.initial = self.group = self.reassess = False
        self.lost = False
        self.pl = False  # in protected living (ODD 7.3); set at onset
        self.sr_intake = self.unmet_ema = self.entitlement = 0.0
        self.formal = self.formal_met = self.informal = self.volunteer = 0.0
        self.left = self.want = 0.0
        self.c_formal = self.c_group = self.c_informal = self.c_volunteer = self.c_unmet = self.c_need = 0.0
        self.wait = self.weeks = self.under_run = self.transfer_left = self.blocked_weeks = 0
        person.client = self
        model.at_node[person.node].append(self)
        for carer in person.carers:
            carer.active = True
            carer.burden = 0.0
            carer.over = False

    @property
    def contact(self) -> bool:
        """In contact with care: a client in care (ODD 7.4.1)."""
        return self.state == IN_CARE

    def carer_hours(self) -> float:
        """Hours this client's carers can give this week (ODD 7.5)."""
        return sum(c.cap for c in self.person.carers)

    def expected_help(self) -> float:
        """Carer and volunteer hours the client can count on, for the assessment."""
        return sum(c.cap for c in self.person.carers) + self.volunteer

    # ---------------------------------------------------------------- stage 1
    def step(self) -> None:
        """ODD 7.2 need dynamics, then 7.3 exits."""
        p, rnd = self.model.params, self.model.random
        need = self.need
        met = 1.0 - self.unmet / max(need, 1e-12) if need > 0 else 1.0
        recovery = p.recovery_per_week
        if self.owner is not None and self.owner.ptype != self.person.ctype:
            recovery *= p.mismatch_recovery_factor  # the owner's expertise does not fit
        sr = self.sr + recovery * met - p.deterioration_per_week * (1.0 - met)
        sr += rnd.gauss(0.0, p.self_reliance_noise)
        self.sr = min(max(sr, 1.0), 5.0)
        self.need = self.scale * (5.0 - self.sr) / 4.0
        self.unmet_ema += (1.0 - met - self.unmet_ema) / p.unmet_memory_weeks
        u0, u1 = rnd.random(), rnd.random()
        recovered = self.sr >= p.recovery_self_reliance
        if recovered and self.pl:  # protected living: leave only to a free home
            m = self.model
            if m.homes_left > 0:
                m.homes_left -= 1
            else:
                recovered = False
                self.blocked_weeks += 1
        if recovered:
            self.end("recovered")
        elif u0 < weekly_chance(p.mortality_per_year):
            self.end("died")
        elif u1 < weekly_chance(p.escalation_per_year * (1.0 + p.escalation_unmet_factor * self.unmet_ema)):
            self.escalated = True
            self.end("escalated")

    def end(self, how: str) -> None:
        """The episode ends: record it, maybe become a volunteer, leave the model."""
        m = self.model
        m.records.append(
            (self.start_week, self.initial, self.person.asker, self.reached, self.wait, self.under_ever, self.kpi)
        )
        if how == "escalated":
            m.week_escalations += 1
        if how == "recovered" and self.networked and m.random.random() < m.params.reciprocity_rate:
            m.add_volunteer(self.person.node, self.person.district)
        if self.owner is not None:
            self.owner.clients.pop(self, None)
        self.alive = False
        self.state = NONE
        self.person.client = None
        m.at_node[self.person.node].remove(self)
        self.remove()

    # ---------------------------------------------------------------- stage 5
    def seek_help(self) -> None:
        """ODD 7.4.1-2: a hidden client is noticed by its network or found by outreach."""
        m = self.model
        self.formal = 0.0
        self.group = False
        if self.state == HIDDEN:
            p = m.params
            found = m.random.random() < weekly_chance(p.gp_referral_per_year)
            s = p.network_signal_per_week
            if s > 0:
                s = min(s * (p.district_team_signal_factor if p.district_teams else 1.0), 1.0)
                ties = 0
                for nb in m.graph.neighbors(self.person.node):
                    for other in m.at_node[nb]:
                        if other.contact:
                            ties += 1
                            break
                found = m.random.random() < 1.0 - (1.0 - s) ** ties or found
            if m.outreach_chance > 0 and m.random.random() < m.outreach_chance:
                found = True
            if found:
                self.state = APPLYING
                self.ask_week = m.week
                self.reached = True
        if self.state == APPLYING:
            m.municipality.applicants.append(self)

    # ---------------------------------------------------------------- stage 8
    def supply(self) -> None:
        """ODD 7.7, first pass: formal, then informal hours; ask the district's volunteers."""
        m = self.model
        need = self.need
        self.formal_met = min(self.formal, need)
        hours = self.carer_hours()
        self.informal = min(hours, need - self.formal_met)
        self.left = need - self.formal_met - self.informal
        if self.networked and self.state == IN_CARE:
            self.want = min(m.params.network_support_hours, self.left)
            m.want_d[self.person.district] += self.want
        else:
            self.want = 0.0
        for carer in self.person.carers:
            carer.given = self.informal * carer.cap / max(hours, 1e-12) if carer.cap > 0 else 0.0
            carer.given_week = m.week

    def settle(self) -> None:
        """ODD 7.7, second pass: volunteer hours at the district's share; the rest is unmet."""
        m = self.model
        need = self.need
        self.volunteer = self.want * m.share_d[self.person.district]
        self.unmet = max(self.left - self.volunteer, 0.0)
        self.under_run = self.under_run + 1 if self.unmet > UNDERSERVED_UNMET * need else 0
        if self.under_run >= UNDERSERVED_RUN:
            self.under_ever = True
        self.c_formal += self.formal
        self.c_informal += self.informal
        self.c_volunteer += self.volunteer
        self.c_unmet += self.unmet
        self.c_need += need
        if self.group:
            self.c_group += self.formal
        self.weeks += 1
        if self.state in WAITING:
            self.wait += 1
        if self.state == IN_CARE and self.kpi < 0 and m.week - self.care_week >= m.params.kpi_weeks:
            self.kpi = int(self.sr >= self.sr_intake - m.params.kpi_stable_tolerance)
            m.kpi_log.append((self.owner, self.kpi))


class InformalCarer(Agent):
    """Family, friend or neighbour caring for one resident (ODD 2.2)."""

    def __init__(self, model: ClassicCareModel, node: int, person: Person, cap0: float, tol: float):
        super().__init__(model)
        self.node = node
        self.person = person
        self.cap0 = cap0
        self.tol = tol
        self.burden = 0.0
        self.given = 0.0
        self.given_week = -1
        self.active = True
        self.over = False

    @property
    def cap(self) -> float:
        """Hours this carer can give this week: 25% less when overburdened (ODD 7.5)."""
        if not self.active:
            return 0.0
        return self.cap0 * 0.75 if self.over else self.cap0

    @property
    def contact(self) -> bool:
        """In contact with care: a carer giving care (ODD 7.4.1)."""
        return self.given > 0

    def step(self) -> None:
        """ODD 7.8: burden is the 8-week average of hours over tolerance; drop-out."""
        m = self.model
        p = m.params
        if self.given_week != m.week:
            self.given = 0.0  # nobody to care for this week
        client = self.person.client
        relief = 1.0 - p.carer_support_relief if client is not None and client.networked else 1.0
        self.burden += (self.given * relief / self.tol - self.burden) / p.burden_memory_weeks
        self.over = self.burden > 1.0
        if self.over and self.active and m.random.random() < p.carer_dropout_per_week:
            self.active = False


class Volunteer(Agent):
    """A care volunteer in a district (ODD 2.3)."""

    contact = True  # an active volunteer is in contact with care (ODD 7.4.1)

    def __init__(self, model: ClassicCareModel, node: int, district: int):
        super().__init__(model)
        self.node = node
        self.district = district
        self.hours = model.params.volunteer_hours
        self.given = 0.0
        model.at_node[node].append(self)

    def step(self) -> None:
        """ODD 7.9.1: leave at rate 1 / ``volunteer_years``."""
        m = self.model
        if m.random.random() < weekly_chance(1.0 / m.params.volunteer_years):
            m.at_node[self.node].remove(self)
            lay = m.layout
            if self.node >= lay.n_residents + lay.n_carers:
                m.free_vol_nodes[self.district].append(self.node)
            self.remove()

    def give(self) -> None:
        """ODD 7.7: hours given, rationed by the district's demand."""
        m = self.model
        self.given = self.hours * min(1.0, m.want_d[self.district] / max(m.cap_d[self.district], 1e-12))


class Provider(Agent):
    """A care organisation (ODD 2.4) that plans hours for each of its clients."""

    def __init__(self, model: ClassicCareModel, index: int, altruism: float, capacity: float, reserves: float):
        super().__init__(model)
        self.index = index
        self.altruism = altruism
        self.capacity = capacity
        self.reserves = reserves
        self.share = 1.0 / model.params.providers  # share of a fixed sum (ODD 5.3)
        self.client_share = 1.0 / model.params.providers  # weight when clients are assigned
        self.cost_factor = 1.0  # cost of an hour against own staff (no subcontracting here)
        self.ptype = index % model.params.provider_types  # expertise
        self.bankrupt = False
        self.kpi_last: float | None = None
        self.kpi_pressure = 0.5
        self.year_staff_hours = self.year_cost = self.year_received = self.received_total = 0.0
        self.year_variable = self.week_variable = 0.0  # per-hour pay this year, last week
        self.staff_hours = self.nb_hours = self.outreach_hours = self.week_cost = 0.0
        self.clients: dict[Client, None] = {}  # an ordered set
        self.plan_means = (0.0, 0.0, 0.0)  # last week's mean mu, r, e over its clients

    # money position and margins (ODD 7.6.2)
    def fixed_this_year(self) -> float:
        """This provider's part of the year's fixed sum (historic shares over live providers)."""
        m = self.model
        if self.bankrupt:
            return 0.0
        total = sum(pr.share for pr in m.providers if not pr.bankrupt)
        return m.terms.annual_fixed * self.share / total if total > 0 else 0.0

    def weight(self) -> float:
        """The share of an hour's cost the provider bears now (:func:`sim.funding.money_weight`):
        whether the year's projected income (fixed sum, per-hour pay so far and at last
        week's rate) covers the year's projected cost."""
        m = self.model
        left = 52 - m.week % 52
        income = self.fixed_this_year() + self.year_variable + self.week_variable * left
        under = self.year_cost + self.week_cost * left < income
        return float(money_weight(m.terms, m.params, np.array([under]))[0])

    def kpi_value(self) -> float:
        """Expected KPI penalty avoided per hour of care."""
        t = self.model.terms
        if not t.kpi_penalty_share:
            return 0.0
        at_stake = t.kpi_penalty_share * t.annual_fixed * self.share
        return self.kpi_pressure * at_stake / max(self.capacity * 52.0, 1.0)

    def can_afford_unbilled(self) -> bool:
        return not self.bankrupt and self.reserves > 0.5 * self.model.start_reserves

    def plan_outreach(self) -> None:
        """ODD 7.6.6: spend a share of capacity on outreach when a found client pays."""
        m = self.model
        p = m.params
        self.outreach_hours = 0.0
        if m.planned and p.provider_outreach_share > 0:
            mu, r, e = self.plan_means
            a = self.altruism
            value = p.planning_weeks * (a * p.client_benefit_eur_per_hour * r / 2 + (1 - a) * mu * e)
            cost = (1 - a) * self.weight() * p.hourly_cost_eur
            if p.outreach_finds_per_hour * value > cost and self.can_afford_unbilled():
                self.outreach_hours = p.provider_outreach_share * self.capacity

    def step(self) -> None:
        """ODD 7.6: hours and modality for each client in care, then capacity rationing."""
        m = self.model
        p, t = m.params, m.terms
        a, b, cap_h = self.altruism, p.client_benefit_eur_per_hour, p.max_formal_hours
        weight = self.weight()
        cost = p.hourly_cost_eur * self.cost_factor
        kappa = self.kpi_value()
        foresight = p.prevention_foresight * p.planning_weeks * (p.recovery_per_week + p.deterioration_per_week)
        rule = _inline_optimal_hours if m.inline_rule else _library_optimal_hours
        afford = self.can_afford_unbilled() and p.network_build_hours > 0
        unbilled = weight * p.hourly_cost_eur
        v, horizon, h = p.network_support_hours, p.planning_weeks, p.network_build_hours
        plans = []
        demand = 0.0
        for c in self.clients:
            if c.state != IN_CARE:
                continue
            need = c.need
            r = min(max(need - min(c.carer_hours(), need) - c.volunteer, 0.0), cap_h)
            mi, mg = marginal_money(t, p, weight, cost, c.person.transport_h)
            need_ = max(need, 1e-9)
            keep = 1.0 - min(max(foresight * c.scale / (4.0 * need_) * (r / need_), 0.0), 1.0)  # prevention
            group = c.person.group_ok and mg > mi  # the route that pays more per hour now (7.6.3)
            mu = (mg if group else mi) * keep + kappa
            e = rule(r, a, mu, b, cap_h)
            if m.needs_assessment:
                m.municipality.request_reassessment(c, e)
                e = min(e, c.entitlement)
            nb = 0.0
            if afford and not c.networked:
                gain = (1 - a) * (-mu * v * horizon - unbilled * h) + a * b * min(v, max(r - e, 0.0)) * horizon
                if gain > 0:
                    c.networked = True
                    nb = h
                    m.recruit_volunteers(c.person.district, p.volunteer_recruits_per_hour * h)
            staff = e / p.group_size if group else e
            demand += staff + nb
            plans.append((c, e, nb, staff, group, mu, r))
        cap = self.capacity - self.outreach_hours
        scale = cap / max(demand, 1e-12) if demand > cap else 1.0
        staff_sum = nb_sum = mu_sum = r_sum = e_sum = 0.0
        for c, e, nb, staff, group, mu, r in plans:
            c.formal = e * scale
            c.group = group
            staff_sum += staff * scale
            nb_sum += nb * scale
            mu_sum += mu
            r_sum += r
            e_sum += e * scale
        n = max(len(plans), 1)
        self.plan_means = (mu_sum / n, r_sum / n, e_sum / n)
        if plans:
            m.planned = True
        m.optimum_hours += r_sum
        self.nb_hours = nb_sum
        self.staff_hours = staff_sum + nb_sum + self.outreach_hours


class Municipality(Agent):
    """The municipality (ODD 2.5): assessment queue, admission, payments, ledger."""

    def __init__(self, model: ClassicCareModel, budget: float):
        super().__init__(model)
        self.budget = budget
        self.paid_total = self.admin_total = self.other_total = self.buffer = 0.0
        self.queue: deque[Client] = deque()
        self.applicants: list[Client] = []
        self.deciding: list[Client] = []
        self.transfers: list[Client] = []

    def book_admin(self, eur: float) -> None:
        self.admin_total += eur
        self.model.week_admin += eur

    def book_other(self, eur: float) -> None:
        """Care spend not paid to a contracted provider (volunteer training)."""
        self.other_total += eur
        self.model.week_spend += eur

    def assess(self, c: Client) -> None:
        """ODD 7.4.3: entitlement = formal need plus headroom, capped."""
        p = self.model.params
        formal_need = min(max(c.need - c.expected_help(), 0.0), p.max_formal_hours)
        c.entitlement = min(formal_need * (1.0 + p.indication_headroom), p.max_formal_hours)
        c.assess_week = self.model.week
        self.book_admin(p.assessment_cost_eur)

    def request_reassessment(self, c: Client, wanted: float) -> None:
        """ODD 7.4.5: re-assess when the owner wants more than the entitlement (at most
        quarterly), or yearly."""
        m = self.model
        p = m.params
        since = m.week - c.assess_week
        asks = wanted > c.entitlement + p.reassess_slack_hours and since >= p.reassess_min_weeks
        if c.reassess or not (asks or since >= p.reassess_weeks):
            return
        if m.uses_queue:
            c.reassess = True
            self.queue.append(c)
        else:
            self.assess(c)

    def admit(self, clients: list[Client]) -> bool:
        """ODD 7.4.4: applicants enter care with an owner; False if no provider is live."""
        m = self.model
        if not clients or all(pr.bankrupt for pr in m.providers):
            return False
        for c in clients:
            if m.needs_assessment and not m.uses_queue:
                self.assess(c)
            m.admissions += 1
            c.state = IN_CARE
            c.care_week = m.week
            c.sr_intake = c.sr
            m.assign_owner(c)
        return True

    def step(self) -> None:
        """ODD 7.4 access (queue, assessment, decisions, admission), 7.10.3 transfers."""
        m = self.model
        p = m.params
        applicants, self.applicants = self.applicants, []
        if m.uses_queue:
            for c in applicants:
                c.state = QUEUED
                self.queue.append(c)
            cap = m.assessment_capacity
            n = int(cap) + int(m.random.random() < cap - int(cap))
            done = 0
            while self.queue and done < n:
                c = self.queue.popleft()
                if not c.alive:
                    continue
                if c.state == QUEUED:
                    c.state = DECIDING
                    c.decide_week = m.week + p.assessment_decision_weeks
                    self.deciding.append(c)
                    self.assess(c)
                    done += 1
                elif c.reassess:
                    c.reassess = False
                    self.assess(c)
                    done += 1
            self.deciding = [c for c in self.deciding if c.alive and c.state == DECIDING]
            due = [c for c in self.deciding if c.decide_week <= m.week]
            if self.admit(due):
                self.deciding = [c for c in self.deciding if c.state == DECIDING]
        else:
            self.admit(applicants)
        # transfers of a bankrupt provider's clients (ODD 7.10.3)
        still = []
        live = not all(pr.bankrupt for pr in m.providers)
        for c in self.transfers:
            if not c.alive or c.state != TRANSFER:
                continue
            done = c.transfer_left <= 0
            c.transfer_left -= 1
            if done and live:
                c.state = IN_CARE
                m.assign_owner(c)
                m.handover(c)
            else:
                still.append(c)
        self.transfers = still

    def transfer(self, pr: Provider, eur: float) -> None:
        """Money to a provider (negative: back); both sides booked."""
        self.paid_total += eur
        self.model.week_spend += eur
        pr.reserves += eur
        pr.year_received += eur
        pr.received_total += eur

    def pay_providers(self) -> None:
        """ODD 7.9: payments, provider costs and admin; then bankruptcy (7.10.3)."""
        m = self.model
        p, t = m.params, m.terms
        priced = bool(t.price_individual or t.price_group)
        start_of_year = t.annual_fixed and m.week % 52 == 0
        invoices = 0
        for pr in m.providers:
            pay = 0.0
            transport = 0.0
            for c in pr.clients:
                if c.state != IN_CARE:
                    continue
                th = c.person.transport_h
                if c.group:
                    transport += c.formal * th
                if priced:
                    price = t.price_group + t.transport_share * th if c.group else t.price_individual
                    pay += price * c.formal
                    if c.formal > 0:
                        invoices += 1
            pr.week_variable = pay
            pr.year_variable += pay
            if start_of_year:
                pay += pr.fixed_this_year()
            if pay:
                self.transfer(pr, pay)
            overhead = 0.0 if pr.bankrupt else p.overhead_share * m.start_capacity * p.hourly_cost_eur
            cost = pr.staff_hours * p.hourly_cost_eur * pr.cost_factor + transport + overhead
            pr.reserves -= cost
            pr.year_cost += cost
            pr.year_staff_hours += pr.staff_hours
            pr.week_cost = cost
        if priced:
            self.book_admin(invoices * p.invoice_cost_eur * 12.0 / 52.0)
        if t.annual_fixed:
            self.book_admin(p.monitoring_cost_share * t.annual_fixed / 52.0)
        for pr in m.providers:
            if pr.bankrupt or pr.reserves >= 0:
                continue
            if self.buffer >= -pr.reserves:  # the buffer rescues it
                self.buffer += pr.reserves
                self.transfer(pr, -pr.reserves)
                m.rescues += 1
                continue
            pr.bankrupt = True
            pr.capacity = 0.0
            m.bankruptcies += 1
            for c in pr.clients:
                if c.state in (IN_CARE, TRANSFER):
                    c.state = TRANSFER
                    c.owner = None
                    c.transfer_left = p.transfer_weeks
                    self.transfers.append(c)
            pr.clients.clear()

    def year_end(self) -> None:
        """ODD 7.10: KPI penalty, subsidy reclaim, tenders, capacity adaptation, replacement."""
        m = self.model
        p, t = m.params, m.terms
        n: dict[Provider, int] = {}
        ok: dict[Provider, int] = {}
        for pr, flag in m.kpi_log:
            n[pr] = n.get(pr, 0) + 1
            ok[pr] = ok.get(pr, 0) + flag
        m.kpi_log = []
        fixed = [pr.fixed_this_year() for pr in m.providers]
        reclaimed = 0.0
        for i, pr in enumerate(m.providers):
            if n.get(pr):
                pr.kpi_last = ok[pr] / n[pr]
            if pr.bankrupt:
                continue
            penalty = reclaim = 0.0
            if t.kpi_penalty_share and pr.kpi_last is not None and pr.kpi_last < p.kpi_target:
                penalty = t.kpi_penalty_share * fixed[i]
            if fixed[i] and t.keep_share < 1.0:
                reclaim = max(pr.year_received - pr.year_cost - penalty, 0.0) * (1.0 - t.keep_share)
            if penalty + reclaim:
                self.transfer(pr, -(penalty + reclaim))
            reclaimed += reclaim
        self.buffer += p.buffer_share * reclaimed
        m.training_budget = p.volunteer_training_eur_per_10k * p.population / 1e4 + p.innovation_share * reclaimed
        for pr in m.providers:
            used = pr.year_staff_hours / 52.0 * (1.0 + p.staff_headroom)
            if not pr.bankrupt:
                adj = p.capacity_adjust_per_year
                pr.capacity = min(max(used, pr.capacity * (1 - adj)), pr.capacity * (1 + adj))
            pr.year_staff_hours = pr.year_cost = pr.year_received = pr.year_variable = 0.0
        if (m.week + 1) % (52 * p.contract_years) == 0 and m.week + 1 < m.n_weeks:  # tender (7.10.5)
            lose = [m.random.random() < p.tender_churn for _ in m.providers]
            self.book_admin(p.tender_cost_eur * len(m.providers))
            for i, pr in enumerate(list(m.providers)):
                if lose[i] and not pr.bankrupt:
                    new = m.replace_provider(i, pr.capacity)
                    for c in list(new.clients):
                        if c.state == IN_CARE:
                            m.handover(c)
        for i, pr in enumerate(m.providers):
            if pr.bankrupt:
                live = [x.capacity for x in m.providers if not x.bankrupt]
                m.replace_provider(i, max(live) if live else m.start_capacity)
        for pr in m.providers:
            k = pr.kpi_last
            pr.kpi_pressure = 0.5 if k is None else min(max((p.kpi_target + 0.1 - k) / 0.2, 0.0), 1.0)


class ClassicCareModel(Model):
    """The care-sim rules, classic Mesa style (benchmark reference; see the module doc).

    Args:
        scenario: a scenario name, TOML path or :class:`sim.params.Scenario`.
        rng: seed for ``mesa.Model(rng=...)``.
        inline_rule: use a pure-Python copy of the decision rule instead of calling
            :func:`sim.funding.optimal_hours` (numpy) per client; for a sensitivity check.
        **overrides: parameter values that replace the scenario's.

    Raises:
        NotImplementedError: the scenario uses a feature this reference does not cover.
    """

    def __init__(
        self, scenario: str | Scenario = "default", *, rng: int | None = None, inline_rule: bool = False, **overrides
    ):
        super().__init__(rng=rng)
        self.inline_rule = inline_rule
        p = self.params = load_scenario(scenario, **overrides)
        funding = FUNDING[p.funding](p)
        self.terms = funding.terms(p)
        # the classic reference's own switches, from the funding model's entry and class
        self.needs_assessment = isinstance(funding.entry, Assessment)
        unsupported = {
            "output-based funding": isinstance(funding.entry, CategoryAssessment),
            "population budgets": isinstance(funding, PopulationBudget),
            "personal budgets": self.needs_assessment and p.pgb_share > 0,
            "a cashier": p.cashier,
        }
        if any(unsupported.values()):
            names = ", ".join(k for k, v in unsupported.items() if v)
            raise NotImplementedError(f"the classic reference does not implement {names}")
        self.uses_queue = self.needs_assessment and p.assessment_queue
        self.week = 0
        self.n_weeks = p.years * 52
        self.timing: dict[str, float] = {}
        self._setup()
        self.datacollector = DataCollector(model_reporters=WEEKLY)

    def _setup(self) -> None:
        """ODD 5: network, residents, carers, volunteers, providers, initial clients."""
        p, rnd = self.params, self.random
        n_res = max(10, round(p.population * p.at_risk_share))
        n_vslots = max(10, round(p.population * 0.01))
        t0 = time.perf_counter()
        lay = self.layout = build_network(
            n_res,
            p.carer_probability,
            n_vslots,
            p.districts,
            p.neighbourhoods_per_district,
            p.ties_per_resident,
            p.tie_rewiring,
            self.rng,
        )
        self.graph = lay.graph
        self.timing["network_s"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        n_nodes = lay.n_residents + lay.n_carers + lay.n_volunteer_slots
        self.at_node: list[list] = [[] for _ in range(n_nodes)]
        district_risk = [rnd.lognormvariate(0.0, p.district_risk_spread) for _ in range(p.districts)]
        mean_risk = sum(district_risk) / len(district_risk)
        district = lay.district.tolist()
        nbhd = lay.neighbourhood.tolist()
        n_nbhd = p.districts * p.neighbourhoods_per_district
        km = [
            p.local_activity_km if p.group_activities_local else p.town_radius_km * math.sqrt(rnd.random())
            for _ in range(n_nbhd)
        ]
        self.people = [
            Person(
                i,
                district[i],
                rnd.lognormvariate(-0.125, 0.5) * district_risk[district[i]] / mean_risk,
                rnd.random() >= p.non_asker_share,
                rnd.betavariate(*_beta(p.group_benefit_mean, p.group_benefit_sd)) * p.group_size > 1.0,
                2.0 * km[nbhd[i]] * p.transport_eur_per_km / p.day_activity_hours,
                rnd.randrange(p.provider_types),
            )
            for i in range(n_res)
        ]
        self.carers = []
        for k, slot in enumerate(lay.carer_of.tolist()):
            node = lay.n_residents + k
            person = self.people[slot]
            carer = InformalCarer(
                self,
                node,
                person,
                rnd.lognormvariate(math.log(p.carer_hours) - 0.125, 0.5),
                rnd.lognormvariate(math.log(p.carer_tolerance_hours) - 0.045, 0.3),
            )
            person.carers.append(carer)
            person.has_carer = True
            self.at_node[node].append(carer)
            self.carers.append(carer)
        self.free_vol_nodes: dict[int, list[int]] = {d: [] for d in range(p.districts)}
        for n in lay.volunteer_nodes[::-1].tolist():
            self.free_vol_nodes[district[n]].append(n)

        budget = _budget(p)
        expected_hours = budget / 52.0 / p.hourly_price_eur
        cap = self.start_capacity = expected_hours * (1.0 + p.staff_headroom) / p.providers
        self.start_reserves = p.reserves_share * budget / p.providers
        sigma = math.sqrt(math.log1p(p.historic_share_spread**2))
        historic = [rnd.lognormvariate(-(sigma**2) / 2, sigma) for _ in range(p.providers)]
        self.providers = [Provider(self, i, self._altruism(), cap, self.start_reserves) for i in range(p.providers)]
        for pr, h in zip(self.providers, historic, strict=True):
            pr.share = h / sum(historic)  # historic shares of a fixed sum (ODD 5.3)
        self.municipality = Municipality(self, budget)
        self.bankruptcies = self.rescues = self.lost_clients = self.handovers = self.admissions = 0
        self.retired_received = 0.0
        self.kpi_log: list[tuple[Provider, int]] = []
        self.records: list[tuple] = []
        self.planned = False
        self.optimum_hours = 0.0
        self.outreach_team_hours = p.outreach_hours_per_10k * p.population / 1e4 if p.outreach else 0.0
        self.training_budget = p.volunteer_training_eur_per_10k * p.population / 1e4
        self.assessment_capacity = p.assessments_per_week_per_10k * p.population / 1e4
        self.outreach_chance = 0.0
        self.homes_left = 0
        self.week_spend = self.week_admin = 0.0
        self.week_escalations = 0
        self.agent_steps = 0
        self.want_d = [0.0] * p.districts
        self.cap_d = [0.0] * p.districts
        self.share_d = [0.0] * p.districts

        for _ in range(round(p.volunteers_per_1000 * p.population / 1000)):
            self.recruit_volunteers(rnd.randrange(p.districts), 0.0, n=1)
        target = p.baseline_clients_per_1000 * p.population / 1000.0
        q = target / (n_res * max(1e-9, 1.0 - p.non_asker_share))
        mean_person_risk = sum(x.risk for x in self.people) / n_res
        for person in self.people:  # more where risk is higher (ODD 5.2)
            if rnd.random() < q * person.risk / mean_person_risk:
                c = Client(self, person, 1.0)
                c.initial = True
                if person.asker:
                    c.state = IN_CARE
                    c.reached = True
                    c.ask_week = c.care_week = 0
                    c.sr_intake = c.sr
                    self.assign_owner(c)
                    if self.needs_assessment:
                        self.municipality.assess(c)
        self.timing["agents_s"] = time.perf_counter() - t0

    def _altruism(self) -> float:
        """Provider altruism: Beta with the scenario's mean and sd (ODD 5)."""
        mean, sd = self.params.provider_altruism, self.params.provider_altruism_sd
        if sd == 0 or mean in (0.0, 1.0):
            return float(mean)
        var = min(sd**2, mean * (1 - mean) * 0.99)
        k = mean * (1 - mean) / var - 1
        return self.random.betavariate(mean * k, (1 - mean) * k)

    # ------------------------------------------------------------ helpers
    def assign_owner(self, c: Client) -> None:
        """ODD 7.4.4: draw an owner among live providers, in proportion to client shares;
        with ``referral``, among those whose expertise fits the client, where one does."""
        live = [pr for pr in self.providers if not pr.bankrupt]
        if self.params.referral:
            live = [pr for pr in live if pr.ptype == c.person.ctype] or live
        x = self.random.random() * sum(pr.client_share for pr in live)
        owner = live[-1]
        for pr in live:
            x -= pr.client_share
            if x < 0:
                owner = pr
                break
        c.owner = owner
        owner.clients[c] = None

    def replace_provider(self, i: int, capacity: float) -> Provider:
        """ODD 7.10.4-5: a new provider takes contract ``i`` and its clients over."""
        old = self.providers[i]
        self.retired_received += old.received_total
        new = Provider(self, i, old.altruism, capacity, self.start_reserves)
        new.share, new.client_share = old.share, old.client_share
        new.clients = old.clients
        for c in new.clients:
            c.owner = new
        old.clients = {}
        old.remove()
        self.providers[i] = new
        return new

    def handover(self, c: Client) -> None:
        """ODD 7.10.5: without a case owner, a client changing provider may be lost."""
        self.handovers += 1
        p = self.params
        if p.case_owner or self.random.random() >= p.handover_loss:
            return
        c.state = HIDDEN
        if c.owner is not None:
            c.owner.clients.pop(c, None)
        c.owner = None
        c.lost = True
        self.lost_clients += 1

    def poisson(self, lam: float) -> int:
        """A Poisson draw from the model's Python generator (Knuth)."""
        if lam <= 0:
            return 0
        limit, k, prod = math.exp(-lam), 0, self.random.random()
        while prod > limit:
            k += 1
            prod *= self.random.random()
        return k

    def recruit_volunteers(self, district: int, rate: float, n: int | None = None) -> None:
        """ODD 7.9.1: Poisson(``rate``) new volunteers in ``district`` (or exactly ``n``)."""
        count = n if n is not None else self.poisson(rate)
        for _ in range(count):
            pool = self.free_vol_nodes[district] or next((v for v in self.free_vol_nodes.values() if v), None)
            if not pool:
                return
            self.add_volunteer(pool.pop(), district)

    def add_volunteer(self, node: int, district: int) -> None:
        Volunteer(self, node, district)

    def _of(self, cls: type[Agent]) -> Sized:
        """The agents of one type (an empty tuple when none exist yet)."""
        return self.agents_by_type.get(cls, ())

    def _activate(self, cls: type[Agent], method: str) -> None:
        """Call ``method`` on every agent of type ``cls``, in random order."""
        agents = self.agents_by_type.get(cls)
        if agents:
            agents.shuffle_do(method)

    def _onset(self) -> None:
        """ODD 7.1: at-risk residents without a need may develop one."""
        p = self.params
        growth = (1.0 + p.need_growth_per_year) ** (self.week / 52.0)
        rate = p.onset_per_year * growth
        rnd = self.random
        walk_in = p.walk_in and not self.needs_assessment
        for person in self.people:
            if person.client is None and rnd.random() < weekly_chance(rate * person.risk):
                c = Client(self, person, growth)
                c.pl = rnd.random() < p.protected_living_share
                if walk_in and c.state == HIDDEN and rnd.random() < p.walk_in_share:
                    c.state = APPLYING
                    c.reached = True

    def _volunteer_training(self) -> None:
        """ODD 7.9.1: the municipality trains a Poisson number of volunteers a week."""
        p = self.params
        n = self.poisson(self.training_budget / p.volunteer_training_cost_eur / 52.0)
        if n:
            self.municipality.book_other(n * p.volunteer_training_cost_eur)
            for _ in range(n):
                self.recruit_volunteers(self.random.randrange(p.districts), 0.0, n=1)

    # ------------------------------------------------------------ the week
    def step(self) -> None:
        """One week, in the order of ``CareModel.step``."""
        p = self.params
        self.week = self.steps - 1
        self.week_spend = self.week_admin = 0.0
        self.week_escalations = 0
        self.homes_left = self.poisson(p.housing_per_year_per_10k * p.population / 1e4 / 52.0)
        self._activate(Client, "step")  # 7.2 need dynamics, 7.3 exits
        self._activate(Volunteer, "step")  # 7.9.1 turnover
        self._onset()  # 7.1
        self._volunteer_training()  # 7.9.1
        self._activate(Provider, "plan_outreach")  # 7.6.6
        hidden = sum(1 for c in self._of(Client) if c.state == HIDDEN)
        team = self.outreach_team_hours if self.week >= p.outreach_start_year * 52 else 0.0
        hours = team + sum(pr.outreach_hours for pr in self.providers)
        self.outreach_chance = (
            1.0 - math.exp(-hours * p.outreach_finds_per_hour / hidden) if hidden and hours > 0 else 0.0
        )
        self._activate(Client, "seek_help")  # 7.4.1-2 signals, outreach, GP, applying
        self.municipality.step()  # 7.4 queue, assessment, admission; 7.10.3 transfers
        self.optimum_hours = 0.0
        self._activate(Provider, "step")  # 7.6 provider decision
        nd = p.districts
        self.want_d = [0.0] * nd
        self.cap_d = [0.0] * nd
        self._activate(Client, "supply")  # 7.7 formal and informal hours
        for v in self._of(Volunteer):
            self.cap_d[v.district] += v.hours
        self.share_d = [
            min(1.0, c / max(w, 1e-12)) if w > 0 else 0.0 for w, c in zip(self.want_d, self.cap_d, strict=True)
        ]
        self._activate(Volunteer, "give")
        self._activate(Client, "settle")  # 7.7 volunteer hours, unmet need
        self._activate(InformalCarer, "step")  # 7.8 carer burden
        self.municipality.pay_providers()  # 7.9 money, 7.10.3 bankruptcy
        if self.week % 52 == 51:
            self.municipality.year_end()  # 7.10
        self._report()
        self.datacollector.collect(self)
        if self.steps >= self.n_weeks:
            self.running = False

    def _report(self) -> None:
        """The weekly model reporters, in one pass over the clients and one over carers."""
        in_care = with_need = waiting = hidden = 0
        formal = group = over = informal = inf_care = vol = vol_care = unmet = need = 0.0
        for c in self._of(Client):
            with_need += 1
            st = c.state
            formal += c.formal
            over += c.formal - c.formal_met
            informal += c.informal
            vol += c.volunteer
            unmet += c.unmet
            need += c.need
            if c.group:
                group += c.formal
            if st == IN_CARE:
                in_care += 1
                inf_care += c.informal
                vol_care += c.volunteer
            elif st == HIDDEN:
                hidden += 1
            elif st in WAITING:
                waiting += 1
        giving = over_c = 0
        for carer in self.carers:
            if carer.given > 0:
                giving += 1
                over_c += carer.over
        n_vol = len(self._of(Volunteer))
        self.r_in_care, self.r_with_need, self.r_waiting, self.r_hidden = in_care, with_need, waiting, hidden
        self.r_formal, self.r_group, self.r_over = formal, group, over
        self.r_informal, self.r_informal_care = informal, inf_care
        self.r_volunteer, self.r_volunteer_care = vol, vol_care
        self.r_unmet, self.r_need = unmet, need
        self.r_spend, self.r_admin = self.week_spend, self.week_admin
        self.r_carers_giving, self.r_carers_over = giving, over_c
        self.r_volunteers = n_vol
        self.r_escalations = self.week_escalations
        self.agent_steps += with_need + len(self.carers) + n_vol

    def run(self) -> ClassicCareModel:
        """Run all ``years * 52`` weeks."""
        while self.running:
            self.step()
        return self

    def client_table(self) -> pd.DataFrame:
        """A row per episode (ended, then open): the columns the summary reads."""
        rows = list(self.records)
        rows += [
            (c.start_week, c.initial, c.person.asker, c.reached, c.wait, c.under_ever, c.kpi) for c in self._of(Client)
        ]
        cols = ["start_week", "initial", "asked", "reached", "weeks_waiting", "underserved", "kpi"]
        return pd.DataFrame(rows, columns=cols)

    def summary(self) -> dict[str, float]:
        """The run's core summary metrics (:func:`classic_summary`)."""
        weekly = self.datacollector.get_model_vars_dataframe().reset_index(drop=True)
        return classic_summary(weekly, self.client_table(), self)


def _ratio(a: float, b: float) -> float:
    return float(a / b) if b > 0 else 0.0


def classic_summary(weekly: pd.DataFrame, clients: pd.DataFrame, model: ClassicCareModel) -> dict[str, float]:
    """Core summary metrics with the definitions of :func:`sim.metrics.summarise` (ODD 8).

    Only the keys the benchmark compares; written out here so that the reference does
    not break when ``summarise`` gains metrics of features it does not implement.
    """
    w, p = weekly, model.params
    care_weeks = float(w["clients_in_care"].sum())
    need_weeks = float(w["clients_with_need"].sum())
    formal = float(w["formal_hours"].sum())
    spend = float(w["week_spend_eur"].sum())
    admin = float(w["week_admin_eur"].sum())
    years = len(w) / 52.0
    nonask = clients[~clients["asked"]]
    waited = clients[clients["reached"] & ~clients["initial"]]["weeks_waiting"].to_numpy()
    giving = float(w["carers_giving"].sum())
    spend_year = spend / years if years else 0.0
    return {
        "clients_per_1000_inhabitants": float(w["clients_in_care"].mean()) * 1000.0 / p.population,
        "formal_hours_per_client_week": _ratio(formal, care_weeks),
        "informal_hours_per_client_week": _ratio(w["informal_hours_in_care"].sum(), care_weeks),
        "volunteer_hours_per_client_week": _ratio(w["volunteer_hours_in_care"].sum(), care_weeks),
        "formal_to_optimum_ratio": _ratio(formal, w["client_optimum_hours"].sum()),
        "overprovided_share": _ratio(w["overprovided_hours"].sum(), formal),
        "unmet_need_share": _ratio(w["unmet_hours"].sum(), w["need_hours"].sum()),
        "underserved_share": float(clients["underserved"].mean()) if len(clients) else 0.0,
        "unreached_share": float((~nonask["reached"]).mean()) if len(nonask) else 0.0,
        "escalations_per_1000_client_years": _ratio(w["escalations"].sum() * 1000.0, need_weeks / 52.0),
        "mean_wait_weeks": float(waited.mean()) if waited.size else 0.0,
        "spend_eur": spend_year,
        "overrun_share": _ratio(spend_year, model.municipality.budget) - 1.0,
        "admin_cost_share": _ratio(admin, spend + admin),
        "spend_per_client_year_eur": _ratio(spend, care_weeks / 52.0),
        "informal_hours_per_carer_week": _ratio(w["informal_hours"].sum(), giving),
        "carer_overburden_share": _ratio(w["carers_overburdened"].sum(), giving),
        "volunteers_per_1000_inhabitants": float(w["volunteers"].mean()) * 1000.0 / p.population,
        "bankruptcies": float(model.bankruptcies),
        "lost_per_1000_clients": _ratio(model.lost_clients * 1000.0, len(clients)),
    }


def run_classic(scenario: str | Scenario = "default", *, rng: int = 0, inline_rule: bool = False, **overrides) -> dict:
    """Build and run the classic model; return wall time, timing, agent-steps, summary."""
    t0 = time.perf_counter()
    model = ClassicCareModel(scenario, rng=rng, inline_rule=inline_rule, **overrides)
    model.run()
    summary = model.summary()
    wall = time.perf_counter() - t0
    return {
        "wall_s": wall,
        "timing": model.timing,
        "agent_steps": model.agent_steps,
        "weeks": model.steps,
        "summary": summary,
    }
