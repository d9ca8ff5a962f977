"""The Mesa agents (ODD 2, 'Entities').

Clients, informal carers and volunteers are Mesa agents with an identity and a node
(cell) on the neighbourhood network; providers are Mesa agents off the network. Their
numbers live in the column tables the model owns (``model.res``, ``model.car``,
``model.vol``, ``model.prov``; ``sim/state.py``); an agent reads its row through its
properties, so ``client.need`` is always the current value. The weekly rules work on
whole columns; agent objects are created and removed only when an event happens to them.
The municipality is one agent that holds its own state.
"""

from __future__ import annotations

from collections import deque
from typing import Any

import numpy as np
from mesa import Agent

from .state import PGB


class _Column:
    """A property that reads the agent's row of one column (and writes it if allowed)."""

    def __init__(self, column: str, kind: type = float, doc: str = "", writable: bool = False):
        self.column, self.kind, self.writable = column, kind, writable
        self.__doc__ = doc

    def __get__(self, agent, owner=None) -> Any:
        if agent is None:
            return self
        return self.kind(getattr(agent.table, self.column)[agent.idx])

    def __set__(self, agent, value) -> None:
        if not self.writable:
            raise AttributeError(f"{type(agent).__name__}.{self.column} is read-only")
        getattr(agent.table, self.column)[agent.idx] = value


class _Row(Agent):
    """An agent whose numeric state is row ``idx`` of the model's table ``_table``."""

    _table = ""

    def __init__(self, model, idx: int):
        super().__init__(model)
        self.idx = int(idx)

    @property
    def table(self):
        """The agent's table (``model.res``, ``model.car``, ...)."""
        return getattr(self.model, self._table)


class _Person(_Row):
    """A person at node ``node`` of the network; ``cell`` is that node's cell in
    ``model.space`` (a ``mesa.discrete_space.Network``). The agent is not registered in
    the cell, so creating and removing agents at events stays cheap."""

    def __init__(self, model, idx: int, node: int):
        super().__init__(model, idx)
        self.node = int(node)

    @property
    def cell(self):
        """The agent's cell on the neighbourhood network."""
        return self.model.space[self.node]


class Client(_Person):
    """A resident with a support need (ODD 2.1). One agent per care episode."""

    _table = "res"
    need = _Column("need", float, "Hours per week of support that would keep this client stable.")
    self_reliance = _Column("sr", float, "Score 1-5, as in the Dutch self-reliance matrix.")
    asks_for_help = _Column("asker", bool, "True when the client asks for help when a need starts.")
    weeks_waiting = _Column("wait", int, "Weeks spent applying, queued or deciding in this episode.")
    weeks_underserved = _Column("under_run", int, "Current run of consecutive weeks with over 25% of need unmet.")
    district = _Column("district", int, "The district the client lives in.")

    @property
    def neighbourhood(self) -> int:
        return int(self.model.layout.neighbourhood[self.idx])

    @property
    def owner(self):
        """The provider responsible for this client, or None."""
        o = int(self.table.owner[self.idx])
        return self.model.providers[o] if o >= 0 else None

    @property
    def personal_budget(self) -> bool:
        """True when the client buys care with a personal budget (pgb, ODD 7.4.6)."""
        return int(self.table.state[self.idx]) == PGB


class InformalCarer(_Person):
    """Family, friend or neighbour caring for one resident (ODD 2.2)."""

    _table = "car"
    cares_for = _Column("slot", int, "Slot of the resident cared for.")
    capacity = _Column("cap", float, "Hours the carer can give this week.")
    hours_given = _Column("given", float, "Hours given this week.")
    burden = _Column("burden", float, "Sustained hours given relative to the carer's tolerance; above 1 is overburden.")


class Volunteer(_Person):
    """A care volunteer with capacity and retention (ODD 2.3)."""

    _table = "vol"
    hours = _Column("hours", float, "Hours a week offered.")
    district = _Column("district", int, "The district the volunteer serves.")


