"""Render the benchmark results as the Markdown of ``docs/performance.md``."""

from __future__ import annotations

import statistics
from typing import Any

from benchmarks import parallel
from benchmarks.workers import COMPARE_KEYS, KERNEL_OPS


def table(header: list[str], rows: list[list[Any]], align: str | None = None) -> str:
    """A Markdown table; ``align`` is one of l/r per column (default: first l, rest r)."""
    align = align or "l" + "r" * (len(header) - 1)
    sep = ["---:" if a == "r" else "---" for a in align]
    lines = ["| " + " | ".join(header) + " |", "| " + " | ".join(sep) + " |"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def _s(x: float) -> str:
    return f"{x:.3f}" if x < 10 else f"{x:.1f}"


def _n(x: float) -> str:
    return f"{x:,.0f}"


def _pct(x: float) -> str:
    return f"{100 * x:.1f}%"


def render(res: dict[str, Any]) -> str:
    """The whole report."""
    parts = [
        _header(res),
        _targets(res),
        _runs(res),
        _profile(res),
        _scaling(res),
        _classic(res),
        _kernel(res),
        _next(res),
        parallel.section(res["parallel"]) if "parallel" in res else "",
    ]
    return "\n\n".join(p for p in parts if p) + "\n"


def _header(res: dict[str, Any]) -> str:
    info = res["info"]
    mode = "quick (1 run each; development only)" if res["quick"] else "full"
    rows = [
        ["date", info["date"]],
        ["command", f"`{res['command']}` (from the repository root; {mode})"],
        ["benchmark wall time", f"{res['elapsed_s'] / 60:.1f} min"],
        ["CPU", info["cpu"]],
        ["cores", info["cores"]],
        ["RAM", info["ram"]],
        ["load average (1/5/15 min)", f"{info['load_start']} at the start, {info['load_end']} at the end"],
        ["OS", info["os"]],
        ["Python", info["python"]],
        ["numpy / Mesa", f"{info['numpy']} / {info['mesa']}"],
        ["networkx / scipy", f"{info['networkx']} / {info['scipy']}"],
        ["git", info["git"]],
        ["sim/ source digest", f"`{info['sim_digest']}` (sha256 of sim/*.py and scenarios)"],
    ]
    return (
        "# Performance\n\n"
        "Written by `python -m benchmarks` (the `benchmarks/` package); the file is rewritten on every"
        " full run, so do not edit it by hand. Each measurement runs in a fresh `spawn` child process,"
        " one at a time; wall times are `time.perf_counter` inside the child around the measured call"
        " (imports excluded, model set-up included); peak memory is the child's own `ru_maxrss`.\n\n"
        + table(["", ""], rows, "ll")
    )


def _targets(res: dict[str, Any]) -> str:
    rows = [[t["name"], t["goal"], t["shown"], "PASS" if t["pass"] else "**FAIL**"] for t in res["targets"]]
    n_pass = sum(t["pass"] for t in res["targets"])
    return (
        "## Targets\n\n"
        + table(["target", "goal", "measured", ""], rows, "llrl")
        + f"\n\n{n_pass} of {len(res['targets'])} targets pass. Throughput is agent-steps per second of"
        " wall time with set-up included; the classic reference runs on `default` (throughput per"
        " agent-step is what is compared; see section 4). Times are medians over runs."
    )


def _runs(res: dict[str, Any]) -> str:
    m = res["measured"]
    rows = []
    for key in ("default", "lelystad", "city"):
        c = m[key]
        rows.append(
            [
                c["case"].label,
                c["runs"],
                f"{_s(c['wall_s'])} ({_s(c['wall_min'])}-{_s(c['wall_max'])})",
                _s(c["network_s"]),
                _s(c["agents_s"]),
                _s(c["loop_s"]),
                _s(c["outputs_s"]),
                _n(c["agent_steps"]),
                _n(c["throughput"]),
                _n(c["loop_throughput"]),
                f"{c['peak_rss_mb']:.0f} ({c['base_rss_mb']:.0f})",
                f"{c['cpu_share']:.2f}",
            ]
        )
    city_note = (
        f"One 900k run took {res['city_first_s']:.1f} s (over {60:.0f} s would have meant 3 runs instead of 5),"
        f" so it was measured {m['city']['runs']} times."
    )
    scen = "\n".join(f"- {m[k]['case'].label}: {m[k]['case'].describe()}" for k in ("default", "lelystad", "city"))
    return (
        "## 1. Wall time, throughput and peak memory\n\n"
        f"Scenarios, each 10 years (520 weeks), seeds `rng=0..n-1`:\n\n{scen}\n\n"
        + table(
            [
                "scenario",
                "runs",
                "wall s (min-max)",
                "network s",
                "agents s",
                "weekly loop s",
                "outputs s",
                "agent-steps",
                "agent-steps/s",
                "loop agent-steps/s",
                "peak RSS MB (after imports)",
                "CPU / wall",
            ],
            rows,
        )
        + "\n\nWall is `sim.run(...)`: model construction (network generation = `network s`, agents and"
        " columns = `agents s`, from `RunResult.timing`), the weekly loop (`CareModel.run`), then the"
        " output tables and summary (`outputs s`, the remainder). Agent-steps are clients with a need,"
        " carers and active volunteers alive, summed over weeks (`RunResult.agent_steps`); `agent-steps/s`"
        " divides by the whole wall time, `loop agent-steps/s` by the weekly loop only. Peak RSS is the"
        " child's peak; in brackets the peak after importing `sim` and before the run. All figures are"
        f" medians over runs. {city_note} `CPU / wall` is the child's CPU time over its wall time; well"
        " below 1 means the run waited for a core (other work on the machine, see the load average above)."
    )


def _profile(res: dict[str, Any]) -> str:
    prof = res["profile"]
    step = prof["step_s"]
    top = prof["top"]
    order = sorted(top, key=lambda k: -top[k][0])
    rows = [[f"`{k}`", top[k][1], f"{top[k][0]:.3f}", _pct(top[k][0] / step)] for k in order if top[k][1]]
    other = step - sum(v[0] for v in top.values())
    rows.append(["other (step body, between the wrapped calls)", prof["weeks"], f"{other:.3f}", _pct(other / step)])
    rows.append(["**step total**", prof["weeks"], f"**{step:.3f}**", "100%"])
    nested = prof["nested"]
    nrows = [
        [f"`{k}`", nested[k][1], f"{nested[k][0]:.3f}", _pct(nested[k][0] / step)]
        for k in sorted(nested, key=lambda k: -nested[k][0])
    ]
    chk = res["profile_check"]
    chk_s, chk_calls = chk["top"].get("CareModel.check_invariants", (0.0, 0))
    not_called = [k for k in prof["top_order"] if top.get(k, (0, 0))[1] == 0]
    missing = prof["missing"]
    cp = res["cprofile"]
    crow = [[f"`{w}`", _n(nc), f"{tt:.3f}", f"{ct:.3f}"] for w, nc, tt, ct in cp["rows"]]
    lely = res["measured"]["lelystad"]["case"]
    setup = res["setup_city"]
    # build_network first, then its parts (indented labels), then the rest, each in call order
    order = sorted(setup["parts"], key=lambda k: 0 if k.startswith("build_network") else (1 if k[0] == " " else 2))
    srows = [
        [
            k.replace("  ", "- ", 1) if k.startswith("  ") else k,
            f"{setup['parts'][k]:.3f}",
            _pct(setup["parts"][k] / setup["total_s"]),
        ]
        for k in order
    ]
    srows.append(["**`CareModel(...)` total**", f"**{setup['total_s']:.3f}**", "100%"])
    if "space_s" in setup:
        srows.append(
            ["not in set-up: Mesa `Network` space and networkx graph, on first use", f"{setup['space_s']:.3f}", ""]
        )
    notes = []
    if not_called:
        notes.append("Not called in this run: " + ", ".join(f"`{k}`" for k in not_called) + ".")
    if missing:
        notes.append("Not found (renamed or removed in sim/): " + ", ".join(f"`{k}`" for k in missing) + ".")
    return (
        "## 2. Where the weekly step spends its time\n\n"
        f"One run of {lely.label} ({lely.describe()}, `rng=0`), 10 years, with a timing wrapper"
        " patched onto each process `CareModel.step` calls (`sim.<module>.<rule>`, `outputs.report`,"
        " `CareModel.check_invariants`, `DataCollector.collect`); sim/ itself is not changed. Sorted by time;"
        f" % of the summed step time ({step:.3f} s of {prof['wall_s']:.3f} s wall; set-up"
        f" {prof['network_s'] + prof['agents_s']:.3f} s).\n\n"
        + table(["process", "calls", "s", "% of step"], rows)
        + "\n\n"
        + " ".join(notes)
        + f"\n\n`check_invariants` is off in benchmark runs (the default). With `check_invariants=True` it"
        f" takes {chk_s:.3f} s over {chk_calls} weeks, {_pct(chk_s / chk['step_s'])} of that run's step time"
        f" ({chk['step_s']:.3f} s).\n\n"
        "Calls made inside the processes above (their time is already included in their caller's row):\n\n"
        + table(["function", "calls", "s", "% of step"], nrows)
        + f"\n\nThe same run under `cProfile` (which slows it down; {cp['total_s']:.2f} s of profiled time),"
        " functions by own time:\n\n"
        + table(["function", "calls", "own s", "cumulative s"], crow)
        + f"\n\nSet-up of the 900k city (`CareModel(...)` only, one build; network {setup['network_s']:.2f} s,"
        f" agents {setup['agents_s']:.2f} s; {setup['nodes']:,} nodes, {setup['edges']:,} edges):\n\n"
        + table(["part", "s", "% of set-up"], srows)
    )


def _scaling(res: dict[str, Any]) -> str:
    sc = res["scaling"]
    rows = [
        [
            p["case"].label,
            _n(p["population"]),
            p["districts"],
            p["runs"],
            _s(p["wall_s"]),
            _s(p["setup_s"]),
            _s(p["loop_s"]),
            _n(p["agent_steps"]),
            f"{p['ns_per_step']:.0f}",
            f"{p['loop_ns_per_step']:.0f}",
            _n(p["throughput"]),
        ]
        for p in sc["points"]
    ]
    f = sc["fit"]
    pops = ", ".join(f"{p['population'] // 1000}k" for p in sc["points"])
    return (
        "## 3. Scaling with population\n\n"
        f"10 years each, medians (the 20k, 80k and 900k rows are the runs of section 1). Populations: {pops}."
        " The number of districts grows with the town; the scenarios are those of section 1 (300k: `default`"
        " with population=300000, districts=8).\n\n"
        + table(
            [
                "case",
                "population",
                "districts",
                "runs",
                "wall s",
                "set-up s",
                "loop s",
                "agent-steps",
                "ns / agent-step (wall)",
                "ns / agent-step (loop)",
                "agent-steps/s",
            ],
            rows,
        )
        + "\n\nFitted exponents (least squares on log-log against population): wall time"
        f" **{f['wall']:.2f}**, weekly loop {f['loop']:.2f}, set-up {f['setup']:.2f}; agent-steps themselves"
        f" scale with exponent {f['agent_steps']:.2f}. An exponent below 1 means fixed per-week costs"
        " (Python and numpy call overhead) are being amortised over more agents."
    )


def _classic(res: dict[str, Any]) -> str:
    col = res["measured"]["default"]
    lely = res["measured"]["lelystad"]
    lib, inl = res["classic"]["library"], res["classic"]["inline"]

    def row(label: str, m: dict[str, Any], vs: str) -> list[Any]:
        return [label, m["runs"], _s(m["wall_s"]), _n(m["agent_steps"]), _n(m["throughput"]), vs]

    def ratio(m: dict[str, Any], digits: int = 1) -> str:
        return f"{m['throughput'] / lib['throughput']:.{digits}f}x"

    rows = [
        row("columnar `sim` (default)", col, ratio(col)),
        row("columnar `sim` (Lelystad scale)", lely, ratio(lely)),
        row("classic Mesa, `optimal_hours` per client (default)", lib, "1.0x"),
        row("classic Mesa, decision rule inlined in Python (default)", inl, ratio(inl, 2)),
    ]
    keys = [k for k in COMPARE_KEYS if k in col["summary"] and k in lib["summary"]]
    srows = [[k, f"{col['summary'][k]:.3g}", f"{lib['summary'][k]:.3g}", f"{inl['summary'][k]:.3g}"] for k in keys]
    return (
        "## 4. Classic-Mesa reference\n\n"
        "`benchmarks/classic.py` implements the same weekly rules the classic Mesa way: every client"
        " (one agent per care episode, as in `sim`), informal carer and volunteer is a `mesa.Agent` with"
        " its own Python attributes and `step()`, activated each week with"
        ' `model.agents_by_type[Cls].shuffle_do("step")` (staged where a rule needs a second pass:'
        " `seek_help`, `supply`, `settle`, `give`); providers and the municipality are agents too. Hidden"
        " clients count their networkx neighbours in contact with care; providers call"
        " `sim.funding.optimal_hours` per client with scalars; random numbers come from `model.random`"
        " (`mesa.Model(rng=seed)`). It runs on `default` for 10 years. The target compares throughput per"
        " agent-step, so the classic run on `default` is compared with the columnar run at Lelystad scale"
        " (the classic model's cost per agent-step does not fall with town size; the columnar one's does).\n\n"
        + table(["implementation", "runs", "wall s", "agent-steps", "agent-steps/s", "vs classic"], rows)
        + "\n\nThe second classic row replaces the numpy call `optimal_hours(r, a, mu, b, cap)` (about"
        " 10-20 us per scalar call) with the same closed form in plain Python, to show how much of the"
        " classic model's cost is numpy overhead on scalars rather than agent activation.\n\n"
        "Same rules, different random streams: the summaries agree in level, not draw for draw"
        " (medians over the runs above; the classic side uses `benchmarks.classic.classic_summary`, the"
        " definitions of `sim.metrics.summarise` written out). Features that are off in `default` and not"
        " implemented in the reference (output-based pricing, population budgets, personal budgets,"
        " a cashier) make it raise `NotImplementedError` rather than run something else.\n\n"
        + table(["metric", "columnar sim", "classic", "classic (inline rule)"], srows)
    )


def _kernel(res: dict[str, Any]) -> str:
    k = res["kernel"]
    lely = res["measured"]["lelystad"]
    kernel_s = statistics.median(k["times_s"])
    kns = res["kernel_ns"]
    return (
        "## 5. Bare numpy kernel\n\n"
        f"{KERNEL_OPS} elementwise float64 operations per agent per week (each allocating its result, as"
        f" numpy expressions in the rules do), over {k['n_agents']:,} agents (agent-steps / weeks of the"
        f" Lelystad run) for {k['weeks']} weeks, median of {len(k['times_s'])} repeats in one child:"
        f" {kernel_s:.3f} s, **{kns:.1f} ns per agent-step**.\n\n"
        + table(
            ["", "ns / agent-step", "x kernel"],
            [
                ["Lelystad, wall (set-up included)", f"{lely['ns_per_step']:.0f}", f"{lely['ns_per_step'] / kns:.1f}x"],
                [
                    "Lelystad, weekly loop only",
                    f"{lely['loop_ns_per_step']:.0f}",
                    f"{lely['loop_ns_per_step'] / kns:.1f}x",
                ],
                ["bare kernel", f"{kns:.1f}", "1.0x"],
            ],
        )
        + f"\n\nAt {k['n_agents']:,} agents one numpy call costs about"
        f" {1e6 * kernel_s / (k['weeks'] * KERNEL_OPS):.1f} us, so even the kernel is mostly call overhead;"
        " the model makes many more calls per week than 20." + _floor(res)
    )


def _floor(res: dict[str, Any]) -> str:
    """The Mesa parts' cost per agent-step of the Lelystad run, against the kernel."""
    f = res.get("mesa_floor")
    if not f:
        return ""
    lely = res["measured"]["lelystad"]
    steps, kns = lely["agent_steps"], res["kernel_ns"]
    sec = f["seconds"]
    parts = [
        (f"create {f['created']:,} `mesa.Agent`s (a client per episode, carers, volunteers, providers)", "create"),
        (f"remove {f['removed']:,} of them (episodes ended, volunteers left, providers replaced)", "remove"),
        (f"`DataCollector.collect` of {f['reporters']} weekly reporters, {f['weeks']} times", "collect"),
        (f"{f['weeks']} steps of an empty `mesa.Model`", "step"),
    ]
    rows = [
        [name, f"{sec[key]:.3f}", f"{1e9 * sec[key] / steps:.0f}", f"{1e9 * sec[key] / steps / kns:.1f}x"]
        for name, key in parts
    ]
    total = sum(sec.values())
    rows.append(
        [
            "**Mesa alone**",
            f"**{total:.3f}**",
            f"**{1e9 * total / steps:.0f}**",
            f"**{1e9 * total / steps / kns:.1f}x**",
        ]
    )
    budget = 4 * kns
    mesa_ns = 1e9 * total / steps
    k = res["kernel"]
    call_us = 1e6 * statistics.median(k["times_s"]) / (k["weeks"] * KERNEL_OPS)
    left_us = max(budget - mesa_ns, 0.0) * 1e-3 * steps / lely["weeks"]
    share = mesa_ns / budget
    if share >= 1:
        verdict = (
            "Mesa's parts alone exceed the budget: with a Mesa agent per client episode and Mesa's data"
            " collector, as the design asks, no speed-up of the rules can meet the target at this town size."
        )
    elif "calls" in res.get("cprofile", {}) and left_us / call_us < res["cprofile"]["calls"] / lely["weeks"]:
        per_week = res["cprofile"]["calls"] / lely["weeks"]
        verdict = (
            f"The model now makes {per_week:,.0f} function calls per week (the cProfile run of section 2 over"
            " its weeks, numpy's included, array operators not), most of them numpy: with a Mesa agent per"
            " client episode and Mesa's data collector, as the design asks, only a weekly step compiled as a"
            " whole could meet the target at this town size."
        )
    else:
        verdict = "That leaves room for the rules as numpy calls; the gap is in the rules, not in Mesa."
    return (
        "\n\n### What Mesa's own parts cost\n\n"
        "The same Lelystad run's Mesa work with no model rules at all (`benchmarks.workers.mesa_floor`: bare"
        " agents, the model's `DataCollector`, an empty `mesa.Model`; median of"
        f" {f.get('repeats', len(k['times_s']))} repeats), per agent-step of that run ({steps:,.0f}):\n\n"
        + table(["part", "s", "ns / agent-step", "x kernel"], rows)
        + f"\n\nThe 4x target allows {budget:.0f} ns per agent-step for everything. Mesa's parts alone take"
        f" {mesa_ns:.0f} ns of it ({share:.0%}). What is left is {left_us:.0f} us per week (set-up spread over"
        f" the weeks) for set-up, sixteen weekly processes and the providers' decisions: about"
        f" {left_us / call_us:.0f} numpy calls at the kernel's {call_us:.1f} us a call. {verdict} The columns,"
        " not the agents, are what scale: per agent-step the loop gets cheaper as the town grows (section 3)."
    )


def _next(res: dict[str, Any]) -> str:
    prof = res["profile"]
    step = prof["step_s"]
    top = sorted(prof["top"].items(), key=lambda kv: -kv[1][0])
    lead = ", ".join(f"`{k}` ({_pct(v[0] / step)})" for k, v in top[:3])
    nested = sorted(prof["nested"].items(), key=lambda kv: -kv[1][0])
    nest = ", ".join(f"`{k}` ({v[0]:.2f} s, {v[1]:,} calls)" for k, v in nested[:3])
    cp = res["cprofile"]["rows"][:3]
    own = ", ".join(f"`{w}` ({tt:.2f} s)" for w, _nc, tt, _ct in cp)
    city = res["measured"]["city"]
    setup = res["setup_city"]
    top_parts = sorted(
        ((k.replace(" (total)", ""), v) for k, v in setup["parts"].items() if not k.startswith(" ")),
        key=lambda kv: -kv[1],
    )
    sub = sorted(((k.strip(), v) for k, v in setup["parts"].items() if k.startswith(" ")), key=lambda kv: -kv[1])
    setup_text = ", ".join(f"`{k}` {v:.1f} s" for k, v in top_parts[:2])
    if sub:
        setup_text += " (within `build_network`: " + ", ".join(f"`{k}` {v:.1f} s" for k, v in sub) + ")"
    m = res["measured"]
    small, large = m["default"], m["city"]
    return (
        "## Next bottleneck\n\n"
        f"At Lelystad scale the weekly step is dominated by {lead} of step time; inside them {nest}."
        f" Under cProfile the most own time goes to {own}. The per-agent-step cost falls from"
        f" {small['loop_ns_per_step']:.0f} ns (loop, 20k) to {large['loop_ns_per_step']:.0f} ns (900k): at"
        " town sizes the loop is bound by per-call overhead (Python, numpy dispatch, per-event agent"
        " objects), not by arithmetic on the columns. At 900k, set-up is"
        f" {_pct(city['setup_s'] / city['wall_s'])} of the wall time ({city['setup_s']:.1f} s of"
        f" {city['wall_s']:.1f} s); the largest parts of one build are {setup_text}."
        " These numbers are regenerated on every run; read the tables above rather than this paragraph"
        " if they disagree with it."
    )
