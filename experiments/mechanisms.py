"""The case mechanisms as comparisons of runs: one definition per row of the mechanism
table in docs/validation.md.

The definitions are declared once, in ``sim/mechanisms.py``, which the tests read too;
this module gives them to ``experiments/validation.py`` under their old names.
"""

from __future__ import annotations

from sim.mechanisms import (  # noqa: F401  (the names experiments/validation.py imports)
    CASES,
    FULL_ALTRUISM,
    MECHANISM_YEARS,
    MECHANISMS,
    Mechanism,
    Overrides,
    arm_key,
    of_test,
    overrides_text,
    zero_margin,
)
