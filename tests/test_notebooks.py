"""Every notebook in notebooks/ runs top to bottom (CARE_SIM_QUICK=1: small runs) on this
environment's kernel, into temporary copies: the committed notebooks are never rewritten,
and no kernelspec is written outside the venv. About 30 s on 2 cores."""

import hashlib
import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
nbclient = pytest.importorskip("nbclient", reason="needs the notebooks extra (scripts/setup notebooks)")
_spec = importlib.util.spec_from_file_location("notebook_runner", ROOT / "experiments" / "notebooks.py")
runner = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(runner)

PATHS = runner.notebook_paths()
USER_KERNELS = Path.home() / ".local" / "share" / "jupyter" / "kernels"
USER_DIRS = (Path.home() / ".local" / "share" / "jupyter", Path.home() / ".ipython", Path.home() / ".jupyter")


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _user_kernels() -> set[str]:
    return {p.name for p in USER_KERNELS.iterdir()} if USER_KERNELS.is_dir() else set()


def _user_files() -> set[str]:
    """The user's Jupyter and IPython folders and what is in them (kernelspecs, profiles, connection files)."""
    return {str(d) for d in USER_DIRS if d.is_dir()} | {str(f) for d in USER_DIRS if d.is_dir() for f in d.rglob("*")}


def test_there_are_notebooks():
    names = {p.stem for p in PATHS}
    expected = {"compare_funding_models", "workshop_procurement_game", "sensitivity_and_scenario_discovery"}
    assert expected <= names, f"notebooks/ should hold {sorted(expected)}, has {sorted(names)}"


@pytest.mark.parametrize("path", PATHS, ids=[p.stem for p in PATHS])
def test_notebook_runs_without_errors(path, tmp_path):
    before, kernels_before, files_before = _digest(path), _user_kernels(), _user_files()
    out = tmp_path / path.name
    try:
        nb, seconds = runner.execute(path, out, quick=True, timeout=300)
    except nbclient.exceptions.CellExecutionError as exc:
        pytest.fail(f"{path.name}: a cell failed under CARE_SIM_QUICK=1:\n{exc}")
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []) if o.output_type == "error"]
    assert not errors, f"{path.name}: error outputs {[e['ename'] for e in errors]}"
    unrun = [i for i, c in enumerate(nb.cells) if c.cell_type == "code" and c.get("execution_count") is None]
    assert not unrun, f"{path.name}: code cells {unrun} were not executed"
    assert out.is_file(), f"the executed copy {out} was not written"
    assert _digest(path) == before, f"{path.name}: the committed notebook was rewritten by the test"
    assert _user_kernels() == kernels_before, (
        f"a kernelspec appeared in {USER_KERNELS}: {_user_kernels() - kernels_before}; it must stay in the venv"
    )
    new_files = _user_files() - files_before
    assert not new_files, f"running {path.name} wrote outside the venv: {sorted(new_files)[:5]}"
    assert seconds < 120, f"{path.name} took {seconds:.0f} s under CARE_SIM_QUICK=1; keep the quick mode small"


@pytest.mark.parametrize("path", PATHS, ids=[p.stem for p in PATHS])
def test_committed_notebook_has_outputs_and_figures(path):
    import nbformat

    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(c.get("execution_count") for c in code), (
        f"{path.name} is committed without outputs: run python experiments/notebooks.py"
    )
    assert runner.tagged_png(nb) is not None, f"{path.name}: no figure in the cell tagged {runner.FIGURE_TAG!r}"
    quick = nb.metadata.get("care_sim", {}).get("executed", {}).get("quick")
    assert quick is False, f"{path.name} was committed from a quick run (CARE_SIM_QUICK=1): rerun it full size"


def test_the_kernel_is_this_environments():
    exe = runner.check_kernel()
    assert exe, "the python3 kernelspec has no command"
    spec_dir = Path(runner.kernel_spec().resource_dir).resolve()
    assert not spec_dir.is_relative_to(USER_KERNELS.resolve()), f"the python3 kernelspec is in {spec_dir}"


def test_runner_refuses_an_unknown_notebook(capsys):
    with pytest.raises(SystemExit) as exc:
        runner.main(["no_such_notebook"])
    assert exc.value.code == 2, f"an unknown notebook should exit 2, got {exc.value.code}"
    assert "no notebook 'no_such_notebook'" in capsys.readouterr().err, "the error should name the notebook"
