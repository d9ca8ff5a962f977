"""The friendly layer: ``run`` one simulation, ``compare`` funding models on shared seeds.

The model computes; this module turns it into tables. Writing files is left to
``sim.io`` and the CLI.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .metrics import SUMMARY_KEYS, summarise
from .model import CareModel
from .params import FUNDING_MODELS, Scenario, load_scenario


@dataclass
class RunResult:
    """The outcome of one run.

    Attributes:
        summary: the run's summary metrics (see ``docs/odd.md`` section 8).
        weekly: one row per week of the weekly model reporters.
        clients: one row per client episode: entry need, asked, reached, hours by source
            per week, weeks waiting, underserved, escalated, KPI.
        scenario: the validated scenario that ran.
        seed: the seed the run used.
        timing: seconds spent building the network and the agents.
    """

    summary: dict[str, float]
    weekly: pd.DataFrame
    clients: pd.DataFrame
    scenario: Scenario
    seed: int | None
    timing: dict[str, float] = field(default_factory=dict)
    agent_steps: int = 0


def run(
    scenario: str | Scenario = "default",
    *,
    rng: int | None = 0,
    check_invariants: bool = False,
    progress: Callable[[int], object] | None = None,
    **overrides,
) -> RunResult:
    """Run one simulation and return its tables.

    Args:
        scenario: a shipped scenario name, a TOML path or a Scenario.
        rng: the seed; one seed fixes everything, the network included.
        check_invariants: check the accounting identities every week.
        progress: called with 1 after every week (e.g. a tqdm ``update``).
        **overrides: parameter values, e.g. ``funding="lump_sum"``.

    Example:
        >>> r = sim.run("default", funding="lump_sum", years=2)
        >>> r.summary["formal_hours_per_client_week"]
    """
    model = CareModel(scenario, rng=rng, check_invariants=check_invariants, **overrides)
    model.run(progress)
    dc = model.datacollector  # a sim.batch.SummaryCollector: the summary is made at the final week
    weekly = dc.weekly_table()
    clients = dc.clients if dc.clients is not None else model.client_table()
    summary = dc.summary if dc.summary is not None else summarise(weekly, clients, model)
    return RunResult(
        summary=summary,
        weekly=weekly,
        clients=clients,
        scenario=model.params,
        seed=rng,
        timing=dict(model.timing),
        agent_steps=model.agent_steps,
    )


#: The project's common base seed: the replicate seeds of tests, experiments, the
#: baseline and calibration all derive from it (``replicate_seeds(BASE_SEED, n)``).
BASE_SEED = 20261122


def replicate_seeds(base_seed: int, n: int) -> list[int]:
    """Child seeds for ``n`` replicates. Replicate i gets the same seed in every scenario
    (common random numbers), so differences between scenarios are not seed noise."""
    children = np.random.SeedSequence(base_seed).spawn(n)
    return [int(c.generate_state(1)[0]) for c in children]


def compare(
    scenario: str | Scenario = "default",
    *,
    funding: Iterable[str] = FUNDING_MODELS,
    replicates: int = 5,
    base_seed: int = BASE_SEED,
    workers: int | None = None,
    scheduler: str | None = None,
    progress: bool = False,
    **overrides,
) -> pd.DataFrame:
    """Run funding models on the same seeds; return a long table, a row per run.

    Runs through the experiment engine (:func:`sim.experiments.run_design`, in memory).
    Columns: run_id, point, replicate, seed, funding, then every summary metric.

    Args:
        scenario: a shipped scenario name, a TOML path or a Scenario.
        funding: the funding models (a point each).
        replicates: runs per model; replicate i uses the same seed under every model.
        base_seed: the seed the replicate seeds derive from.
        workers: local worker processes (default: the cores); scheduler: a Dask address.
        progress: a progress bar on stderr.
        **overrides: parameter values of the scenario.
    """
    from .experiments import Design, funding_points, run_design

    design = Design(
        load_scenario(scenario, **overrides),
        points=funding_points(funding),
        replicates=replicates,
        base_seed=base_seed,
        label="compare",
    )
    return run_design(design, workers=workers, scheduler=scheduler, progress=progress)


def starting_budget(scenario: str | Scenario = "default", rng: int = BASE_SEED, **overrides) -> float:
    """The town's yearly Wmo budget at the start (EUR/year, ODD 5.3): the hours the 2015
    clients' assessments indicate at the price, or a declared ``lump_sum_eur``. It
    depends on the seed (the town is drawn), not on the funding model."""
    return CareModel(scenario, rng=rng, **overrides).municipality.budget


def median_table(runs: pd.DataFrame, by: str = "funding") -> pd.DataFrame:
    """Median of each metric per group, with metrics as rows and groups as columns."""
    metrics = [c for c in runs.columns if c in SUMMARY_KEYS]
    return runs.groupby(by, sort=False)[metrics].median().T
