"""Every mechanism of the municipal cases has an effect, and the effect vanishes when its
cause is switched off (docs/odd.md section 12).

Each test compares arms of the ``default`` town over the same 10 seeds (common random
numbers) for 5 years. Where switching a mechanism off leaves its random draws in place,
the vanishing limit is exact: the summaries are equal, seed by seed.
"""

import itertools

import numpy as np
import pandas as pd
import pytest
from conftest import SEEDS, ensemble, paired

import sim

pytestmark = pytest.mark.slow
Y = {"years": 5}
FFS, LS, OB, PB, SUB, BL = "fee_for_service", "lump_sum", "output_based", "population_budget", "subsidy", "blended"


def med(runs, key):
    return float(np.median([r[key] for r in runs]))


def assert_same(a, b, what):
    assert a == b, f"{what}: expected identical results, seed by seed"


# --- funding models added for the cases ------------------------------------------------
def test_output_based_gives_less_care_than_fee_for_service():
    d = paired(ensemble(funding=FFS, **Y), ensemble(funding=OB, **Y), "formal_hours_per_client_week")
    # a fixed price per period makes every hour a cost; only the category floor holds hours up
    assert min(d) > 0.3, f"expected FFS - output-based formal hours > 0.3 h on every seed, got {np.round(d, 2)}"
    alt = {"provider_altruism": 1.0, "provider_altruism_sd": 0.0}
    d1 = paired(ensemble(funding=FFS, **Y, **alt), ensemble(funding=OB, **Y, **alt), "formal_hours_per_client_week")
    # at altruism 1 both give the client optimum; the floor can only add hours to output-based
    assert np.median(d1) < 0.25 * np.median(d), (
        f"gap must shrink at altruism 1: {np.median(d):.2f} -> {np.median(d1):.2f}"
    )


def test_output_based_cream_skimming_and_its_limit():
    # category prices well below the hours' cost and providers that weigh money heavily
    tight = {"funding": OB, "output_price_share": 0.5, "provider_altruism": 0.3, **Y}
    runs = ensemble(**tight)
    assert min(r["refusals_per_1000_admissions"] for r in runs) > 0, "expected providers to decline some clients"
    r = sim.run("default", rng=SEEDS[0], **tight)
    refused, rest = r.clients[r.clients.refusals > 0], r.clients[(r.clients.refusals == 0) & r.clients.reached]
    # declined clients are the unprofitable ones: in higher need categories, and they wait
    assert refused.category.mean() > rest.category.mean(), "declined clients should be in higher categories"
    # each refusal costs a week and the municipality obliges after 4, so 2+ weeks extra
    assert refused.weeks_waiting.mean() > rest.weeks_waiting.mean() + 2, "declined clients should wait longer"
    off = ensemble(**tight, provider_may_refuse=False)
    assert max(r["refusals_per_1000_admissions"] for r in off) == 0, "with a duty to accept nobody is declined"


def test_population_budget_district_cap_limits_concentration():
    town = {"funding": PB, "districts": 4, "providers": 5, **Y}
    capped, free = ensemble(**town, max_districts_per_contractor=1), ensemble(**town, max_districts_per_contractor=4)
    d = paired(free, capped, "largest_provider_share")
    # without a cap the best bidders win the lots of every district
    # the median gain is ~0.1; a seed whose bids already spread the lots shows little, and
    # diverging trajectories can flip one seed in ten slightly
    assert np.median(d) > 0.05, f"a cap should lower the largest contractor's share, got {np.round(d, 3)}"
    assert_same(free, ensemble(**town, max_districts_per_contractor=50), "a cap above the district count")


def test_subcontracting_markup_costs_care_and_vanishes_at_zero():
    town = {"funding": PB, **Y}
    base, sub = ensemble(**town), ensemble(**town, subcontract_share=1.0, subcontract_markup=1.0)
    d = paired(base, sub, "formal_hours_per_client_week")
    # about 0.1 h less on most seeds; diverging trajectories can flip one seed in ten
    assert np.median(d) > 0.05, f"a dearer subcontracted hour should lower hours, got {np.round(d, 3)}"
    assert_same(base, ensemble(**town, subcontract_share=0.5, subcontract_markup=0.0), "subcontracting at cost")


