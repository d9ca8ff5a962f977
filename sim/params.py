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

from .funding import FUNDING

#: The funding model names, declared once by the classes of sim/funding.py.
FUNDING_MODELS = tuple(FUNDING)
#: The core comparison of the design card.
CORE_FUNDING_MODELS = ("fee_for_service", "lump_sum", "subsidy")


#: The roles of a parameter in an analysis (see :attr:`Param.role`).
ROLES = ("lever", "uncertainty", "setting")


class ScenarioError(ValueError):
    """Raised for bad scenario input: unknown keys, out-of-range or ill-typed values."""


@dataclass(frozen=True, kw_only=True)
class Param:
    """One row of the parameter table (keyword fields only).

    Attributes:
        name: the key in scenarios, TOML files and ``--flags``.
        default: the value when a scenario does not set it.
        unit: the unit of the value ("" for switches and choices).
        lo, hi: validation bounds: a value outside them is refused (numbers only).
        meaning: one line on what the value means.
        source: where the default comes from: a case, a figure, or "assumption: why".
        kind: ``float``, ``int``, ``bool`` or ``str`` (with ``choices``).
        choices: the allowed values of a ``str`` parameter.
        nullable: ``None`` is allowed (a value derived from others).
        analysis: the plausible range for sensitivity analysis, sweeps and sliders:
            ``(lo, hi)`` inside the validation bounds for a number; ``(False, True)`` for
            a switch that analyses may flip; ``None`` for a choice (all its ``choices``
            are analysed) or a derived value that is not analysed itself.
        analysis_source: where the analysis range comes from, or "assumption: why".
        role: ``"lever"`` (a choice the municipality makes: the EMA levers),
            ``"uncertainty"`` (what it does not control: the EMA uncertainties) or
            ``"setting"`` (the town and the run: constants in an analysis).
        step: for a whole number, the spacing of allowed values from ``lo`` (2: even).
    """

    name: str
    default: Any
    unit: str = ""
    lo: float | None = None
    hi: float | None = None
    meaning: str
    source: str
    kind: type = float
    choices: tuple[str, ...] | None = None
    nullable: bool = False
    analysis: tuple[Any, Any] | None = None
    analysis_source: str = ""
    role: str = "uncertainty"
    step: int = 1

    def __post_init__(self) -> None:
        # The table itself is checked once at import: a bad row is a bug, not user input.
        if self.role not in ROLES:
            raise ValueError(f"parameter {self.name}: role {self.role!r} is not one of {ROLES}")
        if self.analysis is not None and self.kind in (int, float):
            a, b = self.analysis
            if not (self.lo <= a < b <= self.hi):
                raise ValueError(
                    f"parameter {self.name}: analysis range {self.analysis} outside [{self.lo}, {self.hi}]"
                )
        if self.analysis is not None and self.kind is bool and tuple(self.analysis) != (False, True):
            raise ValueError(f"parameter {self.name}: a switch is analysed as (False, True)")

    @property
    def analysed(self) -> bool:
        """True when analyses (sweeps, SALib, EMA, sliders) may vary this parameter."""
        return self.analysis is not None or bool(self.choices)

    def analysis_values(self) -> tuple[Any, ...]:
        """The values a categorical analysis samples: the choices, or False/True."""
        if self.choices:
            return tuple(self.choices)
        if self.kind is bool:
            return (False, True)
        raise TypeError(f"{self.name} is numeric: use its analysis range {self.analysis}")

    def bounds_text(self) -> str:
        if self.choices:
            return "one of " + ", ".join(self.choices)
        if self.kind is bool:
            return "true or false"
        return f"[{self.lo:g}, {self.hi:g}]"

    def check(self, value: Any) -> Any:
        """Return ``value`` coerced to this parameter's type, or raise ScenarioError.

        NumPy scalars (as pandas and samplers hand them out) count as the Python values
        they hold.
        """
        if type(value).__module__ == "numpy" and hasattr(value, "item"):
            value = value.item()
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
        if self.kind is int and self.step > 1 and (num - self.lo) % self.step:
            raise ScenarioError(
                f"{self.name} = {value!r} is not allowed: {self.bounds_text()} in steps of {self.step} {self.unit}"
            )
        return num


