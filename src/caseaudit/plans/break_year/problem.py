"""The audit year's break plan as a problem: who needs how many breaks, where they may go.

Policy §2–3 and issue 9: ten audits a year at one a month leave every auditor eligible
in k months of the year with max(0, k − ``max_audits_per_year``) months without an
audit; no month may lose more than ``max_break_fraction`` of its eligible auditors, no
service more than ``[breaks] max_service_break_fraction`` of its own.

Months of the year up to the latest month in ``history`` are past: an eligible auditor
with no counted audit there took a break, and those breaks count toward the year. The
rest of the year is planned. The hard rules are listed once in ``BREAK_RULES``, each a
named function that cites its paragraph; :func:`build_break_year` applies exactly the
rules of the list it is given, and the solver's adapter builds its model from the
result (allowed pairs, demand, capacities) alone. No OR-Tools here.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd

from caseaudit.model.breaks import break_cap
from caseaudit.model.calendar import add_months, first_day, last_day, month_text
from caseaudit.model.config import Config
from caseaudit.model.dataset import Dataset
from caseaudit.model.errors import plural
from caseaudit.model.rule_record import RuleRecord
from caseaudit.model.schema import NOT_COUNTED_STATUSES

#: Columns of a rule's forbidden (auditor, month) pairs.
PAIR_COLUMNS = ["auditor_id", "month", "detail"]


@dataclass(frozen=True)
class YearFacts:
    """What the rules read, as tables of ids (every auditor, every month of the year)."""

    year: int
    config: Config
    months: tuple[str, ...]
    #: Months fixed by history (every month up to the latest month in history).
    past: tuple[str, ...]
    #: staff_id, name, service, eligible_months (k), taken (breaks in past months).
    auditors: pd.DataFrame
    #: (staff_id, month) for every month of the year in which the auditor is eligible.
    eligible: pd.DataFrame
    #: (auditor_id, month): breaks taken in past months (eligible, no counted audit).
    taken: pd.DataFrame


@dataclass(frozen=True)
class YearRestriction:
    """What one rule decides: forbidden pairs (with why), the breaks each auditor must get
    in the planned months, or a cap per month or per (month, service)."""

    pairs: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=PAIR_COLUMNS))
    demand: pd.Series | None = None
    month_cap: pd.Series | None = None
    service_cap: pd.Series | None = None


#: A hard rule of the break plan: the generic rule record over the year's functions.
BreakRule = RuleRecord[Callable[["YearFacts"], "YearRestriction"]]


# ---------------------------------------------------------------- the hard rules


def eligible_months(facts: YearFacts) -> YearRestriction:
    """Contract §3, §2: a break only in a month in which the auditor is eligible (an
    auditor for the whole month); other months have no audit to be spared."""
    everything = pd.MultiIndex.from_product(
        [facts.auditors["staff_id"], list(facts.months)], names=["auditor_id", "month"]
    )
    eligible = pd.MultiIndex.from_frame(
        facts.eligible.rename(columns={"staff_id": "auditor_id"})[["auditor_id", "month"]]
    )
    outside = everything.difference(eligible).to_frame(index=False)
    outside["detail"] = "is not an auditor active for the whole of " + outside["month"]
    return YearRestriction(pairs=outside[PAIR_COLUMNS])


def past_months_fixed(facts: YearFacts) -> YearRestriction:
    """Issue 9 §1: months up to the latest month in history are past; their breaks are
    the ones history shows (taken), never planned again."""
    if not facts.past:
        return YearRestriction()
    pairs = pd.MultiIndex.from_product(
        [facts.auditors["staff_id"], list(facts.past)], names=["auditor_id", "month"]
    ).to_frame(index=False)
    pairs["detail"] = pairs["month"] + " is past: history decides it"
    return YearRestriction(pairs=pairs[PAIR_COLUMNS])


def needed_breaks(facts: YearFacts) -> YearRestriction:
    """§2: an auditor eligible in k months of the year takes exactly max(0, k −
    ``max_audits_per_year``) breaks (two for a full year); breaks already taken in past
    months count toward them."""
    auditors = facts.auditors
    needed = (auditors["eligible_months"] - facts.config.policy.max_audits_per_year).clip(lower=0)
    left = (needed - auditors["taken"]).clip(lower=0)
    return YearRestriction(demand=pd.Series(left.to_numpy(), index=auditors["staff_id"]))


def monthly_cap(facts: YearFacts) -> YearRestriction:
    """§3, contract §4 rule 3: at most floor(``max_break_fraction`` × auditors eligible
    that month) breaks in a month, in exact decimals."""
    counts = facts.eligible.groupby("month").size().reindex(list(facts.months), fill_value=0)
    fraction = facts.config.policy.max_break_fraction
    return YearRestriction(month_cap=counts.map(lambda n: break_cap(fraction, int(n))))


def service_cap(facts: YearFacts) -> YearRestriction:
    """Issue 9 §2: at most floor(``[breaks] max_service_break_fraction`` × the service's
    auditors eligible that month) breaks in a service and month, in exact decimals, so
    that no service loses its auditors together."""
    counts = facts.eligible.groupby(["month", "service"]).size()
    fraction = facts.config.breaks.max_service_break_fraction
    return YearRestriction(service_cap=counts.map(lambda n: break_cap(fraction, int(n))))


BREAK_RULES: tuple[BreakRule, ...] = (
    BreakRule("eligible_months", "only in months the auditor is eligible", "§2, contract §3",
              eligible_months),
    BreakRule("past_months_fixed", "past months as history shows them", "issue 9 §1",
              past_months_fixed),
    BreakRule("needed_breaks", "exactly the needed number of breaks", "§2", needed_breaks),
    BreakRule("monthly_cap", "at most the monthly cap", "§3, contract §4 rule 3", monthly_cap),
    BreakRule("service_cap", "at most the service cap", "§3, issue 9 §2", service_cap),
)  # fmt: skip
BREAK_RULES_BY_ID = {rule.id: rule for rule in BREAK_RULES}


# ---------------------------------------------------------------- the problem


@dataclass(frozen=True)
class BreakYear:
    """The year's break plan in ids; frozen: make variants with ``replace``."""

    facts: YearFacts
    restrictions: dict[str, YearRestriction]
    #: Every allowed (auditor_id, month) pair with the auditor's service, auditor-major.
    pairs: pd.DataFrame
    #: Breaks each auditor must get in the planned months (every auditor, by staff_id).
    demand: pd.Series
    #: month, eligible, cap, past — every month of the year.
    months: pd.DataFrame
    #: month, service, eligible, cap — every (month, service) with an eligible auditor.
    services: pd.DataFrame
    #: auditor_id, month, requested_on, on_time, position (first come first served,
    #: from 0; -1 for a request the plan cannot consider), status, detail.
    requests: pd.DataFrame
    #: auditor_id, month, rank, had_break_last_year, status, detail.
    wishes: pd.DataFrame
    #: Requests or wishes left out: a month outside the year (counted, not listed).
    outside_year: dict[str, int] = field(default_factory=dict)

    def replace(self, **changes: object) -> BreakYear:
        return dataclasses.replace(self, **changes)  # type: ignore[arg-type]

    @property
    def config(self) -> Config:
        return self.facts.config

    @property
    def planned_months(self) -> list[str]:
        return [m for m in self.facts.months if m not in set(self.facts.past)]

    @property
    def plan_date(self) -> dt.date:
        """The day the plan stands for: the last day before its first planned month
        (every emitted request is dated then, so it is on time for every month)."""
        months = self.planned_months or [add_months(self.facts.months[-1], 1)]
        return last_day(add_months(months[0], -1))

    @cached_property
    def _blockers(self) -> dict[tuple[str, str], list[tuple[str, str]]]:
        found: dict[tuple[str, str], list[tuple[str, str]]] = {}
        for rule_id, restriction in self.restrictions.items():
            pairs = restriction.pairs
            for auditor_id, month, detail in pairs[PAIR_COLUMNS].itertuples(index=False, name=None):
                found.setdefault((auditor_id, month), []).append(
                    (rule_id, f"{auditor_id} {detail}")
                )
        return found

    def blocking_rules(self, auditor_id: str, month: str) -> list[tuple[str, str]]:
        """The hard rules that rule out a break for ``auditor_id`` in ``month``, as (rule
        id, detail), in the order of ``BREAK_RULES``. Empty when the pair is allowed."""
        return self._blockers.get((auditor_id, month), [])

    @cached_property
    def auditor_facts(self) -> dict[str, tuple[str, int, int]]:
        """staff_id → (service, eligible months, breaks taken in past months)."""
        auditors = self.facts.auditors
        return {
            a: (s, int(k), int(t))
            for a, s, k, t in auditors[
                ["staff_id", "service", "eligible_months", "taken"]
            ].itertuples(index=False, name=None)
        }


