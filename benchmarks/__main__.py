"""Entry point: ``python -m benchmarks [--quick] [--output PATH]``."""

from benchmarks.run import main

if __name__ == "__main__":
    raise SystemExit(main())
