"""Regenerate docs/guide.md and docs/figures/guide-*.png: what the model says, for a policy adviser.

    python experiments/guide.py              # 5 presets x 6 funding models x 10 seeds x 10 years (~6 min on 2 cores)
    python experiments/guide.py --quick      # 2 seeds x 2 years into results/guide-quick/: a smoke run
    python experiments/guide.py --seeds 20   # more seeds, tighter bands (time grows with the seeds)

Every preset (``default`` and the four cases of docs/odd.md section 12) runs under every
funding model on the common seeds ``sim.replicate_seeds(sim.BASE_SEED, n)``, so replicate
``i`` is the same town and the same residents under every model. Every number and sentence
of the results is computed from these runs; the limits are read from docs/validation.md
section 4 and the presets' stated assumptions from docs/odd.md section 12. The doc states
the seeds, years, sim version and git hash it came from. Nothing under results/ is written.
"""

from __future__ import annotations

import argparse
import datetime as dt
import re
import sys
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

import sim
from sim.comparison import REFERENCE, compare_stats
from sim.io import git_version
from sim.metric_info import METRICS
from sim.params import FUNDING_MODELS
from sim.plotting import compare_figure, fmt_metric, metric_scale, panel_axes, plot_p_better, use_projector_style

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
PRESETS = ("default", "lelystad", "alphen", "zaltbommel", "noord_veluwe")
CASE = {
    "default": "Default: a town of 20,000 for demonstrations, no case",
    "lelystad": "Lelystad: population budgets per district to main contractors",
    "alphen": "Alphen aan den Rijn: one lump sum to a consortium",
    "zaltbommel": "Zaltbommel: dialogue contracting with many local providers",
    "noord_veluwe": "Noord-Veluwe (Harderwijk): subsidy with reclaim and a shared buffer",
}
FIGURE_METRICS = ["formal_hours_per_client_week", "underserved_share", "unmet_need_share", "total_cost_eur"]
TABLE_METRICS = [
    "formal_hours_per_client_week",
    "underserved_share",
    "unmet_need_share",
    "mean_wait_weeks",
    "carer_overburden_share",
    "total_cost_eur",
    "overrun_share",
]
#: who feels a metric: the sentences of "what each funding model does to whom"
WHO = {
    "clients": ["underserved_share", "mean_wait_weeks", "unreached_share"],
    "informal carers": ["carer_overburden_share"],
    "providers": ["provider_margin_share", "bankruptcies"],
    "the municipality": ["total_cost_eur", "overrun_share"],
}
SURE = (0.9, 0.1)  # a difference "held" when the model was better on >= 90% or <= 10% of seeds


def name(model: str) -> str:
    return model.replace("_", " ")


def run_all(seeds: int, years: int, workers: int | None) -> pd.DataFrame:
    """Every preset under every funding model on the same seeds: a row per run, with ``preset``."""
    points = [{"scenario": p, "funding": f, "years": years} for p in PRESETS for f in FUNDING_MODELS]
    design = sim.Design(sim.load_scenario("default", years=years), points=points, replicates=seeds, label="guide")
    runs = sim.run_design(design, workers=workers, progress=True)
    runs["preset"] = runs["point"].map(lambda i: points[i]["scenario"])
    return runs


def stat(stats: pd.DataFrame, metric: str, model: str) -> pd.Series:
    return stats[(stats["metric"] == metric) & (stats["funding"] == model)].iloc[0]


def sentence(stats: pd.DataFrame, model: str, metric: str) -> str:
    """``share of clients underserved ...: 18.0% against 27.2% (lower on 10 of 10 seeds)``."""
    s, r = stat(stats, metric, model), stat(stats, metric, REFERENCE)
    text = f"{METRICS[metric].label} {fmt_metric(metric, s['median'])} against {fmt_metric(metric, r['median'])}"
    if METRICS[metric].better is not None and pd.notna(s["p_better"]):
        text += f" (better on {s['p_better'] * s['n']:.3g} of {s['n']} seeds)"
    return text


def preset_section(preset: str, stats: pd.DataFrame, seeds: int, assumption: str) -> list[str]:
    lines = [f"### {CASE[preset]} (`{preset}`)", ""]
    if assumption:
        lines += [f"The preset, as docs/odd.md section 12 states it: {assumption}", ""]
    lines += [f"![{preset}: every funding model](figures/guide-{preset}.png)", ""]
    header = ["funding model", *[f"{METRICS[m].label} ({metric_scale(m)[1]})" for m in TABLE_METRICS]]
    lines += ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for model in FUNDING_MODELS:
        cells = []
        for m in TABLE_METRICS:
            s, f = stat(stats, m, model), metric_scale(m)[0]
            cells.append(f"{s['median'] * f:.3g} ({s['p10'] * f:.3g} to {s['p90'] * f:.3g})")
        lines.append(f"| {name(model)} | " + " | ".join(cells) + " |")
    lines += ["", f"Median (10% to 90% of {seeds} seeds). Against {name(REFERENCE)}, on the same seeds:", ""]
    for model in (m for m in FUNDING_MODELS if m != REFERENCE):
        parts = [f"{who}: " + "; ".join(sentence(stats, model, m) for m in ms) for who, ms in WHO.items()]
        lines.append(f"- **{name(model)}**. " + ". ".join(parts) + ".")
    return [*lines, ""]


