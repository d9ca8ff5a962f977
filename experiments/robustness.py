"""How robust is the headline ranking? Sobol' total indices over every assumption.

The headline comparison is: which way of paying leaves whom underserved, at what cost?
This script answers how far that answer rests on the parameters no study pins down.

1. **The ranking at the defaults.** The `default` town under fee-for-service, lump sum,
   subsidy and population budget, ``--seeds`` common seeds, 10 years: for each of
   ``METRICS`` the median of the paired (same seed) difference of each model against
   fee-for-service, and its sign: the ranking the model gives today.
2. **A global sensitivity analysis.** Every analysed *uncertainty* whose source is
   "assumption" (the parameter table, ``sim.params.PARAMS``; switches and choices left
   out, as their Sobol' indices would split the sample) is varied over its analysis range
   in one Saltelli sample (SALib, ``sim.experiments.sensitivity.sobol_design``), each
   point run under the four models on the same seed, through the experiment engine.
3. **Per comparison** (model minus fee-for-service, per metric, on the same point): the
   Sobol' total index ``ST`` of each assumption (SALib's estimator with bootstrap
   confidence), and the probability that the ranking holds: the share of sample points
   where the difference has the sign it has at the defaults.

Writes ``results/robustness-<date>-<time>/`` (the engine's folder: manifest with
provenance, ``runs.parquet``; plus ``defaults.parquet``, ``indices.csv``,
``ranking.csv``), ``docs/figures/robustness.png``, and the sections between the
``robustness`` and ``summary`` markers of ``docs/validation.md`` (``experiments/
validation.py`` keeps them when it rewrites the rest). ``--doc-only`` rebuilds both from
the newest folder.

Cost: about ``(D + 2) * N * 4`` runs of the sensitivity town (D assumptions, N base
samples): with D = 70, N = 16 and 10,000 inhabitants over 5 years, about 4,600 runs,
15 minutes on 2 cores. ``--quick`` (N = 2, 2 years) checks the pipeline in a minute.

    python experiments/robustness.py            # run and rewrite the doc sections
    python experiments/robustness.py --quick    # pipeline check (marked in the doc)
    python experiments/robustness.py --doc-only # rebuild from the newest results
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import sim  # noqa: E402
from sim.experiments import run_design  # noqa: E402
from sim.experiments.executors import make_executor  # noqa: E402
from sim.experiments.sensitivity import analysed_params, sobol_design, sobol_indices  # noqa: E402
from sim.metric_info import METRICS as INFO  # noqa: E402

DOC = ROOT / "docs" / "validation.md"
FIGURE = ROOT / "docs" / "figures" / "robustness.png"
COMMAND = "python experiments/robustness.py"
FFS = "fee_for_service"
MODELS = (FFS, "lump_sum", "subsidy", "population_budget")
METRICS = ("unmet_need_share", "underserved_share", "escalations_per_1000_client_years", "total_cost_eur")
SHORT = {
    "unmet_need_share": "unmet need",
    "underserved_share": "underserved",
    "escalations_per_1000_client_years": "escalations",
    "total_cost_eur": "total cost",
}
NAMES = {
    FFS: "fee-for-service",
    "lump_sum": "lump sum",
    "subsidy": "subsidy",
    "population_budget": "population budget",
}
#: The sensitivity town: smaller and shorter than the defaults' so that the sample fits a
#: laptop; the ranking at the defaults (step 1) is on the full town and horizon.
FULL = {"samples": 16, "population": 10_000, "years": 5, "seeds": 10, "default_years": 10}
QUICK = {"samples": 2, "population": 5_000, "years": 2, "seeds": 3, "default_years": 2}
MARKS = {"summary": ("<!-- summary:start -->", "<!-- summary:end -->")}
MARKS["robustness"] = ("<!-- robustness:start -->", "<!-- robustness:end -->")


def assumptions() -> list[str]:
    """The analysed uncertainties whose default rests on an assumption (numbers only)."""
    return [p.name for p in analysed_params(("uncertainty",), source="assumption") if p.kind in (int, float)]


def defaults_runs(cfg: dict, workers: int) -> pd.DataFrame:
    """Step 1: every model on the same seeds at the defaults."""
    design = sim.Design(
        "default",
        points=[{"funding": f, "years": cfg["default_years"]} for f in MODELS],
        replicates=cfg["seeds"],
        label="robustness-defaults",
    )
    return run_design(design, executor=make_executor(workers), progress=True)


def paired(table: pd.DataFrame, key: str) -> dict[str, pd.DataFrame]:
    """Per model: its metrics minus fee-for-service's on the same ``key`` (seed or point)."""
    by = {f: t.set_index(key)[list(METRICS)].sort_index() for f, t in table.groupby("funding")}
    return {f: by[f] - by[FFS] for f in MODELS[1:]}


