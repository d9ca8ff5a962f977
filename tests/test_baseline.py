"""Baseline regression: the current code against tests/baseline.json.

A change in results must be a reviewed diff, not an accident. If the slow test fails and
the change is intended, review the listed differences and run ``care-sim baseline --update``.
"""

from __future__ import annotations

import json
import math

import pytest

from sim import baseline as bl
from sim import cli
from sim.metrics import SUMMARY_KEYS
from sim.params import FUNDING_MODELS


@pytest.mark.slow
def test_results_equal_the_stored_baseline():
    assert bl.BASELINE_PATH.exists(), f"expected a baseline file at {bl.BASELINE_PATH}; create it: {bl.UPDATE_COMMAND}"
    stored = bl.load_baseline()
    fresh = bl.compute_baseline(years=stored["years"], seed=stored["seed"])
    diffs = bl.compare_baselines(stored["results"], fresh)
    # A fixed seed on the same platform gives identical numbers; REL_TOL (1e-9) only absorbs
    # float formatting of the 10 stored significant digits.
    assert not diffs, (
        f"results differ from {bl.BASELINE_PATH.name} (preset / funding / metric: old, new):\n"
        + bl.diff_report(diffs, bl.count_metrics(stored["results"]), limit=50)
        + f"\nIf the change is intended, review it and run `{bl.UPDATE_COMMAND}`."
    )


def test_stored_baseline_covers_every_preset_funding_model_and_metric():
    import sim

    stored = bl.load_baseline()
    assert list(stored["results"]) == sim.list_scenarios(), (
        f"expected every shipped preset in the baseline, got {list(stored['results'])}; run `{bl.UPDATE_COMMAND}`"
    )
    for preset, by_funding in stored["results"].items():
        assert list(by_funding) == list(FUNDING_MODELS), (
            f"expected every funding model for {preset}, got {list(by_funding)}; run `{bl.UPDATE_COMMAND}`"
        )
        for funding, metrics in by_funding.items():
            assert list(metrics) == list(SUMMARY_KEYS), (
                f"expected every summary metric for {preset}/{funding}; run `{bl.UPDATE_COMMAND}`"
            )
    for key in ("version", "git_commit", "seed", "years", "created_utc"):
        assert key in stored, f"expected {key!r} in the baseline provenance, got {sorted(stored)}"


# --- the comparison and the command, on small made-up results (fast) -----------------------------


def _results(value: float = 1.0) -> dict:
    return {"default": {"fee_for_service": {"spend_eur": 1000.0, "mean_wait_weeks": value, "bankruptcies": 0.0}}}


def test_round_value_keeps_ten_digits_and_names_non_finite():
    assert bl.round_value(1 / 3) == 0.3333333333, f"expected 10 significant digits, got {bl.round_value(1 / 3)}"
    assert bl.round_value(123456789012.0) == 123456789000.0, "expected 10 significant digits for large numbers"
    assert bl.round_value(float("nan")) == "nan", "expected NaN stored as the string 'nan'"


def test_compare_names_preset_funding_metric_old_and_new():
    diffs = bl.compare_baselines(_results(8.0), _results(8.5))
    assert len(diffs) == 1, f"expected one difference, got {diffs}"
    text = diffs[0].describe()
    for part in ("default", "fee_for_service", "mean_wait_weeks", "8.0", "8.5", "+6.25"):
        assert part in text, f"expected {part!r} in the description, got {text!r}"
    assert not bl.compare_baselines(_results(8.0), _results(8.0 * (1 + 1e-12))), "expected a 1e-12 change tolerated"
    assert not bl.compare_baselines(_results(math.nan), _results(math.nan)), "expected NaN equal to NaN"
    new_metric = {"default": {"fee_for_service": {**_results()["default"]["fee_for_service"], "extra": 1.0}}}
    gone = bl.compare_baselines(new_metric, _results())
    assert [d.metric for d in gone] == ["extra"] and gone[0].new is None, f"expected a metric gone, got {gone}"


def test_check_exits_1_with_the_differences_and_update_rewrites(tmp_path, capsys, monkeypatch):
    path = tmp_path / "baseline.json"
    bl.write_baseline(_results(8.0), years=3, seed=1, path=path)
    monkeypatch.setattr(bl, "compute_baseline", lambda years, seed, **k: _results(9.0))

    code = cli.main(["baseline", "--file", str(path)])
    captured = capsys.readouterr()
    assert code == 1, f"expected exit code 1 when the results differ, got {code}"
    assert "default / fee_for_service / mean_wait_weeks: old 8.0, new 9.0" in captured.out, (
        f"expected the difference listed with old and new values:\n{captured.out}"
    )
    assert bl.UPDATE_COMMAND in captured.err, f"expected the update command in the error:\n{captured.err}"

    code = cli.main(["baseline", "--file", str(path), "--update"])
    out = capsys.readouterr().out
    assert code == 0, f"expected exit code 0 from --update, got {code}"
    assert "1 of 3 values differ" in out, f"expected a diff summary on update:\n{out}"
    doc = json.loads(path.read_text())
    assert doc["results"] == _results(9.0), f"expected the file rewritten with the new results, got {doc['results']}"
    assert (doc["years"], doc["seed"]) == (3, 1), "expected --update to keep the file's years and seed"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["baseline.json"], "expected no temporary file left"

    code = cli.main(["baseline", "--file", str(path)])
    out = capsys.readouterr().out
    assert code == 0, f"expected exit code 0 once the file matches, got {code}"
    assert "baseline OK" in out, f"expected 'baseline OK', got:\n{out}"


def test_check_without_a_file_or_with_update_flags_exits_2(tmp_path, capsys):
    code = cli.main(["baseline", "--file", str(tmp_path / "none.json")])
    err = capsys.readouterr().err
    assert code == 2, f"expected exit code 2 without a baseline file, got {code}"
    assert bl.UPDATE_COMMAND in err, f"expected the error to say how to create the file, got {err!r}"
    code = cli.main(["baseline", "--years", "2"])
    err = capsys.readouterr().err
    assert code == 2, f"expected exit code 2 for --years without --update, got {code}"
    assert "--update" in err, f"expected the error to name --update, got {err!r}"
