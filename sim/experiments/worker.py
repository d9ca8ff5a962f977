"""The function every executor runs: one simulation with an explicit seed.

It is module-level (picklable by reference, importable on a Dask worker) and returns the
summary row only, about 1 KB, unless the weekly or client table is asked for (a 10-year
run's tables are about 450 KB).
"""

from __future__ import annotations

import os
import platform
import time
from dataclasses import dataclass
from typing import Any

import pandas as pd

from ..params import Scenario


@dataclass(frozen=True)
class Job:
    """One run to do: the point's full scenario and the replicate's seed."""

    scenario: Scenario
    seed: int
    weekly: bool = False
    clients: bool = False


def run_job(job: Job) -> dict[str, Any]:
    """Run ``job`` and return ``{"summary", "weekly", "clients", "seconds", "host", "pid"}``
    (the tables are None unless asked for)."""
    from ..run import run

    if job.seed is None:  # never: a None seed would make two "random" runs identical on Dask
        raise ValueError("a run needs an explicit seed")
    t0 = time.perf_counter()
    r = run(job.scenario, rng=int(job.seed))
    weekly: pd.DataFrame | None = r.weekly if job.weekly else None
    clients: pd.DataFrame | None = r.clients if job.clients else None
    return {
        "summary": r.summary,
        "weekly": weekly,
        "clients": clients,
        "seconds": time.perf_counter() - t0,
        "host": platform.node(),
        "pid": os.getpid(),
    }