_CBS = "calibration.md"
P = Param
#: The parameter table. Order is the order of ``care-sim show`` and ``--help``.
PARAMS: tuple[Param, ...] = (
    # --- town and run -----------------------------------------------------------------
    P(
        name="population",
        default=20_000,
        unit="inhabitants",
        lo=1_000,
        hi=5_000_000,
        meaning="inhabitants of the town",
        source="assumption: a small Dutch town for fast demos (model-brief.md 'default')",
        kind=int,
        analysis=(10000, 900000),
        analysis_source="assumption: Dutch municipalities from a small town to the largest city",
        role="setting",
    ),
    P(
        name="years",
        default=10,
        unit="years",
        lo=1,
        hi=50,
        meaning="simulated years (52 weekly steps each)",
        source="assumption: a decade shows year-end adaptation and need growth",
        kind=int,
        analysis=(5, 20),
        analysis_source="assumption: long enough for contract cycles and need growth; the 2015 start still matters",
        role="setting",
    ),
    P(
        name="funding",
        default="fee_for_service",
        meaning="how the municipality pays providers",
        source="cases.md, cross-case table",
        kind=str,
        choices=FUNDING_MODELS,
        analysis=None,
        analysis_source="cases.md cross-case table: every funding model",
        role="lever",
    ),
    P(
        name="districts",
        default=2,
        unit="districts",
        lo=1,
        hi=100,
        meaning="districts in the town",
        source="assumption: Lelystad has 4 of ~20,000 inhabitants (cases.md)",
        kind=int,
        analysis=(1, 8),
        analysis_source="assumption: small towns have one or two districts; Lelystad 4 of about 20,000 (cases.md)",
        role="setting",
    ),
    P(
        name="district_risk_spread",
        default=0.15,
        unit="log-sd",
        lo=0.0,
        hi=2.0,
        meaning="spread of need risk between districts",
        source="cases.md Lelystad: need above average in some parts",
        analysis=(0.0, 0.4),
        analysis_source=(
            "assumption: up to about 1.5x more need in one district than another (cases.md Lelystad: need above "
            "average in some parts)"
        ),
        role="uncertainty",
    ),
    P(
        name="neighbourhoods_per_district",
        default=4,
        unit="neighbourhoods",
        lo=1,
        hi=200,
        meaning="neighbourhoods in each district",
        source="assumption",
        kind=int,
        analysis=(2, 10),
        analysis_source="assumption: a district of 10,000-20,000 inhabitants has a handful of neighbourhoods",
        role="setting",
    ),
    P(
        name="at_risk_share",
        default=0.06,
        unit="share of inhabitants",
        lo=0.005,
        hi=0.5,
        meaning="residents who may develop a support need (the network's residents)",
        source="assumption: 8% of adults report unmet need (SCP 2015, calibration.md)",
        analysis=(0.03, 0.12),
        analysis_source="assumption: around the 8% of adults who report unmet need (SCP 2015, calibration.md)",
        role="uncertainty",
    ),
    P(
        name="ties_per_resident",
        default=6,
        unit="ties",
        lo=2,
        hi=30,
        meaning="social ties per resident (even)",
        source="assumption: small-world neighbourhood network (Watts-Strogatz)",
        kind=int,
        analysis=(4, 12),
        analysis_source="assumption: small-world neighbourhood networks; fewer than 4 ties leave many isolated",
        role="uncertainty",
        step=2,
    ),
    P(
        name="tie_rewiring",
        default=0.1,
        unit="probability",
        lo=0.0,
        hi=1.0,
        meaning="chance that a tie leaves the neighbourhood",
        source="assumption",
        analysis=(0.02, 0.3),
        analysis_source="assumption: the small-world regime of the Watts-Strogatz model",
        role="uncertainty",
    ),
    P(
        name="volunteer_pool_share",
        default=0.01,
        unit="share of inhabitants",
        lo=0.0,
        hi=0.2,
        meaning="inhabitants who may become care volunteers: the network's volunteer slots (at least 10)",
        source="assumption: 1% of inhabitants, 200 in the default town",
        analysis=(0.005, 0.03),
        analysis_source="assumption: half to three times the default",
    ),
    # --- need ------------------------------------------------------------------------
    P(
        name="onset_per_year",
        default=0.2028,
        unit="per resident-year",
        lo=0.0,
        hi=5.0,
        meaning="yearly chance that an at-risk resident develops a support need",
        source="fitted (ABC, docs/calibration_fit.md; 10-90% 0.133-0.285) to the five calibration.md figures",
        analysis=(0.133, 0.285),
        analysis_source="fitted: the 10-90% ABC posterior interval (docs/calibration_fit.md)",
        role="uncertainty",
    ),
    P(
        name="need_growth_per_year",
        default=0.02,
        unit="per year",
        lo=-0.2,
        hi=0.5,
        meaning="yearly growth of onset rate and need at onset (ageing)",
        source="calibration.md: 60+ population grew 8% in four years (CBS 2023)",
        analysis=(0.0, 0.04),
        analysis_source="calibration.md: the 60+ population grew 8% in four years (about 2%/yr); 0 to twice that",
        role="uncertainty",
    ),
    P(
        name="need_scale_hours",
        default=3.058,
        unit="hours/week",
        lo=0.5,
        hi=100.0,
        meaning="median need of a client without a carer at the lowest self-reliance (score 1)",
        source="fitted (ABC, docs/calibration_fit.md; 10-90% 2.39-3.84): EUR 3,000-6,000 per client-year under FFS",
        analysis=(2.39, 3.84),
        analysis_source="fitted: the 10-90% ABC posterior interval (docs/calibration_fit.md)",
        role="uncertainty",
    ),
    P(
        name="carer_need_factor",
        default=8.0,
        unit="multiplier",
        lo=1.0,
        hi=20.0,
        meaning="need scale of residents with a carer against those without",
        source="assumption with an evidence-based prior: heavily burdened carers give 23-28 h against 8-9 (RIVM"
        " 2012), so heavier needs draw informal care; refitted in issue #11 with the carers' figures (posterior"
        " median 6.3, 10-90% 4.6-8.6, calibration_fit.md) and kept, as that fit met fewer targets",
        analysis=(3.0, 12.0),
        analysis_source=(
            "assumption: heavier needs draw informal care (heavily burdened carers give 23-28 h against 8-9, RIVM"
            " 2012): a factor of a few to over ten"
        ),
        role="uncertainty",
    ),
    P(
        name="need_scale_sd",
        default=0.3,
        unit="log-sd",
        lo=0.0,
        hi=2.0,
        meaning="spread of need between clients",
        source="assumption: right-skewed need",
        analysis=(0.1, 0.6),
        analysis_source="assumption: need is right-skewed; half to twice the default",
        role="uncertainty",
    ),
    P(
        name="entry_self_reliance",
        default=2.6,
        unit="score 1-5",
        lo=1.0,
        hi=5.0,
        meaning="mean self-reliance when a need starts",
        source="assumption: self-reliance matrix mid-low",
        analysis=(2.0, 3.2),
        analysis_source="assumption: self-reliance matrix scores at intake mostly 2-3",
        role="uncertainty",
    ),
    P(
        name="deterioration_per_week",
        default=0.012,
        unit="score/week",
        lo=0.0,
        hi=0.5,
        meaning="weekly loss of self-reliance when no need is met",
        source="calibrated: mean episode 1-2 years",
        analysis=(0.006, 0.024),
        analysis_source="calibrated to episodes of 1-2 years; half to twice the default",
        role="uncertainty",
    ),
    P(
        name="recovery_per_week",
        default=0.012,
        unit="score/week",
        lo=0.0,
        hi=0.5,
        meaning="weekly gain of self-reliance when all need is met",
        source="calibrated, as above",
        analysis=(0.006, 0.024),
        analysis_source="calibrated to episodes of 1-2 years; half to twice the default",
        role="uncertainty",
    ),
    P(
        name="learned_dependence",
        default=1.0,
        unit="multiplier",
        lo=0.0,
        hi=5.0,
        meaning="recovery falls by this times the share of need given in formal hours beyond need",
        source=(
            "assumption: care beyond need fosters dependence (Baltes 1996, The many faces of dependency;"
            " cases.md Alphen: clients became more self-reliant with less individual care)"
        ),
        analysis=(0.0, 2.0),
        analysis_source="assumption: no effect to recovery halted at half of need over-provided",
        role="uncertainty",
    ),
    P(
        name="self_reliance_noise",
        default=0.06,
        unit="score/week",
        lo=0.0,
        hi=1.0,
        meaning="weekly random change in self-reliance (shocks)",
        source="assumption",
        analysis=(0.02, 0.12),
        analysis_source="assumption: half to twice the default, a wide range for a value no study pins down",
        role="uncertainty",
    ),
    P(
        name="recovery_self_reliance",
        default=4.2,
        unit="score 1-5",
        lo=2.0,
        hi=5.0,
        meaning="self-reliance at which a client no longer needs support",
        source="assumption",
        analysis=(3.8, 4.6),
        analysis_source="assumption: 'self-reliant' on the 1-5 matrix lies between 4 and 5",
        role="uncertainty",
    ),
    P(
        name="mortality_per_year",
        default=0.04,
        unit="per client-year",
        lo=0.0,
        hi=1.0,
        meaning="yearly death rate of clients",
        source="assumption: adult Wmo clients, mostly elderly",
        analysis=(0.02, 0.08),
        analysis_source="assumption: half to twice the default, a wide range for a value no study pins down",
        role="uncertainty",
    ),
    P(
        name="escalation_per_year",
        default=0.02,
        unit="per client-year",
        lo=0.0,
        hi=1.0,
        meaning="yearly escalation rate to residential or specialist care with all need met",
        source="assumption",
        analysis=(0.01, 0.04),
        analysis_source="assumption: half to twice the default, a wide range for a value no study pins down",
        role="uncertainty",
    ),
    P(
        name="escalation_unmet_factor",
        default=15.0,
        unit="multiplier",
        lo=0.0,
        hi=100.0,
        meaning="how much recent unmet need multiplies the escalation rate (x(1+f*unmet share))",
        source="assumption: prevention protects (model-brief.md process 1)",
        analysis=(5.0, 30.0),
        analysis_source="assumption: a third to twice the default: prevention protects, by how much is unknown",
        role="uncertainty",
    ),
    P(
        name="escalation_cost_eur",
        default=60000.0,
        unit="EUR/escalation",
        lo=0.0,
        hi=1e6,
        meaning="public cost of one escalation to residential or specialist care (about a year of Wlz care)",
        source="assumption: the order of a year of residential long-term care (Wlz); no figure in calibration.md",
        analysis=(20000.0, 100000.0),
        analysis_source="assumption: a short stay to a year of intensive residential care",
        role="uncertainty",
    ),
    P(
        name="escalation_municipal_share",
        default=0.0,
        unit="share",
        lo=0.0,
        hi=1.0,
        meaning="share of an escalation's cost borne by the municipality (the rest: national Wlz/Zvw budgets)",
        source="Wlz: residential long-term care is paid nationally, not by the municipality",
        analysis=(0.0, 1.0),
        analysis_source="assumption: from the national budgets to a municipality bearing it all",
        role="lever",
    ),
    P(
        name="risk_spread",
        default=0.5,
        unit="log-sd",
        lo=0.0,
        hi=2.0,
        meaning="spread of need risk between residents (lognormal factor with mean 1)",
        source="assumption: risk varies about twofold between residents",
        analysis=(0.25, 1.0),
        analysis_source="assumption: half to twice the default",
    ),
    P(
        name="entry_self_reliance_sd",
        default=0.5,
        unit="score",
        lo=0.0,
        hi=2.0,
        meaning="spread (sd) of self-reliance when a need starts",
        source="assumption: half a point on the 1-5 self-reliance matrix",
        analysis=(0.25, 1.0),
        analysis_source="assumption: half to twice the default",
    ),
    P(
        name="entry_recovery_gap",
        default=0.2,
        unit="score",
        lo=0.0,
        hi=1.0,
        meaning="a new client's self-reliance is at least this far below recovery_self_reliance",
        source="assumption: a need that starts is not already recovered",
        analysis=(0.1, 0.5),
        analysis_source="assumption: from just below recovery to half a point below",
    ),
    P(
        name="unmet_memory_weeks",
        default=8.0,
        unit="weeks",
        lo=1.0,
        hi=104.0,
        meaning="memory of the unmet share of need that raises escalation (moving-average weeks)",
        source="assumption: about two months",
        analysis=(4.0, 26.0),
        analysis_source="assumption: a month to half a year",
    ),
    # --- access ----------------------------------------------------------------------
    P(
        name="non_asker_share",
        default=0.25,
        unit="share",
        lo=0.0,
        hi=1.0,
        meaning="residents who never ask for help themselves",
        source="assumption: 400,000 of 670,000 in need get no help (SCP 2015)",
        analysis=(0.1, 0.4),
        analysis_source="SCP 2015: 400,000 of 670,000 in need get no help; those who never ask are part of them",
        role="uncertainty",
    ),
    P(
        name="assessment_queue",
        default=True,
        meaning="fee-for-service clients wait for a municipal assessment",
        source="cases.md (indicatie); Alphen 6-8 weeks before the lump sum",
        kind=bool,
        analysis=(False, True),
        analysis_source="cases.md: an assessment queue under fee-for-service, or none",
        role="lever",
    ),
    P(
        name="assessments_per_week_per_10k",
        default=4.265,
        unit="assessments/week per 10,000 inh.",
        lo=0.01,
        hi=1000.0,
        meaning="municipal assessment capacity",
        source="fitted (ABC, docs/calibration_fit.md; 10-90% 3.28-4.91): wait under fee-for-service 6-11 weeks",
        analysis=(3.28, 4.91),
        analysis_source="fitted: the 10-90% ABC posterior interval (docs/calibration_fit.md)",
        role="lever",
    ),
    P(
        name="assessment_decision_weeks",
        default=2,
        unit="weeks",
        lo=0,
        hi=52,
        meaning="weeks from assessment to decision",
        source="Wmo 2015: 2 weeks to decide",
        kind=int,
        analysis=(0, 4),
        analysis_source="Wmo 2015: 2 weeks to decide; 0 to twice that",
        role="lever",
    ),
    P(
        name="indication_headroom",
        default=0.25,
        unit="share",
        lo=0.0,
        hi=2.0,
        meaning="hours indicated above the assessed formal need (rounding up to hour bands)",
        source="assumption: indications are set in bands",
        analysis=(0.0, 0.5),
        analysis_source="assumption: indications rounded up to hour bands: none to half an extra band",
        role="lever",
    ),
    P(
        name="max_formal_hours",
        default=4.0,
        unit="hours/week",
        lo=0.0,
        hi=40.0,
        meaning="most formal support hours a client can use in a week",
        source="assumption: beyond this, residential care applies",
        analysis=(3.0, 8.0),
        analysis_source="assumption: a few hours a week of support at home before residential care applies",
        role="lever",
    ),
    P(
        name="network_signal_per_week",
        default=0.004,
        unit="per active tie-week",
        lo=0.0,
        hi=1.0,
        meaning="chance a tie in contact with care notices a non-asker each week",
        source="assumption",
        analysis=(0.001, 0.01),
        analysis_source="assumption: a fourth to 2.5 times the default",
        role="uncertainty",
    ),
    P(
        name="outreach",
        default=False,
        meaning="the municipality funds an outreach team",
        source="cases.md Alphen: bemoeizorg added later",
        kind=bool,
        analysis=(False, True),
        analysis_source="cases.md Alphen: an outreach team, or none",
        role="lever",
    ),
    P(
        name="outreach_hours_per_10k",
        default=10.0,
        unit="hours/week per 10,000 inh.",
        lo=0.0,
        hi=1000.0,
        meaning="size of the municipal outreach team",
        source="assumption",
        analysis=(0.0, 30.0),
        analysis_source="assumption: none to a team of about one full-time worker per 13,000 inhabitants",
        role="lever",
    ),
    P(
        name="outreach_finds_per_hour",
        default=0.05,
        unit="non-askers/hour",
        lo=0.0,
        hi=10.0,
        meaning="non-askers found per outreach hour when all are still hidden",
        source="assumption",
        analysis=(0.01, 0.15),
        analysis_source="assumption: a fifth to three times the default",
        role="uncertainty",
    ),
    P(
        name="provider_outreach_share",
        default=0.02,
        unit="share of staff capacity",
        lo=0.0,
        hi=0.5,
        meaning="most staff time a provider may spend on outreach when it pays off",
        source="assumption",
        analysis=(0.0, 0.05),
        analysis_source="assumption: none to one staff hour in twenty",
        role="uncertainty",
    ),
    P(
        name="planning_weeks",
        default=52,
        unit="weeks",
        lo=1,
        hi=520,
        meaning="horizon over which a provider values network-building and outreach",
        source="assumption: yearly contracts and budgets",
        kind=int,
        analysis=(26, 156),
        analysis_source=(
            "assumption: providers look half a year to three years ahead (one- to five-year contracts, cases.md)"
        ),
        role="uncertainty",
    ),
    P(
        name="reassess_min_weeks",
        default=13,
        unit="weeks",
        lo=1,
        hi=104,
        meaning="least weeks since the last assessment before a provider may ask for a re-assessment",
        source="assumption: at most once a quarter",
        kind=int,
        analysis=(4, 26),
        analysis_source="assumption: a month to half a year",
    ),
    P(
        name="reassess_weeks",
        default=52,
        unit="weeks",
        lo=1,
        hi=520,
        meaning="weeks after which a client in care is re-assessed in any case",
        source="assumption: indications are reviewed yearly",
        kind=int,
        analysis=(26, 104),
        analysis_source="assumption: half a year to two years",
    ),
    P(
        name="reassess_slack_hours",
        default=0.25,
        unit="h/week",
        lo=0.0,
        hi=10.0,
        meaning="hours a provider wants above the entitlement before it asks for a re-assessment",
        source="assumption: a quarter hour",
        analysis=(0.0, 1.0),
        analysis_source="assumption: from any excess to an hour a week",
    ),
    # --- informal care and volunteers -------------------------------------------------
    P(
        name="carer_probability",
        default=0.6,
        unit="probability",
        lo=0.0,
        hi=1.0,
        meaning="chance an at-risk resident has an informal carer",
        source="assumption: 13% of adults are carers (CBS 2022)",
        analysis=(0.4, 0.8),
        analysis_source=(
            "assumption: most but not all residents in need have a carer (13% of adults are carers, CBS 2022)"
        ),
        role="uncertainty",
    ),
    P(
        name="carer_hours",
        default=28.01,
        unit="hours/week",
        lo=0.0,
        hi=80.0,
        meaning="mean of the most hours a carer can give in a week",
        source="fitted (ABC, docs/calibration_fit.md; 10-90% 16.5-36.4): carers give 12 h/week on average (CBS 2022)",
        analysis=(16.5, 36.4),
        analysis_source="fitted: the 10-90% ABC posterior interval (docs/calibration_fit.md)",
        role="uncertainty",
    ),
    P(
        name="carer_tolerance_hours",
        default=16.27,
        unit="hours/week",
        lo=1.0,
        hi=80.0,
        meaning="mean sustained hours above which a carer is overburdened",
        source=(
            "fitted (ABC, docs/calibration_fit.md; 10-90% 13.1-19.8): 10-25% overburdened"
            " (CBS 2022: 19% heavily burdened)"
        ),
        analysis=(13.1, 19.8),
        analysis_source="fitted: the 10-90% ABC posterior interval (docs/calibration_fit.md)",
        role="uncertainty",
    ),
    P(
        name="carer_dropout_per_week",
        default=0.01,
        unit="per week",
        lo=0.0,
        hi=1.0,
        meaning="chance an overburdened carer stops caring that week",
        source="assumption",
        analysis=(0.002, 0.03),
        analysis_source="assumption: an overburdened carer stops within half a year to ten years",
        role="uncertainty",
    ),
    P(
        name="carer_support_relief",
        default=0.3,
        unit="share",
        lo=0.0,
        hi=1.0,
        meaning="burden reduction for carers of clients with network support",
        source="assumption with an evidence-based prior: meta-analyses of support for carers find small to"
        " moderate reductions of burden (Sorensen, Pinquart & Duberstein 2002, Gerontologist 42:356-372:"
        " standardised effects of about 0.2-0.4), so some relief, well short of removing the burden",
        analysis=(0.1, 0.5),
        analysis_source="prior from the meta-analyses: a tenth to half of the burden (no relief and more are outside)",
        role="uncertainty",
    ),
    P(
        name="substitution_max",
        default=0.3,
        unit="informal hours per formal hour",
        lo=0.0,
        hi=1.0,
        meaning="informal hours a formal hour displaces at the lowest need (falls to 0 at the highest need)",
        source=(
            "calibration.md: partial substitution at low disability, vanishing as it rises (Bonsang 2009,"
            " J. Health Econ. 28:143-154); weak crowd-out (Arnault & Goltz, HSM 2008)"
        ),
        analysis=(0.0, 0.6),
        analysis_source="calibration.md: none (weak complement) to a strong partial substitution",
        role="uncertainty",
    ),
    P(
        name="volunteers_per_1000",
        default=1.5,
        unit="per 1,000 inh.",
        lo=0.0,
        hi=100.0,
        meaning="care volunteers at the start",
        source="calibration.md: 6.8% volunteer in care; Alphen 600",
        analysis=(0.5, 6.0),
        analysis_source=(
            "calibration.md: Alphen's 600 volunteers on about 110,000 inhabitants (5.5 per 1,000); fewer elsewhere"
        ),
        role="uncertainty",
    ),
    P(
        name="volunteer_hours",
        default=3.0,
        unit="hours/week",
        lo=0.0,
        hi=40.0,
        meaning="hours a volunteer gives",
        source="assumption",
        analysis=(1.0, 6.0),
        analysis_source="assumption: an hour to a morning a week",
        role="uncertainty",
    ),
    P(
        name="volunteer_years",
        default=3.0,
        unit="years",
        lo=0.1,
        hi=50.0,
        meaning="mean time a volunteer stays",
        source="assumption",
        analysis=(1.0, 6.0),
        analysis_source="assumption: half to twice the default, a wide range for a value no study pins down",
        role="uncertainty",
    ),
    P(
        name="volunteer_recruits_per_hour",
        default=0.05,
        unit="volunteers/hour",
        lo=0.0,
        hi=10.0,
        meaning="volunteers recruited per staff hour of network-building",
        source="assumption",
        analysis=(0.01, 0.15),
        analysis_source="assumption: a fifth to three times the default",
        role="uncertainty",
    ),
    P(
        name="reciprocity_rate",
        default=0.1,
        unit="probability",
        lo=0.0,
        hi=1.0,
        meaning="chance that a client who recovers with network support becomes a volunteer",
        source="cases.md Alphen: reciprocity",
        analysis=(0.0, 0.3),
        analysis_source="cases.md Alphen: 'many become volunteers'; none to three times the default",
        role="uncertainty",
    ),
    P(
        name="network_build_hours",
        default=4.0,
        unit="staff hours",
        lo=0.0,
        hi=100.0,
        meaning="staff hours spent once to mobilise a client's network",
        source="assumption: no Dutch figure found for a provider's network mobilisation; it is lighter than a"
        " family group conference (Eigen Kracht), which an independent coordinator prepares over weeks",
        analysis=(1.0, 20.0),
        analysis_source="assumption: a single visit to a series of meetings with the network (a conference"
        " marks the top)",
        role="uncertainty",
    ),
    P(
        name="network_support_hours",
        default=2.0,
        unit="hours/week",
        lo=0.0,
        hi=40.0,
        meaning="volunteer hours a networked client can get",
        source="assumption",
        analysis=(1.0, 4.0),
        analysis_source="assumption: half to twice the default, a wide range for a value no study pins down",
        role="uncertainty",
    ),
    P(
        name="carer_hours_spread",
        default=0.5,
        unit="log-sd",
        lo=0.0,
        hi=2.0,
        meaning="spread of carers' weekly capacity (lognormal with mean carer_hours)",
        source="assumption: capacity varies about twofold. The hours carers give (CBS 2022: mean 12 h, 36% at 8+ h)"
        " would need a log-sd of 1.33 if capacity were given in full, but the hours given are capped by the"
        " client's need; at 1.3 the default town meets the 8+ h share and misses the mean hours and the"
        " overburdened share (issue #11, measured), so the capacity spread stays an assumption",
        analysis=(0.25, 1.3),
        analysis_source="assumption: half the default to the log-sd derived from the CBS hours given",
    ),
    P(
        name="carer_tolerance_spread",
        default=0.3,
        unit="log-sd",
        lo=0.0,
        hi=2.0,
        meaning="spread of carers' tolerated hours (lognormal with mean carer_tolerance_hours)",
        source="assumption: tolerance varies less between carers than the hours they can give",
        analysis=(0.15, 0.6),
        analysis_source="assumption: half to twice the default",
    ),
    P(
        name="overburden_give_share",
        default=0.75,
        unit="share",
        lo=0.0,
        hi=1.0,
        meaning="share of their hours an overburdened carer still gives",
        source="assumption: an overburdened carer gives a quarter less",
        analysis=(0.5, 1.0),
        analysis_source="assumption: from giving half to giving on as before",
    ),
    P(
        name="burden_memory_weeks",
        default=8.0,
        unit="weeks",
        lo=1.0,
        hi=104.0,
        meaning="memory of carer burden (moving-average weeks of hours over tolerance)",
        source="assumption: about two months",
        analysis=(4.0, 26.0),
        analysis_source="assumption: a month to half a year",
    ),
    # --- providers and the incentive core --------------------------------------------
    P(
        name="providers",
        default=4,
        unit="providers",
        lo=1,
        hi=500,
        meaning="providers contracted by the municipality",
        source="assumption",
        kind=int,
        analysis=(2, 20),
        analysis_source="cases.md: 4 to 15 providers or main contractors (Zaltbommel's 52 are small)",
        role="setting",
    ),
    P(
        name="provider_altruism",
        default=0.6,
        unit="weight 0-1",
        lo=0.0,
        hi=1.0,
        meaning="mean weight a provider puts on client benefit against its margin",
        source="Hennig-Schmidt et al. 2011: substantial, varied altruism",
        analysis=(0.3, 0.9),
        analysis_source=(
            "Hennig-Schmidt et al. 2011, Brosig-Koch et al. 2016: most subjects between profit and patient optimum"
        ),
        role="uncertainty",
    ),
    P(
        name="provider_altruism_sd",
        default=0.15,
        unit="weight",
        lo=0.0,
        hi=0.5,
        meaning="spread of altruism between providers",
        source="Brosig-Koch et al. 2016: large variation",
        analysis=(0.0, 0.25),
        analysis_source="Brosig-Koch et al. 2016: large variation between subjects",
        role="uncertainty",
    ),
    P(
        name="client_benefit_eur_per_hour",
        default=60.0,
        unit="EUR/hour",
        lo=1.0,
        hi=1000.0,
        meaning="value the provider puts on a client's first hour of support",
        source="assumption: equal to the hourly price",
        analysis=(40.0, 90.0),
        analysis_source="assumption: the value of an hour around its price (calibration.md EUR 52-66)",
        role="uncertainty",
    ),
    P(
        name="hourly_price_eur",
        default=60.0,
        unit="EUR/hour",
        lo=0.0,
        hi=500.0,
        meaning="fee-for-service price of an hour of individual support",
        source="calibration.md: EUR 52-66 (Zeist, Westerveld, Meerinzicht)",
        analysis=(52.0, 66.0),
        analysis_source="calibration.md: EUR 52-66 per hour (Zeist, Westerveld, Meerinzicht)",
        role="lever",
    ),
    P(
        name="hourly_cost_eur",
        default=52.0,
        unit="EUR/hour",
        lo=1.0,
        hi=500.0,
        meaning="provider's cost of a staff hour",
        source="assumption: ~87% of the price",
        analysis=(45.0, 58.0),
        analysis_source="assumption: 75-97% of the price range of calibration.md",
        role="uncertainty",
    ),
    P(
        name="group_price_eur",
        default=9.6,
        unit="EUR/client-hour",
        lo=0.0,
        hi=200.0,
        meaning="fee-for-service price of a client-hour of group day activity",
        source="calibration.md: Meerinzicht 2023",
        analysis=(9.0, 16.5),
        analysis_source="calibration.md: EUR 36-66 per half day of 4 hours, EUR 9.60 per client-hour (Meerinzicht)",
        role="lever",
    ),
    P(
        name="group_size",
        default=8,
        unit="clients/staff hour",
        lo=1,
        hi=50,
        meaning="clients per staff member in a group",
        source="assumption",
        kind=int,
        analysis=(5, 12),
        analysis_source="assumption: day-activity groups of 5-12 per staff member",
        role="uncertainty",
    ),
    P(
        name="transport_eur_per_km",
        default=2.8,
        unit="EUR/km",
        lo=0.0,
        hi=50.0,
        meaning="transport to a day activity, per km of the one-way distance (a day has a return trip)",
        source="calibrated: EUR 15 a day at the default town's mean distance (Westerveld 2023)",
        analysis=(1.5, 4.0),
        analysis_source="calibration.md: about EUR 15 a day (Westerveld 2023), at other distances and tariffs",
        role="uncertainty",
    ),
    P(
        name="town_radius_km",
        default=4.0,
        unit="km",
        lo=0.1,
        hi=100.0,
        meaning="radius of the town; neighbourhoods lie within it",
        source="assumption",
        analysis=(2.0, 10.0),
        analysis_source="assumption: compact towns to spread-out municipalities",
        role="setting",
    ),
    P(
        name="group_activities_local",
        default=False,
        meaning="group activities in every neighbourhood (else one central location)",
        source="cases.md Alphen: activities close to home, less transport",
        kind=bool,
        analysis=(False, True),
        analysis_source="cases.md Alphen: activities close to home, or central",
        role="lever",
    ),
    P(
        name="local_activity_km",
        default=0.5,
        unit="km",
        lo=0.0,
        hi=50.0,
        meaning="distance to a neighbourhood activity",
        source="assumption",
        analysis=(0.2, 1.5),
        analysis_source="assumption: walking distance to a short ride",
        role="uncertainty",
    ),
    P(
        name="group_benefit_mean",
        default=0.6,
        unit="share of an individual hour",
        lo=0.0,
        hi=1.0,
        meaning="mean benefit of a group client-hour against an individual hour (clients differ, Beta)",
        source="assumption: group day activity helps most clients less per hour than individual support",
        analysis=(0.3, 0.85),
        analysis_source="assumption: a third to most of an individual hour's benefit",
        role="uncertainty",
    ),
    P(
        name="group_benefit_sd",
        default=0.25,
        unit="share of an individual hour",
        lo=0.0,
        hi=0.5,
        meaning="spread over clients of the benefit of a group client-hour (sd of the Beta)",
        source="assumption: some clients thrive in a group, others gain little from it",
        analysis=(0.1, 0.35),
        analysis_source="assumption: from similar clients to a near-uniform spread",
        role="uncertainty",
    ),
    P(
        name="modality_choice_scale_eur",
        default=2.0,
        unit="EUR per client-week",
        lo=0.0,
        hi=100.0,
        meaning="scale of the unobserved part of the group-or-individual choice (binary logit); 0: the higher"
        " utility always wins",
        source="assumption: random-utility choice (McFadden 1974); staff rosters, group timetables and the client's"
        " wishes are not in the model; EUR 2 is about the median utility gap of clients whose modalities differ"
        " under fee-for-service (EUR 0.5-9 a client-week, measured)",
        analysis=(0.0, 6.0),
        analysis_source="assumption: from a sharp choice to noise about the size of the 90th-percentile utility gap",
        role="uncertainty",
    ),
    P(
        name="staff_headroom",
        default=0.4,
        unit="share",
        lo=0.0,
        hi=5.0,
        meaning="staff capacity kept above expected demand",
        source="assumption",
        analysis=(0.1, 0.6),
        analysis_source="assumption: a quarter to 1.5 times the default",
        role="uncertainty",
    ),
    P(
        name="capacity_adjust_per_year",
        default=0.2,
        unit="share/year",
        lo=0.0,
        hi=1.0,
        meaning="largest yearly change of a provider's staff capacity",
        source="assumption",
        analysis=(0.05, 0.4),
        analysis_source="assumption: a quarter to twice the default",
        role="uncertainty",
    ),
    P(
        name="overhead_share",
        default=0.085,
        unit="share of staff cost",
        lo=0.0,
        hi=2.0,
        meaning="a provider's weekly overhead (rent, management) as a share of the staff cost of the capacity it keeps",
        source=(
            "assumption: sized so that a fee-for-service provider that uses its capacity less the 40% headroom"
            " earns about 3% on revenue at EUR 60 against EUR 52 an hour (a reasonable margin, AMvB reele prijs Wmo)"
        ),
        analysis=(0.0, 0.15),
        analysis_source="assumption: none to a margin of about -3% at the default prices",
        role="uncertainty",
    ),
    P(
        name="reserves_share",
        default=0.1,
        unit="share of revenue",
        lo=0.0,
        hi=5.0,
        meaning="starting reserves as a share of a year's expected revenue",
        source="assumption",
        analysis=(0.05, 0.3),
        analysis_source="assumption: weeks to months of revenue in reserve",
        role="uncertainty",
    ),
    P(
        name="transfer_weeks",
        default=6,
        unit="weeks",
        lo=0,
        hi=104,
        meaning="weeks a bankrupt provider's clients wait for a new provider",
        source="assumption",
        kind=int,
        analysis=(0, 12),
        analysis_source="cases.md Harderwijk: taken over at once when trust is high; up to a quarter",
        role="uncertainty",
    ),
    P(
        name="retender_weeks",
        default=8,
        unit="weeks",
        lo=0,
        hi=104,
        meaning="weeks a bankrupt provider's contract stays vacant until a new provider takes it up",
        source="assumption: an emergency tender of about two months (Wmo emergency award)",
        kind=int,
        analysis=(2, 26),
        analysis_source="assumption: an emergency award within weeks to a regular tender of half a year",
        role="uncertainty",
    ),
    P(
        name="day_activity_hours",
        default=4.0,
        unit="h",
        lo=0.5,
        hi=12.0,
        meaning="hours of a day activity, over which its return trip is spread",
        source="calibration.md: a day activity is a half day of 4 hours",
        analysis=(3.0, 6.0),
        analysis_source="assumption: a short to a long half day",
    ),
    P(
        name="unbilled_reserves_share",
        default=0.5,
        unit="share of starting reserves",
        lo=0.0,
        hi=5.0,
        meaning="unpaid work (network-building, outreach) only while reserves exceed this share of the start",
        source="assumption: a provider keeps half its reserves for setbacks",
        analysis=(0.25, 1.0),
        analysis_source="assumption: a quarter to all of the starting reserves kept back",
    ),
    # --- contract and money ------------------------------------------------------------
    P(
        name="lump_sum_eur",
        default=None,
        unit="EUR/year",
        lo=0.0,
        hi=1e11,
        meaning="annual lump sum (default: the budget from the hours indicated to the 2015 clients, less the discount)",
        source="cases.md Alphen: about EUR 7m/year",
        kind=float,
        choices=None,
        nullable=True,
        analysis=None,
        analysis_source="derived from the budget: vary lump_sum_discount instead",
        role="lever",
    ),
    P(
        name="baseline_clients_per_1000",
        default=18.0,
        unit="per 1,000 inh.",
        lo=0.0,
        hi=200.0,
        meaning="clients the budget is set for",
        source="calibration.md: 12-26 per 1,000",
        analysis=(12.0, 26.0),
        analysis_source="calibration.md: 12-26 clients per 1,000",
        role="lever",
    ),
    P(
        name="lump_sum_discount",
        default=0.05,
        unit="share",
        lo=0.0,
        hi=1.0,
        meaning="discount on the lump sum against the baseline",
        source="cases.md Alphen: one percentage discount",
        analysis=(0.0, 0.15),
        analysis_source="cases.md Alphen: one percentage discount; none to 15%",
        role="lever",
    ),
    P(
        name="rebase_weight",
        default=0.5,
        unit="share",
        lo=0.0,
        hi=1.0,
        meaning="at contract renewal a fixed sum moves this share of the way to last year's cost plus rebase_margin",
        source="assumption: renewals are negotiated on cost evidence, half-way (cases.md Alphen: sum renegotiated)",
        analysis=(0.0, 1.0),
        analysis_source="assumption: from no rebasing to a sum set on cost alone",
        role="lever",
    ),
    P(
        name="rebase_margin",
        default=0.03,
        unit="share of cost",
        lo=0.0,
        hi=1.0,
        meaning="margin on last year's cost that a rebased fixed sum allows",
        source="assumption: a reasonable margin (AMvB reele prijs Wmo: a price covers cost and a margin)",
        analysis=(0.0, 0.08),
        analysis_source="assumption: none to a generous margin",
        role="lever",
    ),
    P(
        name="kpi_target",
        default=0.75,
        unit="share",
        lo=0.0,
        hi=1.0,
        meaning="target share of clients improved or stable after 26 weeks",
        source="cases.md Alphen: 75%",
        analysis=(0.6, 0.9),
        analysis_source="cases.md Alphen: 75%; 15 points either side",
        role="lever",
    ),
    P(
        name="kpi_penalty_share",
        default=0.03,
        unit="share of lump sum",
        lo=0.0,
        hi=1.0,
        meaning="lump sum withheld at year end when the KPI misses its target (0: no consequence)",
        source="assumption",
        analysis=(0.0, 0.1),
        analysis_source="assumption: none to a tenth of the sum withheld",
        role="lever",
    ),
    P(
        name="subsidy_reclaim_share",
        default=1.0,
        unit="share",
        lo=0.0,
        hi=1.0,
        meaning="share of a subsidy surplus reclaimed at year end",
        source="cases.md Harderwijk",
        analysis=(0.5, 1.0),
        analysis_source="cases.md Harderwijk: the surplus is reclaimed; half to all of it",
        role="lever",
    ),
    P(
        name="assessment_cost_eur",
        default=600.0,
        unit="EUR/assessment",
        lo=0.0,
        hi=10_000.0,
        meaning="municipal cost of an assessment",
        source="assumption: kitchen-table talk plus decision",
        analysis=(300.0, 1200.0),
        analysis_source="assumption: half to twice the default, a wide range for a value no study pins down",
        role="uncertainty",
    ),
    P(
        name="invoice_cost_eur",
        default=12.0,
        unit="EUR/client-month",
        lo=0.0,
        hi=1_000.0,
        meaning="admin cost of an invoice line under fee-for-service",
        source="assumption; cases.md Zaltbommel: fewer product codes, less admin",
        analysis=(5.0, 25.0),
        analysis_source="assumption: half to twice the default, a wide range for a value no study pins down",
        role="uncertainty",
    ),
    P(
        name="monitoring_cost_share",
        default=0.015,
        unit="share of budget",
        lo=0.0,
        hi=1.0,
        meaning="yearly cost of contract monitoring and KPI reports",
        source="assumption; cases.md Lelystad: extra bureaucracy",
        analysis=(0.005, 0.03),
        analysis_source="assumption: a third to twice the default (cases.md Lelystad: much extra bureaucracy)",
        role="uncertainty",
    ),
    P(
        name="kpi_weeks",
        default=26,
        unit="weeks",
        lo=1,
        hi=104,
        meaning="weeks in care after which a client's KPI (improved or stable) is measured",
        source="cases.md Alphen: more self-reliant or stable after half a year",
        kind=int,
        analysis=(13, 52),
        analysis_source="assumption: a quarter to a year",
    ),
    P(
        name="kpi_stable_tolerance",
        default=0.1,
        unit="score",
        lo=0.0,
        hi=4.0,
        meaning="self-reliance may drop this much since intake and still count as stable for the KPI",
        source="assumption: a tenth of a point on the 1-5 matrix",
        analysis=(0.0, 0.3),
        analysis_source="assumption: from no drop to about a third of a point",
    ),
    P(
        name="kpi_pressure_band",
        default=0.1,
        unit="share",
        lo=0.01,
        hi=0.5,
        meaning="KPI pressure is 0 at a last KPI of kpi_target + band and rises to 1 at kpi_target - band",
        source="assumption: providers feel the penalty within 10 points of the target",
        analysis=(0.05, 0.25),
        analysis_source="assumption: a band of 5 to 25 points around the target",
    ),
    P(
        name="kpi_measurement_sd",
        default=0.3,
        unit="points of self-reliance",
        lo=0.0,
        hi=2.0,
        meaning="sd of the error of one self-reliance measurement (at intake and after kpi_weeks)",
        source="fitted on alphen: KPI share of 0.75-0.90 under its lump sum (cases.md Alphen: target 75%)",
        analysis=(0.1, 0.6),
        analysis_source="assumption: a tenth to over half a point on a 5-point scale",
        role="uncertainty",
    ),
    # --- funding models added for the municipal cases -----------------------------------
    P(
        name="blend_ffs_share",
        default=0.5,
        unit="share",
        lo=0.0,
        hi=1.0,
        meaning="blended: share of the fee-for-service price paid per hour; the rest comes as lump sum",
        source="Ellis & McGuire 1986: mixed payment",
        analysis=(0.0, 1.0),
        analysis_source="Ellis & McGuire 1986: any mix of the two payments",
        role="lever",
    ),
    P(
        name="blend_assessment",
        default=True,
        meaning="blended: the municipal assessment is the way in, as under fee-for-service (else clients enter"
        " directly, as under a lump sum); a contract choice apart from the blend share",
        source="assumption: a price per hour is paid on an entitlement, so a blend keeps the assessment;"
        " a separate switch so that the way in does not jump with the first cent of hourly price",
        kind=bool,
        analysis=(False, True),
        analysis_source="a contract choice: with or without the assessment",
        role="lever",
    ),
    P(
        name="output_period_weeks",
        default=13,
        unit="weeks",
        lo=1,
        hi=104,
        meaning="output-based: length of a paid client-period",
        source="assumption: a quarter",
        kind=int,
        analysis=(4, 26),
        analysis_source="assumption: a month to half a year",
        role="lever",
    ),
    P(
        name="output_categories",
        default=3,
        unit="categories",
        lo=1,
        hi=20,
        meaning="output-based: need categories set at assessment, each with its own price per period",
        source="cases.md cross-case table (outputgericht)",
        kind=int,
        analysis=(2, 6),
        analysis_source="assumption: a few need categories",
        role="lever",
    ),
    P(
        name="output_price_share",
        default=0.7,
        unit="share",
        lo=0.0,
        hi=2.0,
        meaning="output-based: price of a category against the fee-for-service price of its mid-point hours",
        source="assumption: fixed prices are set below the hours they stand for",
        analysis=(0.5, 1.0),
        analysis_source="assumption: fixed prices at half to all of the hours they stand for",
        role="lever",
    ),
    P(
        name="provider_may_refuse",
        default=True,
        meaning="output-based: a provider may decline a client it expects to lose money on (no duty to accept)",
        source="cases.md: named risk of cream-skimming",
        kind=bool,
        analysis=(False, True),
        analysis_source="cases.md: cream-skimming where providers may refuse, or a duty to accept",
        role="lever",
    ),
    P(
        name="max_districts_per_contractor",
        default=2,
        unit="districts",
        lo=1,
        hi=100,
        meaning="population budget: most districts one main contractor may serve",
        source="cases.md Lelystad: 2 of 4",
        kind=int,
        analysis=(1, 4),
        analysis_source="cases.md Lelystad: 2 of 4",
        role="lever",
    ),
    P(
        name="risk_adjusted_budget",
        default=True,
        meaning="population budget: district budgets follow need risk, not only head count",
        source="cases.md Lelystad: risk-adjusted population budgets",
        kind=bool,
        analysis=(False, True),
        analysis_source="cases.md Lelystad: risk-adjusted, or by head count",
        role="lever",
    ),
    P(
        name="subcontract_share",
        default=0.0,
        unit="share of hours",
        lo=0.0,
        hi=1.0,
        meaning="population budget: hours a main contractor buys from subcontractors",
        source="cases.md Lelystad: dozens of subcontractors",
        kind=float,
        analysis=(0.0, 0.5),
        analysis_source="cases.md Lelystad: dozens of subcontractors; up to half of the hours",
        role="uncertainty",
    ),
    P(
        name="subcontract_markup",
        default=0.1,
        unit="share",
        lo=0.0,
        hi=2.0,
        meaning="price of a subcontracted hour above own cost",
        source="assumption",
        analysis=(0.05, 0.25),
        analysis_source="assumption: a half to 2.5 times the default",
        role="uncertainty",
    ),
    P(
        name="budget_revision_per_year",
        default=0.0,
        unit="probability",
        lo=0.0,
        hi=1.0,
        meaning="population budget: chance a year has a mid-year budget revision (May or September)",
        source="cases.md Lelystad: the state revises budgets mid-year",
        analysis=(0.0, 0.5),
        analysis_source="cases.md Lelystad: the state revises budgets mid-year, up to every other year",
        role="uncertainty",
    ),
    P(
        name="budget_revision_size",
        default=-0.05,
        unit="share",
        lo=-0.5,
        hi=0.5,
        meaning="size of a mid-year budget revision",
        source="assumption",
        analysis=(-0.1, 0.05),
        analysis_source="assumption: a cut of up to 10% or a small rise",
        role="uncertainty",
    ),
    P(
        name="reopen_weeks",
        default=4,
        unit="weeks",
        lo=0,
        hi=52,
        meaning="weeks of lost subcontracted care while contracts are reopened after a revision",
        source="assumption",
        kind=int,
        analysis=(2, 8),
        analysis_source="assumption: half to twice the default, a wide range for a value no study pins down",
        role="uncertainty",
    ),
    P(
        name="loss_aversion",
        default=2.0,
        unit="multiplier",
        lo=1.0,
        hi=10.0,
        meaning="weight of an hour's cost to a provider that expects a deficit on its fixed sum",
        source="Tversky & Kahneman 1992: loss aversion about 2.25",
        analysis=(1.0, 3.0),
        analysis_source="Tversky & Kahneman 1992: about 2.25; estimates range from none (1) to 3",
        role="uncertainty",
    ),
    P(
        name="deficit_band_share",
        default=0.1,
        unit="share of projected year cost",
        lo=0.0,
        hi=1.0,
        meaning="uncertainty of a provider's projection of its year's balance: it weighs money as in "
        "surplus above this surplus, as in deficit below this deficit, and linearly in between",
        source="assumption: a year's forecast by a care provider is uncertain by about a tenth of its cost; "
        "at 0 the weight on money jumps at break-even, a knife edge no provider's books support",
        analysis=(0.02, 0.3),
        analysis_source="assumption: from nearly exact forecasts to a third of the year's cost",
        role="uncertainty",
    ),
    P(
        name="solvency_guard",
        default=True,
        meaning="a provider that projects its reserves to run out this year plans as a pure cost-minimiser "
        "(altruism 0) until it no longer does",
        source="assumption: a provider's board acts to avoid insolvency before it happens (Dutch Wmo providers "
        "in deficit cut staff and stop intake, cases.md Lelystad); without it an altruistic provider spends "
        "into bankruptcy",
        kind=bool,
        analysis=(False, True),
        analysis_source="assumption: providers guard their solvency, or do not",
        role="uncertainty",
    ),
    P(
        name="prevention_foresight",
        default=0.25,
        unit="weight 0-1",
        lo=0.0,
        hi=1.0,
        meaning="how far providers count the future hours that care given now saves (ODD 7.6.2)",
        source="cases.md Alphen: under a lump sum prevention pays the provider",
        analysis=(0.0, 0.5),
        analysis_source="assumption: from no foresight to twice the default",
        role="uncertainty",
    ),
    P(
        name="max_refusals",
        default=4,
        unit="refusals",
        lo=0,
        hi=52,
        meaning="refusals at intake after which the municipality obliges the drawn provider to take the client",
        source="assumption: the municipality steps in after about a month",
        kind=int,
        analysis=(1, 10),
        analysis_source="assumption: the municipality steps in after a week to a quarter",
    ),
    P(
        name="district_bid_spread",
        default=0.5,
        unit="bid (tender strength is 0-1)",
        lo=0.0,
        hi=5.0,
        meaning="weight of a contractor's district-specific bid against its tender strength (population budget)",
        source="assumption: tender strength counts twice the district-specific part",
        analysis=(0.0, 1.0),
        analysis_source="assumption: from strength alone to equal weight",
    ),
    # --- Alphen ---------------------------------------------------------------------------
    P(
        name="historic_share_spread",
        default=0.0,
        unit="coefficient of variation",
        lo=0.0,
        hi=2.0,
        meaning="spread of the historic shares by which a consortium splits its fixed sum",
        source="cases.md Alphen: split by past indications",
        analysis=(0.0, 0.5),
        analysis_source="cases.md Alphen: the sum split by past indications; equal to unequal shares",
        role="uncertainty",
    ),
    P(
        name="cashier",
        default=False,
        meaning="one member acts as cashier and passes the fixed sum on by clients served",
        source="cases.md Harderwijk: Eperweg pilot",
        kind=bool,
        analysis=(False, True),
        analysis_source="cases.md Harderwijk: the Eperweg pilot has a cashier",
        role="lever",
    ),
    P(
        name="walk_in",
        default=False,
        meaning="walk-in access without an assessment (only where no assessment is needed)",
        source="cases.md Alphen: people can walk in",
        kind=bool,
        analysis=(False, True),
        analysis_source="cases.md Alphen: people can walk in",
        role="lever",
    ),
    P(
        name="walk_in_share",
        default=0.3,
        unit="share",
        lo=0.0,
        hi=1.0,
        meaning="share of non-askers who do walk in when they can",
        source="assumption",
        analysis=(0.1, 0.5),
        analysis_source="assumption: a third to 1.7 times the default",
        role="uncertainty",
    ),
    P(
        name="outreach_start_year",
        default=0.0,
        unit="years",
        lo=0.0,
        hi=50.0,
        meaning="year in which the municipal outreach team starts",
        source="cases.md Alphen: outreach team added later",
        analysis=(0.0, 5.0),
        analysis_source="cases.md Alphen: the outreach team came later",
        role="lever",
    ),
    # --- Lelystad -------------------------------------------------------------------------
    P(
        name="district_teams",
        default=False,
        meaning="social district teams are the way in",
        source="cases.md Lelystad: district teams since 2012",
        kind=bool,
        analysis=(False, True),
        analysis_source="cases.md Lelystad: district teams, or none",
        role="lever",
    ),
    P(
        name="district_team_signal_factor",
        default=3.0,
        unit="multiplier",
        lo=1.0,
        hi=50.0,
        meaning="how much district teams raise the chance that a non-asker is noticed",
        source="assumption",
        analysis=(1.5, 6.0),
        analysis_source="assumption: half to twice the default, a wide range for a value no study pins down",
        role="uncertainty",
    ),
    P(
        name="gp_referral_per_year",
        default=0.0,
        unit="per client-year",
        lo=0.0,
        hi=10.0,
        meaning="yearly rate at which GPs refer a hidden non-asker to welfare (welfare on prescription)",
        source="cases.md Lelystad: welzijn op recept",
        analysis=(0.0, 0.5),
        analysis_source="cases.md Lelystad: welfare on prescription; none to once in two years per hidden client",
        role="lever",
    ),
    P(
        name="case_owner",
        default=False,
        meaning="every client has one fixed case owner, so no client is lost at a handover",
        source="cases.md Lelystad: one owner per client",
        kind=bool,
        analysis=(False, True),
        analysis_source="cases.md Lelystad: one owner per client, or none",
        role="lever",
    ),
    P(
        name="handover_loss",
        default=0.2,
        unit="probability",
        lo=0.0,
        hi=1.0,
        meaning="chance that a client without a case owner is lost when changing provider",
        source="assumption",
        analysis=(0.05, 0.4),
        analysis_source="assumption: a quarter to twice the default",
        role="uncertainty",
    ),
    P(
        name="volunteer_training_eur_per_10k",
        default=0.0,
        unit="EUR/year per 10,000 inh.",
        lo=0.0,
        hi=1e7,
        meaning="municipal money for training care volunteers",
        source="cases.md Lelystad: trained care volunteers",
        analysis=(0.0, 50000.0),
        analysis_source=(
            "cases.md Lelystad: the municipality frees money for training; none to about 33 volunteers a year per"
            " 10,000"
        ),
        role="lever",
    ),
    P(
        name="volunteer_training_cost_eur",
        default=1500.0,
        unit="EUR/volunteer",
        lo=1.0,
        hi=1e6,
        meaning="cost of training one volunteer",
        source="assumption",
        analysis=(500.0, 3000.0),
        analysis_source="assumption: a third to twice the default",
        role="uncertainty",
    ),
    # --- Zaltbommel -----------------------------------------------------------------------
    P(
        name="contract_years",
        default=1,
        unit="years",
        lo=1,
        hi=50,
        meaning="length of provider contracts",
        source="cases.md Zaltbommel: 5 years against the usual 1",
        kind=int,
        analysis=(1, 5),
        analysis_source="cases.md Zaltbommel: 5 years against the usual 1",
        role="lever",
    ),
    P(
        name="tender_churn",
        default=0.2,
        unit="probability",
        lo=0.0,
        hi=1.0,
        meaning="chance that a provider loses its contract at a new tender",
        source="assumption",
        analysis=(0.05, 0.4),
        analysis_source="assumption: a quarter to twice the default",
        role="uncertainty",
    ),
    P(
        name="tender_cost_eur",
        default=3000.0,
        unit="EUR/provider",
        lo=0.0,
        hi=1e6,
        meaning="admin cost per provider of a tender",
        source="assumption; cases.md Zaltbommel: less admin",
        analysis=(1000.0, 10000.0),
        analysis_source="assumption: a third to three times the default",
        role="uncertainty",
    ),
    P(
        name="referral",
        default=False,
        meaning="providers refer a client to a provider that fits better",
        source="cases.md Zaltbommel: providers know each other and refer",
        kind=bool,
        analysis=(False, True),
        analysis_source="cases.md Zaltbommel: providers refer, or not",
        role="lever",
    ),
    P(
        name="provider_types",
        default=1,
        unit="types",
        lo=1,
        hi=20,
        meaning="kinds of provider expertise; a client fits one kind",
        source="assumption",
        kind=int,
        analysis=(1, 4),
        analysis_source="assumption: welfare, guidance, day activities, specialist (model-brief.md)",
        role="setting",
    ),
    P(
        name="mismatch_recovery_factor",
        default=0.6,
        unit="multiplier",
        lo=0.0,
        hi=1.0,
        meaning="recovery of a client served by a provider of the wrong kind",
        source="assumption",
        analysis=(0.3, 1.0),
        analysis_source="assumption: from much slower recovery to none",
        role="uncertainty",
    ),
    P(
        name="pgb_share",
        default=0.0,
        unit="share",
        lo=0.0,
        hi=1.0,
        meaning="clients with an entitlement who take a personal budget (pgb) instead of care in kind",
        source="cases.md Zaltbommel: 49 of 243",
        analysis=(0.0, 0.25),
        analysis_source="cases.md Zaltbommel: 49 of 243 (20%)",
        role="uncertainty",
    ),
    P(
        name="pgb_rate",
        default=0.9,
        unit="share of price",
        lo=0.0,
        hi=2.0,
        meaning="personal budget per hour against the in-kind price",
        source="calibration.md: 90% (Zeist)",
        analysis=(0.7, 1.0),
        analysis_source="calibration.md: 90% (Zeist); 70-100%",
        role="lever",
    ),
    P(
        name="pgb_informal_share",
        default=0.3,
        unit="share",
        lo=0.0,
        hi=1.0,
        meaning="share of a personal budget spent on paid informal carers",
        source="assumption",
        analysis=(0.1, 0.5),
        analysis_source="assumption: a third to 1.7 times the default",
        role="uncertainty",
    ),
    P(
        name="pgb_informal_price_eur",
        default=20.0,
        unit="EUR/hour",
        lo=0.0,
        hi=200.0,
        meaning="hourly pay of an informal carer from a pgb",
        source="calibration.md: EUR 16-23",
        analysis=(16.0, 23.0),
        analysis_source="calibration.md: EUR 16-23",
        role="uncertainty",
    ),
    # --- Noord-Veluwe ---------------------------------------------------------------------
    P(
        name="buffer_share",
        default=0.5,
        unit="share",
        lo=0.0,
        hi=1.0,
        meaning="share of reclaimed subsidy surplus kept as a buffer that rescues providers in deficit",
        source="cases.md Harderwijk",
        analysis=(0.0, 0.6),
        analysis_source=(
            "cases.md Harderwijk: part of the surplus to a buffer (with innovation_share at most the whole)"
        ),
        role="lever",
    ),
    P(
        name="innovation_share",
        default=0.3,
        unit="share",
        lo=0.0,
        hi=1.0,
        meaning="share of reclaimed subsidy surplus spent next year on training care volunteers",
        source="cases.md Harderwijk: innovation budget",
        analysis=(0.0, 0.4),
        analysis_source="cases.md Harderwijk: part of the surplus to innovation (with buffer_share at most the whole)",
        role="lever",
    ),
    P(
        name="protected_living_share",
        default=0.0,
        unit="share",
        lo=0.0,
        hi=1.0,
        meaning="share of new clients in protected living, who can leave only to a free home",
        source="cases.md Harderwijk: beschermd wonen",
        analysis=(0.0, 0.3),
        analysis_source="cases.md Harderwijk: protected living; none to about a third of clients",
        role="uncertainty",
    ),
    P(
        name="housing_per_year_per_10k",
        default=5.0,
        unit="homes/year per 10,000 inh.",
        lo=0.0,
        hi=1e4,
        meaning="homes that come free each year for clients leaving protected living",
        source="cases.md Harderwijk: outflow blocked by housing",
        analysis=(1.0, 10.0),
        analysis_source="cases.md Harderwijk: outflow blocked by housing; scarce to ample",
        role="uncertainty",
    ),
)
del P

