"""The output tables of a plan, each decision with a reason in policy words.

Every reason is built after the solve, from the plan it describes, and states only facts
that hold for that plan: who has a case, how many audits an auditor has this year, which
rule blocks an auditor (``blocking_rules``, the one answer to that question). The facts
are written in a small fixed vocabulary ("C1 is allocated to A2", "A2 audits C1 this
month", "A2 is on a granted audit break in 2026-03", "3 of 10 audits so far this audit
year") that the independent checker of the tests parses and re-verifies.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from caseaudit.model.calendar import WorkingCalendar, last_day
from caseaudit.model.errors import plural
from caseaudit.model.exemptions import NON_COMPLETION
from caseaudit.model.outputs import OUTPUT_TABLES
from caseaudit.plans.month.problem import MonthProblem
from caseaudit.plans.month.rules import HARD_RULES, blocking_rules

ALLOCATION_COLUMNS = OUTPUT_TABLES["allocations"].column_names
UNALLOCATED_COLUMNS = OUTPUT_TABLES["unallocated"].column_names
EXEMPTION_DECISION_COLUMNS = OUTPUT_TABLES["exemption_decisions"].column_names


@dataclass(frozen=True)
class Plan:
    """Who audits what in a plan, and who still has room for an audit."""

    auditor_of: dict[str, str]
    cases_of: dict[str, list[str]]
    #: Auditors allowed more audits this month than the plan gives them.
    with_room: frozenset[str]
    #: Every auditor of the month's problem.
    auditors: frozenset[str]

    @classmethod
    def of(cls, problem: MonthProblem, assignment: pd.DataFrame) -> Plan:
        auditor_of = dict(
            zip(assignment["case_id"].tolist(), assignment["auditor_id"].tolist(), strict=True)
        )
        cases_of: dict[str, list[str]] = {}
        for case_id, auditor_id in sorted(auditor_of.items()):
            cases_of.setdefault(auditor_id, []).append(case_id)
        load = Counter(auditor_of.values())
        staff_ids = problem.auditors["staff_id"].tolist()
        capacity = zip(staff_ids, problem.auditors["capacity"].tolist(), strict=True)
        with_room = frozenset(a for a, room in capacity if room > load.get(a, 0))
        return cls(auditor_of, cases_of, with_room, frozenset(staff_ids))


def why_not_auditing(
    problem: MonthProblem, plan: Plan, case_id: str, auditor_id: str
) -> str | None:
    """The first fact that keeps ``auditor_id`` off ``case_id`` in the plan: a rule that
    blocks the pair, else the other cases the auditor has; None if neither holds."""
    if auditor_id not in plan.auditors:
        return f"{auditor_id} is not an auditor"
    blockers = blocking_rules(problem, case_id, auditor_id)
    if blockers:
        return blockers[0].detail
    others = [c for c in plan.cases_of.get(auditor_id, []) if c != case_id]
    if others:
        return f"{auditor_id} audits {' and '.join(others)} this month"
    return None


@dataclass(frozen=True)
class _Spread:
    """One allocated case's candidates, counted against the chosen auditor's year."""

    allowed: int
    fewer: int
    fewer_range: tuple[int, int]
    fewer_with_room: int
    fewer_with_room_new_to_subject: int
    with_room_new_to_subject: int


def _spread(problem: MonthProblem, plan: Plan) -> dict[str, _Spread]:
    """Per allocated case, from counts by audits-this-year level, so that no (case,
    auditor) pair list is needed: the allowed auditors of a case are the available ones
    minus its forbidden pairs. Counted as arrays (allocated cases × levels)."""
    available = problem.auditors[problem.auditors["capacity"] > 0]
    auditor_ids = pd.Index(available["staff_id"])
    year = available["year_count"].to_numpy(dtype=np.int64)
    levels, level_of = np.unique(year, return_inverse=True)
    room = auditor_ids.isin(list(plan.with_room))
    allowed_at = np.bincount(level_of, minlength=len(levels))
    room_at = np.bincount(level_of[room], minlength=len(levels))
    cases = pd.Index(list(plan.auditor_of))
    if not len(cases):
        return {}
    shape = (len(cases), len(levels))

    def counted(case_ids: pd.Series, staff_ids: pd.Series, keep: np.ndarray | None) -> np.ndarray:
        """How many of the (case, auditor) rows fall on each allocated case and level."""
        c, a = cases.get_indexer(case_ids), auditor_ids.get_indexer(staff_ids)
        hit = (c >= 0) & (a >= 0)
        if keep is not None:
            hit &= keep
        out = np.zeros(shape, dtype=np.int64)
        np.add.at(out, (c[hit], level_of[a[hit]]), 1)
        return out

    forbidden = problem.conflicts[["case_id", "auditor_id"]].drop_duplicates()
    a_forbidden = auditor_ids.get_indexer(forbidden["auditor_id"])
    forbidden_room = (a_forbidden >= 0) & room[np.maximum(a_forbidden, 0)]
    allowed = allowed_at - counted(forbidden["case_id"], forbidden["auditor_id"], None)
    with_room = room_at - counted(forbidden["case_id"], forbidden["auditor_id"], forbidden_room)
    seen = problem.seen_subject
    a_seen = auditor_ids.get_indexer(seen["auditor_id"])
    seen_keys = pd.MultiIndex.from_arrays([seen["case_id"], seen["auditor_id"]])
    forbidden_keys = pd.MultiIndex.from_arrays([forbidden["case_id"], forbidden["auditor_id"]])
    seen_room = (a_seen >= 0) & room[np.maximum(a_seen, 0)] & ~seen_keys.isin(forbidden_keys)
    fresh = with_room - counted(seen["case_id"], seen["auditor_id"], seen_room)
    chosen = auditor_ids.get_indexer(list(plan.auditor_of.values()))
    own = year[chosen]
    below = levels[None, :] < own[:, None]
    fewer_present = below & (allowed > 0)
    any_fewer = fewer_present.any(axis=1)
    lowest = levels[np.argmax(fewer_present, axis=1)]
    highest = levels[len(levels) - 1 - np.argmax(fewer_present[:, ::-1], axis=1)]
    columns = zip(
        allowed.sum(axis=1).tolist(),
        (allowed * below).sum(axis=1).tolist(),
        np.where(any_fewer, lowest, own).tolist(),
        np.where(any_fewer, highest, own).tolist(),
        (with_room * below).sum(axis=1).tolist(),
        (fresh * below).sum(axis=1).tolist(),
        fresh.sum(axis=1).tolist(),
        strict=True,
    )
    return {
        case_id: _Spread(total, fewer, (low, high), fewer_room, fewer_fresh, all_fresh)
        for case_id, (total, fewer, low, high, fewer_room, fewer_fresh, all_fresh) in zip(
            cases, columns, strict=True
        )
    }


def allocations_table(
    problem: MonthProblem, assignment: pd.DataFrame, audit_ids: dict[str, str] | None = None
) -> pd.DataFrame:
    """One row per allocated case (contract §5); ``audit_ids`` overrides ids (reallocation)."""
    calendar = WorkingCalendar(problem.config.calendar.country, problem.config.calendar.subdivision)
    distributed_on = calendar.first_working_day(problem.month)
    due_on = last_day(problem.month)
    # Plain dicts per row: a pandas row lookup per allocation costs seconds nationally;
    # built from column lists (``to_dict`` boxes every value one call at a time).
    cases = _rows_by(problem.cases, "case_id")
    auditor_columns = ["staff_id", "name", "email", "year_count"]
    auditor_rows = _rows_by(problem.auditors[auditor_columns], "staff_id")
    plan = Plan.of(problem, assignment)
    spread = _spread(problem, plan)
    seen = problem.seen_subject
    seen_keys = set(zip(seen["case_id"].tolist(), seen["auditor_id"].tolist(), strict=True))
    rows = []
    for case_id, auditor_id in zip(
        assignment["case_id"].tolist(), assignment["auditor_id"].tolist(), strict=True
    ):
        case = cases[case_id]
        auditor = auditor_rows[auditor_id]
        reason = allocation_reason(
            problem,
            plan,
            case_id,
            case,
            auditor_id,
            int(auditor["year_count"]),
            spread[case_id],
            (case_id, auditor_id) in seen_keys,
        )
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
                "reason": reason,
            }
        )
    frame = pd.DataFrame(rows, columns=ALLOCATION_COLUMNS)
    return frame.sort_values(["audit_id"]).reset_index(drop=True)


def _rows_by(frame: pd.DataFrame, key: str) -> dict[Any, dict[str, Any]]:
    """Each row as a dict of its other columns, by ``key`` (``set_index(key).to_dict
    ("index")``, the same values, one list per column)."""
    columns = [c for c in frame.columns if c != key]
    values = zip(*(frame[c].tolist() for c in columns), strict=True)
    return {
        k: dict(zip(columns, row, strict=True))
        for k, row in zip(frame[key].tolist(), values, strict=True)
    }


def allocation_reason(
    problem: MonthProblem,
    plan: Plan,
    case_id: str,
    case: Mapping[str, Any],
    auditor_id: str,
    year_count: int,
    spread: _Spread,
    seen_subject: bool,
) -> str:
    """One sentence: why this auditor (policy words, ids only)."""
    maximum = problem.policy.max_audits_per_year
    load = f"{year_count} of {maximum} audits so far this audit year"
    original = case["original_auditor_id"]
    if case["is_reaudit"] and original == auditor_id:
        return (
            f"Original auditor of inadequate audit {case['reaudit_of']}, kept for the re-audit "
            f"(§25); no conflict of interest; {load}."
        )
    if spread.fewer == 0:
        among = (
            "the only auditor allowed for this case"
            if spread.allowed == 1
            else f"the fewest among the {spread.allowed} auditors allowed for this case"
        )
    elif spread.fewer_with_room == 0:
        low, high = spread.fewer_range
        counts = plural(high, "audit") if low == high else f"{low} to {high} audits"
        needed = (
            "was needed for another case" if spread.fewer == 1 else "were needed for other cases"
        )
        among = (
            f"the {plural(spread.fewer, 'allowed auditor')} with fewer audits this year "
            f"({counts} so far) {needed}"
        )
    elif spread.fewer_with_room_new_to_subject == 0:
        among = (
            f"the {plural(spread.fewer_with_room, 'free auditor')} with fewer audits this "
            "year had audited this subject in the last 12 months (a fresh pair of eyes)"
        )
    else:
        among = "the best balance of the month's preferences"
    prefix = ""
    if case["is_reaudit"]:
        standing = why_not_auditing(problem, plan, case_id, original) if original else None
        if standing is None:
            standing = f"{original} was free, but the month's preferences chose otherwise"
        prefix = f"Re-audit of {case['reaudit_of']}; the original auditor {standing}; "
    fresh = ""
    if seen_subject:
        fresh = (
            "; audited this subject in the last 12 months (no free auditor allowed for the "
            "case was new to it)"
            if spread.with_room_new_to_subject == 0
            else "; audited this subject in the last 12 months (the best balance of the "
            "month's preferences)"
        )
    sentence = f"{prefix}no conflict of interest; {load}, {among}{fresh}."
    return sentence[0].upper() + sentence[1:]


def exemption_decisions_table(problem: MonthProblem, assignment: pd.DataFrame) -> pd.DataFrame:
    """Every exemption of the month with what its decision means for this plan: who has
    the case now, or why it has no auditor, and what becomes of the auditor (§4, §30)."""
    plan = Plan.of(problem, assignment)
    in_month = set(problem.cases["case_id"])
    frame = problem.exemption_decisions.copy()
    reasons = []
    for case_id, auditor_id, honoured, decision in zip(
        frame["case_id"], frame["auditor_id"], frame["honoured"], frame["reason"], strict=True
    ):
        holder = plan.auditor_of.get(case_id)
        if case_id not in in_month:
            fate = f"{case_id} is not in {problem.month}'s sample, so there is no audit of it"
        elif holder is None:
            fate = f"{case_id} is unallocated in this plan (see unallocated)"
        else:
            fate = f"{case_id} is allocated to {holder}"
        if honoured:
            reasons.append(f"{decision}; {auditor_id} gets no audit this month (§4); {fate}")
        elif holder == auditor_id:
            reasons.append(f"{decision}; {fate}, who must audit it: {NON_COMPLETION}")
        else:
            standing = why_not_auditing(problem, plan, case_id, auditor_id)
            if standing is None and holder is not None:
                standing = f"{auditor_id} was free, but {holder} was preferred"
            reasons.append(f"{decision}; {fate}" + (f"; {standing}" if standing else ""))
    frame["reason"] = reasons
    return frame[EXEMPTION_DECISION_COLUMNS].reset_index(drop=True)


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
    """Name what blocked the case: every auditor counted once, under the first rule that
    ``blocking_rules`` names for them, or as needed for another case.

    The sentence is read off the rule records (``HARD_RULES``): each rule's count with its
    ``reason`` words, in the records' order, the conflicts of interest (contract §4 rule
    4) together; an honoured exemption is its own reason (§4, §29–30)."""
    if details_missing:
        return (
            f"re-audit due, but cases has no row for {case_id} up to {problem.month}: "
            "its worker and team are unknown, so conflicts cannot be checked"
        )
    auditors = problem.auditors["staff_id"]
    first_rule: Counter[str] = Counter()
    free = 0
    for auditor_id in auditors:
        blockers = blocking_rules(problem, case_id, auditor_id)
        if blockers:
            first_rule[blockers[0].rule] += 1
        else:
            free += 1
    maximum = problem.policy.max_audits_per_year
    parts = []
    conflicts_said = False
    for rule in HARD_RULES:
        if rule.is_conflict:
            if conflicts_said:
                continue
            conflicts_said = True
            # By rule id, as the sentence has always listed them.
            counted = sorted((r.id, r.reason) for r in HARD_RULES if r.is_conflict)
            detail = ", ".join(f"{first_rule[i]} {words}" for i, words in counted if first_rule[i])
            total = sum(first_rule[i] for i, _ in counted)
            if total:
                parts.append(f"{total} with a conflict of interest ({detail})")
        elif first_rule[rule.id]:
            words = rule.reason.format(month=problem.month, maximum=maximum)
            parts.append(f"{first_rule[rule.id]} {words}")
    if free:
        parts.append(f"the other {plural(free, 'auditor')} needed for other cases")
    return f"no auditor available: of {plural(len(auditors), 'auditor')}, " + "; ".join(parts)


def allocation_reasons(
    problem: MonthProblem, assignment: pd.DataFrame, case_ids: list[str]
) -> dict[str, str]:
    """The reasons ``allocations_table`` gives the allocated cases among ``case_ids``,
    worked out for those cases alone (``caseaudit explain`` asks about one case of a
    national month): the plan's loads and rooms are the whole plan's, only the counts
    of each case's candidates (``_spread``) are limited to the cases asked about."""
    cases = problem.cases.set_index("case_id")
    year_of = problem.auditors.set_index("staff_id")["year_count"]
    plan = Plan.of(problem, assignment)
    asked = {c: plan.auditor_of[c] for c in case_ids if c in plan.auditor_of}
    spread = _spread(problem, Plan(asked, plan.cases_of, plan.with_room, plan.auditors))
    seen = problem.seen_subject
    seen = seen[seen["case_id"].isin(asked.keys())]
    seen_keys = set(zip(seen["case_id"], seen["auditor_id"], strict=True))
    return {
        case_id: allocation_reason(
            problem,
            plan,
            case_id,
            cases.loc[case_id].to_dict(),
            auditor_id,
            int(year_of[auditor_id]),
            spread[case_id],
            (case_id, auditor_id) in seen_keys,
        )
        for case_id, auditor_id in asked.items()
    }
