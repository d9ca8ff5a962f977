"""The friendly layer: ``run`` one simulation, ``compare`` funding models on shared seeds.

The model computes; this module turns it into tables. Writing files is left to
``sim.io`` and the CLI.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .metrics import summarise
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
    weekly = model.datacollector.get_model_vars_dataframe().reset_index(drop=True)
    clients = model.client_table()
    return RunResult(
        summary=summarise(weekly, clients, model),
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
    base_seed: int = 0,
    progress: Callable | None = None,
    **overrides,
) -> pd.DataFrame:
    """Run every funding model on the same seeds; return a long table, a row per run.

    Columns: run_id, funding, replicate, seed, then every summary metric.
    ``progress`` is called once per finished run (e.g. a tqdm ``update``).
    """
    sc = load_scenario(scenario, **overrides)
    seeds = replicate_seeds(base_seed, replicates)
    rows = []
    for f in funding:
        for i, seed in enumerate(seeds):
            r = run(sc, rng=seed, funding=f)
            rows.append({"run_id": len(rows), "funding": f, "replicate": i, "seed": seed, **r.summary})
            if progress:
                progress()
    return pd.DataFrame(rows)


def median_table(runs: pd.DataFrame, by: str = "funding") -> pd.DataFrame:
    """Median of each metric per group, with metrics as rows and groups as columns."""
    metrics = [c for c in runs.columns if c not in ("run_id", "replicate", "seed", by)]
    return runs.groupby(by, sort=False)[metrics].median().T
