"""The one declared parameter table, and the scenario built from it.

Everything else is derived from :data:`PARAMS`: validation, TOML loading, the
``care-sim`` flags and their ``--help`` text, and ``care-sim show``. A parameter has a
name, a default, a unit, bounds, a one-line meaning and a source (a case in
``cases.md``, a figure in ``calibration.md``, or "assumption" with its reason).
"""

from __future__ import annotations

import difflib
import math
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

FUNDING_MODELS = ("fee_for_service", "lump_sum", "subsidy", "output_based", "population_budget", "blended")
#: The core comparison of the design card.
CORE_FUNDING_MODELS = ("fee_for_service", "lump_sum", "subsidy")


class ScenarioError(ValueError):
    """Raised for bad scenario input: unknown keys, out-of-range or ill-typed values."""


@dataclass(frozen=True)
class Param:
    """One row of the parameter table."""

    name: str
    default: Any
    unit: str
    lo: float | None
    hi: float | None
    meaning: str
    source: str
    kind: type = float
    choices: tuple[str, ...] | None = None
    nullable: bool = False

    def bounds_text(self) -> str:
        if self.choices:
            return "one of " + ", ".join(self.choices)
        if self.kind is bool:
            return "true or false"
        return f"[{self.lo:g}, {self.hi:g}]"

    def check(self, value: Any) -> Any:
        """Return ``value`` coerced to this parameter's type, or raise ScenarioError."""
        if value is None:
            if self.nullable:
                return None
            raise ScenarioError(f"{self.name}: a value is required ({self.bounds_text()})")
        if self.kind is bool:
            if isinstance(value, str) and value.lower() in ("true", "1", "yes", "on"):
                return True
            if isinstance(value, str) and value.lower() in ("false", "0", "no", "off"):
                return False
            if isinstance(value, bool | int) and value in (0, 1):
                return bool(value)
            raise ScenarioError(f"{self.name} = {value!r} is not true or false")
        if self.choices:
            if value not in self.choices:
                hint = difflib.get_close_matches(str(value), self.choices, n=1)
                extra = f"; did you mean {hint[0]!r}?" if hint else ""
                raise ScenarioError(f"{self.name} = {value!r} is not allowed: {self.bounds_text()}{extra}")
            return value
        try:
            if self.kind is int:
                if isinstance(value, float) and not value.is_integer():
                    raise ValueError
                num = int(value)
            else:
                num = float(value)
        except (TypeError, ValueError):
            raise ScenarioError(
                f"{self.name} = {value!r} is not a {'whole number' if self.kind is int else 'number'}"
                f" (allowed: {self.bounds_text()} {self.unit})"
            ) from None
        if isinstance(value, bool) or not math.isfinite(num) or not (self.lo <= num <= self.hi):
            raise ScenarioError(f"{self.name} = {value!r} is out of range: allowed {self.bounds_text()} {self.unit}")
        return num