def ranking_at_defaults(runs: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for f, d in paired(runs, "seed").items():
        for m in METRICS:
            med = float(d[m].median())
            rows.append(
                {
                    "model": f,
                    "metric": m,
                    "median_diff": med,
                    "sign": int(np.sign(med)),
                    "seeds_same_sign": float((np.sign(d[m]) == np.sign(med)).mean()),
                }
            )
    return pd.DataFrame(rows)


def sobol_runs(cfg: dict, names: list[str], workers: int, folder: Path | None) -> tuple[pd.DataFrame, dict]:
    """Step 2: the Saltelli sample over ``names``, crossed with the four models."""
    fixed = {"population": cfg["population"], "years": cfg["years"]}
    design = sobol_design(
        "default",
        [*names, "funding"],
        cfg["samples"],
        fixed=fixed,
        bounds={"funding": list(MODELS)},
        label="robustness",
    )
    runs = run_design(design, executor=make_executor(workers), progress=True, out=folder)
    return runs, design.meta["salib"]


def comparisons(runs: pd.DataFrame, salib: dict, ranking: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Step 3: per model and metric, ST of each assumption and P(the ranking holds)."""
    rows = int(salib["rows"])
    runs = runs.copy()
    runs["row"] = runs["point"] % rows
    # the crossed blocks are the same Saltelli rows under each model: pair them by row
    means = runs.groupby(["funding", "row"], sort=True)[list(METRICS)].mean().reset_index()
    one = {**salib, "crossed": {}}
    indices, probs = [], []
    for f, d in paired(means, "row").items():
        table = d.reset_index().rename(columns={"row": "point"})
        si = sobol_indices(table, one, list(METRICS))
        indices.append(si.assign(model=f))
        for m in METRICS:
            sign = int(ranking.set_index(["model", "metric"]).at[(f, m), "sign"])
            probs.append(
                {
                    "model": f,
                    "metric": m,
                    "sign": sign,
                    "p_holds": float((np.sign(d[m]) == sign).mean()),
                    "points": len(d),
                }
            )
    return pd.concat(indices, ignore_index=True), pd.DataFrame(probs)


# --- the doc --------------------------------------------------------------------------------------


def _fmt(metric: str, x: float) -> str:
    if metric == "total_cost_eur":
        return f"EUR {x / 1000:+,.0f}k a year"
    if metric.endswith("_share"):
        return f"{100 * x:+.1f} points"
    return f"{x:+.1f}"


def _top(indices: pd.DataFrame, f: str, m: str, k: int = 3) -> list[tuple[str, float, float]]:
    t = indices[(indices.model == f) & (indices.metric == m)].sort_values("ST", ascending=False)
    return [(r.parameter, r.ST, r.ST_conf) for r in t.head(k).itertuples()]


def summary_lines(ranking: pd.DataFrame, probs: pd.DataFrame, indices: pd.DataFrame, prov: dict) -> list[str]:
    """The two-minute summary: generated from the numbers, not typed in."""
    r = ranking.set_index(["model", "metric"])
    p = probs.set_index(["model", "metric"])
    out = [
        "## In two minutes",
        "",
        "This model compares ways of paying for home support and day activities in a Dutch town of 20,000. "
        f"Against paying providers per hour (fee-for-service), over {prov['default_years']} years and "
        f"{prov['seeds']} seeds, at today's parameter values:",
        "",
    ]
    for f in MODELS[1:]:
        parts = []
        for m in METRICS:
            d = r.at[(f, m), "median_diff"]
            word = {1: "higher", -1: "lower", 0: "no different"}[int(np.sign(d))]
            parts.append(
                f"{INFO[m].label} {word} ({_fmt(m, d)}; holds in {p.at[(f, m), 'p_holds']:.0%} of the uncertain worlds)"
            )
        out.append(f"- **{NAMES[f].capitalize()}:** " + "; ".join(parts) + ".")
    held = probs[probs.p_holds >= 0.9]
    weak = probs[probs.p_holds < 0.7]
    low = probs.sort_values("p_holds").head(3)
    least = ", ".join(
        f"{NAMES[a]} on {INFO[b].label.lower()} ({q:.0%})"
        for a, b, q in zip(low.model, low.metric, low.p_holds, strict=True)
    )
    undecided = ", ".join(
        f"{NAMES[a]} on {INFO[b].label.lower()}" for a, b in zip(weak.model, weak.metric, strict=True)
    )
    drivers = indices.groupby("parameter")["ST"].mean().sort_values(ascending=False).head(5)
    out += [
        "",
        f'"Uncertain worlds" are {int(probs["points"].iloc[0])} combinations of the {prov["assumptions"]} '
        "parameters that rest on an assumption, each drawn over its plausible range (section 5). "
        f"{len(held)} of the {len(probs)} comparisons keep their direction in at least 90% of them"
        + (
            f"; {len(weak)} keep it in less than 70%, and there the model cannot tell which way is better: {undecided}."
            if len(weak)
            else f"; none keeps it in less than 70%. The least robust: {least}."
        ),
        "",
        "The assumptions that move the comparisons most (mean Sobol' total index over all comparisons): "
        + ", ".join(f"`{n}` ({v:.2f})" for n, v in drivers.items())
        + ". "
        "Where one of them decides a result, improving the evidence for it matters more than running "
        "more simulations.",
        "",
        "Fee-for-service's under-service includes the clients waiting for the municipal assessment, which the "
        "fixed-sum models do not have (`underserved_waiting_share` against `underserved_in_care_share`, "
        "section 2 and docs/odd.md 8.3).",
        "",
        "What to take away: the directions that hold in 90% or more of the worlds follow from the payment "
        "terms and the institutions that come with them (the assessment queue of fee-for-service) in the "
        "model; the others depend on assumptions we cannot yet pin down. The model has no "
        "outcome data per funding model to validate against (section 4): it shows what the incentives do, "
        "not by how much a real town would change.",
        "",
    ]
    return out


def section_lines(ranking: pd.DataFrame, probs: pd.DataFrame, indices: pd.DataFrame, prov: dict) -> list[str]:
    mode = " **Quick run (`--quick`): for checking the pipeline only.**" if prov["mode"] == "quick" else ""
    out = [
        "## 5 Robustness of the ranking",
        "",
        f"Generated by `{COMMAND}` (`--doc-only` rebuilds it). Provenance: sim {prov['version']}, git "
        f"{prov['git']}, created {prov['created']}, runs in `{prov['folder']}`.{mode}",
        "",
        f"**Ranking at the defaults**: the `default` town, {prov['default_years']} years, {prov['seeds']} common "
        "seeds; each model minus fee-for-service on the same seed (median) and the share of seeds with that sign.",
        f"**Sensitivity**: a Saltelli sample of the {prov['assumptions']} analysed uncertainties whose source is "
        f"an assumption, over their analysis ranges (N = {prov['samples']}, {prov['points']} points), each point "
        f"run under the four models on one common seed, {prov['population']:,} inhabitants over {prov['years']} "
        "years (smaller than the defaults so that the sample fits 2 cores). For each comparison: the probability "
        "that the ranking holds (share of points whose difference has the sign at the defaults; seed noise is "
        "part of it) and the three largest Sobol' total indices of the difference, with 95% bootstrap "
        "confidence. Switches and choices are held at their defaults. With N this small the indices are rough "
        "(see the confidence): read them as a ranking of what matters, not as shares of variance.",
        "",
    ]
    head = "| comparison | metric | at the defaults | seeds | P(ranking holds) | largest total indices (ST +- 95%) |"
    out += [head, "|---|---|---|---|---|---|"]
    r = ranking.set_index(["model", "metric"])
    p = probs.set_index(["model", "metric"])
    for f in MODELS[1:]:
        for m in METRICS:
            top = "; ".join(f"`{n}` {st:.2f} +- {c:.2f}" for n, st, c in _top(indices, f, m))
            out.append(
                f"| {NAMES[f]} - fee-for-service | `{m}` | {_fmt(m, r.at[(f, m), 'median_diff'])} | "
                f"{r.at[(f, m), 'seeds_same_sign']:.0%} | {p.at[(f, m), 'p_holds']:.0%} | {top} |"
            )
    out += [
        "",
        f"![Sobol' total indices of the headline comparisons](figures/{FIGURE.name})",
        "",
        f"*Figure 4 (`docs/figures/{FIGURE.name}`): Sobol' total index of each assumption (rows: the 15 with "
        "the largest mean) for each comparison against fee-for-service (columns).*",
        "",
    ]
    return out


def plot(indices: pd.DataFrame, path: Path) -> None:
    import matplotlib.pyplot as plt

    top = indices.groupby("parameter")["ST"].mean().sort_values(ascending=False).head(15).index
    cols = [(f, m) for f in MODELS[1:] for m in METRICS]
    mat = np.array(
        [
            [
                indices[(indices.model == f) & (indices.metric == m) & (indices.parameter == n)]["ST"].iloc[0]
                for f, m in cols
            ]
            for n in top
        ]
    )
    fig, ax = plt.subplots(figsize=(13, 8), constrained_layout=True)
    im = ax.imshow(np.clip(mat, 0, 1), cmap="viridis", vmin=0, vmax=1, aspect="auto")
    ax.set_xticks(range(len(cols)), [f"{NAMES[f]}\n{SHORT[m]}" for f, m in cols], rotation=45, ha="right", fontsize=10)
    ax.set_yticks(range(len(top)), list(top), fontsize=11)
    ax.set_xlabel("comparison against fee-for-service (model minus FFS, same parameters and seed)")
    ax.set_ylabel("assumption")
    ax.set_title("What decides the headline comparisons: Sobol' total index per assumption")
    fig.colorbar(im, ax=ax, label="total index ST (share of variance, 0-1)")
    fig.savefig(path, dpi=110)
    plt.close(fig)


def replace_block(text: str, key: str, lines: list[str]) -> str:
    start, end = MARKS[key]
    block = "\n".join([start, *lines, end])
    if start in text and end in text:
        a, b = text.index(start), text.index(end) + len(end)
        return text[:a] + block + text[b:]
    if key == "summary":  # at the top, before the provenance
        i = text.index("Provenance:")
        return text[:i] + block + "\n\n" + text[i:]
    i = text.index("## 4 What the model does not capture")
    j = text.find("\n## ", i + 1)
    j = len(text) if j < 0 else j + 1
    return text[:j].rstrip() + "\n\n" + block + "\n" + text[j:]


def blocks(folder: Path) -> dict[str, list[str]]:
    """The summary and section lines from a results folder (validation.py calls this)."""
    prov = json.loads((folder / "robustness.json").read_text())
    ranking = pd.read_csv(folder / "ranking_defaults.csv")
    probs = pd.read_csv(folder / "ranking.csv")
    indices = pd.read_csv(folder / "indices.csv")
    return {
        "summary": summary_lines(ranking, probs, indices, prov),
        "robustness": section_lines(ranking, probs, indices, prov),
    }


def latest() -> Path | None:
    found = sorted((ROOT / "results").glob("robustness-*/robustness.json"))
    return found[-1].parent if found else None


def write_doc(folder: Path) -> None:
    text = DOC.read_text(encoding="utf-8")
    for key, lines in blocks(folder).items():
        text = replace_block(text, key, lines)
    DOC.write_text(text, encoding="utf-8")
    plot(pd.read_csv(folder / "indices.csv"), FIGURE)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="N = 2, short runs: check the pipeline (marked in the doc)")
    ap.add_argument("--samples", type=int, default=None, help="Saltelli base samples N, a power of 2 (default 16)")
    ap.add_argument("--workers", type=int, default=2, help="worker processes (default 2)")
    ap.add_argument("--doc-only", action="store_true", help="rebuild the doc sections from the newest results")
    args = ap.parse_args(argv)
    if args.samples is not None and (args.samples < 2 or args.samples & (args.samples - 1)):
        ap.error(f"--samples {args.samples}: use a power of 2 (Saltelli's sample keeps its balance)")
    if args.doc_only and (args.quick or args.samples):
        ap.error("--doc-only uses the saved results; it takes no --quick or --samples")
    os.environ.setdefault("MPLBACKEND", "Agg")
    if args.doc_only:
        folder = latest()
        if folder is None:
            ap.exit(2, f"robustness: no results under results/robustness-*; run `{COMMAND}` first\n")
        write_doc(folder)
        print(f"robustness: rewrote {DOC.relative_to(ROOT)} from {folder.relative_to(ROOT)}", file=sys.stderr)
        return 0
    cfg = dict(QUICK if args.quick else FULL)
    if args.samples:
        cfg["samples"] = args.samples
    names = assumptions()
    print(
        f"robustness: {len(names)} assumptions, N = {cfg['samples']}: "
        f"{(len(names) + 2) * cfg['samples'] * len(MODELS)} runs, then {len(MODELS) * cfg['seeds']} at the defaults",
        file=sys.stderr,
    )
    from sim.experiments.results import new_results_path

    folder = new_results_path(ROOT / "results", "robustness")
    runs, salib = sobol_runs(cfg, names, args.workers, folder)
    ranking = ranking_at_defaults(defaults_runs(cfg, args.workers))
    indices, probs = comparisons(runs, salib, ranking)
    ranking.to_csv(folder / "ranking_defaults.csv", index=False)
    probs.to_csv(folder / "ranking.csv", index=False)
    indices.to_csv(folder / "indices.csv", index=False)
    stamp = json.loads((folder / "manifest.json").read_text())
    prov = {
        "version": sim.__version__,
        "git": stamp.get("git_commit", "?"),
        "created": stamp.get("created_utc", "?"),
        "folder": str(folder.relative_to(ROOT)),
        "mode": "quick" if args.quick else "full",
        "assumptions": len(names),
        "points": int(salib["rows"]),
        **cfg,
    }
    (folder / "robustness.json").write_text(json.dumps(prov, indent=2))  # written last: the folder is complete
    write_doc(folder)
    print(
        f"robustness: wrote {DOC.relative_to(ROOT)}, {FIGURE.relative_to(ROOT)} from {folder.relative_to(ROOT)}",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
