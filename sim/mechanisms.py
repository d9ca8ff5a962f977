"""The case mechanisms, declared once: each one's arms (scenario overrides per arm), the
summary metric it moves and the direction (docs/odd.md section 12).

``tests/test_mechanisms.py`` (and, for the assessment queue, ``tests/test_incentives.py``)
read their arms from here (:func:`of_test`) and assert each effect with a threshold;
``experiments/validation.py`` runs the same arms on common seeds and reports the figures
in docs/validation.md. ``tests/test_validation.py`` checks that every mechanism test has
its declaration and reads it, and that docs/validation.md has a row for each.

Every arm is the base overrides updated with the arm's own: ``{**base, **off}``,
``{**base, **on}``, and likewise the limit arms, so a limit arm may replace a base value
(for example a district risk spread of 0 instead of 0.6). All arms run the ``default``
town for :data:`MECHANISM_YEARS` years.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from .params import load_scenario

FFS, LS, OB, PB, SUB, BL = "fee_for_service", "lump_sum", "output_based", "population_budget", "subsidy", "blended"
#: Years of every mechanism arm (the tests and docs/validation.md).
MECHANISM_YEARS = 5
#: Full altruism, the limit where every funding model gives the client optimum (ODD 7.6.1).
#: Money never counts: altruism 1 for every provider, and no solvency guard (which would
#: make an insolvent provider a cost-minimiser, ODD 7.6.2).
FULL_ALTRUISM = {"provider_altruism": 1.0, "provider_altruism_sd": 0.0, "solvency_guard": False}


#: A lump sum far below cost that is never rebased, to providers with hardly any reserves
#: who do not guard their solvency: the bankruptcy and transfer paths run (ODD 7.10.3).
LOSSY_LUMP_SUM = {
    "funding": "lump_sum",
    "lump_sum_eur": 200_000.0,
    "reserves_share": 0.01,
    "rebase_weight": 0.0,
    "solvency_guard": False,
}


def zero_margin(scenario: str = "default") -> dict[str, float]:
    """Zero margin (ODD 7.6.2), the limit where fee-for-service gives the client optimum:
    the price of an hour equals its cost, and a group client-hour's price its cost per
    client (``hourly_cost_eur / group_size``), from the scenario's parameter values."""
    sc = load_scenario(scenario)
    return {"hourly_price_eur": sc.hourly_cost_eur, "group_price_eur": sc.hourly_cost_eur / sc.group_size}


#: The cases, in the order of docs/odd.md section 12, then the funding models beyond them.
CASES = ("Lelystad", "Alphen", "Zaltbommel", "Noord-Veluwe (Harderwijk)", "funding models (cross-case)")

Overrides = dict[str, Any]


@dataclass(frozen=True)
class Mechanism:
    """One mechanism's comparison: an off and an on arm, and where the effect vanishes.

    Attributes:
        test: the test that asserts it, ``file::function``.
        case: one of :data:`CASES`.
        mechanism: what the case names, in a few words.
        metric: the summary key compared (docs/odd.md section 8.3).
        expect: the direction of ``on - off``: ``"higher"``, ``"lower"`` or ``"equal"``
            (the two arms must give identical summaries).
        base: overrides shared by every arm (funding model and the like).
        off: the mechanism switched off (or the contrast it is measured against).
        on: the mechanism switched on.
        limit: where the effect vanishes, in words.
        limit_off, limit_on: a pair of arms whose difference must vanish; None when the
            limit is one of the two arms itself (said in ``limit``).
        steps: extra arms between off and on (a path, e.g. blend shares), reported as a
            sequence of medians that must move in the ``expect`` direction.
        note: what else the test checks, or why this comparison.
        total: rare counts (bankruptcies, rescues): compare the totals over the seeds, as
            the test does, instead of medians.
        checks: further arms the test compares, by name, beyond those reported (for
            example that walk-in changes nothing where an assessment is the way in).
    """

    test: str
    case: str
    mechanism: str
    metric: str
    expect: Literal["higher", "lower", "equal"]
    base: Overrides
    off: Overrides
    on: Overrides
    limit: str
    limit_off: Overrides | None = None
    limit_on: Overrides | None = None
    steps: tuple[Overrides, ...] = ()
    note: str = ""
    total: bool = False
    scenario: str = "default"
    checks: dict[str, Overrides] = field(default_factory=dict)
    arms: dict[str, Overrides] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.case not in CASES:
            raise ValueError(f"{self.test}: unknown case {self.case!r}; choose from {CASES}")
        if (self.limit_off is None) != (self.limit_on is None):
            raise ValueError(f"{self.test}: give both limit arms or neither")
        arms = {"off": {**self.base, **self.off}, "on": {**self.base, **self.on}}
        if self.limit_off is not None and self.limit_on is not None:
            arms["limit_off"] = {**self.base, **self.limit_off}
            arms["limit_on"] = {**self.base, **self.limit_on}
        for i, step in enumerate(self.steps):
            arms[f"step{i}"] = {**self.base, **step}
        object.__setattr__(self, "arms", arms)

    @property
    def function(self) -> str:
        """The test function's name."""
        return self.test.rpartition("::")[2]

    def arm(self, name: str, years: int | None = MECHANISM_YEARS) -> Overrides:
        """The overrides of arm ``name``, a reported arm or one of the ``checks``, with
        ``years`` (``None``: the scenario's own)."""
        over = self.arms[name] if name in self.arms else {**self.base, **self.checks[name]}
        return over if years is None else {**over, "years": years}

    def path(self) -> list[str]:
        """The arm names from off through the steps to on."""
        return ["off", *(f"step{i}" for i in range(len(self.steps))), "on"]

    def switched(self) -> str:
        """The comparison in words: base, then off -> on."""
        base, off, on = (overrides_text(x) for x in (self.base, self.off, self.on))
        return f"{base or 'defaults'}; {off or 'as base'} -> {on or 'as base'}"


