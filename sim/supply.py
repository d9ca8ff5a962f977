"""Supply: the hours that meet need this week, and what they add up to (ODD 7.7 'Supply').

Informal hours (less what formal care substitutes for), formal and volunteer hours meet
need in that order; what is left is unmet.
Then each open episode's counters move on, and clients 26 weeks in care get their KPI
measurement (7.10.1).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .columns import indices
from .state import APPLYING, DECIDING, IN_CARE, PGB, SR_MAX, SR_MIN

if TYPE_CHECKING:
    from .model import CareModel

# The definition of an underserved client (a metric, not behaviour: no agent reacts to it).
UNDERSERVED_UNMET = 0.25  # over 25% of need unmet counts as an underserved week
UNDERSERVED_RUN = 4  # weeks in a row


def supply(m: CareModel, carer_hours: np.ndarray) -> None:
    """ODD 7.7 'Supply': informal, formal and volunteer hours meet need; the rest is unmet.

    Carers give up to their capacity what the client needs less the part formal care
    substitutes for (:func:`substitution`); formal care (in individual-hour equivalents,
    :func:`effective_formal`) meets what is left, hours above it being over-provision;
    volunteers serve networked clients in their district, rationed by the district's
    volunteer hours (:func:`volunteer_hours`); what is left is unmet. Need = formal +
    informal + volunteer + unmet. Writes: ``res.formal_met``, ``res.informal``,
    ``res.volunteer``, ``res.unmet``, ``car.given``, ``vol.given``; then
    :func:`count_week` and :func:`measure_kpi`.
    """
    p, res, car = m.params, m.res, m.car
    need = np.where(res.active, res.need, 0.0)
    formal = effective_formal(res)
    informal = np.minimum(carer_hours, np.maximum(need - substitution(m) * formal, 0.0))
    formal_met = np.minimum(formal, need - informal)
    left = need - formal_met - informal
    wants = np.where(res.networked & (res.state == IN_CARE), np.minimum(p.network_support_hours, left), 0.0)
    volunteer = volunteer_hours(m, wants)
    unmet = np.maximum(left - volunteer, 0.0)
    res.formal_met, res.informal, res.volunteer, res.unmet = formal_met, informal, volunteer, unmet
    # carers share the slot's informal hours in proportion to their capacity
    slot_cap = np.bincount(car.slot, weights=car.cap, minlength=need.size)
    car.given = np.where(car.cap > 0, informal[car.slot] * car.cap / np.maximum(slot_cap[car.slot], 1e-12), 0.0)
    count_week(m, need)
    measure_kpi(m)


def effective_formal(res) -> np.ndarray:
    """ODD 7.7, 7.6.3: each resident's formal hours this week in individual-hour
    equivalents: a group client-hour counts ``group_benefit`` of an hour."""
    return np.where(res.group, res.formal * res.group_benefit, res.formal)


def substitution(m: CareModel) -> np.ndarray:
    """ODD 7.7 'Substitution': informal hours one formal hour displaces, per resident.

    ``substitution_max`` at the highest self-reliance (5, the lightest need), falling
    linearly to 0 at the lowest (1): informal care substitutes for paid help at low
    disability and the substitution disappears as disability rises (Bonsang 2009); at
    ``substitution_max = 0`` formal hours leave informal hours unchanged.
    """
    return m.params.substitution_max * (m.res.sr - SR_MIN) / (SR_MAX - SR_MIN)


def volunteer_hours(m: CareModel, wants: np.ndarray) -> np.ndarray:
    """ODD 7.7: the volunteer hours each resident gets of the hours it ``wants``: a
    district's volunteers serve its residents, rationed in proportion when they want
    more than the volunteers have. Writes: ``vol.given``. Returns hours per resident."""
    vol, res = m.vol, m.res
    va = vol.active
    nd = m.params.districts
    cap_d = np.bincount(vol.district[va], weights=vol.hours[va], minlength=nd)
    want_d = np.bincount(res.district, weights=wants, minlength=nd)
    share_d = np.where(want_d > 0, np.minimum(1.0, cap_d / np.maximum(want_d, 1e-12)), 0.0)
    vol.given[:] = np.where(va, vol.hours * np.minimum(1.0, want_d / np.maximum(cap_d, 1e-12))[vol.district], 0.0)
    return wants * share_d[res.district]


def count_week(m: CareModel, need: np.ndarray) -> None:
    """ODD 7.7: the week's counters of every open episode: the underserved runs (a week
    with over ``UNDERSERVED_UNMET`` of need unmet; ``UNDERSERVED_RUN`` in a row makes the
    client underserved: in all, while in care, and while waiting), the episode totals of
    hours by source, weeks with a need, weeks waiting; and the recovered
    protected-living clients without a home (7.3).
    Writes: ``res.under_run*``, ``res.under_*ever``, ``res.c_*``, ``res.weeks``,
    ``res.wait``, ``week.blocked``."""
    p, res = m.params, m.res
    a = res.active
    under = a & (res.unmet > UNDERSERVED_UNMET * need)
    in_care = (res.state == IN_CARE) | (res.state == PGB)
    waiting = (res.state >= APPLYING) & (res.state <= DECIDING)  # applying, queued, deciding
    res.under_run = np.where(under, res.under_run + 1, 0)
    res.under_ever |= res.under_run >= UNDERSERVED_RUN
    res.under_run_care = np.where(under & in_care, res.under_run_care + 1, 0)
    res.under_care_ever |= res.under_run_care >= UNDERSERVED_RUN
    res.under_run_wait = np.where(under & waiting, res.under_run_wait + 1, 0)
    res.under_wait_ever |= res.under_run_wait >= UNDERSERVED_RUN
    res.c_formal += res.formal
    res.c_informal += res.informal
    res.c_volunteer += res.volunteer
    res.c_unmet += res.unmet
    res.c_need += need
    res.c_group += np.where(res.group, res.formal, 0.0)
    res.weeks += a
    res.wait += waiting
    m.week_flows.blocked = int(np.count_nonzero(in_care & res.pl & (res.sr >= p.recovery_self_reliance)))


def measure_kpi(m: CareModel) -> None:
    """ODD 7.7, 7.10.1 'KPI measurement', as Alphen measures it: self-reliance at intake
    and after ``kpi_weeks`` in care, each measurement off by a normal error of sd
    ``kpi_measurement_sd``; a client not yet measured is improved or stable when the
    second score is at least the first less ``kpi_stable_tolerance``. The result is
    logged under its owner for the year end. Writes: ``res.kpi``,
    ``municipality.kpi_log``."""
    p, res = m.params, m.res
    due = (res.state == IN_CARE) & (res.kpi < 0) & (m.week - res.care_week >= p.kpi_weeks)
    if due.any():
        i = indices(due)
        error = m.rng.normal(0.0, p.kpi_measurement_sd, (2, i.size))
        res.kpi[i] = res.sr[i] + error[1] >= res.sr_intake[i] + error[0] - p.kpi_stable_tolerance
        m.municipality.kpi_log.append((res.owner[i], res.kpi[i].copy()))