_CBS = "calibration.md"
P = Param
#: The parameter table. Order is the order of ``care-sim show`` and ``--help``.
PARAMS: tuple[Param, ...] = (
    # --- town and run -----------------------------------------------------------------
    P(
        "population",
        20_000,
        "inhabitants",
        1_000,
        5_000_000,
        "inhabitants of the town",
        "assumption: a small Dutch town for fast demos (model-brief.md 'default')",
        int,
    ),
    P(
        "years",
        10,
        "years",
        1,
        50,
        "simulated years (52 weekly steps each)",
        "assumption: a decade shows year-end adaptation and need growth",
        int,
    ),
    P(
        "funding",
        "fee_for_service",
        "",
        None,
        None,
        "how the municipality pays providers",
        "cases.md, cross-case table",
        str,
        FUNDING_MODELS,
    ),
    P(
        "districts",
        2,
        "districts",
        1,
        100,
        "districts in the town",
        "assumption: Lelystad has 4 of ~20,000 inhabitants (cases.md)",
        int,
    ),
    P(
        "district_risk_spread",
        0.15,
        "log-sd",
        0.0,
        2.0,
        "spread of need risk between districts",
        "cases.md Lelystad: need above average in some parts",
    ),
    P("neighbourhoods_per_district", 4, "neighbourhoods", 1, 200, "neighbourhoods in each district", "assumption", int),
    P(
        "at_risk_share",
        0.06,
        "share of inhabitants",
        0.005,
        0.5,
        "residents who may develop a support need (the network's residents)",
        "assumption: 8% of adults report unmet need (SCP 2015, calibration.md)",
    ),
    P(
        "ties_per_resident",
        6,
        "ties",
        2,
        30,
        "social ties per resident (even)",
        "assumption: small-world neighbourhood network (Watts-Strogatz)",
        int,
    ),
    P("tie_rewiring", 0.1, "probability", 0.0, 1.0, "chance that a tie leaves the neighbourhood", "assumption"),
    # --- need ------------------------------------------------------------------------
    P(
        "onset_per_year",
        0.2028,
        "per resident-year",
        0.0,
        5.0,
        "yearly chance that an at-risk resident develops a support need",
        "fitted (ABC, docs/calibration_fit.md; 10-90% 0.133-0.285) to the five calibration.md figures",
    ),
    P(
        "need_growth_per_year",
        0.02,
        "per year",
        -0.2,
        0.5,
        "yearly growth of onset rate and need at onset (ageing)",
        "calibration.md: 60+ population grew 8% in four years (CBS 2023)",
    ),
    P(
        "need_scale_hours",
        3.058,
        "hours/week",
        0.5,
        100.0,
        "median need of a client without a carer at the lowest self-reliance (score 1)",
        "fitted (ABC, docs/calibration_fit.md; 10-90% 2.39-3.84): EUR 3,000-6,000 per client-year under FFS",
    ),
    P(
        "carer_need_factor",
        8.0,
        "multiplier",
        1.0,
        20.0,
        "need scale of residents with a carer against those without",
        "assumption: heavy needs draw informal care; heavily burdened carers give 23-28 h (RIVM 2012)",
    ),
    P("need_scale_sd", 0.3, "log-sd", 0.0, 2.0, "spread of need between clients", "assumption: right-skewed need"),
    P(
        "entry_self_reliance",
        2.6,
        "score 1-5",
        1.0,
        5.0,
        "mean self-reliance when a need starts",
        "assumption: self-reliance matrix mid-low",
    ),
    P(
        "deterioration_per_week",
        0.012,
        "score/week",
        0.0,
        0.5,
        "weekly loss of self-reliance when no need is met",
        "calibrated: mean episode 1-2 years",
    ),
    P(
        "recovery_per_week",
        0.012,
        "score/week",
        0.0,
        0.5,
        "weekly gain of self-reliance when all need is met",
        "calibrated, as above",
    ),
    P(
        "self_reliance_noise",
        0.06,
        "score/week",
        0.0,
        1.0,
        "weekly random change in self-reliance (shocks)",
        "assumption",
    ),
    P(
        "recovery_self_reliance",
        4.2,
        "score 1-5",
        2.0,
        5.0,
        "self-reliance at which a client no longer needs support",
        "assumption",
    ),
    P(
        "mortality_per_year",
        0.04,
        "per client-year",
        0.0,
        1.0,
        "yearly death rate of clients",
        "assumption: adult Wmo clients, mostly elderly",
    ),
    P(
        "escalation_per_year",
        0.02,
        "per client-year",
        0.0,
        1.0,
        "yearly escalation rate to residential or specialist care with all need met",
        "assumption",
    ),
    P(
        "escalation_unmet_factor",
        15.0,
        "multiplier",
        0.0,
        100.0,
        "how much recent unmet need multiplies the escalation rate (x(1+f*unmet share))",
        "assumption: prevention protects (model-brief.md process 1)",
    ),
    # --- access ----------------------------------------------------------------------
    P(
        "non_asker_share",
        0.25,
        "share",
        0.0,
        1.0,
        "residents who never ask for help themselves",
        "assumption: 400,000 of 670,000 in need get no help (SCP 2015)",
    ),
    P(
        "assessment_queue",
        True,
        "",
        None,
        None,
        "fee-for-service clients wait for a municipal assessment",
        "cases.md (indicatie); Alphen 6-8 weeks before the lump sum",
        bool,
    ),
    P(
        "assessments_per_week_per_10k",
        4.265,
        "assessments/week per 10,000 inh.",
        0.01,
        1000.0,
        "municipal assessment capacity",
        "fitted (ABC, docs/calibration_fit.md; 10-90% 3.28-4.91): wait under fee-for-service 6-11 weeks",
    ),
    P(
        "assessment_decision_weeks",
        2,
        "weeks",
        0,
        52,
        "weeks from assessment to decision",
        "Wmo 2015: 2 weeks to decide",
        int,
    ),
    P(
        "indication_headroom",
        0.25,
        "share",
        0.0,
        2.0,
        "hours indicated above the assessed formal need (rounding up to hour bands)",
        "assumption: indications are set in bands",
    ),
    P(
        "max_formal_hours",
        4.0,
        "hours/week",
        0.0,
        40.0,
        "most formal support hours a client can use in a week",
        "assumption: beyond this, residential care applies",
    ),
    P(
        "network_signal_per_week",
        0.004,
        "per active tie-week",
        0.0,
        1.0,
        "chance a tie in contact with care notices a non-asker each week",
        "assumption",
    ),
    P(
        "outreach",
        False,
        "",
        None,
        None,
        "the municipality funds an outreach team",
        "cases.md Alphen: bemoeizorg added later",
        bool,
    ),
    P(
        "outreach_hours_per_10k",
        10.0,
        "hours/week per 10,000 inh.",
        0.0,
        1000.0,
        "size of the municipal outreach team",
        "assumption",
    ),
    P(
        "outreach_finds_per_hour",
        0.05,
        "non-askers/hour",
        0.0,
        10.0,
        "non-askers found per outreach hour when all are still hidden",
        "assumption",
    ),
    P(
        "provider_outreach_share",
        0.02,
        "share of staff capacity",
        0.0,
        0.5,
        "most staff time a provider may spend on outreach when it pays off",
        "assumption",
    ),
    P(
        "planning_weeks",
        52,
        "weeks",
        1,
        520,
        "horizon over which a provider values network-building and outreach",
        "assumption: yearly contracts and budgets",
        int,
    ),
    # --- informal care and volunteers -------------------------------------------------
    P(
        "carer_probability",
        0.6,
        "probability",
        0.0,
        1.0,
        "chance an at-risk resident has an informal carer",
        "assumption: 13% of adults are carers (CBS 2022)",
    ),
    P(
        "carer_hours",
        28.01,
        "hours/week",
        0.0,
        80.0,
        "mean of the most hours a carer can give in a week",
        "fitted (ABC, docs/calibration_fit.md; 10-90% 16.5-36.4): carers give 12 h/week on average (CBS 2022)",
    ),
    P(
        "carer_tolerance_hours",
        16.27,
        "hours/week",
        1.0,
        80.0,
        "mean sustained hours above which a carer is overburdened",
        "fitted (ABC, docs/calibration_fit.md; 10-90% 13.1-19.8): 10-25% overburdened (CBS 2022: 19% heavily burdened)",
    ),
    P(
        "carer_dropout_per_week",
        0.01,
        "per week",
        0.0,
        1.0,
        "chance an overburdened carer stops caring that week",
        "assumption",
    ),
    P(
        "carer_support_relief",
        0.3,
        "share",
        0.0,
        1.0,
        "burden reduction for carers of clients with network support",
        "assumption",
    ),
    P(
        "volunteers_per_1000",
        1.5,
        "per 1,000 inh.",
        0.0,
        100.0,
        "care volunteers at the start",
        "calibration.md: 6.8% volunteer in care; Alphen 600",
    ),
    P("volunteer_hours", 3.0, "hours/week", 0.0, 40.0, "hours a volunteer gives", "assumption"),
    P("volunteer_years", 3.0, "years", 0.1, 50.0, "mean time a volunteer stays", "assumption"),
    P(
        "volunteer_recruits_per_hour",
        0.05,
        "volunteers/hour",
        0.0,
        10.0,
        "volunteers recruited per staff hour of network-building",
        "assumption",
    ),
    P(
        "reciprocity_rate",
        0.1,
        "probability",
        0.0,
        1.0,
        "chance that a client who recovers with network support becomes a volunteer",
        "cases.md Alphen: reciprocity",
    ),
    P(
        "network_build_hours",
        4.0,
        "staff hours",
        0.0,
        100.0,
        "staff hours spent once to mobilise a client's network",
        "assumption",
    ),
    P(
        "network_support_hours",
        2.0,
        "hours/week",
        0.0,
        40.0,
        "volunteer hours a networked client can get",
        "assumption",
    ),
    # --- providers and the incentive core --------------------------------------------
    P("providers", 4, "providers", 1, 500, "providers contracted by the municipality", "assumption", int),
    P(
        "provider_altruism",
        0.6,
        "weight 0-1",
        0.0,
        1.0,
        "mean weight a provider puts on client benefit against its margin",
        "Hennig-Schmidt et al. 2011: substantial, varied altruism",
    ),
    P(
        "provider_altruism_sd",
        0.15,
        "weight",
        0.0,
        0.5,
        "spread of altruism between providers",
        "Brosig-Koch et al. 2016: large variation",
    ),
    P(
        "client_benefit_eur_per_hour",
        60.0,
        "EUR/hour",
        1.0,
        1000.0,
        "value the provider puts on a client's first hour of support",
        "assumption: equal to the hourly price",
    ),
    P(
        "hourly_price_eur",
        60.0,
        "EUR/hour",
        0.0,
        500.0,
        "fee-for-service price of an hour of individual support",
        "calibration.md: EUR 52-66 (Zeist, Westerveld, Meerinzicht)",
    ),
    P(
        "hourly_cost_eur",
        52.0,
        "EUR/hour",
        1.0,
        500.0,
        "provider's cost of a staff hour",
        "assumption: ~87% of the price",
    ),
    P(
        "group_price_eur",
        9.6,
        "EUR/client-hour",
        0.0,
        200.0,
        "fee-for-service price of a client-hour of group day activity",
        "calibration.md: Meerinzicht 2023",
    ),
    P("group_size", 8, "clients/staff hour", 1, 50, "clients per staff member in a group", "assumption", int),
    P(
        "transport_eur_per_km",
        2.8,
        "EUR/km",
        0.0,
        50.0,
        "transport to a day activity, per km of the one-way distance (a day has a return trip)",
        "calibrated: EUR 15 a day at the default town's mean distance (Westerveld 2023)",
    ),
    P("town_radius_km", 4.0, "km", 0.1, 100.0, "radius of the town; neighbourhoods lie within it", "assumption"),
    P(
        "group_activities_local",
        False,
        "",
        None,
        None,
        "group activities in every neighbourhood (else one central location)",
        "cases.md Alphen: activities close to home, less transport",
        bool,
    ),
    P("local_activity_km", 0.5, "km", 0.0, 50.0, "distance to a neighbourhood activity", "assumption"),
    P(
        "group_suitable_share",
        0.6,
        "share",
        0.0,
        1.0,
        "clients for whom group activity can replace individual support",
        "assumption",
    ),
    P("staff_headroom", 0.4, "share", 0.0, 5.0, "staff capacity kept above expected demand", "assumption"),
    P(
        "capacity_adjust_per_year",
        0.2,
        "share/year",
        0.0,
        1.0,
        "largest yearly change of a provider's staff capacity",
        "assumption",
    ),
    P(
        "overhead_share",
        0.1,
        "share of staff cost",
        0.0,
        2.0,
        "a provider's fixed weekly cost (rent, management) as a share of its starting staff cost",
        "assumption",
    ),
    P(
        "reserves_share",
        0.1,
        "share of revenue",
        0.0,
        5.0,
        "starting reserves as a share of a year's expected revenue",
        "assumption",
    ),
    P(
        "transfer_weeks",
        6,
        "weeks",
        0,
        104,
        "weeks a bankrupt provider's clients wait for a new provider",
        "assumption",
        int,
    ),
    # --- contract and money ------------------------------------------------------------
    P(
        "lump_sum_eur",
        None,
        "EUR/year",
        0.0,
        1e11,
        "annual lump sum (default: baseline clients x baseline hours x price)",
        "cases.md Alphen: about EUR 7m/year",
        float,
        None,
        True,
    ),
    P(
        "baseline_clients_per_1000",
        18.0,
        "per 1,000 inh.",
        0.0,
        200.0,
        "clients the budget is set for",
        "calibration.md: 12-26 per 1,000",
    ),
    P(
        "baseline_formal_hours",
        1.6,
        "hours/client-week",
        0.0,
        40.0,
        "formal hours per client the budget is set for",
        "calibration.md: EUR 3,000-6,000 per client-year",
    ),
    P(
        "lump_sum_discount",
        0.05,
        "share",
        0.0,
        1.0,
        "discount on the lump sum against the baseline",
        "cases.md Alphen: one percentage discount",
    ),
    P(
        "kpi_target",
        0.75,
        "share",
        0.0,
        1.0,
        "target share of clients improved or stable after 26 weeks",
        "cases.md Alphen: 75%",
    ),
    P(
        "kpi_penalty_share",
        0.03,
        "share of lump sum",
        0.0,
        1.0,
        "lump sum withheld at year end when the KPI misses its target (0: no consequence)",
        "assumption",
    ),
    P(
        "subsidy_reclaim_share",
        1.0,
        "share",
        0.0,
        1.0,
        "share of a subsidy surplus reclaimed at year end",
        "cases.md Harderwijk",
    ),
    P(
        "assessment_cost_eur",
        600.0,
        "EUR/assessment",
        0.0,
        10_000.0,
        "municipal cost of an assessment",
        "assumption: kitchen-table talk plus decision",
    ),
    P(
        "invoice_cost_eur",
        12.0,
        "EUR/client-month",
        0.0,
        1_000.0,
        "admin cost of an invoice line under fee-for-service",
        "assumption; cases.md Zaltbommel: fewer product codes, less admin",
    ),
    P(
        "monitoring_cost_share",
        0.015,
        "share of budget",
        0.0,
        1.0,
        "yearly cost of contract monitoring and KPI reports",
        "assumption; cases.md Lelystad: extra bureaucracy",
    ),
    # --- funding models added for the municipal cases -----------------------------------
    P(
        "blend_ffs_share",
        0.5,
        "share",
        0.0,
        1.0,
        "blended: share of the fee-for-service price paid per hour; the rest comes as lump sum",
        "Ellis & McGuire 1986: mixed payment",
    ),
    P(
        "output_period_weeks",
        13,
        "weeks",
        1,
        104,
        "output-based: length of a paid client-period",
        "assumption: a quarter",
        int,
    ),
    P(
        "output_categories",
        3,
        "categories",
        1,
        20,
        "output-based: need categories set at assessment, each with its own price per period",
        "cases.md cross-case table (outputgericht)",
        int,
    ),
    P(
        "output_price_share",
        0.7,
        "share",
        0.0,
        2.0,
        "output-based: price of a category against the fee-for-service price of its mid-point hours",
        "assumption: fixed prices are set below the hours they stand for",
    ),
    P(
        "provider_may_refuse",
        True,
        "",
        None,
        None,
        "output-based: a provider may decline a client it expects to lose money on (no duty to accept)",
        "cases.md: named risk of cream-skimming",
        bool,
    ),
    P(
        "max_districts_per_contractor",
        2,
        "districts",
        1,
        100,
        "population budget: most districts one main contractor may serve",
        "cases.md Lelystad: 2 of 4",
        int,
    ),
    P(
        "risk_adjusted_budget",
        True,
        "",
        None,
        None,
        "population budget: district budgets follow need risk, not only head count",
        "cases.md Lelystad: risk-adjusted population budgets",
        bool,
    ),
    P(
        "subcontract_share",
        0.0,
        "share of hours",
        0.0,
        1.0,
        "population budget: hours a main contractor buys from subcontractors",
        "cases.md Lelystad: dozens of subcontractors",
        float,
    ),
    P("subcontract_markup", 0.1, "share", 0.0, 2.0, "price of a subcontracted hour above own cost", "assumption"),
    P(
        "budget_revision_per_year",
        0.0,
        "probability",
        0.0,
        1.0,
        "population budget: chance a year has a mid-year budget revision (May or September)",
        "cases.md Lelystad: the state revises budgets mid-year",
    ),
    P("budget_revision_size", -0.05, "share", -0.5, 0.5, "size of a mid-year budget revision", "assumption"),
    P(
        "reopen_weeks",
        4,
        "weeks",
        0,
        52,
        "weeks of lost subcontracted care while contracts are reopened after a revision",
        "assumption",
        int,
    ),
    P(
        "loss_aversion",
        2.0,
        "multiplier",
        1.0,
        10.0,
        "weight of an hour's cost to a provider that expects a deficit on its fixed sum",
        "Tversky & Kahneman 1992: loss aversion about 2.25",
    ),
    P(
        "prevention_foresight",
        0.25,
        "weight 0-1",
        0.0,
        1.0,
        "how far providers count the future hours that care given now saves (ODD 7.6.2)",
        "cases.md Alphen: under a lump sum prevention pays the provider",
    ),
    # --- Alphen ---------------------------------------------------------------------------
    P(
        "historic_share_spread",
        0.0,
        "coefficient of variation",
        0.0,
        2.0,
        "spread of the historic shares by which a consortium splits its fixed sum",
        "cases.md Alphen: split by past indications",
    ),
    P(
        "cashier",
        False,
        "",
        None,
        None,
        "one member acts as cashier and passes the fixed sum on by clients served",
        "cases.md Harderwijk: Eperweg pilot",
        bool,
    ),
    P(
        "walk_in",
        False,
        "",
        None,
        None,
        "walk-in access without an assessment (only where no assessment is needed)",
        "cases.md Alphen: people can walk in",
        bool,
    ),
    P("walk_in_share", 0.3, "share", 0.0, 1.0, "share of non-askers who do walk in when they can", "assumption"),
    P(
        "outreach_start_year",
        0.0,
        "years",
        0.0,
        50.0,
        "year in which the municipal outreach team starts",
        "cases.md Alphen: outreach team added later",
    ),
    # --- Lelystad -------------------------------------------------------------------------
    P(
        "district_teams",
        False,
        "",
        None,
        None,
        "social district teams are the way in",
        "cases.md Lelystad: district teams since 2012",
        bool,
    ),
    P(
        "district_team_signal_factor",
        3.0,
        "multiplier",
        1.0,
        50.0,
        "how much district teams raise the chance that a non-asker is noticed",
        "assumption",
    ),
    P(
        "gp_referral_per_year",
        0.0,
        "per client-year",
        0.0,
        10.0,
        "yearly rate at which GPs refer a hidden non-asker to welfare (welfare on prescription)",
        "cases.md Lelystad: welzijn op recept",
    ),
    P(
        "case_owner",
        False,
        "",
        None,
        None,
        "every client has one fixed case owner, so no client is lost at a handover",
        "cases.md Lelystad: one owner per client",
        bool,
    ),
    P(
        "handover_loss",
        0.2,
        "probability",
        0.0,
        1.0,
        "chance that a client without a case owner is lost when changing provider",
        "assumption",
    ),
    P(
        "volunteer_training_eur_per_10k",
        0.0,
        "EUR/year per 10,000 inh.",
        0.0,
        1e7,
        "municipal money for training care volunteers",
        "cases.md Lelystad: trained care volunteers",
    ),
    P("volunteer_training_cost_eur", 1500.0, "EUR/volunteer", 1.0, 1e6, "cost of training one volunteer", "assumption"),
    # --- Zaltbommel -----------------------------------------------------------------------
    P(
        "contract_years",
        1,
        "years",
        1,
        50,
        "length of provider contracts",
        "cases.md Zaltbommel: 5 years against the usual 1",
        int,
    ),
    P(
        "tender_churn",
        0.2,
        "probability",
        0.0,
        1.0,
        "chance that a provider loses its contract at a new tender",
        "assumption",
    ),
    P(
        "tender_cost_eur",
        3000.0,
        "EUR/provider",
        0.0,
        1e6,
        "admin cost per provider of a tender",
        "assumption; cases.md Zaltbommel: less admin",
    ),
    P(
        "referral",
        False,
        "",
        None,
        None,
        "providers refer a client to a provider that fits better",
        "cases.md Zaltbommel: providers know each other and refer",
        bool,
    ),
    P("provider_types", 1, "types", 1, 20, "kinds of provider expertise; a client fits one kind", "assumption", int),
    P(
        "mismatch_recovery_factor",
        0.6,
        "multiplier",
        0.0,
        1.0,
        "recovery of a client served by a provider of the wrong kind",
        "assumption",
    ),
    P(
        "pgb_share",
        0.0,
        "share",
        0.0,
        1.0,
        "clients with an entitlement who take a personal budget (pgb) instead of care in kind",
        "cases.md Zaltbommel: 49 of 243",
    ),
    P(
        "pgb_rate",
        0.9,
        "share of price",
        0.0,
        2.0,
        "personal budget per hour against the in-kind price",
        "calibration.md: 90% (Zeist)",
    ),
    P(
        "pgb_informal_share",
        0.3,
        "share",
        0.0,
        1.0,
        "share of a personal budget spent on paid informal carers",
        "assumption",
    ),
    P(
        "pgb_informal_price_eur",
        20.0,
        "EUR/hour",
        0.0,
        200.0,
        "hourly pay of an informal carer from a pgb",
        "calibration.md: EUR 16-23",
    ),
    # --- Noord-Veluwe ---------------------------------------------------------------------
    P(
        "buffer_share",
        0.5,
        "share",
        0.0,
        1.0,
        "share of reclaimed subsidy surplus kept as a buffer that rescues providers in deficit",
        "cases.md Harderwijk",
    ),
    P(
        "innovation_share",
        0.3,
        "share",
        0.0,
        1.0,
        "share of reclaimed subsidy surplus spent next year on training care volunteers",
        "cases.md Harderwijk: innovation budget",
    ),
    P(
        "protected_living_share",
        0.0,
        "share",
        0.0,
        1.0,
        "share of new clients in protected living, who can leave only to a free home",
        "cases.md Harderwijk: beschermd wonen",
    ),
    P(
        "housing_per_year_per_10k",
        5.0,
        "homes/year per 10,000 inh.",
        0.0,
        1e4,
        "homes that come free each year for clients leaving protected living",
        "cases.md Harderwijk: outflow blocked by housing",
    ),
)
del P

