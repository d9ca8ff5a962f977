"""A results folder: a manifest, one Parquet part per finished run, the command's outputs.

Layout::

    DIR/manifest.json          written first (atomically) with the whole design, so that
                               resuming needs nothing else; "complete": false until the end
    DIR/runs/run-000123.parquet  one per finished run, written to a hidden temporary name and
                               renamed; its provenance in the Parquet metadata
    DIR/weekly/, DIR/clients/  the run's weekly and client tables, when asked for
    DIR/runs.parquet           the whole table, written when every run is done
    DIR/<outputs>              the command's own files (compare.png, ...), written at the end

A folder whose manifest says ``"complete": false`` is not a result: :func:`load_results`
refuses it unless asked, and ``--resume DIR`` computes its missing runs. A process that
is killed leaves the parts it finished and at most a hidden ``*.tmp`` file, which the next
resume removes (and reports). While a process writes a folder it holds a lock on it, so
two processes never resume the same folder at once.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import shutil
import time
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from ..io import _fresh_name, atomic_file, environment_stamp, write_json, write_table
from ..metrics import SUMMARY_KEYS
from ..params import PARAM_BY_NAME
from .design import SCENARIO_KEY, Design

log = logging.getLogger("sim.experiments")

MANIFEST = "manifest.json"
RUNS_DIR = "runs"
TABLE_DIRS = {"runs": RUNS_DIR, "weekly": "weekly", "clients": "clients"}
#: The whole table, written once every run is done.
RUNS_TABLE = "runs.parquet"
FORMAT = "care-sim results"
FORMAT_VERSION = 1
ID_COLUMNS = ("run_id", "point", "replicate", "seed")
_PART = re.compile(r"^run-(\d+)\.parquet$")


class ResultsError(RuntimeError):
    """A results folder that cannot be used as asked (missing, not ours, taken, incomplete)."""


class IncompleteResultsError(ResultsError):
    """The folder's runs are not all done (the manifest says ``"complete": false``)."""


def now_utc() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def part_name(run_id: int) -> str:
    return f"run-{run_id:06d}.parquet"


# --- the folder ---------------------------------------------------------------------------


def new_results_path(root: str | os.PathLike = "results", label: str = "design") -> Path:
    """A fresh, not yet existing folder name ``<root>/<label>-YYYYmmdd-HHMMSS[-n]`` (local time).

    Nothing is created: :func:`create_folder` makes the folder with its manifest in one
    rename, so no empty folder is ever left behind.
    """
    root = Path(root)
    stem = f"{label}-{datetime.now():%Y%m%d-%H%M%S}"
    for n in range(10_000):
        candidate = root / (stem if n == 0 else f"{stem}-{n}")
        if not candidate.exists():
            return candidate
    raise FileExistsError(f"no free results folder name for {root / stem}")


def check_new_folder(path: str | os.PathLike) -> Path:
    """``path`` if a new results folder may be made there (it does not exist or is empty).

    Raises:
        ResultsError: it exists with content (results are never merged or overwritten).
    """
    path = Path(path)
    if path.exists() and not (path.is_dir() and not any(path.iterdir())):
        raise ResultsError(f"{path} already exists and is not an empty folder; results are never overwritten")
    return path


def create_folder(path: str | os.PathLike, manifest: Mapping[str, Any]) -> Path:
    """Create the results folder ``path`` holding ``manifest.json``, in one rename.

    The folder is filled as a hidden temporary sibling and renamed into place, so a
    process killed here leaves at most a hidden ``.NAME.*.tmp`` folder (reported by
    :func:`report_stray_temp` at the next run), never an empty or manifest-less folder.
    """
    final = check_new_folder(path)
    final.parent.mkdir(parents=True, exist_ok=True)
    report_stray_temp(final.parent)
    tmp = _fresh_name(final, os.mkdir)
    try:
        write_json(manifest, tmp / MANIFEST)
        (tmp / RUNS_DIR).mkdir()
        os.replace(tmp, final)  # onto nothing, or onto an empty folder (POSIX)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return final


