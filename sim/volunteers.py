"""Care volunteers: retention, training and recruitment (ODD 7.9.1).

Their columns are ``m.vol`` (``state.Volunteers``); a volunteer joins and leaves
through the model's life cycle (``CareModel.add_volunteer``,
``CareModel.retire_volunteers``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .columns import indices
from .need import weekly

if TYPE_CHECKING:
    from .model import CareModel


def volunteer_turnover(m: CareModel) -> None:
    """ODD 7.9.1 'Volunteer retention': volunteers leave at rate 1/``volunteer_years``."""
    va = indices(m.vol.active)
    leave = va[m.rng.random(va.size) < weekly(1.0 / m.params.volunteer_years)]
    if leave.size:
        m.retire_volunteers(leave)


def volunteer_training(m: CareModel) -> None:
    """ODD 7.9.1 'Volunteer training': the municipality trains care volunteers with
    ``volunteer_training_eur_per_10k`` a year plus last year's innovation budget (7.10.2),
    at ``volunteer_training_cost_eur`` each: a Poisson number a week, in random districts.
    Writes: new volunteers; books the cost as other spend."""
    p = m.params
    n = int(m.rng.poisson(m.municipality.training_budget / p.volunteer_training_cost_eur / 52.0))
    if n:
        m.municipality.book_other(n * p.volunteer_training_cost_eur)
        recruit_volunteers(m, np.zeros(0, dtype=int), 0.0, n=n)
        m.tally.trained_volunteers += n


def recruit_volunteers(m: CareModel, districts: np.ndarray, rate: float, n: int | None = None) -> None:
    """ODD 7.9.1 'Recruitment': Poisson(``rate``) new volunteers per entry of
    ``districts``, or ``n`` in all in random districts, on free volunteer nodes of the
    district (or of any district when it has none left)."""
    if n is not None:
        counts = [(int(d), 1) for d in m.rng.integers(0, m.params.districts, n)]
    else:
        k = m.rng.poisson(rate, districts.size)
        counts = [(int(d), int(c)) for d, c in zip(districts, k, strict=True) if c]
    for d, c in counts:
        for _ in range(c):
            pool = m.free_vol_nodes[d] or next((v for v in m.free_vol_nodes.values() if v), None)
            if not pool:
                return
            m.add_volunteer(pool.pop(), d)
