"""Issue #11's rules, each with its effect and its vanishing limit: provider finance that is
consistent at equilibrium (no bankruptcy at the defaults, bankruptcy when prices do not
cover cost), the solvency guard, rebasing of fixed sums, re-tendering, partial
substitution of informal care, learned dependence, the smooth money weight, the KPI
measured with error, and the split of under-service into waiting and in care.

Ensembles are the 10 common seeds of ``conftest`` over 10 years; single-run checks use
one seed and say why one suffices.
"""

import copy
import functools

import numpy as np
import pytest
from conftest import SEEDS, ensemble, executor, paired

import sim
from sim import care, need, supply
from sim.experiments import Design, run_design
from sim.model import CareModel
from sim.params import FUNDING_MODELS
from sim.state import IN_CARE

FFS, LS = "fee_for_service", "lump_sum"


def _below_cost(f: float) -> dict:
    """Both fee-for-service prices at ``f`` of their defaults (the group price per staff
    hour, times the group size, is then below the hourly cost as well at f = 0.5)."""
    sc = sim.load_scenario("default")
    return {"hourly_price_eur": sc.hourly_price_eur * f, "group_price_eur": sc.group_price_eur * f}


@pytest.mark.slow
@pytest.mark.parametrize("funding", FUNDING_MODELS)
def test_no_bankruptcy_at_the_defaults(funding):
    runs = ensemble(funding=funding)
    b = [r["bankruptcies"] for r in runs]
    assert max(b) == 0, f"{funding}: no provider may go bankrupt in 10 years at the defaults, got {b} over 10 seeds"


@pytest.mark.slow
def test_bankruptcy_appears_below_cost_and_vanishes_when_price_covers_cost():
    sc = sim.load_scenario("default")
    low = _below_cost(0.5)
    # at half the prices an individual hour pays EUR 30 and a group staff hour
    # 0.5 * 9.6 * 8 = EUR 38, both below the EUR 52 cost: every seed must see bankruptcies
    assert low["hourly_price_eur"] < sc.hourly_cost_eur, "the test's low price must be below cost"
    below = ensemble(funding=FFS, **low)
    covering = ensemble(funding=FFS)
    assert min(r["bankruptcies"] for r in below) > 0, (
        f"below cost every seed must see a bankruptcy, got {[r['bankruptcies'] for r in below]}"
    )
    assert max(r["bankruptcies"] for r in covering) == 0, (
        f"at prices that cover cost no bankruptcy, got {[r['bankruptcies'] for r in covering]}"
    )
    # a bankrupt contract is tendered again: the entrants' capital is counted
    assert min(r["entrant_capital_eur"] for r in below) > 0, "entrants must bring capital that is counted"


def _model_in_week(funding: str, weeks: int, **kw) -> CareModel:
    m = CareModel("default", rng=SEEDS[0], funding=funding, years=2, **kw)
    for _ in range(weeks):
        m.step()
    return m


def test_solvency_guard_cuts_hours_only_where_it_binds():
    # one model state, planned twice (a deep copy each): only provider 0 is made insolvent
    m = _model_in_week(LS, 30)
    assert not care.insolvent(m).any(), "at the defaults nobody should be near insolvency in week 30"

    def planned(guard: bool) -> tuple[float, float]:
        c = copy.deepcopy(m)
        c.params = c.params.replace(solvency_guard=guard)
        c.prov.reserves[0] = -1e9  # provider 0's reserves cannot last the year
        flags = care.insolvent(c)
        assert flags[0] == guard and not flags[1:].any(), f"guard {guard}: insolvent flags {flags}"
        care.plan_care(c, _carer_hours(c))
        own = c.res.owner == 0
        return float(c.res.formal[own].sum()), float(c.res.formal[~own & (c.res.owner >= 0)].sum())

    on0, on_rest = planned(True)
    off0, off_rest = planned(False)
    assert on0 < off0, f"the guarded provider must plan fewer hours ({on0:.1f} against {off0:.1f})"
    assert on_rest == pytest.approx(off_rest), "the other providers' plans must not change"


