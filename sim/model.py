"""``CareModel``: the Mesa model that owns the columns and runs the weekly rules (ODD 7)."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
from mesa import Model
from mesa.discrete_space import Network

from . import rules
from .agents import Client, InformalCarer, Municipality, Provider, Volunteer
from .batch import SummaryCollector  # engine block (issue #9), see __init__
from .columns import clip, indices
from .contracts import contract_structure, neighbourhood_distances, transport_per_client_hour
from .funding import FUNDING, loss_weight, money_weight
from .network import build_network
from .params import Scenario, ScenarioError, baseline_budget_eur, load_scenario
from .rules import APPLYING, DECIDING, HIDDEN, IN_CARE, NONE, PGB, QUEUED

#: Weekly model reporters: column name -> model attribute (ODD 8 'Observation').
WEEKLY = {
    "week": "week",
    "clients_in_care": "r_in_care",
    "clients_with_need": "r_with_need",
    "waiting": "r_waiting",
    "hidden": "r_hidden",
    "formal_hours": "r_formal",
    "client_optimum_hours": "optimum_hours",
    "group_hours": "r_group",
    "overprovided_hours": "r_over",
    "network_building_hours": "r_nb",
    "outreach_hours": "r_outreach",
    "informal_hours": "r_informal",
    "informal_hours_in_care": "r_informal_care",
    "volunteer_hours_in_care": "r_volunteer_care",
    "volunteer_hours": "r_volunteer",
    "unmet_hours": "r_unmet",
    "need_hours": "r_need",
    "week_spend_eur": "r_spend",
    "week_admin_eur": "r_admin",
    "provider_reserves_eur": "r_reserves",
    "carers_giving": "r_carers_giving",
    "carers_overburdened": "r_carers_over",
    "volunteers": "r_volunteers",
    "escalations": "r_escalations",
    "bankruptcies": "bankruptcies",
    "blocked_clients": "blocked_now",
    "largest_provider_share": "r_max_share",
}

_RES_FLOAT = (
    "sr",
    "need",
    "scale",
    "entry_need",
    "sr_intake",
    "unmet_ema",
    "entitlement",
    "formal",
    "formal_met",
    "informal",
    "volunteer",
    "unmet",
    "c_formal",
    "c_group",
    "c_informal",
    "c_volunteer",
    "c_unmet",
    "c_need",
    "period_price",
    "floor",
)
_RES_INT = (
    "state",
    "owner",
    "episode",
    "ask_week",
    "decide_week",
    "assess_week",
    "care_week",
    "start_week",
    "wait",
    "weeks",
    "under_run",
    "transfer_left",
    "kpi",
    "category",
    "refusals",
    "blocked_weeks",
)
_RES_BOOL = ("active", "networked", "reached", "escalated", "under_ever", "initial", "group", "reassess", "pl", "lost")


class InvariantError(AssertionError):
    """An accounting identity of the model failed (ODD 7.11)."""


class CareModel(Model):
    """A municipality, its providers and residents on a neighbourhood network.

    Each step is one week. Numeric state lives in numpy columns owned by the model
    (``res``, ``car``, ``vol``); clients, carers and volunteers are Mesa agents that read
    them. ``datacollector`` collects the weekly model reporters in :data:`WEEKLY`.

    Args:
        scenario: a scenario name, a TOML path or a :class:`Scenario`; ``None`` is
            ``"default"``.
        rng: seed or generator; one seed fixes everything, the network included.
        check_invariants: verify hours and money identities every week (ODD 7.11).
        **overrides: parameter values that replace the scenario's.
    """

    def __init__(self, scenario=None, *, rng=None, check_invariants: bool = False, **overrides):
        params = load_scenario(scenario if scenario is not None else "default", **overrides)
        if params.funding not in FUNDING:
            raise ScenarioError(f"funding = {params.funding!r} has no payment terms")
        if params.buffer_share + params.innovation_share > 1.0:
            raise ScenarioError(
                f"buffer_share + innovation_share = {params.buffer_share + params.innovation_share:g}"
                " is more than the whole surplus: allowed total [0, 1]"
            )
        super().__init__(rng=rng)
        self.params: Scenario = params
        self.seed = rng if isinstance(rng, int | np.integer) else None
        self.check = check_invariants
        self.terms = FUNDING[params.funding].terms(params)
        self.uses_queue = self.terms.needs_assessment and params.assessment_queue
        self.week = 0
        self.n_weeks = params.years * 52
        self._setup()
        # --- engine block (issue #9): the weekly reporters plus summary_<key> columns, NaN
        # until the final week, where they hold the run summary (for mesa.batch_run; see
        # sim/batch.py). Nothing else in this file belongs to the engine.
        self.datacollector = SummaryCollector(model_reporters=WEEKLY)
        # --- end of engine block

    # ------------------------------------------------------------------ set-up (ODD 5)
    def _setup(self) -> None:
        """ODD 5 'Initialisation': network, residents, carers, volunteers, providers."""
        p, rng = self.params, self.rng
        n_res = max(10, round(p.population * p.at_risk_share))
        n_vslots = max(10, round(p.population * 0.01))
        t0 = time.perf_counter()
        self.layout = build_network(
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
        res = {k: np.zeros(n_res) for k in _RES_FLOAT}
        res.update({k: np.zeros(n_res, dtype=np.int64) for k in _RES_INT})
        res.update({k: np.zeros(n_res, dtype=bool) for k in _RES_BOOL})
        res["owner"][:] = -1
        res["kpi"][:] = -1
        district_risk = rng.lognormal(0.0, p.district_risk_spread, p.districts)
        district_risk /= district_risk.mean()
        res["risk"] = rng.lognormal(-0.125, 0.5, n_res) * district_risk[self.layout.district[:n_res]]
        res["asker"] = rng.random(n_res) >= p.non_asker_share
        res["group_ok"] = rng.random(n_res) < p.group_suitable_share
        res["ctype"] = rng.integers(0, p.provider_types, n_res)
        res["transport_h"] = transport_per_client_hour(
            p, neighbourhood_distances(p, rng), self.layout.neighbourhood[:n_res]
        )
        # the clients who came over in 2015, more where risk is higher (ODD 5.2)
        target = p.baseline_clients_per_1000 * p.population / 1000.0
        q = target / (n_res * max(1e-9, 1.0 - p.non_asker_share)) * res["risk"] / res["risk"].mean()
        start = indices(rng.random(n_res) < np.minimum(q, 1.0))
        # district budgets: head count, or the mapped caseload of 2015 (risk-adjusted, 5.3)
        dist = self.layout.district[:n_res]
        heads = np.bincount(dist, minlength=p.districts).astype(float)
        mapped = np.bincount(dist[start], minlength=p.districts).astype(float)
        self.district_weight = np.maximum(mapped, 1.0) if p.risk_adjusted_budget else heads
        self.contracts = contract_structure(p, self.terms, self.district_weight, rng)
        self.res = res
        self.clients: dict[int, Client] = {}
        self._records: list[dict[str, np.ndarray]] = []

        lay = self.layout
        k = lay.n_carers
        self.car = {
            "slot": lay.carer_of,
            "cap0": rng.lognormal(np.log(p.carer_hours) - 0.125, 0.5, k),
            "tol": rng.lognormal(np.log(p.carer_tolerance_hours) - 0.045, 0.3, k),
            "cap": np.zeros(k),
            "given": np.zeros(k),
            "burden": np.zeros(k),
            "active": np.ones(k, dtype=bool),
            "over": np.zeros(k, dtype=bool),
        }
        self.carer_row = np.full(n_res, -1, dtype=np.int64)  # a resident's carer (one at most), or -1
        self.carer_row[lay.carer_of] = np.arange(k)
        self.has_carer = self.carer_row >= 0
        self.carers = [InformalCarer(self, i, int(n)) for i, n in enumerate(lay.carer_nodes)]
        nv = lay.n_volunteer_slots + n_res // 10
        self.vol = {
            "active": np.zeros(nv, dtype=bool),
            "node": np.zeros(nv, dtype=np.int64),
            "district": np.zeros(nv, dtype=np.int64),
            "hours": np.zeros(nv),
            "given": np.zeros(nv),
        }
        self.volunteers: dict[int, Volunteer] = {}
        self._free_vol_nodes = {d: [] for d in range(p.districts)}
        for n in lay.volunteer_nodes[::-1]:
            self._free_vol_nodes[int(lay.district[n])].append(int(n))

        budget = baseline_budget_eur(p)
        expected_hours = p.baseline_clients_per_1000 * p.population / 1000.0 * p.baseline_formal_hours
        alpha = _altruism(p.provider_altruism, p.provider_altruism_sd, p.providers, rng)
        cap = self.start_capacity = expected_hours * (1.0 + p.staff_headroom) / p.providers
        reserves = self.start_reserves = p.reserves_share * budget / p.providers
        self.providers = [Provider(self, i, alpha[i], cap, reserves) for i in range(p.providers)]
        for i, pr in enumerate(self.providers):
            pr.share = float(self.contracts.money_share[i])
        self.altruism = alpha
        self.municipality = Municipality(self, p["lump_sum_eur"] if p["lump_sum_eur"] is not None else budget)
        self.bankruptcies = 0
        self.kpi_log = []
        self.kpi_pressure = np.full(p.providers, 0.5)
        self.mu_client = None
        self.provider_outreach_hours = np.zeros(p.providers)
        self.staff_hours = np.zeros(p.providers)
        self.nb_hours = np.zeros(p.providers)
        self.optimum_hours = 0.0
        self.week_cost = np.zeros(p.providers)
        self.week_variable = np.zeros(p.providers)  # per-hour and per-period pay last week
        self.outreach_team_hours = p.outreach_hours_per_10k * p.population / 1e4 if p.outreach else 0.0
        self.municipal_outreach_hours = 0.0
        self.revision_factor = 1.0  # mid-year budget revision of this year (ODD 7.9.2)
        self.reopen_left = 0  # weeks of reopened subcontracts left
        self.lost_clients = 0  # lost at a handover (ODD 7.10.5)
        self.handovers = 0
        self.refusals = 0  # clients declined at intake (ODD 7.4.4)
        self.admissions = 0
        self.training_budget = p.volunteer_training_eur_per_10k * p.population / 1e4  # EUR this year
        self.innovation_budget = 0.0
        self.other_spend_total = 0.0  # personal budgets and volunteer training
        self.reciprocity_volunteers = 0
        self.rescues = 0  # providers saved from bankruptcy by the buffer
        self.revisions = 0  # mid-year budget revisions
        self.trained_volunteers = 0
        self.pgb_spend = 0.0
        self.blocked_now = 0
        self.spend_total = 0.0  # sum of weekly spend (ODD 7.11 ledger)
        self.prov_received = np.zeros(p.providers)  # by contract index, over the run
        self.prov_client_weeks = np.zeros(p.providers)
        self.assessment_capacity = p.assessments_per_week_per_10k * p.population / 1e4
        self._week_spend = self._week_admin = 0.0
        self.escalations = 0
        self._week_escalations = 0
        self.agent_steps = 0

        # initial volunteers and the clients who came over from the AWBZ in 2015
        self.recruit_volunteers(
            rng.integers(0, p.districts, 1), 0.0, n=round(p.volunteers_per_1000 * p.population / 1000)
        )
        self.start_episodes(start, 1.0)
        res["initial"][start] = True
        askers = start[res["asker"][start]]
        res["state"][askers] = IN_CARE
        res["reached"][askers] = True
        res["ask_week"][askers] = 0
        res["owner"][askers] = self.draw_owners(askers)
        res["care_week"][askers] = 0
        res["sr_intake"][askers] = res["sr"][askers]
        if self.terms.needs_assessment:
            rules.assess(self, askers)
            pgb = askers[rng.random(askers.size) < p.pgb_share]  # personal budgets at the start too
            res["state"][pgb] = PGB
            res["owner"][pgb] = -1
        self.timing["agents_s"] = time.perf_counter() - t0

    @property
    def space(self) -> Network:
        """The neighbourhood network as a Mesa ``Network`` space (ODD 2.6), built on first
        use (``agent.cell``, the dashboard): the rules use ``layout.adjacency`` instead."""
        if self._space is None:
            self._space = Network(self.layout.graph, layout=None, random=self.random)
        return self._space

    # ------------------------------------------------------------- events (ODD 7.1-7.4)
    def start_episodes(self, idx: np.ndarray, growth: float) -> None:
        """A need starts for residents ``idx``: a Client agent is created for each."""
        p, res, rng = self.params, self.res, self.rng
        res["active"][idx] = True
        res["episode"][idx] += 1
        res["sr"][idx] = clip(rng.normal(p.entry_self_reliance, 0.5, idx.size), 1.0, p.recovery_self_reliance - 0.2)
        factor = np.where(self.has_carer[idx], p.carer_need_factor, 1.0)
        res["scale"][idx] = growth * factor * rng.lognormal(np.log(p.need_scale_hours), p.need_scale_sd, idx.size)
        need = res["scale"][idx] * (5.0 - res["sr"][idx]) / 4.0
        res["need"][idx] = res["entry_need"][idx] = res["unmet"][idx] = need
        asker = res["asker"][idx]
        res["state"][idx] = np.where(asker, APPLYING, HIDDEN)
        res["reached"][idx] = asker
        res["ask_week"][idx] = self.week
        res["start_week"][idx] = self.week
        res["owner"][idx] = -1
        res["kpi"][idx] = -1
        for col in ("networked", "escalated", "under_ever", "initial", "group", "reassess", "pl", "lost"):
            res[col][idx] = False
        for col in (
            "unmet_ema",
            "entitlement",
            "formal",
            "formal_met",
            "informal",
            "volunteer",
            "c_formal",
            "c_group",
            "c_informal",
            "c_volunteer",
            "c_unmet",
            "c_need",
        ):
            res[col][idx] = 0.0
        for col in ("wait", "weeks", "under_run", "transfer_left", "refusals", "blocked_weeks", "category"):
            res[col][idx] = 0
        res["period_price"][idx] = 0.0
        res["floor"][idx] = 0.0
        res["assess_week"][idx] = -1
        res["unmet"][idx] = need
        car = self.car
        restart = self.carer_row[idx]
        restart = restart[restart >= 0]
        car["active"][restart] = True
        car["burden"][restart] = 0.0
        car["over"][restart] = False
        for i in idx.tolist():
            self.clients[i] = Client(self, i, i)

    def end_episodes(self, idx: np.ndarray, how: str) -> None:
        """Episodes end (ODD 7.3): record each client's row and remove its agent."""
        res = self.res
        self._record(idx, how)
        if how == "escalated":
            self._week_escalations += idx.size
        if how == "recovered" and self.params.reciprocity_rate > 0:
            give = idx[res["networked"][idx] & (self.rng.random(idx.size) < self.params.reciprocity_rate)]
            for i in give.tolist():
                self._add_volunteer(i, int(self.layout.district[i]))
        res["active"][idx] = False
        res["state"][idx] = NONE
        res["owner"][idx] = -1
        for col in ("need", "formal", "formal_met", "informal", "volunteer", "unmet"):
            res[col][idx] = 0.0
        res["networked"][idx] = False
        for i in idx.tolist():
            self.clients.pop(i).remove()

    def _record(self, idx: np.ndarray, how: str) -> None:
        res = self.res
        rec = {
            k: res[k][idx]  # fancy indexing copies
            for k in (
                "episode",
                "start_week",
                "initial",
                "asker",
                "reached",
                "entry_need",
                "weeks",
                "c_formal",
                "c_group",
                "c_informal",
                "c_volunteer",
                "c_unmet",
                "c_need",
                "wait",
                "under_ever",
                "escalated",
                "kpi",
                "networked",
                "state",
                "ask_week",
                "care_week",
                "refusals",
                "category",
                "lost",
                "pl",
                "blocked_weeks",
            )
        }
        rec["slot"] = idx.copy()
        rec["client_id"] = np.array([self.clients[i].unique_id for i in idx.tolist()], dtype=np.int64)
        rec["district"] = self.layout.district[idx]
        rec["end"] = np.array([how] * idx.size, dtype=object)
        rec["end_week"] = np.full(idx.size, self.week)
        self._records.append(rec)

    def admit(self, idx: np.ndarray) -> None:
        """Applicants ``idx`` enter care (ODD 7.4.4).

        Each gets an owner (``draw_owners``). Under output-based funding a provider may
        decline a client it expects to lose on (``rules.accept_client``); the client
        tries again next week. Where there is an entitlement, ``pgb_share`` of clients
        take a personal budget instead of care in kind (ODD 7.4.6).
        """
        if idx.size == 0 or not self.alive().any():
            return  # no provider under contract: applicants keep waiting (ODD 7.10.3)
        res, p = self.res, self.params
        if self.terms.needs_assessment and not self.uses_queue:
            fresh = idx[res["assess_week"][idx] < 0]  # not yet assessed in this episode
            if fresh.size:
                rules.assess(self, fresh)
        owners = self.draw_owners(idx)
        if self.terms.output_based and p.provider_may_refuse:
            keep = rules.accept_client(self, idx, owners)
            res["refusals"][idx[~keep]] += 1
            self.refusals += int((~keep).sum())
            idx, owners = idx[keep], owners[keep]
        pgb = np.zeros(idx.size, dtype=bool)
        if self.terms.needs_assessment:
            pgb = self.rng.random(idx.size) < p.pgb_share
        self.admissions += idx.size
        res["state"][idx] = np.where(pgb, PGB, IN_CARE)
        res["owner"][idx] = np.where(pgb, -1, owners)
        res["care_week"][idx] = self.week
        res["sr_intake"][idx] = res["sr"][idx]

    def draw_owners(self, idx: np.ndarray) -> np.ndarray:
        """ODD 7.4.4 'Owner assignment': an owner for each resident in ``idx``.

        A provider is drawn among the live providers that serve the resident's district,
        in proportion to their client shares; with ``referral``, among those whose
        expertise fits the client, where one does.
        """
        c = self.contracts
        alive = self.alive()
        w = (c.client_share[:, None] * c.serves * alive[:, None])[:, self.layout.district[idx]].T
        if self.params.referral:
            fit = w * (c.ptype[None, :] == self.res["ctype"][idx][:, None])
            w = np.where(fit.sum(axis=1, keepdims=True) > 0, fit, w)
        empty = w.sum(axis=1) == 0
        if empty.any():  # no live contractor in the district: any live provider
            w[empty] = c.client_share * alive
        cum = np.cumsum(w, axis=1)
        u = self.rng.random(idx.size) * cum[:, -1]
        return np.minimum((cum <= u[:, None]).sum(axis=1), len(self.providers) - 1)

    def alive(self) -> np.ndarray:
        """Providers under contract (not bankrupt)."""
        return np.array([not pr.bankrupt for pr in self.providers])

    def fixed_shares(self) -> np.ndarray:
        """ODD 7.9: each provider's share of a fixed sum paid now.

        Historic (or district) shares over live providers; with a ``cashier`` the sum is
        passed on in proportion to the clients each member serves (money follows work).
        """
        alive = self.alive()
        s = np.array([pr.share for pr in self.providers]) * alive
        if self.params.cashier:
            res = self.res
            served = np.bincount(res["owner"][res["state"] == IN_CARE], minlength=len(self.providers)) * alive
            if served.sum() > 0:
                s = served.astype(float)
        total = s.sum()
        return s / total if total > 0 else s

    def can_afford_unbilled(self) -> np.ndarray:
        """ODD 7.6.5-6: providers whose reserves allow work nobody pays for (above half the
        starting reserves, and not bankrupt)."""
        return np.array([not pr.bankrupt and pr.reserves > 0.5 * self.start_reserves for pr in self.providers])

    def expected_help(self, idx: np.ndarray) -> np.ndarray:
        """Hours of carer and volunteer help residents ``idx`` can count on (eigen kracht)."""
        car = self.car
        cap = np.bincount(car["slot"], weights=rules.carer_hours_available(car), minlength=self.res["need"].size)
        return cap[idx] + self.res["volunteer"][idx]

    # ------------------------------------------------------------- providers (ODD 7.6)
    def fixed_this_year(self) -> np.ndarray:
        """Each provider's fixed sum for this year, after any mid-year revision."""
        return self.terms.annual_fixed * self.revision_factor * self.fixed_shares()

    def covered(self) -> np.ndarray:
        """Whether each provider expects its year's income to cover its year's cost.

        Income is its fixed sum plus the per-hour and per-period payments so far and last
        week's rate for the rest of the year; cost is likewise projected (ODD 7.6.2)."""
        left = 52 - self.week % 52
        spent = np.array([pr.year_cost for pr in self.providers])
        earned = np.array([pr.year_variable for pr in self.providers])
        income = self.fixed_this_year() + earned + self.week_variable * left
        return spent + self.week_cost * left < income

    def kpi_value_per_hour(self) -> np.ndarray:
        """ODD 7.6.2: the expected KPI penalty avoided per hour of care.

        The penalty at stake, spread over a year at current staff capacity, times the pressure
        ``clip((target + 0.1 - last KPI) / 0.2, 0, 1)`` (0.5 before any KPI is known).
        """
        t = self.terms
        if not t.kpi_penalty_share:
            return np.zeros(len(self.providers))
        at_stake = t.kpi_penalty_share * t.annual_fixed * np.array([pr.share for pr in self.providers])
        hours = np.array([max(pr.capacity * 52.0, 1.0) for pr in self.providers])
        return self.kpi_pressure * at_stake / hours

    def unbilled_cost_per_hour(self) -> np.ndarray:
        """Money cost to each provider of an own staff hour nobody pays for (7.6.2)."""
        under = self.covered()
        w = money_weight(self.terms, self.params, under) * loss_weight(self.params, under)
        return w * self.params.hourly_cost_eur

    def transfer(self, pay: np.ndarray) -> None:
        """Money from the municipality to providers (negative: back); both sides booked."""
        total = float(pay.sum())
        if total == 0 and not pay.any():
            return
        self.municipality.paid_total += total
        self._week_spend += total
        self.prov_received += pay
        for i, pr in enumerate(self.providers):
            pr.reserves += pay[i]
            pr.year_received += pay[i]
            pr.received_total += pay[i]

    def book_other(self, eur: float) -> None:
        """Municipal care spend that is not paid to a contracted provider (pgb, training)."""
        self.municipality.other_total += eur
        self._week_spend += eur

    def book_admin(self, eur: float) -> None:
        self.municipality.admin_total += eur
        self._week_admin += eur

    def replace_bankrupt(self) -> None:
        """ODD 7.10.4: a new provider takes over the contract of a bankrupt one."""
        for i, pr in enumerate(self.providers):
            if pr.bankrupt:
                live = [x.capacity for x in self.providers if not x.bankrupt]
                self.replace_provider(i, max(live) if live else self.start_capacity)
        pressure = []
        for pr in self.providers:
            k = pr.kpi_last
            pressure.append(0.5 if k is None else float(np.clip((self.params.kpi_target + 0.1 - k) / 0.2, 0, 1)))
        self.kpi_pressure = np.array(pressure)

    def replace_provider(self, i: int, capacity: float) -> Provider:
        """A new provider takes contract ``i`` over, with the same share and expertise."""
        old = self.providers[i]
        self._retired_received += old.received_total
        old.remove()
        new = Provider(self, i, self.altruism[i], capacity, self.start_reserves)
        new.share = old.share
        self.providers[i] = new
        return new

    def handover(self, idx: np.ndarray) -> None:
        """ODD 7.10.5 'Handover': clients ``idx`` change provider.

        Without a ``case_owner`` each is lost with chance ``handover_loss``: they drop out
        of care and are hidden until found again (network, GP or outreach).
        """
        self.handovers += idx.size
        if idx.size == 0 or self.params.case_owner:
            return
        lost = idx[self.rng.random(idx.size) < self.params.handover_loss]
        if lost.size:
            res = self.res
            res["state"][lost] = HIDDEN
            res["owner"][lost] = -1
            res["reassess"][lost] = False
            res["lost"][lost] = True
            self.lost_clients += lost.size

    # ------------------------------------------------------------ volunteers (ODD 7.9.1)
    def recruit_volunteers(self, districts: np.ndarray, rate: float, n: int | None = None) -> None:
        """Recruit volunteers: Poisson(``rate``) per entry of ``districts``, or ``n`` in all."""
        if n is not None:
            counts = [(int(d), 1) for d in self.rng.integers(0, self.params.districts, n)]
        else:
            k = self.rng.poisson(rate, districts.size)
            counts = [(int(d), int(c)) for d, c in zip(districts, k, strict=True) if c]
        for d, c in counts:
            for _ in range(c):
                pool = self._free_vol_nodes[d] or next((v for v in self._free_vol_nodes.values() if v), None)
                if not pool:
                    return
                self._add_volunteer(pool.pop(), d)

    def _add_volunteer(self, node: int, district: int) -> None:
        vol = self.vol
        free = indices(~vol["active"])
        if free.size == 0:
            for k, v in vol.items():
                vol[k] = np.concatenate([v, np.zeros_like(v)])
            free = indices(~vol["active"])
        row = int(free[0])
        vol["active"][row] = True
        vol["node"][row] = node
        vol["district"][row] = district
        vol["hours"][row] = self.params.volunteer_hours
        vol["given"][row] = 0.0
        self.volunteers[row] = Volunteer(self, row, node)

    def retire_volunteers(self, rows: np.ndarray) -> None:
        vol = self.vol
        vol["active"][rows] = False
        vol["given"][rows] = 0.0
        lay = self.layout
        for r in rows.tolist():
            node = int(vol["node"][r])
            if node >= lay.n_residents + lay.n_carers:
                self._free_vol_nodes[int(lay.district[node])].append(node)
            self.volunteers.pop(r).remove()

    # ------------------------------------------------------------------ the week
    def step(self) -> None:
        """One week: the rules of ODD 7 in the order of ODD 1.3 'Process overview'."""
        self.week = self.steps - 1
        self._week_spend = self._week_admin = 0.0
        self._week_escalations = 0
        rules.need_dynamics(self)
        rules.exits(self)
        rules.volunteer_turnover(self)
        rules.onset(self)
        rules.volunteer_training(self)
        rules.plan_outreach(self)
        rules.access(self)
        rules.transfers(self)
        rules.budget_revision(self)
        carer_hours = rules.carer_capacity(self)
        rules.plan_care(self, carer_hours)
        rules.personal_budgets(self, carer_hours)
        rules.supply(self, carer_hours)
        rules.carer_burden(self)
        rules.money(self)
        if self.week % 52 == 51:
            rules.year_end(self)
        self._report()
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

    def _report(self) -> None:
        res, car = self.res, self.car
        a = res["active"]
        st = res["state"]
        n_state = np.bincount(st, minlength=PGB + 1)  # residents per state, in one pass
        self.r_in_care = int(n_state[IN_CARE] + n_state[PGB])
        self.r_with_need = int(np.count_nonzero(a))
        self.r_waiting = int(n_state[APPLYING:IN_CARE].sum())
        self.r_hidden = int(n_state[HIDDEN])
        self.r_formal = float(res["formal"].sum())
        self.r_group = float(res["formal"][res["group"]].sum())
        self.r_over = float((res["formal"] - res["formal_met"]).sum())
        self.r_nb = float(self.nb_hours.sum())
        self.r_outreach = float(self.provider_outreach_hours.sum() + self.municipal_outreach_hours)
        self.r_informal = float(res["informal"].sum())
        self.r_volunteer = float(res["volunteer"].sum())
        care = (st == IN_CARE) | (st == PGB)
        self.r_informal_care = float(res["informal"][care].sum())
        self.r_volunteer_care = float(res["volunteer"][care].sum())
        self.r_unmet = float(res["unmet"].sum())
        self.r_need = float(res["need"][a].sum())
        self.r_spend = self._week_spend
        self.r_admin = self._week_admin
        self.r_reserves = float(sum(pr.reserves for pr in self.providers))
        giving = car["given"] > 0
        self.r_carers_giving = int(np.count_nonzero(giving))
        self.r_carers_over = int(np.count_nonzero(giving & car["over"]))
        self.r_volunteers = int(np.count_nonzero(self.vol["active"]))
        self.r_escalations = self._week_escalations
        self.spend_total += self._week_spend
        counts = np.bincount(res["owner"][st == IN_CARE], minlength=len(self.providers))
        self.prov_client_weeks += counts
        self.r_max_share = float(counts.max() / counts.sum()) if counts.sum() else 0.0
        self.agent_steps += self.r_with_need + len(self.carers) + self.r_volunteers

    # ------------------------------------------------------------ invariants (ODD 7.11)
    def check_invariants(self, tol: float = 1e-6) -> None:
        """Raise :class:`InvariantError` if an identity of ODD 7.11 fails this week."""
        res, car, vol = self.res, self.car, self.vol
        a = res["active"]
        parts = res["formal_met"] + res["informal"] + res["volunteer"] + res["unmet"]
        gap = np.abs(np.where(a, res["need"], 0.0) - parts)
        _require(
            gap.max(initial=0) <= tol,
            f"week {self.week}: need != formal+informal+volunteer+unmet (off by {gap.max():.3g} h)",
        )
        for name in ("need", "formal", "formal_met", "informal", "volunteer", "unmet"):
            _require(res[name].min(initial=0) >= -tol, f"week {self.week}: negative {name} hours")
        _require(car["given"].min(initial=0) >= -tol, f"week {self.week}: negative carer hours")
        over_car = (car["given"] - car["cap"]).max(initial=0)
        _require(over_car <= tol, f"week {self.week}: a carer gave {over_car:.3g} h above capacity")
        over_vol = (vol["given"] - vol["hours"]).max(initial=0)
        _require(over_vol <= tol, f"week {self.week}: a volunteer gave {over_vol:.3g} h above capacity")
        caps = self.week_capacity
        _require(
            np.all(self.staff_hours <= caps + tol),
            f"week {self.week}: staff hours {self.staff_hours} exceed capacity {caps}",
        )
        vol_d = np.bincount(self.layout.district[: a.size], weights=res["volunteer"], minlength=self.params.districts)
        given_d = np.bincount(vol["district"], weights=vol["given"], minlength=self.params.districts)
        _require(np.allclose(vol_d, given_d, atol=1e-6), f"week {self.week}: volunteer hours given != received")
        inf = np.bincount(car["slot"], weights=car["given"], minlength=a.size)
        _require(np.allclose(inf, res["informal"], atol=1e-6), f"week {self.week}: carer hours given != received")
        for pr in self.providers:
            book = pr.start_reserves + pr.received_total - pr.cost_total
            _require(
                abs(pr.reserves - book) <= 1e-6 * max(1.0, abs(book)),
                f"week {self.week}: provider {pr.index} reserves {pr.reserves:.2f} differ from its ledger {book:.2f}",
            )
        muni = self.municipality
        _require(
            abs(self.spend_total - (muni.paid_total + muni.other_total)) <= 1e-6 * max(1.0, abs(self.spend_total)),
            f"week {self.week}: weekly spend adds up to {self.spend_total:.2f}, payments to"
            f" {muni.paid_total + muni.other_total:.2f}",
        )
        st, owner = res["state"], res["owner"]
        alive = self.alive()
        in_care = st == IN_CARE
        _require(
            bool(np.all(owner[in_care] >= 0)) and bool(np.all(alive[owner[in_care]])),
            f"week {self.week}: a client in care has no live owner",
        )
        _require(bool(np.all(owner[~in_care] == -1)), f"week {self.week}: a client not in care has an owner")
        _require(bool(np.array_equal(a, st != NONE)), f"week {self.week}: episode flags and states disagree")
        _require(
            len(self.clients) == int(a.sum()),
            f"week {self.week}: {len(self.clients)} Client agents for {int(a.sum())} residents with a need",
        )
        _require(
            float(res["formal"][np.isin(st, (NONE, APPLYING, QUEUED, DECIDING))].sum()) == 0.0,
            f"week {self.week}: formal hours for a client without an owner all week",
        )
        received = sum(pr.received_total for pr in self.providers) + self._retired_received
        _require(
            abs(self.municipality.paid_total - received) <= 1e-6 * max(1.0, abs(received)),
            f"week {self.week}: municipality paid {self.municipality.paid_total:.2f}"
            f" but providers received {received:.2f}",
        )

    _retired_received = 0.0

    # ------------------------------------------------------------------ outputs
    def client_table(self) -> pd.DataFrame:
        """One row per client episode in the run (ended ones, then the still open)."""
        open_idx = indices(self.res["active"])
        if open_idx.size:
            self._record(open_idx, "open")
            recs = self._records
            self._records = self._records[:-1]
        else:
            recs = self._records
        if not recs:
            return pd.DataFrame()
        cols = {k: np.concatenate([r[k] for r in recs]) for k in recs[0]}
        df = pd.DataFrame(cols)
        weeks = np.maximum(df["weeks"].to_numpy(), 1)
        out = pd.DataFrame(
            {
                "client_id": df["client_id"],
                "slot": df["slot"],
                "district": df["district"],
                "start_week": df["start_week"],
                "end_week": df["end_week"],
                "end": df["end"].astype("string"),
                "initial": df["initial"],
                "entry_need": df["entry_need"],
                "asked": df["asker"],
                "reached": df["reached"],
                "formal_hours": df["c_formal"] / weeks,
                "group_hours": df["c_group"] / weeks,
                "informal_hours": df["c_informal"] / weeks,
                "volunteer_hours": df["c_volunteer"] / weeks,
                "unmet_hours": df["c_unmet"] / weeks,
                "need_hours": df["c_need"] / weeks,
                "weeks": df["weeks"],
                "weeks_waiting": df["wait"],
                "underserved": df["under_ever"],
                "escalated": df["escalated"],
                "kpi": df["kpi"],
                "networked": df["networked"],
                "refusals": df["refusals"],
                "category": df["category"],
                "lost_at_handover": df["lost"],
                "protected_living": df["pl"],
                "weeks_blocked": df["blocked_weeks"],
            }
        )
        return out.sort_values(["start_week", "client_id"], kind="stable").reset_index(drop=True)


def _require(ok: bool, message: str) -> None:
    if not ok:
        raise InvariantError(message)


def _altruism(mean: float, sd: float, n: int, rng: np.random.Generator) -> np.ndarray:
    """Provider altruism: Beta with the given mean and sd (ODD 5); constant when sd = 0."""
    if sd == 0 or mean in (0.0, 1.0):
        rng.random(n)  # keep the stream aligned whatever the spread
        return np.full(n, float(mean))
    var = min(sd**2, mean * (1 - mean) * 0.99)
    k = mean * (1 - mean) / var - 1
    return rng.beta(mean * k, (1 - mean) * k, n)