def year_months(year: int, start_month: int) -> tuple[str, ...]:
    """The twelve months of the audit year that starts in ``year`` (contract §1)."""
    start = month_text(year, start_month)
    return tuple(add_months(start, i) for i in range(12))


def _eligibility(staff: pd.DataFrame, months: Iterable[str]) -> pd.DataFrame:
    """(staff_id, service, month) for each auditor eligible in each month (contract §3)."""
    auditors = staff[staff["is_auditor"] == True]  # noqa: E712
    start = np.array(
        [d.toordinal() if d is not None else -1 for d in auditors["active_from"]], dtype=np.int64
    )
    end = np.array(
        [d.toordinal() if d is not None else 1 << 40 for d in auditors["active_to"]],
        dtype=np.int64,
    )
    frames = []
    for month in months:
        ok = (start <= first_day(month).toordinal()) & (end >= last_day(month).toordinal())
        frames.append(
            pd.DataFrame(
                {
                    "staff_id": auditors["staff_id"].to_numpy()[ok],
                    "service": auditors["service"].to_numpy()[ok],
                    "month": month,
                }
            )
        )
    return (
        pd.concat(frames, ignore_index=True)
        if frames
        else pd.DataFrame(columns=["staff_id", "service", "month"])
    )


def _counted_audits(history: pd.DataFrame, months: Iterable[str]) -> pd.DataFrame:
    """(auditor_id, month) with a counted audit (status not cancelled or reallocated)."""
    within = history[history["month"].isin(set(months))]
    counted = within[~within["status"].isin(NOT_COUNTED_STATUSES)]
    return counted[["auditor_id", "month"]].drop_duplicates()


