"""The workshop dashboard (``sim/app.py``, ``care-sim app``).

Without a browser: the client statuses against the public weekly reporters, inputs from
the parameter table, the side-by-side runs on one seed, the node positions, the plots
(labels, legends, no overlapping text) and the command line's one-line errors.

With a browser: ``test_dashboard_in_headless_chromium`` starts the app as a subprocess,
drives it in Debian's headless Chromium through Playwright (``scripts/browser``
installs the browser; nothing is downloaded) and saves a screenshot in its ``tmp_path``.
"""

from __future__ import annotations

import contextlib
import itertools
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from matplotlib.text import Text

import sim
from sim import app
from sim.params import PARAM_BY_NAME

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "experiments"))

import dashboard  # noqa: E402  (experiments/dashboard.py: the browser helpers)

WEEKS = 60  # past the first year end, where contracts are re-tendered and clients handed over


def _run(weeks: int = WEEKS, **kwargs) -> app.DashboardModel:
    dm = app.DashboardModel(**kwargs)
    for _ in range(weeks):
        dm.step()
    return dm


# --- the adapter ---------------------------------------------------------------------------


@pytest.mark.parametrize("funding", ["fee_for_service", "lump_sum", "subsidy"])
def test_client_status_agrees_with_the_weekly_reporters(funding):
    dm = app.DashboardModel(overrides={"funding": funding})
    m = dm.runs[0]
    n_res = m.layout.n_residents
    for week in range(1, WEEKS + 1):
        dm.step()
        status = app.client_status(m)
        row = m.datacollector.get_model_vars_dataframe().iloc[-1]
        n = np.bincount(status, minlength=len(app.STATUSES))
        where = f"{funding}, week {week}"
        assert status.shape == (m.layout.n_nodes,), f"{where}: one status per network node"
        assert np.all(status[n_res:] == app.NO_NEED), f"{where}: carers and volunteers are not clients"
        assert n[app.SERVED] + n[app.UNDERSERVED] == row["clients_in_care"], f"{where}: served + underserved != in care"
        assert n[app.UNREACHED] + n[app.HIDDEN] == row["hidden"], f"{where}: unreached + hidden != hidden reporter"
        assert n[app.WAITING] >= row["waiting"], f"{where}: fewer waiting ({n[app.WAITING]}) than the reporter"
        assert n[list(app.CLIENT_STATUSES)].sum() == row["clients_with_need"], f"{where}: clients != residents in need"
        assert np.array_equal(n, dm.counts[0][-1]), f"{where}: the model's counts are not this week's statuses"


def test_unreached_needs_non_askers_and_hidden_needs_a_handover_loss():
    # Each status appears in the default town and vanishes when its cause is removed.
    # every contract changes hands at the first year end (tender_churn 1), so handovers are
    # certain rather than left to the seed's draw of which providers lose their tender
    ls = {"funding": "lump_sum", "tender_churn": 1.0}
    base = _run(overrides=ls)
    counts = np.array(base.counts[0])
    assert counts[:, app.UNREACHED].max() > 0, "the default town has needy non-askers no one has found"
    assert counts[:, app.HIDDEN].max() > 0, "a lump-sum town re-tenders at year end and loses clients at handovers"
    assert counts[:, app.UNDERSERVED].max() > 0, "some clients in care are underserved"
    no_non_askers = np.array(_run(overrides={"funding": "lump_sum", "non_asker_share": 0.0}).counts[0])
    assert no_non_askers[:, app.UNREACHED].max() == 0, "without non-askers nobody can be unreached"
    case_owner = np.array(_run(overrides={**ls, "case_owner": True}).counts[0])
    assert case_owner[:, app.HIDDEN].max() == 0, "with a case owner no client is lost at a handover"


# --- inputs from the parameter table -------------------------------------------------------


@pytest.mark.parametrize(("lo", "hi", "step"), [(52, 66, 0.5), (0.0, 0.04, 0.002), (0.3, 0.9, 0.02), (3, 8, 0.2)])
def test_slider_step_is_a_round_number_with_enough_stops(lo, hi, step):
    got = app.slider_step(lo, hi)
    assert got == pytest.approx(step), f"step of [{lo}, {hi}]: {got}, expected {step}"
    assert (hi - lo) / got >= 20 - 1e-9, f"[{lo}, {hi}] in steps of {got} has fewer than 20 stops"


