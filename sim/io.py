"""Writing results: provenance, atomic Parquet tables with a JSON sidecar, result folders.

Every table written by care-sim says where it came from: the package version, the git
commit of the source tree (with ``-dirty`` when it has uncommitted changes), the Python,
Mesa and NumPy versions, the full scenario and the seeds. Files and folders are written
atomically, so an interrupted run never leaves a half-written result behind.

Example:
    >>> runs = sim.compare("default", replicates=2, years=1)
    >>> prov = provenance(sim.load_scenario("default", years=1), sorted(runs["seed"].unique()))
    >>> with atomic_dir(new_results_dir(label="demo")) as tmp:
    ...     write_table(runs, tmp / "runs.parquet", prov)
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
import secrets
import shutil
import subprocess
from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

#: Key of the provenance JSON in the Parquet schema metadata.
PROVENANCE_KEY = b"care_sim_provenance"

_PACKAGE_DIR = Path(__file__).resolve().parent


def _git(*args: str, cwd: Path) -> str | None:
    """Output of a git command run in ``cwd``, or None if git fails or is missing."""
    try:
        proc = subprocess.run(
            ["git", *args], cwd=cwd, capture_output=True, text=True, timeout=10, check=False, stdin=subprocess.DEVNULL
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return proc.stdout.strip() if proc.returncode == 0 else None


def git_version(package_dir: Path | None = None) -> str:
    """The git commit of the source tree the package runs from.

    Args:
        package_dir: the package folder; default: the folder of the installed ``sim``.

    Returns:
        The ``git rev-parse HEAD`` hash, with ``-dirty`` appended when ``git status
        --porcelain`` reports changes, or ``"unknown"`` when the package is not a file
        tracked in a git checkout (e.g. installed from a wheel).
    """
    pkg = Path(package_dir or _PACKAGE_DIR).resolve()
    root = pkg.parent
    # The package must be tracked in that checkout, so that a wheel installed into a
    # virtualenv that happens to sit inside some git repository does not report its hash.
    if _git("ls-files", "--error-unmatch", "--", f"{pkg.name}/__init__.py", cwd=root) is None:
        return "unknown"
    head = _git("rev-parse", "HEAD", cwd=root)
    if not head:
        return "unknown"
    status = _git("status", "--porcelain", cwd=root)
    return f"{head}-dirty" if status else head


def _jsonable(value: Any) -> Any:
    """``json.dumps`` fallback for NumPy scalars and arrays, paths and sets."""
    if hasattr(value, "item") and callable(value.item) and getattr(value, "ndim", None) == 0:
        return value.item()
    if hasattr(value, "tolist"):
        return value.tolist()
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    raise TypeError(f"cannot store {type(value).__name__} in provenance: {value!r}")


def _normalise_seeds(seeds: Any) -> Any:
    if seeds is None or isinstance(seeds, int | str):
        return seeds
    if isinstance(seeds, Iterable):
        return [None if s is None else int(s) for s in seeds]
    return int(seeds)


def environment_stamp() -> dict[str, Any]:
    """Package version, git hash, library versions, platform and creation time (UTC)."""
    import mesa
    import numpy as np

    from . import __version__

    return {
        "package": "care-sim",
        "version": __version__,
        "git_commit": git_version(),
        "python": platform.python_version(),
        "mesa": mesa.__version__,
        "numpy": np.__version__,
        "pandas": pd.__version__,
        "platform": platform.platform(),
        "created_utc": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def provenance(scenario: Any, seeds: int | Iterable[int] | None, **extra: Any) -> dict[str, Any]:
    """Describe where a result comes from.

    Args:
        scenario: the Scenario that ran (or a name/path, loaded with ``load_scenario``).
        seeds: the seed or seeds used (for ``compare``, the replicate seeds).
        **extra: further entries, e.g. ``replicates=5`` or ``argv=[...]``.

    Returns:
        A JSON-serialisable dict: ``package``, ``version``, ``git_commit``, ``python``,
        ``mesa``, ``numpy``, ``pandas``, ``platform``, ``scenario_name``, ``scenario``
        (every parameter value), ``seeds``, ``created_utc`` (ISO 8601), then ``extra``.

    Raises:
        ValueError: an ``extra`` key would overwrite one of the standard entries.
    """

    from .params import Scenario, load_scenario

    sc = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    out: dict[str, Any] = {
        **environment_stamp(),
        "scenario_name": sc.name,
        "scenario": sc.to_dict(),
        "seeds": _normalise_seeds(seeds),
    }
    clash = sorted(set(out) & set(extra))
    if clash:
        raise ValueError(f"provenance: extra keys {clash} would overwrite standard entries")
    out.update(extra)
    # Fail here, not halfway through writing, if something is not serialisable.
    return json.loads(json.dumps(out, default=_jsonable))


def sidecar_path(path: str | os.PathLike) -> Path:
    """The JSON sidecar of a table: the same folder and stem with ``.json``
    (``runs.parquet`` -> ``runs.json``)."""
    return Path(path).with_suffix(".json")


def _fresh_name(path: Path, create) -> Path:
    """Create a hidden temporary sibling of ``path`` with ``create`` and return it.

    Unlike ``tempfile.mkstemp`` the file or folder gets the usual permissions (umask),
    not private ones, since it becomes the result.
    """
    for _ in range(100):
        tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
        try:
            create(tmp)
        except FileExistsError:
            continue
        return tmp
    raise FileExistsError(f"no free temporary name next to {path}")


@contextlib.contextmanager
def atomic_file(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a hidden temporary path next to ``path``; fsync it and rename it onto ``path``
    on success, delete it on an error (Ctrl-C included)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = _fresh_name(path, lambda p: os.close(os.open(p, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o666)))
    try:
        yield tmp
        with open(tmp, "rb+") as fh:  # flush to disk before the rename makes it visible
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


def write_json(obj: Mapping[str, Any], path: str | os.PathLike) -> Path:
    """Write ``obj`` as indented JSON, atomically. Returns the path."""
    path = Path(path)
    text = json.dumps(obj, indent=2, default=_jsonable) + "\n"
    with atomic_file(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return path


def write_table(
    df: pd.DataFrame, path: str | os.PathLike, provenance: Mapping[str, Any], *, sidecar: bool = True
) -> tuple[Path, Path | None]:
    """Write a table as Parquet with its provenance, atomically.

    The provenance goes into the Parquet schema metadata (key ``b"care_sim_provenance"``,
    read it with ``read_provenance``) and, unless ``sidecar`` is False, into a JSON sidecar
    next to the table (see :func:`sidecar_path`). Each file is written to a temporary
    file in the same folder and renamed into place, so readers never see half a file.

    Args:
        df: the table; its index is not stored.
        path: where to write, e.g. ``results/x/runs.parquet``.
        provenance: from :func:`provenance`.
        sidecar: also write the JSON sidecar.

    Returns:
        The paths of the Parquet file and of the JSON sidecar (None without one).
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = Path(path)
    prov_json = json.dumps(dict(provenance), default=_jsonable)
    table = pa.Table.from_pandas(df, preserve_index=False)
    table = table.replace_schema_metadata({**(table.schema.metadata or {}), PROVENANCE_KEY: prov_json.encode()})
    with atomic_file(path) as tmp:
        pq.write_table(table, tmp)
    side = write_json(json.loads(prov_json), sidecar_path(path)) if sidecar else None
    return path, side


