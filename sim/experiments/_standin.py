"""TEMPORARY stand-in for the experiment engine (issue #9 part A, built on another branch).

Same API as the real engine for what the analyses need; removed when the engine lands.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from ..metrics import SUMMARY_KEYS
from ..params import Scenario, load_scenario
from ..run import BASE_SEED, replicate_seeds, run


@dataclass(frozen=True)
class RunSpec:
    run_id: int
    point: int
    replicate: int
    seed: int
    overrides: dict


@dataclass
class Design:
    scenario: Any = "default"
    points: list = field(default_factory=lambda: [{}])
    replicates: int = 1
    base_seed: int = BASE_SEED
    label: str = "sweep"
    meta: dict = field(default_factory=dict)

    def __post_init__(self):
        self.scenario = self.scenario if isinstance(self.scenario, Scenario) else load_scenario(self.scenario)
        self.points = [dict(p) for p in self.points]
        for p in self.points:
            self.scenario.replace(**p)  # validate

    @property
    def seeds(self):
        return replicate_seeds(self.base_seed, self.replicates)

    def runs(self):
        return [
            RunSpec(i * self.replicates + r, i, r, s, p)
            for i, p in enumerate(self.points)
            for r, s in enumerate(self.seeds)
        ]


def run_design(design, out=None, *, workers=None, scheduler=None, progress=True, weekly=False, clients=False):
    rows = []
    cols = sorted({k for p in design.points for k in p} | {"funding"})
    for spec in design.runs():
        sc = design.scenario.replace(**spec.overrides)
        summary = run(sc, rng=spec.seed).summary
        rows.append(
            {
                "run_id": spec.run_id,
                "point": spec.point,
                "replicate": spec.replicate,
                "seed": spec.seed,
                **{c: sc[c] for c in cols},
                **{k: summary[k] for k in SUMMARY_KEYS},
            }
        )
    return pd.DataFrame(rows)