def test_inputs_come_from_the_parameter_table():
    sc = sim.load_scenario("default")
    inputs = app.parameter_inputs(sc)
    assert list(inputs) == list(app.DASHBOARD_PARAMS), "one input per dashboard parameter, in order"
    kinds = set()
    for name, opts in inputs.items():
        p = PARAM_BY_NAME[name]
        assert p.analysed, f"{name} is not analysed in the table, so it cannot be an input"
        assert opts["value"] == sc[name], f"{name}: the input starts at the scenario's value"
        assert opts["help"] == p.meaning, f"{name}: the help text is the table's meaning"
        assert p.unit in opts["label"] and name in opts["label"], f"{name}: the label names it with its unit"
        kinds.add(opts["type"])
        if p.choices:
            assert opts["type"] == "Select" and opts["values"] == list(p.choices), f"{name}: a choice is a select"
        elif p.kind is bool:
            assert opts["type"] == "Checkbox", f"{name}: a switch is a checkbox"
        else:
            assert (opts["min"], opts["max"]) == tuple(p.analysis), f"{name}: the slider spans the analysis range"
            want = p.step if p.kind is int else app.slider_step(*p.analysis)
            assert opts["step"] == want, f"{name}: step {opts['step']}, expected {want}"
    assert kinds == {"Select", "Checkbox", "SliderFloat"}, f"the default inputs use every kind of widget: {kinds}"


def test_a_scenario_value_outside_the_analysis_range_widens_its_slider():
    p = PARAM_BY_NAME["hourly_price_eur"]
    outside = p.analysis[1] + 10.0
    opts = app.parameter_inputs(sim.load_scenario("default", hourly_price_eur=outside), ["hourly_price_eur"])
    assert opts["hourly_price_eur"]["max"] == outside, "the slider reaches the scenario's value"
    assert opts["hourly_price_eur"]["min"] == p.analysis[0], "the other end stays the analysis range's"
    ints = app.parameter_inputs(sim.load_scenario("default"), ["ties_per_resident"])["ties_per_resident"]
    assert ints["type"] == "SliderInt" and ints["step"] == 2, "a whole number steps by the table's step (even ties)"


def test_inputs_reach_the_model_and_bad_values_are_refused():
    dm = app.DashboardModel(overrides={"hourly_price_eur": 66.0, "outreach": True}, replicate=3)
    assert dm.runs[0].params.hourly_price_eur == 66.0, "an override reaches the CareModel"
    assert dm.runs[0].params.outreach is True, "a switch reaches the CareModel"
    assert dm.seed == sim.replicate_seeds(sim.BASE_SEED, app.REPLICATES)[2], "replicate 3 runs on the third seed"
    bad = [
        {"overrides": {"hourly_price_eur": -1.0}},
        {"overrides": {"hourly_prise_eur": 60.0}},
        {"replicate": 0},
        {"compare_with": "lumpsum"},
        {"town": "defualt"},
    ]
    for kwargs in bad:
        with pytest.raises(sim.ScenarioError):
            app.DashboardModel(**kwargs)


# --- the side-by-side mode -----------------------------------------------------------------


def test_side_by_side_runs_two_funding_models_on_the_same_seed():
    weeks = 40
    dm = _run(weeks, compare_with="lump_sum")
    assert dm.labels == ["fee_for_service", "lump_sum"], (
        f"first the scenario's funding model, then the other: {dm.labels}"
    )
    a, b = dm.runs
    assert np.array_equal(a.layout.district, b.layout.district), "both runs live in the same town"
    assert (a.layout.adjacency != b.layout.adjacency).nnz == 0, "both runs have the same social ties"
    for funding, m in zip(dm.labels, dm.runs, strict=True):
        solo = sim.CareModel("default", rng=dm.seed, funding=funding)
        for _ in range(weeks):
            solo.step()
        pd.testing.assert_frame_equal(
            m.datacollector.get_model_vars_dataframe(), solo.datacollector.get_model_vars_dataframe(), obj=funding
        )
    diff = (
        a.datacollector.get_model_vars_dataframe()["formal_hours"]
        - b.datacollector.get_model_vars_dataframe()["formal_hours"]
    )
    assert (diff.abs() > 1.0).mean() > 0.5, "the two funding models give different care: the difference is not empty"


