"""Providers leave and are replaced (ODD 7.10.3 'Bankruptcy and transfer', 7.10.4
'Replacement', 7.10.5 'Handover').

A provider whose reserves run out goes bankrupt unless the municipal buffer rescues it;
its clients wait, then get a new owner; a new provider takes the contract over
(``CareModel.replace_provider``). A client handed to a new provider may be lost.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from . import access
from .columns import indices
from .state import HIDDEN, IN_CARE, TRANSFER

if TYPE_CHECKING:
    from .model import CareModel


def bankruptcy(m: CareModel) -> None:
    """ODD 7.10.3 'Bankruptcy': a provider with negative reserves stops; its clients wait
    ``transfer_weeks`` for a new owner and get no formal care meanwhile; its contract is
    vacant for ``retender_weeks`` (:func:`retender`). A municipality with a buffer
    (7.10.2) large enough rescues the provider by paying its deficit.
    Writes: ``prov.bankrupt``, ``prov.capacity``, ``prov.vacant_left``; the clients' ``res.state``,
    ``res.owner``, ``res.reassess``, ``res.transfer_left``."""
    res, muni, prov = m.res, m.municipality, m.prov
    for i in indices(~prov.bankrupt & (prov.reserves < 0)).tolist():  # a rescue changes only row i
        deficit = -prov.reserves[i]
        if muni.buffer >= deficit:
            rescue = np.zeros(len(prov))
            rescue[i] = deficit
            muni.buffer -= deficit
            muni.pay(rescue)
            m.tally.rescues += 1
            continue
        prov.bankrupt[i] = True
        prov.capacity[i] = 0.0
        prov.vacant_left[i] = m.params.retender_weeks
        m.tally.bankruptcies += 1
        mine = indices((res.owner == i) & np.isin(res.state, (IN_CARE, TRANSFER)))
        res.state[mine] = TRANSFER
        res.owner[mine] = -1
        res.reassess[mine] = False
        res.transfer_left[mine] = m.params.transfer_weeks


def transfers(m: CareModel) -> None:
    """ODD 7.10.3 'Transfer': clients of a bankrupt provider wait, then get a new owner.

    A client whose provider went bankrupt misses ``transfer_weeks`` weeks of formal care
    (0: taken over the next week). The new owner takes them over by :func:`handover`.
    Writes: ``res.transfer_left``, ``res.state``, ``res.owner``."""
    res = m.res
    t = indices(res.state == TRANSFER)
    if t.size == 0:
        return
    done = t[res.transfer_left[t] <= 0]
    res.transfer_left[t] -= 1
    if done.size and m.prov.alive.any():
        res.state[done] = IN_CARE
        res.owner[done] = access.draw_owners(m, done)
        handover(m, done)


def handover(m: CareModel, idx: np.ndarray) -> None:
    """ODD 7.10.5 'Handover': clients ``idx`` change provider.

    Without a ``case_owner`` each is lost with chance ``handover_loss``: they drop out
    of care and are hidden until found again (network, GP or outreach).
    Writes: the lost clients' ``res.state``, ``res.owner``, ``res.reassess``,
    ``res.lost``."""
    m.tally.handovers += idx.size
    if idx.size == 0 or m.params.case_owner:
        return
    lost = idx[m.rng.random(idx.size) < m.params.handover_loss]
    if lost.size:
        res = m.res
        res.state[lost] = HIDDEN
        res.owner[lost] = -1
        res.reassess[lost] = False
        res.lost[lost] = True
        m.tally.lost_clients += lost.size


def retender(m: CareModel) -> None:
    """ODD 7.10.4 'Replacement': a bankrupt provider's contract is tendered again.

    It stays vacant ``retender_weeks``; then a new provider takes it up with the mean
    capacity of the live providers (the starting capacity when none is left) and the
    starting reserves, which its owners bring in (``CareModel.replace_provider``). The
    emergency tender costs the municipality ``tender_cost_eur``.
    Writes: ``prov.vacant_left``; a new provider."""
    prov = m.prov
    if not prov.bankrupt.any():
        return
    prov.vacant_left[prov.bankrupt] -= 1
    for i in indices(prov.bankrupt & (prov.vacant_left < 0)).tolist():
        live = prov.capacity[prov.alive]
        m.replace_provider(i, float(live.mean()) if live.size else m.start_capacity)
        m.municipality.book_admin(m.params.tender_cost_eur)
