"""Shared fixtures: ensembles of runs over seeds, computed once per session.

Ensembles run in two worker processes (spawned, so they share no state with pytest).
"""

from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from functools import cache

import pytest

import sim

os.environ.setdefault("MPLBACKEND", "Agg")

#: Seeds for statistical tests: 10 replicates, as the model core issue asks.
SEEDS = tuple(sim.replicate_seeds(sim.BASE_SEED, 10))


def _summary(args):
    scenario, seed, overrides = args
    return sim.run(scenario, rng=seed, **dict(overrides)).summary


_pool = None


def _executor():
    global _pool
    if _pool is None:
        _pool = ProcessPoolExecutor(
            max_workers=min(2, os.cpu_count() or 1), mp_context=multiprocessing.get_context("spawn")
        )
    return _pool


@cache
def _ensemble(scenario: str, overrides: tuple) -> tuple[dict, ...]:
    jobs = [(scenario, s, overrides) for s in SEEDS]
    return tuple(_executor().map(_summary, jobs))


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
        _pool.shutdown()
