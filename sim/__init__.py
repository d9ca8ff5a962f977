"""care-sim: how the way a municipality pays for social care changes what happens to people.

Quick start::

    import sim
    r = sim.run("default", funding="lump_sum", rng=1)
    r.summary["unmet_need_share"]
"""

from importlib.metadata import PackageNotFoundError, version

from .agents import Client, InformalCarer, Municipality, Provider, Volunteer
from .batch import batch_run
from .experiments import Design, load_results, resume, run_design
from .experiments.sensitivity import salib_problem
from .funding import FUNDING, optimal_hours, provider_utility
from .metrics import SUMMARY_KEYS, summarise
from .model import CareModel, InvariantError
from .params import PARAMS, Scenario, ScenarioError, list_scenarios, load_scenario
from .run import BASE_SEED, RunResult, compare, median_table, replicate_seeds, run, starting_budget


def __getattr__(name: str):
    # sim.ema imports EMA Workbench (and with it scikit-learn and statsmodels): only on use
    if name == "ema":
        import importlib

        return importlib.import_module(".ema", __name__)
    raise AttributeError(f"module 'sim' has no attribute {name!r}")


try:
    __version__ = version("care-sim")
except PackageNotFoundError:  # running from a source tree without installing
    __version__ = "0.0.0+unknown"

__all__ = [
    "BASE_SEED",
    "FUNDING",
    "PARAMS",
    "SUMMARY_KEYS",
    "CareModel",
    "Client",
    "Design",
    "InformalCarer",
    "InvariantError",
    "Municipality",
    "Provider",
    "RunResult",
    "Scenario",
    "ScenarioError",
    "Volunteer",
    "__version__",
    "batch_run",
    "compare",
    "list_scenarios",
    "load_results",
    "load_scenario",
    "median_table",
    "optimal_hours",
    "provider_utility",
    "replicate_seeds",
    "resume",
    "run",
    "run_design",
    "salib_problem",
    "starting_budget",
    "summarise",
]
