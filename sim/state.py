"""The model's state as typed column tables (ODD 2 'Entities, state variables and scales').

Every person and provider is a row of one table: :class:`Residents` (one row per
at-risk resident, a potential client; ODD 2.1), :class:`Carers` (2.2),
:class:`Volunteers` (2.3) and :class:`Providers` (2.4). A table is a dataclass of
plain numpy arrays, one per state variable, so the weekly rules work on whole columns
(and a later compiled kernel can take the arrays as they are).

Each column is declared once, with :func:`col`: its dtype, the value of a new row,
the value it is reset to when a row starts (a resident's episode starts, a carer's
resident starts one, a volunteer joins, a provider takes a contract over) or ends, and
its name in the client table. Allocation, the resets, the episode record and the client
table (ODD 8.2) are all generated from that declaration, so adding a resident column is
one line here::

    hours_late: np.ndarray = field(metadata=col(float, start=0.0, record="hours_late"))

The Mesa agents (``sim.agents``) read their row through properties.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from functools import cache
from typing import Any

import numpy as np
import pandas as pd

# Resident states (ODD 2.1). The order matters: waiting is APPLYING..DECIDING, a range.
NONE, HIDDEN, APPLYING, QUEUED, DECIDING, IN_CARE, TRANSFER, PGB = range(8)
#: The self-reliance scale: the Dutch self-reliance matrix scores 1 (not) to 5 (fully).
SR_MIN, SR_MAX = 1.0, 5.0
#: How an episode ended (the column ``Residents.end``; the client table shows the name).
OPEN, RECOVERED, DIED, ESCALATED = range(4)
ENDS = ("open", "recovered", "died", "escalated")


def col(
    dtype: type,
    *,
    fill: Any = 0,
    start: Any = None,
    end: Any = None,
    record: str | None = None,
    per_week: bool = False,
) -> dict[str, Any]:
    """The declaration of one column of a table: ``field(metadata=col(...))``.

    Args:
        dtype: ``float``, ``int`` (int64) or ``bool``.
        fill: the value of a new row.
        start: the value the column is reset to when a row starts (``None``: kept, or
            set by the rule that starts the row).
        end: the value it is reset to when a row ends (``None``: kept).
        record: its column name in the client table (``None``: not recorded).
        per_week: the client table shows it divided by the episode's weeks with a need.
    """
    return {"dtype": dtype, "fill": fill, "start": start, "end": end, "record": record, "per_week": per_week}


_DTYPES = {float: np.float64, int: np.int64, bool: np.bool_}


class Table:
    """A set of equally long columns; the subclasses declare them with :func:`col`."""

    __slots__ = ()

    @classmethod
    def allocate(cls, n: int, **given: np.ndarray):
        """A table of ``n`` new rows; ``given`` columns are taken as they are."""
        cols = {}
        for f in fields(cls):
            if f.name in given:
                cols[f.name] = given.pop(f.name)
            else:
                cols[f.name] = np.full(n, f.metadata["fill"], dtype=_DTYPES[f.metadata["dtype"]])
        if given:
            raise TypeError(f"{cls.__name__} has no column(s) {sorted(given)}")
        return cls(**cols)

    @classmethod
    @cache
    def _resets(cls, when: str) -> tuple[tuple[str, Any], ...]:
        return tuple((f.name, f.metadata[when]) for f in fields(cls) if f.metadata[when] is not None)

    @classmethod
    @cache
    def _recorded(cls) -> tuple[tuple[str, str, bool], ...]:
        meta = [(f.name, f.metadata) for f in fields(cls)]
        return tuple((name, m["record"], m["per_week"]) for name, m in meta if m["record"])

    def start_rows(self, idx: np.ndarray) -> None:
        """Reset rows ``idx`` to their ``start`` values."""
        for name, value in self._resets("start"):
            getattr(self, name)[idx] = value

    def end_rows(self, idx: np.ndarray) -> None:
        """Reset rows ``idx`` to their ``end`` values."""
        for name, value in self._resets("end"):
            getattr(self, name)[idx] = value

    def record(self, idx: np.ndarray, **values: np.ndarray) -> dict[str, np.ndarray]:
        """Copies of the recorded columns at rows ``idx`` (``values`` replace columns)."""
        return {name: values[name] if name in values else getattr(self, name)[idx] for name, _, _ in self._recorded()}

    @classmethod
    def table(cls, records: list[dict[str, np.ndarray]], weeks: str = "weeks") -> pd.DataFrame:
        """The records as a DataFrame with the recorded names; ``per_week`` columns are
        divided by ``max(weeks, 1)``."""
        if not records:
            return pd.DataFrame()
        cols = {k: np.concatenate([r[k] for r in records]) for k in records[0]}
        per = np.maximum(cols[weeks], 1)
        out = {}
        for name, shown, per_week in cls._recorded():
            x = pd.Series(cols[name])
            out[shown] = x / per if per_week else x
        return pd.DataFrame(out)

    def grow(self) -> None:
        """Double the rows (new rows get their ``fill`` values)."""
        for f in fields(self):
            old = getattr(self, f.name)
            new = np.full(old.size, f.metadata["fill"], dtype=old.dtype)
            setattr(self, f.name, np.concatenate([old, new]))

    @classmethod
    @cache
    def _first(cls) -> str:
        return fields(cls)[0].name

    def __len__(self) -> int:
        return getattr(self, self._first()).size

    def __getitem__(self, name: str) -> np.ndarray:
        """``table["need"]`` is ``table.need`` (the dict-of-columns interface of before)."""
        if name not in self.__dataclass_fields__:
            raise KeyError(f"{type(self).__name__} has no column {name!r}")
        return getattr(self, name)


@dataclass(slots=True, eq=False)
class Residents(Table):
    """At-risk residents, one row per network slot (ODD 2.1). The recorded columns are
    declared in the order of the client table (ODD 8.2)."""

    client_id: np.ndarray = field(metadata=col(int, fill=-1, record="client_id"))  # the episode's Client agent
    slot: np.ndarray = field(metadata=col(int, record="slot"))  # the row (and network node)
    district: np.ndarray = field(metadata=col(int, record="district"))  # fixed (2.6)
    start_week: np.ndarray = field(metadata=col(int, record="start_week"))
    end_week: np.ndarray = field(metadata=col(int, fill=-1, start=-1, record="end_week"))
    end: np.ndarray = field(metadata=col(int, start=OPEN, record="end"))  # OPEN, RECOVERED, DIED or ESCALATED
    initial: np.ndarray = field(metadata=col(bool, start=False, record="initial"))  # open at the start (5.2)
    entry_need: np.ndarray = field(metadata=col(float, record="entry_need"))
    asker: np.ndarray = field(metadata=col(bool, record="asked"))  # fixed (5.1)
    reached: np.ndarray = field(metadata=col(bool, record="reached"))
    c_formal: np.ndarray = field(metadata=col(float, start=0.0, record="formal_hours", per_week=True))
    c_group: np.ndarray = field(metadata=col(float, start=0.0, record="group_hours", per_week=True))
    c_informal: np.ndarray = field(metadata=col(float, start=0.0, record="informal_hours", per_week=True))
    c_volunteer: np.ndarray = field(metadata=col(float, start=0.0, record="volunteer_hours", per_week=True))
    c_unmet: np.ndarray = field(metadata=col(float, start=0.0, record="unmet_hours", per_week=True))
    c_need: np.ndarray = field(metadata=col(float, start=0.0, record="need_hours", per_week=True))
    weeks: np.ndarray = field(metadata=col(int, start=0, record="weeks"))  # weeks with a need
    wait: np.ndarray = field(metadata=col(int, start=0, record="weeks_waiting"))
    under_ever: np.ndarray = field(metadata=col(bool, start=False, record="underserved"))
    under_care_ever: np.ndarray = field(metadata=col(bool, start=False, record="underserved_in_care"))
    under_wait_ever: np.ndarray = field(metadata=col(bool, start=False, record="underserved_waiting"))
    escalated: np.ndarray = field(metadata=col(bool, start=False, record="escalated"))
    kpi: np.ndarray = field(metadata=col(int, fill=-1, start=-1, record="kpi"))  # -1 not measured, 0 worse, 1 stable
    networked: np.ndarray = field(metadata=col(bool, start=False, end=False, record="networked"))
    refusals: np.ndarray = field(metadata=col(int, start=0, record="refusals"))
    category: np.ndarray = field(metadata=col(int, start=0, record="category"))  # output-based need category
    lost: np.ndarray = field(metadata=col(bool, start=False, record="lost_at_handover"))
    pl: np.ndarray = field(metadata=col(bool, start=False, record="protected_living"))
    blocked_weeks: np.ndarray = field(metadata=col(int, start=0, record="weeks_blocked"))
    # fixed for the run (5.1, 5.3)
    risk: np.ndarray = field(metadata=col(float))
    group_benefit: np.ndarray = field(metadata=col(float))  # a group hour's benefit against an individual one (5.1)
    modality_taste: np.ndarray = field(metadata=col(float))  # U(0, 1): the unobserved side of the modality choice (5.1)
    ctype: np.ndarray = field(metadata=col(int))
    transport_h: np.ndarray = field(metadata=col(float))
    # the episode and the week
    active: np.ndarray = field(metadata=col(bool, end=False))
    state: np.ndarray = field(metadata=col(int, end=NONE))
    episode: np.ndarray = field(metadata=col(int))
    owner: np.ndarray = field(metadata=col(int, fill=-1, start=-1, end=-1))
    sr: np.ndarray = field(metadata=col(float))
    scale: np.ndarray = field(metadata=col(float))
    need: np.ndarray = field(metadata=col(float, end=0.0))
    sr_intake: np.ndarray = field(metadata=col(float))
    unmet_ema: np.ndarray = field(metadata=col(float, start=0.0))
    entitlement: np.ndarray = field(metadata=col(float, start=0.0))
    formal: np.ndarray = field(metadata=col(float, start=0.0, end=0.0))
    formal_met: np.ndarray = field(metadata=col(float, start=0.0, end=0.0))
    informal: np.ndarray = field(metadata=col(float, start=0.0, end=0.0))
    volunteer: np.ndarray = field(metadata=col(float, start=0.0, end=0.0))
    unmet: np.ndarray = field(metadata=col(float, end=0.0))
    period_price: np.ndarray = field(metadata=col(float, start=0.0))
    floor: np.ndarray = field(metadata=col(float, start=0.0))
    ask_week: np.ndarray = field(metadata=col(int))
    decide_week: np.ndarray = field(metadata=col(int))
    assess_week: np.ndarray = field(metadata=col(int, start=-1))
    care_week: np.ndarray = field(metadata=col(int))
    under_run: np.ndarray = field(metadata=col(int, start=0))
    under_run_care: np.ndarray = field(metadata=col(int, start=0))  # the run while in care
    under_run_wait: np.ndarray = field(metadata=col(int, start=0))  # the run while waiting
    transfer_left: np.ndarray = field(metadata=col(int, start=0))
    group: np.ndarray = field(metadata=col(bool, start=False))
    reassess: np.ndarray = field(metadata=col(bool, start=False))

    def client_table(self, records: list[dict[str, np.ndarray]]) -> pd.DataFrame:
        """The client table (ODD 8.2): one row per recorded episode, in start order."""
        df = self.table(records)
        if df.empty:
            return df
        df["end"] = pd.Series(np.asarray(ENDS, dtype=object)[df["end"].to_numpy()]).astype("string")
        return df.sort_values(["start_week", "client_id"], kind="stable").reset_index(drop=True)


@dataclass(slots=True, eq=False)
class Carers(Table):
    """Informal carers (ODD 2.2). A row starts again when its resident's episode starts."""

    slot: np.ndarray = field(metadata=col(int))  # the resident cared for (fixed)
    cap0: np.ndarray = field(metadata=col(float))  # hours when not overburdened (fixed, 5.4)
    tol: np.ndarray = field(metadata=col(float))  # sustained hours tolerated (fixed, 5.4)
    cap: np.ndarray = field(metadata=col(float))  # hours available this week (7.5)
    given: np.ndarray = field(metadata=col(float))  # hours given this week (7.7)
    burden: np.ndarray = field(metadata=col(float, start=0.0))
    active: np.ndarray = field(metadata=col(bool, fill=True, start=True))
    over: np.ndarray = field(metadata=col(bool, start=False))


