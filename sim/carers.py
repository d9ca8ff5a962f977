"""Informal carers (ODD 7.5 'Informal capacity', 7.8 'Carer burden').

Each carer cares for one resident; their columns are ``m.car`` (``state.Carers``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from .model import CareModel


def carer_capacity(m: CareModel) -> np.ndarray:
    """ODD 7.5 'Informal capacity': hours each resident's carers can give this week.

    Overburdened carers give ``overburden_give_share`` of their hours. Writes:
    ``car.cap``. Returns hours per resident slot.
    """
    car = m.car
    car.cap = carer_hours_available(m)
    return np.bincount(car.slot, weights=car.cap, minlength=m.res.active.size)


def carer_hours_available(m: CareModel) -> np.ndarray:
    """ODD 7.5: each carer's hours this week: capacity, times ``overburden_give_share``
    when overburdened."""
    car = m.car
    return car.cap0 * np.where(car.over, m.params.overburden_give_share, 1.0) * car.active


def carer_burden(m: CareModel) -> None:
    """ODD 7.8 'Carer burden': burden is the moving average of hours over tolerance, over
    ``burden_memory_weeks``.

    Hours given to a client with network support weigh ``1 - carer_support_relief``. A
    carer whose burden exceeds 1 is overburdened: they give less (7.5) and stop caring with
    chance ``carer_dropout_per_week`` a week; their hours then return to the client's need.
    Writes: ``car.burden``, ``car.over``, ``car.active``.
    """
    p, car = m.params, m.car
    relief = np.where(m.res.networked[car.slot], 1.0 - p.carer_support_relief, 1.0)
    car.burden += (car.given * relief / car.tol - car.burden) / p.burden_memory_weeks
    car.over = car.burden > 1.0
    drop = car.over & car.active & (m.rng.random(car.over.size) < p.carer_dropout_per_week)
    car.active &= ~drop
