"""The validated problem of one month, built once per run (contract §4).

Everything the solver needs is here as tables of ids, computed without OR-Tools: the
eligible auditors and their remaining capacity, the break decisions, the cases to
allocate (due re-audits added), the conflict table and the eligible (case, auditor)
pairs with the facts that the preferences weigh.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd

from caseaudit.model.breaks import break_cap, cap_notifications, decide_breaks, restate_earlier
from caseaudit.model.calendar import add_months, first_day, last_day
from caseaudit.model.config import Config, PolicyConfig
from caseaudit.model.conflicts import ancestors_of
from caseaudit.model.dataset import Dataset
from caseaudit.model.exemptions import exemption_decisions, honoured_auditors
from caseaudit.model.history import yearly_counts
from caseaudit.model.reaudits import active_on, awaiting_reaudits, reaudit_schedule
from caseaudit.model.schema import NOT_COUNTED_STATUSES
from caseaudit.model.validate import validate_dataset
from caseaudit.plans.month.rules import (
    HARD_RULES,
    HardRule,
    MonthFacts,
    Restriction,
    apply_rules,
    auditor_blocks,
)

CASE_COLUMNS = [
    "case_id",
    "month",
    "subject_id",
    "case_type",
    "service",
    "team",
    "allocated_worker_id",
    "team_manager_id",
    "iro_id",
]


@dataclass(frozen=True)
class MonthProblem:
    """One month's allocation problem; frozen: make variants with ``replace``."""

    month: str
    config: Config
    #: Every staff member with is_auditor: eligibility, yearly count, break, capacity.
    auditors: pd.DataFrame
    #: Cases needing an auditor: the month's list plus due re-audits, one row per case.
    cases: pd.DataFrame
    #: Every forbidden (case, auditor) pair: case_id, auditor_id, kind (the rule's id),
    #: detail. Only pair rules appear here; auditor-wide limits are in ``capacity``.
    conflicts: pd.DataFrame
    #: Each hard rule's restriction, in ``HARD_RULES`` order (see ``blocking_rules``).
    restrictions: dict[str, Restriction]
    #: (case_id, auditor_id) pairs whose auditor audited the case's subject in the last
    #: 12 months (fresh eyes), the original auditor of a re-audit excepted.
    seen_subject: pd.DataFrame
    break_decisions: pd.DataFrame
    notifications: pd.DataFrame
    reaudit_schedule: pd.DataFrame
    #: Every exemption of the month, honoured or not, with the reason (§4, §30).
    exemption_decisions: pd.DataFrame
    break_cap: int
    eligible_count: int
    #: The rules' facts that do not depend on the month's list of cases, kept so that
    #: ``with_month_cases`` adds cases without reading them again: each staff member's
    #: managers up the chain, and the inadequate audits awaiting a re-audit.
    ancestors: dict[str, list[str]] = field(default_factory=dict, repr=False)
    awaiting: pd.DataFrame | None = field(default=None, repr=False)

    def replace(self, **changes: object) -> MonthProblem:
        return dataclasses.replace(self, **changes)  # type: ignore[arg-type]

    @property
    def policy(self) -> PolicyConfig:
        return self.config.policy

    @property
    def available_auditors(self) -> pd.DataFrame:
        """Auditors who may take at least one audit this month, by staff_id."""
        return self.auditors[self.auditors["capacity"] > 0]

    @property
    def allocatable_cases(self) -> pd.DataFrame:
        """Cases whose details are known, so that their conflicts can be checked."""
        return self.cases[~self.cases["details_missing"]]

    @cached_property
    def pair_details(self) -> dict[tuple[str, str, str], str]:
        """(case_id, auditor_id, rule) → why that rule forbids the pair."""
        frame = self.conflicts
        # Columns as lists first: iterating a pandas string column is one call per value.
        return dict(
            zip(
                zip(
                    frame["case_id"].tolist(),
                    frame["auditor_id"].tolist(),
                    frame["kind"].tolist(),
                    strict=True,
                ),
                frame["detail"].tolist(),
                strict=True,
            )
        )

    @cached_property
    def auditor_blocks(self) -> dict[str, list[tuple[str, str]]]:
        """Per auditor, the rules that bar them from every case this month."""
        return auditor_blocks(self.restrictions, self.auditors["staff_id"].tolist())

    @property
    def eligible_pair_count(self) -> int:
        """How many (case, auditor) pairs are allowed, without listing them."""
        cases, auditors = self.allocatable_cases, self.available_auditors
        forbidden = self.conflicts[
            self.conflicts["case_id"].isin(set(cases["case_id"]))
            & self.conflicts["auditor_id"].isin(set(auditors["staff_id"]))
        ].drop_duplicates(["case_id", "auditor_id"])
        return len(cases) * len(auditors) - len(forbidden)

    @cached_property
    def pairs(self) -> pd.DataFrame:
        """Every allowed (case, auditor) pair with the facts the preferences weigh.

        Listed in full: meant for small months, tests and analysis. The solver never
        needs it (it prices pairs instead of listing them).
        """
        return _eligible_pairs(self)