def test_mid_year_budget_cuts_lower_spend_and_care():
    town = {"funding": PB, "subcontract_share": 0.5, **Y}
    base, cut = ensemble(**town), ensemble(**town, budget_revision_per_year=1.0, budget_revision_size=-0.2)
    assert min(paired(base, cut, "spend_eur")) > 0, "budget cuts should lower spend on every seed"
    no_effect = ensemble(**town, budget_revision_per_year=1.0, budget_revision_size=0.0, reopen_weeks=0)
    assert_same(base, no_effect, "revisions of size 0 without reopening")


def test_risk_adjusted_budgets_follow_need():
    town = {"funding": PB, "districts": 4, "providers": 4, "district_risk_spread": 0.6, **Y}
    d = paired(ensemble(**town, risk_adjusted_budget=False), ensemble(**town), "funding_per_client_cv")
    assert np.median(d) > 0, f"risk adjustment should make money per client more equal, got {np.round(d, 3)}"
    flat = {**town, "district_risk_spread": 0.0}
    d0 = paired(ensemble(**flat, risk_adjusted_budget=False), ensemble(**flat), "funding_per_client_cv")
    # with equal risk the mapped caseload differs from head count only by sampling noise
    assert abs(np.median(d0)) < 0.5 * np.median(d), f"effect should vanish with equal risk: {np.round(d0, 3)}"


def test_blended_endpoints_equal_the_pure_models():
    for s, pure in ((0.0, LS), (1.0, FFS)):
        a = sim.run("default", rng=SEEDS[0], funding=BL, blend_ffs_share=s, years=3)
        b = sim.run("default", rng=SEEDS[0], funding=pure, years=3)
        pd.testing.assert_frame_equal(a.weekly, b.weekly, obj=f"blended at {s} vs {pure}")
        pd.testing.assert_frame_equal(a.clients, b.clients, obj=f"blended at {s} vs {pure} (clients)")


def test_blended_outcomes_are_monotone_in_the_share():
    shares = [0.0, 0.25, 0.5, 0.75, 1.0]
    formal = [med(ensemble(funding=BL, blend_ffs_share=s, **Y), "formal_hours_per_client_week") for s in shares]
    # more of the price per hour: more hours, step by step (medians over 10 seeds)
    assert all(b > a for a, b in itertools.pairwise(formal)), f"formal hours not increasing: {formal}"
    ratio = [med(ensemble(funding=BL, blend_ffs_share=s, **Y), "formal_to_optimum_ratio") for s in shares]
    assert all(b > a for a, b in itertools.pairwise(ratio)), f"deviation not moving monotonically: {ratio}"


# --- Alphen ---------------------------------------------------------------------------------
def test_historic_shares_squeeze_members_and_a_cashier_undoes_it():
    base = ensemble(funding=LS, **Y)
    spread = ensemble(funding=LS, historic_share_spread=0.8, **Y)
    d = paired(spread, base, "funding_per_client_cv")
    # the spread of 0.8 in money shares shows up as a spread of 0.1-0.9 in money per client
    assert min(d) > 0.05, f"historic shares should spread money per client, got {np.round(d, 3)}"
    cashier = ensemble(funding=LS, historic_share_spread=0.8, cashier=True, **Y)
    assert med(cashier, "funding_per_client_cv") < 0.5 * med(spread, "funding_per_client_cv"), (
        "when money follows clients the historic split should stop mattering"
    )


def test_walk_in_lowers_unreached_share():
    base = ensemble(funding=LS, **Y)
    d = paired(base, ensemble(funding=LS, walk_in=True, **Y), "unreached_share")
    # walk-in reaches 3-25 points more non-askers; one seed in ten can be level (seed noise)
    assert np.median(d) > 0.02 and min(d) > -0.01, f"walk-in should reach more non-askers, got {np.round(d, 3)}"
    assert_same(base, ensemble(funding=LS, walk_in=True, walk_in_share=0.0, **Y), "walk-in nobody uses")
    assert_same(ensemble(funding=FFS, **Y), ensemble(funding=FFS, walk_in=True, **Y), "walk-in needs no assessment")


def test_local_group_activities_raise_group_care():
    far = {"funding": LS, "transport_eur_per_km": 10.0, **Y}
    d = paired(ensemble(**far, group_activities_local=True), ensemble(**far), "group_share")
    # 10-15% more group hours; trajectories diverge, so one seed in ten may not show it
    assert np.median(d) > 0.01, f"activities close to home should raise the group share, got {np.round(d, 3)}"
    free = {"funding": LS, "transport_eur_per_km": 0.0, **Y}
    assert_same(ensemble(**free), ensemble(**free, group_activities_local=True), "free transport")