def headline(preset: str, stats: pd.DataFrame) -> str:
    u = stats[stats["metric"] == "underserved_share"]
    c = stats[stats["metric"] == "total_cost_eur"]
    best, cheap = u.loc[u["median"].idxmin()], c.loc[c["median"].idxmin()]
    ref_u = stat(stats, "underserved_share", REFERENCE)["median"]
    return (
        f"- **{preset}**: least under-service under **{name(best['funding'])}**"
        f" ({fmt_metric('underserved_share', best['median'])} of clients underserved 4+ weeks, against"
        f" {fmt_metric('underserved_share', ref_u)} under {name(REFERENCE)}); lowest total cost under"
        f" **{name(cheap['funding'])}** ({fmt_metric('total_cost_eur', cheap['median'])})."
    )


def certainty(all_stats: dict[str, pd.DataFrame], seeds: int) -> list[str]:
    rows = pd.concat(all_stats.values())
    rows = rows[rows["metric"].isin(["underserved_share", "unmet_need_share", "total_cost_eur"])]
    rows = rows[rows["funding"] != REFERENCE]
    held = ((rows["p_better"] >= SURE[0]) | (rows["p_better"] <= SURE[1])).sum()
    return [
        f"Each preset ran under every funding model on the same {seeds} seeds: seed *i* draws the same town,"
        " residents and events under every model, so a difference on one seed is the model's, not chance."
        " The tables give the median and the band from the 10% to the 90% seed; the sentences give the share"
        f" of seeds on which a model did better than {name(REFERENCE)}.",
        "",
        f"Of the {len(rows)} comparisons with {name(REFERENCE)} in under-service, unmet need and total cost"
        f" ({len(FUNDING_MODELS) - 1} models x {len(all_stats)} presets x 3 metrics), **{held}** went one way"
        f" on at least {SURE[0]:.0%} of the seeds"
        + ("." if held == len(rows) else "; the rest are closer, and more seeds would be needed to call them.")
        + " This is certainty about the model, not about the world: it says how robust a result is to chance"
        " in the simulated town, not whether the model's assumptions are right (next section).",
        "",
        "![Share of seeds on which each model beats fee-for-service](figures/guide-p-better.png)",
        "",
    ]


def section(text: str, title: str) -> str:
    """The body of the markdown section whose heading contains ``title`` ('' if none)."""
    m = re.search(rf"^(#+) [^\n]*{re.escape(title)}[^\n]*\n(.*?)(?=^#{{1,2}} |\Z)", text, re.S | re.M)
    return m.group(2) if m else ""


def validation_commit() -> str:
    """The git commit docs/validation.md says it was generated at ('unknown' if it says none)."""
    m = re.search(r"Provenance:.*?git ([0-9a-f]{7,40})", (DOCS / "validation.md").read_text(encoding="utf-8"))
    return m.group(1)[:10] if m else "unknown"


def limits() -> list[str]:
    """The bullets of docs/validation.md section 4, as that file states them."""
    body = section((DOCS / "validation.md").read_text(encoding="utf-8"), "What the model does not capture")
    bullets = re.findall(r"^- (.*?)(?=^- |\Z)", body, re.S | re.M)
    out = ["- " + " ".join(b.split()) for b in bullets]
    if not out:
        return ["See docs/validation.md section 4 and docs/odd.md section 11 (no list could be read)."]
    return out


def assumptions() -> dict[str, str]:
    """Each preset's description in docs/odd.md section 12 ("Preset `name`: ...")."""
    body = section((DOCS / "odd.md").read_text(encoding="utf-8"), "The municipal cases")
    found = re.findall(r"^Preset `(\w+)`: (.*?)(?:\n\n|\Z)", body, re.S | re.M)
    return {k: " ".join(v.split()) for k, v in found}


