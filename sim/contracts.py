"""Who is contracted for what (ODD 5 'Initialisation', 7.4.4 'Owner assignment').

The municipality's contracts decide which providers may take which clients and how a
fixed sum is split: consortium shares (Alphen), main contractors per district with a
cap on districts (Lelystad), provider expertise (Zaltbommel). Geography decides the
transport cost of group activities (Alphen). Which contract structure a funding model
uses is its own choice (``FundingModel.contracts`` in ``sim/funding.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from .params import Scenario


@dataclass
class Contracts:
    """Contract structure over providers ``P`` and districts ``D``."""

    money_share: np.ndarray  # (P,) share of any fixed sum
    client_share: np.ndarray  # (P,) weight when clients are assigned
    serves: np.ndarray  # (P, D) bool: may take clients of the district
    ptype: np.ndarray  # (P,) expertise
    cost_factor: np.ndarray  # (P,) cost of an hour against own staff (subcontracting)
    strength: np.ndarray  # (P,) tender strength, U(0, 1)


def consortium(sc: Scenario, rng) -> Contracts:
    """ODD 5.3 'Contracts': a consortium, the contract of every funding model but the
    population budget.

    Every provider serves every district and takes clients with an equal share; a fixed
    sum is split by historic shares, lognormal with coefficient of variation
    ``historic_share_spread`` (0: equal). Expertise is ``index mod provider_types``. The
    tender strengths are drawn here too, under every funding model, so that a seed
    gives the same town under each (:func:`district_lots` uses them).
    """
    n_p, n_d = sc.providers, sc.districts
    spread = sc.historic_share_spread
    sigma = np.sqrt(np.log1p(spread**2))
    historic = rng.lognormal(-(sigma**2) / 2, sigma, n_p)
    strength = rng.random(n_p)
    return Contracts(
        money_share=historic / historic.sum(),
        client_share=np.full(n_p, 1.0 / n_p),
        serves=np.ones((n_p, n_d), dtype=bool),
        ptype=np.arange(n_p) % sc.provider_types,
        cost_factor=np.ones(n_p),
        strength=strength,
    )


def district_lots(sc: Scenario, c: Contracts, district_weight: np.ndarray, rng) -> Contracts:
    """ODD 5.3 'Contracts': main contractors per district (the population budget).

    Each district has ``ceil(P / D)`` main-contractor lots, won in order of each
    contractor's bid (its tender strength plus ``district_bid_spread`` times a uniform
    district-specific part), where no
    contractor may hold more than ``max_districts_per_contractor`` districts, and a
    contractor left without a lot takes an extra lot in the district where it bid best; a
    district's budget follows ``district_weight`` (the mapped caseload when
    ``risk_adjusted_budget``, else the head count) and is split equally among its
    contractors, who buy ``subcontract_share`` of their hours at ``1 +
    subcontract_markup`` times their cost. Changes ``c`` and returns it.
    """
    n_p, n_d = sc.providers, sc.districts
    serves = c.serves
    serves[:] = False
    lots = max(1, -(-n_p // n_d))  # main-contractor lots per district
    load = np.zeros(n_p, dtype=int)
    bids = c.strength[:, None] + sc.district_bid_spread * rng.random((n_p, n_d))
    for d in range(n_d):
        order = np.argsort(-bids[:, d], kind="stable")
        for _ in range(lots):
            free = [i for i in order if load[i] < sc.max_districts_per_contractor and not serves[i, d]]
            if free:
                serves[free[0], d] = True
                load[free[0]] += 1
        if not serves[:, d].any():  # the cap leaves a district unserved: the best bid takes it
            serves[order[0], d] = True
    for i in np.flatnonzero(load == 0):  # every main contractor holds a contract
        d = int(np.argmax(bids[i]))
        serves[i, d] = True
        load[i] += 1
    budget_d = district_weight / district_weight.sum()
    c.money_share = (serves * (budget_d / np.maximum(serves.sum(axis=0), 1))).sum(axis=1)
    c.cost_factor[:] = 1.0 + sc.subcontract_share * sc.subcontract_markup
    return c


def transport_per_client_hour(sc: Scenario, nbhd_distance: np.ndarray, nbhd: np.ndarray) -> np.ndarray:
    """ODD 7.6.3: transport cost per group client-hour for each resident.

    A day activity is a return trip of ``2 * d`` km at ``transport_eur_per_km``, over
    ``day_activity_hours``; ``d`` is ``local_activity_km`` when activities are local, else the distance
    from the resident's neighbourhood to the town centre.
    """
    d = np.full(nbhd.size, sc.local_activity_km) if sc.group_activities_local else nbhd_distance[nbhd]
    return 2.0 * d * sc.transport_eur_per_km / sc.day_activity_hours


def neighbourhood_distances(sc: Scenario, rng) -> np.ndarray:
    """ODD 5.3: distance (km) from each neighbourhood to the town centre, for a
    neighbourhood placed uniformly at random in a disc of radius ``town_radius_km``."""
    n_d, n_n = sc.districts, sc.neighbourhoods_per_district
    radius = sc.town_radius_km * np.sqrt(rng.random(n_d * n_n))
    return radius
