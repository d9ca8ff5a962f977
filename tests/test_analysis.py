"""Analyses on top of the experiment engine: analysis ranges, SALib problems and Sobol'
indices, the EMA Workbench model and evaluator, PRIM under pandas 3, contract optimisation.

Runs are short (2 years) and small (3,000 inhabitants): these tests check the analyses'
plumbing and their known answers, not the model's results.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

import sim
from sim.experiments import run_design
from sim.experiments.discovery import discover, discovery_design
from sim.experiments.optimize import nondominated, optimize_contracts
from sim.experiments.sensitivity import (
    analysed_params,
    points_from_sample,
    salib_problem,
    sobol_design,
    sobol_indices,
    value_from_sample,
)
from sim.params import PARAM_BY_NAME

SMALL = {"years": 2, "population": 3000}


# --- SALib problems and the mapping of samples to values ----------------------------------------
def test_salib_problem_comes_from_the_table():
    prob = salib_problem(["onset_per_year", "providers", "outreach", "funding"])
    assert prob["names"] == ["onset_per_year", "providers", "outreach", "funding"], "names in the order given"
    assert prob["bounds"][0] == list(PARAM_BY_NAME["onset_per_year"].analysis), "a number spans its analysis range"
    lo, hi = PARAM_BY_NAME["providers"].analysis
    assert prob["bounds"][1] == [lo - 0.5, hi + 0.5], "a whole number gets half a step either side"
    assert prob["bounds"][2] == [0.0, 1.0], "a switch is sampled on [0, 1]"
    assert prob["bounds"][3] == [0.0, float(len(sim.params.FUNDING_MODELS))], "a choice on [0, k]"
    default = salib_problem()
    assert default["names"] == [p.name for p in analysed_params()], "default: every analysed uncertainty"
    assert all(PARAM_BY_NAME[n].role == "uncertainty" for n in default["names"]), "only uncertainties by default"


def test_salib_problem_refuses_bad_names_and_bounds():
    with pytest.raises(sim.ScenarioError, match="did you mean 'onset_per_year'"):
        salib_problem(["onset_per_yaer"])
    with pytest.raises(sim.ScenarioError, match="out of range"):
        salib_problem(["onset_per_year"], bounds={"onset_per_year": (0.1, 7.0)})
    with pytest.raises(sim.ScenarioError, match="no analysis range"):
        salib_problem(["lump_sum_eur"])
    with pytest.raises(sim.ScenarioError, match="named twice"):
        salib_problem(["providers", "providers"])


def test_whole_numbers_switches_and_choices_get_equal_shares():
    from SALib.sample import latin

    prob = salib_problem(["providers", "ties_per_resident", "outreach", "funding"])
    x = latin.sample(prob, 6000, seed=1)
    pts = pd.DataFrame(points_from_sample(prob, x))
    for name in prob["names"]:
        p = PARAM_BY_NAME[name]
        counts = pts[name].value_counts()
        if p.kind is int:
            lo, hi = p.analysis
            expected = set(range(int(lo), int(hi) + 1, p.step))
        else:
            expected = set(p.analysis_values())
        assert set(counts.index) == expected, f"{name}: every allowed value must be sampled, got {sorted(counts.index)}"
        # a Latin hypercube stratifies each column: the shares are equal up to one stratum
        share = counts / len(pts)
        assert share.max() - share.min() < 2 / len(pts) * 2 + 1e-9, f"{name}: unequal shares {share.round(4).to_dict()}"
    for row in pts.to_dict("records"):
        sim.load_scenario("default", **row)  # every sampled value is valid


def test_sample_values_at_the_edges():
    p = PARAM_BY_NAME["ties_per_resident"]
    lo, hi = p.analysis
    assert value_from_sample(p, lo - 0.99) == lo, "the low edge rounds to the lowest allowed value"
    assert value_from_sample(p, hi + 0.99) == hi, "the high edge rounds to the highest allowed value"
    f = PARAM_BY_NAME["funding"]
    assert value_from_sample(f, float(len(f.choices))) == f.choices[-1], "x = k is the last choice"
    assert value_from_sample(PARAM_BY_NAME["outreach"], 0.5) is True, "a switch is on from 0.5"


# --- Sobol' indices where the answer is known ---------------------------------------------------
@pytest.fixture(scope="module")
def sobol_runs():
    # blend_ffs_share cannot matter under fee-for-service (no lump-sum part is paid);
    # baseline_clients_per_1000 sets how many clients came over in 2015, most of the
    # caseload of a 2-year run; tie_rewiring only moves who notices whom
    names = ["blend_ffs_share", "baseline_clients_per_1000", "tie_rewiring"]
    design = sobol_design("default", names, 16, replicates=1, fixed={"funding": "fee_for_service", **SMALL})
    return design.meta["salib"], run_design(design, progress=False)


def test_a_parameter_that_cannot_matter_gets_no_index(sobol_runs):
    prob, runs = sobol_runs
    si = sobol_indices(runs, prob, ["clients_per_1000_inhabitants", "spend_eur", "unmet_need_share"])
    blend = si[si.parameter == "blend_ffs_share"]
    # common random numbers: moving only the blend share leaves every run identical, so the
    # Jansen estimator of its total index is exactly 0 (not just small)
    assert (blend["ST"] == 0).all(), f"the blend share must have ST = 0 under FFS, got {blend[['metric', 'ST']]}"


def test_a_dominant_parameter_gets_a_large_index(sobol_runs):
    prob, runs = sobol_runs
    si = sobol_indices(runs, prob, ["clients_per_1000_inhabitants"]).set_index("parameter")
    # the 2015 caseload is most of a 2-year run's clients; 0.6 leaves room for the
    # estimator's error at 16 base samples (bootstrap intervals of about +-0.5)
    st = si["ST"]
    assert st["baseline_clients_per_1000"] > 0.6, f"the 2015 caseload must dominate, got {st.to_dict()}"
    assert st["baseline_clients_per_1000"] > 5 * st["tie_rewiring"], f"far more than rewiring: {st.to_dict()}"


def test_sobol_indices_check_their_input(sobol_runs):
    prob, runs = sobol_runs
    with pytest.raises(ValueError, match="not a multiple"):
        sobol_indices(runs[runs.point < 7], prob, ["spend_eur"])
    with pytest.raises(KeyError, match="not_a_metric"):
        sobol_indices(runs, prob, ["not_a_metric"])
    with pytest.raises(sim.ScenarioError, match="power of 2"):
        sobol_design("default", ["tie_rewiring"], 12)
    with pytest.raises(ValueError, match="need a Sobol' design"):
        sobol_indices(runs, {**prob, "method": "latin"}, ["spend_eur"])


def test_sobol_indices_within_crossed_categories():
    design = sobol_design("default", ["blend_ffs_share", "funding"], 4, fixed=SMALL)
    salib = design.meta["salib"]
    assert salib["crossed"]["funding"] == list(sim.params.FUNDING_MODELS), "a choice is crossed with the sample"
    assert len(design.points) == salib["rows"] * len(sim.params.FUNDING_MODELS), "a block of rows per model"
    runs = run_design(design, progress=False)
    si = sobol_indices(runs, salib, ["formal_hours_per_client_week"]).set_index("funding")
    # the blend share only changes what the blended model pays: zero elsewhere, exactly
    for f in ("fee_for_service", "lump_sum", "subsidy", "output_based", "population_budget"):
        assert si.at[f, "ST"] == 0, f"the blend share cannot matter under {f}, got ST = {si.at[f, 'ST']}"
    # with 4 base samples the size of an index is too noisy to bound; that it is not 0 is not
    assert si.at["blended", "ST"] > 0, f"under blended it moves the hours, got ST = {si.at['blended', 'ST']}"


# --- EMA Workbench ---------------------------------------------------------------------------
def test_ema_model_comes_from_the_table():
    from sim import ema

    m = ema.model(["carer_support_relief", "group_size", "ties_per_resident"], levers=None, years=2)
    assert m.name == "care_sim" and m.name.isidentifier(), "EMA needs a Python identifier as the name"
    unc = {u.name: type(u).__name__ for u in m.uncertainties}
    assert unc == {
        "carer_support_relief": "RealParameter",
        "group_size": "IntegerParameter",
        "ties_per_resident": "CategoricalParameter",
    }, f"parameter types must follow the table, got {unc}"
    lev = {u.name for u in m.levers}
    assert "funding" in lev and lev == {p.name for p in analysed_params(("lever",))}, "levers: every analysed lever"
    outs = {o.name for o in m.outcomes}
    assert set(sim.SUMMARY_KEYS) <= outs and "total_cost_eur" in outs, "outcomes: the summary and total cost"
    with pytest.raises(sim.ScenarioError, match="both varied and fixed"):
        ema.model(["carer_support_relief"], carer_support_relief=0.2)


def test_ema_evaluator_runs_on_the_engine_with_common_seeds():
    from sim import ema

    m = ema.model(["carer_support_relief", "group_size"], levers=["funding", "outreach"], replicates=2, **SMALL)
    with ema.Evaluator(m) as ev, ema.pandas_deprecations_ignored():
        experiments, outcomes = ema.emw.perform_experiments(m, scenarios=3, policies=2, evaluator=ev)
    assert len(experiments) == 6, f"3 scenarios x 2 policies, got {len(experiments)}"
    seeds = sim.replicate_seeds(sim.BASE_SEED, 2)
    row = experiments.iloc[4]
    params = {k: ema.decode(k, row[k]) for k in ("carer_support_relief", "group_size", "funding", "outreach")}
    direct = [sim.run("default", rng=s, **SMALL, **params).summary["unmet_need_share"] for s in seeds]
    assert math.isclose(outcomes["unmet_need_share"][4], float(np.mean(direct)), rel_tol=1e-12), (
        "an experiment's outcome must be the mean of plain runs on the common seeds"
    )


def test_prim_works_under_pandas_3_with_whole_numbers_and_categories():
    from sim import ema

    rng = np.random.default_rng(3)
    n = 400
    x = pd.DataFrame(
        {
            "a": rng.random(n),
            "k": rng.integers(1, 10, n),  # an integer uncertainty: PRIM's pasting writes 4.5 into it
            "f": pd.Categorical(rng.choice(["lump_sum", "subsidy", "fee_for_service"], n)),
        }
    )
    y = (x.a > 0.6) & (x.k > 4) & (x.f != "subsidy")  # a box with a categorical restriction
    with ema.pandas_deprecations_ignored():
        box = ema.prim(x, y.to_numpy()).find_box()
        [(stats, limits)] = box.inspect(style="data")
    assert {"a", "k", "f"} <= set(limits.index), f"the box must restrict a, k and f, got {list(limits.index)}"
    assert limits.loc["f"].iloc[0] == {"lump_sum", "fee_for_service"}, "the categorical limit is the set kept"
    assert stats["density"] > 0.9, f"the box should be nearly pure, density {stats['density']:.2f}"


# --- discovery and optimisation ----------------------------------------------------------------
def test_discover_finds_the_parameter_that_drives_the_outcome():
    # non-askers are never reached under a lump sum without outreach, so their share drives
    # the underserved share (correlation 0.6-0.7 over this design); the assessment's cost
    # cannot touch it (a lump sum has no assessment). A town of 10,000: at 3,000 the seed
    # noise of two years hides the effect from PRIM (measured: box density 0.64 against 0.86)
    names = ["non_asker_share", "assessment_cost_eur"]
    fixed = {"funding": "lump_sum", **SMALL, "population": 10_000}
    runs = run_design(discovery_design("default", names, 40, fixed=fixed), progress=False)
    d = discover(runs, names, "underserved_share", float(runs["underserved_share"].median()))
    lim = d.limits().set_index("parameter")
    got = list(lim.index)
    assert got == ["non_asker_share"], f"the box must restrict only the non-asker share, got {got}"
    assert d.stats()["density"] > 0.7, f"the box should hold mostly cases of interest: {d.stats()}"
    assert any("non_asker_share" in line for line in d.summary_lines()), "the summary names the restriction"
    with pytest.raises(ValueError, match="choose a threshold inside the range"):
        discover(runs, names, "underserved_share", 1e9)


def test_nondominated():
    v = np.array([[1, 5], [2, 2], [3, 3], [5, 1], [1, 5]])
    assert nondominated(v).tolist() == [True, True, False, True, True], "ties are not dominated; (3,3) is"


def test_optimize_returns_a_reevaluated_front():
    settings = {"nfe": 24, "population_size": 8, "replicates": 1, "fresh_replicates": 2, "progress": False}
    opt = optimize_contracts("default", **settings, **SMALL)
    r = opt.reevaluated
    assert len(r) >= 1 and r["nondominated"].any(), "the front must hold at least one contract"
    assert set(r["funding"]) <= set(sim.params.FUNDING_MODELS), "funding decoded to its names"
    assert (r["total_cost_eur_p10"] <= r["total_cost_eur_median"]).all(), "bands must hold the median"
    assert (r["underserved_share_median"] <= r["underserved_share_p90"]).all(), "bands must hold the median"
    assert opt.settings["fresh_base_seed"] != opt.settings["seed"], "re-evaluation must use fresh seeds"
    assert set(opt.runs["seed"]) == set(sim.replicate_seeds(sim.BASE_SEED + 1, 2)), "the fresh seeds are used"


# --- the commands ------------------------------------------------------------------------------
def _cli(*argv):
    from sim.cli import main

    return main([str(a) for a in argv])


def test_analyze_command_writes_indices_and_a_figure(tmp_path, capsys):
    spec = tmp_path / "sobol.toml"
    spec.write_text(
        'design = "sobol"\nsamples = 4\n[base]\nyears = 2\npopulation = 3000\n'
        '[vary]\nblend_ffs_share = "analysis"\nbaseline_clients_per_1000 = "analysis"\n'
        'funding = ["fee_for_service", "blended"]\n'
    )
    out = tmp_path / "sweep"
    assert _cli("sweep", spec, "--out", out, "--workers", 1) == 0, "the sweep must run"
    assert _cli("analyze", out, "--metrics", "spend_eur", "--top", 2) == 0, "analyze must succeed"
    text = capsys.readouterr().out
    assert "spend_eur | funding=fee_for_service" in text, "indices are given per crossed funding model"
    si = pd.read_csv(out / "sobol.csv")
    ffs = si[(si.funding == "fee_for_service") & (si.parameter == "blend_ffs_share")]
    assert (ffs.ST == 0).all(), "the blend share has no total effect under fee-for-service"
    assert (out / "sobol.png").stat().st_size > 10_000, "the figure must be written"


def test_analyze_refuses_a_folder_that_is_not_a_sobol_sweep(tmp_path, capsys):
    spec = tmp_path / "grid.toml"
    spec.write_text('design = "grid"\n[base]\nyears = 1\npopulation = 2000\n[vary]\nproviders = [2, 3]\n')
    assert _cli("sweep", spec, "--out", tmp_path / "g", "--workers", 1) == 0, "the grid must run"
    capsys.readouterr()
    assert _cli("analyze", tmp_path / "g") == 2, "analyze of a grid must be refused with exit 2"
    assert "is not a Sobol' sweep" in capsys.readouterr().err, "with a one-line reason"


def test_discover_command_writes_the_box_and_its_figures(tmp_path, capsys):
    out = tmp_path / "d"
    argv = ["discover", "--params", "non_asker_share,carer_tolerance_hours", "--samples", 24, "--years", 2]
    argv += ["--population", 3000, "--metric", "unreached_share", "--above", 0.45, "--out", out, "--workers", 1]
    assert _cli(*argv) == 0, "discover must succeed"
    text = capsys.readouterr().out
    assert "have unreached_share > 0.45" in text, "the summary names the rule"
    for name in ("prim_box.csv", "prim_trajectory.csv", "prim.json", "prim_tradeoff.png", "prim_box.png"):
        assert (out / name).exists(), f"discover must write {name}"
    assert sim.load_results(out)["funding"].eq("lump_sum").all(), "the default funding model is the lump sum"


def test_optimize_command_writes_the_front_and_its_figure(tmp_path, capsys):
    out = tmp_path / "o"
    argv = ["optimize", "--nfe", 16, "--population-size", 8, "--replicates", 1, "--fresh-replicates", 2]
    argv += ["--years", 2, "--population", 3000, "--out", out, "--workers", 1]
    assert _cli(*argv) == 0, "optimize must succeed"
    import json

    doc = json.loads((out / "optimize.json").read_text())
    assert doc["complete"] is True and doc["settings"]["nfe"] == 16, "optimize.json records a finished search"
    front = pd.read_csv(out / "front.csv")
    assert len(front) >= 1 and front["nondominated"].any(), "the front must hold a contract"
    assert (out / "optimize.png").stat().st_size > 10_000, "the figure must be written"
    assert sim.load_results(out / "reevaluation")["seed"].nunique() == 2, "re-evaluated on 2 fresh seeds"
    assert _cli("optimize", "--levers", "kpi_targte") == 2, "a misspelt lever is refused"
    assert "did you mean 'kpi_target'" in capsys.readouterr().err, "with a suggestion"