def _temp_entries(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.name.startswith(".") and p.name.endswith(".tmp"))


def report_stray_temp(root: Path, min_age_s: float = 60.0) -> list[Path]:
    """Log hidden temporary entries in ``root`` (e.g. ``results/``) older than ``min_age_s``:
    left by a killed run. They are only reported: another process may be filling a young one."""
    if not root.is_dir():
        return []
    now = time.time()
    stray = []
    for p in _temp_entries(root):
        with contextlib.suppress(OSError):
            if now - p.stat().st_mtime >= min_age_s:
                stray.append(p)
    if stray:
        log.warning(
            "care-sim: %d leftover temporary folder(s) from a killed run in %s (safe to delete): %s",
            len(stray),
            root,
            ", ".join(p.name for p in stray),
        )
    return stray


def clean_temp(folder: str | os.PathLike) -> list[Path]:
    """Remove the hidden temporary files a killed run left in a results folder; report them.

    Call it only while holding the folder's lock (:func:`folder_lock`), so that no other
    process is writing them.
    """
    folder = Path(folder)
    removed = []
    for sub in (folder, *(folder / d for d in TABLE_DIRS.values())):
        if not sub.is_dir():
            continue
        for p in _temp_entries(sub):
            if p.is_dir():
                shutil.rmtree(p, ignore_errors=True)
            else:
                p.unlink(missing_ok=True)
            removed.append(p)
    if removed:
        log.warning(
            "care-sim: removed %d temporary file(s) left by a killed run in %s: %s",
            len(removed),
            folder,
            ", ".join(str(p.relative_to(folder)) for p in removed),
        )
    return removed


@contextlib.contextmanager
def folder_lock(folder: str | os.PathLike) -> Iterator[None]:
    """Hold an exclusive lock on a results folder while writing it (released when the
    process ends, however it ends).

    Raises:
        ResultsError: another process is writing the folder.
    """
    try:
        import fcntl
    except ImportError:  # Windows: no advisory locks on folders; the folder is not locked
        yield
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise ResultsError(f"{folder} is being written by another care-sim process") from None
        yield
    finally:
        os.close(fd)


# --- the manifest -------------------------------------------------------------------------


