"""The public API contract of the model core."""

import math

import mesa
import pandas as pd

import sim

CLIENT_COLUMNS = {
    "entry_need",
    "asked",
    "reached",
    "formal_hours",
    "informal_hours",
    "volunteer_hours",
    "unmet_hours",
    "weeks_waiting",
    "escalated",
}


def test_public_names():
    for name in ("__version__", "list_scenarios", "load_scenario", "CareModel", "run", "RunResult", "ScenarioError"):
        assert hasattr(sim, name), f"sim.{name} must exist"
    assert issubclass(sim.CareModel, mesa.Model), "CareModel must be a mesa.Model"


def test_run_result_shape():
    r = sim.run("default", rng=2, years=2, funding="subsidy")
    assert list(r.summary) == list(sim.SUMMARY_KEYS), "summary keys in the documented order"
    bad = {k: v for k, v in r.summary.items() if not (isinstance(v, float) and math.isfinite(v))}
    assert not bad, f"every summary value must be a finite float: {bad}"
    assert len(r.weekly) == 104 and r.weekly["week"].tolist() == list(range(104)), "a row a week"
    assert CLIENT_COLUMNS <= set(r.clients.columns), f"client columns missing: {CLIENT_COLUMNS - set(r.clients)}"
    assert r.clients["client_id"].is_unique, "one row per client episode"
    assert r.scenario.funding == "subsidy" and r.seed == 2, "result carries scenario and seed"


def test_agents_read_the_columns():
    m = sim.CareModel("default", rng=4, years=1)
    for _ in range(5):
        m.step()
    clients = m.agents_by_type[sim.Client]
    assert len(clients) == int(m.res.active.sum()), "one Client agent per resident with a need"
    c = next(iter(clients))
    assert c.need == m.res.need[c.idx] and c.cell is m.space[c.idx], "a client reads its column and sits on its node"
    assert len(m.agents_by_type[sim.InformalCarer]) == m.layout.n_carers, "one agent per carer"


def test_batch_run_is_a_client():
    res = mesa.batch_run(
        sim.CareModel,
        parameters={"funding": ["lump_sum", "fee_for_service"], "years": [1]},
        rng=[1, 2],
        max_steps=60,
        number_processes=1,
        display_progress=False,
        data_collection_period=1,
    )
    df = pd.DataFrame(res)
    assert len(df) == 2 * 2 * 52, f"expected a row per week for 4 runs, got {len(df)}"
    assert {"formal_hours", "week_spend_eur"} <= set(df.columns), "weekly reporters reach batch_run"