def _carer_hours(m: CareModel) -> np.ndarray:
    from sim import carers

    return carers.carer_capacity(m)


def test_rebasing_moves_the_lump_sum_toward_cost_and_vanishes_at_weight_zero():
    with_rebase = ensemble(funding=LS)
    without = ensemble(funding=LS, rebase_weight=0.0)
    d = paired(without, with_rebase, "provider_margin_share")
    # without rebasing the lump sum is a windfall (margins of 30-60% of receipts); with it
    # the sum follows cost, so the margin falls on every seed
    assert min(d) > 0, f"rebasing must lower the providers' margin on every seed, got {np.round(d, 3)}"
    m = CareModel("default", rng=SEEDS[0], funding=LS, years=3, rebase_weight=0.0)
    m.run()
    assert m.municipality.fixed_factor == 1.0, "at rebase_weight = 0 the fixed sum never changes"
    f = CareModel("default", rng=SEEDS[0], funding=FFS, years=3)
    f.run()
    assert f.municipality.fixed_factor == 1.0, "without a fixed sum there is nothing to rebase"


def test_retender_keeps_a_bankrupt_contract_vacant_for_the_delay():
    for delay in (0, 8):
        m = CareModel("default", rng=SEEDS[0], funding=FFS, years=10, retender_weeks=delay, **_below_cost(0.5))
        went, back = None, None
        while m.week < m.n_weeks and back is None:
            m.step()
            if went is None and m.prov.bankrupt.any():
                went, i = m.week, int(np.flatnonzero(m.prov.bankrupt)[0])
            elif went is not None and not m.prov.bankrupt[i]:
                back = m.week
        assert went is not None and back is not None, "below cost a provider must go bankrupt and be replaced"
        assert back - went == delay + 1, f"retender_weeks = {delay}: replaced {back - went} weeks after bankruptcy"


def test_substitution_is_partial_need_dependent_and_vanishes_at_zero():
    m = _model_in_week(FFS, 40)
    s = supply.substitution(m)
    sr = m.res.sr
    assert s.max() <= m.params.substitution_max + 1e-12, "substitution can never exceed its maximum"
    a = np.flatnonzero(m.res.active)
    by_need = s[a][np.argsort(-sr[a])]  # from the lightest need to the heaviest
    assert np.all(np.diff(by_need) <= 1e-12), "substitution must fall as need rises (Bonsang 2009)"
    assert by_need[0] > by_need[-1], "clients of different need must differ in substitution"


def _informal_after_supply(sub: float, formal_share: float) -> np.ndarray:
    """Informal hours when every client in care gets ``formal_share`` of its need as formal
    care (individual), at substitution ``sub``: the rule of ODD 7.7 on one state."""
    m = copy.deepcopy(_state())
    m.params = m.params.replace(substitution_max=sub)
    hours = _carer_hours(m)
    care_ = m.res.state == IN_CARE
    m.res.group[:] = False
    m.res.formal[:] = np.where(care_, formal_share * m.res.need, 0.0)
    supply.supply(m, hours)
    return m.res.informal[care_]


@functools.cache
def _state() -> CareModel:
    return _model_in_week(FFS, 40)


def test_formal_hours_leave_informal_hours_unchanged_without_substitution():
    none0, none1 = _informal_after_supply(0.0, 0.0), _informal_after_supply(0.0, 1.0)
    assert np.array_equal(none0, none1), "at substitution_max = 0 formal hours must leave informal hours unchanged"
    some0, some1 = _informal_after_supply(1.0, 0.0), _informal_after_supply(1.0, 1.0)
    assert np.all(some1 <= some0 + 1e-12), "formal hours can only displace informal hours"
    assert (some1 < some0 - 1e-9).any(), "with substitution some informal hours must be displaced"
    # at the defaults carers' capacity mostly binds below need, so the displacement is small:
    # measured over 10 seeds, informal hours per client-week move by less than 1%
    base, none = ensemble(funding=FFS), ensemble(funding=FFS, substitution_max=0.0)
    d = [abs(x) for x in paired(none, base, "informal_hours_per_client_week")]
    assert max(d) < 0.5, f"expected small crowd-out at the defaults, got {np.round(d, 3)}"