def test_reciprocity_adds_volunteers():
    d = paired(
        ensemble(funding=LS, reciprocity_rate=0.5, **Y),
        ensemble(funding=LS, reciprocity_rate=0.0, **Y),
        "volunteers_per_1000_inhabitants",
    )
    assert min(d) > 0, f"clients who recover should add volunteers, got {np.round(d, 3)}"


def test_kpi_penalty_raises_care_under_lump_sum():
    d = paired(
        ensemble(funding=LS, kpi_penalty_share=0.5, **Y),
        ensemble(funding=LS, kpi_penalty_share=0.0, **Y),
        "formal_hours_per_client_week",
    )
    # +0.1-0.2 h on most seeds; one seed in ten may diverge slightly
    assert np.median(d) > 0.05, f"a KPI penalty at stake should raise hours, got {np.round(d, 3)}"


def test_outreach_switched_on_partway():
    off = ensemble(funding=LS, **Y)
    late = ensemble(funding=LS, outreach=True, outreach_start_year=2.0, **Y)
    assert min(paired(off, late, "unreached_share")) > 0, "outreach from year 2 should still reach more"
    assert_same(off, ensemble(funding=LS, outreach=True, outreach_start_year=10.0, **Y), "outreach after the run")


# --- Lelystad ------------------------------------------------------------------------------
def test_district_teams_and_gp_referral_reach_non_askers():
    base = ensemble(funding=PB, **Y)
    for kw in ({"district_teams": True}, {"gp_referral_per_year": 0.5}):
        d = paired(base, ensemble(funding=PB, **kw, **Y), "unreached_share")
        assert min(d) > 0, f"{kw} should lower the unreached share, got {np.round(d, 3)}"
    assert_same(base, ensemble(funding=PB, district_teams=True, district_team_signal_factor=1.0, **Y), "teams x1")


def test_case_owner_prevents_losses_at_handovers():
    churn = {"funding": FFS, "contract_years": 1, "tender_churn": 0.5, **Y}
    lost = ensemble(**churn)
    assert min(r["lost_per_1000_clients"] for r in lost) > 0, "without a case owner clients are lost at handovers"
    assert max(r["lost_per_1000_clients"] for r in ensemble(**churn, case_owner=True)) == 0, "a case owner loses none"


def test_volunteer_training_adds_volunteers():
    base = ensemble(funding=LS, **Y)
    d = paired(
        ensemble(funding=LS, volunteer_training_eur_per_10k=20000.0, **Y), base, "volunteers_per_1000_inhabitants"
    )
    assert min(d) > 0.5, f"training money should add volunteers, got {np.round(d, 2)}"


# --- Zaltbommel ----------------------------------------------------------------------------
def test_short_contracts_cost_admin_and_clients():
    churn = {"funding": FFS, "tender_cost_eur": 20000.0, **Y}
    one, five = ensemble(**churn, contract_years=1), ensemble(**churn, contract_years=5)
    assert min(paired(one, five, "admin_eur")) > 0, "yearly tenders should cost more admin"
    assert np.median(paired(one, five, "lost_per_1000_clients")) > 0, "more handovers should lose more clients"
    calm = {"funding": FFS, "tender_churn": 0.0, "tender_cost_eur": 0.0, **Y}
    assert_same(ensemble(**calm, contract_years=1), ensemble(**calm, contract_years=5), "tenders that change nothing")


def test_referral_to_a_fitting_provider_helps_recovery():
    kinds = {"funding": FFS, "provider_types": 4, **Y}
    d = paired(ensemble(**kinds, referral=True), ensemble(**kinds), "kpi_improved_or_stable_share")
    assert np.median(d) > 0.01, f"fitting expertise should improve the KPI, got {np.round(d, 3)}"
    one = {"funding": FFS, "provider_types": 1, **Y}
    assert_same(ensemble(**one), ensemble(**one, referral=True), "referral with one kind of provider")


