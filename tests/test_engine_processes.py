"""The engine across processes: a sweep killed with SIGKILL and resumed, and a real Dask
cluster (a scheduler and two workers on 127.0.0.1) against the local pool.

Runs are short (1 year, a town of 3,000) so that each test takes seconds.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

import sim
from sim import cli
from sim.experiments import IncompleteResultsError, load_results, read_manifest, results_design
from sim.experiments.results import RUNS_DIR, done_run_ids
from sim.metrics import SUMMARY_KEYS

REPO = Path(__file__).resolve().parents[1]
SPEC = """\
design = "lhs"
samples = {samples}
replicates = 2
seed = 7
label = "killtest"

[base]
years = 1
population = 3000

[vary]
hourly_price_eur = [45.0, 75.0]
provider_altruism = [0.2, 0.8]
"""


def _spec(tmp_path: Path, samples: int) -> Path:
    path = tmp_path / "spec.toml"
    path.write_text(SPEC.format(samples=samples))
    return path


def _temp_files(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.name.endswith(".tmp")]


def _group_gone(pgid: int, timeout: float) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.1)
    return False


def test_a_sweep_killed_with_sigkill_resumes_to_every_run_exactly_once(tmp_path, capsys):
    spec, out = _spec(tmp_path, 15), tmp_path / "out"
    env = {**os.environ, "MPLBACKEND": "Agg"}
    cmd = [sys.executable, "-m", "sim.cli", "sweep", str(spec), "--out", str(out), "--workers", "2"]
    proc = subprocess.Popen(
        cmd, cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and len(done_run_ids(out)) < 4 and proc.poll() is None:
            time.sleep(0.01)
        assert proc.poll() is None, "expected the sweep still running when it is killed (make it longer)"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
        # the pool's workers notice that their parent is gone and end (no orphans)
        assert _group_gone(proc.pid, 10), "expected the killed sweep's worker processes to end"
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)

    done = done_run_ids(out)
    total = results_design(out).n_runs
    assert 4 <= len(done) < total, f"expected the kill midway, with {len(done)} of {total} runs done"
    assert read_manifest(out)["complete"] is False, "expected the killed folder's manifest to say incomplete"
    with pytest.raises(IncompleteResultsError):
        load_results(out)

    code = cli.main(["sweep", "--resume", str(out), "--workers", "2"])
    captured = capsys.readouterr()
    assert code == 0, f"expected the resume to succeed, got exit {code}: {captured.err}"
    table = load_results(out)
    parts = sorted(p.name for p in (out / RUNS_DIR).iterdir())
    assert table["run_id"].tolist() == list(range(total)), "expected every run exactly once, in run-id order"
    assert len(parts) == total, f"expected one part per run, got {len(parts)} files"
    assert not _temp_files(out), f"expected no temporary file left, got {_temp_files(out)}"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "spec.toml"], "expected no stray folder beside it"
    manifest = read_manifest(out)
    assert manifest["complete"] and len(manifest["sessions"]) == 2, "expected a complete folder with two sessions"

    design = results_design(out)
    for spec_ in design.runs():
        clean = sim.run(design.point_scenario(spec_.point), rng=spec_.seed).summary
        got = table.loc[spec_.run_id, list(SUMMARY_KEYS)].to_dict()
        assert got == clean, f"expected run {spec_.run_id} to equal a clean run with seed {spec_.seed}"


# --- Dask ----------------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _stop(procs: list[subprocess.Popen]) -> None:
    for p in procs:
        if p.poll() is None:
            p.terminate()
    for p in procs:
        try:
            p.wait(15)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait(5)


@pytest.fixture
def dask_cluster(tmp_path):
    """``dask scheduler`` and two ``dask worker`` processes on 127.0.0.1, no dashboards;
    stopped afterwards whatever happens."""
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    dask = [sys.executable, "-m", "dask"]
    logs = tmp_path / "dask-logs"
    logs.mkdir()
    procs: list[subprocess.Popen] = []
    try:
        with (logs / "scheduler.log").open("w") as log:
            procs.append(
                subprocess.Popen(
                    [*dask, "scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"],
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    cwd=tmp_path,
                )
            )
        for i in range(2):
            with (logs / f"worker-{i}.log").open("w") as log:
                procs.append(
                    subprocess.Popen(
                        [
                            *dask,
                            "worker",
                            address,
                            "--host",
                            "127.0.0.1",
                            "--nthreads",
                            "1",
                            "--no-dashboard",
                            "--local-directory",
                            str(tmp_path / f"w{i}"),
                        ],
                        stdout=log,
                        stderr=subprocess.STDOUT,
                        cwd=tmp_path,
                    )
                )
        from distributed import Client

        deadline = time.monotonic() + 90
        while True:
            try:
                with Client(address, timeout=5) as client:
                    client.wait_for_workers(2, timeout=60)
                break
            except (OSError, TimeoutError):
                dead = [p.args[3] for p in procs if p.poll() is not None]
                if dead or time.monotonic() > deadline:
                    text = "\n".join(f.read_text() for f in sorted(logs.iterdir()))
                    pytest.fail(f"the Dask cluster did not start (exited: {dead}):\n{text[-3000:]}")
                time.sleep(0.5)
        yield address
    finally:
        _stop(procs)


def test_a_sweep_on_a_dask_cluster_equals_the_local_pool_with_one_and_two_workers(tmp_path, dask_cluster, capsys):
    spec = _spec(tmp_path, 20)  # 20 sets x 2 replicates = 40 runs
    tables = {}
    runs = {"dask": ["--scheduler", dask_cluster], "one": ["--workers", "1"], "two": ["--workers", "2"]}
    for name, extra in runs.items():
        code = cli.main(["sweep", str(spec), "--out", str(tmp_path / name), *extra])
        err = capsys.readouterr().err
        assert code == 0, f"expected the sweep on {name} to succeed, got exit {code}: {err}"
        tables[name] = load_results(tmp_path / name)
    assert len(tables["dask"]) == 40, f"expected 40 runs, got {len(tables['dask'])}"
    manifest = read_manifest(tmp_path / "dask")
    assert manifest["executor"]["kind"] == "dask" and manifest["executor"]["workers"] == 2, (
        f"expected the manifest to record the Dask cluster of two workers, got {manifest['executor']}"
    )
    pd.testing.assert_frame_equal(tables["dask"], tables["one"], obj="Dask cluster against 1 local worker")
    pd.testing.assert_frame_equal(tables["dask"], tables["two"], obj="Dask cluster against 2 local workers")
    assert tables["dask"]["seed"].nunique() == 2, "expected two replicate seeds shared by every parameter set"