@dataclass(slots=True, eq=False)
class Volunteers(Table):
    """Care volunteers (ODD 2.3). Rows are reused: a row starts when a volunteer joins."""

    active: np.ndarray = field(metadata=col(bool, start=True, end=False))
    node: np.ndarray = field(metadata=col(int))
    district: np.ndarray = field(metadata=col(int))
    hours: np.ndarray = field(metadata=col(float))
    given: np.ndarray = field(metadata=col(float, start=0.0, end=0.0))


@dataclass(slots=True, eq=False)
class Providers(Table):
    """Providers, one row per contract index (ODD 2.4). A row starts when a provider takes
    the contract over (set-up, a bankruptcy, a lost tender); the contract's altruism,
    share and the run totals by contract stay."""

    altruism: np.ndarray = field(metadata=col(float))  # a, fixed per contract index (5.4)
    share: np.ndarray = field(metadata=col(float))  # contracted share of any fixed sum (5.3)
    capacity: np.ndarray = field(metadata=col(float))  # staff hours a week
    reserves: np.ndarray = field(metadata=col(float))  # EUR; below 0: bankruptcy
    start_reserves: np.ndarray = field(metadata=col(float))
    bankrupt: np.ndarray = field(metadata=col(bool, start=False))
    vacant_left: np.ndarray = field(metadata=col(int, start=0))  # weeks until a bankrupt's contract is re-let
    kpi_last: np.ndarray = field(metadata=col(float, fill=np.nan, start=np.nan))  # NaN: none yet
    kpi_pressure: np.ndarray = field(metadata=col(float, fill=0.5))  # 7.6.2, set at year end
    year_staff_hours: np.ndarray = field(metadata=col(float, start=0.0))
    year_cost: np.ndarray = field(metadata=col(float, start=0.0))
    year_received: np.ndarray = field(metadata=col(float, start=0.0))
    year_variable: np.ndarray = field(metadata=col(float, start=0.0))  # per-hour and per-period pay
    received_total: np.ndarray = field(metadata=col(float, start=0.0))  # from the municipality
    cost_total: np.ndarray = field(metadata=col(float, start=0.0))
    staff_hours: np.ndarray = field(metadata=col(float, start=0.0))  # this week (7.6.4)
    week_capacity: np.ndarray = field(metadata=col(float))  # capacity when planning this week
    nb_hours: np.ndarray = field(metadata=col(float))  # network-building this week (7.6.5)
    outreach_hours: np.ndarray = field(metadata=col(float))  # this week (7.6.6)
    week_cost: np.ndarray = field(metadata=col(float))  # last week's cost (7.9)
    week_variable: np.ndarray = field(metadata=col(float))  # last week's per-hour and per-period pay
    contract_received: np.ndarray = field(metadata=col(float))  # by contract index, over the run
    client_weeks: np.ndarray = field(metadata=col(float))  # client-weeks in care, by contract index

    @property
    def alive(self) -> np.ndarray:
        """Providers under contract (not bankrupt)."""
        return ~self.bankrupt


