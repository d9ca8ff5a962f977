"""Funding effects come from the provider decision rule and vanish when their cause goes.

Every test runs the ``default`` town over the same 10 seeds for each arm (common random
numbers), so per-seed differences are not seed noise. The seeds are fixed, so these
tests are deterministic; the thresholds leave room for small model changes and are
explained next to each assert.
"""

import numpy as np
import pytest
from conftest import ensemble, paired

from sim.mechanisms import FULL_ALTRUISM, of_test, zero_margin

pytestmark = pytest.mark.slow

FFS, LS = "fee_for_service", "lump_sum"
ZERO_MARGIN = zero_margin()  # price = cost per (client-)hour


def med(runs, key):
    return float(np.median([r[key] for r in runs]))


def test_fee_for_service_gives_more_formal_hours_than_lump_sum():
    d = paired(ensemble(funding=FFS), ensemble(funding=LS), "formal_hours_per_client_week")
    # the effect is about 1 h/client-week; 0.3 h on every seed is a clear, robust margin
    assert min(d) > 0.3, f"expected FFS - LS formal hours > 0.3 h on every seed, got {np.round(d, 2)}"


def test_zero_margin_removes_fee_for_service_over_provision():
    base, zero = ensemble(funding=FFS), ensemble(funding=FFS, **ZERO_MARGIN)
    # with a margin of EUR 8/h the rule gives ~1.09x the client optimum where the caps
    # allow; the realised ratio is above 1 by more than 1%
    assert med(base, "formal_to_optimum_ratio") > 1.01, "expected FFS to give more than the client optimum"
    # at zero margin the rule gives exactly the optimum; rationing and entitlement lag
    # can only push the realised ratio below 1, never above (0.5% for rounding)
    assert med(zero, "formal_to_optimum_ratio") < 1.005, "expected no over-provision at zero margin"
    # hours delivered above the client's whole need: present with a margin, gone at zero
    over = [r["overprovided_share"] for r in base]
    assert min(over) > 0.005, f"expected FFS hours above need on every seed, got {np.round(over, 3)}"
    assert max(r["overprovided_share"] for r in zero) < 1e-9, "expected no hours above need at zero margin"


def test_full_altruism_closes_the_gap_between_funding_models():
    key = "effective_formal_hours_per_client_week"  # individual-hour equivalents: what the client gets (7.6.3)
    gap = paired(ensemble(funding=FFS), ensemble(funding=LS), key)
    gap1 = paired(ensemble(funding=FFS, **FULL_ALTRUISM), ensemble(funding=LS, **FULL_ALTRUISM), key)
    # both models give the client optimum at altruism 1; what is left comes from access
    # (waiting clients) and entitlement lag, well under a quarter of the default gap
    assert abs(np.median(gap1)) < 0.25 * np.median(gap), (
        f"expected the FFS-LS gap to shrink from {np.median(gap):.2f} to under a quarter, got {np.median(gap1):.2f}"
    )
    # a fully altruistic provider spends what its clients need; with a sum that covers it
    # (5 times the town's budget, never rebased) that is the client optimum. With the
    # default sum it runs out of money and goes bankrupt instead (ODD 7.6.2 'Solvency').
    ample = {"lump_sum_eur": 6e6, "rebase_weight": 0.0}
    ls1 = ensemble(funding=LS, **FULL_ALTRUISM, **ample)
    assert med(ls1, "formal_to_optimum_ratio") > 0.97, "an altruistic lump-sum provider gives the client optimum"
    assert med(ensemble(funding=LS), "formal_to_optimum_ratio") < 0.9, "a default lump-sum provider under-provides"


def test_fee_for_service_waits_longer_because_of_the_assessment_queue():
    # the arms of the case mechanism 'no assessment queue under the lump sum' (sim/mechanisms.py), 10 years
    (m,) = of_test("test_incentives.py::test_fee_for_service_waits_longer_because_of_the_assessment_queue")
    d = paired(ensemble(**m.arm("off", years=None)), ensemble(**m.arm("on", years=None)), m.metric)
    # the queue plus a 2-week decision gives 5-10 weeks; 3 weeks on every seed is robust
    assert min(d) > 3.0, f"expected FFS to wait > 3 weeks longer on every seed, got {np.round(d, 2)}"
    d0 = paired(ensemble(**m.arm("limit_on", years=None)), ensemble(**m.arm("limit_off", years=None)), m.metric)
    # without the queue both admit in the week of asking; only a week lost to a bankrupt
    # or refused intake could separate them, so half a week is the tolerance
    assert max(np.abs(d0)) < 0.5, f"without the queue the wait difference must vanish, got {np.round(d0, 2)}"


@pytest.mark.parametrize("funding", [FFS, LS])
def test_outreach_lowers_unreached_share(funding):
    d = paired(ensemble(funding=funding), ensemble(funding=funding, outreach=True), "unreached_share")
    # the team finds ~0.5 non-askers a week in a town of 20,000; under FFS providers
    # already do some outreach themselves, so the effect is smaller but still > 1 point
    assert min(d) > 0.01, f"expected outreach to lower unreached share on every seed, got {np.round(d, 3)}"


def test_outreach_without_hours_changes_nothing():
    off = ensemble(funding=LS)
    empty = ensemble(funding=LS, outreach=True, outreach_hours_per_10k=0.0)
    assert off == empty, "an outreach team with no hours must leave every result unchanged"


def test_need_growth_raises_fee_for_service_spend_only():
    g0, g6 = ({"need_growth_per_year": g} for g in (0.0, 0.06))
    ffs = [
        b["spend_eur"] / a["spend_eur"] - 1
        for a, b in zip(ensemble(funding=FFS, **g0), ensemble(funding=FFS, **g6), strict=True)
    ]
    fixed = {"rebase_weight": 0.0}  # a lump sum that is never rebased (7.10.6)
    ls = [
        b["spend_eur"] / a["spend_eur"] - 1
        for a, b in zip(ensemble(funding=LS, **g0, **fixed), ensemble(funding=LS, **g6, **fixed), strict=True)
    ]
    # 6%/yr more need over 10 years raises paid hours by ~10-25%; 3% on every seed is robust
    assert min(ffs) > 0.03, f"expected FFS spend to rise > 3% on every seed, got {np.round(ffs, 3)}"
    # a lump sum that is not rebased is fixed; only the KPI penalty (3% of a provider's
    # share, some years) can move it, so it stays within 2% (with rebasing it follows cost)
    assert max(np.abs(ls)) < 0.02, f"expected lump-sum spend to stay within 2%, got {np.round(ls, 3)}"
