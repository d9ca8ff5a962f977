"""Funding models and the one provider decision rule (ODD 7.6, 'the incentive core').

Every funding model is described only by its *payment terms*: what the provider earns
per individual hour and per group client-hour, what fixed sum it gets a year, how much of
a surplus it may keep and whether a KPI penalty applies. One decision rule turns those
terms into hours for every model:

    U(e) = a * b * (e - e**2 / (2 r)) + (1 - a) * mu * e

where ``e`` is the weekly hours the provider gives a client, ``r`` the client's optimum
(their need net of informal and volunteer help, capped), ``b`` the client's benefit of a
first hour, ``a`` the provider's altruism and ``mu`` the provider's net money per hour
under its payment terms. Its maximiser is :func:`optimal_hours`. Nothing else differs
between funding models.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .params import Scenario

HOURS_PER_DAY_ACTIVITY = 4.0  # a day activity is a half day of 4 hours (calibration.md)


def optimal_hours(r, altruism, mu, benefit, cap=np.inf):
    """Closed-form maximiser of the provider utility U(e) (ODD 7.6.1).

    ``e* = r * (1 + (1 - a) * mu / (a * b))``, clipped to ``[0, cap]``. With ``a = 0`` the
    provider is a pure profit-maximiser: ``cap`` if ``mu > 0``, 0 if ``mu < 0`` and ``r``
    if ``mu == 0``. Works elementwise on arrays.
    """
    r = np.asarray(r, dtype=float)
    a = np.asarray(altruism, dtype=float)
    mu = np.asarray(mu, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        interior = r * (1.0 + (1.0 - a) * mu / (a * benefit))
    corner = np.where(mu > 0, np.inf, np.where(mu < 0, 0.0, r))
    e = np.where(a > 0, interior, corner)
    return np.clip(e, 0.0, cap)


def provider_utility(e, r, altruism, mu, benefit):
    """The provider utility U(e) of ODD 7.6.1 (for tests and the isolation figure)."""
    e = np.asarray(e, dtype=float)
    client = benefit * (e - e**2 / (2.0 * np.maximum(r, 1e-12)))
    return altruism * client + (1.0 - altruism) * mu * e


@dataclass(frozen=True)
class PaymentTerms:
    """What a provider is paid; the only thing that differs between funding models."""

    price_individual: float  # EUR per individual hour delivered
    price_group: float  # EUR per group client-hour delivered, transport not included
    transport_share: float  # share of a group client's transport cost the municipality pays
    annual_fixed: float  # EUR per year for all providers together
    fixed_weekly: bool  # the fixed sum comes in weekly instalments (else in advance each year)
    keep_share: float  # share of a surplus on the fixed sum the provider may keep
    kpi_penalty_share: float  # share of the fixed sum withheld when the KPI misses
    needs_assessment: bool  # clients enter through the municipal assessment
    output_based: bool = False  # a price per client-period by need category
    by_district: bool = False  # main contractors per district (population budget)


class FundingModel:
    """Interface: build the payment terms of a funding model from a scenario."""

    name: str = ""

    def terms(self, sc: Scenario) -> PaymentTerms:
        raise NotImplementedError


def _blend(sc: Scenario, s: float) -> PaymentTerms:
    """A share ``s`` of the fee-for-service price per hour plus ``1 - s`` of the lump sum."""
    return PaymentTerms(
        price_individual=s * sc.hourly_price_eur,
        price_group=s * sc.group_price_eur,
        transport_share=s,
        annual_fixed=(1.0 - s) * sc.effective_lump_sum_eur,
        fixed_weekly=False,
        keep_share=1.0,
        kpi_penalty_share=sc.kpi_penalty_share if s < 1.0 else 0.0,
        needs_assessment=s > 0.0,
    )


class FeeForService(FundingModel):
    """Price per delivered hour after an assessment ('P x Q', inspanningsgericht)."""

    name = "fee_for_service"

    def terms(self, sc):
        return _blend(sc, 1.0)


class LumpSum(FundingModel):
    """A fixed annual sum in advance, with a KPI penalty (taakgericht, Alphen)."""

    name = "lump_sum"

    def terms(self, sc):
        return _blend(sc, 0.0)


class Blended(FundingModel):
    """``blend_ffs_share`` of the fee-for-service price plus the rest as a lump sum."""

    name = "blended"

    def terms(self, sc):
        return _blend(sc, sc.blend_ffs_share)


class Subsidy(FundingModel):
    """A grant in advance for an activity plan; surplus reclaimed at year end (Harderwijk)."""

    name = "subsidy"

    def terms(self, sc):
        keep = 1.0 - sc.subsidy_reclaim_share
        return PaymentTerms(0.0, 0.0, 0.0, sc.effective_lump_sum_eur, False, keep, 0.0, False)


class OutputBased(FundingModel):
    """A price per client-period by need category, set at assessment (outputgericht)."""

    name = "output_based"

    def terms(self, sc):
        return PaymentTerms(0.0, 0.0, 0.0, 0.0, False, 1.0, 0.0, True, output_based=True)


class PopulationBudget(FundingModel):
    """A risk-adjusted budget per district to its main contractors, paid weekly (Lelystad)."""

    name = "population_budget"

    def terms(self, sc):
        return PaymentTerms(
            0.0, 0.0, 0.0, sc.effective_lump_sum_eur, True, 1.0, sc.kpi_penalty_share, False, by_district=True
        )


FUNDING: dict[str, FundingModel] = {
    m.name: m for m in (FeeForService(), LumpSum(), Subsidy(), OutputBased(), PopulationBudget(), Blended())
}


def money_weight(terms: PaymentTerms, sc: Scenario, under_fixed_sum: np.ndarray) -> np.ndarray:
    """The share of an hour's cost the provider bears (ODD 7.6.2).

    Under a fixed sum the provider keeps ``keep_share`` of what it does not spend while
    it expects its year's income to cover its cost; otherwise it bears the whole cost.
    """
    if terms.annual_fixed <= 0:
        return np.ones(under_fixed_sum.shape)
    return np.where(under_fixed_sum, terms.keep_share, 1.0)


def loss_weight(sc: Scenario, under_fixed_sum: np.ndarray) -> np.ndarray:
    """How much the provider's money counts (ODD 7.6.2): 1 while it expects to cover its
    cost, ``loss_aversion`` once it expects a deficit for the year, under every model."""
    return np.where(under_fixed_sum, 1.0, sc.loss_aversion)


def net_money(terms: PaymentTerms, sc: Scenario, under_fixed_sum, cost_ind, transport_per_hour):
    """Net money per client-hour as the provider weighs it: ``mu_ind, mu_grp`` (ODD 7.6.2).

    :func:`marginal_money` with the cost share of :func:`money_weight`, times
    :func:`loss_weight`. Elementwise over providers or clients.
    """
    under = np.asarray(under_fixed_sum)
    mu_ind, mu_grp = marginal_money(terms, sc, money_weight(terms, sc, under), cost_ind, transport_per_hour)
    loss = loss_weight(sc, under)
    return mu_ind * loss, mu_grp * loss


def marginal_money(terms: PaymentTerms, sc: Scenario, weight, cost_ind, transport_per_hour):
    """Net money per client-hour, individual and group (ODD 7.6.2). Elementwise.

    Args:
        terms: the payment terms.
        sc: the scenario (group size).
        weight: the share of cost the provider bears (:func:`money_weight`).
        cost_ind: the provider's cost of a staff hour (with any subcontracting markup).
        transport_per_hour: the client's transport cost per group client-hour.
    """
    mu_ind = terms.price_individual - weight * cost_ind
    mu_grp = (
        terms.price_group
        + terms.transport_share * transport_per_hour
        - weight * (cost_ind / sc.group_size + transport_per_hour)
    )
    return mu_ind, mu_grp
