"""The calibration tool: rejection ABC over a quasi-random design (sim/calibrate.py and
`care-sim calibrate`).

The runs here are tiny (1 seed, 1-2 years, 8-16 sets), so they check that the tool works
and that its posterior follows the targets, not that the default scenario is calibrated
(tests/test_calibration.py does that).
"""

from __future__ import annotations

import json
import math
import shlex
import warnings

import numpy as np
import pandas as pd
import pytest

import sim
from sim import calibrate as cal
from sim import cli
from sim.experiments import load_results, make_executor, read_manifest
from sim.io import read_provenance, sidecar_path
from sim.metrics import SUMMARY_KEYS

CLIENTS = "clients_per_1000_inhabitants"


def _one_line_error(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, f"expected exactly one line on stderr, got {len(lines)}:\n{err}"
    assert lines[0].startswith("care-sim: error: "), f"expected 'care-sim: error: ...', got {lines[0]!r}"
    return lines[0]


# --- pure parts (no simulation) ------------------------------------------------------------------


def test_target_distance_is_zero_in_the_middle_and_one_at_the_ends():
    t = cal.Target(CLIENTS, 12, 26)
    assert t.z(19) == 0.0, f"expected z = 0 in the middle of [12, 26], got {t.z(19)}"
    assert t.z(12) == -1.0 and t.z(26) == 1.0, f"expected z = -1 and +1 at the ends, got {t.z(12)}, {t.z(26)}"
    assert t.error(20) == 0.0, f"expected no remaining error inside the range, got {t.error(20)}"
    assert t.error(13) == 0.0, f"expected no remaining error inside the range, got {t.error(13)}"
    assert math.isclose(t.error(9), 0.25), f"expected (12 - 9) / 12 = 0.25 below the range, got {t.error(9)}"
    assert math.isclose(t.error(39), 0.5), f"expected (39 - 26) / 26 = 0.5 above the range, got {t.error(39)}"
    assert t.z(float("nan")) == math.inf, "expected a NaN metric to be infinitely far from any target"


def test_parse_target_and_prior():
    t = cal.parse_target("clients_per_1000_inhabitants=13.5:16.5")
    assert (t.key, t.lo, t.hi) == (CLIENTS, 13.5, 16.5), f"expected the parsed target, got {t}"
    with pytest.raises(cal.CalibrationError, match="did you mean 'clients_per_1000_inhabitants'"):
        cal.parse_target("clients_per_1000=1:2")
    with pytest.raises(cal.CalibrationError, match="lo < hi"):
        cal.parse_target("mean_wait_weeks=11:6")
    assert cal.parse_prior("onset-per-year=0.1:0.3") == ("onset_per_year", (0.1, 0.3)), "expected dashes accepted"


def test_priors_are_plus_minus_the_range_clipped_to_the_bounds():
    sc = sim.load_scenario("default", onset_per_year=0.2, carer_hours=26.0)  # fixed values, not the defaults
    b = cal.priors(sc, cal.check_params(["onset_per_year", "carer_hours"]), 0.5)
    assert np.allclose(b["onset_per_year"], (0.1, 0.3)), f"expected 0.2 +-50% = [0.1, 0.3], got {b}"
    assert np.allclose(b["carer_hours"], (13, 39)), f"expected 26 +-50% = [13, 39], got {b}"
    wide = cal.priors(sc, cal.check_params(["onset_per_year"]), 2.0)
    assert wide["onset_per_year"][0] == 0.0, f"expected the prior clipped at the lower bound 0, got {wide}"
    with pytest.raises(cal.CalibrationError, match="--prior gp_referral_per_year=LO:HI"):
        cal.priors(sc, cal.check_params(["gp_referral_per_year"]), 0.5)  # current value 0: empty prior
    with pytest.raises(cal.CalibrationError, match="within the allowed"):
        cal.priors(sc, cal.check_params(["onset_per_year"]), 0.5, {"onset_per_year": (-1.0, 0.3)})


def test_check_params_refuses_what_cannot_be_fitted():
    with pytest.raises(cal.CalibrationError, match="did you mean onset_per_year"):
        cal.check_params(["onset_per_yer"])
    for bad, why in (("funding", "not a number"), ("outreach", "not a number"), ("years", "--years")):
        with pytest.raises(cal.CalibrationError, match=why):
            cal.check_params([bad])


def test_design_fills_the_prior_box_without_warnings():
    bounds = {"onset_per_year": (0.1, 0.3), "providers": (2, 8)}
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # Sobol' warns when n is not a power of 2: we must not ask it to
        sobol, name16 = cal.design(bounds, 16, seed=1)
        lhs, name10 = cal.design(bounds, 10, seed=1)
    assert "Sobol" in name16 and "Latin" in name10, f"expected Sobol' for 16 and LHS for 10, got {name16}, {name10}"
    for df in (sobol, lhs):
        x = df["onset_per_year"]
        assert x.between(0.1, 0.3).all(), f"expected every set inside the prior [0.1, 0.3], got {x.tolist()}"
        assert df["providers"].dtype.kind == "i", "expected an integer parameter to be sampled as integers"
    # One point per stratum of width 1/n: the design is space-filling, not clumped.
    strata = np.floor((sobol["onset_per_year"] - 0.1) / 0.2 * 16).astype(int)
    assert strata.nunique() == 16, f"expected one Sobol' point in each of 16 strata, got {sorted(strata)}"
    again, _ = cal.design(bounds, 16, seed=1)
    pd.testing.assert_frame_equal(sobol, again, obj="the same seed must give the same design")


# --- the posterior follows the targets -----------------------------------------------------------


@pytest.fixture(scope="module")
def onset_samples() -> tuple[pd.DataFrame, float]:
    """16 onset rates over a wide prior, 2 years, 1 common seed; and the clients per 1,000
    of a "true" onset rate of 0.3 on the same seed."""
    sc = sim.load_scenario("default", years=2)
    sets, _ = cal.design({"onset_per_year": (0.05, 0.4)}, 16, seed=1)
    seeds = sim.replicate_seeds(1, 1)
    with make_executor(2) as ex:
        table = cal.run_samples(sc, sets, seeds, executor=ex)
        truth = cal.run_point(sc, {"onset_per_year": 0.3}, seeds, executor=ex)
    return table, truth[CLIENTS]


def _fit_onset(table: pd.DataFrame, lo: float, hi: float) -> tuple[float, float, float]:
    kept = cal.posterior(cal.score(table, [cal.Target(CLIENTS, lo, hi)]), keep=0.25)
    x = kept["onset_per_year"]
    return float(x.median()), float(x.quantile(0.1)), float(x.quantile(0.9))


def test_fitted_onset_moves_with_the_clients_target(onset_samples):
    table, _ = onset_samples
    spread = table[CLIENTS].max() - table[CLIENTS].min()
    assert spread > 2, f"expected onset 0.05-0.4 to move clients per 1,000 by more than 2, got {spread:.2f}"
    low, low_lo, low_hi = _fit_onset(table, 19.0, 20.5)
    high, high_lo, high_hi = _fit_onset(table, 23.5, 25.0)
    assert high > low, f"expected a higher clients target to fit a higher onset rate, got {low:.3f} -> {high:.3f}"
    # The posteriors concentrate: the two 10%-90% intervals do not overlap, and each is
    # well under the prior's 10%-90% width (0.8 x 0.35 = 0.28).
    assert low_hi < high_lo, (
        f"expected disjoint posteriors, got [{low_lo:.3f}, {low_hi:.3f}] and [{high_lo:.3f}, {high_hi:.3f}]"
    )
    for lo_, hi_ in ((low_lo, low_hi), (high_lo, high_hi)):
        assert hi_ - lo_ < 0.14, f"expected a posterior interval under half the prior's, got [{lo_:.3f}, {hi_:.3f}]"


def test_known_onset_is_recovered(onset_samples):
    table, observed = onset_samples
    # Target: what the model gives at onset 0.3 on the same seed, +-3%. With one seed and two
    # years, seed noise moves clients per 1,000 by about +-0.5 (about +-0.04 in onset), so
    # the check is that the posterior 10%-90% interval, widened by 0.03 (a bit more than
    # the design's spacing of 0.35 / 16), covers the truth.
    fitted, lo, hi = _fit_onset(table, observed * 0.97, observed * 1.03)
    assert lo - 0.03 <= 0.3 <= hi + 0.03, (
        f"expected the posterior [{lo:.3f}, {hi:.3f}] (median {fitted:.3f}) to cover the true onset 0.3"
    )


# --- the command ----------------------------------------------------------------------------------


def test_calibrate_command_runs_and_writes_its_files(tmp_path, capsys):
    out_dir = tmp_path / "cal"
    argv = [
        "calibrate",
        "--samples",
        "8",
        "--seeds",
        "1",
        "--years",
        "1",
        "--params",
        "onset_per_year,carer_hours",
        "--out",
        str(out_dir),
    ]
    code = cli.main(argv)
    out = capsys.readouterr().out
    assert code == 0, f"expected exit code 0 from calibrate, got {code}:\n{out}"
    for part in ("fitted (median)", "10%-90%", "onset_per_year", "carer_hours", "fit quality", CLIENTS):
        assert part in out, f"expected {part!r} in the printed report:\n{out}"

    files = sorted(p.name for p in out_dir.iterdir())
    expected = ["fit.json", "manifest.json", "runs", "runs.parquet", "samples.json", "samples.parquet"]
    assert files == expected, f"expected the engine's folder plus the three calibration files, got {files}"
    manifest = read_manifest(out_dir)
    assert manifest["complete"] and manifest["label"] == "calibrate", "expected a complete calibrate folder"
    runs = load_results(out_dir)
    assert len(runs) == 8 and runs["onset_per_year"].nunique() == 8, "expected a run per sample (1 seed) in runs/"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cal"], "expected no temporary folder left beside the output"

    samples = pd.read_parquet(out_dir / "samples.parquet")
    assert len(samples) == 8, f"expected a row per sample (8), got {len(samples)}"
    for col in ("onset_per_year", "carer_hours", "distance", "accepted", *SUMMARY_KEYS):
        assert col in samples.columns, f"expected column {col!r} in samples.parquet, got {list(samples.columns)}"
    assert samples["onset_per_year"].between(0.1, 0.3).all(), "expected onset samples inside the prior 0.2 +-50%"
    assert samples["accepted"].sum() == 2, (
        f"expected 2 of 8 kept (keep 0.1, at least 2), got {samples['accepted'].sum()}"
    )
    worst_kept = samples.loc[samples["accepted"], "distance"].max()
    best_rejected = samples.loc[~samples["accepted"], "distance"].min()
    assert worst_kept <= best_rejected, "expected the kept sets to be the closest ones"

    side = json.loads(sidecar_path(out_dir / "samples.parquet").read_text())
    assert read_provenance(out_dir / "samples.parquet") == side, "expected the Parquet metadata to equal the sidecar"
    for key in ("git_commit", "version", "scenario", "seeds", "command", "calibration"):
        assert key in side, f"expected {key!r} in the provenance of samples.parquet, got {sorted(side)}"

    fit = json.loads((out_dir / "fit.json").read_text())
    assert fit["command"] == shlex.join(["care-sim", *argv]), f"expected the exact command line, got {fit['command']}"
    for name in ("onset_per_year", "carer_hours"):
        p = fit["params"][name]
        assert p["prior"][0] <= p["lo"] <= p["median"] <= p["hi"] <= p["prior"][1], (
            f"expected prior lo <= 10% <= median <= 90% <= prior hi for {name}, got {p}"
        )
        assert fit["fitted"][name] == p["median"], f"expected the fitted value of {name} to be the posterior median"
    assert set(fit["targets"]) == {t.key for t in cal.DEFAULT_TARGETS}, f"expected every default target in {fit}"
    for key, t in fit["targets"].items():
        assert t["inside"] == (t["error"] == 0), f"expected error 0 exactly when {key} is inside its range: {t}"
    assert 0 <= fit["targets_met"] <= 5, f"expected 0-5 targets met, got {fit['targets_met']}"


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--params", "onset_per_yer"], "did you mean onset_per_year?"),
        (
            ["--params", "onset_per_year", "--target", "clients_per_1000=1:2"],
            "did you mean 'clients_per_1000_inhabitants'?",
        ),
        (["--params", "onset_per_year", "--prior", "carer_hours=10:20"], "not in --params"),
        (["--funding", "lumpsum"], "did you mean lump_sum?"),
        (["--keep", "1.5"], "fraction"),
        (["--samplse", "8"], "did you mean --samples?"),
    ],
)
def test_bad_calibrate_input_exits_2_before_running(capsys, monkeypatch, args, expected):
    monkeypatch.setattr(cal, "calibrate", lambda *a, **k: pytest.fail("calibration ran despite bad input"))
    code = cli.main(["calibrate", *args])
    line = _one_line_error(capsys.readouterr().err)
    assert code == 2, f"expected exit code 2 for {args}, got {code}"
    assert expected in line, f"expected {expected!r} in the error for {args}, got {line!r}"


def test_calibrate_help_has_an_example(capsys):
    code = cli.main(["calibrate", "--help"])
    out = capsys.readouterr().out
    assert code == 0, f"expected exit code 0 from calibrate --help, got {code}"
    assert "example" in out and "--prior-range" in out, f"expected examples and --prior-range in the help:\n{out}"