PARAM_BY_NAME: dict[str, Param] = {p.name: p for p in PARAMS}


class Scenario(Mapping):
    """A validated, immutable set of parameter values.

    Read values as attributes (``sc.population``) or as a mapping (``sc["population"]``).
    The one derived default differs between the two: ``sc["lump_sum_eur"]`` is the declared
    value (``None``: derived in the run from the hours indicated to the 2015 clients, ODD
    5.3), ``sc.lump_sum_eur`` the declared value or NaN.
    Use :meth:`replace` to get a changed copy.
    """

    __slots__ = ("_values", "name")

    def __init__(self, values: Mapping[str, Any] | None = None, name: str = "custom"):
        merged = {p.name: p.default for p in PARAMS}
        merged.update(validate(values or {}))
        check_together(merged)
        object.__setattr__(self, "_values", merged)
        object.__setattr__(self, "name", name)

    def __getattr__(self, key: str) -> Any:
        try:
            value = self._values[key]
        except KeyError:
            raise AttributeError(_unknown_message(key)) from None
        if value is None and key == "lump_sum_eur":
            return math.nan  # derived in the run, from the 2015 caseload (ODD 5.3)
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


#: Fewer people than this in a range of the network (residents, volunteer slots) is raised
#: to it, so that the smallest town still has a network to run on (ODD 2.7).
MIN_NODES = 10
#: The largest altruism variance, as a share of the most a Beta distribution with the
#: given mean can have (``m * (1 - m)``, where its parameters reach 0).
MAX_ALTRUISM_VARIANCE_SHARE = 0.99


