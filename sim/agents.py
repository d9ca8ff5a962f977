"""The Mesa agents (ODD 2, 'Entities').

Clients, informal carers and volunteers are Mesa agents with an identity and a node
(cell) on the neighbourhood network. Their numbers live in numpy columns that the
model owns (``model.res``, ``model.car``, ``model.vol``); an agent reads them through
its properties, so ``client.need`` is always the current value. The weekly rules in
``rules.py`` work on whole columns; agent objects are created and removed only when an
event happens to them. Providers and the municipality are few, and hold their own state.
"""

from __future__ import annotations

from collections import deque

from mesa import Agent


class _Columnar(Agent):
    """A person whose numeric state is row ``idx`` of one of the model's column tables.

    Its place is node ``node`` of the network; ``cell`` is that node's cell in
    ``model.space`` (a ``mesa.discrete_space.Network``). The agent is not registered in
    the cell, so creating and removing agents at events stays cheap.
    """

    _table = ""

    def __init__(self, model, idx: int, node: int):
        super().__init__(model)
        self.idx = int(idx)
        self.node = int(node)

    @property
    def cell(self):
        """The agent's cell on the neighbourhood network."""
        return self.model.space[self.node]

    def _col(self, name):
        return getattr(getattr(self.model, self._table), name)[self.idx]


class Client(_Columnar):
    """A resident with a support need (ODD 2.1). One agent per care episode."""

    _table = "res"

    @property
    def need(self) -> float:
        """Hours per week of support that would keep this client stable."""
        return float(self._col("need"))

    @property
    def self_reliance(self) -> float:
        """Score 1-5, as in the Dutch self-reliance matrix."""
        return float(self._col("sr"))

    @property
    def asks_for_help(self) -> bool:
        return bool(self._col("asker"))

    @property
    def district(self) -> int:
        return int(self.model.layout.district[self.idx])

    @property
    def neighbourhood(self) -> int:
        return int(self.model.layout.neighbourhood[self.idx])

    @property
    def owner(self):
        """The provider responsible for this client, or None."""
        o = int(self._col("owner"))
        return self.model.providers[o] if o >= 0 else None

    @property
    def weeks_waiting(self) -> int:
        return int(self._col("wait"))

    @property
    def weeks_underserved(self) -> int:
        """Current run of consecutive weeks with over 25% of need unmet."""
        return int(self._col("under_run"))

    @property
    def personal_budget(self) -> bool:
        """True when the client buys care with a personal budget (pgb, ODD 7.4.6)."""
        from .state import PGB

        return int(self._col("state")) == PGB


class InformalCarer(_Columnar):
    """Family, friend or neighbour caring for one resident (ODD 2.2)."""

    _table = "car"

    @property
    def cares_for(self) -> int:
        """Slot of the resident cared for."""
        return int(self._col("slot"))

    @property
    def capacity(self) -> float:
        return float(self._col("cap"))

    @property
    def hours_given(self) -> float:
        return float(self._col("given"))

    @property
    def burden(self) -> float:
        """Sustained hours given relative to the carer's tolerance; above 1 is overburden."""
        return float(self._col("burden"))


class Volunteer(_Columnar):
    """A care volunteer with capacity and retention (ODD 2.3)."""

    _table = "vol"

    @property
    def hours(self) -> float:
        return float(self._col("hours"))

    @property
    def district(self) -> int:
        return int(self._col("district"))


class Provider(Agent):
    """A care organisation (ODD 2.4). Not on the network; serves clients town-wide.

    Its decision rule is :func:`sim.funding.optimal_hours`, applied in ``rules.plan_care``.
    """

    def __init__(self, model, index: int, altruism: float, capacity: float, reserves: float):
        super().__init__(model)
        self.index = index
        self.altruism = float(altruism)
        self.capacity = float(capacity)  # staff hours per week
        self.reserves = float(reserves)
        self.share = 1.0 / model.params.providers  # share of any fixed sum
        self.bankrupt = False
        self.kpi_last = None  # share improved or stable at last year end
        self.year_staff_hours = 0.0
        self.year_cost = 0.0
        self.year_received = 0.0
        self.year_variable = 0.0  # per-hour and per-period pay this year
        self.received_total = 0.0  # from the municipality, net of reclaims
        self.cost_total = 0.0
        self.start_reserves = float(reserves)
        self.staff_hours = 0.0  # this week


class Municipality(Agent):
    """The municipality (ODD 2.5): funding model, budget, assessment queue and ledger."""

    def __init__(self, model, budget: float):
        super().__init__(model)
        self.budget = float(budget)  # per year
        self.paid_total = 0.0  # to providers, net of reclaims
        self.admin_total = 0.0
        self.other_total = 0.0  # personal budgets and volunteer training
        self.buffer = 0.0  # reclaimed subsidy surplus
        self.queue: deque[tuple[int, int]] = deque()  # (slot, episode) waiting, FIFO
