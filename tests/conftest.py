"""Shared fixtures: ensembles of runs over seeds, computed once per session.

Ensembles run through the experiment engine on one local pool of two workers for the
whole session (forkserver workers, which share no state with pytest).
"""

from __future__ import annotations

import os
from functools import cache

import pytest

import sim
from sim.experiments import Design, LocalPool, default_workers, run_design

os.environ.setdefault("MPLBACKEND", "Agg")

#: Seeds for statistical tests: 10 replicates, as the model core issue asks.
SEEDS = tuple(sim.replicate_seeds(sim.BASE_SEED, 10))

_pool: LocalPool | None = None


def executor() -> LocalPool:
    """The session's pool of (at most) two workers."""
    global _pool
    if _pool is None:
        _pool = LocalPool(min(2, default_workers()))
    return _pool


@cache
def _ensemble(scenario: str, overrides: tuple) -> tuple[dict, ...]:
    design = Design(scenario, points=[dict(overrides)], seeds=SEEDS, label="ensemble")
    table = run_design(design, executor=executor(), progress=False)
    return tuple(table[list(sim.SUMMARY_KEYS)].to_dict("records"))


def ensemble(scenario: str = "default", **overrides) -> list[dict]:
    """Summaries of ``scenario`` with ``overrides`` over the 10 common seeds (cached)."""
    return list(_ensemble(scenario, tuple(sorted(overrides.items()))))


def paired(a: list[dict], b: list[dict], key: str) -> list[float]:
    """Per-seed differences a - b of one summary key (common random numbers)."""
    return [x[key] - y[key] for x, y in zip(a, b, strict=True)]


@pytest.fixture(scope="session", autouse=True)
def _shutdown_pool():
    yield
    if _pool is not None:
        _pool.close()
