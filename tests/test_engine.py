"""The experiment engine (sim/experiments): designs, seeds, results folders, resume.

Runs here are short (1 year, a town of 3,000), so the tests check the engine, not the model.
"""

from __future__ import annotations

import json
import logging

import pandas as pd
import pytest

import sim
from sim.experiments import (
    Design,
    DesignError,
    DesignRunError,
    IncompleteResultsError,
    InProcess,
    LocalPool,
    ResultsError,
    load_results,
    read_manifest,
    resume,
    run_design,
)
from sim.experiments import engine as engine_module
from sim.experiments.results import RUNS_DIR, folder_lock, part_name
from sim.experiments.spec import SpecError, design_from_spec
from sim.metrics import SUMMARY_KEYS
from sim.params import PARAM_BY_NAME, PARAMS

SMALL = {"years": 1, "population": 3000}


def _design(**kw) -> Design:
    points = [{"funding": "fee_for_service"}, {"funding": "lump_sum", "hourly_price_eur": 60.0}]
    return Design(sim.load_scenario("default", **SMALL), points=points, **{"replicates": 3, "label": "t", **kw})


# --- designs --------------------------------------------------------------------------------------


def test_replicate_i_has_the_same_seed_at_every_point_and_run_ids_follow_points():
    d = _design()
    runs = d.runs()
    assert [r.run_id for r in runs] == list(range(6)), f"expected run ids 0..5, got {[r.run_id for r in runs]}"
    assert [(r.point, r.replicate) for r in runs] == [(p, i) for p in range(2) for i in range(3)], (
        "expected run_id = point * replicates + replicate"
    )
    for r in runs:
        assert r.seed == d.seeds[r.replicate], f"expected run {r.run_id} on replicate seed {d.seeds[r.replicate]}"
    assert d.seeds == sim.replicate_seeds(sim.BASE_SEED, 3), "expected the seeds of replicate_seeds(BASE_SEED, 3)"
    assert Design("default", seeds=[5, 7]).seeds == [5, 7], "expected explicit seeds kept as given"
    assert d.param_columns == ["funding", "hourly_price_eur"], f"expected funding first, got {d.param_columns}"
    assert d.param_values(0)["hourly_price_eur"] == d.scenario.hourly_price_eur, (
        "expected a point that does not set a parameter to show its scenario's value"
    )


@pytest.mark.parametrize(
    ("points", "kw", "expected"),
    [
        ([{"hourly_price_eu": 50.0}], {}, "did you mean 'hourly_price_eur'?"),
        ([{"provider_altruism": 1.7}], {}, "provider_altruism = 1.7 is out of range: allowed [0, 1]"),
        ([{"funding": "lumpsum"}], {}, "did you mean 'lump_sum'?"),
        ([{}], {"replicates": 0}, "replicates = 0"),
        ([], {}, "at least one point"),
    ],
)
def test_bad_designs_are_refused_before_anything_runs(points, kw, expected):
    with pytest.raises(DesignError) as info:
        Design("default", points=points, **kw)
    assert expected in str(info.value), f"expected {expected!r} in the error, got {info.value}"


def test_design_round_trips_through_its_dict():
    d = Design("alphen", points=[{"scenario": "lelystad", "funding": "subsidy"}, {"years": 2}], replicates=2)
    again = Design.from_dict(json.loads(json.dumps(d.to_dict())))
    assert again.to_dict() == d.to_dict(), "expected the same design after a JSON round trip"
    assert again.point_scenario(0) == d.point_scenario(0), "expected the preset's stored scenario back"


# --- running, tables, folders -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def in_memory() -> pd.DataFrame:
    return run_design(_design(), workers=1, progress=False)


def test_table_columns_order_and_each_run_equal_to_a_clean_run(in_memory):
    d = _design()
    expected = ["run_id", "point", "replicate", "seed", "funding", "hourly_price_eur", *SUMMARY_KEYS]
    assert list(in_memory.columns) == expected, f"expected the tidy columns in order, got {list(in_memory.columns)}"
    assert in_memory["run_id"].tolist() == list(range(6)), "expected rows ordered by run id"
    for spec in (d.runs()[0], d.runs()[4]):
        clean = sim.run(d.point_scenario(spec.point), rng=spec.seed).summary
        row = in_memory.loc[spec.run_id, list(SUMMARY_KEYS)].to_dict()
        assert row == clean, f"expected run {spec.run_id} to equal a clean sim.run with seed {spec.seed}"


