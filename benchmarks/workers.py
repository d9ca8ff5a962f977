"""Measurements that run inside a fresh ``spawn`` child process, one per call.

Each function imports what it needs, measures, and returns a plain dict (picklable).
Peak memory is the child's own ``ru_maxrss`` at the end, so it covers the imports and
the one measurement and nothing else; ``base_rss_mb`` is the same figure taken after
the imports, before the measurement starts.
"""

from __future__ import annotations

import cProfile
import functools
import inspect
import pstats
import re
import resource
import sys
import time
from collections import defaultdict
from typing import Any

#: Summary keys compared between the columnar model and the classic reference.
COMPARE_KEYS = (
    "clients_per_1000_inhabitants",
    "formal_hours_per_client_week",
    "informal_hours_per_client_week",
    "volunteer_hours_per_client_week",
    "formal_to_optimum_ratio",
    "unmet_need_share",
    "underserved_share",
    "unreached_share",
    "escalations_per_1000_client_years",
    "mean_wait_weeks",
    "spend_per_client_year_eur",
    "carer_overburden_share",
    "volunteers_per_1000_inhabitants",
)

#: The weekly processes ``CareModel.step`` calls, as the benchmark brief lists them
#: (``module.function`` in ``sim/``).
STEP_RULES = (
    "need.need_dynamics",
    "need.exits",
    "volunteers.volunteer_turnover",
    "need.onset",
    "care.plan_outreach",
    "access.access",
    "market.transfers",
    "carers.carer_capacity",
    "care.plan_care",
    "supply.supply",
    "carers.carer_burden",
    "money.money",
    "year_end.year_end",
)

#: Functions called from inside those processes (time already counted in their callers).
NESTED_RULES = (
    "access.network_signals",
    "access.outreach",
    "access.serve_queue",
    "access.assess",
    "access.reassessment_due",
    "care.network_building",
    "market.bankruptcy",
)
NESTED_MODEL = ("start_episodes", "end_episodes", "add_volunteer", "retire_volunteers")


