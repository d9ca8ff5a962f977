"""The one experiment engine: run a design on an executor, write each run as it finishes.

Every multi-run command (``compare``, ``sweep``, ``calibrate``, ``baseline``, the lead's
``analyze``/``optimize``) goes through :func:`run_design` or :func:`resume`; none keeps
its own pool or writes its own results folder.

Example:
    >>> from sim.experiments import Design, run_design, load_results
    >>> d = Design("default", points=[{"funding": "lump_sum"}, {"funding": "subsidy"}], replicates=2)
    >>> df = run_design(d, out=None, workers=2)          # in memory, nothing written
    >>> df = run_design(d, out="results/my-sweep")       # a resumable folder
    >>> df = load_results("results/my-sweep")
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from ..io import environment_stamp
from .design import Design, RunSpec
from .executors import DaskExecutor, InProcess, LocalPool, RunFailed, make_executor
from .results import (
    clean_temp,
    create_folder,
    done_run_ids,
    finish_manifest,
    folder_lock,
    load_results,
    new_manifest,
    read_manifest,
    read_rows,
    start_session,
    tidy,
    write_outputs,
    write_part,
    write_whole_table,
)
from .worker import Job, run_job

Executor = InProcess | LocalPool | DaskExecutor
#: ``outputs(table, folder) -> {file name: writer}``: the command's own files, each
#: written atomically into the folder once every run is done.
Outputs = Callable[[pd.DataFrame, Path], Mapping[str, Callable[[Path], object]]]
#: ``on_result(spec, result)``: called in this process as each run finishes; ``result``
#: is the worker's dict (summary, and the weekly/client tables when asked for).
OnResult = Callable[[RunSpec, dict[str, Any]], object]


class DesignRunError(RuntimeError):
    """A run of the design failed; the runs finished before it are kept (in ``out``)."""

    def __init__(self, spec: RunSpec, cause: BaseException, folder: Path | None):
        where = f"; the finished runs are in {folder}: fix the cause and resume it" if folder else ""
        super().__init__(
            f"run {spec.run_id} (point {spec.point}, replicate {spec.replicate}, seed {spec.seed}, "
            f"{spec.overrides}) failed: {type(cause).__name__}: {cause}{where}"
        )
        self.spec = spec
        self.cause = cause
        self.folder = folder


def run_design(
    design: Design,
    out: str | os.PathLike | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    progress: bool = True,
    weekly: bool = False,
    clients: bool = False,
    *,
    executor: Executor | None = None,
    command: Sequence[str] | None = None,
    outputs: Outputs | None = None,
    on_result: OnResult | None = None,
) -> pd.DataFrame:
    """Run every run of ``design`` and return the tidy table (a row per run, by run id).

    Args:
        design: the parameter sets and replicates.
        out: a new results folder (it must not exist or be empty), or None to keep
            everything in memory and write nothing (notebooks).
        workers: local worker processes (default: the number of cores; 1: this process).
        scheduler: a Dask scheduler address (``tcp://HOST:PORT``) instead of local workers.
        progress: a progress bar with ETA on stderr (shown on a terminal only).
        weekly, clients: also keep each run's weekly / client table (in ``out/weekly``,
            ``out/clients``; read them with ``load_results(out, table="weekly")``); with
            ``out=None`` pass ``on_result`` to receive them.
        executor: an executor to use (and not close) instead of ``workers``/``scheduler``,
            e.g. one shared by several designs.
        command: the command line, for the manifest.
        outputs: the command's own files, written atomically once every run is done and
            before the folder is marked complete.
        on_result: called as each run finishes.

    Returns:
        run_id, point, replicate, seed, the design's parameter columns, every summary metric.

    Raises:
        DesignRunError: a run failed (the finished ones are kept in ``out``).
        ResultsError: ``out`` exists with content.
    """
    if out is None and (weekly or clients) and on_result is None:
        raise ValueError("weekly/clients tables need out=DIR to be written to, or on_result to receive them")
    if out is None:
        with _executor(executor, workers, scheduler) as ex:
            rows = _execute(design, design.runs(), ex, None, progress, weekly, clients, on_result)
        return tidy(rows, design)
    with _executor(executor, workers, scheduler) as ex:
        manifest = new_manifest(
            design, ex.describe(), weekly=weekly, clients=clients, command=_argv(command), stamp=environment_stamp()
        )
        folder = create_folder(out, manifest)
        with folder_lock(folder):
            return _complete(folder, design, manifest, ex, progress, outputs, on_result)


def resume(
    folder: str | os.PathLike,
    workers: int | None = None,
    scheduler: str | None = None,
    progress: bool = True,
    *,
    executor: Executor | None = None,
    command: Sequence[str] | None = None,
    outputs: Outputs | None = None,
    on_result: OnResult | None = None,
) -> pd.DataFrame:
    """Compute the missing runs of a results folder, then return its full table.

    Temporary files a killed run left are removed (and reported) first. The design, its
    seeds and the tables to keep come from the folder's manifest; ``outputs`` are
    (re)written at the end, so a folder killed while writing them is completed too.

    Raises:
        ResultsError: not a results folder, or another process is writing it.
        DesignRunError: a run failed.
    """
    folder = Path(folder)
    manifest = read_manifest(folder)
    design = Design.from_dict(manifest["design"])
    with folder_lock(folder):
        clean_temp(folder)
        if manifest.get("complete") and outputs is None:
            return load_results(folder)
        with _executor(executor, workers, scheduler) as ex:
            manifest = start_session(folder, ex.describe(), _argv(command))
            return _complete(folder, design, manifest, ex, progress, outputs, on_result)


def _complete(
    folder: Path,
    design: Design,
    manifest: dict[str, Any],
    ex: Executor,
    progress: bool,
    outputs: Outputs | None,
    on_result: OnResult | None,
) -> pd.DataFrame:
    """Run what is missing in ``folder``, then write the whole table and the outputs and
    mark the folder complete."""
    done = done_run_ids(folder)
    todo = [s for s in design.runs() if s.run_id not in done]
    tables = manifest.get("tables", {})
    earlier = read_rows(folder, design, done) if done else []
    rows = _execute(
        design,
        todo,
        ex,
        folder,
        progress,
        bool(tables.get("weekly")),
        bool(tables.get("clients")),
        on_result,
        already=len(done),
        stamp={k: manifest["sessions"][-1].get(k) for k in ("version", "git_commit")},  # this session's code
    )
    df = tidy(earlier + rows, design)
    if len(df) != design.n_runs or df["run_id"].tolist() != list(range(design.n_runs)):
        raise RuntimeError(f"{folder}: expected runs 0..{design.n_runs - 1}, found {len(df)} parts")
    write_whole_table(folder, df, {**manifest, "complete": True})
    names = write_outputs(folder, outputs(df, folder)) if outputs else []
    finish_manifest(folder, manifest, len(todo), names)
    return df


def _execute(
    design: Design,
    todo: list[RunSpec],
    ex: Executor,
    folder: Path | None,
    progress: bool,
    weekly: bool,
    clients: bool,
    on_result: OnResult | None,
    *,
    already: int = 0,
    stamp: Mapping[str, Any] | None = None,
) -> list[dict[str, Any]]:
    """Run ``todo`` on ``ex``; write each run's part at once when there is a folder."""
    from tqdm import tqdm

    scenarios: dict[int, Any] = {}
    values: dict[int, dict[str, Any]] = {}
    for s in todo:
        if s.point not in scenarios:
            scenarios[s.point] = design.point_scenario(s.point)
            values[s.point] = design.param_values(s.point)
    jobs = [Job(scenarios[s.point], s.seed, weekly, clients) for s in todo]
    rows: list[dict[str, Any]] = []
    bar = tqdm(
        total=design.n_runs,
        initial=already,
        desc=design.label,
        unit="run",
        file=sys.stderr,
        disable=None if progress else True,
        leave=False,
        dynamic_ncols=True,
    )
    try:
        for i, result in ex.imap_unordered(run_job, jobs):
            spec = todo[i]
            row = {
                "run_id": spec.run_id,
                "point": spec.point,
                "replicate": spec.replicate,
                "seed": spec.seed,
                **values[spec.point],
                **result["summary"],
            }
            if folder is not None:
                prov = {
                    **(stamp or {}),
                    "results": str(folder),
                    "run_id": spec.run_id,
                    "point": spec.point,
                    "replicate": spec.replicate,
                    "seed": spec.seed,
                    "overrides": spec.overrides,
                    "seconds": result["seconds"],
                    "host": result["host"],
                    "pid": result["pid"],
                }
                write_part(folder, row, prov, result["weekly"], result["clients"])
            rows.append(row)
            if on_result is not None:
                on_result(spec, result)
            bar.update(1)
    except RunFailed as exc:
        raise DesignRunError(todo[exc.index], exc.cause, folder) from exc.cause
    finally:
        bar.close()
    return rows


class _executor:
    """The given executor (left open), or a new one for the options (closed at the end;
    killed on an error or Ctrl-C)."""

    def __init__(self, given: Executor | None, workers: int | None, scheduler: str | None):
        self.given, self.workers, self.scheduler = given, workers, scheduler
        self.own: Executor | None = None

    def __enter__(self) -> Executor:
        if self.given is not None:
            return self.given
        self.own = make_executor(self.workers, self.scheduler)
        return self.own

    def __exit__(self, exc_type: object, *exc: object) -> None:
        if self.own is not None:
            self.own.__exit__(exc_type, *exc)


def _argv(command: Sequence[str] | None) -> list[str] | None:
    return list(command) if command is not None else None


def results_design(folder: str | os.PathLike) -> Design:
    """The design stored in a results folder."""
    return Design.from_dict(read_manifest(folder)["design"])