@dataclass(slots=True)
class WeekFlows:
    """What flows in one week (ODD 8.1): set by the rules, read by the weekly reporters.
    A new one starts every step."""

    spend: float = 0.0  # EUR paid by the municipality (7.9)
    admin: float = 0.0  # EUR of admin cost booked
    escalations: int = 0  # episodes ended by escalation (7.3)
    optimum_hours: float = 0.0  # sum of the clients' optimum formal hours r (7.6)
    pgb_spend: float = 0.0  # EUR spent by personal-budget holders (7.4.6)
    blocked: int = 0  # recovered protected-living clients without a home (7.3, 7.7)
    provider_received: float = 0.0  # EUR providers received this week, net of year-end settlements (7.9)
    provider_cost: float = 0.0  # EUR providers spent this week (7.9)


@dataclass(slots=True)
class Tally:
    """Run totals (ODD 8.2-8.3): counters of events over the whole run."""

    admissions: int = 0  # clients taken in through an entry's admission (7.4.4)
    refusals: int = 0  # intakes declined by a provider (7.4.4)
    handovers: int = 0  # clients handed to a new provider (7.10.5)
    lost_clients: int = 0  # of whom lost at the handover
    bankruptcies: int = 0  # providers gone bankrupt (7.10.3)
    rescues: int = 0  # providers saved by the municipal buffer (7.10.3)
    revisions: int = 0  # mid-year budget revisions (7.9.2)
    trained_volunteers: int = 0  # volunteers trained by the municipality (7.9.1)
    spend_total: float = 0.0  # the weekly spend summed (the 7.11 ledger)
    retired_received: float = 0.0  # received by providers since replaced (7.11)
    retired_cost: float = 0.0  # spent by providers since replaced (7.11)
    entrant_capital: float = 0.0  # starting reserves new entrants brought from their owners (7.10.4)