def build_problem(
    data: Dataset,
    month: str,
    validate: bool = True,
    previous_breaks: pd.DataFrame | None = None,
    hard_rules: Iterable[HardRule] = HARD_RULES,
) -> MonthProblem:
    """Build the month's problem; raises ``InputError`` if the data break a rule.

    For a reallocation, ``previous_breaks`` are the decisions already made (never
    revoked; new requests are decided after them within the cap). An auditor with an
    honoured exemption gets no audit at all in the month (§4, issue 3), in ``allocate``
    too, so that re-planning an unchanged month never moves an audit.

    ``hard_rules`` are the rules applied (all of ``HARD_RULES`` by default): a rule left
    out of the list is left out of the problem, and so out of the solver's model.
    """
    if validate:
        validate_dataset(data, month).raise_if_any()
    config = data.config
    policy = config.policy
    staff = data["staff"]
    auditors = _auditors(data, month)
    eligible = set(auditors.loc[auditors["eligible"], "staff_id"])
    at_maximum = set(auditors.loc[auditors["year_count"] >= policy.max_audits_per_year, "staff_id"])
    cap = break_cap(policy.max_break_fraction, len(eligible))
    requests = data["breaks"][data["breaks"]["month"] == month]
    if previous_breaks is None:
        decisions = decide_breaks(requests, month, eligible, at_maximum, cap)
    else:
        earlier = previous_breaks[previous_breaks["month"] == month]
        new_requests = requests[~requests["auditor_id"].isin(set(earlier["auditor_id"]))]
        already = int((earlier["decision"] == "granted").sum())
        decided_now = decide_breaks(new_requests, month, eligible, at_maximum, cap, already)
        kept = restate_earlier(earlier.reindex(columns=decided_now.columns), month, cap)
        decisions = (
            pd.concat([kept, decided_now])
            .sort_values(["auditor_id", "month"])
            .reset_index(drop=True)
        )
    granted = set(decisions.loc[decisions["decision"] == "granted", "auditor_id"])
    refused = int((decisions["decision"] == "refused_cap").sum())
    heads = _heads_active_on_first(staff, month)
    notifications = cap_notifications(month, len(granted), cap, refused, heads)

    exemptions = exemption_decisions(data, month)
    unavailable = honoured_auditors(exemptions)
    auditors["break_granted"] = auditors["staff_id"].isin(granted)
    auditors["exempted"] = auditors["staff_id"].isin(unavailable)

    awaiting = awaiting_reaudits(data, month)
    latest = _latest_case_rows(data, month)
    cases = _cases_to_allocate(data, month, awaiting, latest)
    case_service = dict(zip(cases["case_id"], cases["service"], strict=True))
    for case_id, service in zip(latest["case_id"], latest["service"], strict=True):
        case_service.setdefault(case_id, service)
    schedule = reaudit_schedule(data, month, awaiting, case_service)

    manager_of = {s: m for s, m in zip(staff["staff_id"], staff["manager_id"], strict=True) if m}
    ancestors = ancestors_of(manager_of)
    facts = MonthFacts(
        month=month,
        config=config,
        auditors=auditors,
        cases=cases[~cases["details_missing"]],
        ancestors=ancestors,
        declared=data["conflicts"],
        exemptions=exemptions,
    )
    restrictions, capacity, forbidden = apply_rules(facts, hard_rules)
    auditors["capacity"] = auditors["staff_id"].map(capacity).astype(int)
    conflicts = (
        forbidden[forbidden["auditor_id"].isin(set(auditors["staff_id"]))]
        .rename(columns={"rule": "kind"})
        .sort_values(["case_id", "auditor_id", "kind"])
        .reset_index(drop=True)[["case_id", "auditor_id", "kind", "detail"]]
    )
    return MonthProblem(
        month=month,
        config=config,
        auditors=auditors,
        cases=cases,
        conflicts=conflicts,
        restrictions=restrictions,
        seen_subject=_seen_subject(data, month, cases, auditors),
        break_decisions=decisions,
        notifications=notifications,
        reaudit_schedule=schedule,
        exemption_decisions=exemptions,
        break_cap=cap,
        eligible_count=len(eligible),
        ancestors=ancestors,
        awaiting=awaiting,
    )