class Provider(_Row):
    """A care organisation (ODD 2.4), holding contract ``index``. Not on the network;
    serves clients town-wide or in its districts (5.3).

    Its decision rule is :func:`sim.funding.optimal_hours`, applied in ``care.plan_care``.
    """

    _table = "prov"
    altruism = _Column("altruism", float, "Weight on client benefit against money, 0-1.")
    capacity = _Column("capacity", float, "Staff hours per week.", writable=True)
    reserves = _Column("reserves", float, "Money in hand, EUR; below 0 means bankruptcy.", writable=True)
    share = _Column("share", float, "Contracted share of any fixed sum.", writable=True)
    bankrupt = _Column("bankrupt", bool, "Stopped; capacity set to 0.", writable=True)
    year_staff_hours = _Column("year_staff_hours", float, "Staff hours this year.", writable=True)
    year_cost = _Column("year_cost", float, "Cost this year, EUR.", writable=True)
    year_received = _Column("year_received", float, "Received this year, EUR.", writable=True)
    year_variable = _Column("year_variable", float, "Per-hour and per-period pay this year, EUR.", writable=True)
    received_total = _Column("received_total", float, "From the municipality, net of reclaims, EUR.", writable=True)
    cost_total = _Column("cost_total", float, "All costs so far, EUR.", writable=True)
    start_reserves = _Column("start_reserves", float, "Reserves when it took the contract, EUR.")
    staff_hours = _Column("staff_hours", float, "Staff hours this week.", writable=True)

    def __init__(self, model, index: int):
        super().__init__(model, index)
        self.index = int(index)

    @property
    def kpi_last(self) -> float | None:
        """Share of its clients improved or stable at the last year end with a
        measurement, or None."""
        k = float(self.table.kpi_last[self.idx])
        return None if k != k else k


class Municipality(Agent):
    """The municipality (ODD 2.5): budget, assessment queue, outreach team, volunteer
    training, KPI monitoring and the ledger of every euro it pays (7.9, 7.11)."""

    def __init__(self, model, budget: float):
        super().__init__(model)
        p = model.params
        self.budget = float(budget)  # per year
        self.paid_total = 0.0  # to providers, net of reclaims
        self.admin_total = 0.0
        self.other_total = 0.0  # personal budgets and volunteer training
        self.buffer = 0.0  # reclaimed subsidy surplus (7.10.2)
        self.queue: deque[tuple[int, int]] = deque()  # (slot, episode) waiting, FIFO (7.4.3)
        self.assessment_capacity = p.assessments_per_week_per_10k * p.population / 1e4  # a week
        self.outreach_team_hours = p.outreach_hours_per_10k * p.population / 1e4 if p.outreach else 0.0
        self.outreach_hours = 0.0  # the team's hours this week (7.4.2)
        self.training_budget = p.volunteer_training_eur_per_10k * p.population / 1e4  # EUR this year (7.9.1)
        self.innovation_budget = 0.0  # EUR from last year's reclaim (7.10.2)
        self.revision_factor = 1.0  # mid-year budget revision of this year (7.9.2)
        self.fixed_factor = 1.0  # fixed sums against the first contract's, after rebasing (7.10.6)
        self.reopen_left = 0  # weeks of reopened subcontracts left (7.9.2)
        self.kpi_log: list[tuple[np.ndarray, np.ndarray]] = []  # this year's KPI results (7.10.1)

    def pay(self, pay: np.ndarray) -> None:
        """ODD 7.9: money to the providers (negative: back), booked on both sides."""
        total = float(pay.sum())
        if total == 0 and not pay.any():
            return
        self.paid_total += total
        self.model.week_flows.spend += total
        self.model.week_flows.provider_received += total
        prov = self.model.prov
        prov.contract_received += pay
        prov.reserves += pay
        prov.year_received += pay
        prov.received_total += pay

    def book_other(self, eur: float) -> None:
        """ODD 7.9: care spend not paid to a contracted provider (pgb, training)."""
        self.other_total += eur
        self.model.week_flows.spend += eur

    def book_admin(self, eur: float) -> None:
        """ODD 7.9: admin cost (assessments, invoices, monitoring, tenders, the outreach team)."""
        self.admin_total += eur
        self.model.week_flows.admin += eur