def read_provenance(path: str | os.PathLike) -> dict[str, Any]:
    """The provenance stored in a Parquet file written by :func:`write_table`.

    Raises:
        KeyError: the file carries no care-sim provenance.
    """
    import pyarrow.parquet as pq

    meta = pq.read_schema(path).metadata or {}
    if PROVENANCE_KEY not in meta:
        raise KeyError(f"{path} has no care-sim provenance")
    return json.loads(meta[PROVENANCE_KEY])


def new_results_dir(root: str | os.PathLike = "results", label: str = "compare") -> Path:
    """Create and return a fresh folder ``<root>/<label>-YYYYmmdd-HHMMSS[-n]``.

    The time is local time. If the folder exists (two runs in the same second), ``-1``,
    ``-2``, ... is appended: an existing folder is never reused. The new folder is empty;
    fill it with :func:`atomic_dir`.
    """
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    stem = f"{label}-{datetime.now():%Y%m%d-%H%M%S}"
    for n in range(10_000):
        candidate = root / (stem if n == 0 else f"{stem}-{n}")
        try:
            candidate.mkdir()
        except FileExistsError:
            continue
        return candidate
    raise FileExistsError(f"no free results folder name for {root / stem}")


def _is_empty_dir(path: Path) -> bool:
    return path.is_dir() and not any(path.iterdir())


@contextlib.contextmanager
def atomic_dir(final_path: str | os.PathLike) -> Iterator[Path]:
    """Fill a folder all at once: yield a temporary sibling, rename it into place on success.

    On an exception (Ctrl-C included) the temporary folder is deleted and ``final_path``
    is left as it was, so a reader sees either nothing or the complete result.

    Args:
        final_path: the folder to create. It may exist only as an empty folder (as made
            by :func:`new_results_dir`); results are never merged into or overwrite a
            folder with content.

    Yields:
        The temporary folder to write into.

    Raises:
        FileExistsError: ``final_path`` exists and is not an empty folder.
    """
    final = Path(final_path)
    if final.exists() and not _is_empty_dir(final):
        raise FileExistsError(f"{final} already exists and is not an empty folder")
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = _fresh_name(final, os.mkdir)
    try:
        yield tmp
        try:
            os.replace(tmp, final)  # POSIX: atomically replaces an empty folder
        except OSError:
            if not _is_empty_dir(final):
                raise FileExistsError(f"{final} was filled by someone else while writing") from None
            final.rmdir()  # Windows cannot rename onto an existing folder
            os.replace(tmp, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