def _breaks_in(
    eligible: pd.DataFrame, audited: pd.DataFrame, months: Iterable[str]
) -> pd.DataFrame:
    """(auditor_id, month): eligible in a month of ``months`` with no counted audit."""
    within = eligible[eligible["month"].isin(set(months))]
    merged = within.merge(
        audited.rename(columns={"auditor_id": "staff_id"}).assign(audited=True),
        on=["staff_id", "month"],
        how="left",
    )
    took = merged[merged["audited"].isna()]
    return (
        took.rename(columns={"staff_id": "auditor_id"})[["auditor_id", "month"]]
        .sort_values(["auditor_id", "month"])
        .reset_index(drop=True)
    )


def year_facts(data: Dataset, year: int) -> YearFacts:
    """The facts of the audit year starting in ``year``: eligibility, past months, taken
    breaks."""
    config = data.config
    months = year_months(year, config.policy.audit_year_start_month)
    staff = data["staff"]
    history = data["history"]
    latest = history["month"].max() if len(history) else None
    past = tuple(m for m in months if latest is not None and m <= latest)
    eligible = _eligibility(staff, months)
    taken = _breaks_in(eligible, _counted_audits(history, past), past)
    auditors = staff.loc[staff["is_auditor"] == True, ["staff_id", "name", "service"]]  # noqa: E712
    auditors = auditors.sort_values("staff_id").reset_index(drop=True)
    auditors["eligible_months"] = (
        auditors["staff_id"].map(eligible.groupby("staff_id").size()).fillna(0).astype("int64")
    )
    auditors["taken"] = (
        auditors["staff_id"].map(taken.groupby("auditor_id").size()).fillna(0).astype("int64")
    )
    return YearFacts(
        year=year,
        config=config,
        months=months,
        past=past,
        auditors=auditors,
        eligible=eligible.sort_values(["staff_id", "month"]).reset_index(drop=True),
        taken=taken,
    )


