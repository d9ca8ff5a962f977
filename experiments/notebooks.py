"""Execute the notebooks in notebooks/ with nbclient and store their outputs.

    python experiments/notebooks.py                       # every notebook, in place, full size (~5 min on 2 cores)
    python experiments/notebooks.py compare_funding_models  # one notebook
    python experiments/notebooks.py --quick --out /tmp/nb   # CARE_SIM_QUICK=1 into copies (what the tests do)

Each notebook runs top to bottom on the ``python3`` kernel of this environment (ipykernel
in the same venv: its kernelspec lives in ``<venv>/share/jupyter``, so nothing is written to
``~/.local/share/jupyter``), with matplotlib's inline backend, and is saved with its outputs
and the state of its progress-bar widgets. In place and full size, the figure of the cell
tagged ``readme-figure`` in each notebook is also written to ``docs/figures/nb-<name>.png``
(the README shows them).

``CARE_SIM_QUICK=1`` (``--quick``) makes the notebooks shrink their runs (fewer seeds,
years and samples); it is for checking that they run, not for reading their numbers.
Needs the notebooks extra (``scripts/setup notebooks``; the test extra includes it).
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import os
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
FIGURES = ROOT / "docs" / "figures"
KERNEL = "python3"
FIGURE_TAG = "readme-figure"
INLINE = "module://matplotlib_inline.backend_inline"


def notebook_paths(names: Sequence[str] = ()) -> list[Path]:
    """The notebooks to run: all of ``notebooks/*.ipynb``, or those named (with or without
    ``.ipynb``). Raises ValueError for a name that is not a notebook there."""
    found = sorted(NOTEBOOKS.glob("*.ipynb"))
    if not names:
        return found
    by_stem = {p.stem: p for p in found}
    out = []
    for name in names:
        stem = Path(name).name.removesuffix(".ipynb")
        if stem not in by_stem:
            raise ValueError(f"no notebook {name!r} in notebooks/; there are: {', '.join(sorted(by_stem))}")
        out.append(by_stem[stem])
    return out


def kernel_spec():
    """The ``python3`` kernelspec Jupyter would start (finding it imports IPython, which makes
    ``~/.ipython``: that happens in a scratch folder).

    Raises:
        RuntimeError: the notebooks extra (jupyter_client, ipykernel) is not installed.
    """
    import tempfile

    try:
        from jupyter_client.kernelspec import KernelSpecManager
    except ImportError as exc:  # pragma: no cover - the extra is missing
        raise RuntimeError("the notebooks extra is not installed: run scripts/setup notebooks") from exc
    saved = os.environ.get("IPYTHONDIR")
    with tempfile.TemporaryDirectory(prefix="care-sim-ipython-") as scratch:
        os.environ["IPYTHONDIR"] = scratch
        try:
            return KernelSpecManager().get_kernel_spec(KERNEL)
        finally:
            if saved is None:
                os.environ.pop("IPYTHONDIR", None)
            else:
                os.environ["IPYTHONDIR"] = saved


def check_kernel() -> str:
    """The command of the ``python3`` kernel, after checking it is this environment's.

    Raises:
        RuntimeError: ipykernel is missing, or ``python3`` resolves to a kernelspec that
            starts another Python (e.g. one in ``~/.local/share/jupyter``).
    """
    spec = kernel_spec()
    exe = spec.argv[0]
    ours = exe in ("python", "python3", "{python}") or Path(exe).resolve().is_relative_to(Path(sys.prefix).resolve())
    if not ours and Path(exe).resolve() != Path(sys.executable).resolve():
        raise RuntimeError(
            f"the {KERNEL!r} kernel starts {exe} (kernelspec in {spec.resource_dir}), not this environment's"
            f" Python {sys.executable}: remove that kernelspec or run from the project's .venv"
        )
    return exe


@contextlib.contextmanager
def kernel_env(quick: bool) -> Iterator[None]:
    """The environment the kernel inherits: CARE_SIM_QUICK, the inline backend for
    matplotlib (a test's MPLBACKEND=Agg would leave the notebooks without figures), and a
    temporary folder for the kernel's connection file and IPython profile, so that running
    the notebooks writes nothing under ``~/.local/share/jupyter`` or ``~/.ipython``."""
    import tempfile

    keys = ("CARE_SIM_QUICK", "MPLBACKEND", "JUPYTER_RUNTIME_DIR", "IPYTHONDIR")
    saved = {k: os.environ.get(k) for k in keys}
    scratch = tempfile.TemporaryDirectory(prefix="care-sim-kernel-")
    os.environ["CARE_SIM_QUICK"] = "1" if quick else "0"
    os.environ["MPLBACKEND"] = INLINE
    os.environ["JUPYTER_RUNTIME_DIR"] = str(Path(scratch.name) / "runtime")
    os.environ["IPYTHONDIR"] = str(Path(scratch.name) / "ipython")
    try:
        yield
    finally:
        scratch.cleanup()
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def execute(path: Path, out: Path | None = None, *, quick: bool = False, timeout: int = 600) -> tuple[object, float]:
    """Run one notebook top to bottom and write it with its outputs to ``out`` (default:
    in place). Returns the executed notebook and the seconds it took.

    Raises:
        nbclient.exceptions.CellExecutionError: a cell failed (the notebook is not written).
    """
    import nbformat
    from nbclient import NotebookClient
    from tqdm import tqdm  # a terminal bar (tqdm.auto would import IPython in this process)

    check_kernel()
    nb = nbformat.read(path, as_version=4)
    n_code = sum(c.cell_type == "code" for c in nb.cells)
    start = time.perf_counter()
    with kernel_env(quick), tqdm(total=n_code, desc=path.stem, unit="cell", leave=False, file=sys.stderr) as bar:
        client = NotebookClient(
            nb,
            kernel_name=KERNEL,
            timeout=timeout,
            resources={"metadata": {"path": str(path.parent)}},
            on_cell_executed=lambda **_: bar.update(),
        )
        client.execute()
    seconds = time.perf_counter() - start
    nb.metadata.setdefault("care_sim", {})["executed"] = {"quick": quick, "seconds": round(seconds, 1)}
    nbformat.write(nb, out or path)
    return nb, seconds


def tagged_png(nb, tag: str = FIGURE_TAG) -> bytes | None:
    """The last PNG output of the first cell tagged ``tag``, or None."""
    for cell in nb.cells:
        if tag in cell.get("metadata", {}).get("tags", []):
            pngs = [o["data"]["image/png"] for o in cell.get("outputs", []) if "image/png" in o.get("data", {})]
            return base64.b64decode(pngs[-1]) if pngs else None
    return None


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python experiments/notebooks.py",
        description="Execute the notebooks in notebooks/ with nbclient and store their outputs (in place).",
        epilog="Full size, in place, it also writes docs/figures/nb-<name>.png for the README.",
    )
    parser.add_argument("names", nargs="*", help="notebooks to run (default: every notebook in notebooks/)")
    parser.add_argument(
        "--quick", action="store_true", help="CARE_SIM_QUICK=1: small runs, to check they run (needs --out)"
    )
    parser.add_argument("--out", type=Path, help="write the executed copies to this folder instead of in place")
    parser.add_argument("--timeout", type=int, default=600, help="seconds a single cell may take (default 600)")
    args = parser.parse_args(argv)
    try:
        paths = notebook_paths(args.names)
        check_kernel()
    except (ValueError, RuntimeError) as exc:
        parser.error(str(exc))
    if args.quick and args.out is None:
        parser.error("--quick needs --out DIR: the committed notebooks keep their full-size outputs")
    if args.timeout < 1:
        parser.error("--timeout must be at least 1 second")
    if args.out is not None:
        args.out.mkdir(parents=True, exist_ok=True)
    from nbclient.exceptions import CellExecutionError

    for path in paths:
        target = args.out / path.name if args.out is not None else path
        try:
            nb, seconds = execute(path, target, quick=args.quick, timeout=args.timeout)
        except CellExecutionError as exc:
            print(f"{path.name}: a cell failed:\n{exc}", file=sys.stderr)
            return 1
        note = ""
        if args.out is None and not args.quick:
            png = tagged_png(nb)
            if png is not None:
                fig = FIGURES / f"nb-{path.stem}.png"
                fig.write_bytes(png)
                note = f", figure {fig.relative_to(ROOT)}"
        print(f"{path.name}: {seconds:.0f} s{' (quick)' if args.quick else ''} -> {target}{note}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