def figures(runs: pd.DataFrame, all_stats: dict[str, pd.DataFrame], out: Path, seeds: int, years: int) -> None:
    use_projector_style()
    for preset in PRESETS:
        fig = compare_figure(
            runs[runs["preset"] == preset],
            f"{CASE[preset]}: median and 10%-90% band over {seeds} seeds, {years} years",
            FIGURE_METRICS,
        )
        fig.savefig(out / f"guide-{preset}.png")
    axes = panel_axes(len(PRESETS), ncols=1, pyplot=False, panel_size=(13.0, 3.6))
    for i, (ax, preset) in enumerate(zip(axes, PRESETS, strict=True)):
        plot_p_better(all_stats[preset], ["underserved_share", "unmet_need_share", "total_cost_eur"], ax)
        ax.set_title(f"{CASE[preset]}: how often each model beats {name(REFERENCE)}")
        if i:
            ax.get_legend().remove()
        if i < len(PRESETS) - 1:
            ax.set_xlabel("")
    axes[0].figure.savefig(out / "guide-p-better.png")


def document(runs, all_stats, seeds, years, quick, seconds) -> str:
    seed_list = sorted(set(runs["seed"]), key=list(runs.sort_values("replicate")["seed"]).index)
    head = [
        "# What the model says: a guide for policy advisers",
        "",
        "Generated by `python experiments/guide.py` (about 5-6 minutes on 2 cores); do not edit by hand."
        " Every number and every sentence in the results below is computed from model runs.",
        "",
        f"Provenance: sim {sim.__version__}, git {git_version()}, created"
        f" {dt.datetime.now(dt.UTC).isoformat(timespec='seconds')}, {len(PRESETS)} presets x"
        f" {len(FUNDING_MODELS)} funding models x {seeds} common seeds `sim.replicate_seeds({sim.BASE_SEED},"
        f" {seeds})` = {seed_list}, {years} years each; {len(runs)} runs in {seconds / 60:.1f} min.",
        "",
    ]
    if quick:
        head += ["**Quick smoke run (--quick): too few seeds and years to read anything into. Do not cite.**", ""]
    head += [
        "care-sim simulates how the way a Dutch municipality pays for social care (Wmo 2015: home support,"
        " guidance, day activities) changes what happens to people. Providers decide hours and the kind of"
        " care with one rule that weighs their margin against the client's benefit; only the payment terms"
        " differ between funding models. Under-service and over-service are not written in: they follow"
        " from the rule under each model's terms.",
        "",
        "## In short",
        "",
        *[headline(p, all_stats[p]) for p in PRESETS],
        "",
        "## What each funding model does to whom, case by case",
        "",
    ]
    stated = assumptions()
    for p in PRESETS:
        head += preset_section(p, all_stats[p], seeds, stated.get(p, ""))
    head += ["## How sure we are", "", *certainty(all_stats, seeds)]
    head += [
        "## What the model leaves out",
        "",
        f"As docs/validation.md (section 4; generated at git {validation_commit()}) states it; the full list,"
        " derived from the code, is docs/odd.md section 11. Where the model changed since, those files are"
        " regenerated with it. Read every result above with these in mind:",
        "",
        *limits(),
        "",
    ]
    return "\n".join(head)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python experiments/guide.py",
        description="Regenerate docs/guide.md and docs/figures/guide-*.png from runs of every preset and model.",
    )
    parser.add_argument("--seeds", type=int, default=10, help="common seeds per preset and model (default 10)")
    parser.add_argument("--years", type=int, default=10, help="simulated years per run (default 10)")
    parser.add_argument("--quick", action="store_true", help="2 seeds x 2 years: a smoke run, marked in the doc")
    parser.add_argument("--workers", type=int, default=None, help="worker processes (default: all cores)")
    parser.add_argument(
        "--out", type=Path, help="folder for guide.md and figures/ (default docs/; with --quick results/guide-quick/)"
    )
    args = parser.parse_args(argv)
    seeds, years = (2, 2) if args.quick else (args.seeds, args.years)
    if args.out is None:  # a smoke run never overwrites the real guide
        args.out = ROOT / "results" / "guide-quick" if args.quick else DOCS
    if seeds < 2:
        parser.error("--seeds must be at least 2 (bands and shares of seeds need two)")
    if not 1 <= years <= 50:
        parser.error("--years must be between 1 and 50")
    if args.workers is not None and args.workers < 1:
        parser.error("--workers must be at least 1")
    import time

    start = time.perf_counter()
    runs = run_all(seeds, years, args.workers)
    all_stats = {p: compare_stats(runs[runs["preset"] == p]) for p in PRESETS}
    (args.out / "figures").mkdir(parents=True, exist_ok=True)
    figures(runs, all_stats, args.out / "figures", seeds, years)
    text = document(runs, all_stats, seeds, years, args.quick, time.perf_counter() - start)
    (args.out / "guide.md").write_text(text, encoding="utf-8")
    print(f"wrote {args.out / 'guide.md'} and {len(PRESETS) + 1} figures in {time.perf_counter() - start:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
