"""mesa.batch_run as a client, the compare statistics and the compare figure."""

from __future__ import annotations

import math

import mesa
import numpy as np
import pandas as pd
import pytest

import sim
from sim import metric_info
from sim.batch import SUMMARY_COLUMNS
from sim.comparison import compare_stats
from sim.metric_info import METRICS
from sim.metrics import SUMMARY_KEYS
from sim.model import WEEKLY


def test_summary_reporters_hold_the_run_summary_at_the_final_week_only():
    assert not set(SUMMARY_COLUMNS) & set(WEEKLY), "expected no clash between summary and weekly reporter names"
    rows = pd.DataFrame(
        mesa.batch_run(
            sim.CareModel,
            parameters={"funding": ["lump_sum"], "years": [1], "population": [3000]},
            rng=[4],
            max_steps=52,
            number_processes=1,
            display_progress=False,
            data_collection_period=1,
        )
    )
    final = rows[rows["Step"] == rows["Step"].max()]
    assert len(final) == 1, f"expected one final-week row, got {len(final)}"
    clean = sim.run("default", rng=4, funding="lump_sum", years=1, population=3000).summary
    got = {k: final[f"summary_{k}"].iloc[0] for k in SUMMARY_KEYS}
    assert got == clean, "expected the final week's summary_<key> to equal sim.run's summary on the same seed"
    earlier = rows[rows["Step"] < rows["Step"].max()]
    assert earlier[list(SUMMARY_COLUMNS)].isna().all().all(), "expected summary columns NaN before the final week"


def test_a_run_cut_short_by_max_steps_has_no_summary_and_sim_batch_run_refuses_it():
    rows = mesa.batch_run(
        sim.CareModel, parameters={"years": [1], "population": [3000]}, rng=[1], max_steps=30, display_progress=False
    )
    assert math.isnan(rows[-1]["summary_unmet_need_share"]), "expected no summary for a run stopped at week 30"
    with pytest.raises(ValueError, match=r"max_steps = 30 would cut short a run of 104 weeks"):
        sim.batch_run(parameters={"years": [1, 2], "population": [3000]}, rng=[1], max_steps=30)
    with pytest.raises(sim.ScenarioError, match="did you mean 'population'"):
        sim.batch_run(parameters={"populaton": [3000]}, rng=[1])
    rows = sim.batch_run(parameters={"years": [1], "population": [3000]}, rng=[1])
    assert not math.isnan(rows[-1]["summary_unmet_need_share"]), "expected sim.batch_run to run every week"


def test_every_metric_has_a_plain_label_and_a_direction_word():
    for key in SUMMARY_KEYS:
        info = METRICS[key]
        assert key in metric_info._PLAIN, f"expected a plain label and direction for {key} in sim/metric_info.py"
        assert info.better in ("lower", "higher", None), f"unexpected direction {info.better!r} for {key}"
    assert METRICS["unmet_need_share"].better == "lower", "expected less unmet need to be better"
    assert METRICS["total_cost_eur"].unit == "EUR/yr", "expected total cost among the metrics, in EUR/yr"


def _fake_runs() -> pd.DataFrame:
    rows = []
    for i, model in enumerate(["fee_for_service", "lump_sum"]):
        for r in range(4):
            row = dict.fromkeys(SUMMARY_KEYS, 1.0)
            row.update(funding=model, replicate=r, unmet_need_share=0.2 - 0.05 * i + 0.01 * r, spend_eur=1e6 + r)
            row.update(admin_eur=1e5, budget_eur=1.2e6, total_cost_eur=1.1e6 + r)
            rows.append(row)
    return pd.DataFrame(rows)


def test_paired_differences_and_p_better_follow_the_direction():
    stats = compare_stats(_fake_runs())
    row = stats[(stats.metric == "unmet_need_share") & (stats.funding == "lump_sum")].iloc[0]
    assert np.isclose(row.diff_median, -0.05), f"expected a paired difference of -0.05, got {row.diff_median}"
    assert row.p_better == 1.0, f"expected lump sum better on every seed (lower unmet need), got {row.p_better}"
    tie = stats[(stats.metric == "bankruptcies") & (stats.funding == "lump_sum")].iloc[0]
    assert tie.p_better == 0.5, f"expected ties to count half, got {tie.p_better}"
    none = stats[(stats.metric == "group_share") & (stats.funding == "lump_sum")].iloc[0]
    assert math.isnan(none.p_better), "expected no P(better) for a metric without a better direction"
    total = stats[(stats.metric == "total_cost_eur") & (stats.funding == "fee_for_service")].iloc[0]
    assert np.isclose(total["median"], 1.1e6 + 1.5), f"expected the median total cost, got {total['median']}"


def _overlaps(labels) -> bool:
    boxes = [t.get_window_extent() for t in labels if t.get_text()]
    return any(a.overlaps(b) for i, a in enumerate(boxes) for b in boxes[i + 1 :])


def test_the_compare_figure_reads_on_a_projector():
    from sim.plotting import DEFAULT_COMPARE_METRICS, compare_figure

    fig = compare_figure(_fake_runs(), "test")
    fig.canvas.draw()
    axes = fig.axes
    assert len(axes) == len(DEFAULT_COMPARE_METRICS), f"expected a panel per metric, got {len(axes)}"
    by_metric = dict(zip(DEFAULT_COMPARE_METRICS, axes, strict=True))
    for metric, ax in by_metric.items():
        assert not _overlaps(ax.get_xticklabels()), f"expected no overlapping x tick labels on {metric}"
        assert not _overlaps(ax.get_yticklabels()), f"expected no overlapping model names on {metric}"
        assert ax.get_xlabel(), f"expected an axis label with a unit on {metric}"
        assert ax.get_xlim()[0] <= 0, f"expected the {metric} axis to start at zero, got {ax.get_xlim()}"
        assert min(t.get_fontsize() for t in ax.get_xticklabels()) >= 10, f"expected ticks of 10 pt or more: {metric}"
    assert by_metric["unmet_need_share"].get_xlabel() == "%", "expected shares shown in %"
    assert "million EUR" in by_metric["spend_eur"].get_xlabel(), "expected money in plain units"
    for metric in ("spend_eur", "total_cost_eur"):
        gids = [a.get_gid() for a in by_metric[metric].get_children()]
        assert "budget" in gids, f"expected the budget as a line on the {metric} panel"
    assert "care, admin" in by_metric["total_cost_eur"].get_title(), "expected total cost (care + admin) shown"
