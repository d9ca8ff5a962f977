"""The calibration targets: the published figures the default town is fitted to, in one place.

Read by ``sim.calibrate`` (``care-sim calibrate``'s default targets),
``tests/test_calibration.py`` (the default town must sit inside each range) and
``experiments/odd_tables.py`` (the calibration table of docs/odd.md section 9). The
figures and their sources are described in /work/shared/docs/calibration.md.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Iterable
from dataclasses import dataclass

from .metrics import SUMMARY_KEYS
from .params import ScenarioError


class CalibrationError(ScenarioError):
    """Bad calibration input (unknown parameter or metric, empty prior, bad range)."""


def suggest(name: str, known: Iterable[str]) -> str | None:
    """The nearest known name: a close spelling, else the only name that contains ``name``."""
    known = list(known)
    hint = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
    if hint:
        return hint[0]
    containing = [k for k in known if name and name in k]
    return containing[0] if len(containing) == 1 else None


@dataclass(frozen=True)
class Target:
    """A published figure as a range of a summary metric.

    Attributes:
        key: the summary metric (:data:`sim.metrics.SUMMARY_KEYS`).
        lo: lower end of the range.
        hi: upper end of the range.
        source: where the figure comes from.
        funding: the funding model the figure holds under; None for any. A target whose
            funding model differs from the calibration's is left out.
        label: the quantity in words (docs/odd.md's table).
        shown: the figure as the source gives it (e.g. "about 12 (10-14)"); default lo-hi.
        scale: display factor (100: a share shown in %).
    """

    key: str
    lo: float
    hi: float
    source: str = ""
    funding: str | None = None
    label: str = ""
    shown: str = ""
    scale: float = 1.0

    def __post_init__(self) -> None:
        if self.key not in SUMMARY_KEYS:
            hint = suggest(self.key, SUMMARY_KEYS)
            extra = f"; did you mean {hint!r}?" if hint else "; the metrics are the rows of `care-sim run`"
            raise CalibrationError(f"unknown target metric {self.key!r}{extra}")
        if not (math.isfinite(self.lo) and math.isfinite(self.hi) and self.lo < self.hi):
            raise CalibrationError(f"target {self.key}: range [{self.lo:g}, {self.hi:g}] needs lo < hi")

    @property
    def mid(self) -> float:
        return 0.5 * (self.lo + self.hi)

    @property
    def half(self) -> float:
        return 0.5 * (self.hi - self.lo)

    def z(self, value: float) -> float:
        """Standardised distance to the middle of the range: |z| <= 1 inside it; inf for NaN."""
        z = (value - self.mid) / self.half
        return float(z) if math.isfinite(z) else math.inf

    def error(self, value: float) -> float:
        """Relative error outside the range: 0 inside, else the distance to the nearest end
        over that end (inf for NaN)."""
        if not math.isfinite(value):
            return math.inf
        if value < self.lo:
            return (self.lo - value) / abs(self.lo) if self.lo else math.inf
        if value > self.hi:
            return (value - self.hi) / abs(self.hi) if self.hi else math.inf
        return 0.0

    def text(self) -> str:
        return f"{self.lo:g}-{self.hi:g}"


#: The calibration.md figures for the default town.
CALIBRATION_TARGETS: tuple[Target, ...] = (
    Target(
        "clients_per_1000_inhabitants",
        12,
        26,
        "CBS StatLine 86050NED (calibration.md)",
        label="clients per 1,000 inhabitants",
        shown="12-26",
    ),
    Target(
        "informal_hours_per_carer_week",
        10,
        14,
        "CBS 2022: about 12 h/week",
        label="informal hours per carer-week",
        shown="about 12 (10-14)",
    ),
    Target(
        "carer_overburden_share",
        0.10,
        0.25,
        "CBS 2022 (19% heavily burdened); RIVM 2012",
        label="carers overburdened",
        shown="10-25%",
        scale=100,
    ),
    Target(
        "spend_per_client_year_eur",
        3000,
        6000,
        "calibration.md (EUR 3,000 all Wmo; 5,100 support at home)",
        "fee_for_service",
        label="spend per client-year under fee-for-service",
        shown="EUR 3,000-6,000",
    ),
    Target(
        "mean_wait_weeks",
        6,
        11,
        "calibration.md: 11 weeks average; Alphen 6-8 before the lump sum",
        "fee_for_service",
        label="wait under fee-for-service",
        shown="6-11 weeks",
    ),
    Target(
        "carers_8h_share",
        0.30,
        0.42,
        "CBS 2022: 36% of carers give 8 hours a week or more",
        label="carers giving 8+ hours a week",
        shown="36% (30-42%)",
        scale=100,
    ),
    Target(
        "bankruptcies",
        0,
        1,
        "provider survival: no Wmo provider of the cases went bankrupt at contracted prices (cases.md)",
        "fee_for_service",
        label="provider bankruptcies in the run under fee-for-service",
        shown="none (0-1)",
    ),
    Target(
        "first_year_overrun_share",
        -0.02,
        0.08,
        "calibration.md: Alphen spent EUR 32.0m against 31.0m in 2023 (+3%); overruns are real (EUR 724m, 2017)",
        "fee_for_service",
        label="total cost against the budget in the first year under fee-for-service (a budget is set for a year)",
        shown="about +3% (-2% to +8%)",
        scale=100,
    ),
)

#: Alphen's KPI: "75% of clients with a trajectory become more self-reliant or stabilise",
#: measured at the start and after six months, and the consortium meets it (seeds/alphen_001).
KPI_TARGET = Target(
    "kpi_improved_or_stable_share",
    0.75,
    0.85,
    "Alphen case: 75% target, met (seeds/alphen_001)",
    "lump_sum",
    label="clients improved or stable after six months (Alphen, lump sum)",
    shown="at least 75%, met (75-85%)",
    scale=100,
)