def test_learned_dependence_slows_recovery_and_vanishes_at_zero():
    m = _model_in_week(FFS, 40)
    a = np.flatnonzero(m.res.active)
    dep = need.dependence(m, a)
    assert np.all((dep >= 0) & (dep <= 1)), "the dependence factor is a share of recovery"
    over = supply.effective_formal(m.res)[a] > m.res.formal_met[a] + 1e-9
    assert over.any(), "FFS over-provides to some clients in week 40"
    assert dep[over].max() < 1 and dep[~over].min() == 1, "only over-provided clients recover more slowly"
    z = _model_in_week(FFS, 40, learned_dependence=0.0)
    assert np.all(need.dependence(z, np.flatnonzero(z.res.active)) == 1), "at 0 over-provision does no harm"


def test_kpi_measurement_error_vanishes_at_zero():
    # the measurement of one state, twice: without error it is the rule on the true scores
    for sd in (0.0, 0.3):
        m = _model_in_week(LS, 60, kpi_measurement_sd=sd)
        res = m.res
        due = (res.state == IN_CARE) & (m.week - res.care_week >= m.params.kpi_weeks)
        assert due.sum() > 20, f"expected clients 26 weeks in care in week 60, got {due.sum()}"
        res.kpi[due] = -1
        truth = res.sr[due] >= res.sr_intake[due] - m.params.kpi_stable_tolerance
        supply.measure_kpi(m)
        wrong = np.count_nonzero(res.kpi[due].astype(bool) != truth)
        if sd == 0.0:
            assert wrong == 0, f"without measurement error the KPI is the true rule, {wrong} differ"
        else:
            assert wrong > 0, "with measurement error some clients must be misjudged"


def test_underserved_total_covers_waiting_and_in_care():
    for r in ensemble(funding=FFS):
        tot, care_, wait = r["underserved_share"], r["underserved_in_care_share"], r["underserved_waiting_share"]
        # the total also counts runs while hidden and runs that span a change of state
        assert tot >= max(care_, wait) - 1e-12, f"the total ({tot}) includes both parts ({care_}, {wait})"
    ls = ensemble(funding=LS)
    assert max(r["underserved_waiting_share"] for r in ls) == 0, "without an assessment queue nobody waits 4 weeks"


def test_escalation_cost_enters_total_cost_by_its_share():
    base = ensemble(funding=LS)
    share = ensemble(funding=LS, escalation_municipal_share=1.0)
    for a, b in zip(base, share, strict=True):
        assert b["total_cost_eur"] - a["total_cost_eur"] == pytest.approx(a["escalation_cost_year_eur"], rel=1e-9), (
            "with the whole escalation cost on the municipality, total cost rises by exactly that cost"
        )
        assert a["public_cost_eur"] == pytest.approx(b["public_cost_eur"]), (
            "the public cost does not depend on who pays"
        )


def test_modality_choice_is_a_logit_of_the_utility_gap_and_sharp_at_scale_zero():
    from sim.decision import choose_modality, optimal_hours, provider_utility

    n = 20_000
    taste = (np.arange(n) + 0.5) / n  # an even grid of the U(0, 1) tastes
    r, a, b, g = np.full(n, 2.0), np.full(n, 0.5), 60.0, np.full(n, 0.6)
    mu_i, mu_g = np.full(n, 5.0), np.full(n, 4.0)
    e_i = optimal_hours(r, a, mu_i, b)
    e_g = optimal_hours(r / g, a, mu_g, b * g)
    gap = float((provider_utility(e_g, r / g, a, mu_g, b * g) - provider_utility(e_i, r, a, mu_i, b))[0])
    for scale in (1.0, 2.0, 5.0):
        group, _, w = choose_modality(r, a, mu_i, mu_g, b, g, np.inf, (scale, taste))
        expected = 1.0 / (1.0 + np.exp(-gap / scale))
        # an even grid of n tastes: the share is the logistic to within 1/n
        assert abs(group.mean() - expected) <= 1.0 / n + 1e-12, (
            f"scale {scale}: group share {group.mean():.4f}, logit of the gap {gap:.3f} gives {expected:.4f}"
        )
        assert np.all(w[group] == g[group]) and np.all(w[~group] == 1.0), "an hour's worth follows the modality"
    sharp, _, _ = choose_modality(r, a, mu_i, mu_g, b, g, np.inf, (0.0, taste))
    assert sharp.all() == (gap > 0) and sharp.all() == sharp.any(), f"at scale 0 the higher utility wins (gap {gap})"