def test_pool_and_folder_give_the_same_table_as_this_process(in_memory, tmp_path):
    with LocalPool(2) as pool:
        pooled = run_design(_design(), executor=pool, progress=False)
        folder = run_design(_design(), out=tmp_path / "r", executor=pool, progress=False)
    pd.testing.assert_frame_equal(pooled, in_memory, obj="2 local workers against 1 process")
    pd.testing.assert_frame_equal(folder, in_memory, obj="the folder's table against the in-memory one")
    pd.testing.assert_frame_equal(load_results(tmp_path / "r"), in_memory, obj="load_results against in memory")
    parts = sorted(p.name for p in (tmp_path / "r" / RUNS_DIR).iterdir())
    assert parts == [part_name(i) for i in range(6)], f"expected one part per run, got {parts}"


def test_manifest_holds_provenance_design_seeds_executor_and_times(tmp_path):
    run_design(_design(), out=tmp_path / "r", workers=1, progress=False, command=["care-sim", "x"])
    m = read_manifest(tmp_path / "r")
    for key in ("version", "git_commit", "scenario", "design", "seeds", "executor", "started_utc", "finished_utc"):
        assert m.get(key) not in (None, ""), f"expected {key!r} in the manifest, got {m.get(key)!r}"
    assert m["version"] == sim.__version__, f"expected version {sim.__version__}, got {m['version']}"
    assert set(m["scenario"]) == {p.name for p in PARAMS}, "expected the full scenario, every parameter"
    assert m["seeds"] == _design().seeds, f"expected the replicate seeds, got {m['seeds']}"
    assert m["design"]["points"] == [dict(p) for p in _design().points], "expected the design's points"
    assert m["executor"]["kind"] == "in-process" and m["complete"] is True, f"unexpected manifest {m['executor']}"
    assert m["command"] == ["care-sim", "x"], f"expected the command line, got {m['command']}"
    assert m["started_utc"] <= m["finished_utc"], "expected the end after the start"


def test_an_interrupted_folder_is_incomplete_until_resumed_and_its_temp_files_are_removed(tmp_path, caplog):
    out = tmp_path / "r"
    done = []

    def stop_after_two(spec, result):
        done.append(spec.run_id)
        if len(done) == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_design(_design(), out=out, workers=1, progress=False, on_result=stop_after_two)
    assert not read_manifest(out)["complete"], "expected the manifest of an interrupted folder to say incomplete"
    with pytest.raises(IncompleteResultsError, match="--resume"):
        load_results(out)
    partial = load_results(out, allow_incomplete=True)
    assert partial["run_id"].tolist() == [0, 1], f"expected the two finished runs, got {partial['run_id'].tolist()}"

    stray = out / RUNS_DIR / f".{part_name(2)}.0badc0de.tmp"
    stray.write_bytes(b"half a part")
    with caplog.at_level(logging.WARNING, logger="sim.experiments"):
        table = resume(out, workers=1, progress=False)
    assert not stray.exists(), "expected the leftover temporary file removed on resume"
    assert any("removed 1 temporary file" in r.getMessage() for r in caplog.records), (
        f"expected the removal reported, got {[r.getMessage() for r in caplog.records]}"
    )
    pd.testing.assert_frame_equal(table, run_design(_design(), workers=1, progress=False), obj="resumed vs clean")
    m = read_manifest(out)
    assert m["complete"] and len(m["sessions"]) == 2, "expected a complete manifest recording both sessions"
    assert m["sessions"][-1]["runs_done"] == 4, f"expected the resume to run the 4 missing runs: {m['sessions']}"


def test_a_failed_run_names_its_run_and_keeps_the_finished_ones(tmp_path, monkeypatch):
    real = engine_module.run_job

    def fail_third(job):
        if job.seed == _design().seeds[2]:
            raise ValueError("boom")
        return real(job)

    monkeypatch.setattr(engine_module, "run_job", fail_third)
    with pytest.raises(DesignRunError) as info:
        run_design(_design(), out=tmp_path / "r", workers=1, progress=False)
    text = str(info.value)
    for part in ("run 2", f"seed {_design().seeds[2]}", "ValueError: boom", str(tmp_path / "r")):
        assert part in text, f"expected {part!r} in the error, got {text}"
    assert load_results(tmp_path / "r", allow_incomplete=True)["run_id"].tolist() == [0, 1], "expected 2 runs kept"


