"""One seed fixes everything, the network included (style.md 'One source of randomness')."""

import networkx as nx
import numpy as np
import pandas as pd
import pytest

import sim
from sim.network import build_network, watts_strogatz_edges


def test_same_seed_same_tables():
    a = sim.run("default", rng=7, years=3, funding="lump_sum")
    b = sim.run("default", rng=7, years=3, funding="lump_sum")
    pd.testing.assert_frame_equal(a.weekly, b.weekly, obj="weekly table for the same seed")
    pd.testing.assert_frame_equal(a.clients, b.clients, obj="client table for the same seed")
    assert a.summary == b.summary, "same seed must give the same summary"


def test_other_seed_other_tables():
    a = sim.run("default", rng=7, years=3)
    c = sim.run("default", rng=8, years=3)
    assert not a.weekly.equals(c.weekly), "a different seed should give a different weekly table"
    assert len(a.clients) != len(c.clients) or not a.clients.equals(c.clients), (
        "a different seed should give a different client table"
    )


def test_network_is_seeded():
    g1 = sim.CareModel("default", rng=11).layout.graph
    g2 = sim.CareModel("default", rng=11).layout.graph
    g3 = sim.CareModel("default", rng=12).layout.graph
    assert nx.utils.graphs_equal(g1, g2), "the same seed must build the same network"
    assert not nx.utils.graphs_equal(g1, g3), "another seed should build another network"


def test_replicate_seeds_are_common_random_numbers():
    assert sim.replicate_seeds(5, 4) == sim.replicate_seeds(5, 4), "replicate seeds must be deterministic"
    assert sim.replicate_seeds(5, 4)[:2] == sim.replicate_seeds(5, 2), "replicate i must not depend on n"
    assert len(set(sim.replicate_seeds(5, 50))) == 50, "replicate seeds must differ"


@pytest.mark.parametrize("n", [5, 12, 200])
@pytest.mark.parametrize("k", [2, 4])
@pytest.mark.parametrize("p", [0.0, 0.1, 0.6, 1.0])
def test_small_world_ties_equal_networkx(n, k, p):
    """sim.network builds the Watts-Strogatz ties itself (for speed); they must be the
    graph networkx.watts_strogatz_graph draws from the same seed, tie for tie."""
    for seed in (1, 2, 3):
        want = nx.watts_strogatz_graph(n, k, p, seed=seed)
        edges = watts_strogatz_edges(n, k, p, seed)
        got = nx.Graph()
        got.add_nodes_from(range(n))
        got.add_edges_from(edges.tolist())
        assert len(edges) == want.number_of_edges(), f"n={n} k={k} p={p} seed={seed}: each tie must be listed once"
        assert nx.utils.graphs_equal(got, want), f"n={n} k={k} p={p} seed={seed}: ties differ from networkx"


CARER_IS_FRIEND = {"carer_probability": 1.0, "ties_per_resident": 30, "neighbourhoods_per_district": 200}


@pytest.mark.parametrize("overrides", [{}, {"ties_per_resident": 2, "tie_rewiring": 0.9}, CARER_IS_FRIEND])
def test_adjacency_equals_the_networkx_construction(overrides):
    """The sparse matrix the rules use must be the one the plain networkx route gives:
    the Watts-Strogatz graph relabelled onto the neighbourhood ring, plus a tie from each
    carer to the resident they care for, as a 0/1 matrix (a carer who is also a friend
    is one tie)."""
    p = sim.load_scenario("default", population=3000, **overrides)
    rng = np.random.default_rng(5)
    lay = build_network(
        round(p.population * p.at_risk_share),
        p.carer_probability,
        round(p.population * p.volunteer_pool_share),
        p.districts,
        p.neighbourhoods_per_district,
        p.ties_per_resident,
        p.tie_rewiring,
        rng,
    )
    n = lay.n_nodes
    # the same draws, in the same order, as build_network makes them
    rng = np.random.default_rng(5)
    n_nbhd = p.districts * p.neighbourhoods_per_district
    rng.random(lay.n_residents)
    rng.integers(0, n_nbhd, lay.n_residents)
    rng.integers(0, n_nbhd, lay.n_volunteer_slots)
    seed = int(rng.integers(2**31 - 1))
    ws = nx.watts_strogatz_graph(n, p.ties_per_resident, p.tie_rewiring, seed=seed)
    g = nx.relabel_nodes(ws, dict(enumerate(lay.ring.tolist())))
    both = sum(g.has_edge(c, r) for c, r in zip(lay.carer_of.tolist(), lay.carer_nodes.tolist(), strict=True))
    if overrides is CARER_IS_FRIEND:
        assert both > 0, "this case must have carers who are also a social tie of the one they care for"
    g.add_edges_from(zip(lay.carer_of.tolist(), lay.carer_nodes.tolist(), strict=True))
    want = nx.to_scipy_sparse_array(g, nodelist=range(n), dtype=np.float32, format="csr")
    assert (want != lay.adjacency).nnz == 0, f"{overrides}: adjacency differs from the networkx construction"
    assert set(np.unique(lay.adjacency.data)) == {1.0}, f"{overrides}: every tie must weigh 1"
    assert nx.utils.graphs_equal(lay.graph, g), f"{overrides}: Layout.graph must be that graph"
