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


#: Below this benefit of a group hour against an individual one a client is not offered
#: group care (its optimum in group hours, r / g, would be unbounded); a numerical guard,
#: not behaviour: at the default Beta(0.6, 0.25) it excludes about 1% of clients.
MIN_GROUP_BENEFIT = 0.05


def choose_modality(r, altruism, mu_ind, mu_grp, benefit, g, cap=np.inf, taste=(0.0, None)):
    """ODD 7.6.3 'Modality': group or individual care by the utility each gives the
    provider at its own optimum (ODD 7.6.1). Elementwise over clients.

    The choice is a binary logit (random utility, McFadden 1974): group care is chosen when
    ``taste_u < 1 / (1 + exp(-(u_g - u_i) / scale))``, where ``taste = (scale, taste_u)``:
    ``scale`` (EUR per client-week, ``modality_choice_scale_eur``) sizes what the model does
    not see (rosters, group timetables, the client's wishes) and ``taste_u`` is each client's
    fixed U(0, 1) draw (``res.modality_taste``). At ``scale = 0`` the higher utility wins.

    A group client-hour is worth ``g`` of an individual hour to the client (``g`` differs
    between clients, ``res.group_benefit``), so in group hours the client's optimum is
    ``r / g`` and the benefit of a first hour ``b * g``: at their optima both modalities
    give the client the same benefit, ``b * r / 2``, and differ in the money on the
    hours. ``cap`` bounds the hours in individual-hour equivalents. Returns
    ``group, e, w``: whether group care is chosen, the hours in the chosen modality, and
    ``w``, the individual-hour value of an hour of it (``g`` or 1).
    """
    ok = g >= MIN_GROUP_BENEFIT
    gs = np.where(ok, g, 1.0)
    e_i = optimal_hours(r, altruism, mu_ind, benefit, cap)
    e_g = optimal_hours(r / gs, altruism, mu_grp, benefit * gs, cap / gs)
    u_i = provider_utility(e_i, r, altruism, mu_ind, benefit)
    u_g = provider_utility(e_g, r / gs, altruism, mu_grp, benefit * gs)
    scale, u = taste
    if scale > 0.0:
        with np.errstate(over="ignore"):
            group = ok & (u < 1.0 / (1.0 + np.exp(-(u_g - u_i) / scale)))
    else:
        group = ok & (u_g > u_i)
    return group, np.where(group, e_g, e_i), np.where(group, gs, 1.0)


def money_weight(terms: PaymentTerms, sc: Scenario, within) -> np.ndarray:
    """The share of an hour's cost the provider bears (ODD 7.6.2).

    Under a fixed sum the provider keeps ``keep_share`` of what it does not spend while
    it expects its year's income to cover its cost, and bears the whole cost once it
    expects a deficit; ``within`` (0-1, :func:`care.covered`) is how sure it is of the
    first, and the weight moves linearly between the two.
    """
    within = np.asarray(within, dtype=float)
    if terms.annual_fixed <= 0:
        return np.ones(within.shape)
    return within * terms.keep_share + (1.0 - within)


def loss_weight(sc: Scenario, within) -> np.ndarray:
    """How much the provider's money counts (ODD 7.6.2): 1 while it expects to cover its
    cost, ``loss_aversion`` once it expects a deficit for the year, linearly in between
    in ``within`` (0-1, :func:`care.covered`), under every model."""
    within = np.asarray(within, dtype=float)
    return within + (1.0 - within) * sc.loss_aversion


def net_money(terms: PaymentTerms, sc: Scenario, within, cost_ind, transport_per_hour):
    """Net money per client-hour as the provider weighs it: ``mu_ind, mu_grp`` (ODD 7.6.2).

    :func:`marginal_money` with the cost share of :func:`money_weight`, times
    :func:`loss_weight`. Elementwise over providers or clients.
    """
    mu_ind, mu_grp = marginal_money(terms, sc, money_weight(terms, sc, within), cost_ind, transport_per_hour)
    loss = loss_weight(sc, within)
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


def kpi_value_per_hour(terms: PaymentTerms, prov: Providers, fixed_factor: float = 1.0) -> np.ndarray:
    """ODD 7.6.2: the expected KPI penalty avoided per hour of care, per provider.

    The penalty at stake (on the fixed sum as rebased, ``fixed_factor``, 7.10.6), spread
    over a year at current staff capacity, times the KPI pressure of
    :func:`year_end.kpi_pressure` (0 where the terms have no KPI penalty).
    """
    if not terms.kpi_penalty_share:
        return np.zeros(len(prov))
    at_stake = terms.kpi_penalty_share * terms.annual_fixed * fixed_factor * prov.share
    hours = np.maximum(prov.capacity * 52.0, 1.0)
    return prov.kpi_pressure * at_stake / hours
