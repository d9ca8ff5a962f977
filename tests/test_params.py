"""The parameter table: validation, TOML loading and clear errors."""

import math
import pickle

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import sim
from sim.metrics import SUMMARY_KEYS
from sim.params import PARAM_BY_NAME, PARAMS, ROLES, ScenarioError, check_together


def test_every_parameter_is_declared_fully():
    for p in PARAMS:
        assert p.unit is not None and p.meaning and p.source, f"{p.name}: unit, meaning and source are required"
        if p.kind in (int, float) and not p.choices:
            assert p.lo <= p.hi, f"{p.name}: bounds must be ordered"
            if p.default is not None:
                assert p.lo <= p.default <= p.hi, f"{p.name}: default {p.default} outside [{p.lo}, {p.hi}]"


def test_required_public_parameters_exist():
    sc = sim.load_scenario("default")
    for name in (
        "population",
        "years",
        "funding",
        "hourly_price_eur",
        "provider_altruism",
        "lump_sum_eur",
        "outreach",
        "kpi_target",
        "kpi_penalty_share",
        "need_growth_per_year",
    ):
        assert name in sc, f"parameter {name} must exist"
        assert getattr(sc, name) is not None, f"sc.{name} must give the value in effect, got None"
    assert math.isnan(sc.lump_sum_eur), (
        f"an undeclared lump sum is NaN (it follows the town's budget), got {sc.lump_sum_eur}"
    )
    assert sc["lump_sum_eur"] is None, "the mapping keeps the declared value (None: derived)"
    assert sim.load_scenario("default", lump_sum_eur=5e5).lump_sum_eur == 5e5, "a declared lump sum is used as is"


def test_misspelt_key_gets_did_you_mean():
    with pytest.raises(sim.ScenarioError, match=r"did you mean 'population'\?"):
        sim.load_scenario("default", populaton=5000)


def test_out_of_range_names_key_value_and_range():
    with pytest.raises(sim.ScenarioError) as err:
        sim.load_scenario("default", provider_altruism=1.7)
    msg = str(err.value)
    assert "provider_altruism" in msg and "1.7" in msg and "[0, 1]" in msg, f"message lacks key/value/range: {msg}"


def test_bad_choice_and_type():
    with pytest.raises(sim.ScenarioError, match="did you mean 'lump_sum'"):
        sim.load_scenario("default", funding="lumpsum")
    with pytest.raises(sim.ScenarioError, match="not a whole number"):
        sim.load_scenario("default", years=2.5)
    with pytest.raises(sim.ScenarioError, match="not true or false"):
        sim.load_scenario("default", outreach="maybe")


def test_unknown_scenario_suggests():
    with pytest.raises(sim.ScenarioError, match="did you mean 'default'"):
        sim.load_scenario("defualt")


def test_toml_file_loads_and_validates(tmp_path):
    f = tmp_path / "town.toml"
    f.write_text('description = "test town"\n[params]\npopulation = 30000\nfunding = "subsidy"\n')
    sc = sim.load_scenario(str(f), years=2)
    assert (sc.population, sc.funding, sc.years, sc.name) == (30000, "subsidy", 2, "town"), "TOML values and overrides"
    f.write_text("[params]\npopulaton = 30000\n")
    with pytest.raises(sim.ScenarioError, match="did you mean 'population'"):
        sim.load_scenario(str(f))
    f.write_text("[params\n")
    with pytest.raises(sim.ScenarioError, match="not valid TOML"):
        sim.load_scenario(str(f))


def test_scenario_is_immutable_and_picklable():
    sc = sim.load_scenario("default")
    with pytest.raises(AttributeError):
        sc.population = 1
    assert pickle.loads(pickle.dumps(sc)) == sc, "a scenario must survive pickling (batch_run uses processes)"
    assert sc.replace(population=30000).population == 30000, "replace() returns a changed copy"
    assert sc.population == 20000, "replace() must not change the original"


def test_list_scenarios_starts_with_default():
    names = sim.list_scenarios()
    assert names[0] == "default", f"default must come first, got {names}"
    for n in names:
        sim.load_scenario(n)  # every shipped scenario validates


_numeric = [p for p in PARAMS if p.kind in (int, float) and not p.choices and p.name != "lump_sum_eur"]


def _fits_the_defaults(name: str, value) -> bool:
    """Whether ``value`` passes the cross-parameter checks with every other parameter at
    its default."""
    try:
        check_together({**{p.name: p.default for p in PARAMS}, name: value})
    except ScenarioError:
        return False
    return True


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(_numeric), st.floats(allow_nan=True, allow_infinity=True))
def test_any_value_is_accepted_iff_in_range(param, x):
    inside = (
        math.isfinite(x)
        and param.lo <= x <= param.hi
        and (param.kind is float or float(x).is_integer())
        and (param.step == 1 or (float(x) - param.lo) % param.step == 0)
        and _fits_the_defaults(param.name, param.kind(x))
    )
    if inside:
        assert sim.load_scenario("default", **{param.name: x})[param.name] == param.kind(x), "in-range value kept"
    else:
        with pytest.raises(sim.ScenarioError, match=param.name):
            sim.load_scenario("default", **{param.name: x})


def test_param_lookup_is_complete():
    assert set(PARAM_BY_NAME) == {p.name for p in PARAMS}, "names must be unique"


