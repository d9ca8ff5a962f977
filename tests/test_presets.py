"""The case presets: every one runs under every funding model and reproduces its case's
numbers within 10% (docs/odd.md section 12; ../shared/docs/cases.md)."""

import numpy as np
import pytest
from conftest import SEEDS

import sim
from sim.params import FUNDING_MODELS

PRESETS = ["lelystad", "alphen", "zaltbommel", "noord_veluwe"]

#: The case's numbers: scenario inputs, and outcomes to reproduce within 10%.
CASES = {
    "lelystad": {"population": 80_000, "districts": 4, "providers": 5, "clients": 1_200},
    "alphen": {"providers": 8, "spend_eur": 7_000_000},
    "zaltbommel": {"providers": 52, "contract_years": 5, "clients": 243},
    "noord_veluwe": {"districts": 6, "providers": 15},
}


def test_every_preset_is_listed_with_a_description():
    assert sim.list_scenarios() == ["default", *sorted(PRESETS)], f"unexpected presets: {sim.list_scenarios()}"
    from sim.params import scenario_description

    for name in sim.list_scenarios():
        assert scenario_description(name), f"{name} needs a one-line description"


@pytest.mark.parametrize("funding", FUNDING_MODELS)
@pytest.mark.parametrize("preset", PRESETS)
def test_every_preset_runs_under_every_funding_model(preset, funding):
    m = sim.CareModel(preset, rng=1, years=1, funding=funding, check_invariants=True)
    m.run()
    assert m.steps == 52, f"{preset}/{funding}: expected a year of weekly steps"


@pytest.mark.slow
@pytest.mark.parametrize("preset", PRESETS)
def test_preset_reproduces_its_case(preset):
    sc = sim.load_scenario(preset)
    runs = [sim.run(preset, rng=s).summary for s in SEEDS[:3]]
    for key, want in CASES[preset].items():
        if key in sc:
            assert sc[key] == want, f"{preset}: {key} is {sc[key]}, the case says {want}"
        elif key == "clients":
            got = float(np.median([r["clients_per_1000_inhabitants"] for r in runs])) * sc.population / 1000
            assert abs(got / want - 1) <= 0.10, f"{preset}: {got:.0f} clients, the case says {want} (within 10%)"
        else:
            got = float(np.median([r[key] for r in runs]))
            assert abs(got / want - 1) <= 0.10, f"{preset}: {key} {got:,.0f}, the case says {want:,} (within 10%)"
