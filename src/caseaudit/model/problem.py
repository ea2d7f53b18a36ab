"""The validated problem of one month, built once per run (contract §4).

Everything the solver needs is here as tables of ids, computed without OR-Tools: the
eligible auditors and their remaining capacity, the break decisions, the cases to
allocate (due re-audits added), the conflict table and the eligible (case, auditor)
pairs with the facts that the preferences weigh.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import pandas as pd

from caseaudit.model.breaks import break_cap, cap_notifications, decide_breaks
from caseaudit.model.calendar import add_months, audit_year_start, first_day, last_day
from caseaudit.model.config import Config, PolicyConfig
from caseaudit.model.conflicts import (
    CONFLICT_COLUMNS,
    ancestors_of,
    chain_conflicts,
    declared_conflicts,
    direct_conflicts,
    exempted_conflicts,
    same_team_conflicts,
)
from caseaudit.model.dataset import Dataset
from caseaudit.model.exemptions import exemption_decisions, honoured_auditors
from caseaudit.model.ids import fingerprint, mix
from caseaudit.model.reaudits import active_on, awaiting_reaudits, reaudit_schedule
from caseaudit.model.schema import NOT_COUNTED_STATUSES
from caseaudit.model.validate import validate_dataset

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
    #: Eligible (case, auditor) pairs with the facts the preferences weigh.
    pairs: pd.DataFrame
    #: Every conflict of interest between a case and an auditor, by kind.
    conflicts: pd.DataFrame
    break_decisions: pd.DataFrame
    notifications: pd.DataFrame
    reaudit_schedule: pd.DataFrame
    #: Every exemption of the month, honoured or not, with the reason (§4, §30).
    exemption_decisions: pd.DataFrame
    break_cap: int
    eligible_count: int
    #: Candidates kept per case (0: every eligible auditor). Above 0 the plan is optimal
    #: over the kept candidates only, so it is reported as feasible.
    candidate_limit: int = 0

    def replace(self, **changes: object) -> MonthProblem:
        return dataclasses.replace(self, **changes)  # type: ignore[arg-type]

    @property
    def policy(self) -> PolicyConfig:
        return self.config.policy


def build_problem(
    data: Dataset,
    month: str,
    validate: bool = True,
    previous_breaks: pd.DataFrame | None = None,
) -> MonthProblem:
    """Build the month's problem; raises ``InputError`` if the data break a rule.

    For a reallocation, ``previous_breaks`` are the decisions already made (never
    revoked; new requests are decided after them within the cap). An auditor with an
    honoured exemption gets no audit at all in the month (§4, issue 3), in ``allocate``
    too, so that re-planning an unchanged month never moves an audit.
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
        decisions = (
            pd.concat([earlier.reindex(columns=decided_now.columns), decided_now])
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
    remaining_year = (policy.max_audits_per_year - auditors["year_count"]).clip(lower=0)
    auditors["capacity"] = np.where(
        auditors["eligible"] & ~auditors["break_granted"] & ~auditors["staff_id"].isin(unavailable),
        np.minimum(policy.max_audits_per_month, remaining_year),
        0,
    ).astype(int)

    awaiting = awaiting_reaudits(data, month)
    cases = _cases_to_allocate(data, month, awaiting)
    case_service = dict(zip(cases["case_id"], cases["service"], strict=True))
    latest = _latest_case_rows(data, month)
    for case_id, service in zip(latest["case_id"], latest["service"], strict=True):
        case_service.setdefault(case_id, service)
    schedule = reaudit_schedule(data, month, awaiting, case_service)

    conflicts = _conflicts(data, cases, auditors, exemptions)
    limit = candidate_limit_for(
        config, int((~cases["details_missing"]).sum()), int((auditors["capacity"] > 0).sum())
    )
    pairs = _eligible_pairs(data, month, cases, auditors, conflicts, limit)
    return MonthProblem(
        month=month,
        config=config,
        auditors=auditors,
        cases=cases,
        pairs=pairs,
        conflicts=conflicts,
        break_decisions=decisions,
        notifications=notifications,
        reaudit_schedule=schedule,
        exemption_decisions=exemptions,
        break_cap=cap,
        eligible_count=len(eligible),
        candidate_limit=limit,
    )


def _heads_active_on_first(staff: pd.DataFrame, month: str) -> list[str]:
    heads = staff[(staff["role"] == "head_of_service") & active_on(staff, first_day(month))]
    return sorted(heads["staff_id"])


def yearly_counts(data: Dataset, month: str) -> pd.Series:
    """Audits each auditor already has in the audit year of ``month`` (contract §4 rule 2).

    Reallocated and cancelled rows do not count; earlier months never count toward the
    monthly maximum, only toward the year.
    """
    history = data["history"]
    start = audit_year_start(month, data.config.policy.audit_year_start_month)
    in_year = history[
        (history["month"] >= start)
        & (history["month"] < month)
        & ~history["status"].isin(NOT_COUNTED_STATUSES)
    ]
    return in_year.groupby("auditor_id").size()


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


def _cases_to_allocate(data: Dataset, month: str, awaiting: pd.DataFrame) -> pd.DataFrame:
    """The month's cases plus due or overdue re-audits (contract §4 rule 5)."""
    staff = data["staff"]
    manager_of = dict(zip(staff["staff_id"], staff["manager_id"], strict=True))
    this_month = data["cases"][data["cases"]["month"] == month][CASE_COLUMNS].copy()
    this_month["details_missing"] = False
    latest_awaiting = (
        awaiting.sort_values(["case_id", "confirmed_on", "audit_id"]).groupby("case_id").tail(1)
    )
    due_cases = set(awaiting.loc[awaiting["reaudit_month"] <= month, "case_id"])
    missing = sorted(due_cases - set(this_month["case_id"]))
    latest = _latest_case_rows(data, month).set_index("case_id")
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


def _conflicts(
    data: Dataset, cases: pd.DataFrame, auditors: pd.DataFrame, exemptions: pd.DataFrame
) -> pd.DataFrame:
    """Every (case, auditor) conflict by kind; the optional kinds follow [conflicts]."""
    staff = data["staff"]
    options = data.config.conflicts
    manager_of = {s: m for s, m in zip(staff["staff_id"], staff["manager_id"], strict=True) if m}
    rows: list[tuple[str, str, str]] = []
    rows.extend(direct_conflicts(cases))
    if options.management_chain:
        rows.extend(chain_conflicts(cases, ancestors_of(manager_of)))
    if options.same_team:
        rows.extend(same_team_conflicts(cases, auditors))
    rows.extend(declared_conflicts(cases, data["conflicts"]))
    rows.extend(exempted_conflicts(cases, exemptions))
    frame = pd.DataFrame(rows, columns=CONFLICT_COLUMNS)
    auditor_ids = set(auditors["staff_id"])
    frame = frame[frame["auditor_id"].isin(auditor_ids)]
    return (
        frame.drop_duplicates()
        .sort_values(["case_id", "auditor_id", "kind"])
        .reset_index(drop=True)
    )


def candidate_limit_for(config: Config, n_cases: int, n_auditors: int) -> int:
    """How many candidates each case keeps (0: all of them); see ``SolverConfig``."""
    settings = config.solver
    if settings.max_candidates_per_case:
        return settings.max_candidates_per_case
    if n_cases * n_auditors > settings.auto_candidate_limit_above:
        return AUTO_CANDIDATES_PER_CASE
    return 0


AUTO_CANDIDATES_PER_CASE = 64
#: Cells of the (cases × auditors) block handled at once: bounds memory at any size.
PAIR_BLOCK_CELLS = 4_000_000


def _allowed_codes(
    n_cases: int,
    n_auditors: int,
    forbidden: np.ndarray,
    limit: int,
    year_count: np.ndarray,
    original_code: np.ndarray,
    case_fingerprints: np.ndarray,
    auditor_fingerprints: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """(case, auditor) codes of the allowed pairs, case-major, built block by block.

    With a ``limit``, each case keeps its original auditor, the ``limit // 2`` candidates
    with the fewest audits this year (ties by a stable hash) and ``limit - limit // 2``
    more drawn by the hash among the rest, so that low-count auditors do not crowd every
    case's list and the month stays coverable.
    """
    block = max(1, PAIR_BLOCK_CELLS // max(n_auditors, 1))
    case_parts, auditor_parts = [], []
    for first in range(0, n_cases, block):
        last = min(n_cases, first + block)
        rows = last - first
        allowed = np.ones((rows, n_auditors), dtype=bool)
        inside = forbidden[(forbidden >= first * n_auditors) & (forbidden < last * n_auditors)]
        allowed.reshape(-1)[inside - first * n_auditors] = False
        if limit and n_auditors > limit:
            allowed &= _limited(
                allowed,
                limit,
                year_count,
                original_code[first:last],
                mix(case_fingerprints[first:last, None], auditor_fingerprints[None, :], 0),
            )
        row, column = np.nonzero(allowed)
        case_parts.append(row.astype(np.int64) + first)
        auditor_parts.append(column.astype(np.int64))
    if not case_parts:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    return np.concatenate(case_parts), np.concatenate(auditor_parts)


def _limited(
    allowed: np.ndarray,
    limit: int,
    year_count: np.ndarray,
    original_code: np.ndarray,
    hashed: np.ndarray,
) -> np.ndarray:
    rows = np.arange(allowed.shape[0])[:, None]
    never = np.iinfo(np.int64).max
    best_count = limit // 2
    preference = year_count[None, :].astype(np.int64) * (1 << 40) + (
        hashed >> np.uint64(24)
    ).astype(np.int64)
    preference[~allowed] = never
    chosen = np.zeros_like(allowed)
    chosen[rows, np.argpartition(preference, best_count - 1, axis=1)[:, :best_count]] = True
    drawn = (hashed & np.uint64((1 << 62) - 1)).astype(np.int64)
    drawn[~allowed | chosen] = never
    others = limit - best_count
    chosen[rows, np.argpartition(drawn, others - 1, axis=1)[:, :others]] = True
    with_original = np.flatnonzero(original_code >= 0)
    chosen[with_original, original_code[with_original]] = True
    return chosen


def _eligible_pairs(
    data: Dataset,
    month: str,
    cases: pd.DataFrame,
    auditors: pd.DataFrame,
    conflicts: pd.DataFrame,
    candidate_limit: int = 0,
) -> pd.DataFrame:
    """Allowed (case, auditor) pairs: auditors with capacity, minus every conflict.

    Built as integer codes over sorted ids (a table, never a dense matrix kept around);
    ``case_id`` and ``auditor_id`` are categoricals whose categories are the sorted ids.
    """
    case_ids = cases.loc[~cases["details_missing"], "case_id"].to_numpy(dtype=object)
    available = auditors.loc[auditors["capacity"] > 0, "staff_id"].to_numpy(dtype=object)
    n_cases, n_auditors = len(case_ids), len(available)
    case_index = pd.Index(case_ids)
    auditor_index = pd.Index(available)
    forbidden = np.zeros(0, dtype=np.int64)
    if not conflicts.empty and n_cases and n_auditors:
        c = case_index.get_indexer(conflicts["case_id"])
        a = auditor_index.get_indexer(conflicts["auditor_id"])
        known = (c >= 0) & (a >= 0)
        forbidden = np.unique(c[known].astype(np.int64) * n_auditors + a[known])
    year_count = auditors.set_index("staff_id")["year_count"].reindex(available).to_numpy()
    original = cases.set_index("case_id")["original_auditor_id"].reindex(case_ids)
    original_code = auditor_index.get_indexer(original.fillna("\x00").to_numpy())
    case_code, auditor_code = _allowed_codes(
        n_cases,
        n_auditors,
        forbidden,
        candidate_limit,
        year_count,
        original_code,
        fingerprint(list(case_ids)) if candidate_limit else np.zeros(0, dtype=np.uint64),
        fingerprint(list(available)) if candidate_limit else np.zeros(0, dtype=np.uint64),
    )

    is_original = original_code[case_code] == auditor_code

    seen_subject = np.zeros(len(case_code), dtype=bool)
    history = data["history"]
    window = history[
        (history["month"] >= add_months(month, -12))
        & (history["month"] < month)
        & ~history["status"].isin(NOT_COUNTED_STATUSES)
    ]
    if not window.empty and len(case_code):
        subject_of_case = cases.set_index("case_id")["subject_id"].reindex(case_ids)
        seen = window[["subject_id", "auditor_id"]].drop_duplicates()
        linked = pd.DataFrame(
            {"case_id": case_ids, "subject_id": subject_of_case.to_numpy()}
        ).merge(seen, on="subject_id")
        c = case_index.get_indexer(linked["case_id"])
        a = auditor_index.get_indexer(linked["auditor_id"])
        ok = a >= 0
        seen_keys = c[ok].astype(np.int64) * max(n_auditors, 1) + a[ok]
        seen_subject = np.isin(case_code * max(n_auditors, 1) + auditor_code, seen_keys)

    return pd.DataFrame(
        {
            "case_id": pd.Categorical.from_codes(case_code, categories=case_index),
            "auditor_id": pd.Categorical.from_codes(auditor_code, categories=auditor_index),
            "year_count": year_count[auditor_code].astype(np.int64) if n_auditors else [],
            "is_original": is_original,
            "seen_subject": seen_subject & ~is_original,
        }
    )