def test_a_retired_model_stops_at_once():
    dm = _run(3)
    dm.retire()
    dm.step()
    assert dm.week == 3 and not dm.running, "a retired model does not step (a play loop on it stops)"
    short = _run(60, overrides={"years": 1})
    assert short.week == 52 and not short.running, "the run ends after its years"


# --- drawing -------------------------------------------------------------------------------


def test_node_positions_are_fixed_by_the_seed_and_show_districts():
    dm = app.DashboardModel()
    lay = dm.runs[0].layout
    pos = dm.positions
    assert pos.shape == (lay.n_nodes, 2) and np.isfinite(pos).all(), "a finite position for every node"
    again = app.node_positions(lay, 2, dm.runs[0].params.neighbourhoods_per_district, dm.seed)
    assert np.array_equal(pos, again), "the same seed gives the same drawing"
    other = app.node_positions(lay, 2, dm.runs[0].params.neighbourhoods_per_district, dm.seed + 1)
    assert not np.allclose(pos, other), "another seed jitters the people differently"
    gap = np.linalg.norm(pos[lay.carer_nodes] - pos[lay.carer_of], axis=1)
    assert gap.max() < 0.1, f"a carer is drawn next to the one cared for (max distance {gap.max():.2f})"
    d = np.asarray(lay.district)
    centres = np.array([pos[d == k].mean(axis=0) for k in range(2)])
    spread = max(np.linalg.norm(pos[d == k] - centres[k], axis=1).max() for k in range(2))
    assert np.linalg.norm(centres[0] - centres[1]) > 2 * spread, "the two districts do not overlap"


def _drawn_texts(fig, monkeypatch) -> list[tuple[str, object]]:
    """Every text matplotlib draws for ``fig`` (ticks in view, titles, labels, legend) with its box."""
    drawn = []
    draw = Text.draw

    def record(self, renderer):
        draw(self, renderer)
        if self.get_visible() and self.get_text().strip():
            drawn.append((self.get_text(), self.get_window_extent(renderer)))

    with monkeypatch.context() as mp:
        mp.setattr(Text, "draw", record)
        fig.canvas.draw()
    return drawn


def _text_problems(fig, monkeypatch) -> list[str]:
    """Drawn texts of ``fig`` that overlap each other or are cut off by its edges."""
    boxes = _drawn_texts(fig, monkeypatch)
    edge = fig.bbox
    problems = [
        f"{s!r} is cut off"
        for s, b in boxes
        if b.x0 < edge.x0 - 1 or b.x1 > edge.x1 + 1 or b.y0 < edge.y0 - 1 or b.y1 > edge.y1 + 1
    ]
    for (s, a), (u, b) in itertools.combinations(boxes, 2):
        both = type(a).intersection(a, b)
        if both is not None and both.width > 1 and both.height > 1:
            problems.append(f"{s!r} overlaps {u!r}")
    return problems


@pytest.mark.parametrize(
    ("town", "weeks", "compare_with"),
    [("default", 0, app.NO_COMPARISON), ("default", 130, "lump_sum"), ("alphen", 60, app.NO_COMPARISON)],
)
def test_every_plot_is_labelled_and_no_text_overlaps(town, weeks, compare_with, monkeypatch):
    dm = _run(weeks, town=town, compare_with=compare_with)
    plots = app.plots(dm)
    expected = {"network", "care", "underservice", "money"} | ({"difference"} if dm.comparing else set())
    assert set(plots) == expected, f"plots: {sorted(plots)}"
    for name, plot in plots.items():
        png = plot.png()
        assert png.startswith(b"\x89PNG"), f"{name}: a PNG image"
        fig = plot.fig
        where = f"{town}, week {weeks}, {name}"
        assert fig.get_suptitle(), f"{where}: a title"
        assert fig.legends and fig.legends[0].get_texts(), f"{where}: a legend"
        problems = _text_problems(fig, monkeypatch)
        assert not problems, f"{where}: {problems[:5]}"
        if name == "network":
            continue
        for ax in plot.axes:
            assert ax.get_title(loc="left"), f"{where}: every panel has a title"
            assert ax.get_ylabel(), f"{where}: every panel's y axis is labelled with its unit"
        assert plot.axes[-1].get_xlabel() == app.TIME_LABEL, f"{where}: the time axis is labelled in years"
        legend = [t.get_text() for t in fig.legends[0].get_texts()]
        for label in dm.labels if dm.comparing else []:
            assert any(label in text for text in legend), f"{where}: the legend names {label}"
        sizes = {len(entry[1].get_xdata()) for entry in plot.lines}
        assert sizes == {weeks}, f"{where}: every line has a value for each of the {weeks} weeks run: {sizes}"


