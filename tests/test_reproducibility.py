"""One seed fixes everything, the network included (style.md 'One source of randomness')."""

import networkx as nx
import numpy as np
import pandas as pd
import pytest

import sim
from sim.network import watts_strogatz_edges


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


def test_adjacency_is_the_graph():
    """The sparse matrix the rules use and the networkx graph of the Mesa space agree."""
    lay = sim.CareModel("default", rng=3).layout
    want = nx.to_scipy_sparse_array(lay.graph, nodelist=range(lay.n_nodes), dtype=np.float32, format="csr")
    assert (want != lay.adjacency).nnz == 0, "adjacency must equal the graph's adjacency matrix"
    assert set(np.unique(lay.adjacency.data)) == {1.0}, "every tie must weigh 1, a carer who is also a friend too"
