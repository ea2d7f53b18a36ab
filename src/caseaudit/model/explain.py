"""The output tables of ``allocate`` with a reason in policy words for every decision."""

from __future__ import annotations

import pandas as pd

from caseaudit.model.calendar import WorkingCalendar, last_day
from caseaudit.model.conflicts import CONFLICT_LABELS
from caseaudit.model.problem import MonthProblem

ALLOCATION_COLUMNS = [
    "audit_id",
    "month",
    "case_id",
    "subject_id",
    "case_type",
    "service",
    "team",
    "auditor_id",
    "auditor_name",
    "auditor_email",
    "allocated_worker_id",
    "team_manager_id",
    "iro_id",
    "group_manager_id",
    "distributed_on",
    "due_on",
    "is_reaudit",
    "reaudit_of",
    "reason",
]
UNALLOCATED_COLUMNS = ["case_id", "month", "subject_id", "reason"]


def allocations_table(
    problem: MonthProblem, assignment: pd.DataFrame, audit_ids: dict[str, str] | None = None
) -> pd.DataFrame:
    """One row per allocated case (contract §5); ``audit_ids`` overrides ids (reallocation)."""
    calendar = WorkingCalendar(problem.config.calendar.country, problem.config.calendar.subdivision)
    distributed_on = calendar.first_working_day(problem.month)
    due_on = last_day(problem.month)
    cases = problem.cases.set_index("case_id")
    auditors = problem.auditors.set_index("staff_id")
    candidates = problem.pairs.groupby("case_id", observed=True)["year_count"].agg(["size", "min"])
    seen = problem.pairs[problem.pairs["seen_subject"]]
    seen_keys = set(zip(seen["case_id"].astype(str), seen["auditor_id"].astype(str), strict=True))
    passed_over = _free_auditors_with_fewer(problem, assignment)
    rows = []
    for case_id, auditor_id in zip(assignment["case_id"], assignment["auditor_id"], strict=True):
        case = cases.loc[case_id]
        auditor = auditors.loc[auditor_id]
        count, fewest = candidates.loc[case_id].tolist() if case_id in candidates.index else (1, 0)
        rows.append(
            {
                "audit_id": (audit_ids or {}).get(case_id, f"{problem.month}-{case_id}"),
                "month": problem.month,
                "case_id": case_id,
                "subject_id": case["subject_id"],
                "case_type": case["case_type"],
                "service": case["service"],
                "team": case["team"],
                "auditor_id": auditor_id,
                "auditor_name": auditor["name"],
                "auditor_email": auditor["email"],
                "allocated_worker_id": case["allocated_worker_id"],
                "team_manager_id": case["team_manager_id"],
                "iro_id": case["iro_id"],
                "group_manager_id": case["group_manager_id"],
                "distributed_on": distributed_on,
                "due_on": due_on,
                "is_reaudit": bool(case["is_reaudit"]),
                "reaudit_of": case["reaudit_of"],
                "reason": allocation_reason(
                    problem,
                    case,
                    auditor_id,
                    int(auditor["year_count"]),
                    int(count),
                    int(fewest),
                    (case_id, auditor_id) in seen_keys,
                    passed_over.get(case_id, (0, 0)),
                ),
            }
        )
    frame = pd.DataFrame(rows, columns=ALLOCATION_COLUMNS)
    return frame.sort_values(["audit_id"]).reset_index(drop=True)


def allocation_reason(
    problem: MonthProblem,
    case: pd.Series,
    auditor_id: str,
    year_count: int,
    candidates: int,
    fewest: int,
    seen_subject: bool,
    free_with_fewer: tuple[int, int] = (0, 0),
) -> str:
    """One sentence: why this auditor (policy words, ids only).

    ``free_with_fewer`` counts the case's candidates with fewer audits this year who were
    left without an audit, and how many of them had not seen the subject.
    """
    maximum = problem.policy.max_audits_per_year
    load = f"{year_count} of {maximum} audits so far this audit year"
    if case["is_reaudit"] and case["original_auditor_id"] == auditor_id:
        return (
            f"Original auditor of inadequate audit {case['reaudit_of']}, kept for the re-audit "
            f"(§25); no conflict of interest; {load}."
        )
    free, free_fresh = free_with_fewer
    if year_count <= fewest:
        spread = f"the fewest among the case's {candidates} eligible auditors"
    elif free == 0:
        spread = f"auditors with fewer ({fewest}) were needed for other cases"
    elif free_fresh == 0:
        spread = (
            f"the {free} free auditor{'s' if free != 1 else ''} with fewer had audited this "
            "subject in the last 12 months (fresh eyes)"
        )
    else:
        spread = "the best balance of the month's preferences"
    prefix = ""
    if case["is_reaudit"]:
        prefix = (
            f"Re-audit of {case['reaudit_of']}; the original auditor "
            f"{case['original_auditor_id']} was not available; "
        )
    fresh = (
        "; audited this subject in the last 12 months (no fresher auditor free)"
        if (seen_subject)
        else ""
    )
    sentence = f"{prefix}No conflict of interest; {load}, {spread}{fresh}."
    return sentence[0].upper() + sentence[1:]


