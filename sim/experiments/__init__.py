"""The experiment engine (TEMPORARY: the stand-in until the engine branch lands)."""

from ._standin import Design, RunSpec, run_design

__all__ = ["Design", "RunSpec", "run_design"]
