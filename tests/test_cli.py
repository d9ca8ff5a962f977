"""The care-sim command line, its result files, and the io helpers it relies on."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import sim
from sim import cli
from sim.experiments import engine, load_results
from sim.io import atomic_dir, new_results_dir, read_provenance, write_table
from sim.metrics import SUMMARY_KEYS
from sim.params import FUNDING_MODELS, PARAMS

REPO = Path(__file__).resolve().parents[1]


def _one_line_error(err: str) -> str:
    """The stderr of a failed command, checked to be exactly one error line."""
    lines = err.strip().splitlines()
    assert len(lines) == 1, f"expected exactly one line on stderr, got {len(lines)}:\n{err}"
    assert lines[0].startswith("care-sim: error: "), f"expected 'care-sim: error: ...', got {lines[0]!r}"
    assert "Traceback" not in err, f"expected no traceback on stderr, got:\n{err}"
    return lines[0]


# --- run ----------------------------------------------------------------------------------------


def test_run_prints_every_summary_key_with_its_unit(capsys):
    code = cli.main(["run", "--years", "1"])
    out = capsys.readouterr().out
    assert code == 0, f"expected exit code 0 from `run --years 1`, got {code}"
    for key, (unit, _) in SUMMARY_KEYS.items():
        line = next((ln for ln in out.splitlines() if ln.split()[:1] == [key]), None)
        assert line is not None, f"expected a row for summary key {key!r} in:\n{out}"
        assert line.rstrip().endswith(unit), f"expected the row of {key!r} to end with its unit {unit!r}: {line!r}"


def test_run_json_gives_the_summary_and_accepts_underscore_flags(capsys):
    code = cli.main(["run", "--years", "1", "--json", "--hourly_price_eur", "65", "--funding", "lump_sum"])
    out = capsys.readouterr().out
    assert code == 0, f"expected exit code 0 from `run --json`, got {code}"
    summary = json.loads(out)
    assert list(summary) == list(SUMMARY_KEYS), (
        f"expected the JSON keys to be SUMMARY_KEYS in order, got {list(summary)}"
    )


# --- compare ------------------------------------------------------------------------------------


def test_compare_writes_a_results_folder_with_provenance_stats_and_figure(tmp_path, capsys):
    out_dir = tmp_path / "x"
    code = cli.main(["compare", "--years", "1", "--replicates", "2", "--workers", "2", "--out", str(out_dir)])
    out = capsys.readouterr().out
    assert code == 0, f"expected exit code 0 from compare, got {code}"

    runs = load_results(out_dir)
    assert len(runs) == len(FUNDING_MODELS) * 2, f"expected 6 models x 2 replicates = 12 rows, got {len(runs)}"
    counts = runs["funding"].value_counts().to_dict()
    assert counts == dict.fromkeys(FUNDING_MODELS, 2), f"expected 2 runs per funding model, got {counts}"
    missing = set(SUMMARY_KEYS) - set(runs.columns)
    assert not missing, f"expected every summary metric as a column, missing {missing}"
    per_replicate = runs.groupby("replicate")["seed"].nunique()
    assert (per_replicate == 1).all(), "expected every funding model to use the same seed for a replicate"
    whole = pd.read_parquet(out_dir / "runs.parquet")
    assert whole["run_id"].tolist() == runs["run_id"].tolist(), "expected runs.parquet to hold every run in order"

    manifest = json.loads((out_dir / "manifest.json").read_text())
    for key in ("git_commit", "version", "scenario", "scenario_name", "seeds", "design", "executor", "started_utc"):
        assert key in manifest, f"expected {key!r} in the manifest, got keys {sorted(manifest)}"
    assert manifest["complete"] is True and manifest["finished_utc"], "expected a complete manifest with an end time"
    assert manifest["version"] == sim.__version__, f"expected version {sim.__version__}, got {manifest['version']}"
    assert manifest["scenario"]["years"] == 1, f"expected the full scenario with years=1, got {manifest['scenario']}"
    assert set(manifest["scenario"]) == {p.name for p in PARAMS}, "expected every parameter in the stored scenario"
    assert sorted(manifest["seeds"]) == sorted(runs["seed"].unique().tolist()), "expected the seeds of the table"
    assert manifest["command"][:2] == ["care-sim", "compare"], f"expected the command line, got {manifest['command']}"
    assert read_provenance(out_dir / "runs.parquet")["git_commit"] == manifest["git_commit"], (
        "expected the table's Parquet metadata to carry the provenance"
    )

    stats = pd.read_csv(out_dir / "compare.csv")
    ffs = stats[(stats["metric"] == "unmet_need_share") & (stats["funding"] == "fee_for_service")]
    assert len(ffs) == 1 and ffs["diff_median"].isna().all(), "expected fee_for_service as the reference (no diff)"
    other = stats[(stats["metric"] == "unmet_need_share") & (stats["funding"] == "lump_sum")]
    assert other["p_better"].between(0, 1).all(), f"expected P(better) in [0, 1], got {other['p_better'].tolist()}"
    assert "total_cost_eur" in set(stats["metric"]), "expected total cost (care + admin) among the statistics"

    png = out_dir / "compare.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", "expected compare.png to be a PNG file"
    for part in (str(out_dir), "P(better)", "paired diff vs fee_for_service", "lower is better"):
        assert part in out, f"expected {part!r} in the output of compare, got:\n{out}"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x"], "expected no temporary folder left beside the output"
    left = [p for p in out_dir.rglob("*") if p.name.endswith(".tmp")]
    assert not left, f"expected no temporary file left in the folder, got {left}"


def test_compare_runs_chosen_models_and_defaults_to_a_new_folder(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code = cli.main(["compare", "--years", "1", "--replicates", "1", "--funding", "fee_for_service,lump_sum"])
    capsys.readouterr()
    assert code == 0, f"expected exit code 0 from compare without --out, got {code}"
    folders = list((tmp_path / "results").iterdir())
    assert len(folders) == 1, f"expected exactly one folder under results/, got {folders}"
    assert folders[0].name.startswith("compare-"), f"expected a compare-<date>-<time> folder, got {folders[0].name}"
    files = sorted(p.name for p in folders[0].iterdir())
    expected = ["compare.csv", "compare.png", "manifest.json", "runs", "runs.parquet"]
    assert files == expected, f"expected the results folder's files, got {files}"
    assert sorted(load_results(folders[0])["funding"]) == ["fee_for_service", "lump_sum"], "expected the two models"


def test_compare_refuses_a_folder_with_results_before_running(tmp_path, capsys, monkeypatch):
    out_dir = tmp_path / "done"
    out_dir.mkdir()
    (out_dir / "runs.parquet").write_text("earlier results")
    monkeypatch.setattr(engine, "_execute", lambda *a, **k: pytest.fail("runs started although --out was taken"))
    code = cli.main(["compare", "--years", "1", "--out", str(out_dir)])
    line = _one_line_error(capsys.readouterr().err)
    assert code == 2, f"expected exit code 2 for an --out folder with content, got {code}"
    assert "not an empty folder" in line, f"expected the error to say the folder is not empty, got {line!r}"
    assert (out_dir / "runs.parquet").read_text() == "earlier results", "expected earlier results untouched"


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--funding", "lumpsum"], "did you mean 'lump_sum'?"),
        (["--metrics", "unmet_share"], "did you mean unmet_need_share?"),
        (["--resume", "nowhere", "--replicates", "3"], "drop --replicates"),
        (["--resume", "nowhere"], "not a folder"),
        (["--scheduler", "tcp://127.0.0.1:1"], "no Dask scheduler"),
    ],
)
def test_bad_compare_input_exits_2_in_one_line(capsys, monkeypatch, args, expected):
    monkeypatch.setattr(engine, "_execute", lambda *a, **k: pytest.fail("runs started despite bad input"))
    code = cli.main(["compare", "--years", "1", *args] if "--resume" not in args else ["compare", *args])
    line = _one_line_error(capsys.readouterr().err)
    assert code == 2, f"expected exit code 2 for {args}, got {code}"
    assert expected in line, f"expected {expected!r} in the error for {args}, got {line!r}"


# --- errors -------------------------------------------------------------------------------------


def test_unknown_flag_suggests_the_nearest(capsys):
    code = cli.main(["run", "--populaton", "5"])
    line = _one_line_error(capsys.readouterr().err)
    assert code == 2, f"expected exit code 2 for an unknown flag, got {code}"
    assert "did you mean --population?" in line, f"expected a 'did you mean --population?' hint, got {line!r}"


@pytest.mark.parametrize("flag", ["--provider-altruism", "--provider_altruism"])
def test_out_of_range_value_names_key_value_and_range(capsys, flag):
    code = cli.main(["run", flag, "1.7"])
    line = _one_line_error(capsys.readouterr().err)
    assert code == 2, f"expected exit code 2 for an out-of-range value, got {code}"
    for part in ("provider_altruism", "1.7", "[0, 1]"):
        assert part in line, f"expected {part!r} (key, value, allowed range) in the error, got {line!r}"


def test_unknown_scenario_exits_2(capsys):
    code = cli.main(["run", "--scenario", "no_such_town"])
    line = _one_line_error(capsys.readouterr().err)
    assert code == 2, f"expected exit code 2 for an unknown scenario, got {code}"
    assert "no_such_town" in line, f"expected the unknown scenario's name in the error, got {line!r}"


def test_bad_choice_and_unknown_command_exit_2(capsys):
    assert cli.main(["run", "--funding", "lumpsum"]) == 2, "expected exit code 2 for an unknown funding model"
    line = _one_line_error(capsys.readouterr().err)
    assert "lump_sum" in line, f"expected the error to suggest 'lump_sum', got {line!r}"
    assert cli.main(["rn"]) == 2, "expected exit code 2 for an unknown command"
    line = _one_line_error(capsys.readouterr().err)
    assert "did you mean run?" in line, f"expected a 'did you mean run?' hint, got {line!r}"


def test_ctrl_c_exits_130_with_one_line(capsys, monkeypatch):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(sys.modules["sim.run"], "run", interrupted)
    code = cli.main(["run", "--years", "1"])
    err = capsys.readouterr().err
    assert code == 130, f"expected exit code 130 on Ctrl-C, got {code}"
    assert err.strip() == "care-sim: interrupted", f"expected one line 'care-sim: interrupted', got {err!r}"


def test_console_script_reports_bad_value_in_one_line():
    env = {**os.environ, "MPLBACKEND": "Agg"}
    proc = subprocess.run(
        [sys.executable, "-m", "sim.cli", "run", "--provider-altruism", "1.7"],
        capture_output=True,
        text=True,
        cwd=REPO,
        env=env,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 2, f"expected exit code 2 from the script, got {proc.returncode}: {proc.stderr}"
    line = _one_line_error(proc.stderr)
    assert "provider_altruism" in line, f"expected the parameter name in the error, got {line!r}"
    assert proc.stdout == "", f"expected nothing on stdout, got {proc.stdout!r}"


# --- scenarios, show, help ----------------------------------------------------------------------


def test_show_default_lists_every_parameter(capsys):
    code = cli.main(["show", "default"])
    out = capsys.readouterr().out
    assert code == 0, f"expected exit code 0 from `show default`, got {code}"
    names = {ln.split()[0].rstrip("*") for ln in out.splitlines() if ln.strip()}
    missing = [p.name for p in PARAMS if p.name not in names]
    assert not missing, f"expected a row for every parameter, missing {missing}"
    assert "calibration.md" in out, "expected the sources of the parameters in `show` output"


def test_scenarios_lists_default(capsys):
    code = cli.main(["scenarios"])
    out = capsys.readouterr().out
    assert code == 0, f"expected exit code 0 from `scenarios`, got {code}"
    assert any(ln.startswith("default ") for ln in out.splitlines()), f"expected a row for 'default' in:\n{out}"


@pytest.mark.parametrize(
    "command", [[], ["run"], ["compare"], ["sweep"], ["scenarios"], ["show"], ["baseline"], ["calibrate"]]
)
def test_help_has_a_description_and_an_example(capsys, command):
    code = cli.main([*command, "--help"])
    out = capsys.readouterr().out
    assert code == 0, f"expected exit code 0 from {command} --help, got {code}"
    assert "example" in out, f"expected an example in the help of {command}:\n{out}"
    if command in (["compare"], ["sweep"], ["calibrate"]):
        for flag in ("--workers", "--scheduler", "--resume"):
            assert flag in out, f"expected the shared option {flag} in the help of {command}"
    if command in (["run"], ["compare"]):
        assert "--hourly-price-eur" in out, "expected the parameter flags in the help"
        assert "EUR/hour" in out, "expected the unit of hourly_price_eur in the help"


def test_version(capsys):
    code = cli.main(["--version"])
    out = capsys.readouterr().out
    assert code == 0, f"expected exit code 0 from --version, got {code}"
    assert sim.__version__ in out, f"expected version {sim.__version__} in {out!r}"


# --- io -----------------------------------------------------------------------------------------


def test_new_results_dir_never_reuses_a_folder(tmp_path):
    first = new_results_dir(tmp_path, label="t")
    second = new_results_dir(tmp_path, label="t")
    assert first != second, f"expected two distinct folders, got {first} twice"
    assert first.is_dir() and second.is_dir(), "expected both folders to exist"
    assert first.name.startswith("t-"), f"expected the label as prefix, got {first.name}"


def test_atomic_dir_leaves_nothing_on_error(tmp_path):
    final = tmp_path / "out"
    with pytest.raises(RuntimeError), atomic_dir(final) as tmp:
        (tmp / "half.txt").write_text("half")
        raise RuntimeError("boom")
    assert list(tmp_path.iterdir()) == [], "expected neither the folder nor its temporary sibling after an error"


def test_write_table_is_complete_and_clean(tmp_path):
    df = pd.DataFrame({"a": [1, 2], "b": ["x", "y"]})
    prov = {"note": "test"}
    path, side = write_table(df, tmp_path / "t.parquet", prov)
    assert pd.read_parquet(path).equals(df), "expected the table to round-trip through Parquet"
    assert json.loads(side.read_text()) == prov, "expected the sidecar to hold the provenance"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t.json", "t.parquet"], "expected no temporary files left"


def test_ctrl_c_during_compare_leaves_a_resumable_folder(tmp_path, capsys, monkeypatch):
    out_dir = tmp_path / "c"
    real, calls = engine.run_job, []

    def interrupted_second(job):
        calls.append(job.seed)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real(job)

    monkeypatch.setattr(engine, "run_job", interrupted_second)
    argv = ["compare", "--years", "1", "--replicates", "1", "--funding", "lump_sum,subsidy", "--workers", "1"]
    code = cli.main([*argv, "--out", str(out_dir), "--population", "3000"])
    err = capsys.readouterr().err.strip()
    assert code == 130, f"expected exit code 130 on Ctrl-C, got {code}"
    assert len(err.splitlines()) == 1 and f"care-sim compare --resume {out_dir}" in err, (
        f"expected one line saying how to resume, got {err!r}"
    )
    assert not json.loads((out_dir / "manifest.json").read_text())["complete"], "expected an incomplete manifest"
    monkeypatch.setattr(engine, "run_job", real)
    code = cli.main(["compare", "--resume", str(out_dir), "--workers", "1"])
    capsys.readouterr()
    assert code == 0, f"expected the resume to finish the folder, got exit {code}"
    manifest = json.loads((out_dir / "manifest.json").read_text())
    assert manifest["complete"] and (out_dir / "compare.png").exists(), "expected a complete folder with its figure"
    assert len(load_results(out_dir)) == 2, "expected both runs after the resume"