def town_size(sc: Mapping[str, Any]) -> tuple[int, int]:
    """ODD 2.7, 5.1: the at-risk residents and the volunteer slots of the network."""
    pop = sc["population"]
    return max(MIN_NODES, round(pop * sc["at_risk_share"])), max(MIN_NODES, round(pop * sc["volunteer_pool_share"]))


def check_together(v: Mapping[str, Any]) -> None:
    """The checks that involve more than one parameter; raises ScenarioError naming the
    key, its value and the range the others allow."""
    total = v["buffer_share"] + v["innovation_share"]
    if total > 1.0:
        raise ScenarioError(
            f"buffer_share + innovation_share = {total:g} is more than the whole surplus: allowed total [0, 1]"
        )
    mean, sd = v["group_benefit_mean"], v["group_benefit_sd"]
    if 0.0 < mean < 1.0 and sd**2 > MAX_ALTRUISM_VARIANCE_SHARE * mean * (1.0 - mean):
        most = math.sqrt(MAX_ALTRUISM_VARIANCE_SHARE * mean * (1.0 - mean))
        raise ScenarioError(
            f"group_benefit_sd = {sd:g} is too large for group_benefit_mean = {mean:g}: a Beta"
            f" distribution with that mean allows group_benefit_sd in [0, {most:.4g}]"
        )
    mean, sd = v["provider_altruism"], v["provider_altruism_sd"]
    most = math.sqrt(MAX_ALTRUISM_VARIANCE_SHARE * mean * (1.0 - mean))
    if sd**2 > MAX_ALTRUISM_VARIANCE_SHARE * mean * (1.0 - mean):
        raise ScenarioError(
            f"provider_altruism_sd = {sd:g} is too large for provider_altruism = {mean:g}: a Beta"
            f" distribution with that mean allows provider_altruism_sd in [0, {most:.4g}]"
        )
    n_res, n_vol = town_size(v)
    most_ties = n_res + n_vol - 1
    most_ties -= most_ties % 2
    if v["ties_per_resident"] > most_ties:
        raise ScenarioError(
            f"ties_per_resident = {v['ties_per_resident']} is more than a network of {n_res + n_vol}"
            f" residents and volunteer slots allows (population, at_risk_share, volunteer_pool_share):"
            f" allowed [2, {most_ties}]"
        )


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
