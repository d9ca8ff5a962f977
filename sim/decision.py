"""The one provider decision rule and the net money it weighs (ODD 7.6.1-7.6.2, 'the
incentive core').

Every funding model is seen by the provider only through its payment terms
(``sim.funding.PaymentTerms``: what it earns per individual hour and per group
client-hour, what fixed sum it gets a year, how much of a surplus it may keep and
whether a KPI penalty applies). One decision rule turns those terms into hours for
every model:

    U(e) = a * b * (e - e**2 / (2 r)) + (1 - a) * mu * e

where ``e`` is the weekly hours the provider gives a client, ``r`` the client's optimum
(their need net of informal and volunteer help, capped), ``b`` the client's benefit of a
first hour, ``a`` the provider's altruism and ``mu`` the provider's net money per hour
under its payment terms (:func:`net_money`, plus the prevention and KPI values of
``care.plan_care``). Its maximiser is :func:`optimal_hours`. Nothing else differs
between funding models.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from .funding import PaymentTerms
    from .params import Scenario
    from .state import Providers


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


def kpi_value_per_hour(terms: PaymentTerms, prov: Providers) -> np.ndarray:
    """ODD 7.6.2: the expected KPI penalty avoided per hour of care, per provider.

    The penalty at stake, spread over a year at current staff capacity, times the KPI
    pressure of :func:`year_end.kpi_pressure` (0 where the terms have no KPI penalty).
    """
    if not terms.kpi_penalty_share:
        return np.zeros(len(prov))
    at_stake = terms.kpi_penalty_share * terms.annual_fixed * prov.share
    hours = np.maximum(prov.capacity * 52.0, 1.0)
    return prov.kpi_pressure * at_stake / hours
