"""docs/validation.md agrees with the code: every case-mechanism test has its comparison
and its row, the comparisons switch what their tests switch, the doc states its command,
is a full run, and its figures exist. Fast: reads files, runs no simulation.
"""

import ast
import re
import sys
from pathlib import Path

import pytest

import sim

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "experiments"))

import calibrate_presets  # noqa: E402
import mechanisms  # noqa: E402
import validation  # noqa: E402

DOC = ROOT / "docs" / "validation.md"
MECHANISM_TESTS = ROOT / "tests" / "test_mechanisms.py"


def _test_functions(path: Path) -> dict[str, str]:
    """Test function name -> its source text."""
    text = path.read_text(encoding="utf-8")
    tree = ast.parse(text)
    return {
        node.name: ast.get_source_segment(text, node)
        for node in tree.body
        if isinstance(node, ast.FunctionDef) and node.name.startswith("test_")
    }


def _cells(row: str) -> list[str]:
    """The cells of a Markdown table row (escaped pipes stay inside a cell)."""
    return [c.strip() for c in re.split(r"(?<!\\)\|", row.strip().strip("|"))]


def _section(text: str, name: str) -> str:
    match = re.search(rf"<!-- {name}:start -->\n(.*?)<!-- {name}:end -->", text, re.S)
    assert match, f"docs/validation.md has no <!-- {name}:start --> ... <!-- {name}:end --> block"
    return match.group(1)


@pytest.fixture(scope="module")
def doc() -> str:
    assert DOC.exists(), f"{DOC} is missing; run `{validation.COMMAND}`"
    return DOC.read_text(encoding="utf-8")


def test_every_mechanism_test_has_a_comparison():
    tests = set(_test_functions(MECHANISM_TESTS))
    assert len(tests) >= 20, f"expected the case-mechanism tests in {MECHANISM_TESTS}, found {len(tests)}"
    defined = {m.function for m in mechanisms.MECHANISMS if m.test.startswith("test_mechanisms.py::")}
    missing = sorted(tests - defined)
    assert not missing, f"tests without a comparison in experiments/mechanisms.py: {missing}"
    stale = sorted(defined - tests)
    assert not stale, f"comparisons in experiments/mechanisms.py whose test no longer exists: {stale}"


def _string_literals(source: str) -> set[str]:
    return {n.value for n in ast.walk(ast.parse(source)) if isinstance(n, ast.Constant) and isinstance(n.value, str)}


def test_tests_run_the_arms_of_their_declaration():
    """A test reads its mechanism from sim/mechanisms.py (the one declaration that
    docs/validation.md reports) and compares the arms that declaration reports."""
    sources = {
        "test_mechanisms.py": _test_functions(MECHANISM_TESTS),
        "test_incentives.py": _test_functions(ROOT / "tests" / "test_incentives.py"),
    }
    for m in mechanisms.MECHANISMS:
        file, _, name = m.test.partition("::")
        assert name in sources.get(file, {}), f"{m.test}: no such test"
        source = sources[file][name]
        assert "declared(" in source or "of_test(" in source, f"{m.test} must read its arms from sim/mechanisms.py"
        literals = _string_literals(source)
        used = [m.arms[a] for a in m.arms if a in literals]
        for arm in m.arms:
            if arm.startswith("step") or (arm in ("off", "on") and "path()" in source):
                assert "path()" in source, f"{m.test} must compare the steps of its declaration (m.path())"
            else:  # by name, or an arm with the same overrides (a limit arm that is the off arm)
                assert m.arms[arm] in used, f"{m.test} does not compare the arm {arm!r} its declaration reports"
        for arm in m.checks:
            assert arm in literals, f"{m.test} declares the check arm {arm!r} but does not compare it"
        if m.expect != "equal":  # an "equal" comparison's test compares whole tables
            assert ".metric" in source or m.metric in source, f"{m.test} does not use the metric {m.metric!r}"


def test_mechanism_arms_run():
    """Every declared arm is a valid scenario (the loader checks every value)."""
    for m in mechanisms.MECHANISMS:
        for arm in [*m.arms, *m.checks]:
            sim.load_scenario(m.scenario, **m.arm(arm))


def test_every_mechanism_test_has_a_row_in_the_doc(doc):
    table = _section(doc, "mechanisms")
    rows = [line for line in table.splitlines() if line.startswith("| ") and not line.startswith("| #")]
    assert len(rows) == len(mechanisms.MECHANISMS), (
        f"the mechanism table has {len(rows)} rows, experiments/mechanisms.py defines {len(mechanisms.MECHANISMS)}; "
        f"rerun `{validation.COMMAND}`"
    )
    for name in _test_functions(MECHANISM_TESTS):
        assert f"test_mechanisms.py::{name}`" in table, f"no row for test_mechanisms.py::{name} in docs/validation.md"
    for row in rows:
        cells = _cells(row)
        assert cells[1] in mechanisms.CASES, f"row {cells[0]}: unknown case {cells[1]!r}"
        assert re.search(r"\d", cells[6]) and re.search(r"\d", cells[7]), f"row {cells[0]}: off/on without figures"


def test_the_doc_states_its_command_and_is_a_full_run(doc):
    assert f"Generated by `{validation.COMMAND}`" in doc, "docs/validation.md must name the command that makes it"
    assert "mode `full`" in doc, f"docs/validation.md is not from a full run; rerun `{validation.COMMAND}`"
    assert f"sim {sim.__version__}" in doc, (
        f"docs/validation.md was made with another sim version than {sim.__version__}"
    )
    assert re.search(r"git [0-9a-f]{40}", doc), "the provenance line must give the git commit"


def test_figures_exist_and_are_referenced(doc):
    figures = (validation.FIG_MECHANISMS, validation.FIG_FACTS, validation.evidence.FIGURE)
    for fig in figures:
        assert fig.exists() and fig.stat().st_size > 10_000, f"figure {fig} is missing or empty"
        assert f"figures/{fig.name}" in doc, f"docs/validation.md does not show {fig.name}"
    shown = set(re.findall(r"\]\(figures/([^)]+)\)", doc))
    missing = sorted(n for n in shown if not (ROOT / "docs" / "figures" / n).exists())
    assert not missing, f"docs/validation.md shows figures that do not exist: {missing}"


def test_every_stylised_fact_has_a_verdict(doc):
    rows = [r for r in _section(doc, "facts").splitlines() if r.startswith("| ") and not r.startswith("| #")]
    assert len(rows) >= 10, f"expected at least 10 stylised facts, found {len(rows)}"
    for row in rows:
        verdict = _cells(row)[4].strip("*")
        assert verdict in validation.VERDICTS, (
            f"fact row {row[:60]!r}...: verdict {verdict!r} not in {validation.VERDICTS}"
        )
    assert "the awkward one" in doc.lower(), "the unmet-need fact under FFS against the lump sum must be discussed"


def test_calibration_fit_covers_every_preset():
    text = (ROOT / "docs" / "calibration_fit.md").read_text(encoding="utf-8")
    for name in sim.list_scenarios():
        assert name in calibrate_presets.PLANS, f"preset {name} has no plan in experiments/calibrate_presets.py"
        assert f"\n## {name}\n" in text, f"docs/calibration_fit.md has no section for preset {name}"
    assert "preset = fitted" in text, "docs/calibration_fit.md must say whether each preset holds its fitted value"


def test_readme_lists_the_command():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert validation.COMMAND in readme, f"README.md's research tools must list `{validation.COMMAND}`"
