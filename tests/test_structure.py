"""The layout stays navigable: a funding model is behaviour in sim/funding.py, not flags
read elsewhere; functions and the model class stay short; a new resident column is one
line. Fast: reads the source, runs one short simulation."""

import ast
from pathlib import Path

import pandas as pd
import pytest

import sim
from sim.funding import FUNDING

SIM = Path(sim.__file__).resolve().parent

#: Attributes that select a funding model's behaviour: read only in sim/funding.py (the
#: flags of the old PaymentTerms, and the scenario switches of the institutional steps).
FUNDING_FLAGS = {
    "needs_assessment",
    "output_based",
    "by_district",
    "fixed_weekly",
    "uses_queue",
    "queued",
    "cashier",
    "assessment_queue",
    "walk_in",
    "provider_may_refuse",
    "may_refuse",
}
FUNDING_CLASSES = {cls.__name__ for cls in FUNDING.values()} | {
    "FundingModel",
    "DirectEntry",
    "Assessment",
    "CategoryAssessment",
}


def funding_branches(source: str) -> list[str]:
    """Places where code reads a funding flag, compares with a funding model's name, or
    asks which funding class it has: ``line: what``."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Attribute) and node.attr in FUNDING_FLAGS:
            found.append(f"{node.lineno}: .{node.attr}")
        elif isinstance(node, ast.Compare):
            for const in (n for n in ast.walk(node) if isinstance(n, ast.Constant)):
                if const.value in FUNDING:
                    found.append(f"{node.lineno}: compares with {const.value!r}")
        elif isinstance(node, ast.MatchValue) and getattr(node.value, "value", None) in FUNDING:
            found.append(f"{node.lineno}: matches {node.value.value!r}")
        elif isinstance(node, ast.Call) and getattr(node.func, "id", "") in ("isinstance", "issubclass"):
            names = {n.id for n in ast.walk(node.args[1]) if isinstance(n, ast.Name)} if len(node.args) > 1 else set()
            if names & FUNDING_CLASSES:
                found.append(f"{node.lineno}: {node.func.id}(..., {sorted(names & FUNDING_CLASSES)})")
    return found


def test_the_funding_check_finds_a_flag_branch():
    # the walker below must be able to fail: it finds each kind of branch it looks for
    source = """
if m.terms.needs_assessment:
    pass
x = 1 if p.funding == "lump_sum" else 2
ok = isinstance(m.funding, PopulationBudget)
"""
    found = funding_branches(source)
    assert len(found) == 3, f"expected the flag, the name and the class to be found, got {found}"


def test_no_funding_branch_outside_the_funding_classes():
    offenders = {
        path.name: found
        for path in sorted(SIM.rglob("*.py"))
        if path.name != "funding.py" and (found := funding_branches(path.read_text(encoding="utf-8")))
    }
    assert not offenders, (
        f"branches on a funding model outside sim/funding.py (move them into its classes): {offenders}"
    )


MAX_FUNCTION_LINES = 80
MAX_MODEL_LINES = 250
#: Functions of the engine developer's files that issue #10 shortens in their branch; the
#: lead deletes each entry as it goes (a stale entry fails below).
KNOWN_LONG: set[str] = set()


def _functions():
    for path in sorted(SIM.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                yield f"{path.relative_to(SIM)}::{node.name}", node.end_lineno - node.lineno + 1


def test_functions_are_short():
    lengths = dict(_functions())
    long = {name: n for name, n in lengths.items() if n > MAX_FUNCTION_LINES and name not in KNOWN_LONG}
    assert not long, f"functions over {MAX_FUNCTION_LINES} lines (split them by what they do): {long}"
    stale = sorted(name for name in KNOWN_LONG if lengths.get(name, 0) <= MAX_FUNCTION_LINES)
    assert not stale, f"no longer over {MAX_FUNCTION_LINES} lines: remove {stale} from KNOWN_LONG"


def test_the_model_class_is_short():
    tree = ast.parse((SIM / "model.py").read_text(encoding="utf-8"))
    (cls,) = (n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "CareModel")
    lines = cls.end_lineno - cls.lineno + 1
    assert lines <= MAX_MODEL_LINES, (
        f"CareModel has {lines} lines; it holds set-up, the step order and the agent life cycle"
        f" (at most {MAX_MODEL_LINES}): rules belong in their modules"
    )


def test_a_resident_column_is_one_line(monkeypatch):
    """A column declared in state.Residents with a client-table name is allocated, reset
    when an episode starts and shown in the client table, with no other change."""
    from dataclasses import field, make_dataclass

    from sim import state

    base = sim.run("default", rng=1, years=1)
    extra = make_dataclass(
        "Residents",
        [("hours_late", "np.ndarray", field(metadata=state.col(float, start=7.0, record="hours_late")))],
        bases=(state.Residents,),
        slots=True,
        eq=False,
    )
    monkeypatch.setattr(state, "Residents", extra)
    monkeypatch.setattr(sim.setup, "Residents", extra)
    r = sim.run("default", rng=1, years=1)
    assert "hours_late" in r.clients.columns, "the new column should reach the client table"
    assert (r.clients["hours_late"] == 7.0).all(), "the new column should hold its start value in every episode"
    pd.testing.assert_frame_equal(r.clients.drop(columns="hours_late"), base.clients, obj="the other columns")


@pytest.mark.parametrize("funding", ["fee_for_service", "output_based", "blended"])
def test_walk_in_has_no_door_where_the_assessment_is_the_way_in(funding):
    # the explicit rule (ODD 7.1): under an Assessment entry walk_in has no effect
    a = sim.run("default", rng=3, years=1, funding=funding)
    b = sim.run("default", rng=3, years=1, funding=funding, walk_in=True, walk_in_share=1.0)
    pd.testing.assert_frame_equal(a.clients, b.clients, obj=f"walk-in under {funding}")
    c = sim.run("default", rng=3, years=1, funding="lump_sum", walk_in=True, walk_in_share=1.0)
    d = sim.run("default", rng=3, years=1, funding="lump_sum")
    assert c.summary["unreached_share"] < d.summary["unreached_share"], "walk-in reaches more under direct entry"
