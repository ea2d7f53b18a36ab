"""Variants of a month's problem for ``caseaudit explain`` (issue 11): one pair forced,
or one hard rule relaxed for named auditors, teams or conflicts.

Each variant is the frozen ``MonthProblem`` with some rows changed (``replace``), so the
same solver adapter solves it for real; nothing here knows about the solver. The direct
conflicts (worker, team manager, IRO) are never relaxed.
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from caseaudit.model.problem import MonthProblem
from caseaudit.model.why import RELAXABLE_RULES, RelaxUnit


def forced_remainder(problem: MonthProblem, case_id: str, auditor_id: str) -> MonthProblem:
    """The month left to plan once ``case_id`` is given to ``auditor_id``: the case
    taken out, the auditor's capacity one less.

    The auditor's next audits this month cost one slot more (fair spread is convex in
    the month, §2); fair spread is linear in the audits of the year, so counting the
    forced audit as one more this year prices those slots exactly.
    """
    cases = problem.cases[problem.cases["case_id"] != case_id].reset_index(drop=True)
    auditors = problem.auditors.copy()
    chosen = auditors["staff_id"] == auditor_id
    auditors.loc[chosen, "capacity"] = auditors.loc[chosen, "capacity"] - 1
    auditors.loc[chosen, "year_count"] = auditors.loc[chosen, "year_count"] + 1
    return problem.replace(cases=cases, auditors=auditors)


def _capacity_without(problem: MonthProblem, auditor_id: str, rule_id: str) -> int:
    """The auditor's capacity this month under every hard rule but ``rule_id`` (the
    tightest limit, as ``apply_rules`` takes it)."""
    if "monthly_max" in problem.restrictions:
        capacity = problem.policy.max_audits_per_month
    else:
        capacity = max(len(problem.cases), 1)
    for other, restriction in problem.restrictions.items():
        if other != rule_id and auditor_id in restriction.capacity.index:
            capacity = min(capacity, int(restriction.capacity[auditor_id]))
    return capacity


def relaxed(problem: MonthProblem, units: Iterable[RelaxUnit]) -> MonthProblem:
    """The month with each unit's rule given up for its auditor, team or conflict."""
    auditors = problem.auditors.copy()
    conflicts = problem.conflicts
    capacity = dict(zip(auditors["staff_id"], auditors["capacity"], strict=True))
    subject_of = dict(zip(problem.cases["case_id"], problem.cases["subject_id"], strict=True))
    team_of = {
        case_id: (service, team)
        for case_id, service, team in zip(
            problem.cases["case_id"], problem.cases["service"], problem.cases["team"], strict=True
        )
    }
    dropped = pd.Series(False, index=conflicts.index)
    for unit in units:
        if unit.rule not in RELAXABLE_RULES:
            raise ValueError(f"{unit.rule} is never relaxed")
        if unit.rule == "on_break":
            (auditor_id,) = unit.key
            auditors.loc[auditors["staff_id"] == auditor_id, "break_granted"] = False
            capacity[auditor_id] = _capacity_without(problem, auditor_id, "on_break")
        elif unit.rule == "yearly_max":
            (auditor_id,) = unit.key
            # One more audit this year: the yearly limit leaves room for exactly one.
            capacity[auditor_id] = min(_capacity_without(problem, auditor_id, "yearly_max"), 1)
        elif unit.rule == "same_team":
            in_team = [team_of.get(case_id) == unit.key for case_id in conflicts["case_id"]]
            dropped |= (conflicts["kind"] == "same_team") & pd.Series(in_team, index=dropped.index)
        else:
            auditor_id, subject_id = unit.key
            dropped |= (
                (conflicts["kind"] == "declared")
                & (conflicts["auditor_id"] == auditor_id)
                & (conflicts["case_id"].map(subject_of) == subject_id)
            )
    auditors["capacity"] = auditors["staff_id"].map(capacity).astype(int)
    return problem.replace(auditors=auditors, conflicts=conflicts[~dropped].reset_index(drop=True))