def test_personal_budgets_cost_less_per_client():
    d = paired(ensemble(funding=FFS, **Y), ensemble(funding=FFS, pgb_share=0.5, **Y), "spend_per_client_year_eur")
    assert min(d) > 0, f"a pgb at 90% of the in-kind rate should cost less per client, got {np.round(d)}"
    assert_same(ensemble(funding=FFS, **Y), ensemble(funding=FFS, pgb_share=0.0, pgb_rate=0.5, **Y), "no pgb")


# --- Noord-Veluwe ---------------------------------------------------------------------------
def test_innovation_budget_trains_volunteers():
    d = paired(
        ensemble(funding=SUB, innovation_share=1.0, buffer_share=0.0, **Y),
        ensemble(funding=SUB, innovation_share=0.0, buffer_share=0.0, **Y),
        "volunteers_per_1000_inhabitants",
    )
    assert min(d) >= 0 and np.median(d) > 0, f"reclaimed surplus spent on training should add volunteers: {d}"


def test_housing_caps_outflow_from_protected_living():
    pl = {"funding": SUB, "protected_living_share": 0.3, **Y}
    scarce = ensemble(**pl, housing_per_year_per_10k=0.5)
    assert min(r["blocked_share"] for r in scarce) > 0, "scarce housing should block recovered clients"
    assert max(r["blocked_share"] for r in ensemble(**pl, housing_per_year_per_10k=1e4)) == 0, (
        "ample housing blocks none"
    )


def test_subsidy_buffer_rescues_providers():
    # Uneven historic shares leave some members short (setbacks) and others with a
    # surplus the municipality reclaims: the buffer moves money from the one to the other.
    tight = {"funding": SUB, "lump_sum_eur": 900_000.0, "reserves_share": 0.02, "historic_share_spread": 0.8, **Y}
    kept = ensemble(**tight, buffer_share=1.0, innovation_share=0.0)
    assert sum(r["rescues"] for r in kept) > 0, "a buffer from reclaimed surplus should rescue providers"
    d = paired(ensemble(**tight, buffer_share=0.0, innovation_share=0.0), kept, "bankruptcies")
    assert min(d) >= 0 and sum(d) > 0, f"rescues should prevent bankruptcies, got {d}"
    assert max(r["rescues"] for r in ensemble(**tight, buffer_share=0.0, innovation_share=0.0)) == 0, (
        "no buffer, no rescue"
    )


def test_bankrupt_providers_clients_lose_care_while_transferred():
    lossy = {"funding": LS, "lump_sum_eur": 300_000.0, "reserves_share": 0.01, "case_owner": True, **Y}
    slow, fast = ensemble(**lossy, transfer_weeks=26), ensemble(**lossy, transfer_weeks=0)
    assert min(r["bankruptcies"] for r in slow) > 0, "the lossy lump sum should bankrupt providers"
    d = paired(slow, fast, "unmet_need_share")
    assert np.median(d) > 0, f"slow transfers should leave more need unmet, got {np.round(d, 3)}"


# --- the incentive core --------------------------------------------------------------------
def test_prevention_foresight_makes_a_lump_sum_provider_give_more():
    d = paired(
        ensemble(funding=LS, prevention_foresight=1.0, **Y),
        ensemble(funding=LS, prevention_foresight=0.0, **Y),
        "formal_to_optimum_ratio",
    )
    assert np.median(d) > 0.02, f"counting future savings should raise lump-sum hours, got {np.round(d, 3)}"
    alt = {"provider_altruism": 1.0, "provider_altruism_sd": 0.0}
    assert_same(
        ensemble(funding=LS, prevention_foresight=1.0, **alt, **Y),
        ensemble(funding=LS, prevention_foresight=0.0, **alt, **Y),
        "foresight at full altruism",
    )


def test_loss_aversion_cuts_care_when_the_sum_runs_short():
    short = {"funding": LS, "lump_sum_eur": 600_000.0, **Y}
    d = paired(ensemble(**short, loss_aversion=1.0), ensemble(**short, loss_aversion=4.0), "formal_to_optimum_ratio")
    # 1-7 points of the optimum on most seeds; trajectories diverge, so we test the median
    assert np.median(d) > 0.01, f"weighing a deficit more should cut hours, got {np.round(d, 3)}"
    rich = {"funding": LS, "lump_sum_eur": 20_000_000.0, **Y}
    assert_same(ensemble(**rich, loss_aversion=1.0), ensemble(**rich, loss_aversion=4.0), "a sum that never runs short")
