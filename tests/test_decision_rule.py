"""ODD 7.6.1: the provider decision rule is the exact maximiser of its utility."""

import numpy as np
import pytest

import sim


@pytest.mark.parametrize("altruism", [0.1, 0.3, 0.5, 0.8, 1.0])
@pytest.mark.parametrize("mu", [-52.0, -10.0, 0.0, 3.1, 8.0, 30.0])
@pytest.mark.parametrize("r", [0.5, 2.0, 4.0])
def test_closed_form_is_the_argmax(altruism, mu, r):
    b, cap = 60.0, 40.0
    e_star = float(sim.optimal_hours(r, altruism, mu, b, cap))
    grid = np.linspace(0.0, cap, 400_001)  # 0.0001 h resolution
    u = sim.provider_utility(grid, r, altruism, mu, b)
    e_grid = grid[np.argmax(u)]
    assert e_star == pytest.approx(e_grid, abs=2e-4), f"closed form {e_star} vs numeric argmax {e_grid}"


def test_directions_and_limits():
    r, b = 2.0, 60.0
    assert sim.optimal_hours(r, 0.6, 8.0, b) > r, "a positive margin per hour must over-provide"
    assert sim.optimal_hours(r, 0.6, -52.0, b) < r, "a cost per hour kept must under-provide"
    assert sim.optimal_hours(r, 0.6, 0.0, b) == r, "zero margin gives the client optimum"
    assert sim.optimal_hours(r, 1.0, 30.0, b) == r, "full altruism gives the client optimum"
    assert sim.optimal_hours(r, 0.0, 8.0, b, cap=5.0) == 5.0, "a pure profit-maximiser paid per hour goes to the cap"
    assert sim.optimal_hours(r, 0.0, -1.0, b) == 0.0, "a pure profit-maximiser with a fixed sum gives nothing"
