"""Benchmarks for care-sim: run ``python -m benchmarks`` from the repository root.

Not part of the test suite (tests must not time things). See ``docs/performance.md``
for the latest results and ``benchmarks/run.py`` for what is measured.
"""
