"""``CareModel``: the Mesa model: set-up, the weekly step order and the agent life cycle.

The rules live in modules named after their ODD section (``need``, ``access``,
``carers``, ``care``, ``supply``, ``money``, ``volunteers``, ``year_end``, ``market``);
the funding model in ``funding``; the state in ``state``; invariants and outputs in
``invariants`` and ``outputs``.
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
from mesa import Model
from mesa.discrete_space import Network

from . import access, care, carers, market, money, need, setup, supply, volunteers, year_end
from .agents import Client, InformalCarer, Municipality, Provider, Volunteer
from .batch import SummaryCollector  # engine block (issue #9), see __init__
from .columns import clip, indices
from .funding import FUNDING
from .invariants import InvariantError, check_invariants
from .need import need_hours
from .network import build_network
from .outputs import WEEKLY, report
from .params import Scenario, load_scenario, town_size
from .state import APPLYING, ESCALATED, HIDDEN, IN_CARE, RECOVERED, SR_MIN, Tally, Volunteers, WeekFlows

__all__ = ["WEEKLY", "CareModel", "InvariantError"]

#: Rows of the volunteer table beyond the volunteer slots, per resident, for residents who
#: become volunteers (reciprocity). Memory only: the table grows when full, and a volunteer
#: takes the first free row either way, so results do not depend on it.
SPARE_VOLUNTEER_ROWS = 0.1


class CareModel(Model):
    """A municipality, its providers and residents on a neighbourhood network.

    Each step is one week. Numeric state lives in column tables owned by the model
    (``res``, ``car``, ``vol``, ``prov``; ``sim/state.py``); clients, carers, volunteers
    and providers are Mesa agents that read them. ``funding`` is the funding model
    (``sim/funding.py``) and ``terms`` its payment terms; ``week_flows`` holds this
    week's flows and ``tally`` the run totals. ``datacollector`` collects the weekly
    model reporters in :data:`WEEKLY`.

    Args:
        scenario: a scenario name, a TOML path or a :class:`Scenario`; ``None`` is
            ``"default"``.
        rng: seed or generator; one seed fixes everything, the network included.
        check_invariants: verify hours and money identities every week (ODD 7.11).
        **overrides: parameter values that replace the scenario's.
    """

    def __init__(self, scenario=None, *, rng=None, check_invariants: bool = False, **overrides):
        params = load_scenario(scenario if scenario is not None else "default", **overrides)
        super().__init__(rng=rng)
        self.params: Scenario = params
        self.seed = rng if isinstance(rng, int | np.integer) else None
        self.check = check_invariants
        self.funding = FUNDING[params.funding](params)
        self.week = 0
        self.n_weeks = params.years * 52
        self.week_flows = WeekFlows()
        self.tally = Tally()
        self.agent_steps = 0
        self.last_plan = None  # last week's (owner, mu, r, e) of every client in care (7.6.6)
        self._setup()
        # --- engine block (issue #9): the weekly reporters plus summary_<key> columns, NaN
        # until the final week, where they hold the run summary (for mesa.batch_run; see
        # sim/batch.py). Nothing else in this file belongs to the engine.
        self.datacollector = SummaryCollector(model_reporters=WEEKLY)
        # --- end of engine block

    # ------------------------------------------------------------------ set-up (ODD 5)
    def _setup(self) -> None:
        """ODD 5 'Initialisation': network, residents, contracts, carers, volunteers,
        providers, then the clients at the start (``sim/setup.py``)."""
        p, rng = self.params, self.rng
        n_res, n_vslots = town_size(p)
        t0 = time.perf_counter()
        lay = self.layout = build_network(
            n_res,
            p.carer_probability,
            n_vslots,
            p.districts,
            p.neighbourhoods_per_district,
            p.ties_per_resident,
            p.tie_rewiring,
            rng,
        )
        self._space: Network | None = None
        self.timing = {"network_s": time.perf_counter() - t0}
        t0 = time.perf_counter()
        self.res, start = setup.residents(p, lay, rng)
        self.district_weight = setup.district_weight(p, self.res, start)
        # the contracts draw from their own stream, so that the town and its clients are
        # the same under every funding model (common random numbers)
        self.contracts = self.funding.contracts(p, self.district_weight, rng.spawn(1)[0])
        self.clients: dict[int, Client] = {}
        self._records: list[dict[str, np.ndarray]] = []
        self.car = setup.carers(p, lay, rng)
        self.carer_row = np.full(n_res, -1, dtype=np.int64)  # a resident's carer (one at most), or -1
        self.carer_row[lay.carer_of] = np.arange(lay.n_carers)
        self.has_carer = self.carer_row >= 0
        self.carers = [InformalCarer(self, i, int(n)) for i, n in enumerate(lay.carer_nodes)]
        self.vol = Volunteers.allocate(lay.n_volunteer_slots + round(n_res * SPARE_VOLUNTEER_ROWS))
        self.volunteers: dict[int, Volunteer] = {}
        self.free_vol_nodes: dict[int, list[int]] = {d: [] for d in range(p.districts)}
        for n in lay.volunteer_nodes[::-1]:
            self.free_vol_nodes[int(lay.district[n])].append(int(n))
        self.start_episodes(start, 1.0)
        askers = start[self.res.asker[start]]
        budget, hours = setup.budget(self, askers)
        self.prov = setup.providers(p, self.contracts.money_share, budget, hours, rng)
        self.start_capacity = float(self.prov.capacity[0])
        self.start_reserves = float(self.prov.start_reserves[0])
        self.providers = [Provider(self, i) for i in range(p.providers)]
        self.municipality = Municipality(self, budget)
        self.terms = self.funding.terms(p, budget)
        # the initial volunteers (the unused district draw keeps the random stream as it was)
        n_vol = round(p.volunteers_per_1000 * p.population / 1000)
        volunteers.recruit_volunteers(self, rng.integers(0, p.districts, 1), 0.0, n=n_vol)
        self._start_clients(start, askers)
        self.timing["agents_s"] = time.perf_counter() - t0

    def _start_clients(self, start: np.ndarray, askers: np.ndarray) -> None:
        """ODD 5.4 (5): the episodes open at the start (begun in ``_setup``, before the
        budget); askers are in care with an owner and enter as the funding model has
        them (assessed, perhaps a personal budget)."""
        res = self.res
        res.initial[start] = True
        res.state[askers] = IN_CARE
        res.reached[askers] = True
        res.ask_week[askers] = 0
        res.owner[askers] = access.draw_owners(self, askers)
        res.care_week[askers] = 0
        res.sr_intake[askers] = res.sr[askers]
        self.funding.entry.start(self, askers)

    @property
    def space(self) -> Network:
        """The neighbourhood network as a Mesa ``Network`` space (ODD 2.6), built on first
        use (``agent.cell``, the dashboard): the rules use ``layout.adjacency`` instead."""
        if self._space is None:
            self._space = Network(self.layout.graph, layout=None, random=self.random)
        return self._space

    # ------------------------------------------------------------------ the week (ODD 1.3)
    def step(self) -> None:
        """One week: the rules of ODD 7 in the order of ODD 1.3 'Process overview'."""
        self.week = self.steps - 1
        self.week_flows = WeekFlows()
        need.need_dynamics(self)
        need.exits(self)
        volunteers.volunteer_turnover(self)
        need.onset(self)
        volunteers.volunteer_training(self)
        care.plan_outreach(self)
        access.access(self)
        market.transfers(self)
        market.retender(self)
        money.budget_revision(self)
        carer_hours = carers.carer_capacity(self)
        care.plan_care(self, carer_hours)
        access.personal_budgets(self, carer_hours)
        supply.supply(self, carer_hours)
        carers.carer_burden(self)
        money.money(self)
        if self.week % 52 == 51:
            year_end.year_end(self)
        report(self)
        if self.check:
            self.check_invariants()
        self.datacollector.collect(self)
        if self.steps >= self.n_weeks:
            self.running = False

    def run(self, progress=None) -> CareModel:
        """Run all ``years * 52`` weeks; ``progress(1)`` is called after each week."""
        while self.running:
            self.step()
            if progress is not None:
                progress(1)
        return self

    def check_invariants(self, tol: float = 1e-6) -> None:
        """Raise :class:`InvariantError` if an identity of ODD 7.11 fails this week
        (``invariants.check_invariants``)."""
        check_invariants(self, tol)

    def client_table(self) -> pd.DataFrame:
        """ODD 8.2: one row per client episode in the run (ended ones, then the still open)."""
        open_idx = indices(self.res.active)
        recs = self._records
        if open_idx.size:
            recs = [*recs, self.res.record(open_idx, end_week=np.full(open_idx.size, self.week))]
        return self.res.client_table(recs)

    # ------------------------------------------------------------- the agent life cycle
    def start_episodes(self, idx: np.ndarray, growth: float) -> None:
        """ODD 7.1: a need starts for residents ``idx``: a Client agent is created for each."""
        p, res, rng = self.params, self.res, self.rng
        res.start_rows(idx)
        res.active[idx] = True
        res.episode[idx] += 1
        sr = rng.normal(p.entry_self_reliance, p.entry_self_reliance_sd, idx.size)
        res.sr[idx] = clip(sr, SR_MIN, p.recovery_self_reliance - p.entry_recovery_gap)
        factor = np.where(self.has_carer[idx], p.carer_need_factor, 1.0)
        res.scale[idx] = growth * factor * rng.lognormal(np.log(p.need_scale_hours), p.need_scale_sd, idx.size)
        res.need[idx] = res.entry_need[idx] = res.unmet[idx] = need_hours(res.scale[idx], res.sr[idx])
        res.state[idx] = np.where(res.asker[idx], APPLYING, HIDDEN)
        res.reached[idx] = res.asker[idx]
        res.ask_week[idx] = self.week
        res.start_week[idx] = self.week
        restart = self.carer_row[idx]
        self.car.start_rows(restart[restart >= 0])  # the carer cares again, rested
        for i in idx.tolist():
            self.clients[i] = agent = Client(self, i, i)
            res.client_id[i] = agent.unique_id

    def end_episodes(self, idx: np.ndarray, how: int) -> None:
        """ODD 7.3: episodes end ``how`` (``RECOVERED``, ``DIED`` or ``ESCALATED``): each
        client's row is recorded and its agent removed; a recovered networked client may
        become a volunteer (reciprocity, 7.9.1)."""
        res = self.res
        res.end[idx] = how
        res.end_week[idx] = self.week
        self._records.append(res.record(idx))
        if how == ESCALATED:
            self.week_flows.escalations += idx.size
        if how == RECOVERED and self.params.reciprocity_rate > 0:
            give = idx[res.networked[idx] & (self.rng.random(idx.size) < self.params.reciprocity_rate)]
            for i in give.tolist():
                self.add_volunteer(i, int(self.layout.district[i]))
        res.end_rows(idx)
        for i in idx.tolist():
            self.clients.pop(i).remove()

    def add_volunteer(self, node: int, district: int) -> None:
        """ODD 7.9.1: a volunteer at ``node`` joins, serving ``district``."""
        vol = self.vol
        free = indices(~vol.active)
        if free.size == 0:
            vol.grow()
            free = indices(~vol.active)
        row = int(free[0])
        vol.start_rows(row)
        vol.node[row] = node
        vol.district[row] = district
        vol.hours[row] = self.params.volunteer_hours
        self.volunteers[row] = Volunteer(self, row, node)

    def retire_volunteers(self, rows: np.ndarray) -> None:
        """ODD 7.9.1: the volunteers of ``rows`` leave; a volunteer slot's node is free again."""
        vol, lay = self.vol, self.layout
        vol.end_rows(rows)
        for r in rows.tolist():
            node = int(vol.node[r])
            if node >= lay.n_residents + lay.n_carers:
                self.free_vol_nodes[int(lay.district[node])].append(node)
            self.volunteers.pop(r).remove()

    def replace_provider(self, i: int, capacity: float) -> Provider:
        """ODD 7.10.4: a new provider takes contract ``i`` over, with the same share,
        altruism and expertise, ``capacity`` and the starting reserves, which its owners
        bring in (``tally.entrant_capital``)."""
        prov = self.prov
        self.tally.retired_received += float(prov.received_total[i])
        self.tally.retired_cost += float(prov.cost_total[i])
        self.tally.entrant_capital += self.start_reserves
        self.providers[i].remove()
        prov.start_rows(i)
        prov.capacity[i] = capacity
        prov.reserves[i] = prov.start_reserves[i] = self.start_reserves
        new = self.providers[i] = Provider(self, i)
        return new