def rss_mb() -> float:
    """Peak resident set size of this process so far, in MB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _summary_subset(summary: dict[str, float]) -> dict[str, float]:
    return {k: float(summary[k]) for k in COMPARE_KEYS if k in summary}


def columnar_run(scenario: str, overrides: dict[str, Any], seed: int) -> dict[str, Any]:
    """One ``sim.run`` (set-up, all weeks, output tables); wall time, timing, memory."""
    import sim
    from sim.model import CareModel

    loop: dict[str, float] = {}
    original = CareModel.run

    def timed_run(self, *args, **kwargs):
        t0 = time.perf_counter()
        try:
            return original(self, *args, **kwargs)
        finally:
            loop["s"] = time.perf_counter() - t0
            loop["agents_created"] = self.agent_id_counter - 1  # Mesa numbers agents from 1
            loop["agents_removed"] = loop["agents_created"] - len(self.agents)

    CareModel.run = timed_run
    base = rss_mb()
    c0, t0 = time.process_time(), time.perf_counter()
    r = sim.run(scenario, rng=seed, **overrides)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    weeks = len(r.weekly)
    return {
        "wall_s": wall,
        "cpu_s": cpu,
        "network_s": float(r.timing.get("network_s", float("nan"))),
        "agents_s": float(r.timing.get("agents_s", float("nan"))),
        "loop_s": loop.get("s", float("nan")),
        "agent_steps": int(r.agent_steps),
        "agents_created": int(loop.get("agents_created", 0)),
        "agents_removed": int(loop.get("agents_removed", 0)),
        "weeks": weeks,
        "population": int(r.scenario.population),
        "districts": int(r.scenario.districts),
        "providers": int(r.scenario.providers),
        "funding": str(r.scenario.funding),
        "summary": _summary_subset(r.summary),
        "peak_rss_mb": rss_mb(),
        "base_rss_mb": base,
    }


def classic_run(scenario: str, overrides: dict[str, Any], seed: int, inline_rule: bool) -> dict[str, Any]:
    """One run of the classic-Mesa reference (:mod:`benchmarks.classic`)."""
    from benchmarks.classic import run_classic

    base = rss_mb()
    c0 = time.process_time()
    out = run_classic(scenario, rng=seed, inline_rule=inline_rule, **overrides)
    return {
        "wall_s": out["wall_s"],
        "cpu_s": time.process_time() - c0,
        "network_s": out["timing"]["network_s"],
        "agents_s": out["timing"]["agents_s"],
        "agent_steps": out["agent_steps"],
        "weeks": out["weeks"],
        "summary": _summary_subset(out["summary"]),
        "peak_rss_mb": rss_mb(),
        "base_rss_mb": base,
    }


def _kernel_week(x, y, z):
    """Twenty elementwise float operations, each allocating its result (as numpy
    expressions in the rules do); the values stay in [0, 1]."""
    import numpy as np

    a = x * 0.9  # 1
    b = y * 0.1  # 2
    a = a + b  # 3
    b = a - z  # 4
    b = np.maximum(b, 0.0)  # 5
    b = np.minimum(b, 1.0)  # 6
    c = b * b  # 7
    c = c + 0.5  # 8
    d = a / c  # 9
    d = np.minimum(d, 1.0)  # 10
    e = 1.0 - d  # 11
    e = e * 0.5  # 12
    y = y + e  # 13
    y = y * 0.5  # 14
    f = np.where(a > 0.5, d, e)  # 15, 16
    z = z * 0.95  # 17
    z = z + f * 0.05  # 18, 19
    x = np.clip(a, 0.0, 1.0)  # 20
    return x, y, z


KERNEL_OPS = 20


def numpy_kernel(n_agents: int, weeks: int, repeats: int) -> dict[str, Any]:
    """Time ``weeks`` sweeps of :func:`_kernel_week` over ``n_agents`` float64 values."""
    import numpy as np

    rng = np.random.default_rng(0)
    times = []
    for _ in range(repeats):
        x, y, z = rng.random(n_agents), rng.random(n_agents), rng.random(n_agents)
        t0 = time.perf_counter()
        for _ in range(weeks):
            x, y, z = _kernel_week(x, y, z)
        times.append(time.perf_counter() - t0)
        assert np.isfinite(x).all() and np.isfinite(z).all()
    return {"times_s": times, "n_agents": n_agents, "weeks": weeks, "ops": KERNEL_OPS}


def mesa_floor(created: int, removed: int, weeks: int, repeats: int) -> dict[str, Any]:
    """What Mesa's own parts cost for one run's worth of work, with no model rules at all.

    Creates ``created`` and removes ``removed`` bare ``mesa.Agent`` objects (a run's
    clients per episode, carers, volunteers, providers), calls a ``DataCollector`` with
    the model's weekly reporters ``weeks`` times, and steps an empty ``mesa.Model``
    ``weeks`` times (Mesa's step bookkeeping). Medians of ``repeats``, in seconds.
    """
    import statistics

    import mesa

    from sim.model import WEEKLY

    class Person(mesa.Agent):
        pass

    class Empty(mesa.Model):
        def __init__(self) -> None:
            super().__init__(rng=0)
            for attr in WEEKLY.values():
                setattr(self, attr, 0.0)

        def step(self) -> None:
            pass

    parts: dict[str, list[float]] = defaultdict(list)
    for _ in range(repeats):
        m = Empty()
        t0 = time.perf_counter()
        people = [Person(m) for _ in range(created)]
        parts["create"].append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        for a in people[:removed]:
            a.remove()
        parts["remove"].append(time.perf_counter() - t0)
        dc = mesa.DataCollector(model_reporters=WEEKLY)
        t0 = time.perf_counter()
        for _ in range(weeks):
            dc.collect(m)
        parts["collect"].append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        for _ in range(weeks):
            m.step()
        parts["step"].append(time.perf_counter() - t0)
    return {
        "created": created,
        "removed": removed,
        "weeks": weeks,
        "reporters": len(WEEKLY),
        "repeats": repeats,
        "seconds": {k: statistics.median(v) for k, v in parts.items()},
    }


class _Timer:
    """Accumulates seconds and calls per label; ``wrap`` patches an attribute in place."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)
        self.calls: dict[str, int] = defaultdict(int)
        self.missing: list[str] = []

    def wrap(self, owner: Any, name: str, label: str | None = None) -> bool:
        f = getattr(owner, name, None)
        if f is None:
            self.missing.append(label or name)
            return False
        label = label or name
        seconds, calls = self.seconds, self.calls

        @functools.wraps(f)
        def timed(*args, **kwargs):
            t0 = time.perf_counter()
            try:
                return f(*args, **kwargs)
            finally:
                seconds[label] += time.perf_counter() - t0
                calls[label] += 1

        setattr(owner, name, timed)
        return True


def _step_rule_names() -> list[str]:
    """The brief's process list, plus any other ``module.function(self)`` that
    ``CareModel.step`` calls."""
    from sim.model import CareModel

    names = list(STEP_RULES)
    try:
        called = re.findall(r"(?<![.\w])([a-z_]+\.[a-z_]+)\(self\b", inspect.getsource(CareModel.step))
    except (OSError, TypeError):
        called = []
    names += [n for n in dict.fromkeys(called) if n not in names]
    return names


def _wrap_rule(timer: _Timer, qualname: str) -> None:
    """Wrap ``sim.<module>.<function>`` in place (the callers look it up at call time)."""
    import importlib

    module, _, name = qualname.partition(".")
    timer.wrap(importlib.import_module(f"sim.{module}"), name, qualname)


def process_profile(scenario: str, overrides: dict[str, Any], seed: int, check_invariants: bool) -> dict[str, Any]:
    """Time each weekly process of ``CareModel.step`` by wrapping it (sim/ is not edited).

    ``sim.<module>.<function>`` is patched for every rule ``CareModel.step`` calls (it
    calls them as ``module.function(self)``), ``outputs.report``,
    ``CareModel.check_invariants`` and ``mesa.DataCollector.collect``;
    ``CareModel.step`` itself is wrapped for the total. Nested calls (e.g.
    ``access.assess``) are timed in a separate table.
    """
    from mesa import DataCollector

    import sim
    from sim import model
    from sim.model import CareModel

    top, nested, total = _Timer(), _Timer(), _Timer()
    names = _step_rule_names()
    for n in names:
        _wrap_rule(top, n)
    top.wrap(model, "report", "outputs.report")
    top.wrap(CareModel, "check_invariants", "CareModel.check_invariants")
    top.wrap(DataCollector, "collect", "DataCollector.collect")
    for n in NESTED_RULES:
        _wrap_rule(nested, n)
    for n in NESTED_MODEL:
        nested.wrap(CareModel, n, f"CareModel.{n}")
    total.wrap(CareModel, "step", "step")
    total.wrap(CareModel, "run", "run")
    t0 = time.perf_counter()
    r = sim.run(scenario, rng=seed, check_invariants=check_invariants, **overrides)
    wall = time.perf_counter() - t0
    return {
        "wall_s": wall,
        "step_s": total.seconds["step"],
        "run_s": total.seconds["run"],
        "weeks": len(r.weekly),
        "agent_steps": int(r.agent_steps),
        "network_s": float(r.timing.get("network_s", float("nan"))),
        "agents_s": float(r.timing.get("agents_s", float("nan"))),
        "top": {k: (top.seconds[k], top.calls[k]) for k in top.seconds},
        "top_order": [*names, "outputs.report", "CareModel.check_invariants", "DataCollector.collect"],
        "nested": {k: (nested.seconds[k], nested.calls[k]) for k in nested.seconds},
        "missing": top.missing + nested.missing,
        "check_invariants": check_invariants,
    }


def _short_path(path: str, root: str) -> str:
    if path.startswith(root):
        return path[len(root) :].lstrip("/")
    for marker in ("site-packages/", "lib/python3"):
        if marker in path:
            return path.split(marker, 1)[1]
    return path


def cprofile_top(scenario: str, overrides: dict[str, Any], seed: int, n: int) -> dict[str, Any]:
    """Run once under cProfile; the ``n`` functions with the most own time."""
    from pathlib import Path

    import sim

    root = str(Path(sim.__file__).resolve().parents[1])
    prof = cProfile.Profile()
    prof.enable()
    sim.run(scenario, rng=seed, **overrides)
    prof.disable()
    stats = pstats.Stats(prof).stats  # type: ignore[attr-defined]
    total = sum(v[2] for v in stats.values())
    rows = []
    for (file, line, func), (_cc, nc, tt, ct, _callers) in stats.items():
        where = f"{_short_path(file, root)}:{line}({func})" if file != "~" else func
        rows.append((where, nc, tt, ct))
    rows.sort(key=lambda x: -x[2])
    calls = sum(v[1] for v in stats.values())  # function calls, numpy's included (array operators are not calls)
    return {"rows": rows[:n], "total_s": total, "calls": calls}


def setup_breakdown(scenario: str, overrides: dict[str, Any], seed: int) -> dict[str, Any]:
    """Build (not run) one ``CareModel`` and split the set-up time by part."""
    import sim.model
    import sim.network
    from sim.model import CareModel

    t = _Timer()
    t.wrap(sim.model, "build_network", "build_network (total)")
    t.wrap(sim.network, "watts_strogatz_edges", "  watts_strogatz_edges (the small-world ties)")
    t.wrap(CareModel, "start_episodes", "initial clients (start_episodes)")
    t.wrap(CareModel, "recruit_volunteers", "initial volunteers")
    base = rss_mb()
    t0 = time.perf_counter()
    model = CareModel(scenario, rng=seed, **overrides)
    total = time.perf_counter() - t0
    parts = {k: t.seconds[k] for k in t.seconds}
    t0 = time.perf_counter()
    model.space  # noqa: B018 - the Mesa Network space (and the networkx graph) is built on first use
    space_s = time.perf_counter() - t0
    return {
        "total_s": total,
        "network_s": model.timing.get("network_s", float("nan")),
        "agents_s": model.timing.get("agents_s", float("nan")),
        "parts": parts,
        "space_s": space_s,
        "nodes": model.layout.graph.number_of_nodes(),
        "edges": model.layout.graph.number_of_edges(),
        "peak_rss_mb": rss_mb(),
        "base_rss_mb": base,
    }


if __name__ == "__main__":  # pragma: no cover - a manual smoke test
    print(columnar_run("default", {"years": 1}, 0), file=sys.stderr)
