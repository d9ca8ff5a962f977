"""Defaults give plausible Dutch figures (docs/odd.md section 9, calibration.md).

The default town under fee-for-service, median of the 10 common seeds, must sit inside
each published range. The same seeds regenerate the table in docs/odd.md.
"""

import numpy as np
import pytest
from conftest import ensemble

pytestmark = pytest.mark.slow

TARGETS = {
    "clients_per_1000_inhabitants": (12, 26),  # CBS 86050NED: guidance + support at home + day activities
    "informal_hours_per_carer_week": (10, 14),  # CBS 2022: 12 h/week on average ("about 12")
    "carer_overburden_share": (0.10, 0.25),  # CBS 2022 / RIVM 2012
    "spend_per_client_year_eur": (3000, 6000),  # calibration.md, fee-for-service
    "mean_wait_weeks": (6, 11),  # calibration.md: legal 8, survey 11, Alphen 6-8
}


@pytest.mark.parametrize("key", TARGETS)
def test_default_is_calibrated(key):
    lo, hi = TARGETS[key]
    med = float(np.median([r[key] for r in ensemble(funding="fee_for_service")]))
    assert lo <= med <= hi, f"{key}: median {med:.3f} outside the published range [{lo}, {hi}]"
