"""Defaults give plausible Dutch figures (docs/odd.md section 9, calibration.md).

The default town under fee-for-service, median of the 10 common seeds, must sit inside
each published range. The same seeds regenerate the table in docs/odd.md.
"""

import numpy as np
import pytest
from conftest import ensemble

from sim.targets import CALIBRATION_TARGETS

pytestmark = pytest.mark.slow

#: The calibration.md figures, from their one declaration (sim/targets.py).
TARGETS = {t.key: (t.lo, t.hi) for t in CALIBRATION_TARGETS}


#: Targets the default town misses, with what was measured (issue #11). Strict: a fix that
#: brings one inside its range must remove it from here.
MISSED = {
    "carers_8h_share": "measured 0.76 (3 seeds) against 30-42%: carers' capacity has a log-sd of 0.5 and is"
    " capped by need; the refit (calibration_fit.md) did not reach it without breaking the mean hours",
    "first_year_overrun_share": "measured +30% (3 seeds): under fee-for-service the first year's care spend is 19%"
    " over the budget derived from the 2015 volume and admin adds 16%; the refit could not bring it under 8%",
}


@pytest.mark.parametrize(
    "key",
    [pytest.param(k, marks=pytest.mark.xfail(reason=MISSED[k], strict=True)) if k in MISSED else k for k in TARGETS],
)
def test_default_is_calibrated(key):
    lo, hi = TARGETS[key]
    med = float(np.median([r[key] for r in ensemble(funding="fee_for_service")]))
    assert lo <= med <= hi, f"{key}: median {med:.3f} outside the published range [{lo}, {hi}]"
