"""Need: how it starts, changes and ends (ODD 7.1 'Onset', 7.2 'Need dynamics', 7.3 'Exits').

Each rule takes the model and works on the resident columns ``m.res``; a starting or
ending episode creates or removes its Client agent through the model's life cycle
(``CareModel.start_episodes``, ``CareModel.end_episodes``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .columns import clip, indices
from .state import APPLYING, DIED, ESCALATED, HIDDEN, RECOVERED, SR_MAX, SR_MIN
from .supply import effective_formal

if TYPE_CHECKING:
    from .model import CareModel


def need_hours(scale, sr):
    """ODD 7.1-7.2: need, hours a week: ``scale`` at self-reliance 1, none at 5,
    ``scale * (5 - sr) / 4``."""
    return scale * (SR_MAX - sr) / (SR_MAX - SR_MIN)


def weekly(rate_per_year):
    """ODD 2.7: the chance per week of an event with the given yearly rate."""
    return 1.0 - np.exp(-np.asarray(rate_per_year) / 52.0)


def onset(m: CareModel) -> np.ndarray:
    """ODD 7.1 'Onset': at-risk residents without a need may develop one.

    The weekly chance grows with ``need_growth_per_year`` (ageing); so does the need
    scale of new episodes. Askers apply at once; non-askers stay hidden, except that
    the funding model's ``entry.walk_in_share`` of them walk in (``walk_in_share`` where
    ``walk_in`` access exists and no assessment is the way in, else 0).
    ``protected_living_share`` of new clients are in protected living (7.3).
    Writes: new episodes (``CareModel.start_episodes``), ``res.pl``, and ``res.state``,
    ``res.reached`` of walk-ins. Returns the new clients' slots.
    """
    p, res = m.params, m.res
    growth = (1.0 + p.need_growth_per_year) ** (m.week / 52.0)
    free = ~res.active
    new = free & (m.rng.random(res.active.size) < weekly(p.onset_per_year * res.risk * growth))
    idx = indices(new)
    if idx.size:
        m.start_episodes(idx, growth)
        u = m.rng.random((2, idx.size))
        res.pl[idx] = u[0] < p.protected_living_share
        walk = idx[(res.state[idx] == HIDDEN) & (u[1] < m.funding.entry.walk_in_share)]
        res.state[walk] = APPLYING
        res.reached[walk] = True
    return idx


def need_dynamics(m: CareModel) -> None:
    """ODD 7.2 'Need dynamics': self-reliance moves with met need; need follows it.

    A week with all need met raises self-reliance by ``recovery_per_week``, a week with
    none met lowers it by ``deterioration_per_week``; a random shock is added. A client
    whose owner's expertise does not fit recovers at ``mismatch_recovery_factor`` of the
    rate, and care beyond need slows recovery (:func:`dependence`). Need is
    ``scale * (5 - self_reliance) / 4`` hours a week (:func:`need_hours`); the unmet share's moving
    average over ``unmet_memory_weeks`` drives escalation (7.3).
    Writes: ``res.sr``, ``res.need``, ``res.unmet_ema``.
    """
    p, res = m.params, m.res
    a = indices(res.active)
    if a.size == 0:
        return
    need = res.need[a]
    met = np.where(need > 0, 1.0 - res.unmet[a] / np.maximum(need, 1e-12), 1.0)
    shock = m.rng.normal(0.0, p.self_reliance_noise, a.size)
    owner = res.owner[a]
    misfit = (owner >= 0) & (m.contracts.ptype[np.maximum(owner, 0)] != res.ctype[a])
    recovery = p.recovery_per_week * np.where(misfit, p.mismatch_recovery_factor, 1.0) * dependence(m, a)
    sr = res.sr[a] + recovery * met - p.deterioration_per_week * (1.0 - met) + shock
    res.sr[a] = clip(sr, SR_MIN, SR_MAX)
    res.need[a] = need_hours(res.scale[a], res.sr[a])
    res.unmet_ema[a] += (1.0 - met - res.unmet_ema[a]) / p.unmet_memory_weeks


def dependence(m: CareModel, a: np.ndarray) -> np.ndarray:
    """ODD 7.2 'Learned dependence': the factor on recovery of residents ``a`` from last
    week's care beyond need: ``max(0, 1 - learned_dependence * excess / need)``, with
    ``excess`` the formal hours (individual-hour equivalents) above what need left after
    informal help. 1 without over-provision, and everywhere at ``learned_dependence = 0``."""
    res = m.res
    ld = m.params.learned_dependence
    if ld == 0:
        return np.ones(a.size)
    excess = np.maximum(effective_formal(res)[a] - res.formal_met[a], 0.0)
    return np.maximum(0.0, 1.0 - ld * excess / np.maximum(res.need[a], 1e-9))


def exits(m: CareModel) -> None:
    """ODD 7.3 'Exits': recovery, death and escalation end an episode.

    Recovery when self-reliance reaches ``recovery_self_reliance``; a client in
    protected living can leave only to a free home: ``housing_per_year_per_10k`` homes
    come free a year (Poisson each week), and the others stay, blocked. Escalation to
    residential or specialist care has a yearly rate ``escalation_per_year`` multiplied by
    ``1 + escalation_unmet_factor * recent unmet share``: this is where prevention pays.
    Writes: ``res.blocked_weeks``, ``res.escalated``; ends episodes
    (``CareModel.end_episodes``).
    """
    p, res = m.params, m.res
    a = indices(res.active)
    homes = m.rng.poisson(p.housing_per_year_per_10k * p.population / 1e4 / 52.0)
    if a.size == 0:
        return
    u = m.rng.random((2, a.size))
    recovered = res.sr[a] >= p.recovery_self_reliance
    waiting_home = indices(recovered & res.pl[a])
    if waiting_home.size > homes:
        stay = m.rng.permutation(waiting_home)[homes:]
        recovered[stay] = False
        res.blocked_weeks[a[stay]] += 1
    died = ~recovered & (u[0] < weekly(p.mortality_per_year))
    esc_rate = p.escalation_per_year * (1.0 + p.escalation_unmet_factor * res.unmet_ema[a])
    escalated = ~recovered & ~died & (u[1] < weekly(esc_rate))
    if escalated.any():
        res.escalated[a[escalated]] = True
    for mask, how in ((recovered, RECOVERED), (died, DIED), (escalated, ESCALATED)):
        if mask.any():
            m.end_episodes(a[mask], how)