@pytest.mark.parametrize(
    ("overrides", "parts"),
    [
        ({"buffer_share": 0.8, "innovation_share": 0.5}, ("buffer_share + innovation_share", "1.3", "[0, 1]")),
        ({"provider_altruism": 1.0}, ("provider_altruism_sd", "0.15", "provider_altruism = 1", "[0, 0]")),
        ({"provider_altruism": 0.9, "provider_altruism_sd": 0.3}, ("provider_altruism_sd", "0.3", "[0, 0.2985]")),
        ({"ties_per_resident": 7}, ("ties_per_resident", "7", "in steps of 2")),
        (
            {"population": 1000, "at_risk_share": 0.005, "ties_per_resident": 30},
            ("ties_per_resident", "30", "20 residents and volunteer slots", "[2, 18]"),
        ),
    ],
)
def test_values_that_do_not_fit_together_are_refused_by_the_loader(overrides, parts, tmp_path):
    # once silent clamps in the model; now the loader refuses them with key, value and range
    with pytest.raises(sim.ScenarioError) as err:
        sim.load_scenario("default", **overrides)
    msg = str(err.value)
    assert all(p in msg for p in parts), f"message lacks one of {parts}: {msg}"
    f = tmp_path / "town.toml"
    f.write_text("[params]\n" + "".join(f"{k} = {str(v).lower()}\n" for k, v in overrides.items()))
    with pytest.raises(sim.ScenarioError, match=list(overrides)[-1]):
        sim.load_scenario(str(f))
    with pytest.raises(sim.ScenarioError):
        sim.load_scenario("default").replace(**overrides)


def test_values_that_fit_together_are_kept():
    sc = sim.load_scenario("default", provider_altruism=1.0, provider_altruism_sd=0.0, ties_per_resident=8)
    assert (sc.provider_altruism, sc.provider_altruism_sd, sc.ties_per_resident) == (1.0, 0.0, 8), "kept as given"
    sc = sim.load_scenario("default", buffer_share=0.6, innovation_share=0.4)
    assert sc.buffer_share + sc.innovation_share == 1.0, "a split of the whole surplus is allowed"


def test_funding_names_come_from_the_funding_classes():
    from sim.params import CORE_FUNDING_MODELS, FUNDING_MODELS

    assert FUNDING_MODELS == tuple(sim.FUNDING), "the parameter's choices are the funding classes' names"
    assert PARAM_BY_NAME["funding"].choices == FUNDING_MODELS, "the funding parameter offers every model"
    assert set(CORE_FUNDING_MODELS) <= set(FUNDING_MODELS), f"unknown core models: {CORE_FUNDING_MODELS}"


# --- analysis ranges in the parameter table ---------------------------------------------------
@pytest.mark.parametrize("p", PARAMS, ids=lambda p: p.name)
def test_every_parameter_has_an_analysis_range_with_a_source(p):
    assert p.role in ROLES, f"{p.name}: role {p.role!r} must be one of {ROLES}"
    assert p.analysis_source, f"{p.name}: the analysis range needs a source or 'assumption: why'"
    if p.nullable:
        assert p.analysis is None, f"{p.name}: a derived value is not analysed itself"
        return
    assert p.analysed, f"{p.name}: every public parameter needs an analysis range"
    if p.kind in (int, float):
        lo, hi = p.analysis
        assert p.lo <= lo < hi <= p.hi, f"{p.name}: analysis range {p.analysis} must lie in [{p.lo}, {p.hi}]"
        assert lo <= p.default <= hi, f"{p.name}: default {p.default} should lie in its analysis range {p.analysis}"
        if p.kind is int:
            assert float(lo).is_integer() and float(hi).is_integer(), f"{p.name}: whole-number range {p.analysis}"
    if p.analysis_source.startswith("assumption"):
        assert len(p.analysis_source) > len("assumption: "), f"{p.name}: an assumption needs its reason"


def test_the_table_refuses_a_bad_row():
    with pytest.raises(ValueError, match="analysis range"):
        sim.params.Param(name="x", default=1.0, lo=0.0, hi=2.0, meaning="m", source="s", analysis=(0.0, 3.0))
    with pytest.raises(ValueError, match="role"):
        sim.params.Param(name="x", default=1.0, lo=0.0, hi=2.0, meaning="m", source="s", role="knob")


def test_even_parameters_refuse_odd_values():
    with pytest.raises(sim.ScenarioError, match=r"ties_per_resident = 5 is not allowed.*steps of 2"):
        sim.load_scenario("default", ties_per_resident=5)


def test_numpy_scalars_count_as_their_python_values():
    sc = sim.load_scenario("default", outreach=np.True_, providers=np.int64(5), hourly_price_eur=np.float64(61))
    assert (sc.outreach, sc.providers, sc.hourly_price_eur) == (True, 5, 61.0), "numpy scalars must be accepted"
    assert type(sc.outreach) is bool and type(sc.providers) is int, "and stored as Python values"


def test_no_parameter_shares_a_name_with_a_summary_metric():
    # a sweep's table has a column per varied parameter and per metric: one name for both
    # would make two columns of one name (measured: escalation_cost_eur broke tidy())
    clash = sorted({p.name for p in PARAMS} & set(SUMMARY_KEYS))
    assert not clash, f"parameters named like summary metrics: {clash}"