def _heads_active_on_first(staff: pd.DataFrame, month: str) -> list[str]:
    heads = staff[(staff["role"] == "head_of_service") & active_on(staff, first_day(month))]
    return sorted(heads["staff_id"])


def _auditors(data: Dataset, month: str) -> pd.DataFrame:
    """Eligible in month m: is_auditor and active for the whole month (contract §3)."""
    staff = data["staff"]
    first, last = first_day(month), last_day(month)
    auditors = staff[staff["is_auditor"] == True].copy()  # noqa: E712
    starts_ok = auditors["active_from"].map(lambda d: d is None or d <= first)
    ends_ok = auditors["active_to"].map(lambda d: d is None or d >= last)
    auditors["eligible"] = (starts_ok & ends_ok).astype(bool)
    counts = yearly_counts(data, month)
    auditors["year_count"] = auditors["staff_id"].map(counts).fillna(0).astype(int)
    keep = [
        "staff_id",
        "name",
        "email",
        "role",
        "staff_group",
        "service",
        "team",
        "manager_id",
        "active_from",
        "active_to",
        "eligible",
        "year_count",
    ]
    return auditors[keep].sort_values("staff_id").reset_index(drop=True)


def _latest_case_rows(data: Dataset, month: str) -> pd.DataFrame:
    """Each case's latest known details: the row with the greatest month ≤ m."""
    cases = data["cases"]
    known = cases[cases["month"] <= month].sort_values(["case_id", "month"])
    return known.groupby("case_id").tail(1)


def _cases_to_allocate(
    data: Dataset, month: str, awaiting: pd.DataFrame, latest_rows: pd.DataFrame
) -> pd.DataFrame:
    """The month's cases plus due or overdue re-audits (contract §4 rule 5);
    ``latest_rows`` are :func:`_latest_case_rows` (built once per month)."""
    staff = data["staff"]
    manager_of = dict(zip(staff["staff_id"], staff["manager_id"], strict=True))
    this_month = data["cases"][data["cases"]["month"] == month][CASE_COLUMNS].copy()
    this_month["details_missing"] = False
    latest_awaiting = (
        awaiting.sort_values(["case_id", "confirmed_on", "audit_id"]).groupby("case_id").tail(1)
    )
    due_cases = set(awaiting.loc[awaiting["reaudit_month"] <= month, "case_id"])
    missing = sorted(due_cases - set(this_month["case_id"]))
    latest = latest_rows.set_index("case_id")
    added = []
    for case_id in missing:
        if case_id in latest.index:
            row = latest.loc[case_id]
            added.append(
                {
                    **{c: row[c] for c in CASE_COLUMNS if c != "case_id"},
                    "case_id": case_id,
                    "month": month,
                    "details_missing": False,
                }
            )
        else:
            subject = awaiting.loc[awaiting["case_id"] == case_id, "subject_id"].iloc[0]
            added.append(
                {"case_id": case_id, "month": month, "subject_id": subject, "details_missing": True}
            )
    cases = pd.concat([this_month, pd.DataFrame(added, columns=[*CASE_COLUMNS, "details_missing"])])
    return _case_facts(cases, latest_awaiting, due_cases, manager_of)


