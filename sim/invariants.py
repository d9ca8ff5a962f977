"""The identities that hold every week (ODD 7.11 'Invariants').

``CareModel(check_invariants=True)`` runs :func:`check_invariants` after every step; a
failure raises :class:`InvariantError` naming the week and the size of the error.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .columns import indices
from .state import APPLYING, DECIDING, IN_CARE, NONE, QUEUED

if TYPE_CHECKING:
    from .model import CareModel


class InvariantError(AssertionError):
    """An accounting identity of the model failed (ODD 7.11)."""


def _require(ok: bool, message: str) -> None:
    if not ok:
        raise InvariantError(message)


def check_invariants(m: CareModel, tol: float = 1e-6) -> None:
    """ODD 7.11: raise :class:`InvariantError` if an identity fails this week."""
    hours_conserved(m, tol)
    money_balances(m)
    states_agree(m)


def hours_conserved(m: CareModel, tol: float = 1e-6) -> None:
    """ODD 7.11 (1-4): hours are conserved, never negative, within capacity, and given
    equals received."""
    res, car, vol, prov, w = m.res, m.car, m.vol, m.prov, m.week
    a = res.active
    parts = res.formal_met + res.informal + res.volunteer + res.unmet
    gap = np.abs(np.where(a, res.need, 0.0) - parts)
    _require(gap.max(initial=0) <= tol, f"week {w}: need != formal+informal+volunteer+unmet (off by {gap.max():.3g} h)")
    for name in ("need", "formal", "formal_met", "informal", "volunteer", "unmet"):
        _require(getattr(res, name).min(initial=0) >= -tol, f"week {w}: negative {name} hours")
    _require(car.given.min(initial=0) >= -tol, f"week {w}: negative carer hours")
    over_car = (car.given - car.cap).max(initial=0)
    _require(over_car <= tol, f"week {w}: a carer gave {over_car:.3g} h above capacity")
    over_vol = (vol.given - vol.hours).max(initial=0)
    _require(over_vol <= tol, f"week {w}: a volunteer gave {over_vol:.3g} h above capacity")
    _require(
        np.all(prov.staff_hours <= prov.week_capacity + tol),
        f"week {w}: staff hours {prov.staff_hours} exceed capacity {prov.week_capacity}",
    )
    vol_d = np.bincount(res.district, weights=res.volunteer, minlength=m.params.districts)
    given_d = np.bincount(vol.district, weights=vol.given, minlength=m.params.districts)
    _require(np.allclose(vol_d, given_d, atol=1e-6), f"week {w}: volunteer hours given != received")
    inf = np.bincount(car.slot, weights=car.given, minlength=a.size)
    _require(np.allclose(inf, res.informal, atol=1e-6), f"week {w}: carer hours given != received")


def money_balances(m: CareModel) -> None:
    """ODD 7.11 (5-6): money paid equals money received, and every ledger balances."""
    prov, muni, w = m.prov, m.municipality, m.week
    book = prov.start_reserves + prov.received_total - prov.cost_total
    off = indices(np.abs(prov.reserves - book) > 1e-6 * np.maximum(1.0, np.abs(book)))
    _require(
        off.size == 0,
        f"week {w}: provider {off[:1]} reserves {prov.reserves[off[:1]]} differ from its ledger {book[off[:1]]}",
    )
    spend = m.tally.spend_total
    _require(
        abs(spend - (muni.paid_total + muni.other_total)) <= 1e-6 * max(1.0, abs(spend)),
        f"week {w}: weekly spend adds up to {spend:.2f}, payments to {muni.paid_total + muni.other_total:.2f}",
    )
    received = float(prov.received_total.sum()) + m.tally.retired_received
    _require(
        abs(muni.paid_total - received) <= 1e-6 * max(1.0, abs(received)),
        f"week {w}: municipality paid {muni.paid_total:.2f} but providers received {received:.2f}",
    )


def states_agree(m: CareModel) -> None:
    """ODD 7.11 (7): owners, states, episodes and Client agents agree."""
    res, w = m.res, m.week
    st, owner, a = res.state, res.owner, res.active
    alive = m.prov.alive
    in_care = st == IN_CARE
    _require(
        bool(np.all(owner[in_care] >= 0)) and bool(np.all(alive[owner[in_care]])),
        f"week {w}: a client in care has no live owner",
    )
    _require(bool(np.all(owner[~in_care] == -1)), f"week {w}: a client not in care has an owner")
    _require(bool(np.array_equal(a, st != NONE)), f"week {w}: episode flags and states disagree")
    _require(
        len(m.clients) == int(a.sum()),
        f"week {w}: {len(m.clients)} Client agents for {int(a.sum())} residents with a need",
    )
    _require(
        float(res.formal[np.isin(st, (NONE, APPLYING, QUEUED, DECIDING))].sum()) == 0.0,
        f"week {w}: formal hours for a client without an owner all week",
    )
