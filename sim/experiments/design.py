"""An experiment design: parameter sets (points) times replicates, on common seeds.

Replicate ``i`` of every point runs on the same child seed (common random numbers), so a
difference between two points is not seed noise. Points are validated against the
parameter table when the design is made, before anything runs.

Example:
    >>> d = Design("default", points=[{"funding": "fee_for_service"}, {"funding": "lump_sum"}], replicates=5)
    >>> [r.seed for r in d.runs()][:2] == [d.seeds[0], d.seeds[1]]
    True
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..params import PARAM_BY_NAME, Scenario, ScenarioError, load_scenario
from ..run import BASE_SEED, replicate_seeds

#: The point key that runs a point on another preset (or TOML file) than the design's scenario.
SCENARIO_KEY = "scenario"


class DesignError(ScenarioError):
    """A bad design: unknown key, value out of bounds, bad replicates or seeds."""


@dataclass(frozen=True)
class RunSpec:
    """One run of a design.

    Attributes:
        run_id: ``point * replicates + replicate``; rows of every table are ordered by it.
        point: index of the parameter set in ``Design.points``.
        replicate: index of the seed in ``Design.seeds``.
        seed: the run's seed (never None).
        overrides: the point's parameter values (without the ``scenario`` key).
    """

    run_id: int
    point: int
    replicate: int
    seed: int
    overrides: dict[str, Any]


def _plain(value: Any) -> Any:
    """NumPy scalars to Python values (JSON, TOML and the scenario validate plain ones)."""
    return value.item() if isinstance(value, np.generic) else value


def _check_key(key: str) -> None:
    if key == SCENARIO_KEY or key in PARAM_BY_NAME:
        return
    hint = difflib.get_close_matches(key, [*PARAM_BY_NAME, SCENARIO_KEY], n=1, cutoff=0.6)
    extra = f"; did you mean {hint[0]!r}?" if hint else "; `care-sim show default` lists the parameters"
    raise DesignError(f"unknown parameter {key!r} in a design point{extra}")


@dataclass(frozen=True, init=False)
class Design:
    """Parameter sets times replicates on one base scenario.

    Args:
        scenario: the base scenario: a shipped name, a TOML path or a Scenario. Every
            point's values override it.
        points: parameter sets, e.g. ``[{"funding": "lump_sum", "hourly_price_eur": 55.0}]``;
            default one point with no overrides. A point may hold ``"scenario": NAME``
            to run on another preset (its other values override that preset).
        replicates: runs per point; replicate ``i`` uses ``seeds[i]`` at every point.
        base_seed: the seed the replicate seeds derive from (``replicate_seeds``).
        label: a short name (the results folder's prefix, e.g. ``"sweep"``).
        meta: anything JSON-serialisable to keep with the design (e.g. a SALib problem).
        seeds: explicit replicate seeds instead of derived ones (e.g. the baseline's
            one fixed seed); ``replicates`` is then ``len(seeds)``.

    Raises:
        DesignError: an unknown key, a value out of bounds (key, value, allowed range),
            no replicates, or a negative seed. Nothing has run yet.
    """

    scenario: Scenario
    points: tuple[dict[str, Any], ...]
    replicates: int
    base_seed: int
    label: str
    meta: dict[str, Any] = field(default_factory=dict)
    explicit_seeds: tuple[int, ...] | None = None
    #: The preset scenarios named by points, resolved once (name -> Scenario).
    presets: dict[str, Scenario] = field(default_factory=dict)

    def __init__(
        self,
        scenario: str | Scenario = "default",
        points: Iterable[Mapping[str, Any]] | None = None,
        replicates: int = 1,
        base_seed: int = BASE_SEED,
        label: str = "design",
        meta: Mapping[str, Any] | None = None,
        seeds: Sequence[int] | None = None,
        presets: Mapping[str, Scenario] | None = None,
    ) -> None:
        base = load_scenario(scenario)
        pts = [{str(k): _plain(v) for k, v in dict(p).items()} for p in (points if points is not None else [{}])]
        if not pts:
            raise DesignError("a design needs at least one point (use [{}] to run the scenario as it is)")
        if seeds is not None:
            seeds = tuple(int(s) for s in seeds)
            if not seeds:
                raise DesignError("a design needs at least one seed")
            replicates = len(seeds)
        if isinstance(replicates, bool) or not isinstance(replicates, int | np.integer) or replicates < 1:
            raise DesignError(f"replicates = {replicates!r} must be a whole number of at least 1")
        if any(s < 0 for s in (seeds or (int(base_seed),))):
            raise DesignError(f"seeds must be 0 or more, got {seeds or base_seed}")
        resolved = dict(presets or {})
        for p in pts:
            for key in p:
                _check_key(key)
            name = p.get(SCENARIO_KEY)
            if name is not None and name not in resolved:
                if not isinstance(name, str):
                    raise DesignError(f"scenario = {name!r} must be a preset name or a TOML path")
                resolved[name] = load_scenario(name)
        object.__setattr__(self, "scenario", base)
        object.__setattr__(self, "points", tuple(pts))
        object.__setattr__(self, "replicates", int(replicates))
        object.__setattr__(self, "base_seed", int(base_seed))
        object.__setattr__(self, "label", str(label))
        object.__setattr__(self, "meta", dict(meta or {}))
        object.__setattr__(self, "explicit_seeds", seeds)
        object.__setattr__(self, "presets", resolved)
        for i in range(len(pts)):
            try:
                self.point_scenario(i)
            except ScenarioError as exc:
                raise DesignError(f"design point {i}: {exc}") from None

    # --- derived ------------------------------------------------------------------------

    @property
    def seeds(self) -> list[int]:
        """The replicate seeds, the same for every point (common random numbers)."""
        if self.explicit_seeds is not None:
            return list(self.explicit_seeds)
        return replicate_seeds(self.base_seed, self.replicates)

    @property
    def n_runs(self) -> int:
        return len(self.points) * self.replicates

    def runs(self) -> list[RunSpec]:
        """Every run, in run-id order: point 0's replicates, then point 1's, ..."""
        seeds = self.seeds
        return [
            RunSpec(i * self.replicates + r, i, r, seed, {k: v for k, v in p.items() if k != SCENARIO_KEY})
            for i, p in enumerate(self.points)
            for r, seed in enumerate(seeds)
        ]

    def point_scenario(self, point: int) -> Scenario:
        """The full, validated scenario of a point."""
        p = self.points[point]
        base = self.presets[p[SCENARIO_KEY]] if SCENARIO_KEY in p else self.scenario
        return base.replace(**{k: v for k, v in p.items() if k != SCENARIO_KEY})

    @property
    def param_columns(self) -> list[str]:
        """The parameter columns of the results: ``funding``, then the points' keys in
        first-seen order (``scenario`` first when points name presets)."""
        keys = dict.fromkeys(k for p in self.points for k in p)
        cols = ([SCENARIO_KEY] if SCENARIO_KEY in keys else []) + ["funding"]
        return cols + [k for k in keys if k not in cols]

    def param_values(self, point: int) -> dict[str, Any]:
        """The parameter columns' values of a point (a key a point does not set has its
        scenario's value; ``scenario`` is the design's scenario name when unset)."""
        sc = self.point_scenario(point)
        out = {}
        for col in self.param_columns:
            out[col] = self.points[point].get(SCENARIO_KEY, self.scenario.name) if col == SCENARIO_KEY else sc[col]
        return out

    # --- storage ----------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """Everything needed to rebuild the design (the manifest's ``design`` entry)."""
        return {
            "label": self.label,
            "scenario_name": self.scenario.name,
            "scenario": self.scenario.to_dict(),
            "presets": {name: sc.to_dict() for name, sc in self.presets.items()},
            "points": [dict(p) for p in self.points],
            "replicates": self.replicates,
            "base_seed": self.base_seed,
            "explicit_seeds": list(self.explicit_seeds) if self.explicit_seeds is not None else None,
            "seeds": self.seeds,
            "param_columns": self.param_columns,
            "n_runs": self.n_runs,
            "meta": self.meta,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Design:
        """Rebuild a design from :meth:`to_dict`, from the stored full scenarios (not from
        today's preset files, which may have changed since)."""
        presets = {name: Scenario(values, name) for name, values in d.get("presets", {}).items()}
        return cls(
            Scenario(d["scenario"], d["scenario_name"]),
            points=d["points"],
            replicates=d["replicates"],
            base_seed=d["base_seed"],
            label=d["label"],
            meta=d.get("meta"),
            seeds=d.get("explicit_seeds"),
            presets=presets,
        )


def funding_points(funding: Iterable[str]) -> list[dict[str, str]]:
    """One point per funding model (the design of ``compare``), with a "did you mean"
    for a misspelt name."""
    from ..params import FUNDING_MODELS

    out = []
    for f in funding:
        if f not in FUNDING_MODELS:
            hint = difflib.get_close_matches(f, FUNDING_MODELS, n=1)
            extra = f"; did you mean {hint[0]!r}?" if hint else ""
            raise DesignError(f"funding = {f!r} is not allowed: one of {', '.join(FUNDING_MODELS)}{extra}")
        if {"funding": f} in out:
            raise DesignError(f"funding model {f!r} is given twice")
        out.append({"funding": f})
    if not out:
        raise DesignError("choose at least one funding model")
    return out