def _free_auditors_with_fewer(
    problem: MonthProblem, assignment: pd.DataFrame
) -> dict[str, tuple[int, int]]:
    """Per allocated case: candidates with fewer audits this year left without an audit,
    and how many of those had not audited the subject in the last 12 months."""
    if assignment.empty or problem.pairs.empty:
        return {}
    counts = problem.auditors.set_index("staff_id")["year_count"]
    chosen_count = assignment.set_index("case_id")["auditor_id"].map(counts)
    pairs = problem.pairs
    case_ids = pairs["case_id"].astype(str)
    lower = pairs["year_count"].to_numpy() < case_ids.map(chosen_count).fillna(-1).to_numpy()
    free = ~pairs["auditor_id"].astype(str).isin(set(assignment["auditor_id"])).to_numpy()
    passed = pd.DataFrame(
        {"case_id": case_ids[lower & free], "fresh": ~pairs["seen_subject"][lower & free]}
    )
    grouped = passed.groupby("case_id")["fresh"].agg(["size", "sum"])
    return {
        case_id: (int(size), int(fresh))
        for case_id, size, fresh in zip(grouped.index, grouped["size"], grouped["sum"], strict=True)
    }


def unallocated_table(problem: MonthProblem, assignment: pd.DataFrame) -> pd.DataFrame:
    """Cases left without an auditor, each with the rules that blocked it, counted."""
    allocated = set(assignment["case_id"])
    rows = []
    for case in problem.cases.itertuples(index=False):
        if case.case_id in allocated:
            continue
        rows.append(
            {
                "case_id": case.case_id,
                "month": problem.month,
                "subject_id": case.subject_id,
                "reason": unallocated_reason(problem, case.case_id, bool(case.details_missing)),
            }
        )
    frame = pd.DataFrame(rows, columns=UNALLOCATED_COLUMNS)
    return frame.sort_values(["case_id", "month"]).reset_index(drop=True)


def unallocated_reason(problem: MonthProblem, case_id: str, details_missing: bool) -> str:
    """Name what blocked the case, each auditor counted once under the first rule that
    excludes them: not eligible, conflict of interest, break, yearly maximum."""
    if details_missing:
        return (
            f"re-audit due, but cases has no row for {case_id} up to {problem.month}: "
            "its worker and team are unknown, so conflicts cannot be checked"
        )
    auditors = problem.auditors
    conflicts = problem.conflicts[problem.conflicts["case_id"] == case_id]
    kinds_by_auditor = conflicts.groupby("auditor_id")["kind"].agg(lambda k: sorted(set(k)))
    maximum = problem.policy.max_audits_per_year
    counts = {"not_eligible": 0, "break": 0, "yearly": 0, "free": 0}
    conflict_counts: dict[str, int] = {}
    for auditor in auditors.itertuples(index=False):
        if not auditor.eligible:
            counts["not_eligible"] += 1
        elif auditor.staff_id in kinds_by_auditor.index:
            first_kind = _first_kind(kinds_by_auditor.loc[auditor.staff_id])
            conflict_counts[first_kind] = conflict_counts.get(first_kind, 0) + 1
        elif auditor.exempted:
            conflict_counts["exempted"] = conflict_counts.get("exempted", 0) + 1
        elif auditor.break_granted:
            counts["break"] += 1
        elif auditor.year_count >= maximum:
            counts["yearly"] += 1
        elif auditor.capacity > 0:
            counts["free"] += 1
        else:
            counts["yearly"] += 1
    parts = []
    if counts["not_eligible"]:
        parts.append(f"{counts['not_eligible']} not eligible in {problem.month}")
    if conflict_counts:
        total = sum(conflict_counts.values())
        detail = ", ".join(f"{n} {CONFLICT_LABELS[k]}" for k, n in sorted(conflict_counts.items()))
        parts.append(f"{total} with a conflict of interest ({detail})")
    if counts["break"]:
        parts.append(f"{counts['break']} on an audit break")
    if counts["yearly"]:
        parts.append(f"{counts['yearly']} at {maximum} of {maximum} this audit year")
    if counts["free"]:
        noun = "auditor" if counts["free"] == 1 else "auditors"
        parts.append(f"the other {counts['free']} {noun} needed for other cases")
    return f"no auditor available: of {len(auditors)} auditors, " + "; ".join(parts)


_KIND_ORDER = ["direct", "management_chain", "same_team", "declared", "exempted"]


def _first_kind(kinds: list[str]) -> str:
    return min(kinds, key=_KIND_ORDER.index)