def build_break_year(
    data: Dataset, year: int, rules: Iterable[BreakRule] = BREAK_RULES
) -> BreakYear:
    """The year's break plan as a problem. ``rules`` are the hard rules applied (all of
    ``BREAK_RULES`` by default): a rule left out is left out of the solver's model."""
    facts = year_facts(data, year)
    restrictions = {rule.id: rule.function(facts) for rule in rules}
    auditors = facts.auditors
    ids = auditors["staff_id"]
    demand = pd.Series(0, index=ids, dtype="int64")
    month_counts = facts.eligible.groupby("month").size().reindex(list(facts.months), fill_value=0)
    service_counts = facts.eligible.groupby(["month", "service"]).size()
    month_cap = month_counts.astype("int64")  # no cap rule: every eligible auditor may go
    service_cap = service_counts.astype("int64")
    forbidden = [r.pairs[["auditor_id", "month"]] for r in restrictions.values() if len(r.pairs)]
    for restriction in restrictions.values():
        if restriction.demand is not None:
            demand = restriction.demand.reindex(ids).fillna(0).astype("int64")
        if restriction.month_cap is not None:
            month_cap = month_cap.combine(restriction.month_cap, min).astype("int64")
        if restriction.service_cap is not None:
            service_cap = service_cap.combine(restriction.service_cap, min).astype("int64")
    pairs = pd.MultiIndex.from_product([ids, list(facts.months)], names=["auditor_id", "month"])
    if forbidden:
        pairs = pairs.difference(pd.MultiIndex.from_frame(pd.concat(forbidden)))
    frame = pairs.to_frame(index=False)
    frame = frame[frame["auditor_id"].map(demand).to_numpy() > 0]
    frame["service"] = frame["auditor_id"].map(dict(zip(ids, auditors["service"], strict=True)))
    frame = frame.sort_values(["auditor_id", "month"]).reset_index(drop=True)
    months = pd.DataFrame(
        {
            "month": list(facts.months),
            "eligible": month_counts.to_numpy(dtype=np.int64),
            "cap": month_cap.reindex(list(facts.months)).to_numpy(dtype=np.int64),
            "past": [m in set(facts.past) for m in facts.months],
        }
    )
    services = pd.DataFrame(
        {
            "month": [m for m, _ in service_counts.index],
            "service": [s for _, s in service_counts.index],
            "eligible": service_counts.to_numpy(dtype=np.int64),
            "cap": service_cap.reindex(service_counts.index).to_numpy(dtype=np.int64),
        }
    )
    partial = BreakYear(
        facts=facts,
        restrictions=restrictions,
        pairs=frame,
        demand=demand,
        months=months,
        services=services.sort_values(["month", "service"]).reset_index(drop=True),
        requests=pd.DataFrame(),
        wishes=pd.DataFrame(),
    )
    requests, outside_requests = _requests(data, partial)
    wishes, outside_wishes = _wishes(data, partial)
    return partial.replace(
        requests=requests,
        wishes=wishes,
        outside_year={"requests": outside_requests, "wishes": outside_wishes},
    )


# ---------------------------------------------------------------- requests and wishes