# --- smooth responses (issue #11: the modality choice was a knife edge) ----------------------
#: A town of 10,000 over 3 years, 4 common seeds per step: 101 blend steps and 76 price
#: steps cost about 3 min on two workers. The bounds are the issue's: no step of the lever
#: may move the group share by 0.1 or more, nor total cost by 10% or more. With 2 seeds the
#: mean cost still wobbles 8-11% up and down between neighbouring steps (measured around
#: s = 0.63-0.72, where yearly KPI penalties and rebasing fall on either side of their
#: thresholds); 4 seeds halve that noise's variance, the size of the effect being bounded.
SMOOTH = {"population": 10_000, "years": 3}


@functools.cache
def _curve(funding: str, lever: str, values: tuple, **fixed) -> tuple[np.ndarray, np.ndarray]:
    design = Design(
        sim.load_scenario("default", funding=funding, **SMOOTH, **fixed),
        points=[{lever: float(v)} for v in values],
        seeds=SEEDS[:4],
        label="smoothness",
    )
    t = run_design(design, executor=executor(), progress=False)
    mean = t.groupby("point")[["group_share", "total_cost_eur"]].mean().sort_index()
    return mean["group_share"].to_numpy(), mean["total_cost_eur"].to_numpy()


BLEND = tuple(np.round(np.arange(0.0, 1.0001, 0.01), 2))
GROUP_PRICE = tuple(np.round(np.arange(9.0, 16.5001, 0.1), 2))  # the analysis range, EUR 0.10 steps


def _jumps(values, group, cost):
    dg = np.abs(np.diff(group))
    dc = np.abs(np.diff(cost)) / cost[:-1]
    return (dg.max(), values[int(dg.argmax())]), (dc.max(), values[int(dc.argmax())])


@pytest.mark.slow
def test_blend_share_moves_group_share_and_total_cost_smoothly():
    (g, at_g), (c, at_c) = _jumps(BLEND, *_curve("blended", "blend_ffs_share", BLEND))
    # measured (tau EUR 2): largest steps 0.03 in group share and 8% in total cost
    assert g < 0.1, f"the group share jumps by {g:.3f} between s = {at_g} and s = {at_g + 0.01:.2f}"
    assert c < 0.1, f"total cost jumps by {c:.1%} between s = {at_c} and s = {at_c + 0.01:.2f}"


@pytest.mark.slow
def test_without_the_unobserved_part_of_the_choice_the_knife_edge_returns():
    # the vanishing limit of the logit (ODD 7.6.3): at tau = 0 the higher utility always
    # wins, and where the individual hour's margin turns positive (s about 0.87) clients
    # switch from group to individual care at once, each costing 3-4 times as much
    window = tuple(np.round(np.arange(0.84, 0.96001, 0.01), 2))
    _, (c, at) = _jumps(window, *_curve("blended", "blend_ffs_share", window, modality_choice_scale_eur=0.0))
    assert c > 0.1, f"at tau = 0 total cost should jump by over 10% a step near s = 0.9, largest {c:.1%} at {at}"


@pytest.mark.slow
def test_fee_for_service_responds_smoothly_to_the_group_price():
    (g, at_g), (c, at_c) = _jumps(GROUP_PRICE, *_curve(FFS, "group_price_eur", GROUP_PRICE))
    # measured: largest steps 0.07 in group share and 6% in total cost
    assert g < 0.1, f"the group share jumps by {g:.3f} between EUR {at_g} and {at_g + 0.1:.2f}"
    assert c < 0.1, f"total cost jumps by {c:.1%} between EUR {at_c} and {at_c + 0.1:.2f}"
