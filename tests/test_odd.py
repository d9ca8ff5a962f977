"""docs/odd.md and the code name each other: every rule its ODD section, every section
its rule, every rule its name in the document, every parameter and summary key its
definition."""

import inspect
import re
from pathlib import Path

import sim
from sim import (
    access,
    agents,
    care,
    carers,
    contracts,
    decision,
    funding,
    invariants,
    market,
    money,
    need,
    outputs,
    setup,
    state,
    supply,
    volunteers,
    year_end,
)
from sim.metrics import SUMMARY_KEYS
from sim.model import WEEKLY, CareModel
from sim.params import PARAMS

ODD = (Path(__file__).resolve().parents[1] / "docs" / "odd.md").read_text(encoding="utf-8")
HEADINGS = dict(re.findall(r"^#{2,4} (\d+(?:\.\d+)*) (.+)$", ODD, flags=re.M))

#: The modules that hold the rules, each named after what it models.
RULE_MODULES = {
    m.__name__.split(".")[-1]: m
    for m in (
        need,
        access,
        carers,
        care,
        supply,
        money,
        volunteers,
        year_end,
        market,
        invariants,
        outputs,
        setup,
        contracts,
        decision,
        funding,
    )
}
#: The classes whose methods are rules too: the model, and the funding models' parts.
RULE_CLASSES = {
    "CareModel": CareModel,
    **{
        name: cls
        for name, cls in inspect.getmembers(funding, inspect.isclass)
        if cls.__module__ == funding.__name__
        and (issubclass(cls, funding.FundingModel) or name.endswith(("Entry", "Assessment")))
    },
}


def _rule_functions():
    for mod_name, mod in RULE_MODULES.items():
        for name, fn in inspect.getmembers(mod, inspect.isfunction):
            if fn.__module__ == mod.__name__ and not name.startswith("_"):
                yield f"{mod_name}.{name}", fn


def test_every_rule_names_an_existing_odd_section():
    for qual, fn in _rule_functions():
        doc = inspect.getdoc(fn) or ""
        cited = re.findall(r"ODD (\d+(?:\.\d+)*)", doc)
        assert cited, f"{qual}: its docstring must name the ODD section it implements"
        for sec in cited:
            assert sec in HEADINGS, f"{qual} cites ODD {sec}, which docs/odd.md does not have"


def test_every_rule_is_named_in_the_odd():
    missing = [qual for qual, _ in _rule_functions() if f"`{qual}`" not in ODD]
    assert not missing, f"docs/odd.md must name every rule as `module.function`; missing: {missing}"


def test_every_funding_method_names_an_odd_section():
    for cls_name, cls in RULE_CLASSES.items():
        if cls is CareModel:
            continue
        for name, fn in vars(cls).items():
            if callable(fn) and not name.startswith("_") and name != "make_entry":
                doc = inspect.getdoc(fn) or ""
                assert re.search(r"ODD (\d+(?:\.\d+)*)", doc), (
                    f"{cls_name}.{name}: its docstring must name its ODD section"
                )


def _owners() -> dict:
    """What a code name in the ODD may start with: the rule modules and classes, the state
    and agent classes, and a model instance (for its attributes)."""
    model = CareModel("default", rng=1, years=1)
    named = {"state": state, "Municipality": agents.Municipality, "Provider": agents.Provider, "Client": agents.Client}
    return {**RULE_MODULES, **RULE_CLASSES, **named, "CareModel": model}


def test_every_submodel_section_names_code_that_exists():
    sections = re.split(r"^(#{3,4} 7\.\d+(?:\.\d+)? .+)$", ODD, flags=re.M)
    owners = _owners()
    pattern = r"`((?:" + "|".join(owners) + r")\.[A-Za-z_]+)`"
    checked = 0
    for head, body in zip(sections[1::2], sections[2::2], strict=True):
        names = re.findall(pattern, body)
        nested = re.search(r"^#### ", body, flags=re.M)
        if not names and nested:
            continue  # a parent section whose subsections name the code
        assert names, f"ODD section {head!r} must name the function(s) that implement it"
        for n in names:
            owner, attr = n.split(".")
            assert hasattr(owners[owner], attr), f"ODD section {head!r} names {n}, which does not exist"
        checked += 1
    assert checked >= 20, f"expected the submodels of section 7 to be documented, found {checked}"


def test_every_code_name_in_the_odd_exists():
    owners = _owners()
    pattern = r"`((?:" + "|".join(owners) + r")\.[A-Za-z_]+)(?:\(\))?`"
    stale = sorted({n for n in re.findall(pattern, ODD) if not hasattr(owners[n.split(".")[0]], n.split(".")[1])})
    assert not stale, f"docs/odd.md names code that does not exist: {stale}"


def test_every_parameter_and_metric_is_documented():
    for p in PARAMS:
        assert f"`{p.name}`" in ODD, f"parameter {p.name} must appear in docs/odd.md (section 10)"
    for key in SUMMARY_KEYS:
        assert f"`{key}`" in ODD, f"summary key {key} must be defined in docs/odd.md (section 8)"
    for col in WEEKLY:
        assert f"`{col}`" in ODD, f"weekly reporter {col} must be defined in docs/odd.md (section 8)"


def test_public_api_is_documented():
    for name in sim.__all__:
        obj = getattr(sim, name)
        if callable(obj) and not name.startswith("_"):
            assert inspect.getdoc(obj), f"sim.{name} needs a docstring"


def test_parameter_table_is_current():
    import importlib.util

    path = Path(__file__).resolve().parents[1] / "experiments" / "odd_tables.py"
    spec = importlib.util.spec_from_file_location("odd_tables", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    assert mod.params_table() in ODD, (
        "docs/odd.md section 10 differs from sim/params.py: run `python experiments/odd_tables.py --params`"
    )