PARAM_BY_NAME: dict[str, Param] = {p.name: p for p in PARAMS}


class Scenario(Mapping):
    """A validated, immutable set of parameter values.

    Read values as attributes (``sc.population``) or as a mapping (``sc["population"]``).
    The one derived default differs between the two: ``sc["lump_sum_eur"]`` is the declared
    value (``None``: derived from baseline need), ``sc.lump_sum_eur`` the value in effect.
    Use :meth:`replace` to get a changed copy.
    """

    __slots__ = ("_values", "name")

    def __init__(self, values: Mapping[str, Any] | None = None, name: str = "custom"):
        merged = {p.name: p.default for p in PARAMS}
        merged.update(validate(values or {}))
        object.__setattr__(self, "_values", merged)
        object.__setattr__(self, "name", name)

    def __getattr__(self, key: str) -> Any:
        try:
            value = self._values[key]
        except KeyError:
            raise AttributeError(_unknown_message(key)) from None
        if value is None and key == "lump_sum_eur":
            return self.effective_lump_sum_eur  # the attribute is the value in effect
        return value

    def __setattr__(self, key, value):
        raise AttributeError("a Scenario is immutable; use scenario.replace(key=value)")

    def __getitem__(self, key: str) -> Any:
        return self._values[key]

    def __iter__(self):
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __repr__(self) -> str:
        changed = {k: v for k, v in self._values.items() if PARAM_BY_NAME[k].default != v}
        return f"Scenario({self.name!r}, {changed})"

    def __reduce__(self):
        return (Scenario, (dict(self._values), self.name))

    def replace(self, **overrides: Any) -> Scenario:
        """Return a copy with ``overrides`` applied (validated)."""
        return Scenario({**self._values, **overrides}, self.name)

    def to_dict(self) -> dict[str, Any]:
        return dict(self._values)

    @property
    def effective_lump_sum_eur(self) -> float:
        """The annual lump sum: the declared value, or the baseline-need default."""
        declared = self._values["lump_sum_eur"]
        if declared is not None:
            return float(declared)
        return baseline_budget_eur(self) * (1.0 - self.lump_sum_discount)