def _case_facts(
    cases: pd.DataFrame,
    latest_awaiting: pd.DataFrame,
    due_cases: set[str],
    manager_of: dict[str, str],
) -> pd.DataFrame:
    """The month's case rows with what the rules read beside their details: whether each
    is a re-audit (and of which audit, by whom), whether it is due, its group manager."""
    cases = cases.astype(object).where(cases.notna(), None)
    reaudit_of = dict(zip(latest_awaiting["case_id"], latest_awaiting["audit_id"], strict=True))
    original = dict(zip(latest_awaiting["case_id"], latest_awaiting["auditor_id"], strict=True))
    cases["is_reaudit"] = cases["case_id"].isin(reaudit_of.keys()).astype(bool)
    cases["reaudit_of"] = cases["case_id"].map(reaudit_of).astype(object)
    cases["reaudit_due"] = cases["case_id"].isin(due_cases).astype(bool)
    cases["original_auditor_id"] = cases["case_id"].map(original).astype(object)
    cases["group_manager_id"] = [
        manager_of.get(tm) if tm is not None else None for tm in cases["team_manager_id"]
    ]
    cases = cases.astype(object).where(cases.notna(), None)
    for column in ("is_reaudit", "reaudit_due", "details_missing"):
        cases[column] = cases[column].astype(bool)
    return cases.sort_values("case_id").reset_index(drop=True)


def _seen_subject(
    data: Dataset, month: str, cases: pd.DataFrame, auditors: pd.DataFrame
) -> pd.DataFrame:
    """(case_id, auditor_id): the auditor has a counted audit of the case's subject in
    the 12 months before ``month`` (fresh eyes), the re-audit's original auditor aside."""
    history = data["history"]
    window = history[
        (history["month"] >= add_months(month, -12))
        & (history["month"] < month)
        & ~history["status"].isin(NOT_COUNTED_STATUSES)
    ]
    seen = window[["subject_id", "auditor_id"]].drop_duplicates()
    linked = cases.loc[~cases["details_missing"], ["case_id", "subject_id", "original_auditor_id"]]
    linked = linked.merge(seen, on="subject_id")
    linked = linked[
        (linked["auditor_id"] != linked["original_auditor_id"])
        & linked["auditor_id"].isin(set(auditors.loc[auditors["capacity"] > 0, "staff_id"]))
    ]
    return (
        linked[["case_id", "auditor_id"]]
        .drop_duplicates()
        .sort_values(["case_id", "auditor_id"])
        .reset_index(drop=True)
    )


def seen_subject_by_any_auditor(data: Dataset, problem: MonthProblem) -> pd.DataFrame:
    """``problem.seen_subject`` for every auditor, those with no room this month too: a
    variant that frees an auditor (a break revoked, ``model.variants``) prices their
    fresh eyes like anyone's."""
    everyone = problem.auditors.assign(capacity=1)
    return _seen_subject(data, problem.month, problem.cases, everyone)


def _eligible_pairs(problem: MonthProblem) -> pd.DataFrame:
    """Every allowed (case, auditor) pair, case-major, as categoricals over sorted ids.

    Pairs are numbered ``case × auditors + auditor`` and the forbidden ones (the
    conflicts table, the one list of blocked pairs) removed by number: no cases ×
    auditors matrix is built, only the list of allowed pairs itself.
    """
    case_ids = problem.allocatable_cases["case_id"].to_numpy(dtype=object)
    available = problem.available_auditors
    auditor_ids = available["staff_id"].to_numpy(dtype=object)
    case_index, auditor_index = pd.Index(case_ids), pd.Index(auditor_ids)
    width = len(auditor_ids)

    def numbered(cases: pd.Series, auditors: pd.Series) -> np.ndarray:
        c, a = case_index.get_indexer(cases), auditor_index.get_indexer(auditors)
        known = (c >= 0) & (a >= 0)
        return np.unique(c[known].astype(np.int64) * width + a[known])

    forbidden = numbered(problem.conflicts["case_id"], problem.conflicts["auditor_id"])
    allowed = np.setdiff1d(
        np.arange(len(case_ids) * width, dtype=np.int64), forbidden, assume_unique=True
    )
    case_code, auditor_code = np.divmod(allowed, max(width, 1))
    original = problem.cases.set_index("case_id")["original_auditor_id"].reindex(case_ids)
    original_code = auditor_index.get_indexer(original.fillna("\x00").to_numpy())
    is_original = original_code[case_code] == auditor_code if len(case_ids) else np.zeros(0, bool)
    seen = problem.seen_subject
    seen_subject = np.isin(allowed, numbered(seen["case_id"], seen["auditor_id"]))
    year_count = available["year_count"].to_numpy(dtype=np.int64)
    return pd.DataFrame(
        {
            "case_id": pd.Categorical.from_codes(case_code, categories=case_index),
            "auditor_id": pd.Categorical.from_codes(auditor_code, categories=auditor_index),
            "year_count": year_count[auditor_code],
            "is_original": is_original,
            "seen_subject": seen_subject,
        }
    )


