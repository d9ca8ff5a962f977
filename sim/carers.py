"""Informal carers (ODD 7.5 'Informal capacity', 7.8 'Carer burden').

Each carer cares for one resident; their columns are ``m.car`` (``state.Carers``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .need import EMA_WEEKS

if TYPE_CHECKING:
    from .model import CareModel


def carer_capacity(m: CareModel) -> np.ndarray:
    """ODD 7.5 'Informal capacity': hours each resident's carers can give this week.

    Overburdened carers give 25% less. Writes: ``car.cap``. Returns hours per resident
    slot.
    """
    car = m.car
    car.cap = carer_hours_available(m)
    return np.bincount(car.slot, weights=car.cap, minlength=m.res.active.size)


def carer_hours_available(m: CareModel) -> np.ndarray:
    """ODD 7.5: each carer's hours this week: capacity, less 25% when overburdened."""
    car = m.car
    return car.cap0 * np.where(car.over, 0.75, 1.0) * car.active


def carer_burden(m: CareModel) -> None:
    """ODD 7.8 'Carer burden': burden is the 8-week average of hours over tolerance.

    Hours given to a client with network support weigh ``1 - carer_support_relief``. A
    carer whose burden exceeds 1 is overburdened: they give 25% less and stop caring with
    chance ``carer_dropout_per_week`` a week; their hours then return to the client's need.
    Writes: ``car.burden``, ``car.over``, ``car.active``.
    """
    p, car = m.params, m.car
    relief = np.where(m.res.networked[car.slot], 1.0 - p.carer_support_relief, 1.0)
    car.burden += (car.given * relief / car.tol - car.burden) / EMA_WEEKS
    car.over = car.burden > 1.0
    drop = car.over & car.active & (m.rng.random(car.over.size) < p.carer_dropout_per_week)
    car.active &= ~drop