def test_the_network_view_colours_clients_by_status():
    dm = _run(20)
    plot = app.plots(dm)["network"]
    plot.png()
    colours = plot.dots[0].get_facecolors()
    order = np.argsort(dm.status[0], kind="stable")
    want = plot.colours[dm.status[0][order]]
    assert np.allclose(colours, want), "each node has the colour of its status"
    legend = [t.get_text() for t in plot.legend.get_texts()]
    for code, (name, _, meaning) in enumerate(app.STATUSES):
        assert legend[code].startswith(name) and meaning in legend[code], f"the legend explains {name}"
    served = int(dm.counts[0][-1][app.SERVED])
    assert f"served ({served})" in legend[app.SERVED], "the legend counts the served clients"


# --- the command line ----------------------------------------------------------------------


def _one_line(err: str) -> str:
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, f"one line on stderr, got {lines}"
    assert lines[0].startswith("care-sim app: error: "), f"prefixed with the command: {lines[0]}"
    return lines[0]


def test_help_runs_and_the_default_host_is_this_machine():
    out = subprocess.run([sys.executable, "-m", "sim.app", "--help"], capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0, f"python -m sim.app --help failed: {out.stderr}"
    for flag in ("--host", "--port", "--scenario", "127.0.0.1"):
        assert flag in out.stdout, f"--help mentions {flag}"
    args = app.build_parser().parse_args([])
    assert args.host == "127.0.0.1", "the dashboard listens on this machine only unless --host says otherwise"


def test_bad_input_gets_one_line_and_exit_code_2(capsys):
    with contextlib.closing(socket.socket()) as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        cases = [
            (["--scenario", "defualt"], "did you mean 'default'"),
            (["--port", str(port)], f"port {port} on 127.0.0.1 is in use"),
            (["--host", "no-such-host.invalid"], "is not a host name or address"),
            (["--host", "192.0.2.1"], "is not an address of this machine"),
            (["--port", "70000"], "out of range"),
            (["--port", "eighty"], "invalid int value"),
            (["--bogus"], "unrecognized arguments: --bogus"),
        ]
        for argv, text in cases:
            assert app.main(argv) == 2, f"{argv}: exit code 2"
            line = _one_line(capsys.readouterr().err)
            assert text in line, f"{argv}: {line!r} should say {text!r}"


def test_care_sim_app_needs_only_its_module_listed(capsys, monkeypatch):
    from sim import cli

    monkeypatch.setattr(cli, "COMMAND_MODULES", [*cli.COMMAND_MODULES, "sim.app"])
    assert cli.main(["app", "--help"]) == 0, "care-sim app --help"
    assert "--host" in capsys.readouterr().out, "care-sim app --help lists --host"
    assert cli.main(["app", "--scenario", "defualt"]) == 2, "care-sim app: exit code 2 for bad input"
    err = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert len(err) == 1 and "did you mean 'default'" in err[0], f"one line with a hint: {err}"
    with contextlib.closing(socket.socket()) as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        assert cli.main(["app", "--port", str(busy.getsockname()[1])]) == 2, "a port in use is bad input"
    err = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert len(err) == 1 and err[0].startswith("care-sim: error: port"), f"one line: {err}"


def test_a_missing_app_extra_is_one_line(capsys, monkeypatch):
    monkeypatch.setattr(app, "_missing_extra", lambda: ["solara"])
    assert app.main([]) == 2, "exit code 2 without the extra"
    assert "scripts/setup app" in _one_line(capsys.readouterr().err), "the error says how to install the extra"


# --- in the browser ------------------------------------------------------------------------


def test_dashboard_in_headless_chromium(tmp_path):
    """Start ``python -m sim.app``, step it, change a slider, step again, switch on the
    side-by-side mode: every time the plots and the network view must change. Offline:
    no request leaves 127.0.0.1, and the server fetches nothing from a CDN."""
    playwright = pytest.importorskip("playwright.sync_api", reason="the test extra installs playwright")
    assert dashboard.CHROMIUM.exists(), f"{dashboard.CHROMIUM} is missing: run scripts/browser (scripts/test does)"
    log = tmp_path / "app.log"
    external: list[str] = []
    t0 = time.monotonic()
    with (
        dashboard.running_app(log=log) as url,
        playwright.sync_playwright() as pw,
        dashboard.open_browser(pw, external) as page,
    ):
        d = dashboard.Dashboard(page)
        d.open(url)
        assert d.week() == 0, "the dashboard opens at week 0"
        before = d.sources()
        assert set(before) == set(d.FIGURES), f"the page shows the network and three plots: {sorted(before)}"

        d.click("Step")
        d.wait_for_week(4)
        stepped = d.wait_for_change(before)  # fails (times out) if any figure stays the same

        price = PARAM_BY_NAME["hourly_price_eur"]
        step = app.slider_step(*price.analysis)
        assert d.slider_label("hourly_price_eur").endswith(f": {price.default:g}"), "the slider shows its value"
        d.nudge_slider("hourly_price_eur")
        moved = f"hourly_price_eur (EUR/hour): {price.default + step:g}"
        page.wait_for_function(
            "t => Array.from(document.querySelectorAll('.care-sim-label')).some(e => e.textContent === t)",
            arg=moved,
            timeout=60_000,
        )
        d.wait_for_week(0)  # a changed input resets the run
        reset = d.wait_for_change(stepped)

        d.click("Step")
        d.wait_for_week(4)
        d.wait_for_change(reset)
        page.screenshot(path=str(tmp_path / "dashboard.png"))
        d.click("Reset")  # Mesa's reset keeps the inputs
        d.wait_for_week(0)
        assert d.slider_label("hourly_price_eur") == moved, "Reset keeps the changed input"

        d.click("▶")  # play, then change an input while playing: the run resets and stops
        week = "parseInt(document.querySelector('.care-sim-week').textContent.split(' ')[1])"
        page.wait_for_function(f"() => {week} >= 8", timeout=60_000)
        d.nudge_slider("provider_altruism")
        d.wait_for_week(0)
        page.get_by_role("button", name="▶", exact=True).wait_for(timeout=60_000)
        page.wait_for_timeout(1500)
        assert d.week() == 0, "a run reset while playing does not go on playing"
        assert page.get_by_role("button", name="Step", exact=True).is_enabled(), "the new run can be stepped"

        d.select("compare with", "lump_sum")
        page.wait_for_selector("img.care-sim-difference", timeout=60_000)
        d.wait_for_week(0)
        both = d.sources()
        d.click("Step")
        d.wait_for_week(4)
        d.wait_for_change(both, (*d.FIGURES, "difference"))
        timing = page.locator(".care-sim-timing").inner_text()
        page.screenshot(path=str(tmp_path / "side-by-side.png"))
    elapsed = time.monotonic() - t0
    server = log.read_text()
    assert "at http://127.0.0.1:" in server, f"the app says where it listens: {server[:300]}"
    assert not external, f"the page reached out of the machine: {external[:5]}"
    assert "Could not load URL" not in server, f"the server fetched assets from the internet: {server[-1500:]}"
    assert "Traceback" not in server, f"the server logged an error: {server[-3000:]}"
    assert (tmp_path / "dashboard.png").stat().st_size > 50_000, "a screenshot of the dashboard was saved"
    assert "per week" in timing and "per redraw" in timing, f"the sidebar shows the measured times: {timing!r}"
    print(f"\ndashboard test: {elapsed:.0f} s; {timing}; screenshots in {tmp_path}")
