"""The town at the start of a run (ODD 5 'Initialisation').

Each function builds one part of the town from the scenario and the model's generator
and returns it; ``CareModel._setup`` calls them in the order of ODD 5, which is the
order of the random draws (the same under every funding model up to the contracts).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from scipy.stats import beta

from . import access
from .columns import indices
from .contracts import neighbourhood_distances, transport_per_client_hour
from .params import MAX_ALTRUISM_VARIANCE_SHARE
from .state import Carers, Providers, Residents

if TYPE_CHECKING:
    from .network import Layout
    from .params import Scenario


def residents(p: Scenario, lay: Layout, rng: np.random.Generator) -> tuple[Residents, np.ndarray]:
    """ODD 5.1 'Town and residents', 5.2 'Clients at the start'.

    Risk (district risk times a lognormal individual factor of mean 1), asking, the
    benefit of group care (:func:`group_benefit`), the unobserved taste of the modality
    choice (ODD 7.6.3), kind of need and transport cost of each resident; then the residents
    whose episode is open at the start: the clients who came over in 2015, more where
    risk is higher. Returns the table and those residents' slots.
    """
    n = lay.n_residents
    res = Residents.allocate(n, slot=np.arange(n), district=lay.district[:n].copy())
    district_risk = rng.lognormal(0.0, p.district_risk_spread, p.districts)
    district_risk /= district_risk.mean()
    s = p.risk_spread
    res.risk = rng.lognormal(-(s**2) / 2, s, n) * district_risk[res.district]
    res.asker = rng.random(n) >= p.non_asker_share
    res.group_benefit = group_benefit(p.group_benefit_mean, p.group_benefit_sd, n, rng)
    res.modality_taste = rng.random(n)
    res.ctype = rng.integers(0, p.provider_types, n)
    res.transport_h = transport_per_client_hour(p, neighbourhood_distances(p, rng), lay.neighbourhood[:n])
    target = p.baseline_clients_per_1000 * p.population / 1000.0
    q = target / (n * max(1e-9, 1.0 - p.non_asker_share)) * res.risk / res.risk.mean()
    return res, indices(rng.random(n) < np.minimum(q, 1.0))


def district_weight(p: Scenario, res: Residents, start: np.ndarray) -> np.ndarray:
    """ODD 5.3: the weight of each district's budget: the mapped caseload of 2015 (at
    least 1) when ``risk_adjusted_budget``, else the head count of at-risk residents."""
    heads = np.bincount(res.district, minlength=p.districts).astype(float)
    mapped = np.bincount(res.district[start], minlength=p.districts).astype(float)
    return np.maximum(mapped, 1.0) if p.risk_adjusted_budget else heads


def carers(p: Scenario, lay: Layout, rng: np.random.Generator) -> Carers:
    """ODD 5.4 (1) 'Carers': capacity and tolerance, lognormal with means ``carer_hours``
    and ``carer_tolerance_hours`` and log-sds ``carer_hours_spread`` and
    ``carer_tolerance_spread``; active, burden 0."""
    k, s_cap, s_tol = lay.n_carers, p.carer_hours_spread, p.carer_tolerance_spread
    return Carers.allocate(
        k,
        slot=lay.carer_of,
        cap0=rng.lognormal(np.log(p.carer_hours) - s_cap**2 / 2, s_cap, k),
        tol=rng.lognormal(np.log(p.carer_tolerance_hours) - s_tol**2 / 2, s_tol, k),
    )


def budget(m, askers: np.ndarray) -> tuple[float, float]:
    """ODD 5.3 'The budget': what the town spent on the clients it took over in 2015.

    The hours the assessment indicates to the askers in care at the start (their formal
    need, ``access.indication``) at ``hourly_price_eur`` for 52 weeks; a declared
    ``lump_sum_eur`` is the budget instead. Returns the budget (EUR/year) and the
    indicated hours a week, which size the providers' starting staff (:func:`providers`).
    """
    p = m.params
    hours = float(access.indication(m, askers).sum())
    declared = p["lump_sum_eur"]
    return (float(declared) if declared is not None else 52.0 * p.hourly_price_eur * hours), hours


def providers(p: Scenario, money_share: np.ndarray, budget: float, hours: float, rng: np.random.Generator) -> Providers:
    """ODD 5.4 (3) 'Providers': altruism (:func:`altruism`), the starting capacity (the
    ``hours`` a week indicated at the start plus ``staff_headroom``, shared equally) and
    reserves (``reserves_share`` of the ``budget``, shared equally), and the contracted
    shares."""
    n = p.providers
    alpha = altruism(p.provider_altruism, p.provider_altruism_sd, n, rng)
    capacity = max(hours, 1.0) * (1.0 + p.staff_headroom) / n
    reserves = p.reserves_share * budget / n
    return Providers.allocate(
        n,
        altruism=alpha.astype(float),
        share=money_share.astype(float),
        capacity=np.full(n, float(capacity)),
        reserves=np.full(n, float(reserves)),
        start_reserves=np.full(n, float(reserves)),
    )


def group_benefit(mean: float, sd: float, n: int, rng: np.random.Generator) -> np.ndarray:
    """ODD 5.1: each resident's benefit of a group client-hour against an individual
    hour, Beta with mean ``group_benefit_mean`` and sd ``group_benefit_sd`` (constant
    when the sd is 0 or the mean 0 or 1; ``params.check_together`` refuses an sd a Beta
    cannot have)."""
    u = rng.random(n)  # keeps the stream aligned whatever the spread
    if sd == 0 or mean <= 0.0 or mean >= 1.0:
        return np.full(n, float(mean))
    k = mean * (1 - mean) / sd**2 - 1
    return beta.ppf(u, mean * k, (1 - mean) * k)


def altruism(mean: float, sd: float, n: int, rng: np.random.Generator) -> np.ndarray:
    """ODD 5.4 (3): provider altruism, Beta with the given mean and sd; constant when
    sd = 0. A mean of 0 or 1 allows no spread, and the variance may be at most
    ``MAX_ALTRUISM_VARIANCE_SHARE`` of ``mean * (1 - mean)`` (the scenario loader refuses
    other pairs, ``params.check_together``)."""
    if sd == 0:
        rng.random(n)  # keep the stream aligned whatever the spread
        return np.full(n, float(mean))
    var = sd**2
    if var > MAX_ALTRUISM_VARIANCE_SHARE * mean * (1 - mean):
        raise ValueError(f"altruism sd {sd:g} is too large for a Beta distribution with mean {mean:g}")
    k = mean * (1 - mean) / var - 1
    return rng.beta(mean * k, (1 - mean) * k, n)
