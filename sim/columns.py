"""Small helpers for the model's numpy columns.

The columns of a town are a few thousand rows long, so a numpy call costs more in its
Python wrapper than in its arithmetic. These helpers give the same values as the numpy
functions they stand for, with less overhead; ``docs/performance.md`` shows where the
time goes.
"""

from __future__ import annotations

import numpy as np


def indices(mask: np.ndarray) -> np.ndarray:
    """Indices where a 1-D mask is true: ``np.flatnonzero`` without its Python wrappers,
    which cost more than the search itself on town-sized columns (about 10 us a call)."""
    return mask.nonzero()[0]


def clip(x, lo, hi):
    """``np.clip`` (same values) without its Python wrapper (about 10 us a call)."""
    return np.minimum(np.maximum(x, lo), hi)
