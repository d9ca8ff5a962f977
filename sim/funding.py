"""The funding models: each a class behind one small interface (ODD 7.6.2, 7.4, 7.9, 7.10).

A funding model differs from another only in its payment terms and in the
institutional steps it brings; the provider's decision rule is the same for all
(``sim/decision.py``). :class:`FundingModel` answers five questions, each asked by the
rule named:

=========================== =============================== =====================
question                    method                          asked by
=========================== =============================== =====================
its payment terms           ``terms(sc, budget)``           ``care.plan_care`` (7.6.2)
how a client gets in        ``entry``: ``walk_in_share``,   ``need.onset``,
                            ``start``, ``enter``            ``access.access``,
                                                            ``CareModel._setup`` (7.4, 5.4)
what bounds the hours       ``entry.bound_hours``           ``care.plan_care`` (7.6)
what is paid each week      ``weekly_pay``                  ``money.money`` (7.9)
what happens at year end    ``settle_year``                 ``year_end.year_end`` (7.10)
=========================== =============================== =====================

and, before the run, who may serve whom (``contracts``, 5.3), and during it how its
fixed sum is split (``fixed_this_year``, 7.9), whether the state revises that sum
mid-year (``revision_per_year``, 7.9.2) and how it is rebased when the contracts are
renewed (``rebase``, 7.10.6).

How a client gets in is an entry: :class:`DirectEntry` (the provider takes an
applicant in at once; walk-in possible), :class:`Assessment` (the municipal assessment
sets an entitlement that caps the hours; a queue, re-assessments and personal budgets
come with it) or :class:`CategoryAssessment` (the assessment also sets an output-based
need category: a price per period, a floor of hours and a provider that may refuse).

What a lump-sum provider does with a new client, for example: :class:`LumpSum` has a
:class:`DirectEntry`, so ``access.access`` admits the applicant at once
(``DirectEntry.admit``: ``access.draw_owners``, ``access.take_in``); ``care.plan_care``
gives it the hours of ``decision.optimal_hours`` under the lump-sum terms (no price, the
cost kept), bounded only by staff capacity; ``FundingModel.weekly_pay`` pays the fixed
sum in advance each year; ``FundingModel.settle_year`` withholds the KPI penalty.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

import numpy as np

from . import access, contracts
from .columns import indices
from .decision import (  # noqa: F401  (re-exported: sim.funding.net_money and friends)
    kpi_value_per_hour,
    loss_weight,
    marginal_money,
    money_weight,
    net_money,
    optimal_hours,
    provider_utility,
)
from .state import DECIDING, IN_CARE, PGB, QUEUED

if TYPE_CHECKING:
    from .contracts import Contracts
    from .model import CareModel
    from .params import Scenario


@dataclass(frozen=True)
class PaymentTerms:
    """What a provider is paid: the numbers the decision rule weighs (ODD 7.6.2)."""

    price_individual: float  # EUR per individual hour delivered
    price_group: float  # EUR per group client-hour delivered, transport not included
    transport_share: float  # share of a group client's transport cost the municipality pays
    annual_fixed: float  # EUR per year for all providers together
    keep_share: float  # share of a surplus on the fixed sum the provider may keep
    kpi_penalty_share: float  # share of the fixed sum withheld when the KPI misses


# --------------------------------------------------------------- how a client gets in (7.4)
class DirectEntry:
    """No assessment (ODD 7.4): an applicant is admitted at once (7.4.4); a non-asker may
    walk in at onset where ``walk_in`` access exists (7.1); no entitlement caps the
    hours and no personal budget is offered."""

    def __init__(self, sc: Scenario):
        self.walk_in_share = sc.walk_in_share if sc.walk_in else 0.0

    def start(self, m: CareModel, askers: np.ndarray) -> None:
        """ODD 5.4: the clients in care at the start need nothing more."""

    def enter(self, m: CareModel, applying: np.ndarray) -> None:
        """ODD 7.4: every applicant is admitted at once."""
        self.admit(m, applying)

    def admit(self, m: CareModel, idx: np.ndarray) -> None:
        """ODD 7.4.4: each applicant gets an owner and is in care."""
        if idx.size == 0 or not m.prov.alive.any():
            return  # no provider under contract: applicants keep waiting (ODD 7.10.3)
        access.take_in(m, idx, access.draw_owners(m, idx))

    def bound_hours(self, m: CareModel, c: np.ndarray, e: np.ndarray) -> np.ndarray:
        """ODD 7.6: nothing but staff capacity bounds the hours."""
        return e


class Assessment:
    """The municipal assessment is the way in (ODD 7.4.3-7.4.6).

    With ``assessment_queue`` applicants wait in the municipality's FIFO queue and are
    admitted ``assessment_decision_weeks`` after their assessment; without it they are
    assessed at admission. The entitlement caps the provider's hours, and a provider
    that wants more asks for a re-assessment (7.4.5). ``pgb_share`` of admitted clients
    take a personal budget (7.4.6). There is no walk-in: ``walk_in`` has no effect
    where the assessment is the only door.
    """

    walk_in_share = 0.0

    def __init__(self, sc: Scenario):
        self.queued = sc.assessment_queue

    def assess(self, m: CareModel, idx: np.ndarray) -> None:
        """ODD 7.4.3: the assessment sets the entitlement."""
        access.assess(m, idx)

    def start(self, m: CareModel, askers: np.ndarray) -> None:
        """ODD 5.4: the clients in care at the start are assessed, and ``pgb_share`` of
        them hold a personal budget."""
        self.assess(m, askers)
        pgb = askers[m.rng.random(askers.size) < m.params.pgb_share]
        m.res.state[pgb] = PGB
        m.res.owner[pgb] = -1

    def enter(self, m: CareModel, applying: np.ndarray) -> None:
        """ODD 7.4: applicants queue for an assessment (or are assessed at admission)."""
        if not self.queued:
            self.admit(m, applying)
            return
        res = m.res
        res.state[applying] = QUEUED
        m.municipality.queue.extend(zip(applying.tolist(), res.episode[applying].tolist(), strict=True))
        access.serve_queue(m, self.assess)
        self.admit(m, indices((res.state == DECIDING) & (res.decide_week <= m.week)))

    def admit(self, m: CareModel, idx: np.ndarray) -> None:
        """ODD 7.4.4, 7.4.6: an owner each (unless the owner declines, :meth:`screen`);
        ``pgb_share`` take a personal budget instead of care in kind."""
        if idx.size == 0 or not m.prov.alive.any():
            return  # no provider under contract: applicants keep waiting (ODD 7.10.3)
        if not self.queued:
            fresh = idx[m.res.assess_week[idx] < 0]  # not yet assessed in this episode
            if fresh.size:
                self.assess(m, fresh)
        owners = access.draw_owners(m, idx)
        idx, owners = self.screen(m, idx, owners)
        access.take_in(m, idx, owners, pgb=m.rng.random(idx.size) < m.params.pgb_share)

    def screen(self, m: CareModel, idx: np.ndarray, owners: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """ODD 7.4.4: the clients the drawn owners take (all of them)."""
        return idx, owners

    def bound_hours(self, m: CareModel, c: np.ndarray, e: np.ndarray) -> np.ndarray:
        """ODD 7.6, 7.4.5: owners who want more than the entitlement ask for a
        re-assessment; the entitlement caps the hours."""
        self.reassess(m, access.reassessment_due(m, c, e))
        return np.minimum(e, m.res.entitlement[c])

    def reassess(self, m: CareModel, idx: np.ndarray) -> None:
        """ODD 7.4.5: due clients join the assessment queue (or are assessed at once)."""
        if idx.size == 0:
            return
        if self.queued:
            m.res.reassess[idx] = True
            m.municipality.queue.extend(zip(idx.tolist(), m.res.episode[idx].tolist(), strict=True))
        else:
            self.assess(m, idx)


class CategoryAssessment(Assessment):
    """An assessment that also sets an output-based need category (ODD 7.4.3): its price
    per period and its floor of hours, which bounds the hours from below (7.6); with
    ``provider_may_refuse`` the drawn owner may decline a client it expects to lose on
    (7.4.4, cream-skimming)."""

    def __init__(self, sc: Scenario):
        super().__init__(sc)
        self.may_refuse = sc.provider_may_refuse

    def assess(self, m: CareModel, idx: np.ndarray) -> None:
        """ODD 7.4.3: the entitlement, then the need category and its price."""
        access.need_category(m, idx, access.assess(m, idx))

    def screen(self, m: CareModel, idx: np.ndarray, owners: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """ODD 7.4.4: the clients the drawn owners accept (``access.accept_client``); a
        declined client tries again next week."""
        if not self.may_refuse:
            return idx, owners
        keep = access.accept_client(m, idx, owners)
        m.res.refusals[idx[~keep]] += 1
        m.tally.refusals += int((~keep).sum())
        return idx[keep], owners[keep]

    def bound_hours(self, m: CareModel, c: np.ndarray, e: np.ndarray) -> np.ndarray:
        """ODD 7.6: the entitlement caps the hours; the category's floor is the least the
        contract obliges."""
        return np.maximum(super().bound_hours(m, c, e), m.res.floor[c])


# ------------------------------------------------------------------------ funding models
class FundingModel:
    """A funding model: payment terms plus the institutional steps it brings.

    ``FUNDING[name].terms(sc)`` gives the payment terms of a scenario;
    ``FUNDING[name](sc)`` is the model a run uses. The defaults here are those of a
    consortium: who may serve whom, per-hour pay where the terms have a price, a fixed
    sum paid in advance at the start of each year where they have one, the KPI penalty
    and the surplus reclaim at year end where the terms set them.
    """

    name: ClassVar[str] = ""
    entry_type: ClassVar[type] = DirectEntry

    def __init__(self, sc: Scenario):
        self.sc = sc
        self.entry = self.make_entry(sc)

    def make_entry(self, sc: Scenario):
        """How a client gets in (7.4): an instance of ``entry_type``."""
        return self.entry_type(sc)

    @classmethod
    def terms(cls, sc: Scenario, budget: float | None = None) -> PaymentTerms:
        """The payment terms of scenario ``sc`` with the town's ``budget`` (EUR/year,
        ODD 5.3; ``None``: not known, so a fixed sum not declared is NaN) (ODD 7.6.2)."""
        raise NotImplementedError

    # ------------------------------------------------------------ contracts (5.3)
    def contracts(self, sc: Scenario, district_weight: np.ndarray, rng) -> Contracts:
        """ODD 5.3: a consortium (``contracts.consortium``)."""
        return contracts.consortium(sc, rng)

    @property
    def revision_per_year(self) -> float:
        """ODD 7.9.2: the yearly chance that the state revises the fixed sum (none)."""
        return 0.0

    # --------------------------------------------------------- what is paid (7.9)
    def fixed_shares(self, m: CareModel) -> np.ndarray:
        """ODD 7.9: each provider's share of a fixed sum paid now.

        Historic (or district) shares over live providers; with a ``cashier`` the sum is
        passed on in proportion to the clients each member serves (money follows work).
        """
        alive = m.prov.alive
        s = m.prov.share * alive
        if self.sc.cashier:
            res = m.res
            served = np.bincount(res.owner[res.state == IN_CARE], minlength=len(m.providers)) * alive
            if served.sum() > 0:
                s = served.astype(float)
        total = s.sum()
        return s / total if total > 0 else s

    def fixed_this_year(self, m: CareModel) -> np.ndarray:
        """ODD 7.9: each provider's fixed sum for this year, after any rebasing at renewal
        (7.10.6) and any mid-year revision (7.9.2)."""
        muni = m.municipality
        return m.terms.annual_fixed * muni.fixed_factor * muni.revision_factor * self.fixed_shares(m)

    def rebase(self, m: CareModel) -> None:
        """ODD 7.10.6 'Rebasing': when the contracts are renewed, each contract's fixed
        sum moves ``rebase_weight`` of the way from this year's to what its provider
        needed: this year's cost plus ``rebase_margin``, less what per-hour and
        per-period pay brought in; a contract without a live provider keeps its sum. The
        contracted shares follow the new sums. No fixed sum, nothing to rebase.
        Writes: ``municipality.fixed_factor``, ``prov.share``.
        """
        t, p, prov, muni = m.terms, m.params, m.prov, m.municipality
        if not t.annual_fixed or p.rebase_weight == 0:
            return
        current = t.annual_fixed * muni.fixed_factor * prov.share / prov.share.sum()  # by contract
        needed = np.maximum(prov.year_cost * (1.0 + p.rebase_margin) - prov.year_variable, 0.0)
        # a contract without a live provider (bankrupt, vacant) keeps its sum for the entrant
        new = np.where(prov.alive, (1.0 - p.rebase_weight) * current + p.rebase_weight * needed, current)
        if new.sum() <= 0:
            return
        muni.fixed_factor = float(new.sum()) / t.annual_fixed
        prov.share = new / new.sum()

    def variable_pay(self, m: CareModel, c: np.ndarray) -> np.ndarray:
        """ODD 7.9: this week's pay for delivered hours per provider, for clients ``c``
        in care: the per-hour prices, with the reimbursed share of a group client's
        transport, and an invoice line per client-month (none without a price)."""
        t, p, res = m.terms, m.params, m.res
        pay = np.zeros(len(m.providers))
        if t.price_individual or t.price_group:
            grp, hours, th = res.group[c], res.formal[c], res.transport_h[c]
            price = np.where(grp, t.price_group + t.transport_share * th, t.price_individual)
            pay += np.bincount(res.owner[c], weights=price * hours, minlength=pay.size)
            m.municipality.book_admin(np.count_nonzero(hours > 0) * p.invoice_cost_eur * 12.0 / 52.0)
        return pay

    def fixed_due(self, m: CareModel) -> np.ndarray | None:
        """ODD 7.9: the fixed sum due this week: the year's, in advance in its first week."""
        return self.fixed_this_year(m) if m.week % 52 == 0 else None

    def weekly_pay(self, m: CareModel, c: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """ODD 7.9: what each provider is paid this week, and the part of it that is
        per-hour or per-period pay; a fixed sum costs ``monitoring_cost_share`` of it in
        monitoring a year."""
        variable = self.variable_pay(m, c)
        pay = variable.copy()
        if m.terms.annual_fixed:
            due = self.fixed_due(m)
            if due is not None:
                pay += due
            m.municipality.book_admin(m.params.monitoring_cost_share * m.terms.annual_fixed / 52.0)
        return pay, variable

    # --------------------------------------------------------------- year end (7.10)
    def settle_year(self, m: CareModel, judged: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """ODD 7.10.1-7.10.2: the KPI penalty and the reclaimed surplus of each provider.

        A live provider with KPI results this year (``judged``) below ``kpi_target``
        loses ``kpi_penalty_share`` of its fixed sum; of a surplus on the fixed sum, the
        share the terms do not let it keep is reclaimed.
        """
        t, prov = m.terms, m.prov
        penalty, reclaim = np.zeros(len(prov)), np.zeros(len(prov))
        fixed = self.fixed_this_year(m)
        alive = prov.alive
        if t.kpi_penalty_share:  # judged on this year's clients
            missed = alive & judged & (prov.kpi_last < m.params.kpi_target)
            penalty[missed] = t.kpi_penalty_share * fixed[missed]
        if t.keep_share < 1.0:
            due = alive & (fixed != 0)
            surplus = prov.year_received - prov.year_cost - penalty
            reclaim[due] = np.maximum(surplus[due], 0.0) * (1.0 - t.keep_share)
        return penalty, reclaim


def fixed_sum(sc: Scenario, budget: float | None) -> float:
    """ODD 5.3: the annual fixed sum: the declared ``lump_sum_eur``, else the ``budget``
    less ``lump_sum_discount`` (NaN when the budget is not known yet)."""
    declared = sc["lump_sum_eur"]
    if declared is not None:
        return float(declared)
    return math.nan if budget is None else float(budget) * (1.0 - sc.lump_sum_discount)


def _blend(sc: Scenario, s: float, budget: float | None) -> PaymentTerms:
    """A share ``s`` of the fee-for-service price per hour plus ``1 - s`` of the lump sum."""
    return PaymentTerms(
        price_individual=s * sc.hourly_price_eur,
        price_group=s * sc.group_price_eur,
        transport_share=s,
        annual_fixed=(1.0 - s) * fixed_sum(sc, budget) if s < 1.0 else 0.0,
        keep_share=1.0,
        kpi_penalty_share=sc.kpi_penalty_share if s < 1.0 else 0.0,
    )


class FeeForService(FundingModel):
    """Price per delivered hour after an assessment ('P x Q', inspanningsgericht): the
    assessment is the way in and its entitlement caps the hours; invoices weekly."""

    name = "fee_for_service"
    entry_type = Assessment

    @classmethod
    def terms(cls, sc, budget=None):
        return _blend(sc, 1.0, budget)


class LumpSum(FundingModel):
    """A fixed annual sum in advance, with a KPI penalty (taakgericht, Alphen): applicants
    are taken in at once (walk-in possible); the sum is paid at the start of each year."""

    name = "lump_sum"

    @classmethod
    def terms(cls, sc, budget=None):
        return _blend(sc, 0.0, budget)


class Blended(FundingModel):
    """``blend_ffs_share`` of the fee-for-service price plus the rest as a lump sum; with
    ``blend_assessment`` the assessment is the way in, as under fee-for-service."""

    name = "blended"

    def make_entry(self, sc):
        return Assessment(sc) if sc.blend_assessment else DirectEntry(sc)

    @classmethod
    def terms(cls, sc, budget=None):
        return _blend(sc, sc.blend_ffs_share, budget)


class Subsidy(FundingModel):
    """A grant in advance for an activity plan; the surplus is reclaimed at year end
    (Harderwijk): direct entry, the grant paid at the start of each year."""

    name = "subsidy"

    @classmethod
    def terms(cls, sc, budget=None):
        keep = 1.0 - sc.subsidy_reclaim_share
        return PaymentTerms(0.0, 0.0, 0.0, fixed_sum(sc, budget), keep, 0.0)


class OutputBased(FundingModel):
    """A price per client-period by need category, set at assessment (outputgericht)."""

    name = "output_based"
    entry_type = CategoryAssessment

    @classmethod
    def terms(cls, sc, budget=None):
        return PaymentTerms(0.0, 0.0, 0.0, 0.0, 1.0, 0.0)

    def variable_pay(self, m, c):
        """ODD 7.9: each client's category price at the start of each
        ``output_period_weeks`` period in care, with an invoice line each."""
        pay = super().variable_pay(m, c)
        res, p = m.res, m.params
        due = c[(m.week - res.care_week[c]) % p.output_period_weeks == 0]
        pay += np.bincount(res.owner[due], weights=res.period_price[due], minlength=pay.size)
        m.municipality.book_admin(due.size * p.invoice_cost_eur)
        return pay


class PopulationBudget(FundingModel):
    """A risk-adjusted budget per district to its main contractors, paid weekly and
    revisable mid-year by the state (Lelystad): direct entry, district lots."""

    name = "population_budget"

    @classmethod
    def terms(cls, sc, budget=None):
        return PaymentTerms(0.0, 0.0, 0.0, fixed_sum(sc, budget), 1.0, sc.kpi_penalty_share)

    def contracts(self, sc, district_weight, rng):
        """ODD 5.3: main contractors per district (``contracts.district_lots``)."""
        return contracts.district_lots(sc, contracts.consortium(sc, rng), district_weight, rng)

    @property
    def revision_per_year(self) -> float:
        """ODD 7.9.2: ``budget_revision_per_year``."""
        return self.sc.budget_revision_per_year

    def fixed_due(self, m):
        """ODD 7.9: the year's sum in weekly instalments."""
        return self.fixed_this_year(m) / 52.0


#: The funding models by name, in the order of the parameter ``funding``'s choices.
FUNDING: dict[str, type[FundingModel]] = {
    m.name: m for m in (FeeForService, LumpSum, Subsidy, OutputBased, PopulationBudget, Blended)
}