def with_month_cases(
    data: Dataset,
    problem: MonthProblem,
    rows: pd.DataFrame,
    hard_rules: Iterable[HardRule] = HARD_RULES,
) -> MonthProblem:
    """``build_problem`` of ``data`` with ``rows`` appended to its cases of the month,
    without building the month again (issue 21: ``draw-sample`` checks its drawn cases,
    then candidate replacements, against the month it has already built).

    ``problem`` is ``build_problem(data, month, hard_rules=hard_rules)``; ``rows`` are
    cases of its month (``CASE_COLUMNS``) that are not in it. Nothing but the month's
    list of cases changes: the auditors, their eligibility and capacity, the breaks, the
    exemptions and the awaited re-audits are read from staff, breaks, exemptions and
    history only, and the monthly maximum bounds every capacity. So the new cases' own
    rows, forbidden pairs (each pair rule reads one case at a time) and fresh-eyes pairs
    are made and merged in the order ``build_problem`` gives them.
    """
    if not any(rule.id == "monthly_max" for rule in hard_rules):
        # Without the monthly maximum a capacity is the number of cases: build again.
        raise ValueError("with_month_cases needs the monthly maximum among the rules")
    month = problem.month
    staff = data["staff"]
    manager_of = dict(zip(staff["staff_id"], staff["manager_id"], strict=True))
    awaiting = awaiting_reaudits(data, month) if problem.awaiting is None else problem.awaiting
    latest_awaiting = (
        awaiting.sort_values(["case_id", "confirmed_on", "audit_id"]).groupby("case_id").tail(1)
    )
    due_cases = set(awaiting.loc[awaiting["reaudit_month"] <= month, "case_id"])
    added = rows[CASE_COLUMNS].assign(month=month, details_missing=False)
    added = _case_facts(added, latest_awaiting, due_cases, manager_of)
    facts = MonthFacts(
        month=month,
        config=data.config,
        auditors=problem.auditors.drop(columns="capacity"),
        cases=added,
        ancestors=problem.ancestors or ancestors_of({s: m for s, m in manager_of.items() if m}),
        declared=data["conflicts"],
        exemptions=problem.exemption_decisions,
    )
    restrictions, _, forbidden = apply_rules(facts, hard_rules)
    new_conflicts = forbidden[forbidden["auditor_id"].isin(set(problem.auditors["staff_id"]))]
    conflicts = (
        pd.concat(
            [problem.conflicts, new_conflicts.rename(columns={"rule": "kind"})],
            ignore_index=True,
        )
        .sort_values(["case_id", "auditor_id", "kind"])
        .reset_index(drop=True)[["case_id", "auditor_id", "kind", "detail"]]
    )
    merged = {
        rule_id: dataclasses.replace(
            problem.restrictions[rule_id],
            pairs=pd.concat([problem.restrictions[rule_id].pairs, new.pairs], ignore_index=True)
            if len(new.pairs)
            else problem.restrictions[rule_id].pairs,
        )
        for rule_id, new in restrictions.items()
    }
    cases = pd.concat([problem.cases, added], ignore_index=True)
    cases = cases.sort_values("case_id").reset_index(drop=True)
    seen = pd.concat(
        [problem.seen_subject, _seen_subject(data, month, added, problem.auditors)],
        ignore_index=True,
    )
    schedule = problem.reaudit_schedule
    if added["case_id"].isin(set(awaiting["case_id"])).any():
        # A new case awaits a later re-audit: the schedule names its service as this
        # month's list gives it (build_problem's order: this month's row, else the latest).
        case_service = dict(zip(cases["case_id"], cases["service"], strict=True))
        latest = _latest_case_rows(data, month)
        for case_id, service in zip(latest["case_id"], latest["service"], strict=True):
            case_service.setdefault(case_id, service)
        schedule = reaudit_schedule(data, month, awaiting, case_service)
    return problem.replace(
        cases=cases,
        conflicts=conflicts,
        restrictions=merged,
        seen_subject=seen.sort_values(["case_id", "auditor_id"]).reset_index(drop=True),
        reaudit_schedule=schedule,
    )