def baseline_budget_eur(sc: Scenario) -> float:
    """The yearly budget implied by the scenario's baseline need (ODD 7.9)."""
    clients = sc.baseline_clients_per_1000 * sc.population / 1000.0
    return clients * sc.baseline_formal_hours * 52.0 * sc.hourly_price_eur


def _unknown_message(key: str) -> str:
    hint = difflib.get_close_matches(key, PARAM_BY_NAME, n=1, cutoff=0.6)
    extra = f"; did you mean {hint[0]!r}?" if hint else "; `care-sim show default` lists them"
    return f"unknown parameter {key!r}{extra}"


def validate(values: Mapping[str, Any]) -> dict[str, Any]:
    """Check every key and value; return them coerced. Raises ScenarioError."""
    out = {}
    for key, value in values.items():
        if key not in PARAM_BY_NAME:
            raise ScenarioError(_unknown_message(key))
        out[key] = PARAM_BY_NAME[key].check(value)
    return out


def _scenario_dir():
    return resources.files("sim") / "scenarios"


def list_scenarios() -> list[str]:
    """Names of the scenarios shipped with the package, ``default`` first."""
    names = sorted(f.name[:-5] for f in _scenario_dir().iterdir() if f.name.endswith(".toml"))
    return sorted(names, key=lambda n: n != "default")