def _auditor_side(problem: BreakYear, auditor_id: str, month: str) -> tuple[str, str] | None:
    """Why an auditor can have no break in ``month`` whatever the others do: (status,
    detail), or None when the pair is open to the plan."""
    facts = problem.facts
    if month in set(facts.past):
        return "past", f"{month} is past: history decides it"
    blockers = problem.blocking_rules(auditor_id, month)
    if blockers:
        return "impossible", blockers[0][1]
    if problem.demand.get(auditor_id, 0) > 0:
        return None
    _, eligible_months, _ = problem.auditor_facts[auditor_id]
    maximum = facts.config.policy.max_audits_per_year
    needed = max(eligible_months - maximum, 0)
    if needed == 0:
        return "impossible", (
            f"{auditor_id} needs no break: eligible in {plural(eligible_months, 'month')} of "
            f"the audit year, at most {maximum} audits (§2)"
        )
    taken = list(facts.taken.loc[facts.taken["auditor_id"] == auditor_id, "month"])
    return "impossible", (
        f"{auditor_id} already took {plural(len(taken), 'break')} ({', '.join(taken)}); "
        f"they need {needed} (§2)"
    )


def _requests(data: Dataset, problem: BreakYear) -> tuple[pd.DataFrame, int]:
    """The year's break requests, first come first served (contract §4 rule 3: on time,
    then earlier requested_on, then auditor_id), each marked open or not with why."""
    facts = problem.facts
    breaks = data["breaks"]
    in_year = breaks[breaks["month"].isin(set(facts.months))]
    rows = []
    for auditor_id, month, requested_on in in_year[
        ["auditor_id", "month", "requested_on"]
    ].itertuples(index=False, name=None):
        on_time = requested_on <= last_day(add_months(month, -1))
        side = _auditor_side(problem, auditor_id, month)
        status, detail = side if side is not None else ("open", "")
        rows.append((auditor_id, month, requested_on, on_time, status, detail))
    frame = pd.DataFrame(
        rows, columns=["auditor_id", "month", "requested_on", "on_time", "status", "detail"]
    )
    frame["on_time"] = frame["on_time"].astype(bool)
    frame = frame.sort_values(
        ["on_time", "requested_on", "auditor_id", "month"],
        ascending=[False, True, True, True],
        kind="stable",
    ).reset_index(drop=True)
    open_ = frame["status"] == "open"
    frame["position"] = -1
    frame.loc[open_, "position"] = np.arange(int(open_.sum()))
    return frame, len(breaks) - len(in_year)


def _wishes(data: Dataset, problem: BreakYear) -> tuple[pd.DataFrame, int]:
    """The year's wishes, each with whether the auditor had a break in the same month of
    the previous audit year (from history), marked open or not with why."""
    facts = problem.facts
    preferences = data["break_preferences"]
    in_year = preferences[preferences["month"].isin(set(facts.months))]
    auditors = set(facts.auditors["staff_id"])
    history = data["history"]
    # The same month of the previous audit year, where history covers it.
    previous = {m: add_months(m, -12) for m in facts.months}
    first, last = (history["month"].min(), history["month"].max()) if len(history) else ("", "")
    known = [p for p in previous.values() if first <= p <= last]
    counted = _counted_audits(history, known)
    last_year = _breaks_in(_eligibility(data["staff"], known), counted, known)
    had = set(zip(last_year["auditor_id"], last_year["month"], strict=True))
    rows = []
    for auditor_id, month, rank in in_year[["auditor_id", "month", "rank"]].itertuples(
        index=False, name=None
    ):
        if auditor_id not in auditors:
            side: tuple[str, str] | None = ("impossible", f"{auditor_id} is not an auditor")
        else:
            side = _auditor_side(problem, auditor_id, month)
        status, detail = side if side is not None else ("open", "")
        had_break = (auditor_id, previous[month]) in had
        rows.append((auditor_id, month, int(rank), had_break, status, detail))
    frame = pd.DataFrame(
        rows,
        columns=["auditor_id", "month", "rank", "had_break_last_year", "status", "detail"],
    )
    frame["had_break_last_year"] = frame["had_break_last_year"].astype(bool)
    frame["rank"] = frame["rank"].astype("int64")
    return frame.sort_values(["auditor_id", "month"]).reset_index(drop=True), len(
        preferences
    ) - len(in_year)
