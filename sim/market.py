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
    ``transfer_weeks`` for a new owner and get no formal care meanwhile. A municipality
    with a buffer (7.10.2) large enough rescues the provider by paying its deficit.
    Writes: ``prov.bankrupt``, ``prov.capacity``; the clients' ``res.state``,
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


def replace_bankrupt(m: CareModel) -> None:
    """ODD 7.10.4 'Replacement': a new provider takes over the contract of a bankrupt
    one, with the largest capacity among the live providers (the starting capacity when
    none is left)."""
    prov = m.prov
    for i in indices(prov.bankrupt).tolist():
        live = prov.capacity[prov.alive]
        m.replace_provider(i, float(live.max()) if live.size else m.start_capacity)