def new_manifest(
    design: Design,
    executor: Mapping[str, Any],
    *,
    weekly: bool,
    clients: bool,
    command: list[str] | None,
    stamp: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The manifest of a new folder: provenance, the full scenario, the design, the seeds,
    the executor, the start time; ``complete`` false and no end time yet."""
    stamp = dict(stamp or environment_stamp())
    started = now_utc()
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "label": design.label,
        "complete": False,
        "command": command,
        **stamp,
        "scenario_name": design.scenario.name,
        "scenario": design.scenario.to_dict(),
        "design": design.to_dict(),
        "seeds": design.seeds,
        "n_runs": design.n_runs,
        "tables": {"weekly": bool(weekly), "clients": bool(clients)},
        "executor": dict(executor),
        "started_utc": started,
        "finished_utc": None,
        "sessions": [_session(executor, stamp, started, command)],
        "outputs": [],
    }


def _session(executor: Mapping[str, Any], stamp: Mapping[str, Any], started: str, command) -> dict[str, Any]:
    return {
        "started_utc": started,
        "finished_utc": None,
        "executor": dict(executor),
        "version": stamp.get("version"),
        "git_commit": stamp.get("git_commit"),
        "command": command,
        "runs_done": 0,
    }


def read_manifest(folder: str | os.PathLike) -> dict[str, Any]:
    """The manifest of a results folder.

    Raises:
        ResultsError: there is no folder, no manifest, or it is not a care-sim results manifest.
    """
    folder = Path(folder)
    path = folder / MANIFEST
    if not folder.is_dir():
        raise ResultsError(f"{folder} is not a folder")
    if not path.is_file():
        raise ResultsError(f"{folder} has no {MANIFEST}: it is not a care-sim results folder")
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ResultsError(f"{path} is not valid JSON: {exc}") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT or "design" not in doc:
        raise ResultsError(f"{path} is not a care-sim results manifest")
    if doc.get("format_version", 0) > FORMAT_VERSION:
        raise ResultsError(f"{path} was written by a newer care-sim (format {doc['format_version']})")
    return doc


def command_of(manifest: Mapping[str, Any]) -> str:
    """The care-sim command that made a folder (``compare``, ``sweep``, ...): from the stored
    command line, else the design's label."""
    argv = manifest.get("command") or []
    return str(argv[1]) if len(argv) > 1 else str(manifest.get("label", "sweep"))


def write_manifest(folder: str | os.PathLike, manifest: Mapping[str, Any]) -> None:
    write_json(manifest, Path(folder) / MANIFEST)


def start_session(folder: Path, executor: Mapping[str, Any], command: list[str] | None) -> dict[str, Any]:
    """Record a resume in the manifest; warn when the code differs from the first session's."""
    manifest = read_manifest(folder)
    stamp = environment_stamp()
    for key in ("version", "git_commit"):
        if manifest.get(key) != stamp.get(key):
            log.warning(
                "care-sim: %s resumes with %s %s; its first runs used %s (the manifest records both)",
                folder,
                key.replace("_", " "),
                stamp.get(key),
                manifest.get(key),
            )
    manifest.setdefault("sessions", []).append(_session(executor, stamp, now_utc(), command))
    manifest["complete"] = False
    manifest["finished_utc"] = None
    write_manifest(folder, manifest)
    return manifest


def finish_manifest(folder: Path, manifest: dict[str, Any], runs_done: int, outputs: list[str]) -> dict[str, Any]:
    """Mark the folder complete: end time, the session's count, the command's outputs."""
    finished = now_utc()
    manifest["complete"] = True
    manifest["finished_utc"] = finished
    manifest["sessions"][-1].update(finished_utc=finished, runs_done=runs_done)
    manifest["outputs"] = sorted(set(manifest.get("outputs", [])) | set(outputs))
    write_manifest(folder, manifest)
    return manifest


# --- parts --------------------------------------------------------------------------------


def done_run_ids(folder: str | os.PathLike) -> set[int]:
    """Run ids with a finished part in ``DIR/runs`` (a part exists only once complete)."""
    runs = Path(folder) / RUNS_DIR
    if not runs.is_dir():
        return set()
    return {int(m.group(1)) for p in runs.iterdir() if (m := _PART.match(p.name))}


def write_part(
    folder: Path,
    row: Mapping[str, Any],
    provenance: Mapping[str, Any],
    weekly: pd.DataFrame | None = None,
    clients: pd.DataFrame | None = None,
) -> None:
    """Write one finished run: its weekly and client tables first (when given), then its
    row, whose file is the sign that the run is done."""
    run_id = int(row["run_id"])
    name = part_name(run_id)
    ids = {k: row[k] for k in ID_COLUMNS}
    for kind, table in (("weekly", weekly), ("clients", clients)):
        if table is not None:
            tagged = table.copy()
            for i, (k, v) in enumerate(ids.items()):
                tagged.insert(i, k, v)
            write_table(tagged, folder / TABLE_DIRS[kind] / name, provenance, sidecar=False)
    write_table(pd.DataFrame([dict(row)]), folder / RUNS_DIR / name, provenance, sidecar=False)


def tidy(rows: list[Mapping[str, Any]], design: Design) -> pd.DataFrame:
    """The tidy table: run_id, point, replicate, seed, the parameter columns, every summary
    metric; ordered by run id; the same dtypes whether built in memory or read from parts."""
    params = design.param_columns
    cols = [*ID_COLUMNS, *params, *SUMMARY_KEYS]
    df = pd.DataFrame(list(rows), columns=cols) if rows else pd.DataFrame(columns=cols)
    df = df.sort_values("run_id", kind="stable").reset_index(drop=True)
    for c in ID_COLUMNS:
        df[c] = df[c].astype("int64")
    for c in params:
        df[c] = _param_dtype(df[c], c)
    for k in SUMMARY_KEYS:
        df[k] = df[k].astype("float64")
    return df


def _param_dtype(col: pd.Series, name: str) -> pd.Series:
    if name == SCENARIO_KEY:
        return col.astype(str)
    p = PARAM_BY_NAME[name]
    if p.kind is str:
        return col.astype(str)
    if p.kind is bool:
        return col.astype(bool)
    if col.isna().any():  # a nullable parameter left unset at some point
        return col.astype("float64")
    return col.astype("int64" if p.kind is int else "float64")


def _read_parts(folder: Path, kind: str, run_ids: set[int] | None = None) -> pd.DataFrame | None:
    """The parts of ``DIR/<kind>`` (only ``run_ids`` if given) as one DataFrame, or None."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    sub = folder / TABLE_DIRS[kind]
    if not sub.is_dir():
        return None
    wanted = (lambda i: True) if run_ids is None else run_ids.__contains__
    files = sorted(p for p in sub.iterdir() if (m := _PART.match(p.name)) and wanted(int(m.group(1))))
    if not files:
        return None
    tables = [pq.read_table(p) for p in files]  # one conversion to pandas for all of them: much faster
    return pa.concat_tables(tables, promote_options="default").to_pandas()


def read_rows(folder: Path, design: Design, run_ids: set[int] | None = None) -> list[dict[str, Any]]:
    """The rows of the finished parts of a folder (only ``run_ids`` if given)."""
    parts = _read_parts(folder, "runs", run_ids)
    return parts.to_dict("records") if parts is not None else []


def load_results(folder: str | os.PathLike, *, table: str = "runs", allow_incomplete: bool = False) -> pd.DataFrame:
    """The results of a folder as one tidy DataFrame.

    Args:
        folder: a results folder (from ``run_design(out=...)`` or a ``care-sim`` command).
        table: ``"runs"`` (a row per run: run_id, point, replicate, seed, the parameter
            columns, then every summary metric), or ``"weekly"`` / ``"clients"`` (the
            runs' weekly or client tables, each row tagged with run_id, point, replicate
            and seed), when the design stored them.
        allow_incomplete: return the finished runs of a folder whose runs are not all done
            (e.g. one being written, or killed) instead of refusing it.

    Raises:
        ResultsError: not a results folder, or the table was not stored.
        IncompleteResultsError: the folder is incomplete and ``allow_incomplete`` is False.
    """
    folder = Path(folder)
    manifest = read_manifest(folder)
    if table not in TABLE_DIRS:
        raise ValueError(f"table = {table!r}: choose runs, weekly or clients")
    if not manifest.get("complete") and not allow_incomplete:
        done, total = len(done_run_ids(folder)), manifest.get("n_runs", "?")
        raise IncompleteResultsError(
            f"{folder} is incomplete ({done} of {total} runs done): resume it with "
            f"`care-sim {command_of(manifest)} --resume {folder}`, or pass allow_incomplete=True"
        )
    design = Design.from_dict(manifest["design"])
    if table == "runs":
        whole = folder / RUNS_TABLE
        if manifest.get("complete") and whole.is_file():
            return tidy(pd.read_parquet(whole).to_dict("records"), design)
        return tidy(read_rows(folder, design), design)
    if not manifest.get("tables", {}).get(table):
        raise ResultsError(f"{folder} has no {table} tables: run the design with {table}=True")
    parts = _read_parts(folder, table)
    if parts is None:
        return pd.DataFrame()
    return parts.sort_values(["run_id"], kind="stable").reset_index(drop=True)


def write_outputs(folder: Path, files: Mapping[str, Any]) -> list[str]:
    """Write ``{name: writer}`` atomically into ``folder``: each writer gets a temporary
    path to fill (``writer(tmp_path)``). Returns the names."""
    for name, writer in files.items():
        with atomic_file(folder / name) as tmp:
            writer(tmp)
    return list(files)


def write_whole_table(folder: Path, df: pd.DataFrame, manifest: Mapping[str, Any]) -> None:
    """``DIR/runs.parquet``: the whole table, with the manifest as its provenance."""
    write_table(df, folder / RUNS_TABLE, manifest, sidecar=False)