def overrides_text(overrides: Overrides) -> str:
    """Overrides as ``name=value, ...``."""
    return ", ".join(f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}" for k, v in overrides.items())


M = "test_mechanisms.py::"
#: Arms shared by two rows of one test (two metrics of one comparison).
SHORT_CONTRACTS: dict[str, Any] = {
    "base": {"funding": FFS, "tender_cost_eur": 20000.0},
    "off": {"contract_years": 5},
    "on": {"contract_years": 1},
    "limit": "tenders that change nothing and cost nothing (churn 0, cost 0)",
    "limit_off": {"tender_churn": 0.0, "tender_cost_eur": 0.0, "contract_years": 5},
    "limit_on": {"tender_churn": 0.0, "tender_cost_eur": 0.0, "contract_years": 1},
}
BUFFER: dict[str, Any] = {
    "base": {
        "funding": SUB,
        "lump_sum_eur": 900_000.0,
        "reserves_share": 0.02,
        "historic_share_spread": 0.8,
        "innovation_share": 0.0,
    },
    "off": {"buffer_share": 0.0},
    "on": {"buffer_share": 1.0},
}

MECHANISMS: tuple[Mechanism, ...] = (
    # --- Lelystad ---------------------------------------------------------------------------
    Mechanism(
        M + "test_risk_adjusted_budgets_follow_need",
        "Lelystad",
        "risk-adjusted population budget per district",
        "funding_per_client_cv",
        "lower",
        {"funding": PB, "districts": 4, "providers": 4, "district_risk_spread": 0.6},
        {"risk_adjusted_budget": False},
        {"risk_adjusted_budget": True},
        "equal district risk (district_risk_spread=0)",
        {"district_risk_spread": 0.0, "risk_adjusted_budget": False},
        {"district_risk_spread": 0.0, "risk_adjusted_budget": True},
    ),
    Mechanism(
        M + "test_population_budget_district_cap_limits_concentration",
        "Lelystad",
        "at most N districts per main contractor",
        "largest_provider_share",
        "lower",
        {"funding": PB, "districts": 4, "providers": 5},
        {"max_districts_per_contractor": 4},
        {"max_districts_per_contractor": 1},
        "a cap above the district count (50 of 4)",
        {"max_districts_per_contractor": 4},
        {"max_districts_per_contractor": 50},
    ),
    Mechanism(
        M + "test_subcontracting_markup_costs_care_and_vanishes_at_zero",
        "Lelystad",
        "subcontracting at a markup",
        "formal_hours_per_client_week",
        "lower",
        {"funding": PB},
        {},
        {"subcontract_share": 1.0, "subcontract_markup": 1.0},
        "subcontracting at cost (markup 0)",
        {},
        {"subcontract_share": 0.5, "subcontract_markup": 0.0},
    ),
    Mechanism(
        M + "test_mid_year_budget_cuts_lower_spend_and_care",
        "Lelystad",
        "mid-year budget revision (a 20% cut), reopened subcontracts",
        "spend_eur",
        "lower",
        {"funding": PB, "subcontract_share": 0.5},
        {},
        {"budget_revision_per_year": 1.0, "budget_revision_size": -0.2},
        "revisions of size 0 without reopening",
        {},
        {"budget_revision_per_year": 1.0, "budget_revision_size": 0.0, "reopen_weeks": 0},
    ),
    Mechanism(
        M + "test_volunteer_training_adds_volunteers",
        "Lelystad",
        "trained care volunteers, money freed for it",
        "volunteers_per_1000_inhabitants",
        "higher",
        {"funding": LS},
        {},
        {"volunteer_training_eur_per_10k": 20000.0},
        "no training money (the off arm)",
    ),
    Mechanism(
        M + "test_district_teams_and_gp_referral_reach_non_askers",
        "Lelystad",
        "social district teams notice non-askers",
        "unreached_share",
        "lower",
        {"funding": PB},
        {},
        {"district_teams": True},
        "teams that notice no more than neighbours (signal factor 1)",
        {},
        {"district_teams": True, "district_team_signal_factor": 1.0},
    ),
    Mechanism(
        M + "test_district_teams_and_gp_referral_reach_non_askers",
        "Lelystad",
        "GP referral (welfare on prescription) as a way in",
        "unreached_share",
        "lower",
        {"funding": PB},
        {},
        {"gp_referral_per_year": 0.5},
        "no referrals (rate 0, the off arm)",
    ),
    Mechanism(
        M + "test_case_owner_prevents_losses_at_handovers",
        "Lelystad",
        "one owner and a fixed contact point per client",
        "lost_per_1000_clients",
        "lower",
        {"funding": FFS, "contract_years": 1, "tender_churn": 0.5},
        {},
        {"case_owner": True},
        "the on arm is the limit: with a case owner nobody is lost (0)",
    ),
    # --- Alphen -----------------------------------------------------------------------------
    Mechanism(
        M + "test_historic_shares_squeeze_members_and_a_cashier_undoes_it",
        "Alphen",
        "consortium split by past indications (spread 0.8)",
        "funding_per_client_cv",
        "higher",
        {"funding": LS},
        {},
        {"historic_share_spread": 0.8},
        "money follows clients through a cashier (Eperweg, Noord-Veluwe)",
        {},
        {"historic_share_spread": 0.8, "cashier": True},
        note="the test asks the cashier to halve the spread's effect, not to remove it",
    ),
    Mechanism(
        "test_incentives.py::test_fee_for_service_waits_longer_because_of_the_assessment_queue",
        "Alphen",
        "no assessment queue under the lump sum (6-8 weeks before)",
        "mean_wait_weeks",
        "lower",
        {},
        {"funding": FFS},
        {"funding": LS},
        "fee-for-service without the assessment queue",
        {"funding": LS},
        {"funding": FFS, "assessment_queue": False},
    ),
    Mechanism(
        M + "test_walk_in_lowers_unreached_share",
        "Alphen",
        "people can walk in",
        "unreached_share",
        "lower",
        {"funding": LS},
        {},
        {"walk_in": True},
        "walk-in that nobody uses (walk_in_share 0)",
        {},
        {"walk_in": True, "walk_in_share": 0.0},
        note="the test also checks that walk-in changes nothing where an assessment is needed (FFS)",
        checks={"ffs_off": {"funding": FFS}, "ffs_on": {"funding": FFS, "walk_in": True}},
    ),
    Mechanism(
        M + "test_local_group_activities_raise_group_care",
        "Alphen",
        "group activity close to home, less transport",
        "group_share",
        "higher",
        {"funding": LS, "transport_eur_per_km": 10.0},
        {},
        {"group_activities_local": True},
        "free transport (EUR 0/km)",
        {"transport_eur_per_km": 0.0},
        {"transport_eur_per_km": 0.0, "group_activities_local": True},
    ),
    Mechanism(
        M + "test_prevention_foresight_makes_a_lump_sum_provider_give_more",
        "Alphen",
        "prevention pays the provider directly",
        "formal_to_optimum_ratio",
        "higher",
        {"funding": LS},
        {"prevention_foresight": 0.0},
        {"prevention_foresight": 1.0},
        "full altruism (the provider gives the client optimum anyway)",
        {"prevention_foresight": 0.0, **FULL_ALTRUISM},
        {"prevention_foresight": 1.0, **FULL_ALTRUISM},
    ),
    Mechanism(
        M + "test_kpi_penalty_raises_care_under_lump_sum",
        "Alphen",
        "KPI (75% more self-reliant or stable) with consequences",
        "formal_hours_per_client_week",
        "higher",
        {"funding": LS},
        {"kpi_penalty_share": 0.0},
        {"kpi_penalty_share": 0.5},
        "no penalty at stake (the off arm)",
    ),
    Mechanism(
        M + "test_outreach_switched_on_partway",
        "Alphen",
        "outreach team added later (from year 2)",
        "unreached_share",
        "lower",
        {"funding": LS},
        {},
        {"outreach": True, "outreach_start_year": 2.0},
        "outreach that starts after the run (year 10)",
        {},
        {"outreach": True, "outreach_start_year": 10.0},
    ),
    Mechanism(
        M + "test_reciprocity_adds_volunteers",
        "Alphen",
        "clients turning into volunteers (reciprocity)",
        "volunteers_per_1000_inhabitants",
        "higher",
        {"funding": LS},
        {"reciprocity_rate": 0.0},
        {"reciprocity_rate": 0.5},
        "rate 0 (the off arm)",
    ),
    # --- Zaltbommel -------------------------------------------------------------------------
    Mechanism(
        M + "test_short_contracts_cost_admin_and_clients",
        "Zaltbommel",
        "5-year contracts against the usual 1: tender admin",
        "admin_eur",
        "higher",
        **SHORT_CONTRACTS,
        note="'on' is the short contract: the mechanism measured is the churn that long contracts avoid",
    ),
    Mechanism(
        M + "test_short_contracts_cost_admin_and_clients",
        "Zaltbommel",
        "5-year contracts against the usual 1: clients lost at handovers",
        "lost_per_1000_clients",
        "higher",
        **SHORT_CONTRACTS,
    ),
    Mechanism(
        M + "test_referral_to_a_fitting_provider_helps_recovery",
        "Zaltbommel",
        "providers refer clients to whoever fits them better",
        "kpi_improved_or_stable_share",
        "higher",
        {"funding": FFS, "provider_types": 4},
        {},
        {"referral": True},
        "one kind of provider (provider_types 1)",
        {"provider_types": 1},
        {"provider_types": 1, "referral": True},
    ),
    Mechanism(
        M + "test_personal_budgets_cost_less_per_client",
        "Zaltbommel",
        "personal budget (pgb) at 90% of the in-kind rate",
        "spend_per_client_year_eur",
        "lower",
        {"funding": FFS},
        {},
        {"pgb_share": 0.5},
        "nobody takes a pgb (share 0, even at rate 0.5)",
        {},
        {"pgb_share": 0.0, "pgb_rate": 0.5},
    ),
    # --- Noord-Veluwe (Harderwijk) ------------------------------------------------------------
    Mechanism(
        M + "test_subsidy_buffer_rescues_providers",
        "Noord-Veluwe (Harderwijk)",
        "reclaimed surplus into a buffer for setbacks: bankruptcies",
        "bankruptcies",
        "lower",
        **BUFFER,
        limit="no buffer, no rescue (the off arm)",
        note=(
            "uneven historic shares (spread 0.8) leave some members short of their costs and others with a"
            " surplus to reclaim; the test, and this row, compare totals over the seeds"
        ),
        total=True,
    ),
    Mechanism(
        M + "test_subsidy_buffer_rescues_providers",
        "Noord-Veluwe (Harderwijk)",
        "reclaimed surplus into a buffer for setbacks: rescues",
        "rescues",
        "higher",
        **BUFFER,
        limit="no buffer, no rescue (the off arm: 0)",
        total=True,
    ),
    Mechanism(
        M + "test_innovation_budget_trains_volunteers",
        "Noord-Veluwe (Harderwijk)",
        "reclaimed surplus into an innovation budget",
        "volunteers_per_1000_inhabitants",
        "higher",
        {"funding": SUB, "buffer_share": 0.0},
        {"innovation_share": 0.0},
        {"innovation_share": 1.0},
        "share 0 (the off arm)",
    ),
    Mechanism(
        M + "test_bankrupt_providers_clients_lose_care_while_transferred",
        "Noord-Veluwe (Harderwijk)",
        "bankruptcy: clients taken over after a delay (26 weeks against at once)",
        "unmet_need_share",
        "higher",
        {**LOSSY_LUMP_SUM, "case_owner": True},
        {"transfer_weeks": 0},
        {"transfer_weeks": 26},
        "immediate transfer (0 weeks, the off arm; high trust)",
        note="a lump sum this small, never rebased, bankrupts providers that do not guard their solvency "
        "on every seed (the test checks it)",
    ),
    Mechanism(
        M + "test_housing_caps_outflow_from_protected_living",
        "Noord-Veluwe (Harderwijk)",
        "outflow from protected living capped by housing",
        "blocked_share",
        "higher",
        {"funding": SUB, "protected_living_share": 0.3},
        {"housing_per_year_per_10k": 1e4},
        {"housing_per_year_per_10k": 0.5},
        "ample housing (the off arm: nobody blocked)",
    ),
    # --- funding models beyond the cases' own ---------------------------------------------------
    Mechanism(
        M + "test_output_based_gives_less_care_than_fee_for_service",
        "funding models (cross-case)",
        "output-based: a fixed price per client-period makes every hour a cost",
        "effective_formal_hours_per_client_week",
        "lower",
        {},
        {"funding": FFS},
        {"funding": OB},
        "full altruism (both give the client optimum)",
        {"funding": FFS, **FULL_ALTRUISM},
        {"funding": OB, **FULL_ALTRUISM},
    ),
    Mechanism(
        M + "test_output_based_cream_skimming_and_its_limit",
        "funding models (cross-case)",
        "output-based cream-skimming: providers decline unprofitable clients",
        "refusals_per_1000_admissions",
        "higher",
        {"funding": OB, "output_price_share": 0.5, "provider_altruism": 0.3},
        {"provider_may_refuse": False},
        {"provider_may_refuse": True},
        "a duty to accept (the off arm: nobody declined)",
        note="the test also checks that declined clients are in higher need categories and wait 2+ weeks longer",
    ),
    Mechanism(
        M + "test_blended_endpoints_equal_the_pure_models",
        "funding models (cross-case)",
        "blend at s=0 is the lump sum (and at s=1 fee-for-service)",
        "formal_hours_per_client_week",
        "equal",
        {},
        {"funding": LS},
        {"funding": BL, "blend_ffs_share": 0.0, "blend_assessment": False},
        "s=1 against fee-for-service (the limit pair)",
        {"funding": FFS},
        {"funding": BL, "blend_ffs_share": 1.0},
        note="the test compares the weekly and client tables frame by frame (3 years, one seed)",
    ),
    Mechanism(
        M + "test_blended_outcomes_are_monotone_in_the_share",
        "funding models (cross-case)",
        "blended payment moves smoothly from lump sum (s=0) to fee-for-service (s=1)",
        "effective_formal_hours_per_client_week",
        "higher",
        {"funding": BL},
        {"blend_ffs_share": 0.0},
        {"blend_ffs_share": 1.0},
        "s=0 is the lump sum with an assessment (the row above drops it)",
        steps=({"blend_ffs_share": 0.25}, {"blend_ffs_share": 0.5}, {"blend_ffs_share": 0.75}),
        note="the test also asks formal_to_optimum_ratio to rise step by step",
    ),
    Mechanism(
        M + "test_loss_aversion_cuts_care_when_the_sum_runs_short",
        "funding models (cross-case)",
        "loss aversion (4 against 1) when the lump sum runs short",
        "formal_to_optimum_ratio",
        "lower",
        {"funding": LS, "lump_sum_eur": 600_000.0},
        {"loss_aversion": 1.0},
        {"loss_aversion": 4.0},
        "a sum that never runs short (EUR 20m)",
        {"lump_sum_eur": 20_000_000.0, "loss_aversion": 1.0},
        {"lump_sum_eur": 20_000_000.0, "loss_aversion": 4.0},
    ),
)


def arm_key(scenario: str, overrides: Overrides) -> tuple:
    """A hashable key of an arm (order of the overrides does not matter)."""
    return (scenario, tuple(sorted(overrides.items())))


def of_test(test: str) -> list[Mechanism]:
    """The mechanisms a test checks (``file::function``), in declaration order."""
    found = [m for m in MECHANISMS if m.test == test]
    if not found:
        raise KeyError(f"no mechanism is declared for {test} in sim/mechanisms.py")
    return found
