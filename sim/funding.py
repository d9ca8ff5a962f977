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
    price_group: float  # EUR per group client-hour delivered (transport included)
    annual_fixed: float  # EUR per year, paid in advance, for all providers together
    keep_share: float  # share of a surplus on the fixed sum the provider may keep
    kpi_penalty_share: float  # share of the fixed sum withheld when the KPI misses
    needs_assessment: bool  # clients enter through the municipal assessment queue


class FundingModel:
    """Interface: build the payment terms of a funding model from a scenario."""

    name: str = ""

    def terms(self, sc: Scenario) -> PaymentTerms:
        raise NotImplementedError


class FeeForService(FundingModel):
    """Price per delivered hour after an assessment ('P x Q', inspanningsgericht)."""

    name = "fee_for_service"

    def terms(self, sc):
        return PaymentTerms(
            price_individual=sc.hourly_price_eur,
            price_group=sc.group_price_eur + sc.transport_eur_per_day / HOURS_PER_DAY_ACTIVITY,
            annual_fixed=0.0,
            keep_share=1.0,
            kpi_penalty_share=0.0,
            needs_assessment=True,
        )


class LumpSum(FundingModel):
    """A fixed annual sum in advance, with a KPI penalty (taakgericht, Alphen)."""

    name = "lump_sum"

    def terms(self, sc):
        return PaymentTerms(0.0, 0.0, sc.effective_lump_sum_eur, 1.0, sc.kpi_penalty_share, False)


class Subsidy(FundingModel):
    """A grant in advance for an activity plan; surplus reclaimed at year end (Harderwijk)."""

    name = "subsidy"

    def terms(self, sc):
        keep = 1.0 - sc.subsidy_reclaim_share
        return PaymentTerms(0.0, 0.0, sc.effective_lump_sum_eur, keep, 0.0, False)


FUNDING: dict[str, FundingModel] = {m.name: m for m in (FeeForService(), LumpSum(), Subsidy())}


def marginal_money(terms: PaymentTerms, sc: Scenario, under_fixed_sum: np.ndarray):
    """Net money per hour for a provider, by modality (ODD 7.6.2).

    Returns ``(mu_individual, mu_group)`` arrays over providers. Under a fixed sum the
    provider keeps ``keep_share`` of what it does not spend, so an hour costs it
    ``keep_share * cost`` while it spends below the sum, and the full cost beyond it.
    """
    cost_ind = sc.hourly_cost_eur
    cost_grp = sc.hourly_cost_eur / sc.group_size + sc.transport_eur_per_day / HOURS_PER_DAY_ACTIVITY
    weight = np.where(under_fixed_sum, terms.keep_share, 1.0) if terms.annual_fixed > 0 else 1.0
    mu_ind = terms.price_individual - weight * cost_ind
    mu_grp = terms.price_group - weight * cost_grp
    return np.broadcast_to(mu_ind, under_fixed_sum.shape), np.broadcast_to(mu_grp, under_fixed_sum.shape)
