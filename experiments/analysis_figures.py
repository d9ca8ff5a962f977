"""Regenerate the README's analysis figures for the ``default`` town:

- ``docs/figures/sobol_default.png``: ``care-sim analyze`` of a Sobol' sweep over the
  assumption parameters that decide under-service under a lump sum (ODD 7.5-7.8), with
  the funding models crossed;
- ``docs/figures/optimize_default.png``: ``care-sim optimize`` over the municipality's levers,
  the Pareto front of total cost against the underserved share, re-evaluated on fresh seeds.

Both run through the same commands a user types, into folders under ``results/``; the
figures are copied from there. Usage (from the repository root)::

    .venv/bin/python experiments/analysis_figures.py            # both, about 25 min on 2 cores
    .venv/bin/python experiments/analysis_figures.py --quick    # a smoke run (small town, 2 years)
    .venv/bin/python experiments/analysis_figures.py --only optimize
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FIGURES = ROOT / "docs" / "figures"

#: The assumption parameters of the Sobol' sweep: the carer, network and need rules that the
#: review of the headline comparison named (issue #11), over their analysis ranges.
SOBOL_PARAMS = (
    "carer_support_relief",
    "network_build_hours",
    "carer_need_factor",
    "non_asker_share",
    "provider_altruism",
    "group_benefit_mean",
)
SOBOL_FUNDING = ("fee_for_service", "lump_sum")


def _cli(*argv: object) -> None:
    from sim.cli import main

    code = main([str(a) for a in argv])
    if code != 0:
        raise SystemExit(f"care-sim {' '.join(map(str, argv))} failed with exit code {code}")


def sobol(quick: bool, stamp: str) -> Path:
    size = {"years": 2, "population": 3000} if quick else {"years": 10}
    samples = 4 if quick else 64
    lines = ['scenario = "default"', 'design = "sobol"', f"samples = {samples}", "replicates = 1", "[base]"]
    lines += [f"{k} = {v}" for k, v in size.items()]
    lines += ["[vary]", *(f'{p} = "analysis"' for p in SOBOL_PARAMS)]
    lines.append("funding = [" + ", ".join(f'"{f}"' for f in SOBOL_FUNDING) + "]")
    out = ROOT / "results" / f"sobol-default-{stamp}"
    with tempfile.TemporaryDirectory() as tmp:
        spec = Path(tmp) / "sobol_default.toml"
        spec.write_text("\n".join(lines) + "\n")
        _cli("sweep", spec, "--out", out)
    _cli("analyze", out, "--metrics", "unmet_need_share,underserved_share", "--top", len(SOBOL_PARAMS))
    return out / "sobol.png"


def optimize(quick: bool, stamp: str) -> Path:
    out = ROOT / "results" / f"optimize-default-{stamp}"
    if quick:
        _cli("optimize", "--nfe", 16, "--population-size", 8, "--replicates", 1, "--fresh-replicates", 2,
             "--years", 2, "--population", 3000, "--out", out)  # fmt: skip
    else:
        _cli("optimize", "--nfe", 600, "--population-size", 40, "--replicates", 2, "--fresh-replicates", 10,
             "--years", 5, "--out", out)  # fmt: skip
    return out / "optimize.png"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="a smoke run: small town, 2 years, tiny designs")
    ap.add_argument("--only", choices=("sobol", "optimize"), help="regenerate one figure")
    args = ap.parse_args(argv)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    jobs = {"sobol": (sobol, "sobol_default.png"), "optimize": (optimize, "optimize_default.png")}
    for name, (job, target) in jobs.items():
        if args.only and name != args.only:
            continue
        made = job(args.quick, stamp)
        if args.quick:
            print(f"quick run: {made} (docs/figures not changed)")
        else:
            FIGURES.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(made, FIGURES / target)
            print(f"wrote {FIGURES / target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
