"""The experiment engine: designs (parameter sets x replicates on common seeds), executors
(this process, a local pool, a Dask cluster) and resumable results folders.

    from sim.experiments import Design, run_design, resume, load_results
    d = Design("default", points=[{"funding": "lump_sum", "hourly_price_eur": 55.0}], replicates=10)
    df = run_design(d, out="results/my-sweep", workers=2)
    df = resume("results/my-sweep")          # after a crash: only the missing runs
    df = load_results("results/my-sweep")    # run_id, point, replicate, seed, parameters, metrics
"""

from .design import Design, DesignError, RunSpec, funding_points
from .engine import DesignRunError, results_design, resume, run_design
from .executors import DaskExecutor, ExecutorError, InProcess, LocalPool, default_workers, make_executor
from .results import (
    IncompleteResultsError,
    ResultsError,
    check_new_folder,
    load_results,
    new_results_path,
    read_manifest,
)

__all__ = [
    "DaskExecutor",
    "Design",
    "DesignError",
    "DesignRunError",
    "ExecutorError",
    "InProcess",
    "IncompleteResultsError",
    "LocalPool",
    "ResultsError",
    "RunSpec",
    "check_new_folder",
    "default_workers",
    "funding_points",
    "load_results",
    "make_executor",
    "new_results_path",
    "read_manifest",
    "results_design",
    "resume",
    "run_design",
]