def scenario_description(name: str) -> str:
    """The one-line description at the top of a shipped scenario file."""
    return _read_toml(_scenario_dir() / f"{name}.toml").get("description", "")


def _read_toml(path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"{path}: not valid TOML: {exc}") from None
    return data


def load_scenario(name_or_path: str | Path | Scenario = "default", **overrides: Any) -> Scenario:
    """Load a shipped scenario by name, or a TOML file by path, and apply overrides.

    A scenario file holds ``description = "..."`` and a ``[params]`` table; keys not set
    keep their defaults from the parameter table.

    Raises:
        ScenarioError: unknown scenario, unknown key or bad value.
    """
    if isinstance(name_or_path, Scenario):
        return name_or_path.replace(**overrides)
    text = str(name_or_path)
    if text.endswith(".toml") or Path(text).is_file():
        path = Path(text)
        if not path.is_file():
            raise ScenarioError(f"scenario file {text!r} does not exist")
        data, name = _read_toml(path), path.stem
    else:
        names = list_scenarios()
        if text not in names:
            hint = difflib.get_close_matches(text, names, n=1)
            extra = f"; did you mean {hint[0]!r}?" if hint else ""
            raise ScenarioError(f"unknown scenario {text!r}: choose from {', '.join(names)}{extra}")
        data, name = _read_toml(_scenario_dir() / f"{text}.toml"), text
    unknown = set(data) - {"description", "params"}
    if unknown:
        raise ScenarioError(f"{text}: unknown top-level key(s) {sorted(unknown)}; use description and [params]")
    try:
        params = data.get("params", {})
        if not isinstance(params, dict):
            raise ScenarioError(f"[params] must be a table of name = value lines, not {type(params).__name__}")
        return Scenario({**params, **overrides}, name)
    except ScenarioError as exc:
        raise ScenarioError(f"{name}: {exc}") from None
