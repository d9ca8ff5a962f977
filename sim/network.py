"""The neighbourhood network (ODD 2.6 'Network' and 5 'Initialisation').

Nodes are people: at-risk residents, their informal carers and potential volunteers.
Neighbourhoods sit within districts. Social ties form a small-world graph whose ring
order follows district and neighbourhood, so most ties stay local; every carer is tied
to the resident they care for. One seed fixes the whole graph.
"""

from __future__ import annotations

from dataclasses import dataclass

import networkx as nx
import numpy as np
import scipy.sparse as sp


@dataclass
class Layout:
    """Who sits where: node ranges and each node's district and neighbourhood."""

    graph: nx.Graph
    adjacency: sp.csr_array
    n_residents: int
    n_carers: int
    n_volunteer_slots: int
    district: np.ndarray
    neighbourhood: np.ndarray
    carer_of: np.ndarray  # resident slot each carer cares for

    @property
    def carer_nodes(self) -> np.ndarray:
        return np.arange(self.n_residents, self.n_residents + self.n_carers)

    @property
    def volunteer_nodes(self) -> np.ndarray:
        start = self.n_residents + self.n_carers
        return np.arange(start, start + self.n_volunteer_slots)


def build_network(
    n_residents: int,
    carer_probability: float,
    n_volunteer_slots: int,
    districts: int,
    neighbourhoods_per_district: int,
    ties: int,
    rewiring: float,
    rng: np.random.Generator,
) -> Layout:
    """Build the seeded neighbourhood network (ODD 2.6, 5).

    Args:
        n_residents: at-risk residents (potential clients).
        carer_probability: chance a resident has an informal carer.
        n_volunteer_slots: people who may become volunteers.
        districts, neighbourhoods_per_district: the spatial structure.
        ties: mean social ties per person (Watts-Strogatz k, made even).
        rewiring: chance a tie is rewired to a random person anywhere in town.
        rng: the model's generator; the graph's seed is drawn from it.
    """
    has_carer = rng.random(n_residents) < carer_probability
    carer_of = np.flatnonzero(has_carer)
    n_carers = carer_of.size
    n = n_residents + n_carers + n_volunteer_slots
    n_nbhd = districts * neighbourhoods_per_district
    # Each person lives in a neighbourhood; carers live in the neighbourhood of the one
    # they care for. Nodes are placed on the ring sorted by neighbourhood.
    res_nbhd = rng.integers(0, n_nbhd, n_residents)
    vol_nbhd = rng.integers(0, n_nbhd, n_volunteer_slots)
    nbhd = np.concatenate([res_nbhd, res_nbhd[carer_of], vol_nbhd])
    ring = np.argsort(nbhd, kind="stable")  # ring position -> node
    k = max(2, ties - ties % 2)
    seed = int(rng.integers(2**31 - 1))
    k = min(k, n - 1 - (n - 1) % 2)
    ws = nx.watts_strogatz_graph(n, k, rewiring, seed=seed)
    graph = nx.relabel_nodes(ws, dict(enumerate(ring.tolist())), copy=True)
    graph.add_edges_from(zip(carer_of.tolist(), (n_residents + np.arange(n_carers)).tolist(), strict=False))
    adjacency = nx.to_scipy_sparse_array(graph, nodelist=range(n), dtype=np.float32, format="csr")
    return Layout(
        graph=graph,
        adjacency=adjacency,
        n_residents=n_residents,
        n_carers=n_carers,
        n_volunteer_slots=n_volunteer_slots,
        district=nbhd // neighbourhoods_per_district,
        neighbourhood=nbhd,
        carer_of=carer_of,
    )