def test_a_new_folder_refuses_content_and_a_folder_is_written_by_one_process_at_a_time(tmp_path):
    taken = tmp_path / "taken"
    taken.mkdir()
    (taken / "x.txt").write_text("earlier")
    with pytest.raises(ResultsError, match="not an empty folder"):
        run_design(_design(), out=taken, workers=1, progress=False)
    assert (taken / "x.txt").read_text() == "earlier", "expected the earlier content untouched"
    run_design(Design("default", points=[SMALL]), out=tmp_path / "r", executor=InProcess(), progress=False)
    with folder_lock(tmp_path / "r"), pytest.raises(ResultsError, match="another care-sim process"):
        resume(tmp_path / "r", workers=1, progress=False)


def test_weekly_and_client_tables_are_kept_only_when_asked(tmp_path):
    d = Design("default", points=[SMALL], replicates=2)
    run_design(d, out=tmp_path / "w", workers=1, progress=False, weekly=True)
    weekly = load_results(tmp_path / "w", table="weekly")
    assert len(weekly) == 2 * 52 and weekly["run_id"].tolist()[:1] == [0], "expected 52 weeks per run, tagged"
    with pytest.raises(ResultsError, match="no clients tables"):
        load_results(tmp_path / "w", table="clients")
    with pytest.raises(ValueError, match="on_result"):
        run_design(d, weekly=True, workers=1)


# --- sweep specs -----------------------------------------------------------------------------------


def test_specs_give_grid_lhs_and_sobol_designs_with_the_salib_problem():
    grid = design_from_spec(
        {"design": "grid", "base": SMALL, "vary": {"funding": ["lump_sum", "subsidy"], "outreach": [True, False]}}
    )
    assert len(grid.points) == 4 and grid.points[0] == {"funding": "lump_sum", "outreach": True}, grid.points
    lhs = design_from_spec(
        {"design": "lhs", "samples": 8, "replicates": 2, "vary": {"providers": [2, 9], "hourly_price_eur": [40, 80]}}
    )
    assert len(lhs.points) == 8 and lhs.n_runs == 16, f"expected 8 sets x 2 replicates, got {lhs.n_runs}"
    assert all(isinstance(p["providers"], int) and 2 <= p["providers"] <= 9 for p in lhs.points), "ints rounded"
    ties = design_from_spec(
        {"design": "lhs", "samples": 8, "vary": {"ties_per_resident": [4, 12], "outreach": "analysis"}}
    )
    step = getattr(PARAM_BY_NAME["ties_per_resident"], "step", 1)
    assert all(p["ties_per_resident"] % step == 0 for p in ties.points), "expected whole numbers on their step"
    assert sorted({p["outreach"] for p in ties.points}) == [False, True], "expected a switch's values as categories"
    sobol = design_from_spec(
        {"design": "sobol", "samples": 4, "vary": {"hourly_price_eur": [40, 80], "kpi_target": [0.5, 0.9]}}
    )
    salib = sobol.meta["salib"]
    assert len(sobol.points) == 4 * (2 + 2) == len(salib["sample"]), "expected Saltelli's N * (D + 2) sets"
    assert salib["problem"]["names"] == ["hourly_price_eur", "kpi_target"], f"unexpected problem {salib['problem']}"


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ({"design": "lhs", "samples": 4, "vary": {"hourly_price_eur": [40, 9000]}}, "9000 is out of range"),
        ({"design": "grid", "vary": {"hourly_prise_eur": [40]}}, "did you mean 'hourly_price_eur'?"),
        ({"design": "grid", "vary": {"x": 1}, "sampels": 3}, "did you mean 'samples'?"),
        ({"design": "sobol", "samples": 5, "vary": {"hourly_price_eur": [40, 80]}}, "power of 2"),
        ({"design": "lhs", "samples": 4, "vary": {"hourly_price_eur": [80, 40]}}, "needs lo < hi"),
        ({"design": "grid", "base": {"years": 0}, "vary": {"funding": ["lump_sum"]}}, "years = 0 is out of range"),
    ],
)
def test_bad_specs_name_the_key_the_value_and_the_range(spec, expected):
    with pytest.raises(SpecError) as info:
        design_from_spec(spec)
    assert expected in str(info.value), f"expected {expected!r} in the error, got {info.value}"
